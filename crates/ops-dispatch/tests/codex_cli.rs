//! The real Codex CLI (pinned, installed by scripts/install-agent-clis.sh) driven
//! by the Codex backend against the fake OpenAI Responses API on 127.0.0.1. A
//! team task runs under `codex app-server` and is steered with `turn/steer`.

mod support;

use ops_core::model::Mode;
use ops_core::seams::{AgentStatus, Dispatcher};
use ops_dispatch::{CodexConfig, CodexDispatcher, Workbench};
use ops_testkit::model::Reply;
use ops_testkit::openai::{FakeOpenAi, exec_command};
use ops_testkit::{TempRepo, codex_cli};
use std::time::Duration;
use support::*;
use tokio::time::timeout;

/// A workbench whose Codex finds the scripted model provider in
/// `$CODEX_HOME/config.toml` (no retries: a refusal reaches ops at once).
fn codex_bench(api: &FakeOpenAi, home: &std::path::Path) -> Workbench {
    let codex_home = home.join(".codex");
    std::fs::create_dir_all(&codex_home).expect("codex home");
    std::fs::write(
        codex_home.join("config.toml"),
        format!(
            "model_provider = \"scripted\"\nmodel = \"gpt-test\"\n\
             [model_providers.scripted]\nname = \"scripted\"\nbase_url = \"{}\"\n\
             env_key = \"OPENAI_API_KEY\"\nwire_api = \"responses\"\n\
             request_max_retries = 0\nstream_max_retries = 0\nsupports_websockets = false\n",
            api.base_url()
        ),
    )
    .expect("config.toml");
    let mut b = bench("codex-test");
    b.env = std::mem::take(&mut b.env)
        .set("CODEX_HOME", codex_home.to_string_lossy())
        .set("OPENAI_API_KEY", "test")
        .set("HOME", home.to_string_lossy());
    b
}

fn dispatcher(bench: Workbench) -> CodexDispatcher {
    CodexDispatcher::new(
        bench,
        CodexConfig {
            program: codex_cli().to_string_lossy().into_owned(),
            ..CodexConfig::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_codex_agent_runs_under_app_server_and_a_steer_reaches_the_model_mid_turn() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let api = FakeOpenAi::start(vec![
        // The first turn is held open so the message arrives mid-turn.
        Reply::Delay(
            Duration::from_millis(2000),
            Box::new(exec_command("printf 'a\\n' > a.txt")),
        ),
        Reply::Text("Wrote a.txt.".into()),
        Reply::Text("Noted the weather.".into()),
    ])
    .await;
    let d = dispatcher(codex_bench(&api, home.path()));
    assert!(d.capabilities().steerable, "codex says it can be steered");
    let mut t = task(&repo, "cx1", "Write a");
    t.mode = Mode::Team;
    let handle = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    api.wait_for_a_turn(Duration::from_secs(60)).await;
    // The thread and its turn exist once the model is asked; the steer names that turn.
    let steered = async {
        loop {
            match handle.send("STEER-cx1: also mention the weather").await {
                Ok(()) => break,
                Err(e) if e.kind() == ops_core::ErrorKind::Retryable => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("steer: {e}"),
            }
        }
    };
    timeout(Duration::from_secs(30), steered)
        .await
        .expect("the steer was taken");
    api.wait_to_receive(Duration::from_secs(60), "STEER-cx1")
        .await;
    let out = timeout(Duration::from_secs(60), handle.wait())
        .await
        .expect("the turn ends");
    assert_eq!(
        out.status,
        AgentStatus::Succeeded,
        "{out:?}\n{}",
        api.dump()
    );
    assert!(
        !out.summary.is_empty(),
        "the agent's message is the summary: {out:?}"
    );
    assert_eq!(
        out.worktree.as_deref(),
        Some(worktree_of(&repo, "cx1").as_path()),
        "it ran in the task's worktree"
    );
    // The same process takes the next message as a new turn.
    handle
        .send("NEXT-cx1: say you are done")
        .await
        .expect("an idle team agent takes a message");
    api.wait_to_receive(Duration::from_secs(60), "NEXT-cx1")
        .await;
    handle.stop().await.expect("stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_from_the_api_fails_codex_with_the_apis_own_message_not_a_log_tail() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    // The Responses API's documented error object for a bad request.
    let body = serde_json::json!({ "error": {
        "message": "Invalid 'input[0].content': empty array. Expected an array with minimum length 1.",
        "type": "invalid_request_error", "param": "input[0].content", "code": "empty_array",
    }});
    let api = FakeOpenAi::start(vec![Reply::Fail(ops_testkit::model::Failure::new(
        400,
        body.to_string(),
    ))])
    .await;
    let d = dispatcher(codex_bench(&api, home.path()));
    for mode in [Mode::Subagent, Mode::Team] {
        api.push([Reply::Fail(ops_testkit::model::Failure::new(
            400,
            body.to_string(),
        ))]);
        let mut t = task(&repo, &format!("e400-{mode:?}").to_lowercase(), "Refused");
        t.mode = mode;
        let handle = d.dispatch(&brief_of(&t)).await.expect("dispatch");
        let out = timeout(Duration::from_secs(60), handle.wait())
            .await
            .expect("codex ends");
        handle.stop().await.expect("stop");
        match &out.status {
            AgentStatus::Failed { reason } => {
                assert!(
                    reason.contains("Invalid 'input[0].content': empty array"),
                    "{mode:?}: the API's message: {reason}"
                );
                assert!(
                    !reason.contains("log tail") && !reason.contains("{\""),
                    "{mode:?}: no raw JSON: {reason}"
                );
            }
            other => panic!("{mode:?}: a failure, got {other:?}\n{}", api.dump()),
        }
    }
}
