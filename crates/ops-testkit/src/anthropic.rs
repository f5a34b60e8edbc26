//! A fake Anthropic Messages API on 127.0.0.1 for driving Claude Code offline.
//!
//! `POST /v1/messages` with `stream: true` answers with the SSE events of the real
//! API (`message_start`, `content_block_start/delta/stop`, `message_delta`,
//! `message_stop`). Requests that carry tools are the agent's own turns: each takes
//! the next scripted [`Reply`] (see [`model`](crate::model)). Anything else (title
//! generation, count_tokens, other endpoints) gets a harmless answer.

use crate::model::{Answer, Shared, Turn, sse};
pub use crate::model::{Failure, FakeModel, Recorded, Reply};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use std::sync::Arc;

/// The running server; stops when dropped. Its accessors are [`FakeModel`]'s.
pub struct FakeAnthropic(FakeModel);

impl std::ops::Deref for FakeAnthropic {
    type Target = FakeModel;
    fn deref(&self) -> &FakeModel {
        &self.0
    }
}

impl FakeAnthropic {
    /// Starts a server answering agent turns with `script`, in order. Its
    /// [`url`](FakeModel::url) is `ANTHROPIC_BASE_URL`.
    pub async fn start(script: Vec<Reply>) -> Self {
        FakeAnthropic(
            FakeModel::serve(script, |shared| {
                Router::new().fallback(any(handle)).with_state(shared)
            })
            .await,
        )
    }
}

/// An Anthropic error body (`overloaded_error`, `rate_limit_error`, ...).
pub fn error_body(kind: &str, message: &str) -> String {
    json!({ "type": "error", "error": { "type": kind, "message": message } }).to_string()
}

fn offers_tools(body: &Value) -> bool {
    body.get("tools")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty())
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let counting = path.contains("count_tokens");
    let model = path.starts_with("/v1/messages") && !counting;
    let turn = model && offers_tools(&body);
    let answer = shared
        .take(&path, uri.query().unwrap_or(""), &body, model, turn)
        .await;
    if counting {
        return axum::Json(json!({ "input_tokens": 100 })).into_response();
    }
    let (n, reply) = match answer {
        None => return axum::Json(json!({})).into_response(),
        Some(Answer::Fail(f)) => return f.response(),
        Some(Answer::Reply(n, reply)) => (n, reply),
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("claude-sonnet-4-5")
        .to_string();
    let (block, stop_reason) = match &reply {
        Turn::Tool { name, input } => (
            json!({ "type": "tool_use", "id": format!("toolu_{n:04}"), "name": name, "input": input }),
            "tool_use",
        ),
        Turn::Text(t) => (json!({ "type": "text", "text": t }), "end_turn"),
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
    let (start, delta) = match &reply {
        Turn::Tool { name, input } => (
            json!({ "type": "tool_use", "id": format!("toolu_{n:04}"), "name": name, "input": {} }),
            json!({ "type": "input_json_delta", "partial_json": input.to_string() }),
        ),
        Turn::Text(t) => (
            json!({ "type": "text", "text": "" }),
            json!({ "type": "text_delta", "text": t }),
        ),
    };
    let events = [
        (
            "message_start",
            json!({ "type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": { "input_tokens": 10, "output_tokens": 1 } } }),
        ),
        (
            "content_block_start",
            json!({ "type": "content_block_start", "index": 0, "content_block": start }),
        ),
        (
            "content_block_delta",
            json!({ "type": "content_block_delta", "index": 0, "delta": delta }),
        ),
        (
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": 0 }),
        ),
        (
            "message_delta",
            json!({ "type": "message_delta", "delta": { "stop_reason": stop_reason, "stop_sequence": null },
                    "usage": { "output_tokens": 5 } }),
        ),
        ("message_stop", json!({ "type": "message_stop" })),
    ];
    sse(events
        .into_iter()
        .map(|(name, data)| (Some(name.to_string()), data.to_string())))
}
