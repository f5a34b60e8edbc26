//! The Sentry source against the fake Sentry on 127.0.0.1 (ops-testkit): paging,
//! priorities, rate limits, failures, secrets and the after-merge probe.

use ops_core::audit::{AuditOptions, audit};
use ops_core::model::{Finding, Priority, Project, SentryProject, Timestamp, fingerprint};
use ops_core::{ErrorKind, IssueSource, Secret};
use ops_sources::TodoSource;
use ops_sources::http::HttpConfig;
use ops_sources::sentry::{SentryConfig, SentryPriorities, SentrySource};
use ops_testkit::sentry::{FakeSentry, Fault};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const TOKEN: &str = "sntrys_canary_7f3a9c1e5b";

fn config(fake: &FakeSentry) -> SentryConfig {
    SentryConfig {
        url: fake.url(),
        http: HttpConfig {
            retries: 3,
            backoff: Duration::from_millis(1),
            max_wait: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
        },
        ..SentryConfig::default()
    }
}

fn source(fake: &FakeSentry) -> SentrySource {
    SentrySource::new(config(fake), Secret::new(TOKEN, "env SENTRY_AUTH_TOKEN")).expect("source")
}

fn project(alias: &str, dir: &Path, org: &str, sentry_project: &str) -> Project {
    Project {
        alias: alias.into(),
        paths: vec![dir.to_path_buf()],
        sentry: Some(SentryProject {
            org: org.into(),
            project: sentry_project.into(),
        }),
        ..Project::default()
    }
}

fn by_title(findings: &[Finding]) -> Vec<(String, Priority)> {
    let mut out: Vec<(String, Priority)> = findings
        .iter()
        .map(|f| (f.title.clone(), f.priority))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn unresolved_issues_of_a_slug_project_become_findings_ranked_by_the_table() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    let findings = source(&fake).audit(&shop).await.expect("audit");

    assert_eq!(
        by_title(&findings),
        [
            (
                "Sentry WEB-1: TypeError: Cannot read properties of undefined (reading 'total')"
                    .into(),
                Priority::P0
            ),
            (
                "Sentry WEB-2: Error: Request failed with status code 502".into(),
                Priority::P1
            ),
            (
                "Sentry WEB-3: Slow render of ProductList".into(),
                Priority::P2
            ),
            (
                "Sentry WEB-4: Feature flag 'new-nav' evaluated without a user".into(),
                Priority::P3
            ),
        ],
        "WEB-5 is resolved and not listed; fatal P0, error P1, warning P2, info P3"
    );
    let web1 = findings
        .iter()
        .find(|f| f.title.contains("WEB-1"))
        .expect("WEB-1");
    assert_eq!(web1.fingerprint, fingerprint(&["sentry", "acme", "700001"]));
    assert_eq!(
        (
            web1.source.as_str(),
            web1.kind.as_str(),
            web1.project.as_str()
        ),
        ("sentry", "sentry_issue", "shop")
    );
    assert_eq!(web1.repo, dir.path().display().to_string());
    for part in [
        "app/checkout/Cart.tsx in renderTotals",
        "Level: fatal",
        "Events: 3120",
        "Users: 840",
        "First seen: 2026-11-20T08:12:03.120000Z",
        "Last seen: 2026-11-23T23:58:41Z",
        "https://acme.sentry.io/issues/700001/",
    ] {
        assert!(web1.detail.contains(part), "{part} in {}", web1.detail);
    }
    // A slug goes into the search query, not into `project=` (ids only).
    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].starts_with(
            "GET /api/0/organizations/acme/issues/?query=is%3Aunresolved+project%3Aweb&limit=100"
        ),
        "{requests:?}"
    );
}

#[tokio::test]
async fn a_numeric_project_uses_the_project_parameter_and_unknown_levels_parse() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let api = project("api", dir.path(), "acme", "4502");
    let findings = source(&fake).audit(&api).await.expect("audit");
    assert_eq!(
        by_title(&findings),
        [
            (
                "Sentry API-1: OperationalError: could not connect to server".into(),
                Priority::P0
            ),
            ("Sentry API-2: KeyError: 'currency'".into(), Priority::P2),
        ],
        "2051 events make an error P0; the level \"critical-ish\" (and the unknown type, substatus, priority) parse and rank P2"
    );
    assert!(
        fake.requests()[0].contains("?project=4502&query=is%3Aunresolved&limit=100"),
        "{:?}",
        fake.requests()
    );
}

