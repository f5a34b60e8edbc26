//! A fake source that reports a fixed list of findings.

use crate::error::Result;
use crate::model::{Finding, Project};
use crate::seams::IssueSource;
use async_trait::async_trait;

/// An [`IssueSource`] that reports the findings it was given for each project.
#[derive(Debug, Clone)]
pub struct FakeSource {
    name: String,
    findings: Vec<Finding>,
}

impl FakeSource {
    /// A source named `name` that knows `findings`.
    pub fn new(name: impl Into<String>, findings: Vec<Finding>) -> Self {
        FakeSource {
            name: name.into(),
            findings,
        }
    }
}

#[async_trait]
impl IssueSource for FakeSource {
    fn name(&self) -> &str {
        &self.name
    }

    async fn audit(&self, project: &Project) -> Result<Vec<Finding>> {
        Ok(self
            .findings
            .iter()
            .filter(|f| f.project == project.alias)
            .cloned()
            .collect())
    }
}
