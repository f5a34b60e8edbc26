//! The real dispatchers under the real engine: stalls stop whole process groups,
//! and a team agent (a stream-json agent process) fixes an audit failure in the
//! same run.

#[expect(dead_code, reason = "the engine composes its own briefs")]
mod support;

use ops_core::fake::{FakeGate, FakeShipper};
use ops_core::model::{AttemptOutcome, Mode, TaskStatus};
use ops_core::seams::GateVerdict;
use ops_core::{Engine, EngineConfig, MemoryBoard, TaskStore};
use ops_dispatch::{
    BriefDelivery, ClaudeConfig, ClaudeDispatcher, CommandConfig, CommandDispatcher,
};
use ops_testkit::{TempRepo, fake_agent, git};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use support::*;

fn config() -> EngineConfig {
    EngineConfig {
        stall_after: Duration::from_millis(800),
        max_attempts: 1,
        checks_poll: Duration::from_millis(10),
        board_poll: Duration::from_secs(3600),
        stop_grace: Duration::from_secs(5),
        ..EngineConfig::default()
    }
}

/// The pids of processes whose cwd is `dir`.
fn processes_in(dir: &std::path::Path) -> Vec<String> {
    let Ok(want) = std::fs::canonicalize(dir) else {
        return Vec::new();
    };
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_link(e.path().join("cwd")).ok().as_deref() == Some(want.as_path())
                })
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_agent_is_stopped_by_the_stall_rule_with_everything_it_started() {
    let repo = TempRepo::new();
    let board = Arc::new(MemoryBoard::new());
    board.insert(task(&repo, "st", "Hang")).await.expect("seed");
    let d = CommandDispatcher::new(
        bench("engine"),
        CommandConfig {
            program: fake_agent().to_string_lossy().into_owned(),
            args: vec!["--mode=hang".into()],
            brief: BriefDelivery::Stdin,
            steerable: false,
        },
    )
    .expect("config");
    let engine =
        Engine::new(board.clone(), Arc::new(d), Arc::new(FakeShipper::new())).with_config(config());
    let report = tokio::time::timeout(Duration::from_secs(30), engine.run())
        .await
        .expect("the run ends")
        .expect("run");
    let t = board
        .get(&report.blocked[0].0)
        .await
        .expect("get")
        .expect("task");
    assert_eq!(t.status, TaskStatus::Blocked);
    assert!(
        matches!(t.attempts[0].outcome, Some(AttemptOutcome::Stalled { .. })),
        "{:?}",
        t.attempts[0]
    );
    let wt = worktree_of(&repo, "st");
    let gone = async {
        while !processes_in(&wt).is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), gone)
        .await
        .expect("the agent and its child sleep are gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_agent_process_fixes_its_audit_failure_in_the_same_session() {
    let repo = TempRepo::new();
    let board = Arc::new(MemoryBoard::new());
    let mut t = task(&repo, "tf", "Team fix");
    t.mode = Mode::Team;
    board.insert(t).await.expect("seed");
    let d = ClaudeDispatcher::new(
        bench("engine"),
        ClaudeConfig {
            program: fake_agent().to_string_lossy().into_owned(),
            ..ClaudeConfig::default()
        },
    )
    .expect("config");
    let judged = Arc::new(AtomicU32::new(0));
    let j = Arc::clone(&judged);
    let gate = FakeGate::new("quality-gate", move |_, _| {
        if j.fetch_add(1, Ordering::SeqCst) == 0 {
            GateVerdict::fail("lint: trailing whitespace in brief.txt")
        } else {
            GateVerdict::pass("clean")
        }
    });
    let engine = Engine::new(board.clone(), Arc::new(d), Arc::new(FakeShipper::new()))
        .with_gate(Arc::new(gate))
        .with_config(EngineConfig {
            max_attempts: 3,
            stall_after: Duration::from_secs(30),
            ..config()
        });
    let report = tokio::time::timeout(Duration::from_secs(30), engine.run())
        .await
        .expect("the run ends")
        .expect("run");
    assert_eq!(report.completed, 1, "{report:?}");
    let wt = worktree_of(&repo, "tf");
    let fix =
        std::fs::read_to_string(wt.join("turn-2.txt")).expect("the same agent got a second turn");
    assert!(
        fix.contains("lint: trailing whitespace in brief.txt"),
        "{fix}"
    );
    assert_eq!(
        git(&wt, &["log", "-1", "--format=%s"]),
        "fake claude: turn 2"
    );
    let gone = async {
        while !processes_in(&wt).is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), gone)
        .await
        .expect("the team agent is stopped once its work passed");
}
