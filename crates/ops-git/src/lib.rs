//! The one git command-line adapter of ops.
//!
//! gix reads repositories; everything gix cannot do (push, fetch, `worktree add`,
//! merges in a scratch worktree) goes through [`Git`]. Every invocation:
//! - never prompts (`GIT_TERMINAL_PROMPT=0`, `GIT_ASKPASS` unset to a no-op),
//! - speaks C locale so messages can be matched,
//! - runs no hook and no fsmonitor an agent may have planted in the shared git dir
//!   or its config (`-c core.hooksPath=/dev/null -c core.fsmonitor=false`; hooks a
//!   project really needs are its quality gate's job),
//! - runs no program an agent may have configured in the repository's own config
//!   (`.git/config`, `config.worktree`): [`PROGRAM_KEYS`] set there (filter drivers,
//!   `diff.external`, textconv, merge drivers, `core.sshCommand`, credential
//!   helpers, `gpg.program`, `remote.*.receivepack`...) are blanked with `-c` for
//!   the command (the user's global and system config are kept),
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
    /// The repository's own config names a program git would run for this
    /// command and that ops cannot switch off; nothing was run.
    #[error(
        "refused to run git in {dir}: the repository's config sets {key}, a program git would run (an agent's?); remove it with `git config --unset {key}`"
    )]
    ProgramInConfig {
        /// The config key.
        key: String,
        /// The working directory.
        dir: PathBuf,
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
    /// `-c KEY=VALUE` of ops' own, given after the blanked program keys.
    config: Vec<String>,
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

/// The config keys (a `git config --get-regexp` pattern) whose values are
/// programs git runs, or that make git run one: set in a repository's own config
/// they are an agent's code, so ops' git blanks them ([`Git`]).
pub const PROGRAM_KEYS: &str = "^(filter\\..*\\.(clean|smudge|process|required)|diff\\.external|diff\\..*\\.(command|textconv)|merge\\..*\\.driver|core\\.(fsmonitor|sshcommand|askpass|editor|pager|alternaterefscommand)|credential\\.(.*\\.)?helper|gpg\\.(.*\\.)?program|remote\\..*\\.(uploadpack|receivepack|vcs)|sequence\\.editor|uploadpack\\.packobjectshook|pager\\..*)$";

/// Read-only plumbing that never runs a program the repository's config names
/// (no filter, diff driver, fsmonitor, pager, ssh command or credential
/// helper; hooks are off for every command): the scan for [`PROGRAM_KEYS`] is
/// skipped for them, saving a git process per call. `cat-file` only without
/// `--textconv`/`--filters`.
const RUNS_NO_CONFIGURED_PROGRAM: &[&str] = &[
    "rev-parse",
    "rev-list",
    "show-ref",
    "for-each-ref",
    "merge-base",
    "symbolic-ref",
    "config",
    "ls-tree",
    "cat-file",
];

/// Whether `args` is a command of [`RUNS_NO_CONFIGURED_PROGRAM`].
fn runs_no_configured_program(args: &[OsString]) -> bool {
    let Some(sub) = args.first().and_then(|a| a.to_str()) else {
        return false;
    };
    RUNS_NO_CONFIGURED_PROGRAM.contains(&sub)
        && !args.iter().any(|a| {
            let a = a.to_string_lossy();
            a.starts_with("--textconv") || a.starts_with("--filters")
        })
}

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
            config: Vec::new(),
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

    /// Add `-c key=value` to every invocation, after the repository's program
    /// keys are blanked (so `credential.helper=` then ops' own helper works
    /// whatever the repository's config says). No secret belongs here: argv is
    /// visible to every process.
    pub fn with_config(mut self, key: &str, value: &str) -> Self {
        self.config.push(format!("{key}={value}"));
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

    /// Run git with `args`, `input` on its stdin (e.g. a credential for `git
    /// credential approve`: on stdin, never in argv or the environment), and
    /// return its trimmed stdout.
    pub async fn run_with_input<I, S>(&self, args: I, input: &[u8]) -> Result<String, GitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let output = self.output_with(&args, Some(input)).await?;
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
        self.output_with(args, None).await
    }

    /// `git` with the safe configuration and environment, not yet given its arguments.
    fn command(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(SAFE_CONFIG)
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
        cmd
    }

    /// `-c KEY=` for every [`PROGRAM_KEYS`] entry the repository's own config
    /// (local or worktree scope, includes of theirs too) sets. Reading config runs
    /// nothing.
    /// `remote.*.receivepack`/`uploadpack` cannot be blanked (the first value
    /// wins): a command under such a repository config is refused.
    async fn blanked_program_keys(&self) -> Result<Vec<String>, GitError> {
        let mut cmd = self.command();
        cmd.args(["config", "--show-scope", "--get-regexp", PROGRAM_KEYS]);
        let Ok(out) = cmd.output().await else {
            return Ok(Vec::new());
        };
        let mut blank = Vec::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some((scope, rest)) = line.split_once('\t') else {
                continue;
            };
            let key = rest.split_once(' ').map_or(rest, |(k, _)| k);
            if !matches!(scope, "local" | "worktree") {
                continue;
            }
            if key.ends_with(".receivepack") || key.ends_with(".uploadpack") {
                return Err(GitError::ProgramInConfig {
                    key: key.to_owned(),
                    dir: self.dir.clone(),
                });
            }
            {
                // A required filter with no command would fail every add.
                let off = key == "core.fsmonitor" || key.ends_with(".required");
                let value = if off { "false" } else { "" };
                let arg = format!("{key}={value}");
                if !blank.contains(&arg) {
                    blank.push(arg);
                }
            }
        }
        Ok(blank)
    }

    async fn output_with(
        &self,
        args: &[OsString],
        input: Option<&[u8]>,
    ) -> Result<Output, GitError> {
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
        let mut cmd = self.command();
        if !runs_no_configured_program(args) {
            for key in self.blanked_program_keys().await? {
                cmd.arg("-c").arg(key);
            }
        }
        for entry in &self.config {
            cmd.arg("-c").arg(entry);
        }
        cmd.args(args);
        let spawn_error = |source| GitError::Spawn {
            args: joined.clone(),
            dir: self.dir.clone(),
            source,
        };
        let output = match input {
            None => cmd.output().await.map_err(spawn_error)?,
            Some(input) => {
                use tokio::io::AsyncWriteExt;
                cmd.stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = cmd.spawn().map_err(spawn_error)?;
                if let Some(mut stdin) = child.stdin.take() {
                    stdin.write_all(input).await.map_err(spawn_error)?;
                }
                child.wait_with_output().await.map_err(spawn_error)?
            }
        };
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

/// `text` with the userinfo part (`user[:secret]@`) of every `scheme://` URL in it
/// removed, for showing a URL that may carry a token.
pub fn without_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, after) = rest.split_at(pos + 3);
        out.push_str(head);
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        out.push_str(
            authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host),
        );
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
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
    fn only_read_only_plumbing_skips_the_scan_for_configured_programs() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        for plumbing in [
            &["rev-parse", "HEAD"][..],
            &["rev-list", "--count", "a..b"],
            &["cat-file", "-s", "abc"],
            &["merge-base", "--is-ancestor", "a", "b"],
        ] {
            assert!(runs_no_configured_program(&args(plumbing)), "{plumbing:?}");
        }
        for porcelain in [
            &["add", "-A"][..],
            &["commit", "-m", "x"],
            &["diff", "dev"],
            &["worktree", "add", "x"],
            &["push", "origin", "dev"],
            &["cat-file", "--textconv", "HEAD:a"],
            &["cat-file", "--filters", "HEAD:a"],
            &["-C", "x", "rev-parse"],
            &[],
        ] {
            assert!(
                !runs_no_configured_program(&args(porcelain)),
                "{porcelain:?}"
            );
        }
    }

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
    fn urls_lose_their_userinfo_and_the_rest_of_the_text_stays() {
        assert_eq!(
            without_credentials("https://x:ghp_t@github.com/o/r.git and ssh://me@h/p"),
            "https://github.com/o/r.git and ssh://h/p"
        );
        assert_eq!(without_credentials("/srv/git/r.git"), "/srv/git/r.git");
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

    /// Programs an agent configures in the repository's own config (filters,
    /// textconv, `diff.external`, a merge driver, fsmonitor, a credential helper,
    /// a receive-pack for the local origin, `core.sshCommand`) run in none of ops'
    /// git commands, adding, committing, diffing, merging and pushing.
    #[tokio::test]
    async fn programs_an_agent_configures_in_the_repository_never_run_in_ops_git() {
        let repo = ops_testkit::TempRepo::new();
        let work = repo.work();
        let ran = work.join("../planted-ran");
        let script = work.join("../planted.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$0 $*\" >>{}\ncat\n", ran.display()),
        )
        .expect("script");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let s = script.display().to_string();
        for (key, value) in [
            ("filter.evil.clean", s.clone()),
            ("filter.evil.smudge", s.clone()),
            ("filter.evil.process", s.clone()),
            ("filter.evil.required", "true".into()),
            ("diff.evil.textconv", s.clone()),
            ("diff.evil.command", s.clone()),
            ("diff.external", s.clone()),
            ("merge.evil.driver", s.clone()),
            ("core.fsmonitor", s.clone()),
            ("core.sshCommand", s.clone()),
            ("credential.helper", format!("!{s}")),
        ] {
            ops_testkit::git(&work, &["config", key, &value]);
        }
        std::fs::write(
            work.join(".gitattributes"),
            "* filter=evil diff=evil merge=evil\n",
        )
        .expect("attributes");
        std::fs::write(work.join("a.txt"), "one\n").expect("write");
        let git = Git::new(&work);
        git.run(["add", "-A"]).await.expect("add");
        git.run(["commit", "--quiet", "-m", "planted"])
            .await
            .expect("commit");
        let _ = git.run(["diff", "HEAD~1"]).await;
        let _ = git.run(["status", "--porcelain"]).await;
        git.run(["push", "--quiet", "origin", "HEAD:refs/heads/planted"])
            .await
            .expect("push with the programs blanked");
        for key in ["remote.origin.receivepack", "remote.origin.uploadpack"] {
            ops_testkit::git(&work, &["config", key, &format!("{s}; git-receive-pack")]);
            let e = git
                .run(["push", "--quiet", "origin", "HEAD:refs/heads/planted2"])
                .await;
            let e = e.expect_err("a receive-pack cannot be blanked: refused");
            assert!(e.to_string().contains(key), "{e}");
            ops_testkit::git(&work, &["config", "--unset", key]);
        }
        let _ = git.run(["fetch", "--quiet", "origin"]).await;
        let _ = git.run(["checkout", "--quiet", "-b", "other"]).await;
        let ran = std::fs::read_to_string(&ran).unwrap_or_default();
        assert!(ran.is_empty(), "planted programs ran in ops' git:\n{ran}");
        assert!(
            ops_testkit::git(&repo.origin(), &["for-each-ref", "refs/heads/planted"])
                .contains("planted"),
            "the push itself went through"
        );
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
