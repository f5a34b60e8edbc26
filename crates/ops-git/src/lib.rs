//! The one git command-line adapter of ops.
//!
//! gix reads repositories; everything gix cannot do (push, fetch, `worktree add`,
//! merges in a scratch worktree) goes through [`Git`]. Every invocation:
//! - never prompts (`GIT_TERMINAL_PROMPT=0`, `GIT_ASKPASS` unset to a no-op),
//! - speaks C locale so messages can be matched,
//! - runs no hook and no fsmonitor an agent may have planted in the shared git dir
//!   or its config (`-c core.hooksPath=/dev/null -c core.fsmonitor=false`; hooks a
//!   project really needs are its quality gate's job),
//! - gets only the allow-listed environment ([`ALLOWED_ENV`], `GIT_*`): none of
//!   ops' own secret variables reaches git or anything git starts,
//! - refuses a URL that carries credentials (`https://user:token@host`) anywhere in
//!   its arguments: tokens reach git through a credential helper or the
//!   environment, never argv,
//! - returns an error naming the command, its exit status and the tail of stderr.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Output;

/// What went wrong running git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// git could not be started at all.
    #[error("could not run `git {args}` in {dir}: {source}")]
    Spawn {
        /// The arguments, space-joined.
        args: String,
        /// The working directory.
        dir: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// git ran and exited non-zero.
    #[error("`git {args}` in {dir} exited with {status}: {stderr}")]
    Failed {
        /// The arguments, space-joined.
        args: String,
        /// The working directory.
        dir: PathBuf,
        /// Exit code, or -1 when killed by a signal.
        status: i32,
        /// The last lines of stderr (at most 2 KiB).
        stderr: String,
    },
    /// An argument carried credentials in a URL; nothing was run.
    #[error(
        "refused to run git with credentials in a URL argument (argument {index}); use a credential helper or the environment"
    )]
    CredentialsInArgs {
        /// Zero-based index of the offending argument.
        index: usize,
    },
}

impl GitError {
    /// The stderr git printed, when it ran and failed.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            GitError::Failed { stderr, .. } => Some(stderr),
            _ => None,
        }
    }
}

/// A git invocation context: a working directory plus extra environment.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
    envs: Vec<(OsString, OsString)>,
    program: OsString,
}

const STDERR_TAIL: usize = 2048;

/// The configuration every invocation is given ahead of its own arguments. Hooks
/// are looked for under `/dev/null`, a path under which no file can ever exist
/// (it is no directory), so nothing an agent plants can run.
const SAFE_CONFIG: [&str; 4] = [
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
];

/// Variables of ops' own environment a git invocation inherits (besides `GIT_*`
/// ones other than `GIT_ASKPASS`): what git needs to find its config, identity,
/// SSH agent and proxy. Everything else, ops' tokens included, is dropped.
pub const ALLOWED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "TMPDIR",
    "TERM",
    "XDG_CONFIG_HOME",
    "SSH_AUTH_SOCK",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Whether git inherits the variable `key` of ops' environment: [`ALLOWED_ENV`],
/// and `GIT_*` names other than `GIT_ASKPASS` that do not look like a secret
/// (`*TOKEN*`, `*KEY*`, `*SECRET*`, `*PASSWORD*`).
pub fn inherits(key: &str) -> bool {
    if ALLOWED_ENV.contains(&key) {
        return true;
    }
    let upper = key.to_ascii_uppercase();
    key.starts_with("GIT_")
        && key != "GIT_ASKPASS"
        && !["TOKEN", "KEY", "SECRET", "PASSWORD"]
            .iter()
            .any(|s| upper.contains(s))
}

