//! One git worktree per task, on the task's branch, cut from the project's dev branch.
//!
//! Worktrees live under a root (default `<repo>/.worktrees/`, which is added to the
//! repository's `.git/info/exclude`), one directory per task id. On resume the
//! worktree is found by path and branch and reused. A fresh worktree is bootstrapped:
//! files listed in the repository's `.worktreeinclude` are copied in, then the
//! configured setup command (argv, no shell) runs. A lease keeps other ops
//! processes out while this one works in it. Pushes from a worktree are refused
//! (see [`REFUSED_PUSH_URL`]): ops ships the work with the main checkout's config.

use crate::lease::{LeaseOwner, WorktreeLease};
use ops_core::{Error, ErrorKind};
use ops_git::Git;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where worktrees go and how they are bootstrapped.
#[derive(Debug, Clone)]
pub struct WorktreeConfig {
    /// The root for worktrees; `None`: `<repo>/.worktrees/`.
    pub root: Option<PathBuf>,
    /// A command run once in a fresh worktree (argv, no shell), e.g. `["npm", "ci"]`.
    pub setup: Option<Vec<String>>,
    /// How long a lease lives without a heartbeat.
    pub lease_ttl: Duration,
    /// Who this process is, for leases.
    pub owner: LeaseOwner,
}

impl Default for WorktreeConfig {
    fn default() -> Self {
        WorktreeConfig {
            root: None,
            setup: None,
            lease_ttl: Duration::from_secs(120),
            owner: LeaseOwner::this_process("ops"),
        }
    }
}

/// Makes, finds and leases task worktrees.
#[derive(Debug, Clone, Default)]
pub struct WorktreeManager {
    config: WorktreeConfig,
}

/// A task's worktree, leased to this process while the value lives.
#[derive(Debug)]
pub struct Worktree {
    /// Its directory.
    pub path: PathBuf,
    /// The task's branch checked out there.
    pub branch: String,
    /// The repository checkout it belongs to.
    pub repo: PathBuf,
    /// The ref it was cut from (`origin/<dev>` or `<dev>`); diffs are taken against it.
    pub base: String,
    /// Whether an existing worktree was reused (resume) rather than made.
    pub reused: bool,
    /// A review's throwaway worktree ([`WorktreeManager::prepare_review`]): nothing
    /// is committed in it, and it is removed with its branch when its agent ends.
    pub disposable: bool,
    lease: WorktreeLease,
}

impl Worktree {
    /// The lease held on it.
    pub fn lease(&self) -> &WorktreeLease {
        &self.lease
    }
}

const BACKEND: &str = "worktree";

pub(crate) fn err(
    operation: impl Into<String>,
    kind: ErrorKind,
    message: impl Into<String>,
) -> Error {
    Error::backend(BACKEND, operation, kind, message)
}

fn git_err(operation: &str, e: ops_git::GitError) -> Error {
    err(operation, ErrorKind::Fatal, e.to_string())
}

impl WorktreeManager {
    /// A manager with `config`.
    pub fn new(config: WorktreeConfig) -> Self {
        WorktreeManager { config }
    }

    /// The settings in use.
    pub fn config(&self) -> &WorktreeConfig {
        &self.config
    }

    /// The directory worktrees of `repo` go under.
    pub fn root_for(&self, repo: &Path) -> PathBuf {
        self.config
            .root
            .clone()
            .unwrap_or_else(|| repo.join(".worktrees"))
    }

    /// The directory of the worktree for task `task_id` in `repo`.
    pub fn path_for(&self, repo: &Path, task_id: &str) -> PathBuf {
        self.root_for(repo).join(task_id)
    }

    /// The directory of the review worktree of task `task_id` in `repo`: under
    /// `.review/` of the root, which no task id can name (ids never start with '.').
    pub fn review_path_for(&self, repo: &Path, task_id: &str) -> PathBuf {
        self.root_for(repo).join(REVIEW_DIR).join(task_id)
    }

