//! The GitHub source against a stateful fake of GitHub's GraphQL API (and the
//! Actions run lists) on 127.0.0.1: findings per PR state and issue, paging,
//! batching, dependencies through the planner, failures and the token.

use ops_core::audit::{AuditOptions, audit};
use ops_core::model::{Finding, Priority, Project, fingerprint};
use ops_core::planner::{PlanOptions, plan};
use ops_core::{ErrorKind, IssueSource, MemoryBoard, Secret, SourceCache, TaskStore};
use ops_sources::github::{GitHubConfig, GitHubSource};
use ops_sources::http::HttpConfig;
use ops_testkit::github_api::{FakeGitHubApi, Fault, Issue, Pr};
use ops_testkit::github_runs::RunsFake;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "ghp_canary_7f3e9a1c5b2d4e6f8a0b";

struct World {
    fake: FakeGitHubApi,
    runs: RunsFake,
    dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let runs = RunsFake::new();
        World {
            fake: FakeGitHubApi::start_with(TOKEN, runs.router()).await,
            runs,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Serves a fixture's repository (GraphQL and its Actions runs, none yet).
    fn load(&self, name: &str) {
        let slug = self.fake.load_fixture(&FakeGitHubApi::fixture(name));
        self.runs.add_repo(&slug);
    }

    fn config(&self) -> GitHubConfig {
        GitHubConfig {
            api_url: self.fake.url(),
            graphql_url: None,
            batch_size: 25,
            http: HttpConfig {
                retries: 3,
                backoff: Duration::from_millis(5),
                max_wait: Duration::from_secs(5),
                timeout: Duration::from_secs(10),
            },
        }
    }

    fn source(&self) -> GitHubSource {
        self.source_with(self.config(), TOKEN)
    }

    fn source_with(&self, config: GitHubConfig, token: &str) -> GitHubSource {
        let cache: Arc<dyn SourceCache> = Arc::new(MemoryBoard::new());
        GitHubSource::new(config, Secret::new(token, "env GITHUB_TOKEN"), cache).expect("source")
    }

    /// A project `alias` with one local checkout (a real directory) per repository.
    fn project(&self, alias: &str, repos: &[&str]) -> Project {
        let paths = repos
            .iter()
            .map(|r| {
                let p = self.dir.path().join(alias).join(r.replace('/', "-"));
                std::fs::create_dir_all(&p).expect("checkout dir");
                p
            })
            .collect();
        Project {
            alias: alias.into(),
            paths,
            repos: repos.iter().map(|r| r.to_string()).collect(),
            ..Project::default()
        }
    }

    fn graphql_requests(&self) -> usize {
        self.fake.counts().get("graphql").copied().unwrap_or(0)
    }
}

fn kinds(findings: &[Finding]) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .map(|f| {
            let number = f.title.split('#').nth(1).and_then(|s| s.split(' ').next());
            (f.kind.clone(), number.unwrap_or_default().to_string())
        })
        .collect()
}

fn pair(kind: &str, number: u64) -> (String, String) {
    (kind.to_string(), number.to_string())
}

fn find<'a>(findings: &'a [Finding], kind: &str, slug: &str, number: u64) -> &'a Finding {
    let print = fingerprint(&["github", kind, slug, &format!("#{number}")]);
    findings
        .iter()
        .find(|f| f.fingerprint == print)
        .unwrap_or_else(|| panic!("no {kind} finding for {slug}#{number} in {findings:#?}"))
}

