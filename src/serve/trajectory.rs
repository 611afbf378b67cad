//! The chart of a person's sentiment history on the influencer page: each
//! mention a point over time (its colour the sentiment, its shape the
//! platform it was said on), with the mean of the recent mentions and of
//! the earlier ones drawn as lines over the spans they cover, and a legend
//! of the platforms. SVG text like [`super::svg`], a pure function of the
//! record's [`Trajectory`]; every label is escaped.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::svg::{esc, open, score_axis, score_y, BOTTOM, H, LEFT, RIGHT, TOP, W};
use crate::record::trajectory::{split, RECENT_POINTS};
use crate::record::Trajectory;

/// Marker shapes, given to platforms in the order they first appear.
const SHAPES: [&str; 4] = ["circle", "square", "triangle", "diamond"];

/// One marker at (x, y), as SVG, with its tooltip.
fn marker(shape: &str, x: f64, y: f64, fill: &str, tip: &str) -> String {
    let title = format!("<title>{}</title>", esc(tip));
    match shape {
        "square" => format!(
            r##"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="{fill}">{title}</rect>"##,
            x - 4.0,
            y - 4.0
        ),
        "triangle" => format!(
            r##"<path d="M{x:.1},{:.1} l5,9 l-10,0 z" fill="{fill}">{title}</path>"##,
            y - 5.0
        ),
        "diamond" => format!(
            r##"<path d="M{x:.1},{:.1} l5,5 l-5,5 l-5,-5 z" fill="{fill}">{title}</path>"##,
            y - 5.0
        ),
        _ => format!(r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{fill}">{title}</circle>"##),
    }
}

fn colour(score: f64) -> &'static str {
    if score <= -0.05 {
        "#b42318"
    } else if score >= 0.05 {
        "#1a7f37"
    } else {
        "#59636e"
    }
}

/// The history as a reader who may see the feedback `shown` says yes to
/// sees it: the points of other feedback left out and the figures worked
/// out again from those kept (the count then counts only them). Unchanged
/// when every point is shown.
pub fn visible(t: &Trajectory, shown: impl Fn(&str) -> bool) -> Trajectory {
    if t.points.iter().all(|p| shown(&p.feedback_id)) {
        return t.clone();
    }
    t.points
        .iter()
        .filter(|p| shown(&p.feedback_id))
        .cloned()
        .fold(Trajectory::default(), Trajectory::fold)
}

/// The chart of `t`, titled `title`.
pub fn chart(title: &str, t: &Trajectory) -> String {
    let mut s = open(title);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let pts = &t.points;
    let (t0, t1) = match (pts.first(), pts.last()) {
        (Some(a), Some(z)) => (a.at.timestamp() as f64, z.at.timestamp() as f64),
        _ => (0.0, 1.0),
    };
    let span = (t1 - t0).max(1.0);
    // A single point, or all at one time, sits in the middle.
    let x = |at: &DateTime<Utc>| match pts.len() {
        0 | 1 => LEFT + pw / 2.0,
        _ => LEFT + (at.timestamp() as f64 - t0) / span * pw,
    };
    let y = |v: f64| score_y(v, ph);
    score_axis(&mut s, ph);
    // The two means, each over the mentions it is the mean of.
    let (earlier, recent) = split(pts, RECENT_POINTS);
    let spans = [
        (earlier, t.earlier_mean, "#8c959f", "Earlier mean"),
        (recent, Some(t.recent_mean), "#0b5cad", "Recent mean"),
    ];
    for (part, mean, stroke, label) in spans {
        let (Some(a), Some(z), Some(m)) = (part.first(), part.last(), mean) else {
            continue;
        };
        let _ = write!(
            s,
            r##"<line class="mean" x1="{:.1}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="{stroke}" stroke-width="2" stroke-dasharray="6 3"><title>{label}: {m:+.2}</title></line>"##,
            x(&a.at) - 4.0,
            x(&z.at) + 4.0,
            yy = y(m),
        );
    }
    let mut platforms: Vec<&str> = Vec::new();
    for p in pts {
        if !platforms.contains(&p.platform.as_str()) {
            platforms.push(&p.platform);
        }
    }
    let shape = |platform: &str| {
        let i = platforms.iter().position(|q| *q == platform).unwrap_or(0);
        SHAPES[i % SHAPES.len()]
    };
    for p in pts {
        let tip = format!(
            "{} on {} about {}: {:+.2}",
            p.at.format("%Y-%m-%d %H:%M"),
            p.platform,
            p.brand,
            p.score
        );
        s.push_str(&marker(
            shape(&p.platform),
            x(&p.at),
            y(p.score),
            colour(p.score),
            &tip,
        ));
    }
    // Legend and span under the axis: the platforms' shapes, the figures.
    let ty = H - 12.0;
    let mut lx = LEFT;
    for platform in &platforms {
        s.push_str(&marker(
            shape(platform),
            lx + 4.0,
            ty - 4.0,
            "#59636e",
            platform,
        ));
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{ty}" font-size="11" fill="#59636e" font-family="sans-serif">{}</text>"##,
            lx + 12.0,
            esc(platform)
        );
        lx += 20.0 + 7.0 * platform.chars().count() as f64;
    }
    let figures = match t.earlier_mean {
        Some(_) => format!(
            "{} mentions · recent mean {:+.2} · trend {:+.2}",
            t.count, t.recent_mean, t.trend
        ),
        None => format!("{} mentions · recent mean {:+.2}", t.count, t.recent_mean),
    };
    let _ = write!(
        s,
        r##"<text x="{}" y="{ty}" text-anchor="end" font-size="11" fill="#59636e" font-family="sans-serif">{}</text>"##,
        W - RIGHT,
        esc(&figures)
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Point;

    fn point(day: u32, score: f64, platform: &str) -> Point {
        Point {
            at: format!("2026-03-{day:02}T09:00:00Z").parse().unwrap(),
            score,
            brand: "Acme".into(),
            platform: platform.into(),
            feedback_id: format!("fb_{day}"),
        }
    }

    #[test]
    fn each_platform_has_its_shape_and_both_means_are_drawn() {
        let t = [
            point(1, 0.6, "mastodon"),
            point(2, 0.5, "mastodon"),
            point(3, 0.7, "mastodon"),
            point(10, -0.5, "web"),
            point(11, -0.7, "web"),
            point(12, -0.6, "<web>"),
        ]
        .into_iter()
        .fold(Trajectory::default(), Trajectory::fold);
        let svg = chart("Rant112 & co", &t);
        // Three toots as circles, two web posts as squares (after the
        // background's rect), the third platform as a triangle; each shape
        // once more in the legend.
        assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
        assert_eq!(svg.matches("<rect x=").count(), 1 + 3, "{svg}");
        assert_eq!(svg.matches(r##"<path d="M"##).count(), 2, "{svg}");
        assert!(svg.contains("Recent mean: -0.60"), "{svg}");
        assert!(svg.contains("Earlier mean: +0.60"), "{svg}");
        assert!(svg.contains("trend -1.20"), "{svg}");
        assert!(svg.contains("Rant112 &amp; co"));
        assert!(svg.contains("&lt;web&gt;"));
        assert!(!svg.contains("<web>"));
        assert!(svg.ends_with("</svg>"));

        // A reader who may not see the blog posts sees the toots alone.
        let toots = visible(&t, |id| ["fb_1", "fb_2", "fb_3"].contains(&id));
        assert_eq!((toots.count, toots.points.len()), (3, 3));
        assert!((toots.recent_mean - 0.6).abs() < 1e-9);
        assert_eq!(visible(&t, |_| true), t);
    }
}
