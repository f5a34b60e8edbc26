//! Worktree leases: a file naming the owning ops process (pid + owner id) and its
//! last heartbeat, so two ops processes never work in one worktree at once.
//!
//! The file lives in the worktree's private git directory
//! (`.git/worktrees/<name>/ops-lease.json`), never in the working tree, so it
//! cannot be committed. A lease is stale when its process is gone or its
//! heartbeat is older than the TTL; a stale lease is taken over. Every change of
//! the file happens under an exclusive lock of `ops-lease.lock` next to it, so a
//! takeover is judged and made in one step, and the file is replaced atomically.
//! The file also records the running agent's process group (and its start time);
//! taking over another owner's stale lease kills that agent if it still runs (ops
//! was killed without stopping it), so two agents never work in one worktree.

use nix::sys::signal::kill;
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
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
    /// The agent working under the lease, while one runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<AgentRecord>,
}

/// An agent's process group, told apart from a later process given the same pid by
/// its start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct AgentRecord {
    pgid: i32,
    /// Clock ticks after boot (`/proc/<pid>/stat` field 22).
    started: u64,
}

/// When process `pid` started (Linux `/proc`), if it exists.
fn start_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Kills the agent an earlier owner left running, if it is still that process.
fn stop_left_over(agent: &AgentRecord) {
    if start_ticks(agent.pgid) == Some(agent.started) {
        crate::process::signal_group(agent.pgid, nix::sys::signal::Signal::SIGKILL);
    }
}

/// The lock git holds on a worktree's index while it writes it; it lives in the
/// worktree's private git directory, next to the lease file.
const INDEX_LOCK: &str = "index.lock";

/// Removes the index lock a previous owner's process left in the worktree's git
/// directory (a `git add`/`git commit` of its agent killed mid-write, by `kill -9`
/// of ops or by the stop above): left in place, every later git command in the
/// worktree fails ("Unable to create index.lock: File exists") and the task is
/// blocked after its attempts. Called when taking over from an owner that is gone
/// or silent, once its agent is stopped. A git that owner started itself (not its
/// agent) outlives a `kill -9` of it and may still hold the lock, keeping it closed
/// until it renames it over the index: the lock stays while a live `git` process
/// works in the worktree, and always where that cannot be seen (no Linux `/proc`).
fn remove_stale_index_lock(lease: &Path) {
    let lock = lease.with_file_name(INDEX_LOCK);
    if !lock.exists() {
        return;
    }
    let Some(git_dir) = lease.parent() else {
        return;
    };
    let mut roots = vec![git_dir.to_path_buf()];
    roots.extend(worktree_of(git_dir));
    let roots: Vec<PathBuf> = roots
        .iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .collect();
    // A git of the agent just killed above may take a moment to die.
    let deadline = std::time::Instant::now() + KILLED_GIT_GRACE;
    loop {
        match live_git_in(&roots) {
            Some(false) => break,
            Some(true) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => return,
        }
    }
    let _ = std::fs::remove_file(lock);
}

/// How long a git process killed with the agent that ran it may take to go.
const KILLED_GIT_GRACE: Duration = Duration::from_millis(500);

/// The working tree of the git directory `git_dir`: a linked worktree's git
/// directory names it in its `gitdir` file (`<worktree>/.git`); a main one is the
/// `.git` inside it.
fn worktree_of(git_dir: &Path) -> Option<PathBuf> {
    match std::fs::read_to_string(git_dir.join("gitdir")) {
        Ok(text) => Path::new(text.trim()).parent().map(Path::to_path_buf),
        Err(_) => (git_dir.file_name()? == ".git")
            .then(|| git_dir.parent().map(Path::to_path_buf))
            .flatten(),
    }
}

/// Whether a live process named `git` has its working directory inside one of
/// `roots`; `None` when processes cannot be listed (no `/proc`).
fn live_git_in(roots: &[PathBuf]) -> Option<bool> {
    let procs = std::fs::read_dir("/proc").ok()?;
    Some(procs.flatten().any(|entry| {
        let dir = entry.path();
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        is_pid
            && std::fs::read_to_string(dir.join("comm")).is_ok_and(|c| c.trim() == "git")
            && std::fs::read_link(dir.join("cwd"))
                .is_ok_and(|cwd| roots.iter().any(|r| cwd.starts_with(r)))
    }))
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
    token: String,
    ttl: Duration,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn pid_alive(pid: u32) -> bool {
    i32::try_from(pid).is_ok_and(|p| alive(kill(Pid::from_raw(p), None)))
}

/// What probing a pid with signal 0 says: only "no such process" means it is gone
/// (EPERM: it lives, owned by a user this process may not signal).
fn alive(probe: nix::Result<()>) -> bool {
    !matches!(probe, Err(nix::errno::Errno::ESRCH))
}

/// The lease at `path`; none when absent or unreadable (the git dir is the
/// agent's to write: a FIFO there is no lease, never a hang).
fn read(path: &Path) -> Option<LeaseFile> {
    let text = ops_core::files::read_text(path).ok()??;
    serde_json::from_str(&text).ok()
}

/// Whether the lease `l` still binds others: its process lives and its heartbeat is
/// younger than `ttl`.
fn fresh(l: &LeaseFile, ttl: Duration) -> bool {
    let age = now_ms().saturating_sub(l.heartbeat_unix_ms);
    pid_alive(l.owner.pid) && u128::from(age) <= ttl.as_millis()
}

/// Serializes every change of the lease at `path` across processes (an exclusive
/// `flock` on a sibling file, dropped with the returned file): judging a lease stale
/// and taking it over must be one step, or two owners both take it.
fn exclusive(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        // A FIFO planted there fails to open (ENXIO) instead of blocking.
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path.with_extension("lock"))?;
    file.lock()?;
    Ok(file)
}

