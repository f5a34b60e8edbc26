//! `Shipper`: turns audited work into a merged change.

use super::WorkRef;
use crate::error::Result;
use crate::model::Task;
use async_trait::async_trait;
use serde::Serialize;

/// What a shipper backend can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ShipperCapabilities {
    /// Changes are reviewable PRs on a forge (else merged locally).
    pub opens_pull_requests: bool,
    /// `promote` moves dev to main.
    pub promotes: bool,
}

/// An open change (a PR, or a branch for local shipping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRef {
    /// The forge's id (PR number) or the branch.
    pub id: String,
    /// Where a human can see it.
    pub url: Option<String>,
    /// The exact head commit the checks and the merge are pinned to.
    pub head: String,
}

/// Checks on a change's exact head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ChecksState {
    /// Still running, or a required check has not reported yet.
    Pending,
    /// Every required check is green.
    Passed,
    /// Something is red.
    Failed {
        /// What failed, with log tails, for the agent.
        detail: String,
    },
}

/// How a merge attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum MergeOutcome {
    /// Merged now, as commit `sha`.
    Merged {
        /// The merge commit.
        sha: String,
    },
    /// It was merged before (a resumed run): nothing was done.
    AlreadyMerged {
        /// The merge commit.
        sha: String,
    },
    /// The head moved since the checks ran: check again.
    HeadChanged {
        /// The new head.
        head: String,
    },
    /// The forge refused (conflict, protection); the reason goes back to the agent.
    Refused {
        /// Why.
        reason: String,
    },
}

/// How a promotion of dev to main ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PromoteOutcome {
    /// Main now has dev's head.
    Promoted {
        /// Main's new head.
        sha: String,
    },
    /// Main already had everything.
    UpToDate,
    /// Not done (dev not green, no main branch, ...).
    Skipped {
        /// Why.
        reason: String,
    },
}

/// Something found wrong after a merge (a health endpoint down, a new Sentry
/// issue): the engine puts it on the board as a P0 task in the same repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    /// One line: what is broken.
    pub title: String,
    /// What was checked, what it answered, and which merge preceded it.
    pub description: String,
}

/// Ships changes. Every method is idempotent: a resumed run finds what is done.
#[async_trait]
pub trait Shipper: Send + Sync {
    /// Short name (`github`, `local`).
    fn name(&self) -> &str;
    /// What this backend can do.
    fn capabilities(&self) -> ShipperCapabilities;
    /// Pushes the work and opens the change, or finds the one already open for its branch.
    async fn open_change(&self, task: &Task, work: &WorkRef) -> Result<ChangeRef>;
    /// The checks on `change.head`.
    async fn checks(&self, change: &ChangeRef) -> Result<ChecksState>;
    /// Merges `change` pinned to `change.head`; a change merged before reports `AlreadyMerged`.
    async fn merge(&self, change: &ChangeRef) -> Result<MergeOutcome>;
    /// Promotes the dev branch of `repo` to its main branch (never a squash).
    async fn promote(&self, project: &str, repo: &str) -> Result<PromoteOutcome>;
    /// Checks what `task`'s merge (commit `merged`) did to the running project
    /// (health endpoints, new errors); each problem becomes a P0 follow-up task.
    /// The default checks nothing.
    async fn verify(&self, task: &Task, merged: &str) -> Result<Vec<FollowUp>> {
        let _ = (task, merged);
        Ok(Vec::new())
    }
}
