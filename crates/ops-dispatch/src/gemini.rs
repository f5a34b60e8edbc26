//! The Gemini CLI backend: `gemini -o stream-json --yolo --skip-trust` with the
//! brief on stdin (a non-interactive stdin is the prompt). A worktree is a folder
//! the CLI has never been told to trust, and in an untrusted folder it drops
//! `--yolo` for approvals nobody answers: `--skip-trust` trusts it for the session. Events: `init`, `message`, `tool_use`,
//! `tool_result`, `error`, `result` (`status` success or error). Not steerable.

use crate::session::{Protocol, Seen};
use crate::workbench::{ONE_SHOT, OneShot, Prepared, Workbench};
use async_trait::async_trait;
use ops_core::Result;
use ops_core::seams::{AgentHandle, Brief, Dispatcher, DispatcherCapabilities};
use serde_json::Value;
use std::ffi::OsString;

/// Settings of the Gemini CLI backend.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// The CLI.
    pub program: String,
    /// `-m`, if set.
    pub model: Option<String>,
}

impl Default for GeminiConfig {
    fn default() -> Self {
        GeminiConfig {
            program: "gemini".into(),
            model: None,
        }
    }
}

impl GeminiConfig {
    /// The command-line arguments.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = ["-o", "stream-json", "--yolo", "--skip-trust"]
            .map(String::from)
            .to_vec();
        if let Some(m) = &self.model {
            args.push("-m".into());
            args.push(m.clone());
        }
        args
    }
}

/// Runs Gemini CLI agents.
#[derive(Debug, Clone)]
pub struct GeminiDispatcher {
    bench: Workbench,
    config: GeminiConfig,
}

impl GeminiDispatcher {
    /// A dispatcher running the Gemini CLI per `config` in worktrees from `bench`.
    pub fn new(bench: Workbench, config: GeminiConfig) -> Self {
        GeminiDispatcher { bench, config }
    }
}

#[async_trait]
impl Dispatcher for GeminiDispatcher {
    fn name(&self) -> &str {
        "gemini"
    }

    fn capabilities(&self) -> DispatcherCapabilities {
        ONE_SHOT
    }

    async fn dispatch(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>> {
        let args = |_: &Prepared| self.config.args().into_iter().map(OsString::from).collect();
        self.bench
            .start_one_shot(
                brief,
                OneShot {
                    backend: "gemini",
                    prefixes: &["GEMINI_", "GOOGLE_"],
                    program: &self.config.program,
                    args: &args,
                    brief_on_stdin: true,
                    protocol: Box::new(GeminiJson::default()),
                },
            )
            .await
    }
}

/// What `gemini -o stream-json` said.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct GeminiJson {
    /// The assistant's text so far (deltas joined).
    pub text: String,
    /// The `result` status, once seen.
    pub status: Option<String>,
    /// The last error message.
    pub error: Option<String>,
}

impl Protocol for GeminiJson {
    fn line(&mut self, line: &str) -> Seen {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            return Seen::Garbage;
        };
        match v.get("type").and_then(Value::as_str).unwrap_or_default() {
            "message" => {
                if v.get("role").and_then(Value::as_str) == Some("assistant")
                    && let Some(t) = v.get("content").and_then(Value::as_str)
                {
                    if v.get("delta").and_then(Value::as_bool) != Some(true) {
                        self.text.clear();
                    }
                    self.text.push_str(t);
                }
                Seen::Event
            }
            "error" => {
                self.error = v.get("message").and_then(Value::as_str).map(String::from);
                Seen::Event
            }
            "result" => {
                self.status = v.get("status").and_then(Value::as_str).map(String::from);
                if let Some(m) = v.pointer("/error/message").and_then(Value::as_str) {
                    self.error = Some(m.to_string());
                }
                Seen::Event
            }
            "" => Seen::Garbage,
            _ => Seen::Event,
        }
    }

    fn verdict(&self) -> std::result::Result<String, String> {
        match self.status.as_deref() {
            Some("success") => Ok(self.text.trim().chars().take(2000).collect()),
            Some(other) => Err(format!(
                "gemini reported {other}: {}",
                self.error.as_deref().unwrap_or("no detail")
            )),
            None => Err("gemini ended without a result event".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_are_joined_and_the_result_status_decides() {
        let mut p = GeminiJson::default();
        p.line(r#"{"type":"init","session_id":"s","model":"m"}"#);
        p.line(r#"{"type":"message","role":"assistant","content":"Hel","delta":true}"#);
        p.line(r#"{"type":"message","role":"assistant","content":"lo","delta":true}"#);
        assert!(p.verdict().is_err(), "no result yet");
        p.line(r#"{"type":"result","status":"success","stats":{}}"#);
        assert_eq!(p.verdict(), Ok("Hello".to_string()));
        p.line(r#"{"type":"result","status":"error","error":{"message":"quota"}}"#);
        assert!(p.verdict().unwrap_err().contains("quota"));
    }
}
