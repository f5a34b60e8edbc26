//! What each command does. A command writes its result to `out`; an error goes
//! back to [`crate::exit`], which prints it and picks the exit code.

mod audit;
mod doctor;
mod gc;
mod plan;
mod run;
mod scope;
mod sources;
mod status;
mod text;

pub(crate) use text::{columns, one_line};

use crate::cli::{Cli, Command};
use crate::exit::CliError;
use std::future::Future;
use std::io::Write;

/// Runs the command `cli` names, writing its result to `out` and warnings to `err`.
pub fn run(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    let g = &cli.global;
    match &cli.command {
        Command::Status => status::run(g, out)?,
        Command::Audit(a) => audit::run(g, a.project.as_deref(), &a.todos, out, err)?,
        Command::Plan(p) => plan::run(g, p.project.as_deref(), p.fires_only, &p.todos, out, err)?,
        Command::Run(r) if r.dry_run => {
            plan::run(g, r.project.as_deref(), r.fires_only, &[], out, err)?
        }
        Command::Run(r) => run::run(g, r, out, err)?,
        Command::Gc => gc::run(g, out, err)?,
        Command::Doctor => doctor::run(g, out)?,
    }
    out.flush().map_err(CliError::Output)
}

/// Runs `work` to completion on a runtime that lives for this call.
///
/// Once `work` is done, the runtime is shut down without waiting for blocking
/// threads: a source the audit gave up on (its timeout passed) may still be
/// stuck in a read, on a hung network mount say, and dropping the runtime
/// would wait for it forever.
fn block_on<F: Future>(work: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let output = runtime.block_on(work);
    runtime.shutdown_background();
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::block_on;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn block_on_returns_without_waiting_for_a_blocking_read_that_was_given_up() {
        let (release, stuck) = mpsc::channel::<()>();
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let answer = block_on(async move {
                let read = tokio::task::spawn_blocking(move || stuck.recv());
                // The audit's timeout, made short.
                tokio::time::timeout(Duration::from_millis(10), read)
                    .await
                    .is_err()
            });
            let _ = done.send(answer.expect("runtime"));
        });
        let gave_up = finished.recv_timeout(Duration::from_secs(30));
        drop(release); // frees the blocked thread either way
        assert_eq!(
            gave_up,
            Ok(true),
            "block_on waited for the stuck blocking thread"
        );
    }
}
