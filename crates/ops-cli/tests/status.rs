//! `ops status` against real board files, through the built binary.

mod support;

use ops_core::model::{Attempt, Priority, Task, TaskId, TaskStatus, Timestamp};
use ops_core::{SqliteBoard, TaskStore};
use serde_json::Value;
use std::path::Path;
use support::{ops, ops_with_env, stderr, stdout};

fn id(s: &str) -> TaskId {
    TaskId::new(s).expect("valid id in test")
}

/// Seeds `<state_dir>/board.sqlite` through ops-core:
/// `fix-ci` (P0, in progress, one attempt that reported $0.5123) ← `add-endpoint` ← `document-endpoint`,
/// and `tidy-readme` on its own.
fn seed_board(state_dir: &Path) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let board = SqliteBoard::open(state_dir.join("board.sqlite"))
            .await
            .expect("open board");
        let mut fix = Task::new(id("fix-ci"), "Fix CI on main", "acme", "acme/api");
        fix.priority = Priority::P0;
        let mut add = Task::new(
            id("add-endpoint"),
            "Add the /health endpoint",
            "acme",
            "acme/api",
        );
        add.priority = Priority::P1;
        add.blocked_by.insert(id("fix-ci"));
        let mut doc = Task::new(
            id("document-endpoint"),
            "Document /health",
            "acme",
            "acme/docs",
        );
        doc.blocked_by.insert(id("add-endpoint"));
        doc.paths = vec!["docs/api.md".into()];
        let mut tidy = Task::new(id("tidy-readme"), "Tidy the README", "acme", "acme/web");
        tidy.priority = Priority::P3;
        for task in [fix, add, doc, tidy] {
            board.insert(task).await.expect("insert");
        }
        let mut fix = board
            .get(&id("fix-ci"))
            .await
            .expect("get")
            .expect("on the board");
        fix.move_to(TaskStatus::InProgress, Some("claimed by worker-1".into()))
            .expect("pending -> in_progress is legal");
        fix.branch = Some("ops/fix-ci-fix-ci-on-main".into());
        fix.attempts.push(Attempt {
            number: 1,
            brief: "fix it".into(),
            started_at: Timestamp::now(),
            ended_at: None,
            summary: None,
            cost_usd: Some(0.5123),
            outcome: None,
            session: None,
        });
        board.save(fix).await.expect("save");
    });
}

/// The first five columns (ID PRIORITY STATUS WAVE ATTEMPTS) of the row for `task`.
fn table_row(table: &str, task: &str) -> Vec<String> {
    let line = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(task))
        .unwrap_or_else(|| panic!("no row for {task} in:\n{table}"));
    line.split_whitespace().take(5).map(String::from).collect()
}

#[test]
fn status_shows_each_task_with_its_priority_status_wave_from_zero_and_attempts_then_counts_unless_quiet()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    seed_board(dir.path());
    let out = ops(dir.path(), &["status"]);
    let table = stdout(&out);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(table.starts_with("ID  "), "{table}");
    for column in [
        "PRIORITY", "STATUS", "WAVE", "ATTEMPTS", "COST", "TITLE", "REASON",
    ] {
        assert!(
            table.lines().next().is_some_and(|h| h.contains(column)),
            "{column} missing:\n{table}"
        );
    }
    assert_eq!(
        table_row(&table, "fix-ci"),
        ["fix-ci", "P0", "in_progress", "0", "1"]
    );
    assert_eq!(
        table_row(&table, "add-endpoint"),
        ["add-endpoint", "P1", "pending", "1", "0"]
    );
    assert_eq!(
        table_row(&table, "document-endpoint"),
        ["document-endpoint", "P2", "pending", "2", "0"]
    );
    assert_eq!(
        table_row(&table, "tidy-readme"),
        ["tidy-readme", "P3", "pending", "0", "0"]
    );
    let fix_line = table
        .lines()
        .find(|l| l.starts_with("fix-ci"))
        .expect("row");
    assert!(
        fix_line.contains("Fix CI on main") && fix_line.ends_with("claimed by worker-1"),
        "{fix_line}"
    );
    let cost_at = table
        .lines()
        .next()
        .and_then(|h| h.find("COST"))
        .expect("COST");
    assert!(
        fix_line[cost_at..].starts_with("$0.51 "),
        "the attempts' reported cost under COST: {fix_line}"
    );
    let tidy_line = table
        .lines()
        .find(|l| l.starts_with("tidy-readme"))
        .expect("row");
    assert!(
        tidy_line[cost_at..].starts_with(' '),
        "COST is blank when no attempt reported one: {tidy_line}"
    );
    assert!(
        table.ends_with("4 tasks: 3 pending, 1 in_progress\n"),
        "{table}"
    );

    let quiet = stdout(&ops(dir.path(), &["status", "-q"]));
    assert_eq!(
        quiet.lines().count(),
        5,
        "header and four rows, no counts:\n{quiet}"
    );
}

