//! Repository states for the audit sources' tests, built with git itself, and
//! git's own answers (the oracle the sources are checked against).

use crate::git::{TempRepo, git};
use std::path::{Path, PathBuf};

/// How many lines `git status --porcelain` prints in `dir`.
pub fn porcelain_count(dir: &Path) -> usize {
    git(dir, &["status", "--porcelain"]).lines().count()
}

/// The paths `git status --porcelain` lists in `dir`, sorted (a rename is its
/// new path).
pub fn porcelain_paths(dir: &Path) -> Vec<String> {
    let mut paths: Vec<String> = git(dir, &["status", "--porcelain"])
        .lines()
        .map(|line| {
            let path = line.get(3..).unwrap_or_default();
            path.rsplit(" -> ").next().unwrap_or(path).to_owned()
        })
        .collect();
    paths.sort();
    paths
}

/// `git rev-list --count <range>` in `dir`.
pub fn rev_list_count(dir: &Path, range: &str) -> usize {
    let out = git(dir, &["rev-list", "--count", range]);
    out.parse()
        .unwrap_or_else(|e| panic!("rev-list printed {out:?}: {e}"))
}

impl TempRepo {
    /// Commit `count` files under `dir/` on the current branch and push them.
    pub fn pushed_commits(&self, dir: &str, count: usize) {
        for i in 0..count {
            self.commit_file(&format!("{dir}/pushed{i}.txt"), "pushed\n", "pushed work");
        }
        self.git(&["push", "--quiet"]);
    }

    /// Commit `count` files under `dir/` on the current branch without pushing.
    pub fn unpushed_commits(&self, dir: &str, count: usize) {
        for i in 0..count {
            self.commit_file(&format!("{dir}/local{i}.txt"), "local\n", "local work");
        }
    }

    /// Leave every kind of change git status knows in the clone (after
    /// committing, not pushing, the files it then changes: one commit): a staged new
    /// file, a staged edit, an unstaged edit, a file staged then edited again,
    /// a staged rename, a deleted file, an untracked file and an untracked
    /// directory of several files (collapsed to one line by git).
    pub fn mixed_changes(&self) {
        for name in [
            "edit-staged",
            "edit-unstaged",
            "edit-both",
            "to-rename",
            "to-delete",
        ] {
            self.write(
                &format!("tracked/{name}.txt"),
                &format!("{name}\nline two\nline three\n"),
            );
        }
        self.git(&["add", "tracked"]);
        self.git(&["commit", "--quiet", "-m", "tracked files"]);
        self.write("new-staged.txt", "new\n");
        self.git(&["add", "new-staged.txt"]);
        self.write("tracked/edit-staged.txt", "changed and staged\n");
        self.git(&["add", "tracked/edit-staged.txt"]);
        self.write("tracked/edit-unstaged.txt", "changed, not staged\n");
        self.write("tracked/edit-both.txt", "staged version\n");
        self.git(&["add", "tracked/edit-both.txt"]);
        self.write("tracked/edit-both.txt", "edited again after staging\n");
        self.git(&["mv", "tracked/to-rename.txt", "tracked/renamed.txt"]);
        std::fs::remove_file(self.work().join("tracked/to-delete.txt")).expect("delete file");
        self.write("untracked.txt", "untracked\n");
        self.write("untracked-dir/a.txt", "a\n");
        self.write("untracked-dir/nested/b.txt", "b\n");
    }

    /// A linked worktree of the clone at `<root>/<name>` on a new branch
    /// `branch` started from the current HEAD; returns its path.
    pub fn linked_worktree(&self, name: &str, branch: &str) -> PathBuf {
        let path = self.root().join(name);
        let arg = path.display().to_string();
        self.git(&["worktree", "add", "--quiet", "-b", branch, &arg]);
        path
    }

    /// A linked worktree at `<root>/<name>` with HEAD detached at `rev`;
    /// returns its path.
    pub fn detached_worktree(&self, name: &str, rev: &str) -> PathBuf {
        let path = self.root().join(name);
        let arg = path.display().to_string();
        self.git(&["worktree", "add", "--quiet", "--detach", &arg, rev]);
        path
    }
}

/// A directory at `<root>/<name>` whose `.git` file points to a git dir that
/// does not exist (a worktree whose main repository was deleted).
pub fn dangling_gitfile(root: &Path, name: &str) -> PathBuf {
    let path = root.join(name);
    std::fs::create_dir_all(&path).expect("create dir");
    std::fs::write(
        path.join(".git"),
        "gitdir: /nonexistent/ops-test/.git/worktrees/x\n",
    )
    .expect("write .git file");
    path
}

/// A fresh repository at `<root>/<name>` whose `.git/HEAD` holds garbage.
pub fn garbage_head(root: &Path, name: &str) -> PathBuf {
    let path = root.join(name);
    std::fs::create_dir_all(&path).expect("create dir");
    git(&path, &["init", "--quiet"]);
    std::fs::write(path.join(".git/HEAD"), "this is not a ref\n").expect("write HEAD");
    path
}
