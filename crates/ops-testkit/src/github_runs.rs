//! A stateful fake of GitHub's workflow-run list,
//! `GET /repos/{owner}/{repo}/actions/runs`, for the GitHub source's CI rule.
//!
//! Runs are seeded with [`RunsFake::push_run`] (ids, run numbers, workflow ids
//! and creation times are assigned as GitHub would: increasing, newest listed
//! first) and changed with [`RunsFake::set_conclusion`]. The list honours
//! `branch`, `event`, `per_page` (default 30, at most 100) and `page`, and answers
//! with a weak `ETag` computed from the body: a request whose `If-None-Match`
//! matches gets `304 Not Modified` (counted by [`RunsFake::not_modified`]).
//! Failures are injected with [`RunsFault`]; every request is logged
//! ([`RunsFake::log`]). Use [`RunsFake::router`] to serve it from another fake,
//! or [`RunsFake::start`] for a server of its own.

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A failure the fake answers one request with, instead of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunsFault {
    /// This status (a 5xx, a 401, ...) with GitHub's `{"message": ...}` body.
    Status(u16),
    /// `429` with `retry-after: <secs>` and a secondary-rate-limit body.
    RateLimited {
        /// The `retry-after` value, in seconds.
        retry_after_secs: u64,
    },
    /// `200` with a body that is JSON but not the documented shape.
    Malformed,
}

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsRequest {
    /// `/repos/owner/name/actions/runs?query`.
    pub path_and_query: String,
    /// The `If-None-Match` header, if sent.
    pub if_none_match: Option<String>,
    /// The `X-GitHub-Api-Version` header, if sent.
    pub api_version: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The `ETag` answered, if any.
    pub etag: Option<String>,
}

#[derive(Debug, Clone)]
struct FakeRun {
    id: u64,
    slug: String,
    branch: String,
    head_sha: String,
    workflow: String,
    workflow_id: u64,
    run_number: u64,
    event: String,
    status: String,
    conclusion: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    repos: BTreeSet<String>,
    runs: Vec<FakeRun>,
    /// (slug, workflow name) → (workflow id, runs so far).
    workflows: BTreeMap<(String, String), (u64, u64)>,
    faults: VecDeque<RunsFault>,
    log: Vec<RunsRequest>,
    not_modified: usize,
}

/// The fake; clones share one state. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct RunsFake {
    state: Arc<Mutex<State>>,
}

/// A server started by [`RunsFake::start`]; it stops when this is dropped.
pub type RunsServer = crate::serve::Served;

/// The first run's creation time, 2026-01-01T00:00:00Z; each next run is a minute later.
const EPOCH: u64 = 1_767_225_600;

impl RunsFake {
    /// An empty fake: no repositories, no runs.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `slug` (`owner/name`) a repository, with no runs yet (unknown
    /// repositories answer 404).
    pub fn add_repo(&self, slug: &str) {
        self.lock().repos.insert(slug.into());
    }

