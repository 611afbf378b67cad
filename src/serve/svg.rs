//! Charts drawn on the server as SVG text, so that pages need no script
//! and no external asset. Two kinds: a brand's mentions per period (bars)
//! with their negative share (a line) and spike alerts marked, and a
//! sentiment score over time (points in [-1, 1]). Pure functions of their
//! figures; every label is escaped.

use chrono::{DateTime, Utc};
use std::fmt::Write;

use crate::serve::view::Bucket;

pub(super) const W: f64 = 720.0;
pub(super) const H: f64 = 240.0;
pub(super) const LEFT: f64 = 44.0;
pub(super) const RIGHT: f64 = 44.0;
pub(super) const TOP: f64 = 16.0;
pub(super) const BOTTOM: f64 = 36.0;

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn open(title: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title><rect x="0" y="0" width="{W}" height="{H}" fill="#fff"/>"##,
        t = esc(title)
    )
}

/// Mentions per period as bars, negative share as a line on the right
/// axis, and a red mark over each period in `spikes`.
pub fn volume(
    title: &str,
    points: &[(DateTime<Utc>, Bucket)],
    spikes: &[DateTime<Utc>],
    fmt: &str,
) -> String {
    let mut s = open(title);
    let n = points.len().max(1) as f64;
    let max = points
        .iter()
        .map(|(_, b)| b.mentions)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let step = pw / n;
    let y = |v: f64| TOP + ph - v / max * ph;
    // Axes and their scales.
    let _ = write!(
        s,
        r##"<g font-size="11" fill="#59636e" font-family="sans-serif"><text x="{lx}" y="{ty}" text-anchor="end">{max}</text><text x="{lx}" y="{by}" text-anchor="end">0</text><text x="{rx}" y="{ty}">100%</text><text x="{rx}" y="{by}">0%</text></g><line x1="{LEFT}" y1="{by0}" x2="{x2}" y2="{by0}" stroke="#d0d7de"/>"##,
        lx = LEFT - 6.0,
        rx = W - RIGHT + 6.0,
        ty = TOP + 4.0,
        by = TOP + ph,
        by0 = TOP + ph,
        x2 = W - RIGHT,
        max = max as u64,
    );
    let mut line = String::new();
    for (i, (t, b)) in points.iter().enumerate() {
        let x = LEFT + i as f64 * step;
        let top = y(b.mentions as f64);
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{top:.1}" width="{w:.1}" height="{h:.1}" fill="#0b5cad" opacity="0.75"><title>{label}: {m} mentions, {neg} negative</title></rect>"##,
            w = (step * 0.8).max(1.0),
            h = TOP + ph - top,
            label = esc(&t.format(fmt).to_string()),
            m = b.mentions,
            neg = b.negative,
        );
        let ly = TOP + ph - b.negative_share() * ph;
        let _ = write!(line, "{:.1},{ly:.1} ", x + step * 0.4);
        if spikes
            .iter()
            .any(|sp| *sp >= *t && points.get(i + 1).is_none_or(|(n, _)| sp < n))
        {
            let _ = write!(
                s,
                r##"<path d="M{a:.1},{b:.1} l5,-9 l5,9 z" fill="#b42318"><title>Spike alert</title></path>"##,
                a = x + step * 0.4 - 5.0,
                b = top - 3.0,
            );
        }
    }
    if points.len() > 1 {
        let _ = write!(
            s,
            r##"<polyline points="{line}" fill="none" stroke="#b42318" stroke-width="2"/>"##
        );
    }
    // First and last period under the axis.
    if let (Some((a, _)), Some((z, _))) = (points.first(), points.last()) {
        let _ = write!(
            s,
            r##"<g font-size="11" fill="#59636e" font-family="sans-serif"><text x="{LEFT}" y="{ty}">{a}</text><text x="{zx}" y="{ty}" text-anchor="end">{z}</text></g>"##,
            ty = H - 12.0,
            zx = W - RIGHT,
            a = esc(&a.format(fmt).to_string()),
            z = esc(&z.format(fmt).to_string()),
        );
    }
    s.push_str("</svg>");
    s
}

/// Sentiment scores over time, as points joined by a line, with the zero
/// line drawn.
pub fn sentiment(title: &str, points: &[(DateTime<Utc>, f64)]) -> String {
    let mut s = open(title);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let (t0, t1) = match (points.first(), points.last()) {
        (Some(a), Some(z)) => (a.0.timestamp() as f64, z.0.timestamp() as f64),
        _ => (0.0, 1.0),
    };
    let span = (t1 - t0).max(1.0);
    let x = |t: &DateTime<Utc>| LEFT + (t.timestamp() as f64 - t0) / span * pw;
    let y = |v: f64| score_y(v, ph);
    score_axis(&mut s, ph);
    let line: String = points
        .iter()
        .map(|(t, v)| format!("{:.1},{:.1} ", x(t), y(*v)))
        .collect();
    if points.len() > 1 {
        let _ = write!(
            s,
            r##"<polyline points="{line}" fill="none" stroke="#59636e"/>"##
        );
    }
    for (t, v) in points {
        let colour = if *v <= -0.05 {
            "#b42318"
        } else if *v >= 0.05 {
            "#1a7f37"
        } else {
            "#59636e"
        };
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"><title>{}: {v:.2}</title></circle>"##,
            x(t),
            y(*v),
            esc(&t.format("%Y-%m-%d %H:%M").to_string()),
        );
    }
    s.push_str("</svg>");
    s
}

/// Height of a sentiment score in [-1, 1] on a plot `ph` high.
pub(super) fn score_y(v: f64, ph: f64) -> f64 {
    TOP + (1.0 - (v.clamp(-1.0, 1.0) + 1.0) / 2.0) * ph
}

/// The zero line and the +1, 0, -1 labels of a sentiment plot `ph` high.
pub(super) fn score_axis(s: &mut String, ph: f64) {
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{z:.1}" x2="{x2}" y2="{z:.1}" stroke="#d0d7de"/><g font-size="11" fill="#59636e" font-family="sans-serif"><text x="{lx}" y="{a}" text-anchor="end">+1</text><text x="{lx}" y="{z:.1}" text-anchor="end">0</text><text x="{lx}" y="{b}" text-anchor="end">-1</text></g>"##,
        z = score_y(0.0, ph),
        x2 = W - RIGHT,
        lx = LEFT - 6.0,
        a = TOP + 4.0,
        b = TOP + ph,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_volume_chart_has_a_bar_per_period_and_marks_spikes() {
        let t: DateTime<Utc> = "2026-11-30T10:00:00Z".parse().unwrap();
        let h = chrono::TimeDelta::hours(1);
        let points = vec![
            (
                t,
                Bucket {
                    mentions: 2,
                    negative: 0,
                },
            ),
            (
                t + h,
                Bucket {
                    mentions: 9,
                    negative: 6,
                },
            ),
            (
                t + h * 2,
                Bucket {
                    mentions: 1,
                    negative: 1,
                },
            ),
        ];
        let svg = volume(
            "Acme <mentions>",
            &points,
            &[t + h + chrono::TimeDelta::minutes(5)],
            "%H:%M",
        );
        assert_eq!(
            svg.matches(r##"fill="#0b5cad""##).count(),
            3,
            "a bar per period"
        );
        assert_eq!(svg.matches("Spike alert").count(), 1);
        assert!(svg.contains("Acme &lt;mentions&gt;"));
        assert!(svg.contains("11:00: 9 mentions, 6 negative"));
        // Well-formed enough for a browser: every element closed.
        assert!(svg.ends_with("</svg>"));
    }
}
