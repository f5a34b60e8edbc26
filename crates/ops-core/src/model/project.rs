//! A project: one or more repositories ops works on, with its own settings.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A registered project and the settings ops reads from its registry entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Project {
    /// The short name used on the command line and on the board.
    pub alias: String,
    /// Local checkouts.
    #[serde(default)]
    pub paths: Vec<PathBuf>,
    /// Remote repositories (`owner/name`).
    #[serde(default)]
    pub repos: Vec<String>,
    /// The branch agents branch from and changes merge to.
    #[serde(default)]
    pub dev_branch: Option<String>,
    /// The production branch dev is promoted to.
    #[serde(default)]
    pub main_branch: Option<String>,
    /// The command every change must pass.
    #[serde(default)]
    pub quality_gate: Option<String>,
    /// Globs of paths whose changes are sensitive (team mode, security review).
    #[serde(default)]
    pub sensitive_paths: Vec<String>,
    /// Other names the project answers to (`--project`), from the synced shape.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// How its changes ship; `None` = GitHub when the remote is on GitHub and a
    /// token resolves, else local.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship: Option<ShipKind>,
    /// What every task of this project must satisfy, besides the quality gate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acceptance_criteria: Vec<String>,
    /// The project's Sentry project, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentry: Option<SentryProject>,
    /// The project's Linear team, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear: Option<LinearTeam>,
    /// The largest file (in MB) a change may add; `None`: 5 MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_mb: Option<u64>,
    /// Whether a change may add binary files (default: refused).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_binaries: bool,
    /// Registry keys ops does not know, kept as they were.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// How a project's changes ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShipKind {
    /// Pull requests on GitHub.
    Github,
    /// The local-git shipper: no forge.
    Local,
}

/// A Sentry project reference (`sentry{org, project}` in the registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentryProject {
    /// The organisation slug.
    pub org: String,
    /// The project slug.
    pub project: String,
}

/// A Linear team reference (`linear{team}` in the registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinearTeam {
    /// The team key or id.
    pub team: String,
}

impl Project {
    /// Whether `name` is this project's alias or one of its other names.
    pub fn answers_to(&self, name: &str) -> bool {
        self.alias == name || self.aliases.iter().any(|a| a == name)
    }

    /// The health endpoints of the template shape's `infra.health_endpoints`
    /// (strings, or objects with a `url`).
    pub fn health_endpoints(&self) -> Vec<String> {
        let Some(list) = self
            .extra
            .get("infra")
            .and_then(|infra| infra.get("health_endpoints"))
            .and_then(serde_json::Value::as_array)
        else {
            return Vec::new();
        };
        list.iter()
            .filter_map(|item| match item {
                serde_json::Value::String(url) => Some(url.clone()),
                other => other.get("url").and_then(|u| u.as_str()).map(str::to_owned),
            })
            .collect()
    }
}
