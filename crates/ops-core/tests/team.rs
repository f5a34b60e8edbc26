//! Team mode under tokio's paused clock: audit failures go back to the same running
//! agent, completed upstream work is announced to running team agents, a runtime
//! that cannot be steered falls back to subagents with a warning, and briefs name
//! the files other running tasks own.

mod common;

use common::{Harness, drain, id, task};
use ops_core::Event;
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeGate};
use ops_core::model::{AttemptOutcome, Mode, TaskStatus};
use ops_core::seams::GateVerdict;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

fn team(name: &str, repo: &str, paths: &[&str]) -> ops_core::model::Task {
    let mut t = task(name, &[]);
    t.mode = Mode::Team;
    t.repo = repo.into();
    t.paths = paths.iter().map(|p| (*p).to_string()).collect();
    t
}

/// A gate failing its first `fails` verdicts, then passing.
fn flaky_gate(fails: u32) -> FakeGate {
    let n = Arc::new(AtomicU32::new(0));
    FakeGate::new("quality-gate", move |_, _| {
        if n.fetch_add(1, Ordering::SeqCst) < fails {
            GateVerdict::fail("test login::email failed")
        } else {
            GateVerdict::pass("green")
        }
    })
}

fn moves(events: &[Event], name: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::TaskMoved { task, to, .. } if task.as_str() == name => Some(to.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_audit_failure_of_a_team_task_goes_back_to_the_same_running_agent() {
    let mut h = Harness::new(FakeDispatcher::new(|_| FakeAgent::Turns {
        turn: minutes(2),
    }));
    h.gates = vec![flaky_gate(1)];
    h.seed(vec![team("a", "repo", &[])]).await;
    let (engine, mut events) = h.engine();
    engine.run().await.expect("run");
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Completed);
    assert_eq!(
        h.dispatcher.log().briefs.len(),
        1,
        "one agent, never re-dispatched"
    );
    let messages = h.dispatcher.log().messages.clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].0, id("a"));
    assert!(
        messages[0].1.contains("test login::email failed"),
        "{}",
        messages[0].1
    );
    assert_eq!(t.attempts.len(), 2, "the fix is attempt 2");
    assert!(matches!(
        t.attempts[0].outcome,
        Some(AttemptOutcome::GateFailed { .. })
    ));
    assert_eq!(
        t.attempts[1].brief, messages[0].1,
        "attempt 2's brief is what was sent"
    );
    assert_ne!(t.attempts[0].brief, t.attempts[1].brief);
    assert_eq!(
        moves(&drain(&mut events), "a"),
        [
            "in_progress",
            "auditing",
            "in_progress",
            "auditing",
            "shipping",
            "completed"
        ]
    );
    assert!(
        h.dispatcher.log().running.is_empty(),
        "the team agent was stopped"
    );
}

#[tokio::test(start_paused = true)]
async fn team_fixes_still_count_as_attempts_and_end_in_blocked() {
    let mut h = Harness::new(FakeDispatcher::new(|_| FakeAgent::Turns {
        turn: minutes(2),
    }));
    h.gates = vec![flaky_gate(u32::MAX)];
    h.seed(vec![team("a", "repo", &[])]).await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    let t = h.get("a").await;
    assert_eq!(t.status, TaskStatus::Blocked, "{:?}", t.status_reason);
    assert_eq!(t.attempts.len(), 3);
    assert_eq!(h.dispatcher.log().briefs.len(), 1);
    assert_eq!(
        h.dispatcher.log().messages.len(),
        2,
        "two fixes sent, the third failure ends it"
    );
    assert!(
        h.dispatcher.log().running.is_empty(),
        "the team agent was stopped"
    );
}

#[tokio::test(start_paused = true)]
async fn a_completed_task_is_announced_to_running_team_agents_in_its_repo() {
    let h = Harness::new(FakeDispatcher::new(|b| {
        if b.task.id.as_str() == "up" {
            FakeAgent::succeed_after(minutes(1))
        } else {
            FakeAgent::Turns { turn: minutes(10) }
        }
    }));
    let mut up = task("up", &[]);
    up.repo = "shared".into();
    up.paths = vec!["src/api".into()];
    let other = team("other", "elsewhere", &[]);
    h.seed(vec![up, team("down", "shared", &["src/ui"]), other])
        .await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    let messages = h.dispatcher.log().messages.clone();
    let to_down: Vec<&String> = messages
        .iter()
        .filter(|(t, _)| t == &id("down"))
        .map(|(_, m)| m)
        .collect();
    assert_eq!(to_down.len(), 1, "{messages:?}");
    assert!(
        to_down[0].contains("Upstream task up (do up) in repository shared has completed"),
        "{}",
        to_down[0]
    );
    assert!(
        to_down[0].contains("Branch: ops/up-do-up (landed as commit"),
        "{}",
        to_down[0]
    );
    assert!(
        to_down[0].contains("Summary: did the task"),
        "{}",
        to_down[0]
    );
    assert!(
        !messages.iter().any(|(t, _)| t == &id("other")),
        "a team agent in another repository is not told"
    );
    assert_eq!(h.get("down").await.status, TaskStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn a_team_task_on_a_runtime_that_cannot_be_steered_runs_as_a_subagent_with_a_warning() {
    let mut h =
        Harness::new(FakeDispatcher::new(|_| FakeAgent::succeed_after(minutes(1))).not_steerable());
    h.gates = vec![flaky_gate(1)];
    h.seed(vec![team("a", "repo", &[])]).await;
    let (engine, mut events) = h.engine();
    engine.run().await.expect("run");
    assert_eq!(h.get("a").await.status, TaskStatus::Completed);
    assert_eq!(
        h.dispatcher.log().briefs.len(),
        2,
        "the gate failure got a new agent"
    );
    assert!(h.dispatcher.log().messages.is_empty());
    let warned = drain(&mut events).iter().any(|e| {
        matches!(e, Event::Warning { task: Some(t), message } if t == &id("a") && message.contains("cannot be steered"))
    });
    assert!(warned, "a warning says the team task runs as a subagent");
}

#[tokio::test(start_paused = true)]
async fn a_brief_names_the_files_other_running_tasks_in_the_repo_own() {
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(5))
    }));
    let mut a = task("a", &[]);
    a.repo = "shared".into();
    a.paths = vec!["src/api".into()];
    let mut b = task("b", &[]);
    b.repo = "shared".into();
    b.paths = vec!["src/ui".into()];
    h.seed(vec![a, b]).await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    let briefs = h.dispatcher.log().briefs.clone();
    let of = |n: &str| {
        briefs
            .iter()
            .find(|b| b.task.id.as_str() == n)
            .map(|b| b.text.clone())
            .unwrap_or_default()
    };
    let named = of("b").contains("src/api (owned by task a: do a)")
        || of("a").contains("src/ui (owned by task b: do b)");
    assert!(named, "a: {}\nb: {}", of("a"), of("b"));
}

