//! Two `ops` worker processes on one SQLite board: the board's compare-and-set
//! claims must keep them from ever taking the same task, while both get work.

use ops_core::model::{AttemptOutcome, Task, TaskId, TaskStatus};
use ops_core::{SqliteBoard, TaskStore};
use ops_e2e::dispatch_log;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// How long each fake agent works. Long enough that one worker cannot drain the
/// board before the other has started.
const AGENT_MILLIS: &str = "30";
/// Independent tasks, each in its own repository so ownership never serialises them.
const INDEPENDENT: usize = 30;
/// Dependency chains, and how long each is.
const CHAINS: [&str; 3] = ["a", "b", "c"];
const CHAIN_LENGTH: usize = 4;
/// Far beyond the few seconds the scenario takes; only a hang gets here.
const TIMEOUT: Duration = Duration::from_secs(120);

fn id(s: &str) -> TaskId {
    TaskId::new(s).expect("valid id in test")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Puts the independent tasks and the chains on the board; returns every id and
/// each chain in order.
fn seed(board_path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut ids = Vec::new();
    let mut chains = Vec::new();
    runtime().block_on(async {
        let board = SqliteBoard::open(board_path).await.expect("open board");
        for n in 0..INDEPENDENT {
            let name = format!("solo-{n:02}");
            board
                .insert(Task::new(
                    id(&name),
                    format!("independent task {n}"),
                    "e2e",
                    format!("repo-{name}"),
                ))
                .await
                .expect("insert");
            ids.push(name);
        }
        for chain in CHAINS {
            let mut links: Vec<String> = Vec::new();
            for step in 1..=CHAIN_LENGTH {
                let name = format!("chain-{chain}-{step}");
                let mut task = Task::new(
                    id(&name),
                    format!("step {step} of chain {chain}"),
                    "e2e",
                    format!("repo-{name}"),
                );
                if let Some(previous) = links.last() {
                    task.blocked_by.insert(id(previous));
                }
                board.insert(task).await.expect("insert");
                links.push(name.clone());
                ids.push(name);
            }
            chains.push(links);
        }
    });
    (ids, chains)
}

/// A running `board-worker`, killed if the test ends before it does.
struct Worker {
    name: &'static str,
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Worker {
    fn spawn(name: &'static str, board: &Path, log: &Path, dir: &Path) -> Worker {
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        let child = Command::new(env!("CARGO_BIN_EXE_board-worker"))
            .arg(board)
            .arg(log)
            .arg(name)
            .arg(AGENT_MILLIS)
            .stdout(File::create(&stdout).expect("stdout file"))
            .stderr(File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("start board-worker");
        Worker {
            name,
            child,
            stdout,
            stderr,
        }
    }

    /// What the worker printed, for assertions and failure messages.
    fn output(&self) -> String {
        let read =
            |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| format!("<unreadable: {e}>"));
        format!(
            "--- {} stdout:\n{}--- {} stderr:\n{}",
            self.name,
            read(&self.stdout),
            self.name,
            read(&self.stderr)
        )
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).expect("read stderr")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for every worker until `TIMEOUT`; on timeout kills them and fails.
fn wait_all(workers: &mut [Worker]) -> Vec<ExitStatus> {
    let deadline = Instant::now() + TIMEOUT;
    let mut statuses: Vec<Option<ExitStatus>> = vec![None; workers.len()];
    while statuses.iter().any(Option::is_none) {
        for (worker, status) in workers.iter_mut().zip(&mut statuses) {
            if status.is_none() {
                *status = worker.child.try_wait().expect("poll worker");
            }
        }
        if Instant::now() > deadline {
            let output: Vec<String> = workers.iter().map(Worker::output).collect();
            for worker in workers.iter_mut() {
                let _ = worker.child.kill();
            }
            panic!(
                "the workers did not finish within {TIMEOUT:?}:\n{}",
                output.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    statuses.into_iter().flatten().collect()
}

#[test]
fn two_workers_on_one_board_never_take_the_same_task() {
    let dir = tempfile::tempdir().expect("tempdir");
    let board = dir.path().join("board.sqlite");
    let log = dir.path().join("dispatch.log");
    let (ids, chains) = seed(&board);

    let mut workers = [
        Worker::spawn("worker-a", &board, &log, dir.path()),
        Worker::spawn("worker-b", &board, &log, dir.path()),
    ];
    let statuses = wait_all(&mut workers);
    let output: String = workers
        .iter()
        .map(Worker::output)
        .collect::<Vec<_>>()
        .join("\n");
    for (worker, status) in workers.iter().zip(&statuses) {
        assert!(
            status.success(),
            "{} exited with {status}:\n{output}",
            worker.name
        );
        let stderr = worker.stderr();
        assert!(
            !stderr.contains("warning:") && !stderr.contains("took over"),
            "{} reported trouble:\n{output}",
            worker.name
        );
    }

    // Every task is completed, after exactly one attempt that shipped.
    let tasks: Vec<Task> = runtime().block_on(async {
        let board = SqliteBoard::open(&board).await.expect("open board");
        board.list().await.expect("list")
    });
    assert_eq!(tasks.len(), ids.len());
    for task in &tasks {
        assert_eq!(
            task.status,
            TaskStatus::Completed,
            "{}: {:?}\n{output}",
            task.id,
            task.status_reason
        );
        assert_eq!(
            task.attempts.len(),
            1,
            "{} was attempted more than once:\n{output}",
            task.id
        );
        assert_eq!(
            task.attempts[0].outcome,
            Some(AttemptOutcome::Shipped),
            "{}",
            task.id
        );
        assert_eq!(task.lease, None, "{} still holds a lease", task.id);
    }

    // Every task was dispatched exactly once, by one of the two workers.
    let dispatched = dispatch_log::read(&log).expect("well-formed dispatch log");
    let mut times: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in &dispatched {
        *times.entry(entry.task.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "dispatched more than once: {twice:?}\n{output}"
    );
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(
        times.keys().copied().collect::<Vec<_>>(),
        expected,
        "every task dispatched"
    );

    // Both workers did part of the work.
    for worker in &workers {
        let mine = dispatched
            .iter()
            .filter(|d| d.worker == worker.name)
            .count();
        assert!(
            mine > 0,
            "{} dispatched nothing; the other drained the board:\n{output}",
            worker.name
        );
    }

    // Across processes, a dependent started only after its blocker was dispatched.
    let position: BTreeMap<&str, usize> = dispatched
        .iter()
        .enumerate()
        .map(|(i, d)| (d.task.as_str(), i))
        .collect();
    for chain in &chains {
        for pair in chain.windows(2) {
            assert!(
                position[pair[0].as_str()] < position[pair[1].as_str()],
                "{} started before its blocker {}",
                pair[1],
                pair[0]
            );
        }
    }
}
