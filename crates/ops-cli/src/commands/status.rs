//! `ops status`: the board as a table (ID, PRIORITY, STATUS, WAVE, ATTEMPTS, COST,
//! TITLE, REASON) followed by counts per status, or with `--json` an array of tasks.
//! COST is what the task's agents reported spending, summed over its attempts
//! (blank when none reported a cost).
//!
//! A state directory without a board shows an empty board and creates nothing.

use crate::cli::{GlobalArgs, Verbosity};
use crate::exit::CliError;
use crate::render::{dollars, moment, task_cost};
use crate::state_dir;
use ops_core::model::{Mode, Priority, Task, TaskId, TaskStatus, Timestamp};
use ops_core::{SqliteBoard, TaskGraph, TaskStore};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

/// The longest REASON shown in the table; `--json` carries the whole text.
const REASON_WIDTH: usize = 100;

/// Prints the board at `<state dir>/board.sqlite`.
pub fn run(global: &GlobalArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let state_dir = state_dir::resolve(global.state_dir.as_deref(), |name| std::env::var_os(name))?;
    let board = state_dir::board_path(&state_dir);
    let tasks = load(&board)?;
    let mut text = String::new();
    if !global.json && global.verbosity() >= Verbosity::Verbose {
        let note = if tasks.is_some() {
            ""
        } else {
            " (not created yet)"
        };
        text.push_str(&format!("board: {}{note}\n", board.display()));
    }
    text.push_str(&render(tasks.as_deref().unwrap_or_default(), global)?);
    out.write_all(text.as_bytes()).map_err(CliError::Output)
}

/// `tasks` as `ops status` shows them: the table and counts, or the `--json` array.
pub fn render(tasks: &[Task], global: &GlobalArgs) -> Result<String, CliError> {
    let rows = rows(tasks)?;
    if global.json {
        return Ok(json(&rows));
    }
    let mut text = table(&rows);
    if global.verbosity() >= Verbosity::Normal && !rows.is_empty() {
        text.push_str(&counts(&rows));
    }
    text.push_str(&pauses(tasks, Timestamp::now()));
    Ok(text)
}

/// Every task on the board at `path`, ordered by id; `None` if there is no board yet.
fn load(path: &Path) -> Result<Option<Vec<Task>>, CliError> {
    let exists = path.try_exists().map_err(|source| CliError::Io {
        what: "look for the board at",
        path: path.to_path_buf(),
        source,
    })?;
    if !exists {
        return Ok(None);
    }
    let tasks = super::block_on(async {
        let board = SqliteBoard::open(path).await?;
        board.list().await
    })??;
    Ok(Some(tasks))
}

/// One task as `ops status` shows it. The field names and order are the stable
/// `--json` contract: `branch` and `pr` appear once known, `cost_usd` (the sum
/// of the attempts' reported costs) once an agent reported one; `status_reason` is
/// `null` when there is nothing to say.
#[derive(Debug, Serialize)]
struct TaskRow<'a> {
    id: &'a TaskId,
    title: &'a str,
    project: &'a str,
    repo: &'a str,
    priority: Priority,
    mode: Mode,
    wave: u32,
    blocked_by: &'a BTreeSet<TaskId>,
    paths: &'a [String],
    status: TaskStatus,
    attempts: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pr: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
    status_reason: Option<&'a str>,
}

/// The rows of `tasks`, in the board's order (by id), with their waves.
fn rows(tasks: &[Task]) -> Result<Vec<TaskRow<'_>>, CliError> {
    let waves: BTreeMap<TaskId, u32> = TaskGraph::from_tasks(tasks)?.waves();
    Ok(tasks
        .iter()
        .map(|t| TaskRow {
            id: &t.id,
            title: &t.title,
            project: &t.project,
            repo: &t.repo,
            priority: t.priority,
            mode: t.mode,
            wave: waves.get(&t.id).copied().expect(
                "the graph was built from these tasks and is acyclic, so every task has a wave",
            ),
            blocked_by: &t.blocked_by,
            paths: &t.paths,
            status: t.status,
            attempts: t.attempts.len(),
            branch: t.branch.as_deref(),
            pr: t.pr.as_deref(),
            cost_usd: task_cost(t),
            status_reason: t.status_reason.as_deref(),
        })
        .collect())
}

