//! Reading `Retry-After`.

use super::Response;
use std::time::{Duration, SystemTime};

/// The wait a `Retry-After` header asks for: whole seconds, or an HTTP date
/// (then the time until it, zero if it has passed).
pub fn retry_after_header(r: &Response) -> Option<Duration> {
    let value = r.header("retry-after")?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate(value)?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The time from now until `at` (Unix seconds, fractions allowed), zero if
/// it has passed, [`Duration::MAX`] if it is too far for a `Duration`: how the
/// APIs' rate-limit reset headers are read.
pub fn until_unix_secs(at: f64) -> Duration {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let wait = at - now;
    if wait.is_nan() || wait <= 0.0 {
        Duration::ZERO
    } else {
        // A reset too far away for a Duration (a garbled header) is the
        // longest wait: longer than any allowed, never a panic.
        Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX)
    }
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(s: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as u64
        + 1;
    let year: u64 = year.parse().ok()?;
    let hms: Vec<u64> = time.split(':').filter_map(|p| p.parse().ok()).collect();
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    // Out-of-range fields are not a date (and would break the arithmetic below).
    if !(1..=31).contains(&day) || !(1970..=9999).contains(&year) || *h > 23 || *m > 59 || *sec > 60
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), years ≥ 1970.
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    let secs = days * 86_400 + h * 3600 + m * 60 + sec;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> Response {
        super::super::answer(429, &[("retry-after", value.into())], "")
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(retry_after_header(&with("7")), Some(Duration::from_secs(7)));
        // A date in the past means "now".
        assert_eq!(
            retry_after_header(&with("Sun, 06 Nov 1994 08:49:37 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(
            httpdate("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(retry_after_header(&with("soon")), None);
        assert_eq!(until_unix_secs(1.0), Duration::ZERO);
        assert_eq!(until_unix_secs(f64::NAN), Duration::ZERO);
        let later = until_unix_secs(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
                + 100.0,
        );
        assert!(later > Duration::from_secs(98) && later <= Duration::from_secs(100));
    }
}
