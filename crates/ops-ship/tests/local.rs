//! The local-git shipper against real repositories with a bare origin. One test per
//! invariant, named for it.

mod common;

use common::{branch, task};
use ops_core::ErrorKind;
use ops_core::conformance;
use ops_core::model::Project;
use ops_core::seams::{ChecksState, MergeOutcome, PromoteOutcome, Shipper};
use ops_ship::local::{LocalShipConfig, LocalShipper};
use ops_testkit::{TempRepo, git};
use std::time::Duration;

fn project(gate: Option<&str>) -> Project {
    Project {
        alias: "proj".into(),
        quality_gate: gate.map(str::to_string),
        ..Project::default()
    }
}

fn shipper(gate: Option<&str>) -> LocalShipper {
    LocalShipper::new(&[project(gate)], LocalShipConfig::default())
}

/// Commits `path` on dev in the clone and pushes dev.
fn move_dev(repo: &TempRepo, path: &str) -> String {
    let sha = repo.commit_file(path, "dev moved\n", &format!("dev gains {path}"));
    repo.git(&["push", "--quiet", "origin", "dev"]);
    sha
}

fn trailer_commits(repo: &TempRepo, id: &str) -> usize {
    git(
        &repo.origin(),
        &[
            "log",
            "--format=%H",
            "--grep",
            &format!("^Ops-Task: {id}$"),
            "dev",
        ],
    )
    .lines()
    .count()
}

#[tokio::test]
async fn local_shipper_passes_the_shipper_conformance_suite() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let s = shipper(Some("test -f feature.txt"));
    conformance::shipper(&s, &t, &work, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn merge_lands_one_squash_commit_with_the_task_trailer_on_dev_and_leaves_main_alone() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("a.txt", "a\n")]);
    git(
        work.worktree.as_ref().expect("wt"),
        &["commit", "--quiet", "--allow-empty", "-m", "second"],
    );
    let (dev0, main0) = (repo.origin_rev("dev"), repo.origin_rev("main"));
    let s = shipper(None);
    let c = s.open_change(&t, &work).await.expect("open");
    assert_eq!(s.checks(&c).await.expect("checks"), ChecksState::Passed);
    let MergeOutcome::Merged { sha } = s.merge(&c).await.expect("merge") else {
        panic!("not merged")
    };
    assert_eq!(repo.origin_rev("dev"), sha);
    assert_eq!(
        git(&repo.origin(), &["rev-parse", &format!("{sha}^")]),
        dev0,
        "one commit on top of dev"
    );
    assert_eq!(
        git(
            &repo.origin(),
            &["rev-list", "--count", &format!("{dev0}..dev")]
        ),
        "1"
    );
    assert_eq!(git(&repo.origin(), &["show", &format!("{sha}:a.txt")]), "a");
    assert_eq!(trailer_commits(&repo, "t1"), 1);
    assert_eq!(repo.origin_rev("main"), main0, "merging never touches main");
    let in_origin = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(repo.origin())
            .envs(ops_testkit::git_env())
            .output()
            .expect("git runs")
            .status
            .success()
    };
    assert!(
        !in_origin(&["rev-parse", "--verify", "--quiet", "refs/heads/ops/t1-x"]),
        "the task branch itself never reaches origin"
    );
    for commit in ["ops/t1-x", "ops/t1-x~1"] {
        let sha = repo.git(&["rev-parse", commit]);
        assert!(
            !in_origin(&["cat-file", "-e", &sha]),
            "no commit of the agent's own history ({commit}) is in origin, only the squash"
        );
    }
}

#[tokio::test]
async fn the_gate_runs_on_the_merged_result_not_on_the_branch_alone() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    move_dev(&repo, "required.txt");
    let s = shipper(Some("test -f required.txt && test -f feature.txt"));
    let c = s.open_change(&t, &work).await.expect("open");
    assert_eq!(
        s.checks(&c).await.expect("checks"),
        ChecksState::Passed,
        "dev's file and the task's are both there"
    );
}

/// A repository with task t1's change (`feature.txt`) opened and its gate green.
async fn opened_and_green() -> (TempRepo, LocalShipper, ops_core::seams::ChangeRef) {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let s = shipper(Some("test -f feature.txt"));
    let c = s.open_change(&t, &work).await.expect("open");
    assert_eq!(s.checks(&c).await.expect("checks"), ChecksState::Passed);
    (repo, s, c)
}

