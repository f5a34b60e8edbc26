//! A running agent process behind `AgentHandle`, shared by every backend. A backend
//! supplies the command line, a [`Protocol`] that reads its stdout, and how messages
//! are written to stdin (if it is steerable).
//!
//! `wait()` semantics: it returns when the agent's process has ended, or — for a
//! steerable agent kept open (team mode) — at the end of a turn (the runtime's
//! `result` event) with no message sent since; the process then lives on, idle,
//! until `send()` starts another turn or `stop()` ends it. Before any outcome is
//! returned, changes the agent left uncommitted are committed on its behalf and
//! the files changed on the branch are listed — except in a review's throwaway
//! worktree, which is removed with its branch once the agent has ended.

use crate::limits::{self, Limit};
use crate::liveness::{Activity, WorktreeWatcher};
use crate::process::{self, ProcessSpec, Spawned};
use crate::worktree::Worktree;
use async_trait::async_trait;
use nix::sys::signal::Signal;
use ops_core::seams::{AgentHandle, AgentOutcome, AgentStatus};
use ops_core::{Error, ErrorKind, Result};
use ops_git::Git;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;
use tokio::process::ChildStdin;
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

/// What one stdout line meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// A protocol event (or any output, for plain programs): activity.
    Event,
    /// The end of a turn (Claude's `result`).
    TurnEnd,
    /// A line the protocol did not understand.
    Garbage,
    /// Understood, but no sign of work: the runtime acknowledging ops' own input
    /// (Claude Code's `command_lifecycle` for a queued message). Not activity, so a
    /// stalled agent's answer to a status check is not taken for progress.
    Ack,
}

