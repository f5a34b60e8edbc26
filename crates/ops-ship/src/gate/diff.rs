//! What a task's branch changes relative to its merge-base with dev, read with git.

use super::GateBase;
use ops_core::model::Task;
use ops_core::seams::WorkRef;
use ops_core::{Error, ErrorKind, Result};
use ops_git::Git;
use std::path::PathBuf;

/// One changed file (renames appear as a deletion and an addition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangedFile {
    /// `A`, `M`, `D`, `T`, ...
    pub status: char,
    /// Repository-relative path.
    pub path: String,
}

/// A task's change.
#[derive(Debug, Clone)]
pub(crate) struct Diff {
    /// The merge-base with dev.
    pub base: String,
    /// The files it changes.
    pub files: Vec<ChangedFile>,
}

/// Where git runs for `task`: its worktree, else its repository checkout.
pub(crate) fn repo_dir(task: &Task, work: &WorkRef) -> PathBuf {
    work.worktree
        .clone()
        .unwrap_or_else(|| PathBuf::from(&task.repo))
}

pub(crate) fn git_error(gate: &str, op: &str, e: ops_git::GitError) -> Error {
    Error::backend(gate, op, ErrorKind::Fatal, e.to_string())
}

/// The merge-base of the task's branch and dev, and the branch tip.
pub(crate) async fn endpoints(
    gate: &str,
    base: &GateBase,
    task: &Task,
    work: &WorkRef,
) -> Result<(Git, String, String)> {
    let git = Git::new(repo_dir(task, work));
    let head = git
        .run([
            "rev-parse",
            "--verify",
            "--end-of-options",
            &format!("refs/heads/{}^{{commit}}", work.branch),
        ])
        .await
        .map_err(|e| {
            Error::backend(
                gate,
                "find the task branch",
                ErrorKind::Invalid,
                format!("branch {:?} does not exist: {e}", work.branch),
            )
        })?;
    let mut dev = None;
    for candidate in base.candidates(task) {
        let spec = format!("{candidate}^{{commit}}");
        if let Ok(sha) = git.run(["rev-parse", "--verify", "--quiet", &spec]).await
            && !sha.is_empty()
        {
            dev = Some(sha);
            break;
        }
    }
    let Some(dev) = dev else {
        return Err(Error::backend(
            gate,
            "find the dev branch",
            ErrorKind::Invalid,
            format!(
                "project {}: dev branch {:?} not found locally or on the remote",
                task.project,
                base.dev_branch(task)
            ),
        ));
    };
    let merge_base = git
        .run(["merge-base", &dev, &head])
        .await
        .map_err(|e| git_error(gate, "find the merge-base with dev", e))?;
    Ok((git, merge_base, head))
}

/// The change the task's branch makes.
pub(crate) async fn diff_of(
    gate: &str,
    base: &GateBase,
    task: &Task,
    work: &WorkRef,
) -> Result<Diff> {
    let (git, merge_base, head) = endpoints(gate, base, task, work).await?;
    let names = git
        .run([
            "diff",
            "--name-status",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            &merge_base,
            &head,
        ])
        .await
        .map_err(|e| git_error(gate, "list changed files", e))?;
    let mut files = Vec::new();
    let mut parts = names.split('\0').filter(|s| !s.is_empty());
    while let (Some(status), Some(path)) = (parts.next(), parts.next()) {
        files.push(ChangedFile {
            status: status.chars().next().unwrap_or('?'),
            path: path.to_string(),
        });
    }
    Ok(Diff {
        base: merge_base,
        files,
    })
}

/// The full patch (with context), for a reviewer.
pub(crate) async fn patch_of(
    gate: &str,
    base: &GateBase,
    task: &Task,
    work: &WorkRef,
) -> Result<String> {
    let (git, merge_base, head) = endpoints(gate, base, task, work).await?;
    git.run([
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--stat",
        "-p",
        &merge_base,
        &head,
    ])
    .await
    .map_err(|e| git_error(gate, "read the diff", e))
}

/// Added lines of a unified diff, with the file each is in (the secrets gate
/// reads them per commit).
pub(crate) fn added_lines(patch: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut file = String::new();
    let mut in_hunk = false;
    for line in patch.lines() {
        if line.starts_with("diff --git ") {
            in_hunk = false;
        } else if !in_hunk && let Some(path) = line.strip_prefix("+++ ") {
            file = path.strip_prefix("b/").unwrap_or(path).to_string();
        } else if line.starts_with("@@") {
            in_hunk = true;
        } else if in_hunk && let Some(added) = line.strip_prefix('+') {
            out.push((file.clone(), added.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_come_from_hunks_only_with_their_file() {
        let patch = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n-old\n+new\n++plus\ndiff --git a/y b/y\nnew file mode 100644\n--- /dev/null\n+++ b/y\n@@ -0,0 +1 @@\n+why\n";
        assert_eq!(
            added_lines(patch),
            [
                ("x".to_string(), "new".to_string()),
                ("x".to_string(), "+plus".to_string()),
                ("y".to_string(), "why".to_string())
            ]
        );
    }
}
