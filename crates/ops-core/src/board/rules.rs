//! The checks every board backend applies, written once.

use crate::error::{Error, Result};
use crate::graph::TaskGraph;
use crate::model::{Task, TaskStatus, Timestamp};

/// Checks a task about to be inserted; `exists` tells whether an id is on the board.
pub(crate) fn check_insert(
    task: &mut Task,
    mut exists: impl FnMut(&crate::model::TaskId) -> bool,
) -> Result<()> {
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
/// needed only for a claim, and `all` the board, needed only when edges change.
pub(crate) fn check_save(
    stored: &Task,
    new: &mut Task,
    in_flight: impl FnOnce() -> Result<Vec<Task>>,
    all: impl FnOnce() -> Result<Vec<Task>>,
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
    let edges_changed = stored.blocked_by != new.blocked_by;
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
        let mut tasks = all()?;
        for t in &mut tasks {
            if t.id == new.id {
                t.blocked_by.clone_from(&new.blocked_by);
            }
        }
        TaskGraph::from_tasks(&tasks)?;
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
