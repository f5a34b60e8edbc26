//! One task's way through the engine: dispatch → audit (every gate, then the
//! security review when one is needed: see [`super::review`]) → ship → completed. Each step is committed to the board before the next side effect;
//! a task found in `auditing` or `shipping` (after a crash) resumes at that step.
//!
//! Team mode (a team task on a steerable runtime): the agent's handle is kept after
//! its turn ends (`AgentHandle::wait` returns at the end of a turn for such agents);
//! an audit failure is sent back to that same agent as the next attempt
//! (auditing → in_progress) instead of dispatching a new one; the agent is stopped
//! once its work passes every gate, fails for good or the pipeline ends. On a
//! runtime that cannot be steered a team task runs as a subagent, with a warning.

use super::config::{AWAITING_CONFIRMATION, MergeConfirmation};
use super::review::{REVIEW_GATE, ReviewVerdict};
use super::{Ctx, brief, team};
use crate::error::{ErrorKind, Result};
use crate::event::Event;
use crate::model::{
    AgentSession, Attempt, AttemptOutcome, Mode, Priority, Task, TaskId, TaskStatus, Timestamp,
};
use crate::seams::{
    AgentHandle, AgentOutcome, AgentStatus, ChangeRef, ChecksState, GateVerdict, MergeOutcome,
    WorkRef,
};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, sleep, sleep_until, timeout};

/// Told to the run loop when a task's agent phase is over and its slot is free.
#[derive(Debug)]
pub(crate) struct AgentDone(pub TaskId, pub tokio::task::Id);

/// What a finished pipeline returns: the task, and `(project, repo)` if it merged.
pub(crate) type Finished = (TaskId, Option<(String, String)>);

/// Where the pipeline stands after a step.
enum Step {
    /// Go on with the task as saved.
    Next(Box<Task>),
    /// The pipeline is over (task requeued, blocked, completed or released).
    Over { merged: Option<(String, String)> },
}

/// Runs `task` from its current status to the end of its pipeline.
pub(crate) async fn drive(
    ctx: Arc<Ctx>,
    task: Task,
    mut stop: watch::Receiver<bool>,
    notes: mpsc::UnboundedSender<AgentDone>,
) -> Finished {
    let id = task.id.clone();
    let result = run_steps(&ctx, task, &mut stop, &notes).await;
    let merged = match result {
        Ok(merged) => merged,
        Err(e) => {
            ctx.events.emit(Event::Warning {
                task: Some(id.clone()),
                message: format!("the task's pipeline stopped: {e}"),
            });
            None
        }
    };
    (id, merged)
}

async fn run_steps(
    ctx: &Ctx,
    task: Task,
    stop: &mut watch::Receiver<bool>,
    notes: &mpsc::UnboundedSender<AgentDone>,
) -> Result<Option<(String, String)>> {
    let id = task.id.clone();
    let mut live = None;
    let result = steps(ctx, task, stop, notes, &mut live).await;
    // A team agent still running when the pipeline ends is stopped here.
    if let Some(handle) = live.take() {
        end_team_agent(ctx, &id, handle.as_ref()).await;
    }
    // On an error path the agent may have left without `end_team_agent`.
    ctx.team.leave(&id);
    result
}

/// The running agent of a team task, kept between its turns.
type Live = Option<Arc<dyn AgentHandle>>;

async fn steps(
    ctx: &Ctx,
    mut task: Task,
    stop: &mut watch::Receiver<bool>,
    notes: &mpsc::UnboundedSender<AgentDone>,
    live: &mut Live,
) -> Result<Option<(String, String)>> {
    let task_id = task.id.clone();
    // The agent's slot is free once its process is gone: a team agent kept between
    // turns (it may work again after an audit failure) holds it until it is stopped.
    let free_slot = || {
        let _ = notes.send(AgentDone(task_id.clone(), tokio::task::id()));
    };
    if task.status == TaskStatus::InProgress {
        let step = agent_step(ctx, task, stop, live).await;
        if live.is_none() {
            free_slot();
        }
        match step? {
            Step::Next(t) => task = *t,
            Step::Over { merged } => return Ok(merged),
        }
    }
    if task.status == TaskStatus::Auditing {
        match audit_step(ctx, task, stop, live).await? {
            Step::Next(t) => task = *t,
            Step::Over { merged } => return Ok(merged),
        }
    }
    // The work passed its gates: a team agent has nothing more to do.
    if let Some(handle) = live.take() {
        end_team_agent(ctx, &task.id, handle.as_ref()).await;
        free_slot();
    }
    if task.status == TaskStatus::Shipping
        && let Step::Over { merged } = ship_step(ctx, task, stop).await?
    {
        return Ok(merged);
    }
    Ok(None)
}

/// Stops a team agent and takes it off the team.
async fn end_team_agent(ctx: &Ctx, task: &TaskId, handle: &dyn AgentHandle) {
    ctx.team.leave(task);
    if let Ok(Err(e)) = timeout(ctx.config.stop_grace, handle.stop()).await {
        ctx.events.emit(Event::Warning {
            task: Some(task.clone()),
            message: format!("stopping the team agent failed: {e}"),
        });
    }
}

