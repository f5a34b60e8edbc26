//! Every backend runs the fake agent program in real worktrees of real repositories.

mod support;

use ops_core::ErrorKind;
use ops_core::conformance::{DispatcherProbe, dispatcher as conformance};
use ops_core::model::Mode;
use ops_core::seams::{AgentStatus, Dispatcher};
use ops_dispatch::process::group_alive;
use ops_dispatch::{
    AiderConfig, AiderDispatcher, BriefDelivery, ClaudeConfig, ClaudeDispatcher, CodexConfig,
    CodexDispatcher, CommandConfig, CommandDispatcher, GeminiConfig, GeminiDispatcher,
};
use ops_testkit::{TempRepo, fake_agent, git};
use std::time::Duration;
use support::*;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);

fn program() -> String {
    fake_agent().to_string_lossy().into_owned()
}

fn command(args: &[&str], brief: BriefDelivery, steerable: bool) -> CommandDispatcher {
    CommandDispatcher::new(
        bench("test"),
        CommandConfig {
            program: program(),
            args: args.iter().map(|a| (*a).to_string()).collect(),
            brief,
            steerable,
        },
    )
    .expect("valid config")
}

fn claude() -> ClaudeDispatcher {
    ClaudeDispatcher::new(
        bench("test"),
        ClaudeConfig {
            program: program(),
            ..ClaudeConfig::default()
        },
    )
    .expect("valid config")
}

/// A task whose brief tells the fake agent what to do.
fn task_doing(repo: &TempRepo, id: &str, mode: &str) -> ops_core::model::Task {
    let mut t = task(repo, id, &format!("Task {id}"));
    t.description = format!("fake-agent-mode: {mode}");
    t
}

#[tokio::test]
async fn an_agent_that_edits_and_commits_succeeds_with_its_changed_files() {
    let repo = TempRepo::new();
    let t = task(&repo, "t1", "Add brief");
    let d = command(&[], BriefDelivery::Stdin, false);
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    let out = timeout(LIMIT, h.wait()).await.expect("ends");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
    assert_eq!(out.changed_files, ["brief.txt", "env.txt"]);
    let wt = worktree_of(&repo, "t1");
    assert_eq!(out.worktree.as_deref(), Some(wt.as_path()));
    assert_eq!(git(&wt, &["branch", "--show-current"]), t.branch_name());
    assert_eq!(
        git(&wt, &["log", "-1", "--format=%s"]),
        "fake agent: did the task"
    );
    assert_eq!(
        git(&wt, &["status", "--porcelain"]),
        "",
        "nothing left uncommitted"
    );
    let excluded = std::fs::read_to_string(repo.work().join(".git/info/exclude")).expect("exclude");
    assert!(excluded.lines().any(|l| l == "/.worktrees/"), "{excluded}");
    assert_eq!(
        git(&repo.work(), &["status", "--porcelain"]),
        "",
        "the checkout stays clean"
    );
}

#[tokio::test]
async fn changes_left_uncommitted_are_committed_by_ops_with_the_task_title() {
    let repo = TempRepo::new();
    let t = task(&repo, "t2", "Leave it dirty");
    let d = command(&["--mode=edit"], BriefDelivery::Stdin, false);
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    let out = timeout(LIMIT, h.wait()).await.expect("ends");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
    let wt = worktree_of(&repo, "t2");
    assert_eq!(git(&wt, &["status", "--porcelain"]), "");
    let subject = git(&wt, &["log", "-1", "--format=%s"]);
    assert_eq!(subject, "Leave it dirty (t2, attempt 1)");
    assert_eq!(out.changed_files, ["brief.txt", "env.txt"]);
}

