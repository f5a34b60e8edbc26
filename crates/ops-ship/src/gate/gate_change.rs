//! The gate-change gate: a task that changes the gate itself (the files the
//! quality-gate command runs, CI workflows, ops' own project configuration) needs
//! the security review, or the user's `--force`, which ships it with the change
//! listed in the verdict (and so in the run's report).

use super::GateBase;
use super::diff::diff_of;
use super::gate_files::{command_paths, gate_role};
use async_trait::async_trait;
use ops_core::Result;
use ops_core::model::{Project, Task};
use ops_core::seams::{GateVerdict, QualityGate, WorkRef};
use std::collections::BTreeMap;

/// Whether a gate-changing change needs the security review or ships under `--force`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GateChangePolicy {
    /// The security review decides (the default).
    #[default]
    Review,
    /// The user ran with `--force`: it passes, the change listed.
    Forced,
}

/// Finds the gate-changing files of a task's change.
#[derive(Debug, Clone)]
pub struct GateChangeGate {
    base: GateBase,
    commands: BTreeMap<String, String>,
    policy: GateChangePolicy,
}

impl GateChangeGate {
    /// Each project's dev branch and quality-gate command, from the registry.
    pub fn from_projects(projects: &[Project], policy: GateChangePolicy) -> Self {
        GateChangeGate {
            base: GateBase::from_projects(projects),
            commands: projects
                .iter()
                .filter_map(|p| Some((p.alias.clone(), p.quality_gate.clone()?)))
                .collect(),
            policy,
        }
    }

    /// Compares with `base` instead.
    pub fn with_base(mut self, base: GateBase) -> Self {
        self.base = base;
        self
    }
}

#[async_trait]
impl QualityGate for GateChangeGate {
    fn name(&self) -> &str {
        "gate-change"
    }

    async fn check(&self, task: &Task, work: &WorkRef) -> Result<GateVerdict> {
        let named = self
            .commands
            .get(&task.project)
            .map(|c| command_paths(c))
            .unwrap_or_default();
        let diff = diff_of(self.name(), &self.base, task, work).await?;
        let changed: Vec<String> = diff
            .files
            .iter()
            .filter_map(|f| Some(format!("{} ({})", f.path, gate_role(&f.path, &named)?)))
            .collect();
        if changed.is_empty() {
            return Ok(GateVerdict::pass(
                "the task changes none of the gate's files, CI workflows or ops' configuration",
            ));
        }
        let list = changed.join(", ");
        Ok(match self.policy {
            GateChangePolicy::Forced => GateVerdict::pass(format!(
                "gate-changing change shipped under --force without the security review: {list}"
            )),
            GateChangePolicy::Review => GateVerdict::pass(format!("gate-changing change: {list}"))
                .requiring_review(format!("it changes the gate: {list}")),
        })
    }
}
