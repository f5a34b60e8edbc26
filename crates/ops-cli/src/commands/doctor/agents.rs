//! The programs ops runs: the agent CLIs (found on PATH, with their
//! `--version`; the configured one's `--help` lists every flag ops passes it)
//! and git.
//!
//! A version or help is asked for with an argv only (`<cli> --version`), stdin closed,
//! the environment an agent would get minus every runtime's own variables
//! ([`EnvPolicy::default`]: no token passes), in its own process group, and
//! [`VERSION_LIMIT`] to answer; a CLI that does not answer in time is killed
//! with everything it started.

use super::check::{Check, Status};
use ops_core::config::{AgentRuntime, EngineSettings};
use ops_dispatch::EnvPolicy;
use ops_sources::secrets::{find_program, is_executable};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How long a CLI has to print its version.
pub const VERSION_LIMIT: Duration = Duration::from_secs(5);

/// The most of a CLI's output read for its version line.
const OUTPUT_LIMIT: u64 = 64 * 1024;

/// The agent CLIs ops knows, as their runtimes.
const CLIS: [AgentRuntime; 4] = [
    AgentRuntime::Claude,
    AgentRuntime::Codex,
    AgentRuntime::Gemini,
    AgentRuntime::Aider,
];

/// What `<cli> --version` did.
#[derive(Debug)]
enum Answer {
    /// It exited; the first non-empty line it printed (stdout first).
    Exited { status: ExitStatus, line: String },
    /// It did not exit within [`VERSION_LIMIT`].
    TimedOut,
    /// It could not be started.
    Unstartable(std::io::Error),
}

/// Checks the agent CLIs against `engine` (the configured runtime missing is
/// a failure, the others are facts) and the `command` runtime's program.
///
/// As `ops run` does, `agent_cmd` given with another runtime than `command`
/// names that runtime's CLI (instead of the one on PATH): its program is the
/// one looked for and asked for its version.
pub async fn check(engine: &EngineSettings, checks: &mut Vec<Check>) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let replacement = engine.agent_cmd.as_deref().and_then(program_of);
    let found: Vec<(AgentRuntime, Wanted<'_>, Option<PathBuf>)> = CLIS
        .into_iter()
        .map(|cli| match replacement {
            Some(program) if cli == engine.agent => {
                (cli, Wanted::AgentCmd(program), locate(program, &path))
            }
            _ => (cli, Wanted::OnPath, find_program(cli.name(), &path)),
        })
        .collect();
    let answers = ask_versions(found.iter().map(|(_, _, p)| p.clone()).collect()).await;
    for ((cli, wanted, program), answer) in found.into_iter().zip(answers) {
        let answered = matches!(&answer, Some(Answer::Exited { status, .. }) if status.success());
        checks.push(cli_line(
            cli,
            cli == engine.agent,
            wanted,
            program.as_deref(),
            answer,
        ));
        if let (true, true, Some(program)) = (cli == engine.agent, answered, program) {
            checks.extend(flags_line(cli, &program, engine.model.as_deref()).await);
        }
    }
    if engine.agent == AgentRuntime::Command {
        checks.push(command_line(engine.agent_cmd.as_deref(), &path));
    }
}

/// Which program stands for a runtime.
#[derive(Debug, Clone, Copy)]
enum Wanted<'a> {
    /// Its CLI's name on PATH.
    OnPath,
    /// The program of `[engine] agent_cmd`.
    AgentCmd(&'a str),
}

/// Asks every found program for its version at once.
async fn ask_versions(programs: Vec<Option<PathBuf>>) -> Vec<Option<Answer>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, program) in programs.into_iter().enumerate() {
        set.spawn(async move {
            let answer = match program {
                Some(p) => Some(version(&p).await),
                None => None,
            };
            (i, answer)
        });
    }
    let mut answers: Vec<Option<Answer>> = Vec::new();
    answers.resize_with(set.len(), || None);
    while let Some(joined) = set.join_next().await {
        if let Ok((i, answer)) = joined {
            answers[i] = answer;
        }
    }
    answers
}

