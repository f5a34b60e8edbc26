//! A worker process for multi-process scenarios: one ops engine over a shared SQLite
//! board, with fake agents that succeed after a while and a fake forge, recording
//! every agent it starts in a shared dispatch log.
//!
//! Usage: `board-worker <board.sqlite> <log file> <worker-name> [agent-millis]`
//! (agents work 30 ms unless told otherwise). Exits 0 when the run ends without
//! error, 1 when it fails, 2 on bad arguments. Engine warnings and take-overs go
//! to stderr, one line each, prefixed with the worker's name.

use ops_core::fake::{FakeAgent, FakeDispatcher, FakeShipper};
use ops_core::model::WorkerId;
use ops_core::seams::Brief;
use ops_core::{Engine, EngineConfig, Event, RunReport, SqliteBoard};
use ops_e2e::dispatch_log::DispatchLog;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "usage: board-worker <board.sqlite> <log file> <worker-name> [agent-millis]";

struct Args {
    board: PathBuf,
    log: PathBuf,
    name: String,
    agent_time: Duration,
}

fn parse(args: Vec<std::ffi::OsString>) -> Result<Args, String> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|a| format!("argument {a:?}: expected UTF-8"))
        })
        .collect::<Result<_, _>>()?;
    let (board, log, name, millis) = match &args[..] {
        [board, log, name] => (board, log, name, None),
        [board, log, name, millis] => (board, log, name, Some(millis)),
        _ => return Err(format!("expected 3 or 4 arguments, got {}", args.len())),
    };
    let agent_time = match millis {
        None => Duration::from_millis(30),
        Some(ms) => Duration::from_millis(
            ms.parse()
                .map_err(|e| format!("agent-millis {ms:?}: expected a whole number: {e}"))?,
        ),
    };
    Ok(Args {
        board: board.into(),
        log: log.into(),
        name: name.clone(),
        agent_time,
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args_os().skip(1).collect()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("board-worker: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let name = args.name.clone();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{name}: failed to start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(work(args)) {
        Ok(report) => {
            println!("{name}: {report:?}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: failed to {e}");
            ExitCode::from(1)
        }
    }
}

async fn work(args: Args) -> Result<RunReport, String> {
    let log = DispatchLog::open(&args.log, &args.name)
        .map_err(|e| format!("open the dispatch log {}: {e}", args.log.display()))?;
    let board = SqliteBoard::open(&args.board)
        .await
        .map_err(|e| e.to_string())?;
    let agent_time = args.agent_time;
    let dispatcher = FakeDispatcher::new(move |brief: &Brief| match log.record(brief.task_id()) {
        Ok(()) => FakeAgent::succeed_after(agent_time),
        // The engine sees a failed agent; the scenario then finds a second attempt.
        Err(e) => FakeAgent::Fail {
            duration: Duration::ZERO,
            reason: format!("could not record the dispatch: {e}"),
        },
    });
    let engine = Engine::new(
        Arc::new(board),
        Arc::new(dispatcher),
        Arc::new(FakeShipper::new()),
    )
    .with_config(EngineConfig {
        max_agents: 2,
        worker: WorkerId(args.name.clone()),
        board_poll: Duration::from_millis(50),
        ..Default::default()
    });
    let mut events = engine.events().subscribe();
    let name = args.name.clone();
    let reporter = tokio::spawn(async move {
        // Ends when the engine, and with it every sender, is dropped.
        while let Some(event) = events.recv().await {
            match event {
                Event::Warning { task, message } => {
                    eprintln!("{name}: warning: {task:?}: {message}")
                }
                Event::Reconciled {
                    task,
                    status,
                    previous_owner,
                } => eprintln!("{name}: took over {task} ({status}) from {previous_owner:?}"),
                _ => {}
            }
        }
    });
    let report = engine
        .run()
        .await
        .map_err(|e| format!("run the engine: {e}"))?;
    // Every event of the run is already queued; this only drains it.
    let _ = tokio::time::timeout(Duration::from_secs(5), reporter).await;
    Ok(report)
}
