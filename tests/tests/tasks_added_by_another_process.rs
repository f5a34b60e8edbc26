//! The board's change feed: while `ops run` works, a second process (this test)
//! puts tasks on the same SQLite board; the running engine takes them in through
//! the feed and does them, without a restart. (The engine no longer re-reads the
//! whole board on a pass: if the feed missed another process's writes, the run
//! would halt once its own task was done.) How fast they are seen is the
//! bench's business (`cargo bench -p ops-core --bench engine`).

use ops_core::model::{Task, TaskId, TaskStatus};
use ops_core::{SqliteBoard, TaskStore};
use ops_e2e::fleet::{Fleet, Started, Todo};
use ops_e2e::output;
use std::time::{Duration, Instant};

const TODOS: &[Todo] = &[Todo {
    alias: "solo",
    key: "first",
    title: "The first task",
    after: None,
}];

/// The first agent works this long: the inserts always land while it works.
const AGENT: &str = "--sleep-ms=3000";

/// Far beyond the seconds the run takes; only a hang gets there.
const RUN_LIMIT: Duration = Duration::from_secs(120);

#[test]
fn tasks_another_process_puts_on_the_board_of_a_running_ops_run_are_done_by_that_run() {
    let fleet = Fleet::new(TODOS);
    let run = Started::spawn(fleet.run(AGENT, &[]), &fleet.scratch(), "run");
    let until = Instant::now() + Duration::from_secs(60);
    while !run.stdout_so_far().contains("\"agent_started\"") {
        assert!(
            Instant::now() < until,
            "no agent started: {}",
            run.stdout_so_far()
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // The second process: two more tasks of the same project, one after the other.
    let first = fleet.board().into_iter().next().expect("the planned task");
    let added = ["added-later", "added-after-it"];
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let board = SqliteBoard::open(fleet.board_path())
                .await
                .expect("open the board");
            let mut blocker: Option<TaskId> = None;
            for id in added {
                let mut t = Task::new(
                    TaskId::new(id).expect("an id"),
                    format!("Task {id}"),
                    first.project.clone(),
                    first.repo.clone(),
                );
                t.blocked_by.extend(blocker.take());
                board.insert(t).await.expect("insert");
                blocker = Some(TaskId::new(id).expect("an id"));
            }
        });

    let ran = run.finish(RUN_LIMIT);
    assert!(
        ran.status.success(),
        "ops run exited with {:?}\nstdout:\n{}\nstderr:\n{}",
        ran.status.code(),
        ran.stdout,
        ran.stderr
    );
    let out = output::parse(&ran.stdout, false).unwrap_or_else(|e| panic!("{e}\n{}", ran.stdout));
    for id in added {
        assert!(
            out.events
                .iter()
                .any(|e| e["event"] == "agent_started" && e["task"] == id),
            "the running ops started an agent for {id}:\n{}",
            ran.stdout
        );
    }
    let board = fleet.board();
    assert_eq!(board.len(), 3, "{board:#?}");
    assert!(
        board.iter().all(|t| t.status == TaskStatus::Completed),
        "every task completed by the one run: {board:#?}"
    );
}
