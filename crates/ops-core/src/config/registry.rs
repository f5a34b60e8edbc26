//! The registry: which projects ops works on.
//!
//! Both shapes of claude-ops' `registry.json` are read, entry by entry:
//! - template: `{version, owner, projects: [{alias, paths[], repos[], org, type,
//!   gsd, priority, infra{health_endpoints[]}}]}`;
//! - synced: `{updated, total, projects: [{name, path, remote_url, branch, phase,
//!   status, has_roadmap, aliases[]}]}`, numbers sometimes written as strings.
//!
//! ops' own keys add to either: `dev_branch`, `main_branch`, `quality_gate`,
//! `ship` (`github`|`local`), `sensitive_paths`, `acceptance_criteria`,
//! `sentry{org, project}`, `linear{team}`, `max_file_mb` (the largest file a
//! change may add, default 5) and `allow_binaries` (default false). Keys ops does not know are kept in
//! [`Project::extra`] untouched, never rejected. Paths may start with `~/`;
//! relative paths are relative to the registry file. A checkout a project
//! lists twice (`dir` and `dir/`, or through a symlink) is kept once.

use super::json::{JsonFile, kind};
use crate::error::{Error, Result};
use crate::model::{LinearTeam, Project, SentryProject, ShipKind};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A loaded registry.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    /// The file it was read from.
    pub path: PathBuf,
    /// The template shape's `owner`.
    pub owner: Option<String>,
    /// The projects, in file order.
    pub projects: Vec<Project>,
    /// Top-level keys ops does not interpret (`version`, `updated`, `total`, ...).
    pub extra: Map<String, Value>,
}

/// Keys of a project entry that ops interprets; the rest go to `extra`.
const PROJECT_KEYS: &[&str] = &[
    "alias",
    "name",
    "aliases",
    "paths",
    "path",
    "repos",
    "dev_branch",
    "main_branch",
    "quality_gate",
    "ship",
    "sensitive_paths",
    "acceptance_criteria",
    "sentry",
    "linear",
    "max_file_mb",
    "allow_binaries",
];

impl Registry {
    /// Read and parse the registry at `path`; `home` expands `~/` in paths.
    pub fn load(path: &Path, home: Option<&Path>) -> Result<Registry> {
        let text = JsonFile::read(path)?.ok_or_else(|| {
            JsonFile { path }.error("(file)", "cannot read it: it does not exist")
        })?;
        Registry::parse(&text, path, home)
    }

    /// Parse registry text that was read from `path`.
    pub fn parse(text: &str, path: &Path, home: Option<&Path>) -> Result<Registry> {
        let file = JsonFile { path };
        let root = file.parse(text)?;
        let owner = file.string(&root, "owner", "")?;
        let Value::Object(mut top) = root else {
            return Err(file.error(
                "(top level)",
                format!(
                    "expected an object with a `projects` list, found {}",
                    kind(&root)
                ),
            ));
        };
        let entries = match top.remove("projects") {
            Some(Value::Array(entries)) => entries,
            Some(other) => {
                return Err(file.error(
                    "projects",
                    format!("expected a list of projects, found {}", kind(&other)),
                ));
            }
            None => return Err(file.error("projects", "missing; expected a list of projects")),
        };
        top.remove("owner");
        let projects = entries
            .iter()
            .enumerate()
            .map(|(i, entry)| project(&file, entry, i, home))
            .collect::<Result<Vec<_>>>()?;
        let projects = one_entry_per_checkout(projects);
        check_unique_names(&file, &projects)?;
        Ok(Registry {
            path: path.to_path_buf(),
            owner,
            projects,
            extra: top,
        })
    }

    /// The project answering to `name` (alias or one of its aliases).
    pub fn project(&self, name: &str) -> Result<&Project> {
        self.projects
            .iter()
            .find(|p| p.answers_to(name))
            .ok_or_else(|| Error::UnknownProject {
                alias: name.to_owned(),
                known: self.aliases(),
            })
    }

    /// Every project's alias, in file order.
    pub fn aliases(&self) -> Vec<String> {
        self.projects.iter().map(|p| p.alias.clone()).collect()
    }

