//! The scheduler's behaviour, under tokio's paused clock with fake backends.

mod common;

use common::{Harness, drain, id, task};
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeGate, FakeShipper};
use ops_core::model::{AttemptOutcome, Lease, TaskStatus, Timestamp, WorkerId};
use ops_core::seams::{ChecksState, GateVerdict};
use ops_core::{Event, HaltReason, TaskStore};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Index of the event that moved `task` to `to` (the first such move).
pub fn moved_at(events: &[Event], task: &str, to: ops_core::model::TaskStatus) -> usize {
    events
        .iter()
        .position(|e| matches!(e, Event::TaskMoved { task: t, to: s, .. } if t.as_str() == task && *s == to))
        .unwrap_or_else(|| panic!("{task} never moved to {to}"))
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

#[tokio::test(start_paused = true)]
async fn a_chain_runs_in_order_ships_every_task_and_promotes_each_repo() {
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(2))
    }));
    h.seed(vec![task("a", &[]), task("b", &["a"]), task("c", &["b"])])
        .await;
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::AllDone);
    assert_eq!(report.shipped, [id("a"), id("b"), id("c")]);
    for n in ["a", "b", "c"] {
        let t = h.get(n).await;
        assert_eq!(t.status, TaskStatus::Completed, "{n}");
        assert_eq!(t.attempts.len(), 1);
        assert_eq!(t.attempts[0].outcome, Some(AttemptOutcome::Shipped));
        assert!(t.lease.is_none(), "a completed task holds no lease");
        assert_eq!(
            t.pr.as_deref().map(|p| p.starts_with("fake://pr/")),
            Some(true)
        );
    }
    assert_eq!(h.shipper.merges(), [id("a"), id("b"), id("c")]);
    assert_eq!(h.shipper.promotions(), ["repo-a", "repo-b", "repo-c"]);
    let order: Vec<String> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            Event::TaskMoved { task, to, .. } => Some(format!("{task}:{to}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [
            "a:in_progress",
            "a:auditing",
            "a:shipping",
            "a:completed",
            "b:in_progress",
            "b:auditing",
            "b:shipping",
            "b:completed",
            "c:in_progress",
            "c:auditing",
            "c:shipping",
            "c:completed",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_dependent_starts_the_moment_its_blocker_completes_without_waiting_for_the_wave() {
    // a (1 min) -> b; z runs 10 min in wave 1. b must start at ~1 min, not after z.
    let h = Harness::new(FakeDispatcher::new(|b| match b.task.id.as_str() {
        "z" => FakeAgent::succeed_after(minutes(10)),
        _ => FakeAgent::succeed_after(minutes(1)),
    }));
    h.seed(vec![task("a", &[]), task("b", &["a"]), task("z", &[])])
        .await;
    let (engine, mut events) = h.engine();
    let start = tokio::time::Instant::now();
    engine.run().await.expect("run");
    let events = drain(&mut events);
    assert!(
        moved_at(&events, "b", TaskStatus::InProgress)
            < moved_at(&events, "z", TaskStatus::Auditing),
        "b started before z's agent finished"
    );
    // Paused clock: the whole run takes z's 10 minutes, not 10 + 1.
    assert!(start.elapsed() < minutes(11), "{:?}", start.elapsed());
}

#[tokio::test(start_paused = true)]
async fn never_more_than_max_agents_and_p0_goes_first() {
    let mut tasks: Vec<_> = (0..12).map(|i| task(&format!("t{i:02}"), &[])).collect();
    tasks[11].priority = ops_core::model::Priority::P0;
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(3))
    }));
    h.config.max_agents = 3;
    h.seed(tasks).await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    let log = h.dispatcher.log();
    assert_eq!(log.max_concurrent, 3);
    assert_eq!(
        log.briefs[0].task.id,
        id("t11"),
        "the P0 task is dispatched first"
    );
    assert_eq!(log.briefs.len(), 12);
}

