//! `run_eval` on throwaway folders with stand-in scorers whose answers are
//! known, so each line of the report can be checked figure by figure.

use super::*;

/// A throwaway evaluation folder holding `files`, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str, files: &[(&str, &str)]) -> Dir {
        let dir = std::env::temp_dir().join(format!("earshot-eval-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const SENTIMENT: &str = r#"{"text": "I love it", "label": "positive", "score": 0.7}
{"text": "It broke", "label": "negative", "score": -0.6}
{"text": "It is blue", "label": "neutral", "score": 0.0}"#;
const BRANDS: &str = r#"{"text": "Shell profits rise", "brand": "Shell"}
{"text": "a shell on the beach", "brand": null}"#;

/// "Shell" for any text naming it, the mention positive when the text says
/// "love"; "Globex" likewise, negative.
fn make(toml: &str) -> Result<BrandMatcher, String> {
    assert_eq!(toml, "queries");
    Ok(Box::new(|t: &str| {
        let lower = t.to_lowercase();
        let mut found = Vec::new();
        for (brand, sentiment) in [
            ("Shell", SentimentLabel::Positive),
            ("Globex", SentimentLabel::Negative),
        ] {
            if lower.contains(&brand.to_lowercase()) {
                found.push(FoundMention {
                    brand: brand.to_string(),
                    sentiment,
                });
            }
        }
        found
    }))
}

fn score(t: &str) -> f64 {
    if t.contains("love") {
        0.6
    } else if t.contains("broke") {
        -0.4
    } else {
        0.3
    }
}

fn intents(t: &str) -> Vec<Intent> {
    if t.contains('?') {
        vec![Intent::Question]
    } else {
        vec![]
    }
}

fn emotions(t: &str) -> Vec<Emotion> {
    if t.contains("Yay") {
        vec![Emotion::Joy, Emotion::Surprise]
    } else {
        vec![]
    }
}

const SCORERS: Scorers<'static> = Scorers {
    brands: &make,
    sentiment: &score,
    intents: &intents,
    emotions: &emotions,
};

#[test]
fn run_eval_reports_sentiment_and_brands() {
    let dir = Dir::new(
        "base",
        &[
            ("sentiment.jsonl", SENTIMENT),
            ("brands.jsonl", BRANDS),
            ("brands.toml", "queries"),
        ],
    );
    let report = run_eval(&dir.0, &SCORERS).unwrap();
    let first = report.lines().next().unwrap();
    // "It is blue" scores 0.3: labelled positive, so 2 of 3 right; F1 is
    // 2/3 positive, 1 negative, 0 neutral; r(0.7 -0.6 0, 0.6 -0.4 0.3) = 0.963;
    // the scores are 0.1, 0.2 and 0.3 off: mae 0.2.
    assert_eq!(
        first,
        "sentiment: n=3 accuracy=0.667 macro_f1=0.556 pearson=0.963 mae=0.200"
    );
    assert!(
        report.contains("brand Shell: precision=0.500 recall=1.000 tp=1 fp=1 fn=0"),
        "{report}"
    );
    assert!(
        report.contains("brands (all, n=2): precision=0.500 recall=1.000"),
        "{report}"
    );
    // The optional sets are absent: no line for them.
    for absent in [
        "sentiment-social",
        "mentions",
        "brands-both",
        "intent",
        "emotion",
    ] {
        assert!(!report.contains(absent), "{report}");
    }
    let failing =
        |_: &str| -> Result<BrandMatcher, String> { Err("brand X: column 3: bad".into()) };
    let scorers = Scorers {
        brands: &failing,
        ..SCORERS
    };
    let err = run_eval(&dir.0, &scorers).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("brands.toml: brand X: column 3: bad"),
        "{err}"
    );
    let err = run_eval(Path::new("/nonexistent-eval-dir"), &SCORERS).unwrap_err();
    assert!(matches!(err, EvalError::Read { .. }), "{err}");
}

