//! What the security review is shown: the patch of a task's branch against its
//! merge-base with dev, secrets redacted. The review itself (brief, reviewer agent,
//! verdict) is the engine's: `ops_core::engine::review`.

use super::GateBase;
use super::diff::patch_of;
use super::secrets::redact;
use async_trait::async_trait;
use ops_core::Result;
use ops_core::model::Task;
use ops_core::seams::{PatchReader, WorkRef};

/// Reads the patch a reviewer is shown, with git.
#[derive(Debug, Clone, Default)]
pub struct BranchPatch {
    base: GateBase,
}

impl BranchPatch {
    /// Patches against each project's dev branch per `base`.
    pub fn new(base: GateBase) -> Self {
        BranchPatch { base }
    }
}

#[async_trait]
impl PatchReader for BranchPatch {
    async fn patch(&self, task: &Task, work: &WorkRef) -> Result<String> {
        let patch = patch_of("security-review", &self.base, task, work).await?;
        Ok(redact(&patch))
    }
}