#[tokio::test]
async fn dev_moved_not_by_ops_after_the_change_opened_halts_and_nothing_is_pushed() {
    let (repo, s, c) = opened_and_green().await;
    let before = repo.origin_rev("dev");
    let moved = move_dev(&repo, "other.txt");
    let e = s.merge(&c).await.expect_err("a halt");
    assert_eq!(e.kind(), ops_core::ErrorKind::Halt, "{e}");
    let expected = format!("origin/dev moved from {before} to {moved} during the task, not by ops");
    assert!(e.to_string().contains(&expected), "{e}");
    assert_eq!(repo.origin_rev("dev"), moved, "ops pushed nothing");
    let again = s.promote("proj", &repo.work().to_string_lossy()).await;
    assert_eq!(
        again.expect_err("still halted").kind(),
        ops_core::ErrorKind::Halt
    );
}

/// The git config is shared by every worktree: an agent that points origin (or
/// only its push URL) at a copy of its own gets nothing pushed there, and the
/// halt names both URLs.
#[tokio::test]
async fn origin_s_url_rewritten_during_the_task_halts_and_nothing_is_pushed_anywhere() {
    for push_only in [false, true] {
        let (repo, s, c) = opened_and_green().await;
        let decoy = repo.origin().with_file_name("decoy.git");
        let origin = repo.origin().to_string_lossy().into_owned();
        git(
            &repo.work(),
            &[
                "clone",
                "--quiet",
                "--bare",
                &origin,
                &decoy.to_string_lossy(),
            ],
        );
        let mut set = vec!["remote", "set-url"];
        if push_only {
            set.push("--push");
        }
        let decoy_url = decoy.to_string_lossy().into_owned();
        set.extend(["origin", &decoy_url]);
        git(&repo.work(), &set);
        let before = repo.origin_rev("dev");
        let decoy_dev = git(&decoy, &["rev-parse", "dev"]);
        let e = s.merge(&c).await.expect_err("a halt");
        assert_eq!(e.kind(), ops_core::ErrorKind::Halt, "{e}");
        let text = e.to_string();
        assert!(
            text.contains("of origin changed from")
                && text.contains(&origin)
                && text.contains(&decoy_url),
            "push only {push_only}: {text}"
        );
        assert_eq!(repo.origin_rev("dev"), before, "nothing pushed to origin");
        assert_eq!(
            git(&decoy, &["rev-parse", "dev"]),
            decoy_dev,
            "nothing pushed to the decoy"
        );
    }
}

#[tokio::test]
async fn dev_moving_after_the_checks_changes_the_head_and_the_new_head_is_tested_before_merging() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let guard = std::sync::Arc::new(ops_ship::guard::OriginGuard::default());
    let s = LocalShipper::new(
        &[project(Some("test -f feature.txt"))],
        LocalShipConfig {
            guard: guard.clone(),
            ..LocalShipConfig::default()
        },
    );
    let c = s.open_change(&t, &work).await.expect("open");
    assert_eq!(s.checks(&c).await.expect("checks"), ChecksState::Passed);
    // Another task's merge by this ops moves dev meanwhile.
    let moved = move_dev(&repo, "other.txt");
    guard.moved_by_ops(&repo.work(), "dev", &moved);
    let MergeOutcome::HeadChanged { head } = s.merge(&c).await.expect("merge") else {
        panic!("head must change")
    };
    assert_ne!(head, c.head);
    assert_eq!(
        repo.origin_rev("dev"),
        moved,
        "nothing merged on a moved base"
    );
    let c2 = ops_core::seams::ChangeRef { head, ..c };
    assert!(
        matches!(
            s.merge(&c2).await.expect("merge"),
            MergeOutcome::Refused { .. }
        ),
        "the rebuilt head is untested"
    );
    assert_eq!(s.checks(&c2).await.expect("checks"), ChecksState::Passed);
    assert_eq!(
        s.merge(&c2).await.expect("merge"),
        MergeOutcome::Merged {
            sha: c2.head.clone()
        }
    );
    assert_eq!(
        git(&repo.origin(), &["rev-parse", "dev^"]),
        moved,
        "squashed onto the CURRENT dev"
    );
}

#[tokio::test]
async fn merge_on_red_is_refused_and_dev_does_not_move() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let dev0 = repo.origin_rev("dev");
    let s = shipper(Some("echo 'tests failed' >&2; exit 1"));
    let c = s.open_change(&t, &work).await.expect("open");
    let ChecksState::Failed { detail } = s.checks(&c).await.expect("checks") else {
        panic!("red")
    };
    assert!(detail.contains("tests failed"), "{detail}");
    assert!(matches!(
        s.merge(&c).await.expect("merge"),
        MergeOutcome::Refused { .. }
    ));
    assert_eq!(repo.origin_rev("dev"), dev0);
}

