//! Feedback that no feed carries: what an employee files in the workspace
//! (a post they came across, a spike in the web statistics, an anecdote
//! from sales) and what anyone sends through the public form.
//!
//! Pure: [`check`] validates the fields and names each one at fault;
//! [`item`] makes the [`Item`] a source would have made, so that it goes
//! through the same classification and records as everything fetched; and
//! [`classify`] keeps the brand a person chose even where the text does not
//! name it. Delivering and routing are the caller's.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::classify::{emotion, intent, Classifier, Detect};
use crate::model::{Author, Classification, Item, Mention};

/// What kind of information it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A post seen on a blog or a social network.
    Post,
    WebStatistics,
    /// Heard by sales or support.
    Anecdote,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Post, Kind::WebStatistics, Kind::Anecdote, Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::WebStatistics => "web_statistics",
            Kind::Anecdote => "anecdote",
            Kind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Post => "Post seen on a blog or social network",
            Kind::WebStatistics => "Web statistics",
            Kind::Anecdote => "Sales or support anecdote",
            Kind::Other => "Other",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// The fields as submitted (a JSON body or a form).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawIntake {
    #[serde(default)]
    pub text: String,
    pub title: Option<String>,
    pub brand: Option<String>,
    pub product: Option<String>,
    pub kind: Option<String>,
    pub url: Option<String>,
    pub influencer: Option<RawAuthor>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawAuthor {
    pub screen_name: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
}

/// Checked intake: what [`item`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub text: String,
    pub title: Option<String>,
    /// The brand as configured (its canonical spelling).
    pub brand: Option<String>,
    pub product: Option<String>,
    pub kind: Kind,
    pub url: Option<String>,
    pub author: Option<Author>,
}

/// A field that cannot be taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

pub const MAX_TEXT_CHARS: usize = 20_000;

/// A trimmed, non-empty value, or none.
fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks every field against the pipeline's brands (`brands`: name and
/// product names), reporting all problems at once.
pub fn check(raw: &RawIntake, brands: &[(&str, Vec<&str>)]) -> Result<Intake, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        })
    };
    let text = raw.text.trim().to_string();
    if text.is_empty() {
        bad("text", "missing: say what was heard".into());
    } else if text.chars().count() > MAX_TEXT_CHARS {
        bad("text", format!("longer than {MAX_TEXT_CHARS} characters"));
    }
    let title = given(&raw.title).map(str::to_string);
    if title.as_ref().is_some_and(|t| t.chars().count() > 300) {
        bad("title", "longer than 300 characters".into());
    }
    let brand = given(&raw.brand).and_then(|b| {
        let found = brands.iter().find(|(n, _)| n.eq_ignore_ascii_case(b));
        if found.is_none() {
            let names: Vec<&str> = brands.iter().map(|(n, _)| *n).collect();
            bad("brand", format!("`{b}` is not one of {}", names.join(", ")));
        }
        found
    });
    let product = given(&raw.product).and_then(|p| {
        let Some((name, products)) = brand else {
            bad("product", "a product needs its brand".into());
            return None;
        };
        let found = products.iter().find(|x| x.eq_ignore_ascii_case(p));
        if found.is_none() {
            bad(
                "product",
                format!("`{p}` is not a product of {name} ({})", products.join(", ")),
            );
        }
        found.map(|p| p.to_string())
    });
    let kind = match given(&raw.kind) {
        None => Kind::Other,
        Some(k) => Kind::parse(k).unwrap_or_else(|| {
            let all: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            bad("kind", format!("`{k}` is not one of {}", all.join(", ")));
            Kind::Other
        }),
    };
    let url = given(&raw.url).and_then(|u| web_url(u).map_err(|m| bad("url", m)).ok());
    let author = raw.influencer.as_ref().and_then(|a| {
        let name = given(&a.screen_name).map(str::to_string);
        let url = given(&a.url).and_then(|u| web_url(u).map_err(|m| bad("influencer.url", m)).ok());
        let description = given(&a.description).map(str::to_string);
        if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
            bad(
                "influencer.screen_name",
                "longer than 100 characters".into(),
            );
        }
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 2000)
        {
            bad(
                "influencer.description",
                "longer than 2000 characters".into(),
            );
        }
        if name.is_none() && url.is_none() {
            if description.is_some() {
                bad(
                    "influencer.screen_name",
                    "an influencer needs a screen name or a profile address".into(),
                );
            }
            return None;
        }
        Some(Author {
            name,
            url,
            description,
            ..Author::default()
        })
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Intake {
        text,
        title,
        brand: brand.map(|(n, _)| n.to_string()),
        product,
        kind,
        url,
        author,
    })
}

/// An absolute http(s) address of at most 2,000 characters.
fn web_url(s: &str) -> Result<String, String> {
    if s.len() > 2000 {
        return Err("longer than 2000 characters".into());
    }
    match url::Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u.to_string()),
        Ok(_) => Err(format!("`{s}` is not an http or https address")),
        Err(e) => Err(format!("`{s}` is not a web address ({e})")),
    }
}

/// The item a source would have made of it. `key` must be unique (the
/// caller draws it at random), `platform` says where it came in.
pub fn item(intake: &Intake, key: String, platform: &str, at: DateTime<Utc>) -> Item {
    Item {
        content_hash: crate::normalize::content_hash(intake.title.as_deref(), &intake.text),
        key,
        url: intake.url.clone(),
        title: intake.title.clone(),
        text: intake.text.clone(),
        published: Some(at),
        updated: None,
        author: intake.author.clone(),
        source_title: Some(intake.kind.label().to_string()),
        platform: platform.to_string(),
        lang: None,
        parent: None,
        engagement: None,
    }
}

/// Classifies like any item; where a person chose the brand (and product),
/// the record is about that brand, whether or not the text names it. None
/// when no brand was chosen and the text names none.
pub fn classify(classifier: &Classifier, item: &Item, intake: &Intake) -> Option<Classification> {
    // A chosen brand makes a record whatever the text names, and records
    // carry the language.
    let detect = match intake.brand {
        Some(_) => Detect::Always,
        None => Detect::WhereNeeded,
    };
    let mut class = classifier.classify_with(&crate::pipeline::fields(item), detect);
    if let Some(brand) = &intake.brand {
        let found = class
            .mentions
            .iter()
            .position(|m| m.brand.eq_ignore_ascii_case(brand));
        let mut m = match found {
            Some(i) => class.mentions.swap_remove(i),
            None => Mention {
                brand: brand.clone(),
                products: Vec::new(),
                terms: Vec::new(),
                sentiment: class.sentiment,
                excerpt: excerpt(&item.text),
                intents: intent::detect(&item.text, class.sentiment.score),
                emotions: emotion::detect(&item.text),
                capped: None,
            },
        };
        if let Some(p) = &intake.product {
            if !m.products.iter().any(|x| x.eq_ignore_ascii_case(p)) {
                m.products.push(p.clone());
            }
        }
        class.mentions = vec![m];
    }
    (!class.mentions.is_empty()).then_some(class)
}

/// The first 400 characters, cut at a word.
fn excerpt(text: &str) -> String {
    if text.chars().count() <= 400 {
        return text.to_string();
    }
    let cut: String = text.chars().take(400).collect();
    let end = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

#[cfg(test)]
mod tests;
