//! Sentry's rate limits: `X-Sentry-Rate-Limit-Limit`, `-Remaining`, `-Reset`
//! (a UTC epoch in seconds) and `-ConcurrentLimit`/`-ConcurrentRemaining` on
//! every answer, and a 429 (with `Retry-After`) once a window is used up.
//!
//! * a 429 waits for its `Retry-After`, else until `-Reset`, else the client's
//!   backoff (`hint`, given to `Http::with_rate_limit`);
//! * between pages, an answer that says `-Remaining: 0` makes the pager wait
//!   until `-Reset` before the next request (`pace`) instead of running into
//!   the 429; a reset further away than `HttpConfig::max_wait` is a retryable
//!   error carrying the wait.

use crate::http::{Response, retry_after_header, until_unix_secs};
use ops_core::{Error, ErrorKind, Result};
use std::time::Duration;

const REMAINING: &str = "x-sentry-rate-limit-remaining";
const RESET: &str = "x-sentry-rate-limit-reset";

/// How long a 429 asks to wait: `Retry-After`, else until the window's reset.
pub(super) fn hint(r: &Response) -> Option<Duration> {
    if r.status != 429 {
        return None;
    }
    retry_after_header(r).or_else(|| until_reset(r))
}

/// The time until `X-Sentry-Rate-Limit-Reset`, zero if it has passed.
fn until_reset(r: &Response) -> Option<Duration> {
    let reset: f64 = r.header(RESET)?.trim().parse().ok()?;
    Some(until_unix_secs(reset))
}

/// Before asking for the page after `r`: waits for the window's reset when `r`
/// says none are left.
pub(super) async fn pace(r: &Response, max_wait: Duration, what: &str) -> Result<()> {
    let used_up = r
        .header(REMAINING)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .is_some_and(|n| n <= 0);
    if !used_up {
        return Ok(());
    }
    let wait = until_reset(r).unwrap_or(Duration::from_secs(1));
    if wait > max_wait {
        return Err(Error::backend(
            "sentry",
            what,
            ErrorKind::Retryable,
            format!(
                "the rate-limit window is used up and resets in {}s, longer than the {}s allowed",
                wait.as_secs(),
                max_wait.as_secs()
            ),
        )
        .with_retry_after(wait));
    }
    tokio::time::sleep(wait).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn answer(status: u16, headers: &[(&'static str, String)]) -> Response {
        crate::http::answer(status, headers, "")
    }

    fn in_secs(s: u64) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        (now + s).to_string()
    }

    #[test]
    fn a_429_waits_for_retry_after_else_the_reset_and_a_200_never_waits() {
        let retry = answer(429, &[("retry-after", "7".into()), (RESET, in_secs(30))]);
        assert_eq!(hint(&retry), Some(Duration::from_secs(7)));
        let reset = hint(&answer(429, &[(RESET, in_secs(30))])).expect("a wait");
        assert!(reset > Duration::from_secs(28) && reset <= Duration::from_secs(30));
        assert_eq!(hint(&answer(429, &[])), None);
        assert_eq!(
            hint(&answer(
                200,
                &[(REMAINING, "0".into()), (RESET, in_secs(30))]
            )),
            None
        );
    }

    #[tokio::test]
    async fn a_reset_too_far_for_a_duration_is_a_wait_longer_than_allowed_not_a_panic() {
        let year = Duration::from_secs(365 * 86_400);
        for absurd in ["1e20", "1e300"] {
            let limited = answer(429, &[(RESET, absurd.into())]);
            assert!(hint(&limited).is_some_and(|w| w > year), "{absurd}");
            let used_up = answer(200, &[(REMAINING, "0".into()), (RESET, absurd.into())]);
            let err = pace(&used_up, Duration::from_secs(5), "page 2")
                .await
                .expect_err("longer than allowed");
            assert!(err.retry_after().is_some_and(|w| w > year), "{err}");
        }
    }

    #[tokio::test]
    async fn a_used_up_window_with_a_far_reset_is_an_error_carrying_the_wait() {
        let r = answer(200, &[(REMAINING, "0".into()), (RESET, in_secs(120))]);
        let err = pace(&r, Duration::from_secs(5), "page 2")
            .await
            .expect_err("too long to wait");
        assert!(err.to_string().contains("rate-limit window"), "{err}");
        assert!(err.retry_after() > Some(Duration::from_secs(100)));
        let fine = answer(200, &[(REMAINING, "3".into()), (RESET, in_secs(120))]);
        pace(&fine, Duration::from_secs(5), "page 2")
            .await
            .expect("requests left: no wait");
    }
}
