//! After a run: the worktrees of the tasks this run shipped are removed when
//! their work landed (the rules of `ops gc`: never one with uncommitted changes,
//! commits that did not land, or another process's lease); every other
//! worktree is kept. A squash merge leaves a task branch uncontained in dev, so
//! a shipped branch counts as merged only while every commit on it is on the
//! branch the shipper pushed (`origin/<branch>`): a commit made after the push
//! keeps the worktree.

use ops_core::model::{Project, Task};
use ops_dispatch::WorktreeManager;
use ops_dispatch::gc::{self, GcAction, GcPolicy};
use ops_git::Git;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Removes the landed worktrees of `shipped`; returns the removed paths and a
/// warning per repository that could not be judged.
pub async fn remove_landed(projects: &[Project], shipped: &[Task]) -> (Vec<PathBuf>, Vec<String>) {
    let mut by_repo: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
    for task in shipped {
        let branch = task.branch.clone().unwrap_or_else(|| task.branch_name());
        by_repo
            .entry((task.project.as_str(), task.repo.as_str()))
            .or_default()
            .insert(branch);
    }
    let manager = WorktreeManager::default();
    let (mut removed, mut warnings) = (Vec::new(), Vec::new());
    for ((alias, repo), branches) in by_repo {
        let repo = std::path::Path::new(repo);
        let dev = projects
            .iter()
            .find(|p| p.alias == alias)
            .and_then(|p| p.dev_branch.as_deref());
        let judged = async {
            let target = gc::target_for(repo, dev).await?;
            let mut merged_prs = BTreeSet::new();
            for branch in &branches {
                if pushed_as_is(repo, branch).await {
                    merged_prs.insert(branch.clone());
                }
            }
            let policy = GcPolicy { target, merged_prs };
            let mine: Vec<_> = gc::decide(repo, &manager, &policy)
                .await?
                .into_iter()
                .filter(|d| {
                    d.action == GcAction::Remove
                        && d.branch.as_ref().is_some_and(|b| branches.contains(b))
                })
                .collect();
            gc::remove(repo, mine).await
        };
        match judged.await {
            Ok(done) => removed.extend(
                done.into_iter()
                    .filter(|d| d.action == GcAction::Remove)
                    .map(|d| d.path),
            ),
            Err(e) => warnings.push(format!(
                "project {alias}: worktrees of {} kept: {e}",
                repo.display()
            )),
        }
    }
    (removed, warnings)
}

/// Whether every commit on the local `branch` is on `origin/<branch>`, the branch
/// the shipper pushed and merged (what cannot be told counts as no).
async fn pushed_as_is(repo: &std::path::Path, branch: &str) -> bool {
    Git::new(repo)
        .succeeds([
            "merge-base",
            "--is-ancestor",
            &format!("refs/heads/{branch}"),
            &format!("refs/remotes/origin/{branch}"),
        ])
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops_testkit::TempRepo;

    #[tokio::test]
    async fn a_shipped_worktree_with_a_commit_made_after_its_push_is_kept_and_a_clean_one_removed()
    {
        let repo = TempRepo::new();
        let work = repo.work();
        let mut tasks = Vec::new();
        for (id, late) in [("t1", true), ("t2", false)] {
            let mut task = Task::new(
                ops_core::model::TaskId::new(id).expect("id"),
                "work",
                "p",
                work.to_string_lossy(),
            );
            let branch = task.branch_name();
            let path = work.join(".worktrees").join(id);
            repo.git(&[
                "worktree",
                "add",
                "-q",
                "-b",
                &branch,
                path.to_str().expect("utf8"),
                "dev",
            ]);
            let wt = |args: &[&str]| ops_testkit::git(&path, args);
            std::fs::write(path.join(format!("{id}.txt")), "done\n").expect("write");
            wt(&["add", "."]);
            wt(&["commit", "-q", "-m", "work"]);
            wt(&["push", "-q", "origin", &branch]);
            if late {
                std::fs::write(path.join("late.txt"), "after the merge\n").expect("write");
                wt(&["add", "."]);
                wt(&["commit", "-q", "-m", "late work"]);
            }
            task.branch = Some(branch);
            tasks.push((task, path));
        }
        let project = Project {
            alias: "p".into(),
            paths: vec![work.clone()],
            dev_branch: Some("dev".into()),
            ..Project::default()
        };
        let shipped: Vec<Task> = tasks.iter().map(|(t, _)| t.clone()).collect();
        let (removed, warnings) = remove_landed(&[project], &shipped).await;
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(
            tasks[0].1.exists(),
            "the worktree with an unpushed commit was removed"
        );
        assert_eq!(
            removed,
            vec![tasks[1].1.clone()],
            "the clean shipped one goes"
        );
    }
}
