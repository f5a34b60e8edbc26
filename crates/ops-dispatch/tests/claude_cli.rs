//! The real Claude Code CLI (pinned, installed by scripts/install-agent-clis.sh)
//! driven by the Claude backend against the fake Anthropic API on 127.0.0.1.

mod support;

use ops_core::conformance::{DispatcherProbe, dispatcher as conformance};
use ops_core::fake::FakeShipper;
use ops_core::model::{AttemptOutcome, Mode, TaskStatus, Timestamp};
use ops_core::seams::AgentStatus;
use ops_core::{Engine, EngineConfig, Event, MemoryBoard, TaskStore};
use ops_dispatch::{ClaudeConfig, ClaudeDispatcher, Workbench};
use ops_testkit::anthropic::{FakeAnthropic, Reply};
use ops_testkit::{TempRepo, claude_cli};
use std::sync::Arc;
use std::time::Duration;
use support::*;
use tokio::time::timeout;

fn claude_bench(api: &FakeAnthropic, home: &std::path::Path) -> Workbench {
    let mut b = bench("claude-test");
    b.env = std::mem::take(&mut b.env)
        .set("ANTHROPIC_BASE_URL", api.url())
        .set("ANTHROPIC_API_KEY", "test")
        .set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .set("HOME", home.to_string_lossy());
    b
}

fn dispatcher(bench: Workbench) -> ClaudeDispatcher {
    ClaudeDispatcher::new(
        bench,
        ClaudeConfig {
            program: claude_cli().to_string_lossy().into_owned(),
            ..ClaudeConfig::default()
        },
    )
    .expect("valid config")
}

fn dump(api: &FakeAnthropic) -> String {
    api.requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.path,
                r.body.to_string().chars().take(300).collect::<String>()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_cli_writes_a_file_and_commits_in_the_worktree() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let wt = worktree_of(&repo, "c1");
    let api = FakeAnthropic::start(vec![
        Reply::write(
            &wt.join("hello.txt").to_string_lossy(),
            "hello from claude\n",
        ),
        Reply::bash("git add hello.txt && git commit -q -m 'add hello.txt'"),
        Reply::Text("Wrote hello.txt and committed it.".into()),
    ])
    .await;
    let d = dispatcher(claude_bench(&api, home.path()));
    let t = task(&repo, "c1", "Say hello");
    let handle = ops_core::seams::Dispatcher::dispatch(&d, &brief_of(&t))
        .await
        .expect("dispatch");
    let out = timeout(Duration::from_secs(60), handle.wait())
        .await
        .unwrap_or_else(|_| panic!("the CLI ended in time; requests:\n{}", dump(&api)));
    assert_eq!(
        out.status,
        AgentStatus::Succeeded,
        "{out:?}\nrequests:\n{}",
        dump(&api)
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("hello.txt")).expect("hello.txt written"),
        "hello from claude\n"
    );
    let log = ops_testkit::git(&wt, &["log", "--format=%s", "-1"]);
    assert_eq!(log, "add hello.txt", "the agent's own commit is HEAD");
    assert_eq!(out.changed_files, ["hello.txt"]);
    assert_eq!(out.summary, "Wrote hello.txt and committed it.");
    assert!(api.received("Say hello"), "the brief reached the model");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_mid_run_reaches_the_model_under_the_uuid_ops_gave_it() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let wt = worktree_of(&repo, "c2");
    let api = FakeAnthropic::start(vec![
        // The first turn is held open so the message arrives mid-turn.
        Reply::Delay(
            Duration::from_millis(1500),
            Box::new(Reply::write(&wt.join("a.txt").to_string_lossy(), "a\n")),
        ),
        Reply::Text("Wrote a.txt.".into()),
    ])
    .await;
    let d = dispatcher(claude_bench(&api, home.path()));
    let mut t = task(&repo, "c2", "Write a");
    t.mode = Mode::Team;
    let handle = ops_core::seams::Dispatcher::dispatch(&d, &brief_of(&t))
        .await
        .expect("dispatch");
    let session = handle
        .session_id()
        .expect("a claude agent has a session id");
    // Wait until the model has been asked once (the agent is mid-turn), then steer.
    api.wait_for_a_turn(Duration::from_secs(30)).await;
    handle
        .send("STEER-7f3a: also mention the weather")
        .await
        .expect("a steerable agent takes a message mid-turn");
    api.wait_to_receive(Duration::from_secs(30), "STEER-7f3a")
        .await;
    let out = timeout(Duration::from_secs(30), handle.wait())
        .await
        .expect("the turn ends");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
    handle.stop().await.expect("stop");
    assert!(wt.join("a.txt").is_file(), "the first turn's work is there");
    let uuid =
        ops_dispatch::claude::message_uuid(&session, 1, "STEER-7f3a: also mention the weather");
    let lines = transcripts(home.path());
    // Claude Code 2.1.332 queues a mid-turn message as a `queued_command` whose
    // `source_uuid` is the message's own uuid.
    let queued: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l.pointer("/attachment/type") == Some(&"queued_command".into()))
        .collect();
    assert_eq!(queued.len(), 1, "{queued:#?}");
    assert_eq!(
        queued[0].pointer("/attachment/source_uuid"),
        Some(&serde_json::Value::from(uuid.clone())),
        "the steer is in the session under the uuid ops gave it: {queued:#?}"
    );
    assert!(queued[0].to_string().contains("STEER-7f3a"));
    assert!(
        lines
            .iter()
            .all(|l| l["sessionId"].as_str().is_none_or(|s| s == session)),
        "one session, named by ops"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_cli_passes_the_dispatcher_conformance_suite() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let api = FakeAnthropic::start(vec![
        Reply::Text("Nothing to change.".into()),
        // The long-running agent's first turn never answers before it is stopped.
        Reply::Delay(
            Duration::from_secs(120),
            Box::new(Reply::Text("late".into())),
        ),
    ])
    .await;
    let d = dispatcher(claude_bench(&api, home.path()));
    let probe = DispatcherProbe {
        finishing: brief_of(&task(&repo, "q1", "Quick")),
        long_running: brief_of(&task(&repo, "q2", "Slow")),
        limit: Duration::from_secs(60),
    };
    conformance(&d, probe).await;
}

