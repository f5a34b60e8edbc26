//! The live view fed with events and boards, read back from the bytes it wrote.

mod real_run;

use super::*;
use ops_core::HaltReason;
use ops_core::model::{Attempt, Lease, TaskId, TaskStatus, WorkerId};
use ops_core::seams::{ChecksState, MergeOutcome, PromoteOutcome};
use std::sync::{Arc, Mutex};

/// 2026-11-24T12:03:04Z
const WALL: Timestamp = Timestamp(1_795_521_784_000);

/// A clock the test moves by hand.
#[derive(Clone)]
struct Hands(Arc<Mutex<Instant>>);

impl Hands {
    fn advance(&self, ms: u64) {
        *self.0.lock().expect("clock") += Duration::from_millis(ms);
    }
}

fn info() -> RunInfo {
    RunInfo {
        mode: RunMode::Hybrid,
        agent: "claude".into(),
        max_agents: 5,
        budget_usd: None,
    }
}

fn view_with(
    output: Output,
    info: RunInfo,
    verbosity: Verbosity,
    width: usize,
) -> (LiveView, Hands) {
    let hands = Hands(Arc::new(Mutex::new(Instant::now())));
    let clock = hands.clone();
    let view = LiveView::with_parts(
        output,
        info,
        verbosity,
        Size { width, height: 40 },
        Box::new(move || (*clock.0.lock().expect("clock"), WALL)),
    );
    (view, hands)
}

fn view(output: Output) -> (LiveView, Hands) {
    view_with(output, info(), Verbosity::Normal, 120)
}

fn id(s: &str) -> TaskId {
    TaskId::new(s).expect("valid id")
}

fn task(name: &str, status: TaskStatus) -> Task {
    let mut t = Task::new(id(name), format!("title of {name}"), "web", "/src/web");
    t.status = status;
    t
}

fn with_cost(mut t: Task, costs: &[Option<f64>]) -> Task {
    for (n, cost_usd) in costs.iter().enumerate() {
        t.attempts.push(Attempt {
            number: u32::try_from(n + 1).expect("few"),
            brief: String::new(),
            started_at: Timestamp::default(),
            ended_at: None,
            summary: None,
            cost_usd: *cost_usd,
            outcome: None,
            session: None,
        });
    }
    t
}

fn leased(mut t: Task, owner: &str) -> Task {
    t.lease = Some(Lease {
        owner: WorkerId(owner.into()),
        expires_at: Timestamp::default(),
    });
    t
}

fn moved(name: &str, from: TaskStatus, to: TaskStatus) -> Event {
    Event::TaskMoved {
        task: id(name),
        from,
        to,
        reason: None,
    }
}

fn run_started() -> Event {
    Event::RunStarted {
        worker: WorkerId("me".into()),
        max_agents: 5,
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).expect("utf-8")
}

/// What is on screen after `out` was written: the text after the last erase.
fn screen(out: &[u8]) -> String {
    let text = text(out);
    match text.rfind("\x1b[J") {
        Some(at) => text[at + 3..].to_owned(),
        None => text,
    }
}

