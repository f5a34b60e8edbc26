//! The Sentry source: one finding per unresolved issue of a project's Sentry
//! project (`sentry{org, project}` in the registry).
//!
//! # Requests
//! `GET {url}/api/0/organizations/{org}/issues/?query=is:unresolved&limit=100`
//! with `Authorization: Bearer <token>`, through [`crate::http::Http`] (retries
//! 5xx and 429 with backoff, honours `Retry-After`; see `rate.rs` for the
//! `X-Sentry-Rate-Limit-*` headers). The project is chosen by:
//! * a numeric `project` (`"4501"`): the `project=4501` parameter, which every
//!   Sentry version accepts;
//! * a slug (`"web"`): the search term `project:web` added to the query
//!   (`query=is:unresolved project:web`). The `project` parameter takes only
//!   numeric ids on sentry.io and self-hosted versions before its slug support
//!   (a slug there is a 400 "Values must be numbers"), and resolving the slug
//!   through the projects list would cost a request per project per audit; the
//!   search term works on every version.
//!
//! Pages follow the `Link` header ([`link`]): the `rel="next"` link is fetched
//! while it says `results="true"`; `results="false"` (or no next link) ends the
//! list. At most [`SentryConfig::max_pages`] pages (100 issues each) are read:
//! a project with more is an error naming the limit, never a silently cut list
//! (a cut list would make the planner think the missing issues were resolved).
//! A next link to another origin than [`SentryConfig::url`] is refused (the
//! token would go there).
//!
//! # Findings
//! Kind `sentry_issue`, fingerprint `["sentry", org, issue id]`, title
//! `Sentry <short id>: <title>`, detail with culprit, level, events, users,
//! first and last seen and the permalink; `repo` is the project's first local
//! checkout. Issues Sentry reports as resolved or ignored despite the query are
//! skipped; unknown statuses are reported.
//!
//! # Priority
//! | level | events / users | priority |
//! |---|---|---|
//! | `fatal` | any | P0 production broken |
//! | `error` | users ≥ [`SentryPriorities::production_users`] (100) or events ≥ [`SentryPriorities::production_events`] (1000) | P0 production broken |
//! | `error` | fewer | P1 |
//! | `warning`, or a level this source does not know (`unknown`, new ones) | any | P2 current issue |
//! | `info`, `debug`, `sample` | any | P3 |
//!
//! A project without `sentry` config yields no findings and sends no request.

mod finding;
mod issue;
pub mod link;
mod rate;
mod since;

pub use finding::SentryPriorities;
pub use issue::{Issue, Level};

use crate::http::{Auth, Http, HttpConfig, Request};
use async_trait::async_trait;
use link::Next;
use ops_core::model::{Finding, Project, SentryProject};
use ops_core::{Error, ErrorKind, IssueSource, Result, Secret};

/// Where Sentry is and how the source talks to it.
#[derive(Debug, Clone)]
pub struct SentryConfig {
    /// The Sentry root (default `https://sentry.io`; a self-hosted one, or a
    /// fake on 127.0.0.1 in tests).
    pub url: String,
    /// Retries, backoff, waits and timeouts.
    pub http: HttpConfig,
    /// At most this many pages of 100 issues per project (default 10); more is
    /// an error, never a silently shortened list.
    pub max_pages: usize,
    /// The thresholds of the priority table.
    pub priorities: SentryPriorities,
}

impl Default for SentryConfig {
    fn default() -> Self {
        SentryConfig {
            url: "https://sentry.io".into(),
            http: HttpConfig::default(),
            max_pages: 10,
            priorities: SentryPriorities::default(),
        }
    }
}

/// The Sentry [`IssueSource`] (named `sentry`); see the module docs.
#[derive(Debug, Clone)]
pub struct SentrySource {
    http: Http,
    config: SentryConfig,
    base: reqwest::Url,
}

impl SentrySource {
    /// A source reading `config.url` with `token` (sent as a Bearer token).
    pub fn new(config: SentryConfig, token: Secret) -> Result<Self> {
        let base = reqwest::Url::parse(config.url.trim_end_matches('/')).map_err(|e| {
            Error::backend(
                "sentry",
                "configure",
                ErrorKind::Invalid,
                format!("the Sentry url {:?} is not a URL: {e}", config.url),
            )
        })?;
        let http = Http::new("sentry", Some(Auth::Bearer(token)), config.http.clone())?
            .with_rate_limit(rate::hint);
        Ok(SentrySource { http, config, base })
    }

