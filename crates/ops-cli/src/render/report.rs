//! The final report in text (DESIGN step 10): mode, why the run stopped, what was
//! completed, shipped and promoted, what is blocked and why, follow-ups, cost per
//! task and in total, and what is left and how to go on.

use super::RunInfo;
use super::cost::{dollars, task_cost};
use super::lines::halt_text;
use super::progress::Progress;
use crate::commands::one_line;
use ops_core::model::{Task, TaskId, TaskStatus};
use ops_core::seams::PromoteOutcome;
use ops_core::{HaltReason, RunReport};
use std::fmt::Write as _;

/// The longest reason or title a report line carries.
const WIDTH: usize = 200;

/// The report, one section per line group, each item indented under its section.
pub fn text(info: &RunInfo, progress: &Progress, report: &RunReport, board: &[Task]) -> String {
    let title = |id: &TaskId| {
        board
            .iter()
            .find(|t| t.id == *id)
            .map(|t| one_line(&t.title, WIDTH))
            .unwrap_or_default()
    };
    let mut s = String::new();
    // Writing to a String cannot fail.
    let mut line = |text: String| {
        let _ = writeln!(s, "{text}");
    };
    line(format!("mode: {} (agent {})", info.mode.name(), info.agent));
    line(format!("stopped: {}", halt_text(&report.halt)));

    let completed: Vec<&Task> = board
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .collect();
    line(format!("completed: {}", completed.len()));
    for t in &completed {
        line(format!("  {}  {}", t.id, one_line(&t.title, WIDTH)));
    }

    line(format!("shipped: {}", report.shipped.len()));
    for id in &report.shipped {
        let pr = board
            .iter()
            .find(|t| t.id == *id)
            .and_then(|t| t.pr.clone())
            .unwrap_or_else(|| "(no PR recorded)".to_owned());
        line(format!("  {id} → {pr}"));
    }

    line(format!("promoted to main: {}", report.promoted.len()));
    for (repo, outcome) in &report.promoted {
        let how = match outcome {
            PromoteOutcome::Promoted { sha } => {
                format!("promoted ({})", sha.get(..7).unwrap_or(sha))
            }
            PromoteOutcome::UpToDate => "already up to date".to_owned(),
            PromoteOutcome::Skipped { reason } => {
                format!("skipped: {}", one_line(reason, WIDTH))
            }
        };
        line(format!("  {repo}: {how}"));
    }

    line(format!("blocked: {}", report.blocked.len()));
    for (id, reason) in &report.blocked {
        line(format!("  {id}: {}", one_line(reason, WIDTH)));
    }

    line(format!("follow-ups: {}", progress.follow_ups.len()));
    for f in &progress.follow_ups {
        line(format!(
            "  {} (after {}): {}",
            f.task,
            f.after,
            one_line(&f.title, WIDTH)
        ));
    }

    let costs: Vec<(&Task, f64)> = board
        .iter()
        .filter_map(|t| task_cost(t).map(|c| (t, c)))
        .collect();
    // Not `sum()`: an empty f64 sum is -0.0, which prints as "$-0.00".
    let total = costs.iter().fold(0.0, |sum, (_, c)| sum + c);
    let budget = info
        .budget_usd
        .map(|b| format!(" of a {} budget", dollars(b)))
        .unwrap_or_default();
    line(format!(
        "cost: {} in total, {} this run{budget}",
        dollars(total),
        dollars(progress.spent_usd)
    ));
    for (t, c) in &costs {
        line(format!("  {}  {}  {}", t.id, dollars(*c), title(&t.id)));
    }

    line(next_steps(report));
    s
}

/// What is left, and how to go on.
fn next_steps(report: &RunReport) -> String {
    let blocked = report.blocked.len();
    let left = report.remaining;
    if left == 0 && blocked == 0 {
        return "left: nothing; `ops status` shows the board".to_owned();
    }
    let mut text = format!("left: {left} to do, {blocked} blocked");
    text.push_str(match report.halt {
        HaltReason::BudgetSpent => {
            "; raise the budget (--budget-usd or [engine] budget_usd) and run `ops run` again"
        }
        HaltReason::RateLimited => {
            "; the agent runtime is paused by a rate or usage limit: run `ops run` again after it resets (or without --no-wait, which waits)"
        }
        _ if left > 0 => "; run `ops run` again to go on",
        _ => "; blocked tasks need a human (see the reasons above)",
    });
    text.push_str("; `ops status` shows the board");
    text
}
