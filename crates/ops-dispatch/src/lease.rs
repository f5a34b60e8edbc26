//! Worktree leases: a file naming the owning ops process (pid + owner id) and its
//! last heartbeat, so two ops processes never work in one worktree at once.
//!
//! The file lives in the worktree's private git directory
//! (`.git/worktrees/<name>/ops-lease.json`), never in the working tree, so it
//! cannot be committed. A lease is stale when its process is gone or its
//! heartbeat is older than the TTL; a stale lease is taken over.

use nix::sys::signal::kill;
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Who holds a lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseOwner {
    /// The owning process.
    pub pid: u32,
    /// Distinguishes owners within one process (e.g. one per engine).
    pub id: String,
}

impl LeaseOwner {
    /// This process, with owner id `id`.
    pub fn this_process(id: impl Into<String>) -> Self {
        LeaseOwner {
            pid: std::process::id(),
            id: id.into(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct LeaseFile {
    owner: LeaseOwner,
    heartbeat_unix_ms: u64,
    /// This acquisition: a later lease of the same owner is not released by an earlier one.
    #[serde(default)]
    token: String,
}

fn new_token() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{}-{n}", std::process::id(), now_ms())
}

/// Why a lease could not be taken.
#[derive(Debug)]
pub enum LeaseError {
    /// Another live owner holds it.
    Held {
        /// The holder.
        holder: LeaseOwner,
    },
    /// The lease file could not be read or written.
    Io(std::io::Error),
}

impl std::fmt::Display for LeaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeaseError::Held { holder } => write!(
                f,
                "the worktree is leased by another ops process (pid {}, owner {})",
                holder.pid, holder.id
            ),
            LeaseError::Io(e) => write!(f, "the lease file could not be used: {e}"),
        }
    }
}

/// A held lease; released (file removed) on drop.
#[derive(Debug)]
pub struct WorktreeLease {
    path: PathBuf,
    owner: LeaseOwner,
    token: String,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn pid_alive(pid: u32) -> bool {
    i32::try_from(pid).is_ok_and(|p| kill(Pid::from_raw(p), None).is_ok())
}

fn read(path: &Path) -> Option<LeaseFile> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

impl WorktreeLease {
    /// Takes the lease at `path` for `owner`: refused while another owner's process
    /// lives and its heartbeat is younger than `ttl`; the same owner re-takes it.
    pub fn acquire(path: &Path, owner: &LeaseOwner, ttl: Duration) -> Result<Self, LeaseError> {
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut f) => {
                    let token = new_token();
                    let body = LeaseFile {
                        owner: owner.clone(),
                        heartbeat_unix_ms: now_ms(),
                        token: token.clone(),
                    };
                    let text = serde_json::to_string(&body)
                        .map_err(|e| LeaseError::Io(std::io::Error::other(e)))?;
                    f.write_all(text.as_bytes()).map_err(LeaseError::Io)?;
                    return Ok(WorktreeLease {
                        path: path.to_path_buf(),
                        owner: owner.clone(),
                        token,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let current = read(path);
                    let stale = match &current {
                        None => true,
                        Some(l) if l.owner == *owner => true,
                        Some(l) => {
                            let age = now_ms().saturating_sub(l.heartbeat_unix_ms);
                            !pid_alive(l.owner.pid) || u128::from(age) > ttl.as_millis()
                        }
                    };
                    if !stale {
                        let holder = current.map(|l| l.owner).unwrap_or_else(|| owner.clone());
                        return Err(LeaseError::Held { holder });
                    }
                    // Take over: remove and race for create_new again.
                    let _ = std::fs::remove_file(path);
                }
                Err(e) => return Err(LeaseError::Io(e)),
            }
        }
        Err(LeaseError::Io(std::io::Error::other(
            "the lease kept changing while it was being taken",
        )))
    }

    /// Refreshes the heartbeat (called periodically while the agent runs); does
    /// nothing once the lease was released or taken over.
    pub fn heartbeat(&self) -> std::io::Result<()> {
        if !self.held() {
            return Ok(());
        }
        let body = LeaseFile {
            owner: self.owner.clone(),
            heartbeat_unix_ms: now_ms(),
            token: self.token.clone(),
        };
        let text = serde_json::to_string(&body).map_err(std::io::Error::other)?;
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(tmp, &self.path)
    }

    /// The lease file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file still records this acquisition.
    fn held(&self) -> bool {
        read(&self.path).is_some_and(|l| l.token == self.token)
    }

    /// Gives the lease up now (also done on drop); a later acquisition is left alone.
    pub fn release(&self) {
        if self.held() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Drop for WorktreeLease {
    fn drop(&mut self) {
        self.release();
    }
}

/// Who holds the lease at `path` now, if a live owner does.
pub fn holder(path: &Path, ttl: Duration) -> Option<LeaseOwner> {
    let l = read(path)?;
    let age = now_ms().saturating_sub(l.heartbeat_unix_ms);
    (pid_alive(l.owner.pid) && u128::from(age) <= ttl.as_millis()).then_some(l.owner)
}
