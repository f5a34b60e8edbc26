//! Shared set-up for the engine tests: tasks, an engine over fakes, event capture.

use ops_core::fake::{FakeDispatcher, FakeGate, FakeShipper};
use ops_core::model::{Task, TaskId};
use ops_core::{Engine, EngineConfig, Event, MemoryBoard, TaskStore};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

pub fn id(s: &str) -> TaskId {
    TaskId::new(s).expect("valid id in test")
}

/// A task in its own repository unless `repo` says otherwise, blocked by `after`.
pub fn task(name: &str, after: &[&str]) -> Task {
    let mut t = Task::new(
        id(name),
        format!("do {name}"),
        "proj",
        format!("repo-{name}"),
    );
    t.blocked_by = after.iter().map(|a| id(a)).collect();
    t
}

pub fn config() -> EngineConfig {
    EngineConfig {
        max_agents: 5,
        stall_after: Duration::from_secs(15 * 60),
        max_attempts: 3,
        checks_poll: Duration::from_secs(1),
        // One worker: nothing else changes the board, so polling only costs time.
        board_poll: Duration::from_secs(3600),
        ..EngineConfig::default()
    }
}

pub struct Harness {
    pub board: Arc<MemoryBoard>,
    pub dispatcher: FakeDispatcher,
    pub shipper: FakeShipper,
    pub gates: Vec<FakeGate>,
    pub config: EngineConfig,
}

impl Harness {
    pub fn new(dispatcher: FakeDispatcher) -> Self {
        Harness {
            board: Arc::new(MemoryBoard::new()),
            dispatcher,
            shipper: FakeShipper::new(),
            gates: vec![FakeGate::passing("quality-gate")],
            config: config(),
        }
    }

    pub async fn seed(&self, tasks: Vec<Task>) {
        for t in tasks {
            self.board.insert(t).await.expect("seed task");
        }
    }

    pub fn engine(&self) -> (Engine, UnboundedReceiver<Event>) {
        let mut engine = Engine::new(
            self.board.clone(),
            Arc::new(self.dispatcher.clone()),
            Arc::new(self.shipper.clone()),
        )
        .with_config(self.config.clone());
        for g in &self.gates {
            engine = engine.with_gate(Arc::new(g.clone()));
        }
        let events = engine.events().subscribe();
        (engine, events)
    }

    pub async fn get(&self, name: &str) -> Task {
        self.board
            .get(&id(name))
            .await
            .expect("get")
            .expect("on the board")
    }
}

pub fn drain(rx: &mut UnboundedReceiver<Event>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}
