//! Handoff latency: from the moment a blocker is completed on the board to the
//! moment its dependent's agent process is running.
//!
//! A real engine over the SQLite board, the command dispatcher running the fake
//! agent in real git worktrees, and ops-core's fake shipper; a chain of 30 tasks,
//! each blocked by the previous one. The engine's `TaskMoved { to: Completed }`
//! event (emitted right after the board commit) is timestamped on arrival; each
//! fake agent writes its own start time (unix ns) before doing anything else.
//!
//! Run: `cargo bench -p ops-dispatch --bench handoff`. Target: median < 50 ms.

use ops_core::fake::FakeShipper;
use ops_core::model::{Task, TaskId, TaskStatus};
use ops_core::{Engine, EngineConfig, Event, SqliteBoard, TaskStore};
use ops_dispatch::{BriefDelivery, CommandConfig, CommandDispatcher, Workbench, WorktreeManager};
use ops_testkit::{TempRepo, fake_agent, git_env};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CHAIN: usize = 30;
const TARGET_MS: f64 = 50.0;

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn name(i: usize) -> String {
    format!("t{i:02}")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let repo = TempRepo::new();
    let state = tempfile::tempdir().expect("state dir");
    let starts = tempfile::tempdir().expect("start log dir");
    let board = Arc::new(
        SqliteBoard::open(state.path().join("board.sqlite"))
            .await
            .expect("open the board"),
    );
    for i in 0..CHAIN {
        let mut t = Task::new(
            TaskId::new(name(i)).expect("valid id"),
            format!("step {i}"),
            "bench",
            repo.work().to_string_lossy(),
        );
        if i > 0 {
            t.blocked_by
                .insert(TaskId::new(name(i - 1)).expect("valid id"));
        }
        board.insert(t).await.expect("seed");
    }
    let mut bench = Workbench::new(WorktreeManager::default());
    for (k, v) in git_env() {
        bench.env = std::mem::take(&mut bench.env).set(k, v);
    }
    let dispatcher = CommandDispatcher::new(
        bench,
        CommandConfig {
            program: fake_agent().to_string_lossy().into_owned(),
            args: vec![format!("--start-log={}", starts.path().display())],
            brief: BriefDelivery::Stdin,
            steerable: false,
        },
    )
    .expect("dispatcher");
    let engine = Engine::new(
        board.clone(),
        Arc::new(dispatcher),
        Arc::new(FakeShipper::new()),
    )
    .with_config(EngineConfig {
        checks_poll: Duration::from_millis(5),
        board_poll: Duration::from_secs(3600),
        ..EngineConfig::default()
    });
    let mut events = engine.events().subscribe();
    let completed: Arc<Mutex<BTreeMap<String, u128>>> = Arc::default();
    let seen = Arc::clone(&completed);
    let listener = tokio::spawn(async move {
        while let Some(e) = events.recv().await {
            if let Event::TaskMoved {
                task,
                to: TaskStatus::Completed,
                ..
            } = e
            {
                let at = now_ns();
                if let Ok(mut c) = seen.lock() {
                    c.insert(task.to_string(), at);
                }
            }
        }
    });
    let began = std::time::Instant::now();
    let report = engine.run().await.expect("the run");
    let wall = began.elapsed();
    listener.abort();
    assert_eq!(report.completed, CHAIN, "every task completed: {report:?}");

    let completed = completed.lock().map(|c| c.clone()).unwrap_or_default();
    let mut handoffs_ms: Vec<f64> = (1..CHAIN)
        .filter_map(|i| {
            let done = *completed.get(&name(i - 1))?;
            let start: u128 = std::fs::read_to_string(starts.path().join(name(i)))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            Some((start.saturating_sub(done)) as f64 / 1e6)
        })
        .collect();
    assert_eq!(
        handoffs_ms.len(),
        CHAIN - 1,
        "every dependent's start was recorded"
    );
    handoffs_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| handoffs_ms[((handoffs_ms.len() - 1) as f64 * p).round() as usize];
    let median = pct(0.5);
    println!("handoff: blocker completed -> dependent's agent process running");
    println!(
        "  {} handoffs over a {CHAIN}-task chain (SQLite board, fake agent, real worktrees), run took {:.2}s",
        handoffs_ms.len(),
        wall.as_secs_f64()
    );
    println!(
        "  min {:.1} ms | median {:.1} ms | p90 {:.1} ms | max {:.1} ms",
        handoffs_ms[0],
        median,
        pct(0.9),
        handoffs_ms[handoffs_ms.len() - 1]
    );
    println!(
        "  median / target ({TARGET_MS} ms) = {:.2} -> {}",
        median / TARGET_MS,
        if median < TARGET_MS {
            "within target"
        } else {
            "OVER TARGET"
        }
    );
}
