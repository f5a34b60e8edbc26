//! The GitHub source's Actions runs: the CI-failure rule on real run lists from
//! a fake on 127.0.0.1, conditional requests with the ETag cache on a real
//! SQLite board, and failures.

use ops_core::model::{Finding, Priority, Project, fingerprint};
use ops_core::{ErrorKind, SourceCache, SqliteBoard};
use ops_sources::github::runs::{BranchHead, PER_PAGE, RunsClient};
use ops_sources::http::{Auth, Http, HttpConfig};
use ops_testkit::github_runs::{RunsFake, RunsFault, RunsServer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SLUG: &str = "acme/api";
const REPO_PATH: &str = "/src/acme-api";

struct World {
    fake: RunsFake,
    url: String,
    _server: RunsServer,
    dir: tempfile::TempDir,
    board: Arc<SqliteBoard>,
    client: RunsClient,
}

fn http() -> Http {
    let config = HttpConfig {
        retries: 3,
        backoff: Duration::from_millis(5),
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
    };
    let token = ops_core::Secret::new("ghp_test_token", "a test");
    Http::new("github", Some(Auth::Bearer(token)), config).expect("client")
}

fn board_path(dir: &Path) -> PathBuf {
    dir.join("board.sqlite")
}

async fn world() -> World {
    let fake = RunsFake::new();
    let (url, server) = fake.start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let board = Arc::new(
        SqliteBoard::open(board_path(dir.path()))
            .await
            .expect("board"),
    );
    let client = RunsClient::new(http(), url.clone(), board.clone());
    World {
        fake,
        url,
        _server: server,
        dir,
        board,
        client,
    }
}

fn project() -> Project {
    Project {
        alias: "api".into(),
        paths: vec![REPO_PATH.into()],
        repos: vec![SLUG.into()],
        ..Project::default()
    }
}

fn head(branch: &str, oid: &str, rollup: Option<&str>) -> BranchHead {
    BranchHead {
        slug: SLUG.into(),
        branch: branch.into(),
        oid: oid.into(),
        rollup: rollup.map(str::to_string),
    }
}

impl World {
    /// Pushes completed runs of `workflow` on `branch`, oldest first; returns their ids.
    fn history(&self, branch: &str, workflow: &str, conclusions: &[&str]) -> Vec<u64> {
        conclusions
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let sha = format!("{branch}{workflow}{i:0>30}");
                self.fake
                    .push_run(SLUG, branch, &sha, workflow, "push", "completed", Some(c))
            })
            .collect()
    }

    async fn findings(&self, head: &BranchHead, is_main: bool) -> Vec<Finding> {
        self.client
            .findings(&project(), REPO_PATH, head, is_main)
            .await
            .expect("findings")
    }
}

/// The findings without the detail's line naming the branch head (which
/// changes with the head while the runs stay the same).
fn without_head(findings: &[Finding]) -> Vec<Finding> {
    findings
        .iter()
        .map(|f| Finding {
            detail: f
                .detail
                .lines()
                .filter(|l| !l.starts_with("Branch head:"))
                .collect::<Vec<_>>()
                .join("\n"),
            ..f.clone()
        })
        .collect()
}

fn run_url(id: u64) -> String {
    format!("https://github.com/{SLUG}/actions/runs/{id}")
}

#[tokio::test]
async fn persistent_red_on_main_is_p0_with_the_failing_runs_and_the_last_green() {
    let w = world().await;
    let ids = w.history(
        "main",
        "CI",
        &["success", "failure", "failure", "timed_out"],
    );
    let found = w
        .findings(&head("main", "abc", Some("FAILURE")), true)
        .await;
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.source, "github");
    assert_eq!(f.kind, "ci_persistent_failure");
    assert_eq!(f.priority, Priority::P0);
    assert_eq!(f.project, "api");
    assert_eq!(f.repo, REPO_PATH);
    assert_eq!(f.title, "main CI persistently red: CI (acme/api)");
    assert_eq!(
        f.fingerprint,
        fingerprint(&["github", "ci", SLUG, "main", "CI"])
    );
    for id in &ids[1..] {
        assert!(f.detail.contains(&run_url(*id)), "{}", f.detail);
    }
    assert!(f.detail.contains("timed_out"), "{}", f.detail);
    assert!(
        f.detail.contains(&format!("mainCI{:0>30}", 3)),
        "head SHA: {}",
        f.detail
    );
    let green = f
        .detail
        .split("Last green run:")
        .nth(1)
        .expect("a last green line");
    assert!(green.contains(&run_url(ids[0])), "{}", f.detail);
}

