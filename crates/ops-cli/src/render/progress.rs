//! What the live view learns from the events and the board does not hold: who runs
//! a task's agent, its checks, its merge and promotion, follow-ups, what was spent.

use ops_core::Event;
use ops_core::model::{Task, TaskId, TaskStatus, WorkerId};
use ops_core::seams::{ChecksState, MergeOutcome, PromoteOutcome};
use std::collections::BTreeMap;

/// Everything seen so far in this run.
#[derive(Debug, Default)]
pub struct Progress {
    /// This worker, once the run started.
    pub worker: Option<WorkerId>,
    /// Per task, what the events said.
    pub tasks: BTreeMap<TaskId, TaskProgress>,
    /// Promotions of dev to main, by repository, in the order they happened.
    pub promoted: Vec<(String, PromoteOutcome)>,
    /// Follow-up tasks added after merges, in order.
    pub follow_ups: Vec<FollowUp>,
    /// Dollars the agents of this run reported.
    pub spent_usd: f64,
    /// Agent runtimes paused by a rate or usage limit, and until when.
    pub paused: BTreeMap<String, ops_core::model::Timestamp>,
}

/// What the events said about one task.
#[derive(Debug, Default)]
pub struct TaskProgress {
    /// The agent running it now: runtime and attempt number.
    pub agent: Option<(String, u32)>,
    /// The runtime of its last agent (for lines about a finished agent).
    pub runtime: Option<String>,
    /// Its change's checks, as last read.
    pub checks: Option<ChecksState>,
    /// How its last merge attempt ended.
    pub merge: Option<MergeOutcome>,
    /// Green and waiting for a yes or no before merging.
    pub awaiting_confirmation: bool,
    /// Follow-ups added after its merge.
    pub follow_ups: usize,
}

/// A task added because a check after a merge failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// The merged task.
    pub after: TaskId,
    /// The new task.
    pub task: TaskId,
    /// What failed.
    pub title: String,
}

