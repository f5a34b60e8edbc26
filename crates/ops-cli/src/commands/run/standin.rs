//! A stand-in for the live view ("view" builds the real one in `crate::render`):
//! the same interface, one plain line per event and a short final report.
//! TODO(issue 7): replaced by `crate::render` once the view branch is merged.

use crate::cli::Verbosity;
use ops_core::Event;
use ops_core::RunReport;
use ops_core::model::Task;
use std::io::{self, Write};

/// How the run is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The live table (stdout is a terminal).
    Table,
    /// One line per event.
    Lines,
    /// One JSON object per event (`--json`).
    Json,
}

/// How tasks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Every task as a subagent.
    Subagents,
    /// Every task as a team member.
    Teams,
    /// The planner's choice per task.
    Hybrid,
}

/// What the run is, for the header and the report.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The mode.
    pub mode: RunMode,
    /// The agent runtime.
    pub agent: String,
    /// At most this many agents at once.
    pub max_agents: usize,
    /// The budget, if any.
    pub budget_usd: Option<f64>,
}

/// Shows a run as it goes.
pub struct LiveView {
    output: Output,
    info: RunInfo,
    verbosity: Verbosity,
}

impl LiveView {
    /// A view writing `output`.
    pub fn new(output: Output, info: RunInfo, verbosity: Verbosity) -> Self {
        LiveView {
            output,
            info,
            verbosity,
        }
    }

    /// One engine event, and the tasks in scope as re-listed after it.
    pub fn on_event(
        &mut self,
        event: &Event,
        _board: &[Task],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        match self.output {
            Output::Json => writeln!(
                out,
                "{}",
                serde_json::to_string(event).map_err(io::Error::other)?
            ),
            Output::Table | Output::Lines if self.verbosity > Verbosity::Quiet => {
                writeln!(out, "{event:?}")
            }
            _ => Ok(()),
        }
    }

    /// Draws what an earlier event held back (the table's throttle); nothing here.
    pub fn tick(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    /// A message of the CLI's own.
    pub fn note(&mut self, text: &str, out: &mut dyn Write) -> io::Result<()> {
        match self.output {
            Output::Json => writeln!(out, "{}", serde_json::json!({ "note": text })),
            _ => writeln!(out, "{text}"),
        }
    }

    /// The final report.
    pub fn finish(
        &mut self,
        report: &RunReport,
        board: &[Task],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        match self.output {
            Output::Json => writeln!(
                out,
                "{}",
                serde_json::to_string(report).map_err(io::Error::other)?
            ),
            _ => {
                writeln!(
                    out,
                    "mode {:?}, agent {} (at most {}, budget {:?}), halt {:?}: {} completed, {} shipped, {} blocked, {} remaining, {} tasks in scope",
                    self.info.mode,
                    self.info.agent,
                    self.info.max_agents,
                    self.info.budget_usd,
                    report.halt,
                    report.completed,
                    report.shipped.len(),
                    report.blocked.len(),
                    report.remaining,
                    board.len()
                )?;
                for (task, why) in &report.blocked {
                    writeln!(out, "blocked {task}: {why}")?;
                }
                Ok(())
            }
        }
    }
}