#[tokio::test]
async fn persistent_red_on_dev_is_p1() {
    let w = world().await;
    w.history("dev", "CI", &["failure", "failure", "failure"]);
    let found = w.findings(&head("dev", "abc", Some("ERROR")), false).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, "ci_persistent_failure");
    assert_eq!(found[0].priority, Priority::P1);
    assert_eq!(found[0].title, "dev CI persistently red: CI (acme/api)");
    assert!(
        found[0].detail.contains("No green run"),
        "{}",
        found[0].detail
    );
}

#[tokio::test]
async fn red_right_after_green_is_a_p2_regression_on_either_branch() {
    let w = world().await;
    w.history("main", "CI", &["failure", "success", "failure"]);
    let found = w
        .findings(&head("main", "abc", Some("FAILURE")), true)
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, "ci_regression");
    assert_eq!(found[0].priority, Priority::P2);
    assert_eq!(
        found[0].fingerprint,
        fingerprint(&["github", "ci", SLUG, "main", "CI"])
    );
}

#[tokio::test]
async fn a_red_without_history_is_failing_p1() {
    let w = world().await;
    w.history("dev", "CI", &["failure"]);
    let found = w
        .findings(&head("dev", "abc", Some("FAILURE")), false)
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, "ci_failing");
    assert_eq!(found[0].priority, Priority::P1);
}

#[tokio::test]
async fn latest_green_run_reports_nothing_even_when_the_rollup_is_red() {
    // The rollup may be red for a check that is not an Actions workflow.
    let w = world().await;
    w.history("dev", "CI", &["failure", "failure", "failure", "success"]);
    let found = w
        .findings(&head("dev", "abc", Some("FAILURE")), false)
        .await;
    assert!(found.is_empty(), "{found:#?}");
    assert_eq!(w.fake.requests(), 1);
}

#[tokio::test]
async fn ci_and_deploy_workflows_get_a_finding_each() {
    let w = world().await;
    for (ci, deploy) in [("success", "success"), ("failure", "failure")] {
        w.history("main", "CI", &[ci]);
        w.history("main", "Deploy", &[deploy]);
    }
    w.history("main", "Deploy", &["failure", "failure"]);
    w.history("main", "Lint", &["success"]);
    let found = w
        .findings(&head("main", "abc", Some("FAILURE")), true)
        .await;
    let summary: Vec<(&str, &str, Priority)> = found
        .iter()
        .map(|f| (f.title.as_str(), f.kind.as_str(), f.priority))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "main CI regression, red after green: CI (acme/api)",
                "ci_regression",
                Priority::P2
            ),
            (
                "main CI persistently red: Deploy (acme/api)",
                "ci_persistent_failure",
                Priority::P0
            ),
        ]
    );
    assert_ne!(found[0].fingerprint, found[1].fingerprint);
}

#[tokio::test]
async fn in_progress_and_pull_request_runs_do_not_count() {
    let w = world().await;
    w.history("dev", "CI", &["success", "failure"]);
    w.fake.push_run(
        SLUG,
        "dev",
        "f1",
        "CI",
        "pull_request",
        "completed",
        Some("failure"),
    );
    w.fake
        .push_run(SLUG, "dev", "f2", "CI", "push", "in_progress", None);
    w.fake.push_run(
        SLUG,
        "dev",
        "f3",
        "CI",
        "push",
        "completed",
        Some("cancelled"),
    );
    let found = w
        .findings(&head("dev", "abc", Some("PENDING")), false)
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, "ci_regression", "one red after a green");
}

