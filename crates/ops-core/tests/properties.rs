//! Property tests of the scheduler: random task graphs, durations, outcomes and
//! ownership, run under tokio's paused clock. Checked from the event stream (what
//! the engine said it did) and from the fake runtime (what really ran):
//! never more than `max_agents` agents; never two in-flight tasks with overlapping
//! ownership; never a task before its blockers complete; every task ends settled,
//! exactly as its script predicts; no deadlock; every completed task merged once.

mod common;

use common::{Harness, id, task};
use ops_core::fake::{FakeAgent, FakeDispatcher};
use ops_core::model::{Priority, Task, TaskId, TaskStatus};
use ops_core::{Event, HaltReason};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
enum Try {
    Succeed(u64),
    Fail(u64),
    Hang,
}

#[derive(Debug, Clone)]
struct Spec {
    repo: u8,
    paths: Vec<&'static str>,
    blockers: Vec<usize>,
    priority: Priority,
    tries: Vec<Try>,
}

fn try_strategy() -> impl Strategy<Value = Try> {
    prop_oneof![
        6 => (1u64..90).prop_map(Try::Succeed),
        2 => (1u64..30).prop_map(Try::Fail),
        1 => Just(Try::Hang),
    ]
}

fn spec_strategy(i: usize) -> impl Strategy<Value = Spec> {
    let blockers = if i == 0 {
        Just(Vec::new()).boxed()
    } else {
        proptest::collection::vec(0..i, 0..3).boxed()
    };
    (
        0u8..3,
        proptest::sample::subsequence(vec!["src", "src/api", "docs", "tests"], 0..3),
        blockers,
        prop_oneof![
            Just(Priority::P0),
            Just(Priority::P1),
            Just(Priority::P2),
            Just(Priority::P3)
        ],
        proptest::collection::vec(try_strategy(), 3),
    )
        .prop_map(|(repo, paths, blockers, priority, tries)| Spec {
            repo,
            paths,
            blockers,
            priority,
            tries,
        })
}

fn board_strategy() -> impl Strategy<Value = (Vec<Spec>, usize)> {
    (1usize..18, 1usize..6).prop_flat_map(|(n, max_agents)| {
        let specs: Vec<_> = (0..n).map(spec_strategy).collect();
        (specs, Just(max_agents))
    })
}

fn name(i: usize) -> String {
    format!("t{i:02}")
}

fn build(specs: &[Spec]) -> Vec<Task> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let blockers: BTreeSet<String> = s.blockers.iter().map(|b| name(*b)).collect();
            let refs: Vec<&str> = blockers.iter().map(String::as_str).collect();
            let mut t = task(&name(i), &refs);
            t.repo = format!("repo{}", s.repo);
            t.paths = s.paths.iter().map(|p| (*p).to_string()).collect();
            t.priority = s.priority;
            t
        })
        .collect()
}

/// The final status the script implies: completed if the task's first success comes
/// within three attempts and every blocker completes; blocked otherwise.
fn expected(specs: &[Spec]) -> Vec<TaskStatus> {
    let mut out: Vec<TaskStatus> = Vec::new();
    for s in specs {
        let blockers_ok = s.blockers.iter().all(|b| out[*b] == TaskStatus::Completed);
        let succeeds = s.tries.iter().any(|t| matches!(t, Try::Succeed(_)));
        out.push(if blockers_ok && succeeds {
            TaskStatus::Completed
        } else {
            TaskStatus::Blocked
        });
    }
    out
}

fn overlaps(a: &Task, b: &Task) -> bool {
    a.ownership_overlaps(b)
}

