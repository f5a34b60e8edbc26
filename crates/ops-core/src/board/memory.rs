//! The in-memory board: for tests, dry runs and embedding without persistence.

use super::{SourceCache, TaskStore, rules};
use crate::error::{Error, Result};
use crate::model::{Task, TaskId, Timestamp, WorkerId};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A board held in memory; gone when dropped.
#[derive(Debug, Default)]
pub struct MemoryBoard {
    tasks: Mutex<BTreeMap<TaskId, Task>>,
    cache: Mutex<BTreeMap<String, String>>,
}

impl MemoryBoard {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<TaskId, Task>> {
        // A panic while holding the lock cannot leave a half-written task: every
        // write is a single insert of a fully checked value.
        self.tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl TaskStore for MemoryBoard {
    async fn insert(&self, mut task: Task) -> Result<Task> {
        let mut tasks = self.lock();
        rules::check_insert(&mut task, |id| tasks.contains_key(id))?;
        tasks.insert(task.id.clone(), task.clone());
        Ok(task)
    }

    async fn get(&self, id: &TaskId) -> Result<Option<Task>> {
        Ok(self.lock().get(id).cloned())
    }

    async fn list(&self) -> Result<Vec<Task>> {
        Ok(self.lock().values().cloned().collect())
    }

    async fn save(&self, mut task: Task) -> Result<Task> {
        let mut tasks = self.lock();
        let stored = tasks
            .get(&task.id)
            .ok_or_else(|| Error::UnknownTask(task.id.clone()))?;
        rules::check_save(stored, &mut task, || Ok(tasks.values().cloned().collect()))?;
        tasks.insert(task.id.clone(), task.clone());
        Ok(task)
    }

    async fn renew_leases(&self, owner: &WorkerId, expires_at: Timestamp) -> Result<usize> {
        let mut n = 0;
        for task in self.lock().values_mut() {
            if let Some(lease) = task.lease.as_mut().filter(|l| &l.owner == owner) {
                lease.expires_at = expires_at;
                n += 1;
            }
        }
        Ok(n)
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
