//! The ops settings file: where it is found, its defaults, how a user's
//! `[secrets.x]` merges with the built-in ones, and errors that name the file
//! and the dotted key.

use ops_core::Error;
use ops_core::config::{DopplerRef, Env, SecretProvider, Settings, locate_settings};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn parse(text: &str) -> Result<Settings, Error> {
    Settings::parse(text, Path::new("/etc/ops/config.toml"))
}

/// The error's (file, field, message), failing the test on any other error.
fn config_error(text: &str) -> (PathBuf, String, String) {
    match parse(text) {
        Err(Error::ConfigFile {
            path,
            field,
            message,
        }) => (path, field, message),
        other => panic!("expected a ConfigFile error for {text:?}, got {other:?}"),
    }
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_absent_file_means_every_default() {
    let home = tempfile::tempdir().unwrap();
    let env = Env::from_pairs([("HOME", home.path().to_str().unwrap())]);
    assert_eq!(locate_settings(&env).unwrap(), None);
    let s = Settings::load(&env).unwrap();
    assert_eq!(s, Settings::default());
    assert_eq!(s.github.api_url, "https://api.github.com");
    assert_eq!(s.github.graphql_url, "https://api.github.com/graphql");
    assert_eq!(s.github.batch_size, 25);
    assert_eq!(s.sentry.url, "https://sentry.io");
    assert_eq!(s.linear.url, "https://api.linear.app/graphql");
    assert!(!s.linear.current_cycle_only);
    assert_eq!(s.http.retries, 3);
    assert_eq!(s.http.backoff, Duration::from_millis(1000));
    assert_eq!(s.http.max_wait, Duration::from_secs(60));
    assert_eq!(s.http.timeout, Duration::from_secs(30));
    let gh = s.secret(&s.github.token).unwrap();
    assert_eq!(gh.order, SecretProvider::DEFAULT_ORDER.to_vec());
    assert_eq!(gh.env, ["GITHUB_TOKEN", "GH_TOKEN"]);
    assert_eq!(gh.doppler.as_ref().unwrap().name, "GITHUB_TOKEN");
    assert_eq!((gh.op.as_deref(), gh.pass.as_deref()), (None, None));
    assert_eq!(gh.timeout, Duration::from_secs(10));
    assert_eq!(s.secret("sentry_token").unwrap().env, ["SENTRY_AUTH_TOKEN"]);
    assert_eq!(s.secret("linear_key").unwrap().env, ["LINEAR_API_KEY"]);
    assert_eq!(
        s.secret("linear_key")
            .unwrap()
            .doppler
            .as_ref()
            .unwrap()
            .name,
        "LINEAR_API_KEY"
    );
}

#[test]
fn the_file_is_found_in_xdg_config_home_before_home() {
    let root = tempfile::tempdir().unwrap();
    let xdg = root.path().join("xdg");
    let home = root.path().join("home");
    let in_home = write(
        &home,
        ".config/ops/config.toml",
        "[github]\nbatch_size = 3\n",
    );
    let env = Env::from_pairs([("HOME", home.to_str().unwrap())]);
    assert_eq!(locate_settings(&env).unwrap(), Some(in_home.clone()));
    assert_eq!(Settings::load(&env).unwrap().github.batch_size, 3);

    let in_xdg = write(&xdg, "ops/config.toml", "[github]\nbatch_size = 7\n");
    let env = Env::from_pairs([
        ("HOME", home.to_str().unwrap()),
        ("XDG_CONFIG_HOME", xdg.to_str().unwrap()),
    ]);
    assert_eq!(locate_settings(&env).unwrap(), Some(in_xdg));
    assert_eq!(Settings::load(&env).unwrap().github.batch_size, 7);
}

#[test]
fn ops_config_wins_and_must_exist() {
    let root = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "xdg/ops/config.toml",
        "[github]\nbatch_size = 7\n",
    );
    let named = write(root.path(), "mine.toml", "[github]\nbatch_size = 9\n");
    let xdg = root.path().join("xdg");
    let env = Env::from_pairs([
        ("XDG_CONFIG_HOME", xdg.to_str().unwrap()),
        ("OPS_CONFIG", named.to_str().unwrap()),
    ]);
    assert_eq!(Settings::load(&env).unwrap().github.batch_size, 9);

    let missing = root.path().join("nope.toml");
    let env = Env::from_pairs([
        ("XDG_CONFIG_HOME", xdg.to_str().unwrap()),
        ("OPS_CONFIG", missing.to_str().unwrap()),
    ]);
    let err = Settings::load(&env).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("nope.toml") && text.contains("OPS_CONFIG"),
        "{text}"
    );
}

