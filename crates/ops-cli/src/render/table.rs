//! The wave table: one row per task in scope (TASK, OWNER, STATUS, PR, CI, DEPLOY,
//! COST), ordered by wave then priority, under a title line and over the counts.

use super::RunInfo;
use super::cost::{dollars, task_cost};
use super::progress::Progress;
use crate::commands::{columns, one_line};
use ops_core::TaskGraph;
use ops_core::model::{Task, TaskId, TaskStatus};
use std::collections::BTreeMap;

const HEADER: [&str; 7] = ["TASK", "OWNER", "STATUS", "PR", "CI", "DEPLOY", "COST"];

/// The narrowest TASK column the table shrinks to before lines are cut instead
/// (never narrower than the longest task id shown).
const MIN_TASK_WIDTH: usize = 16;

/// The PR column's index, and the narrowest it shrinks to.
const PR: usize = 3;
const MIN_PR_WIDTH: usize = 12;

/// The whole block drawn on the terminal: title, table and counts, each line at
/// most `width` characters so that no line wraps, at most `height - 1` lines so
/// that the top stays on screen (the cursor can move back up to it).
pub fn block(
    info: &RunInfo,
    progress: &Progress,
    board: &[Task],
    width: usize,
    height: usize,
) -> String {
    let mut text = format!(
        "ops run · {} · {} · up to {} agents\n",
        info.mode.name(),
        info.agent,
        info.max_agents
    );
    // Title, header, "more" line, counts, and the line the cursor rests on.
    let max_rows = height.saturating_sub(5).max(1);
    text.push_str(&table(progress, board, width, max_rows));
    text.push_str(&counts(info, progress, board));
    text.push('\n');
    text.lines()
        .map(|line| format!("{}\n", cut(line, width)))
        .collect()
}

/// The table, its TASK and PR columns narrowed so that the rows fit in `width`, at most
/// `max_rows` rows (completed tasks give way first, then the last ones) and a line
/// saying how many are not shown.
pub fn table(progress: &Progress, board: &[Task], width: usize, max_rows: usize) -> String {
    let all = ordered(board);
    let shown = fit(&all, max_rows);
    let rows: Vec<[String; 7]> = shown
        .iter()
        .map(|task| {
            [
                String::new(),
                progress.owner(task),
                progress.status(task),
                task.pr.clone().unwrap_or_default(),
                progress.ci(&task.id).to_owned(),
                progress.deploy(task),
                task_cost(task).map(dollars).unwrap_or_default(),
            ]
        })
        .collect();
    let widest = |i: usize, rows: &[[String; 7]]| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([HEADER[i].len()])
            .max()
            .unwrap_or(0)
    };
    let others: usize = (1..HEADER.len())
        .filter(|&i| i != PR)
        .map(|i| widest(i, &rows))
        .sum();
    let gaps = 2 * (HEADER.len() - 1);
    // TASK and PR share what the other columns leave: a task's id is never cut; a
    // long change (a local branch repeats the id) and the title are cut alike.
    let room = width.saturating_sub(others + gaps);
    let id_width = shown
        .iter()
        .map(|t| t.id.as_str().chars().count() + 2) // the id, a space, "…"
        .max()
        .unwrap_or(0)
        .max(MIN_TASK_WIDTH);
    let pr_full = widest(PR, &rows);
    // Beyond the id and the narrowest PR, the title and the PR share what is left.
    let spare = room.saturating_sub(id_width + MIN_PR_WIDTH);
    let pr_width = (MIN_PR_WIDTH + spare / 2).clamp(MIN_PR_WIDTH.min(pr_full), pr_full);
    let task_width = room.saturating_sub(pr_width).max(id_width);
    let rows: Vec<[String; 7]> = shown
        .iter()
        .zip(rows)
        .map(|(task, mut row)| {
            row[0] = one_line(&format!("{} {}", task.id, task.title), task_width);
            row[PR] = one_line(&row[PR], pr_width);
            row
        })
        .collect();
    let mut text = columns(&HEADER, &rows);
    if shown.len() < all.len() {
        text.push_str(&format!(
            "… {} more tasks not shown (`ops status` lists them all)\n",
            all.len() - shown.len()
        ));
    }
    text
}

/// At most `max_rows` of `tasks`, in their order: completed ones are left out
/// first, then the last ones.
fn fit<'a>(tasks: &[&'a Task], max_rows: usize) -> Vec<&'a Task> {
    let mut completed_to_drop = tasks
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .count()
        .min(tasks.len().saturating_sub(max_rows));
    let mut shown: Vec<&Task> = tasks
        .iter()
        .copied()
        .filter(|t| {
            let drop = completed_to_drop > 0 && t.status == TaskStatus::Completed;
            completed_to_drop -= usize::from(drop);
            !drop
        })
        .collect();
    shown.truncate(max_rows);
    shown
}

/// `Completed N · In-flight N · Queued N · Blocked N`, and what was spent (of the
/// budget, when there is one).
pub fn counts(info: &RunInfo, progress: &Progress, board: &[Task]) -> String {
    let n = |f: fn(TaskStatus) -> bool| board.iter().filter(|t| f(t.status)).count();
    let mut text = format!(
        "Completed {} · In-flight {} · Queued {} · Blocked {}",
        n(|s| s == TaskStatus::Completed),
        n(TaskStatus::is_in_flight),
        n(|s| s == TaskStatus::Pending),
        n(TaskStatus::blocks_dependents),
    );
    match info.budget_usd {
        Some(budget) => text.push_str(&format!(
            " · spent {} of {}",
            dollars(progress.spent_usd),
            dollars(budget)
        )),
        None if progress.spent_usd > 0.0 => {
            text.push_str(&format!(" · spent {}", dollars(progress.spent_usd)));
        }
        None => {}
    }
    for (runtime, until) in &progress.paused {
        text.push_str(&format!(
            " · {runtime} paused until {} (rate or usage limit)",
            super::lines::moment(*until)
        ));
    }
    text
}

/// The tasks to show (all but deleted ones), by wave, then priority, then id.
pub fn ordered(board: &[Task]) -> Vec<&Task> {
    let waves = waves(board);
    let mut tasks: Vec<&Task> = board
        .iter()
        .filter(|t| t.status != TaskStatus::Deleted)
        .collect();
    tasks.sort_by_key(|t| (waves.get(&t.id).copied().unwrap_or(0), t.priority, &t.id));
    tasks
}

/// Each task's wave, counting only dependencies on tasks in `board` (a blocker
/// outside the scope does not hold a task back in the display).
fn waves(board: &[Task]) -> BTreeMap<TaskId, u32> {
    let mut graph = TaskGraph::new();
    for t in board {
        graph.add_task(t.id.clone());
    }
    for t in board {
        for b in &t.blocked_by {
            // Unknown blockers and (impossible on a valid board) cycles are left out.
            let _ = graph.add_dependency(b, &t.id);
        }
    }
    graph.waves()
}

/// `line` cut to `width` characters (the padding between columns is kept).
fn cut(line: &str, width: usize) -> String {
    line.chars().take(width).collect()
}
