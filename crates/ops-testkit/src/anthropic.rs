//! A fake Anthropic Messages API on 127.0.0.1 for driving real agent CLIs offline.
//!
//! `POST /v1/messages` with `stream: true` answers with the SSE events of the real
//! API (`message_start`, `content_block_start/delta/stop`, `message_delta`,
//! `message_stop`). Requests that carry tools are the agent's own turns: each takes
//! the next scripted [`Reply`] (tool calls, or a final `end_turn` text once the script
//! is used up). Anything else (title generation, count_tokens, other endpoints) gets
//! a harmless answer. Every request is recorded so a test can prove what arrived.

use crate::serve::Served;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted answer to an agent turn.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Call a tool (`name`, e.g. `Write` or `Bash`, with its `input`).
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
    /// Fail the request: answer with this HTTP status, headers and JSON body
    /// (a 429, a 529 overloaded, a usage limit; see [`Reply::rate_limited`]).
    Http {
        /// The status code.
        status: u16,
        /// Response headers.
        headers: Vec<(String, String)>,
        /// The JSON body.
        body: Value,
    },
}

impl Reply {
    /// `Write` `content` to `file_path`.
    pub fn write(file_path: &str, content: &str) -> Self {
        Reply::Tool {
            name: "Write".into(),
            input: json!({ "file_path": file_path, "content": content }),
        }
    }

    /// A 429 as the API sends it for a per-minute rate limit (no reset time).
    pub fn rate_limited() -> Self {
        Reply::Http {
            status: 429,
            headers: vec![("retry-after".into(), "1".into())],
            body: api_error("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
        }
    }

    /// A 529: the API is overloaded.
    pub fn overloaded() -> Self {
        Reply::Http {
            status: 529,
            headers: Vec::new(),
            body: api_error("overloaded_error", "Overloaded"),
        }
    }

    /// A 429 refusing the request for a usage limit that resets at `resets_at`
    /// (Unix seconds), with the unified rate-limit headers Claude Code reads into
    /// its `rate_limit_event`.
    pub fn usage_limit(resets_at: u64) -> Self {
        let h = |k: &str, v: String| (format!("anthropic-ratelimit-unified-{k}"), v);
        Reply::Http {
            status: 429,
            headers: vec![
                h("status", "rejected".into()),
                h("reset", resets_at.to_string()),
                h("representative-claim", "five_hour".into()),
                h("5h-status", "rejected".into()),
                h("5h-reset", resets_at.to_string()),
            ],
            body: api_error(
                "rate_limit_error",
                &format!(
                    "usage limit reached; your limit resets at {}",
                    ops_core::model::Timestamp(resets_at.saturating_mul(1000)).to_rfc3339()
                ),
            ),
        }
    }

    /// Run `command` with the `Bash` tool.
    pub fn bash(command: &str) -> Self {
        Reply::Tool {
            name: "Bash".into(),
            input: json!({ "command": command, "description": "scripted by the fake API" }),
        }
    }
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The path (`/v1/messages`, ...).
    pub path: String,
    /// The JSON body (Null when not JSON).
    pub body: Value,
}

impl Recorded {
    /// Whether this is an agent turn (a messages request offering tools).
    pub fn is_agent_turn(&self) -> bool {
        self.path.starts_with("/v1/messages")
            && !self.path.contains("count_tokens")
            && self
                .body
                .get("tools")
                .and_then(Value::as_array)
                .is_some_and(|t| !t.is_empty())
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
    counter: Mutex<u64>,
}

/// The running server; stops when dropped.
pub struct FakeAnthropic {
    served: Served,
    shared: Arc<Shared>,
}

impl FakeAnthropic {
    /// Starts a server answering agent turns with `script`, in order.
    pub async fn start(script: Vec<Reply>) -> Self {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            ..Shared::default()
        });
        let app = Router::new()
            .fallback(any(handle))
            .with_state(Arc::clone(&shared));
        FakeAnthropic {
            served: Served::start(app).await,
            shared,
        }
    }

