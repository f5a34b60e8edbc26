//! The Aider backend: `aider --message-file <brief> --yes-always --no-gitignore`
//! (the brief as a file rather than an argv string, so long briefs fit and never
//! show in `ps`). Aider edits and commits itself; its output is plain text. Not
//! steerable. `--no-gitignore`: Aider would otherwise add its `.aider*` files to
//! the worktree's `.gitignore`, an edit that is not the task's (its files
//! themselves are [runtime files](ops_core::runtime_files), never committed by ops).

use crate::session::{PlainText, Protocol, Seen};
use crate::workbench::{ONE_SHOT, OneShot, Prepared, Workbench};
use async_trait::async_trait;
use ops_core::Result;
use ops_core::seams::{AgentHandle, Brief, Dispatcher, DispatcherCapabilities};
use std::ffi::OsString;
use std::path::Path;

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

impl AiderConfig {
    /// The flags ops passes (after `--message-file <brief>`).
    pub fn flags(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "--yes-always",
            "--no-gitignore",
            "--no-pretty",
            "--no-check-update",
            "--no-show-model-warnings",
        ]
        .map(String::from)
        .to_vec();
        if let Some(m) = &self.model {
            args.push("--model".into());
            args.push(m.clone());
        }
        args
    }

    /// The command-line arguments for the brief in `brief_file`.
    pub fn args(&self, brief_file: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["--message-file".into(), brief_file.into()];
        args.extend(self.flags().into_iter().map(OsString::from));
        args
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
        let args = |prepared: &Prepared| self.config.args(&prepared.brief_file);
        self.bench
            .start_one_shot(
                brief,
                OneShot {
                    backend: "aider",
                    prefixes: &["AIDER_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "LITELLM_"],
                    program: &self.config.program,
                    args: &args,
                    brief_on_stdin: false,
                    protocol: Box::new(AiderText::default()),
                },
            )
            .await
    }
}

/// Aider's plain output. Aider 0.86 exits 0 after the API refused its request
/// (it prints litellm's error and gives up), so an API error it printed, with no
/// edit applied or commit made after it, fails the attempt with that message.
#[derive(Debug, Default)]
struct AiderText {
    text: PlainText,
    error: Option<String>,
}

impl Protocol for AiderText {
    fn line(&mut self, line: &str) -> Seen {
        if let Some(error) = crate::api_error::find(line) {
            self.error = Some(error);
        } else if line.starts_with("Applied edit to") || line.starts_with("Commit ") {
            self.error = None;
        }
        self.text.line(line)
    }

    fn verdict(&self) -> std::result::Result<String, String> {
        match &self.error {
            Some(error) => Err(error.clone()),
            None => self.text.verdict(),
        }
    }
}
