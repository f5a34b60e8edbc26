//! A program written against the embedding API as it was before the engine
//! followed the board's change feed: `Engine::new(board, dispatcher,
//! shipper).with_config(..).run()`, `MemoryBoard`, `SqliteBoard::open`,
//! `ops_core::fake`, and a board of the embedder's own that implements only the
//! methods `TaskStore` had then (no `changes`, no `in_flight`). It still
//! compiles, and each board runs a small DAG to the end in dependency order.

use async_trait::async_trait;
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeShipper};
use ops_core::model::{Task, TaskId, TaskStatus, Timestamp, WorkerId};
use ops_core::{Engine, EngineConfig, HaltReason, MemoryBoard, SqliteBoard, TaskStore};
use std::sync::Arc;
use std::time::Duration;

/// An embedder's own board: a `MemoryBoard` behind the trait's required
/// methods only, so the engine runs on the trait's default change feed.
struct OwnBoard(MemoryBoard);

#[async_trait]
impl TaskStore for OwnBoard {
    async fn insert(&self, task: Task) -> ops_core::Result<Task> {
        self.0.insert(task).await
    }
    async fn get(&self, id: &TaskId) -> ops_core::Result<Option<Task>> {
        self.0.get(id).await
    }
    async fn list(&self) -> ops_core::Result<Vec<Task>> {
        self.0.list().await
    }
    async fn save(&self, task: Task) -> ops_core::Result<Task> {
        self.0.save(task).await
    }
    async fn renew_leases(
        &self,
        owner: &WorkerId,
        expires_at: Timestamp,
    ) -> ops_core::Result<usize> {
        self.0.renew_leases(owner, expires_at).await
    }
}

fn id(s: &str) -> TaskId {
    TaskId::new(s).expect("a valid id")
}

/// a ← b ← c, and d alone, each in its own repository.
fn dag() -> Vec<Task> {
    let mut tasks = Vec::new();
    for (name, after) in [("a", None), ("b", Some("a")), ("c", Some("b")), ("d", None)] {
        let mut t = Task::new(
            id(name),
            format!("task {name}"),
            "demo",
            format!("/src/{name}"),
        );
        t.blocked_by.extend(after.map(id));
        tasks.push(t);
    }
    tasks
}

/// Runs the DAG on `board` as an embedder would; returns the order agents
/// started in.
async fn run_on(board: Arc<dyn TaskStore>) -> Vec<String> {
    for t in dag() {
        board.insert(t).await.expect("insert");
    }
    let dispatcher = Arc::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(Duration::from_millis(10))
    }));
    let engine = Engine::new(
        Arc::clone(&board),
        Arc::clone(&dispatcher) as Arc<dyn ops_core::Dispatcher>,
        Arc::new(FakeShipper::new()),
    )
    .with_config(EngineConfig {
        max_agents: 2,
        promote: false,
        ..EngineConfig::default()
    });
    let report = engine.run().await.expect("the run ends");
    assert_eq!(report.halt, HaltReason::AllDone, "{report:?}");
    assert_eq!(report.completed, 4, "{report:?}");
    let tasks = board.list().await.expect("list");
    assert!(
        tasks.iter().all(|t| t.status == TaskStatus::Completed),
        "{tasks:#?}"
    );
    let started: Vec<String> = dispatcher
        .log()
        .briefs
        .iter()
        .map(|b| b.task.id.to_string())
        .collect();
    started
}

fn in_dependency_order(started: &[String]) {
    let at = |name: &str| {
        started
            .iter()
            .position(|s| s == name)
            .unwrap_or_else(|| panic!("{name} never started: {started:?}"))
    };
    assert!(at("a") < at("b") && at("b") < at("c"), "{started:?}");
    assert_eq!(started.len(), 4, "each task once: {started:?}");
}

#[tokio::test]
async fn a_program_written_against_the_memory_board_runs_unchanged() {
    in_dependency_order(&run_on(Arc::new(MemoryBoard::new())).await);
}

#[tokio::test]
async fn a_program_written_against_sqlite_board_open_runs_unchanged() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let board = SqliteBoard::open(dir.path().join("board.sqlite"))
        .await
        .expect("the board opens");
    in_dependency_order(&run_on(Arc::new(board)).await);
}

#[tokio::test]
async fn a_board_of_the_embedders_own_without_a_change_feed_runs_on_the_default_one() {
    in_dependency_order(&run_on(Arc::new(OwnBoard(MemoryBoard::new()))).await);
}
