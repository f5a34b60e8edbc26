//! Bootstrapping a fresh worktree: the files a checkout has but git does not
//! (`.env`, local settings), listed in `.worktreeinclude`, are copied in; then the
//! configured setup command runs (argv, no shell).
//!
//! `.worktreeinclude` holds one pattern a line in gitignore style: `#` comments, a
//! leading `/` anchors at the repository root, a pattern without `/` matches at
//! any depth, `*`, `?`, `[...]` and `**` glob. Only files git ignores are
//! candidates (as in Claude Code): tracked ones are in the worktree already, and an
//! untracked file git does not ignore would look like the agent's new work there —
//! ops would commit it on the agent's behalf (a copied `.env` on the branch).

use crate::worktree::err;
use globset::{Glob, GlobSet, GlobSetBuilder};
use ops_core::{Error, ErrorKind};
use ops_git::Git;
use std::ffi::OsString;
use std::path::{Component, Path};

/// Parses `.worktreeinclude` text into a matcher; errors name the file and line.
fn patterns(text: &str, list: &Path) -> Result<GlobSet, Error> {
    let bad = |n: usize, entry: &str, why: String| {
        err(
            "bootstrap the worktree",
            ErrorKind::Invalid,
            format!("{} line {}: {entry:?} {why}", list.display(), n + 1),
        )
    };
    let mut set = GlobSetBuilder::new();
    for (n, line) in text.lines().enumerate() {
        let entry = line.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        if entry.starts_with('!') {
            return Err(bad(n, entry, "negations are not supported".into()));
        }
        if Path::new(entry.trim_start_matches('/'))
            .components()
            .any(|c| matches!(c, Component::ParentDir))
        {
            return Err(bad(n, entry, "must stay inside the repository".into()));
        }
        let anchored = entry.starts_with('/') || entry.trim_end_matches('/').contains('/');
        let body = entry.trim_start_matches('/').trim_end_matches('/');
        let mut globs = vec![body.to_string(), format!("{body}/**")];
        if !anchored {
            globs.push(format!("**/{body}"));
            globs.push(format!("**/{body}/**"));
        }
        for g in globs {
            let glob =
                Glob::new(&g).map_err(|e| bad(n, entry, format!("is not a valid pattern: {e}")))?;
            set.add(glob);
        }
    }
    set.build().map_err(|e| {
        err(
            "bootstrap the worktree",
            ErrorKind::Invalid,
            format!("{}: {e}", list.display()),
        )
    })
}

/// Copies the ignored files of `repo` that `.worktreeinclude` names into `worktree`
/// (never anything under the worktree `root`: other worktrees, agent logs).
pub(crate) async fn copy_includes(repo: &Path, root: &Path, worktree: &Path) -> Result<(), Error> {
    let list = repo.join(".worktreeinclude");
    // A FIFO or device there is an error naming it, never a hang.
    let text = match ops_core::files::read_text(&list) {
        Ok(Some(text)) => text,
        Ok(None) => return Ok(()),
        Err(e) => {
            return Err(err(
                "bootstrap the worktree",
                ErrorKind::Invalid,
                format!("{}: cannot read: {e}", list.display()),
            ));
        }
    };
    let set = patterns(&text, &list)?;
    if set.is_empty() {
        return Ok(());
    }
    let untracked = Git::new(repo)
        .run([
            "ls-files",
            "-z",
            "--others",
            "--ignored",
            "--exclude-standard",
        ])
        .await
        .map_err(|e| err("bootstrap the worktree", ErrorKind::Fatal, e.to_string()))?;
    for rel in untracked
        .split('\0')
        .filter(|r| !r.is_empty() && !r.ends_with('/'))
    {
        if !set.is_match(rel) {
            continue;
        }
        let from = repo.join(rel);
        let to = worktree.join(rel);
        if !from.is_file() || from.starts_with(root) || from.starts_with(repo.join(".git")) {
            continue;
        }
        if let Some(dir) = to.parent() {
            let _ = tokio::fs::create_dir_all(dir).await;
        }
        tokio::fs::copy(&from, &to).await.map_err(|e| {
            err(
                "bootstrap the worktree",
                ErrorKind::Fatal,
                format!(
                    "cannot copy {} named by .worktreeinclude: {e}",
                    from.display()
                ),
            )
        })?;
    }
    Ok(())
}

/// Runs the setup command in the worktree with the agent's environment.
pub(crate) async fn run_setup(
    setup: &[String],
    worktree: &Path,
    env: &[(OsString, OsString)],
) -> Result<(), Error> {
    let Some((program, args)) = setup.split_first() else {
        return Ok(());
    };
    let out = tokio::process::Command::new(program)
        .args(args)
        .current_dir(worktree)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            err(
                "run the worktree setup command",
                ErrorKind::Invalid,
                format!("cannot start {program:?}: {e}"),
            )
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = {
            let chars: Vec<char> = stderr.chars().collect();
            chars[chars.len().saturating_sub(1000)..].iter().collect()
        };
        return Err(err(
            "run the worktree setup command",
            ErrorKind::Fatal,
            format!("{setup:?} exited with {}: {}", out.status, tail.trim()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_gitignore_anchoring() {
        let set = patterns(
            ".env*\n/config/local.toml\n# note\nsecrets/\n",
            Path::new(".worktreeinclude"),
        )
        .expect("valid");
        for yes in [
            ".env",
            ".env.local",
            "api/.env",
            "config/local.toml",
            "secrets/a.key",
            "x/secrets/b",
        ] {
            assert!(set.is_match(yes), "{yes}");
        }
        for no in ["api/config/local.toml", "env", "README.md"] {
            assert!(!set.is_match(no), "{no}");
        }
    }

    #[test]
    fn a_pattern_leaving_the_repository_or_negating_is_refused_naming_the_line() {
        let e =
            patterns("ok\n../outside\n", Path::new("/r/.worktreeinclude")).expect_err("refused");
        assert!(e.to_string().contains("/r/.worktreeinclude line 2"), "{e}");
        let e = patterns("!keep\n", Path::new("/r/.worktreeinclude")).expect_err("refused");
        assert!(e.to_string().contains("negations"), "{e}");
    }
}
