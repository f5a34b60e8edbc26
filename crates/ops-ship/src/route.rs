//! One [`Shipper`] for an engine that serves many projects: each project ships
//! through its own backend (GitHub or local git, chosen by [`ship_kind`]), and a
//! change goes back to the backend that opened it.

use crate::github::{GitHubProject, GitHubShipConfig, GitHubShipper, GitHubToken, NewIssueProbe};
use crate::local::{LocalShipConfig, LocalShipper};
use async_trait::async_trait;
use ops_core::model::{Project, ShipKind, Task};
use ops_core::seams::{
    ChangeRef, ChecksState, FollowUp, MergeOutcome, PromoteOutcome, Shipper, ShipperCapabilities,
    WorkRef,
};
use ops_core::{Error, ErrorKind, Result};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// How `project` ships: its `ship` setting, else GitHub when it names GitHub
/// repositories (`owner/name`) and a token resolved, else local git (DESIGN's default).
pub fn ship_kind(project: &Project, token_resolved: bool) -> ShipKind {
    project
        .ship
        .unwrap_or(if token_resolved && !project.repos.is_empty() {
            ShipKind::Github
        } else {
            ShipKind::Local
        })
}

/// Routes each call to the shipper of the task's (or change's) project.
#[derive(Default)]
pub struct ProjectShippers {
    by_project: BTreeMap<String, Arc<dyn Shipper>>,
    opened: Mutex<BTreeMap<String, Arc<dyn Shipper>>>,
}

impl std::fmt::Debug for ProjectShippers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: BTreeMap<&str, &str> = self
            .by_project
            .iter()
            .map(|(p, s)| (p.as_str(), s.name()))
            .collect();
        f.debug_struct("ProjectShippers")
            .field("by_project", &names)
            .finish()
    }
}

impl ProjectShippers {
    /// Project `alias` ships through `shipper`.
    pub fn with(mut self, alias: impl Into<String>, shipper: Arc<dyn Shipper>) -> Self {
        self.by_project.insert(alias.into(), shipper);
        self
    }

    /// The backends for `projects`: GitHub for those [`ship_kind`] says (when a
    /// token is given), local git for the rest. `promote` is `!--no-main`. With
    /// `probe`, the GitHub shipper checks for new errors after each merge (see
    /// [`GitHubShipper::with_probe`]).
    pub fn for_projects(
        projects: &[Project],
        token: Option<GitHubToken>,
        github: GitHubShipConfig,
        local: LocalShipConfig,
        probe: Option<Arc<dyn NewIssueProbe>>,
    ) -> Self {
        let (gh, loc): (Vec<&Project>, Vec<&Project>) = projects
            .iter()
            .partition(|p| token.is_some() && ship_kind(p, true) == ShipKind::Github);
        let mut out = ProjectShippers::default();
        if let Some(token) = token
            && !gh.is_empty()
        {
            let mut shipper = GitHubShipper::new(
                gh.iter().map(|p| GitHubProject::from_project(p)).collect(),
                token,
                github,
            );
            if let Some(probe) = probe {
                shipper = shipper.with_probe(probe);
            }
            let shipper: Arc<dyn Shipper> = Arc::new(shipper);
            for p in &gh {
                out.by_project.insert(p.alias.clone(), shipper.clone());
            }
        }
        if !loc.is_empty() {
            let owned: Vec<Project> = loc.iter().map(|p| (*p).clone()).collect();
            let shipper: Arc<dyn Shipper> = Arc::new(LocalShipper::new(&owned, local));
            for p in &loc {
                out.by_project.insert(p.alias.clone(), shipper.clone());
            }
        }
        out
    }

    /// The backend name of `alias`'s shipper, if it has one.
    pub fn backend_of(&self, alias: &str) -> Option<&str> {
        self.by_project.get(alias).map(|s| s.name())
    }

    fn of_project(&self, alias: &str) -> Result<&Arc<dyn Shipper>> {
        self.by_project.get(alias).ok_or_else(|| {
            Error::backend(
                "by-project",
                "choose a shipper",
                ErrorKind::Invalid,
                format!("project {alias} has no shipper configured"),
            )
        })
    }

    fn of_change(&self, change: &ChangeRef) -> Result<Arc<dyn Shipper>> {
        self.opened
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&change.id)
            .cloned()
            .ok_or_else(|| {
                Error::backend(
                    "by-project",
                    "find the change",
                    ErrorKind::NotFound,
                    format!("no change {} was opened here", change.id),
                )
            })
    }
}

#[async_trait]
impl Shipper for ProjectShippers {
    fn name(&self) -> &str {
        "by-project"
    }

    fn capabilities(&self) -> ShipperCapabilities {
        let all = self.by_project.values().map(|s| s.capabilities());
        all.fold(ShipperCapabilities::default(), |a, c| ShipperCapabilities {
            opens_pull_requests: a.opens_pull_requests || c.opens_pull_requests,
            promotes: a.promotes || c.promotes,
        })
    }

    async fn open_change(&self, task: &Task, work: &WorkRef) -> Result<ChangeRef> {
        let shipper = self.of_project(&task.project)?.clone();
        let change = shipper.open_change(task, work).await?;
        self.opened
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(change.id.clone(), shipper);
        Ok(change)
    }

    async fn checks(&self, change: &ChangeRef) -> Result<ChecksState> {
        self.of_change(change)?.checks(change).await
    }

    async fn merge(&self, change: &ChangeRef) -> Result<MergeOutcome> {
        self.of_change(change)?.merge(change).await
    }

    async fn promote(&self, project: &str, repo: &str) -> Result<PromoteOutcome> {
        let shipper = self.of_project(project)?;
        if !shipper.capabilities().promotes {
            return Ok(PromoteOutcome::Skipped {
                reason: "promotion to main is turned off (--no-main)".into(),
            });
        }
        shipper.promote(project, repo).await
    }

    async fn verify(&self, task: &Task, merged: &str) -> Result<Vec<FollowUp>> {
        self.of_project(&task.project)?.verify(task, merged).await
    }
}
