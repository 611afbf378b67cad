//! The labelled sets as files: one struct per kind of line, read strictly
//! (`deny_unknown_fields`, labels as closed enums), so that a typo in a
//! fixture is an error naming its file and line rather than an example
//! silently scored as something else.

use std::path::Path;

use super::EvalError;
use crate::classify::emotion::Emotion;
use crate::classify::intent::Intent;
use crate::model::SentimentLabel;

/// One line of `sentiment.jsonl` and of the held-out `sentiment-*.jsonl`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentExample {
    pub text: String,
    pub label: SentimentLabel,
    pub score: f64,
}

/// One line of `brands.jsonl` or `brands-both.jsonl`: the brand the text
/// mentions, if any.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandExample {
    pub text: String,
    pub brand: Option<String>,
    /// In `brands-both.jsonl`: whether the post uses the name in the
    /// brand's sense and in another one. Not scored on its own; it says
    /// which kind of post a line is.
    #[serde(default)]
    pub both_senses: Option<bool>,
}

/// One line of `mentions.jsonl`: a post and the attitude it takes to each
/// brand it names.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MentionsExample {
    pub text: String,
    pub mentions: Vec<LabelledMention>,
}

/// One brand of a [`MentionsExample`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelledMention {
    pub brand: String,
    pub label: SentimentLabel,
}

/// One line of `intent.jsonl`: every intent that applies, none for an
/// empty list.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentExample {
    pub text: String,
    pub intents: Vec<Intent>,
}

/// One line of `emotion.jsonl`: every emotion the author expresses, none
/// for an empty list.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmotionExample {
    pub text: String,
    pub emotions: Vec<Emotion>,
}

/// Parses JSON lines, skipping blank ones, each with its 1-based line number.
fn parse_lines<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<Vec<(usize, T)>, EvalError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|source| EvalError::Json {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        out.push((i + 1, value));
    }
    if out.is_empty() {
        return Err(EvalError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// The examples of a file's contents, line numbers dropped.
pub fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<Vec<T>, EvalError> {
    Ok(parse_lines(path, text)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// The examples of a sentiment file's contents, scores checked.
pub fn parse_sentiment(path: &Path, text: &str) -> Result<Vec<SentimentExample>, EvalError> {
    parse_lines::<SentimentExample>(path, text)?
        .into_iter()
        .map(|(line, e)| {
            if (-1.0..=1.0).contains(&e.score) {
                Ok(e)
            } else {
                Err(EvalError::Score {
                    path: path.to_path_buf(),
                    line,
                    score: e.score,
                })
            }
        })
        .collect()
}

/// The examples of a `brands.jsonl` file's contents.
pub fn parse_brands(path: &Path, text: &str) -> Result<Vec<BrandExample>, EvalError> {
    parse(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_errors_name_file_and_line() {
        let path = Path::new("eval/sentiment.jsonl");
        let ok = "{\"text\": \"fine\", \"label\": \"positive\", \"score\": 0.2}\n\n";
        assert_eq!(
            parse_sentiment(path, ok).unwrap()[0].label,
            SentimentLabel::Positive
        );
        let bad_label = format!("{ok}{{\"text\": \"x\", \"label\": \"good\", \"score\": 0.2}}");
        let err = parse_sentiment(path, &bad_label).unwrap_err().to_string();
        assert!(err.starts_with("eval/sentiment.jsonl, line 3:"), "{err}");
        let bad_score = "{\"text\": \"x\", \"label\": \"negative\", \"score\": -3}";
        let err = parse_sentiment(path, bad_score).unwrap_err().to_string();
        assert!(err.contains("line 1: score -3 is outside"), "{err}");
        assert!(matches!(
            parse_brands(path, "\n"),
            Err(EvalError::Empty { .. })
        ));
        let brand = parse_brands(path, "{\"text\": \"Shell profits\", \"brand\": null}").unwrap();
        assert_eq!(brand[0].brand, None);
    }

    #[test]
    fn both_senses_is_accepted_and_unknown_fields_or_intents_are_not() {
        let path = Path::new("eval/brands-both.jsonl");
        let line = r#"{"text": "Shell oil, sea shells", "brand": "Shell", "both_senses": true}"#;
        assert_eq!(parse_brands(path, line).unwrap()[0].both_senses, Some(true));
        let typo = r#"{"text": "x", "brand": null, "both_sense": true}"#;
        assert!(parse_brands(path, typo).is_err());
        let path = Path::new("eval/intent.jsonl");
        let ok = r#"{"text": "Please add dark mode", "intents": ["feature_request"]}"#;
        let parsed: Vec<IntentExample> = parse(path, ok).unwrap();
        assert_eq!(parsed[0].intents, [Intent::FeatureRequest]);
        let unknown = r#"{"text": "x", "intents": ["feature request"]}"#;
        let err = parse::<IntentExample>(path, unknown).unwrap_err();
        assert!(
            err.to_string().starts_with("eval/intent.jsonl, line 1:"),
            "{err}"
        );
    }
}
