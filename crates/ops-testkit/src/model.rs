//! What the scripted model servers share: the script of replies, failure
//! injection and the request log. Each API's wire format lives in its own
//! module ([`anthropic`](crate::anthropic), [`openai`](crate::openai),
//! [`gemini`](crate::gemini)); the test talks to all of them the same way.
//!
//! A server answers the agent's own turns (the requests that offer tools, or
//! every chat request for an API without tools) with the next scripted
//! [`Reply`], and a final "Done." once the script is used up. Side requests a
//! CLI makes for itself (titles, token counts, routing) get a harmless answer
//! and take nothing from the script. A [`Failure`] is either a script entry
//! (it takes the place of one turn) or injected for the n-th model request
//! with [`FakeModel::fail_request`] (counting every request to the API's
//! model endpoints, side requests included, from 1).

use crate::serve::Served;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One scripted answer to an agent turn.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Call a tool (`name`, e.g. Claude Code's `Write`, Gemini CLI's
    /// `write_file`, Codex's `shell`) with its `input`.
    Tool {
        /// The tool name.
        name: String,
        /// Its input object.
        input: Value,
    },
    /// Answer with text and end the turn.
    Text(String),
    /// Wait this long, then give the next reply (to hold a turn open).
    Delay(Duration, Box<Reply>),
    /// Answer with an HTTP error instead (a 429, a 529, ...).
    Fail(Failure),
}

impl Reply {
    /// Claude Code: `Write` `content` to `file_path`.
    pub fn write(file_path: &str, content: &str) -> Self {
        Reply::tool(
            "Write",
            json!({ "file_path": file_path, "content": content }),
        )
    }

    /// Claude Code: run `command` with the `Bash` tool.
    pub fn bash(command: &str) -> Self {
        Reply::tool(
            "Bash",
            json!({ "command": command, "description": "scripted by the fake API" }),
        )
    }

    /// A call of tool `name` with `input`.
    pub fn tool(name: &str, input: Value) -> Self {
        Reply::Tool {
            name: name.into(),
            input,
        }
    }
}

/// An HTTP error answer: status, headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The status code.
    pub status: u16,
    /// Extra response headers (`retry-after`, rate-limit headers, ...).
    pub headers: Vec<(String, String)>,
    /// The body, sent as `application/json`.
    pub body: String,
}

impl Failure {
    /// `status` with `body` (usually the API's JSON error object).
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Failure {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub(crate) fn response(&self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            self.body.clone(),
        )
            .into_response();
        for (name, value) in &self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                response.headers_mut().insert(n, v);
            }
        }
        response
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The path (`/v1/messages`, `/v1/responses`, ...).
    pub path: String,
    /// The query string (empty when none).
    pub query: String,
    /// The JSON body (Null when not JSON).
    pub body: Value,
    /// Whether the server took it for an agent turn (it got a scripted reply).
    pub agent_turn: bool,
}

impl Recorded {
    /// Whether this is an agent turn (it took the next scripted reply).
    pub fn is_agent_turn(&self) -> bool {
        self.agent_turn
    }
}

