//! The GitHub source: open pull requests, open issues and the CI of the dev and
//! main branches of every repository of every project, asked of GitHub's GraphQL
//! API many repositories per request.
//!
//! # Requests
//! [`GitHubSource`] is batched ([`IssueSource::batched`]): the audit hands it
//! every project at once. One GraphQL request carries up to
//! [`GitHubConfig::batch_size`] repositories (default 25), one alias each
//! (`query.rs`): the first 50 open PRs (check rollup, review decision, mergeable,
//! draft, the first 50 review threads), the first 50 open issues (GraphQL
//! issues never include PRs) and the heads of the dev and main branches with
//! their check rollup. A repository with more PRs or issues gets follow-up pages
//! (`after:` its cursor), again many per request and only for the connections
//! that have a next page. Review threads past a PR's first 50 are counted
//! through `totalCount`, not paged: their state is unknown, so such a PR is
//! never "ready to merge" and its thread count reads "at least".
//! Requests are sent one after the other, never concurrently (GitHub asks
//! integrations to, against its secondary rate limits).
//! Every request pins `X-GitHub-Api-Version: 2022-11-28`; rate limits
//! (`retry-after`, `x-ratelimit-remaining: 0` until `x-ratelimit-reset`,
//! `RATE_LIMITED`) are honoured by [`crate::http`] through [`rate_limit`].
//! A repository GitHub cannot resolve (`NOT_FOUND`) fails only its own project.
//!
//! # Findings and priorities (the planner's table)
//! | kind | when | priority |
//! |---|---|---|
//! | `pr_failing_checks` | the PR's head rollup is `FAILURE` or `ERROR` | P1 (a PR with failing checks) |
//! | `pr_conflicts` | `mergeable` is `CONFLICTING` | P2 (work in flight) |
//! | `pr_changes_requested` | review decision `CHANGES_REQUESTED` (its unresolved threads are counted in it) | P2 |
//! | `pr_unresolved_threads` | unresolved review threads without changes requested | P2 |
//! | `pr_ready_to_merge` | `MERGEABLE`, rollup `SUCCESS`, approved or no review required, no unresolved thread | P2 |
//! | `issue` | an open issue | P2; P1 with a `security`/`vulnerability` label (a security report) |
//!
//! A PR in several states gives one finding per state. Draft PRs give none: a
//! draft is its author's unfinished work, not something to take over.
//! A `bug` label does not raise an issue: most repositories keep many open bugs,
//! and P1 is kept for what breaks development now (red checks, regressions).
//! Unknown enum values (a new `MergeableState`, ...) parse as `Other` and match
//! no rule. Fingerprints are `["github", kind, "owner/name", "#<n>"]`;
//! `Finding::repo` is the local checkout paired with the repository
//! (`paths[i]` for `repos[i]`, else the first path).
//!
//! # Dependencies
//! "depends on #n" / "blocked by #n" (any case, also `owner/name#n` of another
//! audited repository, lists like `#1, #2 and #3`) in a body make every finding
//! of that issue or PR depend on every finding of #n (`relations.rs`), when #n
//! is among the findings this audit reports (a closed or unknown #n, or one of
//! a project that failed, adds nothing).
//!
//! # CI
//! Each dev and main head read goes to [`runs`] (the Actions run lists and
//! DESIGN.md's CI-failure rule: `ci_persistent_failure`, `ci_regression`,
//! `ci_failing`); a green head, or one the board's cache saw at the last
//! audit, costs no request (a head without checks costs one, once). A run list that cannot be read fails the project.

mod client;
mod fetch;
mod findings;
mod query;
mod relations;
pub mod runs;

pub use client::rate_limit;
pub use runs::API_VERSION;

use crate::http::{Auth, Http, HttpConfig};
use async_trait::async_trait;
use client::Failure;
use fetch::{RepoState, Target};
use findings::RepoContext;
use ops_core::model::{Finding, Project};
use ops_core::{Error, ErrorKind, IssueSource, Result, Secret, SourceCache};
use relations::Item;
use runs::{BranchHead, RunsClient};
use std::sync::Arc;

