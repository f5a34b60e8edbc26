//! The scheduler on a multi-thread runtime with real (short) time, where a
//! pipeline's last save and its end are not atomic for the run loop.

use ops_core::fake::{FakeAgent, FakeDispatcher, FakeShipper};
use ops_core::model::{Task, TaskId, TaskStatus};
use ops_core::{Engine, EngineConfig, MemoryBoard, TaskStore};
use std::sync::Arc;
use std::time::Duration;

fn task(i: usize) -> Task {
    let id = TaskId::new(format!("t{i:02}")).expect("valid id");
    Task::new(id, format!("task {i}"), "proj", format!("repo-{i}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_task_never_runs_twice_at_once_nor_beyond_max_agents() {
    for round in 0..8 {
        let board = Arc::new(MemoryBoard::new());
        for i in 0..16 {
            board.insert(task(i)).await.expect("seed");
        }
        let dispatcher = FakeDispatcher::new(|brief| {
            if brief.attempt < 3 {
                FakeAgent::Fail {
                    duration: Duration::from_millis(2),
                    reason: format!("attempt {} fails", brief.attempt),
                }
            } else {
                FakeAgent::succeed_after(Duration::from_millis(2))
            }
        });
        let engine = Engine::new(
            board.clone(),
            Arc::new(dispatcher.clone()),
            Arc::new(FakeShipper::new()),
        )
        .with_config(EngineConfig {
            max_agents: 4,
            checks_poll: Duration::from_millis(5),
            ..EngineConfig::default()
        });
        let mut events = engine.events().subscribe();
        engine.run().await.expect("run");
        let (mut agents, mut most) = (0i32, 0i32);
        while let Ok(e) = events.try_recv() {
            match e {
                ops_core::Event::AgentStarted { .. } => agents += 1,
                ops_core::Event::AgentFinished { .. } => agents -= 1,
                _ => {}
            }
            most = most.max(agents);
        }
        assert!(
            most <= 4,
            "round {round}: the engine reported {most} agents at once"
        );
        {
            let log = dispatcher.log();
            assert!(
                log.ownership_overlaps.is_empty(),
                "round {round}: ran at once: {:?}",
                log.ownership_overlaps
            );
            assert!(
                log.max_concurrent <= 4,
                "round {round}: {} agents at once",
                log.max_concurrent
            );
            assert_eq!(
                log.briefs.len(),
                16 * 3,
                "round {round}: exactly three attempts each"
            );
        }
        for t in board.list().await.expect("list") {
            assert_eq!(t.status, TaskStatus::Completed, "round {round}: {}", t.id);
            assert_eq!(t.attempts.len(), 3, "round {round}: {} attempts", t.id);
        }
    }
}

#[tokio::test]
async fn settings_the_engine_cannot_run_with_are_refused_by_name() {
    let make = |config: EngineConfig| {
        Engine::new(
            Arc::new(MemoryBoard::new()),
            Arc::new(FakeDispatcher::new(|_| FakeAgent::Hang)),
            Arc::new(FakeShipper::new()),
        )
        .with_config(config)
    };
    let err = make(EngineConfig {
        max_agents: 0,
        ..EngineConfig::default()
    })
    .run()
    .await
    .expect_err("0 agents");
    assert!(err.to_string().contains("max_agents = 0"), "{err}");
    let err = make(EngineConfig {
        board_poll: Duration::ZERO,
        ..EngineConfig::default()
    })
    .run()
    .await
    .expect_err("zero poll");
    assert!(err.to_string().contains("board_poll = 0ms"), "{err}");
}