#[tokio::test(start_paused = true)]
async fn tasks_sharing_a_repo_run_together_only_with_disjoint_paths() {
    let mut a = task("a", &[]);
    let mut b = task("b", &[]);
    let mut c = task("c", &[]);
    for t in [&mut a, &mut b, &mut c] {
        t.repo = "shared".into();
    }
    a.paths = vec!["src/api".into()];
    b.paths = vec!["docs".into()];
    c.paths = vec!["src".into()];
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(5))
    }));
    h.seed(vec![a, b, c]).await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    let log = h.dispatcher.log();
    assert!(
        log.ownership_overlaps.is_empty(),
        "{:?}",
        log.ownership_overlaps
    );
    assert_eq!(
        log.max_concurrent, 2,
        "a and b together; c (owns src) after a"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_attempt_is_retried_with_its_failure_in_the_next_brief() {
    let tries = Arc::new(AtomicU32::new(0));
    let t2 = Arc::clone(&tries);
    let h = Harness::new(FakeDispatcher::new(move |_| {
        if t2.fetch_add(1, Ordering::SeqCst) < 2 {
            FakeAgent::Fail {
                duration: minutes(1),
                reason: "cargo build: error[E0425] in src/lib.rs".into(),
            }
        } else {
            FakeAgent::succeed_after(minutes(1))
        }
    }));
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    engine.run().await.expect("run");
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Completed);
    assert_eq!(t.attempts.len(), 3);
    let briefs: Vec<String> = h
        .dispatcher
        .log()
        .briefs
        .iter()
        .map(|b| b.text.clone())
        .collect();
    assert!(!briefs[0].contains("E0425"));
    assert!(briefs[1].contains("E0425"), "{}", briefs[1]);
    assert_ne!(briefs[1], briefs[2]);
    let retries = drain(&mut events)
        .iter()
        .filter(|e| matches!(e, Event::Retrying { .. }))
        .count();
    assert_eq!(retries, 2);
}

#[tokio::test(start_paused = true)]
async fn after_max_attempts_a_task_is_blocked_with_the_reason_and_so_are_its_dependents() {
    let h = Harness::new(FakeDispatcher::new(|b| match b.task.id.as_str() {
        "bad" => FakeAgent::Fail {
            duration: minutes(1),
            reason: "tests keep failing".into(),
        },
        _ => FakeAgent::succeed_after(minutes(1)),
    }));
    h.seed(vec![
        task("bad", &[]),
        task("dep", &["bad"]),
        task("dep2", &["dep"]),
        task("free", &[]),
    ])
    .await;
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::OnlyBlockedWork);
    let bad = h.get("bad").await;
    assert_eq!(bad.status, TaskStatus::Blocked);
    assert_eq!(bad.attempts.len(), 3, "max_attempts defaults to 3");
    assert!(
        bad.status_reason
            .as_deref()
            .is_some_and(|r| r.contains("3 attempts") && r.contains("tests keep failing"))
    );
    for dep in ["dep", "dep2"] {
        let t = h.get(dep).await;
        assert_eq!(t.status, TaskStatus::Blocked, "{dep}");
        assert!(t.attempts.is_empty(), "{dep} never ran");
        assert!(
            t.status_reason
                .as_deref()
                .is_some_and(|r| r.starts_with("blocked by")),
            "{:?}",
            t.status_reason
        );
    }
    assert_eq!(h.get("free").await.status, TaskStatus::Completed);
    let blocked: Vec<String> = report.blocked.iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(blocked, ["bad", "dep", "dep2"]);
    let halted = drain(&mut events).into_iter().last();
    assert!(matches!(
        halted,
        Some(Event::Halted {
            reason: HaltReason::OnlyBlockedWork,
            ..
        })
    ));
}

#[tokio::test(start_paused = true)]
async fn a_silent_agent_is_stopped_after_stall_after_and_redispatched_with_a_narrowed_brief() {
    let tries = Arc::new(AtomicU32::new(0));
    let t2 = Arc::clone(&tries);
    let h = Harness::new(FakeDispatcher::new(move |_| {
        if t2.fetch_add(1, Ordering::SeqCst) == 0 {
            FakeAgent::Hang
        } else {
            FakeAgent::succeed_after(minutes(1))
        }
    }));
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    let start = tokio::time::Instant::now();
    engine.run().await.expect("run");
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Completed);
    match &t.attempts[0].outcome {
        Some(AttemptOutcome::Stalled { idle_secs, partial }) => {
            assert_eq!(*idle_secs, 15 * 60);
            assert_eq!(partial, "hung without progress");
        }
        other => panic!("expected a stall, got {other:?}"),
    }
    let briefs: Vec<String> = h
        .dispatcher
        .log()
        .briefs
        .iter()
        .map(|b| b.text.clone())
        .collect();
    assert!(briefs[1].contains("Narrowed focus") && briefs[1].contains("hung without progress"));
    assert_ne!(briefs[0], briefs[1]);
    assert!(
        start.elapsed() >= minutes(16) && start.elapsed() < minutes(17),
        "{:?}",
        start.elapsed()
    );
    let stalls = drain(&mut events)
        .iter()
        .filter(|e| matches!(e, Event::AgentStalled { .. }))
        .count();
    assert_eq!(stalls, 1);
}

