//! The task graph: which task waits for which, waves and critical paths.
//!
//! Edges go from a blocker to its dependent. Tasks and edges can be added at any
//! time; an edge that would close a cycle is refused with the tasks on the cycle.
//!
//! The one module that knows petgraph: the edges live in an
//! [`Acyclic`]`<`[`StableDiGraph`]`>`, which keeps a topological order up to
//! date as edges arrive (Pearce–Kelly) and refuses a cycle-closing edge at
//! insert time; a map from [`TaskId`] to its node and back sits beside it.

use crate::error::{Error, Result};
use crate::model::{Task, TaskId};
use petgraph::Direction::{self, Incoming, Outgoing};
use petgraph::acyclic::{Acyclic, AcyclicEdgeError};
use petgraph::data::Build;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

type Dag = Acyclic<StableDiGraph<(), ()>>;

/// Dependencies between tasks, kept acyclic.
#[derive(Debug, Default)]
pub struct TaskGraph {
    /// The edges, between node indices. Behind a lock only because `Acyclic`
    /// keeps its search space in a `RefCell` (so it is not `Sync`, and the
    /// graph is shared across an engine's awaits): a change (`&mut self`)
    /// takes no lock, a read an uncontended one.
    dag: Mutex<Dag>,
    /// Each node's task, by node index (nodes are never removed).
    ids: Vec<TaskId>,
    index: HashMap<TaskId, NodeIndex>,
}

impl Clone for TaskGraph {
    fn clone(&self) -> Self {
        TaskGraph {
            dag: Mutex::new(self.dag().clone()),
            ids: self.ids.clone(),
            index: self.index.clone(),
        }
    }
}