/// The cell under `column` in the row of `task` in the table on `screen`.
fn cell(screen: &str, task: &str, column: &str) -> String {
    let header = screen
        .lines()
        .find(|l| l.starts_with("TASK "))
        .unwrap_or_else(|| panic!("no table in:\n{screen}"));
    let names = ["TASK", "OWNER", "STATUS", "PR", "CI", "DEPLOY", "COST"];
    let starts: Vec<usize> = names
        .iter()
        .map(|n| {
            header
                .find(&format!("{n} "))
                .or_else(|| header.find(n))
                .expect("column")
        })
        .collect();
    let i = names
        .iter()
        .position(|n| *n == column)
        .expect("known column");
    let row: Vec<char> = screen
        .lines()
        .skip_while(|l| !l.starts_with("TASK "))
        .find(|l| l.starts_with(&format!("{task} ")))
        .unwrap_or_else(|| panic!("no row for {task} in:\n{screen}"))
        .chars()
        .collect();
    let end = starts
        .get(i + 1)
        .copied()
        .unwrap_or(row.len())
        .min(row.len());
    row[starts[i].min(row.len())..end]
        .iter()
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A report with `halt`: a real one (of a run over an empty board), then made to
/// say that `a` shipped, `b` is blocked, one is left and `/src/web` was promoted.
fn report(halt: HaltReason) -> RunReport {
    let mut r = real_run::empty_run_report();
    r.halt = halt;
    r.shipped = vec![id("a")];
    r.completed = 1;
    r.blocked = vec![(id("b"), "the fmt gate rejected the work: diff".into())];
    r.remaining = 1;
    r.promoted = vec![(
        "/src/web".into(),
        PromoteOutcome::Promoted {
            sha: "def5678901".into(),
        },
    )];
    r
}

#[test]
fn the_table_shows_owner_pr_ci_deploy_and_cost_from_the_events_that_feed_them() {
    let (mut view, hands) = view(Output::Table);
    let mut out = Vec::new();
    let mut a = leased(task("a", TaskStatus::InProgress), "me");
    let feed = |view: &mut LiveView, event: Event, board: &[Task], out: &mut Vec<u8>| {
        hands.advance(1000);
        view.on_event(&event, board, out).expect("write");
    };
    feed(&mut view, run_started(), &[a.clone()], &mut out);
    feed(
        &mut view,
        Event::AgentStarted {
            task: id("a"),
            attempt: 2,
            runtime: "claude".into(),
        },
        &[a.clone()],
        &mut out,
    );
    let s = screen(&out);
    assert_eq!(cell(&s, "a", "OWNER"), "claude #2");
    assert_eq!(cell(&s, "a", "STATUS"), "in_progress");
    assert_eq!(cell(&s, "a", "CI"), "");
    assert_eq!(cell(&s, "a", "COST"), "");

    a = with_cost(a, &[Some(0.25), Some(0.0123)]);
    feed(
        &mut view,
        Event::AgentFinished {
            task: id("a"),
            attempt: 2,
            succeeded: true,
            summary: "done".into(),
            cost_usd: Some(0.0123),
        },
        &[a.clone()],
        &mut out,
    );
    a.status = TaskStatus::Shipping;
    a.pr = Some("#12".into());
    feed(
        &mut view,
        Event::ChecksChanged {
            task: id("a"),
            change: "#12".into(),
            checks: ChecksState::Pending,
        },
        &[a.clone()],
        &mut out,
    );
    let s = screen(&out);
    assert_eq!(cell(&s, "a", "OWNER"), "", "no agent runs any more");
    assert_eq!(cell(&s, "a", "STATUS"), "shipping");
    assert_eq!(cell(&s, "a", "PR"), "#12");
    assert_eq!(cell(&s, "a", "CI"), "pending");
    assert_eq!(cell(&s, "a", "COST"), "$0.26");

    feed(
        &mut view,
        Event::ChecksChanged {
            task: id("a"),
            change: "#12".into(),
            checks: ChecksState::Failed {
                detail: "red".into(),
            },
        },
        &[a.clone()],
        &mut out,
    );
    assert_eq!(cell(&screen(&out), "a", "CI"), "failed");
    feed(
        &mut view,
        Event::ChecksChanged {
            task: id("a"),
            change: "#12".into(),
            checks: ChecksState::Passed,
        },
        &[a.clone()],
        &mut out,
    );
    assert_eq!(cell(&screen(&out), "a", "CI"), "passed");

    feed(
        &mut view,
        Event::MergeAttempted {
            task: id("a"),
            change: "#12".into(),
            outcome: MergeOutcome::Merged {
                sha: "abc1234567".into(),
            },
        },
        &[a.clone()],
        &mut out,
    );
    assert_eq!(cell(&screen(&out), "a", "DEPLOY"), "merged");
    feed(
        &mut view,
        Event::FollowUpAdded {
            after: id("a"),
            task: id("a-fix1"),
            title: "health endpoint down".into(),
        },
        &[a.clone()],
        &mut out,
    );
    assert_eq!(
        cell(&screen(&out), "a", "DEPLOY"),
        "merged, follow-up added"
    );
    feed(
        &mut view,
        Event::Promoted {
            project: "web".into(),
            repo: "/src/web".into(),
            outcome: PromoteOutcome::Skipped {
                reason: "dev is red".into(),
            },
        },
        &[a.clone()],
        &mut out,
    );
    assert_eq!(
        cell(&screen(&out), "a", "DEPLOY"),
        "promotion skipped, follow-up added"
    );
    feed(
        &mut view,
        Event::Promoted {
            project: "web".into(),
            repo: "/src/web".into(),
            outcome: PromoteOutcome::Promoted {
                sha: "def5678".into(),
            },
        },
        &[a.clone()],
        &mut out,
    );
    assert_eq!(
        cell(&screen(&out), "a", "DEPLOY"),
        "promoted, follow-up added"
    );
}

#[test]
fn owner_is_the_other_worker_holding_the_lease_and_blank_for_our_own_lease_without_an_agent() {
    let (mut view, _) = view(Output::Table);
    let mut out = Vec::new();
    let board = [
        leased(task("ours", TaskStatus::Auditing), "me"),
        leased(task("theirs", TaskStatus::InProgress), "worker-7"),
    ];
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    let s = screen(&out);
    assert_eq!(cell(&s, "ours", "OWNER"), "");
    assert_eq!(cell(&s, "theirs", "OWNER"), "worker-7");
}

#[test]
fn status_says_awaiting_confirmation_while_a_merge_question_is_open_and_when_blocked_for_one() {
    let (mut view, hands) = view(Output::Table);
    let mut out = Vec::new();
    let mut waiting = task("w", TaskStatus::Blocked);
    waiting.status_reason = Some("awaiting confirmation: #3 is green".into());
    let asking = task("q", TaskStatus::Shipping);
    let board = [waiting, asking];
    view.on_event(
        &Event::MergeConfirmationRequested {
            task: id("q"),
            change: "#3".into(),
            url: None,
            head: "abc".into(),
        },
        &board,
        &mut out,
    )
    .expect("write");
    let s = screen(&out);
    assert_eq!(cell(&s, "w", "STATUS"), "awaiting confirmation");
    assert_eq!(cell(&s, "q", "STATUS"), "awaiting confirmation");
    hands.advance(1000);
    view.on_event(
        &Event::MergeAttempted {
            task: id("q"),
            change: "#3".into(),
            outcome: MergeOutcome::Merged { sha: "abc".into() },
        },
        &board,
        &mut out,
    )
    .expect("write");
    assert_eq!(cell(&screen(&out), "q", "STATUS"), "shipping");
}

#[test]
fn counts_follow_the_board_and_show_spend_against_the_budget() {
    let budget = RunInfo {
        budget_usd: Some(5.0),
        ..info()
    };
    let (mut view, hands) = view_with(Output::Table, budget, Verbosity::Normal, 120);
    let mut out = Vec::new();
    let mut board = vec![
        task("c1", TaskStatus::Completed),
        task("f1", TaskStatus::InProgress),
        task("f2", TaskStatus::Auditing),
        task("q1", TaskStatus::Pending),
        task("q2", TaskStatus::Pending),
        task("b1", TaskStatus::Blocked),
        task("b2", TaskStatus::Failed),
        task("gone", TaskStatus::Deleted),
    ];
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    let s = screen(&out);
    assert!(
        s.contains("Completed 1 · In-flight 2 · Queued 2 · Blocked 2 · spent $0.00 of $5.00\n"),
        "{s}"
    );
    assert!(!s.contains("gone "), "deleted tasks get no row:\n{s}");

    board[1].status = TaskStatus::Completed;
    board[3].status = TaskStatus::InProgress;
    hands.advance(1000);
    view.on_event(
        &Event::AgentFinished {
            task: id("f1"),
            attempt: 1,
            succeeded: true,
            summary: String::new(),
            cost_usd: Some(0.3),
        },
        &board,
        &mut out,
    )
    .expect("write");
    let s = screen(&out);
    assert!(
        s.contains("Completed 2 · In-flight 2 · Queued 1 · Blocked 2 · spent $0.30 of $5.00\n"),
        "{s}"
    );
}

#[test]
fn rows_are_ordered_by_wave_then_priority() {
    let (mut view, _) = view(Output::Table);
    let mut out = Vec::new();
    let mut late = task("late", TaskStatus::Pending);
    late.priority = ops_core::model::Priority::P0;
    late.blocked_by.insert(id("root"));
    let mut urgent = task("urgent", TaskStatus::Pending);
    urgent.priority = ops_core::model::Priority::P0;
    let mut root = task("root", TaskStatus::Pending);
    root.priority = ops_core::model::Priority::P3;
    let mut outside = task("outside", TaskStatus::Pending);
    outside.priority = ops_core::model::Priority::P1;
    outside.blocked_by.insert(id("not-in-scope"));
    view.on_event(&run_started(), &[late, root, outside, urgent], &mut out)
        .expect("write");
    let order: Vec<String> = screen(&out)
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .take(4)
        .collect();
    assert_eq!(order, ["urgent", "outside", "root", "late"]);
}

#[test]
fn a_redraw_moves_up_exactly_the_lines_drawn_before_and_clears_them() {
    let (mut view, hands) = view(Output::Table);
    let mut board = vec![task("a", TaskStatus::Pending)];
    let mut first = Vec::new();
    view.on_event(&run_started(), &board, &mut first)
        .expect("write");
    let drawn = text(&first).matches('\n').count();
    assert_eq!(
        drawn,
        4,
        "title, header, one row, counts:\n{}",
        text(&first)
    );
    assert!(
        !text(&first).contains('\x1b'),
        "nothing to erase the first time"
    );

    board.push(task("b", TaskStatus::Pending));
    hands.advance(200);
    let mut second = Vec::new();
    view.on_event(&Event::TaskAdded { task: id("b") }, &board, &mut second)
        .expect("write");
    let second = text(&second);
    assert!(second.starts_with("\x1b[4A\r\x1b[J"), "{second:?}");
    assert_eq!(second.matches('\x1b').count(), 2, "one move, one clear");

    hands.advance(200);
    let mut third = Vec::new();
    view.on_event(
        &moved("a", TaskStatus::Pending, TaskStatus::InProgress),
        &board,
        &mut third,
    )
    .expect("write");
    assert!(
        text(&third).starts_with("\x1b[5A\r\x1b[J"),
        "the table grew by one row: {:?}",
        text(&third)
    );
}

#[test]
fn the_throttle_holds_back_quick_redraws_but_never_loses_the_last_state() {
    let (mut view, hands) = view(Output::Table);
    let mut board = vec![task("a", TaskStatus::Pending)];
    let mut out = Vec::new();
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");

    board[0].status = TaskStatus::InProgress;
    hands.advance(10);
    let mut held = Vec::new();
    view.on_event(
        &moved("a", TaskStatus::Pending, TaskStatus::InProgress),
        &board,
        &mut held,
    )
    .expect("write");
    assert!(
        held.is_empty(),
        "drawn within {REDRAW_EVERY:?}: {:?}",
        text(&held)
    );
    hands.advance(50);
    view.tick(&mut held).expect("write");
    assert!(held.is_empty(), "a tick before the interval draws nothing");

    hands.advance(50);
    view.tick(&mut held).expect("write");
    assert_eq!(cell(&screen(&held), "a", "STATUS"), "in_progress");
    // Held back again, then a note: the note comes with the latest table.
    board[0].status = TaskStatus::Auditing;
    hands.advance(1);
    let mut out = Vec::new();
    view.on_event(
        &moved("a", TaskStatus::InProgress, TaskStatus::Auditing),
        &board,
        &mut out,
    )
    .expect("write");
    assert!(out.is_empty());
    view.note("Ctrl-C: finishing running agents", &mut out)
        .expect("write");
    let s = text(&out);
    assert!(
        s.starts_with("\x1b[4A\r\x1b[JCtrl-C: finishing running agents\n"),
        "{s:?}"
    );
    assert_eq!(cell(&screen(&out), "a", "STATUS"), "auditing");
    let mut idle = Vec::new();
    hands.advance(500);
    view.tick(&mut idle).expect("write");
    assert!(idle.is_empty(), "nothing new since the note, nothing drawn");

    // Held back, then the end: the report follows the latest table.
    view.on_event(&run_started(), &board, &mut Vec::new())
        .expect("write");
    board[0].status = TaskStatus::Shipping;
    hands.advance(1);
    let mut out = Vec::new();
    view.on_event(
        &moved("a", TaskStatus::Auditing, TaskStatus::Shipping),
        &board,
        &mut out,
    )
    .expect("write");
    assert!(out.is_empty());
    board[0].status = TaskStatus::Completed;
    view.finish(&report(HaltReason::AllDone), &board, &mut out)
        .expect("write");
    let s = screen(&out);
    assert_eq!(cell(&s, "a", "STATUS"), "completed");
    assert!(
        s.contains("Blocked 0\n\nmode: hybrid (agent claude)\nstopped: every task is done\n"),
        "the report follows the table after a blank line: {s}"
    );
}

#[test]
fn warnings_print_above_the_table_which_is_drawn_again_below_them() {
    let (mut view, hands) = view(Output::Table);
    let board = [task("a", TaskStatus::Pending)];
    let mut out = Vec::new();
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    hands.advance(1);
    let mut out = Vec::new();
    view.on_event(
        &Event::Warning {
            task: Some(id("a")),
            message: "cannot be steered".into(),
        },
        &board,
        &mut out,
    )
    .expect("write");
    let s = text(&out);
    assert!(
        s.starts_with("\x1b[4A\r\x1b[Jwarning: a: cannot be steered\nops run · hybrid"),
        "{s:?}"
    );
    assert_eq!(cell(&s, "a", "STATUS"), "pending");
}

#[test]
fn the_table_fits_the_terminal_width_by_shortening_titles() {
    let (mut view, _) = view_with(Output::Table, info(), Verbosity::Normal, 60);
    let mut long = task("ops-todo-1a2b", TaskStatus::Pending);
    long.title = "a title far too long to fit in sixty columns next to the others".into();
    let mut out = Vec::new();
    view.on_event(&run_started(), &[long], &mut out)
        .expect("write");
    let s = text(&out);
    for line in s.lines() {
        assert!(line.chars().count() <= 60, "{line:?} is wider than 60");
    }
    let row = s
        .lines()
        .find(|l| l.starts_with("ops-todo-1a2b a title"))
        .expect("row");
    assert!(row.contains('…'), "the title is cut: {row}");
}

#[test]
fn on_a_narrow_terminal_long_changes_are_cut_before_a_task_id_is() {
    let (mut view, _) = view_with(Output::Table, info(), Verbosity::Normal, 100);
    let ids = ["work-todo-df1616b824", "work-todo-771f821a5b"];
    let board: Vec<Task> = ids
        .iter()
        .map(|name| {
            let mut t = task(name, TaskStatus::Completed);
            t.title = "write the release notes for the next version".into();
            t.pr = Some(format!("ops/{name}-write-the-release-notes-for-the-next"));
            with_cost(t, &[Some(0.25)])
        })
        .collect();
    let mut out = Vec::new();
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    let s = screen(&out);
    for line in s.lines() {
        assert!(line.chars().count() <= 100, "{line:?} is wider than 100");
    }
    assert!(s.contains("COST"), "the COST column is cut off: {s}");
    for name in ids {
        let row = s
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row starts with the whole id {name}: {s}"));
        assert!(row.contains("$0.25"), "the cost is cut off: {row}");
    }
}

#[test]
fn quiet_table_output_shows_no_table_only_warnings_and_the_report() {
    let (mut view, _) = view_with(Output::Table, info(), Verbosity::Quiet, 120);
    let board = [task("a", TaskStatus::Completed)];
    let mut out = Vec::new();
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    view.on_event(
        &moved("a", TaskStatus::Shipping, TaskStatus::Completed),
        &board,
        &mut out,
    )
    .expect("write");
    assert!(out.is_empty(), "{}", text(&out));
    view.on_event(
        &Event::Warning {
            task: None,
            message: "slow".into(),
        },
        &board,
        &mut out,
    )
    .expect("write");
    view.finish(&report(HaltReason::AllDone), &board, &mut out)
        .expect("write");
    let s = text(&out);
    assert!(s.starts_with("warning: slow\nmode: hybrid"), "{s}");
    assert!(!s.contains("TASK"), "{s}");
}

/// One event of each kind that has a line, with the board it is seen with.
fn story() -> (Vec<Event>, Vec<Task>) {
    let board = vec![with_cost(
        task("ops-todo-1a2b", TaskStatus::Completed),
        &[Some(0.0123)],
    )];
    let t = || id("ops-todo-1a2b");
    let events = vec![
        run_started(),
        Event::TaskAdded { task: t() },
        moved("ops-todo-1a2b", TaskStatus::Pending, TaskStatus::InProgress),
        Event::AgentStarted {
            task: t(),
            attempt: 1,
            runtime: "claude".into(),
        },
        Event::AgentFinished {
            task: t(),
            attempt: 1,
            succeeded: true,
            summary: "fixed\nit".into(),
            cost_usd: Some(0.0123),
        },
        moved(
            "ops-todo-1a2b",
            TaskStatus::InProgress,
            TaskStatus::Auditing,
        ),
        Event::GateJudged {
            task: t(),
            gate: "diff".into(),
            passed: true,
            detail: "2 files".into(),
        },
        Event::ChangeOpened {
            task: t(),
            change: "ops/ops-todo-1a2b".into(),
            url: None,
        },
        Event::ChecksChanged {
            task: t(),
            change: "ops/ops-todo-1a2b".into(),
            checks: ChecksState::Passed,
        },
        Event::MergeAttempted {
            task: t(),
            change: "ops/ops-todo-1a2b".into(),
            outcome: MergeOutcome::Merged {
                sha: "abc1234deadbeef".into(),
            },
        },
        Event::Promoted {
            project: "web".into(),
            repo: "/src/web".into(),
            outcome: PromoteOutcome::Promoted {
                sha: "def5678cafe".into(),
            },
        },
        Event::Warning {
            task: None,
            message: "codex cannot be steered:\nfalling back".into(),
        },
        Event::Halted {
            reason: HaltReason::AllDone,
            completed: 1,
            blocked: vec![],
            remaining: 0,
        },
    ];
    (events, board)
}

#[test]
fn lines_output_writes_one_timed_greppable_line_per_event() {
    let (mut view, _) = view(Output::Lines);
    let (events, board) = story();
    let mut out = Vec::new();
    for e in &events {
        view.on_event(e, &board, &mut out).expect("write");
    }
    let s = text(&out);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), events.len(), "{s}");
    assert!(lines.iter().all(|l| l.starts_with("12:03:04 ")), "{s}");
    for want in [
        "12:03:04 ops-todo-1a2b added: title of ops-todo-1a2b",
        "12:03:04 ops-todo-1a2b pending → in_progress",
        "12:03:04 claude started on ops-todo-1a2b (attempt 1)",
        "12:03:04 claude finished on ops-todo-1a2b (attempt 1): ok ($0.0123)",
        "12:03:04 ops-todo-1a2b in_progress → auditing",
        "12:03:04 ops-todo-1a2b gate diff passed: 2 files",
        "12:03:04 ops-todo-1a2b checks passed",
        "12:03:04 ops-todo-1a2b merged into dev (abc1234)",
        "12:03:04 promoted dev → main in /src/web (def5678)",
        "12:03:04 warning: codex cannot be steered: falling back",
        "12:03:04 halted: every task is done; 1 completed, 0 blocked, 0 left",
    ] {
        assert!(lines.contains(&want), "missing {want:?} in:\n{s}");
    }
    assert!(!s.contains('\x1b'), "no terminal codes without a terminal");
}