#[tokio::test]
async fn a_green_head_sends_no_request() {
    let w = world().await;
    w.history("main", "CI", &["failure", "failure", "failure"]);
    assert!(
        w.findings(&head("main", "abc", Some("SUCCESS")), true)
            .await
            .is_empty()
    );
    assert_eq!(w.fake.requests(), 0);
}

#[tokio::test]
async fn a_head_without_checks_on_a_red_branch_still_reports_the_red_workflow_once_per_head() {
    // A `[skip ci]` or docs-only push (paths-ignore) on a red main: the head
    // has no checks, the latest run on main is still red.
    let w = world().await;
    w.history("main", "CI", &["failure", "failure", "failure"]);
    let found = w.findings(&head("main", "docs", None), true).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].kind, "ci_persistent_failure");
    assert_eq!(found[0].priority, Priority::P0);
    // The same unchecked head again: the cache answers, no request.
    let again = w.findings(&head("main", "docs", None), true).await;
    assert_eq!(again, found);
    assert_eq!(w.fake.requests(), 1);
}

#[tokio::test]
async fn the_request_pins_the_api_version_and_asks_for_one_page_of_the_branch() {
    let w = world().await;
    w.history("release/1.0", "CI", &["failure", "failure", "failure"]);
    w.history("main", "CI", &["success"]);
    let found = w
        .findings(&head("release/1.0", "abc", Some("FAILURE")), false)
        .await;
    assert_eq!(
        found.len(),
        1,
        "the branch name with a slash reached the fake intact"
    );
    let log = w.fake.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].api_version.as_deref(), Some("2022-11-28"));
    assert_eq!(log[0].if_none_match, None, "nothing cached yet");
    assert_eq!(
        log[0].path_and_query,
        format!(
            "/repos/acme/api/actions/runs?branch=release/1.0&exclude_pull_requests=true&per_page={PER_PAGE}"
        )
    );
}

#[tokio::test]
async fn an_unchanged_head_is_audited_from_the_cache_without_a_request() {
    let w = world().await;
    w.history("main", "CI", &["success", "failure", "failure", "failure"]);
    let h = head("main", "abc", Some("FAILURE"));
    let first = w.findings(&h, true).await;
    assert_eq!(w.fake.requests(), 1);
    // The world changes behind the cache's back; the head did not, so the
    // answer is the cached one and nothing is asked.
    w.history("main", "CI", &["success"]);
    let second = w.findings(&h, true).await;
    assert_eq!(w.fake.requests(), 1, "no request for an unchanged head");
    assert_eq!(second, first);
}

#[tokio::test]
async fn a_changed_head_sends_the_etag_and_a_304_reuses_the_cached_runs() {
    let w = world().await;
    w.history("dev", "CI", &["success", "failure", "failure", "failure"]);
    let first = w
        .findings(&head("dev", "abc", Some("FAILURE")), false)
        .await;
    assert_eq!(first.len(), 1);
    let etag = w.fake.log()[0].etag.clone();
    assert!(
        etag.as_deref().is_some_and(|e| e.starts_with("W/\"")),
        "{etag:?}"
    );

    // New head, same run list (its CI has not started): a conditional request.
    let second = w
        .findings(&head("dev", "def", Some("PENDING")), false)
        .await;
    let log = w.fake.log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].if_none_match, etag, "the ETag of the first answer");
    assert_eq!(log[1].status, 304);
    assert_eq!(w.fake.not_modified(), 1);
    assert_eq!(
        without_head(&second),
        without_head(&first),
        "the cached runs were judged again"
    );
    assert!(
        second[0]
            .detail
            .contains("Branch head: def (checks: PENDING)")
    );

    // The cache now knows the new head: no request the next time.
    w.findings(&head("dev", "def", Some("PENDING")), false)
        .await;
    assert_eq!(w.fake.requests(), 2);
}

