//! Typed events: the engine reports every transition here, and any number of
//! subscribers (the CLI's renderers, tests, an embedding tool) read them in order.

use crate::model::{TaskId, TaskStatus, Timestamp, WorkerId};
use crate::seams::{ChecksState, MergeOutcome, PromoteOutcome};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HaltReason {
    /// Every task is completed or deleted.
    AllDone,
    /// Only blocked or failed work remains.
    OnlyBlockedWork,
    /// `max_waves` reached: the rest lies in later waves.
    WaveLimit,
    /// Interrupted.
    Interrupted,
    /// The agents of this run spent the budget (`budget_usd`); nothing more was dispatched.
    BudgetSpent,
    /// Only work for a runtime paused by a rate or usage limit is left, and the run
    /// was told not to wait (`wait_for_rate_limits` off, `--no-wait`).
    RateLimited,
}

/// Something that happened in the engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A run began.
    RunStarted {
        /// This worker.
        worker: WorkerId,
        /// The agent limit.
        max_agents: usize,
    },
    /// A task was put on the board.
    TaskAdded {
        /// The task.
        task: TaskId,
    },
    /// A task's status changed (committed to the board before this is sent).
    TaskMoved {
        /// The task.
        task: TaskId,
        /// Old status.
        from: TaskStatus,
        /// New status.
        to: TaskStatus,
        /// Why, when there is more to say.
        reason: Option<String>,
    },
    /// A task left in flight by a worker that is gone was taken over.
    Reconciled {
        /// The task.
        task: TaskId,
        /// The status it was found in.
        status: TaskStatus,
        /// The worker that had it, if any.
        previous_owner: Option<WorkerId>,
    },
    /// An agent started on a task.
    AgentStarted {
        /// The task.
        task: TaskId,
        /// Attempt number.
        attempt: u32,
        /// The dispatcher backend.
        runtime: String,
    },
    /// A team agent showed no activity for `stall_after` and was asked
    /// [`crate::engine::STATUS_CHECK`]; it is stopped only if nothing happens within
    /// `status_check_grace`.
    AgentAsked {
        /// The task.
        task: TaskId,
        /// Attempt number.
        attempt: u32,
        /// Seconds without activity.
        idle_secs: u64,
    },
    /// The output of an upstream task that landed was passed to the running agent
    /// of a task that builds on it (team mode).
    UpstreamDelivered {
        /// The dependent task whose agent was told.
        task: TaskId,
        /// The upstream task that landed.
        from: TaskId,
    },
    /// An agent showed no activity for `stall_after` and was stopped.
    AgentStalled {
        /// The task.
        task: TaskId,
        /// Attempt number.
        attempt: u32,
        /// Seconds without activity.
        idle_secs: u64,
    },
    /// An agent ended.
    AgentFinished {
        /// The task.
        task: TaskId,
        /// Attempt number.
        attempt: u32,
        /// Whether it says it succeeded.
        succeeded: bool,
        /// Its summary or failure reason.
        summary: String,
        /// What it spent.
        cost_usd: Option<f64>,
    },
    /// A gate judged an attempt.
    GateJudged {
        /// The task.
        task: TaskId,
        /// The gate.
        gate: String,
        /// Whether it passed.
        passed: bool,
        /// Its detail.
        detail: String,
    },
    /// A change was opened (or found open) for a task.
    ChangeOpened {
        /// The task.
        task: TaskId,
        /// The change's id.
        change: String,
        /// Its URL.
        url: Option<String>,
    },
    /// The checks of a task's change were read and differ from the previous
    /// reading of that change (the first reading counts as a change).
    ChecksChanged {
        /// The task.
        task: TaskId,
        /// The change.
        change: String,
        /// What they say now.
        checks: ChecksState,
    },
    /// The agents of this run have spent the budget: nothing more is dispatched;
    /// running agents finish and their work ships.
    BudgetSpent {
        /// Dollars the agents of this run reported.
        spent_usd: f64,
        /// The budget.
        budget_usd: f64,
    },
    /// Checks are green and the engine waits for a yes or no before merging:
    /// answer with [`crate::EngineHandle::confirm_merge`].
    MergeConfirmationRequested {
        /// The task.
        task: TaskId,
        /// The change.
        change: String,
        /// Its URL.
        url: Option<String>,
        /// The tested head the merge will be pinned to.
        head: String,
    },
    /// A merge attempt ended.
    MergeAttempted {
        /// The task.
        task: TaskId,
        /// The change.
        change: String,
        /// How it ended.
        outcome: MergeOutcome,
    },
    /// Dev was promoted (or not) to main.
    Promoted {
        /// The project.
        project: String,
        /// The repository.
        repo: String,
        /// How it ended.
        outcome: PromoteOutcome,
    },
    /// A P0 task was put on the board because a check after a merge failed.
    FollowUpAdded {
        /// The merged task.
        after: TaskId,
        /// The new task.
        task: TaskId,
        /// What failed.
        title: String,
    },
    /// A rate or usage limit paused an agent runtime: none of its agents starts
    /// before `until`; the attempt that hit it does not count.
    RuntimePaused {
        /// The runtime.
        runtime: String,
        /// The task whose agent hit the limit.
        task: TaskId,
        /// When the pause ends (the runtime's reset time, else ops' backoff).
        until: Timestamp,
        /// What the runtime said.
        reason: String,
    },
    /// A runtime's pause ended: its agents start again.
    RuntimeResumed {
        /// The runtime.
        runtime: String,
    },
    /// A task goes back to the queue for another attempt.
    Retrying {
        /// The task.
        task: TaskId,
        /// The attempt that failed.
        attempt: u32,
        /// Why it failed.
        reason: String,
    },
    /// Something a human should know that did not stop the run.
    Warning {
        /// The task it concerns, if one.
        task: Option<TaskId>,
        /// What happened.
        message: String,
    },
    /// An interrupt arrived: the first stops dispatching, the second stops agents.
    Interrupted {
        /// Whether running agents are being stopped.
        stopping_agents: bool,
    },
    /// The run stopped.
    Halted {
        /// Why.
        reason: HaltReason,
        /// Tasks completed, in the run's scope (the whole board by default).
        completed: usize,
        /// Blocked or failed tasks in scope and why, and pending ones waiting for
        /// a task outside the scope.
        blocked: Vec<(TaskId, String)>,
        /// Tasks in scope neither completed, deleted, blocked nor failed (left for a later run).
        remaining: usize,
    },
}

