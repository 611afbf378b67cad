//! Which kind of feed a document is.
//!
//! Owns naming the format for people debugging a feed (`earshot items
//! --feed`). feed-rs reports only its own reader (it reads RSS 0.93 as 2.0
//! once relabelled, and Atom 0.3 once mapped), so the name is worked out
//! from what feed-rs read and from the document as it came.

use feed_rs::model::FeedType;
use serde::Serialize;

use super::repair;

/// The format a feed document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FeedFormat {
    #[serde(rename = "rss2")]
    Rss2,
    #[serde(rename = "rss1")]
    Rss1,
    /// RSS 0.90 (RDF) and 0.91 to 0.94.
    #[serde(rename = "rss0.9x")]
    Rss09x,
    /// An `<rss>` root without a version, or with one no specification
    /// defines (feedparser's plain "rss").
    #[serde(rename = "rss")]
    Rss,
    #[serde(rename = "atom1")]
    Atom1,
    #[serde(rename = "atom0.3")]
    Atom03,
    #[serde(rename = "json-feed")]
    JsonFeed,
}

const RSS_090: &str = "http://my.netscape.com/rdf/simple/0.9/";

/// The format of `original` (the decoded document before any repair), which
/// feed-rs read as `read_as`.
pub(super) fn detect(read_as: &FeedType, original: &str) -> FeedFormat {
    match read_as {
        FeedType::JSON => FeedFormat::JsonFeed,
        FeedType::Atom if original.contains(super::atom03::ATOM_03) => FeedFormat::Atom03,
        FeedType::Atom => FeedFormat::Atom1,
        FeedType::RSS1 if original.contains(RSS_090) => FeedFormat::Rss09x,
        FeedType::RSS1 => FeedFormat::Rss1,
        FeedType::RSS0 => FeedFormat::Rss09x,
        FeedType::RSS2 => match repair::rss_version(original) {
            Some(Some("2.0" | "2.00")) | None => FeedFormat::Rss2,
            Some(Some(v)) if v.len() == 4 && ("0.90"..="0.94").contains(&v) => FeedFormat::Rss09x,
            Some(_) => FeedFormat::Rss,
        },
    }
}

/// A warning when the response called the document something other than
/// XML or JSON (`text/html`, `text/plain`, `application/octet-stream`), as
/// feedparser flags it: the feed is read all the same, but a server that
/// mislabels it may serve something else tomorrow.
pub(super) fn media_type_warning(content_type: Option<&str>) -> Option<String> {
    let mime = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    let (kind, sub) = mime.split_once('/')?;
    let xml = matches!(
        mime.as_str(),
        "application/xml"
            | "text/xml"
            | "application/xml-dtd"
            | "application/xml-external-parsed-entity"
            | "text/xml-external-parsed-entity"
    ) || ((kind == "application" || kind == "text") && sub.ends_with("+xml"));
    let json = matches!(mime.as_str(), "application/json" | "application/feed+json");
    (!xml && !json && !mime.is_empty())
        .then(|| format!("served as {mime}, which is not an XML or JSON media type"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_non_xml_non_json_media_types_are_flagged() {
        for fine in [
            "application/rss+xml; charset=utf-8",
            "text/xml",
            "application/atom+xml",
            "application/feed+json",
            "application/xml",
        ] {
            assert_eq!(media_type_warning(Some(fine)), None, "{fine}");
        }
        assert_eq!(
            media_type_warning(Some("text/html; charset=utf-8")).as_deref(),
            Some("served as text/html, which is not an XML or JSON media type")
        );
        assert_eq!(media_type_warning(None), None);
    }

    #[test]
    fn the_version_as_written_names_the_format() {
        let rss = |doc: &str| detect(&FeedType::RSS2, doc);
        assert_eq!(rss("<rss version=\"2.0\"/>"), FeedFormat::Rss2);
        assert_eq!(rss("<rss version=\"0.93\"/>"), FeedFormat::Rss09x);
        assert_eq!(rss("<rss/>"), FeedFormat::Rss);
        assert_eq!(rss("<rss version='2.0.1'/>"), FeedFormat::Rss);
        let atom = "<feed xmlns=\"http://purl.org/atom/ns#\"/>";
        assert_eq!(detect(&FeedType::Atom, atom), FeedFormat::Atom03);
        let rdf = format!("<rdf:RDF xmlns=\"{RSS_090}\"/>");
        assert_eq!(detect(&FeedType::RSS1, &rdf), FeedFormat::Rss09x);
        assert_eq!(
            serde_json::to_string(&FeedFormat::Atom03).unwrap(),
            "\"atom0.3\""
        );
    }
}