#[tokio::test]
async fn the_priority_thresholds_are_configuration() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let api = project("api", dir.path(), "acme", "4502");
    let mut config = config(&fake);
    config.priorities = SentryPriorities {
        production_users: 1_000_000,
        production_events: 1_000_000,
    };
    let src = SentrySource::new(config, Secret::new(TOKEN, "test")).expect("source");
    let findings = src.audit(&api).await.expect("audit");
    let api1 = findings
        .iter()
        .find(|f| f.title.contains("API-1"))
        .expect("API-1");
    assert_eq!(api1.priority, Priority::P1, "below the raised thresholds");
}

async fn big_project(n: usize) -> (FakeSentry, tempfile::TempDir, Project) {
    let fake = FakeSentry::start(TOKEN).await;
    fake.add_project("acme", "4600", "big");
    fake.add_generated_issues("acme", "big", n, 900_000, "error");
    let dir = tempfile::tempdir().expect("tmp");
    let p = project("big", dir.path(), "acme", "4600");
    (fake, dir, p)
}

#[tokio::test]
async fn pages_are_followed_until_the_next_link_says_results_false() {
    let (fake, _dir, big) = big_project(250).await;
    let findings = source(&fake).audit(&big).await.expect("audit");
    assert_eq!(findings.len(), 250, "every issue of the three pages");
    let ids: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.fingerprint.as_str()).collect();
    assert_eq!(ids.len(), 250, "no issue twice");
    let requests = fake.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(!requests[0].contains("cursor="));
    assert!(requests[1].ends_with("&cursor=0:100:0"), "{requests:?}");
    assert!(requests[2].ends_with("&cursor=0:200:0"), "{requests:?}");
}

#[tokio::test]
async fn a_full_last_page_ends_on_results_false_without_an_empty_request() {
    let (fake, _dir, big) = big_project(200).await;
    let findings = source(&fake).audit(&big).await.expect("audit");
    assert_eq!(findings.len(), 200);
    assert_eq!(fake.request_count(), 2, "{:?}", fake.requests());
}

#[tokio::test]
async fn more_pages_than_the_limit_is_an_error_not_a_short_list() {
    let (fake, _dir, big) = big_project(250).await;
    let mut config = config(&fake);
    config.max_pages = 2;
    let src = SentrySource::new(config, Secret::new(TOKEN, "test")).expect("source");
    let err = src.audit(&big).await.expect_err("three pages, limit two");
    let text = err.to_string();
    assert!(text.contains("more than 2 pages"), "{text}");
    assert!(
        text.contains("acme/4600") && text.contains("project big"),
        "{text}"
    );
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn a_429_is_waited_out_and_retried() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    fake.inject(Fault::RateLimited {
        retry_after_secs: 0,
    });
    fake.inject(Fault::RateLimitedUntilReset { reset_in_secs: 0 });
    let findings = source(&fake)
        .audit(&shop)
        .await
        .expect("audit after two 429s");
    assert_eq!(findings.len(), 4);
    assert_eq!(fake.request_count(), 3, "two 429s, then the answer");
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_fails_at_once_carrying_the_wait() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    fake.inject(Fault::RateLimited {
        retry_after_secs: 120,
    });
    let err = source(&fake)
        .audit(&shop)
        .await
        .expect_err("too long a wait");
    assert_eq!(err.kind(), ErrorKind::Retryable);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.to_string().contains("429"), "{err}");
    assert_eq!(fake.request_count(), 1, "it did not wait or retry");
}

#[tokio::test]
async fn a_used_up_rate_limit_window_between_pages_is_not_run_into() {
    let (fake, _dir, big) = big_project(150).await;
    fake.inject(Fault::WindowExhausted { reset_in_secs: 120 });
    let err = source(&fake).audit(&big).await.expect_err("reset too far");
    assert!(err.to_string().contains("rate-limit window"), "{err}");
    assert_eq!(err.retry_after().map(|d| d.as_secs() > 100), Some(true));
    assert_eq!(fake.request_count(), 1, "page 2 was not asked for");
}

