//! The GitHub shipper against a stateful fake GitHub (ops_testkit::github) whose
//! merges move a real bare repository. One test per invariant, named for it, in
//! the manner of rust-lang/bors's suite.

mod common;

use async_trait::async_trait;
use common::{branch, task};
use ops_core::conformance;
use ops_core::model::{Task, Timestamp};
use ops_core::seams::{ChangeRef, ChecksState, MergeOutcome, PromoteOutcome, Shipper, WorkRef};
use ops_ship::github::{
    ClientConfig, GitHubProject, GitHubShipConfig, GitHubShipper, GitHubToken, NewIssueProbe,
};
use ops_testkit::github::{FakeGitHub, Fault};
use ops_testkit::{TempRepo, git};
use std::sync::Arc;
use std::time::Duration;

const SLUG: &str = "acme/app";
/// A canary token: a GitHub-token-shaped string no real account has.
const CANARY: &str = "ghp_CANARYcanary0123456789CANARYcanary01";

struct Forge {
    repo: TempRepo,
    gh: FakeGitHub,
    ship: GitHubShipper,
}

fn project(repo: &TempRepo, health: Vec<String>) -> GitHubProject {
    GitHubProject {
        alias: "proj".into(),
        repos: vec![SLUG.into()],
        paths: vec![repo.work()],
        dev_branch: "dev".into(),
        main_branch: "main".into(),
        required_checks: vec!["ci/test".into()],
        health_endpoints: health,
    }
}

fn config(gh: &FakeGitHub) -> GitHubShipConfig {
    GitHubShipConfig {
        client: ClientConfig {
            api_base: gh.url(),
            backoff: Duration::from_millis(10),
            max_wait: Duration::from_secs(5),
            ..ClientConfig::default()
        },
        verify_after: Duration::ZERO,
        ..GitHubShipConfig::default()
    }
}

async fn forge() -> Forge {
    let repo = TempRepo::new();
    let gh = FakeGitHub::start().await;
    gh.add_repo(SLUG, &repo.origin());
    let ship = GitHubShipper::new(
        vec![project(&repo, vec![])],
        GitHubToken::new(CANARY),
        config(&gh),
    );
    Forge { repo, gh, ship }
}

impl Forge {
    fn work(&self, name: &str) -> (Task, WorkRef) {
        let t = task(&self.repo, name);
        let w = branch(
            &self.repo,
            &format!("ops/{name}-x"),
            &[(&format!("{name}.txt"), "work\n")],
        );
        (t, w)
    }

    fn green(&self, sha: &str) {
        self.gh
            .set_check_run(SLUG, sha, "ci/test", Some("success"), "all tests passed");
    }

    async fn opened_green(&self, name: &str) -> (Task, WorkRef, ChangeRef) {
        let (t, w) = self.work(name);
        let c = self.ship.open_change(&t, &w).await.expect("open");
        self.green(&c.head);
        (t, w, c)
    }

    /// Pushes one more commit to the task branch on the remote.
    fn push_more(&self, w: &WorkRef) -> String {
        let wt = w.worktree.as_ref().expect("worktree");
        std::fs::write(wt.join("more.txt"), "more\n").expect("write");
        git(wt, &["add", "more.txt"]);
        git(wt, &["commit", "--quiet", "-m", "more"]);
        git(wt, &["push", "--quiet", "origin", &w.branch]);
        git(wt, &["rev-parse", "HEAD"])
    }
}

#[tokio::test]
async fn github_shipper_passes_the_shipper_conformance_suite() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    let tip = f.repo.git(&["rev-parse", &w.branch]);
    f.green(&tip);
    conformance::shipper(&f.ship, &t, &w, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn opening_twice_reuses_the_open_pull_request_for_the_same_head() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    let a = f.ship.open_change(&t, &w).await.expect("open");
    let b = f.ship.open_change(&t, &w).await.expect("open again");
    assert_eq!(a.id, b.id);
    assert_eq!(a.id, format!("{SLUG}#1"));
    assert_eq!(f.gh.pulls().len(), 1);
    assert_eq!(
        f.gh.pulls()[0].base,
        "dev",
        "a task's pull request goes to dev"
    );
    assert_eq!(
        f.repo.origin_rev(&w.branch),
        f.repo.git(&["rev-parse", &w.branch]),
        "the branch was pushed"
    );
}

