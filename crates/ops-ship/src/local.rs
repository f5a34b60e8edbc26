//! The local-git shipper: ships without a forge, to the project's own remote.
//!
//! How its steps map onto [`Shipper`]:
//! * `open_change`: build the SQUASH of the task onto the CURRENT dev branch as a
//!   commit of its own (git plumbing: `merge-tree` + `commit-tree`, trailer
//!   `Ops-Task: <id>`, dates and identity from the branch tip so rebuilding gives
//!   the same commit). That commit is the head. The task branch itself is never
//!   pushed: only the squash of its net change reaches the remote, so no
//!   intermediate commit of the agent's (a token added and removed) does.
//! * `checks`: run the project's quality-gate command on that merged result, in a
//!   scratch worktree; the verdict is remembered per commit.
//! * `merge`: only a head whose gate passed; if dev or the branch moved, rebuild and
//!   report `HeadChanged` (the engine checks again); else fast-forward dev to the
//!   head (`push <sha>:refs/heads/dev`, never forced).
//! * `promote`: when dev's head is green, fast-forward main to it, or push a merge
//!   commit of dev onto main (never a squash) once that merge commit is green too.
//!   Off with [`LocalShipConfig::promote`].
//!
//! Idempotent: every step first looks for a commit with the task's trailer on the
//! remote dev branch, so a second run, or a run after a crash at any step, reports
//! the earlier merge instead of merging twice.

use crate::gate::CommandGate;
use crate::push::{PushKind, push};
use crate::scratch::Scratch;
use async_trait::async_trait;
use ops_core::model::{Project, Task, TaskId};
use ops_core::seams::{
    ChangeRef, ChecksState, GateVerdict, MergeOutcome, PromoteOutcome, Shipper,
    ShipperCapabilities, WorkRef,
};
use ops_core::{Error, ErrorKind, Result};
use ops_git::{Git, GitError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The trailer that marks a squash commit as a task's: `Ops-Task: <id>`.
pub const TASK_TRAILER: &str = "Ops-Task";

/// Settings of the local shipper.
#[derive(Debug, Clone)]
pub struct LocalShipConfig {
    /// The remote pushed to (default `origin`).
    pub remote: String,
    /// Promote dev to main after merging (default true; `--no-main` turns it off).
    pub promote: bool,
}

impl Default for LocalShipConfig {
    fn default() -> Self {
        LocalShipConfig {
            remote: "origin".into(),
            promote: true,
        }
    }
}

#[derive(Debug, Clone)]
struct Branches {
    dev: String,
    main: String,
}

/// A squash of a task onto dev, waiting to be merged.
#[derive(Debug, Clone)]
struct Candidate {
    repo: PathBuf,
    project: String,
    task: TaskId,
    title: String,
    branch: String,
    /// The branch tip the squash was built from.
    tip: String,
    /// The dev commit it sits on.
    base: String,
    /// The squash commit.
    head: String,
    /// Set once it is on dev.
    merged: Option<String>,
}

/// Ships by pushing to the project's remote; see the module docs.
pub struct LocalShipper {
    branches: BTreeMap<String, Branches>,
    gate: CommandGate,
    config: LocalShipConfig,
    changes: Mutex<BTreeMap<String, Candidate>>,
    verdicts: Mutex<BTreeMap<String, GateVerdict>>,
}

impl std::fmt::Debug for LocalShipper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalShipper")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn err(op: &str, kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::backend("local", op, kind, message)
}

fn git_err(op: &str) -> impl Fn(GitError) -> Error + '_ {
    move |e| err(op, ErrorKind::Fatal, e.to_string())
}

impl LocalShipper {
    /// A shipper for `projects` (their dev and main branches, default `dev` and
    /// `main`, and their quality-gate commands).
    pub fn new(projects: &[Project], config: LocalShipConfig) -> Self {
        LocalShipper {
            branches: projects
                .iter()
                .map(|p| {
                    (
                        p.alias.clone(),
                        Branches {
                            dev: p.dev_branch.clone().unwrap_or_else(|| "dev".into()),
                            main: p.main_branch.clone().unwrap_or_else(|| "main".into()),
                        },
                    )
                })
                .collect(),
            gate: CommandGate::from_projects(projects),
            config,
            changes: Mutex::default(),
            verdicts: Mutex::default(),
        }
    }

    /// Uses `gate` for the merged results instead of the projects' commands.
    pub fn with_gate(mut self, gate: CommandGate) -> Self {
        self.gate = gate;
        self
    }

