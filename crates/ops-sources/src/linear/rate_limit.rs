//! Linear's rate limits, for [`crate::http::Http::with_rate_limit`].
//!
//! Linear meters requests and query complexity per key with leaky buckets and
//! says "wait" two ways: HTTP `429`, and a GraphQL error whose
//! `extensions.code` is `RATELIMITED` (in a `400` answer). Every answer carries
//! the budgets: `X-RateLimit-Requests-Limit`, `-Remaining` and `-Reset`, and
//! `X-RateLimit-Complexity-Limit`, `-Remaining` and `-Reset` (resets are UTC
//! epoch milliseconds; `X-Complexity` is the last query's cost).

use crate::http::{Response, retry_after_header, until_unix_secs};
use std::time::Duration;

/// The budgets Linear reports: (remaining header, reset header).
const BUDGETS: [(&str, &str); 2] = [
    (
        "x-ratelimit-requests-remaining",
        "x-ratelimit-requests-reset",
    ),
    (
        "x-ratelimit-complexity-remaining",
        "x-ratelimit-complexity-reset",
    ),
];

/// How long to wait when Linear says "rate limited" without saying until when.
const UNSAID_WAIT: Duration = Duration::from_secs(1);

/// Whether `r` is a rate limit, and how long to wait: until the spent budget
/// refills (the latest reset among budgets with nothing remaining, else the
/// earliest reset given), else `Retry-After`, else one second for a
/// `RATELIMITED` error and the client's own backoff for a bare `429`.
pub fn linear_rate_limit(r: &Response) -> Option<Duration> {
    let limited = r.status == 429 || says_rate_limited(&r.body);
    if !limited {
        return None;
    }
    let number = |name: &str| r.header(name).and_then(|v| v.trim().parse::<i128>().ok());
    let budgets: Vec<(Option<i128>, i128)> = BUDGETS
        .iter()
        .filter_map(|(remaining, reset)| Some((number(remaining), number(reset)?)))
        .collect();
    let spent = budgets
        .iter()
        .filter(|(remaining, _)| remaining.is_some_and(|n| n <= 0))
        .map(|(_, reset)| *reset)
        .max();
    let reset = spent.or_else(|| budgets.iter().map(|(_, reset)| *reset).min());
    if let Some(reset) = reset {
        // Linear's resets are Unix milliseconds.
        return Some(until_unix_secs(reset as f64 / 1000.0));
    }
    retry_after_header(r).or_else(|| (r.status != 429).then_some(UNSAID_WAIT))
}

/// Whether a GraphQL answer holds an error with code `RATELIMITED`.
fn says_rate_limited(body: &str) -> bool {
    if !body.contains("RATELIMITED") {
        return false;
    }
    let Ok(answer) = serde_json::from_str::<serde_json::Value>(body) else {
        return false;
    };
    answer["errors"].as_array().is_some_and(|errors| {
        errors
            .iter()
            .any(|e| e["extensions"]["code"].as_str() == Some("RATELIMITED"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::answer;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn in_ms(ms: u128) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_millis();
        (now + ms).to_string()
    }

    const LIMITED: &str =
        r#"{"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]}"#;

    #[test]
    fn a_ratelimited_error_waits_until_the_spent_budget_resets() {
        let r = answer(
            400,
            &[
                ("x-ratelimit-requests-remaining", "0".into()),
                ("x-ratelimit-requests-reset", in_ms(30_000)),
                ("x-ratelimit-complexity-remaining", "9000".into()),
                ("x-ratelimit-complexity-reset", in_ms(1_000)),
            ],
            LIMITED,
        );
        let wait = linear_rate_limit(&r).expect("rate limited");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }

    #[test]
    fn reset_headers_at_the_ends_of_the_number_range_do_not_panic() {
        for absurd in [i128::MIN.to_string(), i128::MAX.to_string()] {
            let r = answer(
                429,
                &[
                    ("x-ratelimit-requests-remaining", "0".into()),
                    ("x-ratelimit-requests-reset", absurd.clone()),
                ],
                "",
            );
            assert!(linear_rate_limit(&r).is_some(), "{absurd}");
        }
        let past = answer(
            429,
            &[
                ("x-ratelimit-requests-remaining", "0".into()),
                ("x-ratelimit-requests-reset", "1000".into()),
            ],
            "",
        );
        assert_eq!(
            linear_rate_limit(&past),
            Some(Duration::ZERO),
            "a reset passed"
        );
    }

    #[test]
    fn other_answers_are_not_rate_limits() {
        let ok = answer(200, &[("x-ratelimit-requests-remaining", "0".into())], "{}");
        assert_eq!(linear_rate_limit(&ok), None);
        let other = r#"{"errors":[{"message":"RATELIMITED is a word","extensions":{"code":"INVALID_INPUT"}}]}"#;
        assert_eq!(linear_rate_limit(&answer(400, &[], other)), None);
    }

    #[test]
    fn a_ratelimited_error_without_headers_waits_a_second_and_a_bare_429_backs_off() {
        assert_eq!(
            linear_rate_limit(&answer(400, &[], LIMITED)),
            Some(UNSAID_WAIT)
        );
        assert_eq!(linear_rate_limit(&answer(429, &[], "")), None);
        let told = answer(429, &[("retry-after", "3".into())], "");
        assert_eq!(linear_rate_limit(&told), Some(Duration::from_secs(3)));
    }
}
