//! Scenarios with the real Claude Code CLI (pinned, installed by
//! `scripts/install-agent-clis.sh`) against the scripted Anthropic Messages
//! server on 127.0.0.1: a [`Fleet`], the model server on its own runtime, and
//! `ops run --agent claude` over them.

use crate::fleet::{Fleet, Ran, Started, Todo};
use ops_testkit::anthropic::{FakeAnthropic, Recorded, Reply};
use std::path::PathBuf;
use std::time::Duration;

/// Far beyond what a few CLI runs take here; only a hang gets there.
pub const RUN_LIMIT: Duration = Duration::from_secs(300);

/// How a review brief begins (`ops_core::engine::review::review_brief`).
pub const REVIEW_BRIEF: &str = "# Security review of task";

/// The fleet, the model server (on its own runtime) and the CLI.
pub struct ClaudeScenario {
    /// The repositories, registry and state directory.
    pub fleet: Fleet,
    /// The scripted model server.
    pub api: FakeAnthropic,
    _runtime: tokio::runtime::Runtime,
    cli: PathBuf,
}

impl ClaudeScenario {
    /// A fleet of `todos` and a model server answering agent turns with `script`.
    pub fn new(todos: &[Todo], script: Vec<Reply>) -> ClaudeScenario {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let api = runtime.block_on(FakeAnthropic::start(script));
        ClaudeScenario {
            fleet: Fleet::new(todos),
            api,
            _runtime: runtime,
            cli: ops_testkit::claude_cli(),
        }
    }

    /// `ops run <mode> --force --agent claude` to its end, with `env` added to
    /// ops' environment.
    pub fn run_with(&self, mode: &str, env: &[(&str, &str)]) -> Ran {
        let cli = self.cli.to_string_lossy().into_owned();
        let mut cmd = self.fleet.ops(&[
            "run",
            mode,
            "--force",
            "--agent",
            "claude",
            "--agent-cmd",
            &cli,
        ]);
        cmd.env("ANTHROPIC_BASE_URL", self.api.url())
            .env("ANTHROPIC_API_KEY", "test")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .envs(env.iter().copied());
        Started::spawn(cmd, &self.fleet.scratch(), "run").finish(RUN_LIMIT)
    }

    /// The model requests of agent turns, in order.
    pub fn turns(&self) -> Vec<Recorded> {
        self.api
            .requests()
            .into_iter()
            .filter(Recorded::is_agent_turn)
            .collect()
    }

    /// What the run printed and what the model server saw, for failure messages.
    pub fn dump(&self, ran: &Ran) -> String {
        let turns: Vec<String> = self
            .turns()
            .iter()
            .map(|r| first_message(r).chars().take(200).collect())
            .collect();
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}\nagent turns (first message):\n{turns:#?}",
            ran.status.code(),
            ran.stdout,
            ran.stderr
        )
    }
}

/// The text of the first message of a request's conversation (the brief).
pub fn first_message(r: &Recorded) -> String {
    r.body["messages"][0].to_string()
}
