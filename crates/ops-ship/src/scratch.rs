//! Scratch worktrees: a detached checkout of one commit in a temp dir, for running
//! a command on exactly that commit without touching anyone's checkout.

use ops_core::{Error, ErrorKind, Result};
use ops_git::Git;
use std::path::{Path, PathBuf};

/// A detached worktree of `repo` at one commit; [`Scratch::remove`] cleans it up
/// (a crash leaves a stale entry that the next [`Scratch::at`] prunes).
pub(crate) struct Scratch {
    git: Git,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Scratch {
    pub async fn at(backend: &str, repo: &Path, commit: &str) -> Result<Scratch> {
        let fail =
            |e: String| Error::backend(backend, "make a scratch worktree", ErrorKind::Fatal, e);
        let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
        let dir = tmp.path().join("checkout");
        let git = Git::new(repo);
        let _ = git.run(["worktree", "prune"]).await;
        git.run([
            "worktree",
            "add",
            "--quiet",
            "--detach",
            &dir.to_string_lossy(),
            commit,
        ])
        .await
        .map_err(|e| fail(e.to_string()))?;
        Ok(Scratch {
            git,
            dir,
            _tmp: tmp,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub async fn remove(self) {
        let _ = self
            .git
            .run(["worktree", "remove", "--force", &self.dir.to_string_lossy()])
            .await;
    }
}
