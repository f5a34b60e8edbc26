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
const AGENT_MILLIS: u64 = 500;
/// Two agents at once: kills find several tasks in flight, and the work outlasts
/// most of the killed runs.
const RUN_ARGS: &[&str] = &["--max-agents", "2"];
/// Timed kills land uniformly in `[0, KILL_WINDOW)` after a run starts; an
/// anchored kill whose line has not come by then lands then too (so no run does
/// more than a window's worth of the work).
const KILL_WINDOW: Duration = Duration::from_millis(1500);
/// Anchored kills land up to this long after the line they wait for.
const JITTER: Duration = Duration::from_millis(150);
/// Far beyond the seconds a run takes here; only a hang gets there.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// Lines that mark each step of a run, for anchored kills: every other kill waits
/// for the n-th such line (n from 1 to the number given: a run starts once, and
/// promotes each of the three projects once) plus a random jitter, so that kills land in
/// every step — dispatch, agents, gates, shipping, merging, promotion — and not
/// only where a run spends most of its time.
const ANCHORS: &[(&str, &str, usize)] = &[
    ("dispatch", r#""event":"run_started""#, 1),
    ("agent", r#""event":"agent_started""#, 2),
    ("gates", r#""to":"auditing""#, 2),
    ("shipping", r#""event":"change_opened""#, 2),
    ("merge", r#""event":"merge_attempted""#, 2),
    ("promotion", r#""event":"promoted""#, 3),
];

/// When to kill a run.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// This long after it started.
    After(Duration),
    /// This long after its `nth` line containing `marker` (step `step`).
    Anchored {
        step: &'static str,
        marker: &'static str,
        nth: usize,
        jitter: Duration,
    },
}

/// Tasks per project; three projects.
const TASKS_PER_PROJECT: usize = 12;

/// Thirty-six tasks over three projects, in chains of three (task 2 after 1, 3
/// after 2, 5 after 4, ...), so that the work outlasts most of the killed runs.
fn todos() -> Vec<Todo> {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let mut out = Vec::new();
    for alias in ["alpha", "beta", "gamma"] {
        for n in 1..=TASKS_PER_PROJECT {
            out.push(Todo {
                alias,
                key: leak(format!("{alias}{n}")),
                title: leak(format!("{alias} task {n}")),
                after: (n % 3 != 1).then(|| leak(format!("{alias}{}", n - 1))),
            });
        }
    }
    out
}

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

    /// The moment of kill number `kill`: timed for even kills, anchored for odd;
    /// the last kill waits for the first promotion line however long that takes
    /// (the window of that run is the whole run).
    fn moment(&mut self, kill: usize) -> Moment {
        if kill == KILLS {
            let (step, marker, _) = ANCHORS[ANCHORS.len() - 1];
            return Moment::Anchored {
                step,
                marker,
                nth: 1,
                jitter: self.below(JITTER),
            };
        }
        if kill.is_multiple_of(2) {
            return Moment::After(self.below(KILL_WINDOW));
        }
        let (step, marker, most) = ANCHORS[(self.next() % ANCHORS.len() as u64) as usize];
        Moment::Anchored {
            step,
            marker,
            nth: 1 + (self.next() % most as u64) as usize,
            jitter: self.below(JITTER),
        }
    }
}

/// Waits for `moment` and kills `run` then (`kill -9`): what it printed, whether
/// it was killed (not ended by itself first), and whether an anchored moment's
/// line came within the window.
fn kill_at(mut run: Started, moment: Moment, window: Duration) -> (Ran, bool, bool) {
    let deadline = Instant::now() + window;
    let wait = match moment {
        Moment::After(delay) => delay,
        Moment::Anchored {
            marker,
            nth,
            jitter,
            ..
        } => {
            loop {
                if run.stdout_so_far().matches(marker).count() >= nth {
                    break;
                }
                if let Some(ran) = run.wait_for(Duration::from_millis(5)) {
                    return (ran, false, false);
                }
                if Instant::now() >= deadline {
                    return (run.kill(), true, false);
                }
            }
            jitter
        }
    };
    match run.wait_for(wait) {
        Some(ran) => (ran, false, true),
        None => (run.kill(), true, true),
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
    let todos = todos();
    let fleet = Fleet::new(&todos);
    let agent_args = format!("--sleep-ms={AGENT_MILLIS}");
    let started_at = Instant::now();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut phases: BTreeMap<String, usize> = BTreeMap::new();
    for kill in 1..=KILLS {
        let moment = moments.moment(kill);
        let run_started = Instant::now();
        let run = Started::spawn(
            fleet.run(&agent_args, RUN_ARGS),
            &fleet.scratch(),
            &format!("run-{kill}"),
        );
        // The last killed run finishes what is left and dies between the
        // promotions of its projects (if any work was left for it): the final run
        // must then promote the others (promotion made up after a crash).
        let window = if kill == KILLS {
            RUN_LIMIT
        } else {
            KILL_WINDOW
        };
        let (ran, killed, anchor_came) = kill_at(run, moment, window);
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
        let aimed = match moment {
            Moment::After(delay) => format!("{delay:?} after the start"),
            Moment::Anchored {
                step, nth, jitter, ..
            } if anchor_came => format!("{jitter:?} after {step} line {nth}"),
            Moment::Anchored { step, nth, .. } => {
                format!("at the end of the window, {step} line {nth} never came")
            }
        };
        println!(
            "kill {kill}: {aimed}: last event {at} ({:?} into the run)",
            run_started.elapsed()
        );
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
            "seed {seed}, after kill {kill} ({moment:?}):\n{problems:#?}"
        );
        seen.extend(now);
    }
    println!("kill moments by phase: {phases:#?}");

    // The last run, not killed, finishes the work.
    let last_started = Instant::now();
    let last = Started::spawn(fleet.run(&agent_args, RUN_ARGS), &fleet.scratch(), "last")
        .finish(RUN_LIMIT);
    println!("the last run took {:?}", last_started.elapsed());
    let unfinished: Vec<String> = fleet
        .board()
        .iter()
        .filter(|t| t.status != TaskStatus::Completed)
        .map(|t| {
            let attempts: Vec<String> = t
                .attempts
                .iter()
                .map(|a| format!("{}: {:?}", a.number, a.outcome))
                .collect();
            format!(
                "{} {} ({:?}); attempts {attempts:#?}",
                t.id, t.status, t.status_reason
            )
        })
        .collect();
    assert!(
        last.status.success() && unfinished.is_empty(),
        "seed {seed}: the last run exited with {:?}; unfinished: {unfinished:#?}\nstderr: {}",
        last.status.code(),
        last.stderr
    );
    let board = fleet.board();
    assert_eq!(
        board.len(),
        todos.len(),
        "seed {seed}: one task per todo: {board:#?}"
    );
    for t in &todos {
        let task = t
            .task(&board)
            .unwrap_or_else(|| panic!("seed {seed}: no task for {t:?}"));
        assert_eq!(task.status, TaskStatus::Completed, "seed {seed}: {task:#?}");
    }
    for (alias, repo) in fleet.repos() {
        let on_dev = squashes(&repo.origin(), "dev");
        for t in todos.iter().filter(|t| t.alias == alias) {
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
