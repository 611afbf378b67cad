//! Language of a text, for items whose source does not declare one: an
//! ISO 639-1 code ("en", "ru", "ja") from the whatlang detector (trigram
//! and alphabet statistics, offline, no model files), or nothing when the
//! guess is not worth routing on.
//!
//! Whatlang scores a Latin-script text against some 45 language profiles of
//! 300 trigrams each, about 60 µs whatever the text's length. Most of what a
//! listening tool reads is English, so [`english`] tries first: a text in
//! plain ASCII letters with enough English function words and none of
//! another language's is English, for the cost of one pass over its words.
//! It only ever says "English"; any doubt goes on to whatlang.
//!
//! This module does not decide whether to trust a source's own language tag
//! over the guess (a declared `lang` wins; that is the caller's rule), and it
//! does not detect mixed-language texts: one code per text.

mod english;

use english::english;
use whatlang::Lang;

/// Texts shorter than this (in characters, once links, handles and hashtags
/// are dropped) get no guess: below it the trigram counts are too thin, and
/// a short post like "lol ok 👍" would be labelled at random.
const MIN_CHARS: usize = 20;

/// Confidence from which a guess is kept although whatlang does not call it
/// reliable (its own bar is above 0.9). Whatlang's confidence is the margin
/// of the best language over the runner-up, scaled by the text's length, so
/// short posts rarely reach 0.9 even when the guess is right. On 91 short
/// posts (one or two sentences) in 16 languages that we wrote to choose this
/// figure, the reliable flag alone labelled 63% of them, all correctly; from
/// 0.5 up, 77% were labelled with one mistake (Spanish read as Catalan), and
/// below 0.5 the mistakes multiplied (Dutch as Afrikaans, Turkish as
/// French, Russian as Ukrainian). A routing rule on `lang` gains more from
/// the extra labels than it loses to a near-neighbour mix-up.
const MIN_CONFIDENCE: f64 = 0.5;

/// How much of a text is read, in characters: whatlang's cost is linear in
/// the length, and past a paragraph or two more text hardly changes the
/// guess (see `fixtures/eval/lang.jsonl` and the test that reads it).
pub const PREFIX_CHARS: usize = 1_000;

/// The ISO 639-1 code of the language `text` is written in, read from its
/// first [`PREFIX_CHARS`] characters, when that is long enough and the
/// detector is confident; `None` otherwise.
pub fn detect(text: &str) -> Option<String> {
    detect_within(text, PREFIX_CHARS)
}

/// As [`detect`], reading at most `max_chars` characters of `text`, cut at
/// the last whitespace before the limit so no word is read half.
pub fn detect_within(text: &str, max_chars: usize) -> Option<String> {
    let words = prose(prefix(text, max_chars));
    if words.chars().count() < MIN_CHARS {
        return None;
    }
    if english(&words) {
        return Some("en".to_string());
    }
    whatlang_guess(&words)
}

/// Whatlang's guess, when confident enough to route on.
fn whatlang_guess(words: &str) -> Option<String> {
    let info = whatlang::detect(words)?;
    if !(info.is_reliable() || info.confidence() >= MIN_CONFIDENCE) {
        return None;
    }
    Some(iso_639_1(info.lang()).to_string())
}

fn prefix(text: &str, max_chars: usize) -> &str {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text;
    };
    let head = &text[..cut];
    head.rfind(char::is_whitespace).map_or(head, |w| &head[..w])
}

