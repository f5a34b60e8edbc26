//! Gemini CLI and Aider for real (pinned, installed by
//! scripts/install-agent-clis.sh) against model servers on 127.0.0.1 answering
//! a 400 with the API's documented error body: the attempt fails with the API's
//! own message, never a tail of raw output. (Claude Code: claude_cli.rs; Codex:
//! codex_cli.rs.)

mod support;

use ops_core::seams::{AgentStatus, Dispatcher};
use ops_dispatch::{AiderConfig, AiderDispatcher, GeminiConfig, GeminiDispatcher};
use ops_testkit::TempRepo;
use ops_testkit::model::{Failure, Reply};
use std::time::Duration;
use support::*;
use tokio::time::timeout;

/// The reason `d` fails `id` with, asserting it failed.
async fn failure_of(d: &dyn Dispatcher, repo: &TempRepo, id: &str, dump: &str) -> String {
    let handle = d
        .dispatch(&brief_of(&task(repo, id, "Refused")))
        .await
        .expect("dispatch");
    let out = timeout(Duration::from_secs(120), handle.wait())
        .await
        .expect("the CLI ends");
    assert_eq!(
        out.worktree.as_deref(),
        Some(worktree_of(repo, id).as_path()),
        "it ran in the task's worktree"
    );
    match out.status {
        AgentStatus::Failed { reason } => reason,
        other => panic!("{id}: a failure, got {other:?}\n{dump}"),
    }
}

fn assert_readable(reason: &str, message: &str) {
    assert!(reason.contains(message), "the API's message: {reason}");
    assert!(
        !reason.contains("log tail") && !reason.contains("{\""),
        "no raw output: {reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_from_the_api_fails_gemini_cli_with_the_apis_own_message() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let message = "Invalid JSON payload received. Unknown name \"foo\": Cannot find field.";
    let body = ops_testkit::gemini::error_body(400, "INVALID_ARGUMENT", message);
    let api =
        ops_testkit::gemini::FakeGemini::start(vec![Reply::Fail(Failure::new(400, body))]).await;
    let settings = home.path().join(".gemini/settings.json");
    std::fs::create_dir_all(settings.parent().expect("dir")).expect("dir");
    std::fs::write(
        &settings,
        r#"{"security":{"auth":{"selectedType":"gemini-api-key"}}}"#,
    )
    .expect("settings");
    let mut b = bench("gemini-test");
    b.env = std::mem::take(&mut b.env)
        .set("HOME", home.path().to_string_lossy())
        .set("GOOGLE_GEMINI_BASE_URL", api.url())
        .set("GEMINI_API_KEY", "test");
    let d = GeminiDispatcher::new(
        b,
        GeminiConfig {
            program: ops_testkit::gemini_cli().to_string_lossy().into_owned(),
            model: None,
        },
    );
    let reason = failure_of(&d, &repo, "g400", &api.dump()).await;
    assert_readable(&reason, "Invalid JSON payload received");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_from_the_api_fails_aider_with_the_apis_own_message() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().expect("home");
    let message = "Invalid 'messages[1].content': string too long.";
    let body = serde_json::json!({ "error": {
        "message": message, "type": "invalid_request_error",
        "param": "messages[1].content", "code": "string_above_max_length",
    }});
    let api = ops_testkit::openai::FakeOpenAi::start(vec![Reply::Fail(Failure::new(
        400,
        body.to_string(),
    ))])
    .await;
    let mut b = bench("aider-test");
    b.env = std::mem::take(&mut b.env)
        .set("HOME", home.path().to_string_lossy())
        .set("OPENAI_API_BASE", api.base_url())
        .set("OPENAI_API_KEY", "test")
        .set("LITELLM_LOCAL_MODEL_COST_MAP", "True");
    let d = AiderDispatcher::new(
        b,
        AiderConfig {
            program: ops_testkit::aider_cli().to_string_lossy().into_owned(),
            model: Some("openai/gpt-test".into()),
        },
    );
    let reason = failure_of(&d, &repo, "a400", &api.dump()).await;
    // Aider wraps its lines: the head of the API's message is on the error's line.
    assert_readable(
        &reason,
        "BadRequestError: OpenAIException - Invalid 'messages[1].content'",
    );
}