    /// The first page's URL for `target`, with `search` added to the query.
    fn first_url(&self, target: &SentryProject, search: &str, sort: Option<&str>) -> String {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend([
                "api",
                "0",
                "organizations",
                &target.org,
                "issues",
                "",
            ]);
        }
        let is_id =
            !target.project.is_empty() && target.project.bytes().all(|b| b.is_ascii_digit());
        let mut query = String::from("is:unresolved");
        if !is_id {
            query.push_str(&format!(" project:{}", target.project));
        }
        if !search.is_empty() {
            query.push(' ');
            query.push_str(search);
        }
        {
            let mut pairs = url.query_pairs_mut();
            if is_id {
                pairs.append_pair("project", &target.project);
            }
            pairs.append_pair("query", &query);
            pairs.append_pair("limit", "100");
            if let Some(sort) = sort {
                pairs.append_pair("sort", sort);
            }
        }
        url.into()
    }

    /// Every issue of `target` matching `is:unresolved` and `search`, page by page.
    async fn issues(
        &self,
        alias: &str,
        target: &SentryProject,
        search: &str,
        sort: Option<&str>,
    ) -> Result<Vec<Issue>> {
        let what = format!(
            "list unresolved issues of {}/{} for project {alias}",
            target.org, target.project
        );
        let mut url = self.first_url(target, search, sort);
        let mut out = Vec::new();
        for page in 1..=self.config.max_pages.max(1) {
            let request = Request::get(url.clone());
            let answer = self
                .http
                .send(&request)
                .await
                .map_err(|e| in_context(e, &what))?;
            let path = url.split('?').next().unwrap_or_default();
            let issues: Vec<Issue> = answer.json(
                "sentry",
                &format!(
                    "{what}: GET {path} (page {page}) answered a body that is not a list of issues"
                ),
            )?;
            out.extend(issues);
            let next = match answer.header("link") {
                None => Next::End,
                Some(header) => link::next_page(header).ok_or_else(|| {
                    Error::backend(
                        "sentry",
                        &what,
                        ErrorKind::Retryable,
                        format!("page {page}'s Link header is not a list of links: {header:?}"),
                    )
                })?,
            };
            match next {
                Next::End => return Ok(out),
                Next::Page(next) => {
                    url = self.same_origin(next, &what)?;
                    rate::pace(&answer, self.config.http.max_wait, &what).await?;
                }
            }
        }
        Err(Error::backend(
            "sentry",
            what,
            ErrorKind::Invalid,
            format!(
                "more than {} pages of issues (the limit; raise SentryConfig::max_pages to read them all)",
                self.config.max_pages.max(1)
            ),
        ))
    }

    /// `next` if it is on the configured Sentry, else an error (the token would go elsewhere).
    fn same_origin(&self, next: String, what: &str) -> Result<String> {
        match reqwest::Url::parse(&next) {
            Ok(u) if u.origin() == self.base.origin() => Ok(next),
            _ => Err(Error::backend(
                "sentry",
                what,
                ErrorKind::Invalid,
                format!(
                    "the next-page link leads away from {} ({:?}); refusing to send the token there",
                    self.base.origin().ascii_serialization(),
                    next.split('?').next().unwrap_or_default()
                ),
            )),
        }
    }
}

/// The same error, its operation prefixed with what the source was doing.
fn in_context(e: Error, what: &str) -> Error {
    match e {
        Error::Backend {
            backend,
            operation,
            message,
            kind,
            retry_after,
        } => {
            let out = Error::backend(backend, format!("{what}: {operation}"), kind, message);
            match retry_after {
                Some(wait) => out.with_retry_after(wait),
                None => out,
            }
        }
        other => other,
    }
}

#[async_trait]
impl IssueSource for SentrySource {
    fn name(&self) -> &str {
        "sentry"
    }

    async fn audit(&self, project: &Project) -> Result<Vec<Finding>> {
        let Some(target) = &project.sentry else {
            return Ok(Vec::new());
        };
        let issues = self.issues(&project.alias, target, "", None).await?;
        let mut seen = std::collections::BTreeSet::new();
        Ok(issues
            .iter()
            .filter(|i| i.is_open() && seen.insert(i.id.clone()))
            .map(|i| finding::finding(project, &target.org, i, &self.config.priorities))
            .collect())
    }
}