#[test]
fn every_section_is_read() {
    let s = parse(
        r#"
[github]
api_url = "http://127.0.0.1:9000/"
batch_size = 50
token = "gh_work"

[sentry]
url = "http://127.0.0.1:9001"
token = "sentry_token"

[linear]
url = "http://127.0.0.1:9002/graphql"
current_cycle_only = true

[http]
retries = 0
backoff_ms = 5
max_wait_secs = 2
timeout_secs = 4

[secrets.gh_work]
env = ["WORK_GH"]
"#,
    )
    .unwrap();
    assert_eq!(s.github.api_url, "http://127.0.0.1:9000");
    assert_eq!(s.github.graphql_url, "http://127.0.0.1:9000/graphql");
    assert_eq!(s.github.batch_size, 50);
    assert_eq!(s.github.token, "gh_work");
    assert_eq!(s.sentry.url, "http://127.0.0.1:9001");
    assert!(s.linear.current_cycle_only);
    assert_eq!(s.linear.url, "http://127.0.0.1:9002/graphql");
    assert_eq!(s.http.retries, 0);
    assert_eq!(s.http.backoff, Duration::from_millis(5));
    assert_eq!(s.http.max_wait, Duration::from_secs(2));
    assert_eq!(s.http.timeout, Duration::from_secs(4));
    let custom = s.secret("gh_work").unwrap();
    assert_eq!(custom.env, ["WORK_GH"]);
    assert_eq!(
        custom.doppler, None,
        "a new secret starts from nothing configured"
    );
    assert_eq!(custom.order, SecretProvider::DEFAULT_ORDER.to_vec());
}

#[test]
fn an_explicit_graphql_url_beats_the_one_derived_from_api_url() {
    let s = parse(
        "[github]\ngraphql_url = \"https://ghe.example/api/graphql\"\napi_url = \"https://ghe.example/api/v3\"\n",
    )
    .unwrap();
    assert_eq!(s.github.api_url, "https://ghe.example/api/v3");
    assert_eq!(s.github.graphql_url, "https://ghe.example/api/graphql");
}

#[test]
fn a_github_enterprise_api_url_derives_its_graphql_endpoint_at_api_graphql() {
    // GitHub Enterprise Server: REST under /api/v3, GraphQL at /api/graphql
    // (not /api/v3/graphql, which answers 404).
    let s = parse("[github]\napi_url = \"https://ghe.example/api/v3/\"\n").unwrap();
    assert_eq!(s.github.api_url, "https://ghe.example/api/v3");
    assert_eq!(s.github.graphql_url, "https://ghe.example/api/graphql");
}

#[test]
fn a_secret_table_replaces_the_builtin_key_by_key() {
    let s = parse(
        r#"
[secrets.github_token]
op = "op://Private/GitHub/token"
order = ["op", "env"]
timeout_ms = 2500

[secrets.sentry_token]
doppler = { project = "backend", config = "prd" }
pass = "ops/sentry"
"#,
    )
    .unwrap();
    let gh = s.secret("github_token").unwrap();
    assert_eq!(gh.order, [SecretProvider::Op, SecretProvider::Env]);
    assert_eq!(gh.op.as_deref(), Some("op://Private/GitHub/token"));
    assert_eq!(
        gh.env,
        ["GITHUB_TOKEN", "GH_TOKEN"],
        "untouched key keeps its default"
    );
    assert_eq!(gh.doppler.as_ref().unwrap().name, "GITHUB_TOKEN");
    assert_eq!(gh.timeout, Duration::from_millis(2500));

    let sentry = s.secret("sentry_token").unwrap();
    assert_eq!(
        sentry.doppler,
        Some(DopplerRef {
            name: "SENTRY_AUTH_TOKEN".into(),
            project: Some("backend".into()),
            config: Some("prd".into()),
        }),
        "a doppler table without name keeps the default name"
    );
    assert_eq!(sentry.pass.as_deref(), Some("ops/sentry"));
    assert_eq!(sentry.env, ["SENTRY_AUTH_TOKEN"]);
    assert_eq!(
        s.secret("linear_key"),
        Settings::default().secret("linear_key")
    );
}

#[test]
fn a_doppler_string_is_the_secret_name() {
    let s = parse("[secrets.linear_key]\ndoppler = \"LIN\"\nenv = []\n").unwrap();
    let lin = s.secret("linear_key").unwrap();
    assert_eq!(lin.doppler.as_ref().unwrap().name, "LIN");
    assert!(lin.env.is_empty());
}

#[test]
fn unknown_keys_are_errors_naming_the_dotted_key() {
    for (text, field) in [
        ("[githb]\n", "githb"),
        ("[github]\nbatchsize = 3\n", "github.batchsize"),
        ("[http]\nretry = 3\n", "http.retry"),
        (
            "[secrets.github_token]\nenvs = [\"X\"]\n",
            "secrets.github_token.envs",
        ),
        (
            "[secrets.github_token]\ndoppler = { nme = \"X\" }\n",
            "secrets.github_token.doppler.nme",
        ),
    ] {
        let (path, got, message) = config_error(text);
        assert_eq!(path, Path::new("/etc/ops/config.toml"));
        assert_eq!(got, field, "{text}");
        assert!(message.contains("unknown key"), "{message}");
    }
}

