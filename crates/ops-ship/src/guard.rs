//! The origin guard: ops notices when a branch of a project's remote moved without it.
//!
//! Before any agent is dispatched, ops records where the remote's dev and main
//! branches are ([`OriginGuard::record`]). Before each ship step it reads them again
//! from the remote itself (`git ls-remote`, not the remote-tracking refs an agent's
//! worktree shares) and compares ([`OriginGuard::check`]): a branch that moved, or
//! vanished, without ops is an [`ErrorKind::Halt`] naming the branch and both commits,
//! so the engine blocks the task and nothing of it ships. Only ops' own pushes move
//! the record ([`OriginGuard::moved_by_ops`]); after a halt the record stays as it
//! was, so the repository stays halted for the rest of the run. ops never pushes
//! anything back.
//!
//! The remote's URLs (fetch and push) are recorded with its branches and compared
//! first, before the remote is contacted: the git config is shared by every
//! worktree of a checkout, and an agent that points `origin` at a host of its own
//! would otherwise receive the next push (and the credentials git sends with it).

use ops_core::{Error, ErrorKind, Result};
use ops_git::Git;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where each watched branch of each repository's remote was, as ops last left it.
#[derive(Debug)]
pub struct OriginGuard {
    remote: String,
    /// By repository, by branch: its commit, `None` when the remote had no such branch.
    recorded: Mutex<BTreeMap<PathBuf, BTreeMap<String, Option<String>>>>,
    /// By repository: the remote's fetch and push URLs when first recorded.
    urls: Mutex<BTreeMap<PathBuf, Urls>>,
}

/// A remote's fetch and push URLs, as `git remote get-url [--push]` gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Urls {
    fetch: String,
    push: String,
}

impl Default for OriginGuard {
    fn default() -> Self {
        OriginGuard::new("origin")
    }
}

fn key(repo: &Path) -> PathBuf {
    std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf())
}

fn halt(message: String) -> Error {
    Error::backend(
        "origin-guard",
        "check the remote before shipping",
        ErrorKind::Halt,
        message,
    )
}

impl OriginGuard {
    /// A guard over `remote` (e.g. `origin`).
    pub fn new(remote: impl Into<String>) -> Self {
        OriginGuard {
            remote: remote.into(),
            recorded: Mutex::default(),
            urls: Mutex::default(),
        }
    }

    /// The remote's URLs in `repo`'s git config now.
    async fn read_urls(&self, repo: &Path) -> Result<Urls> {
        let git = Git::new(repo);
        let fail = |e: ops_git::GitError| {
            Error::backend(
                "origin-guard",
                format!("read the URL of {}", self.remote),
                ErrorKind::Halt,
                e.to_string(),
            )
        };
        let remote = self.remote.as_str();
        let fetch = git.run(["remote", "get-url", remote]).await.map_err(fail)?;
        let push = git
            .run(["remote", "get-url", "--push", remote])
            .await
            .map_err(fail)?;
        Ok(Urls { fetch, push })
    }

    /// Records the remote's URLs for `repo` unless recorded, then compares: a
    /// halt when they changed since.
    async fn check_urls(&self, repo: &Path) -> Result<()> {
        let now = self.read_urls(repo).await?;
        let mut urls = self
            .urls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let was = urls.entry(key(repo)).or_insert_with(|| now.clone());
        if *was == now {
            return Ok(());
        }
        let remote = &self.remote;
        let (which, a, b) = if was.fetch == now.fetch {
            ("push URL", &was.push, &now.push)
        } else {
            ("URL", &was.fetch, &now.fetch)
        };
        Err(halt(format!(
            "the {which} of {remote} changed from {} to {} during the task, not by ops (the git config every worktree shares was rewritten); nothing of this repository ships and ops contacts neither",
            ops_git::without_credentials(a),
            ops_git::without_credentials(b)
        )))
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<PathBuf, BTreeMap<String, Option<String>>>> {
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The commits of `branches` on the remote of `repo`, read from the remote.
    async fn read(
        &self,
        repo: &Path,
        branches: &[&str],
    ) -> Result<BTreeMap<String, Option<String>>> {
        let mut args = vec!["ls-remote".to_string(), self.remote.clone()];
        args.extend(branches.iter().map(|b| format!("refs/heads/{b}")));
        let out = Git::new(repo).run(&args).await.map_err(|e| {
            Error::backend(
                "origin-guard",
                format!("read the branches of {}", self.remote),
                ErrorKind::Retryable,
                e.to_string(),
            )
        })?;
        let mut found: BTreeMap<String, Option<String>> =
            branches.iter().map(|b| ((*b).to_string(), None)).collect();
        for line in out.lines() {
            let mut fields = line.split('\t');
            if let (Some(sha), Some(name)) = (fields.next(), fields.next())
                && let Some(branch) = name.strip_prefix("refs/heads/")
                && let Some(slot) = found.get_mut(branch)
            {
                *slot = Some(sha.to_string());
            }
        }
        Ok(found)
    }

    /// Records where `branches` of `repo`'s remote are, unless already recorded
    /// (a record is only ever moved by ops' own pushes).
    pub async fn record(&self, repo: &Path, branches: &[&str]) -> Result<()> {
        self.check_urls(repo).await?;
        let missing: Vec<&str> = {
            let recorded = self.lock();
            let known = recorded.get(&key(repo));
            branches
                .iter()
                .copied()
                .filter(|b| known.is_none_or(|k| !k.contains_key(*b)))
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let now = self.read(repo, &missing).await?;
        let mut recorded = self.lock();
        let entry = recorded.entry(key(repo)).or_default();
        for (branch, sha) in now {
            entry.entry(branch).or_insert(sha);
        }
        Ok(())
    }

    /// Compares `dev` and `main` of `repo`'s remote with the record: `Err` of kind
    /// [`ErrorKind::Halt`] naming the first branch that moved, appeared or vanished
    /// without ops, or saying that the remote has no `dev` (a remote without `main`
    /// is fine while it stays so). Branches never recorded are recorded now.
    pub async fn check(&self, repo: &Path, dev: &str, main: &str) -> Result<()> {
        let branches = [dev, main];
        self.record(repo, &branches).await?;
        let now = self.read(repo, &branches).await?;
        let recorded = self.lock();
        let known = recorded.get(&key(repo));
        let remote = &self.remote;
        for branch in branches {
            let was = known.and_then(|k| k.get(branch)).cloned().flatten();
            let is = now.get(branch).cloned().flatten();
            match (was, is) {
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => {
                    return Err(halt(format!(
                        "{remote}/{branch} moved from {a} to {b} during the task, not by ops; nothing of this repository ships and ops pushes nothing back (refs/heads/{branch} of {remote})"
                    )));
                }
                (Some(a), None) => {
                    return Err(halt(format!(
                        "{remote} has no branch {branch}: it was at {a} when the run started and was deleted during the task, not by ops; nothing of this repository ships"
                    )));
                }
                (None, Some(b)) => {
                    return Err(halt(format!(
                        "{remote}/{branch} appeared at {b} during the task, not by ops; nothing of this repository ships"
                    )));
                }
                (None, None) if branch == dev => {
                    return Err(halt(format!(
                        "{remote} has no branch {branch}; ops ships only onto an existing {branch}"
                    )));
                }
                (None, None) => {}
            }
        }
        Ok(())
    }

    /// ops itself moved `branch` of `repo`'s remote to `sha`.
    pub fn moved_by_ops(&self, repo: &Path, branch: &str, sha: &str) {
        self.lock()
            .entry(key(repo))
            .or_default()
            .insert(branch.to_string(), Some(sha.to_string()));
    }
}
