//! The run loop: read the board's change feed (the whole board once, at the
//! start), settle blocks, take over orphans, dispatch what may start, then sleep
//! until a pipeline, the handle or a timer wakes it. Each pass costs what changed
//! since the last one: the picture of the board lives in a [`Schedule`].

use super::pipeline::{self, AgentDone, Finished};
use super::promote;
use super::queue::{BlockChange, BoardView};
use super::schedule::Schedule;
use super::{Control, Ctx, RunReport};
use crate::error::{Error, ErrorKind, Result};
use crate::event::{Event, HaltReason};
use crate::model::{AttemptOutcome, Lease, Task, TaskId, TaskStatus, Timestamp};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{MissedTickBehavior, interval};

/// Tasks read from the change feed per call.
const FEED_PAGE: usize = 1_000;
/// The first wait after a retryable board error; it grows linearly to six times this.
const BOARD_RETRY: std::time::Duration = std::time::Duration::from_secs(1);
/// Retryable board errors in a row that end the run.
const BOARD_MAX_FAILURES: u32 = 10;
/// A sum of reported costs may land a hair under the budget it meets (0.7 + 0.1).
const BUDGET_SLACK_USD: f64 = 1e-9;

pub(super) struct Run {
    ctx: Arc<Ctx>,
    control: mpsc::UnboundedReceiver<Control>,
    notes_tx: mpsc::UnboundedSender<AgentDone>,
    notes: mpsc::UnboundedReceiver<AgentDone>,
    /// This worker's pipelines; dropping the set aborts them (like a crash).
    pipelines: JoinSet<Finished>,
    /// Tasks with a pipeline here: which pipeline, and whether it is still in its agent phase.
    running: BTreeMap<TaskId, (tokio::task::Id, bool)>,
    /// Which task each pipeline drives, to clean up after one that panicked.
    pipeline_tasks: BTreeMap<tokio::task::Id, TaskId>,
    interrupts: u32,
    /// The budget is spent: nothing more is dispatched.
    budget_spent: bool,
    stop_tx: watch::Sender<bool>,
    shipped: Vec<TaskId>,
    /// The board as this run knows it.
    schedule: Schedule,
    /// Where the board's change feed is read next.
    cursor: u64,
    /// What this run's pipelines wrote, as the board returned it.
    written: mpsc::UnboundedReceiver<Task>,
    /// Whether the next pass reads the feed: at the start, on each poll tick,
    /// when woken (a task added through the handle) and at the end. Between,
    /// the run's own writes come through `written`, not read back.
    feed_due: bool,
}

impl Run {
    pub(super) fn new(
        ctx: Arc<Ctx>,
        control: mpsc::UnboundedReceiver<Control>,
        written: mpsc::UnboundedReceiver<Task>,
    ) -> Self {
        let (notes_tx, notes) = mpsc::unbounded_channel();
        Run {
            ctx: Arc::clone(&ctx),
            control,
            notes_tx,
            notes,
            pipelines: JoinSet::new(),
            running: BTreeMap::new(),
            pipeline_tasks: BTreeMap::new(),
            interrupts: 0,
            budget_spent: false,
            stop_tx: watch::channel(false).0,
            shipped: Vec::new(),
            schedule: Schedule::new(
                ctx.config.projects.clone(),
                ctx.config.fires_only,
                ctx.config.max_waves,
            )
            // Team consumers of running cross-repo team work start early when
            // the runtime can be steered (they hear its output when it lands).
            .with_early_team(ctx.dispatcher.capabilities().steerable),
            cursor: 0,
            written,
            feed_due: true,
        }
    }

