//! Agent processes: each in its own process group (so stopping it stops everything
//! it started), with stdout read line by line, stdout and stderr both kept in a log
//! file per attempt, and the environment given explicitly (never inherited).
//!
//! This is THE place agent output enters ops: every line of stdout and stderr
//! goes through the [`Redactor`] (every secret value ops knows, every token
//! pattern) before it is logged or read by a protocol, so no summary, failure
//! reason, log tail, event, board entry or next brief can carry a secret.

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use ops_core::secret::Redactor;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::mpsc;

/// What to start.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// The program (a path or a name looked up in the agent's PATH).
    pub program: OsString,
    /// Its arguments, passed as data (no shell).
    pub args: Vec<OsString>,
    /// Its working directory (the worktree).
    pub cwd: PathBuf,
    /// Its whole environment.
    pub env: Vec<(OsString, OsString)>,
    /// Where stdout and stderr are kept.
    pub log: PathBuf,
    /// Whether stdin stays open for messages (else it is closed after `input`);
    /// read by the session, which owns the writing.
    pub keep_stdin: bool,
    /// Bytes written to stdin first (the brief, for backends that read it there).
    pub input: Option<Vec<u8>>,
    /// Run as this user (uid, gid) instead of ops' own (e.g. when ops runs as root).
    pub run_as: Option<(u32, u32)>,
    /// Cleans every line of output before it is logged or read.
    pub redactor: Redactor,
}

/// A started process.
pub struct Spawned {
    /// Its process group id (= its pid).
    pub pgid: i32,
    /// The child, for waiting.
    pub child: Child,
    /// Its stdin (a pipe; nothing written yet).
    pub stdin: Option<ChildStdin>,
    /// Its stdout, line by line (invalid UTF-8 replaced); closed at EOF.
    pub lines: mpsc::UnboundedReceiver<String>,
    /// The log file.
    pub log: PathBuf,
}

/// Starts `spec` in a new process group.
pub async fn spawn(spec: ProcessSpec) -> std::io::Result<Spawned> {
    if let Some(dir) = spec.log.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&spec.log)?;
    let mark = crate::reaper::new_mark();
    // Under a guard when the binary serves one (`crate::guard`): then not even a
    // kill -9 of ops leaves the agent, or what it started, running.
    let (program, args) = crate::guard::wrap(spec.program, spec.args, spec.run_as.is_some())?;
    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env(crate::reaper::MARK_VAR, &mark)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some((uid, gid)) = spec.run_as {
        cmd.uid(uid).gid(gid);
    }
    let mut child = cmd.spawn()?;
    let pgid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| std::io::Error::other("the started process has no pid"))?;
    crate::reaper::remember(pgid, mark);
    let stdin = child.stdin.take();
    let (tx, lines) = mpsc::unbounded_channel();
    let log = Arc::new(Mutex::new(log));
    if let Some(stdout) = child.stdout.take() {
        let out = Output::new(Arc::clone(&log), spec.redactor.clone(), Some(tx));
        tokio::spawn(read_lines(stdout, out));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(read_lines(stderr, Output::new(log, spec.redactor, None)));
    }
    Ok(Spawned {
        pgid,
        child,
        stdin,
        lines,
        log: spec.log,
    })
}

/// Longest stdout line kept whole; longer ones are cut (garbage must not eat memory).
const MAX_LINE: usize = 1 << 20;

/// Where one output stream's lines go: redacted, to the log, and (stdout) to
/// the protocol.
struct Output {
    log: Arc<Mutex<std::fs::File>>,
    redactor: Redactor,
    lines: Option<mpsc::UnboundedSender<String>>,
    /// Inside a private key block printed over several lines (its BEGIN line
    /// seen, its END line not yet): each line goes whole.
    in_key: bool,
}

/// What a line of a private key block printed over several lines becomes.
const KEY_LINE: &str = "[redacted private key]";

impl Output {
    fn new(
        log: Arc<Mutex<std::fs::File>>,
        redactor: Redactor,
        lines: Option<mpsc::UnboundedSender<String>>,
    ) -> Self {
        Output {
            log,
            redactor,
            lines,
            in_key: false,
        }
    }

    /// The line, redacted; the lines of a key block after its BEGIN line whole.
    fn clean(&mut self, raw: &str) -> String {
        let ends_key = raw.contains("-----END ") && raw.contains("PRIVATE KEY-----");
        if self.in_key {
            self.in_key = !ends_key;
            return KEY_LINE.to_string();
        }
        let begins_key = raw.contains("-----BEGIN ") && raw.contains("PRIVATE KEY-----");
        self.in_key = begins_key && !ends_key;
        self.redactor.redact(raw)
    }

    /// Logs and sends one line (redacted); false once nobody reads the lines.
    fn line(&mut self, raw: &[u8], ends: bool) -> bool {
        let text = self.clean(&String::from_utf8_lossy(raw));
        if let Ok(mut f) = self.log.lock() {
            let _ = f.write_all(text.as_bytes());
            if ends && !text.ends_with('\n') {
                let _ = f.write_all(b"\n");
            }
        }
        match &self.lines {
            Some(tx) => tx.send(text.trim_end().to_string()).is_ok(),
            None => true,
        }
    }
}