fn check(specs: Vec<Spec>, max_agents: usize) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let tries: BTreeMap<String, Vec<Try>> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| (name(i), s.tries.clone()))
        .collect();
    let dispatcher = FakeDispatcher::new(move |brief| {
        let script = &tries[brief.task.id.as_str()];
        let n = usize::try_from(brief.attempt)
            .unwrap_or(1)
            .saturating_sub(1);
        match script.get(n).copied().unwrap_or(Try::Hang) {
            Try::Succeed(m) => FakeAgent::succeed_after(Duration::from_secs(60 * m)),
            Try::Fail(m) => FakeAgent::Fail {
                duration: Duration::from_secs(60 * m),
                reason: format!("scripted failure of attempt {}", brief.attempt),
            },
            Try::Hang => FakeAgent::Hang,
        }
    });
    let mut h = Harness::new(dispatcher);
    h.config.max_agents = max_agents;
    let tasks = build(&specs);
    let by_id: BTreeMap<TaskId, Task> = tasks.iter().map(|t| (t.id.clone(), t.clone())).collect();
    let (report, events) = rt.block_on(async {
        h.seed(tasks).await;
        let (engine, mut rx) = h.engine();
        let report = tokio::time::timeout(Duration::from_secs(3600 * 1000), engine.run())
            .await
            .map_err(|_| TestCaseError::fail("deadlock: the run never halted"))?
            .map_err(|e| TestCaseError::fail(format!("run failed: {e}")))?;
        Ok::<_, TestCaseError>((report, common::drain(&mut rx)))
    })?;

    // Replay the events.
    let mut status: BTreeMap<TaskId, TaskStatus> = by_id
        .keys()
        .map(|k| (k.clone(), TaskStatus::Pending))
        .collect();
    let mut agents = 0usize;
    for e in &events {
        match e {
            Event::TaskMoved { task, to, .. } => {
                if *to == TaskStatus::InProgress {
                    let t = &by_id[task];
                    for b in &t.blocked_by {
                        prop_assert_eq!(
                            status[b],
                            TaskStatus::Completed,
                            "{} started before blocker {}",
                            task,
                            b
                        );
                    }
                    for (other, st) in &status {
                        if other != task && st.is_in_flight() {
                            prop_assert!(
                                !overlaps(t, &by_id[other]),
                                "{} started while {} owned overlapping paths",
                                task,
                                other
                            );
                        }
                    }
                }
                status.insert(task.clone(), *to);
            }
            Event::AgentStarted { .. } => {
                agents += 1;
                prop_assert!(
                    agents <= max_agents,
                    "{} agents at once, limit {}",
                    agents,
                    max_agents
                );
            }
            Event::AgentFinished { .. } => agents -= 1,
            _ => {}
        }
    }
    let repeat_merges = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::MergeAttempted {
                    outcome: ops_core::seams::MergeOutcome::AlreadyMerged { .. },
                    ..
                }
            )
        })
        .count();
    prop_assert_eq!(repeat_merges, 0, "without a crash, nothing is merged twice");
    let log = h.dispatcher.log();
    prop_assert!(log.max_concurrent <= max_agents);
    prop_assert!(
        log.ownership_overlaps.is_empty(),
        "{:?}",
        log.ownership_overlaps
    );
    drop(log);

    // Every task settled, exactly as its script predicts.
    let want = expected(&specs);
    let board = rt.block_on(async {
        let mut all = Vec::new();
        for i in 0..specs.len() {
            all.push(h.get(&name(i)).await);
        }
        all
    });
    for (i, t) in board.iter().enumerate() {
        prop_assert_eq!(t.id.clone(), id(&name(i)));
        prop_assert_eq!(
            t.status,
            want[i],
            "{} ended {} (reason {:?})",
            t.id,
            t.status,
            t.status_reason
        );
        prop_assert_eq!(
            status[&t.id],
            t.status,
            "events and board agree on {}",
            t.id
        );
        prop_assert!(t.lease.is_none(), "{} still holds a lease", t.id);
    }
    let completed: BTreeSet<TaskId> = board
        .iter()
        .filter(|t| t.status == TaskStatus::Completed)
        .map(|t| t.id.clone())
        .collect();
    let merges = h.shipper.merges();
    prop_assert_eq!(
        merges.len(),
        completed.len(),
        "one merge per completed task"
    );
    prop_assert_eq!(
        merges.into_iter().collect::<BTreeSet<_>>(),
        completed.clone()
    );
    let want_halt = if completed.len() == board.len() {
        HaltReason::AllDone
    } else {
        HaltReason::OnlyBlockedWork
    };
    prop_assert_eq!(report.halt, want_halt);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_boards_respect_limits_ownership_and_order_and_always_settle((specs, max_agents) in board_strategy()) {
        check(specs, max_agents)?;
    }
}