#[test]
fn quiet_lines_output_prints_only_warnings_then_the_report() {
    let (mut view, _) = view_with(Output::Lines, info(), Verbosity::Quiet, 120);
    let (events, board) = story();
    let mut out = Vec::new();
    for e in &events {
        view.on_event(e, &board, &mut out).expect("write");
    }
    assert_eq!(
        text(&out),
        "12:03:04 warning: codex cannot be steered: falling back\n"
    );
    view.finish(&report(HaltReason::AllDone), &board, &mut out)
        .expect("write");
    assert!(text(&out).contains("\nmode: hybrid (agent claude)\n"));
}

#[test]
fn json_output_is_one_parseable_object_per_event_then_the_report_with_the_documented_keys() {
    let (mut view, _) = view(Output::Json);
    let (events, mut board) = story();
    board[0].pr = Some("#12".into());
    board.push(task("b", TaskStatus::Blocked));
    let mut out = Vec::new();
    for e in &events {
        view.on_event(e, &board, &mut out).expect("write");
    }
    view.on_event(
        &Event::FollowUpAdded {
            after: id("ops-todo-1a2b"),
            task: id("ops-todo-1a2b-fix1"),
            title: "health down".into(),
        },
        &board,
        &mut out,
    )
    .expect("write");
    view.note("merge #12? [y/N]", &mut out).expect("write");
    view.finish(&report(HaltReason::AllDone), &board, &mut out)
        .expect("write");
    let s = text(&out);
    let values: Vec<serde_json::Value> = s
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(values.len(), events.len() + 3);
    assert_eq!(values[2]["event"], "task_moved");
    assert_eq!(values[2]["to"], "in_progress");
    assert_eq!(values[4]["cost_usd"], 0.0123);
    assert_eq!(values[values.len() - 2]["event"], "note");
    assert_eq!(values[values.len() - 2]["message"], "merge #12? [y/N]");

    let r = values.last().expect("report");
    let mut keys: Vec<&str> = r
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "blocked",
            "completed",
            "event",
            "follow_ups",
            "halt",
            "mode",
            "promoted",
            "remaining",
            "shipped",
            "spent_usd",
            "tasks"
        ]
    );
    assert_eq!(r["event"], "report");
    assert_eq!(r["mode"], "hybrid");
    assert_eq!(r["halt"], "all_done");
    assert_eq!(r["completed"], serde_json::json!(["ops-todo-1a2b"]));
    assert_eq!(r["shipped"], serde_json::json!([{"task": "a", "pr": null}]));
    assert_eq!(
        r["promoted"],
        serde_json::json!([{"repo": "/src/web", "outcome": {"result": "promoted", "sha": "def5678901"}}])
    );
    assert_eq!(
        r["blocked"],
        serde_json::json!([{"task": "b", "reason": "the fmt gate rejected the work: diff"}])
    );
    assert_eq!(
        r["follow_ups"],
        serde_json::json!([{"after": "ops-todo-1a2b", "task": "ops-todo-1a2b-fix1", "title": "health down"}])
    );
    assert_eq!(r["remaining"], 1);
    assert_eq!(r["spent_usd"], 0.0123);
    assert_eq!(
        r["tasks"],
        serde_json::json!([
            {"id": "ops-todo-1a2b", "status": "completed", "pr": "#12", "cost_usd": 0.0123},
            {"id": "b", "status": "blocked", "pr": null, "cost_usd": null}
        ])
    );
}