async fn read_lines(stream: impl tokio::io::AsyncRead + Unpin, mut out: Output) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    // The current line passed MAX_LINE and was sent cut: its rest is dropped.
    let mut skipping = false;
    loop {
        let chunk = match reader.fill_buf().await {
            Ok(c) if !c.is_empty() => c,
            _ => {
                if !line.is_empty() {
                    out.line(&line, true);
                }
                return;
            }
        };
        let (part, ends) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..=i], true),
            None => (chunk, false),
        };
        if !skipping {
            let room = MAX_LINE.saturating_sub(line.len());
            line.extend_from_slice(&part[..part.len().min(room)]);
        }
        let used = part.len();
        reader.consume(used);
        let open = if ends {
            let was_skipping = std::mem::replace(&mut skipping, false);
            let open = was_skipping || out.line(&line, true);
            line.clear();
            open
        } else if !skipping && line.len() >= MAX_LINE {
            skipping = true;
            let open = out.line(&line, true);
            line.clear();
            open
        } else {
            true
        };
        if !open {
            return;
        }
    }
}

/// Sends `signal` to the whole group; a group already gone is not an error.
/// SIGKILL ends the agent for good: every process bearing its mark goes too,
/// those that left the group included ([`crate::reaper::kill_marked`]).
pub fn signal_group(pgid: i32, signal: Signal) {
    let _ = killpg(Pid::from_raw(pgid), signal);
    if signal == Signal::SIGKILL {
        crate::reaper::kill_marked(pgid);
    }
}

/// Whether any process of the group is still alive (zombies count until reaped).
pub fn group_alive(pgid: i32) -> bool {
    killpg(Pid::from_raw(pgid), None).is_ok()
}

/// The last `max` bytes of the log at `path`, as text (empty if unreadable).
pub fn log_tail(path: &Path, max: usize) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    let start = bytes.len().saturating_sub(max);
    String::from_utf8_lossy(&bytes[start..]).trim().to_string()
}

/// How long a stopped agent gets between SIGTERM and SIGKILL.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// The (uid, gid) of user `name`, for running agents as that user (e.g. when ops
/// runs as root and the runtime refuses root).
pub fn user_ids(name: &str) -> ops_core::Result<(u32, u32)> {
    let invalid = |message: String| {
        ops_core::Error::backend(
            "process",
            "look up the user to run agents as",
            ops_core::ErrorKind::Invalid,
            message,
        )
    };
    match nix::unistd::User::from_name(name) {
        Ok(Some(user)) => Ok((user.uid.as_raw(), user.gid.as_raw())),
        Ok(None) => Err(invalid(format!("no user named {name:?} on this machine"))),
        Err(e) => Err(invalid(format!(
            "cannot read the user database for {name:?}: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_endless_line_is_cut_and_delivered_without_waiting_for_its_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = ProcessSpec {
            program: "sh".into(),
            // 3 MiB without a newline, then silence: the line never ends.
            args: vec![
                "-c".into(),
                "head -c 3145728 /dev/zero; exec sleep 600".into(),
            ],
            cwd: dir.path().to_path_buf(),
            env: vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())],
            log: dir.path().join("agent.log"),
            keep_stdin: false,
            input: None,
            run_as: None,
            redactor: Redactor::new(),
        };
        let mut spawned = spawn(spec).await.expect("spawn");
        let line = tokio::time::timeout(Duration::from_secs(30), spawned.lines.recv()).await;
        signal_group(spawned.pgid, Signal::SIGKILL);
        let _ = spawned.child.wait().await;
        let line = line
            .expect("a line over the limit is delivered before its end")
            .expect("the reader is open");
        assert_eq!(line.len(), MAX_LINE);
    }

    #[tokio::test]
    async fn both_streams_are_redacted_before_they_are_logged_or_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let known = "canary-known-9a8b7c6d";
        let token = "ghp_C4n4ryT0k3nC4n4ryT0k3nC4n4ryT0k3n34";
        let script = format!(
            "echo 'out {known} end'; echo 'err {token} end' >&2; \
             printf -- '-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEAcanarybody\\n-----END RSA PRIVATE KEY-----\\nafter\\n'"
        );
        let redactor = Redactor::new();
        redactor.learn(known);
        let log = dir.path().join("agent.log");
        let spec = ProcessSpec {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            cwd: dir.path().to_path_buf(),
            env: vec![("PATH".into(), std::env::var_os("PATH").unwrap_or_default())],
            log: log.clone(),
            keep_stdin: false,
            input: None,
            run_as: None,
            redactor,
        };
        let mut spawned = spawn(spec).await.expect("spawn");
        let mut lines = Vec::new();
        while let Ok(Some(line)) =
            tokio::time::timeout(Duration::from_secs(30), spawned.lines.recv()).await
        {
            lines.push(line);
        }
        let _ = spawned.child.wait().await;
        assert_eq!(
            lines,
            [
                "out [redacted secret] end",
                "[redacted private key]",
                "[redacted private key]",
                "[redacted private key]",
                "after"
            ]
        );
        let logged = std::fs::read_to_string(&log).expect("log");
        assert!(
            logged.contains("err [redacted GitHub personal access token] end"),
            "{logged}"
        );
        for secret in [known, token, "canarybody"] {
            assert!(!logged.contains(secret), "{logged}");
        }
    }

    #[test]
    fn a_known_user_resolves_and_an_unknown_one_is_named_in_the_error() {
        assert_eq!(user_ids("root").expect("root exists"), (0, 0));
        let err = user_ids("no-such-user-ops").expect_err("unknown");
        assert!(err.to_string().contains("\"no-such-user-ops\""), "{err}");
    }
}
