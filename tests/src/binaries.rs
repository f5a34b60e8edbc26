//! The programs the scenarios run: the real `ops` binary and the fake agent, both
//! built on first use with the cargo running the tests (a dependency's binaries are
//! not built for its dependents' tests).

use std::path::PathBuf;
use std::sync::OnceLock;

/// The path of the built `ops` binary (crate `ops-cli`), built once per test process.
pub fn ops() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| ops_testkit::build_binary("ops-cli", "ops"))
        .clone()
}

/// The path of the built fake agent (see `ops-testkit`'s `src/bin/fake-agent.rs`).
pub fn fake_agent() -> PathBuf {
    ops_testkit::fake_agent()
}
