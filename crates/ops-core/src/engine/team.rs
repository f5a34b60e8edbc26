//! Team mode: the running, steerable agents of team tasks, so the engine can reach
//! them while they run — with an upstream task's outcome when it completes, and with
//! an audit failure to fix (see `pipeline`).
//!
//! Who hears about a completed task: every running team agent whose task lists it in
//! `blocked_by`, or works in the same repository (its team: they build on the same
//! dev branch the completed work just landed on).

use super::Ctx;
use crate::event::Event;
use crate::model::{Task, TaskId};
use crate::seams::AgentHandle;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

struct Member {
    handle: Arc<dyn AgentHandle>,
    repo: String,
    blocked_by: BTreeSet<TaskId>,
}

/// The team agents running now and what finished agents changed.
#[derive(Default)]
pub(crate) struct Team {
    members: Mutex<BTreeMap<TaskId, Member>>,
    changed: Mutex<BTreeMap<TaskId, Vec<String>>>,
}

impl Team {
    /// Registers the running agent of team task `task`.
    pub(crate) fn join(&self, task: &Task, handle: Arc<dyn AgentHandle>) {
        let member = Member {
            handle,
            repo: task.repo.clone(),
            blocked_by: task.blocked_by.clone(),
        };
        if let Ok(mut m) = self.members.lock() {
            m.insert(task.id.clone(), member);
        }
    }

    /// Forgets the agent of `task` (it ended or was stopped).
    pub(crate) fn leave(&self, task: &TaskId) {
        if let Ok(mut m) = self.members.lock() {
            m.remove(task);
        }
    }

    /// Remembers the files the agent of `task` changed, for its announcement.
    pub(crate) fn record_changes(&self, task: &TaskId, files: &[String]) {
        if let Ok(mut c) = self.changed.lock()
            && !files.is_empty()
        {
            c.insert(task.clone(), files.to_vec());
        }
    }

    /// The message telling a team that `done` completed.
    pub(crate) fn announcement(&self, done: &Task) -> String {
        let summary = done
            .attempts
            .last()
            .and_then(|a| a.summary.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "no summary".into());
        let changed = self
            .changed
            .lock()
            .ok()
            .and_then(|c| c.get(&done.id).cloned())
            .unwrap_or_default();
        let mut text = format!(
            "Upstream task {} ({}) has completed and landed.\nSummary: {summary}\nBranch: {}",
            done.id,
            done.title,
            done.branch.clone().unwrap_or_else(|| done.branch_name()),
        );
        if let Some(pr) = &done.pr {
            text.push_str(&format!("\nChange: {pr}"));
        }
        if changed.is_empty() {
            text.push_str("\nChanged files: not reported");
        } else {
            text.push_str(&format!("\nChanged files: {}", changed.join(", ")));
        }
        text.push_str("\nBuild on it where your task depends on it; do not redo it.");
        text
    }

    /// Sends `done`'s outcome to the running team agents that depend on it or share
    /// its repository. A failed send is reported as a warning, never fatal.
    pub(crate) async fn announce(&self, ctx: &Ctx, done: &TaskId) {
        let Ok(Some(task)) = ctx.store.get(done).await else {
            return;
        };
        let message = self.announcement(&task);
        let recipients: Vec<(TaskId, Arc<dyn AgentHandle>)> = match self.members.lock() {
            Ok(m) => m
                .iter()
                .filter(|(id, member)| {
                    **id != task.id
                        && (member.blocked_by.contains(&task.id) || member.repo == task.repo)
                })
                .map(|(id, member)| (id.clone(), Arc::clone(&member.handle)))
                .collect(),
            Err(_) => Vec::new(),
        };
        for (id, handle) in recipients {
            if let Err(e) = handle.send(&message).await {
                ctx.events.emit(Event::Warning {
                    task: Some(id),
                    message: format!("could not tell the agent that {done} completed: {e}"),
                });
            }
        }
    }
}
