//! The engine with the real gates and the local-git shipper on a real repository;
//! the agent is a scripted stand-in against the `Dispatcher` trait that does real
//! git work in its own worktree.

use async_trait::async_trait;
use ops_core::model::{Project, Task, TaskId, TaskStatus};
use ops_core::seams::{
    AgentHandle, AgentOutcome, AgentStatus, Brief, Dispatcher, DispatcherCapabilities,
    PromoteOutcome,
};
use ops_core::{Engine, EngineConfig, Event, HaltReason, MemoryBoard, TaskStore};
use ops_ship::gate::{CommandGate, DiffScopeGate, GateBase, SecretsGate};
use ops_ship::local::{LocalShipConfig, LocalShipper};
use ops_testkit::{TempRepo, git};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A canary token: a GitHub-token-shaped string no real account has.
const CANARY: &str = "ghp_CANARYcanary0123456789CANARYcanary01";

type Script = dyn Fn(&Brief) -> Vec<(String, String)> + Send + Sync;

/// Writes what its script says into a worktree on the brief's branch and commits.
struct ScriptedAgents {
    root: PathBuf,
    work: PathBuf,
    script: Box<Script>,
}

struct Done(AgentOutcome);

#[async_trait]
impl AgentHandle for Done {
    async fn send(&self, _: &str) -> ops_core::Result<()> {
        Ok(())
    }
    async fn stop(&self) -> ops_core::Result<()> {
        Ok(())
    }
    async fn wait(&self) -> AgentOutcome {
        self.0.clone()
    }
    fn last_activity(&self) -> tokio::time::Instant {
        tokio::time::Instant::now()
    }
}

