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
//!   (`query=is:unresolved project:web`). Sentry's 2026 API description
//!   documents `project` as "IDs or slugs", but older Sentry versions (still
//!   common self-hosted) answer a slug there with 400 "Invalid project
//!   parameter. Values must be numbers."; resolving the slug through the
//!   projects list would cost one more request per project per audit; the
//!   search term works on both. The fake Sentry behaves like the older ones.
//!
//! The audit is batched ([`IssueSource::batched`]): the projects of one
//! organisation known by numeric id share ONE listing (`project=4501&project=4502`,
//! each issue given to the project its `project.id` names, the page limit
//! multiplied by the number of projects), so 20 projects in one organisation
//! cost one request (plus paging) instead of 20; a slug project gets its own
//! listing. Listings run 4 at a time. A listing that fails fails the audit of
//! the projects it was for, and only those.
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
//! A project without `sentry` config yields no findings and sends no request;
//! one with `sentry` but no local checkout (`paths`) is an error for that
//! project (its findings would have no `repo` to work in).

mod finding;
mod issue;
pub mod link;
mod rate;
mod since;

pub use finding::SentryPriorities;
pub use issue::{Issue, Level};

use crate::http::{Auth, Http, HttpConfig, Request};
use async_trait::async_trait;
use futures::StreamExt;
use futures::future::BoxFuture;
use link::Next;
use ops_core::model::{Finding, Project, SentryProject};
use ops_core::{Error, ErrorKind, IssueSource, Result, Secret};
use std::collections::BTreeMap;

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
        let invalid = |why: String| {
            Error::backend(
                "sentry",
                "configure",
                ErrorKind::Invalid,
                format!(
                    "SentryConfig.url {:?}: expected an http(s) URL like https://sentry.io, {why}",
                    config.url
                ),
            )
        };
        let base = reqwest::Url::parse(config.url.trim_end_matches('/'))
            .map_err(|e| invalid(format!("but it does not parse ({e})")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(invalid(format!("not a {} URL", base.scheme())));
        }
        let http = Http::new("sentry", Some(Auth::Bearer(token)), config.http.clone())?
            .with_rate_limit(rate::hint);
        Ok(SentrySource { http, config, base })
    }

    /// The first page's URL: the issues of `org` for `filter`, with `search`
    /// added to the query.
    fn first_url(
        &self,
        org: &str,
        filter: &Filter<'_>,
        search: &str,
        sort: Option<&str>,
    ) -> String {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(["api", "0", "organizations", org, "issues", ""]);
        }
        let mut query = String::from("is:unresolved");
        if let Filter::Slug(slug) = filter {
            query.push_str(&format!(" project:{slug}"));
        }
        if !search.is_empty() {
            query.push(' ');
            query.push_str(search);
        }
        {
            let mut pairs = url.query_pairs_mut();
            if let Filter::Ids(ids) = filter {
                for id in *ids {
                    pairs.append_pair("project", id);
                }
            }
            pairs.append_pair("query", &query);
            pairs.append_pair("limit", "100");
            if let Some(sort) = sort {
                pairs.append_pair("sort", sort);
            }
        }
        url.into()
    }

    /// Every unresolved issue of `target` matching `search`.
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
        let id = [target.project.as_str()];
        let filter = if is_id(&target.project) {
            Filter::Ids(&id)
        } else {
            Filter::Slug(&target.project)
        };
        let url = self.first_url(&target.org, &filter, search, sort);
        self.pages(&what, url, self.config.max_pages.max(1)).await
    }

    /// Every issue from `url` on, page by page, at most `max_pages` pages.
    async fn pages(&self, what: &str, mut url: String, max_pages: usize) -> Result<Vec<Issue>> {
        let mut out = Vec::new();
        for page in 1..=max_pages {
            let request = Request::get(url.clone());
            let answer = self
                .http
                .send(&request)
                .await
                .map_err(|e| in_context(e, what))?;
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
                        what,
                        ErrorKind::Retryable,
                        format!("page {page}'s Link header is not a list of links: {header:?}"),
                    )
                })?,
            };
            match next {
                Next::End => return Ok(out),
                Next::Page(next) => {
                    url = self.same_origin(next, what)?;
                    rate::pace(&answer, self.config.http.max_wait, what).await?;
                }
            }
        }
        Err(Error::backend(
            "sentry",
            what,
            ErrorKind::Invalid,
            format!(
                "more than {max_pages} pages of issues (the limit; raise SentryConfig::max_pages to read them all)"
            ),
        ))
    }

    /// The findings of several projects of `org` known by numeric id, from one
    /// listing (`project=<id>&project=<id>…`), each issue given to the projects
    /// whose id it names.
    async fn audit_org(&self, org: &str, projects: &[&Project]) -> Result<Vec<Vec<Finding>>> {
        let mut ids: Vec<&str> = projects
            .iter()
            .filter_map(|p| p.sentry.as_ref().map(|s| s.project.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let aliases: Vec<&str> = projects.iter().map(|p| p.alias.as_str()).collect();
        let what = match (ids.as_slice(), aliases.as_slice()) {
            ([id], [alias]) => format!("list unresolved issues of {org}/{id} for project {alias}"),
            _ => format!(
                "list unresolved issues of {org} projects {} for projects {}",
                ids.join(", "),
                aliases.join(", ")
            ),
        };
        let url = self.first_url(org, &Filter::Ids(&ids), "", None);
        let max_pages = self.config.max_pages.max(1).saturating_mul(ids.len());
        let issues = self.pages(&what, url, max_pages).await?;
        Ok(projects
            .iter()
            .map(|p| {
                let id = p.sentry.as_ref().map_or("", |s| s.project.as_str());
                let mine = issues
                    .iter()
                    .filter(|i| i.project_id().map_or(ids.len() == 1, |pid| pid == id));
                self.findings(p, org, mine)
            })
            .collect())
    }

    fn findings<'a>(
        &self,
        project: &Project,
        org: &str,
        issues: impl Iterator<Item = &'a Issue>,
    ) -> Vec<Finding> {
        let mut seen = std::collections::BTreeSet::new();
        issues
            .filter(|i| i.is_open() && seen.insert(i.id.clone()))
            .map(|i| finding::finding(project, org, i, &self.config.priorities))
            .collect()
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
    match &e {
        Error::Backend {
            backend,
            operation,
            message,
            ..
        } => e.restated(
            backend.clone(),
            format!("{what}: {operation}"),
            message.clone(),
        ),
        _ => e,
    }
}

/// The same error again, for each project of a failed shared listing.
fn copy(e: &Error) -> Error {
    match e {
        Error::Backend {
            backend,
            operation,
            message,
            ..
        } => e.restated(backend.clone(), operation.clone(), message.clone()),
        other => other.restated("sentry", "audit", other.to_string()),
    }
}

/// A project with `sentry` but no local checkout: its findings would have no
/// `repo` for the planner to put the work in.
fn no_checkout(project: &Project, target: &SentryProject) -> Error {
    Error::backend(
        "sentry",
        format!("audit project {}", project.alias),
        ErrorKind::Invalid,
        format!(
            "the project has Sentry project {}/{} but no local checkout (`paths`) for the work",
            target.org, target.project
        ),
    )
}

/// Which projects a listing asks for.
enum Filter<'a> {
    /// `project=<id>` for each.
    Ids(&'a [&'a str]),
    /// `project:<slug>` in the search query.
    Slug(&'a str),
}

