//! The generic command backend: any program, started in the task's worktree with the
//! brief on stdin or in a file whose path it is given as an argument. The brief is
//! data: it is never spliced into a shell string.

use crate::env::EnvPolicy;
use crate::process::ProcessSpec;
use crate::session::{PlainText, Session, SessionSpec};
use crate::workbench::{Workbench, commit_message};
use async_trait::async_trait;
use ops_core::seams::{AgentHandle, Brief, Dispatcher, DispatcherCapabilities};
use ops_core::{Error, ErrorKind, Result};
use std::ffi::OsString;

/// How the program receives its brief.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BriefDelivery {
    /// Written to stdin, which is then closed (unless steerable).
    #[default]
    Stdin,
    /// Written to a file; its path replaces an argument that is exactly
    /// `{brief_file}`, or is appended when no argument is.
    File,
}

/// The argument replaced by the brief file's path.
pub const BRIEF_FILE_ARG: &str = "{brief_file}";

/// The generic command backend's settings.
#[derive(Debug, Clone, Default)]
pub struct CommandConfig {
    /// The program.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// How it gets the brief.
    pub brief: BriefDelivery,
    /// Messages are written to its stdin as JSON lines `{"message": "..."}`;
    /// needs `BriefDelivery::File` (stdin is then kept open for messages).
    pub steerable: bool,
}

/// Runs any program as an agent.
#[derive(Debug, Clone)]
pub struct CommandDispatcher {
    bench: Workbench,
    config: CommandConfig,
}

impl CommandDispatcher {
    /// A dispatcher running `config` in worktrees from `bench`. A steerable program
    /// must take its brief from a file (its stdin carries the messages).
    pub fn new(bench: Workbench, config: CommandConfig) -> Result<Self> {
        if config.program.is_empty() {
            return Err(Error::backend(
                "command",
                "configure the command runtime",
                ErrorKind::Invalid,
                "program is empty: expected the agent program to run",
            ));
        }
        if config.steerable && config.brief == BriefDelivery::Stdin {
            return Err(Error::backend(
                "command",
                "configure the command runtime",
                ErrorKind::Invalid,
                "steerable = true needs brief = file (stdin carries the messages)",
            ));
        }
        Ok(CommandDispatcher { bench, config })
    }
}

/// A message as the documented `{"message": ...}` line (no uuid: a command
/// runtime's protocol is the user's own program's).
fn encode_message(message: &str, _uuid: &str) -> String {
    format!("{}\n", serde_json::json!({ "message": message }))
}

#[async_trait]
impl Dispatcher for CommandDispatcher {
    fn name(&self) -> &str {
        "command"
    }

    fn capabilities(&self) -> DispatcherCapabilities {
        DispatcherCapabilities {
            steerable: self.config.steerable,
            reports_cost: false,
            reports_activity: true,
        }
    }

    async fn dispatch(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>> {
        let prepared = self.bench.prepare(brief, &EnvPolicy::default()).await?;
        let mut args: Vec<OsString> = self.config.args.iter().map(OsString::from).collect();
        let input = match self.config.brief {
            BriefDelivery::Stdin => Some(brief.text.clone().into_bytes()),
            BriefDelivery::File => {
                let path = prepared.brief_file.clone().into_os_string();
                match args.iter_mut().find(|a| *a == BRIEF_FILE_ARG) {
                    Some(slot) => *slot = path,
                    None => args.push(path),
                }
                None
            }
        };
        let process = ProcessSpec {
            program: OsString::from(&self.config.program),
            args,
            cwd: prepared.worktree.path.clone(),
            env: prepared.env,
            log: prepared.log,
            keep_stdin: self.config.steerable,
            input,
            run_as: None,
            redactor: prepared.redactor,
        };
        let session = Session::start(SessionSpec {
            backend: "command".into(),
            process,
            protocol: Box::new(PlainText::default()),
            encode: self.config.steerable.then(|| -> crate::session::Encode {
                std::sync::Arc::new(|text: &str, uuid: &str| Some(encode_message(text, uuid)))
            }),
            keep_open: false,
            worktree: prepared.worktree,
            commit_message: commit_message(brief),
            grace: self.bench.grace(),
            session_id: None,
        })
        .await?;
        Ok(Box::new(session))
    }
}
