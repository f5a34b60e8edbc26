//! `ops audit` and `ops plan` with the remote sources, through the built binary:
//! GitHub, Sentry and Linear fakes on 127.0.0.1 named in a settings file,
//! tokens from the environment. The tokens are canaries: they must appear in no
//! output, no error and nothing ops writes to its state directory.

use ops_testkit::TempRepo;
use ops_testkit::github_api::FakeGitHubApi;
use ops_testkit::github_runs::RunsFake;
use ops_testkit::linear::FakeLinear;
use ops_testkit::sentry::FakeSentry;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

mod scoped;

const GITHUB: &str = "ghp_canaryGITHUBtoken0000000000000000001";
const SENTRY: &str = "sntrys_canarySENTRYtoken000000000000002";
const LINEAR: &str = "lin_api_canaryLINEARkey0000000000000003";
const CANARIES: [&str; 3] = [GITHUB, SENTRY, LINEAR];

struct World {
    tmp: tempfile::TempDir,
    repo: TempRepo,
    github: FakeGitHubApi,
    sentry: FakeSentry,
    linear: FakeLinear,
}

impl World {
    async fn new() -> Self {
        let runs = RunsFake::new();
        let github = FakeGitHubApi::start_with(GITHUB, runs.router()).await;
        github.load_fixture(&FakeGitHubApi::fixture("acme_api.json"));
        let world = World {
            tmp: tempfile::tempdir().expect("tempdir"),
            repo: TempRepo::new(),
            github,
            sentry: FakeSentry::seeded(SENTRY).await,
            linear: FakeLinear::with_fixtures(LINEAR).await,
        };
        let registry = format!(
            r#"{{"projects": [{{"alias": "shop", "paths": ["{}"], "repos": ["acme/api"],
                "sentry": {{"org": "acme", "project": "web"}}, "linear": {{"team": "ENG"}}}}]}}"#,
            world.repo.work().display()
        );
        std::fs::write(world.path("registry.json"), registry).expect("registry");
        let settings = format!(
            "[github]\napi_url = \"{}\"\n[sentry]\nurl = \"{}\"\n[linear]\nurl = \"{}\"\n\
             [http]\nretries = 1\nbackoff_ms = 10\nmax_wait_secs = 5\n",
            world.github.url(),
            world.sentry.url(),
            world.linear.url()
        );
        std::fs::write(world.path("config.toml"), settings).expect("settings");
        std::fs::create_dir_all(world.path("home")).expect("home");
        world
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `ops --registry R --state-dir S <args>` outside any repository, with
    /// the settings file and `env` (the tokens).
    async fn ops(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all = vec![
            "--registry",
            self.path("registry.json").to_str().expect("utf8"),
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
        all.extend(args.iter().map(|a| a.to_string()));
        self.ops_in(&self.path("home"), &all, env).await
    }

    /// `ops --state-dir S <args>` in `cwd`, with the settings file and `env`.
    async fn ops_in(&self, cwd: &std::path::Path, args: &[String], env: &[(&str, &str)]) -> Output {
        let mut cmd = scoped::ops_command(cwd, &self.path("home"));
        cmd.env("OPS_CONFIG", self.path("config.toml"))
            .envs(env.iter().copied())
            .arg("--state-dir")
            .arg(self.path("state"))
            .args(args);
        tokio::task::spawn_blocking(move || cmd.output().expect("the ops binary runs"))
            .await
            .expect("join")
    }

    /// Every byte ops wrote to its state directory, as text.
    fn state_bytes(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(self.path("state")).expect("state dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            all.push_str(&String::from_utf8_lossy(&bytes));
        }
        all
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_no_canary(what: &str, text: &str) {
    for canary in CANARIES {
        assert!(!text.contains(canary), "{what} shows a token: {text}");
    }
}

fn sources_of(items: &[Value], field: &str) -> Vec<String> {
    let mut s: Vec<String> = items
        .iter()
        .filter_map(|f| f[field].as_str().map(str::to_string))
        .collect();
    s.sort();
    s.dedup();
    s
}

const ALL_TOKENS: [(&str, &str); 3] = [
    ("GITHUB_TOKEN", GITHUB),
    ("SENTRY_AUTH_TOKEN", SENTRY),
    ("LINEAR_API_KEY", LINEAR),
];

#[tokio::test(flavor = "multi_thread")]
async fn audit_and_plan_read_github_sentry_and_linear_and_never_show_a_token() {
    let w = World::new().await;
    let audit = w.ops(&["--json", "audit"], &ALL_TOKENS).await;
    assert_eq!(audit.status.code(), Some(0), "{}", text(&audit.stderr));
    let findings: Vec<Value> = serde_json::from_slice(&audit.stdout).expect("JSON");
    let sources = sources_of(&findings, "source");
    for remote in ["github", "linear", "sentry"] {
        assert!(sources.contains(&remote.to_string()), "{sources:?}");
    }
    assert!(w.github.total() > 0 && w.sentry.request_count() > 0 && w.linear.request_count() > 0);
    // Every remote finding belongs to the project and points at its checkout.
    let checkout = w.repo.work().display().to_string();
    for f in findings.iter().filter(|f| f["source"] != "git") {
        assert_eq!(
            (f["project"].as_str(), f["repo"].as_str()),
            (Some("shop"), Some(checkout.as_str())),
            "{f}"
        );
    }

    let plan = w.ops(&["--json", "-v", "plan"], &ALL_TOKENS).await;
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    let tasks: Vec<Value> = serde_json::from_slice(&plan.stdout).expect("JSON");
    let ids = sources_of(&tasks, "id");
    for remote in ["issue", "linear-issue", "sentry-issue"] {
        assert!(
            ids.iter()
                .any(|id| id.starts_with(&format!("shop-{remote}-"))),
            "{ids:?}"
        );
    }
    for out in [&audit, &plan] {
        assert_no_canary("stdout", &text(&out.stdout));
        assert_no_canary("stderr", &text(&out.stderr));
    }
    assert_no_canary("the state directory", &w.state_bytes());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_found_nowhere_turns_its_source_off_with_a_message_and_the_others_still_audit() {
    let w = World::new().await;
    let out = w
        .ops(&["--json", "audit"], &[("GITHUB_TOKEN", GITHUB)])
        .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("the Linear source is off: no linear_key (tried env LINEAR_API_KEY: unset"),
        "{err}"
    );
    assert!(
        err.contains("the Sentry source is off: no sentry_token"),
        "{err}"
    );
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(sources_of(&findings, "source"), ["github"]);
    assert_eq!((w.sentry.request_count(), w.linear.request_count()), (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_is_a_partial_audit_whose_error_names_the_source_but_not_the_token() {
    let w = World::new().await;
    let wrong = "lin_api_canaryWRONGkey000000000000000009";
    let out = w
        .ops(
            &["audit"],
            &[
                ("GITHUB_TOKEN", GITHUB),
                ("SENTRY_AUTH_TOKEN", SENTRY),
                ("LINEAR_API_KEY", wrong),
            ],
        )
        .await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("shop (linear)"), "{err}");
    assert!(!err.contains(wrong), "{err}");
    assert_no_canary("stderr", &err);
    assert!(
        text(&out.stdout).contains("sentry"),
        "the other sources still report"
    );
    // Never "zero findings" on the unread source's behalf: the table says so.
    let table = text(&out.stdout);
    assert!(
        table.contains("not read (") && table.contains("linear for shop"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_settings_file_fails_naming_the_file_and_the_key() {
    let w = World::new().await;
    std::fs::write(w.path("config.toml"), "[github]\nbatch_sise = 10\n").expect("write");
    let out = w.ops(&["audit"], &ALL_TOKENS).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("config.toml") && err.contains("github.batch_sise"),
        "{err}"
    );
    assert_eq!(w.github.total(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_clone_of_a_github_repository_is_audited_on_github_with_no_registry() {
    let w = World::new().await;
    ops_testkit::git(
        &w.repo.work(),
        &[
            "remote",
            "set-url",
            "origin",
            "https://github.com/acme/api.git",
        ],
    );
    let args = ["--json".to_string(), "audit".to_string()];
    let out = w.ops_in(&w.repo.work(), &args, &ALL_TOKENS).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    let github: Vec<&Value> = findings
        .iter()
        .filter(|f| f["source"] == "github")
        .collect();
    assert!(!github.is_empty(), "{findings:?}");
    assert!(
        github
            .iter()
            .all(|f| f["title"].as_str().is_some_and(|t| !t.is_empty()))
    );
    assert!(w.github.total() > 0);
    // Nothing there names Sentry or Linear, so they are never asked.
    assert_eq!((w.sentry.request_count(), w.linear.request_count()), (0, 0));
}
