//! A review brief gets its own throwaway worktree and branch on the reviewed
//! task's head (never the task's own worktree), nothing the reviewer leaves is
//! committed, and worktree and branch are gone once the reviewer has ended.

mod support;

use ops_core::engine::review::{review_branch, review_brief};
use ops_core::seams::{AgentStatus, Dispatcher, WorkRef};
use ops_dispatch::{BriefDelivery, CommandConfig, CommandDispatcher};
use ops_testkit::{TempRepo, git};
use std::time::Duration;
use support::*;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);

/// A reviewer that leaves a file behind and answers with the commit it sees.
fn reviewer() -> CommandDispatcher {
    CommandDispatcher::new(
        bench("review-test"),
        CommandConfig {
            program: "sh".into(),
            args: vec![
                "-c".into(),
                "echo scribble > left-by-reviewer.txt; git rev-parse HEAD; git branch --show-current"
                    .into(),
            ],
            brief: BriefDelivery::Stdin,
            steerable: false,
        },
    )
    .expect("valid config")
}

#[tokio::test]
async fn a_review_runs_on_the_task_head_in_its_own_worktree_which_is_removed_with_its_branch() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1", "Check the token");
    // The task's own worktree, on its branch, with one commit of work.
    let wt = ops_dispatch::WorktreeManager::default()
        .prepare(&repo.work(), "dev", "t1", &t.branch_name(), &[])
        .await
        .expect("the task's worktree");
    std::fs::write(wt.path.join("auth.rs"), "fn check() {}\n").expect("write");
    git(&wt.path, &["add", "auth.rs"]);
    git(&wt.path, &["commit", "-q", "-m", "work"]);
    let head = git(&wt.path, &["rev-parse", "HEAD"]);
    drop(wt);
    // A review worktree left by a crashed earlier review, on an older commit.
    let stale = repo.work().join(".worktrees/.review/t1");
    git(
        &repo.work(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            &review_branch(&t),
            &stale.to_string_lossy(),
            "dev",
        ],
    );

    let work = WorkRef {
        branch: t.branch_name(),
        worktree: None,
        summary: "did it".into(),
    };
    let brief = review_brief(&t, &work, 1, &["sensitive".into()], "diff");
    assert_ne!(brief.branch, brief_of(&t).branch, "not the task's branch");
    let h = reviewer().dispatch(&brief).await.expect("dispatch");
    let out = timeout(LIMIT, h.wait()).await.expect("ends");

    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
    assert_eq!(
        out.worktree.as_deref(),
        Some(stale.as_path()),
        "under .review/"
    );
    assert_eq!(
        out.summary,
        review_branch(&t),
        "it worked on its own branch"
    );
    let log = std::fs::read_to_string(repo.work().join(".worktrees/.logs/t1/review-1.log"))
        .expect("the review's own log");
    assert!(
        log.contains(&head),
        "it saw the task's head {head}, not the stale review's: {log}"
    );
    assert!(out.changed_files.is_empty(), "{out:?}");
    assert!(!stale.exists(), "the review worktree is removed");
    assert_eq!(
        git(
            &repo.work(),
            &["branch", "--list", "ops-review/*", "--format=%(refname)"]
        ),
        "",
        "the review branch is deleted"
    );
    assert_eq!(
        git(&repo.work(), &["rev-parse", &t.branch_name()]),
        head,
        "the task's branch is untouched: nothing of the reviewer was committed"
    );
    assert!(
        worktree_of(&repo, "t1").join("auth.rs").is_file(),
        "the task's worktree stays"
    );
    assert!(
        !worktree_of(&repo, "t1")
            .join("left-by-reviewer.txt")
            .exists()
    );
}

#[tokio::test]
async fn a_review_brief_naming_its_own_branch_as_the_head_is_refused() {
    let repo = TempRepo::new();
    let t = task(&repo, "t2", "Check the token");
    let work = WorkRef {
        branch: review_branch(&t),
        worktree: None,
        summary: String::new(),
    };
    let brief = review_brief(&t, &work, 1, &[], "diff");
    let err = match reviewer().dispatch(&brief).await {
        Ok(_) => panic!("a review of its own branch was started"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), ops_core::ErrorKind::Invalid, "{err}");
    assert!(err.to_string().contains("review branch"), "{err}");
}
