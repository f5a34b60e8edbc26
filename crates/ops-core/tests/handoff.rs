//! Upstream output reaching dependents, and the team protocol for a quiet agent,
//! under tokio's paused clock: a dependent's brief carries what its blocker landed
//! (summary redacted, branch, commit, files, change); a team consumer of running
//! team work in another repository starts early, prepares, and gets that work's
//! output as a message to the same agent when it lands; a stalled team agent is
//! asked whether it is stuck before it is replaced.

mod common;

use common::{Harness, drain, id, task};
use ops_core::Event;
use ops_core::engine::STATUS_CHECK;
use ops_core::fake::{FakeAgent, FakeDispatcher};
use ops_core::model::{AttemptOutcome, Mode, Task, TaskStatus};
use ops_core::secret::Redactor;
use std::time::Duration;

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

fn team(name: &str, repo: &str, after: &[&str]) -> Task {
    let mut t = task(name, after);
    t.mode = Mode::Team;
    t.repo = repo.into();
    t
}

/// The upstream agent's report: a summary with a secret in it, two files.
fn upstream_report() -> FakeAgent {
    FakeAgent::Report {
        duration: minutes(10),
        summary: "Added the /v2/widgets endpoint; deploy key canary-deploy-5e1a9 rotated".into(),
        files: vec!["src/api/widgets.rs".into(), "docs/api.md".into()],
    }
}

fn briefs_of(h: &Harness, name: &str) -> Vec<String> {
    h.dispatcher
        .log()
        .briefs
        .iter()
        .filter(|b| b.task.id == id(name))
        .map(|b| b.text.clone())
        .collect()
}

fn messages_to(h: &Harness, name: &str) -> Vec<String> {
    h.dispatcher
        .log()
        .messages
        .iter()
        .filter(|(t, _)| t == &id(name))
        .map(|(_, m)| m.clone())
        .collect()
}

/// Where in the run's events `name`'s first agent started, or it completed.
fn when(events: &[(tokio::time::Instant, Event)], name: &str, completed: bool) -> Option<usize> {
    events.iter().position(|(_, e)| match e {
        Event::AgentStarted { task, .. } => !completed && task.as_str() == name,
        Event::TaskMoved {
            task,
            to: TaskStatus::Completed,
            ..
        } => completed && task.as_str() == name,
        _ => false,
    })
}

/// Collects every event with the (paused) time it arrived, until the run ends.
fn timed(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>,
) -> tokio::task::JoinHandle<Vec<(tokio::time::Instant, Event)>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(e) = rx.recv().await {
            let done = matches!(e, Event::Halted { .. });
            seen.push((tokio::time::Instant::now(), e));
            if done {
                break;
            }
        }
        seen
    })
}

#[tokio::test(start_paused = true)]
async fn a_dependents_brief_carries_its_blockers_redacted_summary_branch_commit_files_and_change() {
    let h = Harness::new(FakeDispatcher::new(|b| {
        if b.task.id.as_str() == "up" {
            upstream_report()
        } else {
            FakeAgent::succeed_after(minutes(1))
        }
    }));
    h.seed(vec![task("up", &[]), task("down", &["up"])]).await;
    let (engine, _events) = h.engine();
    let engine = engine.with_redactor(Redactor::from_vars([("DEPLOY_KEY", "canary-deploy-5e1a9")]));
    engine.run().await.expect("run");
    let up = h.get("up").await;
    assert_eq!(up.status, TaskStatus::Completed);
    let sha = up
        .merged_sha
        .clone()
        .expect("the merge commit is on the board");
    let brief = briefs_of(&h, "down").remove(0);
    for want in [
        "## Upstream work this task builds on",
        "Task up (do up)",
        "Added the /v2/widgets endpoint",
        &format!("Branch: ops/up-do-up (landed as commit {sha})"),
        "Change: fake://pr/",
        "Changed files: src/api/widgets.rs, docs/api.md",
    ] {
        assert!(brief.contains(want), "missing {want:?} in:\n{brief}");
    }
    assert!(
        !brief.contains("canary-deploy-5e1a9") && brief.contains("[redacted secret]"),
        "the summary is redacted:\n{brief}"
    );
    assert!(!briefs_of(&h, "up")[0].contains("Upstream work"));
}