#[tokio::test]
async fn each_pull_request_state_gives_its_finding_and_drafts_give_none() {
    let w = World::new().await;
    w.load("acme_api.json");
    let project = w.project("api", &["acme/api"]);
    let found = w.source().audit(&project).await.expect("audit");

    let prs: BTreeSet<_> = kinds(&found)
        .into_iter()
        .filter(|(k, _)| k.starts_with("pr_"))
        .collect();
    let expected: BTreeSet<_> = [
        pair("pr_failing_checks", 1),
        pair("pr_conflicts", 2),
        pair("pr_changes_requested", 3),
        pair("pr_unresolved_threads", 4),
        pair("pr_ready_to_merge", 5),
        // #7 fails and conflicts: two findings.
        pair("pr_failing_checks", 7),
        pair("pr_conflicts", 7),
    ]
    .into_iter()
    .collect();
    // #6 is a draft, #8 is merged, #9's checks are pending: nothing.
    assert_eq!(prs, expected);

    assert_eq!(
        find(&found, "pr_failing_checks", "acme/api", 1).priority,
        Priority::P1
    );
    assert_eq!(
        find(&found, "pr_conflicts", "acme/api", 2).priority,
        Priority::P2
    );
    let changes = find(&found, "pr_changes_requested", "acme/api", 3);
    assert_eq!(changes.priority, Priority::P2);
    assert!(
        changes.detail.contains("2 review thread(s) unresolved"),
        "{}",
        changes.detail
    );
    let ready = find(&found, "pr_ready_to_merge", "acme/api", 5);
    assert_eq!(ready.priority, Priority::P2);
    assert!(ready.detail.contains("https://github.com/acme/api/pull/5"));
    for f in &found {
        assert_eq!(f.source, "github");
        assert_eq!(f.project, "api");
        assert_eq!(
            f.repo,
            project.paths[0].display().to_string(),
            "repo is the local checkout"
        );
    }
}

#[tokio::test]
async fn open_issues_are_findings_pull_requests_never_are_and_security_is_p1() {
    let w = World::new().await;
    w.load("acme_api.json");
    let found = w
        .source()
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect("audit");
    let issues: Vec<&Finding> = found.iter().filter(|f| f.kind == "issue").collect();
    let numbers: BTreeSet<String> = kinds(&found)
        .into_iter()
        .filter(|(k, _)| k == "issue")
        .map(|(_, n)| n)
        .collect();
    // #13 is closed; PR numbers 1..=9 never appear as issues.
    assert_eq!(
        numbers,
        ["10", "11", "12", "14"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert_eq!(issues.len(), 4);
    assert_eq!(
        find(&found, "issue", "acme/api", 11).priority,
        Priority::P1,
        "security label"
    );
    assert_eq!(
        find(&found, "issue", "acme/api", 10).priority,
        Priority::P2,
        "bug label"
    );
    assert!(
        find(&found, "issue", "acme/api", 10)
            .detail
            .contains("empty ops.toml")
    );
}

#[tokio::test]
async fn depends_on_becomes_depends_on_and_the_planner_blocks_the_dependent_task() {
    let w = World::new().await;
    w.load("acme_api.json");
    w.load("acme_web.json");
    let api = w.project("api", &["acme/api"]);
    let web = w.project("web", &["acme/web"]);
    let source: Arc<dyn IssueSource> = Arc::new(w.source());
    let projects = vec![api, web];
    let report = audit(&projects, &[source], &AuditOptions::default()).await;
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let found = &report.findings;

    let limiter = find(found, "pr_failing_checks", "acme/api", 1)
        .fingerprint
        .clone();
    // "Depends on #1 (the limiter itself)."
    assert_eq!(
        find(found, "issue", "acme/api", 12).depends_on,
        std::slice::from_ref(&limiter)
    );
    // "Depends on acme/api#1", across repositories and projects.
    assert_eq!(
        find(found, "pr_ready_to_merge", "acme/web", 2).depends_on,
        std::slice::from_ref(&limiter)
    );
    // "Blocked by #13 (closed) and depends on acme/web#2": only the open one counts.
    let web2 = find(found, "pr_ready_to_merge", "acme/web", 2)
        .fingerprint
        .clone();
    assert_eq!(find(found, "issue", "acme/api", 14).depends_on, [web2]);
    assert!(find(found, "issue", "acme/api", 10).depends_on.is_empty());

    let board = MemoryBoard::new();
    plan(&board, &report, &projects, &PlanOptions::default())
        .await
        .expect("plan");
    let tasks = board.list().await.expect("list");
    let task_of = |print: &str| {
        tasks
            .iter()
            .find(|t| t.fingerprint == print)
            .unwrap_or_else(|| panic!("no task for {print}"))
    };
    let blocker = task_of(&limiter);
    let dependent = task_of(&find(found, "issue", "acme/api", 12).fingerprint);
    assert_eq!(
        dependent.blocked_by,
        [blocker.id.clone()].into_iter().collect()
    );
}

#[tokio::test]
async fn a_repository_with_120_prs_and_60_issues_is_read_in_full_with_batched_follow_up_pages() {
    let w = World::new().await;
    for n in 1..=120 {
        w.fake.add_pr("big/repo", &Pr::new(n));
    }
    for n in 1001..=1060 {
        w.fake.add_issue("big/repo", &Issue::new(n));
    }
    let found = w
        .source()
        .audit(&w.project("big", &["big/repo"]))
        .await
        .expect("audit");
    let ready = found
        .iter()
        .filter(|f| f.kind == "pr_ready_to_merge")
        .count();
    let issues = found.iter().filter(|f| f.kind == "issue").count();
    assert_eq!((ready, issues), (120, 60));
    // Page 1 of both; page 2 of both in one request; page 3 of the PRs.
    assert_eq!(w.graphql_requests(), 3, "{:?}", w.fake.requests());
}

#[tokio::test]
async fn sixty_repositories_are_audited_25_per_request() {
    let w = World::new().await;
    let projects: Vec<Project> = (0..60)
        .map(|i| {
            let slug = format!("many/repo-{i}");
            w.fake.add_pr(&slug, &Pr::new(1));
            w.project(&format!("p{i}"), &[slug.as_str()])
        })
        .collect();
    let results = w.source().audit_many(&projects).await;
    assert_eq!(w.graphql_requests(), 3);
    for (i, result) in results.iter().enumerate() {
        let found = result.as_ref().expect("audit");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].project, format!("p{i}"));
        assert_eq!(
            found[0].fingerprint,
            fingerprint(&[
                "github",
                "pr_ready_to_merge",
                &format!("many/repo-{i}"),
                "#1"
            ])
        );
    }
}

