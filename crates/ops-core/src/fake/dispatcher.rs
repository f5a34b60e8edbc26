//! A fake agent runtime: each brief gets a scripted run (how long, how often it
//! shows activity, how it ends), driven by tokio's clock so tests can pause time.

use crate::error::{Error, ErrorKind, Result};
use crate::model::TaskId;
use crate::seams::{
    AgentHandle, AgentOutcome, AgentStatus, Brief, Dispatcher, DispatcherCapabilities,
};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// What a fake agent does with its brief.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeAgent {
    /// Works for `duration`, showing activity every `activity_every`, then succeeds.
    Succeed {
        /// How long it works.
        duration: Duration,
        /// How often it shows activity (`None`: only at start).
        activity_every: Option<Duration>,
    },
    /// Works for `duration`, then fails with `reason`.
    Fail {
        /// How long it works.
        duration: Duration,
        /// Why it fails.
        reason: String,
    },
    /// Never shows activity again and never ends until stopped.
    Hang,
    /// Waits (showing no activity) until it receives a message, then succeeds.
    AwaitMessage,
    /// A steerable agent working in turns (team mode): each turn works for `turn`,
    /// showing activity, and ends succeeded (`wait` returns); a message starts the
    /// next turn; it lives until stopped.
    Turns {
        /// How long each turn works.
        turn: Duration,
    },
    /// Succeeds at once, its summary (what it answers) `0` — e.g. a reviewer's verdict.
    Answer(String),
}

impl FakeAgent {
    /// Succeeds after `duration`, active throughout.
    pub fn succeed_after(duration: Duration) -> Self {
        FakeAgent::Succeed {
            duration,
            activity_every: Some(Duration::from_secs(30)),
        }
    }
}

/// What the fake runtime saw, for assertions.
#[derive(Debug, Default)]
pub struct FakeLog {
    /// Every brief dispatched, in order.
    pub briefs: Vec<Brief>,
    /// Agents running now.
    pub running: Vec<TaskId>,
    /// The most agents that ever ran at once.
    pub max_concurrent: usize,
    /// Messages sent to agents.
    pub messages: Vec<(TaskId, String)>,
    /// Pairs of tasks whose agents ran at once despite overlapping ownership.
    pub ownership_overlaps: Vec<(TaskId, TaskId)>,
}

type Script = dyn Fn(&Brief) -> FakeAgent + Send + Sync;

/// A [`Dispatcher`] whose agents follow a script.
#[derive(Clone)]
pub struct FakeDispatcher {
    script: Arc<Script>,
    log: Arc<Mutex<FakeLog>>,
    steerable: bool,
    running_briefs: Arc<Mutex<Vec<Brief>>>,
    worktrees: Option<std::path::PathBuf>,
}

impl FakeDispatcher {
    /// A runtime whose agent for each brief does what `script` says.
    pub fn new(script: impl Fn(&Brief) -> FakeAgent + Send + Sync + 'static) -> Self {
        FakeDispatcher {
            script: Arc::new(script),
            log: Arc::default(),
            steerable: true,
            running_briefs: Arc::default(),
            worktrees: None,
        }
    }

    /// The same runtime, its agents reporting the worktree `root/<task id>` in their
    /// outcomes (by default they report none). Nothing is created on disk.
    pub fn with_worktrees(mut self, root: impl Into<std::path::PathBuf>) -> Self {
        self.worktrees = Some(root.into());
        self
    }

    /// The same runtime, declaring itself not steerable (`send` is refused).
    pub fn not_steerable(mut self) -> Self {
        self.steerable = false;
        self
    }

    /// What it saw so far.
    pub fn log(&self) -> std::sync::MutexGuard<'_, FakeLog> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn started(&self, brief: &Brief) {
        let mut running = self
            .running_briefs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut log = self.log();
        // A reviewer reads a task's work in its own throwaway worktree: it owns nothing.
        for other in running.iter().filter(|_| brief.review.is_none()) {
            if other.task.ownership_overlaps(&brief.task) {
                log.ownership_overlaps
                    .push((other.task.id.clone(), brief.task.id.clone()));
            }
        }
        if brief.review.is_none() {
            running.push(brief.clone());
        }
        log.briefs.push(brief.clone());
        log.running.push(brief.task.id.clone());
        log.max_concurrent = log.max_concurrent.max(log.running.len());
    }
}

fn ended(log: &Mutex<FakeLog>, running: &Mutex<Vec<Brief>>, id: &TaskId, review: bool) {
    // Same lock order as `started`: running briefs, then the log.
    let mut running = running
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(i) = log.running.iter().position(|r| r == id) {
        log.running.remove(i);
    }
    if let Some(i) = running
        .iter()
        .position(|b| &b.task.id == id)
        .filter(|_| !review)
    {
        running.remove(i);
    }
}

#[async_trait]
impl Dispatcher for FakeDispatcher {
    fn name(&self) -> &str {
        "fake"
    }

    fn capabilities(&self) -> DispatcherCapabilities {
        DispatcherCapabilities {
            steerable: self.steerable,
            reports_cost: true,
            reports_activity: true,
        }
    }

    async fn dispatch(&self, brief: &Brief) -> Result<Box<dyn AgentHandle>> {
        let plan = (self.script)(brief);
        self.started(brief);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (message_tx, message_rx) = watch::channel(0usize);
        let (outcome_tx, outcome_rx) = watch::channel(None);
        let (turn_tx, turn_rx) = watch::channel(None);
        let activity = Arc::new(Mutex::new(Instant::now()));
        let (log, running, id) = (
            Arc::clone(&self.log),
            Arc::clone(&self.running_briefs),
            brief.task.id.clone(),
        );
        let act = Arc::clone(&activity);
        let worktree = self.worktrees.as_ref().map(|r| r.join(id.as_str()));
        let review = brief.review.is_some();
        tokio::spawn(async move {
            let outcome = play(plan, act, stop_rx, message_rx, turn_tx, worktree).await;
            ended(&log, &running, &id, review);
            let _ = outcome_tx.send(Some(outcome));
        });
        Ok(Box::new(FakeHandle {
            task: brief.task.id.clone(),
            steerable: self.steerable,
            log: Arc::clone(&self.log),
            activity,
            stop: stop_tx,
            message: message_tx,
            outcome: outcome_rx,
            turn: turn_rx,
        }))
    }
}

