//! The `[[brands]]` entries: each brand's Boolean query and its products'
//! (the `///` line on each key is the user documentation), and [`build`],
//! which parses every query once, reports each that does not parse under
//! its key, and compiles them all into the [`Classifier`] the pipeline
//! classifies with. [`examples`] runs the brands' own test texts.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;

use super::{query, Classifier, Fields};
use crate::config::check::Errors;

/// A brand: a Boolean query and its products.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBrand {
    /// Name as it appears in records ("Acme").
    pub name: String,
    /// Boolean query that finds a mention of the brand.
    pub query: String,
    /// Products of the brand, each with its own query.
    #[serde(default)]
    pub products: Vec<RawProduct>,
    /// Texts the query must match; `earshot validate` checks them.
    #[serde(default)]
    pub should_match: Vec<String>,
    /// Texts the query must not match; `earshot validate` checks them.
    #[serde(default)]
    pub should_not_match: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    /// Name as it appears in records ("Acme Cloud").
    pub name: String,
    /// Boolean query that finds a mention of the product.
    pub query: String,
}

#[derive(Debug, Clone)]
pub struct ProductConfig {
    pub name: String,
    pub query: String,
}

#[derive(Debug, Clone)]
pub struct BrandConfig {
    pub name: String,
    pub query: String,
    pub products: Vec<ProductConfig>,
    pub should_match: Vec<String>,
    pub should_not_match: Vec<String>,
}

/// The brands, and their queries compiled into a classifier: each query
/// is parsed here once, for the checks and for classifying.
pub fn build(raw: Vec<toml::Value>, errors: &mut Errors) -> (Vec<BrandConfig>, Arc<Classifier>) {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    let mut queries = Vec::new();
    let mut complete = true;
    for (i, value) in raw.into_iter().enumerate() {
        let key = format!("brands[{i}]");
        let Some(b) = errors.section::<RawBrand>(&key, value) else {
            complete = false;
            continue;
        };
        if !names.insert(b.name.to_lowercase()) {
            errors.err(
                format!("{key}.name"),
                format!("brand `{}` is defined twice", b.name),
            );
        }
        queries.push(check_query(errors, &format!("{key}.query"), &b.query));
        for (j, p) in b.products.iter().enumerate() {
            queries.push(check_query(
                errors,
                &format!("{key}.products[{j}].query"),
                &p.query,
            ));
        }
        out.push(BrandConfig {
            name: b.name,
            query: b.query,
            products: b
                .products
                .into_iter()
                .map(|p| ProductConfig {
                    name: p.name,
                    query: p.query,
                })
                .collect(),
            should_match: b.should_match,
            should_not_match: b.should_not_match,
        });
    }
    let parsed: Option<Vec<_>> = queries.into_iter().collect();
    let classifier = match parsed {
        Some(queries) if complete => Classifier::from_parsed(&out, queries),
        // The file has errors and will be refused; nothing classifies.
        _ => Classifier::sentiment_only(),
    };
    (out, Arc::new(classifier))
}

fn check_query(errors: &mut Errors, key: &str, q: &str) -> Option<query::Query> {
    match query::parse(q) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            errors.err(key, format!("{e} in `{q}`"));
            None
        }
    }
}
/// Runs each brand's `should_match` / `should_not_match` examples through
/// the compiled queries (`earshot validate`; `run` and `backfill` do not):
/// a query that misses a text it should find, or finds one it should not,
/// is an error of the file like any other.
pub fn examples(brands: &[BrandConfig], classifier: &Classifier, errors: &mut Errors) {
    if classifier.is_empty() && !brands.is_empty() {
        // The queries did not compile; those errors are reported already.
        return;
    }
    for (i, b) in brands.iter().enumerate() {
        let hit = |text: &str| {
            let f = Fields {
                text,
                ..Fields::default()
            };
            classifier
                .classify(&f)
                .mentions
                .iter()
                .any(|m| m.brand == b.name)
        };
        for ex in &b.should_match {
            if !hit(ex) {
                let message = format!("`{}` does not match \"{ex}\"", b.name);
                errors.err(format!("brands[{i}].should_match"), message);
            }
        }
        for ex in &b.should_not_match {
            if hit(ex) {
                let message = format!("`{}` matches \"{ex}\"", b.name);
                errors.err(format!("brands[{i}].should_not_match"), message);
            }
        }
    }
}
