//! The built `ops` binary run in a chosen directory, as a user with no ops
//! configuration: HOME is a temp dir and every variable ops reads is cleared.

use std::path::Path;
use std::process::Command;

/// `ops` to run in `cwd` with HOME = `home` and ops' variables cleared.
pub fn ops_command(cwd: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ops"));
    for var in [
        "OPS_STATE_DIR",
        "OPS_REGISTRY",
        "XDG_STATE_HOME",
        "XDG_CONFIG_HOME",
        "CLAUDE_PLUGIN_DATA_DIR",
        "CLAUDE_PLUGIN_ROOT",
        "OPS_CONFIG",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "SENTRY_AUTH_TOKEN",
        "LINEAR_API_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home).current_dir(cwd);
    cmd
}