/// Plays one scripted agent until it ends or is stopped.
async fn play(
    plan: FakeAgent,
    activity: Arc<Mutex<Instant>>,
    mut stop: watch::Receiver<bool>,
    mut messages: watch::Receiver<usize>,
    turns: watch::Sender<Option<(usize, AgentOutcome)>>,
    worktree: Option<std::path::PathBuf>,
) -> AgentOutcome {
    let touch = || {
        *activity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now()
    };
    let outcome = |status, summary: &str| AgentOutcome {
        status,
        summary: summary.into(),
        cost_usd: Some(0.01),
        worktree: worktree.clone(),
        changed_files: Vec::new(),
    };
    let (duration, every, ending) = match plan {
        FakeAgent::Succeed {
            duration,
            activity_every,
        } => (duration, activity_every, None),
        FakeAgent::Fail { duration, reason } => (duration, None, Some(reason)),
        FakeAgent::Answer(text) => {
            touch();
            return outcome(AgentStatus::Succeeded, &text);
        }
        FakeAgent::Hang => {
            let _ = stop.wait_for(|s| *s).await;
            return outcome(AgentStatus::Stopped, "hung without progress");
        }
        FakeAgent::Turns { turn } => {
            let mut seen = 0usize;
            let mut number = 0u32;
            loop {
                number += 1;
                touch();
                tokio::select! {
                    () = tokio::time::sleep(turn) => touch(),
                    _ = stop.wait_for(|s| *s) => return outcome(AgentStatus::Stopped, "stopped mid-turn"),
                }
                let _ = turns.send(Some((
                    seen,
                    outcome(AgentStatus::Succeeded, &format!("turn {number} done")),
                )));
                tokio::select! {
                    got = messages.wait_for(|n| *n > seen) => match got {
                        Ok(n) => seen = *n,
                        Err(_) => return outcome(AgentStatus::Stopped, "the handle is gone"),
                    },
                    _ = stop.wait_for(|s| *s) => return outcome(AgentStatus::Stopped, "stopped between turns"),
                }
            }
        }
        FakeAgent::AwaitMessage => {
            tokio::select! {
                _ = messages.wait_for(|n| *n > 0) => {
                    touch();
                    return outcome(AgentStatus::Succeeded, "acted on the message");
                }
                _ = stop.wait_for(|s| *s) => return outcome(AgentStatus::Stopped, "waited for a message"),
            }
        }
    };
    let end = Instant::now() + duration;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let next = every.map_or(end, |e| (now + e).min(end));
        tokio::select! {
            () = tokio::time::sleep_until(next) => touch(),
            _ = stop.wait_for(|s| *s) => return outcome(AgentStatus::Stopped, "stopped partway"),
        }
    }
    match ending {
        None => outcome(AgentStatus::Succeeded, "did the task"),
        Some(reason) => AgentOutcome {
            status: AgentStatus::Failed { reason },
            ..outcome(AgentStatus::Stopped, "")
        },
    }
}

struct FakeHandle {
    task: TaskId,
    steerable: bool,
    log: Arc<Mutex<FakeLog>>,
    activity: Arc<Mutex<Instant>>,
    stop: watch::Sender<bool>,
    message: watch::Sender<usize>,
    outcome: watch::Receiver<Option<AgentOutcome>>,
    /// The last turn's end: (messages received before it, its outcome).
    turn: watch::Receiver<Option<(usize, AgentOutcome)>>,
}

#[async_trait]
impl AgentHandle for FakeHandle {
    async fn send(&self, message: &str) -> Result<()> {
        if !self.steerable {
            return Err(Error::backend(
                "fake",
                "send a message",
                ErrorKind::Unsupported,
                "this runtime is not steerable",
            ));
        }
        if self.outcome.borrow().is_some() {
            return Err(Error::backend(
                "fake",
                "send a message",
                ErrorKind::Invalid,
                "the agent has ended",
            ));
        }
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .messages
            .push((self.task.clone(), message.to_string()));
        self.message.send_modify(|n| *n += 1);
        Ok(())
    }

    async fn stop(&self) -> Result<()> {
        let _ = self.stop.send(true);
        Ok(())
    }

    async fn wait(&self) -> AgentOutcome {
        let mut rx = self.outcome.clone();
        let mut turn = self.turn.clone();
        // A turn that ended with every message sent so far taken in (team agents).
        let turn_end = async {
            let ended = turn
                .wait_for(|t| {
                    t.as_ref()
                        .is_some_and(|(seen, _)| *seen == *self.message.borrow())
                })
                .await
                .map(|t| t.as_ref().map(|(_, o)| o.clone()));
            match ended {
                Ok(o) => o,
                // No turns from this agent: only its end counts.
                Err(_) => std::future::pending().await,
            }
        };
        let found = tokio::select! {
            o = rx.wait_for(Option::is_some) => o.ok().and_then(|o| o.clone()),
            t = turn_end => t,
        };
        // None: the player task is gone without an outcome (runtime shutting down).
        found.unwrap_or_else(|| AgentOutcome::failed("the fake agent vanished"))
    }

    fn last_activity(&self) -> Instant {
        *self
            .activity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
