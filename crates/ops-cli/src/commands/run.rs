//! `ops run`: so far its pre-flight only. The engine loop, dispatch and
//! shipping are wired by the "`ops run` end to end" issue; until then, after
//! the pre-flight passes, it says it is not implemented (exit 3).
//!
//! Pre-flight: claude-ops' daemon health. An unhealthy or stale
//! `daemon-health.json` blocks dispatch unless `--force`.

use super::scope;
use crate::cli::{GlobalArgs, RunArgs, Verbosity};
use crate::exit::CliError;
use std::io::Write;

/// Runs `ops run` (without `--dry-run`).
pub fn run(global: &GlobalArgs, args: &RunArgs, err: &mut dyn Write) -> Result<(), CliError> {
    let scope = scope::load(global, args.project.as_deref())?;
    dispatch_allowed(&scope.health_problems, args.force)?;
    if args.force && global.verbosity() > Verbosity::Quiet {
        for problem in &scope.health_problems {
            writeln!(err, "ops: warning (ignored with --force): {problem}")
                .map_err(CliError::Output)?;
        }
    }
    Err(CliError::NotImplemented { command: "run" })
}

/// Dispatch may start when the daemon is healthy, or when forced.
pub fn dispatch_allowed(problems: &[String], force: bool) -> Result<(), CliError> {
    if problems.is_empty() || force {
        Ok(())
    } else {
        Err(CliError::Unhealthy {
            problems: problems.to_vec(),
        })
    }
}
