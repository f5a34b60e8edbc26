//! The Aider backend: `aider --message-file <brief> --yes-always` (the brief as a
//! file rather than an argv string, so long briefs fit and never show in `ps`).
//! Aider edits and commits itself; its output is plain text. Not steerable.

use crate::session::PlainText;
use crate::workbench::{ONE_SHOT, OneShot, Prepared, Workbench};
use async_trait::async_trait;
use ops_core::Result;
use ops_core::seams::{AgentHandle, Brief, Dispatcher, DispatcherCapabilities};
use std::ffi::OsString;

/// Settings of the Aider backend.
#[derive(Debug, Clone)]
pub struct AiderConfig {
    /// The CLI.
    pub program: String,
    /// `--model`, if set.
    pub model: Option<String>,
}

impl Default for AiderConfig {
    fn default() -> Self {
        AiderConfig {
            program: "aider".into(),
            model: None,
        }
    }
}

/// Runs Aider agents.
#[derive(Debug, Clone)]
pub struct AiderDispatcher {
    bench: Workbench,
    config: AiderConfig,
}

impl AiderDispatcher {
    /// A dispatcher running Aider per `config` in worktrees from `bench`.
    pub fn new(bench: Workbench, config: AiderConfig) -> Self {
        AiderDispatcher { bench, config }
    }
}

#[async_trait]
impl Dispatcher for AiderDispatcher {
    fn name(&self) -> &str {
        "aider"
    }

    fn capabilities(&self) -> DispatcherCapabilities {
        ONE_SHOT
    }

    async fn dispatch(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>> {
        let args = |prepared: &Prepared| {
            let mut args: Vec<OsString> = vec![
                "--message-file".into(),
                prepared.brief_file.clone().into_os_string(),
            ];
            for a in [
                "--yes-always",
                "--no-pretty",
                "--no-check-update",
                "--no-show-model-warnings",
            ] {
                args.push(a.into());
            }
            if let Some(m) = &self.config.model {
                args.push("--model".into());
                args.push(m.into());
            }
            args
        };
        self.bench
            .start_one_shot(
                brief,
                OneShot {
                    backend: "aider",
                    prefixes: &["AIDER_", "OPENAI_", "ANTHROPIC_", "GEMINI_"],
                    program: &self.config.program,
                    args: &args,
                    brief_on_stdin: false,
                    protocol: Box::new(PlainText::default()),
                },
            )
            .await
    }
}
