use super::*;
use crate::classify::sentiment;
use Intent::*;

/// Intents of a text scored by our own sentiment scorer, as the pipeline
/// will call it.
fn detected(text: &str) -> Vec<IntentHit> {
    detect(text, sentiment::score(text).score)
}

fn cues_of(text: &str, intent: Intent) -> Option<Vec<String>> {
    detected(text)
        .into_iter()
        .find(|h| h.intent == intent)
        .map(|h| h.cues)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn has(text: &str, intent: Intent) -> bool {
    cues_of(text, intent).is_some()
}

#[test]
fn churn_risk_is_found_with_its_words() {
    let cases: &[(&str, &[&str])] = &[
        (
            "Cancelling my Acme Plus subscription today.",
            &["Cancelling my Acme Plus subscription"],
        ),
        (
            "That's the last straw, I uninstalled it.",
            &["last straw", "uninstalled"],
        ),
        (
            "I'm done with Acme. Asking for a refund now.",
            &["I'm done with", "Asking for a refund"],
        ),
        (
            "Switching to Globex, Acme keeps crashing and I hate it.",
            &["Switching to"],
        ),
        ("We won't be renewing our contract.", &["won't be renewing"]),
        (
            "I won't be ordering from them again.",
            &["won't be ordering from them again"],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(cues_of(text, ChurnRisk), Some(strings(want)), "{text}");
    }
}

#[test]
fn churn_risk_needs_more_than_a_move() {
    for text in [
        "Moving to Berlin next month, so excited!",
        "I'm not cancelling my subscription, it's fine.",
        "I would never switch away from Acme.",
        "Done with the dishes, time for Acme TV.",
        "We moved to Denver last spring.",
        "It's not good again, but I'll keep it.",
    ] {
        assert!(!has(text, ChurnRisk), "{text}: {:?}", detected(text));
    }
}

#[test]
fn feature_requests() {
    let cases: &[(&str, &[&str])] = &[
        ("I wish the app had a dark mode.", &["wish the app had"]),
        ("Please add offline maps!", &["Please add"]),
        (
            "Would be great if it synced with my watch.",
            &["Would be great if"],
        ),
        ("Feature request: export to CSV.", &["Feature request"]),
        (
            "When will you add two-factor login?",
            &["When will you add"],
        ),
        ("Would love to see a family plan.", &["Would love to see"]),
    ];
    for (text, want) in cases {
        let hits = detected(text);
        let found = hits.iter().find(|h| h.intent == FeatureRequest);
        assert_eq!(
            found.map(|h| h.cues.clone()),
            Some(strings(want)),
            "{text}: {hits:?}"
        );
    }
    // "love" inside "would love to see" is a wish, not praise.
    assert!(!has("Would love to see a family plan.", Praise));
    assert!(!has("I wish I had bought it sooner.", FeatureRequest));
    assert!(!has("The new export feature works well.", FeatureRequest));
}

#[test]
fn questions_by_mark_or_opener() {
    assert_eq!(
        cues_of("Is Acme down again??", Question),
        Some(vec!["Is".into()])
    );
    assert_eq!(
        cues_of("Does anyone know how to reset the router", Question),
        Some(vec!["Does anyone know".into()])
    );
    assert_eq!(
        cues_of("acme support, my order is late?! 😡", Question),
        Some(vec!["?".into()])
    );
    assert_eq!(
        cues_of("How do I export my data?", Question),
        Some(vec!["How do I".into()]),
        "the opener and the mark are one question"
    );
    for text in [
        "What a great day at the Acme store.",
        "Read more at https://acme.example/?ref=feed today.",
        "The FAQ answers how refunds work.",
    ] {
        assert!(!has(text, Question), "{text}: {:?}", detected(text));
    }
}

#[test]
fn complaints_need_a_problem_and_no_joy() {
    let cases: &[(&str, &[&str])] = &[
        (
            "The app is broken again and support ignored me.",
            &["broken", "support ignored"],
        ),
        ("Acme Cloud outage, third one this week.", &["outage"]),
        (
            "My phone keeps crashing since the update.",
            &["keeps crashing"],
        ),
        ("Login doesn't work. Useless.", &["doesn't work", "Useless"]),
        ("Thanks for nothing, Acme.", &["Thanks for nothing"]),
        ("I lost my photos after the sync", &["lost my"]),
        // Overlapping cues read as one.
        ("the app is down AGAIN", &["app is down AGAIN"]),
        // Sarcasm and regret complain even when the words score happy.
        (
            "Oh great, another outage. Just what I needed.",
            &["Oh great, another", "outage"],
        ),
        (
            "Love how the app crashes when I pay.",
            &["Love how the app crashes"],
        ),
        ("Used to love this brand, not any more.", &["Used to love"]),
    ];
    for (text, want) in cases {
        assert_eq!(cues_of(text, Complaint), Some(strings(want)), "{text}");
    }
    for text in [
        "No crashes since the update, nice work.",
        "The crash is fixed and I love the new design!",
        "Prices are down to $5 this week.",
        "Read our guide to fixing common issues.",
        "Why does Acme charge so much for storage?",
        "You won't regret buying this.",
    ] {
        assert!(!has(text, Complaint), "{text}: {:?}", detected(text));
    }
}

#[test]
fn weak_problem_words_follow_the_sentiment() {
    // "slow" complains in a negative text, not in a happy one.
    assert!(has("Checkout is so slow, this is awful.", Complaint));
    assert!(!has(
        "Slow Sunday morning with a great Acme coffee.",
        Complaint
    ));
    // The score is the caller's: the same words read differently.
    let text = "The refund came through.";
    assert!(detect(text, -0.4).iter().any(|h| h.intent == Complaint));
    assert!(!detect(text, 0.3).iter().any(|h| h.intent == Complaint));
}

#[test]
fn praise_and_its_negation() {
    let cases: &[(&str, &[&str])] = &[
        (
            "I love my new Acme headphones, thank you!",
            &["love", "thank you"],
        ),
        (
            "Can't recommend them enough.",
            &["Can't recommend them enough"],
        ),
        (
            "Amazing support, would recommend.",
            &["Amazing", "recommend"],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(cues_of(text, Praise), Some(strings(want)), "{text}");
    }
    for text in [
        "I don't love the new layout.",
        "Wouldn't recommend Acme to anyone.",
    ] {
        assert!(!has(text, Praise), "{text}: {:?}", detected(text));
    }
    assert_eq!(
        cues_of("I don't love the new layout.", Complaint),
        Some(vec!["don't love".into()])
    );
    assert_eq!(
        cues_of("Wouldn't recommend Acme to anyone.", Complaint),
        Some(vec!["Wouldn't recommend".into()])
    );
    // Praise words in a question ask rather than praise.
    assert!(!has("Which Acme plan is best for a family?", Praise));
    assert!(!has("Is the Pro model worth it?", Praise));
    // A praise word in a negative text is not praise ("best" said bitterly).
    assert!(!has(
        "Best outage ever, six hours and counting. Awful.",
        Praise
    ));
}

#[test]
fn purchase_intent() {
    let cases: &[(&str, &[&str])] = &[
        (
            "Thinking of buying the Acme X2, any good?",
            &["Thinking of buying"],
        ),
        ("Should I get the 128GB or the 256GB?", &["Should I get"]),
        ("Where can I buy the limited edition?", &["Where can I buy"]),
        (
            "Pre-ordered the new watch, can't wait to get it!",
            &["Pre-ordered", "can't wait to get"],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(cues_of(text, PurchaseIntent), Some(strings(want)), "{text}");
    }
    for text in [
        "Not buying another Acme product.",
        "I bought a toaster in 2019.",
        "Cancel my order please.",
    ] {
        assert!(!has(text, PurchaseIntent), "{text}: {:?}", detected(text));
    }
}

#[test]
fn strongest_evidence_comes_first() {
    let text = "The app crashed again, support ignored me, and I'm cancelling my subscription. Any alternatives?";
    let order: Vec<Intent> = detected(text).iter().map(|h| h.intent).collect();
    assert_eq!(order[0], Complaint, "{order:?}");
    assert!(
        order.contains(&ChurnRisk) && order.contains(&Question),
        "{order:?}"
    );
    let mixed = "Love the camera, but the battery is broken and useless.";
    let hits = detected(mixed);
    assert!(hits.iter().any(|h| h.intent == Complaint), "{hits:?}");
    // Ties go to the intent that costs the most to miss.
    let tie: Vec<Intent> = detect("Uninstalled. Please add offline mode.", 0.0)
        .iter()
        .map(|h| h.intent)
        .collect();
    assert_eq!(tie, [ChurnRisk, FeatureRequest]);
}

#[test]
fn neutral_and_empty_texts_have_no_intent() {
    assert!(detect("", 0.0).is_empty());
    assert!(detected("The Acme store on Main Street opens at 9am.").is_empty());
    assert!(detected("Acme reports third-quarter results on Thursday.").is_empty());
}

#[test]
fn intents_serialize_in_snake_case() {
    let hit = IntentHit {
        intent: FeatureRequest,
        cues: vec!["please add".into()],
    };
    let json = serde_json::to_string(&hit).unwrap();
    assert_eq!(
        json,
        r#"{"intent":"feature_request","cues":["please add"]}"#
    );
    assert_eq!(serde_json::from_str::<IntentHit>(&json).unwrap(), hit);
    for i in [
        Complaint,
        Question,
        Praise,
        FeatureRequest,
        ChurnRisk,
        PurchaseIntent,
    ] {
        assert_eq!(
            serde_json::to_string(&i).unwrap(),
            format!("\"{}\"", i.as_str())
        );
    }
}

#[test]
fn a_text_full_of_cues_keeps_the_first_few_and_still_counts_them() {
    let text: Vec<String> = (0..1_000).map(|i| format!("outage{i}")).collect();
    let text = format!("Acme had an {}.", text.join(", "));
    let hits = detect(&text, -0.5);
    let complaint = hits.iter().find(|h| h.intent == Complaint).unwrap();
    assert_eq!(complaint.cues.len(), MAX_CUES);
    assert_eq!(complaint.cues[0], "outage0");
    assert_eq!(
        complaint.cues[MAX_CUES - 1],
        format!("outage{}", MAX_CUES - 1)
    );
}
