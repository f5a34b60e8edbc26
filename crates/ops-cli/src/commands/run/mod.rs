//! `ops run`: audit and plan the scope onto the board, then run the engine over
//! it until every task in scope is settled, showing every event, and end with
//! the final report (DESIGN steps 1–10).
//!
//! [`mode`] picks how tasks run, [`wiring`] builds the engine's parts from the
//! settings file and the flags, [`drive`] runs the loop (with [`signals`] and
//! [`confirm`]), [`worktrees`] removes the worktrees whose work landed.
//!
//! Pre-flight: the mode flags are read (or the question asked) before the
//! scope is loaded; claude-ops' daemon health is advice only — its failures
//! are findings and warning lines of the audit, never a refusal to run.

mod confirm;
mod drive;
mod mode;
mod probe;
mod signals;
mod stdout;
mod wiring;
mod worktrees;

use super::plan;
use super::scope::{self, Scope};
use crate::cli::{GlobalArgs, RunArgs, Verbosity};
use crate::exit::CliError;
use crate::render::{LiveView, Output, RunInfo, RunMode};
use mode::Choice;
use ops_core::engine::MergeConfirmation;
use ops_core::model::{Mode, Task, TaskStatus};
use ops_core::{Engine, HaltReason, SqliteBoard};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

/// Runs `ops run` (without `--dry-run`, which is `ops plan`).
pub fn run(
    global: &GlobalArgs,
    args: &RunArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let choice = mode::choose(args, interactive, || {
        write!(err, "{}", mode::QUESTION)?;
        err.flush()?;
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line)?;
        Ok((read > 0).then_some(line))
    })?;
    if choice == Choice::Quit {
        return Ok(());
    }
    let scope = scope::load(global, args.project.as_deref())?;
    match choice {
        Choice::DryRun => plan::show(global, &scope, args.fires_only, &args.todos, out, err),
        Choice::Quit => Ok(()),
        Choice::Run(mode) => {
            let started = Started {
                global,
                args,
                scope: &scope,
                mode,
                interactive,
            };
            let (halt, blocked) = started.run(out, err)?;
            outcome(&halt, blocked)
        }
    }
}

/// A run whose mode is known.
struct Started<'a> {
    global: &'a GlobalArgs,
    args: &'a RunArgs,
    scope: &'a Scope,
    mode: RunMode,
    interactive: bool,
}

impl Started<'_> {
    /// Builds the parts, plans, runs the engine and cleans up; returns why the
    /// run stopped and how many tasks are blocked or failed.
    fn run(
        &self,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<(HaltReason, usize), CliError> {
        let (global, args, scope) = (self.global, self.args, self.scope);
        let mut stdout = stdout::Stdout::new(out);
        let out: &mut dyn Write = &mut stdout;
        let projects = &scope.context.projects;
        let agent = wiring::agent(&scope.settings.engine, args)?;
        let dispatcher = wiring::dispatcher(&agent, projects, scope.secrets.redactor())?;
        let planned = plan::onto_board(global, scope, args.fires_only, &args.todos)?;
        planned.warn(global, scope, err)?;
        // Orphans of the agents stay ops' own, to be killed with their attempt.
        if let mechanism @ ops_dispatch::reaper::Mechanism::GroupOnly(_) =
            ops_dispatch::reaper::install()
        {
            warn(global, err, &format!("agents are contained by {mechanism}"))?;
        }
        if self.has_team_tasks(&planned.tasks) && !dispatcher.capabilities().steerable {
            let text = format!(
                "the {} runtime cannot be steered ({}): team tasks run as subagents",
                agent.runtime,
                why_not_steerable(agent.runtime)
            );
            warn(global, err, &text)?;
        }
        let confirmation = wiring::confirmation(args.force, scope.yolo, self.interactive);
        let config = wiring::engine_config(&scope.settings.engine, args, projects, confirmation);
        let info = RunInfo {
            mode: self.mode,
            agent: agent.runtime.name().to_owned(),
            max_agents: config.max_agents,
            budget_usd: config.budget_usd,
        };
        let output = output(global.json);
        let mut view = LiveView::new(output, info, global.verbosity());
        let ran = super::block_on(async {
            let board = Arc::new(SqliteBoard::open(&planned.board).await?);
            mode::apply(board.as_ref(), &planned.tasks, self.mode).await?;
            let mut notes = Vec::new();
            let shippers = wiring::shippers(
                projects,
                &scope.settings,
                &scope.secrets,
                config.promote,
                &mut notes,
            )
            .await;
            for n in notes {
                warn(global, err, &n)?;
            }
            let mut engine = Engine::new(board.clone(), dispatcher.clone(), Arc::new(shippers))
                .with_config(config)
                .with_security_review(wiring::security_review(projects, dispatcher));
            for gate in wiring::gates(projects, scope.secrets.redactor(), args.force) {
                engine = engine.with_gate(gate);
            }
            let signals = signals::Signals::install().map_err(|source| CliError::Io {
                what: "listen for",
                path: "SIGINT and SIGTERM".into(),
                source,
            })?;
            let mut live = drive::Live {
                view: &mut view,
                out: &mut *out,
                board: board.as_ref(),
                scope,
                ask: confirmation == MergeConfirmation::Ask,
                // Asked on stdin and stderr, the terminals; stdout may be a pipe.
                prompt: if confirmation == MergeConfirmation::Ask && output != Output::Table {
                    Some(&mut *err)
                } else {
                    None
                },
                tasks: drive::Board::default(),
            };
            let (report, tasks) = live.run(engine, signals).await?;
            view.finish(&report, &tasks, out)
                .map_err(CliError::Output)?;
            let shipped: Vec<Task> = tasks
                .into_iter()
                .filter(|t| report.shipped.contains(&t.id))
                .collect();
            let (removed, warnings) = worktrees::remove_landed(projects, &shipped).await;
            for w in warnings {
                warn(global, err, &w)?;
            }
            if global.verbosity() == Verbosity::Verbose {
                for path in removed {
                    let line =
                        format!("ops: removed worktree {} (its work landed)", path.display());
                    writeln!(err, "{line}").map_err(CliError::Output)?;
                }
            }
            Ok::<_, CliError>((report.halt, report.blocked.len()))
        });
        // Whatever an agent left running (even in a session of its own, its
        // environment cleared) is ops' descendant now, and nothing ops waits for.
        ops_dispatch::reaper::kill_descendants();
        ran?
    }

    /// Whether some pending task will run as a team member.
    fn has_team_tasks(&self, tasks: &[Task]) -> bool {
        match self.mode {
            RunMode::Subagents => false,
            RunMode::Teams => true,
            RunMode::Hybrid => tasks
                .iter()
                .any(|t| t.status == TaskStatus::Pending && t.mode == Mode::Team),
        }
    }
}

