//! A task: one atomic piece of work, one repository, one change.

use super::{TaskStatus, Timestamp};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The prefix of every task branch ops creates (`ops/<id>-<slug>`): ops' own
/// bookkeeping, whose work lives on the board, not the user's.
pub const TASK_BRANCH_PREFIX: &str = "ops/";

/// The prefix of the branch a security review works on (`ops-review/<id>`).
pub const REVIEW_BRANCH_PREFIX: &str = "ops-review/";

/// A task's id: 1–64 characters of `A-Z a-z 0-9 . _ -`, safe in branch names and paths.
///
/// Shared text: a clone is a reference count, not a copy (the engine keeps an
/// id in several indexes per task).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaskId(std::sync::Arc<str>);

impl TaskId {
    /// Checks and wraps an id.
    pub fn new(value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        let reason = if value.is_empty() {
            Some("expected a non-empty id")
        } else if value.len() > 64 {
            Some("expected at most 64 characters")
        } else if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            Some("expected only letters, digits, '.', '_' and '-'")
        } else if value.starts_with(['.', '-']) {
            Some("expected it not to start with '.' or '-'")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::InvalidTaskId { value, reason }),
            None => Ok(TaskId(value.into())),
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TaskId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        TaskId::new(value)
    }
}

impl From<TaskId> for String {
    fn from(id: TaskId) -> String {
        id.0.to_string()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How urgent a task is. `P0` (production broken) sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    /// Production is broken.
    P0,
    /// Blocks shipping or users.
    P1,
    /// Should be done soon.
    P2,
    /// Whenever there is room.
    P3,
}

impl Priority {
    /// `P0` … `P3`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the agent of a task is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Fire and forget.
    #[default]
    Subagent,
    /// Steerable: receives messages while it runs.
    Team,
}

/// Who runs a worker: unique per running `ops` process.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkerId(pub String);

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A worker's claim on an in-flight task, renewed by heartbeat until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The worker holding the task.
    pub owner: WorkerId,
    /// When the claim lapses unless renewed.
    pub expires_at: Timestamp,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Dispatched, audited and shipped.
    Shipped,
    /// The agent exited with a failure.
    AgentFailed {
        /// Why, as the agent or its runtime reported it.
        reason: String,
    },
    /// The agent showed no activity for too long and was stopped.
    Stalled {
        /// How long it had been idle, in seconds.
        idle_secs: u64,
        /// What it had done before it was stopped.
        partial: String,
    },
    /// A gate rejected the work.
    GateFailed {
        /// The gate's name.
        gate: String,
        /// What it found.
        detail: String,
    },
    /// Shipping failed (checks red, merge refused, conflict).
    ShipFailed {
        /// What went wrong.
        detail: String,
    },
    /// The run was interrupted or the worker died; does not count against the attempt limit.
    Interrupted {
        /// What stopped it.
        reason: String,
    },
    /// The agent's runtime hit a rate or usage limit (HTTP 429, 529 overloaded, a
    /// usage limit): the runtime is paused until `until`; does not count against
    /// the attempt limit.
    RateLimited {
        /// The runtime (`claude`, ...).
        runtime: String,
        /// What the runtime said.
        reason: String,
        /// Until when the runtime is paused (its reset time, or ops' backoff).
        until: Timestamp,
    },
    /// The security review gave no verdict: the task is blocked; does not count
    /// against the attempt limit (the work was not judged).
    Unreviewed {
        /// Why there was no verdict.
        reason: String,
    },
}

impl AttemptOutcome {
    /// Whether this outcome uses up one of the task's attempts.
    pub fn counts_against_limit(&self) -> bool {
        !matches!(
            self,
            AttemptOutcome::Shipped
                | AttemptOutcome::Interrupted { .. }
                | AttemptOutcome::RateLimited { .. }
                | AttemptOutcome::Unreviewed { .. }
        )
    }

