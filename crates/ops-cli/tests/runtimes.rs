//! Every agent runtime for real: `ops run --agent <kind>` through the built
//! binary with the pinned CLI (installed by scripts/install-agent-clis.sh)
//! against its scripted model server on 127.0.0.1, the local-git shipper and a
//! bare origin. A todo becomes a commit that passes the gate and lands on the
//! origin's dev and main. No network beyond loopback.

use ops_testkit::model::{FakeModel, Reply};
use ops_testkit::{TempRepo, git_env};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

mod scoped;

/// The pinned CLIs' folder, installed on first use (a file lock keeps
/// parallel tests from installing twice).
fn tools() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("the workspace root")
        .to_path_buf();
    let status = std::process::Command::new(root.join("scripts/install-agent-clis.sh"))
        .status()
        .expect("run scripts/install-agent-clis.sh");
    assert!(status.success(), "installing the agent CLIs failed");
    root.join(".tools")
}

/// A home and a state directory of the test's own, and a repository whose
/// `.ops/todos.md` holds one todo (committed and pushed to the bare origin).
struct Setup {
    tmp: tempfile::TempDir,
    repo: TempRepo,
}

impl Setup {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("home")).expect("home");
        let repo = TempRepo::new();
        repo.commit_file(".ops/todos.md", "- [ ] Write hello.txt {#hello}\n", "todos");
        repo.git(&["push", "--quiet", "origin", "dev"]);
        Setup { tmp, repo }
    }

    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    /// Writes `text` to `<home>/<path>`.
    fn home_file(&self, path: &str, text: &str) {
        let file = self.home().join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("dir");
        std::fs::write(file, text).expect("write");
    }

    /// `ops run --subagents --force --agent <agent> --agent-cmd <cli>` with `env`,
    /// while `api` answers (the run blocks a thread; the server runs on the others).
    async fn run(&self, agent: &str, cli: PathBuf, env: Vec<(String, String)>) -> Output {
        let mut cmd = scoped::ops_command(&self.repo.work(), &self.home());
        cmd.envs(git_env())
            .envs(env)
            .arg("--state-dir")
            .arg(self.tmp.path().join("state"))
            .args([
                "run",
                "--subagents",
                "--force",
                "--agent",
                agent,
                "--agent-cmd",
            ])
            .arg(cli)
            .stdin(Stdio::null());
        tokio::task::spawn_blocking(move || cmd.output().expect("the ops binary runs"))
            .await
            .expect("the run's thread")
    }

    /// The run ended 0 and `hello.txt` (holding `hi`) is on the origin's dev and
    /// main, one and the same commit, and nothing else but the todos file.
    fn assert_landed(&self, out: &Output, api: &FakeModel) {
        let explain = format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}\nrequests:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            api.dump()
        );
        assert_eq!(out.status.code(), Some(0), "{explain}");
        let origin = self.repo.origin();
        let files = ops_testkit::git(&origin, &["ls-tree", "-r", "--name-only", "dev"]);
        let files: Vec<&str> = files.lines().collect();
        assert_eq!(
            files,
            [".ops/todos.md", "README.md", "hello.txt"],
            "{explain}"
        );
        assert_eq!(
            ops_testkit::git(&origin, &["show", "dev:hello.txt"]),
            "hi",
            "{explain}"
        );
        assert_eq!(
            self.repo.origin_rev("main"),
            self.repo.origin_rev("dev"),
            "main was promoted to dev\n{explain}"
        );
        assert!(
            api.received("Write hello.txt"),
            "the brief reached the model"
        );
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claude_code_todo_lands_on_origins_dev_and_main() {
    let cli = tools().join("node_modules/.bin/claude");
    let s = Setup::new();
    let api = ops_testkit::anthropic::FakeAnthropic::start(vec![
        Reply::bash("printf 'hi\\n' > hello.txt"),
        Reply::Text("Wrote hello.txt.".into()),
    ])
    .await;
    let out = s
        .run(
            "claude",
            cli,
            env(&[
                ("ANTHROPIC_BASE_URL", &api.url()),
                ("ANTHROPIC_API_KEY", "test"),
                ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
            ]),
        )
        .await;
    s.assert_landed(&out, &api);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_codex_todo_lands_on_origins_dev_and_main() {
    let cli = tools().join("node_modules/.bin/codex");
    let s = Setup::new();
    let api = ops_testkit::openai::FakeOpenAi::start(vec![
        ops_testkit::openai::exec_command("printf 'hi\\n' > hello.txt"),
        Reply::Text("Wrote hello.txt.".into()),
    ])
    .await;
    // Codex finds its model provider in $CODEX_HOME/config.toml.
    s.home_file(
        ".codex/config.toml",
        &format!(
            "model_provider = \"scripted\"\nmodel = \"gpt-test\"\n\
             [model_providers.scripted]\nname = \"scripted\"\nbase_url = \"{}\"\n\
             env_key = \"OPENAI_API_KEY\"\nwire_api = \"responses\"\n\
             request_max_retries = 0\nstream_max_retries = 0\nsupports_websockets = false\n",
            api.base_url()
        ),
    );
    let codex_home = s.home().join(".codex");
    let out = s
        .run(
            "codex",
            cli,
            env(&[
                ("CODEX_HOME", &codex_home.to_string_lossy()),
                ("OPENAI_API_KEY", "test"),
            ]),
        )
        .await;
    s.assert_landed(&out, &api);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gemini_cli_todo_lands_on_origins_dev_and_main() {
    let cli = tools().join("node_modules/.bin/gemini");
    let s = Setup::new();
    let api = ops_testkit::gemini::FakeGemini::start(vec![
        ops_testkit::gemini::run_shell_command("printf 'hi\\n' > hello.txt"),
        Reply::Text("Wrote hello.txt.".into()),
    ])
    .await;
    // The API key auth, from the user's settings (a base URL alone is the
    // gateway auth, which the headless CLI refuses).
    s.home_file(
        ".gemini/settings.json",
        r#"{"security":{"auth":{"selectedType":"gemini-api-key"}}}"#,
    );
    let out = s
        .run(
            "gemini",
            cli,
            env(&[
                ("GOOGLE_GEMINI_BASE_URL", &api.url()),
                ("GEMINI_API_KEY", "test"),
            ]),
        )
        .await;
    s.assert_landed(&out, &api);
}

/// Issue 14.4: Aider's chat and input history, its tags cache and the
/// `.gitignore` lines it adds for them are not the task's and never ship.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aider_todo_lands_on_origins_dev_and_main_without_aiders_own_files() {
    let cli = tools().join("aider-venv/bin/aider");
    let s = Setup::new();
    // Aider's "whole" edit format: the file's name, then its whole text.
    let api = ops_testkit::openai::FakeOpenAi::start(vec![Reply::Text(
        "hello.txt\n```\nhi\n```\n".into(),
    )])
    .await;
    s.home_file(
        ".config/ops/config.toml",
        "[engine]\nmodel = \"openai/gpt-test\"\n",
    );
    let out = s
        .run(
            "aider",
            cli,
            env(&[
                ("OPENAI_API_BASE", &api.base_url()),
                ("OPENAI_API_KEY", "test"),
                ("LITELLM_LOCAL_MODEL_COST_MAP", "True"),
            ]),
        )
        .await;
    s.assert_landed(&out, &api);
    let wt_files: Vec<String> = walk(&s.repo.work().join(".worktrees"));
    assert!(
        wt_files.iter().any(|f| f.contains(".aider")),
        "Aider left its files in the worktree (so the test proves they were kept out): {wt_files:?}"
    );
}

/// Issue 14.4: an agent that commits its runtime's own files itself (Gemini
/// CLI's project settings, by `git add -A`) gets a diff-scope finding in the
/// completion audit, shown in the run's report, and nothing reaches origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtimes_own_files_committed_by_the_agent_are_a_scope_finding_and_never_ship() {
    let cli = tools().join("node_modules/.bin/gemini");
    let s = Setup::new();
    let dev_before = s.repo.origin_rev("dev");
    let api = ops_testkit::gemini::FakeGemini::start(vec![
        ops_testkit::gemini::run_shell_command(
            "mkdir -p .gemini && printf '{}\\n' > .gemini/settings.json && \
             printf 'hi\\n' > hello.txt && git add -A && git commit -qm hello",
        ),
        Reply::Text("Wrote hello.txt.".into()),
    ])
    .await;
    s.home_file(
        ".gemini/settings.json",
        r#"{"security":{"auth":{"selectedType":"gemini-api-key"}}}"#,
    );
    s.home_file(".config/ops/config.toml", "[engine]\nmax_attempts = 1\n");
    let out = s
        .run(
            "gemini",
            cli,
            env(&[
                ("GOOGLE_GEMINI_BASE_URL", &api.url()),
                ("GEMINI_API_KEY", "test"),
            ]),
        )
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let explain = format!(
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}\nrequests:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        api.dump()
    );
    assert!(
        stdout.contains("gate diff-scope failed")
            && stdout.contains(".gemini/settings.json (Gemini CLI)"),
        "the finding is in the report\n{explain}"
    );
    assert_ne!(out.status.code(), Some(0), "{explain}");
    assert_eq!(
        s.repo.origin_rev("dev"),
        dev_before,
        "nothing shipped\n{explain}"
    );
    let origin = s.repo.origin();
    let all = ops_testkit::git(&origin, &["log", "--all", "--name-only", "--format="]);
    assert!(
        !all.contains(".gemini"),
        "no branch on origin carries it: {all}\n{explain}"
    );
}

/// Every file name under `dir`, recursively (`.git` skipped).
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        if e.file_name() == ".git" {
            continue;
        }
        out.push(path.to_string_lossy().into_owned());
        if path.is_dir() {
            out.extend(walk(&path));
        }
    }
    out
}
