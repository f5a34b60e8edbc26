//! The engine at scale, as a table: `cargo bench -p ops-core --bench engine`.
//!
//! * Overhead: N independent tasks (N = 1,000, 10,000, 100,000) and a layered DAG
//!   of 10,000 tasks with ~30,000 edges, on the memory and the SQLite board, with
//!   agents and a shipper that finish at once and 5 slots. Per case: `Engine::run`
//!   wall time ÷ N (µs per task), task moves per second, and the peak RSS of the
//!   process. Each case runs in a child process of its own, so the peak RSS is
//!   that case's, and a case that does not end within the timeout is recorded as
//!   such instead of holding up the table.
//! * Scheduling quality: 20 random DAGs of 200 tasks with random agent durations
//!   on tokio's paused clock; makespan ÷ max(critical path, work ÷ slots), and
//!   makespan ÷ a wave-barrier schedule of the same DAG.
//!
//! Environment: `OPS_BENCH_SIZES` (default `1000,10000,100000`),
//! `OPS_BENCH_BOARDS` (default `memory,sqlite`), `OPS_BENCH_LAYERED` (default
//! `1`; `0` skips the layered DAG), `OPS_BENCH_QUALITY` (default `1`),
//! `OPS_BENCH_GRAPH` (default `1`: the task graph alone at 100,000 tasks),
//! `OPS_BENCH_FEED` (default `1`: how soon a running engine sees tasks a second
//! connection inserts), `OPS_BENCH_TIMEOUT_S` (per case, default 600).

use async_trait::async_trait;
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeShipper};
use ops_core::model::{Task, TaskId};
use ops_core::seams::{
    AgentHandle, AgentOutcome, AgentStatus, Brief, ChangeRef, ChecksState, DispatcherCapabilities,
    MergeOutcome, PromoteOutcome, ShipperCapabilities, WorkRef,
};
use ops_core::{Dispatcher, Engine, EngineConfig, Event, MemoryBoard, Shipper, SqliteBoard};
use ops_core::{TaskStore, graph::TaskGraph};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SLOTS: usize = 5;

/// Agents that succeed as soon as they are waited for.
struct InstantRuntime;

struct InstantAgent;

#[async_trait]
impl Dispatcher for InstantRuntime {
    fn name(&self) -> &str {
        "instant"
    }
    fn capabilities(&self) -> DispatcherCapabilities {
        DispatcherCapabilities {
            steerable: false,
            reports_cost: true,
            reports_activity: false,
        }
    }
    async fn dispatch(&self, _brief: &Brief) -> ops_core::Result<Box<dyn AgentHandle>> {
        Ok(Box::new(InstantAgent))
    }
}

#[async_trait]
impl AgentHandle for InstantAgent {
    async fn send(&self, _message: &str) -> ops_core::Result<()> {
        Ok(())
    }
    async fn stop(&self) -> ops_core::Result<()> {
        Ok(())
    }
    async fn wait(&self) -> AgentOutcome {
        AgentOutcome {
            status: AgentStatus::Succeeded,
            summary: "done".into(),
            cost_usd: Some(0.0),
            worktree: None,
            changed_files: Vec::new(),
        }
    }
    fn last_activity(&self) -> tokio::time::Instant {
        tokio::time::Instant::now()
    }
}

/// A forge whose checks pass and whose merges land at once, remembering nothing.
struct InstantForge;

#[async_trait]
impl Shipper for InstantForge {
    fn name(&self) -> &str {
        "instant"
    }
    fn capabilities(&self) -> ShipperCapabilities {
        ShipperCapabilities {
            opens_pull_requests: false,
            promotes: false,
        }
    }
    async fn open_change(&self, _task: &Task, work: &WorkRef) -> ops_core::Result<ChangeRef> {
        Ok(ChangeRef {
            id: work.branch.clone(),
            url: None,
            head: "h".into(),
        })
    }
    async fn checks(&self, _change: &ChangeRef) -> ops_core::Result<ChecksState> {
        Ok(ChecksState::Passed)
    }
    async fn merge(&self, _change: &ChangeRef) -> ops_core::Result<MergeOutcome> {
        Ok(MergeOutcome::Merged { sha: "m".into() })
    }
    async fn promote(&self, _project: &str, _repo: &str) -> ops_core::Result<PromoteOutcome> {
        Ok(PromoteOutcome::UpToDate)
    }
}

/// A small deterministic generator (xorshift64*), so every run benches the same DAGs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn id(i: usize) -> TaskId {
    TaskId::new(format!("t{i:06}")).expect("a valid id")
}

