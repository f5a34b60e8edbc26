//! The scheduler's picture of the board, kept in memory and brought up to date
//! one changed task at a time: the graph, the run's scope, the ready set in
//! dispatch order, the tasks in flight, and counts per status. The board stays
//! the durable journal; the run loads it once and then applies what its change
//! feed and its own saves return, so a pass costs what changed, not the board.
//!
//! It decides what [`super::queue::BoardView`] decides over a whole snapshot
//! (ready order, ownership, blocks implied by blockers, scope); the one place
//! that chooses what starts next is [`Schedule::startable`].

use super::queue::{BlockChange, outside_scope_reason};
use crate::graph::TaskGraph;
use crate::model::{
    Lease, Mode, Priority, Task, TaskId, TaskStatus, Timestamp, ownership_overlaps,
};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Dispatch order: priority, then longest remaining critical path, then age, then id.
type ReadyKey = (Priority, Reverse<u32>, Timestamp, TaskId);

/// What the run needs to know about the board, updated incrementally.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    projects: Option<BTreeSet<String>>,
    fires_only: bool,
    max_waves: Option<u32>,
    tasks: HashMap<TaskId, Entry>,
    graph: TaskGraph,
    /// Each task's wave (0 without blockers, else 1 + its latest blocker's).
    waves: HashMap<TaskId, u32>,
    /// Each task's remaining critical path (itself included while not done).
    critical: HashMap<TaskId, u32>,
    scope: HashSet<TaskId>,
    ready: BTreeSet<ReadyKey>,
    ready_key: HashMap<TaskId, ReadyKey>,
    in_flight: BTreeSet<TaskId>,
    /// Tasks in scope whose blockers changed: they may need blocking or unblocking.
    dirty: BTreeSet<TaskId>,
    /// Tasks in scope per status.
    counts: BTreeMap<TaskStatus, usize>,
    /// Whether team consumers of running cross-repo team work are ready early.
    early_team: bool,
}

/// What [`Schedule::update`] reads of the copy a change replaced.
#[derive(Debug)]
struct Was {
    status: TaskStatus,
    blocked_by: BTreeSet<TaskId>,
}

/// What the schedule keeps of a task: what its decisions read. The whole
/// task stays on the board (a claim or a block reads it from there), so a big
/// board is not held twice.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: TaskId,
    pub(crate) revision: u64,
    pub(crate) status: TaskStatus,
    pub(crate) status_reason: Option<String>,
    priority: Priority,
    mode: Mode,
    project: String,
    repo: String,
    paths: Vec<String>,
    blocked_by: BTreeSet<TaskId>,
    blocked_on: Option<TaskId>,
    created_at: Timestamp,
    pub(crate) lease: Option<Lease>,
    /// [`Task::rate_limit`]: the runtime, until when, why.
    rate_limit: Option<Box<(String, Timestamp, String)>>,
}

impl Entry {
    fn of(task: Task) -> Entry {
        let rate_limit = task.rate_limit().map(|(runtime, until, reason)| {
            Box::new((runtime.to_string(), until, reason.to_string()))
        });
        Entry {
            id: task.id,
            revision: task.revision,
            status: task.status,
            status_reason: task.status_reason,
            priority: task.priority,
            mode: task.mode,
            project: task.project,
            repo: task.repo,
            paths: task.paths,
            blocked_by: task.blocked_by,
            blocked_on: task.blocked_on,
            created_at: task.created_at,
            lease: task.lease,
            rate_limit,
        }
    }

    fn overlaps(&self, other: &Entry) -> bool {
        ownership_overlaps((&self.repo, &self.paths), (&other.repo, &other.paths))
    }

    /// The rate or usage limit its last attempt hit, if pending: `(runtime, until, reason)`.
    pub(crate) fn rate_limit(&self) -> Option<(&str, Timestamp, &str)> {
        self.rate_limit
            .as_deref()
            .map(|(runtime, until, reason)| (runtime.as_str(), *until, reason.as_str()))
    }
}

