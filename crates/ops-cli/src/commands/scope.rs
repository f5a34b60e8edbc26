//! What a command works on: the registry (when there is one), the audit
//! context (SCOPED or GLOBAL), claude-ops' side files, and the `--todo` texts
//! assigned to projects.

use crate::cli::GlobalArgs;
use crate::exit::CliError;
use ops_core::Error;
use ops_core::config::{
    Context, DaemonHealth, Env, HealthReport, Preferences, Registry, Settings, Topic,
    active_topics, claude_ops_dir, github_slug, locate_registry,
};
use ops_core::model::Timestamp;
use ops_sources::SecretResolver;

/// Everything a command needs to know about where it runs.
pub struct Scope {
    /// SCOPED or GLOBAL, and the projects.
    pub context: Context,
    /// claude-ops' active topics.
    pub topics: Vec<Topic>,
    /// What `daemon-health.json` says (empty when healthy or absent); an
    /// unreadable file is one warning. Advice only: nothing refuses to run on it.
    pub health: HealthReport,
    /// The settings file (every default when there is none).
    pub settings: Settings,
    /// claude-ops' preferences say merges need no confirmation (`yolo_enabled`).
    pub yolo: bool,
    /// Finds the tokens the settings name; one per command, so the audit and the
    /// shippers of a run look each token up once.
    pub secrets: SecretResolver,
}

/// Resolve the scope from the flags, the environment and the working directory.
pub fn load(global: &GlobalArgs, project: Option<&str>) -> Result<Scope, CliError> {
    let env = Env::from_process();
    let home = env.home();
    let settings = Settings::load(&env)?;
    let (registry, not_found) = match locate_registry(global.registry.as_deref(), &env) {
        Ok(path) => (Some(Registry::load(&path, home.as_deref())?), None),
        Err(e @ Error::RegistryNotFound { .. }) => (None, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let cwd = std::env::current_dir().map_err(|source| CliError::Io {
        what: "read the working directory",
        path: ".".into(),
        source,
    })?;
    let mut context = Context::resolve(
        &cwd,
        home.as_deref(),
        project,
        registry.as_ref(),
        move || not_found.unwrap_or(Error::RegistryNotFound { looked: Vec::new() }),
    )?;
    github_repos_from_origin(&mut context.projects);
    let side = claude_ops_dir(&env, registry.as_ref().map(|r| r.path.as_path()));
    let (mut topics, mut health, mut yolo) = (Vec::new(), HealthReport::default(), false);
    if let Some(dir) = side {
        // Read now so a malformed file is reported early; `ops run` uses it.
        yolo = Preferences::load(&dir.join("preferences.json"))?.is_some_and(|p| p.yolo_enabled);
        topics = active_topics(&dir.join("memories").join("topics_active.md"))?;
        match DaemonHealth::load(&dir.join("daemon-health.json")) {
            Ok(Some(read)) => health = read.report(Timestamp::now()),
            Ok(None) => {}
            Err(e) => health
                .warnings
                .push(format!("cannot tell claude-ops' daemon health: {e}")),
        }
    }
    Ok(Scope {
        context,
        topics,
        health,
        secrets: SecretResolver::new(&settings)
            .with_redactor(ops_core::secret::Redactor::from_process_env()),
        settings,
        yolo,
    })
}

/// A project with one checkout and no `repos` gets its GitHub repository from
/// the checkout's `origin` remote (so a plain clone needs no configuration).
/// With several checkouts the pairing of paths and repositories would be a
/// guess: those name their `repos` in the registry.
pub fn github_repos_from_origin(projects: &mut [ops_core::model::Project]) {
    for project in projects {
        if let ([path], true) = (project.paths.as_slice(), project.repos.is_empty())
            && let Some(slug) = ops_sources::git::origin_url(path)
                .as_deref()
                .and_then(github_slug)
        {
            project.repos.push(slug);
        }
    }
}

/// Assign each `--todo` text to a project: `ALIAS: text` names it; otherwise
/// the one project in scope gets it; with several projects in scope and no
/// alias, that is an error listing the aliases.
pub fn assign_todos(
    todos: &[String],
    context: &Context,
) -> Result<Vec<(String, String)>, CliError> {
    todos
        .iter()
        .map(|text| {
            if let Some((alias, rest)) = text.split_once(':')
                && let Some(project) = context.projects.iter().find(|p| p.answers_to(alias.trim()))
                && !rest.trim().is_empty()
            {
                return Ok((project.alias.clone(), rest.trim().to_owned()));
            }
            match context.projects.as_slice() {
                [only] => Ok((only.alias.clone(), text.trim().to_owned())),
                many => Err(CliError::TodoWithoutProject {
                    text: text.clone(),
                    known: many.iter().map(|p| p.alias.clone()).collect(),
                }),
            }
        })
        .collect()
}
