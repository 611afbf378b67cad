//! End-to-end behaviour of the query language: parse, compile, match.
//!
//! Covers what analysts rely on (ambiguous brands, accents, hashtags, CJK,
//! distances at their exact boundary, fields, highlighting) and that a
//! large query set only returns the queries that really match. Parse errors
//! are tested beside the parser.

use super::*;

fn text(text: &str) -> Fields<'_> {
    Fields {
        text,
        ..Fields::default()
    }
}

fn set(queries: &[&str]) -> QuerySet {
    QuerySet::new(queries.iter().map(|q| parse(q).unwrap()).collect())
}

fn matches_fields(query: &str, fields: &Fields) -> bool {
    !set(&[query]).matches(fields).is_empty()
}

fn matches(query: &str, body: &str) -> bool {
    matches_fields(query, &text(body))
}

#[test]
fn boolean_operators_and_adjacency() {
    let q = "acme AND (outage OR down)";
    assert!(matches(q, "Acme is down again"));
    assert!(matches(q, "Major OUTAGE at ACME"));
    assert!(!matches(q, "Acme ships a new release"));
    assert!(
        matches("acme outage", "outage at acme"),
        "adjacent terms are ANDed"
    );
    assert!(!matches("acme outage", "acme is fine"));
    assert!(matches("acme NOT refund", "acme rocks"));
    assert!(!matches("acme NOT refund", "acme refund please"));
}

#[test]
fn lowercase_operator_words_are_searched_for() {
    assert!(matches("cats and dogs", "dogs and cats"));
    assert!(!matches("cats and dogs", "cats, dogs"));
    assert!(matches("\"NEAR\"", "the near future"));
}

#[test]
fn ambiguous_brands_keep_precision_with_context_and_not() {
    let apple = "apple AND (iphone OR mac OR ios) NOT (pie OR orchard)";
    assert!(matches(apple, "Apple's new iPhone is out"));
    assert!(matches(apple, "iOS 18 from apple"));
    assert!(!matches(apple, "apple pie recipe, best on a Mac"));
    assert!(!matches(apple, "apple orchard tour"));
    assert!(!matches(apple, "apple iphone orchard"));
    assert!(!matches(apple, "an apple a day"));

    let corona = "corona NOT (virus OR covid)";
    assert!(matches(corona, "Corona beer on the beach"));
    assert!(!matches(corona, "corona virus cases rise"));
    assert!(
        !matches(corona, "#COVID and corona"),
        "covid also excludes #covid"
    );

    let shell = "shell NOT (sea OR beach)";
    assert!(matches(shell, "Shell raises fuel prices"));
    assert!(!matches(shell, "found a shell on the beach"));
    assert!(!matches(shell, "Sea shell"));
}

#[test]
fn accents_case_and_width_are_ignored() {
    assert!(matches("\"cafe creme\"", "Un Café Crème, s'il vous plaît"));
    assert!(matches("crème", "CREME brulee"));
    assert!(matches("acme", "ＡＣＭＥ")); // full-width letters
    assert!(!matches("\"cafe creme\"", "cafe au lait creme"));
}

#[test]
fn hashtags_and_handles() {
    assert!(matches("acme", "loving #Acme today"));
    assert!(matches("acme", "cc @acme"));
    assert!(matches("#acme", "loving #ACME"));
    assert!(
        !matches("#acme", "loving acme"),
        "a hashtag query needs the hashtag"
    );
    assert!(!matches("#acme", "ping @acme"));
    assert!(matches("@acme_help", "thanks @Acme_Help!"));
    assert!(matches("acme*", "#AcmeFans unite"));
}

#[test]
fn cjk_terms_match_inside_unspaced_text() {
    assert!(matches("索尼", "我爱索尼手机"));
    assert!(matches("\"索尼\"", "我爱索尼手机"));
    assert!(!matches("索尼", "索一尼"));
    assert!(matches("ソニー", "ソニーの新製品"));
    assert!(matches("삼성", "삼성은 새 휴대폰을"));
    assert!(matches("sony AND 索尼", "Sony 索尼"));
}

#[test]
fn emoji_are_words() {
    assert!(matches("acme AND 🍎", "acme🍎!"));
    assert!(!matches("🍎", "apple"));
}

#[test]
fn exact_phrases_need_order_and_adjacency() {
    let q = "\"acme cloud\"";
    assert!(matches(q, "Acme Cloud is down"));
    assert!(matches(q, "the acme-cloud outage"));
    assert!(!matches(q, "cloud acme"));
    assert!(!matches(q, "acme big cloud"));
    assert!(
        matches("acme-cloud", "ACME cloud"),
        "a hyphenated term is a phrase"
    );
}

