//! A stateful fake of GitHub's API for the GitHub issue source's audits (apart
//! from the shipper's REST fake in [`crate::github`]): `POST /graphql` answers
//! the source's documents from seeded repositories (`exec.rs`: aliases,
//! variables, fragments, `first`/`after` paging with opaque cursors,
//! `NOT_FOUND` errors in GitHub's shape), other routes can be merged in (the
//! Actions run lists). Every request, GraphQL or REST, is counted by kind; the
//! token is checked (401 "Bad credentials"); every answer carries
//! `x-ratelimit-*` headers; failures are injected with [`Fault`].
//!
//! Seed it from fixtures in `fixtures/github_api/` (shaped like a real
//! `repository` answer) with [`FakeGitHubApi::load_fixture`], from code with
//! [`Pr`], [`Issue`] and [`FakeGitHubApi::set_branch`], or with
//! [`generate::realistic`] (many repositories, for the request-count benchmark).

mod exec;
pub mod generate;
mod routes;
mod seed;

pub use exec::cursor;
pub use seed::{Issue, Pr, branch, repository};

use crate::serve::Served;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A failure the fake answers with instead of serving a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `status` with `body` (and `retry-after: secs` when given), `times` times in a row.
    Status {
        /// The status code.
        status: u16,
        /// `retry-after` in seconds.
        retry_after: Option<u64>,
        /// The body.
        body: String,
        /// How many requests get it.
        times: usize,
    },
    /// The primary rate limit used up: 403 "API rate limit exceeded" with
    /// `x-ratelimit-remaining: 0` and `x-ratelimit-reset` `reset_in` seconds away.
    RateLimited {
        /// Seconds until the reset.
        reset_in: u64,
    },
    /// GraphQL's own rate limit: a 200 whose body is a `RATE_LIMITED` error,
    /// with `x-ratelimit-remaining: 0` and the reset `reset_in` seconds away.
    GraphQlRateLimited {
        /// Seconds until the reset.
        reset_in: u64,
    },
    /// A 200 whose body is not JSON.
    Malformed,
}

impl Fault {
    /// `502 Bad Gateway`, `times` times.
    pub fn bad_gateway(times: usize) -> Self {
        Fault::Status {
            status: 502,
            retry_after: None,
            body: "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
            times,
        }
    }

    /// A secondary rate limit: 403 with `retry-after`.
    pub fn secondary_limit(retry_after: u64) -> Self {
        Fault::Status {
            status: 403,
            retry_after: Some(retry_after),
            body: r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":"403"}"#.into(),
            times: 1,
        }
    }

    /// `429 Too Many Requests` with `retry-after`.
    pub fn too_many(retry_after: u64) -> Self {
        Fault::Status {
            status: 429,
            retry_after: Some(retry_after),
            body: r#"{"message":"Too Many Requests","status":"429"}"#.into(),
            times: 1,
        }
    }
}

/// The fake's state (shared with the routes).
#[derive(Default)]
struct State {
    token: String,
    repos: BTreeMap<String, Value>,
    faults: VecDeque<Fault>,
    counts: BTreeMap<String, usize>,
    requests: Vec<String>,
    api_versions: Vec<Option<String>>,
    documents: Vec<String>,
    used: u64,
}

impl exec::Repositories for State {
    fn repository(&self, slug: &str) -> Option<&Value> {
        self.repos.get(&slug.to_ascii_lowercase())
    }
}

impl State {
    fn repo_mut(&mut self, slug: &str) -> &mut Value {
        self.repos
            .entry(slug.to_ascii_lowercase())
            .or_insert_with(|| seed::repository(slug))
    }

    fn upsert(&mut self, slug: &str, connection: &str, node: Value) {
        let repo = self.repo_mut(slug);
        let Some(nodes) = repo[connection]["nodes"].as_array_mut() else {
            repo[connection] = serde_json::json!({"nodes": [node]});
            return;
        };
        match nodes.iter_mut().find(|n| n["number"] == node["number"]) {
            Some(old) => *old = node,
            None => nodes.push(node),
        }
    }
}

/// A running fake; the server stops when this is dropped.
pub struct FakeGitHubApi {
    served: Served,
    state: Arc<Mutex<State>>,
}

impl FakeGitHubApi {
    /// Starts a fake on a free port of 127.0.0.1 that accepts only `token`.
    pub async fn start(token: &str) -> Self {
        Self::start_with(token, axum::Router::new()).await
    }

