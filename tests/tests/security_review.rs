//! The security review end to end: `ops run` with the real Claude Code CLI (pinned,
//! installed by scripts/install-agent-clis.sh) against the scripted Anthropic
//! Messages server on 127.0.0.1, the local-git shipper and a bare origin. A task
//! tagged sensitive (its title names an auth token) is done by one Claude process
//! and reviewed by another in its own worktree; the reviewer's verdict decides:
//! approve ships, no verdict blocks after one review with nothing on origin's dev,
//! changes requested reach the worker's next request.

use ops_core::model::{Task, TaskStatus};
use ops_e2e::claude::{ClaudeScenario, REVIEW_BRIEF, first_message};
use ops_e2e::fleet::{Ran, Todo};
use ops_e2e::git::squashes;
use ops_testkit::anthropic::{Recorded, Reply};

/// One sensitive todo: "auth" and "token" are security keywords.
const TODOS: &[Todo] = &[Todo {
    alias: "api",
    key: "auth",
    title: "Harden the auth token check",
    after: None,
}];

/// A sensitive-task scenario: the fleet of [`TODOS`] and the scripted model server.
struct Scenario(ClaudeScenario);

impl std::ops::Deref for Scenario {
    type Target = ClaudeScenario;
    fn deref(&self) -> &ClaudeScenario {
        &self.0
    }
}

impl Scenario {
    fn new(script: Vec<Reply>) -> Scenario {
        Scenario(ClaudeScenario::new(TODOS, script))
    }

    /// `ops run <mode> --force --agent claude` to its end.
    fn run_in(&self, mode: &str) -> Ran {
        self.run_with(mode, &[])
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

    /// Agent turns of reviewers (their conversation is a review brief).
    fn review_turns(&self) -> Vec<Recorded> {
        self.turns()
            .into_iter()
            .filter(|r| first_message(r).contains(REVIEW_BRIEF))
            .collect()
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
