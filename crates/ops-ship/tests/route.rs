//! Routing many projects to their shippers, and the standard gate list.

mod common;

use common::{branch, task};
use ops_core::conformance;
use ops_core::model::{Project, ShipKind};
use ops_ship::gate;
use ops_ship::github::{ClientConfig, GitHubShipConfig, GitHubToken};
use ops_ship::local::LocalShipConfig;
use ops_ship::route::{ProjectShippers, ship_kind};
use ops_testkit::TempRepo;
use ops_testkit::github::FakeGitHub;
use std::time::Duration;

fn project(alias: &str, repo: &TempRepo, repos: &[&str]) -> Project {
    Project {
        alias: alias.into(),
        paths: vec![repo.work()],
        repos: repos.iter().map(|r| r.to_string()).collect(),
        ..Project::default()
    }
}

#[test]
fn ship_kind_is_the_setting_else_github_with_repos_and_a_token_else_local() {
    let repo = TempRepo::new();
    let mut p = project("p", &repo, &["acme/app"]);
    assert_eq!(ship_kind(&p, true), ShipKind::Github);
    assert_eq!(ship_kind(&p, false), ShipKind::Local);
    p.ship = Some(ShipKind::Local);
    assert_eq!(ship_kind(&p, true), ShipKind::Local);
    assert_eq!(ship_kind(&project("q", &repo, &[]), true), ShipKind::Local);
}

#[tokio::test]
async fn each_project_ships_through_its_own_backend_and_both_pass_conformance_through_the_router() {
    let local_repo = TempRepo::new();
    let gh_repo = TempRepo::new();
    let gh = FakeGitHub::start().await;
    gh.add_repo("acme/web", &gh_repo.origin());
    gh.auto_check("ci/test", "success");
    let mut web = project("web", &gh_repo, &["acme/web"]);
    web.extra
        .insert("required_checks".into(), serde_json::json!(["ci/test"]));
    let projects = [project("tools", &local_repo, &[]), web];
    let github = GitHubShipConfig {
        client: ClientConfig {
            api_base: gh.url(),
            backoff: Duration::from_millis(10),
            ..ClientConfig::default()
        },
        verify_after: Duration::ZERO,
        ..GitHubShipConfig::default()
    };
    let router = ProjectShippers::for_projects(
        &projects,
        Some(GitHubToken::new("t")),
        github,
        LocalShipConfig::default(),
        None,
    );
    assert_eq!(router.backend_of("web"), Some("github"));
    assert_eq!(router.backend_of("tools"), Some("local"));
    let mut t1 = task(&local_repo, "t1");
    t1.project = "tools".into();
    let w1 = branch(&local_repo, "ops/t1-x", &[("a.txt", "a\n")]);
    conformance::shipper(&router, &t1, &w1, Duration::from_secs(30)).await;
    let mut t2 = task(&gh_repo, "t2");
    t2.project = "web".into();
    let w2 = branch(&gh_repo, "ops/t2-x", &[("b.txt", "b\n")]);
    conformance::shipper(&router, &t2, &w2, Duration::from_secs(30)).await;
    assert_eq!(
        gh.pulls().len(),
        1,
        "only the GitHub project opened a pull request"
    );
    let last = |r: &TempRepo| ops_testkit::git(&r.origin(), &["log", "-1", "--format=%B", "dev"]);
    assert!(
        last(&local_repo).contains("Ops-Task: t1"),
        "the local project landed on its own dev"
    );
    assert!(
        last(&gh_repo).contains("Ops-Task: t2"),
        "the GitHub project landed through its pull request"
    );
}

#[test]
fn without_a_token_every_project_ships_locally() {
    let repo = TempRepo::new();
    let router = ProjectShippers::for_projects(
        &[project("web", &repo, &["acme/web"])],
        None,
        GitHubShipConfig::default(),
        LocalShipConfig::default(),
        None,
    );
    assert_eq!(router.backend_of("web"), Some("local"));
}

#[tokio::test]
async fn the_standard_gates_are_scope_secrets_gate_change_and_the_projects_command() {
    let repo = TempRepo::new();
    let gates = gate::standard(
        &[project("proj", &repo, &[])],
        &ops_core::secret::Redactor::new(),
    );
    let names: Vec<&str> = gates.iter().map(|g| g.name()).collect();
    assert_eq!(
        names,
        ["diff-scope", "secrets", "gate-change", "quality-gate"]
    );
    let t = task(&repo, "t1");
    let w = branch(&repo, "ops/t1-x", &[("a.txt", "a\n")]);
    for g in &gates {
        assert!(g.check(&t, &w).await.expect("runs").passed, "{}", g.name());
    }
}

/// Reports one new error for every project.
struct OneNewError;

#[async_trait::async_trait]
impl ops_ship::github::NewIssueProbe for OneNewError {
    async fn new_issues_since(
        &self,
        _project: &str,
        _since: ops_core::model::Timestamp,
    ) -> ops_core::Result<Vec<String>> {
        Ok(vec!["TypeError: cart is undefined".into()])
    }
}

#[tokio::test]
async fn the_probe_given_to_the_router_checks_github_projects_after_a_merge_and_not_local_ones() {
    use ops_core::seams::Shipper;
    let (gh_repo, local_repo) = (TempRepo::new(), TempRepo::new());
    let projects = [
        project("web", &gh_repo, &["acme/web"]),
        project("tools", &local_repo, &[]),
    ];
    let github = GitHubShipConfig {
        verify_after: Duration::ZERO,
        ..GitHubShipConfig::default()
    };
    let router = ProjectShippers::for_projects(
        &projects,
        Some(GitHubToken::new("t")),
        github,
        LocalShipConfig::default(),
        Some(std::sync::Arc::new(OneNewError)),
    );
    let on = |repo: &TempRepo, id: &str, alias: &str| {
        let mut t = task(repo, id);
        t.project = alias.into();
        t
    };
    let follow = router
        .verify(&on(&gh_repo, "t1", "web"), "abc1234567890")
        .await
        .expect("verify");
    assert_eq!(follow.len(), 1, "{follow:?}");
    assert!(
        follow[0].title.contains("TypeError: cart is undefined"),
        "{follow:?}"
    );
    let local = router
        .verify(&on(&local_repo, "t2", "tools"), "abc1234567890")
        .await
        .expect("verify");
    assert!(
        local.iter().all(|f| !f.title.contains("TypeError")),
        "{local:?}"
    );
}