#[tokio::test]
async fn pull_request_already_exists_422_is_taken_as_found() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    let first = f.ship.open_change(&t, &w).await.expect("open");
    f.gh.inject(Fault::StaleListing(2));
    let again = f
        .ship
        .open_change(&t, &w)
        .await
        .expect("a 422 already-exists is not an error");
    assert_eq!(first.id, again.id);
    assert_eq!(f.gh.pulls().len(), 1);
    assert!(
        f.gh.requests()
            .iter()
            .filter(|r| r.starts_with("POST /repos/acme/app/pulls"))
            .count()
            >= 2
    );
}

#[tokio::test]
async fn squash_merge_is_pinned_to_the_tested_head_and_lands_on_dev_only() {
    let f = forge().await;
    let (dev0, main0) = (f.repo.origin_rev("dev"), f.repo.origin_rev("main"));
    let (_, _, c) = f.opened_green("t1").await;
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Passed
    );
    let MergeOutcome::Merged { sha } = f.ship.merge(&c).await.expect("merge") else {
        panic!("not merged")
    };
    let calls = f.gh.merge_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].sha.as_deref(),
        Some(c.head.as_str()),
        "pinned to the tested head"
    );
    assert_eq!(calls[0].method, "squash");
    let keys: Vec<&String> = calls[0].body.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["commit_message", "commit_title", "merge_method", "sha"],
        "no bypass or admin field"
    );
    assert_eq!(f.repo.origin_rev("dev"), sha);
    assert_eq!(
        git(&f.repo.origin(), &["rev-parse", "dev^"]),
        dev0,
        "one squash commit"
    );
    assert!(git(&f.repo.origin(), &["log", "-1", "--format=%B", "dev"]).contains("Ops-Task: t1"));
    assert_eq!(f.repo.origin_rev("main"), main0);
}

/// Whether `branch` is a branch of the bare origin.
fn on_origin(repo: &TempRepo, branch: &str) -> bool {
    !git(
        &repo.origin(),
        &[
            "for-each-ref",
            "--format=%(refname)",
            &format!("refs/heads/{branch}"),
        ],
    )
    .is_empty()
}

#[tokio::test]
async fn a_merged_pull_requests_head_branch_is_deleted_from_github_and_dev_and_main_stay() {
    let f = forge().await;
    let (_, w, c) = f.opened_green("t1").await;
    assert!(on_origin(&f.repo, &w.branch), "pushed for the pull request");
    let merged = f.ship.merge(&c).await.expect("merge");
    assert!(matches!(merged, MergeOutcome::Merged { .. }), "{merged:?}");
    assert!(
        !on_origin(&f.repo, &w.branch),
        "the merged task branch is gone from GitHub"
    );
    // Merged behind ops' back: the head goes once ops finds the pull request merged.
    let (_, w2, c2) = f.opened_green("t2").await;
    f.gh.merge_behind_the_back(SLUG, 2);
    let again = f.ship.merge(&c2).await.expect("merge");
    assert!(
        matches!(again, MergeOutcome::AlreadyMerged { .. }),
        "{again:?}"
    );
    assert!(!on_origin(&f.repo, &w2.branch));
    assert_eq!(
        f.gh.deleted_branches(),
        [
            (SLUG.to_string(), w.branch.clone()),
            (SLUG.to_string(), w2.branch.clone())
        ]
    );
    // A promotion (head: dev) deletes nothing.
    let dev = f.repo.origin_rev("dev");
    f.green(&dev);
    let work = f.repo.work();
    let promoted = f
        .ship
        .promote("proj", work.to_str().expect("utf-8"))
        .await
        .expect("promote");
    assert!(
        matches!(promoted, PromoteOutcome::Promoted { .. }),
        "{promoted:?}"
    );
    assert!(on_origin(&f.repo, "dev") && on_origin(&f.repo, "main"));
    assert_eq!(f.gh.deleted_branches().len(), 2, "dev was not deleted");
}

