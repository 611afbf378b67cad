//! The body of `earshot classify`: JSON lines in, one classification per
//! line out. Input is read as bytes, a line at a time, so a line that is not
//! UTF-8, not JSON or has no `text` is answered with an error line and a
//! warning naming it, and the lines after it are still read.
//!
//! An input line is either the small documented shape (`id`, `text`,
//! `title`, `author`, `url`, `lang`) or a line of `earshot items` as it is
//! printed (the item's `key` stands in for `id`, its author object for the
//! name, the rest is ignored). Classifying itself is [`Classifier`]'s.

use std::io::{BufRead, BufReader, Read, Write};

use serde::{Deserialize, Deserializer, Serialize};

use crate::classify::emotion::EmotionHit;
use crate::classify::{Classifier, Detect, Fields};
use crate::model::{Author, Mention, Sentiment};

/// One input line of `earshot classify`. Fields it does not know (those of
/// an `earshot items` line: `published`, `content_hash`, ...) are ignored.
#[derive(Debug, Deserialize)]
pub struct ClassifyInput {
    /// Echoed in the output; `null` is an id like any other.
    #[serde(default, deserialize_with = "present")]
    pub id: Option<serde_json::Value>,
    /// An `earshot items` line's key: the id when there is no `id`.
    #[serde(default)]
    pub key: Option<String>,
    pub text: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub author: Option<AuthorInput>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
}

/// A name, or an item's author as `earshot items` prints it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AuthorInput {
    Name(String),
    Account(Author),
}

impl AuthorInput {
    /// What `author:` queries look at, as for items in a pipeline.
    fn name(&self) -> Option<&str> {
        match self {
            AuthorInput::Name(n) => Some(n),
            AuthorInput::Account(a) => a.name.as_deref().or(a.handle.as_deref()),
        }
    }
}

/// Tells a missing `id` (`None`) from `"id": null` (`Some(Null)`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

#[derive(Debug, Serialize)]
pub struct ClassifyOutput {
    pub id: serde_json::Value,
    pub sentiment: Sentiment,
    /// Declared or detected; `null` when the text is too short or mixed to
    /// tell.
    pub lang: Option<String>,
    /// Emotions of the whole item (title and text), with their cues.
    pub emotions: Vec<EmotionHit>,
    pub mentions: Vec<Mention>,
}

/// Why an input line was not classified.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not UTF-8 (invalid byte at column {column})")]
    NotUtf8 { column: usize },
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("no `id` (or `key`)")]
    NoId,
}

