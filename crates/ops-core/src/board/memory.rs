//! The in-memory board: for tests, dry runs and embedding without persistence.

use super::{Changes, SourceCache, TaskStore, rules};
use crate::error::{Error, Result};
use crate::model::{Task, TaskId, Timestamp, WorkerId};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

/// A board held in memory; gone when dropped.
#[derive(Debug, Default)]
pub struct MemoryBoard {
    tasks: Mutex<Tasks>,
    cache: Mutex<BTreeMap<String, String>>,
}

/// The tasks, with the change feed and the in-flight index.
#[derive(Debug, Default)]
struct Tasks {
    /// Boxed: a map node holds only pointers, not a dozen whole tasks.
    by_id: BTreeMap<TaskId, Box<Task>>,
    /// The number of the latest write.
    seq: u64,
    /// Each task's latest write, by number.
    by_seq: BTreeMap<u64, TaskId>,
    seq_of: HashMap<TaskId, u64>,
    in_flight: BTreeSet<TaskId>,
    /// Tasks holding a lease.
    leased: BTreeSet<TaskId>,
}

impl Tasks {
    /// Stores a checked task as its latest write.
    fn put(&mut self, task: Task) {
        self.seq += 1;
        if let Some(old) = self.seq_of.insert(task.id.clone(), self.seq) {
            self.by_seq.remove(&old);
        }
        self.by_seq.insert(self.seq, task.id.clone());
        if task.status.is_in_flight() {
            self.in_flight.insert(task.id.clone());
        } else {
            self.in_flight.remove(&task.id);
        }
        if task.lease.is_some() {
            self.leased.insert(task.id.clone());
        } else {
            self.leased.remove(&task.id);
        }
        self.by_id.insert(task.id.clone(), Box::new(task));
    }

    fn in_flight(&self) -> Vec<Task> {
        self.in_flight
            .iter()
            .filter_map(|id| self.by_id.get(id).map(|t| Task::clone(t)))
            .collect()
    }
}

impl MemoryBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tasks> {
        // A panic while holding the lock cannot leave a half-written task: every
        // write is a single `put` of a fully checked value.
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl TaskStore for MemoryBoard {
    async fn insert(&self, mut task: Task) -> Result<Task> {
        let mut tasks = self.lock();
        rules::check_insert(&mut task, |id| tasks.by_id.contains_key(id))?;
        tasks.put(task.clone());
        Ok(task)
    }

    async fn get(&self, id: &TaskId) -> Result<Option<Task>> {
        Ok(self.lock().by_id.get(id).map(|t| Task::clone(t)))
    }

    async fn list(&self) -> Result<Vec<Task>> {
        Ok(self.lock().by_id.values().map(|t| Task::clone(t)).collect())
    }

    async fn save(&self, mut task: Task) -> Result<Task> {
        let mut tasks = self.lock();
        let stored = tasks
            .by_id
            .get(&task.id)
            .ok_or_else(|| Error::UnknownTask(task.id.clone()))?;
        rules::check_save(
            &rules::Stored::of(stored),
            &mut task,
            || Ok(tasks.in_flight()),
            |id| Ok(tasks.by_id.contains_key(id)),
            |id| {
                Ok(tasks
                    .by_id
                    .values()
                    .filter(|t| t.blocked_by.contains(id))
                    .map(|t| t.id.clone())
                    .collect())
            },
        )?;
        tasks.put(task.clone());
        Ok(task)
    }

    async fn renew_leases(&self, owner: &WorkerId, expires_at: Timestamp) -> Result<usize> {
        let mut n = 0;
        let mut tasks = self.lock();
        let Tasks { by_id, leased, .. } = &mut *tasks;
        for id in leased.iter() {
            if let Some(lease) = by_id
                .get_mut(id)
                .and_then(|t| t.lease.as_mut())
                .filter(|l| &l.owner == owner)
            {
                lease.expires_at = expires_at;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn changes(&self, since: u64) -> Result<Changes> {
        self.changes_page(since, usize::MAX).await
    }

    async fn changes_page(&self, since: u64, limit: usize) -> Result<Changes> {
        let tasks = self.lock();
        let mut page = Changes {
            cursor: since,
            tasks: Vec::new(),
        };
        for (seq, id) in tasks.by_seq.range(since.saturating_add(1)..).take(limit) {
            page.cursor = *seq;
            page.tasks
                .extend(tasks.by_id.get(id).map(|t| Task::clone(t)));
        }
        if page.tasks.len() < limit {
            // Everything after `since` was read: the next read starts after the latest write.
            page.cursor = page.cursor.max(tasks.seq);
        }
        Ok(page)
    }

    async fn in_flight(&self) -> Result<Vec<Task>> {
        Ok(self.lock().in_flight())
    }
}

#[async_trait]
impl SourceCache for MemoryBoard {
    async fn cache_get(&self, key: &str) -> Result<Option<String>> {
        let cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(cache.get(key).cloned())
    }

    async fn cache_put(&self, key: &str, value: &str) -> Result<()> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.to_string(), value.to_string());
        Ok(())
    }
}