#[tokio::test]
async fn merge_of_an_untested_head_is_refused_and_dev_does_not_move() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let dev0 = repo.origin_rev("dev");
    let s = shipper(None);
    let c = s.open_change(&t, &work).await.expect("open");
    let MergeOutcome::Refused { reason } = s.merge(&c).await.expect("merge") else {
        panic!("must refuse")
    };
    assert!(reason.contains("tested"), "{reason}");
    assert_eq!(repo.origin_rev("dev"), dev0);
}

#[tokio::test]
async fn a_new_shipper_after_a_crash_finds_the_earlier_merge_and_never_merges_twice() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let first = shipper(None);
    let c = first.open_change(&t, &work).await.expect("open");
    first.checks(&c).await.expect("checks");
    let MergeOutcome::Merged { sha } = first.merge(&c).await.expect("merge") else {
        panic!()
    };
    drop(first);
    let second = shipper(None);
    let again = second.open_change(&t, &work).await.expect("reopen");
    assert_eq!(again.head, sha, "the merged commit is found by its trailer");
    assert_eq!(
        second.checks(&again).await.expect("checks"),
        ChecksState::Passed
    );
    assert_eq!(
        second.merge(&again).await.expect("merge"),
        MergeOutcome::AlreadyMerged { sha: sha.clone() }
    );
    assert_eq!(trailer_commits(&repo, "t1"), 1);
    assert_eq!(repo.origin_rev("dev"), sha);
}

#[tokio::test]
async fn rebuilding_after_a_crash_before_the_merge_gives_the_same_head() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let a = shipper(None).open_change(&t, &work).await.expect("open");
    let b = shipper(None).open_change(&t, &work).await.expect("reopen");
    assert_eq!(
        a.head, b.head,
        "the squash is deterministic, so a tested head stays tested"
    );
}

#[tokio::test]
async fn a_rewritten_task_branch_gives_a_new_squash_and_origin_never_holds_the_branch() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let s = shipper(None);
    let first = s.open_change(&t, &work).await.expect("open");
    let wt = work.worktree.as_ref().expect("wt");
    std::fs::write(wt.join("feature.txt"), "g\n").expect("write");
    git(
        wt,
        &[
            "commit",
            "--quiet",
            "-a",
            "--amend",
            "-m",
            "rewritten history",
        ],
    );
    let second = s.open_change(&t, &work).await.expect("open again");
    assert_ne!(first.head, second.head, "the squash follows the branch");
    let heads = git(&repo.origin(), &["for-each-ref", "--format=%(refname)"]);
    assert!(!heads.contains("ops/"), "no task branch on origin: {heads}");
}

#[tokio::test]
async fn work_is_never_pushed_to_main_directly() {
    let repo = TempRepo::new();
    let main0 = repo.origin_rev("main");
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("feature.txt", "f\n")]);
    let onto_main = LocalShipper::new(
        &[Project {
            dev_branch: Some("main".into()),
            ..project(None)
        }],
        LocalShipConfig::default(),
    );
    let e = onto_main
        .open_change(&t, &work)
        .await
        .expect_err("dev = main is refused");
    assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
    let mut on_main = work.clone();
    on_main.branch = "main".into();
    repo.git(&["branch", "-f", "main", "ops/t1-x"]);
    let e = shipper(None)
        .open_change(&t, &on_main)
        .await
        .expect_err("a task branch named main is refused");
    assert!(e.to_string().contains("production or dev branch"), "{e}");
    assert_eq!(repo.origin_rev("main"), main0);
}

#[tokio::test]
async fn a_branch_that_conflicts_with_dev_is_a_conflict_for_the_agent() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1");
    let work = branch(&repo, "ops/t1-x", &[("README.md", "task version\n")]);
    repo.commit_file("README.md", "dev version\n", "dev edits the readme");
    repo.git(&["push", "--quiet", "origin", "dev"]);
    let e = shipper(None)
        .open_change(&t, &work)
        .await
        .expect_err("conflict");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
}

#[tokio::test]
async fn promote_fast_forwards_main_to_a_green_dev_once() {
    let repo = TempRepo::new();
    let dev = move_dev(&repo, "x.txt");
    let s = shipper(Some("test -f x.txt"));
    let work = repo.work();
    let repo_s = work.to_str().expect("utf-8");
    assert_eq!(
        s.promote("proj", repo_s).await.expect("promote"),
        PromoteOutcome::Promoted { sha: dev.clone() }
    );
    assert_eq!(repo.origin_rev("main"), dev);
    assert_eq!(
        s.promote("proj", repo_s).await.expect("again"),
        PromoteOutcome::UpToDate
    );
}

