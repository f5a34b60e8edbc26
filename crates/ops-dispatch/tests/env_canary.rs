//! Secrets ops holds never reach an agent: the test re-runs itself with tokens
//! planted in its own environment, dispatches the fake agent, and reads what the
//! agent saw.

mod support;

use ops_core::seams::{AgentStatus, Dispatcher};
use ops_dispatch::{BriefDelivery, CommandConfig, CommandDispatcher};
use ops_testkit::{TempRepo, fake_agent};
use std::time::Duration;
use support::*;

const GITHUB: &str = "ghp_canary0000000000000000000000000000";
const SENTRY: &str = "sntrys_canary_value";
const LINEAR: &str = "lin_api_canary_value";
const OTHER: &str = "other-secret-canary";
const CHILD: &str = "OPS_ENV_CANARY_CHILD";

#[tokio::test]
async fn planted_tokens_never_reach_the_agent_but_anthropic_settings_and_configured_names_do() {
    if std::env::var_os(CHILD).is_none() {
        let status = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "planted_tokens_never_reach_the_agent_but_anthropic_settings_and_configured_names_do",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("GITHUB_TOKEN", GITHUB)
            .env("SENTRY_AUTH_TOKEN", SENTRY)
            .env("LINEAR_API_KEY", LINEAR)
            .env("MY_SERVICE_SECRET", OTHER)
            .env("NPM_TOKEN", "npm-configured-value")
            .env("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
            .status()
            .expect("re-run the test with planted tokens");
        assert!(
            status.success(),
            "the run with planted tokens failed (see its output)"
        );
        return;
    }
    assert_eq!(
        std::env::var("GITHUB_TOKEN").as_deref(),
        Ok(GITHUB),
        "the canary is planted"
    );
    let repo = TempRepo::new();
    let mut b = bench("canary");
    b.env = std::mem::take(&mut b.env).allow("NPM_TOKEN");
    let d = CommandDispatcher::new(
        b,
        CommandConfig {
            program: fake_agent().to_string_lossy().into_owned(),
            args: Vec::new(),
            brief: BriefDelivery::Stdin,
            steerable: false,
        },
    )
    .expect("config");
    // The command backend passes no runtime prefixes; check ANTHROPIC_ with claude's policy below.
    let t = task(&repo, "e1", "Show env");
    let h = d.dispatch(&brief_of(&t)).await.expect("dispatch");
    let out = tokio::time::timeout(Duration::from_secs(20), h.wait())
        .await
        .expect("ends");
    assert_eq!(out.status, AgentStatus::Succeeded, "{out:?}");
    let seen = std::fs::read_to_string(worktree_of(&repo, "e1").join("env.txt")).expect("env.txt");
    for secret in [GITHUB, SENTRY, LINEAR, OTHER] {
        assert!(
            !seen.contains(secret),
            "a planted secret reached the agent:\n{seen}"
        );
    }
    assert!(
        seen.contains("NPM_TOKEN=npm-configured-value"),
        "a configured name passes"
    );
    assert!(seen.lines().any(|l| l.starts_with("PATH=")), "PATH passes");
    let logs = repo.work().join(".worktrees/.logs/e1");
    for entry in std::fs::read_dir(&logs).expect("logs") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).unwrap_or_default();
        assert!(!text.contains(GITHUB), "the token is in a log");
    }
    let claude_env =
        ops_dispatch::EnvPolicy::with_prefixes(&["ANTHROPIC_", "CLAUDE_"]).from_current();
    let names: Vec<String> = claude_env
        .iter()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"ANTHROPIC_BASE_URL".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"GITHUB_TOKEN".to_string()), "{names:?}");
}
