//! Record timestamps written as RFC 3339, without the formatting machinery.
//!
//! chrono writes a timestamp through `core::fmt` (a `Debug` of the date, of
//! the time and of the offset, each padded by a format spec), about 2,000
//! instructions each; a record carries several and an influencer's history
//! one per point, so it was a few percent of a whole backfill. These
//! functions write the same text digit by digit into a buffer on the stack:
//! `2026-11-22T10:00:00Z`, with the fraction chrono would give (none, or 3,
//! 6 or 9 digits, the fewest that keep it exact), a leap second as `:60`,
//! and years outside 0..=9999 signed, as chrono writes them. Kafka's
//! `ce_time` header gets the same text with `+00:00` for `Z`, as chrono's
//! `to_rfc3339` writes it. Reading is chrono's own.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serializer;

/// Room for the longest text: a signed year of 6 digits and 9 fraction
/// digits make 33 bytes.
const MAX: usize = 40;

/// Writes `t` as chrono's serde would, into `buf`, ending in `offset`
/// (`Z` there, `+00:00` for `to_rfc3339`); returns its length.
fn write(t: &DateTime<Utc>, buf: &mut [u8; MAX], offset: &[u8]) -> usize {
    let mut n = 0;
    let mut put = |bytes: &[u8]| {
        buf[n..n + bytes.len()].copy_from_slice(bytes);
        n += bytes.len();
    };
    let year = t.year();
    if (0..=9999).contains(&year) {
        put(&digits::<4>(year as u32));
    } else {
        put(if year < 0 { b"-" } else { b"+" });
        let abs = year.unsigned_abs();
        // chrono pads a signed year to 4 digits, and writes all of a longer one.
        let width = if abs > 99_999 {
            6
        } else if abs > 9_999 {
            5
        } else {
            4
        };
        let all = digits::<6>(abs);
        put(&all[6 - width..]);
    }
    put(b"-");
    put(&digits::<2>(t.month()));
    put(b"-");
    put(&digits::<2>(t.day()));
    put(b"T");
    put(&digits::<2>(t.hour()));
    put(b":");
    put(&digits::<2>(t.minute()));
    put(b":");
    // chrono keeps a leap second as nanoseconds past 1e9 of second 59.
    let (second, nano) = match t.nanosecond() {
        n if n >= 1_000_000_000 => (t.second() + 1, n - 1_000_000_000),
        n => (t.second(), n),
    };
    put(&digits::<2>(second));
    if nano != 0 {
        put(b".");
        let all = digits::<9>(nano);
        let shown = if nano % 1_000_000 == 0 {
            3
        } else if nano % 1_000 == 0 {
            6
        } else {
            9
        };
        put(&all[..shown]);
    }
    put(offset);
    n
}

/// The last `N` decimal digits of `v`, zero-padded.
fn digits<const N: usize>(mut v: u32) -> [u8; N] {
    let mut out = [b'0'; N];
    for d in out.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out
}

/// A timestamp written out, on the stack.
pub struct Written {
    buf: [u8; MAX],
    len: usize,
}

impl Written {
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation were written.
        std::str::from_utf8(&self.buf[..self.len]).expect("ASCII")
    }
}

/// [`write`] onto the stack.
fn written(t: &DateTime<Utc>, offset: &[u8]) -> Written {
    let mut buf = [0u8; MAX];
    let len = write(t, &mut buf, offset);
    Written { buf, len }
}

/// `t` as chrono's `to_rfc3339` writes it: as serde would, but with the
/// offset spelled `+00:00`. Kafka's `ce_time` header carries this.
pub fn rfc3339(t: &DateTime<Utc>) -> Written {
    written(t, b"+00:00")
}

/// For `#[serde(serialize_with = "time::serialize")]`.
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(written(t, b"Z").as_str())
}

/// [`serialize`] of an optional timestamp (`None` as null, as serde would;
/// the fields skip it anyway).
pub fn serialize_option<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn ours(t: &DateTime<Utc>) -> String {
        written(t, b"Z").as_str().to_string()
    }

    fn chronos(t: &DateTime<Utc>) -> String {
        serde_json::to_value(t)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        let at = |y, mo, d, h, mi, s, nano| {
            Utc.from_utc_datetime(
                &NaiveDate::from_ymd_opt(y, mo, d)
                    .unwrap()
                    .and_hms_nano_opt(h, mi, s, nano)
                    .unwrap(),
            )
        };
        let cases = [
            at(2026, 11, 22, 10, 0, 0, 0),
            at(2026, 1, 2, 3, 4, 5, 120_000_000),
            at(2026, 1, 2, 3, 4, 5, 123_456_000),
            at(2026, 1, 2, 3, 4, 5, 123_456_789),
            at(2026, 1, 2, 3, 4, 5, 1),
            // A leap second.
            at(2016, 12, 31, 23, 59, 59, 1_000_000_000),
            at(2016, 12, 31, 23, 59, 59, 1_500_000_000),
            at(0, 1, 1, 0, 0, 0, 0),
            at(9999, 12, 31, 23, 59, 59, 999_999_999),
            at(10_000, 1, 1, 0, 0, 0, 0),
            at(-1, 6, 30, 12, 0, 0, 0),
            at(-12_345, 6, 30, 12, 0, 0, 0),
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
        ];
        for t in &cases {
            assert_eq!(ours(t), chronos(t), "{t:?}");
            assert_eq!(rfc3339(t).as_str(), t.to_rfc3339(), "{t:?}");
        }
        // And a spread of instants with every kind of fraction.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x % 8_000_000_000_000) as i64 - 4_000_000_000_000;
            let nano = match x % 4 {
                0 => 0,
                1 => (x >> 20) as u32 % 1000 * 1_000_000,
                2 => (x >> 20) as u32 % 1_000_000 * 1000,
                _ => (x >> 20) as u32 % 1_000_000_000,
            };
            let t = Utc.timestamp_opt(secs, nano).unwrap();
            assert_eq!(ours(&t), chronos(&t), "{t:?}");
            assert_eq!(rfc3339(&t).as_str(), t.to_rfc3339(), "{t:?}");
        }
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        #[derive(serde::Serialize)]
        struct Rec {
            #[serde(serialize_with = "serialize")]
            at: DateTime<Utc>,
            #[serde(serialize_with = "serialize_option")]
            maybe: Option<DateTime<Utc>>,
        }
        let at = Utc.timestamp_opt(1_795_000_000, 250_000_000).unwrap();
        let json = serde_json::to_value(Rec { at, maybe: None }).unwrap();
        assert_eq!(json["maybe"], serde_json::Value::Null);
        let back: DateTime<Utc> = serde_json::from_value(json["at"].clone()).unwrap();
        assert_eq!(back, at);
    }
}
