//! `ops doctor`: a setup check, one line per item with `ok`, `warn`, `fail` or
//! `info` and the facts or what to do. The items, in order:
//!
//! - the registry (where, how many projects, each project's missing paths),
//!   what ops would work on from here (SCOPED or GLOBAL) and the settings file
//!   ([`setup`]);
//! - the sources per kind and how many projects use each, the secrets the
//!   configured remote sources need (present or not and where found, never
//!   the value) and how each project would ship ([`sources`]);
//! - the agent CLIs with their versions, the `command` runtime's program, and
//!   git ([`agents`]);
//! - claude-ops' daemon health and side files, ops' state directory and board
//!   ([`local`]).
//!
//! Exit 0 when no item failed (warnings allowed), 1 when one did (stderr names
//! them). `--json`: an array of `{"check", "status", "detail"}` ([`check`]).

mod agents;
mod check;
mod local;
mod setup;
mod sources;

use crate::cli::{GlobalArgs, Verbosity};
use crate::exit::CliError;
use check::Check;
use std::io::Write;

/// Runs every check and prints the lines; an item that failed is an error.
pub fn run(global: &GlobalArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let checks = super::block_on(collect(global))?;
    let text = if global.json {
        check::json(&checks)
    } else {
        check::table(&checks, global.verbosity() == Verbosity::Quiet)
    };
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::Output)?;
    let failed = check::failed(&checks);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::SetupFailed { failed })
    }
}

/// Every item, in the documented order.
async fn collect(global: &GlobalArgs) -> Vec<Check> {
    let mut checks = Vec::new();
    let setup = setup::check(global, &mut checks);
    sources::check(&setup.projects, &setup.settings, &mut checks).await;
    agents::check(&setup.settings.engine, &mut checks).await;
    agents::git(&mut checks).await;
    agents::containment(&mut checks);
    local::claude_ops(&setup.env, setup.registry.as_deref(), &mut checks);
    local::state(global, &mut checks).await;
    checks
}
