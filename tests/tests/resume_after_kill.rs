//! `kill -9` of `ops run` while an agent works, then a restart: the restart takes
//! over the dead run's task at once (its worker is a process of this host that no
//! longer exists) instead of waiting for the dead run's board lease to lapse, the
//! agent the dead run left behind is stopped before a new one works in the same
//! worktree, and a git index lock that agent's git left does not block the task.

use ops_core::model::TaskStatus;
use ops_e2e::fleet::{Fleet, Started, Todo};
use ops_e2e::journal::{self, Entry};
use ops_e2e::output;
use std::time::{Duration, Instant};

const TODOS: &[Todo] = &[Todo {
    alias: "solo",
    key: "only",
    title: "The only task",
    after: None,
}];

/// The agent works this long: the kill always lands while it sleeps.
const AGENT: &str = "--sleep-ms=4000";

/// Half the engine's default board lease (60 s): a restart that waited for the
/// dead run's lease to lapse cannot finish within it; one that takes over at once
/// needs the agent's 4 s and a few more.
const RESTART_LIMIT: Duration = Duration::from_secs(30);

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Starts `ops run`, kills it (`kill -9`) once its agent has started, and returns
/// the agent's pid (from the agent's journal) and its worktree.
fn kill_while_the_agent_works(fleet: &Fleet) -> (u32, std::path::PathBuf) {
    let first = Started::spawn(fleet.run(AGENT, &[]), &fleet.scratch(), "killed");
    let until = Instant::now() + Duration::from_secs(60);
    while !first.stdout_so_far().contains("\"agent_started\"") {
        assert!(
            Instant::now() < until,
            "no agent started: {}",
            first.stdout_so_far()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = first.kill();
    journal::read(&fleet.journal())
        .expect("the journal reads")
        .into_iter()
        .find_map(|e| match e {
            Entry::Start { pid, cwd } => Some((pid, cwd)),
            _ => None,
        })
        .expect("the agent journaled its start")
}

#[test]
fn a_restart_after_kill_9_takes_over_the_dead_runs_task_at_once_and_stops_its_orphaned_agent() {
    let fleet = Fleet::new(TODOS);
    let (orphan, _) = kill_while_the_agent_works(&fleet);
    assert!(alive(orphan), "kill -9 of ops leaves its agent running");

    let restart =
        Started::spawn(fleet.run(AGENT, &[]), &fleet.scratch(), "restart").finish(RESTART_LIMIT);
    assert!(
        restart.status.success(),
        "{}\n{}",
        restart.stdout,
        restart.stderr
    );
    let events = output::parse(&restart.stdout, false)
        .expect("JSON lines")
        .events;
    let task = &fleet.board()[0];
    assert_eq!(task.status, TaskStatus::Completed, "{task:#?}");
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "reconciled" && e["task"] == task.id.as_str()),
        "the restart took the task over: {}",
        restart.stdout
    );
    assert!(!alive(orphan), "the orphaned agent was stopped");
    let entries = journal::read(&fleet.journal()).expect("the journal reads");
    assert!(
        !entries.iter().any(
            |e| matches!(e, Entry::Commit { pid, .. } | Entry::End { pid, .. } if *pid == orphan)
        ),
        "the orphaned agent did no work after the takeover: {entries:?}"
    );
}

#[test]
fn an_index_lock_left_by_the_killed_runs_agent_does_not_block_the_task_after_a_restart() {
    let fleet = Fleet::new(TODOS);
    let (_, worktree) = kill_while_the_agent_works(&fleet);
    // What a `git commit` of that agent, killed mid-write, leaves behind.
    let gitdir = ops_testkit::git(&worktree, &["rev-parse", "--absolute-git-dir"]);
    std::fs::write(std::path::Path::new(&gitdir).join("index.lock"), "").expect("a lock");

    let restart =
        Started::spawn(fleet.run(AGENT, &[]), &fleet.scratch(), "restart").finish(RESTART_LIMIT);
    let task = &fleet.board()[0];
    assert!(
        restart.status.success() && task.status == TaskStatus::Completed,
        "{task:#?}\n{}",
        restart.stderr
    );
}