    fn branches(&self, project: &str) -> Result<Branches> {
        let b = self.branches.get(project).cloned().unwrap_or(Branches {
            dev: "dev".into(),
            main: "main".into(),
        });
        if b.dev == b.main || crate::push::PRODUCTION_BRANCHES.contains(&b.dev.as_str()) {
            return Err(err(
                "ship",
                ErrorKind::Invalid,
                format!(
                    "project {project}: dev branch {:?} is a production branch; ops merges work into dev and only promotes dev to main",
                    b.dev
                ),
            ));
        }
        Ok(b)
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn fetch(&self, git: &Git) -> Result<()> {
        git.run(["fetch", "--quiet", "--prune", &self.config.remote])
            .await
            .map(|_| ())
            .map_err(|e| err("fetch", ErrorKind::Retryable, e.to_string()))
    }

    fn remote_ref(&self, branch: &str) -> String {
        format!("refs/remotes/{}/{branch}", self.config.remote)
    }

    async fn rev(git: &Git, spec: &str) -> Option<String> {
        git.run([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{spec}^{{commit}}"),
        ])
        .await
        .ok()
        .filter(|s| !s.is_empty())
    }

    /// The commit on the remote dev branch carrying `task`'s trailer, if any. Only
    /// the trailer block counts: a title that reads `Ops-Task: <other id>` is not one.
    async fn merged_commit(&self, git: &Git, dev: &str, task: &TaskId) -> Result<Option<String>> {
        let pattern = format!("^{TASK_TRAILER}: {}$", task.as_str().replace('.', "\\."));
        let found = git
            .run([
                "log",
                &format!("--format=%H%x00%(trailers:key={TASK_TRAILER},valueonly,separator=%x00)"),
                "--grep",
                &pattern,
                &self.remote_ref(dev),
                "--",
            ])
            .await
            .map_err(git_err("look for an earlier merge"))?;
        Ok(found.lines().find_map(|line| {
            let mut fields = line.split('\0');
            let sha = fields.next()?;
            fields
                .any(|v| v.trim() == task.as_str())
                .then(|| sha.to_string())
        }))
    }

    /// Builds the squash of `tip` onto `base`; identity and dates come from `tip`.
    async fn squash(git: &Git, base: &str, tip: &str, message: &str) -> Result<String> {
        let tree = git
            .run(["merge-tree", "--write-tree", "--no-messages", base, tip])
            .await
            .map_err(|e| {
                err(
                    "merge onto dev",
                    ErrorKind::Conflict,
                    format!(
                        "the task branch does not merge cleanly onto dev {base}; rebase it: {e}"
                    ),
                )
            })?;
        let tree = tree.lines().next().unwrap_or_default().to_string();
        commit_like(git, tip, &tree, &[base], message).await
    }

    async fn build(&self, task: &Task, work: &WorkRef) -> Result<Candidate> {
        let repo = PathBuf::from(&task.repo);
        let git = Git::new(&repo);
        let b = self.branches(&task.project)?;
        let tip = Self::rev(&git, &format!("refs/heads/{}", work.branch))
            .await
            .ok_or_else(|| {
                err(
                    "open the change",
                    ErrorKind::Invalid,
                    format!(
                        "branch {:?} does not exist in {}",
                        work.branch,
                        repo.display()
                    ),
                )
            })?;
        let base = Self::rev(&git, &self.remote_ref(&b.dev))
            .await
            .ok_or_else(|| {
                err(
                    "open the change",
                    ErrorKind::Invalid,
                    format!("{}/{} does not exist", self.config.remote, b.dev),
                )
            })?;
        if git
            .succeeds(["merge-base", "--is-ancestor", &tip, &base])
            .await
            .map_err(git_err("compare with dev"))?
        {
            return Err(err(
                "open the change",
                ErrorKind::Invalid,
                format!("branch {} adds nothing that {} lacks", work.branch, b.dev),
            ));
        }
        let message = format!("{}\n\n{TASK_TRAILER}: {}\n", task.title, task.id);
        let head = Self::squash(&git, &base, &tip, &message).await?;
        Ok(Candidate {
            repo,
            project: task.project.clone(),
            task: task.id.clone(),
            title: task.title.clone(),
            branch: work.branch.clone(),
            tip,
            base,
            head,
            merged: None,
        })
    }

    /// Runs the quality gate on `sha` in a scratch worktree of `repo`.
    async fn judge(&self, repo: &Path, task: &Task, sha: &str) -> Result<GateVerdict> {
        if let Some(v) = Self::lock(&self.verdicts).get(sha) {
            return Ok(v.clone());
        }
        let verdict = match self.gate.command_for(task) {
            None => GateVerdict::pass("no quality-gate command configured"),
            Some(command) => {
                let scratch = Scratch::at("local", repo, sha).await?;
                let verdict = self.gate.run_in(command, scratch.dir()).await;
                scratch.remove().await;
                verdict?
            }
        };
        Self::lock(&self.verdicts).insert(sha.to_string(), verdict.clone());
        Ok(verdict)
    }

    fn candidate(&self, change: &ChangeRef) -> Result<Candidate> {
        Self::lock(&self.changes)
            .get(&change.id)
            .cloned()
            .ok_or_else(|| {
                err(
                    "find the change",
                    ErrorKind::NotFound,
                    format!("no change {} was opened by this shipper", change.id),
                )
            })
    }

    fn task_of(c: &Candidate) -> Task {
        Task::new(
            c.task.clone(),
            c.title.clone(),
            c.project.clone(),
            c.repo.to_string_lossy(),
        )
    }
}

/// `commit-tree` with the identity and dates of `like`, so rebuilding is repeatable.
async fn commit_like(
    git: &Git,
    like: &str,
    tree: &str,
    parents: &[&str],
    message: &str,
) -> Result<String> {
    let who = git
        .run([
            "show",
            "-s",
            "--format=%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI",
            like,
        ])
        .await
        .map_err(git_err("read the branch tip"))?;
    let f: Vec<&str> = who.split('\0').collect();
    let [an, ae, ad, cn, ce, cd] = f[..] else {
        return Err(err(
            "read the branch tip",
            ErrorKind::Fatal,
            format!("unexpected `git show` output for {like}"),
        ));
    };
    let mut args = vec!["commit-tree".to_string(), tree.to_string()];
    for p in parents {
        args.push("-p".into());
        args.push((*p).to_string());
    }
    args.push("-m".into());
    args.push(message.to_string());
    git.clone()
        .with_env("GIT_AUTHOR_NAME", an)
        .with_env("GIT_AUTHOR_EMAIL", ae)
        .with_env("GIT_AUTHOR_DATE", ad)
        .with_env("GIT_COMMITTER_NAME", cn)
        .with_env("GIT_COMMITTER_EMAIL", ce)
        .with_env("GIT_COMMITTER_DATE", cd)
        .run(&args)
        .await
        .map_err(git_err("write the commit"))
}

#[async_trait]
impl Shipper for LocalShipper {
    fn name(&self) -> &str {
        "local"
    }