#[tokio::test(start_paused = true)]
async fn an_agent_that_keeps_showing_activity_is_never_stalled_however_long_it_works() {
    let h = Harness::new(FakeDispatcher::new(|_| FakeAgent::Succeed {
        duration: minutes(120),
        activity_every: Some(minutes(10)),
    }));
    h.seed(vec![task("a", &[])]).await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    let t = h.get("a").await;
    assert_eq!(t.attempts.len(), 1);
    assert_eq!(t.status, TaskStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn stalls_count_as_attempts_and_end_in_blocked() {
    let h = Harness::new(FakeDispatcher::new(|_| FakeAgent::Hang));
    h.seed(vec![task("a", &[])]).await;
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::OnlyBlockedWork);
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Blocked);
    assert_eq!(t.attempts.len(), 3);
    let briefs: Vec<String> = t.attempts.iter().map(|a| a.brief.clone()).collect();
    assert!(briefs[0] != briefs[1] && briefs[1] != briefs[2] && briefs[0] != briefs[2]);
}

#[tokio::test(start_paused = true)]
async fn a_gate_failure_is_retried_with_the_gate_detail_and_every_gate_must_pass() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    let judged = Arc::new(AtomicU32::new(0));
    let j2 = Arc::clone(&judged);
    h.gates.push(FakeGate::new("diff-scope", move |_, _| {
        if j2.fetch_add(1, Ordering::SeqCst) == 0 {
            GateVerdict::fail("changed README.md outside the task's paths")
        } else {
            GateVerdict::pass("in scope")
        }
    }));
    h.seed(vec![task("a", &[])]).await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Completed);
    assert!(
        matches!(&t.attempts[0].outcome, Some(AttemptOutcome::GateFailed { gate, .. }) if gate == "diff-scope")
    );
    assert!(
        t.attempts[1]
            .brief
            .contains("README.md outside the task's paths")
    );
    assert_eq!(
        h.gates[0].calls().len(),
        2,
        "the first gate judged both attempts"
    );
    assert_eq!(h.shipper.merges().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn red_checks_never_merge_and_go_back_to_the_agent() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.shipper = FakeShipper::with_checks(|c| {
        if c.head.ends_with("@1") {
            ChecksState::Failed {
                detail: "test api::auth failed".into(),
            }
        } else {
            ChecksState::Passed
        }
    });
    h.seed(vec![task("a", &[])]).await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Completed);
    assert!(
        matches!(&t.attempts[0].outcome, Some(AttemptOutcome::ShipFailed { detail }) if detail.contains("api::auth"))
    );
    assert!(t.attempts[1].brief.contains("api::auth"));
    assert_eq!(
        h.shipper.merges(),
        [id("a")],
        "merged once, after the green head"
    );
}

#[tokio::test(start_paused = true)]
async fn pending_checks_are_polled_until_green_before_the_merge() {
    let polls = Arc::new(AtomicU32::new(0));
    let p2 = Arc::clone(&polls);
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.shipper = FakeShipper::with_checks(move |_| {
        if p2.fetch_add(1, Ordering::SeqCst) < 4 {
            ChecksState::Pending
        } else {
            ChecksState::Passed
        }
    });
    h.seed(vec![task("a", &[])]).await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    assert_eq!(polls.load(Ordering::SeqCst), 5);
    assert_eq!(h.shipper.merges(), [id("a")]);
}

#[tokio::test(start_paused = true)]
async fn each_change_in_the_checks_of_a_change_is_reported_once_including_the_first_reading() {
    // Readings: pending, pending, pending, failed (-> retry), then on the new
    // attempt's change: pending, passed.
    let readings = Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from([
        ChecksState::Pending,
        ChecksState::Pending,
        ChecksState::Pending,
        ChecksState::Failed {
            detail: "lint".into(),
        },
        ChecksState::Pending,
        ChecksState::Passed,
    ])));
    let r2 = Arc::clone(&readings);
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.shipper = FakeShipper::with_checks(move |_| {
        r2.lock()
            .expect("lock")
            .pop_front()
            .unwrap_or(ChecksState::Passed)
    });
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    engine.run().await.expect("run");
    assert!(
        readings.lock().expect("lock").is_empty(),
        "every reading taken"
    );
    let seen: Vec<(String, String, ChecksState)> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            Event::ChecksChanged {
                task,
                change,
                checks,
            } => Some((task.to_string(), change, checks)),
            _ => None,
        })
        .collect();
    let branch = h.get("a").await.branch.expect("branch");
    let want = [
        ChecksState::Pending,
        ChecksState::Failed {
            detail: "lint".into(),
        },
        ChecksState::Pending,
        ChecksState::Passed,
    ];
    assert_eq!(
        seen,
        want.map(|c| ("a".to_string(), branch.clone(), c)),
        "one event per change of state"
    );
}

