//! Embedding the ops engine with an agent runtime of your own.
//!
//! Run it with `cargo run -p ops-core --example custom_dispatcher`.
//!
//! The pieces:
//! * [`Scribe`], a [`Dispatcher`]: its agents "work" by appending a line to a
//!   shared in-memory log, and report a cost of [`COST_PER_AGENT_USD`];
//! * the board in memory ([`MemoryBoard`]; [`ops_core::SqliteBoard::open`] gives
//!   one that survives a crash);
//! * the in-memory forge of [`ops_core::fake`] as the [`ops_core::Shipper`] (the
//!   `ops-ship` crate has the local-git and GitHub shippers);
//! * a budget, a subscriber printing the events as they happen, and the final
//!   [`RunReport`].
//!
//! [`demo`] does the work and writes to any writer, so a test can check it.

use async_trait::async_trait;
use ops_core::fake::FakeShipper;
use ops_core::model::{Task, TaskId};
use ops_core::seams::{AgentHandle, AgentOutcome, AgentStatus, Brief, DispatcherCapabilities};
use ops_core::{
    Dispatcher, Engine, EngineConfig, ErrorKind, Event, MemoryBoard, RunReport, TaskStore,
};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// What each agent of the [`Scribe`] runtime reports spending.
pub const COST_PER_AGENT_USD: f64 = 0.25;

/// The work every agent did, one line each, in the order they did it.
pub type WorkLog = Arc<Mutex<Vec<String>>>;

/// An agent runtime: its agents write down what their brief asks for.
pub struct Scribe {
    /// Where the agents write.
    pub log: WorkLog,
}

#[async_trait]
impl Dispatcher for Scribe {
    fn name(&self) -> &str {
        "scribe"
    }

    fn capabilities(&self) -> DispatcherCapabilities {
        // Not steerable: the engine runs team tasks as subagents, with a warning.
        DispatcherCapabilities {
            steerable: false,
            reports_cost: true,
            reports_activity: false,
        }
    }

    async fn dispatch(&self, brief: &Brief) -> ops_core::Result<Box<dyn AgentHandle>> {
        Ok(Box::new(ScribeAgent {
            log: Arc::clone(&self.log),
            line: format!("{} (attempt {})", brief.task.title, brief.attempt),
            started: Instant::now(),
            outcome: OnceCell::new(),
        }))
    }
}

/// One running scribe agent: it does its work when first waited for, unless
/// stopped before.
struct ScribeAgent {
    log: WorkLog,
    line: String,
    started: Instant,
    /// The outcome, once the work is done: `wait` returns it again when called again.
    outcome: OnceCell<AgentOutcome>,
}

#[async_trait]
impl AgentHandle for ScribeAgent {
    async fn send(&self, _message: &str) -> ops_core::Result<()> {
        Err(ops_core::Error::backend(
            "scribe",
            "send a message",
            ErrorKind::Unsupported,
            "the scribe runtime is not steerable",
        ))
    }

    async fn stop(&self) -> ops_core::Result<()> {
        // Work not yet done is not done at all; `set` fails if it is done already.
        let _ = self.outcome.set(AgentOutcome {
            status: AgentStatus::Stopped,
            summary: String::new(),
            cost_usd: None,
            worktree: None,
            changed_files: Vec::new(),
        });
        Ok(())
    }

    async fn wait(&self) -> AgentOutcome {
        self.outcome
            .get_or_init(|| async {
                self.log
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(self.line.clone());
                AgentOutcome {
                    status: AgentStatus::Succeeded,
                    summary: format!("wrote down: {}", self.line),
                    cost_usd: Some(COST_PER_AGENT_USD),
                    worktree: None,
                    changed_files: Vec::new(),
                }
            })
            .await
            .clone()
    }

    fn last_activity(&self) -> Instant {
        self.started
    }
}

/// One line for the events worth showing; `None` for the rest.
fn describe(event: &Event) -> Option<String> {
    Some(match event {
        Event::TaskMoved { task, from, to, .. } => format!("{task}: {from} -> {to}"),
        Event::AgentFinished { task, cost_usd, .. } => {
            format!("{task}: agent done, ${:.2}", cost_usd.unwrap_or(0.0))
        }
        Event::ChangeOpened { task, change, .. } => format!("{task}: change {change} opened"),
        Event::Promoted { repo, outcome, .. } => format!("{repo}: promoted ({outcome:?})"),
        Event::BudgetSpent { spent_usd, .. } => format!("budget spent: ${spent_usd:.2}"),
        Event::Halted { reason, .. } => format!("halted: {reason:?}"),
        _ => return None,
    })
}

/// Puts three tasks on a board (`endpoint` needs `schema`; `docs` is free), runs
/// the engine with the [`Scribe`] runtime, writes each event worth showing and
/// then the report to `out`, and returns the report and what the agents wrote.
pub async fn demo(
    out: &mut (impl Write + Send),
) -> Result<(RunReport, Vec<String>), Box<dyn std::error::Error>> {
    let board = Arc::new(MemoryBoard::new());
    let schema = board
        .insert(Task::new(
            TaskId::new("schema")?,
            "add the users table",
            "demo",
            "/src/acme-api",
        ))
        .await?;
    let mut endpoint = Task::new(
        TaskId::new("endpoint")?,
        "add GET /users",
        "demo",
        "/src/acme-api",
    );
    endpoint.blocked_by.insert(schema.id);
    board.insert(endpoint).await?;
    board
        .insert(Task::new(
            TaskId::new("docs")?,
            "document the API",
            "demo",
            "/src/acme-docs",
        ))
        .await?;

    let log = WorkLog::default();
    let engine = Engine::new(
        board,
        Arc::new(Scribe {
            log: Arc::clone(&log),
        }),
        Arc::new(FakeShipper::new()),
    )
    .with_config(EngineConfig {
        max_agents: 2,
        budget_usd: Some(5.0),
        ..EngineConfig::default()
    });
    let mut events = engine.events().subscribe();
    let print = async {
        while let Some(event) = events.recv().await {
            if let Some(line) = describe(&event) {
                writeln!(out, "{line}")?;
            }
            if matches!(event, Event::Halted { .. }) {
                break;
            }
        }
        Ok::<_, std::io::Error>(())
    };
    let (report, printed) = tokio::join!(engine.run(), print);
    let report = report?;
    printed?;
    writeln!(
        out,
        "shipped {} task(s), {} completed, spent ${:.2}",
        report.shipped.len(),
        report.completed,
        report.spent_usd
    )?;
    let work = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    Ok((report, work))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_report, work) = demo(&mut std::io::stdout()).await?;
    println!("the agents wrote:");
    for line in work {
        println!("  {line}");
    }
    Ok(())
}
