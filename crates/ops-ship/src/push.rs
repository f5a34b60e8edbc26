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
    if let PushKind::Work { main } = kind
        && (dst == main || PRODUCTION_BRANCHES.contains(&dst))
    {
        return Err(Error::backend(
            "push",
            format!("push to {dst}"),
            ErrorKind::Invalid,
            format!(
                "{dst} is a production branch; ops never pushes work to it directly (only a promotion of dev)"
            ),
        ));
    }
    if src.starts_with('+') || src.starts_with('-') || dst.starts_with('-') || src.contains(':') {
        return Err(Error::backend(
            "push",
            format!("push to {dst}"),
            ErrorKind::Invalid,
            format!("refusing the source {src:?}: ops never force-pushes"),
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
