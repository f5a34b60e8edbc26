//! Telling a rate or usage limit from a failure. A runtime refused by its API for
//! a limit (HTTP 429, 529 overloaded, "usage limit reached … resets at") has done
//! nothing wrong: the session reports [`AgentStatus::RateLimited`] and the engine
//! pauses the runtime instead of burning an attempt.
//!
//! [`AgentStatus::RateLimited`]: ops_core::seams::AgentStatus::RateLimited

use ops_core::model::Timestamp;

/// A limit a runtime hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limit {
    /// What the runtime said.
    pub reason: String,
    /// When it resets, if the runtime said.
    pub resets_at: Option<Timestamp>,
}

/// Phrases of the APIs' and CLIs' own limit errors (matched lowercase).
const LIMIT_PHRASES: &[&str] = &[
    "api error: 429",
    "api error: 529",
    "status 429",
    "status: 429",
    "status code 429",
    "429 too many requests",
    "too many requests",
    "rate_limit_error",
    "rate_limit_exceeded",
    "overloaded_error",
    "rate limit exceeded",
    "rate limit reached",
    "usage limit reached",
    "usage limit exceeded",
    "resource_exhausted",
    "quota exceeded",
];

/// The limit `text` (a runtime's error message) reports, if it reports one.
pub(crate) fn classify(text: &str) -> Option<Limit> {
    let lower = text.to_lowercase();
    if !LIMIT_PHRASES.iter().any(|p| lower.contains(p)) {
        return None;
    }
    Some(Limit {
        reason: text.trim().to_string(),
        resets_at: reset_in(text),
    })
}

/// A reset time written in an error: Claude Code's `…limit reached|<unix seconds>`,
/// or `resets at <RFC 3339>`.
fn reset_in(text: &str) -> Option<Timestamp> {
    if let Some((_, tail)) = text.split_once('|') {
        let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(secs) = digits.parse::<u64>() {
            return Some(from_unix_secs(secs));
        }
    }
    let lower = text.to_lowercase();
    let at = lower.find("resets at ")? + "resets at ".len();
    let word = text.get(at..)?.split_whitespace().next()?;
    Timestamp::parse_rfc3339(word.trim_end_matches(['.', ',', ')']))
}

/// A reset time given in Unix seconds (Claude Code's `resetsAt`).
pub(crate) fn from_unix_secs(secs: u64) -> Timestamp {
    Timestamp(secs.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apis_limit_errors_are_limits_with_their_reset_time_when_given() {
        let l = classify(r#"API Error: 429 {"type":"error","error":{"type":"rate_limit_error"}}"#)
            .expect("a 429 is a limit");
        assert_eq!(l.resets_at, None);
        assert!(classify("API Error: 529 Overloaded").is_some());
        let usage = classify("Claude AI usage limit reached|1765101600").expect("usage limit");
        assert_eq!(usage.resets_at, Some(Timestamp(1_765_101_600_000)));
        let at = classify("Usage limit reached, resets at 2026-12-07T12:00:00Z.").expect("limit");
        assert_eq!(
            at.resets_at,
            Timestamp::parse_rfc3339("2026-12-07T12:00:00Z")
        );
    }

    #[test]
    fn other_failures_are_not_limits() {
        for text in [
            "API Error: 400 invalid_request_error: max_tokens too large",
            "the agent exited with status 1",
            "fixed the 429 handler in src/http.rs",
            "",
        ] {
            assert_eq!(classify(text), None, "{text}");
        }
    }
}