#[tokio::test]
async fn promote_of_a_diverged_main_is_a_merge_commit_never_a_squash() {
    let repo = TempRepo::new();
    repo.git(&["checkout", "--quiet", "main"]);
    let hotfix = repo.commit_file("hotfix.txt", "h\n", "hotfix on main");
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo.git(&["checkout", "--quiet", "dev"]);
    let dev = move_dev(&repo, "x.txt");
    let work = repo.work();
    let out = shipper(None)
        .promote("proj", work.to_str().expect("utf-8"))
        .await
        .expect("promote");
    let PromoteOutcome::Promoted { sha } = out else {
        panic!("{out:?}")
    };
    assert_eq!(repo.origin_rev("main"), sha);
    let parents = git(&repo.origin(), &["show", "-s", "--format=%P", &sha]);
    assert_eq!(
        parents,
        format!("{hotfix} {dev}"),
        "main's history and dev's, both kept"
    );
}

#[tokio::test]
async fn promote_skips_a_red_dev_and_is_off_with_no_main() {
    let repo = TempRepo::new();
    move_dev(&repo, "x.txt");
    let main0 = repo.origin_rev("main");
    let work = repo.work();
    let repo_s = work.to_str().expect("utf-8");
    let out = shipper(Some("exit 1"))
        .promote("proj", repo_s)
        .await
        .expect("promote");
    assert!(
        matches!(out, PromoteOutcome::Skipped { ref reason } if reason.contains("not green")),
        "{out:?}"
    );
    let off = LocalShipper::new(
        &[project(None)],
        LocalShipConfig {
            promote: false,
            ..LocalShipConfig::default()
        },
    );
    assert!(!off.capabilities().promotes);
    assert!(matches!(
        off.promote("proj", repo_s).await.expect("promote"),
        PromoteOutcome::Skipped { .. }
    ));
    assert_eq!(repo.origin_rev("main"), main0);
}

#[tokio::test]
async fn promote_tests_the_merge_commit_that_lands_not_dev_alone() {
    let repo = TempRepo::new();
    repo.git(&["checkout", "--quiet", "main"]);
    repo.commit_file("hotfix.txt", "h\n", "hotfix on main");
    repo.git(&["push", "--quiet", "origin", "main"]);
    repo.git(&["checkout", "--quiet", "dev"]);
    move_dev(&repo, "x.txt");
    let main0 = repo.origin_rev("main");
    let work = repo.work();
    // Green on dev alone (no hotfix.txt), red once main's hotfix is merged in.
    let out = shipper(Some("! test -f hotfix.txt"))
        .promote("proj", work.to_str().expect("utf-8"))
        .await
        .expect("promote");
    assert!(
        matches!(out, PromoteOutcome::Skipped { .. }),
        "a red merge of dev into main is never pushed: {out:?}"
    );
    assert_eq!(repo.origin_rev("main"), main0);
}

#[tokio::test]
async fn a_title_that_looks_like_another_tasks_trailer_does_not_mark_that_task_merged() {
    let repo = TempRepo::new();
    let mut sneaky = task(&repo, "t2");
    sneaky.title = "Ops-Task: t1".into();
    let w2 = branch(&repo, "ops/t2-x", &[("b.txt", "b\n")]);
    let s = shipper(None);
    let c2 = s.open_change(&sneaky, &w2).await.expect("open t2");
    s.checks(&c2).await.expect("checks t2");
    assert!(matches!(
        s.merge(&c2).await.expect("merge t2"),
        MergeOutcome::Merged { .. }
    ));
    let t1 = task(&repo, "t1");
    let w1 = branch(&repo, "ops/t1-x", &[("a.txt", "a\n")]);
    let c1 = s.open_change(&t1, &w1).await.expect("open t1");
    s.checks(&c1).await.expect("checks t1");
    let out = s.merge(&c1).await.expect("merge t1");
    assert!(
        matches!(out, MergeOutcome::Merged { .. }),
        "t1 was never merged, its work must land: {out:?}"
    );
    git(&repo.work(), &["fetch", "--quiet", "origin"]);
    assert_eq!(
        git(&repo.work(), &["cat-file", "-t", "origin/dev:a.txt"]),
        "blob"
    );
}