#[tokio::test]
async fn head_changed_between_check_and_merge_is_not_merged_and_the_new_head_is_reported() {
    let f = forge().await;
    let (_, w, c) = f.opened_green("t1").await;
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Passed
    );
    let new = f.push_more(&w);
    assert_eq!(
        f.ship.merge(&c).await.expect("merge"),
        MergeOutcome::HeadChanged { head: new.clone() }
    );
    assert!(f.gh.merge_calls().is_empty(), "nothing was merged");
    let c2 = ChangeRef {
        head: new.clone(),
        ..c
    };
    assert_eq!(
        f.ship.checks(&c2).await.expect("checks"),
        ChecksState::Pending,
        "the new head has no checks yet"
    );
    f.green(&new);
    assert!(matches!(
        f.ship.merge(&c2).await.expect("merge"),
        MergeOutcome::Merged { .. }
    ));
}

#[tokio::test]
async fn a_head_without_its_own_green_checks_is_never_merged_even_if_an_older_head_was_green() {
    let f = forge().await;
    let (_, w, c) = f.opened_green("t1").await;
    let new = f.push_more(&w);
    let untested = ChangeRef { head: new, ..c };
    let MergeOutcome::Refused { reason } = f.ship.merge(&untested).await.expect("merge") else {
        panic!("must refuse")
    };
    assert!(reason.contains("required check"), "{reason}");
    assert!(f.gh.merge_calls().is_empty());
}

#[tokio::test]
async fn base_branch_modified_405_is_retried_and_then_merges() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    f.gh.inject(Fault::BaseMoved(1));
    assert!(matches!(
        f.ship.merge(&c).await.expect("merge"),
        MergeOutcome::Merged { .. }
    ));
    let statuses: Vec<u16> = f.gh.merge_calls().iter().map(|m| m.status).collect();
    assert_eq!(statuses, [405, 200]);
}

#[tokio::test]
async fn unknown_mergeability_is_polled_again_not_merged() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    f.gh.inject(Fault::MergeableUnknown(1));
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Pending
    );
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Passed
    );
}

#[tokio::test]
async fn bad_gateway_answers_are_retried_with_backoff() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    f.gh.inject(Fault::BadGateway(2));
    f.ship
        .open_change(&t, &w)
        .await
        .expect("open despite two 502s");
    assert_eq!(f.gh.pulls().len(), 1);
}

#[tokio::test]
async fn secondary_rate_limit_waits_out_retry_after_then_succeeds() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    f.gh.inject(Fault::SecondaryRateLimit {
        retry_after_secs: 1,
    });
    let before = f.gh.requests().len();
    let started = std::time::Instant::now();
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Passed
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retry-after was honoured"
    );
    let after: Vec<String> = f.gh.requests()[before..].to_vec();
    assert_eq!(
        after[0], after[1],
        "the limited request was repeated: {after:?}"
    );
}

#[tokio::test]
async fn primary_rate_limit_at_zero_remaining_waits_for_the_reset() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    f.gh.inject(Fault::PrimaryRateLimit { reset_in_secs: 1 });
    assert_eq!(
        f.ship.checks(&c).await.expect("checks after the reset"),
        ChecksState::Passed
    );
}

#[tokio::test]
async fn a_missing_required_check_counts_as_pending() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    let c = f.ship.open_change(&t, &w).await.expect("open");
    f.gh.set_check_run(SLUG, &c.head, "lint", Some("success"), "");
    f.gh.set_status(SLUG, &c.head, "deploy/preview", "success", "ok");
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Pending
    );
    assert!(matches!(
        f.ship.merge(&c).await.expect("merge"),
        MergeOutcome::Refused { .. }
    ));
    f.green(&c.head);
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Passed
    );
}