    /// Starts a fake that also serves `extra` (e.g. the Actions run lists),
    /// behind the same token check, counting and fault injection.
    pub async fn start_with(token: &str, extra: axum::Router) -> Self {
        let state = Arc::new(Mutex::new(State {
            token: token.into(),
            ..State::default()
        }));
        let served = Served::start(routes::router(state.clone(), extra)).await;
        FakeGitHubApi { served, state }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The API root (`http://127.0.0.1:PORT`); GraphQL is at `/graphql`.
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr())
    }

    /// Serves an empty repository `owner/name` (green `dev` and `main`).
    pub fn add_repo(&self, slug: &str) {
        self.lock().repo_mut(slug);
    }

    /// Stops serving `slug` (it answers `NOT_FOUND` from now on).
    pub fn remove_repo(&self, slug: &str) {
        self.lock().repos.remove(&slug.to_ascii_lowercase());
    }

    /// Seeds a repository from a fixture: a real-shaped answer
    /// `{"data": {"repository": {"nameWithOwner": ..., "pullRequests": {"nodes": [...]}, ...}}}`.
    /// Returns its `owner/name`.
    pub fn load_fixture(&self, path: &Path) -> String {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read fixture {}: {e}", path.display()));
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()));
        let repo = value["data"]["repository"].clone();
        let slug = repo["nameWithOwner"]
            .as_str()
            .unwrap_or_else(|| {
                panic!(
                    "fixture {}: no data.repository.nameWithOwner",
                    path.display()
                )
            })
            .to_string();
        let mut full = seed::repository(&slug);
        if let (Some(full), Some(given)) = (full.as_object_mut(), repo.as_object()) {
            for (k, v) in given {
                full.insert(k.clone(), v.clone());
            }
        }
        self.lock().repos.insert(slug.to_ascii_lowercase(), full);
        slug
    }

    /// The path of fixture `name` in `crates/ops-testkit/fixtures/github_api/`.
    pub fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/github_api")
            .join(name)
    }

    /// Adds (or replaces, by number) a pull request.
    pub fn add_pr(&self, slug: &str, pr: &Pr) {
        self.lock().upsert(slug, "pullRequests", pr.to_node(slug));
    }

    /// Adds (or replaces, by number) an issue.
    pub fn add_issue(&self, slug: &str, issue: &Issue) {
        self.lock().upsert(slug, "issues", issue.to_node(slug));
    }

    /// Closes pull request or issue `number`.
    pub fn close(&self, slug: &str, number: u64) {
        let mut state = self.lock();
        let repo = state.repo_mut(slug);
        for connection in ["pullRequests", "issues"] {
            if let Some(nodes) = repo[connection]["nodes"].as_array_mut() {
                for n in nodes.iter_mut().filter(|n| n["number"] == number) {
                    n["state"] = "CLOSED".into();
                }
            }
        }
    }

    /// Points branch `name` at commit `oid` with check rollup `rollup`
    /// (`SUCCESS`, `FAILURE`, ...; `None` = no checks).
    pub fn set_branch(&self, slug: &str, name: &str, oid: &str, rollup: Option<&str>) {
        let mut state = self.lock();
        let repo = state.repo_mut(slug);
        let node = seed::branch(name, oid, rollup);
        let Some(refs) = repo["refs"]["nodes"].as_array_mut() else {
            repo["refs"] = serde_json::json!({"nodes": [node]});
            return;
        };
        refs.retain(|r| r["name"] != name);
        refs.push(node);
    }

    /// Every branch whose head's check rollup is `FAILURE` or `ERROR`, as
    /// `(owner/name, branch, commit)`.
    pub fn red_branches(&self) -> Vec<(String, String, String)> {
        let state = self.lock();
        let mut out = Vec::new();
        for repo in state.repos.values() {
            let slug = repo["nameWithOwner"].as_str().unwrap_or_default();
            for r in repo["refs"]["nodes"].as_array().into_iter().flatten() {
                let rollup = r["target"]["statusCheckRollup"]["state"].as_str();
                if matches!(rollup, Some("FAILURE" | "ERROR")) {
                    out.push((
                        slug.to_string(),
                        r["name"].as_str().unwrap_or_default().to_string(),
                        r["target"]["oid"].as_str().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
        out
    }

    /// Injects a failure (they trigger in the order injected).
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Requests received by kind (`graphql`, `rest`), failed ones included.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.lock().counts.clone()
    }

    /// Every request received, of any kind.
    pub fn total(&self) -> usize {
        self.lock().counts.values().sum()
    }

    /// Forgets the counts and logs (between the audits of a benchmark).
    pub fn reset_counts(&self) {
        let mut state = self.lock();
        state.counts.clear();
        state.requests.clear();
        state.api_versions.clear();
        state.documents.clear();
    }

    /// Every request as `METHOD /path?query`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// The `X-GitHub-Api-Version` of every request, in order.
    pub fn api_versions(&self) -> Vec<Option<String>> {
        self.lock().api_versions.clone()
    }

    /// The text of every GraphQL document received, in order.
    pub fn documents(&self) -> Vec<String> {
        self.lock().documents.clone()
    }
}