    fn capabilities(&self) -> ShipperCapabilities {
        ShipperCapabilities {
            opens_pull_requests: false,
            promotes: self.config.promote,
        }
    }

    async fn open_change(&self, task: &Task, work: &WorkRef) -> Result<ChangeRef> {
        let b = self.branches(&task.project)?;
        let production = |name: &str| {
            name.eq_ignore_ascii_case(&b.main)
                || crate::push::PRODUCTION_BRANCHES
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(name))
        };
        if production(&work.branch) || work.branch == b.dev {
            return Err(err(
                "open the change",
                ErrorKind::Invalid,
                format!(
                    "{} is a production or dev branch, not a task branch; ops ships work only from a task branch",
                    work.branch
                ),
            ));
        }
        let git = Git::new(&task.repo);
        self.fetch(&git).await?;
        if let Some(sha) = self.merged_commit(&git, &b.dev, &task.id).await? {
            let c = Candidate {
                repo: PathBuf::from(&task.repo),
                project: task.project.clone(),
                task: task.id.clone(),
                title: task.title.clone(),
                branch: work.branch.clone(),
                tip: String::new(),
                base: String::new(),
                head: sha.clone(),
                merged: Some(sha.clone()),
            };
            Self::lock(&self.changes).insert(work.branch.clone(), c);
            return Ok(ChangeRef {
                id: work.branch.clone(),
                url: None,
                head: sha,
            });
        }
        let c = self.build(task, work).await?;
        let head = c.head.clone();
        Self::lock(&self.changes).insert(work.branch.clone(), c);
        Ok(ChangeRef {
            id: work.branch.clone(),
            url: None,
            head,
        })
    }

    async fn checks(&self, change: &ChangeRef) -> Result<ChecksState> {
        let c = self.candidate(change)?;
        if c.merged.is_some() {
            return Ok(ChecksState::Passed);
        }
        let v = self
            .judge(&c.repo, &Self::task_of(&c), &change.head)
            .await?;
        Ok(if v.passed {
            ChecksState::Passed
        } else {
            ChecksState::Failed { detail: v.detail }
        })
    }

