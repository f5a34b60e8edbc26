//! gc removes only worktrees whose work landed, and says why it keeps the others.

use ops_dispatch::gc::{self, GcAction, GcPolicy};
use ops_dispatch::{LeaseOwner, WorktreeConfig, WorktreeManager};
use ops_testkit::{TempRepo, git};
use std::collections::BTreeSet;

fn manager(owner: &str) -> WorktreeManager {
    WorktreeManager::new(WorktreeConfig {
        owner: LeaseOwner::this_process(owner),
        ..WorktreeConfig::default()
    })
}

#[tokio::test]
async fn landed_worktrees_go_and_unlanded_dirty_or_leased_ones_stay_with_reasons() {
    let repo = TempRepo::new();
    let m = manager("gc");
    let work = repo.work();
    let mk = |id: &str| {
        let m = m.clone();
        let work = work.clone();
        let id = id.to_string();
        async move {
            m.prepare(&work, "dev", &id, &format!("ops/{id}"), &[])
                .await
                .expect("prepare")
        }
    };
    // landed: committed, then merged into dev and pushed.
    let landed = mk("landed").await;
    std::fs::write(landed.path.join("a.txt"), "a").expect("write");
    git(&landed.path, &["add", "a.txt"]);
    git(&landed.path, &["commit", "-qm", "a"]);
    repo.git(&["merge", "--quiet", "--ff-only", "ops/landed"]);
    repo.git(&["push", "--quiet"]);
    repo.git(&["fetch", "--quiet"]);
    // unlanded: a commit dev lacks.
    let unlanded = mk("unlanded").await;
    std::fs::write(unlanded.path.join("b.txt"), "b").expect("write");
    git(&unlanded.path, &["add", "b.txt"]);
    git(&unlanded.path, &["commit", "-qm", "b"]);
    // dirty: nothing committed but a file changed.
    let dirty = mk("dirty").await;
    std::fs::write(dirty.path.join("README.md"), "changed").expect("write");
    // squashed: its commit is not in dev, but the caller knows its PR merged.
    let squashed = mk("squashed").await;
    std::fs::write(squashed.path.join("c.txt"), "c").expect("write");
    git(&squashed.path, &["add", "c.txt"]);
    git(&squashed.path, &["commit", "-qm", "c"]);
    // leased: landed (no commits) but held by this process.
    let leased = mk("leased").await;
    let paths = [&landed, &unlanded, &dirty, &squashed].map(|w| w.path.clone());
    drop((landed, unlanded, dirty, squashed));

    let policy = GcPolicy {
        target: "origin/dev".into(),
        merged_prs: BTreeSet::from(["ops/squashed".to_string()]),
    };
    let decisions = gc::decide(&repo.work(), &m, &policy).await.expect("decide");
    let of = |id: &str| {
        decisions
            .iter()
            .find(|d| d.branch.as_deref() == Some(&format!("ops/{id}")))
            .unwrap_or_else(|| panic!("a decision for {id}: {decisions:?}"))
    };
    assert_eq!(of("landed").action, GcAction::Remove, "{:?}", of("landed"));
    assert!(of("landed").reason.contains("contained in origin/dev"));
    assert_eq!(of("squashed").action, GcAction::Remove);
    assert!(of("squashed").reason.contains("PR"));
    assert_eq!(of("unlanded").action, GcAction::Keep);
    assert!(
        of("unlanded").reason.contains("1 commit(s)"),
        "{:?}",
        of("unlanded")
    );
    assert_eq!(of("dirty").action, GcAction::Keep);
    assert!(
        of("dirty").reason.contains("uncommitted"),
        "{:?}",
        of("dirty")
    );
    assert_eq!(of("leased").action, GcAction::Keep);
    assert!(of("leased").reason.contains("in use"), "{:?}", of("leased"));
    assert_eq!(decisions.len(), 5, "the main checkout is never a candidate");

    let after = gc::remove(&repo.work(), decisions).await.expect("remove");
    let removed = after.iter().filter(|d| d.action == GcAction::Remove);
    assert_eq!(removed.count(), 2, "{after:?}");
    assert!(
        !paths[0].exists() && !paths[3].exists(),
        "landed worktrees are gone"
    );
    assert!(
        paths[1].exists() && paths[2].exists(),
        "unlanded and dirty stay"
    );
    assert!(std::fs::read_to_string(paths[2].join("README.md")).expect("kept") == "changed");
    assert_eq!(
        repo.git(&["branch", "--list", "ops/landed"]),
        "",
        "its branch went too"
    );
    assert_ne!(repo.git(&["branch", "--list", "ops/unlanded"]), "");
    drop(leased);
}

