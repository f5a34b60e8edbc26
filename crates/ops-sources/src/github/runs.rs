//! GitHub Actions runs on a project's dev and main branches, judged by
//! DESIGN.md's CI-failure rule ([`ci_rule`]), with conditional requests whose
//! `ETag`s are kept on the board ([`ops_core::SourceCache`]).
//!
//! Per branch head (found by the GraphQL audit, with its check rollup):
//! - rollup `SUCCESS` → nothing to report, no request (a head without checks
//!   is read like a red one: after a `[skip ci]` or path-filtered push the
//!   branch's latest run is an older commit's, maybe red);
//! - the cache saw this same head (commit and rollup) at the last audit → the
//!   findings come from the cached runs, no request (an unchanged world costs
//!   nothing);
//! - else `GET /repos/{owner}/{repo}/actions/runs?branch=..` (one page of the
//!   newest [`PER_PAGE`] runs, `X-GitHub-Api-Version` pinned), with
//!   `If-None-Match` when the cache holds an `ETag`: `304` reuses the cached
//!   runs, `200` replaces them. The cache keeps, under
//!   `github:runs:owner/name:branch`, the `ETag`, the head it was read for and
//!   only the runs the rule reads ([`prune`]).
//!
//! Workflows are judged separately: a repository's CI and Deploy workflows
//! each get their own finding. Pull-request runs are not the branch's (see
//! [`Run::tests_the_branch`]).
//!
//! Findings (fingerprint `["github", "ci", "owner/name", branch, workflow]`: the kind is left out so a regression that stays red and becomes a persistent failure is the same task, updated,
//! no run numbers or times in it), priorities by the planner's table:
//! - `ci_persistent_failure`: P0 on main (production is broken), P1 on dev
//!   (development is broken);
//! - `ci_regression`: P2, as DESIGN.md's rule says ("latest red after green →
//!   P2 regression task");
//! - `ci_failing` (red, too little history to say which): P1, development is
//!   broken as far as anyone can tell.

mod finding;
mod rule;

pub use rule::{CiKind, CiProblem, PERSISTENT_AFTER, Run, Verdict, ci_rule, prune};

use crate::http::{Http, Request};
use ops_core::model::{Finding, Project};
use ops_core::{Error, ErrorKind, Result, SourceCache};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The REST API version every request pins.
pub const API_VERSION: &str = "2022-11-28";

/// How many of a branch's newest runs are read (one page, never more).
pub const PER_PAGE: u32 = 50;

/// A branch's head as the GraphQL audit found it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BranchHead {
    /// The repository, `owner/name`.
    pub slug: String,
    /// The branch (`dev`, `main`).
    pub branch: String,
    /// The head commit's id.
    pub oid: String,
    /// `statusCheckRollup.state` of the head commit as GraphQL returns it
    /// (`SUCCESS`, `FAILURE`, `ERROR`, `PENDING`, `EXPECTED`, or another
    /// value); `None` when the commit has no checks.
    pub rollup: Option<String>,
}

/// Reads and judges the Actions runs of branches; see the module docs.
pub struct RunsClient {
    http: Http,
    api_url: String,
    cache: Arc<dyn SourceCache>,
}

impl std::fmt::Debug for RunsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunsClient")
            .field("http", &self.http)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// What the cache keeps per branch.
#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    slug: String,
    branch: String,
    oid: String,
    rollup: Option<String>,
    etag: Option<String>,
    runs: Vec<Run>,
}

/// The list endpoint's answer (only what is read).
#[derive(Deserialize)]
struct RunList {
    workflow_runs: Vec<Run>,
}

impl RunsClient {
    /// A client for the REST API at `api_url` (`https://api.github.com`),
    /// keeping its `ETag`s in `cache`.
    pub fn new(http: Http, api_url: impl Into<String>, cache: Arc<dyn SourceCache>) -> Self {
        let api_url = api_url.into().trim_end_matches('/').to_string();
        RunsClient {
            http,
            api_url,
            cache,
        }
    }