    pub(super) async fn run(mut self) -> Result<RunReport> {
        let config = self.ctx.config.clone();
        self.ctx.events.emit(Event::RunStarted {
            worker: config.worker.clone(),
            max_agents: config.max_agents,
        });
        let mut heartbeat = interval(config.lease_ttl / 3);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut poll = interval(config.board_poll);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut board_failures: u32 = 0;
        loop {
            match self.pass().await {
                Ok(Some(halt)) => return self.finish(halt).await,
                Ok(None) => board_failures = 0,
                Err(e) => {
                    // A busy or briefly unreachable board: say so and try again
                    // with backoff; anything else ends the run.
                    board_failures = self.transient(e, board_failures)?;
                    tokio::time::sleep(BOARD_RETRY.saturating_mul(board_failures.min(6))).await;
                    continue;
                }
            }
            tokio::select! {
                Some(done) = self.pipelines.join_next_with_id() => self.on_finished(done),
                Some(note) = self.notes.recv() => self.on_agent_done(note),
                Some(control) = self.control.recv() => self.on_control(control),
                _ = heartbeat.tick() => {
                    let until = Timestamp::now().plus(config.lease_ttl);
                    if let Err(e) = self.ctx.store.renew_leases(&config.worker, until).await {
                        board_failures = self.transient(e, board_failures)?;
                    }
                }
                _ = poll.tick() => self.feed_due = true,
                () = super::pause::next_end(&self.ctx.pauses) => {}
            }
            // Drain whatever else arrived so one board read serves them all.
            while let Ok(note) = self.notes.try_recv() {
                self.on_agent_done(note);
            }
            while let Some(done) = self.pipelines.try_join_next_with_id() {
                self.on_finished(done);
            }
        }
    }

    /// One pass: take in what changed on the board, settle blocks, take over
    /// orphans, dispatch; the halt reason when nothing runs and nothing can start.
    async fn pass(&mut self) -> Result<Option<HaltReason>> {
        self.sync().await?;
        self.settle_blocks().await?;
        self.take_over_orphans().await?;
        self.watch_budget();
        self.watch_pauses();
        if self.interrupts == 0 && !self.budget_spent && !self.runtime_paused() {
            self.dispatch().await?;
        }
        Ok(if self.running.is_empty() {
            self.halt_reason()
        } else {
            None
        })
    }

    /// Takes in what this run's pipelines wrote and, when due, the tasks
    /// inserted or saved since the last read of the feed (by the planner, or
    /// another process on the same board). The feed a page at a time: the
    /// first read of a big board never holds a second copy of it.
    async fn sync(&mut self) -> Result<()> {
        let mut written = Vec::new();
        while let Ok(task) = self.written.try_recv() {
            written.push(task);
        }
        self.schedule.apply(written);
        if !self.feed_due {
            return Ok(());
        }
        loop {
            let page = self.ctx.store.changes_page(self.cursor, FEED_PAGE).await?;
            let advanced = page.cursor > self.cursor;
            let full = page.tasks.len() >= FEED_PAGE;
            self.cursor = page.cursor;
            self.schedule.apply(page.tasks);
            // A board on the default feed returns everything at once, cursor 0.
            if !(full && advanced) {
                self.feed_due = false;
                return Ok(());
            }
        }
    }

    /// The board as it is now, narrowed to the run's scope (read whole: for the
    /// final report only).
    async fn view(&self) -> Result<BoardView> {
        let config = &self.ctx.config;
        Ok(BoardView::new(self.ctx.store.list().await?)?
            .scoped(config.projects.as_ref(), config.fires_only))
    }

    /// Notices, once, that the agents of this run have spent the budget.
    fn watch_budget(&mut self) {
        let Some(budget_usd) = self.ctx.config.budget_usd else {
            return;
        };
        let spent_usd = self.ctx.spent_usd();
        if !self.budget_spent && spent_usd + BUDGET_SLACK_USD >= budget_usd {
            self.budget_spent = true;
            self.ctx.events.emit(Event::BudgetSpent {
                spent_usd,
                budget_usd,
            });
        }
    }

    /// A retryable board error becomes a warning (and the count of failures in
    /// a row); any other error, or too many in a row, ends the run.
    fn transient(&self, e: Error, failures: u32) -> Result<u32> {
        if e.kind() != ErrorKind::Retryable || failures + 1 >= BOARD_MAX_FAILURES {
            return Err(e);
        }
        self.ctx.events.emit(Event::Warning {
            task: None,
            message: format!("the board failed, retrying: {e}"),
        });
        Ok(failures + 1)
    }

    /// Agents running now.
    fn agents(&self) -> usize {
        self.running
            .values()
            .filter(|(_, in_agent)| *in_agent)
            .count()
    }