#[test]
fn wrong_values_name_the_key_and_what_was_expected() {
    for (text, field, expected) in [
        (
            "[github]\nbatch_size = \"many\"\n",
            "github.batch_size",
            "an integer from 1 to 100",
        ),
        (
            "[github]\nbatch_size = 0\n",
            "github.batch_size",
            "from 1 to 100",
        ),
        (
            "[github]\napi_url = \"api.github.com\"\n",
            "github.api_url",
            "http:// or https:// URL",
        ),
        (
            "[linear]\ncurrent_cycle_only = \"yes\"\n",
            "linear.current_cycle_only",
            "true or false",
        ),
        (
            "[http]\ntimeout_secs = 0\n",
            "http.timeout_secs",
            "from 1 to",
        ),
        ("[http]\nretries = -1\n", "http.retries", "from 0 to"),
        ("github = 3\n", "github", "a [github] table"),
        (
            "[secrets]\ngithub_token = \"abc\"\n",
            "secrets.github_token",
            "a table",
        ),
        (
            "[secrets.github_token]\norder = [\"env\", \"vault\"]\n",
            "secrets.github_token.order",
            "expected env, doppler, op or pass",
        ),
        (
            "[secrets.github_token]\norder = [\"env\", \"env\"]\n",
            "secrets.github_token.order",
            "listed twice",
        ),
        (
            "[secrets.github_token]\norder = []\n",
            "secrets.github_token.order",
            "at least one",
        ),
        (
            "[secrets.github_token]\nenv = [\"A\", 3]\n",
            "secrets.github_token.env[1]",
            "a string",
        ),
        (
            "[secrets.github_token]\nenv = \"GITHUB_TOKEN\"\n",
            "secrets.github_token.env",
            "a list of strings",
        ),
        (
            "[secrets.github_token]\nop = \"Private/GitHub\"\n",
            "secrets.github_token.op",
            "op://vault/item/field",
        ),
        (
            "[secrets.new_one]\ndoppler = { project = \"p\" }\n",
            "secrets.new_one.doppler.name",
            "missing",
        ),
        (
            "[github]\ntoken = \"nobody\"\n",
            "github.token",
            "[secrets.<name>]",
        ),
        (
            "[secrets.github_token]\npass = \"--clip\"\n",
            "secrets.github_token.pass",
            "not an option",
        ),
        (
            "[secrets.github_token]\ndoppler = { name = \"-x\" }\n",
            "secrets.github_token.doppler.name",
            "not an option",
        ),
    ] {
        let (_, got, message) = config_error(text);
        assert_eq!(got, field, "{text}");
        assert!(message.contains(expected), "{text}: {message}");
    }
}

#[test]
fn a_value_pasted_in_the_wrong_place_is_not_echoed() {
    let token = "ghp_CanaryCanaryCanary0123456789abcdef";
    for text in [
        format!("[github]\ntoken = \"{token}\"\n"),
        format!("[secrets.github_token]\nop = \"{token}\"\n"),
        format!("[secrets.github_token]\norder = [\"{token}\"]\n"),
        format!("[github]\napi_url = \"{token}\"\n"),
        format!("[http]\nretries = \"{token}\"\n"),
    ] {
        let err = parse(&text).unwrap_err();
        assert!(!err.to_string().contains("Canary"), "{err}");
        assert!(!format!("{err:?}").contains("Canary"), "{err:?}");
    }
}

#[test]
fn invalid_toml_names_line_and_column() {
    let (path, field, message) = config_error("[github]\nbatch_size = 3\napi_url = \n");
    assert_eq!(path, Path::new("/etc/ops/config.toml"));
    assert!(field.starts_with("line 3, column "), "{field}");
    assert!(message.starts_with("invalid TOML"), "{message}");
}

#[test]
fn a_broken_file_found_through_ops_config_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.toml", "\u{0}[github");
    let env = Env::from_pairs([("OPS_CONFIG", bad.to_str().unwrap())]);
    let text = Settings::load(&env).unwrap_err().to_string();
    assert!(text.contains("bad.toml"), "{text}");
}

proptest::proptest! {
    /// Whatever the file holds, reading it gives settings or a ConfigFile
    /// error, never a panic.
    #[test]
    fn any_text_reads_to_settings_or_a_config_error(
        section in proptest::sample::select(vec!["github", "sentry", "linear", "http", "secrets.github_token", "secrets.x", "secrets.x.doppler"]),
        key in proptest::sample::select(vec!["api_url", "graphql_url", "batch_size", "token", "url", "current_cycle_only", "retries", "backoff_ms", "max_wait_secs", "timeout_secs", "order", "env", "doppler", "op", "pass", "timeout_ms", "name", "project", "config"]),
        value in proptest::sample::select(vec!["1", "-1", "0", "99999999999", "true", "\"\"", "\"op://a/b/c\"", "\"http://x\"", "[]", "[\"env\"]", "[\"pass\", \"op\"]", "[1]", "{ name = \"N\" }", "{}", "1.5", "1979-05-27"]),
        noise in "\\PC{0,40}",
    ) {
        let text = format!("[{section}]\n{key} = {value}\n");
        for text in [text.clone(), format!("{text}{noise}"), noise.clone()] {
            match parse(&text) {
                Ok(_) | Err(Error::ConfigFile { .. }) => {}
                Err(other) => panic!("{text:?}: unexpected error {other:?}"),
            }
        }
    }
}
