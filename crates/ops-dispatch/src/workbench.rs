//! What every backend does before its agent starts: find the task's project
//! settings, make (or reuse) and lease the worktree, pick the log file and build the
//! allow-listed environment.

use crate::env::EnvPolicy;
use crate::process::DEFAULT_GRACE;
use crate::worktree::{Worktree, WorktreeManager};
use ops_core::seams::Brief;
use ops_core::secret::Redactor;
use ops_core::{Error, ErrorKind, Result};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a dispatcher must know about a project to start agents in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSettings {
    /// The branch task branches are cut from.
    pub dev_branch: String,
}

impl From<&ops_core::model::Project> for ProjectSettings {
    /// The project's own dev branch, else `dev`.
    fn from(project: &ops_core::model::Project) -> Self {
        ProjectSettings {
            dev_branch: project
                .dev_branch
                .clone()
                .unwrap_or_else(|| ProjectSettings::default().dev_branch),
        }
    }
}

impl Default for ProjectSettings {
    fn default() -> Self {
        ProjectSettings {
            dev_branch: "dev".into(),
        }
    }
}

/// Worktrees, project settings, environment and stop grace shared by a dispatcher's agents.
#[derive(Debug, Clone, Default)]
pub struct Workbench {
    /// Makes and leases worktrees.
    pub worktrees: WorktreeManager,
    /// Settings per project alias (`task.project`); a project not listed gets the default.
    pub projects: BTreeMap<String, ProjectSettings>,
    /// Settings for projects not in `projects`.
    pub default_project: ProjectSettings,
    /// Extra environment policy (configured names and values) on top of the runtime's.
    pub env: EnvPolicy,
    /// Time between SIGTERM and SIGKILL when an agent is stopped; `None`: 5 s.
    pub grace: Option<Duration>,
    /// Cleans everything the agents print (the secrets ops knows, token patterns).
    pub redactor: Redactor,
}

/// A prepared attempt: where the agent works and how.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub worktree: Worktree,
    pub log: PathBuf,
    pub brief_file: PathBuf,
    pub env: Vec<(OsString, OsString)>,
    pub redactor: Redactor,
}

impl Workbench {
    /// A workbench over `worktrees` with default settings.
    pub fn new(worktrees: WorktreeManager) -> Self {
        Workbench {
            worktrees,
            ..Workbench::default()
        }
    }

    /// Adds the settings of every project in `projects` (e.g. the registry's).
    pub fn with_projects<'a>(
        mut self,
        projects: impl IntoIterator<Item = &'a ops_core::model::Project>,
    ) -> Self {
        for p in projects {
            self.projects
                .insert(p.alias.clone(), ProjectSettings::from(p));
        }
        self
    }

    /// Redacts agent output with `redactor` (shared: values it learns later count).
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Adds settings for project `alias`.
    pub fn with_project(mut self, alias: impl Into<String>, settings: ProjectSettings) -> Self {
        self.projects.insert(alias.into(), settings);
        self
    }

    pub(crate) fn grace(&self) -> Duration {
        self.grace.unwrap_or(DEFAULT_GRACE)
    }

    /// Prepares the worktree, log and environment for `brief`; `runtime` is the
    /// runtime's own environment policy, merged with the configured one.
    pub(crate) async fn prepare(&self, brief: &Brief, runtime: &EnvPolicy) -> Result<Prepared> {
        let task = &brief.task;
        let settings = self
            .projects
            .get(&task.project)
            .unwrap_or(&self.default_project);
        let mut policy = runtime.clone();
        policy.allow.extend(self.env.allow.iter().cloned());
        policy.prefixes.extend(self.env.prefixes.iter().cloned());
        policy.set.extend(self.env.set.iter().cloned());
        let env = policy.from_current();
        let repo = Path::new(&task.repo);
        let (worktree, log_stem) = match &brief.review {
            Some(review) => (
                self.worktrees
                    .prepare_review(
                        repo,
                        &settings.dev_branch,
                        task.id.as_str(),
                        &brief.branch,
                        &review.head,
                    )
                    .await?,
                "review",
            ),
            None => (
                self.worktrees
                    .prepare(
                        repo,
                        &settings.dev_branch,
                        task.id.as_str(),
                        &brief.branch,
                        &env,
                    )
                    .await?,
                "attempt",
            ),
        };
        let logs = self
            .worktrees
            .root_for(repo)
            .join(".logs")
            .join(task.id.as_str());
        tokio::fs::create_dir_all(&logs).await.map_err(|e| {
            Error::backend(
                "workbench",
                "prepare the agent's log",
                ErrorKind::Fatal,
                format!("cannot create {}: {e}", logs.display()),
            )
        })?;
        let log = logs.join(format!("{log_stem}-{}.log", brief.attempt));
        let brief_file = logs.join(format!("{log_stem}-{}.brief.md", brief.attempt));
        tokio::fs::write(&brief_file, &brief.text)
            .await
            .map_err(|e| {
                Error::backend(
                    "workbench",
                    "write the brief file",
                    ErrorKind::Fatal,
                    format!("cannot write {}: {e}", brief_file.display()),
                )
            })?;
        Ok(Prepared {
            worktree,
            log,
            brief_file,
            env,
            redactor: self.redactor.clone(),
        })
    }
}