/// The text without links, @handles and #hashtags: they are language-neutral
/// at best, and brand names and URL fragments read as trigrams of whatever
/// language they happen to resemble.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        // Compared in place: a lowercased copy per word was most of what
        // language detection allocated.
        let noise = word.starts_with(['@', '#'])
            || ["http://", "https://", "www."]
                .iter()
                .any(|p| starts_with_ignoring_case(word, p));
        if !noise {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// Whether `word` starts with the ASCII `prefix`, in any case.
fn starts_with_ignoring_case(word: &str, prefix: &str) -> bool {
    word.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Whatlang speaks ISO 639-3; records and `lang:` queries use the two-letter
/// codes that feeds and social APIs declare. Every language whatlang knows
/// has one, and the match is exhaustive so a whatlang upgrade that adds a
/// language fails to compile here rather than yield a three-letter code.
fn iso_639_1(lang: Lang) -> &'static str {
    match lang {
        Lang::Epo => "eo",
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Ben => "bn",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Ukr => "uk",
        Lang::Kat => "ka",
        Lang::Ara => "ar",
        Lang::Hin => "hi",
        Lang::Jpn => "ja",
        Lang::Heb => "he",
        Lang::Yid => "yi",
        Lang::Pol => "pl",
        Lang::Amh => "am",
        Lang::Jav => "jv",
        Lang::Kor => "ko",
        Lang::Nob => "nb",
        Lang::Dan => "da",
        Lang::Swe => "sv",
        Lang::Fin => "fi",
        Lang::Tur => "tr",
        Lang::Nld => "nl",
        Lang::Hun => "hu",
        Lang::Ces => "cs",
        Lang::Ell => "el",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Mar => "mr",
        Lang::Kan => "kn",
        Lang::Ron => "ro",
        Lang::Slv => "sl",
        Lang::Hrv => "hr",
        Lang::Srp => "sr",
        Lang::Mkd => "mk",
        Lang::Lit => "lt",
        Lang::Lav => "lv",
        Lang::Est => "et",
        Lang::Tam => "ta",
        Lang::Vie => "vi",
        Lang::Urd => "ur",
        Lang::Tha => "th",
        Lang::Guj => "gu",
        Lang::Uzb => "uz",
        Lang::Pan => "pa",
        Lang::Aze => "az",
        Lang::Ind => "id",
        Lang::Tel => "te",
        Lang::Pes => "fa",
        Lang::Mal => "ml",
        Lang::Ori => "or",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Sin => "si",
        Lang::Khm => "km",
        Lang::Tuk => "tk",
        Lang::Aka => "ak",
        Lang::Zul => "zu",
        Lang::Sna => "sn",
        Lang::Afr => "af",
        Lang::Lat => "la",
        Lang::Slk => "sk",
        Lang::Cat => "ca",
        Lang::Tgl => "tl",
        Lang::Hye => "hy",
        Lang::Cym => "cy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_languages_of_short_posts() {
        let cases = [
            (
                "en",
                "Just ordered the blue one, can't wait for it to arrive!",
            ),
            (
                "ru",
                "Почему приложение выкидывает меня каждый раз, когда я его закрываю",
            ),
            ("uk", "Хтось знає, чи працює магазин у центрі в неділю?"),
            (
                "de",
                "Das neue Update hat mein Handy schon wieder kaputt gemacht.",
            ),
            ("fr", "La livraison était rapide et le carton bien emballé."),
            (
                "es",
                "¿Alguien sabe si la tienda del centro abre los domingos?",
            ),
            ("pt", "A nova atualização quebrou meu telefone de novo."),
            (
                "it",
                "Il nuovo aggiornamento ha rotto di nuovo il mio telefono.",
            ),
            (
                "pl",
                "Czy ktoś wie, czy sklep w centrum jest otwarty w niedziele?",
            ),
            ("ja", "新しいアップデートでまたスマホが壊れました。"),
            ("zh", "新的更新又把我的手机搞坏了，客服根本没用。"),
            ("ko", "새 업데이트 때문에 또 휴대폰이 고장났어요."),
            (
                "ar",
                "التحديث الجديد عطل هاتفي مرة أخرى والدعم لا فائدة منه.",
            ),
        ];
        for (code, text) in cases {
            assert_eq!(detect(text).as_deref(), Some(code), "{text}");
        }
    }

    #[test]
    fn short_or_wordless_texts_get_no_guess() {
        assert_eq!(detect(""), None);
        assert_eq!(detect("Acme Cloud down?"), None);
        assert_eq!(detect("lol ok 👍"), None);
        // Long enough in bytes, but nothing left once links and tags go.
        assert_eq!(
            detect("https://t.co/abc123 #acme @acme_support #fail"),
            None
        );
    }

    #[test]
    fn links_and_tags_do_not_sway_the_guess() {
        let text = "@acme_de #acmefail https://acme.example/de/hilfe \
                    Weiß jemand, ob der Laden sonntags offen hat?";
        assert_eq!(detect(text).as_deref(), Some("de"));
        assert_eq!(
            prose("hi @bob see https://x.y/z #tag and WWW.acme.com ok"),
            "hi see and ok"
        );
        // Words shorter than a prefix, or not ASCII where one would be.
        assert_eq!(
            prose("ww Ünïcödé Https://ü.de wwé. ok"),
            "ww Ünïcödé wwé. ok"
        );
    }

    #[test]
    fn doubtful_guesses_are_dropped() {
        // Whatlang's best guesses here are wrong with low confidence
        // (Turkish read as French, Russian as Ukrainian).
        assert_eq!(detect("Yeni güncelleme telefonumu yine bozdu."), None);
        assert_eq!(
            detect("Заказал синий вариант, жду не дождусь доставки!"),
            None
        );
    }
}

/// Accuracy on the labelled sample `fixtures/eval/lang.jsonl` (100 posts
/// in 12 languages, written for it), read whole and read as a prefix. Run
/// with `--nocapture` to see the figures.
#[cfg(test)]
mod sample {
    use super::*;

    fn sample() -> Vec<(String, String)> {
        read("lang.jsonl")
    }

    /// `(text, lang)` of every line of `fixtures/eval/NAME`; `lang` is "en"
    /// where the line has none (the English sets of the other evaluations).
    fn read(name: &str) -> Vec<(String, String)> {
        let path = format!("{}/fixtures/eval/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["text"].as_str().unwrap().into(),
                    v["lang"].as_str().unwrap_or("en").into(),
                )
            })
            .collect()
    }

    /// (right, wrong, no guess) over `texts`.
    fn score(texts: &[(String, String)], max_chars: usize) -> (usize, usize, usize) {
        tally(texts, |t| detect_within(t, max_chars))
    }

    /// (right, wrong, no guess) of `guess` over `texts`.
    fn tally(
        texts: &[(String, String)],
        guess: impl Fn(&str) -> Option<String>,
    ) -> (usize, usize, usize) {
        let mut tally = (0, 0, 0);
        for (text, lang) in texts {
            match guess(text) {
                Some(l) if &l == lang => tally.0 += 1,
                Some(_) => tally.1 += 1,
                None => tally.2 += 1,
            }
        }
        tally
    }

    /// Each language's posts joined into one long text, then again in
    /// reverse order (1,300 to 1,800 characters but for Japanese), so that a
    /// prefix reads only part of it.
    fn articles(posts: &[(String, String)]) -> Vec<(String, String)> {
        let mut by: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for (text, lang) in posts {
            by.entry(lang).or_default().push(text);
        }
        by.into_iter()
            .map(|(lang, texts)| {
                let twice: Vec<&str> = texts.iter().chain(texts.iter().rev()).copied().collect();
                (twice.join(" "), lang.to_string())
            })
            .collect()
    }

    #[test]
    fn reading_a_prefix_labels_the_sample_as_well_as_reading_it_whole() {
        let posts = sample();
        let articles = articles(&posts);
        let long = articles
            .iter()
            .filter(|(t, _)| t.chars().count() > PREFIX_CHARS)
            .count();
        assert!(
            long >= 10,
            "only {long} articles are longer than the prefix"
        );
        for (what, texts) in [("posts", &posts), ("articles", &articles)] {
            let whole = score(texts, usize::MAX);
            let prefix = score(texts, PREFIX_CHARS);
            let short = score(texts, 200);
            eprintln!(
                "{what} ({}): (right, wrong, no guess) whole {whole:?}, first {PREFIX_CHARS} chars {prefix:?}, first 200 chars {short:?}",
                texts.len()
            );
            assert_eq!(prefix, whole, "{what}");
        }
    }

    /// What [`detect`] said before the English word test: whatlang alone.
    fn whatlang_alone(text: &str) -> Option<String> {
        let words = prose(prefix(text, PREFIX_CHARS));
        (words.chars().count() >= MIN_CHARS)
            .then(|| whatlang_guess(&words))
            .flatten()
    }

    #[test]
    fn the_english_word_test_names_no_other_language_and_loses_no_right_label() {
        for name in ["lang.jsonl", "lang-latin.jsonl"] {
            let texts = read(name);
            let before = tally(&texts, whatlang_alone);
            let after = tally(&texts, detect);
            eprintln!(
                "{name} ({}): (right, wrong, no guess) whatlang alone {before:?}, \
                 English words first {after:?}",
                texts.len()
            );
            for (text, lang) in &texts {
                if english(&prose(prefix(text, PREFIX_CHARS))) {
                    assert_eq!(lang, "en", "{text}");
                }
            }
            assert!(after.0 >= before.0, "{name}: fewer right");
            assert!(after.1 <= before.1, "{name}: more wrong");
        }
    }

    /// The English word test is what makes detection cheap, so it must
    /// catch most English posts; whatlang costs some 60 µs for each it lets
    /// through. The evaluation sets are English social posts, reviews and
    /// news.
    #[test]
    fn most_english_posts_need_no_whatlang() {
        let sets = [
            "sentiment.jsonl",
            "sentiment-social.jsonl",
            "sentiment-reviews.jsonl",
            "sentiment-news.jsonl",
            "intent.jsonl",
            "intent-heldout.jsonl",
            "emotion.jsonl",
            "emotion-heldout.jsonl",
            "mentions.jsonl",
            "mentions-heldout.jsonl",
        ];
        let (mut long, mut caught) = (0, 0);
        let (mut before, mut after) = ((0, 0, 0), (0, 0, 0));
        for name in sets {
            let texts = read(name);
            for (text, _) in &texts {
                let words = prose(prefix(text, PREFIX_CHARS));
                if words.chars().count() >= MIN_CHARS {
                    long += 1;
                    caught += usize::from(english(&words));
                }
            }
            let (b, a) = (tally(&texts, whatlang_alone), tally(&texts, detect));
            before = (before.0 + b.0, before.1 + b.1, before.2 + b.2);
            after = (after.0 + a.0, after.1 + a.1, after.2 + a.2);
        }
        eprintln!(
            "English sets: {caught} of {long} long enough texts caught by the word test; \
             (right, wrong, no guess) whatlang alone {before:?}, English words first {after:?}"
        );
        assert!(caught * 4 >= long * 3, "{caught} of {long}");
        assert!(after.1 <= before.1 && after.0 >= before.0);
    }
}
