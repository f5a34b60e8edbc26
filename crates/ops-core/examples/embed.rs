//! Embedding the engine: your own agent runtime as a `Dispatcher`, an in-memory
//! board, and a renderer of your own reading the event stream.
//!
//! Run with `cargo run -p ops-core --example embed`.

use async_trait::async_trait;
use ops_core::fake::FakeShipper;
use ops_core::model::{Task, TaskId};
use ops_core::seams::{AgentHandle, AgentOutcome, AgentStatus, Brief, DispatcherCapabilities};
use ops_core::{Dispatcher, Engine, Event, MemoryBoard, TaskStore};
use std::sync::Arc;
use tokio::time::Instant;

/// An "agent" that finishes at once and says what it was asked to do.
struct EchoRuntime;

struct EchoAgent {
    started: Instant,
    title: String,
}

#[async_trait]
impl Dispatcher for EchoRuntime {
    fn name(&self) -> &str {
        "echo"
    }

    fn capabilities(&self) -> DispatcherCapabilities {
        DispatcherCapabilities::default()
    }

    async fn dispatch(&self, brief: &Brief) -> ops_core::Result<Box<dyn AgentHandle>> {
        Ok(Box::new(EchoAgent {
            started: Instant::now(),
            title: brief.task.title.clone(),
        }))
    }
}

#[async_trait]
impl AgentHandle for EchoAgent {
    async fn send(&self, _message: &str) -> ops_core::Result<()> {
        Err(ops_core::Error::backend(
            "echo",
            "send a message",
            ops_core::ErrorKind::Unsupported,
            "the echo runtime is not steerable",
        ))
    }

    async fn stop(&self) -> ops_core::Result<()> {
        Ok(())
    }

    async fn wait(&self) -> AgentOutcome {
        AgentOutcome {
            status: AgentStatus::Succeeded,
            summary: format!("pretended to {}", self.title),
            cost_usd: None,
            worktree: None,
            changed_files: Vec::new(),
        }
    }

    fn last_activity(&self) -> Instant {
        self.started
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let board = Arc::new(MemoryBoard::new());
    let schema = board
        .insert(Task::new(
            TaskId::new("schema")?,
            "add the users table",
            "demo",
            "acme/api",
        ))
        .await?;
    let mut endpoint = Task::new(
        TaskId::new("endpoint")?,
        "add GET /users",
        "demo",
        "acme/api",
    );
    endpoint.blocked_by.insert(schema.id.clone());
    board.insert(endpoint).await?;

    let engine = Engine::new(board, Arc::new(EchoRuntime), Arc::new(FakeShipper::new()));
    let mut events = engine.events().subscribe();
    let printer = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Event::TaskMoved { task, from, to, .. } = &event {
                println!("{task}: {from} -> {to}");
            }
            if matches!(event, Event::Halted { .. }) {
                break;
            }
        }
    });
    let report = engine.run().await?;
    printer.await?;
    println!("halted: {:?}; shipped: {:?}", report.halt, report.shipped);
    Ok(())
}
