//! A stateful fake Linear GraphQL API on 127.0.0.1, for the Linear source's
//! tests.
//!
//! It holds issues by team (seeded from `fixtures/linear/*.json`, written from
//! Linear's schema: `identifier`, `title`, `url`, `priority`, `estimate`,
//! `state{name,type}`, `assignee`, `labels{nodes}`, plus `cycle{isActive}`)
//! and relations between them, and runs the operations it is sent (parsed
//! with apollo-compiler; see `execute.rs`): `issues(filter, first, after)`
//! with the `team.key`, `state.type` and `cycle.isActive` filters and real
//! cursor paging, `issue(id)`, and every connection paged as asked. It accepts
//! one API key, sent as `Authorization: <key>` (a `Bearer` header is refused
//! as Linear does), injects [`Fault`]s, and logs every request.

mod execute;
mod routes;
mod state;

pub use state::{Fault, LinearRequest};

use crate::serve::Served;
use serde_json::{Value, json};
use state::State;
use std::sync::{Arc, Mutex};

/// The fixtures shipped with the fake: team `ENG` (issues in every state
/// type, `blocks` relations to open, done and backlog issues, other relation
/// types) and team `OPS` (one issue blocked by `ENG-1`).
pub const FIXTURES: [&str; 2] = [
    include_str!("../../fixtures/linear/team-eng.json"),
    include_str!("../../fixtures/linear/team-ops.json"),
];

/// A running fake; the server stops when this is dropped.
pub struct FakeLinear {
    served: Served,
    state: Arc<Mutex<State>>,
}

impl FakeLinear {
    /// Starts an empty fake on a free port of 127.0.0.1 that accepts `key`.
    pub async fn start(key: &str) -> Self {
        let state = Arc::new(Mutex::new(State {
            key: key.to_string(),
            ..State::default()
        }));
        let served = Served::start(routes::router(state.clone())).await;
        FakeLinear { served, state }
    }

    /// Starts a fake seeded with [`FIXTURES`].
    pub async fn with_fixtures(key: &str) -> Self {
        let fake = Self::start(key).await;
        for fixture in FIXTURES {
            fake.seed(fixture);
        }
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The GraphQL endpoint (`http://127.0.0.1:PORT/graphql`).
    pub fn url(&self) -> String {
        format!("http://{}/graphql", self.served.addr())
    }

    /// Adds a fixture's team, issues and relations. Panics on a fixture
    /// without the fields the fake needs (test data, not input).
    pub fn seed(&self, fixture: &str) {
        let value: Value = serde_json::from_str(fixture).expect("a fixture is JSON");
        if let Err(e) = self.lock().seed(&value) {
            panic!("{e}");
        }
    }

    /// Adds an issue of `team` in a state of type `state_type` (Linear
    /// priority `priority`, no cycle, no labels).
    pub fn add_issue(
        &self,
        team: &str,
        identifier: &str,
        title: &str,
        state_type: &str,
        priority: u8,
    ) {
        let fixture = json!({
            "team": {"key": team},
            "issues": [{
                "id": format!("fake-{identifier}"),
                "identifier": identifier,
                "title": title,
                "url": format!("https://linear.app/acme/issue/{identifier}"),
                "priority": priority,
                "estimate": null,
                "state": {"name": state_type, "type": state_type},
                "assignee": null,
                "labels": {"nodes": []},
                "cycle": null
            }]
        });
        self.seed(&fixture.to_string());
    }

    /// Adds a relation: `issue` `kind` `related` (`blocks`: `issue` blocks `related`).
    pub fn add_relation(&self, kind: &str, issue: &str, related: &str) {
        self.lock().relations.push(state::StoredRelation {
            kind: kind.into(),
            issue: issue.into(),
            related: related.into(),
        });
    }

    /// Serves `fault` for the next `times` requests (faults are served in the
    /// order injected).
    pub fn inject(&self, fault: Fault, times: u32) {
        if times > 0 {
            self.lock().faults.push((fault, times));
        }
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<LinearRequest> {
        self.lock().log.clone()
    }

    /// How many requests were received.
    pub fn request_count(&self) -> usize {
        self.lock().log.len()
    }
}
