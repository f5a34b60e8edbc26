//! `--json`: each event as the engine serializes it, one object per line, and the
//! final report as the last line (`{"event":"report",...}`; the schema is in the
//! module doc of [`super`]).

use super::RunInfo;
use super::cost::task_cost;
use super::progress::Progress;
use ops_core::model::{Task, TaskId, TaskStatus};
use ops_core::seams::PromoteOutcome;
use ops_core::{Event, HaltReason, RunReport};
use serde::Serialize;

/// `event` as one line of JSON.
pub fn event_line(event: &Event) -> String {
    let mut line = serde_json::to_string(event)
        .expect("events hold only strings, numbers and lists of them, which always encode");
    line.push('\n');
    line
}

/// A message of the CLI's own: `{"event":"note","message":...}`.
pub fn note_line(text: &str) -> String {
    let mut line = serde_json::json!({"event": "note", "message": text}).to_string();
    line.push('\n');
    line
}

/// The final report, one line.
pub fn report_line(
    info: &RunInfo,
    progress: &Progress,
    report: &RunReport,
    board: &[Task],
) -> String {
    let pr_of = |id: &TaskId| {
        board
            .iter()
            .find(|t| t.id == *id)
            .and_then(|t| t.pr.as_deref())
    };
    let json = Report {
        event: "report",
        mode: info.mode.name(),
        halt: &report.halt,
        completed: board
            .iter()
            .filter(|t| t.status == TaskStatus::Completed)
            .map(|t| &t.id)
            .collect(),
        shipped: report
            .shipped
            .iter()
            .map(|task| Shipped {
                task,
                pr: pr_of(task),
            })
            .collect(),
        promoted: report
            .promoted
            .iter()
            .map(|(repo, outcome)| Promoted { repo, outcome })
            .collect(),
        blocked: report
            .blocked
            .iter()
            .map(|(task, reason)| Blocked { task, reason })
            .collect(),
        follow_ups: progress
            .follow_ups
            .iter()
            .map(|f| FollowUp {
                after: &f.after,
                task: &f.task,
                title: &f.title,
            })
            .collect(),
        remaining: report.remaining,
        spent_usd: progress.spent_usd,
        tasks: board
            .iter()
            .map(|t| TaskLine {
                id: &t.id,
                status: t.status,
                pr: t.pr.as_deref(),
                cost_usd: task_cost(t),
            })
            .collect(),
    };
    let mut line = serde_json::to_string(&json)
        .expect("the report holds only strings, numbers and lists of them, which always encode");
    line.push('\n');
    line
}

#[derive(Serialize)]
struct Report<'a> {
    event: &'static str,
    mode: &'static str,
    halt: &'a HaltReason,
    completed: Vec<&'a TaskId>,
    shipped: Vec<Shipped<'a>>,
    promoted: Vec<Promoted<'a>>,
    blocked: Vec<Blocked<'a>>,
    follow_ups: Vec<FollowUp<'a>>,
    remaining: usize,
    spent_usd: f64,
    tasks: Vec<TaskLine<'a>>,
}

#[derive(Serialize)]
struct Shipped<'a> {
    task: &'a TaskId,
    pr: Option<&'a str>,
}

#[derive(Serialize)]
struct Promoted<'a> {
    repo: &'a str,
    outcome: &'a PromoteOutcome,
}

#[derive(Serialize)]
struct Blocked<'a> {
    task: &'a TaskId,
    reason: &'a str,
}

#[derive(Serialize)]
struct FollowUp<'a> {
    after: &'a TaskId,
    task: &'a TaskId,
    title: &'a str,
}

#[derive(Serialize)]
struct TaskLine<'a> {
    id: &'a TaskId,
    status: TaskStatus,
    pr: Option<&'a str>,
    cost_usd: Option<f64>,
}
