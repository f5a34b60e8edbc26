//! Registry shapes, lookup order, claude-ops side files and the audit context,
//! read from real files.

use ops_core::Error;
use ops_core::config::{
    Context, ContextKind, DaemonHealth, Env, Preferences, Registry, ServiceState, active_topics,
    locate_registry,
};
use ops_core::model::{Finding, Priority, ShipKind, Timestamp};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claude-ops")
        .join(name)
}

fn home() -> PathBuf {
    PathBuf::from("/home/dev")
}

#[test]
fn template_shape_reads_paths_repos_ops_keys_and_keeps_unknown_keys() {
    let reg = Registry::load(&fixture("registry-template.json"), Some(&home())).expect("loads");
    assert_eq!(reg.owner.as_deref(), Some("acme"));
    assert_eq!(reg.extra["version"], "1.2");
    let web = reg.project("web").expect("web");
    assert_eq!(
        web.paths,
        vec![home().join("src/web"), fixture("checkouts/web-admin")],
        "~ expands to HOME, relative paths are relative to the registry"
    );
    assert_eq!(web.repos, vec!["acme/web", "acme/web-admin"]);
    assert_eq!(web.dev_branch.as_deref(), Some("develop"));
    assert_eq!(web.quality_gate.as_deref(), Some("cargo test"));
    assert_eq!(web.ship, Some(ShipKind::Local));
    assert_eq!(web.sensitive_paths, vec!["src/auth/**", "**/*.pem"]);
    assert_eq!(web.sentry.as_ref().map(|s| s.project.as_str()), Some("web"));
    assert_eq!(web.linear.as_ref().map(|l| l.team.as_str()), Some("WEB"));
    assert_eq!(
        web.health_endpoints(),
        vec![
            "https://web.example.com/healthz",
            "https://api.example.com/up"
        ]
    );
    for kept in ["org", "type", "gsd", "priority", "infra", "deploy_notes"] {
        assert!(web.extra.contains_key(kept), "{kept} kept");
    }
    assert_eq!(reg.aliases(), vec!["web", "api"]);
}

#[test]
fn synced_shape_maps_name_path_remote_and_aliases_with_numbers_as_strings() {
    let reg = Registry::load(&fixture("registry-synced.json"), Some(&home())).expect("loads");
    assert_eq!(reg.extra["total"], "2");
    let billing = reg.project("bill").expect("found by an alias");
    assert_eq!(billing.alias, "billing");
    assert_eq!(billing.paths, vec![PathBuf::from("/home/dev/billing")]);
    assert_eq!(
        billing.repos,
        vec!["acme/billing"],
        "GitHub remote → owner/name"
    );
    assert_eq!(billing.aliases, vec!["bill"]);
    assert_eq!(billing.extra["phase"], "3");
    assert_eq!(
        billing.extra["remote_url"],
        "git@github.com:acme/billing.git"
    );
    let notes = reg.project("notes").expect("notes");
    assert!(
        notes.repos.is_empty(),
        "a non-GitHub remote is no GitHub repo"
    );
    assert_eq!(notes.paths, vec![home().join("notes")]);
}

fn parse_err(text: &str) -> (String, String) {
    let path = Path::new("/etc/ops/registry.json");
    match Registry::parse(text, path, None) {
        Err(Error::ConfigFile {
            path: p,
            field,
            message,
        }) => {
            assert_eq!(p, path);
            let err = Error::ConfigFile {
                path: p,
                field: field.clone(),
                message: message.clone(),
            };
            assert!(err.to_string().contains("/etc/ops/registry.json"), "{err}");
            (field, message)
        }
        other => panic!("expected a ConfigFile error, got {other:?}"),
    }
}