#[test]
fn proximity_phrases_count_the_words_among_them() {
    let q = "\"acme cloud\"~2";
    assert!(matches(q, "cloud by acme"), "any order");
    assert!(matches(q, "acme new shiny cloud"), "2 words between");
    assert!(!matches(q, "acme new and shiny cloud"), "3 words between");
    let three = "\"acme cloud outage\"~1";
    assert!(matches(three, "outage hit acme cloud"));
    assert!(!matches(three, "outage hit the acme cloud"));
    assert!(
        !matches("\"new new york\"~0", "new york"),
        "each word needs its own position"
    );
    assert!(matches("\"new new york\"~0", "new york new"));
}

#[test]
fn near_counts_words_between_in_either_order() {
    let q = "acme NEAR/5 refund";
    assert!(matches(q, "acme one two three four five refund"));
    assert!(!matches(q, "acme one two three four five six refund"));
    assert!(matches(q, "refund one two three four five acme"));
    assert!(matches("acme NEAR/0 refund", "refund acme"));
    assert!(!matches("acme NEAR/0 refund", "refund x acme"));
    assert!(
        !matches("acme NEAR/3 acme", "acme"),
        "one word cannot be near itself"
    );
}

#[test]
fn ordered_near_needs_the_left_side_first() {
    let q = "acme NEAR/5f refund";
    assert!(matches(q, "acme one two three four five refund"));
    assert!(!matches(q, "acme one two three four five six refund"));
    assert!(!matches(q, "refund acme"));
    assert!(matches(
        "\"acme cloud\" NEAR/1f refund",
        "acme cloud, full refund"
    ));
    assert!(!matches(
        "\"acme cloud\" NEAR/1f refund",
        "refund acme cloud"
    ));
}

#[test]
fn near_takes_phrases_groups_and_chains() {
    let q = "acme NEAR/2 (refund OR \"money back\")";
    assert!(matches(q, "acme gave my money back"));
    assert!(matches(q, "refund from acme"));
    assert!(!matches(q, "money from acme back"));
    let chain = "(acme NEAR/1 cloud) NEAR/2 outage";
    assert!(matches(chain, "acme cloud had an outage"));
    assert!(!matches(chain, "acme cloud had a long outage"));
}

#[test]
fn wildcards() {
    assert!(matches("acme*", "Acmecorp"));
    assert!(matches("acme*", "acme"));
    assert!(!matches("acme*", "acm"));
    assert!(matches("colo?r", "colour"));
    assert!(!matches("colo?r", "color"));
    assert!(matches("\"acme clou*\"", "acme cloudy day"));
    assert!(matches("caf*", "Café"), "wildcards see the folded word");
}

#[test]
fn raw_is_case_and_punctuation_exact() {
    assert!(matches("raw:\"ACME+\"", "Try ACME+ today"));
    assert!(!matches("raw:\"ACME+\"", "try acme+ today"));
    assert!(!matches("raw:\"ACME+\"", "try ACME today"));
    assert!(matches("raw:ACME", "(ACME) rules"));
    assert!(!matches("raw:ACME", "ACMEcorp rules"));
    assert!(!matches("raw:CME", "ACME rules"));
    assert!(matches("raw:C++", "I write C++ daily"));
    assert!(matches("raw:索尼", "我爱索尼手机"));
    assert!(
        matches("raw:+++", "+++ breaking"),
        "a needle without words still matches"
    );
}

#[test]
fn title_author_and_default_fields() {
    let f = Fields {
        text: "Big news today",
        title: Some("Acme launches cloud"),
        author: Some("Jane Doe"),
        ..Fields::default()
    };
    assert!(matches_fields("acme", &f), "default looks in the title");
    assert!(matches_fields("title:acme", &f));
    assert!(!matches_fields("title:news", &f));
    assert!(matches_fields("author:jane", &f));
    assert!(
        !matches_fields("jane", &f),
        "the author is not searched by default"
    );
    assert!(matches_fields("title:(cloud OR outage) AND news", &f));
    assert!(matches_fields("title:\"acme launches\"", &f));
    assert!(
        !matches_fields("\"cloud big\"", &f),
        "phrases do not span title and text"
    );
    assert!(
        !matches_fields("cloud NEAR/3 news", &f),
        "NEAR does not span fields"
    );
    assert!(matches_fields("title:raw:Acme", &f));
}

