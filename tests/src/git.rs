//! Git as the oracle: what the origins hold, and whether a commit's work has landed.

use ops_testkit::git_env;
use std::path::Path;
use std::process::Command;

/// The trailer ops' local shipper puts on each squash commit (`Ops-Task: <id>`).
pub const TASK_TRAILER: &str = "Ops-Task";

/// Runs git in `dir` with the isolated environment; trimmed stdout, or an error
/// naming the command and git's stderr.
pub fn git_try(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(git_env())
        .output()
        .map_err(|e| format!("cannot run git {args:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    } else {
        Err(format!(
            "git {args:?} in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim_end()
        ))
    }
}

/// A commit on a branch that carries a task's trailer: one squash merge of that task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Squash {
    /// The commit.
    pub sha: String,
    /// The task id its `Ops-Task` trailer names.
    pub task: String,
    /// Its position in the branch's first-parent history, oldest first.
    pub position: usize,
    /// The files it adds.
    pub added: Vec<String>,
}

/// Every commit reachable from `branch` in `repo` (a bare origin) that carries an
/// `Ops-Task` trailer, oldest first. A task merged twice appears twice.
pub fn squashes(repo: &Path, branch: &str) -> Vec<Squash> {
    let first_parent = git_try(repo, &["rev-list", "--first-parent", "--reverse", branch])
        .unwrap_or_else(|e| panic!("{e}"));
    let order: Vec<&str> = first_parent.lines().collect();
    let log = git_try(
        repo,
        &[
            "log",
            "--reverse",
            &format!("--format=%H%x00%(trailers:key={TASK_TRAILER},valueonly,separator=%x00)"),
            branch,
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for line in log.lines() {
        let mut fields = line.split('\0');
        let Some(sha) = fields.next() else { continue };
        for task in fields.map(str::trim).filter(|t| !t.is_empty()) {
            let added = git_try(
                repo,
                &[
                    "diff-tree",
                    "--no-commit-id",
                    "--name-only",
                    "--diff-filter=A",
                    "-r",
                    "--root",
                    sha,
                ],
            )
            .unwrap_or_else(|e| panic!("{e}"));
            out.push(Squash {
                sha: sha.to_string(),
                task: task.to_string(),
                position: order.iter().position(|c| *c == sha).unwrap_or(usize::MAX),
                added: added.lines().map(String::from).collect(),
            });
        }
    }
    out
}

/// How many commits reachable from `branch` in `repo` add `path`.
pub fn commits_adding(repo: &Path, branch: &str, path: &str) -> usize {
    git_try(
        repo,
        &["log", "--format=%H", "--diff-filter=A", branch, "--", path],
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .lines()
    .count()
}

/// Whether `commit`'s work has landed on `target`: merging it into `target`
/// changes nothing (the tree of the merge is `target`'s tree). This holds for a
/// commit squashed onto the target, unlike `merge-base --is-ancestor`.
pub fn landed(repo: &Path, target: &str, commit: &str) -> bool {
    let Ok(target_tree) = git_try(repo, &["rev-parse", &format!("{target}^{{tree}}")]) else {
        return false;
    };
    match git_try(
        repo,
        &[
            "merge-tree",
            "--write-tree",
            "--no-messages",
            target,
            commit,
        ],
    ) {
        Ok(tree) => tree.lines().next() == Some(target_tree.as_str()),
        Err(_) => false,
    }
}

/// The refs of `repo` (local branches, remote-tracking branches, tags, ...) that
/// contain `commit`.
pub fn refs_containing(repo: &Path, commit: &str) -> Vec<String> {
    git_try(
        repo,
        &["for-each-ref", "--contains", commit, "--format=%(refname)"],
    )
    .map(|s| s.lines().map(String::from).collect())
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops_testkit::TempRepo;

    /// A branch `topic` off dev with one commit adding `file`; back on dev.
    fn topic(repo: &TempRepo, branch: &str, file: &str) -> String {
        repo.git(&["checkout", "--quiet", "-b", branch, "dev"]);
        let sha = repo.commit_file(file, "work\n", &format!("add {file}"));
        repo.git(&["checkout", "--quiet", "dev"]);
        sha
    }

    #[test]
    fn a_commit_squashed_onto_dev_has_landed_and_one_that_was_not_has_not() {
        let repo = TempRepo::new();
        let squashed = topic(&repo, "ops/t1", "a.txt");
        let pending = topic(&repo, "ops/t2", "b.txt");
        repo.git(&["merge", "--quiet", "--squash", "ops/t1"]);
        repo.git(&["commit", "--quiet", "-m", "t1\n\nOps-Task: t1"]);
        let work = repo.work();
        assert!(landed(&work, "dev", &squashed));
        assert!(!landed(&work, "dev", &pending));
        assert!(!refs_containing(&work, &pending).is_empty(), "on ops/t2");
    }

    #[test]
    fn squashes_lists_each_trailer_commit_so_a_double_merge_shows_twice() {
        let repo = TempRepo::new();
        repo.commit_file("a.txt", "a\n", "t1\n\nOps-Task: t1");
        repo.commit_file("b.txt", "b\n", "a title saying Ops-Task: t9");
        repo.commit_file("c.txt", "c\n", "t1 again\n\nOps-Task: t1");
        repo.git(&["push", "--quiet", "origin", "dev"]);
        let found = squashes(&repo.origin(), "dev");
        let tasks: Vec<(&str, usize, &[String])> = found
            .iter()
            .map(|s| (s.task.as_str(), s.position, s.added.as_slice()))
            .collect();
        assert_eq!(
            tasks,
            [
                ("t1", 1, &["a.txt".to_string()][..]),
                ("t1", 3, &["c.txt".to_string()][..])
            ]
        );
        assert_eq!(commits_adding(&repo.origin(), "dev", "b.txt"), 1);
    }
}
