//! `IssueSource`: where findings come from.

use crate::error::Result;
use crate::model::{Finding, Project};
use async_trait::async_trait;

/// Audits one project and reports what it finds. Read-only.
#[async_trait]
pub trait IssueSource: Send + Sync {
    /// Short name (`git`, `github`, ...), used in findings and errors.
    fn name(&self) -> &str;
    /// Everything this source finds for `project`. A project the source does not
    /// apply to yields no findings, not an error.
    async fn audit(&self, project: &Project) -> Result<Vec<Finding>>;
}
