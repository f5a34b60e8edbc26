//! Every in-crate backend and fake passes its seam's conformance suite.

use ops_core::conformance::{self, DispatcherProbe};
use ops_core::engine::brief;
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeGate, FakeShipper, FakeSource};
use ops_core::model::{Finding, Priority, Project, Task, TaskId};
use ops_core::seams::{GateVerdict, WorkRef};
use ops_core::{MemoryBoard, SqliteBoard};
use std::time::Duration;

fn task(id: &str) -> Task {
    Task::new(
        TaskId::new(id).expect("valid"),
        format!("task {id}"),
        "p",
        "repo",
    )
}

fn work(branch: &str, summary: &str) -> WorkRef {
    WorkRef {
        branch: branch.into(),
        worktree: None,
        summary: summary.into(),
    }
}

#[tokio::test]
async fn memory_board_passes_the_board_suite() {
    conformance::board(&MemoryBoard::new()).await;
}

#[tokio::test]
async fn sqlite_board_passes_the_board_suite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let board = SqliteBoard::open(dir.path().join("board.sqlite"))
        .await
        .expect("open");
    conformance::board(&board).await;
}

#[tokio::test]
async fn sqlite_board_keeps_everything_across_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("board.sqlite");
    let board = SqliteBoard::open(&path).await.expect("open");
    use ops_core::TaskStore;
    let mut t = task("kept");
    t.description = "survives".into();
    let stored = board.insert(t).await.expect("insert");
    drop(board);
    let board = SqliteBoard::open(&path).await.expect("reopen");
    assert_eq!(board.get(&stored.id).await.expect("get"), Some(stored));
}

fn dispatcher_probe() -> DispatcherProbe {
    DispatcherProbe {
        finishing: brief::compose(&task("quick"), 1),
        long_running: brief::compose(&task("slow"), 1),
        limit: Duration::from_secs(5),
    }
}

fn scripted() -> FakeDispatcher {
    FakeDispatcher::new(|b| {
        if b.task.id.as_str() == "quick" {
            FakeAgent::succeed_after(Duration::from_millis(10))
        } else {
            FakeAgent::Hang
        }
    })
}

#[tokio::test]
async fn steerable_fake_dispatcher_passes_the_dispatcher_suite() {
    let d = scripted();
    conformance::dispatcher(&d, dispatcher_probe()).await;
    assert_eq!(
        d.log().messages.len(),
        1,
        "the message reached the fake agent"
    );
}

#[tokio::test]
async fn fake_dispatcher_that_is_not_steerable_passes_the_dispatcher_suite() {
    let d = scripted().not_steerable();
    conformance::dispatcher(&d, dispatcher_probe()).await;
    assert!(d.log().messages.is_empty());
}

#[tokio::test]
async fn fake_gate_passes_the_gate_suite() {
    let g = FakeGate::new("summary", |_, w| {
        if w.summary.contains("tests pass") {
            GateVerdict::pass("ok")
        } else {
            GateVerdict::fail("the summary does not say the tests pass")
        }
    });
    conformance::gate(
        &g,
        &task("g"),
        &work("b", "tests pass"),
        &work("b", "gave up"),
    )
    .await;
    assert_eq!(g.calls().len(), 3);
}

#[tokio::test]
async fn fake_shipper_passes_the_shipper_suite() {
    let s = FakeShipper::new();
    conformance::shipper(&s, &task("s"), &work("ops/s", ""), Duration::from_secs(1)).await;
    assert_eq!(s.merges().len(), 1, "merged exactly once");
}

#[tokio::test]
async fn fake_source_passes_the_source_suite() {
    let finding = |n: u8, project: &str| Finding {
        source: "fake".into(),
        kind: "todo".into(),
        project: project.into(),
        repo: "repo".into(),
        title: format!("finding {n}"),
        detail: String::new(),
        priority: Priority::P2,
        fingerprint: format!("fp-{n}"),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    };
    let src = FakeSource::new(
        "fake",
        vec![finding(1, "web"), finding(2, "web"), finding(3, "api")],
    );
    let project = Project {
        alias: "web".into(),
        ..Project::default()
    };
    conformance::source(&src, &project).await;
}
