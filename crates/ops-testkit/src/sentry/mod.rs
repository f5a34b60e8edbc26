//! A stateful fake Sentry on 127.0.0.1: the organisation issues endpoint
//! (`GET /api/0/organizations/{org}/issues/`) as the real one answers it.
//!
//! * organisations, projects (numeric id + slug) and issues are seeded from
//!   `fixtures/sentry/*.json` (written from Sentry's documented issue shape) or
//!   added by a test;
//! * `project=` takes numeric ids only (a slug is a 400, an id outside the
//!   organisation a 403, as sentry.io answers); the search `query` understands
//!   `is:unresolved`, `is:resolved`, `is:ignored`, `project:<slug>` and
//!   `firstSeen:>=<ISO date>` and answers 400 to anything else;
//! * cursor paging with the `Link` header exactly as Sentry sends it
//!   (`<…&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"`);
//! * `Authorization: Bearer <token>` is checked (401 `{"detail": "Invalid
//!   token"}`), every answer carries the `X-Sentry-Rate-Limit-*` headers;
//! * failures are injected with [`Fault`], for every organisation or one;
//!   every request is logged.

mod routes;
mod state;

pub use state::Fault;

use crate::serve::Served;
use serde_json::Value;
use state::State;
use std::sync::{Arc, Mutex};

/// The seeded organisation: `acme`, projects `web` (id 4501) and `api` (4502).
pub const ACME_FIXTURE: &str = include_str!("../../fixtures/sentry/acme.json");

/// A running fake; the server stops when this is dropped.
pub struct FakeSentry {
    served: Served,
    state: Arc<Mutex<State>>,
}

impl FakeSentry {
    /// Starts an empty fake on a free port of 127.0.0.1 that accepts `token`.
    pub async fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(State::new(token)));
        let served = Served::start(routes::router(state.clone())).await;
        FakeSentry { served, state }
    }

    /// Starts a fake seeded with [`ACME_FIXTURE`].
    pub async fn seeded(token: &str) -> Self {
        let fake = Self::start(token).await;
        fake.seed(ACME_FIXTURE);
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The base URL to give a client (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr())
    }

    /// Adds the organisation, projects and issues of a fixture
    /// (`{"org", "projects": [{id, slug, ...}], "issues": [...]}`).
    pub fn seed(&self, fixture: &str) {
        let value: Value = serde_json::from_str(fixture).expect("a sentry fixture is JSON");
        let org = value["org"].as_str().expect("fixture names its org");
        let mut st = self.lock();
        for p in value["projects"].as_array().into_iter().flatten() {
            st.add_project(org, p.clone());
        }
        for issue in value["issues"].as_array().into_iter().flatten() {
            st.add_issue(org, issue.clone());
        }
    }

    /// Adds project `slug` with numeric id `id` to `org` (creating the org).
    pub fn add_project(&self, org: &str, id: &str, slug: &str) {
        self.lock().add_project(
            org,
            serde_json::json!({"id": id, "slug": slug, "name": slug, "platform": null}),
        );
    }

    /// Adds an issue (Sentry's issue shape; its `project.id` places it) to `org`.
    pub fn add_issue(&self, org: &str, issue: Value) {
        self.lock().add_issue(org, issue);
    }

    /// Adds `n` unresolved issues of `level` to project `slug` of `org`, with ids
    /// `first_id`, `first_id + 1`, …, first seen one minute apart from
    /// 2026-11-01T00:00:00Z on (so the newest is the last one added).
    pub fn add_generated_issues(
        &self,
        org: &str,
        slug: &str,
        n: usize,
        first_id: u64,
        level: &str,
    ) {
        self.lock()
            .add_generated_issues(org, slug, n, first_id, level);
    }

    /// Changes an issue's status (`resolved`, `ignored`, `unresolved`).
    pub fn set_status(&self, org: &str, issue_id: &str, status: &str) {
        self.lock().set_status(org, issue_id, status);
    }

    /// Issues per page when the request does not ask for fewer (default 100,
    /// Sentry's maximum).
    pub fn set_page_size(&self, n: usize) {
        self.lock().page_size = n.max(1);
    }

    /// Injects a failure for every organisation (faults are consumed in order).
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push((None, fault));
    }

    /// Injects a failure for the requests about `org` only.
    pub fn inject_for(&self, org: &str, fault: Fault) {
        self.lock().faults.push((Some(org.to_string()), fault));
    }

    /// Drops every injected failure not used yet.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Every request as `METHOD /path?query`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// Every `Authorization` header value received.
    pub fn authorizations(&self) -> Vec<String> {
        self.lock().authorizations.clone()
    }
}