/// Delivers every event to every subscriber, in order, without dropping any.
#[derive(Debug, Clone, Default)]
pub struct EventBus {
    subscribers: Arc<Mutex<Vec<mpsc::UnboundedSender<Event>>>>,
}

impl EventBus {
    /// A bus with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new subscriber: it receives every event emitted from now on.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().push(tx);
        rx
    }

    /// Sends `event` to every live subscriber; forgets those that hung up.
    pub fn emit(&self, event: Event) {
        self.lock().retain(|tx| tx.send(event.clone()).is_ok());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<mpsc::UnboundedSender<Event>>> {
        // Senders stay valid even if a holder panicked.
        self.subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_subscriber_gets_every_event_in_order_and_dropped_ones_are_forgotten() {
        let bus = EventBus::new();
        let mut a = bus.subscribe();
        let b = bus.subscribe();
        drop(b);
        for max_agents in 0..100 {
            bus.emit(Event::RunStarted {
                worker: WorkerId("w".into()),
                max_agents,
            });
        }
        assert_eq!(bus.lock().len(), 1);
        for want in 0..100 {
            match a.recv().await {
                Some(Event::RunStarted { max_agents, .. }) => assert_eq!(max_agents, want),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn events_serialize_with_a_tag_naming_the_event() {
        let json = serde_json::to_value(Event::Interrupted {
            stopping_agents: true,
        })
        .expect("json");
        assert_eq!(json["event"], "interrupted");
        assert_eq!(json["stopping_agents"], true);
    }
}
