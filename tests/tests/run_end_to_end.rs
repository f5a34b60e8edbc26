//! `ops run` end to end over three real repositories: todos with dependencies are
//! planned, the fake agent does each task in its own worktree, the gates run the
//! project's quality-gate script, the local shipper squashes each task onto dev in
//! its bare origin and promotes dev to main; the final report says so; a second run
//! right after finds nothing to do.

use ops_core::model::{Task, TaskStatus};
use ops_e2e::fleet::{Fleet, Started, Todo};
use ops_e2e::git::squashes;
use ops_e2e::invariants::{change_file, double_merges, lost_work, unlanded_leftovers};
use ops_e2e::journal::{self, Entry};
use ops_e2e::output::{self, RunOutput};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// Three projects: a chain of three and an independent task in `alpha`, two
/// independent tasks in `beta`, a chain of two in `gamma`.
const TODOS: &[Todo] = &[
    Todo {
        alias: "alpha",
        key: "parse",
        title: "Write the parser",
        after: None,
    },
    Todo {
        alias: "alpha",
        key: "check",
        title: "Type-check the parsed tree",
        after: Some("parse"),
    },
    Todo {
        alias: "alpha",
        key: "emit",
        title: "Generate code from the checked tree",
        after: Some("check"),
    },
    Todo {
        alias: "alpha",
        key: "changelog",
        title: "Update the changelog",
        after: None,
    },
    Todo {
        alias: "beta",
        key: "health",
        title: "Add a health endpoint",
        after: None,
    },
    Todo {
        alias: "beta",
        key: "logging",
        title: "Add request logging",
        after: None,
    },
    Todo {
        alias: "gamma",
        key: "config",
        title: "Add the config loader",
        after: None,
    },
    Todo {
        alias: "gamma",
        key: "settings",
        title: "Read settings from the config",
        after: Some("config"),
    },
];

/// Far beyond the seconds a run takes here; only a hang gets there.
const RUN_LIMIT: Duration = Duration::from_secs(90);

fn task_of<'b>(board: &'b [Task], todo: &Todo) -> &'b Task {
    todo.task(board)
        .unwrap_or_else(|| panic!("no task for todo {todo:?} on the board: {board:#?}"))
}

fn todo(key: &str) -> &'static Todo {
    TODOS
        .iter()
        .find(|t| t.key == key)
        .expect("a todo of the fixture")
}

/// Runs `ops run` to its end; its exit must be 0 and its output JSON lines.
fn run_once(fleet: &Fleet, name: &str) -> RunOutput {
    let ran = Started::spawn(fleet.run("", &[]), &fleet.scratch(), name).finish(RUN_LIMIT);
    assert!(
        ran.status.success(),
        "ops run exited with {:?}\nstdout:\n{}\nstderr:\n{}",
        ran.status.code(),
        ran.stdout,
        ran.stderr
    );
    let out = output::parse(&ran.stdout, false).unwrap_or_else(|e| panic!("{e}\n{}", ran.stdout));
    assert!(
        out.report.is_some(),
        "no final report (last line {{\"event\":\"report\"}}):\n{}",
        ran.stdout
    );
    out
}

fn ids(values: &Value, field: Option<&str>) -> BTreeSet<String> {
    values
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, got {values}"))
        .iter()
        .map(|v| {
            let v = field.map_or(v, |f| &v[f]);
            v.as_str()
                .unwrap_or_else(|| panic!("expected a task id, got {v}"))
                .to_string()
        })
        .collect()
}

