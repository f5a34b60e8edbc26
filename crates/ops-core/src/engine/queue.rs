//! Deciding what runs next, as pure functions over a snapshot of the board:
//! which tasks are in the run's scope, which pending tasks are ready, in what
//! order, which may start given who owns what, and which tasks are blocked
//! because a blocker is.

use crate::error::Result;
use crate::graph::TaskGraph;
use crate::model::{Priority, Task, TaskId, TaskStatus};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

/// A snapshot of the board with its graph, waves and critical paths.
#[derive(Debug)]
pub struct BoardView {
    /// Every task by id.
    pub tasks: BTreeMap<TaskId, Task>,
    /// Their dependencies.
    pub graph: TaskGraph,
    /// Each task's wave.
    pub waves: BTreeMap<TaskId, u32>,
    /// Each task's remaining critical path.
    pub critical: BTreeMap<TaskId, u32>,
    /// The tasks the run works on (every task unless [`BoardView::scoped`] narrowed
    /// it): only these are ready, blocked by the engine, taken over or counted.
    pub scope: BTreeSet<TaskId>,
}

impl BoardView {
    /// Builds the view of `tasks`.
    pub fn new(tasks: Vec<Task>) -> Result<Self> {
        let graph = TaskGraph::from_tasks(&tasks)?;
        let tasks: BTreeMap<TaskId, Task> = tasks.into_iter().map(|t| (t.id.clone(), t)).collect();
        let waves = graph.waves();
        let critical = graph.critical_paths(|id| {
            tasks
                .get(id)
                .is_some_and(|t| !t.status.satisfies_dependents())
        });
        let scope = tasks.keys().cloned().collect();
        Ok(BoardView {
            tasks,
            graph,
            waves,
            critical,
            scope,
        })
    }

    /// Narrows the scope to the tasks of `projects` (all projects if `None`) and,
    /// with `fires_only`, to their P0 tasks and what those depend on, transitively
    /// (within those projects).
    pub fn scoped(mut self, projects: Option<&BTreeSet<String>>, fires_only: bool) -> Self {
        let in_projects = |t: &Task| projects.is_none_or(|p| p.contains(&t.project));
        let mut scope: BTreeSet<TaskId> = self
            .tasks
            .values()
            .filter(|t| in_projects(t) && (!fires_only || t.priority == Priority::P0))
            .map(|t| t.id.clone())
            .collect();
        if fires_only {
            let mut todo: Vec<TaskId> = scope.iter().cloned().collect();
            while let Some(id) = todo.pop() {
                let Some(task) = self.tasks.get(&id) else {
                    continue;
                };
                for blocker in &task.blocked_by {
                    if self.tasks.get(blocker).is_some_and(in_projects)
                        && scope.insert(blocker.clone())
                    {
                        todo.push(blocker.clone());
                    }
                }
            }
        }
        self.scope = scope;
        self
    }

    /// Whether `id` is in the run's scope.
    pub fn in_scope(&self, id: &TaskId) -> bool {
        self.scope.contains(id)
    }