    fn on_agent_done(&mut self, AgentDone(task, pipeline): AgentDone) {
        // Only the pipeline that holds the slot frees it (a late note from an
        // earlier pipeline of the same task must not).
        if let Some((holder, in_agent)) = self.running.get_mut(&task)
            && *holder == pipeline
        {
            *in_agent = false;
        }
    }

    fn on_finished(
        &mut self,
        done: std::result::Result<(tokio::task::Id, Finished), tokio::task::JoinError>,
    ) {
        match done {
            Ok((pid, (task, merged))) => {
                self.pipeline_tasks.remove(&pid);
                if self
                    .running
                    .get(&task)
                    .is_some_and(|(holder, _)| *holder == pid)
                {
                    self.running.remove(&task);
                }
                if merged.is_some() {
                    // Team mode: running agents that build on it hear what landed.
                    let ctx = Arc::clone(&self.ctx);
                    let done = task.clone();
                    tokio::spawn(async move { ctx.team.announce(&ctx, &done).await });
                    self.shipped.push(task);
                }
            }
            Err(e) => {
                // A panicking pipeline is a bug; its task stays on the board, in flight
                // with this worker's lease, and the next pass takes it over.
                if let Some(task) = self.pipeline_tasks.remove(&e.id()) {
                    if self
                        .running
                        .get(&task)
                        .is_some_and(|(holder, _)| *holder == e.id())
                    {
                        self.running.remove(&task);
                    }
                    self.ctx.events.emit(Event::Warning {
                        task: Some(task),
                        message: format!("the task's pipeline panicked: {e}"),
                    });
                }
            }
        }
    }

    fn on_control(&mut self, control: Control) {
        match control {
            Control::Wake => self.feed_due = true,
            Control::Interrupt => {
                self.interrupts += 1;
                let stopping_agents = self.interrupts >= 2;
                if stopping_agents {
                    let _ = self.stop_tx.send(true);
                }
                self.ctx.events.emit(Event::Interrupted { stopping_agents });
            }
        }
    }

