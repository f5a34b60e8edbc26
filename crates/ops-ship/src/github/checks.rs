//! Reading a change's state: check runs and commit statuses of one exact commit,
//! the pull request's review decision and unresolved threads (one GraphQL call).

use super::client::{Client, gh_err};
use super::decision::{CheckRollup, Mergeable, ReviewDecision};
use crate::gate::secrets::redact;
use ops_core::{ErrorKind, Result};
use serde_json::{Value, json};

/// How much of a failing check's output is handed back.
const LOG_TAIL: usize = 2000;

/// The checks of one commit, summed up.
#[derive(Debug, Clone)]
pub(crate) struct CommitChecks {
    pub rollup: CheckRollup,
    /// Failing checks with the tail of their output, for the agent.
    pub failures: Vec<String>,
}

fn tail(text: &str) -> String {
    let text = redact(text.trim());
    if text.len() <= LOG_TAIL {
        return text;
    }
    let mut start = text.len() - LOG_TAIL;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

/// At most this many pages of 100 check runs are read for one commit.
const MAX_CHECK_RUN_PAGES: u32 = 10;

/// Reads check runs and statuses of `sha`; `required` names that must be present.
pub(crate) async fn commit_checks(
    client: &Client,
    slug: &str,
    sha: &str,
    required: &[String],
    require_some: bool,
) -> Result<CommitChecks> {
    let read_err = |r: &super::client::Reply| {
        gh_err(
            "read checks",
            ErrorKind::Retryable,
            format!("{}: {}", r.status, r.message()),
        )
    };
    // Every page: a failing run on page two is as red as one on page one.
    let mut all_runs: Vec<serde_json::Value> = Vec::new();
    let mut total = 0;
    for page in 1..=MAX_CHECK_RUN_PAGES {
        let runs = client
            .get(&format!(
                "/repos/{slug}/commits/{sha}/check-runs?per_page=100&page={page}"
            ))
            .await?;
        if !runs.ok() {
            return Err(read_err(&runs));
        }
        total = runs.body["total_count"].as_u64().unwrap_or(0);
        let batch = runs.body["check_runs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let done = batch.len() < 100;
        all_runs.extend(batch);
        if done || all_runs.len() as u64 >= total {
            break;
        }
    }
    let status = client
        .get(&format!("/repos/{slug}/commits/{sha}/status?per_page=100"))
        .await?;
    if !status.ok() {
        return Err(read_err(&status));
    }
    let mut seen = Vec::new();
    // Runs ops could not read count as still running, never as green.
    let (mut red, mut pending) = (false, (all_runs.len() as u64) < total);
    let mut failures = Vec::new();
    for run in &all_runs {
        let name = run["name"].as_str().unwrap_or("?").to_string();
        match (run["status"].as_str(), run["conclusion"].as_str()) {
            (Some("completed"), Some("success" | "neutral" | "skipped")) => {}
            (Some("completed"), conclusion) => {
                red = true;
                let out = &run["output"];
                // An Actions job's check run id is its job id: its log is the best tail.
                let job_log = match (run["app"]["slug"].as_str(), run["id"].as_u64()) {
                    (Some("github-actions"), Some(id)) => {
                        client
                            .get_text(&format!("/repos/{slug}/actions/jobs/{id}/logs"))
                            .await
                    }
                    _ => None,
                };
                let log = job_log.unwrap_or_else(|| {
                    [
                        out["title"].as_str(),
                        out["summary"].as_str(),
                        out["text"].as_str(),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n")
                });
                failures.push(format!(
                    "check {name} concluded {}:\n{}",
                    conclusion.unwrap_or("without a conclusion"),
                    tail(&log)
                ));
            }
            _ => pending = true,
        }
        seen.push(name);
    }
    for st in status.body["statuses"].as_array().into_iter().flatten() {
        let context = st["context"].as_str().unwrap_or("?").to_string();
        match st["state"].as_str() {
            Some("success") => {}
            Some("pending") => pending = true,
            state => {
                red = true;
                failures.push(format!(
                    "status {context} is {}: {}",
                    state.unwrap_or("unknown"),
                    tail(st["description"].as_str().unwrap_or_default())
                ));
            }
        }
        seen.push(context);
    }
    // Statuses past the page read still count, through the combined state of all.
    let listed = status.body["statuses"].as_array().map_or(0, Vec::len) as u64;
    if status.body["total_count"].as_u64().unwrap_or(0) > listed {
        match status.body["state"].as_str() {
            Some("success") => {}
            Some("failure" | "error") => {
                red = true;
                failures.push(format!(
                    "the combined status of {sha} is {}: a status past the first {listed} failed",
                    status.body["state"].as_str().unwrap_or_default()
                ));
            }
            _ => pending = true,
        }
    }
    let missing = required.iter().any(|r| !seen.contains(r)) || (require_some && seen.is_empty());
    let rollup = if red {
        CheckRollup::Red
    } else if pending {
        CheckRollup::Pending
    } else if missing {
        CheckRollup::Missing
    } else {
        CheckRollup::Green
    };
    Ok(CommitChecks { rollup, failures })
}

/// The pull request as the REST API shows it.
#[derive(Debug, Clone)]
pub(crate) struct PullState {
    pub number: u64,
    pub url: Option<String>,
    pub head_sha: String,
    /// The branch it merges from.
    pub head: String,
    /// The branch it merges into.
    pub base: String,
    pub title: String,
    pub body: String,
    pub open: bool,
    pub merged: bool,
    pub merge_commit: Option<String>,
    pub mergeable: Mergeable,
    pub draft: bool,
}

impl PullState {
    pub fn from_json(v: &Value) -> PullState {
        PullState {
            number: v["number"].as_u64().unwrap_or(0),
            url: v["html_url"].as_str().map(str::to_string),
            head_sha: v["head"]["sha"].as_str().unwrap_or_default().to_string(),
            head: v["head"]["ref"].as_str().unwrap_or_default().to_string(),
            base: v["base"]["ref"].as_str().unwrap_or_default().to_string(),
            title: v["title"].as_str().unwrap_or_default().to_string(),
            body: v["body"].as_str().unwrap_or_default().to_string(),
            open: v["state"].as_str() == Some("open"),
            merged: v["merged"].as_bool().unwrap_or(false) || v["merged_at"].is_string(),
            merge_commit: v["merge_commit_sha"].as_str().map(str::to_string),
            mergeable: match v["mergeable"].as_bool() {
                Some(true) => Mergeable::Clean,
                Some(false) => Mergeable::Conflicting,
                None => Mergeable::Unknown,
            },
            draft: v["draft"].as_bool().unwrap_or(false),
        }
    }
}

pub(crate) async fn pull(client: &Client, slug: &str, number: u64) -> Result<PullState> {
    let r = client.get(&format!("/repos/{slug}/pulls/{number}")).await?;
    if !r.ok() {
        let kind = if r.status == 404 {
            ErrorKind::NotFound
        } else {
            ErrorKind::Retryable
        };
        return Err(gh_err(
            "read the pull request",
            kind,
            format!("{slug}#{number}: {} {}", r.status, r.message()),
        ));
    }
    Ok(PullState::from_json(&r.body))
}

const REVIEW_QUERY: &str = "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { pullRequest(number: $number) { reviewDecision reviewThreads(first: 100) { nodes { isResolved path line comments(first: 10) { nodes { body author { login } } } } } } } }";

/// The review decision and the unresolved review threads (as text for the agent).
pub(crate) async fn reviews(
    client: &Client,
    slug: &str,
    number: u64,
) -> Result<(ReviewDecision, Vec<String>)> {
    let (owner, name) = slug.split_once('/').unwrap_or((slug, ""));
    let r = client
        .post(
            "/graphql",
            &json!({"query": REVIEW_QUERY, "variables": {"owner": owner, "name": name, "number": number}}),
        )
        .await?;
    if !r.ok() || r.body["errors"].is_array() {
        return Err(gh_err(
            "read reviews",
            ErrorKind::Retryable,
            format!("{}: {}", r.status, redact(&r.body["errors"].to_string())),
        ));
    }
    let pr = &r.body["data"]["repository"]["pullRequest"];
    let decision = match pr["reviewDecision"].as_str() {
        Some("APPROVED") => ReviewDecision::Approved,
        Some("CHANGES_REQUESTED") => ReviewDecision::ChangesRequested,
        Some("REVIEW_REQUIRED") => ReviewDecision::ReviewRequired,
        _ => ReviewDecision::NotRequired,
    };
    let threads = pr["reviewThreads"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["isResolved"].as_bool() == Some(false))
        .map(|t| {
            let place = match (t["path"].as_str(), t["line"].as_u64()) {
                (Some(p), Some(l)) => format!("{p}:{l}"),
                (Some(p), None) => p.to_string(),
                _ => "the pull request".into(),
            };
            let comments = t["comments"]["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    format!(
                        "{}: {}",
                        c["author"]["login"].as_str().unwrap_or("someone"),
                        c["body"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n  ");
            redact(&format!(
                "unresolved review thread at {place}:\n  {comments}"
            ))
        })
        .collect();
    Ok((decision, threads))
}