#[test]
fn malformed_registries_name_the_file_and_the_field() {
    let (field, msg) = parse_err("{\"projects\": [ {\"alias\": \"a\",, } ]}");
    assert!(field.starts_with("line 1, column"), "{field}");
    assert!(msg.contains("invalid JSON"), "{msg}");

    let (field, msg) = parse_err(r#"{"projects": [{"alias": "a", "paths": 7}]}"#);
    assert_eq!(field, "projects[0].paths");
    assert!(
        msg.contains("expected a list of strings, found a number"),
        "{msg}"
    );

    let (field, msg) = parse_err(r#"{"projects": [{"alias": "a", "paths": ["/x", false]}]}"#);
    assert_eq!(field, "projects[0].paths[1]");
    assert!(msg.contains("found a boolean"), "{msg}");

    let (field, msg) = parse_err(r#"{"projects": [{"alias": "a"}, {"paths": ["/x"]}]}"#);
    assert_eq!(field, "projects[1]");
    assert!(msg.contains("`alias`") && msg.contains("`name`"), "{msg}");

    let (field, _) = parse_err(r#"{"version": 1}"#);
    assert_eq!(field, "projects");

    let (field, msg) = parse_err(r#"{"projects": {"a": 1}}"#);
    assert_eq!(field, "projects");
    assert!(msg.contains("found an object"), "{msg}");

    let (field, msg) = parse_err(r#"{"projects": [{"alias": "a", "ship": "gitlab"}]}"#);
    assert_eq!(field, "projects[0].ship");
    assert!(
        msg.contains("\"github\" or \"local\"") && msg.contains("gitlab"),
        "{msg}"
    );

    let (field, _) = parse_err(r#"{"projects": [{"alias": "a", "sentry": {"project": "p"}}]}"#);
    assert_eq!(field, "projects[0].sentry.org");

    let (field, msg) =
        parse_err(r#"{"projects": [{"alias": "a"}, {"name": "b", "aliases": ["a"]}]}"#);
    assert_eq!(field, "projects[1]");
    assert!(msg.contains("already used by projects[0]"), "{msg}");

    let (field, msg) =
        parse_err(r#"{"projects": [{"alias": "a", "sensitive_paths": ["src/[auth"]}]}"#);
    assert_eq!(field, "projects[0].sensitive_paths[0]");
    assert!(msg.contains("expected a glob"), "{msg}");

    let (field, _) = parse_err(r#"[1, 2]"#);
    assert_eq!(field, "(top level)");
}

#[test]
fn an_unknown_project_lists_the_known_ones() {
    let reg = Registry::load(&fixture("registry-template.json"), Some(&home())).expect("loads");
    let err = reg.project("mobile").expect_err("unknown");
    let text = err.to_string();
    assert!(
        text.contains("\"mobile\"") && text.contains("web, api"),
        "{text}"
    );
}

#[test]
fn registry_lookup_follows_the_documented_order_and_lists_every_place_when_none_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let data = d.join("data");
    let root = d.join("root");
    let config = d.join("config");
    let env = Env::from_pairs([
        ("CLAUDE_PLUGIN_DATA_DIR", data.display().to_string()),
        ("CLAUDE_PLUGIN_ROOT", root.display().to_string()),
        ("XDG_CONFIG_HOME", config.display().to_string()),
        ("HOME", d.join("home").display().to_string()),
    ]);
    let Err(Error::RegistryNotFound { looked }) = locate_registry(None, &env) else {
        panic!("nothing exists yet");
    };
    assert_eq!(
        looked,
        vec![
            data.join("registry.json").display().to_string(),
            root.join("scripts/registry.json").display().to_string(),
            config.join("ops/registry.json").display().to_string(),
        ]
    );
    let put = |p: &Path| {
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, "{\"projects\": []}").expect("write");
    };
    put(&config.join("ops/registry.json"));
    assert_eq!(
        locate_registry(None, &env).expect("found"),
        config.join("ops/registry.json")
    );
    put(&root.join("scripts/registry.json"));
    assert_eq!(
        locate_registry(None, &env).expect("found"),
        root.join("scripts/registry.json")
    );
    put(&data.join("registry.json"));
    assert_eq!(
        locate_registry(None, &env).expect("found"),
        data.join("registry.json")
    );
    let own = d.join("own.json");
    put(&own);
    let with_env = Env::from_pairs([("OPS_REGISTRY", own.display().to_string())]);
    assert_eq!(locate_registry(None, &with_env).expect("env"), own);
    let flag = d.join("flag.json");
    put(&flag);
    assert_eq!(
        locate_registry(Some(&flag), &with_env).expect("flag wins"),
        flag
    );
    let err =
        locate_registry(Some(&d.join("typo.json")), &env).expect_err("a named file must exist");
    assert!(err.to_string().contains("typo.json"), "{err}");
}

#[test]
fn preferences_are_read_and_unknown_keys_kept() {
    let prefs = Preferences::load(&fixture("preferences.json"))
        .expect("reads")
        .expect("exists");
    assert_eq!(prefs.owner.as_deref(), Some("acme"));
    assert_eq!(prefs.timezone.as_deref(), Some("Europe/Paris"));
    assert!(prefs.yolo_enabled);
    assert_eq!(prefs.extra["briefing_hour"], 8);
    assert_eq!(
        Preferences::load(&fixture("absent.json")).expect("no file is fine"),
        None
    );
    let err = Preferences::parse(
        r#"{"yolo_enabled": "sometimes"}"#,
        Path::new("/p/preferences.json"),
    )
    .expect_err("bad type");
    assert!(
        err.to_string().contains("yolo_enabled") && err.to_string().contains("/p/preferences.json")
    );
}

#[test]
fn daemon_health_reports_unhealthy_services_and_staleness() {
    let written = Timestamp(1_795_467_600_000); // 2026-11-23T21:00:00Z
    let text = r#"{
        "updated_at": "2026-11-23T21:00:00Z",
        "services": {
            "github-poller": {"status": "polling"},
            "inbox": {"status": "needs_reauth", "detail": "token expired"},
            "briefing": {"status": "scheduled"},
            "sync": {"status": "max_restarts_exceeded"},
            "watch": {"status": "dead"},
            "web": {"status": "running"}
        }
    }"#;
    let health = DaemonHealth::parse(text, Path::new("/d/daemon-health.json"), Timestamp(0))
        .expect("parses");
    assert_eq!(health.written_at, written);
    let fresh = Timestamp(written.0 + 119_000);
    let report = health.report(fresh);
    assert_eq!(
        report.warnings,
        vec![
            "daemon service inbox failed (needs_reauth)",
            "daemon service sync failed (max_restarts_exceeded)",
            "daemon service watch failed (dead)"
        ]
    );
    assert_eq!(report.failed.len(), 3);
    assert_eq!(report.stale_for_s, None);
    let stale = Timestamp(written.0 + 121_000);
    let report = health.report(stale);
    assert!(
        report.warnings[0].contains("stale") && report.warnings[0].contains("2 minutes ago"),
        "{report:?}"
    );
    assert_eq!(report.stale_for_s, Some(121));

    let list = r#"{"timestamp": 1795467600, "services": [{"name": "a", "status": "running"}, {"name": "b", "status": "rebooting"}]}"#;
    let health = DaemonHealth::parse(list, Path::new("/d/h.json"), Timestamp(0)).expect("parses");
    assert_eq!(health.written_at, written, "Unix seconds");
    assert_eq!(
        health.services[1].state,
        ServiceState::Other("rebooting".into())
    );
    let report = health.report(fresh);
    assert_eq!(report.warnings, vec!["daemon service b is rebooting"]);
    assert!(
        report.failed.is_empty(),
        "ops cannot tell: a warning, not a failure"
    );

    let no_time = r#"{"a": {"status": "running"}, "note": "x"}"#;
    let health = DaemonHealth::parse(no_time, Path::new("/d/h.json"), written).expect("parses");
    assert_eq!(health.written_at, written, "falls back to the file's mtime");
    assert_eq!(health.services.len(), 1);

    let err = DaemonHealth::parse(
        r#"{"services": {"a": {"state": "up"}}}"#,
        Path::new("/d/h.json"),
        written,
    )
    .expect_err("no status");
    assert!(err.to_string().contains("services.a.status"), "{err}");
}

fn finding(project: &str, title: &str, detail: &str) -> Finding {
    Finding {
        source: "todo".into(),
        kind: "todo".into(),
        project: project.into(),
        repo: "/r".into(),
        title: title.into(),
        detail: detail.into(),
        priority: Priority::P3,
        fingerprint: title.into(),
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    }
}

#[test]
fn active_topics_parse_after_frontmatter_and_match_by_project_or_every_keyword() {
    let topics = active_topics(&fixture("topics_active.md")).expect("parses");
    assert_eq!(topics.len(), 2);
    assert_eq!(topics[0].title, "Billing webhooks");
    assert_eq!(
        topics[0].summary.as_deref(),
        Some("invoices arrive twice from the provider")
    );
    assert_eq!(topics[1].action.as_deref(), Some("rewrite the setup guide"));

    assert!(
        topics[0].matches(&finding("billing", "Fix flaky test", "")),
        "names the project"
    );
    assert!(topics[0].matches(&finding(
        "shop",
        "Retry webhooks",
        "billing provider sends twice"
    )));
    assert!(
        !topics[0].matches(&finding("shop", "Retry webhooks", "the mailer")),
        "one keyword is not enough"
    );
    assert!(
        active_topics(&fixture("no-such-topics.md"))
            .expect("no file")
            .is_empty()
    );
}

#[test]
fn inside_a_repository_the_context_is_scoped_without_any_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("checkout");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    std::fs::create_dir_all(repo.join("src/deep")).expect("mkdir");
    let ctx = Context::resolve(&repo.join("src/deep"), Some(dir.path()), None, None, || {
        panic!("no registry needed")
    })
    .expect("scoped");
    assert_eq!(ctx.kind, ContextKind::Scoped);
    assert_eq!(ctx.projects[0].alias, "checkout");
    assert_eq!(
        ctx.projects[0].paths,
        vec![std::fs::canonicalize(&repo).expect("canon")]
    );
}

#[test]
fn home_as_a_repository_and_outside_any_repository_mean_global() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".git")).expect("dotfiles repo in HOME");
    std::fs::create_dir_all(home.join("Documents")).expect("mkdir");
    let reg = Registry::load(&fixture("registry-template.json"), Some(&home)).expect("loads");
    let ctx = Context::resolve(
        &home.join("Documents"),
        Some(&home),
        None,
        Some(&reg),
        || panic!("registry given"),
    )
    .expect("global");
    assert_eq!(ctx.kind, ContextKind::Global);
    assert_eq!(ctx.projects.len(), 2);
    let err = Context::resolve(&home, Some(&home), None, None, || Error::RegistryNotFound {
        looked: vec!["/x/registry.json".into()],
    })
    .expect_err("global needs a registry");
    assert!(err.to_string().contains("/x/registry.json"), "{err}");
}

#[test]
fn project_flag_forces_scoped_and_an_unknown_alias_lists_the_known_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reg = Registry::load(&fixture("registry-template.json"), Some(dir.path())).expect("loads");
    let ctx = Context::resolve(dir.path(), None, Some("api"), Some(&reg), || {
        panic!("given")
    })
    .expect("scoped");
    assert_eq!(ctx.kind, ContextKind::Scoped);
    assert_eq!(ctx.projects[0].alias, "api");
    let err = Context::resolve(dir.path(), None, Some("nope"), Some(&reg), || {
        panic!("given")
    })
    .expect_err("unknown");
    assert!(
        err.to_string().contains("known projects: web, api"),
        "{err}"
    );
}

#[test]
fn linear_takes_claude_ops_team_key_or_ops_team_and_a_missing_key_names_both() {
    let reg = Registry::parse(
        r#"{"projects": [
            {"alias": "eng-team", "source": "linear", "type": "external", "linear": {"team_key": "ENG"}},
            {"alias": "web", "paths": ["/src/web"], "linear": {"team": "WEB"}}
        ]}"#,
        Path::new("/r.json"),
        None,
    )
    .expect("claude-ops' external entry loads");
    let teams: Vec<(&str, Option<&str>, usize)> = reg
        .projects
        .iter()
        .map(|p| {
            (
                p.alias.as_str(),
                p.linear.as_ref().map(|l| l.team.as_str()),
                p.paths.len(),
            )
        })
        .collect();
    assert_eq!(
        teams,
        vec![("eng-team", Some("ENG"), 0), ("web", Some("WEB"), 1)]
    );
    assert_eq!(
        reg.projects[0].extra["source"], "linear",
        "kept, not interpreted"
    );
    let (field, message) = parse_err(r#"{"projects": [{"alias": "a", "linear": {"key": "ENG"}}]}"#);
    assert_eq!(field, "projects[0].linear.team_key");
    assert!(
        message.contains("team_key") && message.contains("team"),
        "{message}"
    );
}

#[test]
fn synced_aliases_that_are_paths_are_other_clones_not_names() {
    let reg = Registry::parse(
        r#"{"projects": [{"name": "api", "path": "/src/api/", "aliases": ["/home/me/old/api/", "~/api-copy", "svc"]}]}"#,
        Path::new("/r.json"),
        None,
    )
    .expect("loads");
    assert_eq!(reg.projects[0].aliases, vec!["svc"]);
    assert_eq!(reg.projects[0].paths, vec![PathBuf::from("/src/api")]);
}