#[tokio::test(start_paused = true)]
async fn a_team_agent_holds_its_slot_until_it_is_stopped_so_max_agents_holds() {
    let mut h = Harness::new(FakeDispatcher::new(|_| FakeAgent::Turns {
        turn: minutes(2),
    }));
    h.config.max_agents = 1;
    // Each task's first audit fails: its agent works a second turn after the audit.
    let per_task = Arc::new(std::sync::Mutex::new(std::collections::BTreeSet::new()));
    h.gates = vec![FakeGate::new("quality-gate", move |t, _| {
        let first = per_task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(t.id.clone());
        if first {
            GateVerdict::fail("test failed")
        } else {
            GateVerdict::pass("green")
        }
    })];
    h.seed(vec![team("a", "repo-a", &[]), team("b", "repo-b", &[])])
        .await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    assert_eq!(h.get("a").await.status, TaskStatus::Completed);
    assert_eq!(h.get("b").await.status, TaskStatus::Completed);
    assert_eq!(
        h.dispatcher.log().max_concurrent,
        1,
        "a second agent started while the first team agent still lived"
    );
}

/// A gate taking 10 minutes over task `down` that notes how many messages its agent
/// got meanwhile, failing its first audit; it passes any other task at once.
struct SlowGate {
    dispatcher: FakeDispatcher,
    during: Arc<std::sync::Mutex<Vec<(usize, usize)>>>,
    failed: Arc<std::sync::Mutex<std::collections::BTreeSet<ops_core::model::TaskId>>>,
}

#[async_trait::async_trait]
impl ops_core::seams::QualityGate for SlowGate {
    fn name(&self) -> &str {
        "slow-gate"
    }
    async fn check(
        &self,
        task: &ops_core::model::Task,
        _work: &ops_core::seams::WorkRef,
    ) -> ops_core::Result<GateVerdict> {
        let count = || {
            self.dispatcher
                .log()
                .messages
                .iter()
                .filter(|(t, _)| t == &task.id)
                .count()
        };
        if task.id.as_str() != "down" {
            return Ok(GateVerdict::pass("green"));
        }
        let before = count();
        tokio::time::sleep(minutes(10)).await;
        self.during
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((before, count()));
        let first = self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(task.id.clone());
        Ok(if first {
            GateVerdict::fail("test failed")
        } else {
            GateVerdict::pass("green")
        })
    }
}

#[tokio::test(start_paused = true)]
async fn an_upstream_completion_waits_while_a_team_agents_work_is_audited_and_reaches_its_next_turn()
 {
    let dispatcher = FakeDispatcher::new(|b| {
        if b.task.id.as_str() == "up" {
            FakeAgent::succeed_after(minutes(1))
        } else {
            FakeAgent::Turns {
                turn: Duration::from_secs(30),
            }
        }
    });
    let h = Harness::new(dispatcher.clone());
    let mut up = task("up", &[]);
    up.repo = "shared".into();
    up.paths = vec!["src/api".into()];
    h.seed(vec![up, team("down", "shared", &["src/ui"])]).await;
    let during = Arc::new(std::sync::Mutex::new(Vec::new()));
    let gate = SlowGate {
        dispatcher,
        during: Arc::clone(&during),
        failed: Arc::default(),
    };
    let engine = ops_core::Engine::new(
        h.board.clone(),
        Arc::new(h.dispatcher.clone()),
        Arc::new(h.shipper.clone()),
    )
    .with_config(h.config.clone())
    .with_gate(Arc::new(gate));
    engine.run().await.expect("run");
    assert_eq!(h.get("down").await.status, TaskStatus::Completed);
    let during = during
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert!(
        during.iter().all(|(before, after)| before == after),
        "a message reached an agent while its work was audited: {during:?}"
    );
    let to_down: Vec<String> = h
        .dispatcher
        .log()
        .messages
        .iter()
        .filter(|(t, _)| t == &id("down"))
        .map(|(_, m)| m.clone())
        .collect();
    assert!(
        to_down.iter().any(|m| m.contains("Upstream task up")),
        "the announcement reached down's next turn: {to_down:?}"
    );
}
