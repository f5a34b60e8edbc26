//! `kill -9` of `ops run` at random moments, restarted each time: after every kill
//! no task is lost from the board, no task is merged twice, and no agent's work is
//! lost (every commit an agent made is on a ref or landed on dev); a last run
//! without a kill completes every task exactly once and promotes dev to main.
//!
//! The moments come from a seeded generator; the seed is printed, and
//! `OPS_E2E_SEED=<seed>` replays the same delays (the run's own timing still varies).

use ops_core::model::TaskStatus;
use ops_e2e::fleet::{Fleet, Ran, Started, Todo};
use ops_e2e::git::squashes;
use ops_e2e::invariants::{change_file, double_merges, lost_work, unlanded_leftovers};
use ops_e2e::journal::{self, Entry};
use ops_e2e::output;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// How many times `ops run` is killed.
const KILLS: usize = 20;
/// How long each fake agent works before it writes and commits.
const AGENT_MILLIS: u64 = 300;
/// Kills land uniformly in `[0, KILL_WINDOW)` after the start of each run: long
/// enough to reach shipping and promotion of a fresh run, short enough that most
/// runs die before the end.
const KILL_WINDOW: Duration = Duration::from_millis(2500);
/// Far beyond the seconds a run takes here; only a hang gets there.
const RUN_LIMIT: Duration = Duration::from_secs(60);

macro_rules! todo {
    ($alias:literal, $key:literal, $title:literal) => {
        Todo {
            alias: $alias,
            key: $key,
            title: $title,
            after: None,
        }
    };
    ($alias:literal, $key:literal, $title:literal, $after:literal) => {
        Todo {
            alias: $alias,
            key: $key,
            title: $title,
            after: Some($after),
        }
    };
}

/// Twelve tasks over three projects, with chains, so that a run lasts a few seconds.
const TODOS: &[Todo] = &[
    todo!("alpha", "a1", "Alpha one"),
    todo!("alpha", "a2", "Alpha two", "a1"),
    todo!("alpha", "a3", "Alpha three", "a2"),
    todo!("alpha", "a4", "Alpha four"),
    todo!("beta", "b1", "Beta one"),
    todo!("beta", "b2", "Beta two", "b1"),
    todo!("beta", "b3", "Beta three"),
    todo!("beta", "b4", "Beta four", "b3"),
    todo!("gamma", "g1", "Gamma one"),
    todo!("gamma", "g2", "Gamma two", "g1"),
    todo!("gamma", "g3", "Gamma three", "g2"),
    todo!("gamma", "g4", "Gamma four", "g3"),
];

/// splitmix64: a small seeded generator, enough to spread kill moments.
struct Moments(u64);

impl Moments {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, limit: Duration) -> Duration {
        let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(self.next() % millis)
    }
}

fn seed() -> u64 {
    std::env::var("OPS_E2E_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(7)
        })
}

/// Where a killed run was, from the last event it printed.
fn phase(ran: &Ran) -> String {
    let out = output::parse(&ran.stdout, true).unwrap_or_default();
    if out.report.is_some() {
        return "after the report".into();
    }
    match out.events.last() {
        None => "audit/plan (no event yet)".into(),
        Some(e) => match e["event"].as_str().unwrap_or("?") {
            "task_moved" => format!("task_moved to {}", e["to"].as_str().unwrap_or("?")),
            other => other.to_string(),
        },
    }
}

