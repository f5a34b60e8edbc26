//! Shared test helpers: tasks and briefs over a TempRepo, a workbench, the real CLI.

use ops_core::engine::brief;
use ops_core::model::{Mode, Task, TaskId};
use ops_core::seams::Brief;
use ops_dispatch::{LeaseOwner, Workbench, WorktreeConfig, WorktreeManager};
use ops_testkit::TempRepo;
use std::path::PathBuf;

/// A task in `repo` (project alias `web`).
pub fn task(repo: &TempRepo, id: &str, title: &str) -> Task {
    let mut t = Task::new(
        TaskId::new(id).expect("valid id"),
        title,
        "web",
        repo.work().to_string_lossy(),
    );
    t.description = format!("Do {title}.");
    t.mode = Mode::Subagent;
    t
}

/// The first brief of `task`.
pub fn brief_of(task: &Task) -> Brief {
    brief::compose(task, 1)
}

/// A workbench with worktrees under `<repo>/.worktrees`, owned by `owner`, git
/// identity set for agents, and a short stop grace.
pub fn bench(owner: &str) -> Workbench {
    let manager = WorktreeManager::new(WorktreeConfig {
        owner: LeaseOwner::this_process(owner),
        ..WorktreeConfig::default()
    });
    let mut bench = Workbench::new(manager);
    bench.grace = Some(std::time::Duration::from_millis(500));
    for (k, v) in ops_testkit::git_env() {
        bench.env = std::mem::take(&mut bench.env).set(k, v);
    }
    bench
}

/// The worktree path a task gets.
pub fn worktree_of(repo: &TempRepo, id: &str) -> PathBuf {
    repo.work().join(".worktrees").join(id)
}