#[tokio::test]
async fn a_changed_run_list_answers_200_and_replaces_the_cached_runs() {
    let w = world().await;
    w.history("dev", "CI", &["failure", "failure", "failure"]);
    assert_eq!(
        w.findings(&head("dev", "abc", Some("FAILURE")), false)
            .await
            .len(),
        1
    );
    w.history("dev", "CI", &["success"]);
    let now = w
        .findings(&head("dev", "def", Some("FAILURE")), false)
        .await;
    assert!(now.is_empty(), "{now:#?}");
    let log = w.fake.log();
    assert!(log[1].if_none_match.is_some());
    assert_eq!(log[1].status, 200);
    assert_eq!(w.fake.not_modified(), 0);
    // And the replaced entry serves the next audit.
    assert!(
        w.findings(&head("dev", "def", Some("FAILURE")), false)
            .await
            .is_empty()
    );
    assert_eq!(w.fake.requests(), 2);
}

#[tokio::test]
async fn the_cache_survives_reopening_the_board() {
    let w = world().await;
    w.history("main", "CI", &["failure", "failure", "failure"]);
    let h = head("main", "abc", Some("FAILURE"));
    let first = w.findings(&h, true).await;
    let World {
        fake,
        url,
        _server,
        dir,
        board,
        client,
    } = w;
    drop(client);
    drop(board);
    let board = Arc::new(
        SqliteBoard::open(board_path(dir.path()))
            .await
            .expect("reopen"),
    );
    let client = RunsClient::new(http(), url, board);
    let again = client
        .findings(&project(), REPO_PATH, &h, true)
        .await
        .expect("findings");
    assert_eq!(again, first);
    assert_eq!(fake.requests(), 1, "served from the reopened board");
}

#[tokio::test]
async fn server_errors_twice_then_success_are_retried() {
    let w = world().await;
    w.history("dev", "CI", &["success", "failure"]);
    w.fake.inject(RunsFault::Status(502));
    w.fake.inject(RunsFault::Status(503));
    let found = w
        .findings(&head("dev", "abc", Some("FAILURE")), false)
        .await;
    assert_eq!(found.len(), 1);
    let statuses: Vec<u16> = w.fake.log().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![502, 503, 200]);
}

#[tokio::test]
async fn a_429_waits_for_its_retry_after_then_succeeds() {
    let w = world().await;
    w.history("dev", "CI", &["success", "failure"]);
    w.fake.inject(RunsFault::RateLimited {
        retry_after_secs: 1,
    });
    let started = Instant::now();
    let found = w
        .findings(&head("dev", "abc", Some("FAILURE")), false)
        .await;
    // The backoff is 5 ms: only the Retry-After explains a 1 s wait.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(found.len(), 1);
    let statuses: Vec<u16> = w.fake.log().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 200]);
}

#[tokio::test]
async fn a_malformed_body_is_an_error_naming_the_repository_and_is_not_cached() {
    let w = world().await;
    w.history("dev", "CI", &["success", "failure"]);
    w.fake.inject(RunsFault::Malformed);
    let err = w
        .client
        .findings(
            &project(),
            REPO_PATH,
            &head("dev", "abc", Some("FAILURE")),
            false,
        )
        .await
        .expect_err("a malformed body");
    let text = err.to_string();
    assert!(text.contains("acme/api") && text.contains("dev"), "{text}");
    assert!(text.contains("not what the API documents"), "{text}");
    assert_eq!(err.kind(), ErrorKind::Retryable);
    // Nothing was cached: the next audit asks again, unconditionally.
    assert_eq!(
        w.findings(&head("dev", "abc", Some("FAILURE")), false)
            .await
            .len(),
        1
    );
    let log = w.fake.log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].if_none_match, None);
}

