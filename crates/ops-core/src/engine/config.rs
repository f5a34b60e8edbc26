//! The engine's settings and their defaults.

use crate::model::WorkerId;
use std::time::Duration;

/// Whether the engine asks before merging a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeConfirmation {
    /// Merge without asking (`--force`, and the default for an embedded engine).
    #[default]
    Forced,
    /// Ask before each merge: emit [`crate::Event::MergeConfirmationRequested`] and
    /// wait for [`crate::EngineHandle::confirm_merge`] (the CLI on a terminal).
    Ask,
    /// Nobody can answer (no terminal, no `--force`): leave the change open and
    /// block the task with a reason starting [`AWAITING_CONFIRMATION`].
    Unattended,
}

/// How the status reason of a task whose green change waits for a human begins.
pub const AWAITING_CONFIRMATION: &str = "awaiting confirmation";

/// How the engine runs. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// At most this many agents at once (default 5).
    pub max_agents: usize,
    /// No activity for this long stops an agent and re-dispatches it narrowed (default 15 min).
    pub stall_after: Duration,
    /// A team agent without activity for `stall_after` is first asked
    /// [`super::STATUS_CHECK`]; only if nothing happens within this long is it
    /// stopped and re-dispatched narrowed (default 60 s).
    pub status_check_grace: Duration,
    /// Counted failures before a task is blocked (default 3).
    pub max_attempts: u32,
    /// Dispatch only tasks in the first this-many waves (waves are numbered from
    /// 0, so `Some(1)` is wave 0 only; default: all).
    pub max_waves: Option<u32>,
    /// Promote dev to main after merging (default true; `--no-main` turns it off).
    pub promote: bool,
    /// This worker's identity on the board (default: `<host>:<pid>:<start time>`,
    /// the host part also naming the boot and the pid namespace where Linux `/proc`
    /// tells them).
    pub worker: WorkerId,
    /// How long a lease lasts without a heartbeat (default 60 s; heartbeats every third of it).
    pub lease_ttl: Duration,
    /// How often the board's change feed is read when nothing else wakes the
    /// engine (default 500 ms): how soon tasks another process puts on the board
    /// are seen. A read costs what changed, not the board.
    pub board_poll: Duration,
    /// First wait between check polls, doubled up to `checks_poll_max` (default 10 s).
    pub checks_poll: Duration,
    /// Longest wait between check polls (default 2 min).
    pub checks_poll_max: Duration,
    /// Give up waiting for checks after this long (default 2 h).
    pub checks_timeout: Duration,
    /// How long a stopped agent gets to end before it counts as gone (default 30 s).
    pub stop_grace: Duration,
    /// Whether to ask before each merge (default [`MergeConfirmation::Forced`]; the
    /// CLI asks on a terminal unless `--force`, and holds changes open without one).
    pub merge_confirmation: MergeConfirmation,
    /// Stop dispatching once the agents of this run have reported spending this
    /// many dollars (default: no limit; `--budget-usd`). Running agents finish and
    /// their work ships; the run then halts with [`crate::HaltReason::BudgetSpent`].
    /// Must be finite and above 0.
    pub budget_usd: Option<f64>,
    /// Run only the tasks of these projects (aliases); the rest of the board is
    /// left exactly as it is and does not keep the run going (default: every
    /// project). A task in scope waiting for one outside it ends the run, reported
    /// among the blocked.
    pub projects: Option<std::collections::BTreeSet<String>>,
    /// Run only fires: P0 tasks and the tasks they depend on, transitively, within
    /// [`EngineConfig::projects`] (`--fires-only`). The scope grows with every
    /// task the board's feed brings, so P0 tasks added while running (follow-ups) join.
    pub fires_only: bool,
    /// With nothing else to do while a runtime is paused by a rate or usage limit,
    /// wait for the pause to end (default true); `false` (`--no-wait`) halts the
    /// run with [`crate::HaltReason::RateLimited`] instead.
    pub wait_for_rate_limits: bool,
    /// The pause after a rate limit that names no reset time, doubled for each
    /// limit in a row (default 60 s).
    pub rate_limit_backoff: Duration,
    /// The longest such pause (default 30 min).
    pub rate_limit_backoff_max: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_agents: 5,
            stall_after: Duration::from_secs(15 * 60),
            status_check_grace: Duration::from_secs(60),
            max_attempts: 3,
            max_waves: None,
            promote: true,
            worker: default_worker(),
            lease_ttl: Duration::from_secs(60),
            board_poll: Duration::from_millis(500),
            checks_poll: Duration::from_secs(10),
            checks_poll_max: Duration::from_secs(120),
            checks_timeout: Duration::from_secs(2 * 60 * 60),
            stop_grace: Duration::from_secs(30),
            merge_confirmation: MergeConfirmation::Forced,
            budget_usd: None,
            projects: None,
            fires_only: false,
            wait_for_rate_limits: true,
            rate_limit_backoff: Duration::from_secs(60),
            rate_limit_backoff_max: Duration::from_secs(30 * 60),
        }
    }
}

impl EngineConfig {
    /// Refuses settings the engine cannot run with, naming the setting.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |field, value: String, expected| {
            Err(crate::Error::InvalidConfig {
                field,
                value,
                expected,
            })
        };
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        if self.max_agents == 0 {
            return bad("max_agents", "0".into(), "at least 1");
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "0".into(), "at least 1");
        }
        if self.max_waves == Some(0) {
            return bad("max_waves", "0".into(), "at least 1, or no limit");
        }
        for (field, d) in [
            ("lease_ttl", self.lease_ttl),
            ("board_poll", self.board_poll),
            ("checks_poll", self.checks_poll),
            ("stall_after", self.stall_after),
            ("status_check_grace", self.status_check_grace),
            ("rate_limit_backoff", self.rate_limit_backoff),
        ] {
            if d < Duration::from_millis(3) {
                return bad(field, ms(d), "at least 3ms");
            }
        }
        if self.rate_limit_backoff_max < self.rate_limit_backoff {
            return bad(
                "rate_limit_backoff_max",
                ms(self.rate_limit_backoff_max),
                "at least rate_limit_backoff",
            );
        }
        if let Some(budget) = self.budget_usd
            && !(budget.is_finite() && budget > 0.0)
        {
            return bad(
                "budget_usd",
                budget.to_string(),
                "a finite number of dollars above 0, or no limit",
            );
        }
        if self.worker.0.is_empty() {
            return bad("worker", String::new(), "a non-empty worker id");
        }
        Ok(())
    }
}

fn default_worker() -> WorkerId {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    // The host part also names what tells apart processes that share a hostname
    // but not their pids: the boot (another machine, or a reboot) and the pid
    // namespace (a container given the host's hostname). A worker judges another
    // gone only when both are its own (`WorkerId::is_gone`).
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .and_then(|b| b.trim().get(..8).map(str::to_string));
    let pid_ns = std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|l| {
            l.to_string_lossy()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|n| !n.is_empty());
    let host = match (boot, pid_ns) {
        (Some(boot), Some(ns)) => format!("{host}/{boot}/{ns}"),
        _ => host,
    };
    WorkerId(format!(
        "{host}:{}:{}",
        std::process::id(),
        crate::model::Timestamp::now().0
    ))
}
