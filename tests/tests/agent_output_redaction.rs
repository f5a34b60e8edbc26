//! One redactor for everything an agent says, end to end: `ops run` with the real
//! Claude Code CLI against the scripted model server on 127.0.0.1, the local-git
//! shipper and a bare origin. The worker prints two canaries — a value ops knows
//! from its environment (`DEPLOY_SECRET`, withheld from the agent, no token
//! shape) and a GitHub-token-shaped string — in a Bash command's output and in
//! its summary; the security reviewer repeats both in its findings. Neither may
//! show up anywhere ops writes or sends: its stdout (the `--json` events) and
//! stderr, `ops status --json`, the board file, any file under the state
//! directory, the attempt logs under `.worktrees/.logs`, or what the model
//! server received after the worker's own conversation (the review brief, the
//! next attempt's brief).

use ops_core::model::TaskStatus;
use ops_e2e::claude::{ClaudeScenario, REVIEW_BRIEF, first_message};
use ops_e2e::fleet::{Started, Todo};
use ops_e2e::leaks::{file_count, files_holding};
use ops_testkit::anthropic::Reply;

/// A sensitive todo ("auth", "token"): a reviewer reads the work.
const TODOS: &[Todo] = &[Todo {
    alias: "api",
    key: "auth",
    title: "Harden the auth token check",
    after: None,
}];

/// The value of `DEPLOY_SECRET` in ops' environment: lower-case letters, digits
/// and dashes, so no token pattern matches it; only knowing it redacts it.
const ENV_CANARY: &str = "canary-env-5d1e9b27c4a8";

/// A GitHub-token-shaped canary no real account has: its pattern redacts it.
const TOKEN_CANARY: &str = "ghp_C4n4ryT0k3nC4n4ryT0k3nC4n4ryT0k3n12";

/// The worker's first turn: print both canaries, then commit the change.
fn print_and_commit() -> Reply {
    Reply::bash(&format!(
        "echo 'the old config held {ENV_CANARY} and {TOKEN_CANARY}' && \
         printf 'fn check(token: &str) -> bool {{ verify(token) }}\\n' > auth.rs && \
         git add auth.rs && git commit -q -m 'harden the auth token check'"
    ))
}

fn commit_fix() -> Reply {
    Reply::bash(
        "printf 'fn check(token: &str) -> bool { constant_time_eq(token, EXPECTED) }\\n' > auth.rs && \
         git commit -q -am 'compare in constant time'",
    )
}

#[test]
fn secrets_an_agent_prints_reach_no_output_event_board_state_file_log_or_later_model_request() {
    let s = ClaudeScenario::new(
        TODOS,
        vec![
            print_and_commit(),
            Reply::Text(format!(
                "Hardened the check. The old config held {ENV_CANARY} and {TOKEN_CANARY}."
            )),
            Reply::Text(format!(
                "VERDICT: CHANGES REQUESTED\n- auth.rs:1: FINDING-3c1 rotate {ENV_CANARY} and {TOKEN_CANARY}; compare in constant time"
            )),
            commit_fix(),
            Reply::Text("Compared in constant time.".into()),
            Reply::Text("VERDICT: APPROVE".into()),
        ],
    );
    let ran = s.run_with("--subagents", &[("DEPLOY_SECRET", ENV_CANARY)]);
    let board = s.fleet.board();
    let task = TODOS[0]
        .task(&board)
        .unwrap_or_else(|| panic!("the task: {board:#?}\n{}", s.dump(&ran)));
    // The scenario ran as scripted: reviewed twice, the findings reached the
    // worker, the fix shipped.
    assert_eq!(
        task.status,
        TaskStatus::Completed,
        "{task:#?}\n{}",
        s.dump(&ran)
    );
    let turns = s.turns();
    let first_review = turns
        .iter()
        .position(|r| first_message(r).contains(REVIEW_BRIEF))
        .unwrap_or_else(|| panic!("a review ran\n{}", s.dump(&ran)));
    let second_attempt = turns
        .iter()
        .position(|r| first_message(r).contains("(attempt 2)"))
        .unwrap_or_else(|| panic!("a second attempt ran\n{}", s.dump(&ran)));
    for canary in [ENV_CANARY, TOKEN_CANARY] {
        assert!(
            turns[..first_review]
                .iter()
                .any(|r| r.body.to_string().contains(canary)),
            "the worker really printed {canary} (its Bash output went back to its model)\n{}",
            s.dump(&ran)
        );
    }
    let next_brief = first_message(&turns[second_attempt]);
    assert!(
        next_brief.contains("FINDING-3c1") && next_brief.contains("[redacted"),
        "the findings reached the worker, redacted: {next_brief}"
    );
    assert!(
        first_message(&turns[first_review]).contains("[redacted"),
        "the author's summary reached the reviewer, redacted: {}",
        first_message(&turns[first_review])
    );

    // `Fleet::ops` always passes `--json`.
    let status = Started::spawn(s.fleet.ops(&["status"]), &s.fleet.scratch(), "status")
        .finish(ops_e2e::claude::RUN_LIMIT);
    assert!(status.status.success(), "{status:?}");
    let state = s.fleet.state_dir();
    let logs = s.fleet.repo("api").work().join(".worktrees/.logs");
    assert!(
        s.fleet.board_path().is_file(),
        "the board is in the state dir"
    );
    assert!(
        file_count(&logs) >= 4,
        "the attempt logs are there (two workers, two reviewers): {}",
        file_count(&logs)
    );
    for canary in [ENV_CANARY, TOKEN_CANARY] {
        assert!(
            !ran.stdout.contains(canary),
            "stdout (events): {}",
            ran.stdout
        );
        assert!(!ran.stderr.contains(canary), "stderr: {}", ran.stderr);
        assert!(
            !status.stdout.contains(canary),
            "ops status --json: {}",
            status.stdout
        );
        assert_eq!(
            files_holding(&state, canary),
            Vec::<std::path::PathBuf>::new(),
            "state dir"
        );
        assert_eq!(
            files_holding(&logs, canary),
            Vec::<std::path::PathBuf>::new(),
            "attempt logs"
        );
        // Every brief after the worker's first conversation, and everything the
        // later conversations sent (they print nothing secret themselves).
        for (i, r) in turns.iter().enumerate().skip(first_review) {
            assert!(
                !first_message(r).contains(canary),
                "the brief of agent turn {i}: {}",
                first_message(r)
            );
        }
        for r in &turns[second_attempt..] {
            assert!(!r.body.to_string().contains(canary), "{}", r.body);
        }
    }
}