#[tokio::test]
async fn a_commit_made_after_the_decision_keeps_the_worktree_and_its_branch() {
    let repo = TempRepo::new();
    let m = manager("gc");
    let wt = m
        .prepare(&repo.work(), "dev", "late", "ops/late", &[])
        .await
        .expect("prepare");
    let path = wt.path.clone();
    drop(wt);
    let policy = GcPolicy {
        target: "origin/dev".into(),
        merged_prs: BTreeSet::new(),
    };
    let decisions = gc::decide(&repo.work(), &m, &policy).await.expect("decide");
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        decisions[0].action,
        GcAction::Remove,
        "nothing unlanded yet"
    );
    // An ops run takes the worktree again and its agent commits before gc acts.
    std::fs::write(path.join("late.txt"), "work").expect("write");
    git(&path, &["add", "late.txt"]);
    git(&path, &["commit", "-qm", "late work"]);
    let commit = git(&path, &["rev-parse", "HEAD"]);

    let after = gc::remove(&repo.work(), decisions).await.expect("remove");
    assert!(path.join("late.txt").exists(), "the worktree stays");
    assert_eq!(
        repo.git(&["rev-parse", "--verify", "--quiet", "refs/heads/ops/late"]),
        commit,
        "the branch keeps the late commit"
    );
    assert_eq!(after[0].action, GcAction::Keep, "{:?}", after[0]);
    assert!(after[0].reason.contains("changed"), "{:?}", after[0]);
}

#[tokio::test]
async fn a_worktree_leased_after_the_decision_is_kept() {
    let repo = TempRepo::new();
    let m = manager("gc");
    let wt = m
        .prepare(&repo.work(), "dev", "taken", "ops/taken", &[])
        .await
        .expect("prepare");
    let path = wt.path.clone();
    drop(wt);
    let policy = GcPolicy {
        target: "origin/dev".into(),
        merged_prs: BTreeSet::new(),
    };
    let decisions = gc::decide(&repo.work(), &m, &policy).await.expect("decide");
    assert_eq!(decisions[0].action, GcAction::Remove);
    // An ops run leases it (and is about to start its agent) before gc acts.
    let run = manager("run")
        .prepare(&repo.work(), "dev", "taken", "ops/taken", &[])
        .await
        .expect("the run takes it");

    let after = gc::remove(&repo.work(), decisions).await.expect("remove");
    assert!(path.exists(), "the leased worktree stays");
    assert_eq!(after[0].action, GcAction::Keep, "{:?}", after[0]);
    assert!(after[0].reason.contains("in use"), "{:?}", after[0]);
    drop(run);
}

#[tokio::test]
async fn a_worktree_under_the_root_on_a_branch_ops_did_not_make_is_kept() {
    let repo = TempRepo::new();
    // The user's own worktree, in the same conventional directory, fully landed.
    let path = repo.work().join(".worktrees").join("mine");
    let p = path.to_str().expect("utf-8");
    repo.git(&[
        "worktree",
        "add",
        "--quiet",
        "-b",
        "feature",
        p,
        "origin/dev",
    ]);
    let policy = GcPolicy {
        target: "origin/dev".into(),
        merged_prs: BTreeSet::new(),
    };
    let decisions = gc::decide(&repo.work(), &manager("gc"), &policy)
        .await
        .expect("decide");
    let after = gc::remove(&repo.work(), decisions).await.expect("remove");
    assert!(path.exists(), "not ops' to remove");
    assert_ne!(repo.git(&["branch", "--list", "feature"]), "");
    assert_eq!(after[0].action, GcAction::Keep, "{:?}", after[0]);
    assert!(
        after[0].reason.contains("not an ops task branch"),
        "{:?}",
        after[0]
    );
}
