//! Programs the tests start, built on first use with the cargo running the tests
//! (a dependency's binaries are not built for its dependents): the fake agent,
//! and any other workspace binary through [`build_binary`].

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The path of the built `fake-agent` program (see `src/bin/fake-agent.rs`).
pub fn fake_agent() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| build_binary("ops-testkit", "fake-agent"))
        .clone()
}

/// The hostile test agent, `hostile-agent/hostile-agent.sh MODE [ARGS]` (one file
/// per mode in `hostile-agent/modes/`): what a confused or prompt-injected agent does.
pub fn hostile_agent() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("hostile-agent")
        .join("hostile-agent.sh")
}

/// `cargo build -p <package> --bin <bin>` into the target directory of the running
/// test binary, in its profile; the binary's path. Panics (it is for tests) when
/// the build fails.
pub fn build_binary(package: &str, bin: &str) -> PathBuf {
    // target/<profile>/deps/<test-binary> → target/<profile>/<bin>
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary lives in target/<profile>/deps")
        .to_path_buf();
    let target_dir = profile_dir
        .parent()
        .expect("target/<profile> has a parent")
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", package, "--bin", bin])
        .env("CARGO_TARGET_DIR", &target_dir);
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo to build a binary");
    assert!(status.success(), "building {package}'s {bin} failed");
    let path = profile_dir.join(bin);
    assert!(path.is_file(), "{bin} is at {}", path.display());
    path
}

/// The workspace root (where `scripts/` and `.tools/` are).
fn workspace_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(std::path::Path::parent)
        .expect("ops-testkit lives in <root>/crates/ops-testkit")
        .to_path_buf()
}

/// The real Claude Code CLI, installed at the pinned version into `<root>/.tools`
/// by the project script `scripts/install-agent-clis.sh` (idempotent; a file lock
/// keeps parallel tests from installing twice). Panics (it is for tests) when the
/// install fails.
pub fn claude_cli() -> PathBuf {
    pinned_cli("claude")
}

/// The real Codex CLI, installed as [`claude_cli`] is.
pub fn codex_cli() -> PathBuf {
    pinned_cli("codex")
}

/// The real Gemini CLI, installed as [`claude_cli`] is.
pub fn gemini_cli() -> PathBuf {
    pinned_cli("gemini")
}

/// The real Aider (in the tools' virtualenv), installed as [`claude_cli`] is.
pub fn aider_cli() -> PathBuf {
    let cli = pinned_cli("claude")
        .ancestors()
        .nth(3)
        .expect("<root>/.tools")
        .join("aider-venv/bin/aider");
    assert!(cli.exists(), "aider is at {}", cli.display());
    cli
}

/// `<root>/.tools/node_modules/.bin/<name>`, installed first.
fn pinned_cli(name: &str) -> PathBuf {
    let root = workspace_root();
    let tools = root.join(".tools");
    std::fs::create_dir_all(&tools).expect("create .tools");
    let lock = std::fs::File::create(tools.join(".install.lock")).expect("lock file");
    lock.lock().expect("take the install lock");
    let status = Command::new(root.join("scripts/install-agent-clis.sh"))
        .status()
        .expect("run scripts/install-agent-clis.sh");
    assert!(status.success(), "installing the agent CLIs failed");
    let cli = tools.join("node_modules/.bin").join(name);
    assert!(cli.exists(), "{name} is at {}", cli.display());
    cli
}
