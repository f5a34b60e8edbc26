//! The task graph: which task waits for which, waves and critical paths.
//!
//! Edges go from a blocker to its dependent. Tasks and edges can be added at any
//! time; an edge that would close a cycle is refused with the tasks on the cycle.

use crate::error::{Error, Result};
use crate::model::{Task, TaskId};
use std::collections::{BTreeMap, BTreeSet};

/// Dependencies between tasks, kept acyclic.
#[derive(Debug, Clone, Default)]
pub struct TaskGraph {
    blockers: BTreeMap<TaskId, BTreeSet<TaskId>>,
    dependents: BTreeMap<TaskId, BTreeSet<TaskId>>,
}

impl TaskGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// The graph of the given tasks and their `blocked_by` edges.
    pub fn from_tasks<'a>(tasks: impl IntoIterator<Item = &'a Task>) -> Result<Self> {
        let tasks: Vec<&Task> = tasks.into_iter().collect();
        let mut g = TaskGraph::new();
        for t in &tasks {
            g.add_task(t.id.clone());
        }
        // Every edge at once and one topological sort (linear), instead of a
        // search per edge; only a board with an unknown blocker or a cycle is
        // built again edge by edge, to name the first one.
        let mut fast = g.clone();
        let known = tasks
            .iter()
            .all(|t| t.blocked_by.iter().all(|b| fast.contains(b)));
        if known {
            for t in &tasks {
                for b in &t.blocked_by {
                    fast.link(b, &t.id);
                }
            }
            if fast.topological().len() == fast.blockers.len() {
                return Ok(fast);
            }
        }
        for t in &tasks {
            for b in &t.blocked_by {
                g.add_dependency(b, &t.id)?;
            }
        }
        Ok(g)
    }

    /// Adds a task with no edges (nothing happens if it is there already).
    pub fn add_task(&mut self, id: TaskId) {
        self.blockers.entry(id.clone()).or_default();
        self.dependents.entry(id).or_default();
    }

    /// Whether the task is in the graph.
    pub fn contains(&self, id: &TaskId) -> bool {
        self.blockers.contains_key(id)
    }

    /// Makes `dependent` wait for `blocker`. Refuses unknown tasks and cycles.
    pub fn add_dependency(&mut self, blocker: &TaskId, dependent: &TaskId) -> Result<()> {
        for id in [blocker, dependent] {
            if !self.contains(id) {
                return Err(Error::UnknownTask(id.clone()));
            }
        }
        if let Some(path) = self.path(dependent, blocker) {
            // dependent -> ... -> blocker, and now blocker -> dependent.
            let mut cycle = path;
            cycle.push(dependent.clone());
            return Err(Error::Cycle { cycle });
        }
        self.link(blocker, dependent);
        Ok(())
    }

    /// Adds the edge without checking it.
    fn link(&mut self, blocker: &TaskId, dependent: &TaskId) {
        self.blockers
            .entry(dependent.clone())
            .or_default()
            .insert(blocker.clone());
        self.dependents
            .entry(blocker.clone())
            .or_default()
            .insert(dependent.clone());
    }

    /// The tasks `id` waits for directly.
    pub fn blockers(&self, id: &TaskId) -> impl Iterator<Item = &TaskId> {
        self.blockers.get(id).into_iter().flatten()
    }

    /// The tasks waiting for `id` directly.
    pub fn dependents(&self, id: &TaskId) -> impl DoubleEndedIterator<Item = &TaskId> {
        self.dependents.get(id).into_iter().flatten()
    }

    /// A path of edges from `from` to `to` (both included), found depth-first in id order.
    fn path(&self, from: &TaskId, to: &TaskId) -> Option<Vec<TaskId>> {
        let mut stack = vec![(from.clone(), vec![from.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            if &node == to {
                return Some(path);
            }
            if !seen.insert(node.clone()) {
                continue;
            }
            for next in self.dependents(&node).rev() {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
        None
    }

    /// Tasks in an order where every blocker comes before its dependents.
    pub fn topological(&self) -> Vec<TaskId> {
        let mut indegree: BTreeMap<&TaskId, usize> =
            self.blockers.iter().map(|(id, b)| (id, b.len())).collect();
        let mut ready: BTreeSet<&TaskId> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(id, _)| *id)
            .collect();
        let mut order = Vec::with_capacity(indegree.len());
        while let Some(id) = ready.pop_first() {
            order.push(id.clone());
            for dep in self.dependents(id) {
                if let Some(d) = indegree.get_mut(dep) {
                    *d -= 1;
                    if *d == 0 {
                        ready.insert(dep);
                    }
                }
            }
        }
        order
    }

    /// Each task's wave: 1 for tasks with no blockers, else one more than its latest blocker.
    /// For display only: execution never waits for a wave.
    pub fn waves(&self) -> BTreeMap<TaskId, u32> {
        let mut wave = BTreeMap::new();
        for id in self.topological() {
            let w = self
                .blockers(&id)
                .filter_map(|b| wave.get(b))
                .max()
                .map_or(1, |w: &u32| w + 1);
            wave.insert(id, w);
        }
        wave
    }

    /// Each task's remaining critical path: the number of tasks on the longest chain
    /// that starts at it (itself included), counting only tasks `remaining` says are not done.
    pub fn critical_paths(&self, remaining: impl Fn(&TaskId) -> bool) -> BTreeMap<TaskId, u32> {
        let mut len = BTreeMap::new();
        for id in self.topological().into_iter().rev() {
            let own = u32::from(remaining(&id));
            let tail = self
                .dependents(&id)
                .filter_map(|d| len.get(d))
                .max()
                .copied()
                .unwrap_or(0);
            len.insert(id, own + tail);
        }
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> TaskId {
        TaskId::new(s).expect("valid id in test")
    }

    fn graph(nodes: &[&str], edges: &[(&str, &str)]) -> TaskGraph {
        let mut g = TaskGraph::new();
        for n in nodes {
            g.add_task(id(n));
        }
        for (a, b) in edges {
            g.add_dependency(&id(a), &id(b)).expect("acyclic in test");
        }
        g
    }

    #[test]
    fn cycle_closing_edge_is_refused_naming_every_task_on_the_cycle() {
        let mut g = graph(&["a", "b", "c", "d"], &[("a", "b"), ("b", "c"), ("c", "d")]);
        let err = g
            .add_dependency(&id("d"), &id("b"))
            .expect_err("closes b->c->d->b");
        match &err {
            Error::Cycle { cycle } => {
                let names: Vec<&str> = cycle.iter().map(TaskId::as_str).collect();
                assert_eq!(names, ["b", "c", "d", "b"]);
            }
            other => panic!("expected a cycle error, got {other}"),
        }
        assert!(err.to_string().contains("b -> c -> d -> b"), "{err}");
        // The refused edge was not added.
        assert_eq!(g.blockers(&id("b")).count(), 1);
    }

    #[test]
    fn self_dependency_is_a_cycle() {
        let mut g = graph(&["a"], &[]);
        assert!(matches!(
            g.add_dependency(&id("a"), &id("a")),
            Err(Error::Cycle { .. })
        ));
    }

    #[test]
    fn dependency_on_an_unknown_task_is_refused() {
        let mut g = graph(&["a"], &[]);
        let err = g
            .add_dependency(&id("ghost"), &id("a"))
            .expect_err("unknown");
        assert!(matches!(err, Error::UnknownTask(ref t) if t.as_str() == "ghost"));
    }

    #[test]
    fn waves_are_one_more_than_the_latest_blocker() {
        let g = graph(
            &["a", "b", "c", "d", "e"],
            &[("a", "b"), ("b", "c"), ("a", "d"), ("d", "c")],
        );
        let w = g.waves();
        assert_eq!(w[&id("a")], 1);
        assert_eq!(w[&id("b")], 2);
        assert_eq!(w[&id("d")], 2);
        assert_eq!(w[&id("c")], 3);
        assert_eq!(w[&id("e")], 1);
    }

    #[test]
    fn critical_path_counts_only_remaining_tasks_on_the_longest_chain() {
        let g = graph(&["a", "b", "c", "x"], &[("a", "b"), ("b", "c"), ("a", "x")]);
        let all = g.critical_paths(|_| true);
        assert_eq!(all[&id("a")], 3);
        assert_eq!(all[&id("x")], 1);
        let without_c = g.critical_paths(|t| t.as_str() != "c");
        assert_eq!(without_c[&id("a")], 2);
    }

    #[test]
    fn edges_can_be_added_after_tasks_and_later_tasks_join() {
        let mut g = graph(&["a"], &[]);
        g.add_task(id("b"));
        g.add_dependency(&id("a"), &id("b")).expect("fine");
        assert_eq!(g.waves()[&id("b")], 2);
        assert_eq!(g.dependents(&id("a")).count(), 1);
    }
}