    /// The tasks in the run's scope.
    pub fn scoped_tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.values().filter(|t| self.in_scope(&t.id))
    }

    /// Pending tasks in scope that wait for a task outside it (which this run will
    /// not do), with a reason naming that task.
    pub fn waiting_outside_scope(&self) -> Vec<(TaskId, String)> {
        self.scoped_tasks()
            .filter_map(|t| {
                let outside = self.outside_blocker(t)?;
                let project = self.tasks.get(outside).map_or("", |o| o.project.as_str());
                Some((t.id.clone(), outside_scope_reason(outside, project)))
            })
            .collect()
    }

    /// Whether some pending task in scope waits for an unfinished task outside it
    /// ([`BoardView::waiting_outside_scope`] without building the reasons).
    pub fn any_waiting_outside_scope(&self) -> bool {
        self.scoped_tasks()
            .any(|t| self.outside_blocker(t).is_some())
    }

    /// The unfinished blocker outside the scope that pending `t` waits for, if any.
    fn outside_blocker<'t>(&self, t: &'t Task) -> Option<&'t TaskId> {
        if t.status != TaskStatus::Pending {
            return None;
        }
        t.blocked_by.iter().find(|b| {
            !self.in_scope(b) && self.status(b).is_some_and(|s| !s.satisfies_dependents())
        })
    }

    fn status(&self, id: &TaskId) -> Option<TaskStatus> {
        self.tasks.get(id).map(|t| t.status)
    }

    /// Pending tasks in scope whose blockers have all completed (or were deleted),
    /// within `max_waves`, in dispatch order: priority, then longest remaining
    /// critical path, then age, then id.
    pub fn ready(&self, max_waves: Option<u32>) -> Vec<&Task> {
        let mut ready: Vec<&Task> = self
            .scoped_tasks()
            .filter(|t| t.status == TaskStatus::Pending)
            .filter(|t| {
                t.blocked_by
                    .iter()
                    .all(|b| self.status(b).is_none_or(TaskStatus::satisfies_dependents))
            })
            .filter(|t| max_waves.is_none_or(|m| self.waves.get(&t.id).is_some_and(|w| *w < m)))
            .collect();
        ready.sort_by_key(|t| {
            (
                t.priority,
                Reverse(self.critical.get(&t.id).copied().unwrap_or(0)),
                t.created_at,
                t.id.clone(),
            )
        });
        ready
    }

    /// Pending tasks in scope held back only by `max_waves`.
    pub fn beyond_wave_limit(&self, max_waves: Option<u32>) -> usize {
        let Some(limit) = max_waves else { return 0 };
        self.scoped_tasks()
            .filter(|t| t.status == TaskStatus::Pending)
            .filter(|t| self.waves.get(&t.id).is_some_and(|w| *w >= limit))
            .count()
    }

    /// Status changes that follow from blockers: a pending task whose blocker is
    /// blocked or failed becomes blocked (transitively, in one pass); a task blocked
    /// that way returns to pending once no blocker blocks it any more. Only tasks in
    /// scope change; the others are taken as they are.
    pub fn block_changes(&self) -> Vec<BlockChange> {
        let mut effective: BTreeMap<&TaskId, TaskStatus> =
            self.tasks.iter().map(|(id, t)| (id, t.status)).collect();
        let mut changes = Vec::new();
        for id in self.graph.topological() {
            let Some(task) = self.tasks.get(&id).filter(|t| self.in_scope(&t.id)) else {
                continue;
            };
            let culprit = task
                .blocked_by
                .iter()
                .find(|b| effective.get(b).is_some_and(|s| s.blocks_dependents()));
            match (task.status, culprit, &task.blocked_on) {
                (TaskStatus::Pending, Some(b), _) => {
                    let why = self
                        .tasks
                        .get(b)
                        .and_then(|bt| bt.status_reason.clone())
                        .unwrap_or_else(|| "no reason given".into());
                    changes.push(BlockChange::Block {
                        task: id.clone(),
                        on: b.clone(),
                        reason: format!("blocked by {b}: {why}"),
                    });
                    effective.insert(&task.id, TaskStatus::Blocked);
                }
                (TaskStatus::Blocked, None, Some(_)) => {
                    changes.push(BlockChange::Unblock { task: id.clone() });
                    effective.insert(&task.id, TaskStatus::Pending);
                }
                _ => {}
            }
        }
        changes
    }

    /// From `ready`, the tasks that may start now: at most `slots`, none overlapping
    /// the ownership of a task in `occupied` or of one picked before it.
    pub fn pick<'a>(ready: &[&'a Task], occupied: &[&Task], slots: usize) -> Vec<&'a Task> {
        let mut taken: Vec<&Task> = occupied.to_vec();
        let mut picked = Vec::new();
        for t in ready {
            if picked.len() >= slots {
                break;
            }
            if taken.iter().any(|o| o.ownership_overlaps(t)) {
                continue;
            }
            taken.push(t);
            picked.push(*t);
        }
        picked
    }
}

/// Why a pending task in scope does not run: it waits for `outside` (of `project`).
pub(crate) fn outside_scope_reason(outside: &TaskId, project: &str) -> String {
    format!("waits for {outside} (project {project}), which is outside this run's scope")
}

