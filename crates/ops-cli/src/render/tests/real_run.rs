//! The live view fed with the events and report of a real engine run (over the
//! in-memory board and ops-core's fake agent runtime and forge).

use super::{Output, RunInfo, RunMode, Verbosity, view_with};
use ops_core::engine::MergeConfirmation;
use ops_core::fake::{FakeAgent, FakeDispatcher, FakeShipper};
use ops_core::model::{Task, TaskId};
use ops_core::{Engine, EngineConfig, Event, MemoryBoard, RunReport, TaskStore};
use std::sync::Arc;
use std::time::Duration;

fn config() -> EngineConfig {
    EngineConfig {
        checks_poll: Duration::from_millis(5),
        board_poll: Duration::from_secs(3600),
        merge_confirmation: MergeConfirmation::Forced,
        ..EngineConfig::default()
    }
}

/// Runs an engine over `tasks` to its end: every event, the report, the board after.
fn run(tasks: Vec<Task>) -> (Vec<Event>, RunReport, Vec<Task>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let board = Arc::new(MemoryBoard::new());
        for t in tasks {
            board.insert(t).await.expect("seed");
        }
        let agents = FakeDispatcher::new(|_| FakeAgent::Succeed {
            duration: Duration::from_millis(5),
            activity_every: None,
        });
        let engine = Engine::new(
            board.clone(),
            Arc::new(agents),
            Arc::new(FakeShipper::new()),
        )
        .with_config(config());
        let mut rx = engine.events().subscribe();
        let report = engine.run().await.expect("run");
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        (events, report, board.list().await.expect("list"))
    })
}

/// The report of a run over an empty board.
pub fn empty_run_report() -> RunReport {
    run(Vec::new()).1
}

fn chain() -> Vec<Task> {
    let id = |s: &str| TaskId::new(s).expect("valid");
    let a = Task::new(id("a"), "first", "web", "/src/web");
    let mut b = Task::new(id("b"), "second", "web", "/src/web");
    b.blocked_by.insert(id("a"));
    vec![a, b]
}

fn info() -> RunInfo {
    RunInfo {
        mode: RunMode::Subagents,
        agent: "fake".into(),
        max_agents: 5,
        budget_usd: None,
    }
}

#[test]
fn a_real_run_gives_one_line_per_event_and_a_report_of_what_shipped_and_was_promoted() {
    let (events, report, board) = run(chain());
    let (mut view, _) = view_with(Output::Lines, info(), Verbosity::Normal, 120);
    let mut out = Vec::new();
    for e in &events {
        view.on_event(e, &board, &mut out).expect("write");
    }
    let lines = String::from_utf8(out.clone()).expect("utf-8");
    assert_eq!(lines.lines().count(), events.len(), "{lines}");
    for want in [
        " a pending → in_progress\n",
        " fake started on a (attempt 1)\n",
        " b shipping → completed\n",
        " promoted dev → main in /src/web (",
        " halted: every task is done; 2 completed, 0 blocked, 0 left\n",
    ] {
        assert!(lines.contains(want), "missing {want:?} in:\n{lines}");
    }

    let mut out = Vec::new();
    view.finish(&report, &board, &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    let pr = |t: &str| {
        board
            .iter()
            .find(|x| x.id.as_str() == t)
            .and_then(|x| x.pr.clone())
            .expect("a PR was recorded")
    };
    assert!(
        text.starts_with("mode: subagents (agent fake)\nstopped: every task is done\n"),
        "{text}"
    );
    assert!(
        text.contains("completed: 2\n  a  first\n  b  second\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "shipped: 2\n  a → {}\n  b → {}\n",
            pr("a"),
            pr("b")
        )),
        "{text}"
    );
    assert!(text.contains("promoted to main: 1\n  /src/web: "), "{text}");
    assert!(text.contains("blocked: 0\nfollow-ups: 0\n"), "{text}");
    assert!(
        text.ends_with("left: nothing; `ops status` shows the board\n"),
        "{text}"
    );
}

#[test]
fn a_real_run_in_json_is_the_engines_events_as_is_then_the_report() {
    let (events, report, board) = run(chain());
    let (mut view, _) = view_with(Output::Json, info(), Verbosity::Normal, 120);
    let mut out = Vec::new();
    for e in &events {
        view.on_event(e, &board, &mut out).expect("write");
    }
    view.finish(&report, &board, &mut out).expect("write");
    let text = String::from_utf8(out).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), events.len() + 1);
    for (line, event) in lines.iter().zip(&events) {
        assert_eq!(*line, serde_json::to_value(event).expect("event"));
    }
    let r = lines.last().expect("report");
    assert_eq!(r["halt"], "all_done");
    assert_eq!(r["completed"], serde_json::json!(["a", "b"]));
    assert_eq!(r["shipped"][1]["task"], "b");
    assert!(r["shipped"][1]["pr"].is_string(), "{r}");
    assert_eq!(r["promoted"][0]["repo"], "/src/web");
    assert_eq!(r["remaining"], 0);
}
