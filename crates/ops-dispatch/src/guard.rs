//! A guard process between ops and each agent, so that not even a `kill -9` of
//! ops leaves an agent, or anything it started, running.
//!
//! The subreaper ([`crate::reaper`]) keeps an agent's orphans in ops' tree while
//! ops lives; when ops itself is killed they would go to init. So ops starts each
//! agent through a guard: its own binary again, as `ops __ops-guard <ops pid> --
//! <program> <args>…` ([`ARG`]). The guard
//!
//! * makes itself the child subreaper, so whatever the agent starts (a double
//!   fork into a new session included) stays its descendant;
//! * starts the agent with its own stdin, stdout, stderr, environment and
//!   working directory (those ops gave the guard), in its process group, so
//!   ops' signals to the group reach the agent directly;
//! * outlives a SIGTERM, SIGINT, SIGHUP or SIGQUIT until the agent is gone;
//! * kills every descendant it still has when the agent exits, and at once when
//!   its parent is no longer ops (ops was killed: the guard was re-parented);
//! * exits as the agent did (its status; a signal re-raised, or 128 + the signal
//!   for the four it catches itself).
//!
//! The guard needs the program embedding ops to serve it: the `ops` binary calls
//! [`serve_if_asked`] first thing in `main` and then [`enable`]; an embedder that
//! does neither runs its agents directly, and [`crate::reaper::install`] says
//! what that leaves uncovered.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The first argument that makes the ops binary a guard.
pub const ARG: &str = "__ops-guard";

/// How often the guard checks that ops is still its parent.
const WATCH: Duration = Duration::from_millis(100);

/// Exit status when the guard was started wrongly (a bad argument list).
const USAGE: u8 = 126;

/// Exit status when the agent's program could not be started (as a shell says).
const NOT_STARTED: u8 = 127;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Agents start through a guard from now on: this process's binary must call
/// [`serve_if_asked`] first thing in its `main`.
pub fn enable() {
    ENABLED.store(true, Ordering::SeqCst);
}

/// Whether agents start through a guard.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::SeqCst)
}

/// The program and arguments that start `program args`: under a guard when
/// guards are enabled, else unchanged. The guard binary is this process's own
/// (`/proc/self/exe` resolves in the starting process, so a binary replaced on
/// disk since ops started still works; an agent run as another user, whose start
/// cannot read that link, gets the binary's path).
pub fn wrap(
    program: OsString,
    args: Vec<OsString>,
    as_other_user: bool,
) -> std::io::Result<(OsString, Vec<OsString>)> {
    if !enabled() {
        return Ok((program, args));
    }
    let exe = if cfg!(target_os = "linux") && !as_other_user {
        OsString::from("/proc/self/exe")
    } else {
        std::env::current_exe()?.into_os_string()
    };
    let mut all = vec![
        OsString::from(ARG),
        OsString::from(std::process::id().to_string()),
        OsString::from("--"),
        program,
    ];
    all.extend(args);
    Ok((exe, all))
}

/// Runs this process as a guard when its arguments ask for one (and returns the
/// exit code for `main`); `None` otherwise.
pub fn serve_if_asked() -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != ARG {
        return None;
    }
    Some(serve(args.collect()))
}

/// `<ops pid> -- <program> <args>…`
fn parse(args: &[OsString]) -> Option<(i32, &OsString, &[OsString])> {
    let ops = args.first()?.to_str()?.parse::<i32>().ok()?;
    if args.get(1)? != "--" {
        return None;
    }
    let program = args.get(2)?;
    Some((ops, program, &args[3..]))
}

fn serve(args: Vec<OsString>) -> ExitCode {
    let Some((ops, program, rest)) = parse(&args) else {
        eprintln!("ops guard: expected `{ARG} <ops pid> -- <program> [args…]`");
        return ExitCode::from(USAGE);
    };
    #[cfg(target_os = "linux")]
    if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
        eprintln!("ops guard: PR_SET_CHILD_SUBREAPER failed ({e}): orphans of the agent escape");
    }
    if parent() != ops {
        // ops is gone already: start nothing.
        return ExitCode::from(NOT_STARTED);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ops guard: cannot start its runtime: {e}");
            return ExitCode::from(NOT_STARTED);
        }
    };
    runtime.block_on(guard(ops, program, rest))
}

fn parent() -> i32 {
    nix::unistd::getppid().as_raw()
}

/// The signals the guard outlives (ops sends them to the whole group; the agent
/// decides how to take them, the guard waits for it).
const OUTLIVED: [i32; 4] = [
    nix::libc::SIGTERM,
    nix::libc::SIGINT,
    nix::libc::SIGHUP,
    nix::libc::SIGQUIT,
];

async fn guard(ops: i32, program: &OsString, args: &[OsString]) -> ExitCode {
    use tokio::signal::unix::{SignalKind, signal};
    // A handler of its own for each (not inherited: the agent starts with the
    // default ones); the signals themselves are not read.
    let _outlived: Vec<_> = OUTLIVED
        .iter()
        .filter_map(|s| signal(SignalKind::from_raw(*s)).ok())
        .collect();
    let mut child = match tokio::process::Command::new(program).args(args).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!(
                "ops guard: cannot start {}: {e}",
                std::path::Path::new(program).display()
            );
            return ExitCode::from(NOT_STARTED);
        }
    };
    let mut watch = tokio::time::interval(WATCH);
    let status = loop {
        tokio::select! {
            status = child.wait() => break Some(status),
            _ = watch.tick() => if parent() != ops { break None },
        }
    };
    crate::reaper::kill_descendants();
    match status {
        None => ExitCode::from(NOT_STARTED),
        Some(Err(e)) => {
            eprintln!("ops guard: waiting for the agent failed: {e}");
            ExitCode::from(NOT_STARTED)
        }
        Some(Ok(status)) => exit_as(status),
    }
}

/// The guard's exit, as the agent's: its code; its signal re-raised (unless the
/// guard catches that signal itself: then 128 + the signal, as a shell reports it).
fn exit_as(status: std::process::ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1));
    }
    let Some(sig) = status.signal() else {
        return ExitCode::from(1);
    };
    if !OUTLIVED.contains(&sig)
        && let Ok(signal) = nix::sys::signal::Signal::try_from(sig)
    {
        // Twice: Rust's runtime catches SIGSEGV and SIGBUS (stack overflow
        // detection); its handler puts the default back on a signal it does not
        // own and returns, so only the second one ends the guard.
        for _ in 0..2 {
            let _ = nix::sys::signal::raise(signal);
        }
    }
    ExitCode::from(u8::try_from(128 + sig).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_guard_reads_ops_pid_program_and_arguments() {
        let args = os(&["42", "--", "claude", "-p", "--"]);
        let (ops, program, rest) = parse(&args).expect("parses");
        assert_eq!(ops, 42);
        assert_eq!(program, "claude");
        assert_eq!(rest, &os(&["-p", "--"])[..]);
    }

    #[test]
    fn a_guard_without_pid_separator_or_program_is_refused() {
        for bad in [&["x", "--", "p"][..], &["1", "p"], &["1", "--"], &[]] {
            assert!(parse(&os(bad)).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn without_enable_the_program_starts_unwrapped() {
        let program = OsString::from("agent");
        let args = os(&["a", "b"]);
        assert!(!enabled());
        assert_eq!(
            wrap(program.clone(), args.clone(), false).expect("wrap"),
            (program, args)
        );
    }
}
