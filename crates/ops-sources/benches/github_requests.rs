//! The request count of auditing 50 GitHub repositories (issue 6's targets: at
//! most 10 requests cold or after changes, at most 6 when nothing changed;
//! listing PRs, runs and issues per repository over REST would be 150).
//! Counted by the fake GitHub (GraphQL and REST together) on 127.0.0.1; the
//! sources' cache is a SQLite board in a temp dir.
//!
//! Run: `cargo bench -p ops-sources --bench github_requests`.

use ops_core::model::Project;
use ops_core::{IssueSource, Secret, SourceCache, SqliteBoard};
use ops_sources::github::{GitHubConfig, GitHubSource};
use ops_sources::http::HttpConfig;
use ops_testkit::github_api::{FakeGitHubApi, Issue, Pr, generate};
use ops_testkit::github_runs::RunsFake;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const REPOS: usize = 50;
const TARGET_CHANGED: usize = 10;
const TARGET_UNCHANGED: usize = 6;
const NAIVE: usize = 3 * REPOS;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let over = runtime.block_on(run());
    if over {
        std::process::exit(1);
    }
}

/// Runs red branches had: dev persistently red, main red after green.
fn seed_runs(runs: &RunsFake, red: &[(String, String, String)]) {
    for (slug, branch, oid) in red {
        if branch == "main" {
            runs.push_run(
                slug,
                branch,
                "0ld",
                "CI",
                "push",
                "completed",
                Some("success"),
            );
            runs.push_run(
                slug,
                branch,
                oid,
                "CI",
                "push",
                "completed",
                Some("failure"),
            );
        } else {
            for _ in 0..3 {
                runs.push_run(
                    slug,
                    branch,
                    oid,
                    "CI",
                    "push",
                    "completed",
                    Some("failure"),
                );
            }
        }
    }
}

async fn audit(
    source: &GitHubSource,
    fake: &FakeGitHubApi,
    projects: &[Project],
    name: &str,
    target: usize,
) -> bool {
    fake.reset_counts();
    let results = source.audit_many(projects).await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    let findings: usize = results.iter().flatten().map(Vec::len).sum();
    let counts: BTreeMap<String, usize> = fake.counts();
    let total = fake.total();
    let verdict = if total <= target { "ok" } else { "OVER TARGET" };
    println!(
        "{name:<28} graphql {:>2}  rest {:>2}  total {total:>2}  (target <= {target}, naive {NAIVE})  {verdict}; {findings} findings, {failed} projects failed",
        counts.get("graphql").copied().unwrap_or(0),
        counts.get("rest").copied().unwrap_or(0),
    );
    total > target || failed > 0
}

async fn run() -> bool {
    let token = "ghp_bench_token_0000";
    let runs = RunsFake::new();
    let fake = FakeGitHubApi::start_with(token, runs.router()).await;
    let slugs = generate::realistic(&fake, REPOS);
    for slug in &slugs {
        runs.add_repo(slug);
    }
    seed_runs(&runs, &fake.red_branches());

    let dir = tempfile::tempdir().expect("temp dir");
    let board = SqliteBoard::open(dir.path().join("board.sqlite"))
        .await
        .expect("board");
    let cache: Arc<dyn SourceCache> = Arc::new(board);
    let config = GitHubConfig {
        api_url: fake.url(),
        http: HttpConfig {
            backoff: Duration::from_millis(10),
            ..HttpConfig::default()
        },
        ..GitHubConfig::default()
    };
    let source = GitHubSource::new(config, Secret::new(token, "bench"), cache).expect("source");
    let projects: Vec<Project> = slugs
        .iter()
        .enumerate()
        .map(|(i, slug)| Project {
            alias: format!("p{i:02}"),
            paths: vec![dir.path().to_path_buf()],
            repos: vec![slug.clone()],
            ..Project::default()
        })
        .collect();

    println!(
        "auditing {REPOS} GitHub repositories ({} with more than 50 open PRs, {} red branches)",
        slugs.len().div_ceil(10),
        fake.red_branches().len()
    );
    let mut over = audit(
        &source,
        &fake,
        &projects,
        "1 cold (empty cache)",
        TARGET_CHANGED,
    )
    .await;
    over |= audit(
        &source,
        &fake,
        &projects,
        "2 nothing changed",
        TARGET_UNCHANGED,
    )
    .await;

    // Changes: new PRs and issues, a push to dev in 3 repositories (one red
    // with a failing run), a run failing on a main that was red already.
    fake.add_pr(&slugs[1], &Pr::new(500));
    let mut failing = Pr::new(501);
    failing.rollup = Some("FAILURE".into());
    fake.add_pr(&slugs[2], &failing);
    fake.add_issue(&slugs[4], &Issue::new(2000));
    for (n, slug) in slugs.iter().skip(5).take(3).enumerate() {
        let oid = format!("{:040x}", 0xfeed_0000 + n);
        let rollup = if n == 0 { "FAILURE" } else { "SUCCESS" };
        fake.set_branch(slug, "dev", &oid, Some(rollup));
        let conclusion = if n == 0 { "failure" } else { "success" };
        runs.push_run(
            slug,
            "dev",
            &oid,
            "CI",
            "push",
            "completed",
            Some(conclusion),
        );
    }
    if let Some((slug, _, _)) = fake.red_branches().iter().find(|(_, b, _)| b == "main") {
        let oid = "facade0000000000000000000000000000000001";
        fake.set_branch(slug, "main", oid, Some("FAILURE"));
        runs.push_run(
            slug,
            "main",
            oid,
            "CI",
            "push",
            "completed",
            Some("failure"),
        );
    }
    over |= audit(&source, &fake, &projects, "3 after changes", TARGET_CHANGED).await;
    println!("naive REST (PR list + run list + issue list per repository): {NAIVE}");
    println!(
        "cost model: ceil(repos / 25) GraphQL + one per round of follow-up pages (repos with > 50 open PRs or issues) \
         + one REST run list per red or unchecked head not seen at the last audit"
    );
    over
}
