//! `QualityGate`: judges what an agent did before it ships.

use crate::error::Result;
use crate::model::Task;
use async_trait::async_trait;
use serde::Serialize;
use std::path::PathBuf;

/// Where an attempt's work is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkRef {
    /// The branch holding the work.
    pub branch: String,
    /// The worktree, when the dispatcher made one.
    pub worktree: Option<PathBuf>,
    /// The agent's summary.
    pub summary: String,
}

/// A gate's judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateVerdict {
    /// Whether the work may go on.
    pub passed: bool,
    /// Why (the log tail of a failed command, the files out of scope, ...).
    pub detail: String,
    /// Why this change needs the security review although the task is not tagged
    /// sensitive (e.g. it changes a CI workflow or the gate's own files); set with
    /// [`GateVerdict::requiring_review`]. The engine runs the review after every
    /// gate passed when any verdict says so, or the task
    /// [needs it](crate::model::Task::needs_security_review).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_required: Option<String>,
}

impl GateVerdict {
    /// A passing verdict.
    pub fn pass(detail: impl Into<String>) -> Self {
        GateVerdict {
            passed: true,
            detail: detail.into(),
            review_required: None,
        }
    }

    /// A failing verdict.
    pub fn fail(detail: impl Into<String>) -> Self {
        GateVerdict {
            passed: false,
            detail: detail.into(),
            review_required: None,
        }
    }

    /// The same verdict, also saying the change needs the security review, and why
    /// (`"it changes .github/workflows/ci.yml, a CI workflow"`).
    pub fn requiring_review(mut self, reason: impl Into<String>) -> Self {
        self.review_required = Some(reason.into());
        self
    }
}

/// One check every completion must pass.
#[async_trait]
pub trait QualityGate: Send + Sync {
    /// Short name (`quality-gate`, `diff-scope`, `secrets`, `review`).
    fn name(&self) -> &str;
    /// Judges the work of `task` at `work`. An error counts as a failed gate.
    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict>;
}

/// Reads the patch of a task's work (what its branch adds), for a reviewer.
#[async_trait]
pub trait PatchReader: Send + Sync {
    /// The patch of `work` (with context), secrets already redacted.
    async fn patch(&self, task: &Task, work: &WorkRef) -> Result<String>;
}