#[tokio::test]
async fn merge_on_red_is_refused_and_the_failing_log_tail_goes_back_to_the_agent() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    let c = f.ship.open_change(&t, &w).await.expect("open");
    let dev0 = f.repo.origin_rev("dev");
    f.gh.set_check_run(
        SLUG,
        &c.head,
        "ci/test",
        Some("failure"),
        "running 12 tests\nassertion failed: left == right",
    );
    let ChecksState::Failed { detail } = f.ship.checks(&c).await.expect("checks") else {
        panic!("red")
    };
    assert!(
        detail.contains("assertion failed: left == right"),
        "{detail}"
    );
    assert!(
        detail.contains("Process completed with exit code 1"),
        "the tail comes from the Actions job log, fetched from its pre-signed URL without the token: {detail}"
    );
    assert!(matches!(
        f.ship.merge(&c).await.expect("merge"),
        MergeOutcome::Refused { .. }
    ));
    assert!(
        f.gh.merge_calls().is_empty(),
        "no merge request was even sent"
    );
    assert_eq!(f.repo.origin_rev("dev"), dev0);
}

#[tokio::test]
async fn merge_on_pending_is_refused_and_a_failing_commit_status_counts_as_red() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    let c = f.ship.open_change(&t, &w).await.expect("open");
    f.gh.set_check_run(SLUG, &c.head, "ci/test", None, "");
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Pending
    );
    assert!(matches!(
        f.ship.merge(&c).await.expect("merge"),
        MergeOutcome::Refused { .. }
    ));
    f.green(&c.head);
    f.gh.set_status(
        SLUG,
        &c.head,
        "security/scan",
        "failure",
        "2 critical findings",
    );
    let ChecksState::Failed { detail } = f.ship.checks(&c).await.expect("checks") else {
        panic!("red")
    };
    assert!(detail.contains("2 critical findings"), "{detail}");
    assert!(f.gh.merge_calls().is_empty());
}

#[tokio::test]
async fn unresolved_review_threads_and_requested_changes_go_back_to_the_agent() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    f.gh.add_review_thread(
        SLUG,
        1,
        "src/a.rs",
        7,
        "please handle the error case",
        false,
    );
    f.gh.add_review_thread(SLUG, 1, "src/b.rs", 1, "already fixed", true);
    let ChecksState::Failed { detail } = f.ship.checks(&c).await.expect("checks") else {
        panic!("threads block")
    };
    assert!(
        detail.contains("src/a.rs:7") && detail.contains("please handle the error case"),
        "{detail}"
    );
    assert!(
        !detail.contains("already fixed"),
        "resolved threads are not repeated: {detail}"
    );
    f.gh.set_review_decision(SLUG, 1, Some("CHANGES_REQUESTED"));
    let ChecksState::Failed { detail } = f.ship.checks(&c).await.expect("checks") else {
        panic!("blocked")
    };
    assert!(detail.contains("requested changes"), "{detail}");
    assert!(f.gh.merge_calls().is_empty());
}

#[tokio::test]
async fn a_pull_request_merged_before_is_reported_and_never_reopened_or_merged_again() {
    let f = forge().await;
    let (t, w, c) = f.opened_green("t1").await;
    let sha = f.gh.merge_behind_the_back(SLUG, 1);
    assert_eq!(
        f.ship.merge(&c).await.expect("merge"),
        MergeOutcome::AlreadyMerged { sha: sha.clone() }
    );
    let again = f
        .ship
        .open_change(&t, &w)
        .await
        .expect("reopen after a crash");
    assert_eq!(
        again.id, c.id,
        "the merged pull request is found by its head"
    );
    assert_eq!(f.gh.pulls().len(), 1, "no second pull request");
    assert_eq!(
        f.ship.merge(&again).await.expect("merge"),
        MergeOutcome::AlreadyMerged { sha }
    );
    assert!(f.gh.merge_calls().is_empty());
}

