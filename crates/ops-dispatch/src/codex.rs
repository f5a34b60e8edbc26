//! The Codex backend: `codex exec --json --sandbox workspace-write -` with the
//! brief on stdin (Codex 0.171 has no `--full-auto`; `exec` never asks for
//! approval, and the workspace-write sandbox lets it edit the worktree only).
//! Events: `thread.started`, `turn.started`, `item.*` (an `agent_message` item carries
//! the text), `turn.completed`, `turn.failed`, `error`. A team task (steerable)
//! runs under `codex app-server` instead, steered with `turn/steer` (see
//! `codex_app_server`).

use crate::env::EnvPolicy;
use crate::process::ProcessSpec;
use crate::session::{Protocol, Seen, Session, SessionSpec};
use crate::workbench::{OneShot, Prepared, Workbench, commit_message};
use async_trait::async_trait;
use ops_core::Result;
use ops_core::model::Mode;
use ops_core::seams::{AgentHandle, Brief, Dispatcher, DispatcherCapabilities};
use serde_json::Value;
use std::ffi::OsString;

/// Settings of the Codex backend.
#[derive(Debug, Clone)]
pub struct CodexConfig {
    /// The CLI.
    pub program: String,
    /// `-m`, if set.
    pub model: Option<String>,
}

impl Default for CodexConfig {
    fn default() -> Self {
        CodexConfig {
            program: "codex".into(),
            model: None,
        }
    }
}

impl CodexConfig {
    /// The command-line arguments; the trailing `-` reads the prompt from stdin.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "exec",
            "--json",
            "--sandbox",
            "workspace-write",
            "--skip-git-repo-check",
        ]
        .map(String::from)
        .to_vec();
        if let Some(m) = &self.model {
            args.push("-m".into());
            args.push(m.clone());
        }
        args.push("-".into());
        args
    }
}

/// Runs Codex agents.
#[derive(Debug, Clone)]
pub struct CodexDispatcher {
    bench: Workbench,
    config: CodexConfig,
}

impl CodexDispatcher {
    /// A dispatcher running `codex exec` per `config` in worktrees from `bench`.
    pub fn new(bench: Workbench, config: CodexConfig) -> Self {
        CodexDispatcher { bench, config }
    }
}

#[async_trait]
impl Dispatcher for CodexDispatcher {
    fn name(&self) -> &str {
        "codex"
    }

    fn capabilities(&self) -> DispatcherCapabilities {
        // Steerable through `codex app-server` (team tasks); `exec` otherwise.
        DispatcherCapabilities {
            steerable: true,
            reports_cost: false,
            reports_activity: true,
        }
    }

    async fn dispatch(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>> {
        if brief.task.mode == Mode::Team && brief.review.is_none() {
            return self.app_server(brief).await;
        }
        let args = |_: &Prepared| self.config.args().into_iter().map(OsString::from).collect();
        self.bench
            .start_one_shot(
                brief,
                OneShot {
                    backend: "codex",
                    prefixes: PREFIXES,
                    program: &self.config.program,
                    args: &args,
                    brief_on_stdin: true,
                    protocol: Box::new(CodexJson::default()),
                },
            )
            .await
    }
}

impl CodexDispatcher {
    /// A team agent: `codex app-server`, kept open between turns, steerable.
    async fn app_server(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>> {
        let prepared = self
            .bench
            .prepare(brief, &EnvPolicy::with_prefixes(PREFIXES))
            .await?;
        let key = format!("codex-{}-{}", brief.task.id, brief.attempt);
        let brief_uuid = crate::session::message_uuid(&key, 0, &brief.text);
        let (protocol, encode) = crate::codex_app_server::AppServer::new(&brief.text, &brief_uuid);
        let cwd = prepared.worktree.path.to_string_lossy().into_owned();
        let process = ProcessSpec {
            program: OsString::from(&self.config.program),
            args: vec![OsString::from("app-server")],
            cwd: prepared.worktree.path.clone(),
            env: prepared.env,
            log: prepared.log,
            keep_stdin: true,
            input: Some(
                crate::codex_app_server::opening(&cwd, self.config.model.as_deref()).into_bytes(),
            ),
            run_as: None,
            redactor: prepared.redactor,
        };
        let session = Session::start(SessionSpec {
            backend: "codex".into(),
            process,
            protocol: Box::new(protocol),
            encode: Some(encode),
            keep_open: true,
            worktree: prepared.worktree,
            commit_message: commit_message(brief),
            grace: self.bench.grace(),
            session_id: None,
        })
        .await?;
        Ok(Box::new(session))
    }
}

/// The environment prefixes Codex needs (its API key, its home).
const PREFIXES: &[&str] = &["OPENAI_", "CODEX_"];

/// What `codex exec --json` said.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CodexJson {
    /// The last agent message.
    pub last_text: String,
    /// Whether a turn completed.
    pub completed: bool,
    /// The error reported, if any.
    pub error: Option<String>,
}

impl Protocol for CodexJson {
    fn line(&mut self, line: &str) -> Seen {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            return Seen::Garbage;
        };
        match v.get("type").and_then(Value::as_str).unwrap_or_default() {
            "item.completed" => {
                if v.pointer("/item/type").and_then(Value::as_str) == Some("agent_message")
                    && let Some(t) = v.pointer("/item/text").and_then(Value::as_str)
                {
                    self.last_text = t.to_string();
                }
                Seen::Event
            }
            "turn.completed" => {
                self.completed = true;
                Seen::Event
            }
            "turn.failed" | "error" => {
                self.error = Some(
                    v.pointer("/error/message")
                        .or_else(|| v.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or("no detail")
                        .to_string(),
                );
                Seen::Event
            }
            "" => Seen::Garbage,
            _ => Seen::Event,
        }
    }

    fn verdict(&self) -> std::result::Result<String, String> {
        match (&self.error, self.completed) {
            (Some(e), _) => Err(format!(
                "codex reported an error: {}",
                crate::api_error::readable(e)
            )),
            (None, true) => Ok(self.last_text.clone()),
            (None, false) => Err("codex ended without a completed turn".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completed_turn_with_a_message_succeeds_and_a_failed_turn_fails() {
        let mut p = CodexJson::default();
        p.line(r#"{"type":"thread.started","thread_id":"t"}"#);
        p.line(r#"{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"fixed it"}}"#);
        assert!(p.verdict().is_err(), "no completed turn yet");
        p.line(r#"{"type":"turn.completed","usage":{"input_tokens":1}}"#);
        assert_eq!(p.verdict(), Ok("fixed it".to_string()));
        p.line(r#"{"type":"turn.failed","error":{"message":"rate limited"}}"#);
        assert!(p.verdict().unwrap_err().contains("rate limited"));
        assert_eq!(p.line("garbage"), Seen::Garbage);
    }
}
