//! git plumbing on the fake's bare repositories (git itself is the oracle).

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with the isolated test environment; `Err(stderr)` on failure.
pub(super) fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(crate::git_env())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The commit `branch` points to.
pub(super) fn branch_sha(bare: &Path, branch: &str) -> Option<String> {
    git(
        bare,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}^{{commit}}"),
        ],
    )
    .ok()
}

/// The tree of merging `head` into `base`, or `None` on a conflict.
pub(super) fn merge_tree(bare: &Path, base: &str, head: &str) -> Option<String> {
    git(
        bare,
        &["merge-tree", "--write-tree", "--no-messages", base, head],
    )
    .ok()
    .and_then(|t| t.lines().next().map(str::to_string))
}

/// Commits in `to` that `from` lacks.
pub(super) fn count(bare: &Path, from: &str, to: &str) -> u64 {
    git(bare, &["rev-list", "--count", &format!("{from}..{to}")])
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