/// Reads a runtime's stdout.
pub(crate) trait Protocol: Send + Sync + 'static {
    /// Takes one line.
    fn line(&mut self, line: &str) -> Seen;
    /// What the output says so far: the summary, or why it is a failure.
    fn verdict(&self) -> std::result::Result<String, String>;
    /// The cost reported, if any: the running total of the process so far.
    fn cost(&self) -> Option<f64> {
        None
    }
    /// A rate or usage limit the runtime said it hit (e.g. Claude Code's
    /// `rate_limit_event`), beyond what its error text says.
    fn limit(&self) -> Option<Limit> {
        None
    }
    /// Lines the last stdout line calls for on stdin (a JSON-RPC runtime's next
    /// request, or its answer to the runtime's own request), each ending in `\n`.
    fn outgoing(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// The status of an agent that failed with `reason`: a rate or usage limit when
/// the protocol reported one or the reason is one of the APIs' limit errors.
fn failed_status(protocol: &dyn Protocol, reason: String) -> AgentStatus {
    let said = limits::classify(&reason);
    match (protocol.limit(), said) {
        (None, None) => AgentStatus::Failed { reason },
        (Some(limit), None) => AgentStatus::RateLimited {
            reason: limit.reason,
            resets_at: limit.resets_at,
        },
        (reported, Some(said)) => AgentStatus::RateLimited {
            reason,
            resets_at: reported.and_then(|l| l.resets_at).or(said.resets_at),
        },
    }
}

/// A program's stdout as plain text: every line is activity; the summary is the last line.
#[derive(Debug, Default)]
pub(crate) struct PlainText {
    last: String,
}

impl Protocol for PlainText {
    fn line(&mut self, line: &str) -> Seen {
        if !line.trim().is_empty() {
            self.last = line.trim().chars().take(500).collect();
        }
        Seen::Event
    }
    fn verdict(&self) -> std::result::Result<String, String> {
        Ok(self.last.clone())
    }
}

/// How a message (text, its uuid) becomes bytes on the agent's stdin; `None`
/// while the runtime cannot take one yet (no thread to steer).
pub(crate) type Encode = Arc<dyn Fn(&str, &str) -> Option<String> + Send + Sync>;

/// The uuid of message number `n` (the brief is 0) with `text` in `session`:
/// a message sent again after its write failed keeps its uuid, so a runtime
/// that knows uuids (Claude Code's stream-json) does not apply it twice.
pub fn message_uuid(session: &str, n: u64, text: &str) -> String {
    crate::uuid::derived(&[session, &n.to_string(), text])
}

/// Everything a session needs to start.
pub(crate) struct SessionSpec {
    pub backend: String,
    pub process: ProcessSpec,
    pub protocol: Box<dyn Protocol>,
    /// Steerable: how messages are encoded. `None`: `send` is unsupported.
    pub encode: Option<Encode>,
    /// Keep the process open after a turn ends (team mode); else stdin is closed.
    pub keep_open: bool,
    pub worktree: Worktree,
    pub commit_message: String,
    pub grace: Duration,
    /// The runtime's session id, when it has one it can resume.
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct State {
    /// Sequence number of the last message sent.
    sent: u64,
    /// Sequence number of the last turn end (or 0).
    turn_end: u64,
    seq: u64,
    turn: Option<AgentOutcome>,
    exited: Option<AgentOutcome>,
}

/// A running agent.
pub struct Session {
    backend: String,
    pgid: i32,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    encode: Option<Encode>,
    state: watch::Receiver<State>,
    state_tx: Arc<watch::Sender<State>>,
    stopped: Arc<AtomicBool>,
    activity: Arc<Activity>,
    grace: Duration,
    keep_open: bool,
    session_id: Option<String>,
    /// What messages' uuids are derived from: the session id, else the process.
    message_key: String,
    /// Messages written so far (the brief is 0): numbers the next one's uuid.
    written: std::sync::atomic::AtomicU64,
    /// What the outcomes returned so far have reported spending.
    billed: std::sync::Mutex<Billed>,
    _watcher: Option<WorktreeWatcher>,
}

/// The cost a protocol reports is the running total of the process (Claude
/// Code's stream-json restates it in every `result`); each outcome `wait` returns
/// reports only what was spent since the outcome returned before it, so adding up
/// the outcomes of a team agent's turns counts every dollar once.
#[derive(Debug, Default)]
struct Billed {
    /// The outcome billed last: its turn's sequence number, `u64::MAX` for the exit.
    key: Option<u64>,
    /// The running total before it.
    before: f64,
    /// The running total it reported.
    total: f64,
}

impl Billed {
    /// `outcome`'s cost as spent since the previous outcome (the same figure again
    /// when the same outcome is returned twice).
    fn bill(&mut self, key: u64, mut outcome: AgentOutcome) -> AgentOutcome {
        let Some(total) = outcome.cost_usd else {
            return outcome;
        };
        if self.key != Some(key) {
            self.before = self.total;
            self.total = total;
            self.key = Some(key);
        }
        outcome.cost_usd = Some((total - self.before).max(0.0));
        outcome
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("backend", &self.backend)
            .field("pgid", &self.pgid)
            .finish_non_exhaustive()
    }
}

fn backend_err(backend: &str, op: &str, kind: ErrorKind, msg: impl Into<String>) -> Error {
    Error::backend(backend, op, kind, msg)
}

impl Session {
    /// Starts the process and the task that reads it.
    pub(crate) async fn start(spec: SessionSpec) -> Result<Self> {
        let activity = Activity::new();
        let watcher =
            crate::liveness::watch_worktree(&spec.worktree.path, Arc::clone(&activity)).ok();
        let program = spec.process.program.clone();
        let input = spec.process.input.clone();
        let keep_stdin = spec.process.keep_stdin;
        let spawned = process::spawn(spec.process).await.map_err(|e| {
            backend_err(
                &spec.backend,
                "start the agent",
                if e.kind() == std::io::ErrorKind::NotFound {
                    ErrorKind::Invalid
                } else {
                    ErrorKind::Retryable
                },
                format!("cannot start {}: {e}", program.to_string_lossy()),
            )
        })?;
        let (state_tx, state) = watch::channel(State::default());
        let state_tx = Arc::new(state_tx);
        let stdin = Arc::new(Mutex::new(None));
        let Spawned {
            pgid,
            child,
            stdin: pipe,
            lines,
            log,
        } = spawned;
        // Whoever takes this worktree over after a crash of ops can stop the agent.
        let _ = spec.worktree.lease().record_agent(pgid);
        *stdin.lock().await = pipe;
        // The brief goes in from its own task: a program slow to read (or never
        // reading) must not hold up dispatch. Messages queue behind it on the lock.
        // The lock is taken here, before any `send` can run, so the brief goes first.
        let mut guard = Arc::clone(&stdin).lock_owned().await;
        let writer = tokio::spawn(async move {
            if let (Some(input), Some(pipe)) = (input, guard.as_mut()) {
                // A program that exits without reading its brief is judged by its exit status.
                let _ = pipe.write_all(&input).await;
                let _ = pipe.flush().await;
            }
            if !keep_stdin {
                guard.take();
            }
        });
        let stopped = Arc::new(AtomicBool::new(false));
        let driver = Driver {
            pgid,
            protocol: spec.protocol,
            keep_open: spec.keep_open,
            worktree: Arc::new(spec.worktree),
            commit_message: spec.commit_message,
            log,
            stdin: Arc::clone(&stdin),
            writer: writer.abort_handle(),
            state: Arc::clone(&state_tx),
            stopped: Arc::clone(&stopped),
            activity: Arc::clone(&activity),
        };
        tokio::spawn(driver.run(child, lines));
        let message_key = spec
            .session_id
            .clone()
            .unwrap_or_else(|| format!("{}-{pgid}", spec.backend));
        Ok(Session {
            message_key,
            backend: spec.backend,
            pgid,
            stdin,
            encode: spec.encode,
            state,
            state_tx,
            stopped,
            activity,
            grace: spec.grace,
            keep_open: spec.keep_open,
            session_id: spec.session_id,
            written: std::sync::atomic::AtomicU64::new(1),
            billed: std::sync::Mutex::default(),
            _watcher: watcher,
        })
    }

    /// The agent's process group id.
    pub fn pgid(&self) -> i32 {
        self.pgid
    }
}

impl Drop for Session {
    /// A handle dropped while its agent runs leaves nobody to control it: the agent's
    /// whole process group is killed.
    fn drop(&mut self) {
        if self.state.borrow().exited.is_none() {
            process::signal_group(self.pgid, Signal::SIGKILL);
        }
    }
}

#[async_trait]
impl AgentHandle for Session {
    async fn send(&self, message: &str) -> Result<()> {
        let Some(encode) = self.encode.as_ref() else {
            return Err(backend_err(
                &self.backend,
                "send a message to the agent",
                ErrorKind::Unsupported,
                "this runtime cannot be steered while it runs",
            ));
        };
        let Ok(mut stdin) = tokio::time::timeout(SEND_TIMEOUT, self.stdin.lock()).await else {
            return Err(backend_err(
                &self.backend,
                "send a message to the agent",
                ErrorKind::Retryable,
                "the agent has not read its earlier input yet",
            ));
        };
        let Some(pipe) = stdin.as_mut() else {
            return Err(backend_err(
                &self.backend,
                "send a message to the agent",
                ErrorKind::Conflict,
                "the agent no longer reads messages (it has ended)",
            ));
        };
        let n = self.written.load(Ordering::SeqCst);
        let Some(bytes) = encode(message, &message_uuid(&self.message_key, n, message)) else {
            return Err(backend_err(
                &self.backend,
                "send a message to the agent",
                ErrorKind::Retryable,
                "the agent is not ready for messages yet",
            ));
        };
        // Mark the send before writing, so a turn end racing the write is not taken
        // for the answer.
        self.state_tx.send_modify(|s| {
            s.seq += 1;
            s.sent = s.seq;
        });
        let written = tokio::time::timeout(SEND_TIMEOUT, async {
            pipe.write_all(bytes.as_bytes()).await?;
            pipe.flush().await
        })
        .await;
        match written {
            Ok(Ok(())) => {
                self.written.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Err(e)) => {
                return Err(backend_err(
                    &self.backend,
                    "send a message to the agent",
                    ErrorKind::Conflict,
                    format!("the agent's stdin is closed: {e}"),
                ));
            }
            Err(_) => {
                return Err(backend_err(
                    &self.backend,
                    "send a message to the agent",
                    ErrorKind::Retryable,
                    format!(
                        "the agent did not read its input within {}s",
                        SEND_TIMEOUT.as_secs()
                    ),
                ));
            }
        }
        self.activity.touch();
        Ok(())
    }

    async fn stop(&self) -> Result<()> {
        self.stopped.store(true, Ordering::SeqCst);
        // Close stdin unless a send holds it (the kill below breaks that pipe anyway).
        if let Ok(mut stdin) = self.stdin.try_lock() {
            stdin.take();
        }
        if self.state.borrow().exited.is_some() {
            return Ok(());
        }
        process::signal_group(self.pgid, Signal::SIGTERM);
        let mut state = self.state.clone();
        let ended = tokio::time::timeout(self.grace, state.wait_for(|s| s.exited.is_some())).await;
        if ended.is_err() {
            process::signal_group(self.pgid, Signal::SIGKILL);
        }
        Ok(())
    }

    async fn wait(&self) -> AgentOutcome {
        let mut state = self.state.clone();
        // A one-shot agent is done when its process is; a team agent at a turn's end.
        let keep_open = self.keep_open;
        let ready = |s: &State| {
            s.exited.is_some() || (keep_open && s.turn.is_some() && s.turn_end > s.sent)
        };
        let (key, outcome) = match state.wait_for(ready).await {
            Ok(s) => match (&s.exited, &s.turn) {
                (Some(exited), _) => (u64::MAX, exited.clone()),
                (None, Some(turn)) => (s.turn_end, turn.clone()),
                (None, None) => return AgentOutcome::failed("the agent ended without an outcome"),
            },
            Err(_) => return AgentOutcome::failed("the agent's reader stopped unexpectedly"),
        };
        self.billed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .bill(key, outcome)
    }

    fn last_activity(&self) -> Instant {
        self.activity.last()
    }

    fn session_id(&self) -> Option<String> {
        self.session_id.clone()
    }
}

/// Reads the process until it ends and publishes outcomes.
struct Driver {
    pgid: i32,
    protocol: Box<dyn Protocol>,
    keep_open: bool,
    worktree: Arc<Worktree>,
    commit_message: String,
    log: PathBuf,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    /// The task writing the brief to stdin (it holds the stdin lock while it writes).
    writer: tokio::task::AbortHandle,
    state: Arc<watch::Sender<State>>,
    stopped: Arc<AtomicBool>,
    activity: Arc<Activity>,
}

/// How long a message may take to be written to the agent's stdin.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// How long output is still read after the process itself has exited.
const DRAIN: Duration = Duration::from_millis(300);

impl Driver {
    async fn run(
        mut self,
        mut child: tokio::process::Child,
        mut lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    ) {
        let heartbeat = self.heartbeat();
        let mut garbage = 0usize;
        let mut lines_open = true;
        let status = loop {
            tokio::select! {
                line = lines.recv(), if lines_open => match line {
                    Some(line) => self.on_line(&line, &mut garbage).await,
                    None => lines_open = false,
                },
                status = child.wait() => break status,
            }
        };
        // Take what it printed before exiting (a grandchild holding stdout is cut off).
        let drain_until = Instant::now() + DRAIN;
        while lines_open {
            match tokio::time::timeout_at(drain_until, lines.recv()).await {
                Ok(Some(line)) => self.on_line(&line, &mut garbage).await,
                _ => lines_open = false,
            }
        }
        // Whatever the agent started in its group goes with it.
        process::signal_group(self.pgid, Signal::SIGKILL);
        heartbeat.abort();
        // A brief nobody will read (a process that left the group holds the pipe) must
        // not keep the stdin lock, and with it the outcome, forever.
        self.writer.abort();
        self.stdin.lock().await.take();
        let mut outcome = self.outcome_at_exit(status, garbage).await;
        // Free the worktree before anyone hears the agent ended (a retry may take it at once).
        self.worktree.lease().release();
        // A review's throwaway worktree goes with its agent, its branch too.
        if self.worktree.disposable
            && let Err(e) = self.worktree.discard().await
        {
            fail_with(
                &mut outcome,
                format!("ops could not remove the review's worktree: {e}"),
            );
        }
        self.state.send_modify(|s| s.exited = Some(outcome));
    }

    /// Keeps the worktree lease fresh while the agent runs.
    fn heartbeat(&self) -> tokio::task::JoinHandle<()> {
        let worktree = Arc::clone(&self.worktree);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(worktree.lease().heartbeat_every()).await;
                let _ = worktree.lease().heartbeat();
            }
        })
    }

    async fn on_line(&mut self, line: &str, garbage: &mut usize) {
        let seen = self.protocol.line(line);
        let outgoing = self.protocol.outgoing();
        if !outgoing.is_empty()
            && let Some(pipe) = self.stdin.lock().await.as_mut()
        {
            for out in outgoing {
                let _ = pipe.write_all(out.as_bytes()).await;
            }
            let _ = pipe.flush().await;
        }
        match seen {
            Seen::Event => self.activity.touch(),
            Seen::Garbage => *garbage += 1,
            Seen::Ack => {}
            Seen::TurnEnd => {
                self.activity.touch();
                let mut outcome = match self.protocol.verdict() {
                    Ok(summary) => self.outcome(AgentStatus::Succeeded, summary),
                    Err(reason) => {
                        let status = failed_status(self.protocol.as_ref(), reason);
                        self.outcome(status, String::new())
                    }
                };
                self.finalize(&mut outcome).await;
                if !self.keep_open {
                    // Subagent: one turn, then end (the runtime exits at EOF).
                    self.stdin.lock().await.take();
                }
                self.state.send_modify(|s| {
                    s.seq += 1;
                    s.turn_end = s.seq;
                    s.turn = Some(outcome);
                });
            }
        }
    }

    fn outcome(&self, status: AgentStatus, summary: String) -> AgentOutcome {
        AgentOutcome {
            status,
            summary,
            cost_usd: self.protocol.cost(),
            worktree: Some(self.worktree.path.clone()),
            changed_files: Vec::new(),
        }
    }

    async fn outcome_at_exit(
        &self,
        status: std::io::Result<std::process::ExitStatus>,
        garbage: usize,
    ) -> AgentOutcome {
        // The API's own error message when the output carries one (one finder for
        // every runtime's shape, Claude Code's `is_error` result included).
        let api_error = || crate::api_error::find(&process::log_tail(&self.log, 64 * 1024));
        // That message, else the log's tail.
        let tail = || {
            if let Some(message) = api_error() {
                return message;
            }
            let t = process::log_tail(&self.log, 64 * 1024);
            let t: String = {
                let skip = t.chars().count().saturating_sub(800);
                t.chars().skip(skip).collect()
            };
            if t.is_empty() {
                "no output".to_string()
            } else {
                format!("log tail: {}", t.trim())
            }
        };
        let verdict = self.protocol.verdict();
        let summary = verdict.clone().unwrap_or_default();
        let mut outcome = if self.stopped.load(Ordering::SeqCst) {
            self.outcome(AgentStatus::Stopped, summary)
        } else {
            let failed = |reason: String| AgentStatus::Failed { reason };
            let status = match status {
                Err(e) => failed(format!("waiting for the agent failed: {e}")),
                Ok(s) if s.success() => match verdict {
                    Ok(_) => AgentStatus::Succeeded,
                    Err(reason) if garbage > 0 => failed(format!(
                        "{reason}; {garbage} output line(s) were not understood ({})",
                        tail()
                    )),
                    Err(reason) => failed(reason),
                },
                Ok(s) => match (s.code(), std::os::unix::process::ExitStatusExt::signal(&s)) {
                    (Some(code), _) => failed(match api_error() {
                        Some(error) => format!("{error} (the agent exited with status {code})"),
                        None => format!("the agent exited with status {code} ({})", tail()),
                    }),
                    (None, Some(sig)) => failed(format!(
                        "the agent crashed: killed by signal {} ({})",
                        Signal::try_from(sig)
                            .map(|s| s.as_str())
                            .unwrap_or("unknown"),
                        tail()
                    )),
                    (None, None) => failed(format!("the agent ended abnormally ({})", tail())),
                },
            };
            let status = match status {
                AgentStatus::Failed { reason } => failed_status(self.protocol.as_ref(), reason),
                other => other,
            };
            self.outcome(status, summary)
        };
        self.finalize(&mut outcome).await;
        outcome
    }

    /// Commits what the agent left uncommitted and lists the branch's changed files.
    /// Nothing is committed when the agent left the task branch (ops never commits
    /// on a branch that is not the task's); that fails the outcome.
    async fn finalize(&self, outcome: &mut AgentOutcome) {
        // A reviewer changes nothing that is kept: ops commits nothing for it.
        if self.worktree.disposable {
            return;
        }
        let git = Git::new(&self.worktree.path);
        let head = git
            .run(["symbolic-ref", "--quiet", "--short", "HEAD"])
            .await
            .unwrap_or_default();
        if head != self.worktree.branch {
            let on = if head.is_empty() {
                "a detached HEAD".to_string()
            } else {
                format!("branch {head}")
            };
            fail_with(
                outcome,
                format!(
                    "the agent left the task branch {} for {on}; ops committed nothing there",
                    self.worktree.branch
                ),
            );
        } else if let Err(e) = commit_leftovers(&git, &self.commit_message).await {
            fail_with(
                outcome,
                format!("ops could not commit the agent's leftover changes: {e}"),
            );
        }
        outcome.changed_files =
            changed_files(&git, &self.worktree.base, &self.worktree.branch).await;
    }
}

