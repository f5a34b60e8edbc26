//! The security review under tokio's paused clock, with fakes: a reviewer agent in
//! its own review brief approves (ships), requests changes (back to the task's
//! agent: the next attempt's brief, or a message to the same team agent) or gives
//! no verdict (blocked after one review, attempts untouched); a gate can require
//! the review for a task not tagged sensitive.

mod common;

use common::{Harness, drain, task};
use ops_core::Event;
use ops_core::engine::SecurityReview;
use ops_core::engine::review::{APPROVE, CHANGES_REQUESTED, REVIEW_GATE};
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeGate, FakePatch};
use ops_core::model::{AttemptOutcome, Mode, Task, TaskStatus};
use ops_core::seams::{Brief, GateVerdict};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const FINDING: &str = "- src/auth.rs:3: FINDING-4b1 the token is compared with ==";

fn sensitive(name: &str) -> Task {
    let mut t = task(name, &[]);
    t.title = "Check the session token".into();
    t.sensitive = true;
    t
}

/// Workers finish in a minute; reviewers answer with `review(n)` for their n-th review.
fn runtime(review: impl Fn(u32) -> String + Send + Sync + 'static) -> FakeDispatcher {
    let reviews = AtomicU32::new(0);
    FakeDispatcher::new(move |b: &Brief| {
        if b.review.is_some() {
            FakeAgent::Answer(review(reviews.fetch_add(1, Ordering::SeqCst) + 1))
        } else if b.task.mode == Mode::Team {
            FakeAgent::Turns {
                turn: Duration::from_secs(60),
            }
        } else {
            FakeAgent::succeed_after(Duration::from_secs(60))
        }
    })
}

async fn run(h: &Harness, review: bool) -> Vec<Event> {
    let (mut engine, mut events) = h.engine();
    if review {
        engine = engine.with_security_review(SecurityReview::new(
            Arc::new(h.dispatcher.clone()),
            Arc::new(FakePatch::new("+fn check(token) { token == SECRET }")),
        ));
    }
    engine.run().await.expect("run");
    drain(&mut events)
}

fn review_briefs(h: &Harness) -> Vec<Brief> {
    let log = h.dispatcher.log();
    log.briefs
        .iter()
        .filter(|b| b.review.is_some())
        .cloned()
        .collect()
}

fn worker_briefs(h: &Harness) -> Vec<Brief> {
    let log = h.dispatcher.log();
    log.briefs
        .iter()
        .filter(|b| b.review.is_none())
        .cloned()
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_approved_sensitive_task_ships_after_a_review_in_its_own_brief_and_branch() {
    let h = Harness::new(runtime(|_| format!("Checked the comparison.\n{APPROVE}")));
    h.seed(vec![sensitive("a")]).await;
    let events = run(&h, true).await;
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Completed, "{t:#?}");
    assert_eq!(h.shipper.merges().len(), 1);
    let reviews = review_briefs(&h);
    assert_eq!(reviews.len(), 1, "one review");
    let review = &reviews[0];
    let head = t.branch.clone().expect("the task's branch");
    assert_eq!(
        review.review.as_ref().map(|r| r.head.as_str()),
        Some(head.as_str()),
        "the review starts at the task's head"
    );
    assert_ne!(review.branch, head, "the reviewer has its own branch");
    assert_eq!(review.task.mode, Mode::Subagent, "a one-shot reviewer");
    for part in [
        "Security review of task a",
        "Check the session token",
        "the task is sensitive",
        "+fn check(token) { token == SECRET }",
        APPROVE,
        CHANGES_REQUESTED,
    ] {
        assert!(review.text.contains(part), "{part:?} in:\n{}", review.text);
    }
    assert!(events.iter().any(|e| matches!(e,
        Event::GateJudged { gate, passed: true, .. } if gate == REVIEW_GATE)));
}

#[tokio::test(start_paused = true)]
async fn changes_requested_go_back_to_the_agent_as_the_next_attempts_brief() {
    let h = Harness::new(runtime(|n| {
        if n == 1 {
            format!("{CHANGES_REQUESTED}\n{FINDING}")
        } else {
            APPROVE.to_string()
        }
    }));
    h.seed(vec![sensitive("a")]).await;
    run(&h, true).await;
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Completed, "{t:#?}");
    let workers = worker_briefs(&h);
    assert_eq!(workers.len(), 2, "a second attempt");
    assert!(
        !workers[0].text.contains("FINDING-4b1") && workers[1].text.contains("FINDING-4b1"),
        "{}",
        workers[1].text
    );
    assert_eq!(review_briefs(&h).len(), 2, "the fix is reviewed again");
    assert!(matches!(&t.attempts[0].outcome,
        Some(AttemptOutcome::GateFailed { gate, detail }) if gate == REVIEW_GATE && detail.contains("FINDING-4b1")));
}