#[tokio::test]
async fn an_unknown_repository_is_an_error_naming_it() {
    let w = world().await;
    let mut h = head("dev", "abc", Some("FAILURE"));
    h.slug = "acme/gone".into();
    let err = w
        .client
        .findings(&project(), REPO_PATH, &h, false)
        .await
        .expect_err("404");
    assert!(err.to_string().contains("acme/gone"), "{err}");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_slug_that_is_not_owner_slash_name_is_refused_without_a_request() {
    let w = world().await;
    for slug in ["acme", "acme/api/x", "../x", "acme/a pi", "/api"] {
        let mut h = head("dev", "abc", Some("FAILURE"));
        h.slug = slug.into();
        let err = w
            .client
            .findings(&project(), REPO_PATH, &h, false)
            .await
            .expect_err(slug);
        assert_eq!(err.kind(), ErrorKind::Invalid, "{slug}");
        assert!(err.to_string().contains("owner/name"), "{err}");
    }
    assert_eq!(w.fake.requests(), 0);
}

#[tokio::test]
async fn runs_with_unknown_status_conclusion_and_event_parse() {
    let w = world().await;
    w.history("dev", "CI", &["success", "failure"]);
    w.fake.push_run(
        SLUG,
        "dev",
        "n1",
        "CI",
        "push",
        "completed",
        Some("brand_new_outcome"),
    );
    w.fake.push_run(
        SLUG,
        "dev",
        "n2",
        "CI",
        "merge_queue_v9",
        "completed",
        Some("failure"),
    );
    w.fake
        .push_run(SLUG, "dev", "n3", "CI", "push", "hibernating", None);
    let found = w
        .findings(&head("dev", "abc", Some("EXPECTED")), false)
        .await;
    assert_eq!(found.len(), 1);
    // The unknown conclusion is skipped; the unknown event's red counts.
    assert_eq!(found[0].kind, "ci_regression");
    assert!(
        found[0].detail.contains("merge_queue_v9"),
        "{}",
        found[0].detail
    );
}

#[tokio::test]
async fn one_branchs_cache_entry_never_serves_another() {
    let w = world().await;
    w.history("main", "CI", &["failure", "failure", "failure"]);
    w.history("dev", "CI", &["success"]);
    // main and dev at the same commit with the same rollup: still two lists.
    assert_eq!(
        w.findings(&head("main", "same", Some("FAILURE")), true)
            .await
            .len(),
        1
    );
    assert!(
        w.findings(&head("dev", "same", Some("FAILURE")), false)
            .await
            .is_empty()
    );
    assert_eq!(w.fake.requests(), 2);
    let log = w.fake.log();
    assert_eq!(
        log[1].if_none_match, None,
        "main's ETag was not sent for dev"
    );

    // Another repository's branch of the same name has its own entry too.
    w.fake.add_repo("acme/web");
    let mut web = head("main", "same", Some("FAILURE"));
    web.slug = "acme/web".into();
    let found = w
        .client
        .findings(&project(), REPO_PATH, &web, true)
        .await
        .expect("web");
    assert!(found.is_empty());
    assert_eq!(w.fake.requests(), 3);

    // Even an entry filed under the wrong key is not trusted.
    let main_entry = w
        .board
        .cache_get("github:runs:acme/api:main")
        .await
        .expect("get")
        .expect("main's entry");
    w.board
        .cache_put("github:runs:acme/api:staging", &main_entry)
        .await
        .expect("put");
    w.fake.add_repo(SLUG);
    w.history("staging", "CI", &["success"]);
    let staging = w
        .findings(&head("staging", "same", Some("FAILURE")), false)
        .await;
    assert!(staging.is_empty(), "{staging:#?}");
    let log = w.fake.log();
    assert_eq!(log.len(), 4);
    assert_eq!(log[3].if_none_match, None);
}

#[tokio::test]
async fn requests_follow_the_red_heads_that_changed_and_nothing_else() {
    // 50 repositories, dev and main each: 10 red branches, the rest green.
    let w = world().await;
    let mut heads = Vec::new();
    for i in 0..50 {
        let slug = format!("acme/repo{i}");
        for branch in ["dev", "main"] {
            let red = i < 5;
            let conclusion = if red { "failure" } else { "success" };
            for n in 0..3 {
                w.fake.push_run(
                    &slug,
                    branch,
                    &format!("{i}{branch}{n}"),
                    "CI",
                    "push",
                    "completed",
                    Some(conclusion),
                );
            }
            heads.push(BranchHead {
                slug: slug.clone(),
                branch: branch.into(),
                oid: format!("{i}{branch}2"),
                rollup: Some(if red { "FAILURE" } else { "SUCCESS" }.into()),
            });
        }
    }
    let audit = |heads: Vec<BranchHead>| {
        let client = &w.client;
        async move {
            let mut found = 0;
            for h in &heads {
                let is_main = h.branch == "main";
                found += client
                    .findings(&project(), REPO_PATH, h, is_main)
                    .await
                    .expect("findings")
                    .len();
            }
            found
        }
    };
    assert_eq!(
        audit(heads.clone()).await,
        10,
        "one persistent failure per red branch"
    );
    assert_eq!(
        w.fake.requests(),
        10,
        "one list per red branch, none for green ones"
    );

    assert_eq!(audit(heads.clone()).await, 10);
    assert_eq!(w.fake.requests(), 10, "nothing changed: no request at all");

    // Three red heads move on (their new CI has not reported yet).
    for h in heads
        .iter_mut()
        .filter(|h| h.rollup.as_deref() == Some("FAILURE"))
        .take(3)
    {
        h.oid.push_str("-next");
        h.rollup = Some("PENDING".into());
    }
    assert_eq!(audit(heads).await, 10);
    assert_eq!(w.fake.requests(), 13);
    assert_eq!(w.fake.not_modified(), 3, "their run lists had not changed");
}

#[test]
fn findings_can_run_on_a_multi_threaded_runtime() {
    fn assert_send<T: Send>(_: &T) {}
    let client = RunsClient::new(
        http(),
        "http://127.0.0.1:9",
        Arc::new(ops_core::MemoryBoard::default()),
    );
    let project = project();
    let h = head("dev", "abc", Some("FAILURE"));
    let future = client.findings(&project, REPO_PATH, &h, false);
    assert_send(&future);
}

#[test]
fn the_documented_run_examples_parse() {
    use ops_sources::github::runs::{Run, Verdict};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/github");
    let Ok(list) =
        std::fs::read_to_string(root.join("openapi-examples/actions-runs-list.200.json"))
    else {
        return; // ../shared is not there (a checkout outside the workspace's parent)
    };
    let list: serde_json::Value = serde_json::from_str(&list).expect("the fixture is JSON");
    let runs: Vec<Run> = serde_json::from_value(list["workflow_runs"].clone()).expect("runs parse");
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].id, runs[0].run_number), (30_433_642, 562));
    assert_eq!(runs[0].workflow_label(), "Build");
    assert_eq!(runs[0].verdict(), Verdict::Neither, "queued");
    if let Ok(event) = std::fs::read_to_string(root.join("octocrab/workflow_run_event.json")) {
        let event: serde_json::Value = serde_json::from_str(&event).expect("the fixture is JSON");
        let run: Run =
            serde_json::from_value(event["payload"]["workflow_run"].clone()).expect("run parses");
        assert!(run.id > 0 && !run.head_sha.is_empty() && !run.created_at.is_empty());
    }
}

