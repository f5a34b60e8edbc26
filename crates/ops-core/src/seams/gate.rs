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
}

impl GateVerdict {
    /// A passing verdict.
    pub fn pass(detail: impl Into<String>) -> Self {
        GateVerdict {
            passed: true,
            detail: detail.into(),
        }
    }

    /// A failing verdict.
    pub fn fail(detail: impl Into<String>) -> Self {
        GateVerdict {
            passed: false,
            detail: detail.into(),
        }
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