#[tokio::test(start_paused = true)]
async fn a_team_consumer_in_another_repo_starts_early_and_gets_the_upstream_output_as_a_message() {
    let h = Harness::new(FakeDispatcher::new(|b| match b.task.id.as_str() {
        "up" => upstream_report(),
        _ => FakeAgent::Turns { turn: minutes(1) },
    }));
    h.seed(vec![
        team("up", "api", &[]),
        team("web", "web", &["up"]),
        // In the producer's own repository: it waits for the landed work as usual.
        team("same", "api", &["up"]),
    ])
    .await;
    let (engine, events) = h.engine();
    let events = timed(events);
    let engine = engine.with_redactor(Redactor::from_vars([("DEPLOY_KEY", "canary-deploy-5e1a9")]));
    engine.run().await.expect("run");
    let events = events.await.expect("events");
    for name in ["up", "web", "same"] {
        assert_eq!(h.get(name).await.status, TaskStatus::Completed, "{name}");
    }
    let up_done = when(&events, "up", true).expect("up completed");
    let web_started = when(&events, "web", false).expect("web started");
    assert!(
        web_started < up_done,
        "the cross-repo consumer started early"
    );
    assert!(
        when(&events, "same", false).expect("same started") > up_done,
        "a dependent in the same repository waits for the landed work"
    );
    assert!(when(&events, "web", true).expect("web completed") > up_done);
    let web_briefs = briefs_of(&h, "web");
    assert_eq!(
        web_briefs.len(),
        1,
        "one agent, no new process: {web_briefs:#?}"
    );
    assert!(
        web_briefs[0].contains("## Upstream work still running")
            && web_briefs[0].contains("Prepare"),
        "told to prepare:\n{}",
        web_briefs[0]
    );
    let told = messages_to(&h, "web");
    assert_eq!(told.len(), 1, "{told:#?}");
    for want in [
        "Upstream task up (do up) in repository api has completed and landed",
        "Added the /v2/widgets endpoint",
        "landed as commit merge-of-",
        "Changed files: src/api/widgets.rs, docs/api.md",
    ] {
        assert!(told[0].contains(want), "missing {want:?} in:\n{}", told[0]);
    }
    assert!(!told[0].contains("canary-deploy-5e1a9"), "{}", told[0]);
    assert!(events.iter().any(|(_, e)| matches!(e,
        Event::UpstreamDelivered { task, from } if task.as_str() == "web" && from.as_str() == "up")));
    assert!(briefs_of(&h, "same")[0].contains("## Upstream work this task builds on"));
}

#[tokio::test(start_paused = true)]
async fn an_early_consumer_whose_upstream_is_blocked_is_stopped_without_using_an_attempt() {
    let h = Harness::new(FakeDispatcher::new(|b| match b.task.id.as_str() {
        "up" => FakeAgent::Fail {
            duration: minutes(3),
            reason: "compile error".into(),
        },
        _ => FakeAgent::Turns { turn: minutes(1) },
    }));
    h.seed(vec![team("up", "api", &[]), team("web", "web", &["up"])])
        .await;
    let (engine, _events) = h.engine();
    engine.run().await.expect("run");
    assert_eq!(h.get("up").await.status, TaskStatus::Blocked);
    let web = h.get("web").await;
    assert_eq!(web.status, TaskStatus::Blocked, "{web:#?}");
    assert_eq!(web.counted_attempts(), 0, "{web:#?}");
    assert!(
        matches!(&web.attempts[0].outcome, Some(AttemptOutcome::Interrupted { reason }) if reason.contains("upstream task up is blocked")),
        "{web:#?}"
    );
    assert!(
        h.dispatcher.log().running.is_empty(),
        "its agent was stopped"
    );
}

#[tokio::test(start_paused = true)]
async fn a_quiet_team_agent_is_asked_first_and_replaced_narrowed_only_after_the_grace_period() {
    let mut h = Harness::new(FakeDispatcher::new(|b| {
        if b.attempt == 1 {
            FakeAgent::Hang
        } else {
            FakeAgent::succeed_after(minutes(1))
        }
    }));
    h.config.status_check_grace = Duration::from_secs(90);
    h.seed(vec![team("a", "repo", &[])]).await;
    let (engine, mut events) = h.engine();
    engine.run().await.expect("run");
    let events = drain(&mut events);
    assert_eq!(messages_to(&h, "a"), vec![STATUS_CHECK.to_string()]);
    let asked = events.iter().position(|e| {
        matches!(
            e,
            Event::AgentAsked {
                attempt: 1,
                idle_secs: 900,
                ..
            }
        )
    });
    let stalled = events.iter().position(|e| {
        matches!(
            e,
            Event::AgentStalled {
                attempt: 1,
                idle_secs: 990,
                ..
            }
        )
    });
    assert!(
        matches!((asked, stalled), (Some(a), Some(s)) if a < s),
        "asked at 15 min, stopped 90 s later: {events:#?}"
    );
    let briefs = briefs_of(&h, "a");
    assert_eq!(briefs.len(), 2);
    assert!(briefs[1].contains("Narrowed focus"), "{}", briefs[1]);
    assert_eq!(h.get("a").await.status, TaskStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn a_quiet_team_agent_that_answers_the_status_check_is_not_replaced() {
    let h = Harness::new(FakeDispatcher::new(|_| FakeAgent::AwaitMessage));
    h.seed(vec![team("a", "repo", &[])]).await;
    let (engine, mut events) = h.engine();
    engine.run().await.expect("run");
    let events = drain(&mut events);
    assert_eq!(messages_to(&h, "a"), vec![STATUS_CHECK.to_string()]);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::AgentStalled { .. })),
        "{events:#?}"
    );
    assert_eq!(briefs_of(&h, "a").len(), 1, "the same agent finished");
    assert_eq!(h.get("a").await.status, TaskStatus::Completed);
}

#[tokio::test(start_paused = true)]
async fn a_quiet_subagent_is_stopped_at_once_without_a_status_check() {
    let h = Harness::new(FakeDispatcher::new(|b| {
        if b.attempt == 1 {
            FakeAgent::Hang
        } else {
            FakeAgent::succeed_after(minutes(1))
        }
    }));
    h.seed(vec![task("a", &[])]).await;
    let (engine, mut events) = h.engine();
    engine.run().await.expect("run");
    let events = drain(&mut events);
    assert!(messages_to(&h, "a").is_empty());
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::AgentStalled {
                attempt: 1,
                idle_secs: 900,
                ..
            }
        )),
        "{events:#?}"
    );
    assert_eq!(h.get("a").await.status, TaskStatus::Completed);
}
