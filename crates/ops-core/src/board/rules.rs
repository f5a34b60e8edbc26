//! The checks every board backend applies, written once.

use crate::error::{Error, Result};
use crate::model::{Lease, Task, TaskId, TaskStatus, Timestamp};
use std::collections::BTreeSet;

/// What a save is checked against: the stored task's revision, status,
/// blockers, lease and creation time (a backend may read just these).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub revision: u64,
    pub status: TaskStatus,
    pub blocked_by: BTreeSet<TaskId>,
    pub lease: Option<Lease>,
    pub created_at: Timestamp,
}

impl Stored {
    /// The head of a whole stored task.
    pub(crate) fn of(task: &Task) -> Stored {
        Stored {
            revision: task.revision,
            status: task.status,
            blocked_by: task.blocked_by.clone(),
            lease: task.lease.clone(),
            created_at: task.created_at,
        }
    }
}

/// Checks a task about to be inserted; `exists` tells whether an id is on the board.
pub(crate) fn check_insert(task: &mut Task, mut exists: impl FnMut(&TaskId) -> bool) -> Result<()> {
    if exists(&task.id) {
        return Err(Error::DuplicateTask(task.id.clone()));
    }
    if task.status != TaskStatus::Pending {
        return Err(Error::IllegalTransition {
            task: task.id.clone(),
            from: TaskStatus::Pending,
            to: task.status,
        });
    }
    if let Some(missing) = task.blocked_by.iter().find(|b| !exists(b)).cloned() {
        return Err(Error::UnknownTask(missing));
    }
    let now = Timestamp::now();
    if task.created_at == Timestamp::default() {
        task.created_at = now;
    }
    task.updated_at = now;
    task.revision = 1;
    Ok(())
}

/// Checks a save of `new` over `stored`; `in_flight` gives the tasks in flight,
/// needed only for a claim; `exists` and `dependents` (the tasks waiting for a
/// task) read the board only when blockers are added, and only as far as the
/// search for a cycle reaches.
pub(crate) fn check_save(
    stored: &Stored,
    new: &mut Task,
    in_flight: impl FnOnce() -> Result<Vec<Task>>,
    exists: impl FnMut(&TaskId) -> Result<bool>,
    dependents: impl FnMut(&TaskId) -> Result<Vec<TaskId>>,
) -> Result<()> {
    if stored.revision != new.revision {
        return Err(Error::Conflict {
            task: new.id.clone(),
            expected: new.revision,
            found: stored.revision,
        });
    }
    if stored.status != new.status && !stored.status.can_move_to(new.status) {
        return Err(Error::IllegalTransition {
            task: new.id.clone(),
            from: stored.status,
            to: new.status,
        });
    }
    let claiming = stored.status == TaskStatus::Pending && new.status == TaskStatus::InProgress;
    let edges_changed = !new.blocked_by.is_subset(&stored.blocked_by);
    if claiming
        && let Some(holder) = in_flight()?
            .into_iter()
            .find(|t| t.id != new.id && t.status.is_in_flight() && t.ownership_overlaps(new))
    {
        // Checked in the same transaction as the claim, so two workers can
        // never both start tasks that own overlapping paths.
        return Err(Error::OwnershipTaken {
            task: new.id.clone(),
            holder: holder.id.clone(),
        });
    }
    if edges_changed {
        check_new_blockers(stored, new, exists, dependents)?;
    }
    // Heartbeats renew leases without a new revision; a save from the owner's
    // older copy must not move the expiry back.
    if let (Some(old), Some(lease)) = (&stored.lease, &mut new.lease)
        && old.owner == lease.owner
    {
        lease.expires_at = lease.expires_at.max(old.expires_at);
    }
    new.created_at = stored.created_at;
    new.updated_at = Timestamp::now();
    new.revision = stored.revision + 1;
    Ok(())
}

/// Each blocker `new` gains over `stored` is on the board and closes no cycle:
/// `new` must not already lead to it (new -> ... -> blocker, and now blocker -> new).
fn check_new_blockers(
    stored: &Stored,
    new: &Task,
    mut exists: impl FnMut(&TaskId) -> Result<bool>,
    mut dependents: impl FnMut(&TaskId) -> Result<Vec<TaskId>>,
) -> Result<()> {
    for blocker in new.blocked_by.difference(&stored.blocked_by) {
        if !exists(blocker)? {
            return Err(Error::UnknownTask(blocker.clone()));
        }
        if let Some(mut cycle) = path(&new.id, blocker, &mut dependents)? {
            cycle.push(new.id.clone());
            return Err(Error::Cycle { cycle });
        }
    }
    Ok(())
}

/// A path of edges from `from` to `to` (both included), depth-first in id order.
fn path(
    from: &TaskId,
    to: &TaskId,
    dependents: &mut impl FnMut(&TaskId) -> Result<Vec<TaskId>>,
) -> Result<Option<Vec<TaskId>>> {
    let mut stack = vec![vec![from.clone()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let Some(node) = path.last() else {
            continue;
        };
        if node == to {
            return Ok(Some(path));
        }
        if !seen.insert(node.clone()) {
            continue;
        }
        let mut next = dependents(node)?;
        next.sort();
        for n in next.into_iter().rev() {
            let mut p = path.clone();
            p.push(n);
            stack.push(p);
        }
    }
    Ok(None)
}
