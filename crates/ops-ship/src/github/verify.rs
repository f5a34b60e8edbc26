//! After a merge: the project's health endpoints answer 2xx, and (through a probe
//! the Sentry source provides) no new error appeared. Each failure is a follow-up.

use crate::gate::secrets::redact;
use async_trait::async_trait;
use ops_core::model::Timestamp;
use ops_core::seams::FollowUp;

/// Reports errors first seen after a moment (the Sentry source implements it;
/// until then a project without a probe is checked by its health endpoints only).
#[async_trait]
pub trait NewIssueProbe: Send + Sync {
    /// Titles of the issues of `project` first seen at or after `since`.
    async fn new_issues_since(
        &self,
        project: &str,
        since: Timestamp,
    ) -> ops_core::Result<Vec<String>>;
}

pub(crate) async fn health(
    http: &reqwest::Client,
    endpoints: &[String],
    merged: &str,
) -> Vec<FollowUp> {
    let mut out = Vec::new();
    for url in endpoints {
        let problem = match http.get(url).send().await {
            Ok(r) if r.status().is_success() => continue,
            Ok(r) => format!("answered {}", r.status().as_u16()),
            Err(e) => format!("could not be reached: {}", redact(&e.to_string())),
        };
        let url = redact(url);
        out.push(FollowUp {
            title: format!("Health check {url} fails after merge {}", short(merged)),
            description: format!(
                "After merging {merged}, GET {url} {problem}. Find what broke it and fix it."
            ),
        });
    }
    out
}

pub(crate) async fn new_issues(
    probe: &dyn NewIssueProbe,
    project: &str,
    since: Timestamp,
    merged: &str,
) -> Vec<FollowUp> {
    match probe.new_issues_since(project, since).await {
        Ok(issues) => issues
            .into_iter()
            .map(|title| FollowUp {
                title: format!(
                    "New error after merge {}: {}",
                    short(merged),
                    redact(&title)
                ),
                description: format!("First seen after merging {merged}: {}", redact(&title)),
            })
            .collect(),
        Err(e) => vec![FollowUp {
            title: format!(
                "Could not check for new errors after merge {}",
                short(merged)
            ),
            description: redact(&e.to_string()),
        }],
    }
}

fn short(sha: &str) -> &str {
    sha.get(..10).unwrap_or(sha)
}
