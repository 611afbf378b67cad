//! The cap on entries per feed document.
//!
//! Owns cutting a document down to its first entries *before* feed-rs reads
//! it: feed-rs builds the whole model in memory, so a feed of 100,000 entries
//! would cost hundreds of megabytes before a single item came out. XML feeds
//! are cut after the cap-th closing `</item>` or `</entry>` and closed again;
//! JSON feeds are read with the entries past the cap skipped unparsed. It
//! does not decide what to tell the user; `parse_feed` reports the count.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::repair::{open_elements, walk_tags};

/// A document cut down to `cap` entries.
#[derive(Debug, PartialEq)]
pub(super) struct Capped {
    /// The shortened document, still well-formed.
    pub text: String,
    /// How many entries the whole document had.
    pub total: usize,
}

/// The document cut to its first `cap` entries, or `None` when it has no
/// more than `cap` (or is not a document this can cut; feed-rs then reads
/// it whole and reports what is wrong with it).
pub(super) fn cap_entries(text: &str, cap: usize) -> Option<Capped> {
    if text.trim_start().starts_with('{') {
        cap_json(text, cap)
    } else {
        cap_xml(text, cap)
    }
}

fn cap_xml(xml: &str, cap: usize) -> Option<Capped> {
    let mut total = 0;
    let mut cut = None;
    walk_tags(xml, |name, end| {
        // `rss:item`, `atom:entry`: the local name decides.
        let local = name.rsplit(':').next().unwrap_or(name);
        if local == "item" || local == "entry" {
            total += 1;
            if total == cap {
                cut = Some(end);
            }
        }
    });
    if total <= cap {
        return None;
    }
    let kept = &xml[..cut?];
    let closers: String = open_elements(kept)
        .iter()
        .rev()
        .map(|name| format!("</{name}>"))
        .collect();
    Some(Capped {
        text: format!("{kept}{closers}"),
        total,
    })
}

fn cap_json(json: &str, cap: usize) -> Option<Capped> {
    let mut de = serde_json::Deserializer::from_str(json);
    let (top, total) = TopLevel { cap }.deserialize(&mut de).ok()?;
    if total <= cap {
        return None;
    }
    let text = serde_json::to_string(&Value::Object(top)).ok()?;
    Some(Capped { text, total })
}

/// A JSON Feed's top-level object, its `items` cut to `cap`; also yields how
/// many items there were.
struct TopLevel {
    cap: usize,
}

impl<'de> DeserializeSeed<'de> for TopLevel {
    type Value = (Map<String, Value>, usize);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel {
    type Value = (Map<String, Value>, usize);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON Feed object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::new();
        let mut total = 0;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                let (kept, n) = map.next_value_seed(Items { cap: self.cap })?;
                total = n;
                out.insert(key, Value::Array(kept));
            } else {
                out.insert(key, map.next_value()?);
            }
        }
        Ok((out, total))
    }
}

/// The `items` array: the first `cap` kept, the rest counted and skipped.
struct Items {
    cap: usize,
}

impl<'de> DeserializeSeed<'de> for Items {
    type Value = (Vec<Value>, usize);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items {
    type Value = (Vec<Value>, usize);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept = Vec::new();
        let mut total = 0;
        loop {
            let more = if kept.len() < self.cap {
                seq.next_element::<Value>()?.map(|v| kept.push(v)).is_some()
            } else {
                seq.next_element::<IgnoredAny>()?.is_some()
            };
            if !more {
                return Ok((kept, total));
            }
            total += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_is_cut_after_the_cap_th_item_and_closed() {
        let xml = "<rss><channel><title>T</title>\
                   <item><title>a</title><description><![CDATA[</item>]]></description></item>\
                   <item><title>b</title></item><!-- </item> --><item><title>c</title></item>\
                   </channel></rss>";
        let capped = cap_entries(xml, 2).unwrap();
        assert_eq!(capped.total, 3);
        assert!(
            capped
                .text
                .ends_with("<item><title>b</title></item></channel></rss>"),
            "{}",
            capped.text
        );
        assert_eq!(cap_entries(xml, 3), None);
    }

    #[test]
    fn prefixed_atom_entries_count() {
        let xml = "<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\"><a:entry/><a:entry><a:title>x</a:title></a:entry>\
                   <a:entry><a:title>y</a:title></a:entry></a:feed>";
        // A self-closing entry has no closing tag and is not counted: it
        // holds nothing an item could be made of.
        let capped = cap_entries(xml, 1).unwrap();
        assert_eq!(capped.total, 2);
        assert!(capped.text.ends_with("x</a:title></a:entry></a:feed>"));
    }

    #[test]
    fn json_feed_items_past_the_cap_are_dropped() {
        let json = r#"{"version": "https://jsonfeed.org/version/1.1", "title": "J",
            "items": [{"id": "1"}, {"id": "2", "x": [1, {"y": 2}]}, {"id": "3"}], "home_page_url": "https://j.example/"}"#;
        let capped = cap_entries(json, 1).unwrap();
        assert_eq!(capped.total, 3);
        let v: Value = serde_json::from_str(&capped.text).unwrap();
        assert_eq!(v["items"], serde_json::json!([{"id": "1"}]));
        assert_eq!(v["title"], "J");
        assert_eq!(v["home_page_url"], "https://j.example/");
        assert_eq!(cap_entries(json, 3), None);
        assert_eq!(cap_entries("{\"items\": 5}", 1), None);
    }
}
