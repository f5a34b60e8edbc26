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
    /// Registry keys ops does not know, kept as they were.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}