impl Schedule {
    /// An empty picture for a run over `projects` (all if `None`), `fires_only`, `max_waves`.
    pub(crate) fn new(
        projects: Option<BTreeSet<String>>,
        fires_only: bool,
        max_waves: Option<u32>,
    ) -> Self {
        Schedule {
            projects,
            fires_only,
            max_waves,
            ..Schedule::default()
        }
    }

    /// The same picture, with team tasks ready early when `early_team`: a pending
    /// team task whose every unfinished blocker is a team task in another
    /// repository, already in flight (the cross-repo team pattern: the consumer
    /// prepares and hears the blocker's output the moment it lands).
    pub(crate) fn with_early_team(mut self, early_team: bool) -> Self {
        self.early_team = early_team;
        self
    }

    /// Whether `task` is the revision the run knows (a decision taken on the
    /// known one holds for it).
    pub(crate) fn is_current(&self, task: &Task) -> bool {
        self.tasks
            .get(&task.id)
            .is_some_and(|known| known.revision == task.revision)
    }

    /// Whether `id` is in the run's scope.
    pub(crate) fn in_scope(&self, id: &TaskId) -> bool {
        self.scope.contains(id)
    }

    /// Tasks in flight on the board (any worker, any scope).
    pub(crate) fn in_flight(&self) -> impl Iterator<Item = &Entry> {
        self.in_flight.iter().filter_map(|id| self.tasks.get(id))
    }

    /// Takes in tasks as the board now holds them (inserted or saved); a copy
    /// as old as the one known, or older, is ignored.
    pub(crate) fn apply(&mut self, tasks: impl IntoIterator<Item = Task>) {
        // What `update` needs of each replaced copy (not the copy: a task is
        // large, and the first read of a big board replaces nothing).
        let mut changed: Vec<(TaskId, Option<Was>)> = Vec::new();
        // A batch may hold several versions of one task (the run's own writes):
        // it changed once, from the copy known before the batch.
        let mut seen: HashSet<TaskId> = HashSet::new();
        for task in tasks {
            if self
                .tasks
                .get(&task.id)
                .is_some_and(|known| known.revision >= task.revision)
            {
                continue;
            }
            let id = task.id.clone();
            self.graph.add_task(id.clone());
            let was = self.tasks.insert(id.clone(), Entry::of(task)).map(|o| Was {
                status: o.status,
                blocked_by: o.blocked_by,
            });
            if seen.insert(id.clone()) {
                changed.push((id, was));
            }
        }
        // Nodes first, then edges: a batch may name a blocker after its dependent.
        for (id, was) in changed {
            self.update(&id, was.as_ref());
        }
    }

    /// Replaces the copy of one task, keeping its revision (a lease renewed
    /// without a new revision).
    pub(crate) fn refresh(&mut self, task: Task) {
        if let Some(known) = self.tasks.get_mut(&task.id)
            && known.revision == task.revision
        {
            *known = Entry::of(task);
        } else {
            self.apply([task]);
        }
    }

    /// Brings everything derived from `id` up to date after it changed from `old`.
    fn update(&mut self, id: &TaskId, old: Option<&Was>) {
        let Some(task) = self.tasks.get(id) else {
            return;
        };
        let status = task.status;
        let old_status = old.map(|o| o.status);
        let edges_changed = old.is_none_or(|o| o.blocked_by != task.blocked_by);
        let joins = self.in_projects(task) && (!self.fires_only || task.priority == Priority::P0);
        if edges_changed {
            let blockers: Vec<TaskId> = task.blocked_by.iter().cloned().collect();
            for b in &blockers {
                // The board refused cycles and unknown blockers; an edge it let
                // through that the graph refuses anyway is left out.
                let _ = self.graph.add_dependency(b, id);
            }
            if self.in_scope(id) {
                for b in &blockers {
                    self.join(b);
                }
            }
            self.update_waves(id);
        }
        if self.in_scope(id) {
            if let Some(s) = old_status {
                self.count(s, -1);
            }
            self.count(status, 1);
        }
        if joins {
            self.join(id);
        }
        if status.is_in_flight() {
            self.in_flight.insert(id.clone());
        } else {
            self.in_flight.remove(id);
        }
        let done_changed =
            old_status.map(TaskStatus::satisfies_dependents) != Some(status.satisfies_dependents());
        if edges_changed || done_changed || old_status.is_none() {
            self.update_critical(id);
        }
        self.dirty.insert(id.clone());
        if old_status != Some(status) {
            let dependents: Vec<TaskId> = self.graph.dependents(id).cloned().collect();
            for d in dependents {
                self.dirty.insert(d.clone());
                self.update_ready(&d);
            }
        }
        self.update_ready(id);
    }

