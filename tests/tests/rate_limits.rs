//! Rate and usage limits end to end: `ops run` with the real Claude Code CLI
//! (pinned, installed by scripts/install-agent-clis.sh) against the scripted
//! Anthropic server on 127.0.0.1, which refuses a request for a usage limit with
//! a reset time. The attempt does not count, `ops run` waits for the reset and
//! then ships, or with `--no-wait` stops with exit code 6, and a later run waits
//! for the same limit without asking the API again.

use ops_core::model::{AttemptOutcome, Task, TaskStatus, Timestamp};
use ops_e2e::fleet::{Fleet, Ran, Started, Todo};
use ops_e2e::git::squashes;
use ops_testkit::anthropic::{FakeAnthropic, Reply};
use std::path::PathBuf;
use std::time::Duration;

const TODOS: &[Todo] = &[Todo {
    alias: "api",
    key: "greet",
    title: "Add a greeting file",
    after: None,
}];

/// Far beyond what a few CLI runs take here; only a hang gets there.
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// The exit code of `ops run --no-wait` stopped by a limit (README, `ops --help`).
const RATE_LIMITED: i32 = 6;

struct Scenario {
    fleet: Fleet,
    api: FakeAnthropic,
    _runtime: tokio::runtime::Runtime,
    cli: PathBuf,
}

impl Scenario {
    fn new(script: Vec<Reply>) -> Scenario {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let api = runtime.block_on(FakeAnthropic::start(script));
        Scenario {
            fleet: Fleet::new(TODOS),
            api,
            _runtime: runtime,
            cli: ops_testkit::claude_cli(),
        }
    }

    /// `ops run --subagents --force --agent claude <extra>` to its end, the CLI's
    /// own retries off so the API's refusal reaches ops at once.
    fn run(&self, extra: &[&str]) -> Ran {
        let cli = self.cli.to_string_lossy().into_owned();
        let mut args = vec![
            "run",
            "--subagents",
            "--force",
            "--agent",
            "claude",
            "--agent-cmd",
            &cli,
        ];
        args.extend_from_slice(extra);
        let mut cmd = self.fleet.ops(&args);
        cmd.env("ANTHROPIC_BASE_URL", self.api.url())
            .env("ANTHROPIC_API_KEY", "test")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("CLAUDE_CODE_MAX_RETRIES", "0");
        Started::spawn(cmd, &self.fleet.scratch(), "run").finish(RUN_LIMIT)
    }

    fn task(&self) -> Task {
        let board = self.fleet.board();
        TODOS[0]
            .task(&board)
            .unwrap_or_else(|| panic!("the todo's task on the board: {board:#?}"))
            .clone()
    }

    fn agent_turns(&self) -> usize {
        self.api
            .requests()
            .iter()
            .filter(|r| r.is_agent_turn())
            .count()
    }

    fn dump(&self, ran: &Ran) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}\nboard:\n{:#?}",
            ran.status.code(),
            ran.stdout,
            ran.stderr,
            self.fleet.board()
        )
    }
}

/// Unix seconds `secs` from now, and that moment.
fn ahead(secs: u64) -> (u64, Timestamp) {
    let at = Timestamp::now().0 / 1000 + secs;
    (at, Timestamp(at * 1000))
}

#[test]
fn with_no_wait_a_usage_limit_stops_the_run_with_exit_6_and_the_next_run_waits_for_the_same_reset()
{
    let (reset_secs, reset) = ahead(3600);
    let s = Scenario::new(vec![ops_testkit::anthropic::usage_limit(reset_secs)]);
    let ran = s.run(&["--no-wait"]);
    assert_eq!(ran.status.code(), Some(RATE_LIMITED), "{}", s.dump(&ran));
    assert!(
        ran.stderr.contains("paused by a rate or usage limit"),
        "{}",
        s.dump(&ran)
    );
    assert!(
        ran.stdout.contains(r#""event":"runtime_paused""#)
            && ran.stdout.contains(r#""halt":"rate_limited""#),
        "{}",
        s.dump(&ran)
    );
    let task = s.task();
    assert_eq!(task.status, TaskStatus::Pending, "{}", s.dump(&ran));
    assert_eq!(task.counted_attempts(), 0, "the limit used up no attempt");
    assert_eq!(
        task.rate_limit().map(|(r, u, _)| (r.to_string(), u)),
        Some(("claude".into(), reset))
    );
    let reason = task.status_reason.clone().unwrap_or_default();
    assert!(reason.contains("waits until"), "{reason}");
    let turns = s.agent_turns();

    // The limit is on the board: a new run does not ask the API before the reset.
    let again = s.run(&["--no-wait"]);
    assert_eq!(
        again.status.code(),
        Some(RATE_LIMITED),
        "{}",
        s.dump(&again)
    );
    assert_eq!(s.agent_turns(), turns, "no agent started before the reset");
}

#[test]
fn ops_run_waits_out_a_usage_limit_and_ships_after_its_reset_with_one_attempt() {
    // Far enough ahead that the CLI reaches the API before it.
    let (reset_secs, reset) = ahead(8);
    let s = Scenario::new(vec![
        ops_testkit::anthropic::usage_limit(reset_secs),
        Reply::bash(
            "printf 'hello\\n' > hello.txt && git add hello.txt && git commit -q -m 'add a greeting file'",
        ),
        Reply::Text("Added hello.txt.".into()),
    ]);
    let ran = s.run(&[]);
    assert!(ran.status.success(), "{}", s.dump(&ran));
    let task = s.task();
    assert_eq!(task.status, TaskStatus::Completed, "{}", s.dump(&ran));
    assert_eq!(task.counted_attempts(), 0, "the limit used up no attempt");
    let outcomes: Vec<_> = task.attempts.iter().map(|a| a.outcome.clone()).collect();
    assert!(
        matches!(
            outcomes.as_slice(),
            [
                Some(AttemptOutcome::RateLimited { .. }),
                Some(AttemptOutcome::Shipped)
            ]
        ),
        "{outcomes:?}"
    );
    assert!(
        task.attempts[1].started_at >= reset,
        "the second agent started after the reset ({reset:?}): {:?}",
        task.attempts[1].started_at
    );
    assert!(
        ran.stdout.contains(r#""event":"runtime_resumed""#),
        "{}",
        s.dump(&ran)
    );
    let on_dev = squashes(&s.fleet.repo("api").origin(), "dev");
    assert_eq!(on_dev.len(), 1, "{on_dev:#?}");
    assert_eq!(on_dev[0].added, ["hello.txt"]);
}
