//! Which task worktrees may be removed: only those whose work has landed.
//!
//! A worktree under the worktree root is removed when its branch is contained in the
//! target branch (e.g. `origin/dev`), or when the caller says its PR merged (a
//! squash merge leaves the branch uncontained). It is kept — with the reason — when
//! another ops process holds its lease, it has uncommitted changes, its HEAD is
//! detached, its branch is not an ops task branch (`ops/...`), or its branch has
//! commits the target lacks.

use crate::lease;
use crate::worktree::WorktreeManager;
use ops_core::{Error, ErrorKind, Result};
use ops_git::Git;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What to do with one worktree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GcAction {
    /// Its work has landed: remove the worktree and its branch.
    Remove,
    /// Keep it (see the reason).
    Keep,
}

/// The decision for one worktree, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcDecision {
    /// The worktree.
    pub path: PathBuf,
    /// Its branch (`None`: detached).
    pub branch: Option<String>,
    /// The commit its HEAD was at when judged (`None`: unreadable).
    pub head: Option<String>,
    /// Remove or keep.
    pub action: GcAction,
    /// Why.
    pub reason: String,
}

/// What counts as landed.
#[derive(Debug, Clone, Default)]
pub struct GcPolicy {
    /// The branch work lands on (`origin/dev`, `dev`, ...).
    pub target: String,
    /// Branches whose PR the caller knows merged.
    pub merged_prs: BTreeSet<String>,
}

/// The prefix of the branches ops makes for tasks (`Task::branch_name`).
use ops_core::model::TASK_BRANCH_PREFIX;

fn err(op: &str, e: impl std::fmt::Display) -> Error {
    Error::backend("gc", op, ErrorKind::Fatal, e.to_string())
}

/// The task worktrees of `repo` under `manager`'s root, each with a decision.
pub async fn decide(
    repo: &Path,
    manager: &WorktreeManager,
    policy: &GcPolicy,
) -> Result<Vec<GcDecision>> {
    let git = Git::new(repo);
    let root =
        std::fs::canonicalize(manager.root_for(repo)).unwrap_or_else(|_| manager.root_for(repo));
    let listing = git
        .run(["worktree", "list", "--porcelain"])
        .await
        .map_err(|e| err("list worktrees", e))?;
    let mut out = Vec::new();
    for (path, branch) in parse_list(&listing) {
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if !canonical.starts_with(&root) || canonical == root {
            continue;
        }
        let wt = git.in_dir(&path);
        // Read before judging: a HEAD that moves after this is not removed (see `remove`).
        let head = wt.run(["rev-parse", "HEAD"]).await.ok();
        let (action, reason) = judge(&wt, branch.as_deref(), policy, manager).await;
        out.push(GcDecision {
            path,
            branch,
            head,
            action,
            reason,
        });
    }
    Ok(out)
}

fn parse_list(listing: &str) -> Vec<(PathBuf, Option<String>)> {
    let mut out = Vec::new();
    for block in listing.split("\n\n") {
        let mut path = None;
        let mut branch = None;
        for line in block.lines() {
            if let Some(p) = line.strip_prefix("worktree ") {
                path = Some(PathBuf::from(p));
            } else if let Some(b) = line.strip_prefix("branch ") {
                branch = Some(b.trim_start_matches("refs/heads/").to_string());
            }
        }
        if let Some(p) = path {
            out.push((p, branch));
        }
    }
    out
}

async fn judge(
    wt: &Git,
    branch: Option<&str>,
    policy: &GcPolicy,
    manager: &WorktreeManager,
) -> (GcAction, String) {
    use GcAction::{Keep, Remove};
    if let Ok(gitdir) = wt.run(["rev-parse", "--absolute-git-dir"]).await
        && let Some(owner) = lease::holder(
            &PathBuf::from(gitdir).join("ops-lease.json"),
            manager.config().lease_ttl,
        )
    {
        return (
            Keep,
            format!("in use by ops process {} (owner {})", owner.pid, owner.id),
        );
    }
    match wt.run(["status", "--porcelain"]).await {
        Ok(s) if !s.trim().is_empty() => {
            return (Keep, format!("{} uncommitted change(s)", s.lines().count()));
        }
        Ok(_) => {}
        Err(e) => return (Keep, format!("its status could not be read: {e}")),
    }
    let Some(branch) = branch else {
        return (
            Keep,
            "detached HEAD: cannot tell whether its work landed".into(),
        );
    };
    // `.worktrees/` is a common place for people's own worktrees too.
    if !branch.starts_with(TASK_BRANCH_PREFIX) {
        return (
            Keep,
            format!("{branch} is not an ops task branch ({TASK_BRANCH_PREFIX}<task>-...)"),
        );
    }
    if policy.merged_prs.contains(branch) {
        return (Remove, format!("the PR of {branch} merged"));
    }
    match wt
        .succeeds(["merge-base", "--is-ancestor", "HEAD", &policy.target])
        .await
    {
        Ok(true) => (
            Remove,
            format!("{branch} is contained in {}", policy.target),
        ),
        Ok(false) => {
            let n = wt
                .run(["rev-list", "--count", &format!("{}..HEAD", policy.target)])
                .await
                .unwrap_or_else(|_| "some".into());
            (
                Keep,
                format!(
                    "{n} commit(s) on {branch} have not landed on {}",
                    policy.target
                ),
            )
        }
        Err(e) => (
            Keep,
            format!("could not compare with {}: {e}", policy.target),
        ),
    }
}