#[test]
fn the_report_lists_completed_shipped_promoted_blocked_follow_ups_costs_and_what_is_left() {
    let budget = RunInfo {
        budget_usd: Some(2.0),
        ..info()
    };
    let (mut view, _) = view_with(Output::Lines, budget, Verbosity::Normal, 120);
    let mut a = with_cost(
        task("a", TaskStatus::Completed),
        &[Some(0.5), None, Some(0.25)],
    );
    a.pr = Some("#12".into());
    let board = vec![
        a,
        with_cost(task("b", TaskStatus::Blocked), &[Some(1.0)]),
        task("c", TaskStatus::Pending),
    ];
    let mut out = Vec::new();
    for e in [
        Event::AgentFinished {
            task: id("a"),
            attempt: 3,
            succeeded: true,
            summary: String::new(),
            cost_usd: Some(0.25),
        },
        Event::FollowUpAdded {
            after: id("a"),
            task: id("a-fix1"),
            title: "new Sentry error\nafter merge".into(),
        },
    ] {
        view.on_event(&e, &board, &mut out).expect("write");
    }
    let mut report_only = Vec::new();
    view.finish(
        &report(HaltReason::OnlyBlockedWork),
        &board,
        &mut report_only,
    )
    .expect("write");
    assert_eq!(
        text(&report_only),
        "mode: hybrid (agent claude)\n\
         stopped: only blocked work is left\n\
         completed: 1\n  a  title of a\n\
         shipped: 1\n  a → #12\n\
         promoted to main: 1\n  /src/web: promoted (def5678)\n\
         blocked: 1\n  b: the fmt gate rejected the work: diff\n\
         follow-ups: 1\n  a-fix1 (after a): new Sentry error after merge\n\
         cost: $1.75 in total, $0.25 this run of a $2.00 budget\n  \
         a  $0.75  title of a\n  b  $1.00  title of b\n\
         left: 1 to do, 1 blocked; run `ops run` again to go on; `ops status` shows the board\n"
    );
}

