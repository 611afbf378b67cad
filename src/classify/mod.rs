//! Classification: which brands and products an item mentions, and how it feels.
//!
//! [`Classifier`] compiles every brand's and product's query once into one
//! [`query::QuerySet`], then classifies items with plain synchronous calls.
//! The query language lives in [`query`], sentiment in [`sentiment`], and
//! how a brand's matches become one mention (its sentences, excerpt,
//! intents, emotions, and the cap on how many places are read) in `mentions`.
//! An item's text is split into sentences and words once, into a `document`
//! that emotion, intent and the placing of mentions read. This module does
//! not decide what is worth a record: that is [`crate::record`].

mod compare;
pub mod config;
mod cues;
mod document;
pub mod emotion;
mod fx;
pub mod intent;
pub mod lang;
mod mentions;
pub mod query;
pub mod sentiment;

use crate::model::Classification;
pub use config::BrandConfig;

pub use mentions::MAX_OCCURRENCES;
pub use query::Fields;

/// What a query in the set stands for.
#[derive(Debug, Clone, Copy)]
enum Target {
    Brand(usize),
    Product(usize, usize),
}

/// When to detect the language of an item that declares none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detect {
    /// Only where it changes something: a brand matched (its records carry
    /// the language) or a `lang:` term needs it. Otherwise
    /// [`Classification::lang`] stays `None`.
    WhereNeeded,
    /// For every item, for callers that report each item's language.
    Always,
}

/// Brand and product queries, compiled once.
pub struct Classifier {
    set: query::QuerySet,
    targets: Vec<Target>,
    brands: Vec<(String, Vec<String>)>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("queries", &self.targets.len())
            .finish()
    }
}

impl Classifier {
    /// Compiles the brands of a pipeline. Queries were checked when the
    /// pipeline was validated, so a parse error here names the culprit.
    pub fn new(brands: &[BrandConfig]) -> Result<Classifier, String> {
        let mut queries = Vec::new();
        for brand in brands {
            let q = query::parse(&brand.query).map_err(|e| format!("brand {}: {e}", brand.name))?;
            queries.push(q);
            for product in &brand.products {
                let q = query::parse(&product.query)
                    .map_err(|e| format!("product {}: {e}", product.name))?;
                queries.push(q);
            }
        }
        Ok(Classifier::from_parsed(brands, queries))
    }

    /// Compiles queries parsed already (by the pipeline's validation), in
    /// order: each brand's query, then its products' queries.
    pub fn from_parsed(brands: &[BrandConfig], queries: Vec<query::Query>) -> Classifier {
        let mut targets = Vec::new();
        for (b, brand) in brands.iter().enumerate() {
            targets.push(Target::Brand(b));
            for p in 0..brand.products.len() {
                targets.push(Target::Product(b, p));
            }
        }
        assert_eq!(
            targets.len(),
            queries.len(),
            "one query per brand and product"
        );
        Classifier {
            set: query::QuerySet::new(queries),
            targets,
            brands: brands
                .iter()
                .map(|b| {
                    (
                        b.name.clone(),
                        b.products.iter().map(|p| p.name.clone()).collect(),
                    )
                })
                .collect(),
        }
    }

    /// A classifier with no brands: sentiment only.
    pub fn sentiment_only() -> Classifier {
        Classifier::new(&[]).expect("no queries to parse")
    }

    /// Whether any brand or product query matches: the cheap test that lets
    /// a firehose source drop the posts nobody listens for before spending
    /// anything else on them.
    pub fn mentions_any(&self, doc: &Fields<'_>) -> bool {
        if self.targets.is_empty() {
            return false;
        }
        // As in `classify`: `lang:` terms need a language where none is declared.
        !self
            .set
            .matches_detecting(doc, || lang::detect(doc.text))
            .is_empty()
    }

    /// Classifies one document. A brand is mentioned when its own query or
    /// one of its products' queries matches. The language is detected only
    /// where it changes something ([`Detect::WhereNeeded`]).
    pub fn classify(&self, doc: &Fields<'_>) -> Classification {
        self.classify_with(doc, Detect::WhereNeeded)
    }

