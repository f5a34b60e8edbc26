//! Sending one batch of asks to GitHub's GraphQL endpoint and splitting the
//! answer by alias: an alias GitHub could not resolve (`NOT_FOUND`) fails only
//! its own ask; an answer with no usable data fails them all.

use super::query::{self, Ask, Head, IssuePage, PrPage, RepoAudit};
use crate::http::{Http, Request, Response, retry_after_header, until_unix_secs};
use ops_core::{Error, ErrorKind, Result};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

use super::runs::API_VERSION;

/// What GitHub answered for one ask.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A [`Ask::Full`]: the repository's first pages and branch heads.
    Full(Box<FullReply>),
    /// A [`Ask::PullRequests`] page.
    PullRequests(PrPage),
    /// A [`Ask::Issues`] page.
    Issues(IssuePage),
}

/// A repository's first pages and its dev and main heads.
#[derive(Debug, Clone, Deserialize)]
pub struct FullReply {
    /// Pull requests and issues.
    #[serde(flatten)]
    pub audit: RepoAudit,
    /// `refs/heads/<dev>`, `None` when the branch does not exist.
    pub dev: Option<Head>,
    /// `refs/heads/<main>`, `None` when the branch does not exist.
    pub main: Option<Head>,
}

#[derive(Deserialize)]
struct PrReply {
    #[serde(rename = "pullRequests")]
    pull_requests: PrPage,
}

#[derive(Deserialize)]
struct IssueReply {
    issues: IssuePage,
}

#[derive(Deserialize)]
struct Envelope {
    data: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
}

#[derive(Deserialize)]
struct GraphQlError {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    path: Vec<Value>,
    #[serde(default)]
    message: String,
}

/// Why one ask failed: the error's kind and text (kept apart from
/// [`Error`], which is not `Clone`, as one failure may fail many asks).
#[derive(Debug, Clone)]
pub struct Failure {
    /// What a caller can do about it.
    pub kind: ErrorKind,
    /// What went wrong.
    pub message: String,
    /// How long GitHub asked to wait, when it said.
    pub retry_after: Option<Duration>,
}

impl Failure {
    fn of(e: &Error) -> Self {
        Failure {
            kind: e.kind(),
            message: e.to_string(),
            retry_after: e.retry_after(),
        }
    }
}

/// Sends `asks` in one request; one result per ask, in order.
pub async fn send(
    http: &Http,
    url: &str,
    asks: &[Ask],
) -> Vec<std::result::Result<Reply, Failure>> {
    match send_all(http, url, asks).await {
        Ok(replies) => replies,
        Err(e) => {
            let failure = Failure::of(&e);
            asks.iter().map(|_| Err(failure.clone())).collect()
        }
    }
}

async fn send_all(
    http: &Http,
    url: &str,
    asks: &[Ask],
) -> Result<Vec<std::result::Result<Reply, Failure>>> {
    let request = Request::post_json(url, &query::document(asks))?
        .header("x-github-api-version", API_VERSION);
    let answer = http.send(&request).await?;
    let envelope: Envelope = answer.json("github", "read the GraphQL answer")?;
    let Some(data) = envelope.data else {
        let why = envelope
            .errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::backend(
            "github",
            "GraphQL query",
            ErrorKind::Invalid,
            format!("GitHub answered no data: {why}"),
        ));
    };
    // Errors that name no alias of ours may be about any of them.
    let aliases: Vec<String> = (0..asks.len()).map(query::alias).collect();
    let unplaced: Vec<&GraphQlError> = envelope
        .errors
        .iter()
        .filter(|e| {
            e.path
                .first()
                .and_then(Value::as_str)
                .is_none_or(|first| !aliases.iter().any(|a| a == first))
        })
        .collect();
    let mut out = Vec::with_capacity(asks.len());
    for (i, ask) in asks.iter().enumerate() {
        let alias = query::alias(i);
        let own_errors: Vec<&GraphQlError> = envelope
            .errors
            .iter()
            .filter(|e| e.path.first().and_then(Value::as_str) == Some(alias.as_str()))
            .collect();
        let value = data.get(&alias).cloned().unwrap_or(Value::Null);
        out.push(if value.is_null() {
            Err(alias_failure(&own_errors))
        } else if !own_errors.is_empty() || !unplaced.is_empty() {
            // GitHub nulled part of it (a field the token may not read, a
            // timeout): a null rollup or a missing PR would read as "nothing
            // to do", so a partial answer is a failure, never a smaller one.
            let mut failure = alias_failure(&[own_errors, unplaced.clone()].concat());
            failure.message = format!("GitHub answered only part of it: {}", failure.message);
            Err(failure)
        } else {
            decode(ask, value)
        });
    }
    Ok(out)
}