/// The message ops commits an agent's leftover changes with.
pub(crate) fn commit_message(brief: &Brief) -> String {
    format!(
        "{} ({}, attempt {})\n\nCommitted by ops on behalf of the agent: changes it left uncommitted.",
        brief.task.title, brief.task.id, brief.attempt
    )
}

/// What every one-shot runtime (Codex, Gemini, Aider) declares: not steerable,
/// activity from its output and worktree writes, no cost report.
pub(crate) const ONE_SHOT: ops_core::seams::DispatcherCapabilities =
    ops_core::seams::DispatcherCapabilities {
        steerable: false,
        reports_cost: false,
        reports_activity: true,
    };

/// How a one-shot runtime is started.
pub(crate) struct OneShot<'a> {
    /// The backend's name, for logs and errors.
    pub backend: &'a str,
    /// Environment prefixes the runtime needs (`OPENAI_`, ...).
    pub prefixes: &'a [&'a str],
    /// The program.
    pub program: &'a str,
    /// Its arguments, given the prepared attempt (e.g. the brief file's path).
    pub args: &'a (dyn Fn(&Prepared) -> Vec<OsString> + Sync),
    /// Whether the brief goes on stdin (else the arguments carry it).
    pub brief_on_stdin: bool,
    /// How to read its output.
    pub protocol: Box<dyn crate::session::Protocol>,
}

impl Workbench {
    /// Prepare the attempt and start a one-shot runtime in it.
    pub(crate) async fn start_one_shot(
        &self,
        brief: &Brief,
        how: OneShot<'_>,
    ) -> Result<Box<dyn ops_core::seams::AgentHandle>> {
        let prepared = self
            .prepare(brief, &EnvPolicy::with_prefixes(how.prefixes))
            .await?;
        let process = crate::process::ProcessSpec {
            program: OsString::from(how.program),
            args: (how.args)(&prepared),
            cwd: prepared.worktree.path.clone(),
            env: prepared.env,
            log: prepared.log,
            keep_stdin: false,
            input: how.brief_on_stdin.then(|| brief.text.clone().into_bytes()),
            run_as: None,
            redactor: prepared.redactor,
        };
        let session = crate::session::Session::start(crate::session::SessionSpec {
            backend: how.backend.into(),
            process,
            protocol: how.protocol,
            encode: None,
            keep_open: false,
            worktree: prepared.worktree,
            commit_message: commit_message(brief),
            grace: self.grace(),
            session_id: None,
        })
        .await?;
        Ok(Box::new(session))
    }
}
