//! Shared set-up for the ops-ship tests: tasks on real repositories.

use ops_core::model::{Task, TaskId};
use ops_core::seams::WorkRef;
use ops_testkit::{TempRepo, git};
use std::path::PathBuf;

/// A task in the fixture's working clone.
pub fn task(repo: &TempRepo, id: &str) -> Task {
    Task::new(
        TaskId::new(id).expect("valid id"),
        format!("do {id}"),
        "proj",
        repo.work().to_string_lossy().into_owned(),
    )
}

/// Creates branch `name` off `dev` with `files` committed, in its own worktree
/// under the fixture's root; the clone stays on dev.
pub fn branch(repo: &TempRepo, name: &str, files: &[(&str, &str)]) -> WorkRef {
    let dir: PathBuf = repo.root().join(format!("wt-{}", name.replace('/', "-")));
    git(
        &repo.work(),
        &[
            "worktree",
            "add",
            "--quiet",
            "-b",
            name,
            dir.to_str().expect("utf-8"),
            "dev",
        ],
    );
    for (path, content) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("dirs");
        std::fs::write(&full, content).expect("write");
        git(&dir, &["add", "--", path]);
    }
    if !files.is_empty() {
        git(
            &dir,
            &["commit", "--quiet", "-m", &format!("work on {name}")],
        );
    }
    WorkRef {
        branch: name.to_string(),
        worktree: Some(dir),
        summary: format!("did {name}"),
    }
}
