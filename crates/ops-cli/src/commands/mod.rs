//! What each command does. A command writes its result to `out`; an error goes
//! back to [`crate::exit`], which prints it and picks the exit code.

mod gc;
mod status;

use crate::cli::{Cli, Command};
use crate::exit::CliError;
use std::future::Future;
use std::io::Write;

/// Runs the command `cli` names, writing its result to `out`.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<(), CliError> {
    match &cli.command {
        Command::Status => status::run(&cli.global, out)?,
        Command::Gc => gc::run(&cli.global, out)?,
        not_built @ (Command::Audit(_) | Command::Plan(_) | Command::Run(_) | Command::Doctor) => {
            return Err(CliError::NotImplemented {
                command: not_built.name(),
            });
        }
    }
    out.flush().map_err(CliError::Output)
}

/// Runs `work` to completion on a runtime that lives for this call.
fn block_on<F: Future>(work: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    Ok(runtime.block_on(work))
}