#[tokio::test]
async fn an_unreadable_cache_entry_costs_one_full_request_and_is_replaced() {
    let w = world().await;
    w.history("dev", "CI", &["failure", "failure", "failure"]);
    w.board
        .cache_put("github:runs:acme/api:dev", "{ not json")
        .await
        .expect("put");
    let h = head("dev", "abc", Some("FAILURE"));
    assert_eq!(w.findings(&h, false).await.len(), 1);
    assert_eq!(w.fake.log()[0].if_none_match, None);
    assert_eq!(w.findings(&h, false).await.len(), 1);
    assert_eq!(
        w.fake.requests(),
        1,
        "the replaced entry serves the next audit"
    );
}

#[tokio::test]
async fn a_regression_that_stays_red_becomes_a_persistent_failure_with_the_same_fingerprint() {
    let w = world().await;
    w.history("main", "CI", &["success", "failure"]);
    let first = w
        .findings(&head("main", "aaa", Some("FAILURE")), true)
        .await;
    assert_eq!(first[0].kind, "ci_regression");
    w.history("main", "CI", &["failure", "failure"]);
    let later = w
        .findings(&head("main", "bbb", Some("FAILURE")), true)
        .await;
    assert_eq!(later[0].kind, "ci_persistent_failure");
    assert_eq!(
        first[0].fingerprint, later[0].fingerprint,
        "the planner must update the regression task, not complete it and open another"
    );
}
