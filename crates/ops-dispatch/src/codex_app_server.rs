//! Codex steered: `codex app-server`, JSON-RPC 2.0 over stdio (one JSON object a
//! line; the protocol of Codex 0.171.0 as `codex app-server generate-json-schema`
//! prints it). ops sends `initialize`, the `initialized` notification and
//! `thread/start` (the worktree as `cwd`, sandbox `workspace-write`, approval
//! policy `never`: nobody answers prompts in a run); once the thread's id is back
//! it starts the first turn with the brief (`turn/start`). A message while a turn
//! runs is `turn/steer` with the running turn's id as `expectedTurnId`; between
//! turns (a team agent idle) it starts the next turn. A steer the server refuses
//! because the turn had just ended is sent again as a new turn. Each message
//! carries its uuid as `clientUserMessageId`.
//!
//! Notifications read: `turn/started` (the turn's id), `item/completed` (an
//! `agentMessage` item's text is the summary), `turn/completed` (the end of a
//! turn; status `failed` carries the API's error message), `error` (the API's
//! message, when Codex will not retry). Requests from the server (approvals,
//! user input) are answered with an error: ops has no one to ask.

use crate::session::{Encode, Protocol, Seen};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Ids of the requests ops sends before the first turn.
const INITIALIZE: u64 = 1;
const THREAD_START: u64 = 2;

/// What the reader learns and the writer needs: the thread, the running turn,
/// the next request id and the steers still unanswered.
#[derive(Debug, Default)]
struct Ids {
    thread: Option<String>,
    turn: Option<String>,
    next: u64,
    /// Steer requests by id: the message and its uuid, to start a turn with if
    /// the server refuses the steer.
    steers: BTreeMap<u64, (String, String)>,
}

impl Ids {
    fn next_id(&mut self) -> u64 {
        self.next = self.next.max(THREAD_START) + 1;
        self.next
    }

    /// A `turn/start` request with `text` on the thread.
    fn turn_start(&mut self, thread: &str, text: &str, uuid: &str) -> String {
        let id = self.next_id();
        line(&json!({
            "jsonrpc": "2.0", "id": id, "method": "turn/start",
            "params": { "threadId": thread, "input": input(text), "clientUserMessageId": uuid },
        }))
    }
}

fn input(text: &str) -> Value {
    json!([{ "type": "text", "text": text }])
}

fn line(v: &Value) -> String {
    format!("{v}\n")
}

/// The lines that open the session: `initialize`, `initialized`, `thread/start`.
pub(crate) fn opening(cwd: &str, model: Option<&str>) -> String {
    let mut thread = json!({
        "cwd": cwd, "sandbox": "workspace-write", "approvalPolicy": "never",
    });
    if let Some(m) = model {
        thread["model"] = json!(m);
    }
    [
        json!({
            "jsonrpc": "2.0", "id": INITIALIZE, "method": "initialize",
            "params": { "clientInfo": { "name": "ops", "version": env!("CARGO_PKG_VERSION") } },
        }),
        json!({ "jsonrpc": "2.0", "method": "initialized" }),
        json!({ "jsonrpc": "2.0", "id": THREAD_START, "method": "thread/start", "params": thread }),
    ]
    .iter()
    .map(line)
    .collect()
}

/// Reads the app-server's output, and answers it where the protocol needs ops to.
pub(crate) struct AppServer {
    ids: Arc<Mutex<Ids>>,
    /// The brief and its uuid, until the first turn starts with it.
    brief: Option<(String, String)>,
    out: Vec<String>,
    last_text: String,
    error: Option<String>,
    completed: bool,
}

