//! A stateful fake GitHub on 127.0.0.1, for shipper tests shaped like rust-lang/bors's.
//!
//! It keeps repositories (branches read from REAL bare repositories), pull
//! requests, check runs, commit statuses, review decisions and threads; merges
//! really move the bare repository's base branch (squash or merge commit, via git
//! plumbing). Failures are injected with [`Fault`]; every request is counted.
//! Error bodies follow GitHub's documented and observed ones (405 "Pull Request is
//! not mergeable", 409 "Head branch was modified...", 422 "A pull request already
//! exists for OWNER:BRANCH.", secondary rate limits with `retry-after`).

mod bare;
mod routes;
mod state;

pub use state::{Fault, MergeCall, PullView};

use crate::serve::Served;
use state::State;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A running fake; the server stops when this is dropped.
pub struct FakeGitHub {
    served: Served,
    state: Arc<Mutex<State>>,
}

impl FakeGitHub {
    /// Starts a fake on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let served = Served::start(routes::router(state.clone())).await;
        FakeGitHub { served, state }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The API root to give a client (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr())
    }

    /// Serves `slug` (`owner/name`) from the bare repository at `bare`.
    pub fn add_repo(&self, slug: &str, bare: &Path) {
        self.lock().repos.insert(slug.into(), bare.to_path_buf());
    }

    /// Sets (or replaces) check run `name` on commit `sha`. `conclusion` is `None`
    /// while it runs; `output` becomes the run's `output.text` (its log).
    pub fn set_check_run(
        &self,
        slug: &str,
        sha: &str,
        name: &str,
        conclusion: Option<&str>,
        output: &str,
    ) {
        self.lock()
            .set_check_run(slug, sha, name, conclusion, output);
    }

    /// Every commit without check runs of its own reports check run `name`
    /// completed with `conclusion` (a CI that is always done, for engine tests).
    pub fn auto_check(&self, name: &str, conclusion: &str) {
        self.lock().auto_check = Some((name.into(), conclusion.into()));
    }

    /// Sets (or replaces) commit status `context` on `sha` (`success`, `pending`, `failure`, `error`).
    pub fn set_status(&self, slug: &str, sha: &str, context: &str, state: &str, description: &str) {
        self.lock()
            .set_status(slug, sha, context, state, description);
    }

    /// Sets a pull request's review decision (`APPROVED`, `CHANGES_REQUESTED`,
    /// `REVIEW_REQUIRED`, or `None` when no review is required).
    pub fn set_review_decision(&self, slug: &str, number: u64, decision: Option<&str>) {
        self.lock()
            .review_decisions
            .insert((slug.into(), number), decision.map(str::to_string));
    }

    /// Adds a review thread to a pull request.
    pub fn add_review_thread(
        &self,
        slug: &str,
        number: u64,
        path: &str,
        line: u64,
        body: &str,
        resolved: bool,
    ) {
        self.lock()
            .threads
            .entry((slug.into(), number))
            .or_default()
            .push(serde_json::json!({
                "isResolved": resolved, "path": path, "line": line,
                "comments": {"nodes": [{"body": body, "author": {"login": "reviewer"}}]}
            }));
    }

    /// Injects a failure (they are consumed in the order they trigger).
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Merges a pull request as a human on the website would (squash), behind the shipper's back.
    pub fn merge_behind_the_back(&self, slug: &str, number: u64) -> String {
        self.lock()
            .merge(slug, number, None, "squash", "merged by a human", "")
            .map(|(_, body)| body["sha"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|(status, body)| panic!("merge failed: {status} {body}"))
    }

    /// Changes a pull request's base branch, as a human editing it on the website would.
    pub fn retarget(&self, slug: &str, number: u64, base: &str) {
        self.lock().retarget(slug, number, base);
    }

    /// Every pull request.
    pub fn pulls(&self) -> Vec<PullView> {
        self.lock().pull_views()
    }

    /// Every merge request received (`PUT .../merge`), accepted or not.
    pub fn merge_calls(&self) -> Vec<MergeCall> {
        self.lock().merge_calls.clone()
    }

    /// Branches deleted through the API (`DELETE .../git/refs/heads/...`) as
    /// `(owner/name, branch)`, in order.
    pub fn deleted_branches(&self) -> Vec<(String, String)> {
        self.lock().deleted_branches.clone()
    }

    /// Every request as `METHOD /path?query`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// How many conditional GETs were answered 304 Not Modified.
    pub fn not_modified(&self) -> usize {
        self.lock().not_modified
    }

    /// Every `Authorization` header value received (to prove the token went there and nowhere else).
    pub fn authorizations(&self) -> Vec<String> {
        self.lock().authorizations.clone()
    }
}