/// What the brief should say about other in-flight tasks in the same repository,
/// and about the tasks it waits for (what they landed, or that they still run).
async fn brief_context(ctx: &Ctx, task: &Task) -> brief::BriefContext {
    let others = match ctx.store.in_flight().await {
        Ok(tasks) => tasks
            .into_iter()
            .filter(|t| t.id != task.id && t.repo == task.repo)
            .map(|t| brief::OwnedElsewhere {
                task: t.id,
                title: t.title,
                paths: t.paths,
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut upstream = Vec::new();
    for id in &task.blocked_by {
        if let Ok(Some(t)) = ctx.store.get(id).await
            && (t.status == TaskStatus::Completed || t.status.is_in_flight())
        {
            upstream.push(brief::Upstream::of(&t, |s| ctx.redactor.redact(s)));
        }
    }
    brief::BriefContext { others, upstream }
}

/// Resolves once a stop is requested; never if the engine is gone without asking.
async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn agent_step(
    ctx: &Ctx,
    mut task: Task,
    stop: &mut watch::Receiver<bool>,
    live: &mut Live,
) -> Result<Step> {
    let number = u32::try_from(task.attempts.len())
        .unwrap_or(u32::MAX)
        .saturating_add(1);
    let context = brief_context(ctx, &task).await;
    let mut brief = brief::compose_with(&task, number, &context);
    // An attempt cut off on this runtime goes on in its session.
    brief.resume = task
        .attempts
        .last()
        .filter(|a| a.resumable())
        .and_then(|a| a.session.clone())
        .filter(|s| s.runtime == ctx.dispatcher.name());
    // Upstream work still running: a team consumer that started early waits for it.
    let awaiting: Awaiting = context
        .upstream
        .iter()
        .filter(|u| !u.landed)
        .map(|u| u.task.clone())
        .collect();
    task.attempts.push(Attempt {
        number,
        brief: brief.text.clone(),
        started_at: Timestamp::now(),
        ended_at: None,
        summary: None,
        cost_usd: None,
        outcome: None,
        session: None,
    });
    task.branch = Some(brief.branch.clone());
    let task = ctx.save(task).await?;

    let steerable = ctx.dispatcher.capabilities().steerable;
    if task.mode == Mode::Team && !steerable {
        ctx.events.emit(Event::Warning {
            task: Some(task.id.clone()),
            message: format!(
                "the {} runtime cannot be steered: team task {} runs as a subagent",
                ctx.dispatcher.name(),
                task.id
            ),
        });
    }
    let team = task.mode == Mode::Team && steerable;
    let handle: Arc<dyn AgentHandle> = match ctx.dispatcher.dispatch(&brief).await {
        Ok(h) => Arc::from(h),
        Err(e) if matches!(e.kind(), ErrorKind::Invalid | ErrorKind::Unsupported) => {
            return fail_for_good(ctx, task, format!("the agent could not be started: {e}")).await;
        }
        Err(e) => {
            let outcome = AttemptOutcome::AgentFailed {
                reason: format!("the agent could not be started: {e}"),
            };
            return end_attempt(ctx, task, outcome).await;
        }
    };
    // The runtime's session, stored at once: after an interruption (ops itself
    // stopping included) the next attempt resumes it.
    let task = match handle.session_id() {
        Some(id) => {
            let mut task = task;
            if let Some(a) = task.attempts.last_mut() {
                a.session = Some(AgentSession {
                    runtime: ctx.dispatcher.name().to_string(),
                    id,
                });
            }
            ctx.save(task).await?
        }
        None => task,
    };
    ctx.events.emit(Event::AgentStarted {
        task: task.id.clone(),
        attempt: number,
        runtime: ctx.dispatcher.name().to_string(),
    });
    if team {
        ctx.team.join(&task);
    }
    let awaiting = if team { awaiting } else { Awaiting::new() };
    agent_turn(ctx, task, handle, number, awaiting, stop, live).await
}

/// Upstream tasks whose output a running team agent has yet to receive.
type Awaiting = std::collections::BTreeSet<TaskId>;

/// Waits for one turn of the agent (its whole run, unless it is a team agent) and
/// moves the task on: to auditing when it succeeded, else back to the queue.
/// A team agent (one on the team: see `team`) is kept for its next turn.
async fn agent_turn(
    ctx: &Ctx,
    task: Task,
    handle: Arc<dyn AgentHandle>,
    number: u32,
    awaiting: Awaiting,
    stop: &mut watch::Receiver<bool>,
    live: &mut Live,
) -> Result<Step> {
    let inbox = ctx.team.inbox(&task.id);
    let team = inbox.is_some();
    let watched = Watched {
        task: &task.id,
        attempt: number,
        handle: handle.as_ref(),
        inbox: inbox.as_deref(),
    };
    let ended = watch_agent(ctx, &watched, awaiting, stop).await;
    let (outcome, agent) = match ended {
        AgentEnd::Finished(agent) => match &agent.status {
            AgentStatus::Succeeded => (None, agent),
            AgentStatus::Failed { reason } => (
                Some(AttemptOutcome::AgentFailed {
                    reason: reason.clone(),
                }),
                agent,
            ),
            AgentStatus::Stopped => (
                Some(AttemptOutcome::AgentFailed {
                    reason: "the agent stopped before finishing".into(),
                }),
                agent,
            ),
            AgentStatus::RateLimited { reason, resets_at } => {
                (Some(rate_limited(ctx, &task.id, reason, *resets_at)), agent)
            }
        },
        AgentEnd::Stalled { idle_secs, agent } => {
            ctx.events.emit(Event::AgentStalled {
                task: task.id.clone(),
                attempt: number,
                idle_secs,
            });
            let partial = agent.summary.clone();
            (Some(AttemptOutcome::Stalled { idle_secs, partial }), agent)
        }
        AgentEnd::Interrupted(agent) => (
            Some(AttemptOutcome::Interrupted {
                reason: "the run was interrupted".into(),
            }),
            agent,
        ),
        AgentEnd::UpstreamFailed { reason, agent } => {
            (Some(AttemptOutcome::Interrupted { reason }), agent)
        }
    };
    ctx.events.emit(Event::AgentFinished {
        task: task.id.clone(),
        attempt: number,
        succeeded: outcome.is_none(),
        summary: match &agent.status {
            AgentStatus::Failed { reason } | AgentStatus::RateLimited { reason, .. } => {
                reason.clone()
            }
            _ => agent.summary.clone(),
        },
        cost_usd: agent.cost_usd,
    });
    ctx.add_spent(&task.id, agent.cost_usd);
    if !matches!(outcome, Some(AttemptOutcome::RateLimited { .. })) {
        ctx.pauses.cleared(ctx.dispatcher.name());
    }
    let mut task = task;
    if let Some(a) = task.open_attempt_mut() {
        a.summary = Some(agent.summary.clone()).filter(|s| !s.is_empty());
        a.cost_usd = agent.cost_usd;
    }
    if agent.worktree.is_some() {
        task.worktree = agent.worktree.clone();
    }
    if !agent.changed_files.is_empty() {
        task.changed_files = agent.changed_files.clone();
    }
    match outcome {
        Some(outcome) => {
            if team {
                end_team_agent(ctx, &task.id, handle.as_ref()).await;
            }
            end_attempt(ctx, task, outcome).await
        }
        None => {
            if team {
                *live = Some(handle);
            }
            Ok(Step::Next(Box::new(
                ctx.commit(task, TaskStatus::Auditing, None).await?,
            )))
        }
    }
}

/// Pauses the runtime that hit a rate or usage limit (until `resets_at`, else for
/// the backoff) and says so; the attempt's outcome, which does not count.
fn rate_limited(
    ctx: &Ctx,
    task: &TaskId,
    reason: &str,
    resets_at: Option<Timestamp>,
) -> AttemptOutcome {
    let runtime = ctx.dispatcher.name().to_string();
    let until = ctx.pauses.pause(
        &runtime,
        resets_at,
        ctx.config.rate_limit_backoff,
        ctx.config.rate_limit_backoff_max,
    );
    ctx.events.emit(Event::RuntimePaused {
        runtime: runtime.clone(),
        task: task.clone(),
        until,
        reason: reason.to_string(),
    });
    AttemptOutcome::RateLimited {
        runtime,
        reason: reason.to_string(),
        until,
    }
}

enum AgentEnd {
    Finished(AgentOutcome),
    Stalled {
        idle_secs: u64,
        agent: AgentOutcome,
    },
    Interrupted(AgentOutcome),
    /// An upstream task the agent waited for was blocked or failed.
    UpstreamFailed {
        reason: String,
        agent: AgentOutcome,
    },
}

/// What a stalled team agent is asked before it is stopped (the seed's team protocol).
pub const STATUS_CHECK: &str = "Status check — are you stuck? If you are waiting on something, say what; \
     otherwise carry on with the smallest next step, commit it, and finish your turn.";

/// How often a team agent waiting for upstream work looks at the board for it.
const UPSTREAM_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// The agent being watched.
struct Watched<'a> {
    task: &'a TaskId,
    attempt: u32,
    handle: &'a dyn AgentHandle,
    /// A team agent's messages; `None` for a subagent.
    inbox: Option<&'a team::Inbox>,
}

impl Watched<'_> {
    /// Sends `message` to the agent; a failure is a warning.
    async fn tell(&self, ctx: &Ctx, message: &str) -> bool {
        match self.handle.send(message).await {
            Ok(()) => true,
            Err(e) => {
                ctx.events.emit(Event::Warning {
                    task: Some(self.task.clone()),
                    message: format!("could not pass a team message to the agent: {e}"),
                });
                false
            }
        }
    }

    /// Passes on `messages` from the inbox; an upstream task's output goes once.
    async fn deliver(
        &self,
        ctx: &Ctx,
        messages: Vec<(TaskId, String)>,
        awaiting: &mut Awaiting,
        told: &mut Awaiting,
    ) {
        for (from, message) in messages {
            if told.contains(&from) {
                continue;
            }
            if self.tell(ctx, &message).await {
                told.insert(from.clone());
                awaiting.remove(&from);
                ctx.events.emit(Event::UpstreamDelivered {
                    task: self.task.clone(),
                    from,
                });
            }
        }
    }
}

/// Waits for the agent while watching its activity and the stop signal; a team
/// agent's messages (its inbox) are delivered meanwhile, and only meanwhile. A
/// stalled team agent is first asked [`STATUS_CHECK`] and stopped only if nothing
/// happens within `status_check_grace`; a subagent is stopped at once. A team agent
/// that started before the upstream work in `awaiting` landed is held after its
/// turn until that work's output has reached it (and then works on).
async fn watch_agent(
    ctx: &Ctx,
    agent: &Watched<'_>,
    mut awaiting: Awaiting,
    stop: &mut watch::Receiver<bool>,
) -> AgentEnd {
    let handle = agent.handle;
    let stall_after = ctx.config.stall_after;
    let mut told = Awaiting::new();
    let mut wait = handle.wait();
    // When the status check was sent, while its answer is awaited.
    let mut asked: Option<Instant> = None;
    loop {
        let deadline = match asked {
            Some(at) => at + ctx.config.status_check_grace,
            None => handle.last_activity() + stall_after,
        };
        tokio::select! {
            out = &mut wait => {
                let succeeded = matches!(out.status, AgentStatus::Succeeded);
                let Some(inbox) = agent.inbox.filter(|_| succeeded && !awaiting.is_empty()) else {
                    return AgentEnd::Finished(out);
                };
                match await_upstream(ctx, agent, inbox, &mut awaiting, &mut told, stop).await {
                    Upstream::Told => {
                        // Its output started another turn.
                        wait = handle.wait();
                        asked = None;
                    }
                    Upstream::Gone => return AgentEnd::Finished(out),
                    Upstream::Failed(reason) => return AgentEnd::UpstreamFailed { reason, agent: out },
                    Upstream::Interrupted => return AgentEnd::Interrupted(out),
                }
            }
            () = sleep_until(deadline) => {
                let idle = Instant::now().saturating_duration_since(handle.last_activity());
                match asked {
                    Some(at) if handle.last_activity() > at => asked = None,
                    Some(_) => {
                        let agent = stop_and_wait(ctx, handle, &mut wait).await;
                        return AgentEnd::Stalled { idle_secs: idle.as_secs(), agent };
                    }
                    None if idle < stall_after => {}
                    None if agent.inbox.is_some() && agent.tell(ctx, STATUS_CHECK).await => {
                        ctx.events.emit(Event::AgentAsked {
                            task: agent.task.clone(),
                            attempt: agent.attempt,
                            idle_secs: idle.as_secs(),
                        });
                        asked = Some(Instant::now());
                    }
                    None => {
                        let agent = stop_and_wait(ctx, handle, &mut wait).await;
                        return AgentEnd::Stalled { idle_secs: idle.as_secs(), agent };
                    }
                }
            }
            () = stop_requested(stop) => {
                let agent = stop_and_wait(ctx, handle, &mut wait).await;
                return AgentEnd::Interrupted(agent);
            }
            () = message_arrived(agent.inbox) => {
                let messages = agent.inbox.map(team::Inbox::take).unwrap_or_default();
                agent.deliver(ctx, messages, &mut awaiting, &mut told).await;
            }
        }
    }
}

/// How waiting for upstream work between turns ended.
enum Upstream {
    /// Its output was sent to the agent (which works on).
    Told,
    /// Nothing is left to wait for and nothing was sent (it was deleted).
    Gone,
    /// An upstream task was blocked or failed: why.
    Failed(String),
    /// The run is being stopped.
    Interrupted,
}

/// Holds a team agent that finished its turn before the upstream work it builds
/// on landed, until that work's output has been passed to it: from the inbox the
/// moment it lands, else from the board (polled), so a completion announced
/// before the agent joined the team is not missed.
async fn await_upstream(
    ctx: &Ctx,
    agent: &Watched<'_>,
    inbox: &team::Inbox,
    awaiting: &mut Awaiting,
    told: &mut Awaiting,
    stop: &mut watch::Receiver<bool>,
) -> Upstream {
    let before = told.len();
    loop {
        if awaiting.is_empty() {
            return if told.len() > before {
                Upstream::Told
            } else {
                Upstream::Gone
            };
        }
        tokio::select! {
            () = inbox.arrived() => agent.deliver(ctx, inbox.take(), awaiting, told).await,
            () = sleep(UPSTREAM_POLL) => {
                for id in awaiting.clone() {
                    let Ok(Some(up)) = ctx.store.get(&id).await else { continue };
                    if up.status.blocks_dependents() {
                        return Upstream::Failed(format!(
                            "upstream task {id} is {}: {}",
                            up.status,
                            up.status_reason.as_deref().unwrap_or("no reason given")
                        ));
                    }
                    if up.status == TaskStatus::Completed {
                        let output = brief::Upstream::of(&up, |s| ctx.redactor.redact(s));
                        let message = vec![(id.clone(), output.announcement())];
                        agent.deliver(ctx, message, awaiting, told).await;
                    } else if up.status.satisfies_dependents() {
                        awaiting.remove(&id);
                    }
                }
            }
            () = stop_requested(stop) => return Upstream::Interrupted,
        }
    }
}

/// Resolves when a message arrives in `inbox`; never without one.
async fn message_arrived(inbox: Option<&team::Inbox>) {
    match inbox {
        Some(inbox) => inbox.arrived().await,
        None => std::future::pending().await,
    }
}

async fn stop_and_wait(
    ctx: &Ctx,
    handle: &dyn AgentHandle,
    wait: &mut (impl std::future::Future<Output = AgentOutcome> + Unpin),
) -> AgentOutcome {
    match timeout(ctx.config.stop_grace, handle.stop()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => ctx.events.emit(Event::Warning {
            task: None,
            message: format!("stopping an agent failed: {e}"),
        }),
        Err(_) => ctx.events.emit(Event::Warning {
            task: None,
            message: format!(
                "stopping an agent did not return within {}s",
                ctx.config.stop_grace.as_secs()
            ),
        }),
    }
    match timeout(ctx.config.stop_grace, wait).await {
        Ok(out) => out,
        Err(_) => AgentOutcome::failed(format!(
            "the agent did not end within {}s of being stopped",
            ctx.config.stop_grace.as_secs()
        )),
    }
}

fn work_of(task: &Task) -> WorkRef {
    WorkRef {
        branch: task.branch.clone().unwrap_or_else(|| task.branch_name()),
        worktree: task.worktree.clone(),
        summary: task
            .attempts
            .last()
            .and_then(|a| a.summary.clone())
            .unwrap_or_default(),
    }
}

async fn audit_step(
    ctx: &Ctx,
    mut task: Task,
    stop: &mut watch::Receiver<bool>,
    live: &mut Live,
) -> Result<Step> {
    loop {
        let work = work_of(&task);
        let judged = tokio::select! {
            j = judge(ctx, &task, &work) => j,
            () = stop_requested(stop) => return release(ctx, task).await,
        };
        let outcome = match judged {
            Judged::Passed => {
                return Ok(Step::Next(Box::new(
                    ctx.commit(task, TaskStatus::Shipping, None).await?,
                )));
            }
            Judged::Failed(outcome) => outcome,
            Judged::Unreviewed(reason) => return unreviewed(ctx, task, reason).await,
            Judged::Halted(outcome, e) => {
                if let Some(handle) = live.take() {
                    end_team_agent(ctx, &task.id, handle.as_ref()).await;
                }
                return halt(ctx, task, outcome, &e).await;
            }
        };
        let Some(handle) = live.take() else {
            return end_attempt(ctx, task, outcome).await;
        };
        match back_to_agent(ctx, task, outcome, handle, stop, live).await? {
            Step::Next(t) => task = *t,
            over => return Ok(over),
        }
    }
}

/// What the audit of one attempt's work found.
enum Judged {
    /// Every gate passed (and the security review approved, when one was needed).
    Passed,
    /// A gate failed or the reviewer requested changes: back to the agent.
    Failed(AttemptOutcome),
    /// The security review gave no verdict: the task is blocked with this reason.
    Unreviewed(String),
    /// A gate tripped a safety rail ([`ErrorKind::Halt`]): the task is blocked.
    Halted(AttemptOutcome, crate::Error),
}

/// Runs every gate in order, then the security review when the task needs one or
/// a gate's verdict asks for it; each judgement is reported.
async fn judge(ctx: &Ctx, task: &Task, work: &WorkRef) -> Judged {
    let mut reasons = Vec::new();
    if task.needs_security_review() {
        reasons.push("the task is sensitive (auth, payments, personal data or secrets)".into());
    }
    for gate in &ctx.gates {
        let verdict = match gate.check(task, work).await {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::Halt => {
                let outcome = AttemptOutcome::GateFailed {
                    gate: gate.name().to_string(),
                    detail: e.to_string(),
                };
                return Judged::Halted(outcome, e);
            }
            Err(e) => GateVerdict::fail(format!("the gate could not run: {e}")),
        };
        ctx.events.emit(Event::GateJudged {
            task: task.id.clone(),
            gate: gate.name().to_string(),
            passed: verdict.passed,
            detail: verdict.detail.clone(),
        });
        if !verdict.passed {
            return Judged::Failed(AttemptOutcome::GateFailed {
                gate: gate.name().to_string(),
                detail: verdict.detail,
            });
        }
        if let Some(why) = verdict.review_required {
            reasons.push(format!("the {} gate: {why}", gate.name()));
        }
    }
    if reasons.is_empty() {
        return Judged::Passed;
    }
    let attempt = u32::try_from(task.attempts.len()).unwrap_or(u32::MAX);
    let verdict = match &ctx.review {
        Some(review) => {
            let reviewed = review.run(task, work, attempt, &reasons).await;
            ctx.add_spent(&task.id, reviewed.cost_usd);
            reviewed.verdict
        }
        None => ReviewVerdict::NoVerdict {
            reason: "no reviewer runtime is configured".into(),
        },
    };
    let (passed, detail) = match &verdict {
        ReviewVerdict::Approved { answer } => (true, format!("approved: {answer}")),
        ReviewVerdict::ChangesRequested { findings } => {
            (false, format!("changes requested:\n{findings}"))
        }
        ReviewVerdict::NoVerdict { reason } => (false, format!("no verdict: {reason}")),
    };
    ctx.events.emit(Event::GateJudged {
        task: task.id.clone(),
        gate: REVIEW_GATE.to_string(),
        passed,
        detail: detail.clone(),
    });
    match verdict {
        ReviewVerdict::Approved { .. } => Judged::Passed,
        ReviewVerdict::ChangesRequested { .. } => Judged::Failed(AttemptOutcome::GateFailed {
            gate: REVIEW_GATE.to_string(),
            detail,
        }),
        ReviewVerdict::NoVerdict { reason } => Judged::Unreviewed(format!(
            "needs the security review ({}), which gave no verdict: {reason}; nothing was shipped, the work stays on branch {}",
            reasons.join("; "),
            work.branch
        )),
    }
}

/// Blocks a task whose security review gave no verdict; the attempt does not count
/// (the work was never judged), and it is not retried.
async fn unreviewed(ctx: &Ctx, task: Task, reason: String) -> Result<Step> {
    let outcome = AttemptOutcome::Unreviewed {
        reason: reason.clone(),
    };
    settle(ctx, task, outcome, TaskStatus::Blocked, reason).await
}

/// Team mode: sends an audit failure to the same running agent as its next attempt
/// (auditing → in_progress), then waits for that turn. Attempts still count: at the
/// limit the agent is stopped and the task blocked.
async fn back_to_agent(
    ctx: &Ctx,
    mut task: Task,
    outcome: AttemptOutcome,
    handle: Arc<dyn AgentHandle>,
    stop: &mut watch::Receiver<bool>,
    live: &mut Live,
) -> Result<Step> {
    // This attempt counts too: at the limit, end it the usual way (blocked).
    if task.counted_attempts().saturating_add(1) >= ctx.config.max_attempts {
        end_team_agent(ctx, &task.id, handle.as_ref()).await;
        return end_attempt(ctx, task, outcome).await;
    }
    task.end_open_attempt(outcome.clone(), Timestamp::now());
    let previous = u32::try_from(task.attempts.len()).unwrap_or(u32::MAX);
    let number = previous.saturating_add(1);
    let brief = brief::compose_with(&task, number, &brief_context(ctx, &task).await);
    task.attempts.push(Attempt {
        number,
        brief: brief.text.clone(),
        started_at: Timestamp::now(),
        ended_at: None,
        summary: None,
        cost_usd: None,
        outcome: None,
        session: None,
    });
    let task = ctx
        .commit(task, TaskStatus::InProgress, Some(outcome.describe()))
        .await?;
    ctx.events.emit(Event::Retrying {
        task: task.id.clone(),
        attempt: previous,
        reason: outcome.describe(),
    });
    if let Err(e) = handle.send(&brief.text).await {
        end_team_agent(ctx, &task.id, handle.as_ref()).await;
        let outcome = AttemptOutcome::Interrupted {
            reason: format!("the audit failure could not be sent to the running agent: {e}"),
        };
        return end_attempt(ctx, task, outcome).await;
    }
    ctx.events.emit(Event::AgentStarted {
        task: task.id.clone(),
        attempt: number,
        runtime: ctx.dispatcher.name().to_string(),
    });
    agent_turn(ctx, task, handle, number, Awaiting::new(), stop, live).await
}

async fn ship_step(ctx: &Ctx, task: Task, stop: &mut watch::Receiver<bool>) -> Result<Step> {
    tokio::select! {
        step = ship(ctx, task.clone()) => step,
        () = stop_requested(stop) => {
            // The shipper may have acted; re-read so the release does not conflict.
            let fresh = ctx.store.get(&task.id).await?.unwrap_or(task);
            release(ctx, fresh).await
        }
    }
}

async fn ship(ctx: &Ctx, mut task: Task) -> Result<Step> {
    let work = work_of(&task);
    let mut change = match ctx.shipper.open_change(&task, &work).await {
        Ok(c) => c,
        Err(e) if e.kind() == ErrorKind::Halt => return ship_halted(ctx, task, &e).await,
        Err(e) => return ship_failed(ctx, task, format!("could not open the change: {e}")).await,
    };
    let shown = change.url.clone().unwrap_or_else(|| change.id.clone());
    if task.pr.as_deref() != Some(shown.as_str()) {
        task.pr = Some(shown);
        task = ctx.save(task).await?;
    }
    ctx.events.emit(Event::ChangeOpened {
        task: task.id.clone(),
        change: change.id.clone(),
        url: change.url.clone(),
    });
    // A yes is for the head it named: a head that changed since is asked about again.
    let mut confirmed: Option<String> = None;
    // The last checks reading of this change, to report only what changed.
    let mut last_checks: Option<ChecksState> = None;
    for _ in 0..MAX_HEAD_CHANGES {
        match wait_for_checks(ctx, &task.id, &change, &mut last_checks).await {
            Ok(()) => {}
            Err(detail) => return ship_failed(ctx, task, detail).await,
        }
        if confirmed.as_deref() != Some(change.head.as_str()) {
            if let Some(reason) = confirm(ctx, &task, &change).await {
                return hold_open(ctx, task, reason).await;
            }
            confirmed = Some(change.head.clone());
        }
        let outcome = match ctx.shipper.merge(&change).await {
            Ok(o) => o,
            Err(e) if e.kind() == ErrorKind::Halt => return ship_halted(ctx, task, &e).await,
            Err(e) => return ship_failed(ctx, task, format!("the merge failed: {e}")).await,
        };
        ctx.events.emit(Event::MergeAttempted {
            task: task.id.clone(),
            change: change.id.clone(),
            outcome: outcome.clone(),
        });
        match outcome {
            MergeOutcome::Merged { sha } | MergeOutcome::AlreadyMerged { sha } => {
                let merged = Some((task.project.clone(), task.repo.clone()));
                // Follow-ups go on the board before the task is completed: a crash
                // in between resumes this step (already merged) and adds them again
                // (idempotent), instead of losing them.
                add_follow_ups(ctx, &task, &sha).await;
                task.merged_sha = Some(sha);
                task.end_open_attempt(AttemptOutcome::Shipped, Timestamp::now());
                task.lease = None;
                ctx.commit(task, TaskStatus::Completed, None).await?;
                return Ok(Step::Over { merged });
            }
            MergeOutcome::HeadChanged { head } => change = ChangeRef { head, ..change },
            MergeOutcome::Refused { reason } => {
                return ship_failed(ctx, task, format!("the merge was refused: {reason}")).await;
            }
        }
    }
    ship_failed(
        ctx,
        task,
        format!("the head kept changing ({MAX_HEAD_CHANGES} times) before it could be merged"),
    )
    .await
}

/// Asks whoever runs the engine before a merge; `Some(reason)` keeps the change open.
async fn confirm(ctx: &Ctx, task: &Task, change: &ChangeRef) -> Option<String> {
    let shown = change.url.clone().unwrap_or_else(|| change.id.clone());
    match ctx.config.merge_confirmation {
        MergeConfirmation::Forced => None,
        MergeConfirmation::Unattended => Some(format!(
            "{AWAITING_CONFIRMATION}: checks passed on {}; the change {shown} stays open (merge it with --force, or answer on a terminal)",
            change.head
        )),
        MergeConfirmation::Ask => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            ctx.confirmations
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(task.id.clone(), tx);
            ctx.events.emit(Event::MergeConfirmationRequested {
                task: task.id.clone(),
                change: change.id.clone(),
                url: change.url.clone(),
                head: change.head.clone(),
            });
            match rx.await {
                Ok(true) => None,
                Ok(false) => Some(format!(
                    "merge declined by the operator; the change {shown} stays open"
                )),
                Err(_) => Some(format!(
                    "{AWAITING_CONFIRMATION}: nobody answered; the change {shown} stays open"
                )),
            }
        }
    }
}