    /// The base URL (`ANTHROPIC_BASE_URL`).
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Whether any request's body contains `text`.
    pub fn received(&self, text: &str) -> bool {
        self.requests()
            .iter()
            .any(|r| r.body.to_string().contains(text))
    }
}

/// The API's error body.
fn api_error(kind: &str, message: &str) -> Value {
    json!({ "type": "error", "error": { "type": kind, "message": message } })
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let rec = Recorded {
        path: path.clone(),
        body: body.clone(),
    };
    let agent_turn = rec.is_agent_turn();
    if let Ok(mut r) = shared.requests.lock() {
        r.push(rec);
    }
    if path.contains("count_tokens") {
        return axum::Json(json!({ "input_tokens": 100 })).into_response();
    }
    if !path.starts_with("/v1/messages") {
        return axum::Json(json!({})).into_response();
    }
    let n = {
        let mut c = shared.counter.lock().unwrap_or_else(|e| e.into_inner());
        *c += 1;
        *c
    };
    let mut reply = if agent_turn {
        shared
            .script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
            .unwrap_or_else(|| Reply::Text("Done.".into()))
    } else {
        Reply::Text("ok".into())
    };
    while let Reply::Delay(pause, next) = reply {
        tokio::time::sleep(pause).await;
        reply = *next;
    }
    if let Reply::Http {
        status,
        headers,
        body,
    } = &reply
    {
        let mut response = (
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(body.clone()),
        )
            .into_response();
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (
                axum::http::HeaderName::try_from(k.as_str()),
                axum::http::HeaderValue::try_from(v.as_str()),
            ) {
                response.headers_mut().insert(k, v);
            }
        }
        return response;
    }
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("claude-sonnet-4-5")
        .to_string();
    let (block, stop_reason) = match &reply {
        Reply::Tool { name, input } => (
            json!({ "type": "tool_use", "id": format!("toolu_{n:04}"), "name": name, "input": input }),
            "tool_use",
        ),
        Reply::Text(t) => (json!({ "type": "text", "text": t }), "end_turn"),
        Reply::Delay(..) | Reply::Http { .. } => {
            unreachable!("delays and failures are answered above")
        }
    };
    let id = format!("msg_{n:04}");
    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        return axum::Json(json!({
            "id": id, "type": "message", "role": "assistant", "model": model,
            "content": [block], "stop_reason": stop_reason, "stop_sequence": null,
            "usage": { "input_tokens": 10, "output_tokens": 5 }
        }))
        .into_response();
    }
    let mut sse = String::new();
    let mut event = |name: &str, data: Value| {
        sse.push_str(&format!("event: {name}\ndata: {data}\n\n"));
    };
    event(
        "message_start",
        json!({ "type": "message_start", "message": {
            "id": id, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": { "input_tokens": 10, "output_tokens": 1 } } }),
    );
    match &reply {
        Reply::Tool { name, input } => {
            event(
                "content_block_start",
                json!({ "type": "content_block_start", "index": 0, "content_block": {
                    "type": "tool_use", "id": format!("toolu_{n:04}"), "name": name, "input": {} } }),
            );
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 0, "delta": {
                    "type": "input_json_delta", "partial_json": input.to_string() } }),
            );
        }
        Reply::Text(t) => {
            event(
                "content_block_start",
                json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } }),
            );
            event(
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": t } }),
            );
        }
        Reply::Delay(..) | Reply::Http { .. } => {}
    }
    event(
        "content_block_stop",
        json!({ "type": "content_block_stop", "index": 0 }),
    );
    event(
        "message_delta",
        json!({ "type": "message_delta", "delta": { "stop_reason": stop_reason, "stop_sequence": null },
                "usage": { "output_tokens": 5 } }),
    );
    event("message_stop", json!({ "type": "message_stop" }));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        sse,
    )
        .into_response()
}
