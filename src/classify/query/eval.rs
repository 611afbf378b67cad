//! Deciding whether one compiled query matches one document, and where.
//!
//! Owns the meaning of each operator over word positions: phrases, `~N`
//! proximity, NEAR, raw substrings, and which hits count as evidence for
//! highlighting. It does not tokenize or pick candidate queries; the
//! document arrives already scanned against the index.
//!
//! Distances count the other words between two hits: `NEAR/5` allows at
//! most five words in between, `NEAR/0` means adjacent. `"a b c"~N` allows
//! at most N other words among the phrase's words, in any order.

use std::ops::Range;

use super::ast::FieldSet;
use super::index::{Hits, Node};
use super::site;
use super::tokenize::{is_spaced_word_char, Break};

/// A document prepared for evaluation. Field slots: 0 text, 1 title,
/// 2 author (slot `i` is the field bit `1 << i`).
pub(crate) struct Doc<'a> {
    pub text: [&'a str; 3],
    /// Byte range of each token, by position.
    pub tokens: [Vec<Range<usize>>; 3],
    /// What separates each token from the one before, by position.
    pub breaks: [Vec<Break>; 3],
    pub hits: Hits,
    pub url_key: Option<String>,
    pub lang: Option<String>,
}

/// Token positions `[start, end)` within one field.
type Span = (u32, u32);

fn in_fields(fields: FieldSet, slot: usize) -> bool {
    fields & (1 << slot) != 0
}

impl Doc<'_> {
    fn positions(&self, unit: u32, slot: usize) -> &[u32] {
        self.hits.get(&unit).map_or(&[], |p| &p[slot])
    }

    /// Whether a break at least as strong as `brk` separates any two
    /// neighbours from position `from` to position `to` (inclusive).
    fn broken(&self, slot: usize, from: u32, to: u32, brk: Break) -> bool {
        let b = &self.breaks[slot];
        (from as usize + 1..=to as usize)
            .filter_map(|q| b.get(q))
            .any(|&x| x >= brk)
    }

    /// Whether tokens `q - 1` and `q` are joined as a phrase needs: nothing
    /// but spaces or joiners between them, or the very punctuation the
    /// query's phrase has there (`"U.S. Steel"`, `"Yahoo! Mail"`).
    fn joined(&self, slot: usize, q: u32, query_punct: &str) -> bool {
        let q = q as usize;
        if self.breaks[slot].get(q).is_none_or(|&b| b == Break::None) {
            return true;
        }
        let toks = &self.tokens[slot];
        !query_punct.is_empty()
            && punctuation(&self.text[slot][toks[q - 1].end..toks[q].start]) == query_punct
    }

    fn host(&self) -> Option<&str> {
        self.url_key.as_deref().map(site::key_host)
    }
}

pub(crate) fn truth(n: &Node, d: &Doc) -> bool {
    match n {
        Node::Word { unit, fields } => (0..3)
            .filter(|&s| in_fields(*fields, s))
            .any(|s| !d.positions(*unit, s).is_empty()),
        Node::Phrase { .. } | Node::Near { .. } => (0..3).any(|s| !spans(n, d, s).is_empty()),
        Node::Raw { needle, fields, .. } => (0..3)
            .filter(|&s| in_fields(*fields, s))
            .any(|s| raw_matches(d.text[s], needle).next().is_some()),
        Node::Site(h) => d.host().is_some_and(|host| site::host_matches(host, h)),
        Node::Url(prefix) => d
            .url_key
            .as_deref()
            .is_some_and(|k| site::url_matches(k, prefix)),
        Node::Lang(tag) => d
            .lang
            .as_deref()
            .is_some_and(|l| site::lang_matches(l, tag)),
        Node::And(xs) => xs.iter().all(|x| truth(x, d)),
        Node::Or(xs) => xs.iter().any(|x| truth(x, d)),
        Node::Not(x) => !truth(x, d),
    }
}

