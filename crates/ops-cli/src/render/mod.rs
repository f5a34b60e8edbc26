//! What `ops run` shows while it runs and when it stops. [`LiveView`] takes every
//! engine [`Event`] with the board as re-listed after it and writes one of three
//! [`Output`]s:
//!
//! * **Table** (stdout is a terminal): a title line, the wave table (TASK, OWNER,
//!   STATUS, PR, CI, DEPLOY, COST; one row per task in scope, by wave then
//!   priority) and the counts line `Completed N · In-flight N · Queued N ·
//!   Blocked N` (with what was spent, and of which budget). It is redrawn in place
//!   (the cursor moves up over the lines drawn last time, which are cleared), at
//!   most every [`REDRAW_EVERY`]; an event that falls inside that interval is drawn
//!   by the next event, [`LiveView::tick`], [`LiveView::note`] or
//!   [`LiveView::finish`], whichever comes first. Lines are cut to the terminal
//!   width (`COLUMNS`, else the terminal's, else 120) so that none wraps, and the
//!   rows to its height (`LINES`, else the terminal's, else 40; completed tasks
//!   give way first, then the last rows, and
//!   a line says how many are not shown). Warnings, interrupts, the
//!   budget running out, retries (with why), a runtime paused by a rate or usage
//!   limit or resumed, and follow-ups print above the table; the counts line says
//!   which runtime is paused until when
//!   (`-v`: every event's line does). `-q`: no table, only warnings.
//! * **Lines** (no terminal): one line per event, `HH:MM:SS` (UTC) first:
//!   `12:03:04 ops-todo-1a2b in_progress → auditing`,
//!   `12:03:09 claude finished on ops-todo-1a2b (attempt 1): ok ($0.0123)`,
//!   `12:05:00 ops-todo-1a2b merged into dev (abc1234)`,
//!   `12:05:02 promoted dev → main in /src/web (def5678)`. `-q`: only warnings;
//!   `-v`: details (reasons, summaries) are not cut.
//! * **Json** (`--json`): one JSON object per line. Each event is the engine's
//!   [`Event`] serialized as is (`{"event":"task_moved","task":..,"from":..,
//!   "to":..,"reason":..}`); a note of the CLI's own is
//!   `{"event":"note","message":".."}`; `-q` and `-v` change nothing here. The
//!   last line is the report:
//!
//! ```text
//! {"event":"report",
//!  "mode":"subagents"|"teams"|"hybrid",
//!  "halt":"all_done"|"only_blocked_work"|"wave_limit"|"interrupted"|"budget_spent"|"rate_limited",
//!  "completed":["<task id>",...],                 completed tasks on the board in scope
//!  "shipped":[{"task":"<id>","pr":"<change>"|null}],  merged by this run
//!  "promoted":[{"repo":"<path>","outcome":{"result":"promoted","sha":".."}
//!                                      |{"result":"up_to_date"}
//!                                      |{"result":"skipped","reason":".."}}],
//!  "blocked":[{"task":"<id>","reason":".."}],       blocked or failed, on the board
//!  "follow_ups":[{"after":"<id>","task":"<id>","title":".."}],
//!  "remaining":N,                                  neither settled nor blocked
//!  "spent_usd":X,                                  what this run's agents reported
//!  "tasks":[{"id":"<id>","status":"<status>","pr":".."|null,"cost_usd":X|null}]}
//! ```
//!
//! This schema is stable: keys are only ever added.
//!
//! The final report ([`LiveView::finish`]) in Table and Lines output is text:
//! mode, why the run stopped, completed, shipped (task → PR), promoted to main,
//! blocked with reasons, follow-ups, cost per task and in total, what is left.

mod cost;
mod json;
mod lines;
mod progress;
mod report;
mod table;

pub use cost::{dollars, task_cost};
pub use lines::moment;

use crate::cli::Verbosity;
use ops_core::model::{Task, Timestamp};
use ops_core::{Event, RunReport};
use progress::Progress;
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// The least time between two redraws of the table.
pub const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The terminal width when `COLUMNS` does not say.
const DEFAULT_WIDTH: usize = 120;

/// The terminal height when `LINES` does not say.
const DEFAULT_HEIGHT: usize = 40;

