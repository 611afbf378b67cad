//! The brands' `should_match` / `should_not_match` examples, run through
//! the compiled queries by `earshot validate`: a query that misses a text it
//! should find, or finds one it should not, is an error of the file like any
//! other. `run` and `backfill` do not run them.

use super::Validator;
use crate::classify::{Classifier, Fields};
use crate::config::BrandConfig;

impl Validator<'_> {
    pub(super) fn examples(&mut self, brands: &[BrandConfig], classifier: &Classifier) {
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
                    self.err(format!("brands[{i}].should_match"), message);
                }
            }
            for ex in &b.should_not_match {
                if hit(ex) {
                    let message = format!("`{}` matches \"{ex}\"", b.name);
                    self.err(format!("brands[{i}].should_not_match"), message);
                }
            }
        }
    }
}
