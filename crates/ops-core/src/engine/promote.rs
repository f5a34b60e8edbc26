//! Promotion of dev to main at the end of a run, made durable through the board.
//!
//! The board records, per shipped task, whether dev with its merge has reached
//! main ([`Task::promoted_at`]). At the end of a run every repository in scope
//! with a shipped task lacking that record is promoted, and on success
//! (`Promoted` or `UpToDate`) its tasks get the record. A run killed between a
//! merge and the promotion therefore leaves the record missing, and the next run
//! promotes; promotion is idempotent ([`crate::Shipper::promote`] reports
//! `UpToDate` when main already has dev), so a crash between the promotion and
//! the record only repeats a no-op.

use super::Ctx;
use super::queue::BoardView;
use crate::event::Event;
use crate::model::{Task, Timestamp};
use crate::seams::PromoteOutcome;
use std::collections::BTreeMap;

/// Promotes every repository in scope that has a shipped task not yet recorded as
/// promoted, and records the promotion on those tasks; `(repo, outcome)` per repository.
pub(super) async fn catch_up(ctx: &Ctx, view: &BoardView) -> Vec<(String, PromoteOutcome)> {
    let mut pending: BTreeMap<(String, String), Vec<&Task>> = BTreeMap::new();
    for task in view.scoped_tasks() {
        if task.shipped() && task.promoted_at.is_none() {
            pending
                .entry((task.project.clone(), task.repo.clone()))
                .or_default()
                .push(task);
        }
    }
    let mut promoted = Vec::new();
    for ((project, repo), tasks) in pending {
        let outcome = match ctx.shipper.promote(&project, &repo).await {
            Ok(o) => o,
            Err(e) => PromoteOutcome::Skipped {
                reason: format!("promotion failed: {e}"),
            },
        };
        if matches!(
            outcome,
            PromoteOutcome::Promoted { .. } | PromoteOutcome::UpToDate
        ) {
            record(ctx, tasks).await;
        }
        ctx.events.emit(Event::Promoted {
            project,
            repo: repo.clone(),
            outcome: outcome.clone(),
        });
        promoted.push((repo, outcome));
    }
    promoted
}

/// Records on each task that its merge reached main. A task that cannot be saved
/// keeps no record, so a later run promotes again (a no-op) and records it then;
/// one saved meanwhile by another worker (a conflict) is left to that worker.
async fn record(ctx: &Ctx, tasks: Vec<&Task>) {
    let now = Timestamp::now();
    for task in tasks {
        let mut task = task.clone();
        task.promoted_at = Some(now);
        let id = task.id.clone();
        if let Err(e) = ctx.save(task).await
            && e.kind() != crate::error::ErrorKind::Conflict
        {
            ctx.events.emit(Event::Warning {
                task: Some(id),
                message: format!("could not record the promotion on the board: {e}"),
            });
        }
    }
}
