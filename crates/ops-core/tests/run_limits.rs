//! What a run may do: the budget (`budget_usd`) and its scope (`projects`,
//! `fires_only`), under tokio's paused clock with fake backends. Every fake agent
//! reports a cost of $0.01.

mod common;

use common::{Harness, drain, id, task};
use ops_core::fake::{FakeAgent, FakeDispatcher};
use ops_core::model::{Lease, Priority, Task, TaskStatus, Timestamp, WorkerId};
use ops_core::seams::{AgentHandle, Brief, DispatcherCapabilities};
use ops_core::{Dispatcher, Engine, ErrorKind, Event, HaltReason, TaskStore};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

fn in_project(name: &str, project: &str, after: &[&str]) -> Task {
    let mut t = task(name, after);
    t.project = project.into();
    t
}

fn budget_events(events: &[Event]) -> Vec<(f64, f64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::BudgetSpent {
                spent_usd,
                budget_usd,
            } => Some((*spent_usd, *budget_usd)),
            _ => None,
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test(start_paused = true)]
async fn a_spent_budget_stops_dispatching_while_running_agents_finish_and_ship() {
    // a ends at 1 min ($0.01 = the budget); b, already running, works on to 5 min.
    let mut h = Harness::new(FakeDispatcher::new(|b| match b.task.id.as_str() {
        "a" => FakeAgent::succeed_after(minutes(1)),
        _ => FakeAgent::succeed_after(minutes(5)),
    }));
    h.config.max_agents = 2;
    h.config.budget_usd = Some(0.01);
    h.seed(vec![
        task("a", &[]),
        task("b", &[]),
        task("c", &[]),
        task("d", &[]),
    ])
    .await;
    let (engine, mut events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::BudgetSpent);
    for n in ["a", "b"] {
        assert_eq!(h.get(n).await.status, TaskStatus::Completed, "{n} shipped");
    }
    for n in ["c", "d"] {
        let t = h.get(n).await;
        assert_eq!(t.status, TaskStatus::Pending, "{n} left for later");
        assert!(t.attempts.is_empty(), "{n} was never dispatched");
    }
    assert_eq!(h.dispatcher.log().briefs.len(), 2);
    assert_eq!(report.shipped, [id("a"), id("b")]);
    assert_eq!(report.remaining, 2);
    assert!(close(report.spent_usd, 0.02), "{}", report.spent_usd);
    let events = drain(&mut events);
    let budget = budget_events(&events);
    assert_eq!(budget.len(), 1, "reported once: {budget:?}");
    assert!(
        close(budget[0].0, 0.01) && close(budget[0].1, 0.01),
        "{budget:?}"
    );
    assert!(matches!(
        events.last(),
        Some(Event::Halted {
            reason: HaltReason::BudgetSpent,
            remaining: 2,
            ..
        })
    ));
}

#[tokio::test(start_paused = true)]
async fn costs_add_up_across_agents_until_they_reach_the_budget() {
    // One agent at a time: $0.01 each, a budget of $0.03 lets exactly three run.
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.config.max_agents = 1;
    h.config.budget_usd = Some(0.03);
    h.seed((0..6).map(|i| task(&format!("t{i}"), &[])).collect())
        .await;
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::BudgetSpent);
    assert_eq!(report.shipped.len(), 3, "{report:?}");
    assert_eq!(report.completed, 3);
    assert_eq!(report.remaining, 3);
    assert!(close(report.spent_usd, 0.03), "{}", report.spent_usd);
}

#[tokio::test(start_paused = true)]
async fn a_run_that_finishes_everything_halts_all_done_even_with_the_budget_spent() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.config.budget_usd = Some(0.01);
    h.seed(vec![task("only", &[])]).await;
    let (engine, _events) = h.engine();
    let report = engine.run().await.expect("run");
    assert_eq!(report.halt, HaltReason::AllDone);
    assert!(close(report.spent_usd, 0.01), "{}", report.spent_usd);
}

#[tokio::test(start_paused = true)]
async fn a_budget_that_is_not_a_positive_finite_amount_is_refused_by_name() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let mut h = Harness::new(FakeDispatcher::new(|_| {
            FakeAgent::succeed_after(minutes(1))
        }));
        h.config.budget_usd = Some(bad);
        h.seed(vec![task("a", &[])]).await;
        let (engine, _events) = h.engine();
        let err = engine.run().await.expect_err("refused").to_string();
        assert!(err.contains("budget_usd"), "{bad}: {err}");
        assert!(err.contains(&bad.to_string()), "{bad}: {err}");
        assert!(h.dispatcher.log().briefs.is_empty(), "{bad}: nothing ran");
    }
}

/// An agent runtime that reports no cost (as Codex, Gemini, Aider and plain
/// commands declare): the fake runtime, declaring `reports_cost: false`.
struct NoCostReported(FakeDispatcher);

