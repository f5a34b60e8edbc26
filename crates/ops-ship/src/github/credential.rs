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

/// The repository a push is for: `slug` (`owner/name`) on the web host of the
/// API at `api_base` (`https://api.github.com` → `github.com`; an Enterprise
/// server's `https://HOST/api/v3` → `HOST`).
pub(crate) struct Expected<'a> {
    pub api_base: &'a str,
    pub slug: &'a str,
}

impl Expected<'_> {
    fn web_host(&self) -> String {
        let host = host_and_path(self.api_base).map_or_else(String::new, |(h, _)| h);
        match host.to_ascii_lowercase().as_str() {
            "api.github.com" => "github.com".to_string(),
            _ => host,
        }
    }
}

/// The host (with its port) and the path (no leading or trailing `/`, no
/// `.git`) of an HTTP(S) URL; any `user:password@` is dropped, never returned.
fn host_and_path(url: &str) -> Option<(String, String)> {
    let url = ops_git::without_credentials(url);
    let rest = url.split_once("://")?.1;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() {
        return None;
    }
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    Some((host.to_string(), path.to_string()))
}

/// A running credential cache holding the token for one push.
pub(crate) struct PushCredential {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    git: Git,
}

impl PushCredential {
    /// Starts a cache holding `token` for the push URL of `remote` (as `git`
    /// sees it); none when that URL is not HTTP(S) (a path or SSH: git asks no
    /// credential helper for those). The URL must be `expected`'s repository on
    /// its GitHub host: the checkout's git config is shared with the agents'
    /// worktrees, and a push URL rewritten there must not receive the token
    /// (a halt naming both, the token never handed over).
    pub async fn start(
        git: &Git,
        remote: &str,
        token: &GitHubToken,
        expected: &Expected<'_>,
    ) -> Result<Option<PushCredential>> {
        let fail = |e: String| Error::backend("github", "hand git the token", ErrorKind::Fatal, e);
        let url = git
            .run(["remote", "get-url", "--push", remote])
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Ok(None);
        }
        let Some((host, path)) = host_and_path(&url) else {
            return Err(fail(format!("the push URL of {remote} has no host")));
        };
        let want_host = expected.web_host();
        if !host.eq_ignore_ascii_case(&want_host) || !path.eq_ignore_ascii_case(expected.slug) {
            return Err(Error::backend(
                "github",
                "hand git the token",
                ErrorKind::Halt,
                format!(
                    "the push URL of {remote} is {host}/{path}, not {want_host}/{}, the repository ops ships this project to: the token is not sent (the checkout's git config changed since it was registered; an agent may have rewritten it)",
                    expected.slug
                ),
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_and_repository_path_without_their_user_info() {
        for (url, host, path) in [
            ("https://github.com/o/r.git", "github.com", "o/r"),
            ("https://x:ghp_secret@github.com/o/r/", "github.com", "o/r"),
            ("http://127.0.0.1:8080/o/r", "127.0.0.1:8080", "o/r"),
        ] {
            assert_eq!(
                host_and_path(url),
                Some((host.to_string(), path.to_string())),
                "{url}"
            );
        }
        assert_eq!(host_and_path("https:///o/r"), None);
    }

    #[test]
    fn the_web_host_of_github_s_api_is_github_com_and_an_enterprise_api_its_own_host() {
        for (api_base, host) in [
            ("https://api.github.com", "github.com"),
            ("https://ghe.example/api/v3", "ghe.example"),
        ] {
            let expected = Expected {
                api_base,
                slug: "o/r",
            };
            assert_eq!(expected.web_host(), host);
        }
    }
}