#[tokio::test]
async fn server_errors_twice_then_success_gives_the_findings() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    fake.inject(Fault::ServerError(2));
    let findings = source(&fake).audit(&shop).await.expect("audit");
    assert_eq!(findings.len(), 4);
    assert_eq!(fake.request_count(), 3);
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_retry_succeeds() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    fake.inject(Fault::Slow(Duration::from_secs(5)));
    let mut config = config(&fake);
    config.http.timeout = Duration::from_millis(300);
    let src = SentrySource::new(config, Secret::new(TOKEN, "test")).expect("source");
    let findings = src.audit(&shop).await.expect("audit after a timeout");
    assert_eq!(findings.len(), 4);
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sentry_org_that_keeps_failing_is_reported_and_the_audit_goes_on() {
    let fake = FakeSentry::seeded(TOKEN).await;
    fake.add_project("broken", "9001", "svc");
    fake.inject_for("broken", Fault::ServerError(usize::MAX));
    let good_dir = tempfile::tempdir().expect("tmp");
    let bad_dir = tempfile::tempdir().expect("tmp");
    let projects = vec![
        project("shop", good_dir.path(), "acme", "web"),
        project("svc", bad_dir.path(), "broken", "9001"),
    ];
    let sources: Vec<Arc<dyn IssueSource>> = vec![
        Arc::new(source(&fake)),
        Arc::new(TodoSource::command_line(vec![
            ("shop".into(), "Write the changelog".into()),
            ("svc".into(), "Rotate the logs".into()),
        ])),
    ];
    let report = audit(&projects, &sources, &AuditOptions::default()).await;

    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let error = &report.errors[0];
    assert_eq!(
        (error.project.as_str(), error.source.as_str()),
        ("svc", "sentry")
    );
    assert!(
        error.message.contains("broken/9001")
            && error.message.contains("sentry")
            && error.message.contains("500")
            && error.message.contains("gave up after 4 tries"),
        "{}",
        error.message
    );
    let mut found: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.project.as_str(), f.source.as_str()))
        .collect();
    found.dedup();
    assert_eq!(
        found,
        [
            ("shop", "cli-todo"),
            ("shop", "sentry"),
            ("svc", "cli-todo")
        ]
    );
    assert!(report.audited.contains(&("shop".into(), "sentry".into())));
    assert!(!report.audited.contains(&("svc".into(), "sentry".into())));
    let broken = fake
        .requests()
        .iter()
        .filter(|r| r.contains("/organizations/broken/"))
        .count();
    assert_eq!(broken, 4, "the first try and three retries");
}

#[tokio::test]
async fn a_malformed_body_is_an_error_naming_sentry_and_the_request() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    fake.inject(Fault::Malformed);
    let err = source(&fake).audit(&shop).await.expect_err("malformed");
    let text = err.to_string();
    for part in [
        "sentry",
        "GET ",
        "/api/0/organizations/acme/issues/",
        "page 1",
        "project shop",
        "not what the API documents",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
}

#[tokio::test]
async fn a_wrong_token_is_a_clear_error_that_does_not_show_it() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    let wrong = "sntrys_wrong_canary_0d9e8f";
    let src = SentrySource::new(config(&fake), Secret::new(wrong, "env SENTRY_AUTH_TOKEN"))
        .expect("source");
    let err = src.audit(&shop).await.expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("401") && text.contains("Invalid token"),
        "{text}"
    );
    assert!(text.contains("the token was refused"), "{text}");
    assert!(!text.contains(wrong) && !format!("{err:?}").contains(wrong));
    assert_eq!(fake.request_count(), 1, "a refused token is not retried");
}

#[tokio::test]
async fn the_token_appears_in_no_error_debug_output_finding_or_url() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    let src = source(&fake);
    let mut texts = vec![format!("{src:?}")];
    let findings = src.audit(&shop).await.expect("audit");
    texts.push(serde_json::to_string(&findings).expect("json"));
    texts.push(format!("{findings:?}"));
    for (fault, status) in [
        (Fault::ServerError(usize::MAX), "500"),
        (Fault::Malformed, "not what the API documents"),
        (
            Fault::RateLimited {
                retry_after_secs: 600,
            },
            "429",
        ),
    ] {
        fake.inject(fault);
        let err = src.audit(&shop).await.expect_err("injected failure");
        assert!(err.to_string().contains(status), "{err}");
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
        fake.clear_faults();
    }
    texts.extend(fake.requests());
    for text in &texts {
        assert!(!text.contains(TOKEN), "the token leaked into: {text}");
        assert!(!text.contains("canary"), "the token leaked into: {text}");
    }
    assert!(
        fake.authorizations()
            .iter()
            .all(|a| *a == format!("Bearer {TOKEN}")),
        "the token is sent, as a Bearer token, in the Authorization header"
    );
}

