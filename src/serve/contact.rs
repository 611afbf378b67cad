//! How often the company speaks to an author: the `[serve.contact]`
//! policy and the pure reading of a person's contact log against it.
//!
//! Too much contact is as bad as too little: someone who hears from a
//! company once too often asks to be taken off its list. So before anyone
//! contacts an author, the workspace says when the company last did (on
//! any of the person's accounts, by anyone, about any case), and it keeps
//! a cap on *proactive* contacts, those the company starts unasked, per
//! person and period. A reply to what the author said is never capped: the
//! author asked for it. Nothing here reads the clock; `now` is passed in.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::config::check::Errors;

/// `[serve.contact]`: how often an author may hear from the company.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContact {
    /// Warn before a contact when the author was contacted within this time (default "7d"; "0s" turns the warning off).
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    warn_within: Option<Duration>,
    /// Proactive contacts (started by the company, unasked) allowed per author within `cap_period` (default 2; 0 allows none).
    proactive_cap: Option<u32>,
    /// The period the proactive cap counts over (default "30d").
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    cap_period: Option<Duration>,
}

/// The checked policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactPolicy {
    pub warn_within: Duration,
    pub proactive_cap: u32,
    pub cap_period: Duration,
}

impl Default for ContactPolicy {
    fn default() -> ContactPolicy {
        ContactPolicy {
            warn_within: Duration::from_secs(7 * 86_400),
            proactive_cap: 2,
            cap_period: Duration::from_secs(30 * 86_400),
        }
    }
}

/// Longest period either setting may span: a year keeps the sums in range
/// and is longer than anyone remembers a contact.
const MAX_PERIOD: Duration = Duration::from_secs(366 * 86_400);

/// Checks `[serve.contact]`.
pub fn build(value: toml::Value, errors: &mut Errors) -> Option<ContactPolicy> {
    let raw: RawContact = errors.section("serve.contact", value)?;
    let d = ContactPolicy::default();
    let mut ok = true;
    let mut period = |key: &str, v: Option<Duration>, default: Duration, errors: &mut Errors| {
        let v = v.unwrap_or(default);
        if v > MAX_PERIOD {
            errors.err(
                format!("serve.contact.{key}"),
                format!(
                    "{} is too long: at most 366d",
                    humantime::format_duration(v)
                ),
            );
            ok = false;
        }
        v
    };
    let warn_within = period("warn_within", raw.warn_within, d.warn_within, errors);
    let cap_period = period("cap_period", raw.cap_period, d.cap_period, errors);
    if cap_period.is_zero() {
        errors.err(
            "serve.contact.cap_period",
            "must be longer than 0s; set proactive_cap instead to allow more",
        );
        ok = false;
    }
    let proactive_cap = raw.proactive_cap.unwrap_or(d.proactive_cap);
    if proactive_cap > 1000 {
        errors.err(
            "serve.contact.proactive_cap",
            format!("{proactive_cap} is out of range: a whole number from 0 to 1000"),
        );
        ok = false;
    }
    ok.then_some(ContactPolicy {
        warn_within,
        proactive_cap,
        cap_period,
    })
}

/// One contact with a person, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contacted {
    pub at: DateTime<Utc>,
    pub by: String,
    pub channel: String,
    pub proactive: bool,
    /// The case it was logged on.
    pub feedback_id: String,
}

/// Where a person stands against the policy at some moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    /// The latest contact, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Contacted>,
    /// The latest contact is within `warn_within`: say so before another.
    pub recent: bool,
    /// Proactive contacts within the cap period.
    pub proactive: usize,
    pub proactive_cap: u32,
    /// No proactive contact is allowed now.
    pub capped: bool,
    /// When capped: when the oldest proactive contact in the period leaves
    /// it, and one is allowed again (none while the cap is 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_from: Option<DateTime<Utc>>,
}

impl Standing {
    /// The warning to show before a contact, if there is one.
    pub fn warning(&self) -> Option<String> {
        let last = self.last.as_ref().filter(|_| self.recent)?;
        let mut w = format!(
            "This author was contacted on {} by {} ({}).",
            last.at.format("%Y-%m-%d %H:%M UTC"),
            last.by,
            last.channel
        );
        if self.capped {
            w.push(' ');
            w.push_str(&self.cap_message());
        }
        Some(w)
    }

    /// Why a proactive contact is refused now.
    pub fn cap_message(&self) -> String {
        match self.allowed_from {
            Some(t) => format!(
                "{} proactive contacts already, the cap per author; the next is allowed from {}.",
                self.proactive,
                t.format("%Y-%m-%d %H:%M UTC")
            ),
            None => "proactive contacts are turned off ([serve.contact] proactive_cap = 0).".into(),
        }
    }
}

