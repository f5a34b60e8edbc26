//! The `custom_dispatcher` example: its core, [`example::demo`], run as a test.

#[path = "../examples/custom_dispatcher.rs"]
#[expect(dead_code, reason = "the example's `main` is for `cargo run`")]
mod example;

use ops_core::HaltReason;
use ops_core::conformance::{self, DispatcherProbe};
use ops_core::model::{Task, TaskId};
use ops_core::seams::Brief;
use std::time::Duration;

fn brief(id: &str) -> Brief {
    let task = Task::new(TaskId::new(id).expect("valid"), id, "demo", "/src/demo");
    Brief {
        branch: task.branch_name(),
        text: format!("do {id}"),
        attempt: 1,
        task,
        review: None,
        resume: None,
    }
}

#[tokio::test]
async fn the_example_dispatcher_passes_the_dispatcher_conformance_suite() {
    let scribe = example::Scribe {
        log: example::WorkLog::default(),
    };
    let probe = DispatcherProbe {
        finishing: brief("finishing"),
        long_running: brief("long"),
        limit: Duration::from_secs(5),
    };
    conformance::dispatcher(&scribe, probe).await;
    let log = scribe.log.lock().expect("lock").clone();
    assert_eq!(
        log,
        ["finishing (attempt 1)"],
        "the stopped agent did no work"
    );
}

#[tokio::test]
async fn the_custom_dispatcher_example_ships_every_task_in_dependency_order_and_reports_its_cost() {
    let mut out = Vec::new();
    let (report, work) = example::demo(&mut out).await.expect("the example runs");
    let out = String::from_utf8(out).expect("utf-8");

    assert_eq!(report.halt, HaltReason::AllDone, "{out}");
    assert_eq!(report.completed, 3);
    let shipped: Vec<&str> = report.shipped.iter().map(|t| t.as_str()).collect();
    let at = |id: &str| shipped.iter().position(|s| *s == id).expect(id);
    assert!(at("schema") < at("endpoint"), "{shipped:?}");
    assert_eq!(work.len(), 3, "one agent per task: {work:?}");
    assert!(
        work.contains(&"add GET /users (attempt 1)".to_string()),
        "{work:?}"
    );
    assert!((report.spent_usd - 3.0 * example::COST_PER_AGENT_USD).abs() < 1e-9);
    assert_eq!(report.promoted.len(), 2, "two repositories: {out}");

    for line in [
        "schema: pending -> in_progress",
        "endpoint: shipping -> completed",
        "docs: agent done, $0.25",
        "halted: AllDone",
        "shipped 3 task(s), 3 completed, spent $0.75",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing {line:?} in:\n{out}"
        );
    }
}
