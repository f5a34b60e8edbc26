//! The scheduler: an event-driven loop that keeps up to `max_agents` agents busy on
//! ready tasks, drives each through dispatch → audit → ship, retries with failure
//! context, stops stalled agents, and halts when nothing more can be done.
//!
//! The board is the only state that matters: the loop reads it whole once, then
//! follows its change feed ([`crate::TaskStore::changes`]); it claims a task by
//! saving it `in_progress` with a lease before starting its agent, and on start
//! takes over tasks that a dead worker left in flight.

pub mod brief;
mod config;
mod pause;
mod pipeline;
mod promote;
pub mod queue;
pub mod review;
mod run;
mod schedule;
mod team;

pub use config::{AWAITING_CONFIRMATION, EngineConfig, MergeConfirmation};
pub use pipeline::STATUS_CHECK;
pub use review::{ReviewVerdict, SecurityReview, read_verdict};

use crate::board::TaskStore;
use crate::error::Result;
use crate::event::{Event, EventBus, HaltReason};
use crate::model::{Task, TaskId, TaskStatus};
use crate::seams::{Dispatcher, PromoteOutcome, QualityGate, Shipper};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What the run loop can be told from outside.
#[derive(Debug)]
enum Control {
    /// Something changed on the board: look again.
    Wake,
    /// Ctrl-C: the first stops dispatching, the second stops running agents.
    Interrupt,
}

/// Merge questions waiting for an answer, by task.
pub(crate) type Confirmations =
    Arc<std::sync::Mutex<std::collections::BTreeMap<TaskId, tokio::sync::oneshot::Sender<bool>>>>;

/// Everything a pipeline needs, shared.
pub(crate) struct Ctx {
    confirmations: Confirmations,
    store: Arc<dyn TaskStore>,
    dispatcher: Arc<dyn Dispatcher>,
    gates: Vec<Arc<dyn QualityGate>>,
    /// The security review; `None`: a change that needs one is blocked.
    review: Option<review::SecurityReview>,
    shipper: Arc<dyn Shipper>,
    events: EventBus,
    config: EngineConfig,
    /// Running team agents (team mode).
    team: team::Team,
    /// Runtimes paused by a rate or usage limit.
    pauses: pause::Pauses,
    /// Dollars the agents of this run reported (the budget counts these).
    spent_usd: std::sync::Mutex<f64>,
    /// Removes secrets from agent output passed on to other agents.
    redactor: crate::secret::Redactor,
    /// The tasks this run's pipelines saved or inserted, as the board returned
    /// them: the run loop takes them in without reading them back.
    written: mpsc::UnboundedSender<Task>,
}

impl Ctx {
    /// Adds what an agent of this run reported spending; a cost that is not a
    /// finite, non-negative number is not counted, with a warning.
    fn add_spent(&self, task: &TaskId, cost_usd: Option<f64>) {
        let Some(cost) = cost_usd else { return };
        if !(cost.is_finite() && cost >= 0.0) {
            self.events.emit(Event::Warning {
                task: Some(task.clone()),
                message: format!("the agent reported a cost of {cost} dollars; not counted"),
            });
            return;
        }
        *self
            .spent_usd
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) += cost;
    }

    /// Dollars the agents of this run reported so far.
    fn spent_usd(&self) -> f64 {
        *self
            .spent_usd
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Tells the run loop what the board now holds for a task this run wrote.
    fn wrote(&self, task: &Task) {
        let _ = self.written.send(task.clone());
    }

    /// Saves `task` with its status unchanged.
    async fn save(&self, task: Task) -> Result<Task> {
        let saved = self.store.save(task).await?;
        self.wrote(&saved);
        Ok(saved)
    }

    /// Moves `task` to `to`, saves it, and reports the move once it is committed.
    async fn commit(&self, mut task: Task, to: TaskStatus, reason: Option<String>) -> Result<Task> {
        let from = task.status;
        task.move_to(to, reason.clone())?;
        let saved = self.store.save(task).await?;
        self.wrote(&saved);
        if from != to {
            self.events.emit(Event::TaskMoved {
                task: saved.id.clone(),
                from,
                to,
                reason,
            });
        }
        Ok(saved)
    }
}

/// The engine: a board, an agent runtime, gates and a shipper, and a loop that runs them.
pub struct Engine {
    ctx: Arc<Ctx>,
    control_tx: mpsc::UnboundedSender<Control>,
    control_rx: mpsc::UnboundedReceiver<Control>,
    written_rx: mpsc::UnboundedReceiver<Task>,
}

/// Talks to a running engine from elsewhere (another task, a signal handler).
#[derive(Clone)]
pub struct EngineHandle {
    confirmations: Confirmations,
    store: Arc<dyn TaskStore>,
    events: EventBus,
    control: mpsc::UnboundedSender<Control>,
}

impl EngineHandle {
    /// Puts a new task on the board, also while others run; the engine sees it at once.
    pub async fn add_task(&self, task: Task) -> Result<Task> {
        let task = self.store.insert(task).await?;
        self.events.emit(Event::TaskAdded {
            task: task.id.clone(),
        });
        let _ = self.control.send(Control::Wake);
        Ok(task)
    }

    /// Makes `dependent` wait for `blocker`, also while others run. Refused if `blocker`
    /// is unknown, it would close a cycle (the error names the cycle) or `dependent` has started.
    pub async fn add_dependency(&self, blocker: &TaskId, dependent: &TaskId) -> Result<Task> {
        let mut task = self
            .store
            .get(dependent)
            .await?
            .ok_or_else(|| crate::Error::UnknownTask(dependent.clone()))?;
        if !matches!(
            task.status,
            crate::model::TaskStatus::Pending | crate::model::TaskStatus::Blocked
        ) {
            return Err(crate::Error::AlreadyStarted {
                task: task.id,
                status: task.status,
            });
        }
        task.blocked_by.insert(blocker.clone());
        let saved = self.store.save(task).await?;
        let _ = self.control.send(Control::Wake);
        Ok(saved)
    }

