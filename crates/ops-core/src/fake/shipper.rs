//! A fake forge: remembers changes by branch, merges each at most once, and lets
//! tests script the checks.

use crate::error::{Error, ErrorKind, Result};
use crate::model::{Task, TaskId};
use crate::seams::{
    ChangeRef, ChecksState, FollowUp, MergeOutcome, PromoteOutcome, Shipper, ShipperCapabilities,
    WorkRef,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

type Checks = dyn Fn(&ChangeRef) -> ChecksState + Send + Sync;

#[derive(Debug, Clone)]
struct Change {
    task: TaskId,
    number: usize,
    head: String,
    pushes: usize,
    merged: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    changes: BTreeMap<String, Change>,
    merges: Vec<TaskId>,
    promotions: Vec<String>,
    follow_ups: Vec<FollowUp>,
}

/// A [`Shipper`] held in memory. Clones share state, so it outlives an engine
/// that is dropped mid-run (a crash) and is seen by the next one.
#[derive(Clone)]
pub struct FakeShipper {
    state: Arc<Mutex<State>>,
    checks: Arc<Checks>,
}

impl Default for FakeShipper {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeShipper {
    /// A forge where every check passes.
    pub fn new() -> Self {
        Self::with_checks(|_| ChecksState::Passed)
    }

    /// A forge whose checks `checks` decides.
    pub fn with_checks(checks: impl Fn(&ChangeRef) -> ChecksState + Send + Sync + 'static) -> Self {
        FakeShipper {
            state: Arc::default(),
            checks: Arc::new(checks),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every merge performed, in order (a task twice here is a double merge).
    pub fn merges(&self) -> Vec<TaskId> {
        self.lock().merges.clone()
    }

    /// How many changes were opened.
    pub fn changes_opened(&self) -> usize {
        self.lock().changes.len()
    }

    /// The next merge's verification reports `follow_up` (once).
    pub fn fail_next_verification(&self, follow_up: FollowUp) {
        self.lock().follow_ups.push(follow_up);
    }

    /// Someone pushes to the change of every open change: each gets a new head.
    pub fn push_to_open_changes(&self) {
        for c in self.lock().changes.values_mut() {
            if c.merged.is_none() {
                c.pushes += 1;
                c.head = format!("{}+{}", c.head, c.pushes);
            }
        }
    }

    /// Repositories promoted, in order.
    pub fn promotions(&self) -> Vec<String> {
        self.lock().promotions.clone()
    }
}

#[async_trait]
impl Shipper for FakeShipper {
    fn name(&self) -> &str {
        "fake"
    }

    fn capabilities(&self) -> ShipperCapabilities {
        ShipperCapabilities {
            opens_pull_requests: true,
            promotes: true,
        }
    }

    async fn open_change(&self, task: &Task, work: &WorkRef) -> Result<ChangeRef> {
        let mut state = self.lock();
        let next = state.changes.len() + 1;
        let change = state
            .changes
            .entry(work.branch.clone())
            .or_insert_with(|| Change {
                task: task.id.clone(),
                number: next,
                head: String::new(),
                pushes: 0,
                merged: None,
            });
        if change.merged.is_none() {
            change.pushes += 1;
            change.head = format!("{}@{}", work.branch, change.pushes);
        }
        Ok(ChangeRef {
            id: work.branch.clone(),
            url: Some(format!("fake://pr/{}", change.number)),
            head: change.head.clone(),
        })
    }

    async fn checks(&self, change: &ChangeRef) -> Result<ChecksState> {
        if !self.lock().changes.contains_key(&change.id) {
            return Err(Error::backend(
                "fake",
                "read checks",
                ErrorKind::NotFound,
                format!("no change {}", change.id),
            ));
        }
        Ok((self.checks)(change))
    }

    async fn merge(&self, change: &ChangeRef) -> Result<MergeOutcome> {
        let mut state = self.lock();
        let State {
            changes, merges, ..
        } = &mut *state;
        let Some(c) = changes.get_mut(&change.id) else {
            return Err(Error::backend(
                "fake",
                "merge",
                ErrorKind::NotFound,
                format!("no change {}", change.id),
            ));
        };
        if let Some(sha) = &c.merged {
            return Ok(MergeOutcome::AlreadyMerged { sha: sha.clone() });
        }
        if c.head != change.head {
            return Ok(MergeOutcome::HeadChanged {
                head: c.head.clone(),
            });
        }
        let sha = format!("merge-of-{}", c.head);
        c.merged = Some(sha.clone());
        merges.push(c.task.clone());
        Ok(MergeOutcome::Merged { sha })
    }

    async fn verify(&self, _task: &Task, _merged: &str) -> Result<Vec<FollowUp>> {
        Ok(std::mem::take(&mut self.lock().follow_ups))
    }

    async fn promote(&self, _project: &str, repo: &str) -> Result<PromoteOutcome> {
        self.lock().promotions.push(repo.to_string());
        Ok(PromoteOutcome::Promoted {
            sha: format!("main-of-{repo}"),
        })
    }
}
