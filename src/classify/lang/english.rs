//! English told by its function words, before whatlang is asked.
//!
//! A text is English when its letters are all ASCII, at least
//! [`MIN_WORDS`] of its words (and at least one in [`SHARE`]) are English
//! function words, and none is a common word of another Latin-script
//! language. The test is one-sided: it never names another language, and a
//! text it passes over goes to whatlang, so a miss costs time, not a label.
//!
//! The word lists are ours. [`ENGLISH`] holds English function words and
//! contractions; some are also words elsewhere ("in", "is", "we" in Dutch,
//! "to" and "my" in Polish), which is why [`FOREIGN`] vetoes: it holds the
//! commonest short words of the other Latin-script languages whatlang knows,
//! chosen so that a sentence in one of them nearly always contains one.
//! Words with letters outside ASCII (ç, ß, ø, ą) need no list: any such
//! letter sends the text to whatlang. On `fixtures/eval/lang.jsonl` and
//! `lang-latin.jsonl` (short posts in 30 languages, many typed without
//! diacritics) no text in another language passes, and about 85% of the
//! English texts in `fixtures/eval` do (see the tests in the parent module).

use std::sync::LazyLock;

/// English function words needed at the least: one or two turn up by chance
/// in a line of another language ("the" in a quoted title).
const MIN_WORDS: usize = 3;
/// ... and at least one word in this many.
const SHARE: usize = 5;

/// English function words and contractions.
const ENGLISH: &str = "the and you that this with have has are not but they from been \
    would could should what when which there their our your very about again because how \
    why who after she them then than were had does did into really still if up out get got \
    its her his him any some ever yet these those every never always already \
    don't can't i'm it's doesn't didn't won't isn't i've i'd i'll you're we're haven't \
    wasn't aren't couldn't wouldn't shouldn't that's there's \
    my to is it of for on in at a i we me so no do be an or by he will can was just all \
    now one over off too much many only also here new more back";

/// Common short words of other Latin-script languages: German, French,
/// Spanish, Italian, Portuguese, Dutch, the Scandinavian languages, Polish,
/// Czech and Slovak, Romanian, Turkish, Indonesian and Javanese, Tagalog,
/// Hungarian, Finnish, Esperanto, Catalan, Afrikaans, Latin, Welsh, Shona,
/// Uzbek, and romanized Hindi.
const FOREIGN: &str = "der die das und ist nicht ich ein eine einen mit auf sich auch zu \
    den dem wie wir aber noch schon wird sind war bei nach oder \
    le la les et est une des du pas que qui je il elle nous vous sur pour dans avec ce sont \
    mais ne \
    el los las y es del por con para muy pero lo se su como tengo esta \
    gli della che di non per sono questo molto ho \
    os um uma nao com muito isso ele em \
    het een van en niet ik je zijn maar op voor ook wel naar heeft \
    och att det som jag inte har med ett av og ikke jeg af til er \
    nie jest na w z ale jak co tak ten je pro ako sa aj jsem \
    nu este cu pe din care \
    ve bir bu da ama gibi var \
    dan yang di ini itu tidak ke dengan untuk saya ada aku ora \
    ang ng sa mga ay ako hindi ka ko \
    az egy van hogy \
    ja ei kun mutta \
    kaj estas \
    els amb \
    ek jy \
    sed quod cum \
    yr mae yn ac ond \
    ndi kuti \
    va bilan \
    hai nahi kya mera bhi yeh hain aur";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    English,
    Foreign,
}

/// Both lists, as [`key`]s sorted for binary search. A word on both would
/// be a mistake in the lists; the test below keeps them apart.
static WORDS: LazyLock<Vec<(u128, Kind)>> = LazyLock::new(|| {
    let mut v: Vec<(u128, Kind)> = ENGLISH
        .split_whitespace()
        .map(|w| (key(w.as_bytes()), Kind::English))
        .chain(
            FOREIGN
                .split_whitespace()
                .map(|w| (key(w.as_bytes()), Kind::Foreign)),
        )
        .collect();
    v.sort_unstable();
    v.dedup();
    v
});

/// A word of at most 16 bytes as one number, so that looking it up
/// compares integers, not strings.
fn key(word: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    b[..word.len()].copy_from_slice(word);
    u128::from_le_bytes(b)
}

/// The longest word on either list, in bytes; longer words are on neither.
const LONGEST: usize = 9;

/// Whether `text` is English by its words (see the module doc).
pub fn english(text: &str) -> bool {
    let words = &*WORDS;
    let (mut english, mut total) = (0usize, 0usize);
    let mut word = [0u8; LONGEST];
    let mut len = 0usize;
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '\'' || c == '\u{2019}' {
            if len < LONGEST {
                word[len] = if c == '\u{2019}' {
                    b'\''
                } else {
                    c.to_ascii_lowercase() as u8
                };
            }
            len += 1;
            continue;
        }
        if !c.is_ascii() && c.is_alphabetic() {
            return false;
        }
        if len == 0 {
            continue;
        }
        total += 1;
        if len <= LONGEST {
            let k = key(&word[..len]);
            match words.binary_search_by(|(w, _)| w.cmp(&k)) {
                Ok(i) if words[i].1 == Kind::Foreign => return false,
                Ok(_) => english += 1,
                Err(_) => {}
            }
        }
        len = 0;
    }
    english >= MIN_WORDS && english * SHARE >= total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_apart_and_fit_the_word_buffer() {
        let english: Vec<&str> = ENGLISH.split_whitespace().collect();
        for w in FOREIGN.split_whitespace() {
            assert!(!english.contains(&w), "{w} is on both lists");
        }
        for w in ENGLISH.split_whitespace().chain(FOREIGN.split_whitespace()) {
            assert!(w.len() <= LONGEST, "{w}");
            assert_eq!(w, w.to_ascii_lowercase(), "lists are lowercase");
        }
    }

    #[test]
    fn english_function_words_make_english() {
        assert!(english("I love how fast the new app is now"));
        assert!(english("Why DOES the app log me out every time?"));
        // A typographic apostrophe is an apostrophe.
        assert!(english(
            "I don\u{2019}t think it\u{2019}s fixed, it never was"
        ));
    }

    #[test]
    fn too_few_english_words_or_any_foreign_one_pass_the_text_on() {
        assert!(!english("Terrible support, lost files, awful"));
        // Three English words, but fewer than one in five: a list of names.
        assert!(!english(
            "Acme, Globex, Initech, Umbrella, Hooli, Soylent, Wonka, Stark, Wayne, \
             Tyrell, Cyberdyne, Oscorp, Massive Dynamic: the top picks of my readers"
        ));
        assert!(!english(
            "Das Update ist the worst, I want the old one back"
        ));
        assert!(!english(
            "El servicio es muy malo, worst customer support ever"
        ));
        // Dutch shares "is", "we" and "in" with English, and is vetoed by "de".
        assert!(!english("we zijn in de stad en het is koud"));
    }

    #[test]
    fn any_letter_beyond_ascii_passes_the_text_on() {
        assert!(!english("I love the new café, it is the best in town"));
        // Symbols and emoji are not letters.
        assert!(english("I love the new one, it is the best 👍 — 10/10"));
    }
}