fn is_id(project: &str) -> bool {
    !project.is_empty() && project.bytes().all(|b| b.is_ascii_digit())
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
        if project.paths.is_empty() {
            return Err(no_checkout(project, target));
        }
        let issues = self.issues(&project.alias, target, "", None).await?;
        Ok(self.findings(project, &target.org, issues.iter()))
    }

    fn batched(&self) -> bool {
        true
    }

    /// One listing per organisation for the projects known by numeric id, one
    /// per project for slugs; listings run a few at a time.
    async fn audit_many(&self, projects: &[Project]) -> Vec<Result<Vec<Finding>>> {
        let mut by_org: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        let mut single = Vec::new();
        for (i, p) in projects.iter().enumerate() {
            match &p.sentry {
                Some(s) if is_id(&s.project) && !p.paths.is_empty() => {
                    by_org.entry(s.org.as_str()).or_default().push(i)
                }
                _ => single.push(i),
            }
        }
        type Outcomes = Vec<(usize, Result<Vec<Finding>>)>;
        let mut calls: Vec<BoxFuture<'_, Outcomes>> = Vec::new();
        for (org, members) in by_org {
            let org = org.to_string();
            calls.push(Box::pin(async move {
                let group: Vec<&Project> = members.iter().map(|&i| &projects[i]).collect();
                match self.audit_org(&org, &group).await {
                    Ok(lists) => members.into_iter().zip(lists.into_iter().map(Ok)).collect(),
                    Err(e) => members.into_iter().map(|i| (i, Err(copy(&e)))).collect(),
                }
            }));
        }
        for i in single {
            calls.push(Box::pin(async move {
                vec![(i, self.audit(&projects[i]).await)]
            }));
        }
        let mut out: Vec<Option<Result<Vec<Finding>>>> = projects.iter().map(|_| None).collect();
        let mut calls = futures::stream::iter(calls).buffer_unordered(4);
        while let Some(results) = calls.next().await {
            for (i, result) in results {
                out[i] = Some(result);
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Ok(Vec::new())))
            .collect()
    }
}
