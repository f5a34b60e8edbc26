//! Rate and usage limits are a state, not a failure: the attempt that hit one does
//! not count, the runtime waits until the reset, and the run goes on after it.

mod common;

use common::{Harness, drain, task};
use ops_core::fake::{FakeAgent, FakeDispatcher};
use ops_core::model::{Attempt, AttemptOutcome, TaskStatus, Timestamp};
use ops_core::{Event, HaltReason};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A runtime whose first `limited` agents hit a limit resetting in `resets_in`.
fn limited_then_fine(limited: u32, resets_in: Option<Duration>) -> FakeDispatcher {
    let n = Arc::new(AtomicU32::new(0));
    FakeDispatcher::new(move |_| {
        if n.fetch_add(1, Ordering::SeqCst) < limited {
            FakeAgent::RateLimited { resets_in }
        } else {
            FakeAgent::succeed_after(Duration::from_secs(60))
        }
    })
}

#[tokio::test(start_paused = true)]
async fn limits_in_a_row_beyond_max_attempts_do_not_block_the_task_and_it_ships() {
    // More limits than attempts: each one would have burnt an attempt before.
    let mut h = Harness::new(limited_then_fine(5, None));
    h.config.rate_limit_backoff = Duration::from_secs(10);
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::AllDone, "{report:?}");
    let a = h.get("a").await;
    assert_eq!(a.status, TaskStatus::Completed);
    assert_eq!(a.counted_attempts(), 0, "no attempt used up the limit");
    let limited = a
        .attempts
        .iter()
        .filter(|t| matches!(t.outcome, Some(AttemptOutcome::RateLimited { .. })))
        .count();
    assert_eq!(
        (limited, a.attempts.len()),
        (5, 6),
        "five limits, one real attempt"
    );
    let events = drain(&mut events);
    let paused = events
        .iter()
        .filter(|e| matches!(e, Event::RuntimePaused { runtime, .. } if runtime == "fake"))
        .count();
    let resumed = events
        .iter()
        .filter(|e| matches!(e, Event::RuntimeResumed { .. }))
        .count();
    assert_eq!((paused, resumed), (5, 5));
    assert!(
        !events.iter().any(|e| matches!(e, Event::Retrying { .. })),
        "a limit is not a failed attempt"
    );
}

#[tokio::test(start_paused = true)]
async fn a_usage_limit_with_a_reset_time_pauses_dispatch_until_then() {
    let h = Harness::new(limited_then_fine(1, Some(Duration::from_secs(3600))));
    h.seed(vec![task("a", &[]), task("b", &[])]).await;
    let (engine, mut events) = h.engine();
    let started = tokio::time::Instant::now();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::AllDone, "{report:?}");
    let events = drain(&mut events);
    let paused_at = events
        .iter()
        .position(|e| matches!(e, Event::RuntimePaused { .. }))
        .expect("paused");
    let resumed_at = events
        .iter()
        .position(|e| matches!(e, Event::RuntimeResumed { .. }))
        .expect("resumed");
    // Nothing starts between the pause and its end.
    let started_between = events[paused_at..resumed_at]
        .iter()
        .filter(|e| matches!(e, Event::AgentStarted { .. }))
        .count();
    assert_eq!(started_between, 0, "{events:#?}");
    assert!(
        started.elapsed() >= Duration::from_secs(3590),
        "the run waited for the reset: {:?}",
        started.elapsed()
    );
    for n in ["a", "b"] {
        assert_eq!(h.get(n).await.status, TaskStatus::Completed, "{n}");
    }
}

#[tokio::test(start_paused = true)]
async fn with_no_wait_a_paused_runtime_with_nothing_else_to_do_halts_the_run() {
    let mut h = Harness::new(limited_then_fine(1, Some(Duration::from_secs(3600))));
    h.config.wait_for_rate_limits = false;
    h.seed(vec![task("a", &[])]).await;
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::RateLimited);
    let a = h.get("a").await;
    assert_eq!(a.status, TaskStatus::Pending);
    assert_eq!(a.counted_attempts(), 0);
    let reason = a.status_reason.unwrap_or_default();
    assert!(
        reason.contains("fake runtime hit a rate or usage limit") && reason.contains("waits until"),
        "{reason}"
    );
}

/// Task `name` whose last attempt hit a limit of the fake runtime that resets `in`.
fn limited_earlier(name: &str, resets_in: Duration) -> ops_core::model::Task {
    let mut t = task(name, &[]);
    let now = Timestamp::now();
    t.attempts.push(Attempt {
        number: 1,
        brief: "brief".into(),
        started_at: now,
        ended_at: Some(now),
        summary: None,
        cost_usd: None,
        outcome: Some(AttemptOutcome::RateLimited {
            runtime: "fake".into(),
            reason: "usage limit reached".into(),
            until: now.plus(resets_in),
        }),
        session: None,
    });
    t
}

#[tokio::test(start_paused = true)]
async fn a_limit_an_earlier_run_hit_still_pauses_a_new_run_until_its_reset() {
    let mut h = Harness::new(limited_then_fine(0, None));
    h.config.wait_for_rate_limits = false;
    h.seed(vec![limited_earlier("a", Duration::from_secs(3600))])
        .await;
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::RateLimited);
    let events = drain(&mut events);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::RuntimePaused { runtime, task, .. } if runtime == "fake" && task.as_str() == "a")),
        "the pause is reported: {events:#?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::AgentStarted { .. })),
        "no agent started before the reset: {events:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_limit_an_earlier_run_hit_that_has_reset_does_not_hold_a_new_run() {
    let h = Harness::new(limited_then_fine(0, None));
    let mut t = limited_earlier("a", Duration::from_secs(1));
    for a in &mut t.attempts {
        if let Some(AttemptOutcome::RateLimited { until, .. }) = &mut a.outcome {
            *until = Timestamp(until.0.saturating_sub(10_000));
        }
    }
    h.seed(vec![t]).await;
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::AllDone, "{report:?}");
    let events = drain(&mut events);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::RuntimePaused { .. })),
        "{events:#?}"
    );
}