fn cli_line(
    cli: AgentRuntime,
    configured: bool,
    wanted: Wanted<'_>,
    program: Option<&Path>,
    answer: Option<Answer>,
) -> Check {
    let name = format!("agent {cli}");
    let role = if configured {
        format!(" (the configured runtime: [engine] agent = \"{cli}\")")
    } else {
        String::new()
    };
    let (Some(program), Some(answer)) = (program, answer) else {
        return match (configured, wanted) {
            (true, Wanted::AgentCmd(program)) => Check::new(
                name,
                Status::Fail,
                format!(
                    "agent_cmd program `{program}` not found (on PATH or as an executable file){role}: install it or fix [engine] agent_cmd"
                ),
            ),
            (true, Wanted::OnPath) => Check::new(
                name,
                Status::Fail,
                format!(
                    "`{cli}` not found on PATH{role}: install it, or choose another runtime with [engine] agent or `ops run --agent`"
                ),
            ),
            (false, _) => Check::new(name, Status::Info, "not found on PATH"),
        };
    };
    let at = program.display();
    match answer {
        Answer::Exited { status, line } if status.success() => {
            let line = if line.is_empty() {
                "(printed no version)".to_owned()
            } else {
                line
            };
            Check::new(name, Status::Ok, format!("{line} ({at}){role}"))
        }
        Answer::Exited { status, line } => Check::new(
            name,
            Status::Warn,
            format!("`{cli} --version` {status}: {line} ({at}){role}"),
        ),
        Answer::TimedOut => Check::new(
            name,
            Status::Warn,
            format!(
                "`{cli} --version` did not answer within {}s ({at}){role}: is it waiting for a login or an update?",
                VERSION_LIMIT.as_secs()
            ),
        ),
        Answer::Unstartable(e) => Check::new(
            name,
            Status::Warn,
            format!("found at {at} but it does not start: {e}{role}"),
        ),
    }
}

/// `agent = "command"`: its program (the first word of `agent_cmd`) must be
/// found. Only the program is shown: the arguments may hold anything.
fn command_line(agent_cmd: Option<&str>, path: &std::ffi::OsStr) -> Check {
    let name = "agent command";
    let Some(program) = agent_cmd.and_then(program_of) else {
        return Check::new(
            name,
            Status::Fail,
            "[engine] agent = \"command\" but agent_cmd names no program",
        );
    };
    match locate(program, path) {
        Some(at) => Check::new(
            name,
            Status::Ok,
            format!("agent_cmd program found: {}", at.display()),
        ),
        None => Check::new(
            name,
            Status::Fail,
            format!(
                "agent_cmd program `{program}` not found (on PATH or as an executable file): install it or fix [engine] agent_cmd"
            ),
        ),
    }
}

/// Checks `git --version` through ops' git adapter.
pub async fn git(checks: &mut Vec<Check>) {
    let dir = std::env::current_dir().unwrap_or_else(|_| std::env::temp_dir());
    let check = match ops_git::Git::new(dir).run(["--version"]).await {
        Ok(version) => Check::new("git", Status::Ok, version),
        Err(e) => Check::new(
            "git",
            Status::Fail,
            format!("{e}: ops needs git (install it and put it on PATH)"),
        ),
    };
    checks.push(check);
}

/// How agents are kept from outliving their attempts (`ops run` installs the same).
pub fn containment(checks: &mut Vec<Check>) {
    let mechanism = ops_dispatch::reaper::install();
    let status = match mechanism {
        ops_dispatch::reaper::Mechanism::Subreaper { guarded: true } => Status::Ok,
        _ => Status::Warn,
    };
    checks.push(Check::new(
        "agent containment",
        status,
        mechanism.to_string(),
    ));
}

/// The program of an `agent_cmd` (its first word; the rest are its arguments).
fn program_of(agent_cmd: &str) -> Option<&str> {
    agent_cmd.split_whitespace().next()
}

/// `program` as a path when it has a `/`, else on PATH.
fn locate(program: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    if program.contains('/') {
        Some(PathBuf::from(program)).filter(|p| is_executable(p))
    } else {
        find_program(program, path)
    }
}

/// Runs `<program> --version` as the module docs say.
async fn version(program: &Path) -> Answer {
    match ask(program, &["--version"]).await {
        Reply::Exited { status, out, err } => Answer::Exited {
            status,
            line: first_line(&out)
                .or_else(|| first_line(&err))
                .unwrap_or_default(),
        },
        Reply::TimedOut => Answer::TimedOut,
        Reply::Unstartable(e) => Answer::Unstartable(e),
    }
}

/// What a CLI asked something printed.
enum Reply {
    Exited {
        status: ExitStatus,
        out: Vec<u8>,
        err: Vec<u8>,
    },
    TimedOut,
    Unstartable(std::io::Error),
}