    fn in_projects(&self, task: &Entry) -> bool {
        self.projects
            .as_ref()
            .is_none_or(|p| p.contains(&task.project))
    }

    fn count(&mut self, status: TaskStatus, by: isize) {
        let n = self.counts.entry(status).or_default();
        *n = n.saturating_add_signed(by);
    }

    /// Puts `id` in the scope, and with `fires_only` its blockers, transitively
    /// (within the run's projects).
    fn join(&mut self, id: &TaskId) {
        let mut todo = vec![id.clone()];
        while let Some(id) = todo.pop() {
            let Some(task) = self.tasks.get(&id) else {
                continue;
            };
            if !self.in_projects(task) || self.scope.contains(&id) {
                continue;
            }
            let status = task.status;
            if self.fires_only {
                todo.extend(task.blocked_by.iter().cloned());
            }
            self.scope.insert(id.clone());
            self.count(status, 1);
            self.dirty.insert(id.clone());
            self.update_ready(&id);
        }
    }

    fn update_waves(&mut self, id: &TaskId) {
        let mut todo = vec![id.clone()];
        while let Some(id) = todo.pop() {
            let wave = self
                .graph
                .blockers(&id)
                .filter_map(|b| self.waves.get(b))
                .max()
                .map_or(0, |w| w + 1);
            if self.waves.insert(id.clone(), wave) != Some(wave) {
                todo.extend(self.graph.dependents(&id).cloned());
                self.update_ready(&id);
            }
        }
    }

    /// Recomputes the remaining critical path of `id` and, where it changed, of
    /// its blockers, up to completed tasks (whose blockers are completed too).
    fn update_critical(&mut self, id: &TaskId) {
        let mut todo = vec![id.clone()];
        while let Some(id) = todo.pop() {
            let Some(task) = self.tasks.get(&id) else {
                continue;
            };
            let own = u32::from(!task.status.satisfies_dependents());
            let tail = self
                .graph
                .dependents(&id)
                .filter_map(|d| self.critical.get(d))
                .max()
                .copied()
                .unwrap_or(0);
            let completed = task.status == TaskStatus::Completed;
            if self.critical.insert(id.clone(), own + tail) != Some(own + tail) {
                self.update_ready(&id);
                if !completed {
                    todo.extend(self.graph.blockers(&id).cloned());
                }
            }
        }
    }

    /// Whether `id` may be dispatched as far as the board goes: pending, in
    /// scope, every blocker completed or deleted, within `max_waves`.
    fn is_ready(&self, id: &TaskId) -> bool {
        let Some(task) = self.tasks.get(id) else {
            return false;
        };
        let early = |b: &Entry| {
            self.early_team
                && task.mode == Mode::Team
                && b.mode == Mode::Team
                && b.repo != task.repo
                && b.status.is_in_flight()
        };
        task.status == TaskStatus::Pending
            && self.in_scope(id)
            && self.within_waves(id)
            && task.blocked_by.iter().all(|b| {
                self.tasks
                    .get(b)
                    .is_none_or(|t| t.status.satisfies_dependents() || early(t))
            })
    }

    fn within_waves(&self, id: &TaskId) -> bool {
        self.max_waves
            .is_none_or(|m| self.waves.get(id).is_some_and(|w| *w < m))
    }

    fn update_ready(&mut self, id: &TaskId) {
        if let Some(key) = self.ready_key.remove(id) {
            self.ready.remove(&key);
        }
        if self.is_ready(id)
            && let Some(task) = self.tasks.get(id)
        {
            let key = (
                task.priority,
                Reverse(self.critical.get(id).copied().unwrap_or(0)),
                task.created_at,
                id.clone(),
            );
            self.ready.insert(key.clone());
            self.ready_key.insert(id.clone(), key);
        }
    }

