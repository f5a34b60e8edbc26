//! No secret reaches origin, through any commit, end to end: `ops run` with the
//! real Claude Code CLI against the scripted model server on 127.0.0.1, the
//! local-git shipper and a bare origin. The oracle is every object the origin
//! holds, reachable or not (`git cat-file --batch-all-objects --batch`).

use ops_core::model::TaskStatus;
use ops_e2e::claude::ClaudeScenario;
use ops_e2e::fleet::{Ran, Todo};
use ops_e2e::git::squashes;
use ops_e2e::leaks::{all_objects, contains};
use ops_testkit::anthropic::Reply;

const TODOS: &[Todo] = &[Todo {
    alias: "api",
    key: "greet",
    title: "Write the greeting",
    after: None,
}];

/// The value of `DEPLOY_SECRET` in ops' environment (withheld from the agent):
/// no token pattern matches it, only knowing it finds it.
const ENV_CANARY: &str = "canary-env-0b7d3e91f62a";

/// The `ops/*` (task) branches on the origin of `s`.
fn task_branches_on_origin(s: &ClaudeScenario) -> Vec<String> {
    ops_testkit::git(
        &s.fleet.repo("api").origin(),
        &["for-each-ref", "--format=%(refname)", "refs/heads/ops/"],
    )
    .lines()
    .map(String::from)
    .collect()
}

fn status_of(s: &ClaudeScenario, ran: &Ran) -> ops_core::model::Task {
    let board = s.fleet.board();
    TODOS[0]
        .task(&board)
        .unwrap_or_else(|| panic!("the task: {board:#?}\n{}", s.dump(ran)))
        .clone()
}

#[test]
fn a_secret_committed_then_removed_blocks_the_task_and_no_object_of_origin_holds_it() {
    let s = ClaudeScenario::new(
        TODOS,
        vec![
            Reply::bash(&format!(
                "printf 'pub const DEPLOY: &str = \"{ENV_CANARY}\";\\n' > deploy.rs && \
                 git add deploy.rs && git commit -q -m 'add the deploy constant' && \
                 printf 'pub const DEPLOY: &str = \"\";\\n' > deploy.rs && \
                 git commit -q -am 'read the deploy secret elsewhere'"
            )),
            Reply::Text("Added deploy.rs.".into()),
        ],
    );
    let origin = s.fleet.repo("api").origin();
    let dev_before = s.fleet.repo("api").origin_rev("dev");
    let ran = s.run_with("--subagents", &[("DEPLOY_SECRET", ENV_CANARY)]);
    let task = status_of(&s, &ran);
    // The agent really committed it (in the checkout's history).
    let history = ops_testkit::git(
        &s.fleet.repo("api").work(),
        &["log", "-p", "--all", "--format=%H"],
    );
    assert!(
        history.contains(ENV_CANARY),
        "the agent committed the value\n{}",
        s.dump(&ran)
    );
    assert_eq!(
        task.status,
        TaskStatus::Blocked,
        "{task:#?}\n{}",
        s.dump(&ran)
    );
    let reason = task.status_reason.clone().unwrap_or_default();
    assert!(
        reason.contains("secret value ops knows") && reason.contains("never pushed"),
        "a clear reason: {reason}"
    );
    assert!(!reason.contains(ENV_CANARY), "{reason}");
    assert!(
        !contains(&all_objects(&origin), ENV_CANARY.as_bytes()),
        "no object of origin holds the value\n{}",
        s.dump(&ran)
    );
    assert_eq!(task_branches_on_origin(&s), Vec::<String>::new());
    assert_eq!(
        ops_testkit::git(&origin, &["rev-parse", "dev"]),
        dev_before,
        "origin's dev is untouched"
    );
}

#[test]
fn what_ships_is_one_squash_of_the_net_change_and_no_task_branch_or_agent_commit_reaches_origin() {
    let s = ClaudeScenario::new(
        TODOS,
        vec![
            Reply::bash(
                "printf 'WIP-DRAFT-81f2\\n' > greeting.txt && git add greeting.txt && \
                 git commit -q -m 'draft WIP-MSG-81f2' && \
                 printf 'hello\\n' > greeting.txt && git commit -q -am 'final greeting'",
            ),
            Reply::Text("Wrote the greeting.".into()),
        ],
    );
    let ran = s.run_with("--subagents", &[]);
    let task = status_of(&s, &ran);
    assert_eq!(
        task.status,
        TaskStatus::Completed,
        "{task:#?}\n{}",
        s.dump(&ran)
    );
    let origin = s.fleet.repo("api").origin();
    let on_dev = squashes(&origin, "dev");
    assert_eq!(on_dev.len(), 1, "{on_dev:#?}");
    assert_eq!(on_dev[0].task, task.id.to_string());
    assert_eq!(on_dev[0].added, ["greeting.txt"]);
    assert_eq!(
        ops_testkit::git(&origin, &["show", "dev:greeting.txt"]),
        "hello"
    );
    let objects = all_objects(&origin);
    for intermediate in ["WIP-DRAFT-81f2", "WIP-MSG-81f2"] {
        assert!(
            !contains(&objects, intermediate.as_bytes()),
            "the agent's own commits never reach origin ({intermediate})"
        );
    }
    assert_eq!(
        task_branches_on_origin(&s),
        Vec::<String>::new(),
        "no task branch stays on origin"
    );
}