#[test]
fn three_repositories_ship_every_task_once_in_dependency_order_promote_dev_and_a_second_run_does_nothing()
 {
    let fleet = Fleet::new(TODOS);
    let first = run_once(&fleet, "first");

    // The board: exactly the todos, each completed, with the todos' dependencies.
    let board = fleet.board();
    assert_eq!(board.len(), TODOS.len(), "one task per todo: {board:#?}");
    for t in TODOS {
        let task = task_of(&board, t);
        assert_eq!(task.status, TaskStatus::Completed, "{task:#?}");
        let expected: BTreeSet<String> = t
            .after
            .map(|key| task_of(&board, todo(key)).id.to_string())
            .into_iter()
            .collect();
        let actual: BTreeSet<String> = task.blocked_by.iter().map(|b| b.to_string()).collect();
        assert_eq!(actual, expected, "blockers of {}", t.title);
    }

    // Every origin: each task squashed onto dev exactly once, adding its own file,
    // after its blocker; nothing else squashed; main promoted to dev.
    for (alias, repo) in fleet.repos() {
        let on_dev = squashes(&repo.origin(), "dev");
        let mine: Vec<&Todo> = TODOS.iter().filter(|t| t.alias == alias).collect();
        assert_eq!(
            on_dev.len(),
            mine.len(),
            "{alias}: one squash commit per task on dev: {on_dev:#?}"
        );
        for t in &mine {
            let id = task_of(&board, t).id.to_string();
            let squash: Vec<_> = on_dev.iter().filter(|s| s.task == id).collect();
            assert_eq!(squash.len(), 1, "{alias}: {id} squashed once: {on_dev:#?}");
            assert_eq!(
                squash[0].added,
                [change_file(&id)],
                "{alias}: {id}'s change"
            );
            let content = repo.git(&["show", &format!("{}:{}", squash[0].sha, change_file(&id))]);
            assert_eq!(content, format!("done: {id}"));
            if let Some(after) = t.after {
                let blocker = task_of(&board, todo(after)).id.to_string();
                let before = on_dev
                    .iter()
                    .find(|s| s.task == blocker)
                    .expect("the blocker is on dev");
                assert!(
                    before.position < squash[0].position,
                    "{alias}: {id} merged before its blocker {blocker}: {on_dev:#?}"
                );
            }
        }
        assert_eq!(
            repo.origin_rev("main"),
            repo.origin_rev("dev"),
            "{alias}: main promoted to dev"
        );
    }
    let problems: Vec<String> = [
        double_merges(&fleet),
        lost_work(&fleet),
        unlanded_leftovers(&fleet),
    ]
    .concat();
    assert!(problems.is_empty(), "{problems:#?}");

    // The final report: every task completed and shipped, three promotions, nothing blocked.
    let report = first.report.expect("checked in run_once");
    let all: BTreeSet<String> = TODOS
        .iter()
        .map(|t| task_of(&board, t).id.to_string())
        .collect();
    assert_eq!(ids(&report["completed"], None), all, "{report:#}");
    assert_eq!(ids(&report["shipped"], Some("task")), all, "{report:#}");
    assert_eq!(report["blocked"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["mode"], "subagents", "{report:#}");
    assert_eq!(report["halt"], "all_done", "{report:#}");
    assert_eq!(report["remaining"], 0, "{report:#}");
    assert_eq!(report["follow_ups"], serde_json::json!([]), "{report:#}");
    for shipped in report["shipped"].as_array().expect("a list") {
        let task = board
            .iter()
            .find(|t| shipped["task"] == t.id.as_str())
            .expect("a task of the board");
        assert_eq!(
            shipped["pr"].as_str(),
            task.branch.as_deref(),
            "the local change is the task's branch: {report:#}"
        );
    }
    // One promotion per repository, each to the main its origin now has.
    let promoted: Vec<(String, Value)> = report["promoted"]
        .as_array()
        .expect("a list of promotions")
        .iter()
        .map(|p| {
            (
                p["repo"].as_str().unwrap_or_default().to_string(),
                p["outcome"].clone(),
            )
        })
        .collect();
    let expected: Vec<(String, Value)> = fleet
        .repos()
        .map(|(_, r)| {
            (
                r.work().display().to_string(),
                serde_json::json!({"result": "promoted", "sha": r.origin_rev("main")}),
            )
        })
        .collect();
    let sorted = |mut v: Vec<(String, Value)>| {
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    assert_eq!(sorted(promoted), sorted(expected), "{report:#}");
    for t in report["tasks"].as_array().expect("a list of tasks") {
        assert_eq!(t["status"], "completed", "{report:#}");
    }
    assert!(
        first.events.iter().all(|e| e["event"].is_string()),
        "every line names its event"
    );

    // A second run right after: no agent, no merge, dev and main unchanged, exit 0.
    let agents_before = started_agents(&fleet);
    let heads: Vec<(String, String)> = fleet
        .repos()
        .map(|(_, r)| (r.origin_rev("dev"), r.origin_rev("main")))
        .collect();
    let second = run_once(&fleet, "second");
    let report = second.report.expect("checked in run_once");
    assert_eq!(report["shipped"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["promoted"], serde_json::json!([]), "{report:#}");
    assert_eq!(ids(&report["completed"], None), all, "{report:#}");
    assert_eq!(
        started_agents(&fleet),
        agents_before,
        "the second run started no agent"
    );
    let after: Vec<(String, String)> = fleet
        .repos()
        .map(|(_, r)| (r.origin_rev("dev"), r.origin_rev("main")))
        .collect();
    assert_eq!(after, heads, "dev and main unchanged by the second run");
    let board_after = fleet.board();
    assert!(
        board_after.len() == board.len()
            && board_after
                .iter()
                .all(|t| t.status == TaskStatus::Completed),
        "{board_after:#?}"
    );
}

fn started_agents(fleet: &Fleet) -> usize {
    journal::read(&fleet.journal())
        .expect("the journal reads")
        .iter()
        .filter(|e| matches!(e, Entry::Start { .. }))
        .count()
}