/// Where GitHub is and how to talk to it.
#[derive(Debug, Clone)]
pub struct GitHubConfig {
    /// The REST root (default `https://api.github.com`).
    pub api_url: String,
    /// The GraphQL endpoint; `None` = `api_url` + `/graphql`.
    pub graphql_url: Option<String>,
    /// Repositories per GraphQL request (default 25, at most 100).
    pub batch_size: usize,
    /// Retries and waits.
    pub http: HttpConfig,
}

impl Default for GitHubConfig {
    fn default() -> Self {
        GitHubConfig {
            api_url: "https://api.github.com".into(),
            graphql_url: None,
            batch_size: 25,
            http: HttpConfig::default(),
        }
    }
}

impl GitHubConfig {
    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> String {
        self.graphql_url
            .clone()
            .unwrap_or_else(|| format!("{}/graphql", self.api_url.trim_end_matches('/')))
    }
}

/// The GitHub [`IssueSource`]; see the module docs.
pub struct GitHubSource {
    http: Http,
    graphql_url: String,
    batch_size: usize,
    runs: RunsClient,
}

impl std::fmt::Debug for GitHubSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubSource")
            .field("graphql_url", &self.graphql_url)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl GitHubSource {
    /// A source that authenticates with `token` and keeps what it may reuse
    /// between audits in `cache` (the board).
    pub fn new(config: GitHubConfig, token: Secret, cache: Arc<dyn SourceCache>) -> Result<Self> {
        if !(1..=100).contains(&config.batch_size) {
            return Err(Error::backend(
                "github",
                "configure",
                ErrorKind::Invalid,
                format!(
                    "batch_size = {}: expected 1 to 100 repositories per request",
                    config.batch_size
                ),
            ));
        }
        let http = Http::new("github", Some(Auth::Bearer(token)), config.http.clone())?
            .with_rate_limit(rate_limit);
        Ok(GitHubSource {
            runs: RunsClient::new(http.clone(), config.api_url.clone(), cache),
            http,
            graphql_url: config.graphql_url(),
            batch_size: config.batch_size,
        })
    }

    /// The CI findings of a repository's dev and main heads ([`runs`]): no
    /// request for a green head or one the cache saw last time.
    async fn ci_findings(
        &self,
        project: &Project,
        target: &Target,
        state: &RepoState,
    ) -> Result<Vec<Finding>> {
        let mut out = Vec::new();
        let branches = [
            (&target.dev, state.dev.as_ref(), false),
            (&target.main, state.main.as_ref(), true),
        ];
        for (i, (branch, head, is_main)) in branches.into_iter().enumerate() {
            // One branch for both: judged once, as main (its failure is
            // production's).
            if i == 0 && target.main == target.dev {
                continue;
            }
            let Some((oid, rollup)) = query::head_commit(head) else {
                continue;
            };
            let head = BranchHead {
                slug: target.slug.clone(),
                branch: branch.clone(),
                oid,
                rollup,
            };
            let found = self
                .runs
                .findings(project, &target.path, &head, is_main)
                .await
                .map_err(|e| {
                    let failure = Failure {
                        kind: e.kind(),
                        message: format!("Actions runs of {branch}: {e}"),
                        retry_after: e.retry_after(),
                    };
                    project_error(project, &target.slug, &failure)
                })?;
            out.extend(found);
        }
        Ok(out)
    }
}

/// A project's failure: names the project, the repository and what went wrong.
fn project_error(project: &Project, slug: &str, failure: &Failure) -> Error {
    let e = Error::backend(
        "github",
        format!("audit {slug} for project {}", project.alias),
        failure.kind,
        failure.message.clone(),
    );
    match failure.retry_after {
        Some(wait) => e.with_retry_after(wait),
        None => e,
    }
}

