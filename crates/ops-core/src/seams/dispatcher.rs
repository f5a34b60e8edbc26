//! `Dispatcher`: starts an agent on a brief and hands back a running-agent handle.

use crate::error::Result;
use crate::model::{AgentSession, Task, TaskId, Timestamp};
use async_trait::async_trait;
use serde::Serialize;
use std::path::PathBuf;

/// Everything an agent is told about one attempt at one task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brief {
    /// The task as it was when dispatched.
    pub task: Task,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
    /// The branch the work goes on.
    pub branch: String,
    /// The full text given to the agent. Never the same for two attempts of a task.
    pub text: String,
    /// Set when the agent reviews a task's work instead of doing it (the security
    /// review): it gets its own throwaway worktree on [`ReviewOf::head`], removed
    /// with its branch when the agent ends; nothing it leaves is committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewOf>,
    /// The runtime session of the attempt before, to resume (the engine sets it
    /// when that attempt was cut off and ran on this runtime; a backend that
    /// cannot resume ignores it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<AgentSession>,
}

/// What a review brief reviews.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewOf {
    /// The branch holding the work under review: the review's branch starts at its head.
    pub head: String,
}

impl Brief {
    /// The task's id.
    pub fn task_id(&self) -> &TaskId {
        &self.task.id
    }
}

/// What a dispatcher backend can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DispatcherCapabilities {
    /// `AgentHandle::send` reaches a running team agent (a subagent's may
    /// refuse messages as unsupported: Codex steers only its `app-server` agents).
    pub steerable: bool,
    /// Outcomes carry a cost.
    pub reports_cost: bool,
    /// `last_activity` moves while the agent works (else only start and end count).
    pub reports_activity: bool,
}

/// How an agent's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgentStatus {
    /// The agent says it finished the task.
    Succeeded,
    /// The agent failed, crashed or produced nothing usable.
    Failed {
        /// Why.
        reason: String,
    },
    /// `stop` ended it.
    Stopped,
    /// The runtime refused to go on because of a rate or usage limit (HTTP 429, 529
    /// overloaded, Claude Code's `rate_limit_event`, "usage limit reached"): not
    /// the agent's fault. The engine pauses the runtime and does not count the attempt.
    RateLimited {
        /// What the runtime said (the API's own message).
        reason: String,
        /// When the limit resets, if the runtime said.
        resets_at: Option<Timestamp>,
    },
}

/// The result of one agent run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentOutcome {
    /// How it ended.
    pub status: AgentStatus,
    /// What the agent says it did (partial progress when stopped).
    pub summary: String,
    /// What it reported spending since the outcome before it (for a team agent
    /// kept between turns, that turn's cost, not the running total): the engine
    /// adds these up for the budget.
    pub cost_usd: Option<f64>,
    /// The worktree it worked in, if the backend made one.
    pub worktree: Option<PathBuf>,
    /// Files changed on the task's branch (relative to the repository root), when the
    /// backend can tell; empty otherwise. Team mode passes them to dependents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed_files: Vec<String>,
}

impl AgentOutcome {
    /// A failed outcome with `reason`.
    pub fn failed(reason: impl Into<String>) -> Self {
        AgentOutcome {
            status: AgentStatus::Failed {
                reason: reason.into(),
            },
            summary: String::new(),
            cost_usd: None,
            worktree: None,
            changed_files: Vec::new(),
        }
    }
}

/// A running agent. Every method takes `&self`, so the engine can wait for the
/// outcome while it checks activity, sends messages or stops the agent.
///
/// `wait` semantics. A one-shot agent (subagent mode, or any runtime that is not
/// steerable): `wait` returns when the agent's run has ended, and returns the same
/// outcome again when called again. A steerable agent run in team mode works in
/// turns: `wait` returns at the end of a turn when no message was sent since that
/// turn began — the agent then lives on, idle, and can be sent another message, which
/// starts a new turn (a later `wait` returns at its end). The process ends only at
/// `stop` (after which `wait` returns the final outcome, `Stopped`) or on its own
/// (crash, exit). Whoever holds a team agent must `stop` it when done with it.
#[async_trait]
pub trait AgentHandle: Send + Sync {
    /// Sends a message to the running agent. `Unsupported` unless the backend is steerable.
    async fn send(&self, message: &str) -> Result<()>;
    /// Stops the agent (its whole process group); `wait` then returns promptly.
    async fn stop(&self) -> Result<()>;
    /// Waits for the agent to end. Never hangs past `stop`, never panics on bad output.
    async fn wait(&self) -> AgentOutcome;
    /// When the agent last showed activity (a protocol event, a file written).
    fn last_activity(&self) -> tokio::time::Instant;
    /// The runtime's session id the agent runs in, when the runtime can resume it
    /// (the engine stores it on the attempt).
    fn session_id(&self) -> Option<String> {
        None
    }
}

/// Starts agents.
#[async_trait]
pub trait Dispatcher: Send + Sync {
    /// Short name (`claude`, `command`, ...).
    fn name(&self) -> &str;
    /// What this backend can do.
    fn capabilities(&self) -> DispatcherCapabilities;
    /// Starts an agent on `brief`. An error means no agent is running.
    async fn dispatch(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>>;
}
