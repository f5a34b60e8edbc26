//! Secrets resolution with real processes: fake `doppler`, `op` and `pass`
//! shell scripts in a temp dir that is the resolver's only PATH. Each script
//! appends its argv to a log, checks it, then prints a value, fails or hangs.

use ops_core::config::Settings;
use ops_sources::secrets::{Attempt, MissingSecret, SecretResolver, TokenUser};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Serialises the tests of this file: a script written by one test while
/// another test's provider is between fork and exec would be "text file busy".
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CANARY: &str = "ops-canary-7f3a9c1e5b2d";

/// What a fake provider does once its argv checked out.
enum Does {
    Print(&'static str),
    /// Prints the canary on stdout and stderr, then exits with this status.
    FailLoudly(i32),
    PrintNothing,
    Hang,
}

struct Bin {
    dir: tempfile::TempDir,
}

impl Bin {
    fn new() -> Self {
        Bin {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn log(&self) -> PathBuf {
        self.path().join("calls.log")
    }

    /// Every call made, one `program args...` line each.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A fake `program` that exits 64 unless called with exactly `args`.
    fn fake(&self, program: &str, args: &str, does: Does) {
        let then = match does {
            Does::Print(value) => format!("printf '%s\\n' '{value}'"),
            Does::FailLoudly(code) => {
                format!("echo '{CANARY}'; echo 'error: {CANARY}' >&2; exit {code}")
            }
            Does::PrintNothing => "exit 0".to_owned(),
            Does::Hang => "exec /bin/sleep 30".to_owned(),
        };
        let script = format!(
            "#!/bin/sh\necho \"{program} $*\" >> '{log}'\n[ \"$*\" = '{args}' ] || {{ echo \"bad argv: $*\" >&2; exit 64; }}\n{then}\n",
            log = self.log().display()
        );
        let file = self.path().join(program);
        std::fs::write(&file, script).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A resolver for `settings` with exactly `env` and this dir as PATH.
    fn resolver(&self, settings: &Settings, env: &[(&str, &str)]) -> SecretResolver {
        SecretResolver::new(settings)
            .with_env(env.iter().map(|(k, v)| (*k, *v)))
            .with_path(self.path())
    }
}

fn settings(toml: &str) -> Settings {
    Settings::parse(toml, Path::new("test.toml")).unwrap()
}

#[tokio::test]
async fn env_comes_first_and_no_provider_is_run() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake(
        "doppler",
        "secrets get GITHUB_TOKEN --plain",
        Does::Print("from-doppler"),
    );
    let r = bin.resolver(&Settings::default(), &[("GITHUB_TOKEN", " from-env\n")]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!(token.expose(), "from-env");
    assert_eq!(token.origin(), "env GITHUB_TOKEN");
    assert!(bin.calls().is_empty(), "{:?}", bin.calls());
}

#[tokio::test]
async fn env_variables_are_tried_in_their_order() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    let r = bin.resolver(&Settings::default(), &[("GH_TOKEN", "second")]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!((token.expose(), token.origin()), ("second", "env GH_TOKEN"));
    let r = bin.resolver(
        &Settings::default(),
        &[("GH_TOKEN", "second"), ("GITHUB_TOKEN", "first")],
    );
    assert_eq!(r.token(TokenUser::GitHub).await.unwrap().expose(), "first");
}

#[tokio::test]
async fn doppler_is_asked_with_its_project_and_config_when_env_is_unset() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake(
        "doppler",
        "secrets get SENTRY_AUTH_TOKEN --plain --project backend --config prd",
        Does::Print("from-doppler"),
    );
    let s =
        settings("[secrets.sentry_token]\ndoppler = { project = \"backend\", config = \"prd\" }\n");
    let token = bin
        .resolver(&s, &[])
        .token(TokenUser::Sentry)
        .await
        .unwrap();
    assert_eq!(token.expose(), "from-doppler");
    assert_eq!(token.origin(), "doppler SENTRY_AUTH_TOKEN");
    assert_eq!(
        bin.calls(),
        ["doppler secrets get SENTRY_AUTH_TOKEN --plain --project backend --config prd"]
    );
}

#[tokio::test]
async fn one_resolver_asks_a_provider_once_however_often_the_token_is_needed() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake(
        "doppler",
        "secrets get SENTRY_AUTH_TOKEN --plain",
        Does::Print("from-doppler"),
    );
    let s = settings("");
    let resolver = bin.resolver(&s, &[]);
    for _ in 0..3 {
        let token = resolver.token(TokenUser::Sentry).await.unwrap();
        assert_eq!(token.expose(), "from-doppler");
    }
    let missing = resolver.token(TokenUser::Linear).await.unwrap_err();
    assert_eq!(
        missing,
        resolver.token(TokenUser::Linear).await.unwrap_err()
    );
    assert_eq!(
        bin.calls(),
        [
            "doppler secrets get SENTRY_AUTH_TOKEN --plain",
            "doppler secrets get LINEAR_API_KEY --plain"
        ],
        "one lookup per secret, found or not, however often it is asked for"
    );
}

#[tokio::test]
async fn op_reads_the_configured_reference() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake(
        "doppler",
        "secrets get LINEAR_API_KEY --plain",
        Does::FailLoudly(1),
    );
    bin.fake("op", "read op://Work/Linear/key", Does::Print("from-op"));
    let s = settings("[secrets.linear_key]\nop = \"op://Work/Linear/key\"\n");
    let token = bin
        .resolver(&s, &[])
        .token(TokenUser::Linear)
        .await
        .unwrap();
    assert_eq!((token.expose(), token.origin()), ("from-op", "op"));
    assert_eq!(
        bin.calls(),
        [
            "doppler secrets get LINEAR_API_KEY --plain",
            "op read op://Work/Linear/key"
        ]
    );
}

#[tokio::test]
async fn the_configured_order_wins_over_the_default_and_pass_gives_its_first_line() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake(
        "pass",
        "show ops/github",
        Does::Print("from-pass\nlogin: me\nurl: x"),
    );
    bin.fake(
        "doppler",
        "secrets get GITHUB_TOKEN --plain",
        Does::Print("from-doppler"),
    );
    let s =
        settings("[secrets.github_token]\norder = [\"pass\", \"env\"]\npass = \"ops/github\"\n");
    let r = bin.resolver(&s, &[("GITHUB_TOKEN", "from-env")]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!(
        (token.expose(), token.origin()),
        ("from-pass", "pass ops/github")
    );
    assert_eq!(bin.calls(), ["pass show ops/github"]);
}

#[tokio::test]
async fn a_provider_left_out_of_the_order_is_never_asked() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake(
        "doppler",
        "secrets get GITHUB_TOKEN --plain",
        Does::Print("from-doppler"),
    );
    let s = settings("[secrets.github_token]\norder = [\"env\"]\n");
    let err = bin
        .resolver(&s, &[])
        .token(TokenUser::GitHub)
        .await
        .unwrap_err();
    assert!(bin.calls().is_empty(), "{:?}", bin.calls());
    assert_eq!(
        err.tried
            .iter()
            .map(|a| a.place.as_str())
            .collect::<Vec<_>>(),
        ["env GITHUB_TOKEN", "env GH_TOKEN"]
    );
}