/// How the live view writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The wave table redrawn in place (stdout is a terminal).
    Table,
    /// One line per event (stdout is not a terminal).
    Lines,
    /// One JSON object per event, then the report (`--json`).
    Json,
}

/// The settings of the run, for the title line and the report.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// How tasks run.
    pub mode: RunMode,
    /// The agent runtime (`claude`, `codex`, ...).
    pub agent: String,
    /// At most this many agents at once.
    pub max_agents: usize,
    /// Dispatching stops once this much was spent.
    pub budget_usd: Option<f64>,
}

/// `--subagents`, `--teams` or `--hybrid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// Every task a fire-and-forget subagent.
    Subagents,
    /// Every task a steerable team member.
    Teams,
    /// Chosen per task.
    Hybrid,
}

impl RunMode {
    /// `subagents`, `teams` or `hybrid`, as the flag and the report name it.
    pub fn name(self) -> &'static str {
        match self {
            RunMode::Subagents => "subagents",
            RunMode::Teams => "teams",
            RunMode::Hybrid => "hybrid",
        }
    }
}

/// The terminal's size in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Size {
    width: usize,
    height: usize,
}

/// The size `COLUMNS` and `LINES` give (positive numbers), else the terminal's
/// (`terminal`: columns and rows, when positive), else
/// [`DEFAULT_WIDTH`] × [`DEFAULT_HEIGHT`].
fn terminal_size(
    columns: Option<&str>,
    lines: Option<&str>,
    terminal: Option<(usize, usize)>,
) -> Size {
    let positive = |v: Option<&str>| {
        v.and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
    };
    let (cols, rows) = terminal.unwrap_or((0, 0));
    let known = |n: usize| Some(n).filter(|n| *n > 0);
    Size {
        width: positive(columns).or(known(cols)).unwrap_or(DEFAULT_WIDTH),
        height: positive(lines).or(known(rows)).unwrap_or(DEFAULT_HEIGHT),
    }
}

/// The columns and rows of the terminal stdout is, if it is one (shells
/// rarely export `COLUMNS` and `LINES`).
fn stdout_size() -> Option<(usize, usize)> {
    let size = rustix::termios::tcgetwinsize(std::io::stdout()).ok()?;
    Some((usize::from(size.ws_col), usize::from(size.ws_row)))
}

/// Reads the clocks: monotonic for the redraw throttle, wall for line times.
type Clock = Box<dyn Fn() -> (Instant, Timestamp) + Send>;

/// Renders a run: feed it every event, notes of the CLI's own, and the report.
pub struct LiveView {
    output: Output,
    info: RunInfo,
    verbosity: Verbosity,
    size: Size,
    clock: Clock,
    progress: Progress,
    /// Lines of the table block on screen now (Table output).
    drawn: usize,
    /// When the table was last drawn.
    last_draw: Option<Instant>,
    /// The state changed since the table was last drawn (the throttle held it back).
    dirty: bool,
    /// The last board seen (Table output), for the next draw.
    board: Vec<Task>,
}

impl LiveView {
    /// A view writing `output`; the table fits the size `COLUMNS` and `LINES` say
    /// (else the terminal's, else 120 × 40).
    pub fn new(output: Output, info: RunInfo, verbosity: Verbosity) -> Self {
        let var = |name| std::env::var(name).ok();
        let size = terminal_size(
            var("COLUMNS").as_deref(),
            var("LINES").as_deref(),
            stdout_size(),
        );
        Self::with_parts(
            output,
            info,
            verbosity,
            size,
            Box::new(|| (Instant::now(), Timestamp::now())),
        )
    }

    fn with_parts(
        output: Output,
        info: RunInfo,
        verbosity: Verbosity,
        size: Size,
        clock: Clock,
    ) -> Self {
        LiveView {
            output,
            info,
            verbosity,
            size,
            clock,
            progress: Progress::default(),
            drawn: 0,
            last_draw: None,
            dirty: false,
            board: Vec::new(),
        }
    }

