//! The security review end to end: `ops run` with the real Claude Code CLI (pinned,
//! installed by scripts/install-agent-clis.sh) against the scripted Anthropic
//! Messages server on 127.0.0.1, the local-git shipper and a bare origin. A task
//! tagged sensitive (its title names an auth token) is done by one Claude process
//! and reviewed by another in its own worktree; the reviewer's verdict decides:
//! approve ships, no verdict blocks after one review with nothing on origin's dev,
//! changes requested reach the worker's next request.

use ops_core::model::{Task, TaskStatus};
use ops_e2e::fleet::{Fleet, Ran, Started, Todo};
use ops_e2e::git::squashes;
use ops_testkit::anthropic::{FakeAnthropic, Recorded, Reply};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One sensitive todo: "auth" and "token" are security keywords.
const TODOS: &[Todo] = &[Todo {
    alias: "api",
    key: "auth",
    title: "Harden the auth token check",
    after: None,
}];

/// Far beyond what two or four CLI runs take here; only a hang gets there.
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// How a review brief begins (`ops_core::engine::review::review_brief`).
const REVIEW_BRIEF: &str = "# Security review of task";

/// The real Claude Code CLI, installed at the pinned version by the project
/// script (idempotent; a file lock keeps parallel tests from installing twice).
fn claude_cli() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    let tools = root.join(".tools");
    std::fs::create_dir_all(&tools).expect("create .tools");
    let lock = std::fs::File::create(tools.join(".install.lock")).expect("lock file");
    lock.lock().expect("take the install lock");
    let status = std::process::Command::new(root.join("scripts/install-agent-clis.sh"))
        .status()
        .expect("run scripts/install-agent-clis.sh");
    assert!(status.success(), "installing the agent CLIs failed");
    let cli = tools.join("node_modules/.bin/claude");
    assert!(cli.exists(), "claude is at {}", cli.display());
    cli
}

/// A scenario: the fleet, the model server (on its own runtime) and the CLI.
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
            cli: claude_cli(),
        }
    }

    /// `ops run <mode> --force --agent claude` to its end.
    fn run_in(&self, mode: &str) -> Ran {
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
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        Started::spawn(cmd, &self.fleet.scratch(), "run").finish(RUN_LIMIT)
    }

    /// `ops run --subagents --force --agent claude` to its end.
    fn run(&self) -> Ran {
        self.run_in("--subagents")
    }

    fn task(&self) -> Task {
        let board = self.fleet.board();
        TODOS[0]
            .task(&board)
            .unwrap_or_else(|| panic!("the todo's task on the board: {board:#?}"))
            .clone()
    }

    /// The model requests of agent turns, in order.
    fn turns(&self) -> Vec<Recorded> {
        self.api
            .requests()
            .into_iter()
            .filter(Recorded::is_agent_turn)
            .collect()
    }

    /// Agent turns of reviewers (their conversation is a review brief).
    fn review_turns(&self) -> Vec<Recorded> {
        self.turns()
            .into_iter()
            .filter(|r| first_message(r).contains(REVIEW_BRIEF))
            .collect()
    }

    /// What the run printed and what the model server saw, for failure messages.
    fn dump(&self, ran: &Ran) -> String {
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

    /// Review worktrees and branches left in the checkout or on origin.
    fn review_leftovers(&self) -> Vec<String> {
        let repo = self.fleet.repo("api");
        let mut left: Vec<String> = repo
            .git(&[
                "for-each-ref",
                "--format=%(refname)",
                "refs/heads/ops-review/",
            ])
            .lines()
            .map(String::from)
            .collect();
        left.extend(
            ops_testkit::git(&repo.origin(), &["for-each-ref", "--format=%(refname)"])
                .lines()
                .filter(|r| r.contains("review"))
                .map(String::from),
        );
        let reviews = repo.work().join(".worktrees/.review");
        if let Ok(entries) = std::fs::read_dir(&reviews) {
            left.extend(entries.flatten().map(|e| e.path().display().to_string()));
        }
        left
    }
}

/// The text of the first message of a request's conversation (the brief).
fn first_message(r: &Recorded) -> String {
    r.body["messages"][0].to_string()
}

/// The worker's scripted turn: write and commit `auth.rs` with `content`.
fn commit_auth(content: &str) -> Reply {
    Reply::bash(&format!(
        "printf '{content}\\n' > auth.rs && git add auth.rs && git commit -q -m 'harden the auth token check'"
    ))
}

#[test]
fn an_approving_review_ships_the_sensitive_change_to_origin_dev() {
    let s = Scenario::new(vec![
        commit_auth("fn check(token: &str) -> bool { verify(token) }"),
        Reply::Text("Hardened the token check in auth.rs.".into()),
        Reply::Text("The check verifies the token; nothing else changed.\nVERDICT: APPROVE".into()),
    ]);
    let ran = s.run();
    let task = s.task();
    assert_eq!(
        task.status,
        TaskStatus::Completed,
        "{task:#?}\n{}",
        s.dump(&ran)
    );
    assert!(ran.status.success(), "{}", s.dump(&ran));
    let reviews = s.review_turns();
    assert_eq!(reviews.len(), 1, "one review\n{}", s.dump(&ran));
    assert!(
        first_message(&reviews[0]).contains("fn check(token: &str)"),
        "the reviewer was shown the diff: {}",
        first_message(&reviews[0])
    );
    let origin = s.fleet.repo("api").origin();
    let on_dev = squashes(&origin, "dev");
    assert_eq!(on_dev.len(), 1, "{on_dev:#?}");
    assert_eq!(on_dev[0].task, task.id.to_string());
    assert_eq!(on_dev[0].added, ["auth.rs"]);
    assert_eq!(
        s.review_leftovers(),
        Vec::<String>::new(),
        "the review left nothing"
    );
}

