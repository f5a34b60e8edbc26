//! Wall-clock instants as stored on the board.

use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch. Stored on the board, comparable across processes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The current wall-clock time.
    pub fn now() -> Self {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Timestamp(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
    }

    /// This instant moved forward by `d`.
    pub fn plus(self, d: Duration) -> Self {
        Timestamp(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }

    /// Reads an RFC 3339 date (`2026-11-24T00:35:12.120Z`, `…+02:00`), as remote
    /// APIs write them; `None` if it is not one.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        crate::config::daemon::parse_rfc3339(text)
    }

    /// This instant as RFC 3339 in UTC, to the second (`2026-11-24T00:35:12Z`),
    /// as remote APIs take and write them.
    pub fn to_rfc3339(self) -> String {
        let secs = self.0 / 1000;
        let (days, rem) = (secs / 86_400, secs % 86_400);
        // Civil date from days (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// An age in seconds as people say it: `45 seconds ago`, `3 minutes ago`,
/// `5 hours ago`, `3 days ago` (the largest whole unit, rounded down).
pub fn age_text(seconds: u64) -> String {
    let (n, unit) = match seconds {
        0..60 => (seconds, "second"),
        60..3600 => (seconds / 60, "minute"),
        3600..86_400 => (seconds / 3600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {unit}{s} ago")
}

#[cfg(test)]
mod tests {
    use super::{Timestamp, age_text};

    #[test]
    fn rfc3339_text_round_trips_through_the_reader_to_the_second() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp(1_767_225_600_000).to_rfc3339(),
            "2026-01-01T00:00:00Z"
        );
        for text in [
            "2000-02-29T23:59:59Z",
            "2026-11-24T00:35:12Z",
            "2100-03-01T12:00:00Z",
        ] {
            let t = Timestamp::parse_rfc3339(text).expect("valid");
            assert_eq!(t.to_rfc3339(), text);
        }
        let with_millis = Timestamp::parse_rfc3339("2026-11-24T00:35:12.999Z").expect("valid");
        assert_eq!(with_millis.to_rfc3339(), "2026-11-24T00:35:12Z");
    }

    #[test]
    fn ages_read_in_the_largest_whole_unit() {
        assert_eq!(age_text(1), "1 second ago");
        assert_eq!(age_text(121), "2 minutes ago");
        assert_eq!(age_text(7200), "2 hours ago");
        assert_eq!(age_text(29_395_043), "340 days ago");
        assert_eq!(age_text(86_400 * 3 + 5), "3 days ago");
    }
}