#[test]
fn the_report_after_the_budget_ran_out_says_how_to_go_on() {
    let (mut view, _) = view(Output::Lines);
    let mut out = Vec::new();
    let mut r = report(HaltReason::BudgetSpent);
    r.blocked.clear();
    view.finish(&r, &[task("c", TaskStatus::Pending)], &mut out)
        .expect("write");
    let s = text(&out);
    assert!(s.contains("stopped: the budget is spent\n"), "{s}");
    assert!(
        s.contains("left: 1 to do, 0 blocked; raise the budget (--budget-usd or [engine] budget_usd) and run `ops run` again"),
        "{s}"
    );
}

#[test]
fn run_modes_are_named_as_their_flags_and_the_size_comes_from_columns_and_lines() {
    assert_eq!(
        [RunMode::Subagents, RunMode::Teams, RunMode::Hybrid].map(RunMode::name),
        ["subagents", "teams", "hybrid"]
    );
    assert_eq!(
        terminal_size(Some("80"), Some(" 50\n"), Some((100, 30))),
        Size {
            width: 80,
            height: 50
        }
    );
    assert_eq!(
        terminal_size(None, Some("0"), Some((100, 30))),
        Size {
            width: 100,
            height: 30
        },
        "the terminal's own size when the variables do not say"
    );
    for unusable in [None, Some(""), Some("0"), Some("wide")] {
        assert_eq!(
            terminal_size(unusable, unusable, Some((0, 0))),
            Size {
                width: 120,
                height: 40
            },
            "{unusable:?}"
        );
    }
}