#[tokio::test]
async fn a_repository_github_cannot_find_fails_only_its_own_project() {
    let w = World::new().await;
    w.fake.add_pr("acme/one", &Pr::new(1));
    w.fake.add_pr("acme/three", &Pr::new(3));
    let projects = vec![
        w.project("one", &["acme/one"]),
        w.project("gone", &["acme/two", "acme/one"]),
        w.project("three", &["acme/three"]),
    ];
    let results = w.source().audit_many(&projects).await;
    assert_eq!(w.graphql_requests(), 1, "one request for all three");
    assert_eq!(results[0].as_ref().expect("one").len(), 1);
    assert_eq!(results[2].as_ref().expect("three").len(), 1);
    let err = results[1].as_ref().expect_err("gone fails");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let text = err.to_string();
    assert!(text.contains("gone") && text.contains("acme/two"), "{text}");
    assert!(text.contains("Could not resolve to a Repository"), "{text}");
}

#[tokio::test]
async fn two_bad_gateways_then_success() {
    let w = World::new().await;
    w.fake.add_pr("acme/api", &Pr::new(1));
    w.fake.inject(Fault::bad_gateway(2));
    let found = w
        .source()
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect("third try works");
    assert_eq!(found.len(), 1);
    assert_eq!(w.graphql_requests(), 3);
}

#[tokio::test]
async fn retry_after_of_a_429_and_of_a_secondary_limit_is_waited_for() {
    let w = World::new().await;
    w.fake.add_pr("acme/api", &Pr::new(1));
    w.fake.inject(Fault::too_many(1));
    w.fake.inject(Fault::secondary_limit(1));
    let mut config = w.config();
    // The backoff alone would retry at once: only retry-after explains a wait.
    config.http.backoff = Duration::from_millis(1);
    let started = Instant::now();
    let found = w
        .source_with(config, TOKEN)
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect("audit after the waits");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(found.len(), 1);
    assert_eq!(w.graphql_requests(), 3);
}