fn alias_failure(errors: &[&GraphQlError]) -> Failure {
    let not_found = errors
        .iter()
        .any(|e| e.kind.as_deref() == Some("NOT_FOUND"));
    let message = if errors.is_empty() {
        "GitHub answered null for it without saying why".to_string()
    } else {
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    Failure {
        kind: if not_found {
            ErrorKind::NotFound
        } else {
            ErrorKind::Invalid
        },
        message,
        retry_after: None,
    }
}

fn decode(ask: &Ask, value: Value) -> std::result::Result<Reply, Failure> {
    let decoded = match ask {
        Ask::Full { .. } => {
            serde_json::from_value::<FullReply>(value).map(|r| Reply::Full(Box::new(r)))
        }
        Ask::PullRequests { .. } => {
            serde_json::from_value::<PrReply>(value).map(|r| Reply::PullRequests(r.pull_requests))
        }
        Ask::Issues { .. } => {
            serde_json::from_value::<IssueReply>(value).map(|r| Reply::Issues(r.issues))
        }
    };
    decoded.map_err(|e| Failure {
        kind: ErrorKind::Retryable,
        message: format!("the answer is not what the query asked for: {e}"),
        retry_after: None,
    })
}

/// GitHub's rate-limit rule for [`Http::with_rate_limit`]: a `retry-after` on a
/// 403/429 (secondary limits), `x-ratelimit-remaining: 0` on a refusal or a
/// `RATE_LIMITED` GraphQL answer (wait until `x-ratelimit-reset`), and a 403
/// "secondary rate limit" without either (GitHub says: wait a minute).
pub fn rate_limit(r: &Response) -> Option<Duration> {
    let refused = r.status == 403 || r.status == 429;
    let graphql_limited = r.status == 200 && graphql_rate_limited(&r.body);
    if !refused && !graphql_limited {
        return None;
    }
    if let Some(wait) = retry_after_header(r) {
        return Some(wait);
    }
    if r.header("x-ratelimit-remaining").map(str::trim) == Some("0") {
        let reset = r
            .header("x-ratelimit-reset")
            .and_then(|v| v.trim().parse::<f64>().ok())?;
        return Some(until_unix_secs(reset));
    }
    if graphql_limited || r.body.to_ascii_lowercase().contains("secondary rate limit") {
        return Some(Duration::from_secs(60));
    }
    None
}

/// Whether a GraphQL answer carries a `RATE_LIMITED` error (in `errors`, not
/// merely the word somewhere in the data: an issue may be titled so).
fn graphql_rate_limited(body: &str) -> bool {
    if !body.contains("RATE_LIMITED") {
        return false;
    }
    let Ok(answer) = serde_json::from_str::<Envelope>(body) else {
        return false;
    };
    answer
        .errors
        .iter()
        .any(|e| e.kind.as_deref() == Some("RATE_LIMITED"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::answer;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn in_secs(secs: u64) -> String {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
        (now.as_secs() + secs).to_string()
    }

    #[test]
    fn a_used_up_primary_limit_waits_until_the_reset() {
        let r = answer(
            403,
            &[
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", in_secs(600)),
            ],
            r#"{"message":"API rate limit exceeded for user ID 1."}"#,
        );
        let wait = rate_limit(&r).expect("a wait");
        assert!(
            wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
            "{wait:?}"
        );
    }

    #[test]
    fn retry_after_wins_and_a_bare_secondary_limit_waits_a_minute() {
        let r = answer(403, &[("retry-after", "7".into())], "{}");
        assert_eq!(rate_limit(&r), Some(Duration::from_secs(7)));
        let r = answer(
            403,
            &[],
            r#"{"message":"You have exceeded a secondary rate limit."}"#,
        );
        assert_eq!(rate_limit(&r), Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_graphql_rate_limited_answer_waits_and_other_answers_do_not() {
        let limited = r#"{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}"#;
        let r = answer(
            200,
            &[
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", in_secs(30)),
            ],
            limited,
        );
        assert!(rate_limit(&r).is_some_and(|w| w <= Duration::from_secs(30)));
        // The last request of the hour is still a good answer.
        let r = answer(
            200,
            &[
                ("x-ratelimit-remaining", "0".into()),
                ("x-ratelimit-reset", in_secs(30)),
            ],
            r#"{"data":{}}"#,
        );
        assert_eq!(rate_limit(&r), None);
        // An issue titled, or a label named, RATE_LIMITED is data, not a limit.
        let data = r#"{"data":{"a0":{"issues":{"nodes":[{"title":"RATE_LIMITED","labels":{"nodes":[{"name":"RATE_LIMITED"}]}}]}}}}"#;
        assert_eq!(rate_limit(&answer(200, &[], data)), None);
        // A refused token is no rate limit.
        assert_eq!(
            rate_limit(&answer(
                403,
                &[],
                r#"{"message":"Resource not accessible by integration"}"#
            )),
            None
        );
    }
}