#[tokio::test(start_paused = true)]
async fn changes_requested_for_a_team_task_are_a_message_to_the_same_running_agent() {
    let h = Harness::new(runtime(|n| {
        if n == 1 {
            format!("{CHANGES_REQUESTED}\n{FINDING}")
        } else {
            APPROVE.to_string()
        }
    }));
    let mut t = sensitive("a");
    t.mode = Mode::Team;
    h.seed(vec![t]).await;
    run(&h, true).await;
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Completed, "{t:#?}");
    assert_eq!(worker_briefs(&h).len(), 1, "never re-dispatched");
    let messages = h.dispatcher.log().messages.clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].1.contains("FINDING-4b1"), "{}", messages[0].1);
}

#[tokio::test(start_paused = true)]
async fn no_verdict_blocks_the_task_after_one_review_without_using_up_its_attempts() {
    let h = Harness::new(runtime(|_| "The change looks reasonable to me.".into()));
    h.seed(vec![sensitive("a")]).await;
    run(&h, true).await;
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Blocked, "{t:#?}");
    let reason = t.status_reason.clone().unwrap_or_default();
    assert!(
        reason.contains("gave no verdict") && reason.contains("no verdict line"),
        "{reason}"
    );
    assert_eq!(review_briefs(&h).len(), 1, "one review");
    assert_eq!(worker_briefs(&h).len(), 1, "no retry");
    assert_eq!(t.counted_attempts(), 0, "no attempt used up");
    assert!(matches!(
        t.attempts[0].outcome,
        Some(AttemptOutcome::Unreviewed { .. })
    ));
    assert!(h.shipper.merges().is_empty(), "nothing shipped");
}

#[tokio::test(start_paused = true)]
async fn a_failed_or_silent_reviewer_is_no_verdict_too() {
    let h = Harness::new(FakeDispatcher::new(|b: &Brief| {
        if b.review.is_some() {
            FakeAgent::Hang
        } else {
            FakeAgent::succeed_after(Duration::from_secs(60))
        }
    }));
    h.seed(vec![sensitive("a")]).await;
    let (engine, _events) = h.engine();
    engine
        .with_security_review(
            SecurityReview::new(Arc::new(h.dispatcher.clone()), Arc::new(FakePatch::new("")))
                .with_timeout(Duration::from_secs(600)),
        )
        .run()
        .await
        .expect("run");
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Blocked, "{t:#?}");
    let reason = t.status_reason.clone().unwrap_or_default();
    assert!(reason.contains("no verdict within 600s"), "{reason}");
    assert!(
        h.dispatcher.log().running.is_empty(),
        "the reviewer was stopped"
    );
}

#[tokio::test(start_paused = true)]
async fn a_gate_can_require_the_review_for_a_task_not_tagged_sensitive() {
    let mut h = Harness::new(runtime(|_| APPROVE.to_string()));
    h.gates = vec![FakeGate::new("rails", |t: &Task, _| {
        if t.id.as_str() == "ci" {
            GateVerdict::pass("in scope").requiring_review("it changes .github/workflows/ci.yml")
        } else {
            GateVerdict::pass("in scope")
        }
    })];
    h.seed(vec![task("ci", &[]), task("plain", &[])]).await;
    run(&h, true).await;
    assert_eq!(h.get("ci").await.status, TaskStatus::Completed);
    assert_eq!(h.get("plain").await.status, TaskStatus::Completed);
    let reviews = review_briefs(&h);
    assert_eq!(reviews.len(), 1, "only the task the gate named is reviewed");
    assert_eq!(reviews[0].task.id.as_str(), "ci");
    assert!(
        reviews[0]
            .text
            .contains("the rails gate: it changes .github/workflows/ci.yml"),
        "{}",
        reviews[0].text
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_reviewer_a_change_needing_the_review_is_blocked_never_shipped() {
    let h = Harness::new(runtime(|_| APPROVE.to_string()));
    h.seed(vec![sensitive("a"), task("plain", &[])]).await;
    run(&h, false).await;
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Blocked);
    assert!(
        t.status_reason
            .as_deref()
            .is_some_and(|r| r.contains("no reviewer runtime is configured")),
        "{t:#?}"
    );
    assert_eq!(h.get("plain").await.status, TaskStatus::Completed);
    assert_eq!(h.shipper.merges().len(), 1, "only the plain task shipped");
}