#[tokio::test]
async fn a_rate_limit_resetting_in_an_hour_is_reported_and_the_audit_goes_on() {
    let w = World::new().await;
    w.fake.add_pr("acme/api", &Pr::new(1));
    w.fake.inject(Fault::RateLimited { reset_in: 3600 });
    let project = w.project("api", &["acme/api"]);
    let other = Finding {
        source: "todo".into(),
        kind: "todo".into(),
        project: "api".into(),
        repo: project.paths[0].display().to_string(),
        title: "write the docs".into(),
        detail: String::new(),
        priority: Priority::P3,
        fingerprint: fingerprint(&["todo", "docs"]),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    };
    let sources: Vec<Arc<dyn IssueSource>> = vec![
        Arc::new(w.source()),
        Arc::new(ops_core::fake::FakeSource::new("todo", vec![other.clone()])),
    ];
    let report = audit(&[project], &sources, &AuditOptions::default()).await;
    assert_eq!(report.findings, [other]);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].source, "github");
    assert!(
        report.errors[0].message.contains("403"),
        "{}",
        report.errors[0].message
    );
    assert!(
        report.errors[0].message.contains("longer than"),
        "{}",
        report.errors[0].message
    );
    assert_eq!(w.graphql_requests(), 1, "no retry before the reset");
}

#[tokio::test]
async fn a_malformed_body_is_a_clear_error() {
    let w = World::new().await;
    w.fake.add_pr("acme/api", &Pr::new(1));
    w.fake.inject(Fault::Malformed);
    let err = w
        .source()
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect_err("malformed");
    let text = err.to_string();
    assert!(
        text.contains("github")
            && text.contains("acme/api")
            && text.contains("not what the API documents"),
        "{text}"
    );
}