/// Replaces the lease file at once (readers never see it half written).
fn write(path: &Path, body: &LeaseFile) -> std::io::Result<()> {
    let text = serde_json::to_string(body).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}

impl WorktreeLease {
    /// Takes the lease at `path` for `owner`: refused while another owner's process
    /// lives and its heartbeat is younger than `ttl`; the same owner re-takes it.
    pub fn acquire(path: &Path, owner: &LeaseOwner, ttl: Duration) -> Result<Self, LeaseError> {
        let _guard = exclusive(path).map_err(LeaseError::Io)?;
        if let Some(current) = read(path)
            && current.owner != *owner
        {
            if fresh(&current, ttl) {
                return Err(LeaseError::Held {
                    holder: current.owner,
                });
            }
            // Its owner is gone (or silent): an agent it left running must not go on
            // working beside the next one.
            if let Some(agent) = &current.agent {
                stop_left_over(agent);
            }
            remove_stale_index_lock(path);
        }
        let token = new_token();
        let body = LeaseFile {
            owner: owner.clone(),
            heartbeat_unix_ms: now_ms(),
            token: token.clone(),
            agent: None,
        };
        write(path, &body).map_err(LeaseError::Io)?;
        Ok(WorktreeLease {
            path: path.to_path_buf(),
            token,
            ttl,
        })
    }

    /// Refreshes the heartbeat (called periodically while the agent runs); does
    /// nothing once the lease was released or taken over.
    pub fn heartbeat(&self) -> std::io::Result<()> {
        let _guard = exclusive(&self.path)?;
        let Some(mut body) = self.current() else {
            return Ok(());
        };
        body.heartbeat_unix_ms = now_ms();
        write(&self.path, &body)
    }

    /// Records the agent process group `pgid` working under this lease, so whoever
    /// takes a stale lease over can stop an agent left running by a crashed owner.
    pub fn record_agent(&self, pgid: i32) -> std::io::Result<()> {
        let _guard = exclusive(&self.path)?;
        let Some(mut body) = self.current() else {
            return Ok(());
        };
        let started = start_ticks(pgid).ok_or_else(|| {
            std::io::Error::other(format!("the start time of process {pgid} is unknown"))
        })?;
        body.agent = Some(AgentRecord { pgid, started });
        write(&self.path, &body)
    }

    /// The file's content while it records this acquisition.
    fn current(&self) -> Option<LeaseFile> {
        read(&self.path).filter(|l| l.token == self.token)
    }

    /// How often [`heartbeat`](Self::heartbeat) must run for the lease to stay fresh
    /// under the TTL it was taken with: a third of it, between 1 s and 20 s.
    pub fn heartbeat_every(&self) -> Duration {
        (self.ttl / 3).clamp(Duration::from_secs(1), Duration::from_secs(20))
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
        // Without the lock file (its directory is gone) there is no lease left to free.
        let Ok(_guard) = exclusive(&self.path) else {
            return;
        };
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
    fresh(&l, ttl).then_some(l.owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    /// A pid no process has: one that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        child.wait().expect("reap");
        pid
    }

    #[test]
    fn owners_racing_for_a_stale_lease_never_both_get_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ops-lease.json");
        let dead = LeaseOwner {
            pid: dead_pid(),
            id: "crashed".into(),
        };
        const RACERS: usize = 8;
        for round in 0..200 {
            let stale = LeaseFile {
                owner: dead.clone(),
                heartbeat_unix_ms: now_ms(),
                token: "old".into(),
                agent: None,
            };
            std::fs::write(&path, serde_json::to_string(&stale).expect("json")).expect("write");
            let barrier = Arc::new(Barrier::new(RACERS));
            let winners: Vec<Option<WorktreeLease>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..RACERS)
                    .map(|i| {
                        let (barrier, path) = (Arc::clone(&barrier), path.clone());
                        s.spawn(move || {
                            let owner = LeaseOwner::this_process(format!("racer-{i}"));
                            barrier.wait();
                            WorktreeLease::acquire(&path, &owner, Duration::from_secs(60)).ok()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("racer"))
                    .collect()
            });
            let held = winners.iter().flatten().count();
            assert_eq!(held, 1, "round {round}: {held} owners took one stale lease");
            drop(winners);
        }
    }