#[tokio::test(start_paused = true)]
async fn max_waves_stops_after_the_given_wave() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.config.max_waves = Some(1);
    h.seed(vec![task("a", &[]), task("b", &["a"]), task("c", &[])])
        .await;
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::WaveLimit);
    assert_eq!(h.get("a").await.status, TaskStatus::Completed);
    assert_eq!(h.get("c").await.status, TaskStatus::Completed);
    assert_eq!(h.get("b").await.status, TaskStatus::Pending);
    assert_eq!(report.remaining, 1);
}

#[tokio::test(start_paused = true)]
async fn tasks_added_while_others_run_are_picked_up_at_once() {
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(10))
    }));
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    tokio::time::sleep(minutes(1)).await;
    handle.add_task(task("late", &["a"])).await.expect("add");
    handle.add_task(task("side", &[])).await.expect("add");
    let report = run.await.expect("join").expect("run");
    assert_eq!(report.halt, HaltReason::AllDone);
    let events = drain(&mut events);
    assert!(
        moved_at(&events, "side", TaskStatus::InProgress)
            < moved_at(&events, "a", TaskStatus::Auditing),
        "side ran alongside a"
    );
    assert!(
        moved_at(&events, "late", TaskStatus::InProgress)
            > moved_at(&events, "a", TaskStatus::Completed)
    );
    assert_eq!(h.get("late").await.status, TaskStatus::Completed);
    let cyc = handle.add_task(task("a", &[])).await;
    assert!(cyc.is_err(), "a duplicate id is refused");
}

#[tokio::test(start_paused = true)]
async fn first_interrupt_lets_running_agents_finish_and_starts_nothing_new() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(10))
    }));
    h.config.max_agents = 1;
    h.seed(vec![task("a", &[]), task("b", &[])]).await;
    let (engine, _events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    tokio::time::sleep(minutes(1)).await;
    handle.interrupt();
    let report = run.await.expect("join").expect("run");
    assert_eq!(report.halt, HaltReason::Interrupted);
    assert_eq!(
        h.get("a").await.status,
        TaskStatus::Completed,
        "the running agent finished and shipped"
    );
    let b = h.get("b").await;
    assert_eq!(b.status, TaskStatus::Pending);
    assert!(b.attempts.is_empty());
}

#[tokio::test(start_paused = true)]
async fn second_interrupt_stops_agents_and_leaves_the_board_consistent() {
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(30))
    }));
    h.seed(vec![task("a", &[]), task("b", &[])]).await;
    let (engine, _events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    tokio::time::sleep(minutes(1)).await;
    handle.interrupt();
    handle.interrupt();
    let started = tokio::time::Instant::now();
    let report = run.await.expect("join").expect("run");
    assert!(
        started.elapsed() < minutes(1),
        "agents were stopped, not waited for"
    );
    assert_eq!(report.halt, HaltReason::Interrupted);
    for n in ["a", "b"] {
        let t = h.get(n).await;
        assert_eq!(t.status, TaskStatus::Pending, "{n} back in the queue");
        assert!(t.lease.is_none());
        assert!(matches!(
            t.attempts[0].outcome,
            Some(AttemptOutcome::Interrupted { .. })
        ));
        assert_eq!(
            t.counted_attempts(),
            0,
            "an interrupt does not use up an attempt"
        );
    }
    assert!(
        h.dispatcher.log().running.is_empty(),
        "no agent left running"
    );
}