/// Leaves the change open and blocks the task with `reason`; the attempt does not
/// count against the limit (nothing failed).
async fn hold_open(ctx: &Ctx, task: Task, reason: String) -> Result<Step> {
    let outcome = AttemptOutcome::Interrupted {
        reason: reason.clone(),
    };
    settle(ctx, task, outcome, TaskStatus::Blocked, reason).await
}

/// Asks the shipper what the merge did and puts each problem on the board as a P0
/// task (idempotent: a follow-up already on the board is left as it is).
async fn add_follow_ups(ctx: &Ctx, task: &Task, merged: &str) {
    let follow_ups = match ctx.shipper.verify(task, merged).await {
        Ok(f) => f,
        Err(e) => {
            ctx.events.emit(Event::Warning {
                task: Some(task.id.clone()),
                message: format!("could not verify the merge: {e}"),
            });
            return;
        }
    };
    for (n, f) in follow_ups.into_iter().enumerate() {
        let stem: String = task.id.as_str().chars().take(50).collect();
        let Ok(id) = TaskId::new(format!("{stem}-fix{}", n + 1)) else {
            continue;
        };
        let mut new = Task::new(id, f.title.clone(), task.project.clone(), task.repo.clone());
        new.priority = Priority::P0;
        new.description = format!(
            "{}\n\n(found after merging {} as {merged})",
            f.description, task.id
        );
        new.quality_gate = task.quality_gate.clone();
        new.fingerprint = format!("follow-up:{}:{}", task.id, n + 1);
        match ctx.store.insert(new).await {
            Ok(saved) => {
                ctx.wrote(&saved);
                ctx.events.emit(Event::FollowUpAdded {
                    after: task.id.clone(),
                    task: saved.id,
                    title: f.title,
                });
            }
            Err(crate::Error::DuplicateTask(_)) => {}
            Err(e) => ctx.events.emit(Event::Warning {
                task: Some(task.id.clone()),
                message: format!("could not add the follow-up {:?}: {e}", f.title),
            }),
        }
    }
}

