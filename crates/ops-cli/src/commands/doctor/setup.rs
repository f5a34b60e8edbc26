//! The configuration items: the registry (where, how many projects, missing
//! paths), the settings file, and what ops would work on from here (the context).

use super::check::{Check, Status, plural};
use crate::cli::GlobalArgs;
use ops_core::Error;
use ops_core::config::{
    Context, ContextKind, Env, Registry, Settings, locate_registry, locate_settings,
};
use ops_core::model::Project;
use std::path::PathBuf;

/// What the configuration items found, for the items after them.
pub struct Setup {
    /// The variables ops reads.
    pub env: Env,
    /// The settings (every default when the file is absent or broken).
    pub settings: Settings,
    /// The registry file, when one was found and read.
    pub registry: Option<PathBuf>,
    /// The projects ops would work on from here (with GitHub repositories
    /// from their origins, as the commands see them).
    pub projects: Vec<Project>,
}

/// Checks the registry, the settings file and the context.
pub fn check(global: &GlobalArgs, checks: &mut Vec<Check>) -> Setup {
    let env = Env::from_process();
    let home = env.home();
    let mut not_found = None;
    let registry = match locate_registry(global.registry.as_deref(), &env) {
        Ok(path) => match Registry::load(&path, home.as_deref()) {
            Ok(registry) => {
                checks.push(Check::new(
                    "registry",
                    Status::Ok,
                    format!(
                        "{}: {}",
                        path.display(),
                        plural(registry.projects.len(), "project")
                    ),
                ));
                Some(registry)
            }
            Err(e) => {
                checks.push(Check::new("registry", Status::Fail, e.to_string()));
                None
            }
        },
        Err(Error::RegistryNotFound { looked }) => {
            not_found = Some(looked);
            None
        }
        Err(e) => {
            checks.push(Check::new("registry", Status::Fail, e.to_string()));
            None
        }
    };
    if let Some(registry) = &registry {
        checks.extend(registry.projects.iter().filter_map(missing_paths));
    }
    let context = std::env::current_dir().ok().and_then(|cwd| {
        Context::resolve(&cwd, home.as_deref(), None, registry.as_ref(), || {
            Error::RegistryNotFound { looked: Vec::new() }
        })
        .ok()
    });
    if let Some(looked) = not_found {
        checks.push(registry_not_found(&looked, context.as_ref()));
    }
    checks.push(context_line(context.as_ref()));
    let settings = settings(&env, checks);
    let mut projects = context.map(|c| c.projects).unwrap_or_default();
    super::super::scope::github_repos_from_origin(&mut projects);
    Setup {
        env,
        settings,
        registry: registry.map(|r| r.path),
        projects,
    }
}

/// No registry: fine inside a git checkout (SCOPED), a warning elsewhere.
fn registry_not_found(looked: &[String], context: Option<&Context>) -> Check {
    let places = looked.join(", ");
    if context.is_some_and(|c| c.kind == ContextKind::Scoped) {
        Check::new(
            "registry",
            Status::Info,
            format!(
                "none found (looked in {places}); not needed inside a git checkout, where ops works on that repository alone"
            ),
        )
    } else {
        Check::new(
            "registry",
            Status::Warn,
            format!(
                "none found (looked in {places}); outside a git checkout ops needs one: pass --registry PATH, set OPS_REGISTRY, or write ~/.config/ops/registry.json"
            ),
        )
    }
}

/// A warning for a project whose checkouts are not all there.
fn missing_paths(project: &Project) -> Option<Check> {
    let missing: Vec<String> = project
        .paths
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    (!missing.is_empty()).then(|| {
        Check::new(
            format!("project {}", project.alias),
            Status::Warn,
            format!(
                "missing path {}: audits and runs skip it; clone it there or fix `paths` in the registry",
                missing.join(", ")
            ),
        )
    })
}

fn context_line(context: Option<&Context>) -> Check {
    match context {
        Some(Context {
            kind: ContextKind::Scoped,
            projects,
        }) => {
            let what = projects
                .iter()
                .map(|p| {
                    let at = p.paths.first().map(|p| p.display().to_string());
                    format!("{} ({})", p.alias, at.unwrap_or_default())
                })
                .collect::<Vec<_>>()
                .join(", ");
            Check::new("context", Status::Ok, format!("SCOPED on {what}"))
        }
        Some(Context { projects, .. }) => Check::new(
            "context",
            Status::Ok,
            format!(
                "GLOBAL over {} of the registry",
                plural(projects.len(), "project")
            ),
        ),
        None => Check::new(
            "context",
            Status::Info,
            "nothing in scope here: not inside a git checkout and no registry was read",
        ),
    }
}

/// The settings file: which one (or the defaults), and its errors.
fn settings(env: &Env, checks: &mut Vec<Check>) -> Settings {
    let outcome = match locate_settings(env) {
        Ok(None) => {
            let place = ops_core::config::default_settings_path(env).map_or_else(
                || "~/.config/ops/config.toml".to_owned(),
                |p| p.display().to_string(),
            );
            Ok((
                format!("no settings file (none at {place}): every default applies"),
                Settings::default(),
            ))
        }
        Ok(Some(path)) => Settings::load(env).map(|s| (path.display().to_string(), s)),
        Err(e) => Err(e),
    };
    match outcome {
        Ok((place, settings)) => {
            let e = &settings.engine;
            checks.push(Check::new(
                "settings",
                Status::Ok,
                format!(
                    "{place} (agent {}, max_agents {}, max_attempts {})",
                    e.agent, e.max_agents, e.max_attempts
                ),
            ));
            settings
        }
        Err(e) => {
            checks.push(Check::new(
                "settings",
                Status::Fail,
                format!("{e} (the checks below use the defaults)"),
            ));
            Settings::default()
        }
    }
}
