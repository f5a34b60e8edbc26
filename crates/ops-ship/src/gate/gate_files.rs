//! Which files make up a project's gate: the files its quality-gate command names
//! (and the build files of the tools it runs), CI workflows and ops' own project
//! configuration. An agent must not be able to pass its own gate by rewriting them:
//! the gate runs them as on dev ([`overlay_base`]), and a task that changes any of
//! them needs the security review (the `gate-change` gate).

use ops_core::{Error, ErrorKind, Result};
use ops_git::Git;
use std::path::Path;

/// Path prefixes that are gate-changing whatever the command: CI workflows and
/// ops' own configuration in the repository.
const ALWAYS: &[(&str, &str)] = &[
    (".github/workflows/", "a CI workflow"),
    (".github/actions/", "a CI action"),
    (".gitlab-ci.yml", "the CI configuration"),
    (".circleci/", "the CI configuration"),
    (".ops/", "ops' project configuration"),
    (".worktreeinclude", "ops' project configuration"),
];

/// The build files a tool the command runs reads its targets or scripts from.
const TOOL_FILES: &[(&str, &[&str])] = &[
    ("make", &["Makefile", "makefile", "GNUmakefile"]),
    ("just", &["justfile", "Justfile"]),
    ("npm", &["package.json"]),
    ("yarn", &["package.json"]),
    ("pnpm", &["package.json"]),
    ("tox", &["tox.ini"]),
    ("nox", &["noxfile.py"]),
];

/// Interpreters whose first non-option argument is the script they run.
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "python", "python3", "node", "ruby", "perl", ".", "source",
];

/// The repository-relative paths `command` executes: in each of its simple
/// commands, the program when it is a relative path (`./check.sh`,
/// `scripts/ci.sh`), the script an interpreter runs (`sh check.sh`), and the
/// build files of the tools it runs (`make` → `Makefile`, ...). Files a command
/// only reads as data (`test -f src/x.rs`) are not the gate's.
pub(crate) fn command_paths(command: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for simple in command.split(|c: char| ";&|()`\n".contains(c)) {
        let mut words = simple
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
            .skip_while(|w| w.contains('='));
        let Some(program) = words.next() else {
            continue;
        };
        if let Some((_, files)) = TOOL_FILES.iter().find(|(tool, _)| *tool == program) {
            paths.extend(files.iter().map(|f| (*f).to_string()));
            continue;
        }
        let script = if INTERPRETERS.contains(&program) {
            words.find(|w| !w.starts_with('-'))
        } else if program.contains('/') {
            Some(program)
        } else {
            None
        };
        if let Some(script) = script.map(|w| w.trim_start_matches("./"))
            && !script.is_empty()
            && !script.starts_with(['/', '$', '~'])
            && !script.contains("..")
        {
            paths.push(script.to_string());
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

/// Why `path` is part of the gate, if it is: named by the command, or one of the
/// [`ALWAYS`] prefixes.
pub(crate) fn gate_role(path: &str, named: &[String]) -> Option<&'static str> {
    if named.iter().any(|n| n == path) {
        return Some("run by the quality-gate command");
    }
    ALWAYS
        .iter()
        .find(|(prefix, _)| path == *prefix || path.starts_with(prefix))
        .map(|(_, role)| *role)
}

fn git_err(op: &str, e: ops_git::GitError) -> Error {
    Error::backend("quality-gate", op, ErrorKind::Fatal, e.to_string())
}

/// The paths of `named` that differ between `base` and `head` in `repo`.
pub(crate) async fn changed_between(
    repo: &Path,
    base: &str,
    head: &str,
    named: &[String],
) -> Result<Vec<String>> {
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec![
        "diff".to_string(),
        "--name-only".into(),
        "-z".into(),
        "--no-renames".into(),
        "--no-ext-diff".into(),
        base.into(),
        head.into(),
        "--".into(),
    ];
    args.extend(named.iter().map(|p| format!(":(literal){p}")));
    let out = Git::new(repo)
        .run(&args)
        .await
        .map_err(|e| git_err("compare the gate's files with dev", e))?;
    Ok(out
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect())
}

/// Puts `paths` in the checkout at `dir` back as they are at `base` (removing
/// those `base` does not have), so the gate runs dev's version of its own files.
pub(crate) async fn overlay_base(dir: &Path, base: &str, paths: &[String]) -> Result<()> {
    let git = Git::new(dir);
    for path in paths {
        let spec = format!("{base}:{path}");
        let at_base = git.run(["cat-file", "-e", &spec]).await.is_ok();
        if at_base {
            git.run(["checkout", base, "--", &format!(":(literal){path}")])
                .await
                .map_err(|e| git_err("check the gate's files out from dev", e))?;
        } else {
            let file = dir.join(path);
            if file.symlink_metadata().is_ok() {
                std::fs::remove_file(&file).map_err(|e| {
                    Error::backend(
                        "quality-gate",
                        "remove a gate file dev does not have",
                        ErrorKind::Fatal,
                        format!("{}: {e}", file.display()),
                    )
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_names_its_scripts_and_the_build_files_of_its_tools() {
        assert_eq!(
            command_paths("./check.sh && sh scripts/lint.sh --fix; make test"),
            [
                "GNUmakefile",
                "Makefile",
                "check.sh",
                "makefile",
                "scripts/lint.sh"
            ]
        );
        assert!(command_paths("cargo test -q --workspace").is_empty());
        assert!(command_paths("/usr/bin/true $HOME/x; FOO=1 ../up.sh").is_empty());
        assert!(command_paths("test -f src/feature.rs && cat src/config.rs").is_empty());
        assert_eq!(command_paths("CI=1 bash -e ci/run.sh"), ["ci/run.sh"]);
    }

    #[test]
    fn ci_workflows_and_ops_config_are_gate_files_whatever_the_command() {
        let named = command_paths("./check.sh");
        assert!(gate_role("check.sh", &named).is_some());
        assert!(gate_role(".github/workflows/ci.yml", &named).is_some());
        assert!(gate_role(".ops/todos.md", &named).is_some());
        assert!(gate_role("src/lib.rs", &named).is_none());
        assert!(gate_role(".github/CODEOWNERS", &named).is_none());
    }
}
