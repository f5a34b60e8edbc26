//! One human-readable line per event, stable enough to grep:
//! `12:03:04 ops-todo-1a2b in_progress → auditing`.

use super::cost::fine_dollars;
use super::progress::Progress;
use crate::commands::one_line;
use ops_core::model::{Task, Timestamp};
use ops_core::seams::{ChecksState, MergeOutcome, PromoteOutcome};
use ops_core::{Event, HaltReason};

/// The longest detail (reason, summary) a line carries unless `-v`.
pub const DETAIL_WIDTH: usize = 160;

/// `HH:MM:SS` of `at`, in UTC.
pub fn clock(at: Timestamp) -> String {
    at.to_rfc3339()[11..19].to_owned()
}

/// `2026-12-07 12:00:00 UTC`: a moment people are told to wait for.
pub fn moment(at: Timestamp) -> String {
    let text = at.to_rfc3339().replacen('T', " ", 1);
    format!("{} UTC", text.trim_end_matches('Z'))
}

/// The line for `event` (without the time), details cut to `detail_width`.
pub fn describe(event: &Event, board: &[Task], progress: &Progress, detail_width: usize) -> String {
    let d = |text: &str| one_line(text, detail_width);
    let with = |text: &str| {
        if text.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", d(text))
        }
    };
    let runtime = |task| progress.runtime(task).unwrap_or("agent").to_owned();
    match event {
        Event::RunStarted { worker, max_agents } => {
            format!("run started: worker {worker}, up to {max_agents} agents")
        }
        Event::TaskAdded { task } => {
            let title = board
                .iter()
                .find(|t| t.id == *task)
                .map(|t| t.title.as_str())
                .unwrap_or_default();
            format!("{task} added{}", with(title))
        }
        Event::TaskMoved {
            task,
            from,
            to,
            reason,
        } => format!(
            "{task} {from} → {to}{}",
            with(reason.as_deref().unwrap_or(""))
        ),
        Event::Reconciled {
            task,
            status,
            previous_owner,
        } => match previous_owner {
            Some(owner) => format!("{task} taken over in {status} from worker {owner}"),
            None => format!("{task} taken over in {status}"),
        },
        Event::AgentStarted {
            task,
            attempt,
            runtime,
        } => {
            let steered = board
                .iter()
                .any(|t| t.id == *task && t.mode == ops_core::model::Mode::Team);
            let how = if steered { ", steered" } else { "" };
            format!("{runtime} started on {task} (attempt {attempt}{how})")
        }
        Event::AgentAsked {
            task,
            attempt,
            idle_secs,
        } => format!(
            "{} quiet on {task} (attempt {attempt}) for {idle_secs}s: asked whether it is stuck",
            runtime(task)
        ),
        Event::UpstreamDelivered { task, from } => {
            format!("{task} told that upstream {from} landed (its summary, commit and files)")
        }
        Event::AgentStalled {
            task,
            attempt,
            idle_secs,
        } => format!(
            "{} stalled on {task} (attempt {attempt}): no activity for {idle_secs}s, stopped",
            runtime(task)
        ),
        Event::AgentFinished {
            task,
            attempt,
            succeeded,
            summary,
            cost_usd,
        } => {
            let how = if *succeeded { "ok" } else { "failed" };
            let cost = match cost_usd {
                Some(c) => fine_dollars(*c),
                None => "cost n/a".into(),
            };
            let summary = if *succeeded {
                String::new()
            } else {
                with(summary)
            };
            format!(
                "{} finished on {task} (attempt {attempt}): {how} ({cost}){summary}",
                runtime(task)
            )
        }
        Event::GateJudged {
            task,
            gate,
            passed,
            detail,
        } => {
            let verdict = if *passed { "passed" } else { "failed" };
            format!("{task} gate {gate} {verdict}{}", with(detail))
        }
        Event::ChangeOpened { task, change, url } => match url {
            Some(url) => format!("{task} change {change} opened: {url}"),
            None => format!("{task} change {change} opened"),
        },
        Event::ChecksChanged { task, checks, .. } => match checks {
            ChecksState::Pending => format!("{task} checks pending"),
            ChecksState::Passed => format!("{task} checks passed"),
            ChecksState::Failed { detail } => format!("{task} checks failed{}", with(detail)),
        },
        Event::BudgetSpent {
            spent_usd,
            budget_usd,
        } => format!(
            "budget spent: {} of {}; no more agents start, running ones finish",
            fine_dollars(*spent_usd),
            fine_dollars(*budget_usd)
        ),
        Event::MergeConfirmationRequested {
            task, change, head, ..
        } => format!(
            "{task} checks green on {}: waiting for confirmation to merge {change}",
            short(head)
        ),
        Event::MergeAttempted { task, outcome, .. } => match outcome {
            MergeOutcome::Merged { sha } => format!("{task} merged into dev ({})", short(sha)),
            MergeOutcome::AlreadyMerged { sha } => {
                format!("{task} already merged into dev ({})", short(sha))
            }
            MergeOutcome::HeadChanged { head } => {
                format!(
                    "{task} head moved to {} before the merge: checking again",
                    short(head)
                )
            }
            MergeOutcome::Refused { reason } => format!("{task} merge refused{}", with(reason)),
        },
        Event::Promoted { repo, outcome, .. } => match outcome {
            PromoteOutcome::Promoted { sha } => {
                format!("promoted dev → main in {repo} ({})", short(sha))
            }
            PromoteOutcome::UpToDate => format!("main already up to date with dev in {repo}"),
            PromoteOutcome::Skipped { reason } => {
                format!("promotion skipped in {repo}{}", with(reason))
            }
        },
        Event::FollowUpAdded { after, task, title } => {
            format!("{after} follow-up {task} added{}", with(title))
        }
        Event::RuntimePaused {
            runtime,
            task,
            until,
            reason,
        } => format!(
            "{runtime} paused until {} by a rate or usage limit (hit by {task}; the attempt does not count){}",
            moment(*until),
            with(reason)
        ),
        Event::RuntimeResumed { runtime } => {
            format!("{runtime} resumed: its rate or usage limit has reset")
        }
        Event::Retrying {
            task,
            attempt,
            reason,
        } => format!("{task} attempt {attempt} failed, retrying{}", with(reason)),
        Event::Warning { task, message } => match task {
            Some(task) => format!("warning: {task}: {}", d(message)),
            None => format!("warning: {}", d(message)),
        },
        Event::Interrupted { stopping_agents } => {
            if *stopping_agents {
                "interrupted again: stopping running agents".to_owned()
            } else {
                "interrupted: no more agents start, running ones finish (Ctrl-C again stops them)"
                    .to_owned()
            }
        }
        Event::Halted {
            reason,
            completed,
            blocked,
            remaining,
        } => format!(
            "halted: {}; {completed} completed, {} blocked, {remaining} left",
            halt_text(reason),
            blocked.len()
        ),
        other => format!("{other:?}"),
    }
}

/// Why the run stopped, in words.
pub fn halt_text(reason: &HaltReason) -> &'static str {
    match reason {
        HaltReason::AllDone => "every task is done",
        HaltReason::OnlyBlockedWork => "only blocked work is left",
        HaltReason::WaveLimit => "the wave limit (--max-waves) was reached",
        HaltReason::Interrupted => "interrupted",
        HaltReason::BudgetSpent => "the budget is spent",
        HaltReason::RateLimited => {
            "only work for an agent runtime paused by a rate or usage limit is left (--no-wait)"
        }
    }
}

/// The first 7 characters of a commit id.
fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