#[test]
fn status_json_carries_waves_from_zero_statuses_blockers_and_branch_only_once_known() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed_board(dir.path());
    let out = ops(dir.path(), &["status", "--json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let tasks: Vec<Value> = serde_json::from_slice(&out.stdout).expect("stdout is a JSON array");
    let ids: Vec<&str> = tasks.iter().filter_map(|t| t["id"].as_str()).collect();
    assert_eq!(
        ids,
        ["add-endpoint", "document-endpoint", "fix-ci", "tidy-readme"],
        "ordered by id"
    );

    let by_id = |task: &str| {
        tasks
            .iter()
            .find(|t| t["id"] == task)
            .expect("task in JSON")
    };
    let fix = by_id("fix-ci");
    assert_eq!(fix["status"], "in_progress");
    assert_eq!(fix["priority"], "P0");
    assert_eq!(fix["mode"], "subagent");
    assert_eq!(fix["wave"], 0, "waves are numbered from 0, as in the seed");
    assert_eq!(fix["attempts"], 1);
    assert_eq!(fix["blocked_by"], serde_json::json!([]));
    assert_eq!(fix["branch"], "ops/fix-ci-fix-ci-on-main");
    assert_eq!(fix["status_reason"], "claimed by worker-1");
    assert_eq!(fix["project"], "acme");
    assert_eq!(fix["repo"], "acme/api");
    assert_eq!(fix["title"], "Fix CI on main");
    assert_eq!(
        fix["cost_usd"], 0.5123,
        "the attempts' reported costs, summed"
    );

    let doc = by_id("document-endpoint");
    assert_eq!(doc["wave"], 2);
    assert_eq!(doc["status"], "pending");
    assert_eq!(doc["blocked_by"], serde_json::json!(["add-endpoint"]));
    assert_eq!(doc["paths"], serde_json::json!(["docs/api.md"]));
    assert_eq!(doc["attempts"], 0);
    assert_eq!(
        by_id("add-endpoint")["blocked_by"],
        serde_json::json!(["fix-ci"])
    );
    assert_eq!(by_id("add-endpoint")["wave"], 1);

    let mut keys: Vec<&str> = doc
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "attempts",
            "blocked_by",
            "id",
            "mode",
            "paths",
            "priority",
            "project",
            "repo",
            "status",
            "status_reason",
            "title",
            "wave"
        ],
        "branch, pr and cost_usd appear only once known; status_reason is always there"
    );
    assert!(doc["status_reason"].is_null());
}

#[test]
fn status_on_an_empty_state_dir_shows_an_empty_board_and_creates_no_board_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ops(dir.path(), &["status"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ID  PRIORITY  STATUS  WAVE  ATTEMPTS  COST  TITLE  REASON\nthe board is empty\n"
    );
    let out = ops(dir.path(), &["status", "--json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "[]");
    assert!(
        !dir.path().join("board.sqlite").exists(),
        "a read-only command created the board"
    );
}

#[test]
fn status_finds_the_board_through_ops_state_dir_and_xdg_state_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    seed_board(dir.path());
    let out = ops_with_env(
        &["status", "--json"],
        &[("OPS_STATE_DIR", dir.path().as_os_str())],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let tasks: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON array");
    assert_eq!(tasks.len(), 4);

    let xdg = tempfile::tempdir().expect("tempdir");
    seed_board(&xdg.path().join("ops"));
    let out = ops_with_env(
        &["status", "-v"],
        &[("XDG_STATE_HOME", xdg.path().as_os_str())],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let expected = format!(
        "board: {}\n",
        xdg.path().join("ops").join("board.sqlite").display()
    );
    assert!(text.starts_with(&expected), "{text}");
    assert!(text.contains("tidy-readme"), "{text}");
}

#[test]
fn status_on_a_garbage_board_file_fails_naming_the_file_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let board = dir.path().join("board.sqlite");
    // Deterministic noise (xorshift), not a SQLite header.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let garbage: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect();
    std::fs::write(&board, &garbage).expect("write garbage");

    for args in [&["status"][..], &["status", "--json"][..]] {
        let out = ops(dir.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: stderr: {err}");
        assert!(
            err.contains(&board.display().to_string()),
            "the error names the file: {err}"
        );
        assert!(err.starts_with("ops: failed to "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(out.stdout.is_empty(), "nothing on stdout: {}", stdout(&out));
    }
    assert_eq!(
        std::fs::read(&board).expect("read back"),
        garbage,
        "the file was modified"
    );
}