#[tokio::test]
async fn secrets_are_configured_one_by_one() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake(
        "op",
        "read op://Work/Sentry/token",
        Does::Print("sentry-from-op"),
    );
    let s = settings("[secrets.sentry_token]\norder = [\"op\"]\nop = \"op://Work/Sentry/token\"\n");
    let r = bin.resolver(
        &s,
        &[("GITHUB_TOKEN", "gh"), ("SENTRY_AUTH_TOKEN", "ignored")],
    );
    assert_eq!(
        r.token(TokenUser::Sentry).await.unwrap().expose(),
        "sentry-from-op"
    );
    assert_eq!(r.token(TokenUser::GitHub).await.unwrap().expose(), "gh");
}

#[tokio::test]
async fn a_custom_secret_named_by_a_source_is_used() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    let s = settings("[github]\ntoken = \"work_gh\"\n[secrets.work_gh]\nenv = [\"WORK_GH\"]\n");
    let r = bin.resolver(&s, &[("GITHUB_TOKEN", "personal"), ("WORK_GH", "work")]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!((token.expose(), token.origin()), ("work", "env WORK_GH"));
}

#[tokio::test]
async fn missing_programs_are_skipped_as_not_installed() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake("pass", "show ops/github", Does::Print("from-pass"));
    let s = settings(
        "[secrets.github_token]\nop = \"op://Work/GitHub/token\"\npass = \"ops/github\"\n",
    );
    let r = bin.resolver(&s, &[]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!(token.origin(), "pass ops/github");

    std::fs::remove_file(bin.path().join("pass")).unwrap();
    // A new resolver (one answers each lookup once, for the length of a command).
    let r = bin.resolver(&s, &[]);
    let err = r.token(TokenUser::GitHub).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the GitHub source is off: no github_token (tried env GITHUB_TOKEN: unset, env GH_TOKEN: unset, \
         doppler GITHUB_TOKEN: not installed, op: not installed, pass ops/github: not installed)"
    );
}