#[test]
fn site_url_and_lang() {
    let f = Fields {
        text: "acme is great",
        url: Some("https://blog.Example.com/2024/acme"),
        lang: Some("en-GB"),
        ..Fields::default()
    };
    assert!(matches_fields("acme site:example.com", &f));
    assert!(
        matches_fields("site:example.com", &f),
        "a site alone is a valid query"
    );
    assert!(!matches_fields("acme site:other.com", &f));
    assert!(!matches_fields("acme site:ample.com", &f));
    assert!(matches_fields("url:blog.example.com/2024", &f));
    assert!(matches_fields("url:http://blog.example.com/2024/acme", &f));
    assert!(!matches_fields("url:https://blog.example.com/2023", &f));
    assert!(matches_fields("acme lang:en", &f));
    assert!(matches_fields("lang:EN-gb", &f));
    assert!(!matches_fields("acme lang:fr", &f));
    assert!(!matches_fields("acme lang:en-us", &f));
    assert!(
        !matches_fields("site:example.com", &text("acme")),
        "no URL, no site match"
    );
}

#[test]
fn matches_report_terms_and_text_spans() {
    let body = "Acme's cloud; ACME rocks, no refund";
    let m = set(&["acme AND cloud NOT outage"]).matches(&text(body));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].terms, ["Acme", "cloud", "ACME"]);
    let spans: Vec<&str> = m[0].spans.iter().map(|r| &body[r.clone()]).collect();
    assert_eq!(spans, ["Acme", "cloud", "ACME"]);

    // Overlapping hits merge; the negative side is not evidence.
    let m = set(&["\"acme cloud\" OR cloud NOT rocks2"]).matches(&text("an acme cloud"));
    assert_eq!(m[0].terms, ["acme cloud"]);
    assert_eq!(m[0].spans, vec![Range { start: 3, end: 13 }]);

    // NEAR highlights the words, not the gap between them.
    let m = set(&["acme NEAR/3 refund"]).matches(&text(body));
    assert_eq!(m[0].terms, ["ACME", "refund"]);

    let f = Fields {
        text: "nothing here",
        title: Some("Acme news"),
        ..Fields::default()
    };
    let m = set(&["acme"]).matches(&f);
    assert_eq!(m[0].terms, ["Acme"]);
    assert!(m[0].spans.is_empty(), "title hits have no text spans");
}

#[test]
fn several_queries_report_their_own_indices() {
    let s = set(&["acme", "globex", "acme AND globex", "initech"]);
    assert_eq!(s.len(), 4);
    let idx: Vec<usize> = s
        .matches(&text("Acme buys Globex"))
        .iter()
        .map(|m| m.index)
        .collect();
    assert_eq!(idx, [0, 1, 2]);
    assert!(s.matches(&text("nothing relevant")).is_empty());
}

/// A distinct eight-letter pseudo-word per index (four two-letter syllables).
fn name(mut i: usize) -> String {
    const SYL: [&str; 20] = [
        "ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "we", "zo", "be", "di", "fo", "gu",
        "ha", "ji", "ko", "lu", "mo",
    ];
    let mut s = String::new();
    for _ in 0..4 {
        s.push_str(SYL[i % 20]);
        i /= 20;
    }
    s
}

#[test]
fn ten_thousand_queries_match_only_the_right_ones() {
    let queries: Vec<String> = (0..10_000)
        .map(|i| match i % 4 {
            0 => name(i),
            1 => format!("\"{} pro\"", name(i)),
            2 => format!("{} NEAR/2 launch", name(i)),
            _ => format!("{0}x* NOT {0}spam", name(i)),
        })
        .collect();
    let s = QuerySet::new(queries.iter().map(|q| parse(q).unwrap()).collect());
    assert_eq!(s.len(), 10_000);
    let body = format!(
        "{} and {} pro shipped. {} will launch soon; {}xyz is here. \
         {} is far from the word that would launch it. {}xyz {}spam. {} without its suffix.",
        name(9000),
        name(4001),
        name(7422),
        name(123),
        name(6),
        name(7),
        name(7),
        name(9),
    );
    let found: Vec<usize> = s.matches(&text(&body)).iter().map(|m| m.index).collect();
    assert_eq!(found, [123, 4001, 7422, 9000]);

    // Only queries anchored on words in the item are evaluated at all.
    let doc = s.prepare(&text(&body));
    let candidates = s.index.candidates(&doc.hits, None, None);
    assert!(candidates.len() <= 8, "{candidates:?}");
}

#[test]
fn query_sets_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<QuerySet>();
    let q: Query = "acme".parse().unwrap();
    assert_eq!(q.as_str(), "acme");
}