#[test]
fn a_new_view_stamps_lines_with_the_utc_wall_clock() {
    let mut view = LiveView::new(Output::Lines, info(), Verbosity::Normal);
    let before = lines::clock(Timestamp::now());
    let mut out = Vec::new();
    view.on_event(&run_started(), &[], &mut out).expect("write");
    let after = lines::clock(Timestamp::now());
    let s = text(&out);
    let stamp = &s[..8];
    assert!(
        before.as_str() <= stamp && stamp <= after.as_str() || before > after,
        "{s} not between {before} and {after}"
    );
    assert_eq!(&s[8..], " run started: worker me, up to 5 agents\n");
}

#[test]
fn a_retry_clears_the_checks_and_merge_of_the_failed_attempt_and_says_why_above_the_table() {
    let (mut view, hands) = view(Output::Table);
    let mut board = vec![task("a", TaskStatus::Shipping)];
    let mut out = Vec::new();
    for event in [
        Event::ChecksChanged {
            task: id("a"),
            change: "#1".into(),
            checks: ChecksState::Failed {
                detail: "test x".into(),
            },
        },
        Event::MergeAttempted {
            task: id("a"),
            change: "#1".into(),
            outcome: MergeOutcome::Refused {
                reason: "conflict".into(),
            },
        },
    ] {
        hands.advance(1000);
        view.on_event(&event, &board, &mut out).expect("write");
    }
    let s = screen(&out);
    assert_eq!(cell(&s, "a", "CI"), "failed");
    assert_eq!(cell(&s, "a", "DEPLOY"), "merge refused");

    board[0].status = TaskStatus::Pending;
    hands.advance(1000);
    let mut out = Vec::new();
    for event in [
        Event::Retrying {
            task: id("a"),
            attempt: 1,
            reason: "shipping failed: conflict".into(),
        },
        moved("a", TaskStatus::Shipping, TaskStatus::Pending),
    ] {
        hands.advance(1000);
        view.on_event(&event, &board, &mut out).expect("write");
    }
    assert!(
        text(&out).contains("\x1b[Ja attempt 1 failed, retrying: shipping failed: conflict\n"),
        "{:?}",
        text(&out)
    );
    let s = screen(&out);
    assert_eq!(cell(&s, "a", "CI"), "");
    assert_eq!(cell(&s, "a", "DEPLOY"), "");
    assert_eq!(cell(&s, "a", "STATUS"), "pending");
}

