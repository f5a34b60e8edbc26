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

#[cfg(test)]
mod tests {
    use super::*;
    use ops_core::Secret;
    use ops_core::model::SentryProject;
    use ops_sources::SentryConfig;
    use ops_testkit::sentry::FakeSentry;

    const TOKEN: &str = "sntrys_cli_probe_canary_7d1e";

    #[tokio::test]
    async fn issues_first_seen_after_the_moment_are_reported_for_the_alias_and_none_for_others() {
        let sentry = FakeSentry::seeded(TOKEN).await;
        let source = SentrySource::new(
            SentryConfig {
                url: sentry.url(),
                ..SentryConfig::default()
            },
            Secret::new(TOKEN, "env SENTRY_AUTH_TOKEN"),
        )
        .expect("source");
        let project = Project {
            alias: "shop".into(),
            sentry: Some(SentryProject {
                org: "acme".into(),
                project: "web".into(),
            }),
            ..Project::default()
        };
        let probe = SentryProbe::new(source, vec![project]);
        let now = Timestamp::now();
        let none = probe.new_issues_since("shop", now).await.expect("probe");
        assert_eq!(none, Vec::<String>::new(), "the seeded issues are older");
        sentry.add_issue(
            "acme",
            serde_json::json!({
                "id": "700999", "shortId": "WEB-99", "title": "RangeError: Invalid array length",
                "culprit": "cart.ts", "level": "error", "status": "unresolved",
                "permalink": "https://acme.sentry.io/issues/700999/",
                "project": {"id": "4501", "slug": "web", "name": "Web", "platform": null},
                "count": "3", "userCount": 2,
                "firstSeen": "2099-01-01T00:00:00Z", "lastSeen": "2099-01-01T00:00:05Z"
            }),
        );
        let new = probe.new_issues_since("shop", now).await.expect("probe");
        assert_eq!(new.len(), 1, "{new:?}");
        assert!(new[0].contains("RangeError"), "{new:?}");
        let other = probe.new_issues_since("billing", now).await.expect("probe");
        assert_eq!(
            other,
            Vec::<String>::new(),
            "a project without sentry config"
        );
    }
}