#[test]
fn a_phrase_matches_words_joined_by_spaces_or_joiners_only() {
    assert!(!matches(
        "\"red hat\"",
        "The car was red. Hat in hand, I went in"
    ));
    assert!(!matches(
        "\"blue bottle\"",
        "I painted it blue, bottle green trim"
    ));
    assert!(matches("\"red hat\"", "Red  Hat ships a release"));
    assert!(matches("\"red hat\"", "the Red-Hat way"));
    assert!(matches(
        "\"acme cloud\"",
        "Acme's cloud? no: \"acme cloud\""
    ));
    // Every separator that ends a phrase, one at a time.
    for sep in [
        ",", ".", ":", ";", "!", "?", "…", " (", ") ", " [", "] ", " — ", " – ", " | ", "\n",
    ] {
        let text = format!("acme{sep} cloud");
        assert!(!matches("\"acme cloud\"", &text), "{text:?}");
        assert!(
            matches("acme cloud", &text),
            "words alone still match: {text:?}"
        );
    }
    // Joiners keep it going.
    for joined in ["acme-cloud", "acme’cloud", "acme/cloud", "acme & cloud"] {
        assert!(matches("\"acme cloud\"", joined), "{joined:?}");
    }
}

#[test]
fn a_phrase_with_punctuation_of_its_own_matches_that_punctuation() {
    assert!(matches("\"U.S. Steel\"", "Shares of U.S. Steel rose"));
    assert!(matches("\"yahoo! mail\"", "Yahoo! Mail is down"));
    assert!(!matches("\"yahoo! mail\"", "Yahoo, mail me"));
    assert!(matches("\"acme.com\"", "see acme.com today"));
    assert!(matches("\"3,000 users\"", "3,000 users lost data"));
}

#[test]
fn proximity_and_near_stay_within_one_sentence_unless_asked() {
    assert!(matches("\"acme down\"~3", "acme cloud is down"));
    assert!(!matches("\"acme down\"~3", "I use acme. Down with taxes"));
    assert!(
        matches("\"acme down\"~3", "acme, sadly, down"),
        "commas are inside a sentence"
    );
    assert!(matches("acme NEAR/3 refund", "acme, I want a refund"));
    assert!(!matches(
        "acme NEAR/3 refund",
        "I like acme. Refund me, Globex"
    ));
    assert!(matches(
        "acme NEAR/3x refund",
        "I like acme. Refund me, Globex"
    ));
    assert!(!matches("acme NEAR/3f refund", "A refund? acme"));
    assert!(matches("acme NEAR/3fx refund", "acme crashed!\nRefund now"));
}

#[test]
fn not_near_excludes_only_the_occurrences_it_is_near() {
    let shell = "shell NOT NEAR/4 (beach OR sea OR egg)";
    assert!(matches(
        shell,
        "Shell put prices up again, so I went collecting a shell on the beach instead"
    ));
    assert!(!matches(shell, "Found a shell on the beach"));
    assert!(matches(shell, "Shell raised fuel prices"));
    // Whole-post NOT would have lost the first post.
    assert!(!matches(
        "shell NOT (beach OR sea OR egg)",
        "Shell put prices up again, so I went collecting a shell on the beach instead"
    ));
    // The sentence bounds it as NEAR is bounded: a beach in another
    // sentence excludes nothing.
    assert!(matches(
        "shell NOT NEAR/9 beach",
        "Shell is pricey. The beach is nice"
    ));
    assert!(!matches(
        "shell NOT NEAR/9x beach",
        "Shell is pricey. The beach is nice"
    ));
}

#[test]
fn not_near_matches_a_text_without_the_excluded_word_at_all() {
    // The excluded word is rarer than the brand: it must not be what
    // picks the query as a candidate.
    let q = "globex NOT NEAR/1 corporation";
    assert!(matches(q, "Globex support was great"));
    assert!(!matches(q, "Globex Corporation posts its results"));
    let many = set(&[q, "corporation", "acme"]);
    let found: Vec<usize> = many
        .matches(&text("Globex support was great"))
        .iter()
        .map(|m| m.index)
        .collect();
    assert_eq!(found, [0]);
}

#[test]
fn not_near_highlights_only_the_occurrences_it_keeps() {
    let q = set(&["corona NOT NEAR/3 (virus OR cases)"]);
    let text_ = "Had a Corona on the terrace while reading corona case numbers. corona cases rose";
    let m = q.matches(&text(text_));
    assert_eq!(m.len(), 1);
    let spans: Vec<&str> = m[0].spans.iter().map(|r| &text_[r.clone()]).collect();
    // "corona case numbers" keeps it ("case" is not "cases"); the last is near "cases".
    assert_eq!(spans, ["Corona", "corona"]);
}