#[test]
fn run_eval_scores_the_optional_sets_when_present() {
    let mentions = r#"{"text": "I love Shell, Globex broke", "mentions": [{"brand": "Shell", "label": "positive"}, {"brand": "Globex", "label": "positive"}]}
{"text": "Initech is fine", "mentions": [{"brand": "Initech", "label": "neutral"}]}"#;
    let both = r#"{"text": "Shell oil and sea shells", "brand": "Shell", "both_senses": true}
{"text": "Apple pie, apple juice", "brand": null, "both_senses": false}"#;
    const EMOTION: &str = r#"{"text": "Yay", "emotions": ["joy"]}
{"text": "So scared", "emotions": ["fear"]}
{"text": "It is blue", "emotions": []}"#;
    let intent = r#"{"text": "Is it open?", "intents": ["question"]}
{"text": "Please add dark mode", "intents": ["feature_request"]}
{"text": "Lovely weather", "intents": []}"#;
    let held_mentions =
        r#"{"text": "Globex broke", "mentions": [{"brand": "Globex", "label": "negative"}]}"#;
    let held_intent = r#"{"text": "Open on Sunday?", "intents": ["question", "purchase_intent"]}"#;
    let held_emotion = r#"{"text": "Yay, so happy", "emotions": ["joy"]}"#;
    let dir = Dir::new(
        "all",
        &[
            ("sentiment.jsonl", SENTIMENT),
            ("sentiment-news.jsonl", SENTIMENT),
            ("brands.jsonl", BRANDS),
            ("brands.toml", "queries"),
            ("mentions.jsonl", mentions),
            ("mentions.toml", "queries"),
            ("brands-both.jsonl", both),
            ("intent.jsonl", intent),
            ("emotion.jsonl", EMOTION),
            ("mentions-heldout.jsonl", held_mentions),
            ("intent-heldout.jsonl", held_intent),
            ("emotion-heldout.jsonl", held_emotion),
        ],
    );
    let report = run_eval(&dir.0, &SCORERS).unwrap();
    let line = |start: &str| {
        report
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no {start} line in {report}"))
    };
    assert_eq!(
        line("sentiment-news:"),
        "sentiment-news: n=3 accuracy=0.667 macro_f1=0.556 pearson=0.963 mae=0.200"
    );
    // Shell right, Globex wrong (negative for positive), Initech not found:
    // F1 positive 2*1/(2+1), negative 0 (predicted once, never gold),
    // neutral 0 (gold once, never predicted).
    assert_eq!(
        line("mentions:"),
        "mentions: n=3 accuracy=0.333 macro_f1=0.222 not_found=1"
    );
    assert_eq!(
        line("brands-both-senses:"),
        "brands-both-senses: n=2 precision=1.000 recall=1.000 tp=1 fp=0 fn=0"
    );
    assert_eq!(
        line("intent question:"),
        "intent question: precision=1.000 recall=1.000 f1=1.000 tp=1 fp=0 fn=0"
    );
    assert_eq!(
        line("intent feature_request:"),
        "intent feature_request: precision=0.000 recall=0.000 f1=0.000 tp=0 fp=0 fn=1"
    );
    // "Please add dark mode" predicted as no intent: a false "none".
    assert_eq!(
        line("intent none:"),
        "intent none: precision=0.500 recall=1.000 f1=0.667 tp=1 fp=1 fn=0"
    );
    // Pooled: tp 1, fn 1; macro over question (1) and feature_request (0).
    assert_eq!(
        line("intents (whole text"),
        "intents (whole text, n=3): precision=1.000 recall=0.500 micro_f1=0.667 macro_f1=0.500"
    );
    // "Yay": joy right, surprise a false alarm; "So scared": fear missed.
    assert_eq!(
        line("emotion joy:"),
        "emotion joy: precision=1.000 recall=1.000 f1=1.000 tp=1 fp=0 fn=0"
    );
    assert_eq!(
        line("emotion surprise:"),
        "emotion surprise: precision=0.000 recall=0.000 f1=0.000 tp=0 fp=1 fn=0"
    );
    assert_eq!(
        line("emotion none:"),
        "emotion none: precision=0.500 recall=1.000 f1=0.667 tp=1 fp=1 fn=0"
    );
    // Pooled: tp 1 (joy), fp 1 (surprise), fn 1 (fear); macro over the
    // emotions seen in gold or predictions: joy 1, fear 0, surprise 0.
    assert_eq!(
        line("emotions (whole text"),
        "emotions (whole text, n=3): precision=0.500 recall=0.500 micro_f1=0.500 macro_f1=0.333"
    );
    // The held-out files have lines of their own, and the two intent files
    // are also read as one set.
    assert_eq!(
        line("mentions-heldout:"),
        "mentions-heldout: n=1 accuracy=1.000 macro_f1=1.000 not_found=0"
    );
    assert_eq!(
        line("intent-heldout question:"),
        "intent-heldout question: precision=1.000 recall=1.000 f1=1.000 tp=1 fp=0 fn=0"
    );
    assert_eq!(
        line("intents-heldout (whole text"),
        "intents-heldout (whole text, n=1): precision=1.000 recall=0.500 micro_f1=0.667 macro_f1=0.500"
    );
    // Pooled: question 2 of 2; feature_request and purchase_intent missed.
    assert_eq!(
        line("intent-all question:"),
        "intent-all question: precision=1.000 recall=1.000 f1=1.000 tp=2 fp=0 fn=0"
    );
    assert_eq!(
        line("intents-all (whole text"),
        "intents-all (whole text, n=4): precision=1.000 recall=0.500 micro_f1=0.667 macro_f1=0.333"
    );
    // "Yay, so happy": joy right, surprise a false alarm.
    assert_eq!(
        line("emotions-heldout (whole text"),
        "emotions-heldout (whole text, n=1): precision=0.500 recall=1.000 micro_f1=0.667 macro_f1=0.500"
    );
    // Emotion is not pooled: the cues were tuned on one of the two files.
    assert!(!report.contains("emotion-all"), "{report}");
    std::fs::remove_file(dir.0.join("mentions.toml")).unwrap();
    let err = run_eval(&dir.0, &SCORERS).unwrap_err();
    assert!(err.to_string().contains("mentions.toml"), "{err}");
}