#[tokio::test]
async fn a_project_without_sentry_config_yields_nothing_and_sends_nothing() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let plain = Project {
        alias: "plain".into(),
        paths: vec![dir.path().to_path_buf()],
        ..Project::default()
    };
    let src = source(&fake);
    assert_eq!(src.audit(&plain).await.expect("audit"), []);
    let since = Timestamp::parse_rfc3339("2020-01-01T00:00:00Z").expect("date");
    assert_eq!(
        src.issues_first_seen_since(&plain, since)
            .await
            .expect("probe"),
        Vec::<String>::new()
    );
    assert_eq!(fake.request_count(), 0);
}

#[tokio::test]
async fn issues_first_seen_since_lists_only_newer_unresolved_issues() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let shop = project("shop", dir.path(), "acme", "web");
    let src = source(&fake);
    let since = Timestamp::parse_rfc3339("2026-11-21T00:00:00Z").expect("date");
    assert_eq!(
        src.issues_first_seen_since(&shop, since)
            .await
            .expect("probe"),
        [
            "WEB-2: Error: Request failed with status code 502 (https://acme.sentry.io/issues/700002/)"
        ],
        "WEB-1 was first seen on the 20th, before"
    );
    let request = fake.requests().pop().expect("a request");
    assert!(
        request.contains("firstSeen%3A%3E%3D2026-11-21T00%3A00%3A00")
            && request.contains("sort=new"),
        "{request}"
    );
    fake.set_status("acme", "700002", "resolved");
    assert_eq!(
        src.issues_first_seen_since(&shop, since)
            .await
            .expect("probe"),
        Vec::<String>::new(),
        "a resolved issue is not new trouble"
    );
}

#[tokio::test]
async fn the_sentry_source_passes_the_source_conformance_suite() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    ops_core::conformance::source(&source(&fake), &project("shop", dir.path(), "acme", "web"))
        .await;
    ops_core::conformance::source(&source(&fake), &project("api", dir.path(), "acme", "4502"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_of_one_org_known_by_id_share_one_listing() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("tmp")).collect();
    let projects = vec![
        project("shop", dirs[0].path(), "acme", "4501"),
        project("api", dirs[1].path(), "acme", "4502"),
        project("web-by-slug", dirs[2].path(), "acme", "web"),
    ];
    let sources: Vec<Arc<dyn IssueSource>> = vec![Arc::new(source(&fake))];
    let report = audit(&projects, &sources, &AuditOptions::default()).await;
    assert_eq!(report.errors, []);

    let mut requests = fake.requests();
    requests.sort();
    assert_eq!(
        requests.len(),
        2,
        "one listing for both ids, one for the slug: {requests:?}"
    );
    assert!(
        requests[0].contains("?project=4501&project=4502&query=is%3Aunresolved&limit=100"),
        "{requests:?}"
    );
    let titles = |alias: &str| {
        let mut t: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.project == alias)
            .map(|f| f.title.split(':').next().unwrap_or_default().to_string())
            .collect();
        t.sort();
        t
    };
    assert_eq!(titles("api"), ["Sentry API-1", "Sentry API-2"]);
    // The slug project names the same Sentry issues as "shop": the audit keeps
    // one finding per fingerprint, so they are shop's or its, never both.
    let mut web = titles("shop");
    web.extend(titles("web-by-slug"));
    web.sort();
    assert_eq!(
        web,
        [
            "Sentry WEB-1",
            "Sentry WEB-2",
            "Sentry WEB-3",
            "Sentry WEB-4"
        ]
    );
    for alias in ["shop", "api", "web-by-slug"] {
        assert!(
            report
                .audited
                .contains(&(alias.to_string(), "sentry".to_string()))
        );
    }
}