impl AppServer {
    /// The reader, and the encoder of messages that shares its ids.
    pub(crate) fn new(brief: &str, brief_uuid: &str) -> (Self, Encode) {
        let ids = Arc::new(Mutex::new(Ids::default()));
        let shared = Arc::clone(&ids);
        let encode: Encode = Arc::new(move |text: &str, uuid: &str| {
            let mut ids = shared
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let thread = ids.thread.clone()?;
            Some(match ids.turn.clone() {
                Some(turn) => {
                    let id = ids.next_id();
                    ids.steers.insert(id, (text.to_string(), uuid.to_string()));
                    line(&json!({
                        "jsonrpc": "2.0", "id": id, "method": "turn/steer",
                        "params": {
                            "threadId": thread, "expectedTurnId": turn,
                            "input": input(text), "clientUserMessageId": uuid,
                        },
                    }))
                }
                None => ids.turn_start(&thread, text, uuid),
            })
        });
        let reader = AppServer {
            ids,
            brief: Some((brief.to_string(), brief_uuid.to_string())),
            out: Vec::new(),
            last_text: String::new(),
            error: None,
            completed: false,
        };
        (reader, encode)
    }

    fn ids(&self) -> std::sync::MutexGuard<'_, Ids> {
        self.ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A response to one of ops' requests.
    fn response(&mut self, id: u64, v: &Value) -> Seen {
        let error = v
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map(String::from);
        let steer = self.ids().steers.remove(&id);
        match (error, steer) {
            // The turn ended under the steer: the message starts the next turn.
            (Some(_), Some((text, uuid))) => {
                let mut ids = self.ids();
                if let Some(thread) = ids.thread.clone() {
                    let start = ids.turn_start(&thread, &text, &uuid);
                    drop(ids);
                    self.out.push(start);
                }
                Seen::Event
            }
            (None, Some(_)) => Seen::Event,
            (Some(message), None) => {
                // initialize, thread/start or turn/start refused: nothing will run.
                self.error = Some(message);
                Seen::TurnEnd
            }
            (None, None) if id == THREAD_START => {
                let thread = v.pointer("/result/thread/id").and_then(Value::as_str);
                let Some(thread) = thread.map(String::from) else {
                    self.error = Some("codex app-server started no thread".into());
                    return Seen::TurnEnd;
                };
                let brief = self.brief.take();
                let mut ids = self.ids();
                ids.thread = Some(thread.clone());
                let start = brief.map(|(text, uuid)| ids.turn_start(&thread, &text, &uuid));
                drop(ids);
                self.out.extend(start);
                Seen::Event
            }
            (None, None) => Seen::Event,
        }
    }

    fn notification(&mut self, method: &str, params: &Value) -> Seen {
        match method {
            "turn/started" => {
                let turn = params.pointer("/turn/id").and_then(Value::as_str);
                self.ids().turn = turn.map(String::from);
                self.error = None;
                self.completed = false;
                Seen::Event
            }
            "item/completed" => {
                if params.pointer("/item/type").and_then(Value::as_str) == Some("agentMessage")
                    && let Some(text) = params.pointer("/item/text").and_then(Value::as_str)
                {
                    self.last_text = text.to_string();
                }
                Seen::Event
            }
            "error" => {
                if params.get("willRetry").and_then(Value::as_bool) != Some(true)
                    && let Some(m) = params.pointer("/error/message").and_then(Value::as_str)
                {
                    self.error = Some(m.to_string());
                }
                Seen::Event
            }
            "turn/completed" => {
                self.ids().turn = None;
                match params.pointer("/turn/status").and_then(Value::as_str) {
                    Some("completed") => self.completed = true,
                    status => {
                        let said = params
                            .pointer("/turn/error/message")
                            .and_then(Value::as_str)
                            .map(String::from);
                        let status = status.unwrap_or("unknown");
                        self.error = said
                            .or(self.error.take())
                            .or_else(|| Some(format!("the turn ended {status}")));
                    }
                }
                Seen::TurnEnd
            }
            _ => Seen::Event,
        }
    }
}

