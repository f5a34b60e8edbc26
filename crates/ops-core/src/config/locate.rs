//! Where the registry and the claude-ops side files are.

use super::env::Env;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Find the registry file. Order: `explicit` (`--registry`), `OPS_REGISTRY`,
/// `$CLAUDE_PLUGIN_DATA_DIR/registry.json`, `$CLAUDE_PLUGIN_ROOT/scripts/registry.json`,
/// then the user's config directory (`$XDG_CONFIG_HOME/ops/registry.json`, else
/// `~/.config/ops/registry.json`).
///
/// A path given by flag or `OPS_REGISTRY` must exist (an error names it, never
/// a silent fall-through to another registry). When none of the places holds a
/// registry, the error lists every place looked.
pub fn locate_registry(explicit: Option<&Path>, env: &Env) -> Result<PathBuf> {
    let named = explicit
        .map(|p| (p.to_path_buf(), "--registry"))
        .or_else(|| env.path("OPS_REGISTRY").map(|p| (p, "OPS_REGISTRY")));
    if let Some((path, how)) = named {
        return if path.exists() {
            Ok(path)
        } else {
            Err(Error::ConfigFile {
                path,
                field: "(file)".into(),
                message: format!("does not exist (given by {how})"),
            })
        };
    }
    let mut looked = Vec::new();
    for candidate in default_places(env) {
        // Anything there (a FIFO too) is the registry: the read says what is wrong.
        if candidate.exists() {
            return Ok(candidate);
        }
        looked.push(candidate.display().to_string());
    }
    if looked.is_empty() {
        looked.push("nowhere: none of OPS_REGISTRY, CLAUDE_PLUGIN_DATA_DIR, CLAUDE_PLUGIN_ROOT, XDG_CONFIG_HOME or HOME is set".into());
    }
    Err(Error::RegistryNotFound { looked })
}

fn default_places(env: &Env) -> Vec<PathBuf> {
    let mut places = Vec::new();
    if let Some(dir) = env.path("CLAUDE_PLUGIN_DATA_DIR") {
        places.push(dir.join("registry.json"));
    }
    if let Some(root) = env.path("CLAUDE_PLUGIN_ROOT") {
        places.push(root.join("scripts").join("registry.json"));
    }
    if let Some(config) = user_config_dir(env) {
        places.push(config.join("ops").join("registry.json"));
    }
    places
}

pub(crate) fn user_config_dir(env: &Env) -> Option<PathBuf> {
    env.path("XDG_CONFIG_HOME")
        .or_else(|| env.home().map(|h| h.join(".config")))
}

/// The directory holding claude-ops' side files (`preferences.json`,
/// `daemon-health.json`, `memories/`): `$CLAUDE_PLUGIN_DATA_DIR` when set, else
/// the registry's directory.
pub fn claude_ops_dir(env: &Env, registry: Option<&Path>) -> Option<PathBuf> {
    env.path("CLAUDE_PLUGIN_DATA_DIR")
        .or_else(|| registry.and_then(Path::parent).map(Path::to_path_buf))
}