    /// The project one of whose paths is `dir`.
    pub fn project_at(&self, dir: &Path) -> Option<&Project> {
        let dir = normalise(dir);
        self.projects
            .iter()
            .find(|p| p.paths.iter().any(|path| normalise(path) == dir))
    }
}

fn normalise(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.components().collect())
}

/// The paths without repeats: one checkout written twice (`dir`, `dir/`,
/// `dir/.`, or through a symlink) would be audited twice and planned as two
/// tasks for the same work. The first spelling is kept, without a trailing
/// `/` or `.`.
fn distinct_checkouts(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for path in paths {
        let key = normalise(&path);
        if !seen.contains(&key) {
            seen.push(key);
            out.push(path.components().collect());
        }
    }
    out
}

/// An alias that names a directory (`/home/me/app/`, `~/app`) rather than a project.
fn looks_like_path(alias: &str) -> bool {
    alias.contains('/') || alias.starts_with('~')
}

/// One checkout listed by several entries (the synced shape lists a clone
/// under its directory's name, and a symlinked or repeated scan lists it
/// again) is audited once, under the first entry that lists it: a later
/// entry loses that path, and one left with nothing else to audit (no other
/// path, no Sentry or Linear) is dropped, its names becoming other names of
/// the first.
fn one_entry_per_checkout(projects: Vec<Project>) -> Vec<Project> {
    let mut out: Vec<Project> = Vec::new();
    for mut project in projects {
        let had_paths = !project.paths.is_empty();
        let mut owner = None;
        project.paths.retain(|path| {
            let key = normalise(path);
            match out
                .iter()
                .position(|p| p.paths.iter().any(|q| normalise(q) == key))
            {
                Some(i) => {
                    owner = owner.or(Some(i));
                    false
                }
                None => true,
            }
        });
        let nothing_left = had_paths
            && project.paths.is_empty()
            && project.sentry.is_none()
            && project.linear.is_none();
        if let (Some(i), true) = (owner, nothing_left) {
            let first = &mut out[i];
            for name in std::iter::once(&project.alias).chain(&project.aliases) {
                if !first.answers_to(name) {
                    first.aliases.push(name.clone());
                }
            }
            continue;
        }
        out.push(project);
    }
    out
}

