//! The audit context: one repository (SCOPED) or every registered project (GLOBAL).
//!
//! - `--project ALIAS` → SCOPED on that registered project (unknown alias: an
//!   error listing the known ones).
//! - Else, inside a git repository whose top is not `$HOME` → SCOPED on it: the
//!   registry's entry for that path when there is one, else a project made up
//!   on the spot (alias = the directory's name), so no registry is needed. When
//!   that name is already a registered project's (another clone of it, say),
//!   a short hash of the path is added: the made-up project must never pass for
//!   the registered one, whose tasks the planner would otherwise complete.
//! - Else → GLOBAL over the registry.

use super::registry::Registry;
use crate::error::{Error, Result};
use crate::model::{Project, fingerprint};
use std::path::{Path, PathBuf};

/// SCOPED or GLOBAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextKind {
    /// One repository.
    Scoped,
    /// Every registered project.
    Global,
}

/// What an audit or a run covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// SCOPED or GLOBAL.
    pub kind: ContextKind,
    /// The projects in scope.
    pub projects: Vec<Project>,
}

impl Context {
    /// Decide the context. `registry` is `None` when none was found; it is
    /// needed for GLOBAL and for `--project`, and the `missing_registry` error
    /// is returned then.
    pub fn resolve(
        cwd: &Path,
        home: Option<&Path>,
        forced: Option<&str>,
        registry: Option<&Registry>,
        missing_registry: impl FnOnce() -> Error,
    ) -> Result<Context> {
        if let Some(alias) = forced {
            let registry = registry.ok_or_else(missing_registry)?;
            return Ok(Context {
                kind: ContextKind::Scoped,
                projects: vec![registry.project(alias)?.clone()],
            });
        }
        if let Some(top) = repository_top(cwd)
            && !home.is_some_and(|h| same_dir(h, &top))
        {
            let project = registry
                .and_then(|r| r.project_at(&top))
                .cloned()
                .unwrap_or_else(|| Project {
                    alias: made_up_alias(&top, registry),
                    paths: vec![top.clone()],
                    ..Project::default()
                });
            return Ok(Context {
                kind: ContextKind::Scoped,
                projects: vec![project],
            });
        }
        let registry = registry.ok_or_else(missing_registry)?;
        Ok(Context {
            kind: ContextKind::Global,
            projects: registry.projects.clone(),
        })
    }
}

/// The alias of an unregistered checkout: its directory's name, plus a short
/// hash of its path when a registered project already answers to that name.
fn made_up_alias(top: &Path, registry: Option<&Registry>) -> String {
    let name = top
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into());
    if registry.is_some_and(|r| r.projects.iter().any(|p| p.answers_to(&name))) {
        let hash = fingerprint(&[&top.display().to_string()]);
        format!("{name}-{}", &hash[..6])
    } else {
        name
    }
}

/// The top of the git repository (or linked worktree) containing `dir`: the
/// nearest ancestor holding a `.git` directory or file.
pub fn repository_top(dir: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(a) == canon(b)
}
