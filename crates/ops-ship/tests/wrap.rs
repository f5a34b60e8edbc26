//! The Timeout and Retry wrappers, under tokio's paused clock, around the
//! in-memory fakes and a flaky shipper.

use async_trait::async_trait;
use ops_core::conformance;
use ops_core::fake::{FakeGate, FakeShipper};
use ops_core::model::{Task, TaskId};
use ops_core::seams::{
    ChangeRef, ChecksState, GateVerdict, MergeOutcome, PromoteOutcome, QualityGate, Shipper,
    ShipperCapabilities, WorkRef,
};
use ops_core::{Error, ErrorKind, Result};
use ops_ship::wrap::{Retry, RetryPolicy, Timeout};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn task() -> Task {
    Task::new(TaskId::new("t1").expect("id"), "t", "p", "r")
}

fn work(branch: &str) -> WorkRef {
    WorkRef {
        branch: branch.into(),
        worktree: None,
        summary: String::new(),
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(4),
    }
}

/// Fails `fails` times with `kind`, then answers.
struct Flaky {
    fails: u32,
    kind: ErrorKind,
    calls: AtomicU32,
}

impl Flaky {
    fn step(&self) -> Result<()> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n < self.fails {
            Err(Error::backend(
                "flaky",
                "call",
                self.kind,
                format!("failure {}", n + 1),
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Shipper for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }
    fn capabilities(&self) -> ShipperCapabilities {
        ShipperCapabilities::default()
    }
    async fn open_change(&self, _: &Task, w: &WorkRef) -> Result<ChangeRef> {
        self.step()?;
        Ok(ChangeRef {
            id: w.branch.clone(),
            url: None,
            head: "h".into(),
        })
    }
    async fn checks(&self, _: &ChangeRef) -> Result<ChecksState> {
        self.step()?;
        Ok(ChecksState::Passed)
    }
    async fn merge(&self, _: &ChangeRef) -> Result<MergeOutcome> {
        std::future::pending().await
    }
    async fn promote(&self, _: &str, _: &str) -> Result<PromoteOutcome> {
        Ok(PromoteOutcome::UpToDate)
    }
}

fn flaky(fails: u32, kind: ErrorKind) -> Arc<Flaky> {
    Arc::new(Flaky {
        fails,
        kind,
        calls: AtomicU32::new(0),
    })
}

#[tokio::test(start_paused = true)]
async fn retry_recovers_from_retryable_failures_with_doubling_backoff() {
    let inner = flaky(2, ErrorKind::Retryable);
    let s = Retry::new(inner.clone(), policy());
    let started = tokio::time::Instant::now();
    s.open_change(&task(), &work("b"))
        .await
        .expect("third call succeeds");
    assert_eq!(inner.calls.load(Ordering::SeqCst), 3);
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(1 + 2),
        "paused 1 s then 2 s"
    );
}

/// Asks to wait 90 s once, then answers.
struct RateLimited(AtomicU32);

#[async_trait]
impl QualityGate for RateLimited {
    fn name(&self) -> &str {
        "limited"
    }
    async fn check(&self, _: &Task, _: &WorkRef) -> Result<GateVerdict> {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            Err(
                Error::backend("limited", "check", ErrorKind::Retryable, "rate limited")
                    .with_retry_after(Duration::from_secs(90)),
            )
        } else {
            Ok(GateVerdict::pass("ok"))
        }
    }
}

#[tokio::test(start_paused = true)]
async fn retry_waits_as_long_as_the_backend_asked_when_that_is_longer_than_its_backoff() {
    let started = tokio::time::Instant::now();
    let v = Retry::new(Arc::new(RateLimited(AtomicU32::new(0))), policy())
        .check(&task(), &work("b"))
        .await
        .expect("the second call answers");
    assert!(v.passed);
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(90),
        "retry-after, not the 1 s backoff"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_gives_up_after_its_attempts_and_never_repeats_other_errors() {
    let inner = flaky(10, ErrorKind::Retryable);
    let e = Retry::new(inner.clone(), policy())
        .checks(&ChangeRef {
            id: "b".into(),
            url: None,
            head: "h".into(),
        })
        .await
        .expect_err("gives up");
    assert!(e.to_string().contains("failure 3"), "{e}");
    assert_eq!(inner.calls.load(Ordering::SeqCst), 3);
    let conflict = flaky(10, ErrorKind::Conflict);
    Retry::new(conflict.clone(), policy())
        .open_change(&task(), &work("b"))
        .await
        .expect_err("a conflict");
    assert_eq!(
        conflict.calls.load(Ordering::SeqCst),
        1,
        "a conflict is not retried"
    );
}

#[tokio::test(start_paused = true)]
async fn timeout_turns_a_hanging_shipper_call_into_a_retryable_error() {
    let s = Timeout::new(flaky(0, ErrorKind::Retryable), Duration::from_secs(30));
    let e = s
        .merge(&ChangeRef {
            id: "b".into(),
            url: None,
            head: "h".into(),
        })
        .await
        .expect_err("hangs");
    assert_eq!(e.kind(), ErrorKind::Retryable);
    assert!(e.to_string().contains("within 30s"), "{e}");
}

struct Hang;

#[async_trait]
impl QualityGate for Hang {
    fn name(&self) -> &str {
        "hang"
    }
    async fn check(&self, _: &Task, _: &WorkRef) -> Result<GateVerdict> {
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn timeout_fails_a_gate_that_never_answers() {
    let v = Timeout::new(Arc::new(Hang), Duration::from_secs(5))
        .check(&task(), &work("b"))
        .await
        .expect("a verdict");
    assert!(
        !v.passed && v.detail.contains("hang gate did not finish"),
        "{}",
        v.detail
    );
}

#[tokio::test(start_paused = true)]
async fn wrapped_fakes_still_pass_their_conformance_suites() {
    let shipper: Arc<dyn Shipper> = Arc::new(FakeShipper::new());
    let wrapped = Retry::new(
        Arc::new(Timeout::new(shipper, Duration::from_secs(5))),
        policy(),
    );
    conformance::shipper(&wrapped, &task(), &work("ops/t1"), Duration::from_secs(5)).await;
    let gate: Arc<dyn QualityGate> = Arc::new(FakeGate::new("g", |_, w| {
        if w.branch == "good" {
            GateVerdict::pass("ok")
        } else {
            GateVerdict::fail("bad branch")
        }
    }));
    let wrapped = Timeout::new(Arc::new(Retry::new(gate, policy())), Duration::from_secs(5));
    conformance::gate(&wrapped, &task(), &work("good"), &work("bad")).await;
}
