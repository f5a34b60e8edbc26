//! After a run: the worktrees of the tasks this run shipped are removed when
//! their work landed (the rules of `ops gc`: never one with uncommitted changes,
//! commits that did not land, or another process's lease); every other
//! worktree is kept.

use ops_core::model::{Project, Task};
use ops_dispatch::WorktreeManager;
use ops_dispatch::gc::{self, GcAction, GcPolicy};
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
            let policy = GcPolicy {
                target,
                // A squash merge leaves the task branch uncontained: these merged.
                merged_prs: branches.clone(),
            };
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
