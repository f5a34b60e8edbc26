//! One provider command (`doppler`, `op`, `pass`): found on the resolver's
//! PATH, run from an argv (never a shell) with stdin closed, stderr dropped and
//! a time limit; what it printed comes back only when it is a value.

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// What asking one place gave.
pub(super) enum Lookup {
    /// The value (already trimmed, never empty).
    Found(String),
    /// Not there; why, in words that never include the provider's output.
    NotThere(String),
}

/// How a provider's stdout becomes a value.
#[derive(Clone, Copy)]
pub(super) enum Output {
    /// The whole output, trimmed (`doppler --plain`, `op read`).
    Whole,
    /// The first line, trimmed (`pass show`: later lines are notes).
    FirstLine,
}

/// The environment the provider runs in.
pub(super) enum ChildEnv<'a> {
    /// This process's environment, PATH replaced by the resolver's.
    Inherit,
    /// Exactly these variables plus PATH.
    Only(&'a std::collections::BTreeMap<String, String>),
}

/// Runs `program args...` found on `path`.
pub(super) async fn run(
    program: &str,
    args: &[&str],
    path: &OsStr,
    env: ChildEnv<'_>,
    timeout: Duration,
    output: Output,
) -> Lookup {
    let Some(exe) = find_program(program, path) else {
        return Lookup::NotThere("not installed".into());
    };
    let mut command = tokio::process::Command::new(&exe);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let ChildEnv::Only(vars) = env {
        command.env_clear().envs(vars);
    }
    command.env("PATH", path);
    let child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Lookup::NotThere(format!("could not start: {}", e.kind())),
    };
    let done = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return Lookup::NotThere(format!("failed while running: {}", e.kind())),
        Err(_) => return Lookup::NotThere(format!("timed out after {}", show(timeout))),
    };
    if !done.status.success() {
        return Lookup::NotThere(match done.status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "killed by a signal".into(),
        });
    }
    let Ok(text) = String::from_utf8(done.stdout) else {
        return Lookup::NotThere("printed something that is not UTF-8".into());
    };
    let value = match output {
        Output::Whole => text.trim(),
        Output::FirstLine => text.lines().next().unwrap_or("").trim(),
    };
    if value.is_empty() {
        Lookup::NotThere("printed nothing".into())
    } else {
        Lookup::Found(value.to_owned())
    }
}

/// The first executable file named `program` in the directories of `path` (a
/// PATH value). Only absolute directories count: an empty or relative entry would
/// mean the working directory, a checkout anyone can write to.
pub fn find_program(program: &str, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn show(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The PATH of this process (empty when unset).
pub(super) fn process_path() -> OsString {
    std::env::var_os("PATH").unwrap_or_default()
}
