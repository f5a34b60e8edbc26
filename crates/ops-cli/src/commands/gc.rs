//! `ops gc` (SCOPED: run inside a git checkout): removes the task worktrees under
//! `<repo>/.worktrees/` whose work has landed on the dev branch (`origin/dev`, else
//! `dev`, `origin/main`, `main`) and says why it keeps each other one. Never removes
//! a worktree with unlanded commits, uncommitted changes, or another ops process's
//! lease. The GLOBAL case (every project of the registry) is not wired yet.
//!
//! Output: a table WORKTREE, BRANCH, ACTION (removed/kept), REASON; with `--json` an
//! array of `{path, branch, action, reason}`.

use crate::cli::GlobalArgs;
use crate::exit::CliError;
use ops_dispatch::WorktreeManager;
use ops_dispatch::gc::{self, GcAction, GcPolicy};
use ops_git::Git;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Serialize)]
struct Row {
    path: PathBuf,
    branch: Option<String>,
    action: &'static str,
    reason: String,
}

/// Collects the landed worktrees of the checkout the current directory is in.
pub fn run(global: &GlobalArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let cwd = std::env::current_dir().map_err(|source| CliError::Io {
        what: "read the current directory",
        path: PathBuf::from("."),
        source,
    })?;
    let rows = super::block_on(collect(cwd))??;
    let text = if global.json {
        let mut s = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
        s.push('\n');
        s
    } else {
        table(&rows)
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)
}

async fn collect(cwd: PathBuf) -> Result<Vec<Row>, CliError> {
    let top = Git::new(&cwd)
        .run(["rev-parse", "--show-toplevel"])
        .await
        .map_err(|_| CliError::NotScoped { dir: cwd.clone() })?;
    let repo = PathBuf::from(top);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if home.as_deref() == Some(repo.as_path()) {
        return Err(CliError::NotScoped { dir: repo });
    }
    let policy = GcPolicy {
        target: gc::default_target(&repo).await?,
        ..GcPolicy::default()
    };
    let decisions = gc::decide(&repo, &WorktreeManager::default(), &policy).await?;
    gc::remove(&repo, &decisions).await?;
    Ok(decisions
        .into_iter()
        .map(|d| Row {
            path: d.path,
            branch: d.branch,
            action: match d.action {
                GcAction::Remove => "removed",
                GcAction::Keep => "kept",
            },
            reason: d.reason,
        })
        .collect())
}

fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "no task worktrees\n".into();
    }
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.path.display().to_string(),
                r.branch.clone().unwrap_or_else(|| "(detached)".into()),
                r.action.to_string(),
                r.reason.clone(),
            ]
        })
        .collect();
    let header = ["WORKTREE", "BRANCH", "ACTION", "REASON"].map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}
