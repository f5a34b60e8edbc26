//! What survives a run that stops early: a promotion lost to a crash is made up by
//! the next run, and interrupts leave a board the next run resumes. Tokio's paused
//! clock, fake backends.

mod common;

use async_trait::async_trait;
use common::{Harness, drain, id, task};
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeShipper};
use ops_core::model::{AttemptOutcome, Task, TaskStatus};
use ops_core::seams::{
    ChangeRef, ChecksState, MergeOutcome, PromoteOutcome, ShipperCapabilities, WorkRef,
};
use ops_core::{Event, HaltReason, Shipper};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

/// What the first run's promotion does instead of promoting.
#[derive(Clone)]
enum Broken {
    /// Never returns: the run is killed while promoting.
    Hangs,
    /// Tells `entered`, then never returns.
    HangsAndTells(Arc<tokio::sync::Notify>),
    /// Says dev is not green.
    Skips,
}

/// The fake forge, except that `promote` is broken.
struct BrokenPromotion {
    inner: FakeShipper,
    how: Broken,
}

#[async_trait]
impl Shipper for BrokenPromotion {
    fn name(&self) -> &str {
        "broken-promotion"
    }
    fn capabilities(&self) -> ShipperCapabilities {
        self.inner.capabilities()
    }
    async fn open_change(&self, task: &Task, work: &WorkRef) -> ops_core::Result<ChangeRef> {
        self.inner.open_change(task, work).await
    }
    async fn checks(&self, change: &ChangeRef) -> ops_core::Result<ChecksState> {
        self.inner.checks(change).await
    }
    async fn merge(&self, change: &ChangeRef) -> ops_core::Result<MergeOutcome> {
        self.inner.merge(change).await
    }
    async fn promote(&self, _project: &str, _repo: &str) -> ops_core::Result<PromoteOutcome> {
        match &self.how {
            Broken::Hangs => std::future::pending().await,
            Broken::HangsAndTells(entered) => {
                entered.notify_one();
                std::future::pending().await
            }
            Broken::Skips => Ok(PromoteOutcome::Skipped {
                reason: "dev's head is not green".into(),
            }),
        }
    }
}

/// A run of `h` whose shipper's promotion is broken `how`.
fn broken_run(h: &Harness, how: Broken) -> ops_core::Engine {
    ops_core::Engine::new(
        h.board.clone(),
        Arc::new(h.dispatcher.clone()),
        Arc::new(BrokenPromotion {
            inner: h.shipper.clone(),
            how,
        }),
    )
    .with_config(h.config.clone())
}

#[tokio::test(start_paused = true)]
async fn a_run_killed_after_merging_and_before_promoting_has_the_next_run_promote() {
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.seed(vec![task("a", &[]), task("b", &["a"])]).await;

    // First run: everything merges, then it dies in the promotion (a kill -9).
    let crashed = tokio::time::timeout(minutes(60), broken_run(&h, Broken::Hangs).run()).await;
    assert!(crashed.is_err(), "the first run never got past promoting");
    assert_eq!(h.shipper.merges(), [id("a"), id("b")]);
    assert!(h.shipper.promotions().is_empty());
    for n in ["a", "b"] {
        let t = h.get(n).await;
        assert_eq!(t.status, TaskStatus::Completed, "{n}");
        assert_eq!(t.promoted_at, None, "{n}: no promotion recorded");
    }

    // Second run: no work left, but dev still has to reach main.
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("second run");
    assert_eq!(report.halt, HaltReason::AllDone);
    assert!(report.shipped.is_empty(), "nothing merged again");
    assert_eq!(h.shipper.merges(), [id("a"), id("b")]);
    assert_eq!(
        report.promoted,
        [
            (
                "repo-a".to_string(),
                PromoteOutcome::Promoted {
                    sha: "main-of-repo-a".into()
                }
            ),
            (
                "repo-b".to_string(),
                PromoteOutcome::Promoted {
                    sha: "main-of-repo-b".into()
                }
            ),
        ]
    );
    for n in ["a", "b"] {
        assert!(h.get(n).await.promoted_at.is_some(), "{n}: recorded");
    }
    let announced: Vec<String> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            Event::Promoted { repo, .. } => Some(repo),
            _ => None,
        })
        .collect();
    assert_eq!(announced, ["repo-a", "repo-b"]);

    // Third run: nothing new to promote, and nothing fails.
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("third run");
    assert_eq!(report.halt, HaltReason::AllDone);
    assert!(report.promoted.is_empty(), "{:?}", report.promoted);
    assert_eq!(h.shipper.promotions(), ["repo-a", "repo-b"]);
}

