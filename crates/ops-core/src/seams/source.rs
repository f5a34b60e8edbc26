//! `IssueSource`: where findings come from.

use crate::error::Result;
use crate::model::{Finding, Project};
use async_trait::async_trait;

/// Audits projects and reports what it finds. Read-only.
#[async_trait]
pub trait IssueSource: Send + Sync {
    /// Short name (`git`, `github`, ...), used in findings and errors.
    fn name(&self) -> &str;
    /// Everything this source finds for `project`. A project the source does not
    /// apply to yields no findings, not an error.
    async fn audit(&self, project: &Project) -> Result<Vec<Finding>>;
    /// Whether the audit should hand this source every project in one
    /// [`IssueSource::audit_many`] call (a remote source that asks about many
    /// repositories per request) instead of one [`IssueSource::audit`] call each.
    fn batched(&self) -> bool {
        false
    }
    /// Audits several projects at once: one result per project, in the order
    /// given, so one project's failure never hides another's findings. The
    /// default calls [`IssueSource::audit`] for each in turn.
    async fn audit_many(&self, projects: &[Project]) -> Vec<Result<Vec<Finding>>> {
        let mut out = Vec::with_capacity(projects.len());
        for project in projects {
            out.push(self.audit(project).await);
        }
        out
    }
}
