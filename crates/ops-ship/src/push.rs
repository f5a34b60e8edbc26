//! The only way ops-ship pushes: never forced, never a task's work onto main.
//!
//! A push is `git push <remote> <src>:refs/heads/<dst>` with no `--force`, no
//! `--force-with-lease` and no `+` refspec, so the remote refuses anything that is
//! not a fast-forward. Tokens reach git through the environment of the `Git` it is
//! given (a credential helper), never through the URL or argv (`ops_git` refuses
//! credentials in arguments).

use ops_core::{Error, ErrorKind, Result};
use ops_git::Git;

/// Branch names no task branch or dev branch may ever be (production branches).
pub const PRODUCTION_BRANCHES: &[&str] = &["main", "master"];

/// What a push is for; decides which destinations it may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushKind<'a> {
    /// A task branch or a squash onto dev: never the project's main branch, nor
    /// `main`/`master`.
    Work {
        /// The project's main branch.
        main: &'a str,
    },
    /// Promotion of dev to the main branch (a fast-forward or a merge commit of dev).
    Promotion,
}

/// Pushes `src` (a commit or ref) to branch `dst` of `remote`, as a fast-forward only.
pub async fn push(git: &Git, remote: &str, src: &str, dst: &str, kind: PushKind<'_>) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::backend(
            "push",
            format!("push to {dst}"),
            ErrorKind::Invalid,
            why,
        ))
    };
    // A case-folding filesystem stores `refs/heads/MAIN` in main's file.
    let production = |b: &str| {
        PRODUCTION_BRANCHES
            .iter()
            .any(|p| p.eq_ignore_ascii_case(b))
    };
    if let PushKind::Work { main } = kind
        && (dst.eq_ignore_ascii_case(main) || production(dst))
    {
        return refuse(format!(
            "{dst} is a production branch; ops never pushes work to it directly (only a promotion of dev)"
        ));
    }
    // An empty source (`:refs/heads/dev`) deletes the branch; `+` forces; `:` adds a
    // destination of its own.
    if src.is_empty()
        || src.starts_with('+')
        || src.starts_with('-')
        || src.contains(':')
        || src.contains(char::is_whitespace)
    {
        return refuse(format!(
            "refusing the source {src:?}: ops pushes one commit or branch, never forced, never a deletion"
        ));
    }
    let plain = !dst.is_empty()
        && !dst.starts_with(['-', '+'])
        && !dst.starts_with("refs/")
        && !dst.contains(':')
        && git
            .succeeds(["check-ref-format", &format!("refs/heads/{dst}")])
            .await
            .unwrap_or(false);
    if !plain {
        return refuse(format!(
            "refusing the destination {dst:?}: expected a plain branch name"
        ));
    }
    let refspec = format!("{src}:refs/heads/{dst}");
    git.run(["push", "--quiet", remote, &refspec])
        .await
        .map(|_| ())
        .map_err(|e| {
            let rejected = e.stderr().is_some_and(|s| {
                s.contains("non-fast-forward")
                    || s.contains("rejected")
                    || s.contains("fetch first")
            });
            let kind = if rejected {
                ErrorKind::Conflict
            } else {
                ErrorKind::Retryable
            };
            let why = if rejected {
                format!(
                    "{remote}/{dst} has commits that {src} lacks, and ops never force-pushes: {e}"
                )
            } else {
                e.to_string()
            };
            Error::backend("push", format!("push to {dst}"), kind, why)
        })
}