    /// Makes the throwaway worktree a review of task `task_id` reads: on a new
    /// `branch` at the head of `head` (the task's branch), leased, marked
    /// [`Worktree::disposable`]; not bootstrapped (a reviewer reads, it gets no
    /// `.worktreeinclude` files such as `.env`, and no setup runs). A review
    /// worktree or branch left by an earlier review (a crash) is removed first:
    /// every review starts at the task's current head. `dev_branch` is what the
    /// diffs are taken against.
    pub async fn prepare_review(
        &self,
        repo: &Path,
        dev_branch: &str,
        task_id: &str,
        branch: &str,
        head: &str,
    ) -> Result<Worktree, Error> {
        if !repo.is_absolute() || !branch.starts_with(REVIEW_BRANCH_PREFIX) || head == branch {
            return Err(err(
                "prepare a review worktree",
                ErrorKind::Invalid,
                format!(
                    "expected an absolute repository path (got {}) and a review branch starting with {REVIEW_BRANCH_PREFIX:?} other than the reviewed {head:?} (got {branch:?})",
                    repo.display()
                ),
            ));
        }
        let git = Git::new(repo);
        let common = common_dir(&git).await?;
        let root = self.root_for(repo);
        let path = self.review_path_for(repo, task_id);
        let adding = add_lock(&common).lock_owned().await;
        exclude_root(repo, &root, &common).await?;
        let base = base_ref(&git, dev_branch).await?;
        discard_at(&git, &path, branch).await?;
        let args: Vec<OsString> = vec![
            "worktree".into(),
            "add".into(),
            "--no-track".into(),
            "-b".into(),
            branch.into(),
            path.as_os_str().to_owned(),
            format!("refs/heads/{head}").into(),
        ];
        git.run(&args)
            .await
            .map_err(|e| git_err("add the review worktree", e))?;
        drop(adding);
        let lease = self.lease(&path).await?;
        let worktree = Worktree {
            path,
            branch: branch.to_string(),
            repo: repo.to_path_buf(),
            base,
            reused: false,
            disposable: true,
            lease,
        };
        Ok(worktree)
    }

    /// Makes (or on resume finds) the worktree of `task_id` on `branch`, cut from
    /// `dev_branch`, leases it, and bootstraps it when new. `env` is the environment
    /// the setup command gets.
    pub async fn prepare(
        &self,
        repo: &Path,
        dev_branch: &str,
        task_id: &str,
        branch: &str,
        env: &[(OsString, OsString)],
    ) -> Result<Worktree, Error> {
        if !repo.is_absolute() {
            return Err(err(
                "prepare a worktree",
                ErrorKind::Invalid,
                format!(
                    "repository path {} must be absolute (task.repo is the checkout's path)",
                    repo.display()
                ),
            ));
        }
        let git = Git::new(repo);
        let common = common_dir(&git).await?;
        let root = self.root_for(repo);
        tokio::fs::create_dir_all(&root).await.map_err(|e| {
            err(
                "prepare a worktree",
                ErrorKind::Fatal,
                format!("cannot create {}: {e}", root.display()),
            )
        })?;
        // git races on its own files when worktrees of one repository are added at
        // once: this process adds them one at a time per repository.
        let adding = add_lock(&common).lock_owned().await;
        exclude_root(repo, &root, &common).await?;
        let base = base_ref(&git, dev_branch).await?;
        let path = root.join(task_id);
        let reused = path.exists();
        if reused {
            check_existing(&git, &common, &path, branch).await?;
        } else if add(&git, &path, branch, &base).await.is_err() {
            // A worktree deleted by hand stays registered until pruned; prune, retry
            // once (the first try may have made the branch: `add` looks again).
            let _ = git.run(["worktree", "prune"]).await;
            add(&git, &path, branch, &base)
                .await
                .map_err(|e| git_err("add the worktree", e))?;
        }
        refuse_pushes(&git, &path).await?;
        drop(adding);
        let lease = self.lease(&path).await?;
        let worktree = Worktree {
            path,
            branch: branch.to_string(),
            repo: repo.to_path_buf(),
            base,
            reused,
            disposable: false,
            lease,
        };
        if !reused {
            crate::bootstrap::copy_includes(repo, &root, &worktree.path).await?;
            if let Some(setup) = &self.config.setup {
                crate::bootstrap::run_setup(setup, &worktree.path, env).await?;
            }
        }
        Ok(worktree)
    }