/// Runs `<program> <args>` as the module docs say.
async fn ask(program: &Path, args: &[&str]) -> Reply {
    let env: Vec<(OsString, OsString)> = EnvPolicy::default().from_current();
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Reply::Unstartable(e),
    };
    let group = child.id().and_then(|id| i32::try_from(id).ok());
    let stdout = tokio::spawn(read_some(child.stdout.take()));
    let stderr = tokio::spawn(read_some(child.stderr.take()));
    let waited = tokio::time::timeout(VERSION_LIMIT, child.wait()).await;
    // Whatever it left running (or itself, when it hung) goes with it.
    if let Some(group) = group {
        ops_dispatch::process::signal_group(group, nix::sys::signal::Signal::SIGKILL);
    }
    let status = match waited {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => return Reply::Unstartable(e),
        Err(_) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            return Reply::TimedOut;
        }
    };
    Reply::Exited {
        status,
        out: collected(stdout).await,
        err: collected(stderr).await,
    }
}

/// Asks the configured runtime's CLI for its help and checks that it lists
/// every flag ops would pass it ([`ops_dispatch::flags`]): one it does not list
/// is a failure naming the flag (every run would fail at its start).
async fn flags_line(cli: AgentRuntime, program: &Path, model: Option<&str>) -> Option<Check> {
    let probe = ops_dispatch::flags::probe(cli, model)?;
    let name = format!("agent {cli} flags");
    let asked = format!("`{cli} {}`", probe.help_args.join(" "));
    let at = program.display();
    let help = match ask(program, &probe.help_args).await {
        Reply::Exited { out, err, .. } => {
            let mut text = String::from_utf8_lossy(&out).into_owned();
            text.push('\n');
            text.push_str(&String::from_utf8_lossy(&err));
            text
        }
        Reply::TimedOut => {
            return Some(Check::new(
                name,
                Status::Warn,
                format!(
                    "{asked} did not answer within {}s ({at}): the flags ops passes are unchecked",
                    VERSION_LIMIT.as_secs()
                ),
            ));
        }
        Reply::Unstartable(e) => {
            return Some(Check::new(
                name,
                Status::Warn,
                format!("{asked} does not start ({at}): {e}"),
            ));
        }
    };
    if !ops_dispatch::flags::lists_options(&help) {
        return Some(Check::new(
            name,
            Status::Warn,
            format!("{asked} lists no options ({at}): the flags ops passes are unchecked"),
        ));
    }
    let unlisted = ops_dispatch::flags::unlisted(&help, &probe.flags);
    Some(if unlisted.is_empty() {
        Check::new(
            name,
            Status::Ok,
            format!("accepts every flag ops passes: {}", probe.flags.join(" ")),
        )
    } else {
        let named: Vec<String> = unlisted.iter().map(|f| format!("`{f}`")).collect();
        Check::new(
            name,
            Status::Fail,
            format!(
                "ops passes {} but {asked} ({at}) does not list {}: install the pinned version (scripts/install-agent-clis.sh) or choose another runtime",
                named.join(", "),
                if unlisted.len() == 1 { "it" } else { "them" }
            ),
        )
    })
}

async fn read_some(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(pipe) = pipe {
        let _ = pipe.take(OUTPUT_LIMIT).read_to_end(&mut buf).await;
    }
    buf
}

/// What a reader got, waiting a moment at most: a program that handed its
/// pipe to a process outside its group could hold it open.
async fn collected(reader: tokio::task::JoinHandle<Vec<u8>>) -> Vec<u8> {
    let abort = reader.abort_handle();
    match tokio::time::timeout(Duration::from_secs(1), reader).await {
        Ok(Ok(bytes)) => bytes,
        _ => {
            abort.abort();
            Vec::new()
        }
    }
}

/// The first non-blank line of `bytes`, on one line and at most 120 characters.
fn first_line(bytes: &[u8]) -> Option<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| crate::commands::one_line(l, 120))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn first_line_skips_blank_lines_and_cuts_long_ones() {
        assert_eq!(
            first_line(b"\n  \n 1.0.3 (Claude Code)\nmore\n").as_deref(),
            Some("1.0.3 (Claude Code)")
        );
        assert_eq!(first_line(b"\n\n"), None);
        let long = "v".repeat(300);
        assert_eq!(
            first_line(long.as_bytes()).map(|l| l.chars().count()),
            Some(120)
        );
    }

    #[test]
    fn on_path_finds_only_executable_files_in_absolute_directories() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("claude");
        std::fs::write(&plain, "#!/bin/sh\n").expect("write");
        let path = std::env::join_paths(["", dir.path().to_str().expect("utf8")]).expect("join");
        assert_eq!(find_program("claude", &path), None, "not executable yet");
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(find_program("claude", &path), Some(plain));
        assert_eq!(find_program("codex", &path), None);
    }
}
