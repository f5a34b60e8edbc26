//! The fake agents' journal (`fake-agent --journal=FILE`): what every agent of every
//! run started, committed and finished, written by the agents themselves — an
//! oracle independent of ops, which may be killed at any instant.

use std::path::{Path, PathBuf};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `start <pid> <cwd>`: an agent started in worktree `cwd`.
    Start {
        /// The agent's process id.
        pid: u32,
        /// Its working directory (the task's worktree).
        cwd: PathBuf,
    },
    /// `commit <pid> <sha> <cwd>`: the agent committed `sha` in `cwd`.
    Commit {
        /// The agent's process id.
        pid: u32,
        /// The commit it made.
        sha: String,
        /// Its working directory.
        cwd: PathBuf,
    },
    /// `end <pid> <cwd>`: the agent finished its work and exits 0.
    End {
        /// The agent's process id.
        pid: u32,
        /// Its working directory.
        cwd: PathBuf,
    },
}

/// Every entry of the journal at `path`, in the order written (none if there is
/// no journal yet). A torn last line (an agent killed mid-write) is an error.
pub fn read(path: &Path) -> Result<Vec<Entry>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("read {}: {e}", path.display())),
    };
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            parse(line).ok_or_else(|| format!("{}:{}: malformed {line:?}", path.display(), n + 1))
        })
        .collect()
}

fn parse(line: &str) -> Option<Entry> {
    let (what, rest) = line.split_once(' ')?;
    let (pid, rest) = rest.split_once(' ')?;
    let pid = pid.parse().ok()?;
    Some(match what {
        "start" => Entry::Start {
            pid,
            cwd: rest.into(),
        },
        "end" => Entry::End {
            pid,
            cwd: rest.into(),
        },
        "commit" => {
            let (sha, cwd) = rest.split_once(' ')?;
            Entry::Commit {
                pid,
                sha: sha.to_string(),
                cwd: cwd.into(),
            }
        }
        _ => return None,
    })
}

/// The task a worktree belongs to: ops names each worktree after its task id.
pub fn task_of(cwd: &Path) -> String {
    cwd.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_line_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        std::fs::write(
            &path,
            "start 7 /r/.worktrees/t1\ncommit 7 abc123 /r/.worktrees/t1\nend 7 /r/.worktrees/t1\n",
        )
        .expect("write");
        let entries = read(&path).expect("well formed");
        assert_eq!(
            entries[1],
            Entry::Commit {
                pid: 7,
                sha: "abc123".into(),
                cwd: "/r/.worktrees/t1".into()
            }
        );
        assert_eq!(entries.len(), 3);
        assert_eq!(task_of(Path::new("/r/.worktrees/t1")), "t1");
    }

    #[test]
    fn a_torn_line_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j");
        std::fs::write(&path, "start 7 /r/w\ncommi").expect("write");
        let err = read(&path).expect_err("torn");
        assert!(err.contains(":2:"), "{err}");
    }
}