#[tokio::test]
async fn a_file_without_the_execute_bit_is_not_a_program() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake(
        "doppler",
        "secrets get GITHUB_TOKEN --plain",
        Does::Print("x"),
    );
    std::fs::set_permissions(
        bin.path().join("doppler"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let err = bin
        .resolver(&Settings::default(), &[])
        .token(TokenUser::GitHub)
        .await
        .unwrap_err();
    assert_eq!(err.tried[2].why, "not installed");
}

#[tokio::test]
async fn failing_empty_and_hanging_providers_fall_through_to_the_next() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    bin.fake("doppler", "secrets get GITHUB_TOKEN --plain", Does::Hang);
    bin.fake("op", "read op://Work/GitHub/token", Does::PrintNothing);
    bin.fake("pass", "show ops/github", Does::FailLoudly(3));
    let s = settings(
        "[secrets.github_token]\nop = \"op://Work/GitHub/token\"\npass = \"ops/github\"\ntimeout_ms = 300\nenv = [\"GITHUB_TOKEN\"]\norder = [\"doppler\", \"op\", \"pass\", \"env\"]\n",
    );
    let r = bin.resolver(&s, &[("GITHUB_TOKEN", "last-resort")]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!(
        (token.expose(), token.origin()),
        ("last-resort", "env GITHUB_TOKEN")
    );
    assert_eq!(
        bin.calls(),
        [
            "doppler secrets get GITHUB_TOKEN --plain",
            "op read op://Work/GitHub/token",
            "pass show ops/github"
        ]
    );

    let err = bin
        .resolver(&s, &[])
        .token(TokenUser::GitHub)
        .await
        .unwrap_err();
    assert_eq!(
        err.tried,
        [
            attempt("doppler GITHUB_TOKEN", "timed out after 300ms"),
            attempt("op", "printed nothing"),
            attempt("pass ops/github", "exited with status 3"),
            attempt("env GITHUB_TOKEN", "unset"),
        ]
    );
}

#[tokio::test]
async fn a_wrong_argv_is_a_failure_not_a_value() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    // The fake expects another name: it exits 64 and prints nothing useful.
    bin.fake("doppler", "secrets get OTHER --plain", Does::Print("wrong"));
    let err = bin
        .resolver(&Settings::default(), &[])
        .token(TokenUser::GitHub)
        .await
        .unwrap_err();
    assert_eq!(
        err.tried[2],
        attempt("doppler GITHUB_TOKEN", "exited with status 64")
    );
}