/// The project's repositories as targets; a malformed `owner/name` is an error.
fn targets_of(index: usize, project: &Project) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    for (i, slug) in project.repos.iter().enumerate() {
        let Some((owner, name)) = slug
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        else {
            return Err(Error::backend(
                "github",
                format!("audit project {}", project.alias),
                ErrorKind::Invalid,
                format!("repos: \"{slug}\" is not a GitHub repository: expected owner/name"),
            ));
        };
        let path = project
            .paths
            .get(i)
            .or_else(|| project.paths.first())
            .map_or_else(|| slug.clone(), |p| p.display().to_string());
        out.push(Target {
            project: index,
            slug: slug.clone(),
            owner: owner.into(),
            name: name.into(),
            path,
            dev: project.dev_branch.clone().unwrap_or_else(|| "dev".into()),
            main: project.main_branch.clone().unwrap_or_else(|| "main".into()),
        });
    }
    Ok(out)
}

#[async_trait]
impl IssueSource for GitHubSource {
    fn name(&self) -> &str {
        "github"
    }

    fn batched(&self) -> bool {
        true
    }

    async fn audit(&self, project: &Project) -> Result<Vec<Finding>> {
        let mut results = self.audit_many(std::slice::from_ref(project)).await;
        results.pop().unwrap_or_else(|| Ok(Vec::new()))
    }

    async fn audit_many(&self, projects: &[Project]) -> Vec<Result<Vec<Finding>>> {
        let mut results: Vec<Result<Vec<Finding>>> =
            projects.iter().map(|_| Ok(Vec::new())).collect();
        let mut targets = Vec::new();
        for (i, project) in projects.iter().enumerate() {
            match targets_of(i, project) {
                Ok(ts) => targets.extend(ts),
                Err(e) => results[i] = Err(e),
            }
        }
        targets.retain(|t| results[t.project].is_ok());
        if targets.is_empty() {
            return results;
        }
        let states = fetch::read(&self.http, &self.graphql_url, self.batch_size, &targets).await;
        // A repository that could not be read fails its project.
        for (target, state) in targets.iter().zip(&states) {
            if let (Err(failure), Ok(_)) = (state, &results[target.project]) {
                let project = &projects[target.project];
                results[target.project] = Err(project_error(project, &target.slug, failure));
            }
        }
        // CI next: a run list that cannot be read fails its project too.
        for (target, state) in targets.iter().zip(&states) {
            if let (Ok(state), Ok(_)) = (state, &results[target.project]) {
                let project = &projects[target.project];
                match self.ci_findings(project, target, state).await {
                    Ok(found) => {
                        if let Ok(list) = &mut results[target.project] {
                            list.extend(found);
                        }
                    }
                    Err(e) => results[target.project] = Err(e),
                }
            }
        }
        // PRs and issues of the projects still standing, linked among
        // themselves only (a dependency never names a finding not reported).
        let mut owners = Vec::new();
        let mut items = Vec::new();
        for (target, state) in targets.iter().zip(&states) {
            let (Ok(state), Ok(_)) = (state, &results[target.project]) else {
                continue;
            };
            let ctx = RepoContext {
                project: &projects[target.project],
                slug: &target.slug,
                path: &target.path,
            };
            for pr in &state.prs {
                owners.push(target.project);
                items.push(Item {
                    slug: target.slug.clone(),
                    number: pr.number,
                    body: pr.body.clone(),
                    findings: findings::pull_request(&ctx, pr),
                });
            }
            for issue in &state.issues {
                owners.push(target.project);
                items.push(Item {
                    slug: target.slug.clone(),
                    number: issue.number,
                    body: issue.body.clone(),
                    findings: vec![findings::issue(&ctx, issue)],
                });
            }
        }
        relations::link(&mut items);
        for (owner, item) in owners.into_iter().zip(items) {
            if let Ok(list) = &mut results[owner] {
                list.extend(item.findings);
            }
        }
        results
    }
}
