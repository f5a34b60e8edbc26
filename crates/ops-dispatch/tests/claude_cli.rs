//! The real Claude Code CLI (pinned, installed by scripts/install-agent-clis.sh)
//! driven by the Claude backend against the fake Anthropic API on 127.0.0.1.

mod support;

use ops_core::conformance::{DispatcherProbe, dispatcher as conformance};
use ops_core::model::Mode;
use ops_core::seams::AgentStatus;
use ops_dispatch::{ClaudeConfig, ClaudeDispatcher, Workbench};
use ops_testkit::anthropic::{FakeAnthropic, Reply};
use ops_testkit::{TempRepo, claude_cli};
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
async fn a_message_sent_mid_run_reaches_the_model() {
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
    // Wait until the model has been asked once (the agent is mid-turn), then steer.
    let asked = async {
        while !api.requests().iter().any(|r| r.is_agent_turn()) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(Duration::from_secs(30), asked)
        .await
        .unwrap_or_else(|_| panic!("the CLI asked the model; requests:\n{}", dump(&api)));
    handle
        .send("STEER-7f3a: also mention the weather")
        .await
        .expect("a steerable agent takes a message mid-turn");
    let delivered = async {
        while !api.received("STEER-7f3a") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(Duration::from_secs(30), delivered)
        .await
        .unwrap_or_else(|_| panic!("the message reached the model; requests:\n{}", dump(&api)));
    let out = timeout(Duration::from_secs(30), handle.wait())
        .await
        .expect("the turn ends");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
    handle.stop().await.expect("stop");
    assert!(wt.join("a.txt").is_file(), "the first turn's work is there");
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