/// Whether process `pid` still exists.
fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn kill_9_at_twenty_random_moments_loses_nothing_merges_nothing_twice_and_the_last_run_finishes() {
    let seed = seed();
    println!(
        "crash_resume: seed {seed} (replay with OPS_E2E_SEED={seed} cargo test -p ops-e2e --test crash_resume)"
    );
    let mut moments = Moments(seed);
    let fleet = Fleet::new(TODOS);
    let agent_args = format!("--sleep-ms={AGENT_MILLIS}");
    let started_at = Instant::now();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut phases: BTreeMap<String, usize> = BTreeMap::new();
    for kill in 1..=KILLS {
        let delay = moments.below(KILL_WINDOW);
        let mut run = Started::spawn(
            fleet.run(&agent_args),
            &fleet.scratch(),
            &format!("run-{kill}"),
        );
        let (ran, killed) = match run.wait_for(delay) {
            Some(ran) => (ran, false),
            None => (run.kill(), true),
        };
        let at = if killed {
            phase(&ran)
        } else {
            assert!(
                ran.status.success(),
                "run {kill} ended by itself with {:?}: {}",
                ran.status.code(),
                ran.stderr
            );
            "ended by itself".into()
        };
        println!("kill {kill}: after {delay:?}: {at}");
        *phases.entry(at).or_default() += 1;

        // Right after the kill (and, for the earlier kills, after each restart's
        // resume): nothing lost, nothing merged twice.
        let board = fleet.board();
        let now: BTreeSet<String> = board.iter().map(|t| t.id.to_string()).collect();
        let lost: Vec<&String> = seen.difference(&now).collect();
        let mut problems: Vec<String> = Vec::new();
        if !lost.is_empty() {
            problems.push(format!("tasks gone from the board: {lost:?}"));
        }
        problems.extend(double_merges(&fleet));
        problems.extend(lost_work(&fleet));
        assert!(
            problems.is_empty(),
            "seed {seed}, after kill {kill} ({delay:?}):\n{problems:#?}"
        );
        seen.extend(now);
    }
    println!("kill moments by phase: {phases:#?}");

    // The last run, not killed, finishes the work.
    let last = Started::spawn(fleet.run(&agent_args), &fleet.scratch(), "last").finish(RUN_LIMIT);
    assert!(
        last.status.success(),
        "seed {seed}: the last run exited with {:?}\n{}\n{}",
        last.status.code(),
        last.stdout,
        last.stderr
    );
    let board = fleet.board();
    assert_eq!(
        board.len(),
        TODOS.len(),
        "seed {seed}: one task per todo: {board:#?}"
    );
    for t in TODOS {
        let task = t
            .task(&board)
            .unwrap_or_else(|| panic!("seed {seed}: no task for {t:?}"));
        assert_eq!(task.status, TaskStatus::Completed, "seed {seed}: {task:#?}");
    }
    for (alias, repo) in fleet.repos() {
        let on_dev = squashes(&repo.origin(), "dev");
        for t in TODOS.iter().filter(|t| t.alias == alias) {
            let id = t.task(&board).expect("checked above").id.to_string();
            let n = on_dev.iter().filter(|s| s.task == id).count();
            assert_eq!(
                n, 1,
                "seed {seed}: {alias}: {id} merged {n} times: {on_dev:#?}"
            );
            let content = ops_testkit::git(
                &repo.origin(),
                &["show", &format!("dev:{}", change_file(&id))],
            );
            assert_eq!(content, format!("done: {id}"), "seed {seed}: {alias}");
        }
        assert_eq!(
            repo.origin_rev("main"),
            repo.origin_rev("dev"),
            "seed {seed}: {alias}: dev promoted to main"
        );
    }

    // What the agents orphaned by the kills did: they ran on (each in its own
    // process group, out of reach of a killed ops); wait for them to end.
    let until = Instant::now() + Duration::from_secs(10);
    let pids = || -> Vec<u32> {
        journal::read(&fleet.journal())
            .expect("the journal reads")
            .iter()
            .filter_map(|e| match e {
                Entry::Start { pid, .. } => Some(*pid),
                _ => None,
            })
            .collect()
    };
    while pids().into_iter().any(alive) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    let entries = journal::read(&fleet.journal()).expect("the journal reads");
    let count = |f: fn(&Entry) -> bool| entries.iter().filter(|e| f(e)).count();
    println!(
        "agents: {} started, {} commits, {} ended normally; still alive after the last run: {}; {:?} in all",
        count(|e| matches!(e, Entry::Start { .. })),
        count(|e| matches!(e, Entry::Commit { .. })),
        count(|e| matches!(e, Entry::End { .. })),
        pids().into_iter().filter(|p| alive(*p)).count(),
        started_at.elapsed()
    );
    let problems: Vec<String> = [
        double_merges(&fleet),
        lost_work(&fleet),
        unlanded_leftovers(&fleet),
    ]
    .concat();
    assert!(problems.is_empty(), "seed {seed}: {problems:#?}");
}
