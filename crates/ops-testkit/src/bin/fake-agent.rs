//! A fake agent program for tests: behaves like an agent CLI in the ways ops must
//! handle. Options (any order; unknown arguments such as Claude Code's are ignored):
//!
//! - `--mode=edit-commit` (default): writes `brief.txt` (the brief verbatim) and
//!   `env.txt` (its environment) into the working directory, commits them, exits 0;
//! - `--mode=edit`: writes the same files but leaves them uncommitted;
//! - `--mode=hang`: starts a child `sleep` in its process group and never ends;
//! - `--mode=crash`: aborts (SIGABRT);
//! - `--mode=exit:N`: exits with status N;
//! - `--mode=garbage`: prints lines that are no protocol at all, exits 0;
//! - `--mode=wait-message`: reads one line from stdin (a message), writes it to
//!   `message.txt`, commits, exits 0;
//! - `--mode=claude`: speaks Claude Code's stream-json: reads JSONL user messages
//!   on stdin; for each writes `turn-N.txt` with its text, commits, prints
//!   `system/init` (first), `assistant` and `result`; exits at EOF;
//! - `--start-log=DIR`: first writes the start time (unix ns) to `DIR/<cwd name>`;
//! - `--sleep-ms=N`: sleeps before working.
//!
//! The brief is read from the first argument naming an existing file, else from
//! stdin (modes other than `wait-message` and `claude`).

use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    if let Some(ms) = opt("sleep-ms").and_then(|m| m.parse().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    let mode = opt("mode").unwrap_or_else(|| "edit-commit".into());
    let brief_from_file = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .find(|a| Path::new(a).is_file())
        .and_then(|p| std::fs::read_to_string(p).ok());
    let read_brief = || {
        brief_from_file.clone().unwrap_or_else(|| {
            let mut s = String::new();
            let _ = std::io::stdin().read_to_string(&mut s);
            s
        })
    };
    match mode.as_str() {
        "edit-commit" | "edit" => {
            let brief = read_brief();
            write_work(&brief);
            if mode == "edit-commit" {
                commit("fake agent: did the task");
            }
            println!("fake agent: wrote brief.txt and env.txt");
            ExitCode::SUCCESS
        }
        "hang" => {
            let _child = Command::new("sleep").arg("1000").spawn();
            println!("fake agent: hanging");
            loop {
                std::thread::sleep(Duration::from_secs(1000));
            }
        }
        "crash" => {
            println!("fake agent: about to crash");
            std::process::abort()
        }
        "garbage" => {
            println!("\u{1b}[31m%%% not a protocol \u{0}\u{7f} {{{{ ]]");
            println!("<<<<garbage>>>>");
            ExitCode::SUCCESS
        }
        "wait-message" => {
            println!("fake agent: waiting for a message");
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
            let _ = std::fs::write("message.txt", line.trim_end());
            commit("fake agent: acted on the message");
            println!("fake agent: got the message");
            ExitCode::SUCCESS
        }
        "claude" => claude(),
        other => {
            if let Some(code) = other.strip_prefix("exit:") {
                eprintln!("fake agent: exiting with {code} as told");
                return ExitCode::from(code.parse::<u8>().unwrap_or(1));
            }
            eprintln!("fake agent: unknown mode {other:?}");
            ExitCode::from(2)
        }
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
        let _ = Command::new("git")
            .args([
                "-c",
                "user.name=fake agent",
                "-c",
                "user.email=fake@agent.invalid",
            ])
            .args(args)
            .status();
    };
    git(&["add", "-A"]);
    git(&["commit", "--quiet", "-m", message]);
}

fn emit(value: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

fn claude() -> ExitCode {
    emit(
        serde_json::json!({"type": "system", "subtype": "init", "session_id": "fake-session", "tools": ["Bash"]}),
    );
    let stdin = std::io::stdin();
    let mut turn = 0;
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        turn += 1;
        let text = v
            .pointer("/message/content/0/text")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_string();
        let _ = std::fs::write(format!("turn-{turn}.txt"), &text);
        commit(&format!("fake claude: turn {turn}"));
        emit(
            serde_json::json!({"type": "assistant", "message": {"content": [{"type": "text", "text": format!("turn {turn} done")}]}}),
        );
        emit(
            serde_json::json!({"type": "result", "subtype": "success", "is_error": false, "result": format!("turn {turn} done"), "total_cost_usd": 0.01, "num_turns": turn}),
        );
    }
    ExitCode::SUCCESS
}