#[async_trait]
impl Dispatcher for ScriptedAgents {
    fn name(&self) -> &str {
        "scripted"
    }
    fn capabilities(&self) -> DispatcherCapabilities {
        DispatcherCapabilities::default()
    }
    async fn dispatch(&self, brief: &Brief) -> ops_core::Result<Box<dyn AgentHandle>> {
        let dir = self.root.join(format!("wt-{}", brief.task.id));
        if !dir.exists() {
            git(
                &self.work,
                &[
                    "worktree",
                    "add",
                    "--quiet",
                    "-b",
                    &brief.branch,
                    dir.to_str().expect("utf-8"),
                    "dev",
                ],
            );
        }
        // A retry follows the secrets gate's advice: the branch is rewritten from
        // dev (the gate reads every commit, so a rejected one must go).
        if brief.attempt > 1 {
            git(&dir, &["reset", "--quiet", "--soft", "dev"]);
        }
        for (path, content) in (self.script)(brief) {
            let full = dir.join(&path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("dirs");
            std::fs::write(&full, content).expect("write");
            git(&dir, &["add", "--", &path]);
        }
        git(
            &dir,
            &[
                "commit",
                "--quiet",
                "-m",
                &format!("attempt {}", brief.attempt),
            ],
        );
        Ok(Box::new(Done(AgentOutcome {
            status: AgentStatus::Succeeded,
            summary: format!("attempt {} done", brief.attempt),
            cost_usd: None,
            worktree: Some(dir),
            changed_files: Vec::new(),
        })))
    }
}

fn project(repo: &TempRepo, gate: &str) -> Project {
    Project {
        alias: "proj".into(),
        paths: vec![repo.work()],
        quality_gate: Some(gate.into()),
        ..Project::default()
    }
}

fn config() -> EngineConfig {
    EngineConfig {
        checks_poll: Duration::from_millis(10),
        checks_poll_max: Duration::from_millis(50),
        board_poll: Duration::from_millis(50),
        ..EngineConfig::default()
    }
}

async fn engine(repo: &TempRepo, gate: &str, script: Box<Script>) -> (Engine, Arc<MemoryBoard>) {
    let board = Arc::new(MemoryBoard::new());
    let mut t = Task::new(
        TaskId::new("t1").expect("id"),
        "Add the feature",
        "proj",
        repo.work().to_string_lossy(),
    );
    t.paths = vec!["src".into()];
    board.insert(t).await.expect("seed");
    let projects = [project(repo, gate)];
    let agents = ScriptedAgents {
        root: repo.root().to_path_buf(),
        work: repo.work(),
        script,
    };
    let base = GateBase::from_projects(&projects);
    let engine = Engine::new(
        board.clone(),
        Arc::new(agents),
        Arc::new(LocalShipper::new(&projects, LocalShipConfig::default())),
    )
    .with_gate(Arc::new(CommandGate::from_projects(&projects)))
    .with_gate(Arc::new(DiffScopeGate::new(base.clone())))
    .with_gate(Arc::new(SecretsGate::new(base)))
    .with_config(config());
    (engine, board)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_goes_through_the_real_gates_and_the_local_shipper_onto_dev_and_then_main() {
    let repo = TempRepo::new();
    let script: Box<Script> =
        Box::new(|_| vec![("src/feature.rs".into(), "pub fn feature() {}\n".into())]);
    let (engine, board) = engine(&repo, "test -f src/feature.rs", script).await;
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::AllDone, "{report:?}");
    let t = board
        .get(&TaskId::new("t1").expect("id"))
        .await
        .expect("get")
        .expect("task");
    assert_eq!(t.status, TaskStatus::Completed);
    let dev = repo.origin_rev("dev");
    assert!(git(&repo.origin(), &["log", "-1", "--format=%B", "dev"]).contains("Ops-Task: t1"));
    assert_eq!(
        git(&repo.origin(), &["show", "dev:src/feature.rs"]),
        "pub fn feature() {}"
    );
    assert_eq!(
        report.promoted,
        [(
            repo.work().to_string_lossy().into_owned(),
            PromoteOutcome::Promoted { sha: dev.clone() }
        )]
    );
    assert_eq!(repo.origin_rev("main"), dev);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_canary_token_appears_in_no_event_board_record_or_report() {
    let repo = TempRepo::new();
    let script: Box<Script> = Box::new(|b| {
        if b.attempt == 1 {
            vec![(
                "src/config.rs".into(),
                format!("pub const TOKEN: &str = \"{CANARY}\";\n"),
            )]
        } else {
            vec![(
                "src/config.rs".into(),
                "pub fn token() -> String { std::env::var(\"TOKEN\").unwrap_or_default() }\n"
                    .into(),
            )]
        }
    });
    // The gate command prints the file (and so the token) before it fails.
    let (engine, board) = engine(
        &repo,
        "cat src/config.rs; ! grep -q ghp_ src/config.rs",
        script,
    )
    .await;
    let mut events = engine.events().subscribe();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::AllDone, "{report:?}");
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    let judged: Vec<&Event> = seen
        .iter()
        .filter(|e| matches!(e, Event::GateJudged { passed: false, .. }))
        .collect();
    assert!(!judged.is_empty(), "the first attempt was rejected");
    let all_text = format!(
        "{}\n{}\n{}",
        serde_json::to_string(&seen).expect("events"),
        serde_json::to_string(&board.list().await.expect("list")).expect("board"),
        serde_json::to_string(&report).expect("report"),
    );
    assert!(!all_text.contains(CANARY), "the canary leaked");
    assert!(
        all_text.contains("[redacted GitHub personal access token]"),
        "the gate's log tail was kept, redacted"
    );
    assert!(
        !git(&repo.origin(), &["show", "dev:src/config.rs"]).contains("ghp_"),
        "the shipped code has no token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_github_a_late_push_is_rechecked_then_squash_merged_and_dev_is_promoted_by_merge_commit()
 {
    use ops_ship::github::{
        ClientConfig, GitHubProject, GitHubShipConfig, GitHubShipper, GitHubToken,
    };
    use ops_testkit::github::{FakeGitHub, Fault};
    let repo = TempRepo::new();
    let gh = FakeGitHub::start().await;
    gh.add_repo("acme/app", &repo.origin());
    gh.auto_check("ci/test", "success");
    gh.inject(Fault::PushBeforeMerge);
    let project = GitHubProject {
        alias: "proj".into(),
        repos: vec!["acme/app".into()],
        paths: vec![repo.work()],
        dev_branch: "dev".into(),
        main_branch: "main".into(),
        required_checks: vec!["ci/test".into()],
        health_endpoints: vec![],
    };
    let ship_config = GitHubShipConfig {
        client: ClientConfig {
            api_base: gh.url(),
            backoff: Duration::from_millis(10),
            ..ClientConfig::default()
        },
        verify_after: Duration::ZERO,
        ..GitHubShipConfig::default()
    };
    let shipper = GitHubShipper::new(vec![project], GitHubToken::new(CANARY), ship_config);
    let board = Arc::new(MemoryBoard::new());
    let mut t = Task::new(
        TaskId::new("t1").expect("id"),
        "Add the feature",
        "proj",
        repo.work().to_string_lossy(),
    );
    t.paths = vec!["src".into()];
    board.insert(t).await.expect("seed");
    let agents = ScriptedAgents {
        root: repo.root().to_path_buf(),
        work: repo.work(),
        script: Box::new(|_| vec![("src/feature.rs".into(), "pub fn feature() {}\n".into())]),
    };
    let engine = Engine::new(board.clone(), Arc::new(agents), Arc::new(shipper))
        .with_gate(Arc::new(SecretsGate::default()))
        .with_gate(Arc::new(DiffScopeGate::default()))
        .with_config(config());
    let mut events = engine.events().subscribe();
    let Ok(report) = tokio::time::timeout(Duration::from_secs(20), engine.run()).await else {
        let mut seen = Vec::new();
        while let Ok(e) = events.try_recv() {
            seen.push(format!("{e:?}"));
        }
        let reqs = gh.requests();
        panic!(
            "hung: {:?}\n{:#?}",
            &reqs[reqs.len().saturating_sub(12)..],
            seen
        );
    };
    let report = report.expect("run");
    assert_eq!(report.halt, HaltReason::AllDone, "{report:?}");
    let statuses: Vec<(u16, String)> = gh
        .merge_calls()
        .iter()
        .map(|m| (m.status, m.method.clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (409, "squash".into()),
            (200, "squash".into()),
            (200, "merge".into())
        ]
    );
    let mut head_changes = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(
            e,
            Event::MergeAttempted {
                outcome: ops_core::seams::MergeOutcome::HeadChanged { .. },
                ..
            }
        ) {
            head_changes += 1;
        }
    }
    assert_eq!(
        head_changes, 1,
        "the late push was seen and the new head checked before merging"
    );
    let pulls = gh.pulls();
    assert_eq!(pulls.len(), 2);
    assert!(pulls.iter().all(|p| p.merged.is_some()));
    assert_eq!(
        repo.origin_rev("main"),
        pulls[1].merged.clone().expect("promotion merged")
    );
    assert_eq!(
        git(&repo.origin(), &["show", "main:src/feature.rs"]),
        "pub fn feature() {}"
    );
}

/// Merges through the real shipper, then never returns: the process "dies" right
/// after the merge reached the remote and before the board recorded it.
struct DiesAfterMerge(LocalShipper);

#[async_trait]
impl ops_core::Shipper for DiesAfterMerge {
    fn name(&self) -> &str {
        "dies-after-merge"
    }
    fn capabilities(&self) -> ops_core::seams::ShipperCapabilities {
        self.0.capabilities()
    }
    async fn open_change(
        &self,
        t: &Task,
        w: &ops_core::seams::WorkRef,
    ) -> ops_core::Result<ops_core::seams::ChangeRef> {
        self.0.open_change(t, w).await
    }
    async fn checks(
        &self,
        c: &ops_core::seams::ChangeRef,
    ) -> ops_core::Result<ops_core::seams::ChecksState> {
        self.0.checks(c).await
    }
    async fn merge(
        &self,
        c: &ops_core::seams::ChangeRef,
    ) -> ops_core::Result<ops_core::seams::MergeOutcome> {
        self.0.merge(c).await?;
        std::future::pending().await
    }
    async fn promote(&self, p: &str, r: &str) -> ops_core::Result<PromoteOutcome> {
        self.0.promote(p, r).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_right_after_the_merge_push_resumes_without_merging_twice() {
    let repo = TempRepo::new();
    let projects = [project(&repo, "test -f src/feature.rs")];
    let board = Arc::new(MemoryBoard::new());
    let mut t = Task::new(
        TaskId::new("t1").expect("id"),
        "Add the feature",
        "proj",
        repo.work().to_string_lossy(),
    );
    t.paths = vec!["src".into()];
    board.insert(t).await.expect("seed");
    let agents = || ScriptedAgents {
        root: repo.root().to_path_buf(),
        work: repo.work(),
        script: Box::new(|_| vec![("src/feature.rs".into(), "pub fn feature() {}\n".into())]),
    };
    let config = config();
    let dev0 = repo.origin_rev("dev");
    let first = Engine::new(
        board.clone(),
        Arc::new(agents()),
        Arc::new(DiesAfterMerge(LocalShipper::new(
            &projects,
            LocalShipConfig::default(),
        ))),
    )
    .with_gate(Arc::new(CommandGate::from_projects(&projects)))
    .with_config(config.clone());
    let run = tokio::spawn(first.run());
    while repo.origin_rev("dev") == dev0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    run.abort();
    let _ = run.await;
    let t = board
        .get(&TaskId::new("t1").expect("id"))
        .await
        .expect("get")
        .expect("task");
    assert_eq!(
        t.status,
        TaskStatus::Shipping,
        "the crash left the task mid-ship"
    );
    let merged = repo.origin_rev("dev");
    let second = Engine::new(
        board.clone(),
        Arc::new(agents()),
        Arc::new(LocalShipper::new(&projects, LocalShipConfig::default())),
    )
    .with_gate(Arc::new(CommandGate::from_projects(&projects)))
    .with_config(config);
    let mut events = second.events().subscribe();
    let report = second.run().await.expect("resume");
    assert_eq!(report.halt, HaltReason::AllDone);
    let mut outcomes = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let Event::MergeAttempted { outcome, .. } = e {
            outcomes.push(outcome);
        }
    }
    assert_eq!(
        outcomes,
        [ops_core::seams::MergeOutcome::AlreadyMerged {
            sha: merged.clone()
        }]
    );
    assert_eq!(
        git(
            &repo.origin(),
            &["rev-list", "--count", &format!("{dev0}..dev")]
        ),
        "1",
        "merged once"
    );
    assert_eq!(
        repo.origin_rev("main"),
        merged,
        "and promoted after the resume"
    );
}
