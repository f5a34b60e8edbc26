//! The after-merge check with the real Sentry source: `SentrySource::
//! issues_first_seen_since`, adapted to ops-ship's `NewIssueProbe` as the CLI
//! adapts it, turns an issue first seen after a merge into a follow-up of the
//! GitHub shipper's `verify`, and leaves older issues alone.

use async_trait::async_trait;
use ops_core::Secret;
use ops_core::model::{Project, SentryProject, Task, TaskId, Timestamp};
use ops_core::seams::Shipper;
use ops_ship::github::{
    ClientConfig, GitHubProject, GitHubShipConfig, GitHubShipper, GitHubToken, NewIssueProbe,
};
use ops_sources::http::HttpConfig;
use ops_sources::sentry::{SentryConfig, SentrySource};
use ops_testkit::github::FakeGitHub;
use ops_testkit::sentry::FakeSentry;
use std::sync::Arc;
use std::time::Duration;

const SENTRY_TOKEN: &str = "sntrys_probe_canary_51f0";

/// The adapter the CLI builds: a project alias → the registry project → Sentry.
struct SentryProbe {
    source: SentrySource,
    projects: Vec<Project>,
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

#[tokio::test]
async fn an_issue_first_seen_after_the_merge_is_a_follow_up_and_older_ones_are_not() {
    let sentry = FakeSentry::seeded(SENTRY_TOKEN).await;
    let gh = FakeGitHub::start().await;
    let dir = tempfile::tempdir().expect("tmp");
    let registry = Project {
        alias: "proj".into(),
        paths: vec![dir.path().to_path_buf()],
        sentry: Some(SentryProject {
            org: "acme".into(),
            project: "web".into(),
        }),
        ..Project::default()
    };
    let source = SentrySource::new(
        SentryConfig {
            url: sentry.url(),
            http: HttpConfig {
                backoff: Duration::from_millis(1),
                ..HttpConfig::default()
            },
            ..SentryConfig::default()
        },
        Secret::new(SENTRY_TOKEN, "env SENTRY_AUTH_TOKEN"),
    )
    .expect("source");
    let ship = GitHubShipper::new(
        vec![GitHubProject {
            alias: "proj".into(),
            repos: vec!["acme/app".into()],
            paths: vec![dir.path().to_path_buf()],
            dev_branch: "dev".into(),
            main_branch: "main".into(),
            required_checks: Vec::new(),
            health_endpoints: Vec::new(),
        }],
        GitHubToken::new("ghp_unused0000000000000000000000000000"),
        GitHubShipConfig {
            client: ClientConfig {
                api_base: gh.url(),
                ..ClientConfig::default()
            },
            verify_after: Duration::ZERO,
            ..GitHubShipConfig::default()
        },
    )
    .with_probe(Arc::new(SentryProbe {
        source,
        projects: vec![registry],
    }));
    let task = Task::new(
        TaskId::new("t1").expect("id"),
        "fix the cart",
        "proj",
        dir.path().to_string_lossy().into_owned(),
    );

    // Only issues seen before the merge: nothing to follow up.
    let quiet = ship.verify(&task, "abc1234567890").await.expect("verify");
    assert_eq!(quiet, [], "the seeded issues are all older than the merge");

    // An error that first appears after the merge (dated ahead, so no clock race).
    sentry.add_issue(
        "acme",
        serde_json::json!({
            "id": "700999", "shortId": "WEB-99", "title": "RangeError: Invalid array length",
            "culprit": "app/cart/lines.ts in expand", "level": "error", "status": "unresolved",
            "permalink": "https://acme.sentry.io/issues/700999/",
            "project": {"id": "4501", "slug": "web", "name": "Web", "platform": null},
            "count": "3", "userCount": 2,
            "firstSeen": "2099-01-01T00:00:00Z", "lastSeen": "2099-01-01T00:00:05Z"
        }),
    );
    let follow = ship.verify(&task, "abc1234567890").await.expect("verify");
    assert_eq!(follow.len(), 1, "{follow:?}");
    assert!(
        follow[0].title.contains("New error after merge abc1234567")
            && follow[0]
                .title
                .contains("WEB-99: RangeError: Invalid array length"),
        "{follow:?}"
    );
    assert!(
        sentry
            .authorizations()
            .iter()
            .all(|a| *a == format!("Bearer {SENTRY_TOKEN}"))
    );
    assert!(!format!("{follow:?}").contains(SENTRY_TOKEN));
}