/// Classifies JSON lines from `input` to `output`, one output line per
/// input line: a line that cannot be read gets `{"line": N, "error": ...}`
/// in its place, so outputs stay aligned with inputs, and a warning on the
/// log. Returns the number of bad lines; only an I/O error stops it.
///
/// Output is buffered, and flushed whenever no more input is buffered: a
/// file or a fast pipe is answered in large writes, and someone feeding
/// lines one at a time gets each answer before the next line is read.
pub fn classify_lines<R: Read>(
    classifier: &Classifier,
    input: &mut BufReader<R>,
    output: &mut dyn Write,
) -> std::io::Result<usize> {
    let mut bad = 0;
    let mut buf = Vec::new();
    let mut n = 0;
    loop {
        buf.clear();
        if input.buffer().is_empty() {
            output.flush()?;
        }
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        n += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let written = match classify_line(classifier, line) {
            Ok(out) => serde_json::to_writer(&mut *output, &out),
            Err(e) => {
                bad += 1;
                let msg = format!("stdin line {n}: {e}");
                tracing::warn!(line = n, error = %e, "Input line skipped.");
                serde_json::to_writer(
                    &mut *output,
                    &serde_json::json!({ "line": n, "error": msg }),
                )
            }
        };
        // What we build always serializes: a failure here is the output's.
        written.map_err(std::io::Error::from)?;
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(bad)
}

fn classify_line(classifier: &Classifier, line: &[u8]) -> Result<ClassifyOutput, LineError> {
    let line = std::str::from_utf8(line).map_err(|e| LineError::NotUtf8 {
        column: e.valid_up_to() + 1,
    })?;
    let i: ClassifyInput = serde_json::from_str(line)?;
    let id = match (i.id, i.key) {
        (Some(id), _) => id,
        (None, Some(key)) => serde_json::Value::String(key),
        (None, None) => return Err(LineError::NoId),
    };
    // The output reports every line's language, brand or not.
    let fields = Fields {
        text: &i.text,
        title: i.title.as_deref(),
        author: i.author.as_ref().and_then(AuthorInput::name),
        url: i.url.as_deref(),
        lang: i.lang.as_deref(),
    };
    let c = classifier.classify_with(&fields, Detect::Always);
    Ok(ClassifyOutput {
        id,
        sentiment: c.sentiment,
        lang: c.lang,
        emotions: c.emotions,
        mentions: c.mentions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(c: &Classifier, input: &[u8]) -> (usize, Vec<serde_json::Value>) {
        let mut out = Vec::new();
        let bad = classify_lines(c, &mut BufReader::new(input), &mut out).unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (bad, lines)
    }

    #[test]
    fn classify_answers_every_line_and_names_bad_ones() {
        let c = Classifier::sentiment_only();
        let input = b"{\"id\": 1, \"text\": \"I love it!\"}\nnot json\n{\"id\": \"x\", \"text\": \"This is terrible.\"}\n";
        let (bad, lines) = classify(&c, input);
        assert_eq!(bad, 1);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["id"], 1);
        assert_eq!(lines[0]["sentiment"]["label"], "positive");
        assert_eq!(lines[1]["line"], 2);
        assert!(lines[1]["error"].as_str().unwrap().contains("line 2"));
        assert_eq!(lines[2]["id"], "x");
        assert_eq!(lines[2]["sentiment"]["label"], "negative");
        // Too short to tell its language: `lang` is there, and null.
        assert_eq!(lines[0].get("lang"), Some(&serde_json::Value::Null));
        let long = b"{\"id\": 2, \"text\": \"The battery of this phone lasts two full days, which is wonderful.\"}\n";
        let (_, lines) = classify(&c, long);
        assert_eq!(lines[0]["lang"], "en");
    }

    #[test]
    fn a_line_of_invalid_utf8_is_named_and_the_next_ones_are_read() {
        let c = Classifier::sentiment_only();
        let mut input = b"{\"id\": 1, \"text\": \"fine\"}\r\n{\"id\": 2, \"text\": \"caf".to_vec();
        input.extend_from_slice(&[0xE9, b'"', b'}', b'\n']);
        input.extend_from_slice(b"\n{\"text\": \"no id\"}\n{\"id\": null, \"text\": \"ok\"}");
        let (bad, lines) = classify(&c, &input);
        assert_eq!(bad, 2);
        assert_eq!(lines.len(), 4, "the blank line gets no answer");
        assert_eq!(lines[0]["id"], 1);
        let utf8 = lines[1]["error"].as_str().unwrap();
        assert!(utf8.contains("line 2") && utf8.contains("UTF-8"), "{utf8}");
        assert!(utf8.contains("column 23"), "{utf8}");
        let no_id = lines[2]["error"].as_str().unwrap();
        assert!(
            no_id.contains("line 4") && no_id.contains("`id`"),
            "{no_id}"
        );
        assert_eq!(lines[3]["id"], serde_json::Value::Null);
        assert_eq!(lines[3]["sentiment"]["label"], "positive");
    }

    #[test]
    fn an_items_line_is_classified_by_its_key_and_author() {
        let brands = [crate::config::BrandConfig {
            name: "Acme".into(),
            query: "author:rant112 AND acme".into(),
            products: vec![],
            should_match: vec![],
            should_not_match: vec![],
        }];
        let c = Classifier::new(&brands).unwrap();
        let item = crate::model::Item {
            key: "post-1".into(),
            text: "Acme lost my files.".into(),
            author: Some(Author {
                name: Some("Rant112".into()),
                ..Author::default()
            }),
            content_hash: "h".into(),
            platform: "web".into(),
            published: Some("2026-01-02T03:04:05Z".parse().unwrap()),
            ..crate::model::Item::default()
        };
        let line = serde_json::to_vec(&item).unwrap();
        let (bad, lines) = classify(&c, &line);
        assert_eq!(bad, 0, "{lines:?}");
        assert_eq!(lines[0]["id"], "post-1");
        assert_eq!(lines[0]["mentions"][0]["brand"], "Acme");
    }

    #[test]
    fn each_line_and_each_mention_shows_its_emotions_with_their_cues() {
        let brands = [crate::config::BrandConfig {
            name: "Acme".into(),
            query: "acme".into(),
            products: vec![],
            should_match: vec![],
            should_not_match: vec![],
        }];
        let c = Classifier::new(&brands).unwrap();
        let input = b"{\"id\": 1, \"title\": \"Gutted\", \"text\": \"Acme lost my photos and I am furious.\"}\n";
        let (_, lines) = classify(&c, input);
        let anger = serde_json::json!({"emotion": "anger", "cues": ["furious"]});
        let sadness = serde_json::json!({"emotion": "sadness", "cues": ["Gutted"]});
        assert_eq!(lines[0]["emotions"], serde_json::json!([sadness, anger]));
        assert_eq!(
            lines[0]["mentions"][0]["emotions"],
            serde_json::json!([anger])
        );
        let (_, lines) = classify(&c, b"{\"id\": 2, \"text\": \"It is blue.\"}\n");
        assert_eq!(lines[0]["emotions"], serde_json::json!([]));
    }
}
