//! `ops gc`: removes the task worktrees (under `<repo>/.worktrees/`) whose work has
//! landed on their project's dev branch, and says why it keeps each other one. Never
//! removes a worktree with unlanded commits, uncommitted changes, or another ops
//! process's lease. SCOPED inside a checkout (no registry needed), else GLOBAL over
//! every project path of the registry; a missing path is skipped with a warning.
//!
//! Output: a table PROJECT, WORKTREE, BRANCH, ACTION (removed/kept), REASON; with
//! `--json` an array of `{project, path, branch, action, reason}`.

use super::{columns, scope};
use crate::cli::GlobalArgs;
use crate::exit::CliError;
use ops_core::model::Project;
use ops_dispatch::WorktreeManager;
use ops_dispatch::gc::{self, GcAction, GcPolicy};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Serialize)]
struct Row {
    project: String,
    path: PathBuf,
    branch: Option<String>,
    action: &'static str,
    reason: String,
}

/// Collects the landed worktrees of every project in scope.
pub fn run(global: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    let scope = scope::load(global, None)?;
    let (rows, warnings) = super::block_on(collect(scope.context.projects))??;
    for w in warnings {
        writeln!(err, "ops: warning: {w}").map_err(CliError::Output)?;
    }
    let text = if global.json {
        let mut s = serde_json::to_string_pretty(&rows)
            .expect("rows hold only strings and paths, which always encode");
        s.push('\n');
        s
    } else if rows.is_empty() {
        "no task worktrees\n".to_string()
    } else {
        let cells: Vec<[String; 5]> = rows
            .iter()
            .map(|r| {
                [
                    r.project.clone(),
                    r.path.display().to_string(),
                    r.branch.clone().unwrap_or_else(|| "(detached)".into()),
                    r.action.to_string(),
                    r.reason.clone(),
                ]
            })
            .collect();
        columns(
            &["PROJECT", "WORKTREE", "BRANCH", "ACTION", "REASON"],
            &cells,
        )
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)
}

async fn collect(projects: Vec<Project>) -> Result<(Vec<Row>, Vec<String>), CliError> {
    let manager = WorktreeManager::default();
    let (mut rows, mut warnings) = (Vec::new(), Vec::new());
    for project in projects {
        for repo in &project.paths {
            if !repo.is_dir() {
                warnings.push(format!(
                    "project {}: {} does not exist; skipped",
                    project.alias,
                    repo.display()
                ));
                continue;
            }
            // One project that cannot be judged never stops the others.
            let target = match gc::target_for(repo, project.dev_branch.as_deref()).await {
                Ok(t) => t,
                Err(e) => {
                    warnings.push(format!("project {}: {e}; skipped", project.alias));
                    continue;
                }
            };
            let policy = GcPolicy {
                target,
                ..GcPolicy::default()
            };
            let decisions = match gc::decide(repo, &manager, &policy).await {
                Ok(d) => d,
                Err(e) => {
                    warnings.push(format!("project {}: {e}; skipped", project.alias));
                    continue;
                }
            };
            let decisions = gc::remove(repo, decisions).await?;
            rows.extend(decisions.into_iter().map(|d| Row {
                project: project.alias.clone(),
                path: d.path,
                branch: d.branch,
                action: match d.action {
                    GcAction::Remove => "removed",
                    GcAction::Keep => "kept",
                },
                reason: d.reason,
            }));
        }
    }
    Ok((rows, warnings))
}
