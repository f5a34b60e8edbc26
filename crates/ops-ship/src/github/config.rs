//! What the GitHub shipper is told: each project's repositories, branches, required
//! checks and health endpoints, and the shipper's own settings.

use super::client::ClientConfig;
use ops_core::model::Project;
use std::path::PathBuf;
use std::time::Duration;

/// What the GitHub shipper knows about one project.
#[derive(Debug, Clone, Default)]
pub struct GitHubProject {
    /// The project's alias.
    pub alias: String,
    /// `owner/name` of each repository, in the order of `paths`.
    pub repos: Vec<String>,
    /// Local checkouts, in the order of `repos`.
    pub paths: Vec<PathBuf>,
    /// The branch changes merge to (default `dev`).
    pub dev_branch: String,
    /// The production branch (default `main`).
    pub main_branch: String,
    /// Checks (check-run names or status contexts) that must report on a head.
    pub required_checks: Vec<String>,
    /// URLs that must answer 2xx after a merge.
    pub health_endpoints: Vec<String>,
}

impl GitHubProject {
    /// Reads a registry project: repos, paths, branches, and from its extra keys
    /// `required_checks` and `infra.health_endpoints` (or `health_endpoints`).
    pub fn from_project(p: &Project) -> Self {
        let mut health = p.health_endpoints();
        health.extend(
            p.extra
                .get("health_endpoints")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().or_else(|| v["url"].as_str()).map(str::to_string)),
        );
        let required_checks = p
            .extra
            .get("required_checks")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        GitHubProject {
            alias: p.alias.clone(),
            repos: p.repos.clone(),
            paths: p.paths.clone(),
            dev_branch: p.dev_branch.clone().unwrap_or_else(|| "dev".into()),
            main_branch: p.main_branch.clone().unwrap_or_else(|| "main".into()),
            required_checks,
            health_endpoints: health,
        }
    }
}

/// Settings of the GitHub shipper.
#[derive(Debug, Clone)]
pub struct GitHubShipConfig {
    /// The API client's settings (base URL, rate-limit waits, retries).
    pub client: ClientConfig,
    /// The git remote of each checkout that is the GitHub repository (default `origin`).
    pub remote: String,
    /// With no required checks configured, whether a head with no check at all is
    /// pending (default true: "no CI reported yet" is not "green").
    pub require_some_check: bool,
    /// Tries of a merge refused with "Base branch was modified" (default 3).
    pub base_moved_tries: u32,
    /// How long after a merge the project is checked (default 60 s).
    pub verify_after: Duration,
    /// Whether `promote` moves dev to main (`--no-main` turns it off).
    pub promote: bool,
}

impl Default for GitHubShipConfig {
    fn default() -> Self {
        GitHubShipConfig {
            client: ClientConfig::default(),
            remote: "origin".into(),
            require_some_check: true,
            base_moved_tries: 3,
            verify_after: Duration::from_secs(60),
            promote: true,
        }
    }
}
