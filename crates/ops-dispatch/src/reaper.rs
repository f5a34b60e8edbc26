//! Nothing an agent started outlives its attempt.
//!
//! An agent runs in a process group of its own, which ops kills when the attempt
//! ends; a process that leaves the group (`setsid`, a double fork) escapes that. So:
//!
//! * ops becomes the child subreaper of its process tree ([`install`], Linux
//!   `PR_SET_CHILD_SUBREAPER`): an orphan of an agent is re-parented to ops, not
//!   to init, and stays in ops' tree;
//! * every agent carries a mark of its own in its environment ([`MARK_VAR`]),
//!   inherited by everything it starts; when its group is killed, every process
//!   bearing the mark is killed too ([`kill_marked`]);
//! * when a run ends, every descendant ops still has is killed
//!   ([`kill_descendants`]): that catches one that cleared its environment.
//!
//! Processes are found through `/proc` (their parent in `stat`, the mark in
//! `environ`); without `/proc` only the process group is killed.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// The environment variable that marks an agent's processes.
pub const MARK_VAR: &str = "OPS_AGENT_MARK";

/// How ops keeps an agent's processes from outliving its attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// ops is the child subreaper: orphans of its agents stay its descendants;
    /// `guarded`: each agent runs under a guard ([`crate::guard`]) that kills its
    /// tree when ops itself dies.
    Subreaper {
        /// Whether agents start through a guard.
        guarded: bool,
    },
    /// Only the agent's process group, and marked processes, are killed: `why`.
    GroupOnly(String),
}

impl std::fmt::Display for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mechanism::Subreaper { guarded: true } => write!(
                f,
                "child subreaper (PR_SET_CHILD_SUBREAPER), a guard process per agent and a mark in each agent's environment: every descendant is killed when its attempt ends, new sessions included, and when ops itself is killed (kill -9 included)"
            ),
            Mechanism::Subreaper { guarded: false } => write!(
                f,
                "child subreaper (PR_SET_CHILD_SUBREAPER) and a mark in each agent's environment: every descendant is killed when its attempt ends, new sessions included; agents start without a guard (the program embedding ops does not serve `ops_dispatch::guard`), so a kill -9 of that program orphans them"
            ),
            Mechanism::GroupOnly(why) => write!(
                f,
                "process groups and environment marks only ({why}): a process that left its group and cleared its environment can outlive its attempt"
            ),
        }
    }
}

/// Makes this process the child subreaper (once; later calls give the first
/// answer) and says how agents are contained, the guard included.
pub fn install() -> Mechanism {
    static DONE: OnceLock<Option<String>> = OnceLock::new();
    let failed = DONE.get_or_init(|| {
        #[cfg(target_os = "linux")]
        {
            nix::sys::prctl::set_child_subreaper(true)
                .err()
                .map(|e| format!("PR_SET_CHILD_SUBREAPER failed: {e}"))
        }
        #[cfg(not(target_os = "linux"))]
        {
            Some("no child subreaper on this system".to_string())
        }
    });
    match failed {
        None => Mechanism::Subreaper {
            guarded: crate::guard::enabled(),
        },
        Some(why) => Mechanism::GroupOnly(why.clone()),
    }
}

fn marks() -> std::sync::MutexGuard<'static, BTreeMap<i32, String>> {
    static MARKS: OnceLock<Mutex<BTreeMap<i32, String>>> = OnceLock::new();
    MARKS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A fresh mark for an agent about to start (its value of [`MARK_VAR`]).
pub fn new_mark() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Remembers that the agent whose group is `pgid` carries `mark`.
pub fn remember(pgid: i32, mark: String) {
    marks().insert(pgid, mark);
}

/// Kills every process bearing the mark of the agent whose group was `pgid`, and
/// their descendants; the mark is then forgotten. How many were killed.
pub fn kill_marked(pgid: i32) -> usize {
    let Some(mark) = marks().remove(&pgid) else {
        return 0;
    };
    let wanted = format!("{MARK_VAR}={mark}");
    let table = processes();
    let marked: Vec<i32> = table
        .keys()
        .copied()
        .filter(|pid| *pid != pgid && has_env(*pid, &wanted))
        .collect();
    let mut doomed = BTreeSet::new();
    for pid in marked {
        doomed.insert(pid);
        doomed.extend(descendants_in(&table, pid));
    }
    kill_all(&doomed, pgid)
}

/// Kills every descendant of this process (at the end of a run, when none of them
/// is anything ops still waits for). How many were killed.
pub fn kill_descendants() -> usize {
    let me = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    let doomed: BTreeSet<i32> = descendants_in(&processes(), me).into_iter().collect();
    kill_all(&doomed, 0)
}

/// Sends SIGKILL to `pids` and reaps those that became ops' own children through
/// the subreaper (never `spawned`, which its spawner waits for).
fn kill_all(pids: &BTreeSet<i32>, spawned: i32) -> usize {
    let me = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    let table = processes();
    let mut killed = 0;
    for pid in pids {
        if kill(Pid::from_raw(*pid), Signal::SIGKILL).is_ok() {
            killed += 1;
        }
    }
    for pid in pids {
        if *pid != spawned && table.get(pid) == Some(&me) {
            reap(*pid);
        }
    }
    killed
}

/// Waits (briefly) for a killed orphan re-parented to ops, so no zombie is left.
fn reap(pid: i32) {
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    for _ in 0..100 {
        match waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => std::thread::sleep(std::time::Duration::from_millis(10)),
            _ => return,
        }
    }
}

/// Every process of `/proc`, with its parent.
fn processes() -> BTreeMap<i32, i32> {
    let mut table = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return table;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if let Some(ppid) = parent_of(pid) {
            table.insert(pid, ppid);
        }
    }
    table
}

/// The parent of `pid`, from `/proc/<pid>/stat` (the field after the state, which
/// follows the command name's closing parenthesis).
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn has_env(pid: i32, wanted: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|env| env.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes()))
        .unwrap_or(false)
}

/// The descendants of `root` in `table` (pid → parent), breadth first.
fn descendants_in(table: &BTreeMap<i32, i32>, root: i32) -> Vec<i32> {
    let mut children: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for (pid, ppid) in table {
        children.entry(*ppid).or_default().push(*pid);
    }
    let mut out = Vec::new();
    let mut queue = vec![root];
    while let Some(p) = queue.pop() {
        for c in children.get(&p).into_iter().flatten() {
            if !out.contains(c) {
                out.push(*c);
                queue.push(*c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_follow_parents_and_skip_others() {
        let table = BTreeMap::from([(2, 1), (3, 2), (4, 3), (5, 1), (6, 9)]);
        let mut d = descendants_in(&table, 2);
        d.sort_unstable();
        assert_eq!(d, [3, 4]);
    }

    #[test]
    fn this_process_has_a_parent_in_proc() {
        let me = i32::try_from(std::process::id()).expect("pid");
        assert!(parent_of(me).is_some_and(|p| p > 0));
    }
}
