//! The real agent CLIs, installed at their pinned versions by the project script
//! `scripts/install-agent-clis.sh` (idempotent; a file lock keeps parallel tests
//! from installing twice).

use std::path::{Path, PathBuf};

/// The pinned Claude Code CLI.
pub fn claude() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf();
    let tools = root.join(".tools");
    std::fs::create_dir_all(&tools).expect("create .tools");
    let lock = std::fs::File::create(tools.join(".install.lock")).expect("lock file");
    lock.lock().expect("take the install lock");
    let status = std::process::Command::new(root.join("scripts/install-agent-clis.sh"))
        .status()
        .expect("run scripts/install-agent-clis.sh");
    assert!(status.success(), "installing the agent CLIs failed");
    let cli = tools.join("node_modules/.bin/claude");
    assert!(cli.exists(), "claude is at {}", cli.display());
    cli
}