/// Where a positional node occurs in one field, sorted and deduplicated.
fn spans(n: &Node, d: &Doc, slot: usize) -> Vec<Span> {
    let mut out = match n {
        Node::Word { unit, fields } if in_fields(*fields, slot) => d
            .positions(*unit, slot)
            .iter()
            .map(|&p| (p, p + 1))
            .collect(),
        Node::Phrase {
            units,
            slop,
            fields,
            joins,
        } if in_fields(*fields, slot) => {
            let lists: Vec<&[u32]> = units.iter().map(|&u| d.positions(u, slot)).collect();
            if lists.iter().any(|l| l.is_empty()) {
                return Vec::new();
            }
            match slop {
                None => exact_phrase(&lists)
                    .into_iter()
                    .filter(|&(s, _)| {
                        (1..lists.len() as u32)
                            .all(|i| d.joined(slot, s + i, &joins[i as usize - 1]))
                    })
                    .collect(),
                // Words in any order, within one sentence.
                Some(slop) => proximity(&lists, *slop)
                    .into_iter()
                    .filter(|&(s, e)| !d.broken(slot, s, e - 1, Break::Sentence))
                    .collect(),
            }
        }
        Node::Near {
            left,
            right,
            dist,
            ordered,
            across,
            without,
        } => {
            let (left, right) = (spans(left, d, slot), spans(right, d, slot));
            let apart = |a: Span, b: Span| {
                // The words between the two sides, in text order.
                let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
                !*across && d.broken(slot, first.1.saturating_sub(1), second.0, Break::Sentence)
            };
            let close = near(&left, &right, *dist, *ordered, apart);
            if *without {
                left.into_iter()
                    .filter(|&l| !close.iter().any(|&(_, l2, _)| l2 == l))
                    .collect()
            } else {
                close.into_iter().map(|(w, _, _)| w).collect()
            }
        }
        Node::Or(xs) => xs.iter().flat_map(|x| spans(x, d, slot)).collect(),
        _ => Vec::new(),
    };
    out.sort_unstable();
    out.dedup();
    out
}

fn exact_phrase(lists: &[&[u32]]) -> Vec<Span> {
    let len = lists.len() as u32;
    lists[0]
        .iter()
        .filter(|&&p| {
            lists
                .iter()
                .zip(p..)
                .all(|(l, q)| l.binary_search(&q).is_ok())
        })
        .map(|&p| (p, p + len))
        .collect()
}

/// Smallest windows, one per starting position, that give each phrase word
/// its own position with at most `slop` other words in the window.
fn proximity(lists: &[&[u32]], slop: u32) -> Vec<Span> {
    let mut all: Vec<u32> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    let k = lists.len();
    let width = (k as u32).saturating_add(slop);
    let mut out = Vec::new();
    for (i, &start) in all.iter().enumerate() {
        let end = i + all[i..].partition_point(|&p| p - start < width);
        let window = &all[i..end];
        if let Some(m) = (k..=window.len()).find(|&m| assignable(lists, &window[..m])) {
            out.push((start, window[m - 1] + 1));
        }
    }
    out
}

/// Can every list claim a distinct position from `pos`? (Bipartite
/// matching; phrases are short, so the simple augmenting search is enough.)
fn assignable(lists: &[&[u32]], pos: &[u32]) -> bool {
    fn augment(
        u: usize,
        lists: &[&[u32]],
        pos: &[u32],
        owner: &mut [Option<usize>],
        seen: &mut [bool],
    ) -> bool {
        for i in 0..pos.len() {
            if seen[i] || lists[u].binary_search(&pos[i]).is_err() {
                continue;
            }
            seen[i] = true;
            let free = match owner[i] {
                None => true,
                Some(v) => augment(v, lists, pos, owner, seen),
            };
            if free {
                owner[i] = Some(u);
                return true;
            }
        }
        false
    }
    let mut owner = vec![None; pos.len()];
    (0..lists.len()).all(|u| augment(u, lists, pos, &mut owner, &mut vec![false; pos.len()]))
}

/// Pairs of a left and a right span close enough, skipping those `apart`
/// keeps apart: (the window over both, the left span, the right span).
fn near(
    left: &[Span],
    right: &[Span],
    dist: u32,
    ordered: bool,
    apart: impl Fn(Span, Span) -> bool,
) -> Vec<(Span, Span, Span)> {
    let longest = right.iter().map(|&(s, e)| e - s).max().unwrap_or(0);
    let mut out = Vec::new();
    for &(ls, le) in left {
        // Only right spans starting in this range can be close enough.
        let lo = if ordered {
            le
        } else {
            ls.saturating_sub(dist.saturating_add(longest))
        };
        let hi = le.saturating_add(dist);
        let from = right.partition_point(|&(s, _)| s < lo);
        for &(rs, re) in right[from..].iter().take_while(|&&(s, _)| s <= hi) {
            let after = le <= rs && rs - le <= dist;
            let before = !ordered && re <= ls && ls - re <= dist;
            if (after || before) && !apart((ls, le), (rs, re)) {
                out.push(((ls.min(rs), le.max(re)), (ls, le), (rs, re)));
            }
        }
    }
    out
}