fn project(
    file: &JsonFile<'_>,
    entry: &Value,
    index: usize,
    home: Option<&Path>,
) -> Result<Project> {
    let at = format!("projects[{index}].");
    let Value::Object(map) = entry else {
        return Err(file.error(
            format!("projects[{index}]"),
            format!("expected an object, found {}", kind(entry)),
        ));
    };
    let alias = match (
        file.string(entry, "alias", &at)?,
        file.string(entry, "name", &at)?,
    ) {
        (Some(alias), _) | (None, Some(alias)) => alias,
        (None, None) => {
            return Err(file.error(
                format!("projects[{index}]"),
                "missing `alias` (template shape) or `name` (synced shape)",
            ));
        }
    };
    if alias.trim().is_empty() {
        return Err(file.error(format!("{at}alias"), "expected a non-empty name"));
    }
    let mut paths: Vec<PathBuf> = file
        .strings(entry, "paths", &at)?
        .iter()
        .map(|p| file.resolve_path(p, home))
        .collect();
    if let Some(path) = file.string(entry, "path", &at)? {
        let path = file.resolve_path(&path, home);
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    let paths = distinct_checkouts(paths);
    let mut repos = file.strings(entry, "repos", &at)?;
    if let Some(url) = file.string(entry, "remote_url", &at)?
        && let Some(slug) = github_slug(&url)
        && !repos.contains(&slug)
    {
        repos.push(slug);
    }
    let ship = match file.string(entry, "ship", &at)?.as_deref() {
        None => None,
        Some("github") => Some(ShipKind::Github),
        Some("local") => Some(ShipKind::Local),
        Some(other) => {
            return Err(file.error(
                format!("{at}ship"),
                format!("expected \"github\" or \"local\", found {other:?}"),
            ));
        }
    };
    let sentry = match entry.get("sentry") {
        None | Some(Value::Null) => None,
        Some(obj @ Value::Object(_)) => {
            let at = format!("{at}sentry.");
            Some(SentryProject {
                org: required(file, obj, "org", &at)?,
                project: required(file, obj, "project", &at)?,
            })
        }
        Some(other) => {
            return Err(file.error(
                format!("{at}sentry"),
                format!("expected an object {{org, project}}, found {}", kind(other)),
            ));
        }
    };
    let linear = match entry.get("linear") {
        None | Some(Value::Null) => None,
        Some(obj @ Value::Object(_)) => {
            let at = format!("{at}linear.");
            // claude-ops writes `team_key`; ops' own key is `team`.
            let team = match file.string(obj, "team_key", &at)? {
                Some(key) => key,
                None => file.string(obj, "team", &at)?.ok_or_else(|| {
                    file.error(
                        format!("{at}team_key"),
                        "missing; expected the team's key as a string (`team_key` or `team`, like \"ENG\")",
                    )
                })?,
            };
            Some(LinearTeam { team })
        }
        Some(other) => {
            return Err(file.error(
                format!("{at}linear"),
                format!("expected an object {{team_key}}, found {}", kind(other)),
            ));
        }
    };
    let sensitive_paths = file.strings(entry, "sensitive_paths", &at)?;
    for (i, glob) in sensitive_paths.iter().enumerate() {
        globset::Glob::new(glob).map_err(|e| {
            file.error(
                format!("{at}sensitive_paths[{i}]"),
                format!("expected a glob like \"src/auth/**\": {e}"),
            )
        })?;
    }
    // The synced shape's `aliases` are the paths of other clones of the same
    // remote (the sync script keeps the most recently committed one as
    // `path`): not names, and not audited a second time.
    let mut aliases = file.strings(entry, "aliases", &at)?;
    aliases.retain(|a| a != &alias && !looks_like_path(a));
    let extra = map
        .iter()
        .filter(|(k, _)| !PROJECT_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Project {
        alias,
        paths,
        repos,
        dev_branch: file.string(entry, "dev_branch", &at)?,
        main_branch: file.string(entry, "main_branch", &at)?,
        quality_gate: file.string(entry, "quality_gate", &at)?,
        sensitive_paths,
        aliases,
        ship,
        acceptance_criteria: file.strings(entry, "acceptance_criteria", &at)?,
        sentry,
        linear,
        max_file_mb: file.count(entry, "max_file_mb", &at)?,
        allow_binaries: file.boolean(entry, "allow_binaries", &at)?.unwrap_or(false),
        extra,
    })
}

fn required(file: &JsonFile<'_>, obj: &Value, key: &str, at: &str) -> Result<String> {
    file.string(obj, key, at)?
        .ok_or_else(|| file.error(format!("{at}{key}"), "missing; expected a string"))
}

fn check_unique_names(file: &JsonFile<'_>, projects: &[Project]) -> Result<()> {
    let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
    for (i, project) in projects.iter().enumerate() {
        for name in std::iter::once(&project.alias).chain(&project.aliases) {
            if let Some(first) = seen.insert(name, i)
                && first != i
            {
                return Err(file.error(
                    format!("projects[{i}]"),
                    format!("the name {name:?} is already used by projects[{first}]"),
                ));
            }
        }
    }
    Ok(())
}

/// `owner/name` of a GitHub remote URL (https or ssh), if it is one.
pub fn github_slug(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://github.com/")
        .or_else(|| url.strip_prefix("http://github.com/"))
        .or_else(|| url.strip_prefix("git@github.com:"))
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))?;
    let slug = rest.trim_end_matches('/').trim_end_matches(".git");
    let mut parts = slug.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(owner), Some(name), None) if !owner.is_empty() && !name.is_empty() => {
            Some(format!("{owner}/{name}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::github_slug;

    #[test]
    fn github_remote_urls_give_owner_and_name() {
        assert_eq!(
            github_slug("https://github.com/o/r.git").as_deref(),
            Some("o/r")
        );
        assert_eq!(
            github_slug("git@github.com:o/r.git").as_deref(),
            Some("o/r")
        );
        assert_eq!(github_slug("https://gitlab.com/o/r.git"), None);
        assert_eq!(github_slug("https://github.com/o"), None);
    }
}