#[tokio::test]
async fn providers_run_with_exactly_the_injected_environment() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    let script = bin.path().join("doppler");
    std::fs::write(
        &script,
        "#!/bin/sh\n[ -z \"$HOME\" ] || exit 9\nprintf '%s' \"$DOPPLER_TOKEN-seen\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = bin.resolver(&Settings::default(), &[("DOPPLER_TOKEN", "dp")]);
    assert_eq!(
        r.token(TokenUser::GitHub).await.unwrap().expose(),
        "dp-seen"
    );
}

#[tokio::test]
async fn an_unknown_secret_says_how_to_configure_it() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    let err = bin
        .resolver(&Settings::default(), &[])
        .resolve("npm_token")
        .await
        .unwrap_err();
    assert!(!err.known);
    assert_eq!(
        err.to_string(),
        "no npm_token (no such secret: add a [secrets.npm_token] table to the settings file)"
    );
}

#[tokio::test]
async fn a_secret_with_nowhere_to_look_says_so() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    let s = settings("[secrets.github_token]\nenv = []\norder = [\"env\", \"op\"]\n");
    let err = bin
        .resolver(&s, &[])
        .token(TokenUser::GitHub)
        .await
        .unwrap_err();
    assert!(err.tried.is_empty());
    assert!(err.to_string().contains("nowhere to look"), "{err}");
    let core: ops_core::Error = err.into();
    assert_eq!(core.kind(), ops_core::ErrorKind::NotFound);
}

#[tokio::test]
async fn the_canary_appears_in_no_error_debug_display_or_argv() {
    let _serial = SERIAL.lock().await;
    let bin = Bin::new();
    let s = settings(
        "[secrets.github_token]\nop = \"op://Work/GitHub/token\"\npass = \"ops/github\"\n",
    );
    let mut shown = Vec::new();

    // Found in env: the secret and the resolver (which holds the env) stay quiet.
    let r = bin.resolver(&s, &[("GITHUB_TOKEN", CANARY)]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!(token.expose(), CANARY, "the canary is really resolved");
    shown.extend([format!("{token:?}"), format!("{token}"), format!("{r:?}")]);

    // Found in doppler, then in op.
    bin.fake(
        "doppler",
        "secrets get GITHUB_TOKEN --plain",
        Does::Print(CANARY),
    );
    let r = bin.resolver(&s, &[]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!(token.origin(), "doppler GITHUB_TOKEN");
    shown.extend([format!("{token:?}"), format!("{token}"), format!("{r:?}")]);
    bin.fake(
        "doppler",
        "secrets get GITHUB_TOKEN --plain",
        Does::FailLoudly(1),
    );
    bin.fake("op", "read op://Work/GitHub/token", Does::Print(CANARY));
    let r = bin.resolver(&s, &[]);
    let token = r.token(TokenUser::GitHub).await.unwrap();
    assert_eq!(token.origin(), "op");
    shown.extend([format!("{token:?}"), format!("{token}")]);

    // Found nowhere, with the canary printed by every failing provider (stdout
    // and stderr) and sitting in an env variable the secret does not use.
    bin.fake("op", "read op://Work/GitHub/token", Does::FailLoudly(2));
    bin.fake("pass", "show ops/github", Does::FailLoudly(1));
    let r = bin.resolver(&s, &[("UNRELATED", CANARY)]);
    let err: MissingSecret = r.token(TokenUser::GitHub).await.unwrap_err();
    assert_eq!(err.tried.len(), 5, "{err}");
    shown.extend([format!("{err}"), format!("{err:?}"), format!("{r:?}")]);
    let core: ops_core::Error = err.into();
    shown.extend([format!("{core}"), format!("{core:?}")]);

    for text in &shown {
        assert!(!text.contains(CANARY), "the canary leaked: {text}");
    }
    let calls = bin.calls();
    assert_eq!(calls.len(), 6, "{calls:?}");
    for call in calls {
        assert!(!call.contains(CANARY), "the canary reached an argv: {call}");
    }
}

fn attempt(place: &str, why: &str) -> Attempt {
    Attempt {
        place: place.into(),
        why: why.into(),
    }
}