/// A task of its own repository, so no two tasks overlap in ownership.
fn task(i: usize, blocked_by: &[usize]) -> Task {
    let mut t = Task::new(id(i), format!("task {i}"), "bench", format!("/r/{i}"));
    t.blocked_by = blocked_by.iter().map(|b| id(*b)).collect();
    t
}

/// The tasks of a case: `n` independent ones, or layers of 100 where each task
/// of a layer after the first waits for 3 of the layer before.
fn tasks(shape: &str, n: usize) -> Vec<Task> {
    match shape {
        "independent" => (0..n).map(|i| task(i, &[])).collect(),
        _ => {
            let width = 100;
            let mut rng = Rng(0x5eed_0001);
            (0..n)
                .map(|i| {
                    let layer = i / width;
                    if layer == 0 {
                        return task(i, &[]);
                    }
                    let mut blockers = Vec::new();
                    while blockers.len() < 3 {
                        let b = (layer - 1) * width + rng.below(width as u64) as usize;
                        if !blockers.contains(&b) {
                            blockers.push(b);
                        }
                    }
                    task(i, &blockers)
                })
                .collect()
        }
    }
}

/// The peak resident set of this process, in MB (Linux), 0 where unknown.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One overhead case, in this (child) process; prints `RESULT <secs> <moves> <rss>`.
fn child(board: &str, shape: &str, n: usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store: Arc<dyn TaskStore> = match board {
            "memory" => Arc::new(MemoryBoard::new()),
            _ => Arc::new(
                SqliteBoard::open(dir.path().join("board.sqlite"))
                    .await
                    .expect("the board opens"),
            ),
        };
        let all = tasks(shape, n);
        let edges: usize = all.iter().map(|t| t.blocked_by.len()).sum();
        for t in all {
            store.insert(t).await.expect("insert");
        }
        let config = EngineConfig {
            max_agents: SLOTS,
            promote: false,
            ..EngineConfig::default()
        };
        let engine = Engine::new(
            Arc::clone(&store),
            Arc::new(InstantRuntime),
            Arc::new(InstantForge),
        )
        .with_config(config);
        let mut events = engine.events().subscribe();
        let counter = tokio::spawn(async move {
            let mut moves = 0u64;
            while let Some(e) = events.recv().await {
                if matches!(e, Event::TaskMoved { .. }) {
                    moves += 1;
                }
            }
            moves
        });
        let started = Instant::now();
        let report = engine.run().await.expect("the run ends");
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(report.completed, n, "every task completes: {report:?}");
        let moves = counter.await.expect("the counter ends");
        println!("RESULT {secs} {moves} {} {edges}", peak_rss_mb());
    });
}

struct Row {
    board: String,
    shape: String,
    n: usize,
    outcome: Result<(f64, u64, f64, usize), String>,
}