    /// One line for briefs and reports.
    pub fn describe(&self) -> String {
        match self {
            AttemptOutcome::Shipped => "shipped".into(),
            AttemptOutcome::AgentFailed { reason } => format!("the agent failed: {reason}"),
            AttemptOutcome::Stalled { idle_secs, partial } if partial.trim().is_empty() => {
                format!("stalled after {idle_secs}s without activity")
            }
            AttemptOutcome::Stalled { idle_secs, partial } => {
                format!("stalled after {idle_secs}s without activity; partial progress: {partial}")
            }
            AttemptOutcome::GateFailed { gate, detail } => {
                format!("the {gate} gate rejected the work: {detail}")
            }
            AttemptOutcome::ShipFailed { detail } => format!("shipping failed: {detail}"),
            AttemptOutcome::Interrupted { reason } => format!("interrupted: {reason}"),
            AttemptOutcome::RateLimited {
                runtime,
                reason,
                until,
            } => format!(
                "the {runtime} runtime hit a rate or usage limit ({reason}); it waits until {} (this attempt does not count)",
                until.to_rfc3339()
            ),
            AttemptOutcome::Unreviewed { reason } => {
                format!("the security review gave no verdict: {reason}")
            }
        }
    }
}

/// One try at a task: the brief it was given and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// The full brief the agent received.
    pub brief: String,
    /// When the agent was dispatched.
    pub started_at: Timestamp,
    /// When the attempt ended, once it has.
    pub ended_at: Option<Timestamp>,
    /// The agent's own summary of what it did.
    pub summary: Option<String>,
    /// What the agent reported spending.
    pub cost_usd: Option<f64>,
    /// How it ended, once it has.
    pub outcome: Option<AttemptOutcome>,
    /// The runtime's own session the agent ran in, when the runtime has one it can
    /// resume (Claude Code): stored as soon as the agent starts, so the next
    /// attempt after an interruption resumes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<AgentSession>,
}

/// A runtime's session: which runtime, and its id there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSession {
    /// The runtime's name (`claude`).
    pub runtime: String,
    /// The session id the runtime knows it by.
    pub id: String,
}

impl Attempt {
    /// Whether the next attempt should resume this one's session: it was cut
    /// off (interrupted, a rate or usage limit, or ops itself stopped and left
    /// it without an outcome), not judged. A failed, stalled or rejected attempt
    /// is followed by a fresh session with a brief that says what went wrong.
    pub fn resumable(&self) -> bool {
        matches!(
            self.outcome,
            None | Some(AttemptOutcome::Interrupted { .. } | AttemptOutcome::RateLimited { .. })
        )
    }
}

/// One atomic piece of work: one repository, one change, its place in the graph and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Stable id.
    pub id: TaskId,
    /// One line.
    pub title: String,
    /// What to do and why.
    pub description: String,
    /// The project's alias.
    pub project: String,
    /// The repository (path or `owner/name`) the change goes to.
    pub repo: String,
    /// How urgent.
    pub priority: Priority,
    /// Subagent or team.
    pub mode: Mode,
    /// Repository-relative paths the task owns; empty means the whole repository.
    pub paths: Vec<String>,
    /// The project's quality-gate command (from its config, never from finding text).
    pub quality_gate: Option<String>,
    /// What must be true when the task is done.
    pub acceptance_criteria: Vec<String>,
    /// Tasks that must complete before this one starts.
    pub blocked_by: BTreeSet<TaskId>,
    /// Where it is in its life.
    pub status: TaskStatus,
    /// Why it has its status (blocked, failed, already done), if there is more to say.
    pub status_reason: Option<String>,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<Attempt>,
    /// The task's branch once known.
    pub branch: Option<String>,
    /// The worktree the agent works in, once known.
    pub worktree: Option<std::path::PathBuf>,
    /// The change (PR) once opened.
    pub pr: Option<String>,
    /// The files its branch changed, as its last agent turn left them (for the
    /// tasks that build on it).
    #[serde(default)]
    pub changed_files: Vec<String>,
    /// The commit its change landed as on the dev branch, once merged.
    #[serde(default)]
    pub merged_sha: Option<String>,
    /// Set while the task is blocked because this blocker is blocked or failed.
    pub blocked_on: Option<TaskId>,
    /// Stable identity of the finding it came from.
    pub fingerprint: String,
    /// The audit source whose finding it came from; `None` for tasks added by
    /// hand (the planner never completes those on its own).
    #[serde(default)]
    pub source: Option<String>,
    /// Touches auth, payments, personal data or secrets (by keywords or the
    /// project's `sensitive_paths`): runs in team mode under hybrid and needs the
    /// security review (see [`Task::needs_security_review`]).
    #[serde(default)]
    pub sensitive: bool,
    /// When dev, with this task's merge in it, reached main (promoted, or found
    /// already there): the engine's record that the promotion after the merge
    /// happened. `None` until then; a run promotes the repositories of shipped
    /// tasks without it, so a promotion lost to a crash is made up for.
    #[serde(default)]
    pub promoted_at: Option<Timestamp>,
    /// When it was first put on the board.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// The worker holding it while in flight.
    pub lease: Option<Lease>,
    /// Bumped by the board on every save; a save must name the revision it read.
    pub revision: u64,
}