#[tokio::test]
async fn a_shared_listing_pages_with_the_limit_times_its_projects() {
    let fake = FakeSentry::start(TOKEN).await;
    fake.add_project("acme", "4600", "big");
    fake.add_project("acme", "4601", "small");
    fake.add_generated_issues("acme", "big", 250, 900_000, "error");
    fake.add_generated_issues("acme", "small", 10, 950_000, "warning");
    let (a, b) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let mut config = config(&fake);
    config.max_pages = 2;
    let src = SentrySource::new(config, Secret::new(TOKEN, "test")).expect("source");
    let results = src
        .audit_many(&[
            project("big", a.path(), "acme", "4600"),
            project("small", b.path(), "acme", "4601"),
        ])
        .await;
    let counts: Vec<usize> = results
        .into_iter()
        .map(|r| r.expect("audited").len())
        .collect();
    assert_eq!(counts, [250, 10], "each issue goes to the project it names");
    assert_eq!(fake.request_count(), 3, "260 issues, 100 a page");
}

#[tokio::test]
async fn a_next_page_link_to_another_host_is_refused_not_followed() {
    let (fake, _dir, big) = big_project(150).await;
    fake.inject(Fault::ForeignNextLink);
    let err = source(&fake).audit(&big).await.expect_err("foreign link");
    let text = err.to_string();
    assert!(
        text.contains("refusing to send the token there")
            && text.contains("collector.example.invalid"),
        "{text}"
    );
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_projects_in_two_orgs_cost_two_requests() {
    let fake = FakeSentry::start(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut projects = Vec::new();
    for i in 0..50u64 {
        let org = if i % 2 == 0 { "north" } else { "south" };
        let id = (5000 + i).to_string();
        let slug = format!("svc{i}");
        fake.add_project(org, &id, &slug);
        fake.add_generated_issues(org, &slug, 2, 100_000 + i * 10, "warning");
        projects.push(project(&slug, dir.path(), org, &id));
    }
    let sources: Vec<Arc<dyn IssueSource>> = vec![Arc::new(source(&fake))];
    let report = audit(&projects, &sources, &AuditOptions::default()).await;
    assert_eq!(report.errors, []);
    assert_eq!(report.findings.len(), 100, "two issues per project");
    for p in &projects {
        let mine = report
            .findings
            .iter()
            .filter(|f| f.project == p.alias)
            .count();
        assert_eq!(mine, 2, "{}", p.alias);
    }
    assert_eq!(fake.request_count(), 2, "{:?}", fake.requests());
}

#[test]
fn a_url_that_is_not_http_is_refused_naming_the_field_and_value() {
    for bad in [
        "sentry.io",
        "mailto:ops@example.com",
        "ftp://sentry.example.com",
    ] {
        let config = SentryConfig {
            url: bad.into(),
            ..SentryConfig::default()
        };
        let err = SentrySource::new(config, Secret::new(TOKEN, "test")).expect_err(bad);
        let text = err.to_string();
        assert_eq!(err.kind(), ErrorKind::Invalid);
        assert!(
            text.contains("SentryConfig.url") && text.contains(bad),
            "{text}"
        );
        assert!(!text.contains(TOKEN));
    }
}

#[tokio::test]
async fn a_sentry_project_without_a_local_checkout_is_an_error_not_findings_with_no_repo() {
    let fake = FakeSentry::seeded(TOKEN).await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut orphan = project("orphan", dir.path(), "acme", "4502");
    orphan.paths.clear();
    let mut orphan_slug = project("orphan-slug", dir.path(), "acme", "web");
    orphan_slug.paths.clear();
    let api = project("api", dir.path(), "acme", "4501");
    let src = source(&fake);
    for lone in [&orphan, &orphan_slug] {
        let err = src.audit(lone).await.expect_err("no checkout to work in");
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        let text = err.to_string();
        assert!(
            text.contains(&lone.alias) && text.contains("paths"),
            "{text}"
        );
    }
    let results = src
        .audit_many(&[orphan.clone(), api.clone(), orphan_slug.clone()])
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_err(), "{:?}", results[0]);
    assert!(results[2].is_err(), "{:?}", results[2]);
    let found = results[1].as_ref().expect("api still audited");
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|f| f.repo == dir.path().display().to_string()),
        "{found:?}"
    );
}