    /// CI findings for one branch of one repository.
    pub async fn findings(
        &self,
        project: &Project,
        repo_path: &str,
        head: &BranchHead,
        is_main: bool,
    ) -> Result<Vec<Finding>> {
        // Only a green head needs no look: a head without checks (`[skip ci]`,
        // a push the workflows' path filters skip) leaves the branch's latest
        // run, red or green, the latest run.
        let green = head
            .rollup
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("SUCCESS"));
        if green {
            return Ok(Vec::new());
        }
        let runs = self.runs(head).await?;
        Ok(ci_rule(&runs)
            .iter()
            .map(|problem| finding::finding(problem, project, repo_path, head, is_main))
            .collect())
    }

    /// The runs of `head`'s branch the rule reads: from the cache when it saw
    /// this head, else from a conditional request.
    pub async fn runs(&self, head: &BranchHead) -> Result<Vec<Run>> {
        check_slug(&head.slug)?;
        let key = cache_key(&head.slug, &head.branch);
        let cached = self.cached(&key, head).await?;
        if let Some(c) = &cached
            && c.oid == head.oid
            && c.rollup == head.rollup
        {
            return Ok(c.runs.clone());
        }
        let what = format!(
            "list the Actions runs of {} on branch {}",
            head.slug, head.branch
        );
        let mut request = Request::get(self.url(head)?).header("x-github-api-version", API_VERSION);
        if let Some(etag) = cached.as_ref().and_then(|c| c.etag.as_deref()) {
            request = request.header("if-none-match", etag);
        }
        let answer = self.http.send(&request).await?;
        let (etag, runs) = match (answer.status, cached) {
            (304, Some(c)) => (answer.header("etag").map(str::to_string).or(c.etag), c.runs),
            (304, None) => {
                return Err(Error::backend(
                    "github",
                    what,
                    ErrorKind::Invalid,
                    "answered 304 Not Modified to a request that was not conditional",
                ));
            }
            _ => {
                let list: RunList = answer.json("github", &what)?;
                let etag = answer.header("etag").map(str::to_string);
                (etag, prune(&list.workflow_runs))
            }
        };
        let entry = Cached {
            slug: head.slug.clone(),
            branch: head.branch.clone(),
            oid: head.oid.clone(),
            rollup: head.rollup.clone(),
            etag,
            runs,
        };
        let value = serde_json::to_string(&entry)
            .map_err(|e| Error::backend("github", what, ErrorKind::Fatal, e.to_string()))?;
        self.cache.cache_put(&key, &value).await?;
        Ok(entry.runs)
    }

    /// The cache entry for `head`'s branch; an entry that does not parse, or
    /// that names another repository or branch, counts as none (it only costs
    /// a full request).
    async fn cached(&self, key: &str, head: &BranchHead) -> Result<Option<Cached>> {
        let Some(value) = self.cache.cache_get(key).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_str::<Cached>(&value)
            .ok()
            .filter(|c| c.slug == head.slug && c.branch == head.branch))
    }

    fn url(&self, head: &BranchHead) -> Result<String> {
        let base = format!("{}/repos/{}/actions/runs", self.api_url, head.slug);
        let mut url = reqwest::Url::parse(&base).map_err(|e| {
            Error::backend(
                "github",
                "build a request",
                ErrorKind::Invalid,
                format!("the API URL {:?} is not a URL: {e}", self.api_url),
            )
        })?;
        url.query_pairs_mut()
            .append_pair("branch", &head.branch)
            .append_pair("exclude_pull_requests", "true")
            .append_pair("per_page", &PER_PAGE.to_string());
        Ok(url.into())
    }
}

/// The cache key of a branch's runs.
fn cache_key(slug: &str, branch: &str) -> String {
    format!("github:runs:{slug}:{branch}")
}

/// `owner/name`, each part made of letters, digits, `-`, `_` and `.` (not `.` or `..`).
fn check_slug(slug: &str) -> Result<()> {
    let part_ok = |p: &str| {
        !matches!(p, "" | "." | "..")
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    match slug.split_once('/') {
        Some((owner, name)) if part_ok(owner) && part_ok(name) => Ok(()),
        _ => Err(Error::backend(
            "github",
            format!("read repository {slug:?}"),
            ErrorKind::Invalid,
            "expected owner/name (letters, digits, '-', '_' and '.')",
        )),
    }
}