/// The word spans that make a positional node true, for highlighting:
/// the words themselves rather than the windows around them.
fn parts(n: &Node, d: &Doc, slot: usize) -> Vec<Span> {
    match n {
        Node::Phrase {
            slop: Some(_),
            units,
            ..
        } => {
            let windows = Windows::new(spans(n, d, slot));
            let mut out: Vec<Span> = units
                .iter()
                .flat_map(|&u| d.positions(u, slot))
                .filter(|&&p| windows.cover(p, p + 1))
                .map(|&p| (p, p + 1))
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        }
        Node::Near { left, right, .. } => {
            let windows = Windows::new(spans(n, d, slot));
            let mut out: Vec<Span> = parts(left, d, slot)
                .into_iter()
                .chain(parts(right, d, slot))
                .filter(|&(ps, pe)| windows.cover(ps, pe))
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        }
        Node::Or(xs) => xs.iter().flat_map(|x| parts(x, d, slot)).collect(),
        _ => spans(n, d, slot),
    }
}

/// Sorted windows (as [`spans`] returns them), asked whether any of them
/// covers a span: a binary search over the windows' starts and the furthest
/// end reached so far, not a pass over every window for every word.
struct Windows {
    windows: Vec<Span>,
    reach: Vec<u32>,
}

impl Windows {
    fn new(windows: Vec<Span>) -> Windows {
        let reach = windows
            .iter()
            .scan(0, |r, &(_, e)| {
                *r = e.max(*r);
                Some(*r)
            })
            .collect();
        Windows { windows, reach }
    }

    /// Some window `(s, e)` has `s <= start` and `end <= e`.
    fn cover(&self, start: u32, end: u32) -> bool {
        match self.windows.partition_point(|&(s, _)| s <= start) {
            0 => false,
            n => self.reach[n - 1] >= end,
        }
    }
}

/// Byte ranges, per field slot, of the positive evidence for a true node.
pub(crate) fn collect(n: &Node, d: &Doc, out: &mut Vec<(usize, Range<usize>)>) {
    match n {
        Node::Word { .. } | Node::Phrase { .. } | Node::Near { .. } => {
            for slot in 0..3 {
                let toks = &d.tokens[slot];
                for (s, e) in parts(n, d, slot) {
                    out.push((slot, toks[s as usize].start..toks[e as usize - 1].end));
                }
            }
        }
        Node::Raw { needle, fields, .. } => {
            for slot in (0..3).filter(|&s| in_fields(*fields, s)) {
                out.extend(raw_matches(d.text[slot], needle).map(|r| (slot, r)));
            }
        }
        Node::And(xs) => xs.iter().for_each(|x| collect(x, d, out)),
        Node::Or(xs) => xs
            .iter()
            .filter(|x| truth(x, d))
            .for_each(|x| collect(x, d, out)),
        Node::Not(_) | Node::Site(_) | Node::Url(_) | Node::Lang(_) => {}
    }
}

/// The punctuation of a gap between words, without its spaces: what a
/// phrase's own punctuation is compared by.
pub(crate) fn punctuation(gap: &str) -> String {
    gap.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Case-exact occurrences of `needle` that do not start or end inside a
/// word (`raw:ACME` skips `ACMEcorp`; unspaced scripts have no such edge).
fn raw_matches<'h>(hay: &'h str, needle: &'h str) -> impl Iterator<Item = Range<usize>> + 'h {
    let glued = |a: Option<char>, b: Option<char>| match (a, b) {
        (Some(a), Some(b)) => is_spaced_word_char(a) && is_spaced_word_char(b),
        _ => false,
    };
    hay.match_indices(needle).filter_map(move |(i, m)| {
        let end = i + m.len();
        let starts_inside = glued(hay[..i].chars().next_back(), m.chars().next());
        let ends_inside = glued(m.chars().next_back(), hay[end..].chars().next());
        (!starts_inside && !ends_inside).then_some(i..end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_what_a_pass_over_every_window_finds() {
        // Sorted like `spans` output; nested and overlapping windows, and
        // ends that go down as starts go up.
        let windows: Vec<Span> = vec![(0, 2), (1, 9), (3, 4), (3, 5), (6, 7), (10, 12), (11, 11)];
        let fast = Windows::new(windows.clone());
        for start in 0..14 {
            for end in start..15 {
                let slow = windows.iter().any(|&(s, e)| s <= start && end <= e);
                assert_eq!(fast.cover(start, end), slow, "{start}..{end}");
            }
        }
        assert!(!Windows::new(Vec::new()).cover(0, 0));
    }
}
