//! A fake agent program for tests: behaves like an agent CLI in the ways ops must
//! handle, and speaks the output protocol of the CLI it is started as.
//!
//! Protocol, from its arguments: `--input-format stream-json` → Claude Code
//! (JSONL user messages on stdin; `system/init`, `assistant`, `result` out);
//! `exec --json` → Codex (`thread.started`, `item.completed`, `turn.completed`);
//! `-o stream-json` → Gemini CLI (`init`, `message`, `result`); anything else →
//! plain text. The brief is the first Claude message, else the first argument
//! naming an existing file, else stdin.
//!
//! Behaviour: `--mode=X`, else a line `fake-agent-mode: X` in the brief, else
//! `edit-commit`:
//! - `edit-commit`: writes `brief.txt` (the brief verbatim) and `env.txt` (its
//!   environment) into the working directory, commits them, succeeds;
//! - `edit`: writes the same files, leaves them uncommitted, succeeds;
//! - `hang`: starts a child `sleep` in its process group and never ends;
//! - `crash`: aborts (SIGABRT);
//! - `exit:N`: exits with status N;
//! - `garbage`: prints lines that are no protocol at all, exits 0;
//! - `wait-message`: reads one line from stdin (a message), writes it to
//!   `message.txt`, commits, succeeds;
//! - `quiet-writer`: prints nothing, writes `progress.txt` every 100 ms for 1.5 s,
//!   then succeeds (activity only through the worktree);
//! - `task-file`: writes `changes/<task id>.txt` (`done: <task id>`; the id from
//!   the brief's first line `# Task <id>: ...`, else the working directory's name),
//!   commits it, succeeds: each task touches its own file, so the squashes of many
//!   tasks in one repository never conflict, and a second attempt that finds the
//!   file already committed changes nothing.
//!
//! As Claude Code it keeps reading messages after the first turn: each later one is
//! written to `turn-N.txt`, committed and answered with a `result`; it exits at EOF.
//! Each turn costs $0.01 and, as Claude Code's stream-json does, every `result`
//! states the running total of the process (`total_cost_usd` = $0.01 × turns).
//! `--start-log=DIR` first writes the start time (unix ns) to `DIR/<cwd name>`;
//! `--sleep-ms=N` sleeps before working.
//! `--journal=FILE` appends one line per event, each in a single `write` to a file
//! opened with `O_APPEND` (agents of several runs share it): `start <pid> <cwd>`
//! first, `commit <pid> <sha> <cwd>` after each commit it made, `end <pid> <cwd>`
//! once it has done its work and succeeds (never by `hang`, `crash`, `exit:N`,
//! `garbage`, or an agent killed first).

use serde_json::{Value, json};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, PartialEq)]
enum Protocol {
    Claude,
    Codex,
    Gemini,
    Plain,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")).map(String::from))
    };
    if let Some(dir) = opt("start-log") {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let cwd = std::env::current_dir().unwrap_or_default();
        let name = cwd
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = std::fs::write(Path::new(&dir).join(name), now.to_string());
    }
    let journal = opt("journal");
    set_journal(journal.clone());
    journal_line("start");
    if let Some(ms) = opt("sleep-ms").and_then(|m| m.parse().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    let has = |a: &str| args.iter().any(|x| x == a);
    let protocol = if has("--input-format") && has("stream-json") {
        Protocol::Claude
    } else if has("exec") && has("--json") {
        Protocol::Codex
    } else if has("-o") && has("stream-json") {
        Protocol::Gemini
    } else {
        Protocol::Plain
    };
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let brief = if protocol == Protocol::Claude {
        emit(
            json!({"type": "system", "subtype": "init", "session_id": "fake-session", "tools": ["Bash"]}),
        );
        let mut line = String::new();
        let _ = stdin.read_line(&mut line);
        message_text(&line)
    } else if let Some(text) = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .find(|a| Path::new(a).is_file())
        .and_then(|p| std::fs::read_to_string(p).ok())
    {
        text
    } else {
        let mut s = String::new();
        let _ = stdin.read_to_string(&mut s);
        s
    };
    let mode = opt("mode")
        .or_else(|| {
            brief.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("fake-agent-mode:")
                    .map(|m| m.trim().to_string())
            })
        })
        .unwrap_or_else(|| "edit-commit".into());
    let summary = match mode.as_str() {
        "edit-commit" | "edit" => {
            write_work(&brief);
            if mode == "edit-commit" {
                commit("fake agent: did the task");
            }
            "wrote brief.txt and env.txt".to_string()
        }
        "hang" => {
            let _child = Command::new("sleep").arg("1000").spawn();
            say(protocol, "hanging");
            loop {
                std::thread::sleep(Duration::from_secs(1000));
            }
        }
        "task-file" => {
            let id = task_id(&brief);
            let _ = std::fs::create_dir_all("changes");
            let _ = std::fs::write(format!("changes/{id}.txt"), format!("done: {id}\n"));
            commit(&format!("fake agent: change for {id}"));
            format!("wrote changes/{id}.txt")
        }
        "quiet-writer" => {
            for i in 0..15 {
                let _ = std::fs::write("progress.txt", i.to_string());
                std::thread::sleep(Duration::from_millis(100));
            }
            commit("fake agent: wrote progress quietly");
            "wrote progress.txt".to_string()
        }
        "crash" => {
            say(protocol, "about to crash");
            std::process::abort()
        }
        "garbage" => {
            println!("\u{1b}[31m%%% not a protocol \u{7f} {{{{ ]]");
            println!("<<<<garbage>>>>");
            return ExitCode::SUCCESS;
        }
        "wait-message" => {
            say(protocol, "waiting for a message");
            let mut line = String::new();
            let _ = stdin.read_line(&mut line);
            let _ = std::fs::write("message.txt", line.trim_end());
            commit("fake agent: acted on the message");
            "acted on the message".to_string()
        }
        other => {
            if let Some(code) = other.strip_prefix("exit:") {
                eprintln!("fake agent: exiting with {code} as told");
                return ExitCode::from(code.parse::<u8>().unwrap_or(1));
            }
            eprintln!("fake agent: unknown mode {other:?}");
            return ExitCode::from(2);
        }
    };
    finish(protocol, &summary, 1);
    if protocol == Protocol::Claude {
        let mut turn = 1;
        for line in stdin.lines() {
            let Ok(line) = line else { break };
            turn += 1;
            let _ = std::fs::write(format!("turn-{turn}.txt"), message_text(&line));
            commit(&format!("fake claude: turn {turn}"));
            finish(protocol, &format!("turn {turn} done"), turn);
        }
    }
    journal_line("end");
    ExitCode::SUCCESS
}