/// Removes the worktrees (and their branches) decided `Remove`, and returns the
/// decisions as carried out. Each goes only under its lease (an ops run cannot start
/// in it meanwhile) and only unchanged since it was judged: the same HEAD, still
/// clean; the branch is deleted only while it still points at that HEAD. One that
/// changed, is leased or cannot be removed is kept, with why.
pub async fn remove(repo: &Path, decisions: Vec<GcDecision>) -> Result<Vec<GcDecision>> {
    let git = Git::new(repo);
    let mut out = Vec::with_capacity(decisions.len());
    for mut d in decisions {
        if d.action == GcAction::Remove
            && let Err(why) = remove_one(&git, &d).await
        {
            d.action = GcAction::Keep;
            d.reason = why;
        }
        out.push(d);
    }
    Ok(out)
}

async fn remove_one(git: &Git, d: &GcDecision) -> std::result::Result<(), String> {
    let wt = git.in_dir(&d.path);
    let gitdir = wt
        .run(["rev-parse", "--absolute-git-dir"])
        .await
        .map_err(|e| format!("its git dir could not be read: {e}"))?;
    let owner = lease::LeaseOwner::this_process("ops-gc");
    let ttl = crate::worktree::WorktreeConfig::default().lease_ttl;
    let _lease =
        lease::WorktreeLease::acquire(&PathBuf::from(gitdir).join("ops-lease.json"), &owner, ttl)
            .map_err(|e| match e {
            lease::LeaseError::Held { holder } => {
                format!("in use by ops process {} (owner {})", holder.pid, holder.id)
            }
            other => other.to_string(),
        })?;
    let head = wt.run(["rev-parse", "HEAD"]).await.ok();
    let (Some(head), Some(judged)) = (head, d.head.as_deref()) else {
        return Err("changed since it was judged (its HEAD cannot be read)".into());
    };
    if head != judged {
        return Err(format!(
            "changed since it was judged: HEAD moved from {judged} to {head}"
        ));
    }
    match wt.run(["status", "--porcelain"]).await {
        Ok(s) if s.trim().is_empty() => {}
        Ok(_) => return Err("changed since it was judged: uncommitted changes".into()),
        Err(e) => return Err(format!("its status could not be read: {e}")),
    }
    git.run([
        std::ffi::OsStr::new("worktree"),
        std::ffi::OsStr::new("remove"),
        d.path.as_os_str(),
    ])
    .await
    .map_err(|e| format!("git could not remove it: {e}"))?;
    if let Some(b) = &d.branch {
        // Deleted only if it still points at the judged commit.
        git.run(["update-ref", "-d", &format!("refs/heads/{b}"), judged])
            .await
            .map_err(|e| format!("removed, but its branch was kept: {e}"))?;
    }
    Ok(())
}

/// The branch work lands on in `repo`: `origin/<dev>` or `<dev>` for the project's
/// dev branch when it names one, else the first of `origin/dev`, `dev`,
/// `origin/main`, `main` that exists.
pub async fn target_for(repo: &Path, dev_branch: Option<&str>) -> Result<String> {
    let git = Git::new(repo);
    if let Some(dev) = dev_branch {
        return crate::worktree::base_ref(&git, dev).await;
    }
    for dev in ["dev", "main"] {
        if let Ok(found) = crate::worktree::base_ref(&git, dev).await {
            return Ok(found);
        }
    }
    Err(Error::backend(
        "gc",
        "find the branch work lands on",
        ErrorKind::Invalid,
        format!("{} has neither a dev nor a main branch", repo.display()),
    ))
}