#[tokio::test]
async fn a_hanging_agent_is_stopped_with_its_whole_process_group() {
    let repo = TempRepo::new();
    let t = task(&repo, "t3", "Hang");
    let d = command(&["--mode=hang"], BriefDelivery::Stdin, false);
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The fake agent's `sleep` child shares the group; find the group by the log.
    let session_pgid = pgid_of_children_named("sleep", &worktree_of(&repo, "t3"));
    assert!(
        session_pgid.is_some_and(group_alive),
        "the agent and its child run"
    );
    assert!(
        timeout(Duration::from_millis(300), h.wait()).await.is_err(),
        "a hanging agent does not end by itself"
    );
    h.stop().await.expect("stop");
    let out = timeout(LIMIT, h.wait())
        .await
        .expect("a stopped agent ends");
    assert_eq!(out.status, AgentStatus::Stopped);
    let pgid = session_pgid.expect("found above");
    let gone = async {
        while group_alive(pgid) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(Duration::from_secs(5), gone)
        .await
        .expect("no process of the agent's group survives");
}

/// The process group of a process named `name` whose cwd is `dir`.
fn pgid_of_children_named(name: &str, dir: &std::path::Path) -> Option<i32> {
    let want = std::fs::canonicalize(dir).ok()?;
    for entry in std::fs::read_dir("/proc").ok()? {
        let path = entry.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        if std::fs::read_link(path.join("cwd")).ok().as_deref() != Some(want.as_path()) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).ok()?;
        // pid (comm) state ppid pgrp ...
        let after = stat.rsplit_once(')')?.1;
        return after.split_whitespace().nth(2)?.parse().ok();
    }
    None
}

