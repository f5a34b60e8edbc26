//! `kill -9` of `ops run` while an agent works, then a restart: the restart takes
//! over the dead run's task at once (its worker is a process of this host that no
//! longer exists) instead of waiting for the dead run's board lease to lapse, and
//! the agent the dead run left behind is stopped before a new one works in the
//! same worktree.

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

#[test]
fn a_restart_after_kill_9_takes_over_the_dead_runs_task_at_once_and_stops_its_orphaned_agent() {
    let fleet = Fleet::new(TODOS);
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
    let orphan = journal::read(&fleet.journal())
        .expect("the journal reads")
        .iter()
        .find_map(|e| match e {
            Entry::Start { pid, .. } => Some(*pid),
            _ => None,
        })
        .expect("the agent journaled its start");
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
