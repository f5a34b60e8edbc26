//! The Aider backend: `aider --message-file <brief> --yes-always` (the brief as a
//! file rather than an argv string, so long briefs fit and never show in `ps`).
//! Aider edits and commits itself; its output is plain text. Not steerable.

use crate::env::EnvPolicy;
use crate::process::ProcessSpec;
use crate::session::{PlainText, Session, SessionSpec};
use crate::workbench::{Workbench, commit_message};
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
        DispatcherCapabilities {
            steerable: false,
            reports_cost: false,
            reports_activity: true,
        }
    }

    async fn dispatch(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>> {
        let policy = EnvPolicy::with_prefixes(&["AIDER_", "OPENAI_", "ANTHROPIC_", "GEMINI_"]);
        let prepared = self.bench.prepare(brief, &policy).await?;
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
        let process = ProcessSpec {
            program: OsString::from(&self.config.program),
            args,
            cwd: prepared.worktree.path.clone(),
            env: prepared.env,
            log: prepared.log,
            keep_stdin: false,
            input: None,
            run_as: None,
        };
        let session = Session::start(SessionSpec {
            backend: "aider".into(),
            process,
            protocol: Box::new(PlainText::default()),
            encode: None,
            keep_open: false,
            worktree: prepared.worktree,
            commit_message: commit_message(brief),
            grace: self.bench.grace(),
        })
        .await?;
        Ok(Box::new(session))
    }
}