#[tokio::test(start_paused = true)]
async fn a_skipped_promotion_is_not_recorded_and_a_later_run_tries_again() {
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.seed(vec![task("a", &[])]).await;
    let report = broken_run(&h, Broken::Skips).run().await.expect("run");
    assert!(
        matches!(&report.promoted[..], [(repo, PromoteOutcome::Skipped { .. })] if repo == "repo-a"),
        "{:?}",
        report.promoted
    );
    assert_eq!(h.get("a").await.promoted_at, None);
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("run");
    assert!(
        matches!(&report.promoted[..], [(repo, PromoteOutcome::Promoted { .. })] if repo == "repo-a"),
        "{:?}",
        report.promoted
    );
    assert!(h.get("a").await.promoted_at.is_some());
}

#[tokio::test(start_paused = true)]
async fn no_main_leaves_merges_unpromoted_for_a_later_run_that_promotes() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.config.promote = false;
    h.seed(vec![task("a", &[])]).await;
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("run");
    assert!(report.promoted.is_empty());
    assert!(h.shipper.promotions().is_empty());
    h.config.promote = true;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    assert_eq!(h.shipper.promotions(), ["repo-a"]);
}

#[tokio::test(start_paused = true)]
async fn after_the_first_interrupt_work_in_flight_ships_and_dependents_do_not_start() {
    // a's agent runs; s already waits for its checks. After the interrupt both
    // ship; b (after a) and c (free once a no longer holds its repo) never start.
    let green = Arc::new(AtomicBool::new(false));
    let g2 = Arc::clone(&green);
    let mut h = Harness::new(FakeDispatcher::new(|b| match b.task.id.as_str() {
        "s" => FakeAgent::succeed_after(Duration::from_secs(10)),
        _ => FakeAgent::succeed_after(minutes(10)),
    }));
    h.config.max_agents = 2;
    h.shipper = FakeShipper::with_checks(move |_| {
        if g2.load(Ordering::SeqCst) {
            ChecksState::Passed
        } else {
            ChecksState::Pending
        }
    });
    let mut s = task("s", &[]);
    s.priority = ops_core::model::Priority::P0;
    let mut a = task("a", &[]);
    a.priority = ops_core::model::Priority::P1;
    let mut c = task("c", &[]);
    c.repo = a.repo.clone();
    h.seed(vec![s, a, task("b", &["a"]), c]).await;
    let (engine, _events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    tokio::time::sleep(minutes(1)).await;
    assert_eq!(h.get("s").await.status, TaskStatus::Shipping);
    handle.interrupt();
    tokio::time::sleep(minutes(2)).await;
    green.store(true, Ordering::SeqCst);
    let report = run.await.expect("join").expect("run");
    assert_eq!(report.halt, HaltReason::Interrupted);
    for n in ["a", "s"] {
        assert_eq!(h.get(n).await.status, TaskStatus::Completed, "{n} shipped");
    }
    for n in ["b", "c"] {
        let t = h.get(n).await;
        assert_eq!(
            (t.status, t.attempts.len()),
            (TaskStatus::Pending, 0),
            "{n}"
        );
    }
    let briefs: Vec<String> = h
        .dispatcher
        .log()
        .briefs
        .iter()
        .map(|b| b.task.id.to_string())
        .collect();
    assert_eq!(briefs, ["s", "a"], "nothing dispatched after the interrupt");
    assert!(
        report.promoted.is_empty(),
        "an interrupted run does not promote"
    );
}

#[tokio::test(start_paused = true)]
async fn after_the_second_interrupt_the_next_run_resumes_every_task_from_the_board() {
    // a's agent runs (its worktree recorded); s waits for checks that stay pending.
    let green = Arc::new(AtomicBool::new(false));
    let g2 = Arc::clone(&green);
    let mut h = Harness::new(
        FakeDispatcher::new(|b| match b.task.id.as_str() {
            "s" => FakeAgent::succeed_after(Duration::from_secs(10)),
            _ => FakeAgent::succeed_after(minutes(10)),
        })
        .with_worktrees("/worktrees"),
    );
    h.shipper = FakeShipper::with_checks(move |_| {
        if g2.load(Ordering::SeqCst) {
            ChecksState::Passed
        } else {
            ChecksState::Pending
        }
    });
    h.seed(vec![task("a", &[]), task("s", &[])]).await;
    let (engine, _events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    tokio::time::sleep(minutes(1)).await;
    handle.interrupt();
    handle.interrupt();
    let report = run.await.expect("join").expect("run");
    assert_eq!(report.halt, HaltReason::Interrupted);
    assert!(
        h.dispatcher.log().running.is_empty(),
        "no agent left running"
    );

    let a = h.get("a").await;
    assert_eq!(a.status, TaskStatus::Pending);
    assert!(a.lease.is_none(), "lease released");
    assert_eq!(
        a.worktree.as_deref(),
        Some(std::path::Path::new("/worktrees/a")),
        "the worktree is kept for the next attempt"
    );
    assert!(matches!(
        a.attempts[..],
        [ops_core::model::Attempt {
            outcome: Some(AttemptOutcome::Interrupted { .. }),
            ..
        }]
    ));
    let s = h.get("s").await;
    assert_eq!(s.status, TaskStatus::Shipping, "resumes at its step");
    assert!(s.lease.is_none(), "lease released");
    assert!(h.shipper.merges().is_empty());

    // The next run picks both up: a from the queue, s at its shipping step.
    green.store(true, Ordering::SeqCst);
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("next run");
    assert_eq!(report.halt, HaltReason::AllDone);
    let mut merges = h.shipper.merges();
    merges.sort();
    assert_eq!(merges, [id("a"), id("s")], "each merged exactly once");
    let a = h.get("a").await;
    assert_eq!(a.attempts.len(), 2);
    assert_eq!(a.counted_attempts(), 0, "an interrupt uses up no attempt");
    let briefs: Vec<String> = h
        .dispatcher
        .log()
        .briefs
        .iter()
        .map(|b| b.task.id.to_string())
        .collect();
    assert_eq!(briefs, ["a", "s", "a"], "s shipped without a new agent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_lost_to_a_kill_is_made_up_from_the_reopened_sqlite_board() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("board.sqlite");
    let dispatcher = FakeDispatcher::new(|_| FakeAgent::succeed_after(Duration::from_millis(20)));
    let shipper = FakeShipper::new();
    let config = ops_core::EngineConfig {
        board_poll: Duration::from_millis(50),
        checks_poll: Duration::from_millis(10),
        ..common::config()
    };
    let board = ops_core::SqliteBoard::open(&path).await.expect("open");
    for t in [task("a", &[]), task("b", &["a"])] {
        ops_core::TaskStore::insert(&board, t).await.expect("seed");
    }
    let entered = Arc::new(tokio::sync::Notify::new());
    let first = ops_core::Engine::new(
        Arc::new(board),
        Arc::new(dispatcher.clone()),
        Arc::new(BrokenPromotion {
            inner: shipper.clone(),
            how: Broken::HangsAndTells(Arc::clone(&entered)),
        }),
    )
    .with_config(config.clone());
    let run = tokio::spawn(first.run());
    tokio::time::timeout(Duration::from_secs(30), entered.notified())
        .await
        .expect("the first run reaches the promotion");
    // kill -9: the run's future is dropped mid-promotion, its board closed.
    run.abort();
    assert!(run.await.expect_err("aborted").is_cancelled());
    assert_eq!(shipper.merges(), [id("a"), id("b")]);

    let board = ops_core::SqliteBoard::open(&path).await.expect("reopen");
    let second = ops_core::Engine::new(
        Arc::new(board.clone()),
        Arc::new(dispatcher.clone()),
        Arc::new(shipper.clone()),
    )
    .with_config(config);
    let report = tokio::time::timeout(Duration::from_secs(30), second.run())
        .await
        .expect("the second run ends")
        .expect("second run");
    assert_eq!(report.halt, HaltReason::AllDone);
    assert!(report.shipped.is_empty(), "nothing merged twice");
    assert_eq!(shipper.merges(), [id("a"), id("b")]);
    assert_eq!(shipper.promotions(), ["repo-a", "repo-b"]);
    for n in ["a", "b"] {
        let t = ops_core::TaskStore::get(&board, &id(n))
            .await
            .expect("get")
            .expect("on the board");
        assert!(t.promoted_at.is_some(), "{n}: the record survives on disk");
    }
}