/// A head that moves this often between check and merge is given back to the agent.
const MAX_HEAD_CHANGES: usize = 3;

/// Polls the checks of `change.head` with backoff until they settle; `Err` says why
/// not green. Each reading that differs from `last` is reported as
/// [`Event::ChecksChanged`] and becomes the new `last`.
async fn wait_for_checks(
    ctx: &Ctx,
    task: &TaskId,
    change: &ChangeRef,
    last: &mut Option<ChecksState>,
) -> std::result::Result<(), String> {
    let started = Instant::now();
    let mut pause = ctx.config.checks_poll;
    loop {
        let reading = ctx.shipper.checks(change).await;
        if let Ok(state) = &reading
            && last.as_ref() != Some(state)
        {
            *last = Some(state.clone());
            ctx.events.emit(Event::ChecksChanged {
                task: task.clone(),
                change: change.id.clone(),
                checks: state.clone(),
            });
        }
        match reading {
            Ok(ChecksState::Passed) => return Ok(()),
            Ok(ChecksState::Failed { detail }) => {
                return Err(format!("checks failed on {}: {detail}", change.head));
            }
            Ok(ChecksState::Pending) => {}
            Err(e) if e.kind() == ErrorKind::Retryable => {}
            Err(e) => return Err(format!("could not read the checks: {e}")),
        }
        if started.elapsed() >= ctx.config.checks_timeout {
            return Err(format!(
                "checks on {} did not finish within {}s",
                change.head,
                ctx.config.checks_timeout.as_secs()
            ));
        }
        sleep(pause).await;
        pause = (pause * 2).min(ctx.config.checks_poll_max);
    }
}