/// A status change implied by blockers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockChange {
    /// Block `task` because `on` is blocked or failed.
    Block {
        /// The task to block.
        task: TaskId,
        /// The blocker responsible.
        on: TaskId,
        /// The reason to record.
        reason: String,
    },
    /// `task` was blocked by a blocker that no longer blocks it.
    Unblock {
        /// The task to return to pending.
        task: TaskId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Priority, Timestamp};

    fn task(id: &str, blocked_by: &[&str]) -> Task {
        let mut t = Task::new(
            TaskId::new(id).expect("valid"),
            id,
            "p",
            format!("repo-{id}"),
        );
        t.blocked_by = blocked_by
            .iter()
            .map(|b| TaskId::new(*b).expect("valid"))
            .collect();
        t
    }

    fn ids(ts: &[&Task]) -> Vec<String> {
        ts.iter().map(|t| t.id.to_string()).collect()
    }

    #[test]
    fn ready_orders_by_priority_then_critical_path_then_age() {
        let mut a = task("a", &[]);
        a.priority = Priority::P1;
        let mut b = task("b", &[]);
        b.priority = Priority::P1;
        let c = task("c", &["b"]);
        let mut d = task("d", &[]);
        d.priority = Priority::P0;
        let mut e = task("e", &[]);
        e.priority = Priority::P1;
        e.created_at = Timestamp(5);
        a.created_at = Timestamp(9);
        let view = BoardView::new(vec![a, b, c, d, e]).expect("acyclic");
        // d is P0; b has the longest chain (b -> c); e is older than a.
        assert_eq!(ids(&view.ready(None)), ["d", "b", "e", "a"]);
    }

    #[test]
    fn a_task_is_ready_only_when_every_blocker_completed_or_was_deleted() {
        let mut a = task("a", &[]);
        a.status = TaskStatus::Completed;
        let mut b = task("b", &[]);
        b.status = TaskStatus::InProgress;
        let mut x = task("x", &[]);
        x.status = TaskStatus::Deleted;
        let c = task("c", &["a", "b"]);
        let d = task("d", &["a", "x"]);
        let view = BoardView::new(vec![a, b, x, c, d]).expect("acyclic");
        assert_eq!(ids(&view.ready(None)), ["d"]);
    }

    #[test]
    fn max_waves_holds_back_later_waves() {
        let view = BoardView::new(vec![task("a", &[]), task("b", &["a"])]).expect("acyclic");
        assert_eq!(view.beyond_wave_limit(Some(1)), 1);
        assert_eq!(ids(&view.ready(Some(1))), ["a"]);
    }

    #[test]
    fn blocking_propagates_down_the_chain_with_the_root_reason() {
        let mut a = task("a", &[]);
        a.status = TaskStatus::Blocked;
        a.status_reason = Some("gave up after 3 attempts".into());
        let view = BoardView::new(vec![a, task("b", &["a"]), task("c", &["b"])]).expect("acyclic");
        let changes = view.block_changes();
        assert_eq!(changes.len(), 2);
        match &changes[1] {
            BlockChange::Block { task, on, reason } => {
                assert_eq!((task.as_str(), on.as_str()), ("c", "b"));
                assert!(reason.contains("blocked by b"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_dependency_block_lifts_when_the_blocker_recovers() {
        let a = task("a", &[]);
        let mut b = task("b", &["a"]);
        b.status = TaskStatus::Blocked;
        b.blocked_on = Some(a.id.clone());
        let mut human = task("h", &["a"]);
        human.status = TaskStatus::Blocked;
        let view = BoardView::new(vec![a, b, human]).expect("acyclic");
        assert_eq!(
            view.block_changes(),
            [BlockChange::Unblock {
                task: TaskId::new("b").expect("valid")
            }]
        );
    }

    #[test]
    fn pick_respects_slots_and_ownership() {
        let mut a = task("a", &[]);
        let mut b = task("b", &[]);
        let mut c = task("c", &[]);
        let mut running = task("r", &[]);
        for t in [&mut a, &mut b, &mut c, &mut running] {
            t.repo = "same".into();
        }
        a.paths = vec!["src".into()];
        b.paths = vec!["src/x.rs".into()];
        c.paths = vec!["docs".into()];
        running.paths = vec!["tests".into()];
        let ready = [&a, &b, &c];
        assert_eq!(ids(&BoardView::pick(&ready, &[&running], 5)), ["a", "c"]);
        assert_eq!(ids(&BoardView::pick(&ready, &[&running], 1)), ["a"]);
        running.paths.clear();
        assert!(BoardView::pick(&ready, &[&running], 5).is_empty());
    }

    #[test]
    fn fires_only_scopes_p0_tasks_and_their_blockers_within_the_chosen_projects() {
        let mut fire = task("fire", &["cause", "other-cause"]);
        fire.priority = crate::model::Priority::P0;
        let cause = task("cause", &["root"]);
        let root = task("root", &[]);
        let mut other = task("other-cause", &[]);
        other.project = "elsewhere".into();
        let after = task("after", &["fire"]);
        let chore = task("chore", &[]);
        let view = BoardView::new(vec![fire, cause, root, other, after, chore]).expect("acyclic");
        let all: Vec<&str> = view.scope.iter().map(TaskId::as_str).collect();
        assert_eq!(all.len(), 6, "unscoped: every task");
        let projects = BTreeSet::from(["p".to_string()]);
        let view = view.scoped(Some(&projects), true);
        let scope: Vec<&str> = view.scope.iter().map(TaskId::as_str).collect();
        assert_eq!(scope, ["cause", "fire", "root"]);
        assert_eq!(ids(&view.ready(None)), ["root"]);
        let waiting = view.waiting_outside_scope();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].0.as_str(), "fire");
        assert!(waiting[0].1.contains("other-cause"), "{}", waiting[0].1);
    }
}