#[tokio::test]
async fn polling_uses_conditional_requests() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    f.ship.checks(&c).await.expect("checks");
    let before = f.gh.not_modified();
    f.ship.checks(&c).await.expect("checks again");
    assert!(
        f.gh.not_modified() >= before + 3,
        "PR, check runs and statuses answered 304"
    );
}

#[tokio::test]
async fn promotion_merges_dev_into_main_with_a_merge_commit_never_a_squash() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    f.ship.merge(&c).await.expect("merge");
    let work = f.repo.work();
    let repo = work.to_str().expect("utf-8");
    let dev = f.repo.origin_rev("dev");
    assert!(
        matches!(
            f.ship.promote("proj", repo).await.expect("promote"),
            PromoteOutcome::Skipped { .. }
        ),
        "dev's head has no green checks yet"
    );
    f.green(&dev);
    let PromoteOutcome::Promoted { sha } = f.ship.promote("proj", repo).await.expect("promote")
    else {
        panic!("promote")
    };
    let promo =
        f.gh.pulls()
            .into_iter()
            .find(|p| p.base == "main")
            .expect("a promotion PR");
    assert_eq!(
        (promo.head.as_str(), promo.merge_method.as_deref()),
        ("dev", Some("merge"))
    );
    assert_eq!(f.repo.origin_rev("main"), sha);
    let parents = git(&f.repo.origin(), &["show", "-s", "--format=%P", &sha]);
    assert!(
        parents.ends_with(&dev) && parents.split(' ').count() == 2,
        "{parents}"
    );
    assert_eq!(
        f.ship.promote("proj", repo).await.expect("again"),
        PromoteOutcome::UpToDate
    );
    let (_, _, c2) = f.opened_green("t2").await;
    f.ship.merge(&c2).await.expect("merge t2");
    let dev2 = f.repo.origin_rev("dev");
    f.green(&dev2);
    let PromoteOutcome::Promoted { sha: sha2 } =
        f.ship.promote("proj", repo).await.expect("promote again")
    else {
        panic!("a second promotion opens a new pull request")
    };
    assert_ne!(sha2, sha);
    assert_eq!(f.repo.origin_rev("main"), sha2);
    assert!(git(&f.repo.origin(), &["show", "-s", "--format=%P", &sha2]).ends_with(&dev2));
    assert_eq!(f.gh.pulls().iter().filter(|p| p.base == "main").count(), 2);
}

#[tokio::test]
async fn a_failing_health_endpoint_after_a_merge_becomes_a_follow_up() {
    let repo = TempRepo::new();
    let gh = FakeGitHub::start().await;
    gh.add_repo(SLUG, &repo.origin());
    let healthy = format!("{}/repos/{SLUG}/branches/dev", gh.url());
    let broken = format!("{}/health", gh.url());
    let ship = GitHubShipper::new(
        vec![project(&repo, vec![healthy, broken.clone()])],
        GitHubToken::new(CANARY),
        config(&gh),
    );
    let t = task(&repo, "t1");
    let follow = ship.verify(&t, "abc1234567890").await.expect("verify");
    assert_eq!(follow.len(), 1, "{follow:?}");
    assert!(
        follow[0].title.contains(&broken) && follow[0].description.contains("404"),
        "{follow:?}"
    );
}

struct NewErrors;

#[async_trait]
impl NewIssueProbe for NewErrors {
    async fn new_issues_since(
        &self,
        project: &str,
        _since: Timestamp,
    ) -> ops_core::Result<Vec<String>> {
        Ok(vec![format!("TypeError in checkout ({project})")])
    }
}

