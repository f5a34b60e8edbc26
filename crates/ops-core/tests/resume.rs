//! Crash and resume on the SQLite board: the engine is dropped mid-run (as a
//! `kill -9` would leave it) several times, the board is reopened by a new worker,
//! and the run finishes with nothing lost and nothing done twice.

use ops_core::fake::{FakeAgent, FakeDispatcher, FakeShipper};
use ops_core::model::{AttemptOutcome, Task, TaskId, TaskStatus, WorkerId};
use ops_core::{Engine, EngineConfig, HaltReason, SqliteBoard, TaskStore};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn task(name: &str, after: &[&str]) -> Task {
    let id = |s: &str| TaskId::new(s).expect("valid id");
    let mut t = Task::new(
        id(name),
        format!("do {name}"),
        "proj",
        format!("repo-{name}"),
    );
    t.blocked_by = after.iter().map(|a| id(a)).collect();
    t
}

fn engine(
    board: SqliteBoard,
    dispatcher: &FakeDispatcher,
    shipper: &FakeShipper,
    worker: &str,
) -> Engine {
    Engine::new(
        Arc::new(board),
        Arc::new(dispatcher.clone()),
        Arc::new(shipper.clone()),
    )
    .with_config(EngineConfig {
        max_agents: 3,
        worker: WorkerId(worker.into()),
        lease_ttl: Duration::from_millis(600),
        board_poll: Duration::from_millis(50),
        checks_poll: Duration::from_millis(10),
        ..EngineConfig::default()
    })
}

async fn open(path: &Path) -> SqliteBoard {
    SqliteBoard::open(path).await.expect("open the board")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_dropped_mid_flight_resumes_from_the_sqlite_board_without_losing_or_repeating_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("board.sqlite");
    let board = open(&path).await;
    let tasks = vec![
        task("a", &[]),
        task("b", &["a"]),
        task("c", &["b"]),
        task("d", &[]),
        task("e", &["d", "a"]),
        task("f", &[]),
        task("g", &["f"]),
        task("h", &[]),
    ];
    for t in tasks {
        board.insert(t).await.expect("seed");
    }
    drop(board);
    let dispatcher = FakeDispatcher::new(|_| FakeAgent::Succeed {
        duration: Duration::from_millis(120),
        activity_every: Some(Duration::from_millis(20)),
    });
    let shipper = FakeShipper::new();

    let mut completed_before_crash = BTreeMap::new();
    for (crash, after_ms) in [90u64, 260, 170, 400].into_iter().enumerate() {
        let e = engine(
            open(&path).await,
            &dispatcher,
            &shipper,
            &format!("worker-{crash}"),
        );
        let run = tokio::spawn(e.run());
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        run.abort();
        let _ = run.await;
        // What was completed at the crash must never run again.
        for t in open(&path).await.list().await.expect("list") {
            if t.status == TaskStatus::Completed {
                completed_before_crash
                    .entry(t.id.clone())
                    .or_insert(t.attempts.len());
            }
        }
    }
    assert!(
        !completed_before_crash.is_empty(),
        "some work landed before the crashes"
    );

    let report = engine(open(&path).await, &dispatcher, &shipper, "worker-final")
        .run()
        .await
        .expect("the final run finishes");
    assert_eq!(report.halt, HaltReason::AllDone);

    let tasks = open(&path).await.list().await.expect("list");
    assert_eq!(tasks.len(), 8, "no task lost");
    let interrupted = tasks
        .iter()
        .flat_map(|t| &t.attempts)
        .filter(|a| matches!(a.outcome, Some(AttemptOutcome::Interrupted { .. })))
        .count();
    assert!(interrupted > 0, "the crashes hit agents mid-flight");
    let mut merges = shipper.merges();
    merges.sort();
    let mut ids: Vec<_> = tasks.iter().map(|t| t.id.clone()).collect();
    ids.sort();
    assert_eq!(merges, ids, "every task merged exactly once");
    for t in &tasks {
        assert_eq!(t.status, TaskStatus::Completed, "{} is completed", t.id);
        let shipped = t
            .attempts
            .iter()
            .filter(|a| a.outcome == Some(AttemptOutcome::Shipped))
            .count();
        assert_eq!(shipped, 1, "{} shipped once", t.id);
        assert!(t.lease.is_none(), "{} released", t.id);
        assert!(
            t.attempts.iter().all(|a| a.outcome.is_some()),
            "{} has no attempt left open",
            t.id
        );
        if let Some(n) = completed_before_crash.get(&t.id) {
            assert_eq!(
                t.attempts.len(),
                *n,
                "{} did not run again after it completed",
                t.id
            );
        }
    }
}