fn json(rows: &[TaskRow<'_>]) -> String {
    let mut text = serde_json::to_string_pretty(rows)
        .expect("rows hold only strings, numbers and lists of them, which always encode");
    text.push('\n');
    text
}

const HEADER: [&str; 8] = [
    "ID", "PRIORITY", "STATUS", "WAVE", "ATTEMPTS", "COST", "TITLE", "REASON",
];

/// The table, ordered by wave then id; an empty board gets the header and a note.
fn table(rows: &[TaskRow<'_>]) -> String {
    let mut sorted: Vec<&TaskRow<'_>> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.wave, r.id));
    let cells: Vec<[String; 8]> = sorted
        .into_iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.priority.to_string(),
                r.status.to_string(),
                r.wave.to_string(),
                r.attempts.to_string(),
                r.cost_usd.map(dollars).unwrap_or_default(),
                super::one_line(r.title, usize::MAX),
                r.status_reason
                    .map(|s| super::one_line(s, REASON_WIDTH))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let mut text = super::columns(&HEADER, &cells);
    if cells.is_empty() {
        text.push_str("the board is empty\n");
    }
    text
}

/// One line per agent runtime a rate or usage limit holds at `now` (the latest
/// limit its tasks recorded): `claude waits until 2026-12-07 12:00:00 UTC: a rate
/// or usage limit (hit by t3: …)`.
fn pauses(tasks: &[Task], now: Timestamp) -> String {
    let mut latest: BTreeMap<&str, (Timestamp, &TaskId, &str)> = BTreeMap::new();
    for t in tasks {
        if let Some((runtime, until, reason)) = t.rate_limit().filter(|(_, u, _)| *u > now) {
            let e = latest.entry(runtime).or_insert((until, &t.id, reason));
            if until > e.0 {
                *e = (until, &t.id, reason);
            }
        }
    }
    latest
        .into_iter()
        .map(|(runtime, (until, task, reason))| {
            format!(
                "{runtime} waits until {}: a rate or usage limit (hit by {task}: {})\n",
                moment(until),
                super::one_line(reason, REASON_WIDTH)
            )
        })
        .collect()
}

/// `4 tasks: 2 pending, 1 in_progress, 1 completed`, in lifecycle order.
fn counts(rows: &[TaskRow<'_>]) -> String {
    let per_status: Vec<String> = TaskStatus::ALL
        .into_iter()
        .filter_map(|status| {
            let n = rows.iter().filter(|r| r.status == status).count();
            (n > 0).then(|| format!("{n} {status}"))
        })
        .collect();
    let noun = if rows.len() == 1 { "task" } else { "tasks" };
    format!("{} {noun}: {}\n", rows.len(), per_status.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_board_shows_the_header_and_says_it_is_empty() {
        assert_eq!(
            table(&[]),
            "ID  PRIORITY  STATUS  WAVE  ATTEMPTS  COST  TITLE  REASON\nthe board is empty\n"
        );
    }

    #[test]
    fn counts_list_only_statuses_present_in_lifecycle_order() {
        let mut done = Task::new(TaskId::new("b").expect("valid"), "b", "p", "r");
        done.status = TaskStatus::Completed;
        let tasks = [
            Task::new(TaskId::new("a").expect("valid"), "a", "p", "r"),
            done,
        ];
        let rows = rows(&tasks).expect("no edges");
        assert_eq!(counts(&rows), "2 tasks: 1 pending, 1 completed\n");
    }

    #[test]
    fn a_runtime_held_by_a_rate_limit_is_named_with_until_when_and_a_past_one_is_not() {
        use ops_core::model::{Attempt, AttemptOutcome};
        let limited = |name: &str, until: Timestamp| {
            let mut t = Task::new(TaskId::new(name).expect("valid"), name, "p", "r");
            t.attempts.push(Attempt {
                number: 1,
                brief: String::new(),
                started_at: Timestamp(0),
                ended_at: Some(Timestamp(0)),
                summary: None,
                cost_usd: None,
                outcome: Some(AttemptOutcome::RateLimited {
                    runtime: "claude".into(),
                    reason: "usage limit reached".into(),
                    until,
                }),
                session: None,
            });
            t
        };
        let now = Timestamp(1_767_225_600_000);
        let tasks = [
            limited("t1", Timestamp(now.0 + 60_000)),
            limited("t2", Timestamp(now.0 + 3_600_000)),
            limited("t3", Timestamp(now.0 - 1)),
        ];
        assert_eq!(
            pauses(&tasks, now),
            "claude waits until 2026-01-01 01:00:00 UTC: a rate or usage limit (hit by t2: usage limit reached)\n"
        );
        assert_eq!(pauses(&tasks[2..], now), "");
    }
}