    /// Adds a run (newest of all so far) and returns its id. `status` is
    /// `queued`, `in_progress`, `completed`, ...; `conclusion` is set once
    /// completed. Any text is accepted, as GitHub may add values.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per field a test sets"
    )]
    pub fn push_run(
        &self,
        slug: &str,
        branch: &str,
        head_sha: &str,
        workflow_name: &str,
        event: &str,
        status: &str,
        conclusion: Option<&str>,
    ) -> u64 {
        let mut st = self.lock();
        st.repos.insert(slug.into());
        let next_workflow = st.workflows.len() as u64 + 1001;
        let workflow = st
            .workflows
            .entry((slug.into(), workflow_name.into()))
            .or_insert((next_workflow, 0));
        workflow.1 += 1;
        let (workflow_id, run_number) = *workflow;
        let id = st.runs.len() as u64 + 30_433_642;
        st.runs.push(FakeRun {
            id,
            slug: slug.into(),
            branch: branch.into(),
            head_sha: head_sha.into(),
            workflow: workflow_name.into(),
            workflow_id,
            run_number,
            event: event.into(),
            status: status.into(),
            conclusion: conclusion.map(str::to_string),
        });
        id
    }

    /// Changes a run's status and conclusion (a run finishing, or re-run).
    pub fn set_conclusion(&self, run_id: u64, status: &str, conclusion: Option<&str>) {
        let mut st = self.lock();
        let run = st
            .runs
            .iter_mut()
            .find(|r| r.id == run_id)
            .unwrap_or_else(|| panic!("no run {run_id} in the fake"));
        run.status = status.into();
        run.conclusion = conclusion.map(str::to_string);
    }

    /// Answers the next request with `fault` (faults are used in order).
    pub fn inject(&self, fault: RunsFault) {
        self.lock().faults.push_back(fault);
    }

    /// How many requests the fake received, whatever it answered.
    pub fn requests(&self) -> usize {
        self.lock().log.len()
    }

    /// How many requests were answered `304 Not Modified`.
    pub fn not_modified(&self) -> usize {
        self.lock().not_modified
    }

    /// Every request, in order.
    pub fn log(&self) -> Vec<RunsRequest> {
        self.lock().log.clone()
    }

    /// The routes (`GET /repos/{owner}/{repo}/actions/runs`), to serve alone
    /// or merged into another fake's router.
    pub fn router(&self) -> axum::Router {
        let fake = self.clone();
        axum::Router::new().route(
            "/repos/{owner}/{repo}/actions/runs",
            get(
                move |Path((owner, repo)): Path<(String, String)>,
                      Query(query): Query<BTreeMap<String, String>>,
                      headers: HeaderMap| {
                    let fake = fake.clone();
                    async move { fake.list(&format!("{owner}/{repo}"), &query, &headers) }
                },
            ),
        )
    }

    /// Serves [`RunsFake::router`] on a free port of 127.0.0.1; returns the
    /// API root (`http://127.0.0.1:PORT`) and the server, which stops when dropped.
    pub async fn start(&self) -> (String, RunsServer) {
        let served = RunsServer::start(self.router()).await;
        (format!("http://{}", served.addr()), served)
    }

    fn list(&self, slug: &str, query: &BTreeMap<String, String>, headers: &HeaderMap) -> Response {
        let mut st = self.lock();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let mut request = RunsRequest {
            path_and_query: path_and_query(slug, query),
            if_none_match: header("if-none-match"),
            api_version: header("x-github-api-version"),
            status: 200,
            etag: None,
        };
        let response = match st.faults.pop_front() {
            Some(fault) => fault_response(&fault),
            None if !st.repos.contains(slug) => json_response(
                StatusCode::NOT_FOUND,
                &json!({
                    "message": "Not Found",
                    "documentation_url": "https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-repository",
                    "status": "404"
                }),
                None,
            ),
            None => {
                let body = st.page(slug, query);
                let etag = etag(&body);
                if request.if_none_match.as_deref() == Some(etag.as_str()) {
                    st.not_modified += 1;
                    let mut r = StatusCode::NOT_MODIFIED.into_response();
                    insert(&mut r, "etag", &etag);
                    r
                } else {
                    json_response(StatusCode::OK, &body, Some(&etag))
                }
            }
        };
        request.status = response.status().as_u16();
        request.etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        st.log.push(request);
        response
    }
}

