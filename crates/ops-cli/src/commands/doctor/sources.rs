//! The sources an audit would run here and how many projects use each, the
//! secrets the configured remote sources need (present or not, and where
//! found: never the value), and how each project would ship.

use super::check::{Check, Status, plural};
use ops_core::config::Settings;
use ops_core::model::{Project, ShipKind};
use ops_ship::route::ship_kind;
use ops_sources::{SecretResolver, TokenUser};
use std::path::PathBuf;

/// A remote source: who needs its token, and which projects use it.
struct Remote {
    user: TokenUser,
    /// The source's name in the check (`source github`).
    name: &'static str,
    /// The secret's name in the settings.
    secret: String,
    /// How many projects in scope use it.
    projects: usize,
    /// What a project needs for it, for the "off" line.
    needs: &'static str,
}

/// Checks the sources, their secrets and the shipping of `projects`.
pub async fn check(projects: &[Project], settings: &Settings, checks: &mut Vec<Check>) {
    local_sources(projects, checks);
    let count = |f: fn(&Project) -> bool| projects.iter().filter(|p| f(p)).count();
    let remotes = [
        Remote {
            user: TokenUser::GitHub,
            name: "github",
            secret: settings.github.token.clone(),
            projects: count(|p| !p.repos.is_empty()),
            needs: "`repos` in the registry or a GitHub origin",
        },
        Remote {
            user: TokenUser::Sentry,
            name: "sentry",
            secret: settings.sentry.token.clone(),
            projects: count(|p| p.sentry.is_some()),
            needs: "`sentry{org, project}` in the registry",
        },
        Remote {
            user: TokenUser::Linear,
            name: "linear",
            secret: settings.linear.token.clone(),
            projects: count(|p| p.linear.is_some()),
            needs: "`linear{team}` in the registry",
        },
    ];
    let resolver = SecretResolver::new(settings);
    let mut secret_lines = Vec::new();
    let mut github_token = None;
    for remote in &remotes {
        let source = format!("source {}", remote.name);
        let secret = format!("secret {}", remote.secret);
        if remote.projects == 0 {
            checks.push(Check::new(
                source,
                Status::Info,
                format!("off: no project in scope has {}", remote.needs),
            ));
            secret_lines.push(Check::new(
                secret,
                Status::Info,
                format!(
                    "not looked for: no project in scope uses {}",
                    remote.user.label()
                ),
            ));
            continue;
        }
        let users = plural(remote.projects, "project");
        match resolver.token(remote.user).await {
            Ok(token) => {
                checks.push(Check::new(source, Status::Ok, users));
                secret_lines.push(Check::new(
                    secret,
                    Status::Ok,
                    format!("present ({})", token.origin()),
                ));
                if remote.user == TokenUser::GitHub {
                    github_token = Some(token.origin().to_owned());
                }
            }
            Err(missing) => {
                checks.push(Check::new(
                    source,
                    Status::Warn,
                    format!(
                        "{users}, but the {} source will be off: no {}",
                        remote.user.label(),
                        remote.secret
                    ),
                ));
                secret_lines.push(Check::new(
                    secret,
                    Status::Warn,
                    format!(
                        "{missing}; set it in one of those places or configure [secrets.{}] in the settings file",
                        remote.secret
                    ),
                ));
            }
        }
    }
    checks.extend(secret_lines);
    let secret = &settings.github.token;
    checks.extend(
        projects
            .iter()
            .map(|p| shipping(p, github_token.as_deref(), secret)),
    );
}

/// The local sources, which always run: how many projects give them something to read.
fn local_sources(projects: &[Project], checks: &mut Vec<Check>) {
    let total = projects.len();
    let with = |name: &str| projects.iter().filter(|p| any_has(&p.paths, name)).count();
    checks.push(Check::new(
        "source local git",
        Status::Ok,
        format!("always on: {}", plural(total, "project")),
    ));
    checks.push(Check::new(
        "source gsd",
        Status::Ok,
        format!(
            "always on: {} of {total} with .planning/",
            with(".planning")
        ),
    ));
    checks.push(Check::new(
        "source todos",
        Status::Ok,
        format!(
            "always on: {} of {total} with {}",
            with(ops_sources::todos::TODOS_FILE),
            ops_sources::todos::TODOS_FILE
        ),
    ));
}

/// Whether any of `paths` holds `name`.
fn any_has(paths: &[PathBuf], name: &str) -> bool {
    paths.iter().any(|p| p.join(name).exists())
}

/// How `project` would ship, as `ops run` routes it: GitHub when
/// [`ship_kind`] says so and the token resolved, else local git.
fn shipping(project: &Project, github_token: Option<&str>, secret: &str) -> Check {
    let name = format!("ship {}", project.alias);
    match (ship_kind(project, github_token.is_some()), github_token) {
        (ShipKind::Github, Some(origin)) => Check::new(
            name,
            Status::Ok,
            format!(
                "github: pull requests on {} (token from {origin})",
                project.repos.join(", ")
            ),
        ),
        (ShipKind::Github, None) => Check::new(
            name,
            Status::Warn,
            format!(
                "local git: the registry says ship = github, but no {secret} resolves; set it to ship through pull requests"
            ),
        ),
        (ShipKind::Local, _) => {
            let why = if project.ship == Some(ShipKind::Local) {
                "ship = local in the registry".to_owned()
            } else if project.repos.is_empty() {
                "no GitHub repository".to_owned()
            } else {
                format!("no {secret}")
            };
            Check::new(name, Status::Ok, format!("local git ({why})"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(repos: &[&str], ship: Option<ShipKind>) -> Project {
        Project {
            alias: "api".into(),
            repos: repos.iter().map(|r| (*r).to_owned()).collect(),
            ship,
            ..Project::default()
        }
    }

    #[test]
    fn shipping_follows_the_route_github_only_with_a_token_and_says_why_it_is_local() {
        let token = Some("env GITHUB_TOKEN");
        let cases = [
            (project(&["acme/api"], None), token, Status::Ok, "github"),
            (
                project(&["acme/api"], None),
                None,
                Status::Ok,
                "local git (no github_token)",
            ),
            (
                project(&[], None),
                token,
                Status::Ok,
                "local git (no GitHub repository)",
            ),
            (
                project(&["acme/api"], Some(ShipKind::Local)),
                token,
                Status::Ok,
                "local git (ship = local",
            ),
            (
                project(&["acme/api"], Some(ShipKind::Github)),
                None,
                Status::Warn,
                "local git: the registry says ship = github",
            ),
        ];
        for (project, token, status, starts) in cases {
            let check = shipping(&project, token, "github_token");
            assert_eq!(check.check, "ship api");
            assert_eq!(check.status, status, "{}", check.detail);
            assert!(check.detail.starts_with(starts), "{}", check.detail);
        }
    }
}