#[derive(Default)]
pub(crate) struct Shared {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
    failures: Mutex<BTreeMap<u64, Failure>>,
    model_requests: Mutex<u64>,
    replies: Mutex<u64>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A reply as it goes on the wire: a tool call or text.
pub(crate) enum Turn {
    Tool { name: String, input: Value },
    Text(String),
}

/// What the server answers one model request with.
pub(crate) enum Answer {
    /// The scripted (or default) reply, numbered from 1 for ids.
    Reply(u64, Turn),
    /// An HTTP error.
    Fail(Failure),
}

impl Shared {
    /// Records a request. `model` says whether it went to a model endpoint
    /// (it then counts for [`FakeModel::fail_request`]); `turn` whether it
    /// is an agent turn. Gives what to answer for a model request.
    pub(crate) async fn take(
        &self,
        path: &str,
        query: &str,
        body: &Value,
        model: bool,
        turn: bool,
    ) -> Option<Answer> {
        locked(&self.requests).push(Recorded {
            path: path.into(),
            query: query.into(),
            body: body.clone(),
            agent_turn: turn,
        });
        if !model {
            return None;
        }
        let n = {
            let mut c = locked(&self.model_requests);
            *c += 1;
            *c
        };
        if let Some(f) = locked(&self.failures).remove(&n) {
            return Some(Answer::Fail(f));
        }
        let mut reply = if turn {
            locked(&self.script)
                .pop_front()
                .unwrap_or_else(|| Reply::Text("Done.".into()))
        } else {
            Reply::Text("ok".into())
        };
        loop {
            match reply {
                Reply::Delay(pause, next) => {
                    tokio::time::sleep(pause).await;
                    reply = *next;
                }
                Reply::Fail(f) => return Some(Answer::Fail(f)),
                Reply::Tool { name, input } => {
                    return Some(self.numbered(Turn::Tool { name, input }));
                }
                Reply::Text(t) => return Some(self.numbered(Turn::Text(t))),
            }
        }
    }
}

impl Shared {
    fn numbered(&self, turn: Turn) -> Answer {
        let mut c = locked(&self.replies);
        *c += 1;
        Answer::Reply(*c, turn)
    }
}

/// A running scripted model server; stops when dropped.
pub struct FakeModel {
    served: Served,
    shared: Arc<Shared>,
}

impl FakeModel {
    /// Serves `app` (whose state is `shared`, holding `script`).
    pub(crate) async fn serve(
        script: Vec<Reply>,
        app: impl FnOnce(Arc<Shared>) -> axum::Router,
    ) -> Self {
        let shared = Arc::new(Shared::default());
        *locked(&shared.script) = script.into();
        FakeModel {
            served: Served::start(app(Arc::clone(&shared))).await,
            shared,
        }
    }

    /// The server's root URL (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        locked(&self.shared.requests).clone()
    }

    /// The agent turns so far.
    pub fn turns(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.agent_turn)
            .collect()
    }

    /// Whether any request's body contains `text`.
    pub fn received(&self, text: &str) -> bool {
        self.requests()
            .iter()
            .any(|r| r.body.to_string().contains(text))
    }

    /// Waits (up to `limit`) until the agent has asked the model at least once;
    /// panics naming the requests otherwise.
    pub async fn wait_for_a_turn(&self, limit: std::time::Duration) {
        self.wait_until(limit, "the agent asked the model", |m| {
            !m.turns().is_empty()
        })
        .await;
    }

    /// Waits (up to `limit`) until a request's body contains `text`; panics
    /// naming the requests otherwise.
    pub async fn wait_to_receive(&self, limit: std::time::Duration, text: &str) {
        self.wait_until(limit, &format!("the model received {text:?}"), |m| {
            m.received(text)
        })
        .await;
    }

    async fn wait_until(
        &self,
        limit: std::time::Duration,
        what: &str,
        done: impl Fn(&Self) -> bool,
    ) {
        let waited = tokio::time::timeout(limit, async {
            while !done(self) {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
        if waited.is_err() {
            panic!("{what} within {limit:?}; requests:\n{}", self.dump());
        }
    }

    /// Appends replies to the script.
    pub fn push(&self, replies: impl IntoIterator<Item = Reply>) {
        locked(&self.shared.script).extend(replies);
    }

    /// Answers the `n`-th model request (from 1, side requests included)
    /// with `failure` instead.
    pub fn fail_request(&self, n: u64, failure: Failure) {
        locked(&self.shared.failures).insert(n, failure);
    }

    /// The requests, one line each (path and the start of the body), for a
    /// failing test's message.
    pub fn dump(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "{}{} {}",
                    if r.agent_turn { "* " } else { "  " },
                    r.path,
                    r.body.to_string().chars().take(400).collect::<String>()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A `text/event-stream` response from `(event name, data)` pairs; a `None`
/// name sends the data line alone (OpenAI's and Gemini's streams).
pub(crate) fn sse(events: impl IntoIterator<Item = (Option<String>, String)>) -> Response {
    let mut body = String::new();
    for (name, data) in events {
        if let Some(name) = name {
            body.push_str(&format!("event: {name}\n"));
        }
        body.push_str(&format!("data: {data}\n\n"));
    }
    (
        StatusCode::OK,
        [
            (axum::http::header::CONTENT_TYPE, "text/event-stream"),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
