//! The run loop and a board that fails: transient errors are warned about and
//! retried; anything else ends the run with the error.

use async_trait::async_trait;
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeGate, FakeShipper};
use ops_core::model::{Task, TaskId, TaskStatus, Timestamp, WorkerId};
use ops_core::{Engine, EngineConfig, Error, ErrorKind, Event, MemoryBoard, TaskStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A MemoryBoard whose first `failures` list() calls fail with `kind`.
struct FlakyBoard {
    inner: MemoryBoard,
    failures: AtomicU32,
    kind: ErrorKind,
}

#[async_trait]
impl TaskStore for FlakyBoard {
    async fn insert(&self, task: Task) -> ops_core::Result<Task> {
        self.inner.insert(task).await
    }
    async fn get(&self, id: &TaskId) -> ops_core::Result<Option<Task>> {
        self.inner.get(id).await
    }
    async fn list(&self) -> ops_core::Result<Vec<Task>> {
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(Error::backend(
                "board",
                "list",
                self.kind,
                "database is locked",
            ));
        }
        self.inner.list().await
    }
    async fn save(&self, task: Task) -> ops_core::Result<Task> {
        self.inner.save(task).await
    }
    async fn renew_leases(&self, owner: &WorkerId, until: Timestamp) -> ops_core::Result<usize> {
        self.inner.renew_leases(owner, until).await
    }
}

async fn run_with(
    failures: u32,
    kind: ErrorKind,
) -> (
    Arc<FlakyBoard>,
    ops_core::Result<ops_core::RunReport>,
    Vec<Event>,
) {
    let board = Arc::new(FlakyBoard {
        inner: MemoryBoard::new(),
        failures: AtomicU32::new(0),
        kind,
    });
    for name in ["a", "b"] {
        let t = Task::new(
            TaskId::new(name).expect("id"),
            format!("do {name}"),
            "p",
            format!("repo-{name}"),
        );
        board.insert(t).await.expect("seed");
    }
    board.failures.store(failures, Ordering::SeqCst);
    let dispatcher = FakeDispatcher::new(|_| FakeAgent::succeed_after(Duration::from_secs(5)));
    let config = EngineConfig {
        board_poll: Duration::from_secs(3600),
        ..EngineConfig::default()
    };
    let engine = Engine::new(
        board.clone(),
        Arc::new(dispatcher),
        Arc::new(FakeShipper::new()),
    )
    .with_gate(Arc::new(FakeGate::passing("gate")))
    .with_config(config);
    let mut rx = engine.events().subscribe();
    let report = engine.run().await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (board, report, events)
}

#[tokio::test(start_paused = true)]
async fn a_busy_board_is_warned_about_and_retried_until_every_task_completes() {
    let (board, report, events) = run_with(3, ErrorKind::Retryable).await;
    let report = report.expect("the run survives a busy board");
    assert_eq!(report.completed, 2, "{report:?}");
    for t in board.inner.list().await.expect("list") {
        assert_eq!(t.status, TaskStatus::Completed);
    }
    let warnings = events
        .iter()
        .filter(|e| matches!(e, Event::Warning { message, .. } if message.contains("database is locked")))
        .count();
    assert_eq!(warnings, 3);
}

#[tokio::test(start_paused = true)]
async fn a_board_that_stays_busy_ends_the_run_with_its_error() {
    let (_, report, _) = run_with(1000, ErrorKind::Retryable).await;
    let err = report.expect_err("gives up");
    assert!(err.to_string().contains("database is locked"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_board_error_that_is_not_transient_ends_the_run_at_once() {
    let (_, report, events) = run_with(1, ErrorKind::Fatal).await;
    assert!(report.is_err());
    assert!(!events.iter().any(|e| matches!(e, Event::Warning { .. })));
}