impl Task {
    /// A pending task with the given id, title and repository, and defaults for the rest.
    pub fn new(
        id: TaskId,
        title: impl Into<String>,
        project: impl Into<String>,
        repo: impl Into<String>,
    ) -> Self {
        let fingerprint = id.as_str().to_string();
        Task {
            id,
            title: title.into(),
            description: String::new(),
            project: project.into(),
            repo: repo.into(),
            priority: Priority::P2,
            mode: Mode::Subagent,
            paths: Vec::new(),
            quality_gate: None,
            acceptance_criteria: Vec::new(),
            blocked_by: BTreeSet::new(),
            status: TaskStatus::Pending,
            status_reason: None,
            attempts: Vec::new(),
            branch: None,
            worktree: None,
            pr: None,
            changed_files: Vec::new(),
            merged_sha: None,
            blocked_on: None,
            fingerprint,
            source: None,
            sensitive: false,
            promoted_at: None,
            created_at: Timestamp::default(),
            updated_at: Timestamp::default(),
            lease: None,
            revision: 0,
        }
    }

    /// Moves the task to `to`, refusing a move the transition table does not allow.
    pub fn move_to(&mut self, to: TaskStatus, reason: Option<String>) -> Result<()> {
        if self.status != to && !self.status.can_move_to(to) {
            return Err(Error::IllegalTransition {
                task: self.id.clone(),
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.status_reason = reason;
        Ok(())
    }

    /// Attempts that used up part of the attempt limit.
    pub fn counted_attempts(&self) -> u32 {
        let n = self
            .attempts
            .iter()
            .filter(|a| {
                a.outcome
                    .as_ref()
                    .is_some_and(AttemptOutcome::counts_against_limit)
            })
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The rate or usage limit the task's last attempt hit, while it is still
    /// pending: `(runtime, until, reason)`. What `ops status` shows and what a new
    /// run waits for, so a limit outlives the run that hit it.
    pub fn rate_limit(&self) -> Option<(&str, Timestamp, &str)> {
        if self.status != TaskStatus::Pending {
            return None;
        }
        match self.attempts.last()?.outcome.as_ref()? {
            AttemptOutcome::RateLimited {
                runtime,
                reason,
                until,
            } => Some((runtime, *until, reason)),
            _ => None,
        }
    }

    /// The branch the task's work goes on: `ops/<id>-<slug of the title>`.
    pub fn branch_name(&self) -> String {
        let mut slug = String::new();
        for c in self.title.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
            if slug.len() >= 40 {
                break;
            }
        }
        let slug = slug.trim_end_matches('-');
        if slug.is_empty() {
            format!("{TASK_BRANCH_PREFIX}{}", self.id)
        } else {
            format!("{TASK_BRANCH_PREFIX}{}-{slug}", self.id)
        }
    }

    /// Whether a separate reviewer must approve the change: the planner flagged it
    /// [`Task::sensitive`] (by [`SECURITY_KEYWORDS`] or `sensitive_paths`), or
    /// it is a team task whose title or description has a security focus (one of
    /// [`SECURITY_KEYWORDS`], as a whole word), e.g. one added by hand.
    pub fn needs_security_review(&self) -> bool {
        if self.sensitive {
            return true;
        }
        if self.mode != Mode::Team {
            return false;
        }
        let text = format!("{} {}", self.title, self.description).to_ascii_lowercase();
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| SECURITY_KEYWORDS.contains(&w))
    }

    /// Whether it was completed by shipping its change (its last attempt shipped),
    /// rather than found already done.
    pub fn shipped(&self) -> bool {
        self.status == TaskStatus::Completed
            && self
                .attempts
                .last()
                .is_some_and(|a| a.outcome == Some(AttemptOutcome::Shipped))
    }

    /// The attempt still running, if any.
    pub fn open_attempt_mut(&mut self) -> Option<&mut Attempt> {
        self.attempts.last_mut().filter(|a| a.outcome.is_none())
    }

    /// Records how the attempt still running (if any) ended, and when.
    pub fn end_open_attempt(&mut self, outcome: AttemptOutcome, at: Timestamp) {
        if let Some(a) = self.open_attempt_mut() {
            a.outcome = Some(outcome);
            a.ended_at = Some(at);
        }
    }

    /// Whether the two tasks may not run at the same time: same repository, and one of
    /// them declares no paths (owns it all) or their paths overlap.
    pub fn ownership_overlaps(&self, other: &Task) -> bool {
        ownership_overlaps((&self.repo, &self.paths), (&other.repo, &other.paths))
    }
}

/// Whether two tasks' ownership, `(repository, paths)` each (no paths: the
/// whole repository), overlaps (see [`Task::ownership_overlaps`]).
pub(crate) fn ownership_overlaps(a: (&str, &[String]), b: (&str, &[String])) -> bool {
    if a.0 != b.0 {
        return false;
    }
    if a.1.is_empty() || b.1.is_empty() {
        return true;
    }
    a.1.iter().any(|x| b.1.iter().any(|y| paths_overlap(x, y)))
}

/// Words (whole, case ignored) that make a task security-sensitive: the planner
/// flags findings with them (hybrid mode: team) and a team task mentioning one
/// needs the security review (see [`Task::needs_security_review`]).
pub const SECURITY_KEYWORDS: &[&str] = &[
    "auth",
    "authentication",
    "authorization",
    "oauth",
    "login",
    "logout",
    "password",
    "passwords",
    "jwt",
    "token",
    "tokens",
    "secret",
    "secrets",
    "credential",
    "credentials",
    "apikey",
    "api-key",
    "encryption",
    "encrypt",
    "decrypt",
    "crypto",
    "rbac",
    "sso",
    "saml",
    "2fa",
    "mfa",
    "payment",
    "payments",
    "billing",
    "invoice",
    "invoices",
    "stripe",
    "refund",
    "subscription",
    "pii",
    "gdpr",
    "ssn",
    "personal-data",
    "privacy",
    "kyc",
    "security",
    "vulnerability",
    "cve",
    "xss",
    "csrf",
    "injection",
];

/// Two repository-relative paths overlap when one is the other or lies inside it.
pub fn paths_overlap(a: &str, b: &str) -> bool {
    let ca: Vec<&str> = components(a);
    let cb: Vec<&str> = components(b);
    let n = ca.len().min(cb.len());
    ca[..n] == cb[..n]
}

fn components(p: &str) -> Vec<&str> {
    p.split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_an_attempt_cut_off_is_resumed_not_one_that_was_judged() {
        let attempt = |outcome| Attempt {
            number: 1,
            brief: String::new(),
            started_at: Timestamp(0),
            ended_at: None,
            summary: None,
            cost_usd: None,
            outcome,
            session: None,
        };
        assert!(attempt(None).resumable(), "ops stopped under it");
        assert!(attempt(Some(AttemptOutcome::Interrupted { reason: "x".into() })).resumable());
        assert!(!attempt(Some(AttemptOutcome::AgentFailed { reason: "x".into() })).resumable());
        assert!(
            !attempt(Some(AttemptOutcome::Stalled {
                idle_secs: 1,
                partial: String::new()
            }))
            .resumable()
        );
    }
    use super::*;

    fn id(s: &str) -> TaskId {
        TaskId::new(s).expect("valid id in test")
    }

    #[test]
    fn task_id_rejects_empty_long_and_unsafe_values_naming_the_value() {
        for bad in ["", "a b", "../x", "-flag", &"x".repeat(65), "a/b"] {
            let err = TaskId::new(bad).expect_err(bad).to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
        assert_eq!(id("fix-ci.2_a").as_str(), "fix-ci.2_a");
    }

    #[test]
    fn task_id_from_json_is_validated() {
        let err = serde_json::from_str::<TaskId>("\"a b\"").expect_err("invalid");
        assert!(err.to_string().contains("a b"));
    }

    #[test]
    fn illegal_move_is_an_error_and_leaves_status_unchanged() {
        let mut t = Task::new(id("t1"), "t", "p", "r");
        let err = t.move_to(TaskStatus::Completed, None).map(|_| ());
        assert!(
            err.is_ok(),
            "pending -> completed is the planner's already-done"
        );
        let err = t
            .move_to(TaskStatus::InProgress, None)
            .expect_err("completed is terminal");
        assert!(matches!(
            err,
            Error::IllegalTransition {
                from: TaskStatus::Completed,
                ..
            }
        ));
        assert_eq!(t.status, TaskStatus::Completed);
    }

    #[test]
    fn paths_overlap_by_whole_components_only() {
        assert!(paths_overlap("src", "src/lib.rs"));
        assert!(paths_overlap("./src/a/", "src/a/b.rs"));
        assert!(paths_overlap("src/a.rs", "src/a.rs"));
        assert!(!paths_overlap("src/a.rs", "src/a.rs.bak"));
        assert!(!paths_overlap("src/a", "src/ab"));
        assert!(!paths_overlap("docs", "src"));
    }

    #[test]
    fn tasks_without_paths_own_the_whole_repository() {
        let mut a = Task::new(id("a"), "a", "p", "r");
        let mut b = Task::new(id("b"), "b", "p", "r");
        assert!(a.ownership_overlaps(&b));
        a.paths = vec!["src".into()];
        assert!(a.ownership_overlaps(&b));
        b.paths = vec!["docs".into()];
        assert!(!a.ownership_overlaps(&b));
        b.repo = "other".into();
        b.paths.clear();
        assert!(!a.ownership_overlaps(&b));
    }

    #[test]
    fn branch_name_is_the_id_and_a_safe_slug_of_the_title() {
        let mut t = Task::new(id("t7"), "Fix: CI on `main` (flaky!)", "p", "r");
        assert_eq!(t.branch_name(), "ops/t7-fix-ci-on-main-flaky");
        t.title = "!!!".into();
        assert_eq!(t.branch_name(), "ops/t7");
    }

    #[test]
    fn security_review_is_needed_for_flagged_tasks_and_team_tasks_with_a_security_focus() {
        let mut t = Task::new(id("s"), "Fix the login session expiry", "p", "r");
        assert!(
            !t.needs_security_review(),
            "a subagent task is not reviewed for its words"
        );
        t.mode = Mode::Team;
        assert!(t.needs_security_review());
        t.title = "Rename the authoring tool".into();
        assert!(
            !t.needs_security_review(),
            "whole words only: authoring is not auth"
        );
        t.description = "touches the OAuth callback".into();
        assert!(t.needs_security_review());
        let mut flagged = Task::new(id("f"), "Tidy docs", "p", "r");
        flagged.sensitive = true;
        assert!(flagged.needs_security_review());
    }

    #[test]
    fn interrupted_attempts_do_not_use_up_the_limit() {
        let mut t = Task::new(id("t"), "t", "p", "r");
        for outcome in [
            AttemptOutcome::Interrupted {
                reason: "crash".into(),
            },
            AttemptOutcome::AgentFailed {
                reason: "exit 1".into(),
            },
        ] {
            t.attempts.push(Attempt {
                number: 1,
                brief: String::new(),
                started_at: Timestamp(0),
                ended_at: None,
                summary: None,
                cost_usd: None,
                outcome: Some(outcome),
                session: None,
            });
        }
        assert_eq!(t.counted_attempts(), 1);
    }

    #[test]
    fn a_task_saved_before_promotions_were_recorded_reads_as_not_promoted() {
        let t = Task::new(id("old"), "old", "p", "r");
        let mut json = serde_json::to_value(&t).expect("json");
        json.as_object_mut()
            .expect("an object")
            .remove("promoted_at");
        let back: Task = serde_json::from_value(json).expect("still readable");
        assert_eq!(back.promoted_at, None);
        assert_eq!(back, t);
    }

    #[test]
    fn only_a_task_completed_by_its_last_attempt_shipping_counts_as_shipped() {
        let mut t = Task::new(id("s"), "s", "p", "r");
        t.attempts.push(Attempt {
            number: 1,
            brief: String::new(),
            started_at: Timestamp(0),
            ended_at: None,
            summary: None,
            cost_usd: None,
            outcome: Some(AttemptOutcome::Shipped),
            session: None,
        });
        assert!(!t.shipped(), "still pending");
        t.status = TaskStatus::Completed;
        assert!(t.shipped());
        t.attempts.clear();
        assert!(!t.shipped(), "completed as already done");
    }

    #[test]
    fn a_stall_without_partial_progress_says_no_empty_partial_progress() {
        let stalled = |partial: &str| AttemptOutcome::Stalled {
            idle_secs: 900,
            partial: partial.into(),
        };
        assert_eq!(
            stalled("").describe(),
            "stalled after 900s without activity"
        );
        assert_eq!(
            stalled("  \n").describe(),
            "stalled after 900s without activity"
        );
        assert_eq!(
            stalled("wrote half of it").describe(),
            "stalled after 900s without activity; partial progress: wrote half of it"
        );
    }
}