    #[test]
    fn taking_over_a_gone_owners_lease_removes_the_index_lock_it_left_and_a_live_owner_keeps_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ops-lease.json");
        let lock = dir.path().join(INDEX_LOCK);
        let ttl = Duration::from_secs(60);
        let gone = LeaseOwner {
            pid: dead_pid(),
            id: "gone".into(),
        };
        let first = WorktreeLease::acquire(&path, &gone, ttl).expect("free");
        std::fs::write(&lock, "").expect("a lock its git left");
        // Its process died without releasing the lease.
        std::mem::forget(first);
        let me = LeaseOwner::this_process("me");
        let _mine = WorktreeLease::acquire(&path, &me, ttl).expect("the owner is gone");
        assert!(!lock.exists(), "the stale index lock was removed");

        std::fs::write(&lock, "").expect("a lock of a live owner's git");
        let other = LeaseOwner {
            pid: std::process::id(),
            id: "other".into(),
        };
        assert!(WorktreeLease::acquire(&path, &other, ttl).is_err());
        assert!(lock.exists(), "a live owner's lock is left alone");
    }

    /// A real `git commit -a` in `repo`'s checkout, waiting on its editor and so
    /// holding the index lock (in its own process group when `own_group`), with
    /// the git dir and the lock's path once the lock exists.
    fn git_commit_holding_the_index_lock(
        repo: &ops_testkit::TempRepo,
        own_group: bool,
    ) -> (std::process::Child, PathBuf, PathBuf) {
        use std::os::unix::process::CommandExt;
        let work = repo.work();
        repo.write("README.md", "changed\n");
        let mut git = std::process::Command::new("git");
        git.args(["-c", "core.editor=sleep 30;:", "commit", "-a"])
            .current_dir(&work)
            .envs(ops_testkit::git_env())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if own_group {
            git.process_group(0);
        }
        let child = git.spawn().expect("run git commit");
        let git_dir = work.join(".git");
        let lock = git_dir.join(INDEX_LOCK);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !lock.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(lock.exists(), "git commit took the index lock");
        (child, git_dir, lock)
    }

    #[test]
    fn taking_over_a_gone_owners_lease_keeps_an_index_lock_a_live_git_holds() {
        // A git the gone owner started (ops commits for its agent) outlives a
        // `kill -9` of ops: here a real `git commit -a` waiting on its editor,
        // holding the index lock open the whole time.
        let repo = ops_testkit::TempRepo::new();
        let (mut commit, git_dir, lock) = git_commit_holding_the_index_lock(&repo, false);
        let path = git_dir.join("ops-lease.json");
        let gone = LeaseOwner {
            pid: dead_pid(),
            id: "gone".into(),
        };
        std::mem::forget(WorktreeLease::acquire(
            &path,
            &gone,
            Duration::from_secs(60),
        ));
        let me = LeaseOwner::this_process("me");
        let taken = WorktreeLease::acquire(&path, &me, Duration::from_secs(60));
        let kept = lock.exists();
        let _ = commit.kill();
        let _ = commit.wait();
        assert!(taken.is_ok(), "the owner is gone");
        assert!(kept, "the index lock of a live git was removed");
    }

    #[test]
    fn taking_over_removes_the_index_lock_of_a_git_killed_with_the_gone_owners_agent() {
        let repo = ops_testkit::TempRepo::new();
        // The agent's git, in the agent's process group, holding the lock.
        let (mut agent_git, git_dir, lock) = git_commit_holding_the_index_lock(&repo, true);
        let path = git_dir.join("ops-lease.json");
        let gone = LeaseOwner {
            pid: dead_pid(),
            id: "gone".into(),
        };
        let theirs = WorktreeLease::acquire(&path, &gone, Duration::from_secs(60)).expect("free");
        let group = i32::try_from(agent_git.id()).expect("a pid");
        theirs.record_agent(group).expect("record the agent");
        std::mem::forget(theirs);
        let taken = WorktreeLease::acquire(
            &path,
            &LeaseOwner::this_process("me"),
            Duration::from_secs(60),
        );
        let removed = !lock.exists();
        let _ = agent_git.kill();
        let _ = agent_git.wait();
        assert!(taken.is_ok(), "the owner is gone");
        assert!(
            removed,
            "the lock of the git killed with the agent was left"
        );
    }

    #[test]
    fn a_process_ops_may_not_signal_is_alive() {
        use nix::errno::Errno;
        assert!(alive(Ok(())));
        assert!(
            alive(Err(Errno::EPERM)),
            "EPERM: it exists, owned by another user"
        );
        assert!(!alive(Err(Errno::ESRCH)));
    }
}