/// Reads `log` (a person's contacts, in any order) against `policy` at `now`.
pub fn standing<'a>(
    log: impl IntoIterator<Item = &'a Contacted>,
    policy: &ContactPolicy,
    now: DateTime<Utc>,
) -> Standing {
    let span = |d: Duration| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
    let cap_from = now.checked_sub_signed(span(policy.cap_period));
    let warn_from = now.checked_sub_signed(span(policy.warn_within));
    let mut last: Option<&Contacted> = None;
    let mut in_period: Vec<DateTime<Utc>> = Vec::new();
    for c in log {
        // A contact logged "in the future" (a skewed clock) still counts.
        if last.is_none_or(|l| c.at > l.at) {
            last = Some(c);
        }
        if c.proactive && cap_from.is_none_or(|f| c.at > f) {
            in_period.push(c.at);
        }
    }
    in_period.sort_unstable();
    let cap = policy.proactive_cap as usize;
    let capped = in_period.len() >= cap;
    // The contact whose leaving brings the count under the cap.
    let allowed_from = (capped && cap > 0)
        .then(|| in_period[in_period.len() - cap])
        .and_then(|t| t.checked_add_signed(span(policy.cap_period)));
    Standing {
        recent: !policy.warn_within.is_zero()
            && last.is_some_and(|l| warn_from.is_none_or(|f| l.at > f)),
        last: last.cloned(),
        proactive: in_period.len(),
        proactive_cap: policy.proactive_cap,
        capped,
        allowed_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> DateTime<Utc> {
        "2026-11-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::days(day)
    }

    fn contact(day: i64, proactive: bool) -> Contacted {
        Contacted {
            at: at(day),
            by: "pat".into(),
            channel: "email".into(),
            proactive,
            feedback_id: format!("fb_{day}"),
        }
    }

    #[test]
    fn a_contact_within_the_period_warns_and_an_older_one_does_not() {
        let p = ContactPolicy::default();
        let log = [contact(0, false), contact(10, false)];
        let s = standing(&log, &p, at(12));
        assert!(s.recent);
        assert_eq!(s.last.as_ref().unwrap().at, at(10));
        let w = s.warning().unwrap();
        assert!(
            w.contains("2026-11-11 09:00 UTC") && w.contains("pat"),
            "{w}"
        );
        let s = standing(&log, &p, at(18));
        assert!(!s.recent && s.warning().is_none());
        assert!(!standing(&[], &p, at(0)).recent);
    }

    #[test]
    fn replies_are_never_capped_and_proactive_contacts_are() {
        let p = ContactPolicy {
            proactive_cap: 2,
            ..ContactPolicy::default()
        };
        let replies: Vec<Contacted> = (0..5).map(|d| contact(d, false)).collect();
        assert!(!standing(&replies, &p, at(6)).capped);
        let log = [contact(0, true), contact(3, false), contact(5, true)];
        let s = standing(&log, &p, at(6));
        assert_eq!((s.proactive, s.capped), (2, true));
        // The first proactive contact leaves the 30 days on day 30.
        assert_eq!(s.allowed_from, Some(at(30)));
        assert!(
            s.cap_message().contains("2026-12-01"),
            "{}",
            s.cap_message()
        );
        let s = standing(&log, &p, at(30));
        assert_eq!((s.proactive, s.capped), (1, false));
    }

    #[test]
    fn a_cap_of_zero_allows_no_proactive_contact_ever() {
        let p = ContactPolicy {
            proactive_cap: 0,
            ..ContactPolicy::default()
        };
        let s = standing(&[], &p, at(0));
        assert!(s.capped);
        assert_eq!(s.allowed_from, None);
        assert!(s.cap_message().contains("proactive_cap = 0"));
    }

    #[test]
    fn the_policy_is_checked_under_its_keys() {
        let check = |text: &str| {
            let mut errors = Errors::default();
            let p = build(toml::from_str(text).unwrap(), &mut errors);
            let keys: Vec<String> = errors.into_vec().into_iter().map(|e| e.key).collect();
            (p, keys)
        };
        let (p, keys) = check("warn_within = \"3d\"\nproactive_cap = 1");
        assert!(keys.is_empty(), "{keys:?}");
        let p = p.unwrap();
        assert_eq!(p.warn_within, Duration::from_secs(3 * 86_400));
        assert_eq!(
            (p.proactive_cap, p.cap_period),
            (1, ContactPolicy::default().cap_period)
        );
        let (p, keys) = check("cap_period = \"0s\"\nproactive_cap = 5000\nwarn_within = \"400d\"");
        assert!(p.is_none());
        assert_eq!(
            keys,
            [
                "serve.contact.warn_within",
                "serve.contact.cap_period",
                "serve.contact.proactive_cap"
            ]
        );
    }
}
