//! Tests of choosing and reporting a body's character encoding.

use super::*;

const RUSSIAN: &str = "Облако Acme снова упало, а Globex работает.";

fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    encoding.encode(text).0.into_owned()
}

fn xml(encoding: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<rss><title>{RUSSIAN}</title></rss>")
}

#[test]
fn koi8r_declared_in_the_xml_declaration() {
    let bytes = encode(encoding_rs::KOI8_R, &xml("KOI8-R"));
    assert_eq!(decode(&bytes, Some("application/rss+xml")), xml("KOI8-R"));
}

#[test]
fn windows1251_declared_in_a_meta_tag() {
    let html =
        format!("<html><head><meta charset=\"windows-1251\"></head><body>{RUSSIAN}</body></html>");
    let bytes = encode(encoding_rs::WINDOWS_1251, &html);
    assert_eq!(decode(&bytes, None), html);
}

#[test]
fn http_equiv_meta_is_understood() {
    let html = format!(
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"><p>{RUSSIAN}</p>"
    );
    let bytes = encode(encoding_rs::KOI8_R, &html);
    assert_eq!(decode(&bytes, Some("text/html")), html);
}

#[test]
fn utf8_body_survives_a_wrong_latin1_header() {
    let body = xml("utf-8");
    assert_eq!(
        decode(body.as_bytes(), Some("text/xml; charset=iso-8859-1")),
        body
    );
}

#[test]
fn header_charset_decodes_an_undeclared_body() {
    let html = format!("<p>{RUSSIAN}</p>");
    let bytes = encode(encoding_rs::WINDOWS_1251, &html);
    assert_eq!(
        decode(&bytes, Some("text/html; charset=\"windows-1251\"")),
        html
    );
}

#[test]
fn document_declaration_beats_a_default_latin1_header() {
    let bytes = encode(encoding_rs::WINDOWS_1251, &xml("windows-1251"));
    assert_eq!(
        decode(&bytes, Some("text/xml; charset=ISO-8859-1")),
        xml("windows-1251")
    );
}

#[test]
fn a_deliberate_header_beats_the_document() {
    // A proxy transcoded the body to KOI8-R and said so; the stale
    // declaration still names windows-1251.
    let bytes = encode(encoding_rs::KOI8_R, &xml("windows-1251"));
    assert_eq!(
        decode(&bytes, Some("text/xml; charset=koi8-r")),
        xml("windows-1251")
    );
}

#[test]
fn latin1_body_with_latin1_header() {
    let bytes = encode(encoding_rs::WINDOWS_1252, "<p>Café Globex</p>");
    assert_eq!(
        decode(&bytes, Some("text/html; charset=iso-8859-1")),
        "<p>Café Globex</p>"
    );
}

#[test]
fn byte_order_mark_wins() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend("<p>Acme</p>".encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(
        decode(&bytes, Some("text/html; charset=windows-1251")),
        "<p>Acme</p>"
    );
    assert_eq!(decode(b"\xEF\xBB\xBF<p>x</p>", None), "<p>x</p>");
}

fn wide(text: &str, le: bool, bytes_per_unit: usize) -> Vec<u8> {
    match bytes_per_unit {
        2 => text
            .encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect(),
        _ => text
            .chars()
            .flat_map(|c| {
                let c = c as u32;
                if le {
                    c.to_le_bytes()
                } else {
                    c.to_be_bytes()
                }
            })
            .collect(),
    }
}

#[test]
fn utf16_and_utf32_without_a_bom_are_told_by_the_first_bytes() {
    let doc = "<?xml version=\"1.0\"?><rss><title>Zoé 🔥</title></rss>";
    for (le, unit) in [(true, 2), (false, 2), (true, 4), (false, 4)] {
        let bytes = wide(doc, le, unit);
        assert_eq!(decode(&bytes, None), doc, "le={le} unit={unit}");
        let bare = wide("<rss/>", le, unit);
        assert_eq!(decode(&bare, Some("text/xml")), "<rss/>");
    }
}

