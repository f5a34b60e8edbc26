//! The after-merge check for new errors: the Sentry source's
//! `issues_first_seen_since`, adapted to the GitHub shipper's `NewIssueProbe`
//! (a project alias → its registry entry → its Sentry project).

use async_trait::async_trait;
use ops_core::model::{Project, Timestamp};
use ops_ship::github::NewIssueProbe;
use ops_sources::SentrySource;

/// Asks Sentry for the issues of a project first seen since a merge.
pub struct SentryProbe {
    source: SentrySource,
    projects: Vec<Project>,
}

impl SentryProbe {
    /// A probe reading `source` for `projects` (those with `sentry{}` config).
    pub fn new(source: SentrySource, projects: Vec<Project>) -> Self {
        SentryProbe { source, projects }
    }
}

#[async_trait]
impl NewIssueProbe for SentryProbe {
    async fn new_issues_since(
        &self,
        project: &str,
        since: Timestamp,
    ) -> ops_core::Result<Vec<String>> {
        match self.projects.iter().find(|p| p.answers_to(project)) {
            Some(p) => self.source.issues_first_seen_since(p, since).await,
            None => Ok(Vec::new()),
        }
    }
}