impl Protocol for AppServer {
    fn line(&mut self, line: &str) -> Seen {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            return Seen::Garbage;
        };
        let method = v.get("method").and_then(Value::as_str);
        match (v.get("id"), method) {
            // A request of the server's: nobody here to approve or answer it.
            (Some(id), Some(method)) => {
                self.out.push(line_of_refusal(id, method));
                Seen::Event
            }
            (Some(id), None) => match id.as_u64() {
                Some(id) => self.response(id, &v),
                None => Seen::Event,
            },
            (None, Some(method)) => {
                let params = v.get("params").cloned().unwrap_or(Value::Null);
                self.notification(method, &params)
            }
            (None, None) => Seen::Garbage,
        }
    }

    fn verdict(&self) -> std::result::Result<String, String> {
        match (&self.error, self.completed) {
            (Some(e), _) => Err(crate::api_error::readable(e)),
            (None, true) => Ok(self.last_text.clone()),
            (None, false) => Err("codex ended without a completed turn".into()),
        }
    }

    fn outgoing(&mut self) -> Vec<String> {
        std::mem::take(&mut self.out)
    }
}

fn line_of_refusal(id: &Value, method: &str) -> String {
    line(&json!({
        "jsonrpc": "2.0", "id": id,
        "error": { "code": -32601, "message": format!("ops answers no {method} requests during a run") },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_starts_the_brief_turn_a_running_turn_is_steered_and_an_idle_one_restarted() {
        let (mut p, encode) = AppServer::new("the brief", "u-0");
        assert_eq!(encode("early", "u-1"), None, "no thread yet");
        p.line(r#"{"id":1,"result":{"userAgent":"x"}}"#);
        p.line(r#"{"id":2,"result":{"thread":{"id":"th-1"}}}"#);
        let start: Value = serde_json::from_str(&p.outgoing()[0]).expect("json");
        assert_eq!(start["method"], "turn/start");
        assert_eq!(start["params"]["threadId"], "th-1");
        assert_eq!(start["params"]["input"][0]["text"], "the brief");
        p.line(r#"{"method":"turn/started","params":{"threadId":"th-1","turn":{"id":"tu-1"}}}"#);
        let steer: Value =
            serde_json::from_str(&encode("steer", "u-2").expect("a line")).expect("json");
        assert_eq!(steer["method"], "turn/steer");
        assert_eq!(steer["params"]["expectedTurnId"], "tu-1");
        assert_eq!(steer["params"]["clientUserMessageId"], "u-2");
        // The turn ended first: the refused steer becomes the next turn.
        p.line(&format!(
            r#"{{"id":{},"error":{{"code":-32600,"message":"no active turn"}}}}"#,
            steer["id"]
        ));
        let again: Value = serde_json::from_str(&p.outgoing()[0]).expect("json");
        assert_eq!(
            (
                again["method"].as_str(),
                again["params"]["input"][0]["text"].as_str()
            ),
            (Some("turn/start"), Some("steer"))
        );
        p.line(r#"{"method":"item/completed","params":{"item":{"type":"agentMessage","id":"i","text":"did it"}}}"#);
        let end = p.line(r#"{"method":"turn/completed","params":{"threadId":"th-1","turn":{"id":"tu-1","status":"completed","items":[]}}}"#);
        assert_eq!(end, Seen::TurnEnd);
        assert_eq!(p.verdict(), Ok("did it".into()));
        let idle: Value =
            serde_json::from_str(&encode("later", "u-3").expect("a line")).expect("json");
        assert_eq!(
            idle["method"], "turn/start",
            "between turns a message starts one"
        );
    }

    #[test]
    fn a_failed_turn_is_the_apis_message_and_server_requests_are_refused() {
        let (mut p, _) = AppServer::new("b", "u");
        p.line(r#"{"id":7,"method":"item/commandExecution/requestApproval","params":{}}"#);
        let refusal: Value = serde_json::from_str(&p.outgoing()[0]).expect("json");
        assert_eq!(refusal["id"], 7);
        assert!(refusal["error"]["message"].is_string());
        p.line(r#"{"method":"error","params":{"error":{"message":"retrying"},"willRetry":true,"threadId":"t","turnId":"u"}}"#);
        p.line(r#"{"method":"turn/completed","params":{"turn":{"id":"u","status":"failed","items":[],"error":{"message":"unexpected status 400 Bad Request: bad field"}}}}"#);
        assert_eq!(
            p.verdict(),
            Err("unexpected status 400 Bad Request: bad field".into())
        );
    }
}