    /// Leases the worktree at `path` to this process.
    async fn lease(&self, path: &Path) -> Result<WorktreeLease, Error> {
        let gitdir = Git::new(path)
            .run(["rev-parse", "--absolute-git-dir"])
            .await
            .map_err(|e| git_err("find the worktree's git dir", e))?;
        // Taking over from a gone owner may wait for its git to end: off the
        // async threads.
        let (lease_file, owner, ttl) = (
            PathBuf::from(gitdir).join("ops-lease.json"),
            self.config.owner.clone(),
            self.config.lease_ttl,
        );
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || WorktreeLease::acquire(&lease_file, &owner, ttl))
            .await
            .map_err(|e| {
                err(
                    format!("lease worktree {}", path.display()),
                    ErrorKind::Fatal,
                    e.to_string(),
                )
            })?
            .map_err(|e| {
                err(
                    format!("lease worktree {}", path.display()),
                    ErrorKind::Conflict,
                    e.to_string(),
                )
            })
    }
}

/// Where review worktrees go under the root.
const REVIEW_DIR: &str = ".review";

/// The prefix of review branches (`ops_core::engine::review::review_branch`).
use ops_core::model::REVIEW_BRANCH_PREFIX;

/// Removes a review's worktree at `path` and its `branch`, if there.
async fn discard_at(git: &Git, path: &Path, branch: &str) -> Result<(), Error> {
    if path.exists() {
        let p = path.as_os_str().to_owned();
        let args: Vec<OsString> = vec!["worktree".into(), "remove".into(), "--force".into(), p];
        if git.run(&args).await.is_err() {
            // Not (or no longer) a registered worktree: remove the directory, prune.
            tokio::fs::remove_dir_all(path).await.map_err(|e| {
                err(
                    "remove the review worktree",
                    ErrorKind::Fatal,
                    format!("cannot remove {}: {e}", path.display()),
                )
            })?;
        }
    }
    let _ = git.run(["worktree", "prune"]).await;
    let has_branch = git
        .succeeds([
            "show-ref",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ])
        .await
        .map_err(|e| git_err("find the review branch", e))?;
    if has_branch {
        git.run(["branch", "-D", branch])
            .await
            .map_err(|e| git_err("delete the review branch", e))?;
    }
    Ok(())
}

impl Worktree {
    /// Removes a disposable (review) worktree and its branch; a task's worktree is
    /// never removed here (refused).
    pub async fn discard(&self) -> Result<(), Error> {
        if !self.disposable {
            return Err(err(
                format!("discard worktree {}", self.path.display()),
                ErrorKind::Invalid,
                "only a review's throwaway worktree is discarded",
            ));
        }
        discard_at(&Git::new(&self.repo), &self.path, &self.branch).await
    }
}

/// Where an agent's pushes go: a path that can never be a repository (`/dev/null`
/// is no directory), so git says "does not appear to be a git repository".
pub const REFUSED_PUSH_URL: &str = "/dev/null/ops-refuses-agent-pushes";

/// The agent cannot move the remote's branches from its worktree: in the
/// worktree's own config (`extensions.worktreeConfig`; the main checkout keeps its
/// push URLs and credentials, which ops' shipper pushes with) every remote's push
/// URL, and every URL a push names (`pushInsteadOf` of the empty prefix), is
/// [`REFUSED_PUSH_URL`], and no credential helper is configured.
async fn refuse_pushes(git: &Git, path: &Path) -> Result<(), Error> {
    let fail = |e: ops_git::GitError| git_err("refuse pushes from the worktree", e);
    git.run(["config", "extensions.worktreeConfig", "true"])
        .await
        .map_err(fail)?;
    let wt = git.in_dir(path);
    let remotes = wt.run(["remote"]).await.map_err(fail)?;
    for remote in remotes.lines().map(str::trim).filter(|r| !r.is_empty()) {
        wt.run([
            "config",
            "--worktree",
            &format!("remote.{remote}.pushurl"),
            REFUSED_PUSH_URL,
        ])
        .await
        .map_err(fail)?;
    }
    let rewrite = format!("url.{REFUSED_PUSH_URL}/.pushInsteadOf");
    for (key, value) in [(rewrite.as_str(), ""), ("credential.helper", "")] {
        wt.run(["config", "--worktree", key, value])
            .await
            .map_err(fail)?;
    }
    Ok(())
}

/// The lock serializing worktree adds in the repository whose git dir is `common`.
fn add_lock(common: &Path) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    type Locks = std::sync::Mutex<
        std::collections::HashMap<PathBuf, std::sync::Arc<tokio::sync::Mutex<()>>>,
    >;
    static LOCKS: std::sync::OnceLock<Locks> = std::sync::OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Locks::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    std::sync::Arc::clone(locks.entry(common.to_path_buf()).or_default())
}