#[tokio::test]
async fn a_crash_a_non_zero_exit_and_garbage_are_failures_with_reasons() {
    let repo = TempRepo::new();
    let cases: [(&str, Box<dyn Dispatcher>, &str); 3] = [
        (
            "crash",
            Box::new(command(&["--mode=crash"], BriefDelivery::Stdin, false)),
            "SIGABRT",
        ),
        (
            "exit",
            Box::new(command(&["--mode=exit:3"], BriefDelivery::Stdin, false)),
            "status 3",
        ),
        ("garbage", Box::new(claude()), "not understood"),
    ];
    for (id, d, want) in cases {
        let t = task_doing(&repo, id, if id == "garbage" { "garbage" } else { "edit" });
        let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
        let out = timeout(LIMIT, h.wait()).await.expect("ends");
        match &out.status {
            AgentStatus::Failed { reason } => assert!(reason.contains(want), "{id}: {reason}"),
            other => panic!("{id}: expected a failure, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_waiting_agent_receives_a_sent_message() {
    let repo = TempRepo::new();
    let t = task(&repo, "t5", "Wait");
    let d = command(
        &["--mode=wait-message", "{brief_file}"],
        BriefDelivery::File,
        true,
    );
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.send("blocker t0 landed on ops/t0-x").await.expect("send");
    let out = timeout(LIMIT, h.wait()).await.expect("ends");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
    let got =
        std::fs::read_to_string(worktree_of(&repo, "t5").join("message.txt")).expect("message");
    assert_eq!(got, r#"{"message":"blocker t0 landed on ops/t0-x"}"#);
}

#[tokio::test]
async fn a_runtime_that_is_not_steerable_refuses_messages_as_unsupported() {
    let repo = TempRepo::new();
    let t = task(&repo, "t6", "Hang");
    let d = command(&["--mode=hang"], BriefDelivery::Stdin, false);
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    let err = h.send("hello").await.expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    h.stop().await.expect("stop");
}

#[tokio::test]
async fn the_brief_reaches_the_agent_verbatim_and_nothing_in_it_runs() {
    let repo = TempRepo::new();
    for (id, delivery) in [("s1", BriefDelivery::Stdin), ("s2", BriefDelivery::File)] {
        let mut t = task(&repo, id, "Quote `$(touch pwned)`");
        t.description =
            "Run $(touch pwned) and `touch pwned2`; echo \"it's\" > pwned3 | true".into();
        let brief = brief_of(&t);
        let d = command(&[], delivery, false);
        let h = d.dispatch(&brief).await.expect("dispatch");
        let out = timeout(LIMIT, h.wait()).await.expect("ends");
        assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
        let wt = worktree_of(&repo, id);
        let got = std::fs::read_to_string(wt.join("brief.txt")).expect("brief.txt");
        assert_eq!(
            got, brief.text,
            "{delivery:?}: the brief arrives byte for byte"
        );
        for f in ["pwned", "pwned2", "pwned3"] {
            assert!(
                !wt.join(f).exists() && !repo.work().join(f).exists(),
                "{f} was created"
            );
        }
    }
}

#[tokio::test]
async fn a_second_dispatch_of_a_task_reuses_its_worktree_and_branch() {
    let repo = TempRepo::new();
    let t = task(&repo, "r1", "Twice");
    let d = command(&[], BriefDelivery::Stdin, false);
    let first = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    let out = timeout(LIMIT, first.wait()).await.expect("ends");
    assert_eq!(out.status, AgentStatus::Succeeded);
    let wt = worktree_of(&repo, "r1");
    let head = git(&wt, &["rev-parse", "HEAD"]);
    let mut second_brief = ops_core::engine::brief::compose(&t, 2);
    second_brief.task.mode = Mode::Subagent;
    let d2 = command(&["--mode=edit"], BriefDelivery::Stdin, false);
    let again = d2.dispatch(&second_brief).await.expect("dispatch again");
    let out = timeout(LIMIT, again.wait()).await.expect("ends");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
    let log = git(&wt, &["log", "--format=%H", "-3"]);
    assert!(
        log.lines().nth(1) == Some(head.as_str()),
        "the second attempt built on the first"
    );
}

#[tokio::test]
async fn the_command_backend_passes_the_dispatcher_conformance_suite() {
    let repo = TempRepo::new();
    let d = command(&["{brief_file}"], BriefDelivery::File, true);
    let probe = DispatcherProbe {
        finishing: brief_of(&task_doing(&repo, "k1", "edit-commit")),
        long_running: brief_of(&task_doing(&repo, "k2", "hang")),
        limit: LIMIT,
    };
    conformance(&d, probe).await;
}

#[tokio::test]
async fn the_claude_backend_passes_the_dispatcher_conformance_suite_with_a_stream_json_agent() {
    let repo = TempRepo::new();
    let probe = DispatcherProbe {
        finishing: brief_of(&task_doing(&repo, "k1", "edit-commit")),
        long_running: brief_of(&task_doing(&repo, "k2", "hang")),
        limit: LIMIT,
    };
    conformance(&claude(), probe).await;
}

#[tokio::test]
async fn the_codex_gemini_and_aider_backends_pass_the_dispatcher_conformance_suite() {
    let repo = TempRepo::new();
    let backends: Vec<Box<dyn Dispatcher>> = vec![
        Box::new(CodexDispatcher::new(
            bench("test"),
            CodexConfig {
                program: program(),
                model: None,
            },
        )),
        Box::new(GeminiDispatcher::new(
            bench("test"),
            GeminiConfig {
                program: program(),
                model: None,
            },
        )),
        Box::new(AiderDispatcher::new(
            bench("test"),
            AiderConfig {
                program: program(),
                model: None,
            },
        )),
    ];
    for (i, d) in backends.iter().enumerate() {
        let probe = DispatcherProbe {
            finishing: brief_of(&task_doing(&repo, &format!("f{i}"), "edit-commit")),
            long_running: brief_of(&task_doing(&repo, &format!("h{i}"), "hang")),
            limit: LIMIT,
        };
        conformance(d.as_ref(), probe).await;
    }
}

#[tokio::test]
async fn a_team_claude_agent_stays_open_between_turns_and_takes_the_next_message() {
    let repo = TempRepo::new();
    let mut t = task(&repo, "tm", "Team work");
    t.mode = Mode::Team;
    let h = claude().dispatch(&brief_of(&t)).await.expect("dispatch");
    let first = timeout(LIMIT, h.wait()).await.expect("the first turn ends");
    assert_eq!(first.status, AgentStatus::Succeeded, "{first:?}");
    h.send("the gate failed: fix it")
        .await
        .expect("the agent still listens");
    let second = timeout(LIMIT, h.wait())
        .await
        .expect("the second turn ends");
    assert_eq!(second.summary, "turn 2 done");
    let wt = worktree_of(&repo, "tm");
    assert_eq!(
        std::fs::read_to_string(wt.join("turn-2.txt")).expect("turn 2"),
        "the gate failed: fix it"
    );
    assert!(second.changed_files.contains(&"turn-2.txt".to_string()));
    h.stop().await.expect("stop");
    let end = timeout(LIMIT, h.wait()).await.expect("ends");
    assert_eq!(end.status, AgentStatus::Stopped);
}

#[tokio::test]
async fn each_turn_of_a_team_claude_agent_reports_what_that_turn_cost_not_the_running_total() {
    // Claude Code's stream-json `result` restates the process's running total
    // ($0.01, then $0.02): the engine adds up what each turn reports.
    let repo = TempRepo::new();
    let mut t = task(&repo, "tc", "Team cost");
    t.mode = Mode::Team;
    let h = claude().dispatch(&brief_of(&t)).await.expect("dispatch");
    let first = timeout(LIMIT, h.wait()).await.expect("the first turn ends");
    h.send("the gate failed: fix it")
        .await
        .expect("the agent still listens");
    let second = timeout(LIMIT, h.wait())
        .await
        .expect("the second turn ends");
    assert_eq!(second.summary, "turn 2 done");
    h.stop().await.expect("stop");
    let end = timeout(LIMIT, h.wait()).await.expect("ends");
    let costs = [first.cost_usd, second.cost_usd, end.cost_usd];
    let close = |c: Option<f64>, x: f64| c.is_some_and(|c| (c - x).abs() < 1e-9);
    assert!(
        close(costs[0], 0.01) && close(costs[1], 0.01),
        "per turn: {costs:?}"
    );
    let total: f64 = costs.iter().flatten().sum();
    assert!(
        (total - 0.02).abs() < 1e-9,
        "what the process spent in all: {costs:?}"
    );
}

#[tokio::test]
async fn stop_returns_promptly_while_a_message_is_stuck_in_a_full_pipe() {
    let repo = TempRepo::new();
    let t = task(&repo, "p1", "Never read");
    let d = command(&["--mode=hang", "{brief_file}"], BriefDelivery::File, true);
    let h: std::sync::Arc<dyn ops_core::seams::AgentHandle> =
        std::sync::Arc::from(d.dispatch(&brief_of(&t)).await.expect("dispatch"));
    let sender = std::sync::Arc::clone(&h);
    // Far more than a pipe holds: the write blocks because the agent never reads.
    let big = "x".repeat(4 << 20);
    let sending = tokio::spawn(async move { sender.send(&big).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    timeout(Duration::from_secs(5), h.stop())
        .await
        .expect("stop does not wait for the stuck send")
        .expect("stop");
    let out = timeout(LIMIT, h.wait()).await.expect("ends");
    assert_eq!(out.status, AgentStatus::Stopped);
    let sent = timeout(LIMIT, sending)
        .await
        .expect("the send gives up")
        .expect("joined");
    assert!(
        sent.is_err(),
        "a message the agent never read is not reported as sent"
    );
}

#[tokio::test]
async fn dropping_the_handle_of_a_running_agent_kills_its_process_group() {
    let repo = TempRepo::new();
    let t = task(&repo, "dr", "Hang");
    let d = command(&["--mode=hang"], BriefDelivery::Stdin, false);
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pgid =
        pgid_of_children_named("sleep", &worktree_of(&repo, "dr")).expect("the agent's child runs");
    drop(h);
    let gone = async {
        while group_alive(pgid) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    timeout(Duration::from_secs(5), gone)
        .await
        .expect("the group is killed");
}

#[tokio::test]
async fn file_writes_in_the_worktree_count_as_activity_without_any_output() {
    let repo = TempRepo::new();
    let t = task_doing(&repo, "qw", "quiet-writer");
    let h = command(&[], BriefDelivery::Stdin, false)
        .dispatch(&brief_of(&t))
        .await
        .expect("dispatch");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let early = h.last_activity();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = h.last_activity();
    assert!(
        later > early,
        "the agent printed nothing, yet its writes moved last_activity"
    );
    let log = std::fs::read_to_string(repo.work().join(".worktrees/.logs/qw/attempt-1.log"))
        .unwrap_or_default();
    assert!(
        log.is_empty(),
        "it really printed nothing until the end: {log}"
    );
    let out = timeout(LIMIT, h.wait()).await.expect("ends");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
}

#[tokio::test]
async fn a_large_brief_to_a_program_that_never_reads_it_does_not_hold_up_dispatch_or_stop() {
    let repo = TempRepo::new();
    let mut t = task(&repo, "big", "Big brief");
    t.description = "y".repeat(2 << 20);
    let d = CommandDispatcher::new(
        bench("test"),
        CommandConfig {
            program: "sleep".into(),
            args: vec!["1000".into()],
            brief: BriefDelivery::Stdin,
            steerable: false,
        },
    )
    .expect("config");
    let h = timeout(Duration::from_secs(5), d.dispatch(&brief_of(&t)))
        .await
        .expect("dispatch returns while the brief is still unread")
        .expect("dispatch");
    timeout(Duration::from_secs(5), h.stop())
        .await
        .expect("stop returns")
        .expect("stop");
    let out = timeout(LIMIT, h.wait()).await.expect("ends");
    assert_eq!(out.status, AgentStatus::Stopped);
}

#[tokio::test]
async fn a_running_agent_keeps_a_short_lived_lease_fresh() {
    let repo = TempRepo::new();
    let t = task(&repo, "t20", "Hang");
    let ttl = Duration::from_secs(3);
    let mut b = bench("first");
    b.worktrees = ops_dispatch::WorktreeManager::new(ops_dispatch::WorktreeConfig {
        owner: ops_dispatch::LeaseOwner::this_process("first"),
        lease_ttl: ttl,
        ..ops_dispatch::WorktreeConfig::default()
    });
    let d = CommandDispatcher::new(
        b,
        CommandConfig {
            program: program(),
            args: vec!["--mode=hang".into()],
            brief: BriefDelivery::Stdin,
            steerable: false,
        },
    )
    .expect("valid config");
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    // Well past the TTL while the agent still works.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let second = ops_dispatch::WorktreeManager::new(ops_dispatch::WorktreeConfig {
        owner: ops_dispatch::LeaseOwner::this_process("second"),
        lease_ttl: ttl,
        ..ops_dispatch::WorktreeConfig::default()
    });
    let taken = second
        .prepare(&repo.work(), "dev", "t20", &t.branch_name(), &[])
        .await;
    h.stop().await.expect("stop");
    let err = taken.expect_err("the working agent's lease is still fresh");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
}

#[tokio::test]
async fn an_agent_whose_escaped_child_holds_its_unread_stdin_still_ends() {
    let repo = TempRepo::new();
    let mut t = task(&repo, "esc", "Escape");
    t.description = "y".repeat(2 << 20);
    let pid_dir = tempfile::tempdir().expect("tempdir");
    let pid_file = pid_dir.path().join("escaped.pid");
    // A child leaves the process group (setsid) keeping the stdin pipe, never reading.
    let script = format!(
        "exec 3<&0; setsid sleep 1000 <&3 >/dev/null 2>&1 & echo $! > '{}'; exit 0",
        pid_file.display()
    );
    let d = CommandDispatcher::new(
        bench("test"),
        CommandConfig {
            program: "sh".into(),
            args: vec!["-c".into(), script],
            brief: BriefDelivery::Stdin,
            steerable: false,
        },
    )
    .expect("config");
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    let out = timeout(LIMIT, h.wait()).await;
    if let Ok(pid) = std::fs::read_to_string(&pid_file)
        && let Ok(pid) = pid.trim().parse::<i32>()
    {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let out = out.expect("the agent's end is reported though its stdin is still held");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
}

#[tokio::test]
async fn changes_an_agent_leaves_on_another_branch_are_not_committed_and_fail_the_attempt() {
    let repo = TempRepo::new();
    let t = task(&repo, "t21", "Wander off");
    let d = CommandDispatcher::new(
        bench("test"),
        CommandConfig {
            program: "sh".into(),
            args: vec![
                "-c".into(),
                "git checkout -q -b elsewhere && echo wip > wip.txt".into(),
            ],
            brief: BriefDelivery::Stdin,
            steerable: false,
        },
    )
    .expect("config");
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    let out = timeout(LIMIT, h.wait()).await.expect("ends");
    let wt = worktree_of(&repo, "t21");
    assert_eq!(
        git(&wt, &["status", "--porcelain"]),
        "?? wip.txt",
        "ops committed nothing on a branch that is not the task's"
    );
    assert_eq!(
        git(&wt, &["rev-parse", "elsewhere"]),
        git(&wt, &["rev-parse", "origin/dev"])
    );
    match &out.status {
        AgentStatus::Failed { reason } => {
            assert!(reason.contains("elsewhere"), "{reason}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
