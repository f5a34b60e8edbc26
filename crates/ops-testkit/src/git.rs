use std::path::{Path, PathBuf};
use std::process::Command;

/// Environment that isolates git from the machine's configuration: no system
/// config, a global config file of our own (or none), and a fixed identity.
pub fn git_env() -> Vec<(&'static str, String)> {
    vec![
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        ("GIT_CONFIG_GLOBAL", "/dev/null".into()),
        ("GIT_AUTHOR_NAME", "ops test".into()),
        ("GIT_AUTHOR_EMAIL", "ops-test@example.invalid".into()),
        ("GIT_COMMITTER_NAME", "ops test".into()),
        ("GIT_COMMITTER_EMAIL", "ops-test@example.invalid".into()),
        ("GIT_TERMINAL_PROMPT", "0".into()),
        ("LC_ALL", "C".into()),
    ]
}

/// Run git in `dir` with the isolated environment; panics (this is test code)
/// with git's stderr when it fails. Returns trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .envs(git_env())
        .output()
        .unwrap_or_else(|e| panic!("cannot run git {args:?}: {e}"));
    assert!(
        output.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned()
}

/// A real repository in a temp dir: a bare `origin.git` and a clone `work`
/// checked out on `dev`, with `main` and `dev` both pushed at one initial
/// commit (a README).
pub struct TempRepo {
    dir: tempfile::TempDir,
}

impl TempRepo {
    /// Build the fixture.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        git(
            root,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "origin.git",
            ],
        );
        git(root, &["clone", "--quiet", "origin.git", "work"]);
        let repo = TempRepo { dir };
        let work = repo.work();
        git(&work, &["checkout", "--quiet", "-B", "main"]);
        repo.commit_file("README.md", "# fixture\n", "initial commit");
        git(&work, &["push", "--quiet", "-u", "origin", "main"]);
        git(&work, &["checkout", "--quiet", "-b", "dev"]);
        git(&work, &["push", "--quiet", "-u", "origin", "dev"]);
        repo
    }

    /// The temp dir holding `origin.git` and `work` (and anything a test adds).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The working clone.
    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The bare origin.
    pub fn origin(&self) -> PathBuf {
        self.dir.path().join("origin.git")
    }

    /// Run git in the working clone.
    pub fn git(&self, args: &[&str]) -> String {
        git(&self.work(), args)
    }

    /// Write `content` to `path` (relative to the clone), creating directories.
    pub fn write(&self, path: &str, content: &str) {
        let full = self.work().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create dirs");
        }
        std::fs::write(full, content).expect("write file");
    }

    /// Write a file, stage it and commit it on the current branch; returns the
    /// new commit id.
    pub fn commit_file(&self, path: &str, content: &str, message: &str) -> String {
        self.write(path, content);
        self.git(&["add", "--", path]);
        self.git(&["commit", "--quiet", "-m", message]);
        self.head()
    }

    /// The commit id of HEAD in the clone.
    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    /// The commit id `reference` points to in the bare origin.
    pub fn origin_rev(&self, reference: &str) -> String {
        git(&self.origin(), &["rev-parse", reference])
    }
}

impl Default for TempRepo {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_has_dev_checked_out_and_both_branches_on_origin() {
        let repo = TempRepo::new();
        assert_eq!(repo.git(&["branch", "--show-current"]), "dev");
        assert_eq!(repo.origin_rev("main"), repo.origin_rev("dev"));
        let c = repo.commit_file("src/a.rs", "fn a() {}\n", "add a");
        assert_ne!(repo.origin_rev("dev"), c);
        repo.git(&["push", "--quiet"]);
        assert_eq!(repo.origin_rev("dev"), c);
    }
}
