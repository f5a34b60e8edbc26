//! The durability invariants, each a list of violations (empty: it holds), so a
//! scenario can check them at any moment and report every broken one at once.

use crate::fleet::Fleet;
use crate::git::{commits_adding, git_try, landed, refs_containing, squashes};
use crate::journal::{self, Entry};
use std::collections::BTreeMap;

/// The file the `task-file` fake agent writes for task `id`.
pub fn change_file(id: &str) -> String {
    format!("changes/{id}.txt")
}

/// No task merged twice: on every origin's dev, at most one squash commit per task
/// (by its `Ops-Task` trailer), and at most one commit adding each task's change file.
pub fn double_merges(fleet: &Fleet) -> Vec<String> {
    let mut out = Vec::new();
    for (alias, repo) in fleet.repos() {
        let mut per_task: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in squashes(&repo.origin(), "dev") {
            per_task.entry(s.task).or_default().push(s.sha);
        }
        for (task, shas) in &per_task {
            if shas.len() > 1 {
                out.push(format!(
                    "{alias}: task {task} merged {} times on dev: {shas:?}",
                    shas.len()
                ));
            }
            let adds = commits_adding(&repo.origin(), "dev", &change_file(task));
            if adds > 1 {
                out.push(format!(
                    "{alias}: {} added by {adds} commits on dev",
                    change_file(task)
                ));
            }
        }
    }
    out
}

/// No agent's work lost: every commit any agent made (from the agents' own journal)
/// is still on a ref of its repository (a task branch, its pushed copy, dev, ...),
/// or its work has landed on the origin's dev (merging it there changes nothing).
/// A worktree or branch deleted before its commits landed leaves a commit that is
/// neither, and is reported.
pub fn lost_work(fleet: &Fleet) -> Vec<String> {
    let entries = match journal::read(&fleet.journal()) {
        Ok(e) => e,
        Err(e) => return vec![e],
    };
    let mut out = Vec::new();
    let mut fetched = BTreeMap::new();
    for entry in entries {
        let Entry::Commit { sha, cwd, .. } = entry else {
            continue;
        };
        let Some(alias) = fleet.alias_of(&cwd) else {
            out.push(format!(
                "an agent committed {sha} in {}, outside every repository",
                cwd.display()
            ));
            continue;
        };
        let work = fleet.repo(alias).work();
        if !refs_containing(&work, &sha).is_empty() {
            continue;
        }
        let dev = fetched.entry(alias.to_string()).or_insert_with(|| {
            git_try(&work, &["fetch", "--quiet", "origin", "dev"])
                .and_then(|_| git_try(&work, &["rev-parse", "FETCH_HEAD"]))
                .unwrap_or_default()
        });
        if !dev.is_empty() && landed(&work, dev, &sha) {
            continue;
        }
        out.push(format!(
            "{alias}: commit {sha} of task {} (worktree {}) is on no ref and not landed on dev",
            journal::task_of(&cwd),
            cwd.display()
        ));
    }
    out
}

/// Nothing left unlanded once a run finished: every `ops/*` branch of every clone
/// and every worktree's HEAD has landed on the origin's dev, and no worktree has
/// uncommitted changes.
pub fn unlanded_leftovers(fleet: &Fleet) -> Vec<String> {
    let mut out = Vec::new();
    for (alias, repo) in fleet.repos() {
        let work = repo.work();
        let dev = repo.origin_rev("dev");
        if let Err(e) = git_try(&work, &["fetch", "--quiet", "origin", "dev"]) {
            out.push(e);
            continue;
        }
        let branches = git_try(
            &work,
            &["for-each-ref", "--format=%(refname)", "refs/heads/ops/"],
        )
        .unwrap_or_default();
        for branch in branches.lines() {
            if !landed(&work, &dev, branch) {
                out.push(format!("{alias}: branch {branch} has work not on dev"));
            }
        }
        let listing = git_try(&work, &["worktree", "list", "--porcelain"]).unwrap_or_default();
        for path in listing.lines().filter_map(|l| l.strip_prefix("worktree ")) {
            let path = std::path::Path::new(path);
            if path == work || !path.exists() {
                continue;
            }
            match git_try(path, &["status", "--porcelain"]) {
                Ok(s) if !s.is_empty() => out.push(format!(
                    "{alias}: worktree {} has uncommitted changes: {s}",
                    path.display()
                )),
                Ok(_) => {}
                Err(e) => out.push(e),
            }
            if !landed(&work, &dev, &head_of(path)) {
                out.push(format!(
                    "{alias}: worktree {} has commits not on dev",
                    path.display()
                ));
            }
        }
    }
    out
}

fn head_of(worktree: &std::path::Path) -> String {
    git_try(worktree, &["rev-parse", "HEAD"]).unwrap_or_default()
}