impl Progress {
    /// Takes `event` into account.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::RunStarted { worker, .. } => self.worker = Some(worker.clone()),
            Event::TaskMoved { task, to, .. } => {
                let t = self.task(task);
                if !to.is_in_flight() {
                    t.agent = None;
                }
                if matches!(to, TaskStatus::Pending | TaskStatus::InProgress) {
                    // Another attempt: its change gets a new head, new checks, a new merge.
                    t.checks = None;
                    t.merge = None;
                }
                t.awaiting_confirmation = false;
            }
            Event::AgentStarted {
                task,
                attempt,
                runtime,
            } => {
                let t = self.task(task);
                t.agent = Some((runtime.clone(), *attempt));
                t.runtime = Some(runtime.clone());
            }
            Event::AgentStalled { task, .. } => self.task(task).agent = None,
            Event::AgentFinished { task, cost_usd, .. } => {
                self.task(task).agent = None;
                if let Some(cost) = cost_usd.filter(|c| super::cost::usable(*c)) {
                    self.spent_usd += cost;
                }
            }
            Event::ChecksChanged { task, checks, .. } => {
                self.task(task).checks = Some(checks.clone());
            }
            Event::MergeConfirmationRequested { task, .. } => {
                self.task(task).awaiting_confirmation = true;
            }
            Event::MergeAttempted { task, outcome, .. } => {
                let t = self.task(task);
                t.merge = Some(outcome.clone());
                t.awaiting_confirmation = false;
            }
            Event::Promoted { repo, outcome, .. } => {
                self.promoted.push((repo.clone(), outcome.clone()));
            }
            Event::FollowUpAdded { after, task, title } => {
                self.task(after).follow_ups += 1;
                self.follow_ups.push(FollowUp {
                    after: after.clone(),
                    task: task.clone(),
                    title: title.clone(),
                });
            }
            Event::BudgetSpent { spent_usd, .. } => {
                // The engine's count is the authority; ours only adds up what we saw.
                self.spent_usd = self.spent_usd.max(*spent_usd);
            }
            Event::RuntimePaused { runtime, until, .. } => {
                self.paused.insert(runtime.clone(), *until);
            }
            Event::RuntimeResumed { runtime } => {
                self.paused.remove(runtime);
            }
            _ => {}
        }
    }

    fn task(&mut self, id: &TaskId) -> &mut TaskProgress {
        self.tasks.entry(id.clone()).or_default()
    }

    /// The runtime of the task's last agent, if one was seen.
    pub fn runtime(&self, task: &TaskId) -> Option<&str> {
        self.tasks.get(task)?.runtime.as_deref()
    }

    /// OWNER: the running agent (`claude #2`), or the worker holding the task's
    /// lease when that is another worker; empty otherwise.
    pub fn owner(&self, task: &Task) -> String {
        if let Some((runtime, attempt)) = self.tasks.get(&task.id).and_then(|t| t.agent.as_ref()) {
            return format!("{runtime} #{attempt}");
        }
        match &task.lease {
            Some(lease)
                if task.status.is_in_flight() && self.worker.as_ref() != Some(&lease.owner) =>
            {
                lease.owner.to_string()
            }
            _ => String::new(),
        }
    }

    /// STATUS: the board's status, or `awaiting confirmation` when a green change
    /// waits for a human.
    pub fn status(&self, task: &Task) -> String {
        let waiting = self
            .tasks
            .get(&task.id)
            .is_some_and(|t| t.awaiting_confirmation);
        let blocked_waiting = task.status == TaskStatus::Blocked
            && task
                .status_reason
                .as_deref()
                .is_some_and(|r| r.starts_with(ops_core::engine::AWAITING_CONFIRMATION));
        if waiting || blocked_waiting {
            ops_core::engine::AWAITING_CONFIRMATION.to_owned()
        } else {
            task.status.to_string()
        }
    }

    /// CI: `pending`, `passed` or `failed`, once the checks were read.
    pub fn ci(&self, task: &TaskId) -> &'static str {
        match self.tasks.get(task).and_then(|t| t.checks.as_ref()) {
            None => "",
            Some(ChecksState::Pending) => "pending",
            Some(ChecksState::Passed) => "passed",
            Some(ChecksState::Failed { .. }) => "failed",
        }
    }

    /// DEPLOY: `merged`, `promoted` or `promotion skipped` (the task's repository
    /// after its merge), `merge refused`, `head moved`; `follow-up added` after
    /// a check after the merge failed. A task completed with a change before this
    /// run (no merge event seen) counts as merged, and as promoted when the board
    /// records its promotion.
    pub fn deploy(&self, task: &Task) -> String {
        let seen = self.tasks.get(&task.id);
        let merge = seen.and_then(|t| t.merge.as_ref());
        let merged = matches!(
            merge,
            Some(MergeOutcome::Merged { .. } | MergeOutcome::AlreadyMerged { .. })
        ) || (task.status == TaskStatus::Completed && task.pr.is_some());
        let promotion = self
            .promoted
            .iter()
            .rev()
            .find(|(repo, _)| *repo == task.repo)
            .map(|(_, outcome)| outcome);
        let base = match (merge, promotion) {
            // Its merge reached main in an earlier run (the board records it).
            _ if merged && task.promoted_at.is_some() => "promoted",
            (_, Some(PromoteOutcome::Promoted { .. } | PromoteOutcome::UpToDate)) if merged => {
                "promoted"
            }
            (_, Some(PromoteOutcome::Skipped { .. })) if merged => "promotion skipped",
            _ if merged => "merged",
            (Some(MergeOutcome::HeadChanged { .. }), _) => "head moved",
            (Some(MergeOutcome::Refused { .. }), _) => "merge refused",
            _ => "",
        };
        match (base, seen.map_or(0, |t| t.follow_ups)) {
            (base, 0) => base.to_owned(),
            ("", _) => "follow-up added".to_owned(),
            (base, _) => format!("{base}, follow-up added"),
        }
    }
}
