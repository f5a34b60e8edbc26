//! Team mode: the running, steerable agents of team tasks, so the engine can reach
//! them while they run — with an upstream task's outcome when it completes, and with
//! an audit failure to fix (see `pipeline`).
//!
//! Who hears about a completed task: every running team agent whose task lists it in
//! `blocked_by`, or works in the same repository (its team: they build on the same
//! dev branch the completed work just landed on).
//!
//! Messages go to an agent's inbox; its own pipeline delivers them, and only while it
//! waits for a turn of that agent. An agent whose work is being audited (between
//! turns) hears nothing until its next turn: a message then would start a turn whose
//! changes no gate judged.

use super::Ctx;
use crate::model::{Task, TaskId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

struct Member {
    inbox: Arc<Inbox>,
    repo: String,
    blocked_by: BTreeSet<TaskId>,
}

/// Messages waiting for a team agent's next turn, each with the upstream task it
/// announces.
#[derive(Default)]
pub(crate) struct Inbox {
    messages: Mutex<Vec<(TaskId, String)>>,
    arrived: Notify,
}

impl Inbox {
    fn push(&self, message: (TaskId, String)) {
        if let Ok(mut m) = self.messages.lock() {
            m.push(message);
        }
        self.arrived.notify_one();
    }

    /// Resolves once a message arrived (at once if one came since the last call).
    pub(crate) async fn arrived(&self) {
        self.arrived.notified().await;
    }

    /// Takes the waiting messages, oldest first.
    pub(crate) fn take(&self) -> Vec<(TaskId, String)> {
        self.messages
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }
}

/// The team agents running now.
#[derive(Default)]
pub(crate) struct Team {
    members: Mutex<BTreeMap<TaskId, Member>>,
}

impl Team {
    /// Registers the running agent of team task `task`.
    pub(crate) fn join(&self, task: &Task) {
        let member = Member {
            inbox: Arc::default(),
            repo: task.repo.clone(),
            blocked_by: task.blocked_by.clone(),
        };
        if let Ok(mut m) = self.members.lock() {
            m.insert(task.id.clone(), member);
        }
    }

    /// The inbox of `task`'s agent, while it is on the team.
    pub(crate) fn inbox(&self, task: &TaskId) -> Option<Arc<Inbox>> {
        let m = self.members.lock().ok()?;
        m.get(task).map(|member| Arc::clone(&member.inbox))
    }

    /// Forgets the agent of `task` (it ended or was stopped).
    pub(crate) fn leave(&self, task: &TaskId) {
        if let Ok(mut m) = self.members.lock() {
            m.remove(task);
        }
    }

    /// Queues `done`'s outcome for the running team agents that depend on it or share
    /// its repository (their pipelines deliver it).
    pub(crate) async fn announce(&self, ctx: &Ctx, done: &TaskId) {
        let Ok(Some(task)) = ctx.store.get(done).await else {
            return;
        };
        let message = super::brief::Upstream::of(&task, |t| ctx.redactor.redact(t)).announcement();
        if let Ok(m) = self.members.lock() {
            m.iter()
                .filter(|(id, member)| {
                    **id != task.id
                        && (member.blocked_by.contains(&task.id) || member.repo == task.repo)
                })
                .for_each(|(_, member)| member.inbox.push((task.id.clone(), message.clone())));
        }
    }
}
