//! Where ops keeps its state: `--state-dir` (or `OPS_STATE_DIR`), else
//! `$XDG_STATE_HOME/ops`, else `$HOME/.local/state/ops`. The board is
//! `board.sqlite` inside it.

use crate::cli::GlobalArgs;
use crate::exit::CliError;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The board's file name inside the state directory.
pub const BOARD_FILE: &str = "board.sqlite";

/// The state directory: `given` (the flag or `OPS_STATE_DIR`, already merged by
/// clap), else derived from `env`. XDG says relative values are to be ignored.
pub fn resolve(
    given: Option<&Path>,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, CliError> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    let absolute = |name: &str| env(name).map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(xdg) = absolute("XDG_STATE_HOME") {
        return Ok(xdg.join("ops"));
    }
    if let Some(home) = absolute("HOME") {
        return Ok(home.join(".local").join("state").join("ops"));
    }
    Err(CliError::NoStateDir)
}

/// The board file inside `state_dir`.
pub fn board_path(state_dir: &Path) -> PathBuf {
    state_dir.join(BOARD_FILE)
}

/// The board file of the state directory the flags and environment name,
/// creating the directory.
pub fn open_board(global: &GlobalArgs) -> Result<PathBuf, CliError> {
    let dir = resolve(global.state_dir.as_deref(), |name| std::env::var_os(name))?;
    std::fs::create_dir_all(&dir).map_err(|source| CliError::Io {
        what: "create the state directory",
        path: dir.clone(),
        source,
    })?;
    Ok(board_path(&dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), OsString::from(v)))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn an_explicit_state_dir_wins_over_the_environment() {
        let env = env_of(&[("XDG_STATE_HOME", "/xdg"), ("HOME", "/home/u")]);
        let dir = resolve(Some(Path::new("rel/dir")), env).expect("given");
        assert_eq!(dir, PathBuf::from("rel/dir"));
    }

    #[test]
    fn xdg_state_home_comes_before_home() {
        let env = env_of(&[("XDG_STATE_HOME", "/xdg"), ("HOME", "/home/u")]);
        assert_eq!(resolve(None, env).expect("xdg"), PathBuf::from("/xdg/ops"));
    }

    #[test]
    fn a_relative_or_empty_xdg_state_home_is_ignored_for_home() {
        for xdg in ["", "relative/state"] {
            let env = env_of(&[("XDG_STATE_HOME", xdg), ("HOME", "/home/u")]);
            assert_eq!(
                resolve(None, env).expect("home"),
                PathBuf::from("/home/u/.local/state/ops")
            );
        }
    }

    #[test]
    fn without_flag_xdg_or_home_the_error_says_how_to_set_it() {
        let err = resolve(None, env_of(&[])).expect_err("nothing to go on");
        let msg = err.to_string();
        assert!(
            msg.contains("--state-dir") && msg.contains("OPS_STATE_DIR"),
            "{msg}"
        );
    }
}