/// The task id a brief names on its first line (`# Task <id>: ...`), else the
/// working directory's name (ops names each worktree after its task).
fn task_id(brief: &str) -> String {
    brief
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# Task "))
        .and_then(|rest| rest.split_once(':'))
        .map(|(id, _)| id.trim().to_string())
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .unwrap_or_else(|| {
            std::env::current_dir()
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "unknown".into())
        })
}

static JOURNAL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

fn set_journal(path: Option<String>) {
    let _ = JOURNAL.set(path);
}

/// Appends `<what> <pid> [<extra>] <cwd>` to the journal, if one was given.
fn journal_line(what: &str) {
    journal_entry(what, None);
}

fn journal_entry(what: &str, extra: Option<&str>) {
    let Some(Some(path)) = JOURNAL.get() else {
        return;
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let line = match extra {
        Some(x) => format!("{what} {} {x} {}\n", std::process::id(), cwd.display()),
        None => format!("{what} {} {}\n", std::process::id(), cwd.display()),
    };
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

fn message_text(line: &str) -> String {
    serde_json::from_str::<Value>(line)
        .ok()
        .and_then(|v| {
            v.pointer("/message/content/0/text")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .unwrap_or_default()
}

fn say(protocol: Protocol, text: &str) {
    match protocol {
        Protocol::Claude => emit(
            json!({"type": "assistant", "message": {"content": [{"type": "text", "text": text}]}}),
        ),
        Protocol::Codex => emit(
            json!({"type": "item.completed", "item": {"id": "i0", "type": "reasoning", "text": text}}),
        ),
        Protocol::Gemini => {
            emit(json!({"type": "message", "role": "assistant", "content": text, "delta": true}))
        }
        Protocol::Plain => println!("fake agent: {text}"),
    }
}

fn finish(protocol: Protocol, summary: &str, turn: u64) {
    match protocol {
        Protocol::Claude => {
            say(protocol, summary);
            emit(
                json!({"type": "result", "subtype": "success", "is_error": false, "result": summary, "total_cost_usd": 0.01 * turn as f64, "num_turns": turn}),
            );
        }
        Protocol::Codex => {
            emit(json!({"type": "thread.started", "thread_id": "fake"}));
            emit(
                json!({"type": "item.completed", "item": {"id": "i1", "type": "agent_message", "text": summary}}),
            );
            emit(
                json!({"type": "turn.completed", "usage": {"input_tokens": 1, "output_tokens": 1}}),
            );
        }
        Protocol::Gemini => {
            emit(json!({"type": "init", "session_id": "fake", "model": "fake"}));
            emit(json!({"type": "message", "role": "assistant", "content": summary}));
            emit(json!({"type": "result", "status": "success", "stats": {}}));
        }
        Protocol::Plain => println!("{summary}"),
    }
}

fn write_work(brief: &str) {
    let _ = std::fs::write("brief.txt", brief);
    let env: String = std::env::vars_os()
        .map(|(k, v)| format!("{}={}\n", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    let _ = std::fs::write("env.txt", env);
}

fn commit(message: &str) {
    let git = |args: &[&str]| {
        Command::new("git")
            .args([
                "-c",
                "user.name=fake agent",
                "-c",
                "user.email=fake@agent.invalid",
            ])
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    git(&["add", "-A"]);
    if git(&["commit", "--quiet", "-m", message])
        && let Ok(out) = Command::new("git").args(["rev-parse", "HEAD"]).output()
        && out.status.success()
    {
        journal_entry("commit", Some(String::from_utf8_lossy(&out.stdout).trim()));
    }
}

fn emit(value: Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}