#[test]
fn utf32_boms_are_not_mistaken_for_utf16() {
    let mut le = vec![0xFF, 0xFE, 0, 0];
    le.extend(wide("<p>Zoé</p>", true, 4));
    assert_eq!(decode(&le, None), "<p>Zoé</p>");
    let mut be = vec![0, 0, 0xFE, 0xFF];
    be.extend(wide("<p>Zoé</p>", false, 4));
    be.push(0);
    assert_eq!(decode(&be, None), "<p>Zoé</p>\u{FFFD}");
}

#[test]
fn undeclared_utf8_with_a_damaged_byte_is_decoded_lossily() {
    assert_eq!(
        decode(b"Caf\xC3\xA9 Acme \xFF Cloud", None),
        "Café Acme \u{FFFD} Cloud"
    );
    // Declared UTF-8 stays UTF-8, damaged or not.
    assert_eq!(
        decode(
            b"<?xml version='1.0' encoding='utf-8'?><t>caf\xE9</t>",
            None
        ),
        "<?xml version='1.0' encoding='utf-8'?><t>caf\u{FFFD}</t>"
    );
}

#[test]
fn undeclared_legacy_text_is_read_as_windows_1252() {
    let got = decode_report(b"<t>Don\x92t \x96 caf\xE9</t>", None);
    assert_eq!(got.text, "<t>Don’t – café</t>");
    assert_eq!(got.encoding, "windows-1252");
    assert_eq!(
        got.warnings,
        ["the document declares no encoding and is not UTF-8; read as windows-1252"]
    );
}

#[test]
fn wide_bodies_may_start_with_whitespace() {
    let doc = "\r\n\t <?xml version=\"1.0\"?><rss/>";
    for (le, unit, name) in [
        (true, 2, "utf-16le"),
        (false, 2, "utf-16be"),
        (true, 4, "utf-32le"),
        (false, 4, "utf-32be"),
    ] {
        let got = decode_report(&wide(doc, le, unit), None);
        assert_eq!((got.text.as_str(), got.encoding.as_str()), (doc, name));
    }
    // ASCII whitespace then `<` is plain ASCII, not a wide pattern.
    assert_eq!(decode_report(b"  <rss/>", None).encoding, "utf-8");
}

#[test]
fn iso_2022_jp_declared_in_the_prolog_is_believed_over_valid_utf8() {
    let doc = "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><t>ガジェット</t>";
    let bytes = encode(encoding_rs::ISO_2022_JP, doc);
    assert!(std::str::from_utf8(&bytes).is_ok(), "seven-bit bytes");
    let got = decode_report(&bytes, None);
    assert_eq!(
        (got.text.as_str(), got.encoding.as_str()),
        (doc, "iso-2022-jp")
    );
}

#[test]
fn disagreements_and_invalid_bytes_are_reported() {
    let bytes = encode(encoding_rs::WINDOWS_1251, &xml("windows-1251"));
    let got = decode_report(&bytes, Some("text/xml; charset=koi8-r"));
    assert_eq!(
        got.warnings,
        ["the Content-Type header says koi8-r but the document declares windows-1251; read as koi8-r"]
    );
    let got = decode_report(
        b"<t>caf\xC3\xA9</t>",
        Some("application/xml; charset=iso-8859-1"),
    );
    assert_eq!(got.text, "<t>café</t>");
    assert_eq!(
        got.warnings,
        ["the feed is declared windows-1252, but its bytes are valid UTF-8; read as UTF-8"]
    );
    let got = decode_report(b"\xEF\xBB\xBF<t>x</t>", Some("text/xml; charset=koi8-r"));
    assert_eq!(
        got.warnings,
        [
            "the Content-Type header says koi8-r, but the document starts with a utf-8 \
          byte-order mark; read as utf-8"
        ]
    );
    let mut be = vec![0xFE, 0xFF];
    be.extend(wide("<t/>", false, 2));
    assert!(decode_report(&be, Some("text/xml; charset=UTF-16"))
        .warnings
        .is_empty());
    let got = decode_report(b"<t>\xC3\xA9\xFF</t>", None);
    assert_eq!(
        got.warnings,
        ["some bytes are not valid utf-8; they were replaced by U+FFFD"]
    );
    assert!(decode_report(b"<t>plain</t>", Some("text/xml"))
        .warnings
        .is_empty());
}
