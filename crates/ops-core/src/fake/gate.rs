//! A fake gate whose verdict a closure decides, and a fake patch reader.

use crate::error::Result;
use crate::model::{Task, TaskId};
use crate::seams::{GateVerdict, PatchReader, QualityGate, WorkRef};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};

type Judge = dyn Fn(&Task, &WorkRef) -> GateVerdict + Send + Sync;

/// A [`QualityGate`] that judges with a closure and counts its calls.
#[derive(Clone)]
pub struct FakeGate {
    name: String,
    judge: Arc<Judge>,
    calls: Arc<Mutex<Vec<TaskId>>>,
}

impl FakeGate {
    /// A gate named `name` judging with `judge`.
    pub fn new(
        name: impl Into<String>,
        judge: impl Fn(&Task, &WorkRef) -> GateVerdict + Send + Sync + 'static,
    ) -> Self {
        FakeGate {
            name: name.into(),
            judge: Arc::new(judge),
            calls: Arc::default(),
        }
    }

    /// A gate that passes everything.
    pub fn passing(name: impl Into<String>) -> Self {
        Self::new(name, |_, _| GateVerdict::pass("ok"))
    }

    /// The tasks it judged, in order.
    pub fn calls(&self) -> Vec<TaskId> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl QualityGate for FakeGate {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        self.calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(task.id.clone());
        Ok((self.judge)(task, work))
    }
}

/// A [`PatchReader`] whose patch of any work is `diff --fake <branch>` followed by
/// the given text.
#[derive(Debug, Clone, Default)]
pub struct FakePatch {
    text: String,
}

impl FakePatch {
    /// Every patch ends with `text`.
    pub fn new(text: impl Into<String>) -> Self {
        FakePatch { text: text.into() }
    }
}

#[async_trait]
impl PatchReader for FakePatch {
    async fn patch(&self, _task: &Task, work: &WorkRef) -> Result<String> {
        Ok(format!("diff --fake {}\n{}", work.branch, self.text))
    }
}