#[tokio::test]
async fn a_new_sentry_issue_after_a_merge_becomes_a_follow_up() {
    let f = forge().await;
    let ship = GitHubShipper::new(
        vec![project(&f.repo, vec![])],
        GitHubToken::new(CANARY),
        config(&f.gh),
    )
    .with_probe(Arc::new(NewErrors));
    let t = task(&f.repo, "t1");
    let follow = ship.verify(&t, "abc1234567890").await.expect("verify");
    assert_eq!(follow.len(), 1);
    assert!(follow[0].title.contains("TypeError in checkout (proj)"));
}

#[tokio::test]
async fn the_token_reaches_only_the_authorization_header_never_errors_logs_or_debug() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    let c = f.ship.open_change(&t, &w).await.expect("open");
    assert!(
        f.gh.authorizations()
            .iter()
            .all(|a| a == &format!("Bearer {CANARY}")),
        "the token authenticates"
    );
    assert!(!format!("{:?}", f.ship).contains(CANARY));
    f.gh.set_check_run(
        SLUG,
        &c.head,
        "ci/test",
        Some("failure"),
        &format!("curl -H 'Authorization: token {CANARY}' failed"),
    );
    let ChecksState::Failed { detail } = f.ship.checks(&c).await.expect("checks") else {
        panic!("red")
    };
    assert!(!detail.contains(CANARY), "{detail}");
    f.gh.inject(Fault::BadGateway(10));
    let err = f
        .ship
        .checks(&c)
        .await
        .expect_err("502s exhaust the retries");
    assert!(!err.to_string().contains(CANARY), "{err}");
    let remote = git(&f.repo.work(), &["remote", "get-url", "origin"]);
    assert!(
        !remote.contains(CANARY),
        "the token never lands in a remote URL"
    );
}

#[tokio::test]
async fn head_pushed_during_the_merge_request_409_becomes_head_changed() {
    let f = forge().await;
    let (_, w, c) = f.opened_green("t1").await;
    let dev0 = f.repo.origin_rev("dev");
    f.gh.inject(Fault::PushBeforeMerge);
    let MergeOutcome::HeadChanged { head } = f.ship.merge(&c).await.expect("merge") else {
        panic!("409 must be HeadChanged")
    };
    assert_eq!(
        head,
        f.repo.origin_rev(&w.branch),
        "the new head is reported"
    );
    assert_ne!(head, c.head);
    assert_eq!(f.gh.merge_calls()[0].status, 409);
    assert_eq!(
        f.repo.origin_rev("dev"),
        dev0,
        "the untested head was not merged"
    );
}

#[tokio::test]
async fn a_diverged_task_branch_is_never_force_pushed_to_github() {
    let f = forge().await;
    let (t, w) = f.work("t1");
    f.ship.open_change(&t, &w).await.expect("open");
    let pushed = f.repo.origin_rev(&w.branch);
    git(
        w.worktree.as_ref().expect("wt"),
        &["commit", "--quiet", "--amend", "-m", "rewritten"],
    );
    let e = f
        .ship
        .open_change(&t, &w)
        .await
        .expect_err("non-fast-forward");
    assert_eq!(e.kind(), ops_core::ErrorKind::Conflict, "{e}");
    assert_eq!(f.repo.origin_rev(&w.branch), pushed);
}

#[tokio::test]
async fn a_project_whose_dev_branch_is_main_is_refused_so_no_pull_request_targets_main() {
    let repo = TempRepo::new();
    let gh = FakeGitHub::start().await;
    gh.add_repo(SLUG, &repo.origin());
    let mut p = project(&repo, vec![]);
    p.dev_branch = "main".into();
    let ship = GitHubShipper::new(vec![p], GitHubToken::new(CANARY), config(&gh));
    let t = task(&repo, "t1");
    let w = branch(&repo, "ops/t1-x", &[("a.txt", "a\n")]);
    let e = ship.open_change(&t, &w).await.expect_err("refused");
    assert!(e.to_string().contains("production branch"), "{e}");
    assert!(gh.pulls().is_empty());
    assert!(
        repo.git(&["ls-remote", "origin", "ops/t1-x"]).is_empty(),
        "nothing was pushed"
    );
}