impl State {
    fn page(&self, slug: &str, query: &BTreeMap<String, String>) -> Value {
        let per_page = query
            .get("per_page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(30)
            .clamp(1, 100);
        let page = query
            .get("page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let exclude_prs = query.get("exclude_pull_requests").map(String::as_str) == Some("true");
        let matching: Vec<&FakeRun> = self
            .runs
            .iter()
            .rev()
            .filter(|r| r.slug == slug)
            .filter(|r| query.get("branch").is_none_or(|b| &r.branch == b))
            .filter(|r| query.get("event").is_none_or(|e| &r.event == e))
            .collect();
        let runs: Vec<Value> = matching
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|r| r.render(exclude_prs))
            .collect();
        json!({"total_count": matching.len(), "workflow_runs": runs})
    }
}

impl FakeRun {
    /// The run as the API documents it (a realistic subset of its fields).
    fn render(&self, exclude_prs: bool) -> Value {
        let created = iso_time(EPOCH + (self.id - 30_433_642) * 60);
        let api = format!("https://api.github.com/repos/{}", self.slug);
        let file = self.workflow.to_lowercase().replace(' ', "-");
        let pull_requests = if exclude_prs || !self.event.starts_with("pull_request") {
            json!([])
        } else {
            json!([{"number": 1, "head": {"ref": self.branch, "sha": self.head_sha}}])
        };
        json!({
            "id": self.id,
            "name": self.workflow,
            "node_id": format!("WFR_{}", self.id),
            "head_branch": self.branch,
            "head_sha": self.head_sha,
            "path": format!(".github/workflows/{file}.yml"),
            "display_title": format!("{} on {}", self.workflow, self.branch),
            "run_number": self.run_number,
            "run_attempt": 1,
            "event": self.event,
            "status": self.status,
            "conclusion": self.conclusion,
            "workflow_id": self.workflow_id,
            "check_suite_id": self.id + 1,
            "url": format!("{api}/actions/runs/{}", self.id),
            "html_url": format!("https://github.com/{}/actions/runs/{}", self.slug, self.id),
            "pull_requests": pull_requests,
            "created_at": created,
            "updated_at": created,
            "run_started_at": created,
            "jobs_url": format!("{api}/actions/runs/{}/jobs", self.id),
            "logs_url": format!("{api}/actions/runs/{}/logs", self.id),
            "workflow_url": format!("{api}/actions/workflows/{}", self.workflow_id),
            "check_suite_url": format!("{api}/check-suites/{}", self.id + 1),
            "artifacts_url": format!("{api}/actions/runs/{}/artifacts", self.id),
            "cancel_url": format!("{api}/actions/runs/{}/cancel", self.id),
            "rerun_url": format!("{api}/actions/runs/{}/rerun", self.id),
            "head_commit": {"id": self.head_sha, "message": "a change", "timestamp": created},
            "repository": {"full_name": self.slug, "url": api},
            "head_repository": {"full_name": self.slug, "url": api},
        })
    }
}

fn path_and_query(slug: &str, query: &BTreeMap<String, String>) -> String {
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("/repos/{slug}/actions/runs?{}", q.join("&"))
}

fn fault_response(fault: &RunsFault) -> Response {
    match fault {
        RunsFault::Status(code) => json_response(
            StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &json!({"message": "Server Error"}),
            None,
        ),
        RunsFault::RateLimited { retry_after_secs } => {
            let mut r = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                }),
                None,
            );
            insert(&mut r, "retry-after", &retry_after_secs.to_string());
            r
        }
        RunsFault::Malformed => json_response(
            StatusCode::OK,
            &json!({"total_count": 1, "workflow_runs": [{"id": "not a number"}]}),
            None,
        ),
    }
}

fn json_response(status: StatusCode, body: &Value, etag: Option<&str>) -> Response {
    let mut r = (status, body.to_string()).into_response();
    insert(&mut r, "content-type", "application/json; charset=utf-8");
    if let Some(etag) = etag {
        insert(&mut r, "etag", etag);
    }
    r
}

fn insert(r: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = value.parse() {
        r.headers_mut().insert(name, v);
    }
}

/// A weak ETag over the body, as GitHub sends for lists.
fn etag(body: &Value) -> String {
    let mut h = DefaultHasher::new();
    body.to_string().hash(&mut h);
    format!("W/\"{:016x}\"", h.finish())
}

/// `secs` since the Unix epoch as RFC 3339 UTC (`2026-01-01T00:00:00Z`).
fn iso_time(secs: u64) -> String {
    ops_core::model::Timestamp(secs * 1000).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_runs_carry_every_field_the_rest_description_requires() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/schemas/github-rest-subset.json");
        let Ok(text) = std::fs::read_to_string(path) else {
            return; // ../shared is not there (a checkout outside the workspace's parent)
        };
        let doc: Value = serde_json::from_str(&text).expect("the schema is JSON");
        let required = doc["components"]["schemas"]["workflow-run"]["required"]
            .as_array()
            .expect("workflow-run lists its required fields");
        assert!(required.len() > 10);
        let fake = RunsFake::new();
        fake.push_run(
            "o/r",
            "dev",
            "abc",
            "CI",
            "push",
            "completed",
            Some("success"),
        );
        let page = fake.lock().page("o/r", &BTreeMap::new());
        let run = &page["workflow_runs"][0];
        for field in required {
            let field = field.as_str().expect("a field name");
            assert!(run.get(field).is_some(), "the fake's run lacks {field}");
        }
        assert_eq!(page["total_count"], 1);
    }

    #[test]
    fn iso_time_formats_unix_seconds_as_rfc3339() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::EPOCH, 1_767_225_600);
        assert_eq!(iso_time(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(iso_time(951_782_400 + 3661), "2000-02-29T01:01:01Z");
    }
}
