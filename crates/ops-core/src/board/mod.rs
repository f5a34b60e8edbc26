//! The board: where tasks live. Every change is committed here before the side
//! effect it permits, and a save names the revision it read, so two workers never
//! both take the same task.

mod cache;
mod memory;
mod rules;
mod sqlite;

pub use cache::SourceCache;
pub use memory::MemoryBoard;
pub use sqlite::SqliteBoard;

use crate::error::Result;
use crate::model::{Task, TaskId, Timestamp, WorkerId};
use async_trait::async_trait;

/// The board of tasks. Object-safe; every backend passes [`crate::conformance::board`].
///
/// Rules every backend enforces:
/// * `insert` takes a new, pending task whose blockers are already on the board;
/// * `save` succeeds only if the task's `revision` is the one on the board
///   (else [`crate::Error::Conflict`]), the status move is legal
///   ([`crate::Error::IllegalTransition`]) and its dependencies stay acyclic
///   ([`crate::Error::Cycle`]); the saved task comes back with the next revision;
/// * once `save` returns, the change survives a crash of the process (for
///   durable backends).
#[async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// Puts a new pending task on the board and returns it as stored (revision 1).
    async fn insert(&self, task: Task) -> Result<Task>;
    /// One task, if it is on the board.
    async fn get(&self, id: &TaskId) -> Result<Option<Task>>;
    /// Every task, ordered by id.
    async fn list(&self) -> Result<Vec<Task>>;
    /// Saves a changed task (compare-and-set on its revision) and returns it as stored.
    async fn save(&self, task: Task) -> Result<Task>;
    /// Extends every lease `owner` holds to `expires_at`; returns how many it renewed.
    async fn renew_leases(&self, owner: &WorkerId, expires_at: Timestamp) -> Result<usize>;
    /// The change feed: every task inserted or saved after `since` (a cursor an
    /// earlier call returned; 0 for the whole board), as it is now, each once,
    /// in the order of their last change, with the cursor for the next call. It
    /// sees what other processes write to the same board too. Lease renewals are
    /// not changes. The default lists the whole board each time (correct, but a
    /// full read per call): backends with a cheaper feed override it.
    async fn changes(&self, since: u64) -> Result<Changes> {
        let _ = since;
        Ok(Changes {
            cursor: 0,
            tasks: self.list().await?,
        })
    }
    /// [`TaskStore::changes`] in pages: at most `limit` tasks (the first ones
    /// after `since`), with the cursor of the last one returned, so a caller
    /// reads a big board a page at a time instead of holding a copy of it
    /// whole. The default returns every change at once (one page).
    async fn changes_page(&self, since: u64, limit: usize) -> Result<Changes> {
        let _ = limit;
        self.changes(since).await
    }
    /// The tasks in flight (in progress, auditing or shipping), ordered by id.
    /// The default filters the whole board.
    async fn in_flight(&self) -> Result<Vec<Task>> {
        let mut tasks = self.list().await?;
        tasks.retain(|t| t.status.is_in_flight());
        Ok(tasks)
    }
}

/// What [`TaskStore::changes`] returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Pass this to the next call to get what changes after these.
    pub cursor: u64,
    /// The tasks inserted or saved since the cursor given, as they are now.
    pub tasks: Vec<Task>,
}