#[test]
fn project_settings_come_from_the_registry_entry() {
    let p: ops_core::model::Project = serde_json::from_value(serde_json::json!({
        "alias": "web", "repos": ["acme/web"], "paths": ["/src/web"],
        "dev_branch": "develop",
        "required_checks": ["ci/test", "lint"],
        "infra": {"health_endpoints": ["https://web.example/health", {"url": "https://api.example/up"}]}
    }))
    .expect("a registry project");
    let g = GitHubProject::from_project(&p);
    assert_eq!(
        (g.dev_branch.as_str(), g.main_branch.as_str()),
        ("develop", "main")
    );
    assert_eq!(g.required_checks, ["ci/test", "lint"]);
    assert_eq!(
        g.health_endpoints,
        ["https://web.example/health", "https://api.example/up"]
    );
}

#[tokio::test]
async fn a_rate_limit_longer_than_max_wait_is_a_retryable_error_carrying_the_wait() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    f.gh.inject(Fault::SecondaryRateLimit {
        retry_after_secs: 600,
    });
    let started = std::time::Instant::now();
    let e = f
        .ship
        .checks(&c)
        .await
        .expect_err("600 s is beyond max_wait (5 s)");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it did not sleep in place"
    );
    assert_eq!(e.kind(), ops_core::ErrorKind::Retryable);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(600)));
}

#[tokio::test]
async fn a_pull_request_retargeted_to_main_after_its_checks_passed_is_never_merged() {
    let f = forge().await;
    let main0 = f.repo.origin_rev("main");
    let (_, _, c) = f.opened_green("t1").await;
    assert_eq!(
        f.ship.checks(&c).await.expect("checks"),
        ChecksState::Passed
    );
    let number = f.gh.pulls()[0].number;
    f.gh.retarget(SLUG, number, "main");
    let out = f.ship.merge(&c).await.expect("merge");
    assert!(
        matches!(out, MergeOutcome::Refused { ref reason } if reason.contains("main")),
        "{out:?}"
    );
    assert!(f.gh.merge_calls().is_empty(), "no merge request was sent");
    assert_eq!(f.repo.origin_rev("main"), main0);
}

#[tokio::test]
async fn a_failing_check_run_beyond_the_first_page_of_check_runs_is_seen_and_never_merged() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    for i in 0..120 {
        f.gh.set_check_run(
            SLUG,
            &c.head,
            &format!("matrix-{i:03}"),
            Some("success"),
            "ok",
        );
    }
    f.gh.set_check_run(SLUG, &c.head, "zz-last-job", Some("failure"), "boom");
    let checks = f.ship.checks(&c).await.expect("checks");
    assert!(
        matches!(checks, ChecksState::Failed { ref detail } if detail.contains("zz-last-job")),
        "{checks:?}"
    );
    assert!(matches!(
        f.ship.merge(&c).await.expect("merge"),
        MergeOutcome::Refused { .. }
    ));
    assert!(f.gh.merge_calls().is_empty());
}

#[tokio::test]
async fn a_failing_commit_status_beyond_the_first_page_of_statuses_is_seen_and_never_merged() {
    let f = forge().await;
    let (_, _, c) = f.opened_green("t1").await;
    for i in 0..120 {
        f.gh.set_status(SLUG, &c.head, &format!("ci/shard-{i:03}"), "success", "ok");
    }
    f.gh.set_status(SLUG, &c.head, "zz/deploy-preview", "failure", "boom");
    let checks = f.ship.checks(&c).await.expect("checks");
    assert!(matches!(checks, ChecksState::Failed { .. }), "{checks:?}");
    assert!(matches!(
        f.ship.merge(&c).await.expect("merge"),
        MergeOutcome::Refused { .. }
    ));
    assert!(f.gh.merge_calls().is_empty());
}