/// A safety rail tripped while shipping: see [`halt`].
async fn ship_halted(ctx: &Ctx, task: Task, e: &crate::Error) -> Result<Step> {
    let outcome = AttemptOutcome::ShipFailed {
        detail: e.to_string(),
    };
    halt(ctx, task, outcome, e).await
}

/// A safety rail stopped the task ([`ErrorKind::Halt`]): it is blocked with the
/// rail's message, nothing more of it ships and no further attempt is spent on it.
async fn halt(ctx: &Ctx, task: Task, outcome: AttemptOutcome, e: &crate::Error) -> Result<Step> {
    settle(ctx, task, outcome, TaskStatus::Blocked, e.to_string()).await
}

async fn ship_failed(ctx: &Ctx, task: Task, detail: String) -> Result<Step> {
    end_attempt(ctx, task, AttemptOutcome::ShipFailed { detail }).await
}

/// Closes the open attempt with `outcome`; requeues the task, or blocks it once its
/// counted attempts reach the limit.
async fn end_attempt(ctx: &Ctx, mut task: Task, outcome: AttemptOutcome) -> Result<Step> {
    let number = task.attempts.len();
    task.end_open_attempt(outcome.clone(), Timestamp::now());
    task.lease = None;
    let counted = task.counted_attempts();
    if outcome.counts_against_limit() && counted >= ctx.config.max_attempts {
        let reason = format!(
            "gave up after {counted} attempts; the last: {}",
            outcome.describe()
        );
        ctx.commit(task, TaskStatus::Blocked, Some(reason)).await?;
    } else {
        let task = ctx
            .commit(task, TaskStatus::Pending, Some(outcome.describe()))
            .await?;
        if outcome.counts_against_limit() {
            ctx.events.emit(Event::Retrying {
                task: task.id,
                attempt: u32::try_from(number).unwrap_or(u32::MAX),
                reason: outcome.describe(),
            });
        }
    }
    Ok(Step::Over { merged: None })
}

async fn fail_for_good(ctx: &Ctx, task: Task, reason: String) -> Result<Step> {
    let outcome = AttemptOutcome::AgentFailed {
        reason: reason.clone(),
    };
    settle(ctx, task, outcome, TaskStatus::Failed, reason).await
}

/// Ends the attempt with `outcome`, drops the lease and moves the task to `to`.
async fn settle(
    ctx: &Ctx,
    mut task: Task,
    outcome: AttemptOutcome,
    to: TaskStatus,
    reason: String,
) -> Result<Step> {
    task.end_open_attempt(outcome, Timestamp::now());
    task.lease = None;
    ctx.commit(task, to, Some(reason)).await?;
    Ok(Step::Over { merged: None })
}

/// Gives the task up without changing its status, so a later run resumes it.
async fn release(ctx: &Ctx, mut task: Task) -> Result<Step> {
    task.lease = None;
    ctx.save(task).await?;
    Ok(Step::Over { merged: None })
}