/// The Claude bench with the CLI's own retries off, so an API refusal reaches ops
/// at once (a real CLI retries a 429 several times with backoff first).
fn no_retry_bench(api: &FakeAnthropic, home: &std::path::Path) -> Workbench {
    let mut b = claude_bench(api, home);
    b.env = std::mem::take(&mut b.env).set("CLAUDE_CODE_MAX_RETRIES", "0");
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_from_the_api_is_a_rate_limit_not_a_failure() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let api = FakeAnthropic::start(vec![ops_testkit::anthropic::rate_limited()]).await;
    let d = dispatcher(no_retry_bench(&api, home.path()));
    let t = task(&repo, "rl1", "Limited");
    let handle = ops_core::seams::Dispatcher::dispatch(&d, &brief_of(&t))
        .await
        .expect("dispatch");
    let out = timeout(Duration::from_secs(60), handle.wait())
        .await
        .expect("the CLI ends");
    match &out.status {
        AgentStatus::RateLimited { reason, resets_at } => {
            assert!(reason.contains("429"), "{reason}");
            assert_eq!(*resets_at, None);
        }
        other => panic!("a rate limit, got {other:?}\nrequests:\n{}", dump(&api)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usage_limit_is_a_rate_limit_with_its_reset_time() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let reset = ops_core::model::Timestamp::now().0 / 1000 + 3600;
    let api = FakeAnthropic::start(vec![ops_testkit::anthropic::usage_limit(reset)]).await;
    let d = dispatcher(no_retry_bench(&api, home.path()));
    let t = task(&repo, "rl2", "Used up");
    let handle = ops_core::seams::Dispatcher::dispatch(&d, &brief_of(&t))
        .await
        .expect("dispatch");
    let out = timeout(Duration::from_secs(60), handle.wait())
        .await
        .expect("the CLI ends");
    let log = std::fs::read_to_string(repo.work().join(".worktrees/.logs/rl2/attempt-1.log"))
        .unwrap_or_default();
    match &out.status {
        AgentStatus::RateLimited { resets_at, .. } => assert_eq!(
            *resets_at,
            Some(ops_core::model::Timestamp(reset * 1000)),
            "{out:?}\nlog:\n{log}"
        ),
        other => panic!("a rate limit, got {other:?}\nlog:\n{log}"),
    }
}

/// An engine over a memory board running the real CLI through `dispatcher`, the
/// fake shipper, one counted attempt per task and short rate-limit backoffs.
fn claude_engine(
    board: &Arc<MemoryBoard>,
    dispatcher: ClaudeDispatcher,
) -> (Engine, tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let engine = Engine::new(
        board.clone(),
        Arc::new(dispatcher),
        Arc::new(FakeShipper::new()),
    )
    .with_config(EngineConfig {
        max_attempts: 1,
        checks_poll: Duration::from_millis(10),
        board_poll: Duration::from_secs(3600),
        stop_grace: Duration::from_secs(5),
        rate_limit_backoff: Duration::from_millis(200),
        ..EngineConfig::default()
    });
    let events = engine.events().subscribe();
    (engine, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_529_and_a_429_then_success_complete_the_task_without_using_up_its_one_attempt() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let wt = worktree_of(&repo, "rl3");
    let api = FakeAnthropic::start(vec![
        ops_testkit::anthropic::overloaded(),
        ops_testkit::anthropic::rate_limited(),
        Reply::write(&wt.join("done.txt").to_string_lossy(), "done\n"),
        Reply::Text("Wrote done.txt.".into()),
    ])
    .await;
    let board = Arc::new(MemoryBoard::new());
    board
        .insert(task(&repo, "rl3", "Limited then fine"))
        .await
        .expect("seed");
    let (engine, mut events) = claude_engine(&board, dispatcher(no_retry_bench(&api, home.path())));
    let stamp = timestamped(&mut events);
    let report = timeout(Duration::from_secs(120), engine.run())
        .await
        .expect("the run ends")
        .expect("run");
    let t = board.get(&t_id("rl3")).await.expect("get").expect("task");
    assert_eq!(
        t.status,
        TaskStatus::Completed,
        "{t:#?}\nrequests:\n{}",
        dump(&api)
    );
    assert_eq!(report.completed, 1);
    assert_eq!(t.counted_attempts(), 0, "no attempt failed");
    let outcomes: Vec<_> = t.attempts.iter().map(|a| a.outcome.clone()).collect();
    assert!(
        matches!(
            outcomes.as_slice(),
            [
                Some(AttemptOutcome::RateLimited { .. }),
                Some(AttemptOutcome::RateLimited { .. }),
                Some(AttemptOutcome::Shipped)
            ]
        ),
        "{outcomes:?}"
    );
    let paused: Vec<String> = stamp
        .await
        .expect("the events")
        .into_iter()
        .filter_map(|(_, e)| match e {
            Event::RuntimePaused {
                runtime, reason, ..
            } => Some(format!("{runtime}: {reason}")),
            _ => None,
        })
        .collect();
    assert_eq!(paused.len(), 2, "{paused:?}");
    assert!(
        paused[0].starts_with("claude: API Error") && paused[0].contains("529"),
        "{paused:?}"
    );
    assert!(paused[1].contains("429"), "{paused:?}");
    assert!(wt.join("done.txt").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_usage_limit_pauses_the_runtime_until_its_reset_time_and_the_task_then_ships() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    // Far enough ahead that the CLI reaches the API before it.
    let reset_secs = Timestamp::now().0 / 1000 + 8;
    let reset = Timestamp(reset_secs * 1000);
    let api = FakeAnthropic::start(vec![
        ops_testkit::anthropic::usage_limit(reset_secs),
        Reply::Text("Nothing left to change.".into()),
    ])
    .await;
    let board = Arc::new(MemoryBoard::new());
    board
        .insert(task(&repo, "rl4", "Used up then fine"))
        .await
        .expect("seed");
    let (engine, mut events) = claude_engine(&board, dispatcher(no_retry_bench(&api, home.path())));
    let stamp = timestamped(&mut events);
    let report = timeout(Duration::from_secs(120), engine.run())
        .await
        .expect("the run ends")
        .expect("run");
    assert_eq!(report.completed, 1, "{report:?}\nrequests:\n{}", dump(&api));
    let events = stamp.await.expect("the events");
    let until = events
        .iter()
        .find_map(|(_, e)| match e {
            Event::RuntimePaused { until, .. } => Some(*until),
            _ => None,
        })
        .expect("the runtime was paused");
    assert_eq!(until, reset, "paused until the reset the API named");
    let resumed = events
        .iter()
        .find(|(_, e)| matches!(e, Event::RuntimeResumed { runtime } if runtime == "claude"))
        .map(|(at, _)| *at)
        .expect("the runtime resumed");
    let second_start = events
        .iter()
        .filter(|(_, e)| matches!(e, Event::AgentStarted { .. }))
        .nth(1)
        .map(|(at, _)| *at)
        .expect("a second agent started");
    assert!(resumed >= reset && second_start >= resumed, "{events:?}");
    let t = board.get(&t_id("rl4")).await.expect("get").expect("task");
    assert_eq!(t.counted_attempts(), 0);
}

/// Collects `events` with their arrival times until the engine is dropped.
fn timestamped(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
) -> tokio::task::JoinHandle<Vec<(Timestamp, Event)>> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::mem::swap(events, &mut rx);
    drop(tx);
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(e) = rx.recv().await {
            seen.push((Timestamp::now(), e));
        }
        seen
    })
}

fn t_id(s: &str) -> ops_core::model::TaskId {
    ops_core::model::TaskId::new(s).expect("valid id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_runs_hardened_no_hooks_from_home_no_plan_mode_and_no_background_tasks() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let marker = home.path().join("hook-ran");
    let touch = |event: &str| {
        serde_json::json!([{ "matcher": "*", "hooks": [{
            "type": "command",
            "command": format!("echo {event} >> {}", marker.display()),
        }]}])
    };
    let settings = serde_json::json!({ "hooks": {
        "SessionStart": touch("SessionStart"),
        "UserPromptSubmit": touch("UserPromptSubmit"),
        "PreToolUse": touch("PreToolUse"),
        "Stop": touch("Stop"),
    }});
    std::fs::create_dir_all(home.path().join(".claude")).expect("~/.claude");
    std::fs::write(
        home.path().join(".claude/settings.json"),
        settings.to_string(),
    )
    .expect("settings.json");
    let wt = worktree_of(&repo, "h1");
    let api = FakeAnthropic::start(vec![
        Reply::bash("printf '%s' \"$CLAUDE_CODE_DISABLE_BACKGROUND_TASKS\" > bg.txt"),
        Reply::Text("Recorded the setting.".into()),
    ])
    .await;
    let d = dispatcher(claude_bench(&api, home.path()));
    let t = task(&repo, "h1", "Harden");
    let handle = ops_core::seams::Dispatcher::dispatch(&d, &brief_of(&t))
        .await
        .expect("dispatch");
    let out = timeout(Duration::from_secs(60), handle.wait())
        .await
        .expect("the CLI ends");
    assert_eq!(
        out.status,
        AgentStatus::Succeeded,
        "{out:?}\n{}",
        dump(&api)
    );
    assert!(
        !marker.exists(),
        "a hook from the user's home ran: {}",
        std::fs::read_to_string(&marker).unwrap_or_default()
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("bg.txt")).expect("bg.txt"),
        "1",
        "background tasks are off"
    );
    let tools: Vec<String> = api
        .requests()
        .iter()
        .filter(|r| r.is_agent_turn())
        .flat_map(|r| {
            r.body["tools"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|t| t["name"].as_str().map(String::from))
        })
        .collect();
    assert!(tools.iter().any(|t| t == "Bash"), "{tools:?}");
    assert!(
        !tools
            .iter()
            .any(|t| t == "ExitPlanMode" || t == "EnterPlanMode"),
        "plan mode is not offered: {tools:?}"
    );
}

/// Every line of the session transcripts the CLI wrote under `home`.
fn transcripts(home: &std::path::Path) -> Vec<serde_json::Value> {
    fn walk(dir: &std::path::Path, out: &mut Vec<serde_json::Value>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
            }
        }
    }
    let mut out = Vec::new();
    walk(home, &mut out);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_attempt_resumes_the_same_claude_session_with_its_earlier_conversation() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let wt = worktree_of(&repo, "rs1");
    let api = FakeAnthropic::start(vec![
        // Attempt 1 waits for the model until the run is interrupted.
        Reply::Delay(
            Duration::from_secs(120),
            Box::new(Reply::Text("late".into())),
        ),
        Reply::write(&wt.join("done.txt").to_string_lossy(), "done\n"),
        Reply::Text("Wrote done.txt.".into()),
    ])
    .await;
    let board = Arc::new(MemoryBoard::new());
    let mut t = task(&repo, "rs1", "Resume me");
    t.description = "FIRST-BRIEF-51c2: write done.txt.".into();
    board.insert(t).await.expect("seed");

    let (engine, _events) = claude_engine(&board, dispatcher(claude_bench(&api, home.path())));
    let control = engine.handle();
    let run = tokio::spawn(engine.run());
    api.wait_for_a_turn(Duration::from_secs(60)).await;
    control.interrupt();
    control.interrupt();
    timeout(Duration::from_secs(60), run)
        .await
        .expect("the interrupted run ends")
        .expect("join")
        .expect("run");
    let first = board.get(&t_id("rs1")).await.expect("get").expect("task");
    let attempt = first.attempts.first().expect("attempt 1");
    assert!(
        matches!(attempt.outcome, Some(AttemptOutcome::Interrupted { .. })),
        "{first:#?}"
    );
    let session = attempt
        .session
        .clone()
        .expect("the session id is on the board");
    assert_eq!(session.runtime, "claude");

    let before = api.turns().len();
    let (engine, _events) = claude_engine(&board, dispatcher(claude_bench(&api, home.path())));
    timeout(Duration::from_secs(120), engine.run())
        .await
        .expect("the second run ends")
        .expect("run");
    let done = board.get(&t_id("rs1")).await.expect("get").expect("task");
    assert_eq!(
        done.status,
        TaskStatus::Completed,
        "{done:#?}\nrequests:\n{}",
        dump(&api)
    );
    assert_eq!(
        done.attempts[1].session.as_ref(),
        Some(&session),
        "attempt 2 ran in attempt 1's session"
    );
    // The model saw the earlier conversation: attempt 1's brief came before
    // attempt 2's in the first request of attempt 2.
    let resumed = api
        .turns()
        .get(before)
        .cloned()
        .expect("attempt 2 asked the model");
    let body = resumed.body.to_string();
    let (one, two) = (body.find("(attempt 1)"), body.find("(attempt 2)"));
    assert!(
        matches!((one, two), (Some(a), Some(b)) if a < b),
        "both briefs, in order, in {}",
        body.chars().take(3000).collect::<String>()
    );
    assert!(body.contains(&session.id), "the request names the session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_team_claude_is_asked_first_and_replaced_narrowed_only_after_the_grace_period() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let wt = worktree_of(&repo, "st1");
    let api = FakeAnthropic::start(vec![
        // Attempt 1 goes quiet: the model never answers it.
        Reply::Delay(
            Duration::from_secs(120),
            Box::new(Reply::Text("late".into())),
        ),
        Reply::write(&wt.join("done.txt").to_string_lossy(), "done\n"),
        Reply::Text("Wrote done.txt.".into()),
    ])
    .await;
    let board = Arc::new(MemoryBoard::new());
    let mut t = task(&repo, "st1", "Quiet then fine");
    t.mode = Mode::Team;
    board.insert(t).await.expect("seed");
    let grace = Duration::from_secs(3);
    let engine = Engine::new(
        board.clone(),
        Arc::new(dispatcher(claude_bench(&api, home.path()))),
        Arc::new(FakeShipper::new()),
    )
    .with_config(EngineConfig {
        max_attempts: 2,
        stall_after: Duration::from_secs(4),
        max_agents: 1,
        status_check_grace: grace,
        checks_poll: Duration::from_millis(10),
        board_poll: Duration::from_secs(3600),
        stop_grace: Duration::from_secs(5),
        ..EngineConfig::default()
    });
    let mut events = engine.events().subscribe();
    let stamp = timestamped(&mut events);
    timeout(Duration::from_secs(180), engine.run())
        .await
        .expect("the run ends")
        .expect("run");
    let done = board.get(&t_id("st1")).await.expect("get").expect("task");
    assert_eq!(
        done.status,
        TaskStatus::Completed,
        "{done:#?}\nrequests:\n{}",
        dump(&api)
    );
    let seen = stamp.await.expect("the events");
    let at = |want: &dyn Fn(&Event) -> bool| {
        seen.iter()
            .find(|(_, e)| want(e))
            .map(|(t, _)| *t)
            .unwrap_or_else(|| panic!("event missing: {seen:#?}"))
    };
    let asked = at(&|e| matches!(e, Event::AgentAsked { attempt: 1, .. }));
    let stalled = at(&|e| matches!(e, Event::AgentStalled { attempt: 1, .. }));
    assert!(
        stalled.0 >= asked.0 + grace.as_millis() as u64 - 100,
        "stopped only after the grace period: asked at {}, stopped at {}",
        asked.0,
        stalled.0
    );
    // The CLI took the status check (it acknowledged the message, by ops'
    // uuid, as queued), and the replacement got the narrowed brief.
    let session = done.attempts[0]
        .session
        .clone()
        .expect("attempt 1's session");
    let check = ops_dispatch::claude::message_uuid(&session.id, 1, ops_core::engine::STATUS_CHECK);
    let log = std::fs::read_to_string(repo.work().join(".worktrees/.logs/st1/attempt-1.log"))
        .unwrap_or_default();
    assert!(
        log.lines()
            .any(|l| l.contains("\"command_lifecycle\"") && l.contains(&check)),
        "the CLI acknowledged the status check {check}:\n{log}"
    );
    assert!(
        done.attempts[1].brief.contains("Narrowed focus"),
        "{done:#?}"
    );
    assert!(
        api.turns()
            .iter()
            .any(|r| r.body.to_string().contains("Narrowed focus")),
        "the narrowed brief reached the model"
    );
    assert!(wt.join("done.txt").is_file());
}
