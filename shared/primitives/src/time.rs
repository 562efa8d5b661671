//! Points in time, as the findings table, snapshots and CLI flags write them.
//!
//! Every stored time is RFC 3339 in UTC. Comparing them as text only works while every
//! writer uses the same width, and a time that does not parse used to make a check
//! (is this list recent? has this suppression expired?) silently false. So a time is
//! parsed once, where it enters, into [`Time`], and compared as a time.

use std::fmt;
use std::time::Duration;

/// A point in time (UTC), to the nanosecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(jiff::Timestamp);

/// Text that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 time such as 2026-12-07T15:00:00Z: {reason}")]
pub struct TimeError {
    text: String,
    reason: String,
}

impl Time {
    /// The clock, now.
    pub fn now() -> Time {
        Time(jiff::Timestamp::now())
    }

    /// Parses RFC 3339 (`2026-12-07T15:00:00Z`, with or without fractional seconds, any
    /// offset).
    pub fn parse(text: &str) -> Result<Time, TimeError> {
        text.trim()
            .parse::<jiff::Timestamp>()
            .map(Time)
            .map_err(|e| TimeError {
                text: text.chars().take(64).collect(),
                reason: e.to_string(),
            })
    }

    /// `self + d`, saturating at the end of the representable range.
    pub fn plus(self, d: Duration) -> Time {
        let span = jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX);
        Time(self.0.saturating_add(span).unwrap_or(self.0))
    }

    /// How long after `earlier` this is; zero when it is not later.
    pub fn since(self, earlier: Time) -> Duration {
        Duration::try_from(self.0.duration_since(earlier.0)).unwrap_or(Duration::ZERO)
    }

    /// RFC 3339 UTC to the second (`2026-12-07T15:00:00Z`): what the findings table, its
    /// history and the CLI write. This is also [`Display`](fmt::Display).
    pub fn rfc3339(self) -> String {
        self.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// RFC 3339 UTC with milliseconds, fixed width (`2026-12-07T15:00:00.123Z`): snapshot
    /// stamps, where two reads in the same second must still order.
    pub fn rfc3339_millis(self) -> String {
        self.0.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl From<jiff::Timestamp> for Time {
    fn from(t: jiff::Timestamp) -> Time {
        Time(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_aws_and_we_write_and_orders_as_time_not_text() {
        let a = Time::parse("2026-12-07T15:00:00Z").unwrap();
        let b = Time::parse("2026-12-07T15:00:00.5Z").unwrap();
        let c = Time::parse("2026-12-07T16:00:00+01:00").unwrap();
        assert!(a < b, "fractions count");
        assert_eq!(a, c, "offsets are normalised");
        // As text these two differ; as times they are the same instant.
        assert_eq!(a, Time::parse("2026-12-07T15:00:00+00:00").unwrap());
        assert_eq!(a.rfc3339(), "2026-12-07T15:00:00Z");
        assert_eq!(b.rfc3339_millis(), "2026-12-07T15:00:00.500Z");
        assert_eq!(a.to_string(), a.rfc3339());
    }

    #[test]
    fn a_bad_time_is_an_error_that_says_so() {
        for bad in ["", "yesterday", "2026-13-01T00:00:00Z", "1733580000"] {
            let e = Time::parse(bad).unwrap_err();
            assert!(e.to_string().contains("not an RFC 3339 time"), "{e}");
        }
    }

    #[test]
    fn arithmetic_saturates_and_since_is_never_negative() {
        let a = Time::parse("2026-12-07T15:00:00Z").unwrap();
        let later = a.plus(Duration::from_secs(90));
        assert_eq!(later.rfc3339(), "2026-12-07T15:01:30Z");
        assert_eq!(later.since(a), Duration::from_secs(90));
        assert_eq!(a.since(later), Duration::ZERO);
        assert!(a.plus(Duration::MAX) > a, "saturates instead of wrapping");
    }
}
