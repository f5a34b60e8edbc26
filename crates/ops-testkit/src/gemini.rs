//! A fake Gemini API on 127.0.0.1 for driving the Gemini CLI offline:
//! `POST /v1beta/models/<model>:generateContent` (one JSON answer) and
//! `:streamGenerateContent?alt=sse` (the same answer as SSE `data:` chunks),
//! `:countTokens`. Point the CLI at it with `GOOGLE_GEMINI_BASE_URL`.
//!
//! Agent turns are requests offering function declarations; side requests the
//! CLI makes for itself (next-speaker checks, model routing, which ask for JSON)
//! get `{}`, anything else "ok". Scripts and failures: [`model`](crate::model).

use crate::model::{Answer, Shared, Turn, sse};
pub use crate::model::{Failure, FakeModel, Recorded, Reply};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use std::sync::Arc;

/// The running server; stops when dropped. Its accessors are [`FakeModel`]'s.
pub struct FakeGemini(FakeModel);

impl std::ops::Deref for FakeGemini {
    type Target = FakeModel;
    fn deref(&self) -> &FakeModel {
        &self.0
    }
}

impl FakeGemini {
    /// Starts a server answering agent turns with `script`, in order. Its
    /// [`url`](FakeModel::url) is `GOOGLE_GEMINI_BASE_URL`.
    pub async fn start(script: Vec<Reply>) -> Self {
        FakeGemini(
            FakeModel::serve(script, |shared| {
                Router::new().fallback(any(handle)).with_state(shared)
            })
            .await,
        )
    }
}

/// A Google API error body (`RESOURCE_EXHAUSTED` for 429, ...).
pub fn error_body(code: u16, status: &str, message: &str) -> String {
    json!({ "error": { "code": code, "message": message, "status": status } }).to_string()
}

/// Gemini CLI: `write_file` `content` to `file_path`.
pub fn write_file(file_path: &str, content: &str) -> Reply {
    Reply::tool(
        "write_file",
        json!({ "file_path": file_path, "content": content }),
    )
}

/// Gemini CLI: run `command` with `run_shell_command`.
pub fn run_shell_command(command: &str) -> Reply {
    Reply::tool(
        "run_shell_command",
        json!({ "command": command, "description": "scripted by the fake API" }),
    )
}

fn declares_functions(body: &Value) -> bool {
    body.get("tools")
        .and_then(Value::as_array)
        .is_some_and(|tools| {
            tools.iter().any(|t| {
                t.get("functionDeclarations")
                    .and_then(Value::as_array)
                    .is_some_and(|f| !f.is_empty())
            })
        })
}

fn asks_json(body: &Value) -> bool {
    body.pointer("/generationConfig/responseMimeType")
        .and_then(Value::as_str)
        == Some("application/json")
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    body: axum::body::Bytes,
) -> Response {
    let path = uri.path().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if path.ends_with(":countTokens") {
        shared
            .take(&path, uri.query().unwrap_or(""), &body, false, false)
            .await;
        return axum::Json(json!({ "totalTokens": 100 })).into_response();
    }
    let stream = path.ends_with(":streamGenerateContent");
    let model = stream || path.ends_with(":generateContent");
    let turn = model && declares_functions(&body);
    let answer = shared
        .take(&path, uri.query().unwrap_or(""), &body, model, turn)
        .await;
    let (n, reply) = match answer {
        None => return axum::Json(json!({})).into_response(),
        Some(Answer::Fail(f)) => return f.response(),
        Some(Answer::Reply(n, reply)) => (n, reply),
    };
    let part = match reply {
        Turn::Tool { name, input } => {
            json!({ "functionCall": { "id": format!("call_{n:04}"), "name": name, "args": input } })
        }
        Turn::Text(_) if !turn && asks_json(&body) => json!({ "text": "{}" }),
        Turn::Text(t) => json!({ "text": t }),
    };
    let answer = json!({
        "candidates": [{
            "content": { "role": "model", "parts": [part] },
            "finishReason": "STOP", "index": 0,
        }],
        "usageMetadata": { "promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15 },
        "modelVersion": path.rsplit('/').next().and_then(|m| m.split(':').next()).unwrap_or("gemini"),
        "responseId": format!("resp_{n:04}"),
    });
    if stream {
        sse([(None, answer.to_string())])
    } else {
        axum::Json(answer).into_response()
    }
}
