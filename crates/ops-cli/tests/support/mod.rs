//! Runs the built `ops` binary in a clean environment.

use std::path::Path;
use std::process::{Command, Output};

/// `ops --state-dir <state_dir> <args>`.
pub fn ops(state_dir: &Path, args: &[&str]) -> Output {
    let dir = state_dir.to_str().expect("temp dirs have UTF-8 paths");
    let mut all = vec!["--state-dir", dir];
    all.extend_from_slice(args);
    ops_with_env(&all, &[])
}

/// `ops <args>` with ops' own variables cleared and then `env` set.
pub fn ops_with_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ops"));
    for var in ["OPS_STATE_DIR", "OPS_REGISTRY", "XDG_STATE_HOME"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied()).args(args);
    cmd.output().expect("the ops binary runs")
}

/// Stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
