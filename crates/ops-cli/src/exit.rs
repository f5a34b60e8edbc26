//! Exit codes, and the one function that maps an outcome to them. This is the only
//! place exit codes are defined (the README repeats this table):
//!
//! | code | meaning                                                              |
//! |------|----------------------------------------------------------------------|
//! | 0    | success (also `--help`, `--version`, and a reader that closed the pipe) |
//! | 1    | error: the command failed; the message on stderr says what and where |
//! | 2    | usage: the arguments were wrong (reported by the argument parser)    |
//! | 4    | partial audit: some sources failed (listed on stderr); the findings and plan shown are what the others found |
//! | 5    | `ops run` ended with blocked or failed tasks (listed in the final report) |
//! | 130  | `ops run` was interrupted (Ctrl-C or SIGTERM); the board is consistent and the next `ops run` resumes |
//!
//! Error messages read after "failed to …", like ops-core's, and name the file,
//! flag or value at fault.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// The command did what was asked.
pub const SUCCESS: u8 = 0;
/// The command failed; the message says why.
pub const ERROR: u8 = 1;
/// The arguments were wrong.
pub const USAGE: u8 = 2;

/// Some audit sources failed; the output is what the others found.
pub const PARTIAL: u8 = 4;
/// `ops run` ended with blocked or failed tasks.
pub const UNFINISHED: u8 = 5;
/// `ops run` was interrupted.
pub const INTERRUPTED: u8 = 130;

/// The exit code table as `--help` shows it.
pub const CODES_HELP: &str = "\
Exit codes:
  0  success
  1  error (the message on stderr says what failed and where)
  2  usage: the arguments were wrong
  4  partial audit: some sources failed (listed on stderr); the rest was shown
  5  `ops run` ended with blocked or failed tasks (listed in the final report)
  130  `ops run` was interrupted (Ctrl-C, SIGTERM); the next `ops run` resumes";

/// Why a command failed. Messages read after "failed to …".
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// No state directory was given and none could be derived from the environment.
    #[error(
        "find the state directory: pass --state-dir DIR or set OPS_STATE_DIR (neither XDG_STATE_HOME nor HOME is set to an absolute path)"
    )]
    NoStateDir,
    /// A file or folder could not be inspected.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done ("read the board at").
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The async runtime could not start.
    #[error("start the async runtime: {0}")]
    Runtime(#[source] io::Error),
    /// Writing the result to stdout failed.
    #[error("write to stdout: {0}")]
    Output(#[source] io::Error),
    /// Some audit sources failed (they were listed on stderr).
    #[error(
        "audit every source: {failed} source run(s) failed (listed above); the output shows what the others found"
    )]
    PartialAudit {
        /// How many (project, source) runs failed.
        failed: usize,
    },
    /// A `--todo` that names no project while several are in scope.
    #[error("use --todo {text:?}: several projects are in scope; write it as `ALIAS: text` with one of {}", known.join(", "))]
    TodoWithoutProject {
        /// The todo text.
        text: String,
        /// The aliases in scope.
        known: Vec<String>,
    },
    /// `ops doctor` found items that fail (its output says why and what to do).
    #[error("pass the setup check: {} failed (see the `fail` lines)", failed.join(", "))]
    SetupFailed {
        /// The failed items' names (`registry`, `agent claude`...).
        failed: Vec<String>,
    },
    /// `ops run` without a mode flag and without a terminal to ask on.
    #[error(
        "choose how to run: no terminal to ask on; pass one of --subagents, --teams, --hybrid or --dry-run"
    )]
    NoRunMode,
    /// The `command` runtime was chosen without the command to run.
    #[error(
        "start the command runtime: --agent command needs --agent-cmd CMD (or agent_cmd in the [engine] section of the settings file)"
    )]
    AgentCmdMissing,
    /// `--agent-cmd` cannot be used as given.
    #[error("use --agent-cmd {given:?}: {expected}")]
    AgentCmdInvalid {
        /// The value given.
        given: String,
        /// What was expected instead.
        expected: String,
    },
    /// The run ended with blocked or failed tasks (the report listed them).
    #[error(
        "finish every task: {blocked} blocked or failed (listed in the report above); fix them and run `ops run` again"
    )]
    Unfinished {
        /// How many tasks are blocked or failed.
        blocked: usize,
    },
    /// The run was interrupted; the board is consistent.
    #[error(
        "finish the run: interrupted; the board is consistent and `ops run` resumes where this run stopped"
    )]
    Interrupted,
    /// The engine or the board failed.
    #[error(transparent)]
    Core(#[from] ops_core::Error),
}

impl CliError {
    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::PartialAudit { .. } => PARTIAL,
            CliError::NoRunMode | CliError::AgentCmdMissing | CliError::AgentCmdInvalid { .. } => {
                USAGE
            }
            CliError::Unfinished { .. } => UNFINISHED,
            CliError::Interrupted => INTERRUPTED,
            CliError::NoStateDir
            | CliError::Io { .. }
            | CliError::Runtime(_)
            | CliError::Output(_)
            | CliError::TodoWithoutProject { .. }
            | CliError::SetupFailed { .. }
            | CliError::Core(_) => ERROR,
        }
    }
}

/// Ends a command: prints the error, if any, to stderr and returns its exit code.
/// A reader that closed stdout early (`ops status | head`) is not an error.
pub fn report(outcome: Result<(), CliError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::from(SUCCESS),
        Err(CliError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::from(SUCCESS)
        }
        Err(e) => {
            // Nothing more can be done if stderr itself is gone.
            let _ = writeln!(io::stderr(), "ops: failed to {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Ends a run whose arguments did not parse: clap prints help, the version or the
/// usage error; help and version are successes, anything else is [`USAGE`].
pub fn usage(err: &clap::Error) -> ExitCode {
    // Nothing more can be done if the terminal is gone.
    let _ = err.print();
    ExitCode::from(if err.use_stderr() { USAGE } else { SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_documented_code() {
        assert_eq!(CliError::NoStateDir.exit_code(), ERROR);
        assert_eq!(CliError::NoRunMode.exit_code(), USAGE);
        assert_eq!(CliError::AgentCmdMissing.exit_code(), USAGE);
        assert_eq!(CliError::Unfinished { blocked: 2 }.exit_code(), UNFINISHED);
        assert_eq!(CliError::Interrupted.exit_code(), INTERRUPTED);
        let unknown =
            ops_core::Error::UnknownTask(ops_core::model::TaskId::new("t1").expect("valid id"));
        assert_eq!(CliError::from(unknown).exit_code(), ERROR);
    }

    #[test]
    fn the_help_table_lists_every_code() {
        for code in [SUCCESS, ERROR, USAGE, PARTIAL, UNFINISHED, INTERRUPTED] {
            assert!(
                CODES_HELP.contains(&format!("  {code}  ")),
                "code {code} missing"
            );
        }
    }
}