impl TaskGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// The graph of the given tasks and their `blocked_by` edges.
    pub fn from_tasks<'a>(tasks: impl IntoIterator<Item = &'a Task>) -> Result<Self> {
        let tasks: Vec<&Task> = tasks.into_iter().collect();
        // Every edge at once and one topological sort (linear), instead of a
        // check per edge; only a board with an unknown blocker or a cycle is
        // built again edge by edge, to name the first one.
        let mut inner = StableDiGraph::with_capacity(tasks.len(), 0);
        let mut ids = Vec::with_capacity(tasks.len());
        let mut index = HashMap::with_capacity(tasks.len());
        for t in &tasks {
            index.entry(t.id.clone()).or_insert_with(|| {
                ids.push(t.id.clone());
                inner.add_node(())
            });
        }
        let mut known = true;
        'edges: for t in &tasks {
            let dependent = index[&t.id];
            for b in &t.blocked_by {
                let Some(&blocker) = index.get(b) else {
                    known = false;
                    break 'edges;
                };
                inner.update_edge(blocker, dependent, ());
            }
        }
        if known && let Ok(dag) = Acyclic::try_from_graph(inner) {
            return Ok(TaskGraph {
                dag: Mutex::new(dag),
                ids,
                index,
            });
        }
        let mut g = TaskGraph::new();
        for t in &tasks {
            g.add_task(t.id.clone());
        }
        for t in &tasks {
            for b in &t.blocked_by {
                g.add_dependency(b, &t.id)?;
            }
        }
        Ok(g)
    }

    fn dag(&self) -> MutexGuard<'_, Dag> {
        self.dag.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn dag_mut(&mut self) -> &mut Dag {
        self.dag.get_mut().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a task with no edges (nothing happens if it is there already).
    pub fn add_task(&mut self, id: TaskId) {
        if !self.index.contains_key(&id) {
            let ix = self.dag_mut().add_node(());
            self.ids.push(id.clone());
            self.index.insert(id, ix);
        }
    }

    /// Whether the task is in the graph.
    pub fn contains(&self, id: &TaskId) -> bool {
        self.index.contains_key(id)
    }

    fn node(&self, id: &TaskId) -> Result<NodeIndex> {
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| Error::UnknownTask(id.clone()))
    }

    fn id(&self, ix: NodeIndex) -> Option<&TaskId> {
        self.ids.get(ix.index())
    }

    /// Makes `dependent` wait for `blocker`. Refuses unknown tasks and cycles.
    pub fn add_dependency(&mut self, blocker: &TaskId, dependent: &TaskId) -> Result<()> {
        let (from, to) = (self.node(blocker)?, self.node(dependent)?);
        let dag = self.dag_mut();
        if dag.find_edge(from, to).is_some() {
            return Ok(());
        }
        match dag.try_add_edge(from, to, ()) {
            Ok(_) => Ok(()),
            Err(AcyclicEdgeError::Cycle(_) | AcyclicEdgeError::SelfLoop) => {
                // dependent -> ... -> blocker, and now blocker -> dependent.
                let mut cycle = self.path(dependent, blocker).unwrap_or_default();
                cycle.push(dependent.clone());
                Err(Error::Cycle { cycle })
            }
            Err(AcyclicEdgeError::InvalidEdge) => Err(Error::UnknownTask(dependent.clone())),
        }
    }

    /// The tasks `id` waits for directly, in no particular order.
    pub fn blockers(&self, id: &TaskId) -> impl Iterator<Item = &TaskId> {
        self.neighbors(id, Incoming)
    }

    /// The tasks waiting for `id` directly, in no particular order.
    pub fn dependents(&self, id: &TaskId) -> impl Iterator<Item = &TaskId> {
        self.neighbors(id, Outgoing)
    }

    fn neighbors(&self, id: &TaskId, direction: Direction) -> impl Iterator<Item = &TaskId> {
        let nodes: Vec<NodeIndex> = self.index.get(id).map_or_else(Vec::new, |ix| {
            self.dag().neighbors_directed(*ix, direction).collect()
        });
        nodes.into_iter().filter_map(|n| self.id(n))
    }

    /// A path of edges from `from` to `to` (both included), found depth-first
    /// in id order (to name a cycle: on no hot path).
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
            let mut next: Vec<&TaskId> = self.dependents(&node).collect();
            next.sort();
            for n in next.into_iter().rev() {
                let mut p = path.clone();
                p.push(n.clone());
                stack.push((n.clone(), p));
            }
        }
        None
    }

    /// Tasks in an order where every blocker comes before its dependents, and
    /// among the tasks free to go next the smallest id first (a stable order
    /// for what is shown or inserted in it).
    pub fn topological(&self) -> Vec<TaskId> {
        let dag = self.dag();
        let mut indegree: HashMap<NodeIndex, usize> = dag
            .node_indices()
            .map(|ix| (ix, dag.neighbors_directed(ix, Incoming).count()))
            .collect();
        let mut ready: BTreeSet<(&TaskId, NodeIndex)> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .filter_map(|(ix, _)| Some((self.id(*ix)?, *ix)))
            .collect();
        let mut order = Vec::with_capacity(indegree.len());
        while let Some((id, ix)) = ready.pop_first() {
            order.push(id.clone());
            for dep in dag.neighbors_directed(ix, Outgoing) {
                if let Some(d) = indegree.get_mut(&dep) {
                    *d -= 1;
                    if *d == 0
                        && let Some(w) = self.id(dep)
                    {
                        ready.insert((w, dep));
                    }
                }
            }
        }
        order
    }

    /// Each task's wave, numbered from 0 as in the seed: 0 for tasks with no
    /// blockers, else one more than its latest blocker.
    /// For display only: execution never waits for a wave.
    pub fn waves(&self) -> BTreeMap<TaskId, u32> {
        let dag = self.dag();
        let mut wave = vec![0u32; self.ids.len()];
        // The order the graph keeps: every blocker before its dependents.
        for ix in dag.nodes_iter() {
            let w = dag
                .neighbors_directed(ix, Incoming)
                .filter_map(|b| wave.get(b.index()))
                .max()
                .map_or(0, |w| w + 1);
            if let Some(slot) = wave.get_mut(ix.index()) {
                *slot = w;
            }
        }
        self.ids.iter().cloned().zip(wave).collect()
    }

    /// Each task's remaining critical path: the number of tasks on the longest chain
    /// that starts at it (itself included), counting only tasks `remaining` says are not done.
    pub fn critical_paths(&self, remaining: impl Fn(&TaskId) -> bool) -> BTreeMap<TaskId, u32> {
        let dag = self.dag();
        let order: Vec<NodeIndex> = dag.nodes_iter().collect();
        let mut len = vec![0u32; self.ids.len()];
        for ix in order.into_iter().rev() {
            let own = self.id(ix).map_or(0, |id| u32::from(remaining(id)));
            let tail = dag
                .neighbors_directed(ix, Outgoing)
                .filter_map(|d| len.get(d.index()))
                .max()
                .copied()
                .unwrap_or(0);
            if let Some(slot) = len.get_mut(ix.index()) {
                *slot = own + tail;
            }
        }
        self.ids.iter().cloned().zip(len).collect()
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
    fn waves_are_numbered_from_zero_and_one_more_than_the_latest_blocker() {
        let g = graph(
            &["a", "b", "c", "d", "e"],
            &[("a", "b"), ("b", "c"), ("a", "d"), ("d", "c")],
        );
        let w = g.waves();
        assert_eq!(w[&id("a")], 0);
        assert_eq!(w[&id("b")], 1);
        assert_eq!(w[&id("d")], 1);
        assert_eq!(w[&id("c")], 2);
        assert_eq!(w[&id("e")], 0);
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
        assert_eq!(g.waves()[&id("b")], 1);
        assert_eq!(g.dependents(&id("a")).count(), 1);
    }
}