    /// One engine event, and the tasks in scope as re-listed after it.
    pub fn on_event(
        &mut self,
        event: &Event,
        board: &[Task],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let (now, wall) = (self.clock)();
        // The line is described before the event is applied: a finished agent's
        // runtime is still known either way, and the order keeps that obvious.
        let line = lines::describe(event, board, &self.progress, self.detail_width());
        self.progress.apply(event);
        let warning = matches!(event, Event::Warning { .. });
        match self.output {
            Output::Json => out.write_all(json::event_line(event).as_bytes())?,
            Output::Lines => {
                if warning || self.verbosity > Verbosity::Quiet {
                    writeln!(out, "{} {line}", lines::clock(wall))?;
                }
            }
            Output::Table if self.verbosity == Verbosity::Quiet => {
                if warning {
                    writeln!(out, "{line}")?;
                }
            }
            Output::Table => {
                let above = self.verbosity == Verbosity::Verbose
                    || matches!(
                        event,
                        Event::Warning { .. }
                            | Event::Interrupted { .. }
                            | Event::BudgetSpent { .. }
                            | Event::Retrying { .. }
                            | Event::RuntimePaused { .. }
                            | Event::RuntimeResumed { .. }
                            | Event::FollowUpAdded { .. }
                    );
                self.board = board.to_vec();
                if above {
                    self.erase(out)?;
                    writeln!(out, "{line}")?;
                    self.draw(now, out)?;
                } else {
                    self.dirty = true;
                    if self
                        .last_draw
                        .is_none_or(|last| now.duration_since(last) >= REDRAW_EVERY)
                    {
                        self.draw(now, out)?;
                    }
                }
            }
        }
        out.flush()
    }

    /// Draws the table if an event since the last draw was held back by the
    /// throttle and [`REDRAW_EVERY`] has passed. Call it about that often while
    /// waiting for events, so that a quiet spell shows the latest state.
    pub fn tick(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let (now, _) = (self.clock)();
        let due = self
            .last_draw
            .is_none_or(|last| now.duration_since(last) >= REDRAW_EVERY);
        if self.dirty && due && self.shows_table() {
            self.draw(now, out)?;
            out.flush()?;
        }
        Ok(())
    }

    /// A message of the CLI's own (a merge question) shown without breaking the table.
    pub fn note(&mut self, text: &str, out: &mut dyn Write) -> io::Result<()> {
        let (now, wall) = (self.clock)();
        match self.output {
            Output::Json => out.write_all(json::note_line(text).as_bytes())?,
            Output::Lines => writeln!(out, "{} {text}", lines::clock(wall))?,
            Output::Table if !self.shows_table() => writeln!(out, "{text}")?,
            Output::Table => {
                self.erase(out)?;
                writeln!(out, "{text}")?;
                self.draw(now, out)?;
            }
        }
        out.flush()
    }

    /// The final report (DESIGN step 10): after the last state of the table (on a
    /// terminal), in text; with `--json`, one `report` object.
    pub fn finish(
        &mut self,
        report: &RunReport,
        board: &[Task],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let (now, _) = (self.clock)();
        match self.output {
            Output::Json => {
                let line = json::report_line(&self.info, &self.progress, report, board);
                out.write_all(line.as_bytes())?;
            }
            Output::Lines => {
                out.write_all(report::text(&self.info, &self.progress, report, board).as_bytes())?;
            }
            Output::Table => {
                if self.shows_table() {
                    self.board = board.to_vec();
                    self.draw(now, out)?;
                    // The last table stays on screen; the report goes below it.
                    self.drawn = 0;
                    writeln!(out)?;
                }
                out.write_all(report::text(&self.info, &self.progress, report, board).as_bytes())?;
            }
        }
        out.flush()
    }

    fn shows_table(&self) -> bool {
        self.output == Output::Table && self.verbosity > Verbosity::Quiet
    }

    fn detail_width(&self) -> usize {
        if self.verbosity >= Verbosity::Verbose {
            usize::MAX
        } else {
            lines::DETAIL_WIDTH
        }
    }

    /// Moves the cursor up over the table drawn last and clears from there down.
    fn erase(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.drawn > 0 {
            write!(out, "\x1b[{}A\r\x1b[J", self.drawn)?;
            self.drawn = 0;
        }
        Ok(())
    }

    /// Replaces the table on screen with the latest state.
    fn draw(&mut self, now: Instant, out: &mut dyn Write) -> io::Result<()> {
        let block = table::block(
            &self.info,
            &self.progress,
            &self.board,
            self.size.width,
            self.size.height,
        );
        self.erase(out)?;
        out.write_all(block.as_bytes())?;
        self.drawn = block.lines().count();
        self.last_draw = Some(now);
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