/// Why `runtime`'s agents cannot receive messages while they run, for the
/// warning that team tasks fall back to subagents.
fn why_not_steerable(runtime: ops_core::config::AgentRuntime) -> &'static str {
    use ops_core::config::AgentRuntime;
    match runtime {
        AgentRuntime::Gemini => {
            "`gemini -p` takes its prompt once and reads no messages while it runs"
        }
        AgentRuntime::Aider => "`aider --message` takes its message once and reads no more",
        AgentRuntime::Command => {
            "ops gives the program its brief on stdin and no messages after it"
        }
        // Steerable (Codex team agents run under `codex app-server`): only a
        // runtime that declares otherwise gets here.
        AgentRuntime::Claude | AgentRuntime::Codex => {
            "its runtime declared it cannot receive messages"
        }
    }
}

/// The live view's output: JSON lines with `--json`, the table on a terminal,
/// else one line per event.
fn output(json: bool) -> Output {
    if json {
        Output::Json
    } else if std::io::stdout().is_terminal() {
        Output::Table
    } else {
        Output::Lines
    }
}

/// `ops: warning: <text>` on stderr, unless `-q`.
fn warn(global: &GlobalArgs, err: &mut dyn Write, text: &str) -> Result<(), CliError> {
    if global.verbosity() == Verbosity::Quiet {
        return Ok(());
    }
    writeln!(err, "ops: warning: {text}").map_err(CliError::Output)
}

/// The exit of a run: interrupted (130), else blocked or failed tasks (5),
/// else success, also when a wave or budget limit ended it.
fn outcome(halt: &HaltReason, blocked: usize) -> Result<(), CliError> {
    if *halt == HaltReason::Interrupted {
        Err(CliError::Interrupted)
    } else if *halt == HaltReason::RateLimited {
        Err(CliError::RateLimited)
    } else if blocked > 0 {
        Err(CliError::Unfinished { blocked })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_is_130_blocked_work_is_5_and_limits_reached_are_success() {
        let code = |halt, blocked| outcome(&halt, blocked).err().map_or(0, |e| e.exit_code());
        assert_eq!(code(HaltReason::Interrupted, 1), 130);
        assert_eq!(code(HaltReason::OnlyBlockedWork, 2), 5);
        assert_eq!(code(HaltReason::WaveLimit, 1), 5);
        assert_eq!(code(HaltReason::AllDone, 0), 0);
        assert_eq!(code(HaltReason::WaveLimit, 0), 0);
        assert_eq!(code(HaltReason::BudgetSpent, 0), 0);
        assert_eq!(code(HaltReason::RateLimited, 0), 6);
    }
}