    async fn merge(&self, change: &ChangeRef) -> Result<MergeOutcome> {
        let c = self.candidate(change)?;
        let b = self.branches(&c.project)?;
        let git = Git::new(&c.repo);
        self.fetch(&git).await?;
        if let Some(sha) = self.merged_commit(&git, &b.dev, &c.task).await? {
            return Ok(MergeOutcome::AlreadyMerged { sha });
        }
        let tested = Self::lock(&self.verdicts)
            .get(&change.head)
            .map(|v| v.passed);
        if tested != Some(true) {
            return Ok(MergeOutcome::Refused {
                reason: format!(
                    "head {} has {} the quality gate; ops merges only a tested head",
                    change.head,
                    if tested.is_some() {
                        "failed"
                    } else {
                        "not passed"
                    }
                ),
            });
        }
        let tip = Self::rev(&git, &format!("refs/heads/{}", c.branch)).await;
        let dev = Self::rev(&git, &self.remote_ref(&b.dev)).await;
        let moved = tip.as_deref() != Some(c.tip.as_str())
            || dev.as_deref() != Some(c.base.as_str())
            || change.head != c.head;
        if !moved {
            match push(
                &git,
                &self.config.remote,
                &c.head,
                &b.dev,
                PushKind::Work { main: &b.main },
            )
            .await
            {
                Ok(()) => {
                    if let Some(stored) = Self::lock(&self.changes).get_mut(&change.id) {
                        stored.merged = Some(c.head.clone());
                    }
                    return Ok(MergeOutcome::Merged { sha: c.head });
                }
                Err(e) if e.kind() == ErrorKind::Conflict => self.fetch(&git).await?,
                Err(e) => return Err(e),
            }
        }
        // Dev or the branch moved: rebuild on the current dev; the engine tests it again.
        let task = Self::task_of(&c);
        let work = WorkRef {
            branch: c.branch.clone(),
            worktree: None,
            summary: String::new(),
        };
        let rebuilt = match self.build(&task, &work).await {
            Ok(r) => r,
            Err(e) if e.kind() == ErrorKind::Conflict => {
                return Ok(MergeOutcome::Refused {
                    reason: e.to_string(),
                });
            }
            Err(e) => return Err(e),
        };
        let head = rebuilt.head.clone();
        Self::lock(&self.changes).insert(change.id.clone(), rebuilt);
        Ok(MergeOutcome::HeadChanged { head })
    }

    async fn promote(&self, project: &str, repo: &str) -> Result<PromoteOutcome> {
        if !self.config.promote {
            return Ok(PromoteOutcome::Skipped {
                reason: "promotion to main is turned off (--no-main)".into(),
            });
        }
        let b = self.branches(project)?;
        let git = Git::new(repo);
        self.fetch(&git).await?;
        let Some(dev) = Self::rev(&git, &self.remote_ref(&b.dev)).await else {
            return Ok(PromoteOutcome::Skipped {
                reason: format!("{} has no branch {}", self.config.remote, b.dev),
            });
        };
        let Some(main) = Self::rev(&git, &self.remote_ref(&b.main)).await else {
            return Ok(PromoteOutcome::Skipped {
                reason: format!("{} has no branch {}", self.config.remote, b.main),
            });
        };
        if git
            .succeeds(["merge-base", "--is-ancestor", &dev, &main])
            .await
            .map_err(git_err("compare dev and main"))?
        {
            return Ok(PromoteOutcome::UpToDate);
        }
        let target = if git
            .succeeds(["merge-base", "--is-ancestor", &main, &dev])
            .await
            .map_err(git_err("compare dev and main"))?
        {
            dev.clone()
        } else {
            let tree = match git
                .run(["merge-tree", "--write-tree", "--no-messages", &main, &dev])
                .await
            {
                Ok(t) => t.lines().next().unwrap_or_default().to_string(),
                Err(e) => {
                    return Ok(PromoteOutcome::Skipped {
                        reason: format!("dev does not merge cleanly into {}: {e}", b.main),
                    });
                }
            };
            let message = format!("Promote {} to {}\n", b.dev, b.main);
            commit_like(&git, &dev, &tree, &[&main, &dev], &message).await?
        };
        let probe = Task::new(
            TaskId::new("promote").map_err(|e| err("promote", ErrorKind::Fatal, e.to_string()))?,
            "promote dev",
            project,
            repo,
        );
        // Dev must be green, and so must what lands: the merge into a diverged main.
        let verdict = self.judge(Path::new(repo), &probe, &dev).await?;
        if !verdict.passed {
            return Ok(PromoteOutcome::Skipped {
                reason: format!("dev's head {dev} is not green: {}", verdict.detail),
            });
        }
        if target != dev {
            let verdict = self.judge(Path::new(repo), &probe, &target).await?;
            if !verdict.passed {
                return Ok(PromoteOutcome::Skipped {
                    reason: format!(
                        "the merge {target} of dev's head {dev} into {} is not green: {}",
                        b.main, verdict.detail
                    ),
                });
            }
        }
        push(
            &git,
            &self.config.remote,
            &target,
            &b.main,
            PushKind::Promotion,
        )
        .await?;
        Ok(PromoteOutcome::Promoted { sha: target })
    }
}