    /// Classifies one document, detecting the language of one that declares
    /// none as `detect` says.
    pub fn classify_with(&self, doc: &Fields<'_>, detect: Detect) -> Classification {
        // A declared language wins; detection fills the gap so `lang:`
        // restrictions work on sources that declare none. Whatlang is most
        // of the cost of classifying an item, so it runs only when asked.
        let mut detected: Option<Option<String>> = None;
        let mut guess = || {
            detected
                .get_or_insert_with(|| lang::detect(doc.text))
                .clone()
        };
        let matches = self.set.matches_detecting(doc, &mut guess);
        let lang = match doc.lang {
            Some(l) => Some(l.to_string()),
            None if detect == Detect::Always || !matches.is_empty() => guess(),
            None => None,
        };
        let doc = &Fields {
            lang: lang.as_deref(),
            ..*doc
        };
        let titled;
        let (read, text_at) = match doc.title {
            Some(t) if !t.is_empty() => {
                titled = format!("{t}.\n{}", doc.text);
                (titled.as_str(), t.len() + 2)
            }
            _ => (doc.text, 0),
        };
        let split = document::Document::item(read, text_at);
        let whole = split.sentiment();
        let emotions = emotion::detect_in(&split);
        // Per brand mentioned: products, terms, and every span that matched.
        // A map of the few brands found, not a slot per brand: with 10,000
        // brands, clearing a slot each per item would cost more than matching.
        let mut per_brand: std::collections::BTreeMap<usize, mentions::Found> = Default::default();
        for m in matches {
            let (b, product) = match self.targets[m.index] {
                Target::Brand(b) => (b, None),
                Target::Product(b, p) => (b, Some(p)),
            };
            let entry = per_brand.entry(b).or_default();
            if let Some(p) = product {
                entry.products.push(self.brands[b].1[p].clone());
            }
            entry.add_terms(m.terms);
            entry.spans.extend(m.spans);
        }
        let mut item = mentions::Item::new(&split, doc.text, doc.title, whole);
        if per_brand.len() > 1 {
            item.set_places(
                per_brand
                    .iter()
                    .flat_map(|(b, f)| f.spans.iter().map(move |s| (*b, s.clone())))
                    .collect(),
            );
        }
        let mentions = per_brand
            .into_iter()
            .map(|(b, found)| item.mention(b, &self.brands[b].0, found))
            .collect();
        // Its buffers go back to the thread for the next item, and it
        // borrows `lang` through `doc`.
        drop(split);
        Classification {
            sentiment: whole,
            lang,
            emotions,
            mentions,
        }
    }

    /// Number of compiled queries (brands plus products).
    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::intent::Intent;
    use crate::model::SentimentLabel;

    fn brand(name: &str, query: &str) -> BrandConfig {
        BrandConfig {
            name: name.into(),
            query: query.into(),
            products: vec![],
            should_match: vec![],
            should_not_match: vec![],
        }
    }

