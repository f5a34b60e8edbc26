//! A fake OpenAI API on 127.0.0.1: the Responses API (`POST /v1/responses`,
//! what Codex speaks) and Chat Completions (`POST /v1/chat/completions`, what
//! Aider speaks through litellm), each streamed (SSE) or not, as the request asks.
//!
//! Agent turns: a Responses request offering tools; a chat request, unless it is
//! a commit-message request (Aider asks its weak model for one after each edit).
//! A tool the request declares as `custom` (Codex's freeform `apply_patch`) is
//! called with the input as its raw text; any other as a function call with JSON
//! arguments. `GET /v1/models` lists one model. Scripts and failures: [`model`](crate::model).

use crate::model::{Answer, Shared, Turn, sse};
pub use crate::model::{Failure, FakeModel, Recorded, Reply};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use std::sync::Arc;

/// The running server; stops when dropped. Its accessors are [`FakeModel`]'s.
pub struct FakeOpenAi(FakeModel);

impl std::ops::Deref for FakeOpenAi {
    type Target = FakeModel;
    fn deref(&self) -> &FakeModel {
        &self.0
    }
}

impl FakeOpenAi {
    /// Starts a server answering agent turns with `script`, in order.
    pub async fn start(script: Vec<Reply>) -> Self {
        FakeOpenAi(
            FakeModel::serve(script, |shared| {
                Router::new().fallback(any(handle)).with_state(shared)
            })
            .await,
        )
    }

    /// The API's base URL, `<url>/v1` (`OPENAI_BASE_URL`, `--openai-api-base`).
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url())
    }
}

/// An OpenAI error body (`rate_limit_exceeded`, `insufficient_quota`, ...).
pub fn error_body(code: &str, message: &str) -> String {
    json!({ "error": { "message": message, "type": code, "param": null, "code": code } })
        .to_string()
}

/// Codex: run `command` with its `exec_command` tool.
pub fn exec_command(command: &str) -> Reply {
    Reply::tool("exec_command", json!({ "cmd": command }))
}

fn has_tools(body: &Value) -> bool {
    body.get("tools")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty())
}

/// Whether a chat request asks for a commit message (Aider's weak model).
fn asks_commit_message(body: &Value) -> bool {
    body.get("messages")
        .and_then(Value::as_array)
        .is_some_and(|ms| {
            ms.iter().any(|m| {
                m.get("role").and_then(Value::as_str) == Some("system")
                    && m.get("content")
                        .map(Value::to_string)
                        .is_some_and(|c| c.contains("commit message"))
            })
        })
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let responses = path.ends_with("/responses");
    let chat = path.ends_with("/chat/completions");
    let turn = (responses && has_tools(&body)) || (chat && !asks_commit_message(&body));
    let answer = shared
        .take(
            &path,
            uri.query().unwrap_or(""),
            &body,
            responses || chat,
            turn,
        )
        .await;
    let (n, reply) = match answer {
        None if path.ends_with("/models") => {
            return axum::Json(json!({ "object": "list", "data": [
                { "id": "gpt-test", "object": "model", "created": 0, "owned_by": "ops-testkit" }
            ] }))
            .into_response();
        }
        None => return axum::Json(json!({})).into_response(),
        Some(Answer::Fail(f)) => return f.response(),
        Some(Answer::Reply(n, reply)) => (n, reply),
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("gpt-test")
        .to_string();
    let stream = body.get("stream").and_then(Value::as_bool) == Some(true);
    if responses {
        response(n, &model, &reply, &body, stream)
    } else {
        chat_completion(n, &model, &reply, stream)
    }
}

/// Whether `body` declares tool `name` as a freeform (`custom`) tool.
fn is_custom_tool(body: &Value, name: &str) -> bool {
    body.get("tools")
        .and_then(Value::as_array)
        .is_some_and(|tools| {
            tools.iter().any(|t| {
                t.get("name").and_then(Value::as_str) == Some(name)
                    && t.get("type").and_then(Value::as_str) == Some("custom")
            })
        })
}

fn usage_responses() -> Value {
    json!({ "input_tokens": 10, "input_tokens_details": { "cached_tokens": 0 },
            "output_tokens": 5, "output_tokens_details": { "reasoning_tokens": 0 },
            "total_tokens": 15 })
}

/// A Responses API answer: one output item, streamed as the API streams it.
fn response(n: u64, model: &str, reply: &Turn, request: &Value, stream: bool) -> Response {
    let item = match reply {
        Turn::Tool { name, input } if is_custom_tool(request, name) => json!({
            "type": "custom_tool_call", "id": format!("ctc_{n:04}"), "status": "completed",
            "call_id": format!("call_{n:04}"), "name": name,
            "input": input.as_str().map(String::from).unwrap_or_else(|| input.to_string()),
        }),
        Turn::Tool { name, input } => json!({
            "type": "function_call", "id": format!("fc_{n:04}"), "status": "completed",
            "call_id": format!("call_{n:04}"), "name": name, "arguments": input.to_string(),
        }),
        Turn::Text(t) => json!({
            "type": "message", "id": format!("msg_{n:04}"), "status": "completed",
            "role": "assistant",
            "content": [{ "type": "output_text", "text": t, "annotations": [] }],
        }),
    };
    let id = format!("resp_{n:04}");
    let whole = |status: &str, output: Value| {
        json!({ "id": id, "object": "response", "created_at": 0, "status": status,
                "model": model, "output": output, "usage": usage_responses() })
    };
    if !stream {
        return axum::Json(whole("completed", json!([item]))).into_response();
    }
    let mut events = vec![
        json!({ "type": "response.created", "sequence_number": 0,
                "response": whole("in_progress", json!([])) }),
        json!({ "type": "response.output_item.added", "output_index": 0, "item": item }),
    ];
    if let Turn::Text(t) = reply {
        events.push(
            json!({ "type": "response.output_text.delta", "item_id": format!("msg_{n:04}"),
                            "output_index": 0, "content_index": 0, "delta": t }),
        );
    }
    events.push(json!({ "type": "response.output_item.done", "output_index": 0, "item": item }));
    events.push(
        json!({ "type": "response.completed", "response": whole("completed", json!([item])) }),
    );
    sse(events.into_iter().map(|e| {
        let name = e.get("type").and_then(Value::as_str).map(String::from);
        (name, e.to_string())
    }))
}

/// A Chat Completions answer, streamed as chunks ending with `[DONE]` when asked.
fn chat_completion(n: u64, model: &str, reply: &Turn, stream: bool) -> Response {
    let id = format!("chatcmpl-{n:04}");
    let usage = json!({ "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15 });
    let (message, finish) = match reply {
        Turn::Tool { name, input } => (
            json!({ "role": "assistant", "content": null, "tool_calls": [{
                "index": 0, "id": format!("call_{n:04}"), "type": "function",
                "function": { "name": name, "arguments": input.to_string() } }] }),
            "tool_calls",
        ),
        Turn::Text(t) => (json!({ "role": "assistant", "content": t }), "stop"),
    };
    if !stream {
        return axum::Json(json!({
            "id": id, "object": "chat.completion", "created": 0, "model": model,
            "choices": [{ "index": 0, "message": message, "finish_reason": finish }],
            "usage": usage,
        }))
        .into_response();
    }
    let chunk = |delta: Value, finish: Value, usage: Value| {
        json!({ "id": id, "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
                "usage": usage })
        .to_string()
    };
    sse([
        (None, chunk(message, Value::Null, Value::Null)),
        (None, chunk(json!({}), json!(finish), usage)),
        (None, "[DONE]".to_string()),
    ])
}