#[tokio::test]
async fn a_wrong_token_is_a_clear_error_that_does_not_show_it() {
    let w = World::new().await;
    w.fake.add_pr("acme/api", &Pr::new(1));
    let wrong = "ghp_wrong_canary_0a1b2c3d4e";
    let err = w
        .source_with(w.config(), wrong)
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("401") && text.contains("token was refused"),
        "{text}"
    );
    assert!(!text.contains(wrong) && !format!("{err:?}").contains(wrong));
    assert_eq!(w.graphql_requests(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn the_token_appears_in_no_error_debug_output_or_finding() {
    let w = World::new().await;
    w.load("acme_api.json");
    let mut issue = Issue::new(50);
    issue.body = format!("someone pasted {TOKEN} here");
    w.fake.add_issue("acme/api", &issue);
    let source = w.source();
    let found = source
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect("audit");
    w.fake.inject(Fault::Status {
        status: 500,
        retry_after: None,
        body: format!("{{\"message\": \"echo {TOKEN}\"}}"),
        times: 10,
    });
    let err = source
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect_err("500s");
    assert!(!format!("{source:?}").contains(TOKEN));
    assert!(!err.to_string().contains(TOKEN) && !format!("{err:?}").contains(TOKEN));
    assert!(err.to_string().contains("500"), "{err}");
    // Findings carry what GitHub says, the token only where someone wrote it.
    let leaked: Vec<&Finding> = found
        .iter()
        .filter(|f| format!("{f:?}").contains(TOKEN))
        .collect();
    assert_eq!(leaked.len(), 1, "only the issue whose body holds it");
    assert!(leaked[0].title.contains("#50"));
}

#[tokio::test]
async fn enum_values_github_may_add_parse_and_match_no_rule() {
    let w = World::new().await;
    w.load("acme_web.json");
    let mut project = w.project("web", &["acme/web"]);
    project.dev_branch = Some("develop".into());
    let found = w
        .source()
        .audit(&project)
        .await
        .expect("unknown values parse");
    assert_eq!(
        kinds(&found),
        [pair("pr_ready_to_merge", 2), pair("issue", 3)]
            .into_iter()
            .collect()
    );
    // develop's rollup is an unknown value, main has no checks: both asked
    // about, with no runs → no finding.
    assert_eq!(w.runs.requests(), 2);
}

#[tokio::test]
async fn a_project_without_repositories_costs_no_request() {
    let w = World::new().await;
    let project = Project {
        alias: "local".into(),
        paths: vec![w.dir.path().to_path_buf()],
        ..Project::default()
    };
    let found = w.source().audit(&project).await.expect("audit");
    assert!(found.is_empty());
    assert_eq!(w.fake.total(), 0);
}

#[tokio::test]
async fn a_malformed_repository_name_fails_its_project_naming_it() {
    let w = World::new().await;
    let project = w.project("odd", &["not-a-slug"]);
    let err = w.source().audit(&project).await.expect_err("invalid");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("not-a-slug") && err.to_string().contains("owner/name"));
    assert_eq!(w.fake.total(), 0);
}

#[tokio::test]
async fn a_red_dev_branch_with_red_runs_is_a_ci_finding() {
    let w = World::new().await;
    let sha = "c0ffee0000000000000000000000000000000001";
    w.fake.add_repo("acme/api");
    w.fake.set_branch("acme/api", "dev", sha, Some("FAILURE"));
    for _ in 0..3 {
        w.runs.push_run(
            "acme/api",
            "dev",
            sha,
            "CI",
            "push",
            "completed",
            Some("failure"),
        );
    }
    let found = w
        .source()
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect("audit");
    let print = fingerprint(&["github", "ci", "acme/api", "dev", "CI"]);
    let ci = found
        .iter()
        .find(|f| f.fingerprint == print)
        .expect("ci finding");
    assert_eq!(ci.priority, Priority::P1);
    assert_eq!(w.fake.counts().get("rest"), Some(&1));
}

#[tokio::test]
async fn every_request_pins_the_api_version_and_every_document_is_valid_against_the_subset_and_real_schemas()
 {
    let w = World::new().await;
    w.load("acme_api.json");
    w.fake.set_branch(
        "acme/api",
        "main",
        "ab00000000000000000000000000000000000001",
        Some("FAILURE"),
    );
    for n in 100..=160 {
        w.fake.add_pr("acme/api", &Pr::new(n));
        w.fake.add_issue("acme/api", &Issue::new(n + 1000));
    }
    w.source()
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect("audit");
    let versions = w.fake.api_versions();
    assert!(
        w.fake.counts().len() == 2,
        "GraphQL and REST: {:?}",
        w.fake.counts()
    );
    assert!(
        versions.iter().all(|v| v.as_deref() == Some("2022-11-28")),
        "{versions:?}"
    );

    let schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/graphql/github/schema.graphql");
    let schema_text = std::fs::read_to_string(schema_path).expect("schema");
    let schema = apollo_compiler::Schema::parse_and_validate(schema_text, schema_path)
        .unwrap_or_else(|e| panic!("the subset schema is valid: {}", e.errors));
    let documents = w.fake.documents();
    assert_eq!(documents.len(), 2, "first pages, then both second pages");
    for doc in &documents {
        if let Err(e) = apollo_compiler::ExecutableDocument::parse_and_validate(
            &schema,
            doc.as_str(),
            "sent.graphql",
        ) {
            panic!("{doc}\n{}", e.errors);
        }
    }
    // The documents built at run time also conform to GitHub's real schema,
    // when ../shared/schemas is present.
    let Some(shared) = ops_testkit::graphql::shared_schemas_dir() else {
        eprintln!(
            "the real GitHub schema is absent: sent documents checked against the subset only"
        );
        return;
    };
    let sdl = std::fs::read_to_string(shared.join("github.graphql")).expect("real schema");
    let full = ops_testkit::graphql::load_full_schema(&sdl, "github.graphql").expect("parses");
    for doc in &documents {
        if let Err(e) = ops_testkit::graphql::validate_against(&full, doc, "sent.graphql") {
            panic!("{doc}\n{e}");
        }
    }
}

#[tokio::test]
async fn the_source_passes_the_conformance_suite() {
    let w = World::new().await;
    w.load("acme_api.json");
    let source = w.source();
    assert_eq!(source.name(), "github");
    assert!(source.batched());
    ops_core::conformance::source(&source, &w.project("api", &["acme/api"])).await;
}

#[tokio::test]
async fn no_dependency_names_a_finding_of_a_project_that_failed() {
    let w = World::new().await;
    w.load("acme_api.json");
    w.load("acme_web.json");
    let api = w.project("api", &["acme/api"]);
    let mut web = w.project("web", &["acme/web", "acme/missing"]);
    web.dev_branch = Some("develop".into());
    let results = w.source().audit_many(&[api, web]).await;
    assert!(results[1].is_err(), "acme/missing fails project web");
    let api = results[0].as_ref().expect("api");
    // #14 "depends on acme/web#2": web's findings are not reported, so no edge.
    assert!(find(api, "issue", "acme/api", 14).depends_on.is_empty());
    assert!(!find(api, "issue", "acme/api", 12).depends_on.is_empty());
}

#[tokio::test]
async fn a_rate_limited_graphql_answer_is_waited_out_then_retried() {
    let w = World::new().await;
    w.fake.add_pr("acme/api", &Pr::new(1));
    w.fake.inject(Fault::GraphQlRateLimited { reset_in: 1 });
    let found = w
        .source()
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect("audit after the reset");
    assert_eq!(found.len(), 1);
    assert_eq!(w.graphql_requests(), 2);
}

#[tokio::test]
async fn review_threads_past_the_first_50_are_counted_and_keep_a_pr_from_ready_to_merge() {
    let w = World::new().await;
    let mut all_resolved = Pr::new(1);
    all_resolved.threads = vec![true; 55];
    let mut one_open = Pr::new(2);
    one_open.threads = vec![true; 55];
    one_open.threads[10] = false;
    let mut few = Pr::new(3);
    few.threads = vec![true; 5];
    for pr in [&all_resolved, &one_open, &few] {
        w.fake.add_pr("acme/api", pr);
    }
    let found = w
        .source()
        .audit(&w.project("api", &["acme/api"]))
        .await
        .expect("audit");
    assert_eq!(
        kinds(&found),
        [
            pair("pr_unresolved_threads", 2),
            pair("pr_ready_to_merge", 3)
        ]
        .into_iter()
        .collect(),
        "#1's last 5 threads are unknown: not ready"
    );
    let open = find(&found, "pr_unresolved_threads", "acme/api", 2);
    assert!(
        open.detail.contains("at least 1 review thread(s)"),
        "{}",
        open.detail
    );
}

#[tokio::test]
async fn a_second_audit_of_50_unchanged_repositories_asks_no_run_list_again() {
    let w = World::new().await;
    let slugs = ops_testkit::github_api::generate::realistic(&w.fake, 50);
    for slug in &slugs {
        w.runs.add_repo(slug);
    }
    let red = w.fake.red_branches();
    for (slug, branch, oid) in &red {
        w.runs.push_run(
            slug,
            branch,
            oid,
            "CI",
            "push",
            "completed",
            Some("failure"),
        );
    }
    let projects: Vec<Project> = slugs
        .iter()
        .enumerate()
        .map(|(i, s)| w.project(&format!("p{i}"), &[s.as_str()]))
        .collect();
    let board = tempfile::tempdir().expect("dir");
    let cache: Arc<dyn SourceCache> = Arc::new(
        ops_core::SqliteBoard::open(board.path().join("board.sqlite"))
            .await
            .expect("board"),
    );
    let source = GitHubSource::new(w.config(), Secret::new(TOKEN, "test"), cache).expect("source");

    let first = source.audit_many(&projects).await;
    let cold = w.fake.counts();
    assert_eq!(
        cold.get("rest"),
        Some(&red.len()),
        "one run list per red head"
    );
    w.fake.reset_counts();
    let second = source.audit_many(&projects).await;
    let warm = w.fake.counts();
    assert_eq!(
        warm.get("rest"),
        None,
        "no run list for a head seen last time"
    );
    assert_eq!(warm.get("graphql"), cold.get("graphql"));
    let prints = |r: &[ops_core::Result<Vec<Finding>>]| -> BTreeSet<String> {
        r.iter()
            .flat_map(|p| {
                p.as_ref()
                    .expect("audit")
                    .iter()
                    .map(|f| f.fingerprint.clone())
            })
            .collect()
    };
    assert_eq!(prints(&first), prints(&second));
    assert!(prints(&first).iter().any(|p| {
        let (slug, branch, _) = &red[0];
        *p == fingerprint(&["github", "ci", slug, branch, "CI"])
    }));
}

/// GitHub's answer when the token may read the repository but not its checks
/// (a fine-grained token without "Checks"/"Commit statuses"): the data is
/// there, each `statusCheckRollup` is null and `errors` says why.
fn answer_without_checks() -> String {
    serde_json::json!({
        "data": {"a0": {
            "nameWithOwner": "acme/api",
            "pullRequests": {"pageInfo": {"hasNextPage": false, "endCursor": "Y3Vyc29yOnYyOp0"}, "nodes": [{
                "number": 7, "title": "Fix login", "url": "https://github.com/acme/api/pull/7",
                "isDraft": false, "mergeable": "MERGEABLE", "reviewDecision": "APPROVED",
                "headRefName": "fix-login", "baseRefName": "dev", "body": "",
                "statusCheckRollup": null,
                "reviewThreads": {"totalCount": 0, "nodes": []}
            }]},
            "issues": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": []},
            "dev": {"target": {"__typename": "Commit", "oid": "c0ffee0000000000000000000000000000000001", "statusCheckRollup": null}},
            "main": null
        }},
        "errors": [
            {"type": "FORBIDDEN", "path": ["a0", "pullRequests", "nodes", 0, "statusCheckRollup"],
             "locations": [{"line": 3, "column": 5}],
             "message": "Resource not accessible by personal access token"},
            {"type": "FORBIDDEN", "path": ["a0", "dev", "target", "statusCheckRollup"],
             "locations": [{"line": 9, "column": 5}],
             "message": "Resource not accessible by personal access token"}
        ]
    })
    .to_string()
}

#[tokio::test]
async fn an_answer_with_errors_inside_a_repository_fails_its_project_instead_of_hiding_red_checks()
{
    let w = World::new().await;
    w.fake.add_repo("acme/api");
    w.fake.inject(Fault::Status {
        status: 200,
        retry_after: None,
        body: answer_without_checks(),
        times: 1,
    });
    let result = w.source().audit(&w.project("api", &["acme/api"])).await;
    // Null rollups read as "no checks": red PR checks and a red dev branch
    // would vanish and their tasks be completed as done.
    let err = result.expect_err("a partial answer fails the project");
    let text = err.to_string();
    assert!(
        text.contains("acme/api") && text.contains("Resource not accessible"),
        "{text}"
    );
}

#[tokio::test]
async fn a_project_whose_dev_branch_is_main_reports_a_persistently_red_main_as_production_broken() {
    let w = World::new().await;
    let sha = "c0ffee0000000000000000000000000000000002";
    w.fake.add_repo("acme/api");
    w.fake.set_branch("acme/api", "main", sha, Some("FAILURE"));
    for _ in 0..3 {
        w.runs.push_run(
            "acme/api",
            "main",
            sha,
            "CI",
            "push",
            "completed",
            Some("failure"),
        );
    }
    let mut project = w.project("api", &["acme/api"]);
    project.dev_branch = Some("main".into());
    let found = w.source().audit(&project).await.expect("audit");
    let print = fingerprint(&["github", "ci", "acme/api", "main", "CI"]);
    let ci: Vec<&Finding> = found.iter().filter(|f| f.fingerprint == print).collect();
    assert_eq!(ci.len(), 1, "{found:#?}");
    assert_eq!(ci[0].kind, "ci_persistent_failure");
    assert_eq!(ci[0].priority, Priority::P0, "main is production");
    assert_eq!(w.fake.counts().get("rest"), Some(&1), "one run list");
}