    fn text(t: &str) -> Fields<'_> {
        Fields {
            text: t,
            ..Fields::default()
        }
    }

    #[test]
    fn lang_restrictions_use_the_detected_language_when_none_is_declared() {
        let c = Classifier::new(&[brand("Acme", "acme AND lang:de")]).unwrap();
        let de =
            "Der Akku von Acme hält leider nur einen halben Tag, das ist wirklich enttäuschend.";
        let en = "The Acme battery only lasts half a day, which is really disappointing for me.";
        let found = c.classify(&text(de));
        assert_eq!(found.lang.as_deref(), Some("de"));
        assert_eq!(found.mentions.len(), 1);
        assert!(c.classify(&text(en)).mentions.is_empty());
        // A declared language wins over detection.
        let declared = Fields {
            lang: Some("de"),
            ..text(en)
        };
        assert_eq!(c.classify(&declared).mentions.len(), 1);
    }

    #[test]
    fn the_language_is_detected_where_a_brand_matched_or_when_asked() {
        let c = Classifier::new(&[brand("Acme", "acme")]).unwrap();
        let de = "Weiß jemand, ob der Laden in der Innenstadt sonntags geöffnet hat?";
        assert_eq!(c.classify(&text(de)).lang, None);
        let always = c.classify_with(&text(de), Detect::Always);
        assert_eq!(always.lang.as_deref(), Some("de"));
        let named = format!("{de} Acme hat geantwortet.");
        assert_eq!(c.classify(&text(&named)).lang.as_deref(), Some("de"));
        // `NOT lang:` needs the language although no word anchors it.
        let c = Classifier::new(&[brand("Acme", "acme NOT lang:de")]).unwrap();
        assert!(c.classify(&text(&named)).mentions.is_empty());
        assert!(!c.mentions_any(&text(&named)));
    }

    #[test]
    fn each_brand_gets_the_sentiment_and_intent_of_its_own_sentences() {
        let c = Classifier::new(&[brand("Acme", "acme"), brand("Globex", "globex")]).unwrap();
        let t = "I love my Globex router, it is brilliant. Acme Cloud lost my files again and I am cancelling my subscription.";
        let found = c.classify(&text(t));
        let acme = found.mentions.iter().find(|m| m.brand == "Acme").unwrap();
        let globex = found.mentions.iter().find(|m| m.brand == "Globex").unwrap();
        assert_eq!(globex.sentiment.label, SentimentLabel::Positive);
        assert_eq!(acme.sentiment.label, SentimentLabel::Negative);
        assert!(acme.intents.iter().any(|h| h.intent == Intent::ChurnRisk));
        assert!(!globex.intents.iter().any(|h| h.intent == Intent::ChurnRisk));
        assert!(acme.excerpt.starts_with("Acme Cloud lost my files"));
    }

    #[test]
    fn each_brand_gets_the_emotions_of_its_own_sentences_and_the_item_all_of_them() {
        use crate::classify::emotion::Emotion;
        let c = Classifier::new(&[brand("Acme", "acme"), brand("Globex", "globex")]).unwrap();
        let t = "Thrilled with my Globex router. Acme billed me twice and I am furious.";
        let found = c.classify(&text(t));
        let of = |name: &str| -> Vec<Emotion> {
            let m = found.mentions.iter().find(|m| m.brand == name).unwrap();
            m.emotions.iter().map(|h| h.emotion).collect()
        };
        assert_eq!(of("Globex"), [Emotion::Joy]);
        assert_eq!(of("Acme"), [Emotion::Anger]);
        let acme = found.mentions.iter().find(|m| m.brand == "Acme").unwrap();
        assert_eq!(acme.emotions[0].cues, ["furious"]);
        let whole: Vec<Emotion> = found.emotions.iter().map(|h| h.emotion).collect();
        assert_eq!(whole, [Emotion::Joy, Emotion::Anger]);
        // The title is part of the item.
        let titled = Fields {
            title: Some("Worried about my data"),
            ..text("Nothing else to say.")
        };
        let item = c.classify(&titled);
        assert_eq!(item.emotions[0].emotion, Emotion::Fear);
    }

    #[test]
    fn a_brand_named_ten_thousand_times_is_read_at_its_first_places_and_says_so() {
        let c = Classifier::new(&[brand("Acme", "acme")]).unwrap();
        // Praise first, complaints after the cap: only the praise is read.
        let t = format!(
            "{}{}",
            "I love my Acme phone, it works great. ".repeat(MAX_OCCURRENCES),
            "Acme crashed again and support ignored me. ".repeat(10_000 - MAX_OCCURRENCES)
        );
        let found = c.classify(&text(&t));
        let acme = &found.mentions[0];
        let capped = acme.capped.expect("capped");
        assert_eq!(capped.occurrences, 10_000);
        assert_eq!(capped.considered, MAX_OCCURRENCES);
        assert_eq!(acme.sentiment.label, SentimentLabel::Positive);
        assert!(!acme.intents.iter().any(|h| h.intent == Intent::Complaint));
        assert_eq!(acme.excerpt, "I love my Acme phone, it works great.");
        assert!(acme.terms.len() <= MAX_OCCURRENCES);
    }

    #[test]
    fn a_brand_named_a_few_times_is_not_capped() {
        let c = Classifier::new(&[brand("Acme", "acme")]).unwrap();
        let found = c.classify(&text("Acme is fine. Acme is slow. Acme crashed."));
        assert_eq!(found.mentions[0].capped, None);
    }
}
