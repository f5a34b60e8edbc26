//! Merge confirmation and post-merge follow-ups in the ship step, under tokio's
//! paused clock with fake backends.

mod common;

use common::{Harness, drain, id, task};
use ops_core::engine::{AWAITING_CONFIRMATION, MergeConfirmation};
use ops_core::fake::{FakeAgent, FakeDispatcher};
use ops_core::model::{Priority, TaskStatus};
use ops_core::seams::{FollowUp, MergeOutcome};
use ops_core::{Event, HaltReason, TaskStore};
use std::time::Duration;

fn harness(confirmation: MergeConfirmation) -> Harness {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(Duration::from_secs(60))
    }));
    h.config.merge_confirmation = confirmation;
    h
}

#[tokio::test(start_paused = true)]
async fn asking_engine_merges_only_after_a_yes() {
    let h = harness(MergeConfirmation::Ask);
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    loop {
        match events.recv().await.expect("the engine asks") {
            Event::MergeConfirmationRequested { task, head, .. } => {
                assert_eq!(task, id("a"));
                assert!(!head.is_empty(), "the question names the tested head");
                break;
            }
            Event::MergeAttempted { .. } => panic!("merged before asking"),
            _ => {}
        }
    }
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(h.shipper.merges().is_empty(), "no answer, no merge");
    assert!(
        !handle.confirm_merge(&id("zzz"), true),
        "no question for another task"
    );
    assert!(handle.confirm_merge(&id("a"), true));
    let report = run.await.expect("join").expect("run");
    assert_eq!(report.halt, HaltReason::AllDone);
    assert_eq!(h.shipper.merges(), [id("a")]);
}

#[tokio::test(start_paused = true)]
async fn a_head_that_changed_after_the_yes_is_asked_about_again_before_it_merges() {
    let h = harness(MergeConfirmation::Ask);
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    let first = loop {
        if let Some(Event::MergeConfirmationRequested { head, .. }) = events.recv().await {
            break head;
        }
    };
    // New commits land on the change while the operator reads the question.
    h.shipper.push_to_open_changes();
    assert!(handle.confirm_merge(&id("a"), true));
    let second = loop {
        match events.recv().await.expect("the engine asks again") {
            Event::MergeConfirmationRequested { head, .. } => break head,
            Event::MergeAttempted { outcome, .. } => {
                assert!(
                    !matches!(outcome, MergeOutcome::Merged { .. }),
                    "merged a head nobody confirmed"
                );
            }
            _ => {}
        }
    };
    assert_ne!(second, first, "the question names the new head");
    assert!(
        h.shipper.merges().is_empty(),
        "nothing merged before the second yes"
    );
    assert!(handle.confirm_merge(&id("a"), true));
    let report = run.await.expect("join").expect("run");
    assert_eq!(report.halt, HaltReason::AllDone);
    assert_eq!(h.shipper.merges(), [id("a")]);
}

#[tokio::test(start_paused = true)]
async fn a_declined_merge_leaves_the_change_open_and_blocks_the_task_without_using_an_attempt() {
    let h = harness(MergeConfirmation::Ask);
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    while !matches!(
        events.recv().await,
        Some(Event::MergeConfirmationRequested { .. })
    ) {}
    assert!(handle.confirm_merge(&id("a"), false));
    let report = run.await.expect("join").expect("run");
    assert_eq!(report.halt, HaltReason::OnlyBlockedWork);
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Blocked);
    assert!(
        t.status_reason
            .as_deref()
            .is_some_and(|r| r.contains("declined")),
        "{t:?}"
    );
    assert_eq!(t.counted_attempts(), 0);
    assert!(h.shipper.merges().is_empty());
    assert_eq!(h.shipper.changes_opened(), 1, "the change stays open");
}

#[tokio::test(start_paused = true)]
async fn with_nobody_to_answer_changes_stay_open_and_tasks_are_reported_awaiting_confirmation() {
    let h = harness(MergeConfirmation::Unattended);
    h.seed(vec![task("a", &[]), task("b", &[])]).await;
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("run");
    assert!(
        h.shipper.merges().is_empty(),
        "nothing merged unattended without --force"
    );
    assert_eq!(h.shipper.changes_opened(), 2);
    assert_eq!(report.blocked.len(), 2);
    for (task, reason) in &report.blocked {
        assert!(
            reason.starts_with(AWAITING_CONFIRMATION),
            "{task}: {reason}"
        );
        assert!(
            reason.contains("fake://pr/"),
            "the reason names the open change: {reason}"
        );
    }
    assert!(
        !drain(&mut events)
            .iter()
            .any(|e| matches!(e, Event::MergeConfirmationRequested { .. })),
        "nobody is asked"
    );
}

#[tokio::test(start_paused = true)]
async fn a_forced_engine_merges_without_asking() {
    let h = harness(MergeConfirmation::Forced);
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    engine.run().await.expect("run");
    assert_eq!(h.shipper.merges(), [id("a")]);
    assert!(
        !drain(&mut events)
            .iter()
            .any(|e| matches!(e, Event::MergeConfirmationRequested { .. }))
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_check_after_a_merge_becomes_a_p0_follow_up_task_that_runs() {
    let h = harness(MergeConfirmation::Forced);
    h.seed(vec![task("a", &[])]).await;
    h.shipper.fail_next_verification(FollowUp {
        title: "health check failed: https://example.invalid/health answered 503".into(),
        description: "GET /health answered 503 after the merge".into(),
    });
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("run");
    let follow = h
        .board
        .get(&id("a-fix1"))
        .await
        .expect("get")
        .expect("the follow-up is on the board");
    assert_eq!(follow.priority, Priority::P0);
    assert_eq!(follow.repo, "repo-a");
    assert!(follow.description.contains("503"));
    assert_eq!(
        follow.status,
        TaskStatus::Completed,
        "the follow-up ran in the same run"
    );
    assert_eq!(report.shipped, [id("a"), id("a-fix1")]);
    let events = drain(&mut events);
    let added = events.iter().position(
        |e| matches!(e, Event::FollowUpAdded { after, task, .. } if *after == id("a") && *task == id("a-fix1")),
    );
    let completed = events.iter().position(
        |e| matches!(e, Event::TaskMoved { task, to: TaskStatus::Completed, .. } if *task == id("a")),
    );
    // Durable order: the follow-up is on the board before its task is completed,
    // so a crash in between resumes the ship step (already merged) instead of
    // losing the follow-up.
    assert!(
        added.is_some() && added < completed,
        "follow-up at {added:?}, completion at {completed:?}"
    );
}