#[test]
fn a_review_without_a_verdict_blocks_the_task_after_one_review_and_nothing_reaches_origin_dev() {
    let s = Scenario::new(vec![
        commit_auth("fn check(token: &str) -> bool { true }"),
        Reply::Text("Done.".into()),
        Reply::Text("I had a look; it seems mostly fine to me.".into()),
    ]);
    let origin = s.fleet.repo("api").origin();
    let dev_before = s.fleet.repo("api").origin_rev("dev");
    let ran = s.run();
    let task = s.task();
    assert_eq!(
        task.status,
        TaskStatus::Blocked,
        "{task:#?}\n{}",
        s.dump(&ran)
    );
    let reason = task.status_reason.clone().unwrap_or_default();
    assert!(
        reason.contains("security review") && reason.contains("gave no verdict"),
        "a clear reason: {reason}"
    );
    assert_eq!(task.counted_attempts(), 0, "no attempt used up: {task:#?}");
    assert_eq!(s.review_turns().len(), 1, "one review\n{}", s.dump(&ran));
    assert_eq!(ran.status.code(), Some(5), "unfinished\n{}", s.dump(&ran));
    assert_eq!(
        ops_testkit::git(&origin, &["rev-parse", "dev"]),
        dev_before,
        "origin's dev is untouched"
    );
    assert_eq!(
        s.review_leftovers(),
        Vec::<String>::new(),
        "the review left nothing"
    );
}

#[test]
fn changes_requested_by_the_reviewer_reach_the_workers_next_request() {
    let s = Scenario::new(vec![
        commit_auth("fn check(token: &str) -> bool { token == SECRET }"),
        Reply::Text("Added the check.".into()),
        Reply::Text(
            "VERDICT: CHANGES REQUESTED\n- auth.rs:1: FINDING-9d2 the token is compared with ==; compare in constant time"
                .into(),
        ),
        commit_auth("fn check(token: &str) -> bool { constant_time_eq(token, SECRET) }"),
        Reply::Text("Compared in constant time.".into()),
        Reply::Text("VERDICT: APPROVE".into()),
    ]);
    let ran = s.run();
    // After the first review, a worker's request carries its findings as the
    // review's verdict (not, say, as a summary the worker itself printed).
    let turns = s.turns();
    let first_review = turns
        .iter()
        .position(|r| first_message(r).contains(REVIEW_BRIEF))
        .unwrap_or_else(|| panic!("a review ran\n{}", s.dump(&ran)));
    let worker_saw_it = turns[first_review + 1..].iter().any(|r| {
        let brief = first_message(r);
        !brief.contains(REVIEW_BRIEF)
            && brief.contains("security-review gate rejected the work: changes requested")
            && brief.contains("FINDING-9d2")
    });
    assert!(
        worker_saw_it,
        "the findings reached the worker\n{}",
        s.dump(&ran)
    );
    let task = s.task();
    assert_eq!(
        task.status,
        TaskStatus::Completed,
        "{task:#?}\n{}",
        s.dump(&ran)
    );
    assert_eq!(
        s.review_turns().len(),
        2,
        "the fix was reviewed\n{}",
        s.dump(&ran)
    );
    let origin = s.fleet.repo("api").origin();
    let shipped = ops_testkit::git(&origin, &["show", "dev:auth.rs"]);
    assert!(shipped.contains("constant_time_eq"), "{shipped}");
}

#[test]
fn in_team_mode_changes_requested_are_a_message_to_the_same_running_worker() {
    let s = Scenario::new(vec![
        commit_auth("fn check(token: &str) -> bool { token == SECRET }"),
        Reply::Text("Added the check.".into()),
        Reply::Text(
            "VERDICT: CHANGES REQUESTED\n- auth.rs:1: FINDING-5e7 the token is compared with =="
                .into(),
        ),
        commit_auth("fn check(token: &str) -> bool { constant_time_eq(token, SECRET) }"),
        Reply::Text("Compared in constant time.".into()),
        Reply::Text("VERDICT: APPROVE".into()),
    ]);
    let ran = s.run_in("--teams");
    let turns = s.turns();
    let first_review = turns
        .iter()
        .position(|r| first_message(r).contains(REVIEW_BRIEF))
        .unwrap_or_else(|| panic!("a review ran\n{}", s.dump(&ran)));
    // The same conversation goes on: its first message is still attempt 1's brief.
    let same_worker = turns[first_review + 1..].iter().any(|r| {
        let brief = first_message(r);
        !brief.contains(REVIEW_BRIEF)
            && brief.contains("(attempt 1)")
            && r.body["messages"].to_string().contains("FINDING-5e7")
    });
    assert!(
        same_worker,
        "the findings reached the running worker's conversation\n{}",
        s.dump(&ran)
    );
    let task = s.task();
    assert_eq!(
        task.status,
        TaskStatus::Completed,
        "{task:#?}\n{}",
        s.dump(&ran)
    );
    let origin = s.fleet.repo("api").origin();
    let shipped = ops_testkit::git(&origin, &["show", "dev:auth.rs"]);
    assert!(shipped.contains("constant_time_eq"), "{shipped}");
}