fn run_case(board: &str, shape: &str, n: usize, timeout: Duration) -> Row {
    let exe = std::env::current_exe().expect("this bench's path");
    let mut child = Command::new(exe)
        .env("OPS_BENCH_CHILD", format!("{board}:{shape}:{n}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the case starts");
    let started = Instant::now();
    let outcome = loop {
        match child.try_wait().expect("the case can be waited for") {
            Some(status) => {
                let out = child.wait_with_output().expect("its output");
                let text = String::from_utf8_lossy(&out.stdout).to_string();
                break text
                    .lines()
                    .find_map(|l| l.strip_prefix("RESULT "))
                    .map(|r| {
                        let f: Vec<&str> = r.split_whitespace().collect();
                        (
                            f[0].parse().unwrap_or(f64::NAN),
                            f[1].parse().unwrap_or(0),
                            f[2].parse().unwrap_or(f64::NAN),
                            f[3].parse().unwrap_or(0),
                        )
                    })
                    .ok_or_else(|| format!("failed ({status})"));
            }
            None if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("did not finish in {} s", timeout.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    Row {
        board: board.into(),
        shape: shape.into(),
        n,
        outcome,
    }
}

fn print_rows(rows: &[Row]) {
    println!();
    println!(
        "| board  | shape       | tasks   | edges  | run (s)  | µs/task  | moves/s   | peak RSS (MB) |"
    );
    println!(
        "|--------|-------------|---------|--------|----------|----------|-----------|---------------|"
    );
    for r in rows {
        match &r.outcome {
            Ok((secs, moves, rss, edges)) => println!(
                "| {:<6} | {:<11} | {:>7} | {:>6} | {:>8.2} | {:>8.1} | {:>9.0} | {:>13.1} |",
                r.board,
                r.shape,
                r.n,
                edges,
                secs,
                secs * 1e6 / r.n as f64,
                *moves as f64 / secs,
                rss
            ),
            Err(why) => println!(
                "| {:<6} | {:<11} | {:>7} |        | {why} |",
                r.board, r.shape, r.n
            ),
        }
    }
}

/// One random DAG of 200 tasks: each waits for each of the 20 before it with
/// probability 1/10; agent durations 1..=60 minutes.
fn random_dag(seed: u64) -> (Vec<Task>, BTreeMap<TaskId, u64>) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut tasks = Vec::new();
    let mut minutes = BTreeMap::new();
    for i in 0..200usize {
        let blockers: Vec<usize> = (i.saturating_sub(20)..i)
            .filter(|_| rng.below(10) == 0)
            .collect();
        let t = task(i, &blockers);
        minutes.insert(t.id.clone(), 1 + rng.below(60));
        tasks.push(t);
    }
    (tasks, minutes)
}

/// Makespan of a schedule that starts a wave only when the one before has ended,
/// each wave packed longest-first onto the slots.
fn wave_barrier(graph: &TaskGraph, minutes: &BTreeMap<TaskId, u64>) -> u64 {
    let mut waves: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for (t, w) in graph.waves() {
        waves.entry(w).or_default().push(minutes[&t]);
    }
    waves
        .into_values()
        .map(|mut ds| {
            ds.sort_unstable_by(|a, b| b.cmp(a));
            let mut slots = [0u64; SLOTS];
            for d in ds {
                let least = slots.iter_mut().min().expect("slots");
                *least += d;
            }
            slots.into_iter().max().unwrap_or(0)
        })
        .sum()
}

fn lower_bound(graph: &TaskGraph, minutes: &BTreeMap<TaskId, u64>) -> f64 {
    let mut longest: BTreeMap<TaskId, u64> = BTreeMap::new();
    for t in graph.topological() {
        let start = graph.blockers(&t).map(|b| longest[b]).max().unwrap_or(0);
        longest.insert(t.clone(), start + minutes[&t]);
    }
    let critical = longest.values().copied().max().unwrap_or(0) as f64;
    let work = minutes.values().sum::<u64>() as f64 / SLOTS as f64;
    critical.max(work)
}

fn quality() {
    let mut vs_bound = Vec::new();
    let mut vs_waves = Vec::new();
    for seed in 1..=20 {
        let (tasks, minutes) = random_dag(seed);
        let graph = TaskGraph::from_tasks(&tasks).expect("acyclic");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a runtime");
        let makespan = rt.block_on(async {
            let board = Arc::new(MemoryBoard::new());
            for t in tasks {
                board.insert(t).await.expect("insert");
            }
            let durations = minutes.clone();
            let dispatcher = FakeDispatcher::new(move |b: &Brief| {
                FakeAgent::succeed_after(Duration::from_secs(60 * durations[&b.task.id]))
            });
            let config = EngineConfig {
                max_agents: SLOTS,
                promote: false,
                ..EngineConfig::default()
            };
            let engine = Engine::new(board, Arc::new(dispatcher), Arc::new(FakeShipper::new()))
                .with_config(config);
            let start = tokio::time::Instant::now();
            let report = engine.run().await.expect("the run ends");
            assert_eq!(report.completed, 200, "{report:?}");
            start.elapsed().as_secs_f64() / 60.0
        });
        vs_bound.push(makespan / lower_bound(&graph, &minutes));
        vs_waves.push(makespan / wave_barrier(&graph, &minutes) as f64);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    let worst = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
    println!();
    println!("scheduling quality, 20 random DAGs of 200 tasks, {SLOTS} slots:");
    println!("| makespan ÷      | median | worst  |");
    println!("|-----------------|--------|--------|");
    println!(
        "| lower bound     | {:>6.3} | {:>6.3} |",
        median(&mut vs_bound),
        worst(&vs_bound)
    );
    println!(
        "| wave barrier    | {:>6.3} | {:>6.3} |",
        median(&mut vs_waves),
        worst(&vs_waves)
    );
}

/// The graph alone at 100,000 tasks (layers of 100, 3 blockers each): built
/// at once from the tasks, grown one task and edge at a time (as the feed
/// grows it), and its waves, in ms each (the numbers the choice of graph
/// rests on).
fn graph_alone() {
    let all = tasks("layered", 100_000);
    let edges: usize = all.iter().map(|t| t.blocked_by.len()).sum();
    let started = Instant::now();
    let built = TaskGraph::from_tasks(&all).expect("acyclic");
    let at_once = started.elapsed();
    let started = Instant::now();
    let mut grown = TaskGraph::new();
    for t in &all {
        grown.add_task(t.id.clone());
        for b in &t.blocked_by {
            grown.add_dependency(b, &t.id).expect("acyclic");
        }
    }
    let one_by_one = started.elapsed();
    let started = Instant::now();
    let waves = built.waves();
    let wave_time = started.elapsed();
    assert_eq!(waves.len(), all.len());
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!("task graph alone, 100,000 tasks, {edges} edges (ms):");
    println!("| from_tasks | one edge at a time | waves  |");
    println!("|------------|--------------------|--------|");
    println!(
        "| {:>10.1} | {:>18.1} | {:>6.1} |",
        ms(at_once),
        ms(one_by_one),
        ms(wave_time)
    );
}

/// How soon a running engine sees tasks another process puts on its SQLite
/// board: one task holds a slot for the whole measure, a second connection
/// (as a second process has) inserts 10 tasks of other repositories 300 ms
/// apart, and each latency is its insert to its agent's start.
fn feed_latency() {
    const ADDED: usize = 10;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut latencies: Vec<f64> = rt.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("board.sqlite");
        let store = Arc::new(SqliteBoard::open(&path).await.expect("the board opens"));
        store.insert(task(0, &[])).await.expect("insert");
        let hold = id(0);
        let dispatcher = FakeDispatcher::new(move |b: &Brief| {
            FakeAgent::succeed_after(if b.task.id == hold {
                Duration::from_millis(300 * (ADDED as u64 + 3))
            } else {
                Duration::ZERO
            })
        });
        let config = EngineConfig {
            max_agents: SLOTS,
            promote: false,
            ..EngineConfig::default()
        };
        let engine = Engine::new(store, Arc::new(dispatcher), Arc::new(FakeShipper::new()))
            .with_config(config);
        let mut events = engine.events().subscribe();
        let started = tokio::spawn(async move {
            let mut at = BTreeMap::new();
            while let Some(e) = events.recv().await {
                if let Event::AgentStarted { task, .. } = e {
                    at.entry(task).or_insert_with(Instant::now);
                }
            }
            at
        });
        let run = tokio::spawn(engine.run());
        let other = SqliteBoard::open(&path).await.expect("a second connection");
        let mut inserted = BTreeMap::new();
        tokio::time::sleep(Duration::from_millis(300)).await;
        for i in 1..=ADDED {
            other.insert(task(i, &[])).await.expect("insert");
            inserted.insert(id(i), Instant::now());
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let report = run.await.expect("the run ends").expect("the run ends");
        assert_eq!(report.completed, ADDED + 1, "{report:?}");
        let at = started.await.expect("the listener ends");
        inserted
            .iter()
            .map(|(t, i)| at[t].duration_since(*i).as_secs_f64() * 1e3)
            .collect()
    });
    latencies.sort_by(f64::total_cmp);
    println!();
    println!(
        "change feed, {ADDED} tasks inserted by a second connection into a running engine's SQLite board (ms from insert to agent start):"
    );
    println!("| median | worst  |");
    println!("|--------|--------|");
    println!(
        "| {:>6.0} | {:>6.0} |",
        latencies[ADDED / 2],
        latencies[ADDED - 1]
    );
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn main() {
    if let Ok(case) = std::env::var("OPS_BENCH_CHILD") {
        let parts: Vec<&str> = case.split(':').collect();
        child(parts[0], parts[1], parts[2].parse().expect("a size"));
        return;
    }
    let timeout = Duration::from_secs(env_or("OPS_BENCH_TIMEOUT_S", "600").parse().unwrap_or(600));
    let sizes: Vec<usize> = env_or("OPS_BENCH_SIZES", "1000,10000,100000")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let boards = env_or("OPS_BENCH_BOARDS", "memory,sqlite");
    let mut rows = Vec::new();
    for board in boards.split(',').filter(|b| !b.is_empty()) {
        for &n in &sizes {
            let row = run_case(board, "independent", n, timeout);
            print_rows(std::slice::from_ref(&row));
            rows.push(row);
        }
        if env_or("OPS_BENCH_LAYERED", "1") != "0" {
            let row = run_case(board, "layered", 10_000, timeout);
            print_rows(std::slice::from_ref(&row));
            rows.push(row);
        }
    }
    println!("\nengine overhead, instant agents and shipper, {SLOTS} slots:");
    print_rows(&rows);
    if env_or("OPS_BENCH_QUALITY", "1") != "0" {
        quality();
    }
    if env_or("OPS_BENCH_GRAPH", "1") != "0" {
        graph_alone();
    }
    if env_or("OPS_BENCH_FEED", "1") != "0" {
        feed_latency();
    }
}
