use super::*;
use Emotion::*;

fn cues_of(text: &str, emotion: Emotion) -> Option<Vec<String>> {
    detect(text)
        .into_iter()
        .find(|h| h.emotion == emotion)
        .map(|h| h.cues)
}

fn emotions(text: &str) -> Vec<Emotion> {
    detect(text).into_iter().map(|h| h.emotion).collect()
}

#[test]
fn each_emotion_is_found_with_the_words_that_show_it() {
    let cases: &[(&str, Emotion, &str)] = &[
        (
            "Absolutely fuming with the courier.",
            Anger,
            "Absolutely fuming",
        ),
        ("I'm sick of these fees.", Anger, "sick of"),
        ("The towels were gross.", Disgust, "gross"),
        ("The smell made me sick.", Disgust, "made me sick"),
        ("What if the parcel never comes?", Fear, "What if"),
        ("Worried about the move.", Fear, "Worried"),
        ("Thrilled with the new phone.", Joy, "Thrilled"),
        (
            "Can't believe it shipped a day early.",
            Surprise,
            "Can't believe",
        ),
        ("It went dark out of nowhere.", Surprise, "out of nowhere"),
        (
            "Really disappointed by the update.",
            Sadness,
            "Really disappointed",
        ),
    ];
    for &(text, emotion, cue) in cases {
        assert_eq!(
            cues_of(text, emotion),
            Some(vec![cue.to_string()]),
            "{text}"
        );
    }
}

#[test]
fn a_negated_cue_is_dropped() {
    assert_eq!(emotions("I'm not worried about the delay."), []);
    assert_eq!(emotions("Never happy with their support."), []);
    assert_eq!(emotions("The app isn't really scary."), []);
    // A negation in another clause does not reach the cue.
    assert_eq!(emotions("It isn't cheap, but I love it."), [Joy]);
    // Phrases that hold their own negation are cues, not negated ones.
    assert_eq!(emotions("Couldn't be happier."), [Joy]);
    assert_eq!(emotions("I don't feel safe in this car."), [Fear]);
}

#[test]
fn emoji_are_cues_and_intensity_orders_the_hits() {
    assert_eq!(
        cues_of("Delivery late again 😤", Anger),
        Some(vec!["😤".into()])
    );
    assert_eq!(
        cues_of("Broken on arrival 💔️", Sadness),
        Some(vec!["💔".into()])
    );
    // One intensified cue outweighs one plain cue written first.
    assert_eq!(
        emotions("Wow, the battery. I'm so disappointed."),
        [Sadness, Surprise]
    );
    // A cue written twice is listed once, and counts twice.
    let hits = detect("Gross. Just gross. Kind of surprised.");
    assert_eq!(hits[0].emotion, Disgust);
    assert_eq!(hits[0].cues, ["Gross", "gross"]);
}

#[test]
fn the_longest_cue_wins_over_the_word_inside_it() {
    // "Oh brilliant" is sarcasm, not the joy of "brilliant".
    assert_eq!(emotions("Oh brilliant, it crashed again."), [Anger]);
    assert_eq!(emotions("How did I miss that setting?"), [Surprise]);
}

#[test]
fn plain_facts_carry_no_emotion() {
    assert!(detect("Ordered the blue one, arriving Thursday.").is_empty());
    assert!(detect("").is_empty());
}
