//! How the GitHub token reaches git: only the push process, through git's own
//! credential cache, never an environment variable or an argument.
//!
//! Before a push, ops starts a credential cache of its own (`git credential
//! approve` with `credential.helper=cache --socket=S`, `S` in a fresh 0700
//! directory) and hands it the token on the stdin of that command. The push runs
//! with every other credential helper reset (`credential.helper=`) and that cache
//! as its helper: its environment and argv carry the socket's path, not the
//! token. After the push the cache is told to exit and its directory is removed.

use super::GitHubToken;
use ops_core::{Error, ErrorKind, Result};
use ops_git::Git;
use std::path::PathBuf;

/// A running credential cache holding the token for one push.
pub(crate) struct PushCredential {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    git: Git,
}

impl PushCredential {
    /// Starts a cache holding `token` for the push URL of `remote` (as `git`
    /// sees it); none when that URL is not HTTP(S) (a path or SSH: git asks no
    /// credential helper for those).
    pub async fn start(
        git: &Git,
        remote: &str,
        token: &GitHubToken,
    ) -> Result<Option<PushCredential>> {
        let fail = |e: String| Error::backend("github", "hand git the token", ErrorKind::Fatal, e);
        let url = git
            .run(["remote", "get-url", "--push", remote])
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Ok(None);
        }
        let dir = tempfile::Builder::new()
            .prefix("ops-credential-")
            .tempdir()
            .map_err(|e| fail(e.to_string()))?;
        // The cache refuses a directory others may read (and so should we).
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .map_err(|e| fail(e.to_string()))?;
        let socket = dir.path().join("socket");
        let credential = PushCredential {
            _dir: dir,
            socket,
            git: git.clone(),
        };
        let input = format!(
            "url={url}\nusername=x-access-token\npassword={}\n\n",
            token.expose()
        );
        credential
            .git(git)
            .run_with_input(["credential", "approve"], input.as_bytes())
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(Some(credential))
    }

    /// `git` with the cache as its only credential helper.
    pub fn git(&self, git: &Git) -> Git {
        git.clone()
            .with_config("credential.helper", "")
            .with_config(
                "credential.helper",
                &format!("cache --timeout=900 --socket={}", self.socket.display()),
            )
    }

    /// Tells the cache to exit (it holds the token in memory until then).
    pub async fn stop(self) {
        let socket = format!("--socket={}", self.socket.display());
        let _ = self.git.run(["credential-cache", &socket, "exit"]).await;
    }
}