#[test]
fn a_report_without_any_reported_cost_says_zero_dollars_not_minus_zero() {
    // An empty f64 sum is -0.0, which `{:.2}` writes as "-0.00".
    let (mut view, _) = view(Output::Lines);
    let mut out = Vec::new();
    let mut r = report(HaltReason::AllDone);
    r.blocked.clear();
    view.finish(&r, &[task("c", TaskStatus::Completed)], &mut out)
        .expect("write");
    let s = text(&out);
    assert!(s.contains("cost: $0.00 in total, $0.00 this run\n"), "{s}");
    assert!(!s.contains("$-"), "{s}");
}

#[test]
fn spend_leaves_out_costs_that_are_not_finite_and_non_negative() {
    let (mut view, _) = view(Output::Json);
    let mut out = Vec::new();
    for cost in [Some(0.5), Some(f64::NAN), Some(-2.0), None, Some(0.25)] {
        view.on_event(
            &Event::AgentFinished {
                task: id("a"),
                attempt: 1,
                succeeded: true,
                summary: String::new(),
                cost_usd: cost,
            },
            &[],
            &mut out,
        )
        .expect("write");
    }
    let mut r = report(HaltReason::AllDone);
    r.shipped.clear();
    view.finish(&r, &[], &mut out).expect("write");
    let last: serde_json::Value =
        serde_json::from_str(text(&out).lines().last().expect("report")).expect("json");
    assert_eq!(last["spent_usd"], 0.75);
}

#[test]
fn a_board_taller_than_the_terminal_drops_completed_rows_first_then_the_last_and_says_so() {
    let (mut view, _) = view(Output::Table);
    view.size.height = 10; // 5 rows
    let mut board: Vec<Task> = (0..4)
        .map(|n| task(&format!("done{n}"), TaskStatus::Completed))
        .collect();
    board.extend((0..4).map(|n| task(&format!("todo{n}"), TaskStatus::Pending)));
    board[2].status = TaskStatus::InProgress;
    let mut out = Vec::new();
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    let s = text(&out);
    let rows: Vec<&str> = s
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("done") || w.starts_with("todo"))
        .collect();
    assert_eq!(rows, ["done2", "todo0", "todo1", "todo2", "todo3"]);
    assert!(
        s.contains("\n… 3 more tasks not shown (`ops status` lists them all)\n"),
        "{s}"
    );
    assert!(s.lines().count() < 10, "the top line stays on screen:\n{s}");

    view.size.height = 7; // 2 rows
    let mut out = Vec::new();
    view.note("x", &mut out).expect("write");
    let s = screen(&out);
    let rows: Vec<&str> = s
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("done") || w.starts_with("todo"))
        .collect();
    assert_eq!(rows, ["done2", "todo0"], "{s}");
    assert!(s.contains("… 6 more tasks"), "{s}");
}

#[test]
fn a_task_whose_merge_reached_main_in_an_earlier_run_shows_promoted_not_merged() {
    let (mut view, _) = view(Output::Table);
    let mut earlier = task("earlier", TaskStatus::Completed);
    earlier.pr = Some("#5".into());
    earlier.promoted_at = Some(Timestamp::now());
    let mut skipped_now = task("skipped", TaskStatus::Completed);
    skipped_now.pr = Some("#6".into());
    let board = [earlier, skipped_now];
    let mut out = Vec::new();
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    let s = screen(&out);
    assert_eq!(cell(&s, "earlier", "DEPLOY"), "promoted");
    assert_eq!(cell(&s, "skipped", "DEPLOY"), "merged");
}