/// `git worktree add` of `path` on `branch`: the existing branch, or a new one cut
/// from `base` (not tracking it: the task branch is pushed under its own name).
async fn add(
    git: &Git,
    path: &Path,
    branch: &str,
    base: &str,
) -> Result<String, ops_git::GitError> {
    let has_branch = git
        .succeeds([
            "show-ref",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ])
        .await?;
    let p = path.as_os_str().to_owned();
    let args: Vec<OsString> = if has_branch {
        vec!["worktree".into(), "add".into(), p, branch.into()]
    } else {
        vec![
            "worktree".into(),
            "add".into(),
            "--no-track".into(),
            "-b".into(),
            branch.into(),
            p,
            base.into(),
        ]
    };
    git.run(&args).await
}

async fn common_dir(git: &Git) -> Result<PathBuf, Error> {
    let out = git
        .run(["rev-parse", "--path-format=absolute", "--git-common-dir"])
        .await
        .map_err(|e| {
            err(
                "prepare a worktree",
                ErrorKind::Invalid,
                format!("{} is not a git checkout: {e}", git.dir().display()),
            )
        })?;
    Ok(canonical(Path::new(&out)))
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Adds the root to `info/exclude` when it lies inside the repository.
async fn exclude_root(repo: &Path, root: &Path, common: &Path) -> Result<(), Error> {
    let (root, repo) = (canonical(root), canonical(repo));
    let Ok(rel) = root.strip_prefix(&repo) else {
        return Ok(());
    };
    let line = format!("/{}/", rel.to_string_lossy().trim_end_matches('/'));
    let exclude = common.join("info").join("exclude");
    // The shared git dir is the agent's to write: a FIFO planted as
    // `info/exclude` is an error naming it, never a hang.
    let current = ops_core::files::read_text(&exclude)
        .map_err(|e| {
            err(
                "exclude the worktree root",
                ErrorKind::Invalid,
                format!("{}: cannot read: {e}", exclude.display()),
            )
        })?
        .unwrap_or_default();
    if current.lines().any(|l| l.trim() == line) {
        return Ok(());
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    text.push('\n');
    if let Some(dir) = exclude.parent() {
        let _ = tokio::fs::create_dir_all(dir).await;
    }
    tokio::fs::write(&exclude, text).await.map_err(|e| {
        err(
            "exclude the worktree root",
            ErrorKind::Fatal,
            format!("cannot write {}: {e}", exclude.display()),
        )
    })
}

/// `origin/<dev>` when the remote branch is known, else the local `<dev>`.
pub(crate) async fn base_ref(git: &Git, dev_branch: &str) -> Result<String, Error> {
    for candidate in [
        format!("refs/remotes/origin/{dev_branch}"),
        format!("refs/heads/{dev_branch}"),
    ] {
        if git
            .succeeds(["show-ref", "--verify", "--quiet", &candidate])
            .await
            .map_err(|e| git_err("find the dev branch", e))?
        {
            let short = candidate
                .trim_start_matches("refs/remotes/")
                .trim_start_matches("refs/heads/");
            return Ok(short.to_string());
        }
    }
    Err(err(
        "prepare a worktree",
        ErrorKind::Invalid,
        format!(
            "dev branch {dev_branch:?} exists neither as origin/{dev_branch} nor locally in {}",
            git.dir().display()
        ),
    ))
}

async fn check_existing(git: &Git, common: &Path, path: &Path, branch: &str) -> Result<(), Error> {
    let wt = git.in_dir(path);
    let bad = |why: String| {
        err(
            format!("reuse worktree {}", path.display()),
            ErrorKind::Conflict,
            why,
        )
    };
    let top = wt
        .run(["rev-parse", "--show-toplevel"])
        .await
        .map_err(|e| bad(format!("it exists but is not a git worktree: {e}")))?;
    if canonical(Path::new(&top)) != canonical(path) {
        return Err(bad(format!("it exists but its top level is {top}")));
    }
    let its_common = common_dir(&wt).await?;
    if its_common != common {
        return Err(bad("it belongs to another repository".into()));
    }
    let head = wt
        .run(["symbolic-ref", "--quiet", "--short", "HEAD"])
        .await
        .unwrap_or_default();
    if head != branch {
        return Err(bad(format!(
            "it has {head:?} checked out, expected the task branch {branch:?}"
        )));
    }
    Ok(())
}