    /// Applies the status changes blockers imply, until they imply no more.
    async fn settle_blocks(&mut self) -> Result<()> {
        loop {
            let changes = self.schedule.block_changes();
            if changes.is_empty() {
                return Ok(());
            }
            for change in changes {
                let (id, to, reason, on) = match change {
                    BlockChange::Block { task, on, reason } => {
                        (task, TaskStatus::Blocked, Some(reason), Some(on))
                    }
                    BlockChange::Unblock { task } => (task, TaskStatus::Pending, None, None),
                };
                // The schedule keeps what its decisions read; the save is of
                // the whole task, as the board holds it.
                let Some(mut task) = self.ctx.store.get(&id).await? else {
                    continue;
                };
                if !self.schedule.is_current(&task) {
                    // Changed elsewhere since: judged again on that version.
                    self.schedule.apply([task]);
                    continue;
                }
                task.blocked_on = on;
                match self.ctx.commit(task, to, reason).await {
                    Ok(saved) => self.schedule.apply([saved]),
                    // Another worker changed it first; the feed brings its version.
                    Err(e) if e.kind() == crate::error::ErrorKind::Conflict => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// Whether an in-flight task has no live owner: no lease, an expired lease, or a
    /// lease of this worker that no pipeline of this run holds (an earlier incarnation).
    fn is_orphan(
        &self,
        (id, status, lease): (&TaskId, TaskStatus, Option<&Lease>),
        now: Timestamp,
    ) -> bool {
        if !status.is_in_flight() || self.running.contains_key(id) || !self.schedule.in_scope(id) {
            return false;
        }
        match lease {
            None => true,
            // A worker of this host whose process is gone (kill -9) holds nothing:
            // its tasks are taken over now, not when its lease lapses.
            Some(l) => {
                l.owner == self.ctx.config.worker
                    || l.expires_at <= now
                    || l.owner.is_gone(&self.ctx.config.worker)
            }
        }
    }

    /// Takes over in-flight tasks whose worker is gone: an interrupted agent goes back
    /// to the queue; a task found auditing or shipping resumes at that step.
    async fn take_over_orphans(&mut self) -> Result<()> {
        if self.interrupts > 0 {
            return Ok(());
        }
        let now = Timestamp::now();
        let orphans: Vec<TaskId> = self
            .schedule
            .in_flight()
            .filter(|t| self.is_orphan((&t.id, t.status, t.lease.as_ref()), now))
            .map(|t| t.id.clone())
            .collect();
        for id in orphans {
            // A renewed lease is not a change on the feed: judge the lease as the
            // board holds it now.
            let Some(mut task) = self.ctx.store.get(&id).await? else {
                continue;
            };
            self.schedule.refresh(task.clone());
            if !self.is_orphan((&task.id, task.status, task.lease.as_ref()), now) {
                continue;
            }
            let previous_owner = task.lease.as_ref().map(|l| l.owner.clone());
            let status = task.status;
            if status == TaskStatus::InProgress {
                task.end_open_attempt(
                    AttemptOutcome::Interrupted {
                        reason: "the worker running it stopped".into(),
                    },
                    now,
                );
                task.lease = None;
            } else {
                task.lease = Some(self.lease());
            }
            let saved = if status == TaskStatus::InProgress {
                let reason = "resumed after the worker running it stopped";
                self.ctx
                    .commit(task, TaskStatus::Pending, Some(reason.into()))
                    .await
            } else {
                self.ctx.save(task).await
            };
            let saved = match saved {
                Ok(saved) => saved,
                Err(e) if e.kind() == crate::error::ErrorKind::Conflict => continue,
                Err(e) => return Err(e),
            };
            self.schedule.apply([saved.clone()]);
            self.ctx.events.emit(Event::Reconciled {
                task: saved.id.clone(),
                status,
                previous_owner,
            });
            if saved.status.is_in_flight() {
                self.spawn(saved, false);
            }
        }
        Ok(())
    }

    fn lease(&self) -> Lease {
        Lease {
            owner: self.ctx.config.worker.clone(),
            expires_at: Timestamp::now().plus(self.ctx.config.lease_ttl),
        }
    }

    /// Claims and starts ready tasks while agent slots and ownership allow. The
    /// claims go to the board together, so a batching board commits them at once.
    async fn dispatch(&mut self) -> Result<()> {
        let slots = self.ctx.config.max_agents.saturating_sub(self.agents());
        if slots == 0 {
            return Ok(());
        }
        // A task whose previous pipeline has saved it back to pending but not yet
        // ended is not startable here: its old pipeline must be joined first.
        let picked = self
            .schedule
            .startable(slots, |id| self.running.contains_key(id));
        // The schedule keeps what its decisions read; a claim saves the whole
        // task, read from the board (together: a batching board reads them at once).
        let found = futures::future::join_all(picked.iter().map(|id| self.ctx.store.get(id))).await;
        let mut picked = Vec::new();
        for task in found {
            let Some(task) = task? else { continue };
            if self.schedule.is_current(&task) {
                picked.push(task);
            } else {
                // Changed elsewhere since it was picked: judged again next pass.
                self.schedule.apply([task]);
            }
        }
        let claims = picked.into_iter().map(|mut claim| {
            claim.lease = Some(self.lease());
            claim.blocked_on = None;
            self.ctx.commit(claim, TaskStatus::InProgress, None)
        });
        let mut failed = None;
        for claimed in futures::future::join_all(claims).await {
            match claimed {
                Ok(saved) => {
                    self.schedule.apply([saved.clone()]);
                    self.spawn(saved, true);
                }
                // Another worker claimed it first; the feed brings its version.
                Err(e) if e.kind() == crate::error::ErrorKind::Conflict => {}
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// Takes up the rate or usage limits recorded on the board (first pass only)
    /// and says which pauses began and ended.
    fn watch_pauses(&self) {
        let restored = self.ctx.pauses.restore(|| {
            self.schedule
                .scoped_tasks()
                .filter_map(|t| t.rate_limit().map(|(r, until, why)| (&t.id, r, until, why)))
        });
        for (runtime, task, until, reason) in restored {
            self.ctx.events.emit(Event::RuntimePaused {
                runtime: runtime.to_string(),
                task: task.clone(),
                until,
                reason: reason.to_string(),
            });
        }
        for runtime in self.ctx.pauses.take_ended() {
            self.ctx.events.emit(Event::RuntimeResumed { runtime });
        }
    }

    /// Whether the runtime the tasks run on is paused by a rate or usage limit:
    /// then nothing starts until the pause ends.
    fn runtime_paused(&self) -> bool {
        self.ctx
            .pauses
            .paused_until(self.ctx.dispatcher.name())
            .is_some()
    }

    fn spawn(&mut self, task: Task, with_agent: bool) {
        let id = task.id.clone();
        let ctx = Arc::clone(&self.ctx);
        let stop = self.stop_tx.subscribe();
        let notes = self.notes_tx.clone();
        let handle = self
            .pipelines
            .spawn(pipeline::drive(ctx, task, stop, notes));
        self.pipeline_tasks.insert(handle.id(), id.clone());
        self.running.insert(id, (handle.id(), with_agent));
    }

    /// Why the run should stop now that none of its pipelines runs, if it should.
    /// Only the tasks in the run's scope count.
    fn halt_reason(&self) -> Option<HaltReason> {
        if self.interrupts > 0 {
            return Some(HaltReason::Interrupted);
        }
        let s = &self.schedule;
        if s.all_settled() {
            return Some(if s.any_blocking() {
                HaltReason::OnlyBlockedWork
            } else {
                HaltReason::AllDone
            });
        }
        if self.budget_spent {
            return Some(HaltReason::BudgetSpent);
        }
        if s.any_in_flight_in_scope() {
            // Another worker holds them; wait for it (or for its lease to lapse).
            return None;
        }
        if s.any_ready() {
            // Ready work for a paused runtime: wait for the pause, unless told not to.
            return (self.runtime_paused() && !self.ctx.config.wait_for_rate_limits)
                .then_some(HaltReason::RateLimited);
        }
        if s.any_beyond_wave_limit() {
            return Some(HaltReason::WaveLimit);
        }
        if s.any_waiting_outside_scope() {
            // What is left waits for work this run does not do.
            return Some(HaltReason::OnlyBlockedWork);
        }
        None
    }

    async fn finish(mut self, halt: HaltReason) -> Result<RunReport> {
        let promotes = self.ctx.config.promote && self.ctx.shipper.capabilities().promotes;
        let (promoted, (completed, mut blocked, remaining), waiting) =
            if promotes && halt != HaltReason::Interrupted {
                // One read serves promotion and the counts (promotion only records
                // `promoted_at`, which no count looks at).
                let view = self.view().await?;
                let promoted = promote::catch_up(&self.ctx, &view).await;
                (
                    promoted,
                    tally(
                        view.scoped_tasks()
                            .map(|t| (&t.id, t.status, t.status_reason.as_deref())),
                    ),
                    view.waiting_outside_scope(),
                )
            } else {
                self.feed_due = true;
                self.sync().await?;
                (
                    Vec::new(),
                    tally(
                        self.schedule
                            .scoped_tasks()
                            .map(|t| (&t.id, t.status, t.status_reason.as_deref())),
                    ),
                    self.schedule.waiting_outside_scope(),
                )
            };
        blocked.extend(waiting);
        self.ctx.events.emit(Event::Halted {
            reason: halt.clone(),
            completed,
            blocked: blocked.clone(),
            remaining,
        });
        Ok(RunReport {
            halt,
            shipped: self.shipped,
            completed,
            blocked,
            remaining,
            promoted,
            spent_usd: self.ctx.spent_usd(),
        })
    }
}

/// The tasks in scope at the end of a run, `(id, status, reason)` each,
/// counted without copying them: completed, the blocked or failed ones with
/// their reasons, and the unsettled.
fn tally<'t>(
    tasks: impl Iterator<Item = (&'t TaskId, TaskStatus, Option<&'t str>)>,
) -> (usize, Vec<(TaskId, String)>, usize) {
    let (mut completed, mut blocked, mut remaining) = (0, Vec::new(), 0);
    for (id, status, reason) in tasks {
        if status == TaskStatus::Completed {
            completed += 1;
        }
        if status.blocks_dependents() {
            let reason = reason.map_or_else(|| status.to_string(), str::to_string);
            blocked.push((id.clone(), reason));
        }
        if !status.is_settled() {
            remaining += 1;
        }
    }
    (completed, blocked, remaining)
}
