use chrono::TimeDelta;

use super::*;
use crate::route::records::tests::{assert_valid, schema, t};

fn config(negative_share_factor: Option<f64>) -> SpikeConfig {
    SpikeConfig {
        negative_share_factor,
        ..SpikeConfig::default()
    }
}

fn hour(h: i64) -> DateTime<Utc> {
    t("2025-03-03T00:00:00Z") + TimeDelta::hours(h)
}

/// `n` mentions spread over hour `h`, the first `negative` of them negative.
fn mentions(s: &mut Spikes, brand: &str, h: i64, n: i64, negative: i64) {
    for i in 0..n {
        let at = hour(h) + TimeDelta::seconds(i * 3600 / n.max(1));
        s.observe(brand, at, i < negative);
    }
}

/// Twelve ordinary hours (0 to 11) of `per_hour` mentions, 10% negative.
fn steady(cfg: SpikeConfig, per_hour: i64) -> Spikes {
    let mut s = Spikes::new(cfg);
    s.watch_from(hour(0));
    for h in 0..12 {
        mentions(&mut s, "Acme", h, per_hour, per_hour / 10);
    }
    s
}

#[test]
fn steady_volume_never_alerts() {
    let mut s = steady(config(Some(2.0)), 20);
    for h in 12..48 {
        mentions(&mut s, "Acme", h, 20 + h % 3, 2);
        for minute in [5, 30, 59] {
            let alerts = s.check(hour(h) + TimeDelta::minutes(minute));
            assert!(alerts.is_empty(), "hour {h}: {alerts:?}");
        }
    }
}

#[test]
fn a_burst_alerts_once_with_its_figures() {
    let mut s = steady(config(None), 20);
    mentions(&mut s, "Acme", 12, 61, 6);
    mentions(&mut s, "Globex", 12, 5, 0);
    let alerts = s.check(hour(12) + TimeDelta::minutes(59));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let a = &alerts[0];
    assert_eq!((a.kind, a.brand.as_str()), (AlertKind::Spike, "Acme"));
    let f = a.spike.as_ref().unwrap();
    assert_eq!(f.trigger, SpikeTrigger::Volume);
    assert_eq!((f.window_start, f.window_end), (hour(12), hour(13)));
    assert_eq!(f.mentions, 61);
    assert_eq!((f.baseline_mean, f.baseline_stddev), (20.0, 0.0));
    assert!(
        a.reason.contains("61 times") && a.reason.contains("20.0"),
        "{}",
        a.reason
    );
    assert_valid(&schema("alert.v1.json"), &serde_json::to_value(a).unwrap());

    mentions(&mut s, "Acme", 12, 30, 0);
    assert!(
        s.check(hour(12) + TimeDelta::minutes(59)).is_empty(),
        "once per window"
    );
    // The next hour compares with a baseline that holds the burst.
    mentions(&mut s, "Acme", 13, 70, 0);
    assert!(s.check(hour(13) + TimeDelta::minutes(30)).is_empty());
}

#[test]
fn a_burst_fires_while_the_window_runs_at_the_exact_threshold() {
    let mut s = steady(config(None), 20);
    mentions(&mut s, "Acme", 12, 60, 0);
    assert!(
        s.check(hour(12) + TimeDelta::minutes(50)).is_empty(),
        "60 is not more than 3 × 20"
    );
    s.observe("Acme", hour(12) + TimeDelta::minutes(51), false);
    let alerts = s.check(hour(12) + TimeDelta::minutes(51));
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].at < hour(13), "raised before the window closed");
}

#[test]
fn a_burst_below_min_mentions_does_not_alert() {
    let mut s = steady(config(Some(2.0)), 0);
    mentions(&mut s, "Acme", 12, 9, 9);
    assert!(s.check(hour(12) + TimeDelta::minutes(59)).is_empty());
    s.observe("Acme", hour(12) + TimeDelta::minutes(59), false);
    let alerts = s.check(hour(12) + TimeDelta::minutes(59));
    assert_eq!(alerts.len(), 1, "ten mentions of a quiet brand: {alerts:?}");
    // No baseline mentions, so no share to compare with: volume only.
    assert_eq!(
        alerts[0].spike.as_ref().unwrap().trigger,
        SpikeTrigger::Volume
    );
}

#[test]
fn a_shift_to_negative_alerts_without_more_volume() {
    let mut s = steady(config(Some(2.0)), 20);
    mentions(&mut s, "Acme", 12, 20, 3);
    assert!(
        s.check(hour(12) + TimeDelta::minutes(59)).is_empty(),
        "15% is not above 2 × 10%"
    );
    mentions(&mut s, "Acme", 13, 20, 9);
    let alerts = s.check(hour(13) + TimeDelta::minutes(59));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let f = alerts[0].spike.as_ref().unwrap();
    assert_eq!(f.trigger, SpikeTrigger::NegativeShare);
    assert!((f.negative_share - 0.45).abs() < 1e-9);
    assert!(alerts[0].reason.contains("45%"), "{}", alerts[0].reason);
    assert!(s.check(hour(13) + TimeDelta::minutes(59)).is_empty());
    assert_valid(
        &schema("alert.v1.json"),
        &serde_json::to_value(&alerts[0]).unwrap(),
    );

    let mut off = steady(config(None), 20);
    mentions(&mut off, "Acme", 12, 20, 20);
    assert!(
        off.check(hour(12) + TimeDelta::minutes(59)).is_empty(),
        "share rule is opt-in"
    );
}

#[test]
fn nothing_is_judged_before_a_whole_baseline_was_watched() {
    // Right after a start, every brand would look like it spiked.
    let mut s = Spikes::new(config(None));
    mentions(&mut s, "Acme", 5, 50, 0);
    assert!(s.check(hour(5) + TimeDelta::minutes(59)).is_empty());
    // Declaring the replayed span makes the quiet hours count as quiet.
    let mut s = Spikes::new(config(None));
    s.watch_from(hour(-7));
    mentions(&mut s, "Acme", 5, 50, 0);
    assert_eq!(s.check(hour(5) + TimeDelta::minutes(59)).len(), 1);
}

#[test]
fn alert_ids_are_stable_per_brand_window_and_trigger() {
    let run = || {
        let mut s = steady(config(Some(2.0)), 20);
        mentions(&mut s, "Acme", 12, 80, 60);
        s.check(hour(12) + TimeDelta::minutes(59))
    };
    let (a, b) = (run(), run());
    assert_eq!(a.len(), 2, "volume and negative share: {a:?}");
    assert_eq!(
        a.iter().map(|x| &x.id).collect::<Vec<_>>(),
        b.iter().map(|x| &x.id).collect::<Vec<_>>()
    );
    assert_ne!(a[0].id, a[1].id);
}

#[test]
fn memory_is_bounded_per_brand_and_old_brands_go() {
    let mut s = Spikes::new(config(None));
    for h in 0..100 {
        mentions(&mut s, "Acme", h, 3, 0);
        mentions(&mut s, &format!("Brand{h}"), h, 1, 0);
    }
    // Acme keeps the current hour and its baseline, however long it runs.
    assert_eq!(s.size(), (101, 13 + 100));
    s.check(hour(99) + TimeDelta::minutes(1));
    assert_eq!(
        s.size(),
        (1 + 13, 13 + 13),
        "brands unheard for 13 hours go"
    );
    // A mention older than the kept baseline is dropped, not counted.
    s.observe("Acme", hour(10), true);
    assert_eq!(s.size(), (14, 26));
}