#[test]
fn a_task_completed_with_a_change_before_this_run_shows_merged_and_then_its_promotion() {
    let (mut view, hands) = view(Output::Table);
    let mut earlier = task("earlier", TaskStatus::Completed);
    earlier.pr = Some("#5".into());
    let board = [
        earlier,
        task("already-done", TaskStatus::Completed),
        task("todo", TaskStatus::Pending),
    ];
    let mut out = Vec::new();
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    let s = screen(&out);
    assert_eq!(cell(&s, "earlier", "DEPLOY"), "merged");
    assert_eq!(
        cell(&s, "already-done", "DEPLOY"),
        "",
        "no change, nothing merged"
    );
    assert_eq!(cell(&s, "todo", "DEPLOY"), "");
    hands.advance(1000);
    view.on_event(
        &Event::Promoted {
            project: "web".into(),
            repo: "/src/web".into(),
            outcome: PromoteOutcome::UpToDate,
        },
        &board,
        &mut out,
    )
    .expect("write");
    let s = screen(&out);
    assert_eq!(cell(&s, "earlier", "DEPLOY"), "promoted");
    assert_eq!(cell(&s, "todo", "DEPLOY"), "", "not merged, not promoted");
}

#[test]
fn verbose_table_output_prints_every_events_line_above_the_table() {
    let (mut view, hands) = view_with(Output::Table, info(), Verbosity::Verbose, 120);
    let board = [task("a", TaskStatus::InProgress)];
    let mut out = Vec::new();
    view.on_event(&run_started(), &board, &mut out)
        .expect("write");
    hands.advance(1);
    let mut out = Vec::new();
    view.on_event(
        &moved("a", TaskStatus::Pending, TaskStatus::InProgress),
        &board,
        &mut out,
    )
    .expect("write");
    let s = text(&out);
    assert!(
        s.starts_with("\x1b[4A\r\x1b[Ja pending → in_progress\nops run · hybrid"),
        "{s:?}"
    );
}

#[test]
fn a_runtime_paused_by_a_rate_limit_is_said_above_the_table_and_in_the_counts_until_it_resumes() {
    let (mut view, hands) = view(Output::Table);
    let board = [task("a", TaskStatus::Pending)];
    view.on_event(&run_started(), &board, &mut Vec::new())
        .expect("write");
    hands.advance(1);
    let mut out = Vec::new();
    view.on_event(
        &Event::RuntimePaused {
            runtime: "claude".into(),
            task: id("a"),
            until: Timestamp(WALL.0 + 3_600_000),
            reason: "usage limit reached".into(),
        },
        &board,
        &mut out,
    )
    .expect("write");
    let s = text(&out);
    assert!(
        s.contains("claude paused until 2026-11-24 13:03:04 UTC by a rate or usage limit (hit by a; the attempt does not count): usage limit reached\n"),
        "{s:?}"
    );
    assert!(
        s.contains("Blocked 0 · claude paused until 2026-11-24 13:03:04 UTC (rate or usage limit)"),
        "{s:?}"
    );
    hands.advance(1);
    let mut out = Vec::new();
    view.on_event(
        &Event::RuntimeResumed {
            runtime: "claude".into(),
        },
        &board,
        &mut out,
    )
    .expect("write");
    let s = text(&out);
    assert!(s.contains("claude resumed"), "{s:?}");
    assert!(!s.contains("paused until"), "{s:?}");
}

#[test]
fn agent_lines_name_the_runtime_the_task_the_attempt_and_whether_it_is_steered_and_a_missing_cost_is_n_a()
 {
    let (mut view, _) = view(Output::Lines);
    let mut team = task("t3", TaskStatus::InProgress);
    team.mode = ops_core::model::Mode::Team;
    let board = [team, task("t4", TaskStatus::InProgress)];
    let mut out = Vec::new();
    for e in [
        Event::AgentStarted {
            task: id("t3"),
            attempt: 2,
            runtime: "claude".into(),
        },
        Event::AgentStarted {
            task: id("t4"),
            attempt: 1,
            runtime: "claude".into(),
        },
        Event::AgentFinished {
            task: id("t3"),
            attempt: 2,
            succeeded: true,
            summary: String::new(),
            cost_usd: Some(0.0042),
        },
        Event::AgentFinished {
            task: id("t4"),
            attempt: 1,
            succeeded: true,
            summary: String::new(),
            cost_usd: None,
        },
    ] {
        view.on_event(&e, &board, &mut out).expect("write");
    }
    let s = text(&out);
    for want in [
        "12:03:04 claude started on t3 (attempt 2, steered)\n",
        "12:03:04 claude started on t4 (attempt 1)\n",
        "12:03:04 claude finished on t3 (attempt 2): ok ($0.0042)\n",
        "12:03:04 claude finished on t4 (attempt 1): ok (cost n/a)\n",
    ] {
        assert!(s.contains(want), "missing {want:?} in:\n{s}");
    }
}