    /// Whether some task is ready (running here or not).
    pub(crate) fn any_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The tasks to start now, in dispatch order: ready ones that `busy` does not
    /// exclude (a pipeline of it still runs here), at most `slots`, none
    /// overlapping the ownership of a task in flight or of one picked before it.
    /// This is the one place that chooses what starts.
    pub(crate) fn startable(&self, slots: usize, busy: impl Fn(&TaskId) -> bool) -> Vec<TaskId> {
        let mut picked: Vec<&Entry> = Vec::new();
        for (.., id) in &self.ready {
            if picked.len() >= slots {
                break;
            }
            let Some(task) = self.tasks.get(id) else {
                continue;
            };
            if busy(id)
                || self.in_flight().any(|o| o.overlaps(task))
                || picked.iter().any(|o| o.overlaps(task))
            {
                continue;
            }
            picked.push(task);
        }
        picked.into_iter().map(|t| t.id.clone()).collect()
    }

    /// The status changes blockers now imply among the tasks whose blockers
    /// changed since the last call: a pending task whose blocker is blocked or
    /// failed becomes blocked; a task blocked that way returns to pending once no
    /// blocker blocks it. Applying them makes their dependents due in turn.
    pub(crate) fn block_changes(&mut self) -> Vec<BlockChange> {
        let dirty = std::mem::take(&mut self.dirty);
        let mut changes = Vec::new();
        for id in dirty {
            let Some(task) = self.tasks.get(&id).filter(|t| self.in_scope(&t.id)) else {
                continue;
            };
            let culprit = task.blocked_by.iter().find(|b| {
                self.tasks
                    .get(*b)
                    .is_some_and(|t| t.status.blocks_dependents())
            });
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
                }
                (TaskStatus::Blocked, None, Some(_)) => {
                    changes.push(BlockChange::Unblock { task: id.clone() });
                }
                _ => {}
            }
        }
        changes
    }

    /// How many tasks in scope have a status that `pick` accepts.
    fn scoped(&self, pick: impl Fn(TaskStatus) -> bool) -> usize {
        self.counts
            .iter()
            .filter(|(s, _)| pick(**s))
            .map(|(_, n)| *n)
            .sum()
    }

    /// Whether every task in scope is completed, deleted, blocked or failed.
    pub(crate) fn all_settled(&self) -> bool {
        self.scoped(|s| !s.is_settled()) == 0
    }

    /// Whether a task in scope is blocked or failed.
    pub(crate) fn any_blocking(&self) -> bool {
        self.scoped(TaskStatus::blocks_dependents) > 0
    }

    /// Whether a task in scope is in flight.
    pub(crate) fn any_in_flight_in_scope(&self) -> bool {
        self.scoped(TaskStatus::is_in_flight) > 0
    }

    fn scoped_pending(&self) -> impl Iterator<Item = &Entry> {
        self.scope
            .iter()
            .filter_map(|id| self.tasks.get(id))
            .filter(|t| t.status == TaskStatus::Pending)
    }

    /// Whether a pending task in scope is held back only by `max_waves`
    /// (a scan of the pending tasks: asked only when nothing else can run).
    pub(crate) fn any_beyond_wave_limit(&self) -> bool {
        self.max_waves.is_some() && self.scoped_pending().any(|t| !self.within_waves(&t.id))
    }

    /// The unfinished blocker outside the scope that pending `t` waits for, if any.
    fn outside_blocker<'t>(&self, t: &'t Entry) -> Option<&'t TaskId> {
        t.blocked_by.iter().find(|b| {
            !self.in_scope(b)
                && self
                    .tasks
                    .get(*b)
                    .is_some_and(|s| !s.status.satisfies_dependents())
        })
    }

    /// Whether a pending task in scope waits for an unfinished task outside it
    /// (a scan of the pending tasks: asked only when nothing else can run).
    pub(crate) fn any_waiting_outside_scope(&self) -> bool {
        self.scoped_pending()
            .any(|t| self.outside_blocker(t).is_some())
    }

    /// The pending tasks in scope that wait for a task outside it, by id, with
    /// the reason (for the final report).
    pub(crate) fn waiting_outside_scope(&self) -> Vec<(TaskId, String)> {
        let mut waiting: Vec<(TaskId, String)> = self
            .scoped_pending()
            .filter_map(|t| {
                let outside = self.outside_blocker(t)?;
                let project = self.tasks.get(outside).map_or("", |o| o.project.as_str());
                Some((t.id.clone(), outside_scope_reason(outside, project)))
            })
            .collect();
        waiting.sort();
        waiting
    }

    /// The tasks in scope, by id (for the final report).
    pub(crate) fn scoped_tasks(&self) -> impl Iterator<Item = &Entry> {
        let mut ids: Vec<&TaskId> = self.scope.iter().collect();
        ids.sort();
        ids.into_iter().filter_map(|id| self.tasks.get(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::queue::BoardView;

    fn task(id: &str, blocked_by: &[&str]) -> Task {
        let mut t = Task::new(TaskId::new(id).expect("valid"), id, "p", format!("r-{id}"));
        t.blocked_by = blocked_by
            .iter()
            .map(|b| TaskId::new(*b).expect("valid"))
            .collect();
        t.revision = 1;
        t
    }

    fn ids(ts: &[TaskId]) -> Vec<String> {
        ts.iter().map(ToString::to_string).collect()
    }

    fn snapshot_order(tasks: &[Task]) -> Vec<String> {
        let view = BoardView::new(tasks.to_vec()).expect("acyclic");
        view.ready(None).iter().map(|t| t.id.to_string()).collect()
    }

    #[test]
    fn the_ready_order_matches_the_snapshot_order_whatever_order_tasks_arrive_in() {
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
        let all = vec![a, b, c, d, e];
        let mut reversed = all.clone();
        reversed.reverse();
        for arrival in [all.clone(), reversed] {
            let mut s = Schedule::default();
            s.apply(arrival);
            assert_eq!(ids(&s.startable(10, |_| false)), snapshot_order(&all));
        }
    }

    #[test]
    fn a_completed_blocker_makes_its_dependent_ready_and_a_failed_one_blocks_it() {
        let mut s = Schedule::default();
        s.apply([task("a", &[]), task("b", &["a"]), task("c", &["b"])]);
        assert_eq!(ids(&s.startable(5, |_| false)), ["a"]);
        let mut a = task("a", &[]);
        a.status = TaskStatus::Failed;
        a.status_reason = Some("gave up".into());
        a.revision = 2;
        let _ = s.block_changes();
        s.apply([a.clone()]);
        let changes = s.block_changes();
        assert!(
            matches!(&changes[..], [BlockChange::Block { task, reason, .. }]
                if task.as_str() == "b" && reason.contains("gave up")),
            "{changes:?}"
        );
        a.status = TaskStatus::Completed;
        a.revision = 3;
        s.apply([a]);
        assert_eq!(ids(&s.startable(5, |_| false)), ["b"]);
        assert!(!s.all_settled());
    }

    #[test]
    fn several_versions_of_a_task_in_one_batch_count_it_once() {
        let mut s = Schedule::default();
        s.apply([task("a", &[])]);
        let at = |status: TaskStatus, revision: u64| {
            let mut a = task("a", &[]);
            a.status = status;
            a.revision = revision;
            a
        };
        // The run's own writes arrive together: claimed, then auditing.
        s.apply([at(TaskStatus::InProgress, 2), at(TaskStatus::Auditing, 3)]);
        assert!(s.any_in_flight_in_scope());
        s.apply([at(TaskStatus::Completed, 4)]);
        assert!(
            s.all_settled(),
            "a completed task leaves nothing unsettled behind"
        );
    }

    #[test]
    fn fires_only_takes_in_a_fire_added_later_with_its_blockers() {
        let mut s = Schedule::new(None, true, None);
        s.apply([task("root", &[]), task("chore", &[])]);
        assert!(s.all_settled(), "nothing in scope yet");
        let mut fire = task("fire", &["root"]);
        fire.priority = Priority::P0;
        s.apply([fire]);
        assert_eq!(ids(&s.startable(5, |_| false)), ["root"]);
        assert!(!s.in_scope(&TaskId::new("chore").expect("id")));
    }
}
