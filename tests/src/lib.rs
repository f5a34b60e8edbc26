//! Support for the end-to-end scenarios: scenarios live in `tests/`, helper
//! processes in `src/bin/`, and what both sides must agree on here.
//!
//! * [`dispatch_log`]: the file where worker processes record each agent they start.
//! * [`binaries`]: the real `ops` binary and the fake agent, built on first use.
//! * [`claude`]: scenarios with the real Claude Code CLI against the scripted
//!   model server.
//! * [`fleet`]: real repositories with bare origins, a registry, a state directory,
//!   and `ops` run over them.
//! * [`git`]: git as the oracle (squash commits per task, whether work has landed).
//! * [`invariants`]: the durability invariants, as lists of violations.
//! * [`leaks`]: where a canary may have leaked (files, every object of a repository).
//! * [`journal`]: what the fake agents themselves recorded.
//! * [`output`]: the JSON lines `ops --json run` prints.

pub mod binaries;
pub mod claude;
pub mod dispatch_log;
pub mod fleet;
pub mod git;
pub mod invariants;
pub mod journal;
pub mod leaks;
pub mod output;