/// Marks `outcome` failed with `note` (added to a failure's reason).
fn fail_with(outcome: &mut AgentOutcome, note: String) {
    match &mut outcome.status {
        AgentStatus::Failed { reason } => {
            reason.push_str("; ");
            reason.push_str(&note);
        }
        _ => outcome.status = AgentStatus::Failed { reason: note },
    }
}

/// Commits every uncommitted change in the worktree with `message`; `Ok(true)` if it did.
pub(crate) async fn commit_leftovers(
    git: &Git,
    message: &str,
) -> std::result::Result<bool, ops_git::GitError> {
    let status = git.run(["status", "--porcelain"]).await?;
    if status.trim().is_empty() {
        return Ok(false);
    }
    // A runtime's own files (Aider's history, Claude Code's settings, ...) stay out.
    let mut add = vec!["add", "-A", "--", "."];
    add.extend_from_slice(ops_core::runtime_files::EXCLUDE);
    git.run(add).await?;
    if git.succeeds(["diff", "--cached", "--quiet"]).await? {
        return Ok(false);
    }
    let has_identity = git.succeeds(["config", "user.email"]).await?
        || std::env::var_os("GIT_COMMITTER_EMAIL").is_some();
    let mut args: Vec<&str> = Vec::new();
    if !has_identity {
        args.extend(["-c", "user.name=ops", "-c", "user.email=ops@localhost"]);
    }
    args.extend(["commit", "--quiet", "--no-verify", "-m", message]);
    git.run(args).await?;
    Ok(true)
}

/// Files changed on `branch` since it left `base`.
pub(crate) async fn changed_files(git: &Git, base: &str, branch: &str) -> Vec<String> {
    git.run(["diff", "--name-only", &format!("{base}...{branch}")])
        .await
        .map(|out| out.lines().map(str::to_string).collect())
        .unwrap_or_default()
}