impl Git {
    /// Run git in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git {
            dir: dir.into(),
            envs: Vec::new(),
            program: OsString::from("git"),
        }
    }

    /// Use another git binary (tests, or a configured path).
    pub fn with_program(mut self, program: impl Into<OsString>) -> Self {
        self.program = program.into();
        self
    }

    /// Add an environment variable to every invocation (e.g. `GIT_CONFIG_COUNT`
    /// entries that install a credential helper reading a token from the
    /// environment).
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The same settings in another directory.
    pub fn in_dir(&self, dir: impl Into<PathBuf>) -> Self {
        Git {
            dir: dir.into(),
            ..self.clone()
        }
    }

    /// Run git with `args` and return its trimmed stdout.
    pub async fn run<I, S>(&self, args: I) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let output = self.output(&args).await?;
        Ok(String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_owned())
    }

    /// Run git and report only whether it exited zero (for `merge-base --is-ancestor`,
    /// `show-ref --verify --quiet` and friends). A failure to start is still an error.
    pub async fn succeeds<I, S>(&self, args: I) -> Result<bool, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        match self.output(&args).await {
            Ok(_) => Ok(true),
            Err(GitError::Failed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn output(&self, args: &[OsString]) -> Result<Output, GitError> {
        if let Some(index) = args
            .iter()
            .position(|a| carries_credentials(&a.to_string_lossy()))
        {
            return Err(GitError::CredentialsInArgs { index });
        }
        let joined = args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(SAFE_CONFIG)
            .args(args)
            .current_dir(&self.dir)
            .env_clear()
            .envs(std::env::vars_os().filter(|(k, _)| k.to_str().is_some_and(inherits)))
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GCM_INTERACTIVE", "never")
            .env("LC_ALL", "C")
            .env_remove("GIT_ASKPASS")
            .env_remove("SSH_ASKPASS")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        let output = cmd.output().await.map_err(|source| GitError::Spawn {
            args: joined.clone(),
            dir: self.dir.clone(),
            source,
        })?;
        if output.status.success() {
            return Ok(output);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stderr = stderr.trim();
        let tail = if stderr.len() > STDERR_TAIL {
            let mut start = stderr.len() - STDERR_TAIL;
            while !stderr.is_char_boundary(start) {
                start += 1;
            }
            &stderr[start..]
        } else {
            stderr
        };
        Err(GitError::Failed {
            args: joined,
            dir: self.dir.clone(),
            status: output.status.code().unwrap_or(-1),
            stderr: tail.to_owned(),
        })
    }
}

/// Whether `arg` contains a URL with a userinfo part (`scheme://user[:secret]@host`).
pub fn carries_credentials(arg: &str) -> bool {
    let mut rest = arg;
    while let Some(pos) = rest.find("://") {
        let after = &rest[pos + 3..];
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        if after[..authority_end].contains('@') {
            return true;
        }
        rest = after;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_inherits_its_own_variables_but_no_token_of_ops() {
        for ok in [
            "PATH",
            "HOME",
            "GIT_CONFIG_GLOBAL",
            "GIT_AUTHOR_NAME",
            "SSH_AUTH_SOCK",
        ] {
            assert!(inherits(ok), "{ok}");
        }
        for no in [
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "SENTRY_AUTH_TOKEN",
            "LINEAR_API_KEY",
            "ANTHROPIC_API_KEY",
            "GIT_ASKPASS",
            "GIT_TOKEN",
            "GIT_DEPLOY_KEY",
            "OPS_GIT_TOKEN",
        ] {
            assert!(!inherits(no), "{no}");
        }
    }

    #[test]
    fn urls_with_userinfo_are_recognised_as_credentials() {
        assert!(carries_credentials(
            "https://x-access-token:ghp_abc@github.com/o/r.git"
        ));
        assert!(carries_credentials("push https://tok@host/r"));
        assert!(!carries_credentials("https://github.com/o/r.git"));
        assert!(!carries_credentials("git@github.com:o/r.git"));
        assert!(!carries_credentials("ssh://github.com/o/r@v1"));
        assert!(!carries_credentials("refs/heads/ops/a-b"));
    }

    #[tokio::test]
    async fn a_url_with_a_token_is_refused_before_git_runs() {
        let dir = ops_testkit::TempRepo::new();
        let err = Git::new(dir.work())
            .run([
                "push",
                "https://u:secret-token@example.invalid/r.git",
                "dev",
            ])
            .await
            .unwrap_err();
        assert!(matches!(err, GitError::CredentialsInArgs { index: 1 }));
        assert!(!err.to_string().contains("secret-token"));
    }

    #[tokio::test]
    async fn a_failing_command_names_itself_and_its_stderr() {
        let repo = ops_testkit::TempRepo::new();
        let err = Git::new(repo.work())
            .run(["rev-parse", "--verify", "no-such-branch"])
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("git rev-parse --verify no-such-branch"),
            "{text}"
        );
        assert!(err.stderr().is_some_and(|s| !s.is_empty()), "{text}");
    }

    #[tokio::test]
    async fn succeeds_reports_ancestry_without_erroring() {
        let repo = ops_testkit::TempRepo::new();
        let git = Git::new(repo.work());
        let base = git.run(["rev-parse", "HEAD"]).await.unwrap();
        repo.commit_file("a.txt", "a\n", "add a");
        assert!(
            git.succeeds(["merge-base", "--is-ancestor", &base, "HEAD"])
                .await
                .unwrap()
        );
        assert!(
            !git.succeeds(["merge-base", "--is-ancestor", "HEAD", &base])
                .await
                .unwrap()
        );
    }
}