#[async_trait::async_trait]
impl Dispatcher for NoCostReported {
    fn name(&self) -> &str {
        "no-cost"
    }
    fn capabilities(&self) -> DispatcherCapabilities {
        DispatcherCapabilities {
            reports_cost: false,
            ..self.0.capabilities()
        }
    }
    async fn dispatch(&self, brief: &Brief) -> ops_core::Result<Box<dyn AgentHandle>> {
        self.0.dispatch(brief).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_budget_with_an_agent_runtime_that_reports_no_cost_is_refused_before_any_dispatch() {
    let h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.seed(vec![task("a", &[]), task("b", &[])]).await;
    let mut config = h.config.clone();
    config.budget_usd = Some(0.01);
    let engine = Engine::new(
        h.board.clone(),
        Arc::new(NoCostReported(h.dispatcher.clone())),
        Arc::new(h.shipper.clone()),
    )
    .with_config(config);
    let err = engine
        .run()
        .await
        .expect_err("a budget nobody can count is refused");
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    let message = err.to_string();
    assert!(message.contains("budget_usd"), "{message}");
    assert!(message.contains("no-cost"), "{message}");
    assert!(
        h.dispatcher.log().briefs.is_empty(),
        "nothing was dispatched"
    );
    assert_eq!(h.get("a").await.status, TaskStatus::Pending);
}

#[tokio::test(start_paused = true)]
async fn a_run_scoped_to_projects_leaves_every_other_task_exactly_as_it_was() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.config.projects = Some(BTreeSet::from(["api".to_string()]));
    h.seed(vec![
        in_project("a1", "api", &[]),
        in_project("a2", "api", &["a1"]),
        in_project("w1", "web", &[]),
        in_project("w2", "web", &[]),
    ])
    .await;
    // w2 was left in flight by a dead worker: only a run over "web" may take it over.
    let mut w2 = h.get("w2").await;
    w2.move_to(TaskStatus::InProgress, None).expect("legal");
    w2.lease = Some(Lease {
        owner: WorkerId("dead".into()),
        expires_at: Timestamp(1),
    });
    h.board.save(w2).await.expect("save");
    let before = [h.get("w1").await, h.get("w2").await];

    let (engine, mut events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    tokio::time::sleep(Duration::from_secs(30)).await;
    handle
        .add_task(in_project("a3", "api", &[]))
        .await
        .expect("add");
    handle
        .add_task(in_project("w3", "web", &[]))
        .await
        .expect("add");
    let report = run.await.expect("join").expect("run");

    assert_eq!(report.halt, HaltReason::AllDone);
    for n in ["a1", "a2", "a3"] {
        assert_eq!(h.get(n).await.status, TaskStatus::Completed, "{n}");
    }
    assert_eq!(
        [h.get("w1").await, h.get("w2").await],
        before,
        "out-of-scope tasks untouched"
    );
    let w3 = h.get("w3").await;
    assert_eq!(
        (w3.status, w3.attempts.len()),
        (TaskStatus::Pending, 0),
        "a task added to another project is left alone"
    );
    assert_eq!(report.completed, 3, "only the scope counts");
    assert_eq!(report.remaining, 0);
    let briefs: BTreeSet<String> = h
        .dispatcher
        .log()
        .briefs
        .iter()
        .map(|b| b.task.id.to_string())
        .collect();
    assert_eq!(briefs, BTreeSet::from(["a1", "a2", "a3"].map(String::from)));
    assert!(
        !drain(&mut events)
            .iter()
            .any(|e| matches!(e, Event::Reconciled { .. })),
        "no out-of-scope orphan taken over"
    );
    assert_eq!(h.shipper.promotions(), ["repo-a1", "repo-a2", "repo-a3"]);
}

#[tokio::test(start_paused = true)]
async fn a_scoped_task_waiting_for_work_outside_the_scope_ends_the_run_naming_the_blocker() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.config.projects = Some(BTreeSet::from(["api".to_string()]));
    h.seed(vec![
        in_project("schema", "db", &[]),
        in_project("endpoint", "api", &["schema"]),
        in_project("docs", "api", &[]),
    ])
    .await;
    let before = [h.get("schema").await, h.get("endpoint").await];
    let (engine, _events) = h.engine();
    let report = tokio::time::timeout(minutes(60), engine.run())
        .await
        .expect("the run ends instead of waiting for work it will not do")
        .expect("run");
    assert_eq!(report.halt, HaltReason::OnlyBlockedWork);
    assert_eq!(h.get("docs").await.status, TaskStatus::Completed);
    assert_eq!([h.get("schema").await, h.get("endpoint").await], before);
    assert_eq!(report.blocked.len(), 1, "{report:?}");
    let (task, reason) = &report.blocked[0];
    assert_eq!(task, &id("endpoint"));
    assert!(
        reason.contains("schema") && reason.contains("db") && reason.contains("scope"),
        "{reason}"
    );
    assert_eq!(report.remaining, 1);
}

#[tokio::test(start_paused = true)]
async fn fires_only_runs_p0_tasks_and_what_they_depend_on_and_halts_when_those_are_settled() {
    let mut h = Harness::new(FakeDispatcher::new(|_| {
        FakeAgent::succeed_after(minutes(1))
    }));
    h.config.fires_only = true;
    let mut fire = task("fire", &["cause"]);
    fire.priority = Priority::P0;
    h.seed(vec![
        task("root", &[]),
        task("cause", &["root"]),
        fire,
        task("later", &[]),
        task("after-fire", &["fire"]),
    ])
    .await;
    let (engine, _events) = h.engine();
    let handle = engine.handle();
    let run = tokio::spawn(engine.run());
    tokio::time::sleep(Duration::from_secs(30)).await;
    let mut new_fire = task("new-fire", &[]);
    new_fire.priority = Priority::P0;
    handle.add_task(new_fire).await.expect("add");
    handle.add_task(task("new-chore", &[])).await.expect("add");
    let report = run.await.expect("join").expect("run");

    assert_eq!(report.halt, HaltReason::AllDone);
    for n in ["root", "cause", "fire", "new-fire"] {
        assert_eq!(h.get(n).await.status, TaskStatus::Completed, "{n}");
    }
    for n in ["later", "after-fire", "new-chore"] {
        let t = h.get(n).await;
        assert_eq!(
            (t.status, t.attempts.len()),
            (TaskStatus::Pending, 0),
            "{n}"
        );
    }
    assert_eq!(report.completed, 4);
    assert_eq!(report.remaining, 0);
}