#[tokio::test(start_paused = true)]
async fn tasks_left_in_flight_by_a_dead_worker_are_resumed_at_their_step() {
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.seed(vec![
        task("agent", &[]),
        task("ship", &[]),
        task("live", &[]),
    ])
    .await;
    let dead = Lease {
        owner: WorkerId("dead-worker".into()),
        expires_at: Timestamp(1),
    };
    let alive = Lease {
        owner: WorkerId("busy-worker".into()),
        expires_at: Timestamp::now().plus(Duration::from_secs(3600)),
    };
    for (name, path, lease) in [
        ("agent", &[TaskStatus::InProgress][..], dead.clone()),
        (
            "ship",
            &[
                TaskStatus::InProgress,
                TaskStatus::Auditing,
                TaskStatus::Shipping,
            ][..],
            dead,
        ),
        ("live", &[TaskStatus::InProgress][..], alive),
    ] {
        let mut t = h.get(name).await;
        for st in path {
            t.move_to(*st, None).expect("legal");
            t.lease = Some(lease.clone());
            t = h.board.save(t).await.expect("save each legal step");
        }
    }
    let (engine, mut events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    // "live" belongs to a live worker: the engine waits for it.
    tokio::time::sleep(minutes(5)).await;
    assert_eq!(
        h.get("live").await.status,
        TaskStatus::InProgress,
        "a live worker's task is left alone"
    );
    assert_eq!(h.get("agent").await.status, TaskStatus::Completed);
    assert_eq!(h.get("ship").await.status, TaskStatus::Completed);
    handle.interrupt();
    run.await.expect("join").expect("run");
    let briefs: Vec<String> = h
        .dispatcher
        .log()
        .briefs
        .iter()
        .map(|b| b.task.id.to_string())
        .collect();
    assert_eq!(
        briefs,
        ["agent"],
        "the shipping task resumed without a new agent"
    );
    let reconciled: Vec<String> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            Event::Reconciled { task, .. } => Some(task.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(reconciled, ["agent", "ship"]);
    let mut merges = h.shipper.merges();
    merges.sort();
    assert_eq!(
        merges,
        [id("agent"), id("ship")],
        "each merged exactly once"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dependency_added_while_running_is_honoured_and_one_closing_a_cycle_is_refused_by_name() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(5))
    }));
    h.config.max_agents = 1;
    h.seed(vec![task("a", &[]), task("b", &[]), task("c", &["b"])])
        .await;
    let (engine, mut events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    tokio::time::sleep(minutes(1)).await;
    // b (longest chain) runs first; a and c are pending.
    handle
        .add_dependency(&id("c"), &id("a"))
        .await
        .expect("a now waits for c");
    let err = handle
        .add_dependency(&id("a"), &id("c"))
        .await
        .expect_err("cycle");
    assert!(matches!(err, ops_core::Error::Cycle { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("a -> c -> a") || msg.contains("c -> a -> c"),
        "{msg}"
    );
    let err = handle
        .add_dependency(&id("a"), &id("b"))
        .await
        .expect_err("started");
    assert!(
        matches!(err, ops_core::Error::AlreadyStarted { .. }),
        "{err}"
    );
    run.await.expect("join").expect("run");
    let events = drain(&mut events);
    assert!(
        moved_at(&events, "a", TaskStatus::InProgress)
            > moved_at(&events, "c", TaskStatus::Completed),
        "a waited for c"
    );
    assert_eq!(
        h.get("a").await.blocked_by.len(),
        1,
        "the refused edge was not kept"
    );
    assert!(
        h.get("c").await.blocked_by.len() == 1,
        "c still waits only for b"
    );
    assert_eq!(h.get("c").await.status, TaskStatus::Completed);
}

/// A runtime that cannot run anything: every dispatch is refused as unsupported.
struct Refusing;

#[async_trait::async_trait]
impl ops_core::Dispatcher for Refusing {
    fn name(&self) -> &str {
        "refusing"
    }
    fn capabilities(&self) -> ops_core::seams::DispatcherCapabilities {
        ops_core::seams::DispatcherCapabilities::default()
    }
    async fn dispatch(
        &self,
        _brief: &ops_core::seams::Brief,
    ) -> ops_core::Result<Box<dyn ops_core::seams::AgentHandle>> {
        Err(ops_core::Error::backend(
            "refusing",
            "start an agent",
            ops_core::ErrorKind::Unsupported,
            "no agent CLI found",
        ))
    }
}

#[tokio::test(start_paused = true)]
async fn a_dispatcher_that_cannot_run_fails_the_task_for_good_and_blocks_its_dependents() {
    let board = Arc::new(ops_core::MemoryBoard::new());
    board.insert(task("a", &[])).await.expect("seed");
    board.insert(task("b", &["a"])).await.expect("seed");
    let engine = ops_core::Engine::new(
        board.clone(),
        Arc::new(Refusing),
        Arc::new(FakeShipper::new()),
    );
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::OnlyBlockedWork);
    let a = board.get(&id("a")).await.expect("get").expect("a");
    assert_eq!(a.status, TaskStatus::Failed);
    assert!(
        a.status_reason
            .as_deref()
            .is_some_and(|r| r.contains("no agent CLI found")),
        "{:?}",
        a.status_reason
    );
    assert_eq!(
        a.attempts.len(),
        1,
        "not retried: the error is not transient"
    );
    let b = board.get(&id("b")).await.expect("get").expect("b");
    assert_eq!(b.status, TaskStatus::Blocked);
    assert_eq!(b.blocked_on, Some(id("a")));
}