    /// Answers a [`Event::MergeConfirmationRequested`] for `task`: `true` merges,
    /// `false` leaves the change open and blocks the task. Returns whether a
    /// question for that task was waiting.
    pub fn confirm_merge(&self, task: &TaskId, yes: bool) -> bool {
        let waiting = self
            .confirmations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(task);
        waiting.is_some_and(|tx| tx.send(yes).is_ok())
    }

    /// Interrupts the run: the first call stops dispatching and lets running agents
    /// finish; the second stops them.
    pub fn interrupt(&self) {
        let _ = self.control.send(Control::Interrupt);
    }
}

/// What a run did, for the final report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// Why the run stopped.
    pub halt: HaltReason,
    /// Tasks this run shipped.
    pub shipped: Vec<TaskId>,
    /// Tasks completed, in the run's scope (the whole board unless
    /// [`EngineConfig::projects`] or [`EngineConfig::fires_only`] narrow it).
    pub completed: usize,
    /// Blocked or failed tasks in scope with their reasons, and pending ones that
    /// wait for a task outside the scope.
    pub blocked: Vec<(TaskId, String)>,
    /// Tasks in scope left for a later run (interrupted, beyond `max_waves`, held
    /// by another worker, waiting outside the scope, not reached within the budget).
    pub remaining: usize,
    /// Promotions of dev to main: `(repo, outcome)`, for every repository in scope
    /// with a shipped task whose promotion is not yet recorded on the board (this
    /// run's merges, and those of a run that stopped before promoting).
    pub promoted: Vec<(String, PromoteOutcome)>,
    /// Dollars the agents of this run reported spending (what the budget counts).
    pub spent_usd: f64,
}

impl Engine {
    /// An engine over `store` with one agent runtime and one shipper; add gates with
    /// [`Engine::with_gate`] and settings with [`Engine::with_config`].
    pub fn new(
        store: Arc<dyn TaskStore>,
        dispatcher: Arc<dyn Dispatcher>,
        shipper: Arc<dyn Shipper>,
    ) -> Self {
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let (written, written_rx) = mpsc::unbounded_channel();
        Engine {
            ctx: Arc::new(Ctx {
                confirmations: Confirmations::default(),
                store,
                dispatcher,
                gates: Vec::new(),
                review: None,
                shipper,
                events: EventBus::new(),
                config: EngineConfig::default(),
                team: team::Team::default(),
                pauses: pause::Pauses::default(),
                spent_usd: std::sync::Mutex::new(0.0),
                redactor: crate::secret::Redactor::from_process_env(),
                written,
            }),
            control_tx,
            control_rx,
            written_rx,
        }
    }

    fn ctx_mut(&mut self) -> &mut Ctx {
        // Only called while building, before any clone of the Arc exists.
        Arc::get_mut(&mut self.ctx).expect("the engine is configured before it runs")
    }

    /// Adds a gate; every gate must pass, in the order added.
    pub fn with_gate(mut self, gate: Arc<dyn QualityGate>) -> Self {
        self.ctx_mut().gates.push(gate);
        self
    }

    /// Runs `review` for every change that needs the security review (see
    /// [`review`]); without one such a change is blocked, never shipped.
    pub fn with_security_review(mut self, review: review::SecurityReview) -> Self {
        self.ctx_mut().review = Some(review);
        self
    }

    /// Redacts with `redactor` what one agent's output tells another (an upstream
    /// summary in a dependent's brief or message); by default one that knows the
    /// secret-named variables of this process and the token patterns.
    pub fn with_redactor(mut self, redactor: crate::secret::Redactor) -> Self {
        self.ctx_mut().redactor = redactor;
        self
    }

    /// Replaces the settings.
    pub fn with_config(mut self, config: EngineConfig) -> Self {
        self.ctx_mut().config = config;
        self
    }

    /// The settings in use.
    pub fn config(&self) -> &EngineConfig {
        &self.ctx.config
    }

    /// The event bus: subscribe before `run` to see every event.
    pub fn events(&self) -> &EventBus {
        &self.ctx.events
    }

    /// A handle to add tasks and interrupt the run.
    pub fn handle(&self) -> EngineHandle {
        EngineHandle {
            confirmations: Arc::clone(&self.ctx.confirmations),
            store: Arc::clone(&self.ctx.store),
            events: self.ctx.events.clone(),
            control: self.control_tx.clone(),
        }
    }

    /// Runs until every task is completed, deleted, blocked or failed, `max_waves` is
    /// reached, or an interrupt. Dropping the future abandons the run like a crash:
    /// the next run resumes from the board. A budget (`budget_usd`) with a
    /// dispatcher that does not report costs is refused: nothing could count it.
    pub async fn run(self) -> Result<RunReport> {
        self.ctx.config.validate()?;
        if let Some(budget) = self.ctx.config.budget_usd
            && !self.ctx.dispatcher.capabilities().reports_cost
        {
            return Err(crate::Error::InvalidConfig {
                field: "budget_usd",
                value: format!(
                    "{budget} with the {} agent runtime, which reports no cost",
                    self.ctx.dispatcher.name()
                ),
                expected: "an agent runtime that reports what it spends (claude), or no budget",
            });
        }
        run::Run::new(self.ctx, self.control_rx, self.written_rx)
            .run()
            .await
    }
}
