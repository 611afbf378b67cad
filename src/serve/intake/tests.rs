use super::*;
use crate::config::BrandConfig;

fn brands() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("Acme", vec!["Acme Cloud", "Acme Phone"]),
        ("Globex", vec![]),
    ]
}

fn raw(text: &str) -> RawIntake {
    RawIntake {
        text: text.into(),
        ..RawIntake::default()
    }
}

#[test]
fn every_bad_field_is_named_at_once() {
    let r = RawIntake {
        text: "  ".into(),
        brand: Some("Initech".into()),
        product: Some("Acme Cloud".into()),
        kind: Some("rumour".into()),
        url: Some("htp:/bad url".into()),
        influencer: Some(RawAuthor {
            screen_name: None,
            url: Some("javascript:alert(1)".into()),
            description: Some("x".into()),
        }),
        ..RawIntake::default()
    };
    let errors = check(&r, &brands()).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "text",
            "brand",
            "product",
            "kind",
            "url",
            "influencer.url",
            "influencer.screen_name"
        ]
    );
    assert!(errors[1].message.contains("Acme, Globex"), "{errors:?}");
}

#[test]
fn a_brand_and_product_are_taken_in_their_configured_spelling() {
    let r = RawIntake {
        brand: Some("acme".into()),
        product: Some("acme cloud".into()),
        kind: Some("anecdote".into()),
        influencer: Some(RawAuthor {
            screen_name: Some("Rant112".into()),
            url: Some("https://rant112.example/".into()),
            description: Some("Writes about cloud storage; 4k readers.".into()),
        }),
        ..raw("Sales heard they are switching to Globex over the outages.")
    };
    let i = check(&r, &brands()).unwrap();
    assert_eq!(i.brand.as_deref(), Some("Acme"));
    assert_eq!(i.product.as_deref(), Some("Acme Cloud"));
    assert_eq!(i.kind, Kind::Anecdote);
    let a = i.author.unwrap();
    assert_eq!(a.name.as_deref(), Some("Rant112"));
    assert_eq!(
        a.description.as_deref(),
        Some("Writes about cloud storage; 4k readers.")
    );
}

fn classifier() -> Classifier {
    let brand = |name: &str, query: &str| BrandConfig {
        name: name.into(),
        query: query.into(),
        products: Vec::new(),
        should_match: Vec::new(),
        should_not_match: Vec::new(),
    };
    Classifier::new(&[brand("Acme", "acme"), brand("Globex", "globex")]).unwrap()
}

#[test]
fn a_chosen_brand_is_kept_where_the_text_does_not_name_it() {
    let c = classifier();
    let at = chrono::Utc::now();
    // Web statistics name no brand: the person's choice stands.
    let i = check(
        &RawIntake {
            brand: Some("Acme".into()),
            product: Some("Acme Cloud".into()),
            ..raw("Traffic from Singapore tripled overnight; most of it lands on the pricing page.")
        },
        &brands(),
    )
    .unwrap();
    let item = item(&i, "intake:1".into(), "workspace", at);
    let class = classify(&c, &item, &i).unwrap();
    assert_eq!(class.mentions.len(), 1);
    assert_eq!(class.mentions[0].brand, "Acme");
    assert_eq!(class.mentions[0].products, ["Acme Cloud"]);
    // A text naming two brands, filed under one, is about that one.
    let i = check(
        &RawIntake {
            brand: Some("Globex".into()),
            ..raw("Globex is discounting hard to win Acme customers.")
        },
        &brands(),
    )
    .unwrap();
    let class = classify(&c, &item_of(&i), &i).unwrap();
    assert_eq!(class.mentions.len(), 1);
    assert_eq!(class.mentions[0].brand, "Globex");
    // No brand chosen and none named: nothing to file.
    let i = check(&raw("The weather is nice."), &brands()).unwrap();
    assert!(classify(&c, &item_of(&i), &i).is_none());
}

fn item_of(i: &Intake) -> Item {
    item(i, "intake:2".into(), "workspace", chrono::Utc::now())
}
