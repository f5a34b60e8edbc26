//! The ops settings file: where the remote sources are and how their tokens
//! are found. TOML, located by [`locate_settings`]: `OPS_CONFIG` (the file
//! must exist), else `$XDG_CONFIG_HOME/ops/config.toml`, else
//! `~/.config/ops/config.toml`. No file means every default below.
//!
//! Every key, with its default:
//!
//! ```toml
//! [github]
//! api_url = "https://api.github.com"      # REST base URL
//! graphql_url = "<api_url>/graphql"       # GraphQL endpoint (for a GitHub Enterprise
//!                                         # api_url ".../api/v3": ".../api/graphql")
//! batch_size = 25                         # repositories per GraphQL request (1..=100)
//! token = "github_token"                  # the name of a secret (below)
//!
//! [sentry]
//! url = "https://sentry.io"               # base URL (the API is <url>/api/0/...)
//! token = "sentry_token"
//!
//! [linear]
//! url = "https://api.linear.app/graphql"  # GraphQL endpoint
//! current_cycle_only = false              # only issues in the team's current cycle
//! token = "linear_key"
//!
//! [http]                                  # every remote source's HTTP client
//! retries = 3                             # retries after the first try
//! backoff_ms = 1000                       # first backoff, doubled each retry
//! max_wait_secs = 60                      # longest wait honoured (Retry-After...)
//! timeout_secs = 30                       # limit for one request (>= 1)
//!
//! [secrets.github_token]                  # one table per secret name
//! order = ["env", "doppler", "op", "pass"]  # providers tried, in this order
//! env = ["GITHUB_TOKEN", "GH_TOKEN"]      # environment variables, in order
//! doppler = { name = "GITHUB_TOKEN", project = "p", config = "prd" }  # or doppler = "NAME"
//! op = "op://vault/item/field"            # 1Password reference (`op read`)
//! pass = "path/in/store"                  # `pass show` path (first line)
//! timeout_ms = 10000                      # limit for each provider command
//!
//! [engine]                                # how `ops run` runs agents (flags override)
//! agent = "claude"                        # claude, codex, gemini, aider or command
//! agent_cmd = "my-agent --flag"           # the program of agent = "command" (split on
//!                                         # whitespace, no shell; the brief on stdin)
//! model = "..."                           # model for the runtime (default: its own)
//! max_agents = 5                          # agents at once (1..=1000)
//! stall_after_secs = 900                  # no activity this long stops an agent
//! max_attempts = 3                        # failures before a task is blocked
//! budget_usd = 10.0                       # stop dispatching once agents spent this
//!                                         # (default: no limit)
//! ```
//!
//! Built-in secrets: `github_token` (env `GITHUB_TOKEN`, `GH_TOKEN`; doppler
//! `GITHUB_TOKEN`), `sentry_token` (env `SENTRY_AUTH_TOKEN`; doppler
//! `SENTRY_AUTH_TOKEN`), `linear_key` (env `LINEAR_API_KEY`; doppler
//! `LINEAR_API_KEY`); `op` and `pass` only when configured. A `[secrets.x]`
//! table replaces x's defaults key by key (a key it leaves out keeps its
//! default); a secret that is not built in starts from nothing configured.
//! A `doppler` table without `name` keeps the default Doppler name.
//!
//! Unknown keys, wrong types and out-of-range values are errors naming the file
//! and the dotted key ([`Error::ConfigFile`]): a typo never falls back to a
//! default silently. Invalid TOML names the line and column.

mod engine;

pub use engine::{AgentRuntime, EngineSettings};

use super::env::Env;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::{Table, Value};

/// The whole settings file, every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `[github]`.
    pub github: GitHubSettings,
    /// `[sentry]`.
    pub sentry: SentrySettings,
    /// `[linear]`.
    pub linear: LinearSettings,
    /// `[http]`.
    pub http: HttpSettings,
    /// `[secrets.<name>]`: the built-in secrets merged with the file's.
    pub secrets: BTreeMap<String, SecretSpec>,
    /// `[engine]`: how `ops run` runs agents.
    pub engine: EngineSettings,
}

/// `[github]`.
#[derive(Debug, Clone, PartialEq)]
pub struct GitHubSettings {
    /// REST base URL, no trailing slash.
    pub api_url: String,
    /// GraphQL endpoint.
    pub graphql_url: String,
    /// Repositories per GraphQL request.
    pub batch_size: usize,
    /// The name of the secret holding the token.
    pub token: String,
}

/// `[sentry]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SentrySettings {
    /// Base URL, no trailing slash.
    pub url: String,
    /// The name of the secret holding the token.
    pub token: String,
}

/// `[linear]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSettings {
    /// GraphQL endpoint.
    pub url: String,
    /// Only issues in the team's current cycle.
    pub current_cycle_only: bool,
    /// The name of the secret holding the API key.
    pub token: String,
}

/// `[http]`: the remote sources' HTTP client.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// Retries after the first try.
    pub retries: u32,
    /// First backoff, doubled each retry.
    pub backoff: Duration,
    /// Longest wait honoured in place.
    pub max_wait: Duration,
    /// Limit for one request.
    pub timeout: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            retries: 3,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        }
    }
}

/// Where a secret's value may be found, one provider per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretProvider {
    /// Environment variables.
    Env,
    /// The Doppler CLI (`doppler secrets get`).
    Doppler,
    /// The 1Password CLI (`op read`).
    Op,
    /// The standard unix password manager (`pass show`).
    Pass,
}

impl SecretProvider {
    /// Every provider, in the default order.
    pub const DEFAULT_ORDER: [SecretProvider; 4] = [
        SecretProvider::Env,
        SecretProvider::Doppler,
        SecretProvider::Op,
        SecretProvider::Pass,
    ];

    /// The name used in the settings file (`env`, `doppler`, `op`, `pass`).
    pub fn name(self) -> &'static str {
        match self {
            SecretProvider::Env => "env",
            SecretProvider::Doppler => "doppler",
            SecretProvider::Op => "op",
            SecretProvider::Pass => "pass",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::DEFAULT_ORDER.into_iter().find(|p| p.name() == name)
    }
}

/// A secret in Doppler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DopplerRef {
    /// The secret's name in Doppler.
    pub name: String,
    /// `--project`, when not the directory's default.
    pub project: Option<String>,
    /// `--config`, when not the directory's default.
    pub config: Option<String>,
}

/// How one secret is looked for (`[secrets.<name>]`). Holds names and
/// references only, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSpec {
    /// Providers tried, in order; one not configured below is skipped.
    pub order: Vec<SecretProvider>,
    /// Environment variables, in order.
    pub env: Vec<String>,
    /// The Doppler secret.
    pub doppler: Option<DopplerRef>,
    /// A 1Password secret reference (`op://vault/item/field`).
    pub op: Option<String>,
    /// A path in the `pass` store.
    pub pass: Option<String>,
    /// Limit for each provider command.
    pub timeout: Duration,
}

impl SecretSpec {
    /// A secret with nothing configured: the default order and timeout, no places.
    pub fn empty() -> Self {
        SecretSpec {
            order: SecretProvider::DEFAULT_ORDER.to_vec(),
            env: Vec::new(),
            doppler: None,
            op: None,
            pass: None,
            timeout: Duration::from_secs(10),
        }
    }

    fn builtin(env: &[&str], doppler: &str) -> Self {
        SecretSpec {
            env: env.iter().map(|v| (*v).to_owned()).collect(),
            doppler: Some(DopplerRef {
                name: doppler.to_owned(),
                project: None,
                config: None,
            }),
            ..SecretSpec::empty()
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let api_url = "https://api.github.com".to_owned();
        Settings {
            github: GitHubSettings {
                graphql_url: format!("{api_url}/graphql"),
                api_url,
                batch_size: 25,
                token: "github_token".into(),
            },
            sentry: SentrySettings {
                url: "https://sentry.io".into(),
                token: "sentry_token".into(),
            },
            linear: LinearSettings {
                url: "https://api.linear.app/graphql".into(),
                current_cycle_only: false,
                token: "linear_key".into(),
            },
            http: HttpSettings::default(),
            secrets: builtin_secrets(),
            engine: EngineSettings::default(),
        }
    }
}

fn builtin_secrets() -> BTreeMap<String, SecretSpec> {
    BTreeMap::from([
        (
            "github_token".to_owned(),
            SecretSpec::builtin(&["GITHUB_TOKEN", "GH_TOKEN"], "GITHUB_TOKEN"),
        ),
        (
            "sentry_token".to_owned(),
            SecretSpec::builtin(&["SENTRY_AUTH_TOKEN"], "SENTRY_AUTH_TOKEN"),
        ),
        (
            "linear_key".to_owned(),
            SecretSpec::builtin(&["LINEAR_API_KEY"], "LINEAR_API_KEY"),
        ),
    ])
}

/// Find the settings file: `OPS_CONFIG` (must exist), else
/// `$XDG_CONFIG_HOME/ops/config.toml`, else `~/.config/ops/config.toml`.
/// `Ok(None)` when there is none (every default applies).
pub fn locate_settings(env: &Env) -> Result<Option<PathBuf>> {
    if let Some(path) = env.path("OPS_CONFIG") {
        return if path.exists() {
            Ok(Some(path))
        } else {
            Err(Error::ConfigFile {
                path,
                field: "(file)".into(),
                message: "does not exist (given by OPS_CONFIG)".into(),
            })
        };
    }
    // Anything there, a FIFO too, is the settings file: the read says what is wrong.
    Ok(default_settings_path(env).filter(|p| p.exists()))
}

/// Where the settings file is looked for when `OPS_CONFIG` is not set:
/// `$XDG_CONFIG_HOME/ops/config.toml`, else `~/.config/ops/config.toml`
/// (whether or not it exists).
pub fn default_settings_path(env: &Env) -> Option<PathBuf> {
    super::locate::user_config_dir(env).map(|d| d.join("ops").join("config.toml"))
}

impl Settings {
    /// Locate ([`locate_settings`]) and read the settings file; every default
    /// when there is none.
    pub fn load(env: &Env) -> Result<Settings> {
        let Some(path) = locate_settings(env)? else {
            return Ok(Settings::default());
        };
        let text = crate::files::read_text(&path)
            .and_then(|text| text.ok_or_else(|| std::io::ErrorKind::NotFound.into()))
            .map_err(|e| Error::ConfigFile {
                path: path.clone(),
                field: "(file)".into(),
                message: format!("cannot be read: {e}"),
            })?;
        Settings::parse(&text, &path)
    }

    /// Parse a settings file's text; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Settings> {
        let table: Table = toml::from_str(text).map_err(|e| Error::ConfigFile {
            path: path.to_path_buf(),
            field: e
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or_else(|| "(file)".into()),
            message: format!("invalid TOML: {}", e.message().trim()),
        })?;
        Reader { path }.settings(&table)
    }

    /// How the secret `name` is looked for, if it is built in or configured.
    pub fn secret(&self, name: &str) -> Option<&SecretSpec> {
        self.secrets.get(name)
    }
}

/// The GraphQL endpoint that goes with a REST base URL: `<api_url>/graphql`
/// (github.com's `https://api.github.com/graphql`), except GitHub Enterprise
/// Server's `https://HOST/api/v3`, whose GraphQL is at `https://HOST/api/graphql`.
fn graphql_url_for(api_url: &str) -> String {
    match api_url.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{api_url}/graphql"),
    }
}

fn line_column(text: &str, offset: usize) -> String {
    let (mut line, mut column) = (1, 1);
    for (_, c) in text.char_indices().take_while(|(i, _)| *i < offset) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    format!("line {line}, column {column}")
}

/// Reads the parsed table into [`Settings`], naming the dotted key at fault.
struct Reader<'a> {
    path: &'a Path,
}

impl Reader<'_> {
    fn error(&self, field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::ConfigFile {
            path: self.path.to_path_buf(),
            field: field.into(),
            message: message.into(),
        }
    }

    fn wrong_type(&self, field: &str, expected: &str, found: &Value) -> Error {
        self.error(
            field,
            format!("expected {expected}, found {}", describe(found)),
        )
    }

    fn settings(&self, root: &Table) -> Result<Settings> {
        self.known_keys(
            "",
            root,
            &["github", "sentry", "linear", "http", "secrets", "engine"],
        )?;
        let mut settings = Settings::default();
        if let Some(t) = self.section(root, "github")? {
            self.known_keys(
                "github",
                t,
                &["api_url", "graphql_url", "batch_size", "token"],
            )?;
            let g = &mut settings.github;
            if let Some(url) = self.url(t, "github", "api_url")? {
                g.graphql_url = graphql_url_for(&url);
                g.api_url = url;
            }
            if let Some(url) = self.url(t, "github", "graphql_url")? {
                g.graphql_url = url;
            }
            if let Some(n) = self.int(t, "github", "batch_size", 1, 100)? {
                g.batch_size = n as usize;
            }
            if let Some(name) = self.string(t, "github", "token")? {
                g.token = name;
            }
        }
        if let Some(t) = self.section(root, "sentry")? {
            self.known_keys("sentry", t, &["url", "token"])?;
            if let Some(url) = self.url(t, "sentry", "url")? {
                settings.sentry.url = url;
            }
            if let Some(name) = self.string(t, "sentry", "token")? {
                settings.sentry.token = name;
            }
        }
        if let Some(t) = self.section(root, "linear")? {
            self.known_keys("linear", t, &["url", "current_cycle_only", "token"])?;
            let l = &mut settings.linear;
            if let Some(url) = self.url(t, "linear", "url")? {
                l.url = url;
            }
            if let Some(v) = t.get("current_cycle_only") {
                l.current_cycle_only = v.as_bool().ok_or_else(|| {
                    self.wrong_type("linear.current_cycle_only", "true or false", v)
                })?;
            }
            if let Some(name) = self.string(t, "linear", "token")? {
                l.token = name;
            }
        }
        if let Some(t) = self.section(root, "http")? {
            self.known_keys(
                "http",
                t,
                &["retries", "backoff_ms", "max_wait_secs", "timeout_secs"],
            )?;
            let h = &mut settings.http;
            if let Some(n) = self.int(t, "http", "retries", 0, 100)? {
                h.retries = n as u32;
            }
            if let Some(n) = self.int(t, "http", "backoff_ms", 0, 3_600_000)? {
                h.backoff = Duration::from_millis(n);
            }
            if let Some(n) = self.int(t, "http", "max_wait_secs", 0, 86_400)? {
                h.max_wait = Duration::from_secs(n);
            }
            if let Some(n) = self.int(t, "http", "timeout_secs", 1, 86_400)? {
                h.timeout = Duration::from_secs(n);
            }
        }
        if let Some(t) = self.section(root, "engine")? {
            settings.engine = self.engine(t)?;
        }
        if let Some(t) = self.section(root, "secrets")? {
            for (name, value) in t {
                let field = format!("secrets.{name}");
                let table = value.as_table().ok_or_else(|| {
                    self.wrong_type(&field, "a table of where the secret is kept", value)
                })?;
                let base = settings
                    .secrets
                    .get(name)
                    .cloned()
                    .unwrap_or_else(SecretSpec::empty);
                let spec = self.secret(&field, table, base)?;
                settings.secrets.insert(name.clone(), spec);
            }
        }
        for (field, name) in [
            ("github.token", &settings.github.token),
            ("sentry.token", &settings.sentry.token),
            ("linear.token", &settings.linear.token),
        ] {
            if !settings.secrets.contains_key(name) {
                return Err(self.error(
                    field,
                    format!(
                        "names a secret that is neither built in nor configured (the value is not shown: it might be a pasted token); expected a secret name with a [secrets.<name>] table, or one of {}",
                        builtin_secrets().keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        Ok(settings)
    }

    fn secret(&self, field: &str, t: &Table, mut spec: SecretSpec) -> Result<SecretSpec> {
        self.known_keys(
            field,
            t,
            &["order", "env", "doppler", "op", "pass", "timeout_ms"],
        )?;
        if let Some(order) = self.strings(t, field, "order")? {
            let key = format!("{field}.order");
            if order.is_empty() {
                return Err(self.error(key, "expected at least one of env, doppler, op, pass"));
            }
            let mut providers = Vec::new();
            for name in order {
                let provider = SecretProvider::parse(&name).ok_or_else(|| {
                    self.error(
                        &key,
                        format!(
                            "unknown provider {}; expected env, doppler, op or pass",
                            shown(&name)
                        ),
                    )
                })?;
                if providers.contains(&provider) {
                    return Err(self.error(&key, format!("{} is listed twice", provider.name())));
                }
                providers.push(provider);
            }
            spec.order = providers;
        }
        if let Some(vars) = self.strings(t, field, "env")? {
            if let Some(i) = vars
                .iter()
                .position(|v| v.is_empty() || v.contains(['=', '\0']))
            {
                return Err(self.error(
                    format!("{field}.env[{i}]"),
                    "expected an environment variable name (not empty, no '=')",
                ));
            }
            spec.env = vars;
        }
        if let Some(value) = t.get("doppler") {
            spec.doppler = Some(self.doppler(field, value, spec.doppler.as_ref())?);
        }
        if let Some(reference) = self.string(t, field, "op")? {
            if !reference.starts_with("op://") {
                return Err(self.error(
                    format!("{field}.op"),
                    "expected a secret reference like \"op://vault/item/field\" (the value given is not shown)",
                ));
            }
            spec.op = Some(reference);
        }
        if let Some(path) = self.string(t, field, "pass")? {
            if path.starts_with('-') {
                return Err(self.error(
                    format!("{field}.pass"),
                    "expected a path in the pass store, not an option (it starts with '-')",
                ));
            }
            spec.pass = Some(path);
        }
        if let Some(ms) = self.int(t, field, "timeout_ms", 1, 600_000)? {
            spec.timeout = Duration::from_millis(ms);
        }
        Ok(spec)
    }

    fn doppler(
        &self,
        field: &str,
        value: &Value,
        default: Option<&DopplerRef>,
    ) -> Result<DopplerRef> {
        let key = format!("{field}.doppler");
        match value {
            Value::String(name) if !name.is_empty() && !name.starts_with('-') => Ok(DopplerRef {
                name: name.clone(),
                project: None,
                config: None,
            }),
            Value::Table(t) => {
                self.known_keys(&key, t, &["name", "project", "config"])?;
                let name = match self.string(t, &key, "name")? {
                    Some(name) => name,
                    None => default.map(|d| d.name.clone()).ok_or_else(|| {
                        self.error(
                            format!("{key}.name"),
                            "missing: the secret's name in Doppler",
                        )
                    })?,
                };
                if name.starts_with('-') {
                    return Err(self.error(
                        format!("{key}.name"),
                        "expected a secret name, not an option (it starts with '-')",
                    ));
                }
                Ok(DopplerRef {
                    name,
                    project: self.string(t, &key, "project")?,
                    config: self.string(t, &key, "config")?,
                })
            }
            other => Err(self.wrong_type(
                &key,
                "a secret name or a table { name, project, config }",
                other,
            )),
        }
    }

    fn known_keys(&self, prefix: &str, t: &Table, known: &[&str]) -> Result<()> {
        match t.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(key) => {
                let field = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                Err(self.error(
                    field,
                    format!("unknown key; expected one of {}", known.join(", ")),
                ))
            }
        }
    }

    fn section<'t>(&self, root: &'t Table, name: &str) -> Result<Option<&'t Table>> {
        match root.get(name) {
            None => Ok(None),
            Some(Value::Table(t)) => Ok(Some(t)),
            Some(other) => Err(self.wrong_type(name, &format!("a [{name}] table"), other)),
        }
    }

    fn string(&self, t: &Table, prefix: &str, key: &str) -> Result<Option<String>> {
        match t.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(other) => {
                Err(self.wrong_type(&format!("{prefix}.{key}"), "a non-empty string", other))
            }
        }
    }

    fn url(&self, t: &Table, prefix: &str, key: &str) -> Result<Option<String>> {
        let Some(url) = self.string(t, prefix, key)? else {
            return Ok(None);
        };
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !url.contains(char::is_whitespace) => {
                Ok(Some(url.trim_end_matches('/').to_owned()))
            }
            _ => Err(self.error(
                format!("{prefix}.{key}"),
                format!("expected an http:// or https:// URL, found {}", shown(&url)),
            )),
        }
    }

    fn int(&self, t: &Table, prefix: &str, key: &str, min: u64, max: u64) -> Result<Option<u64>> {
        let field = format!("{prefix}.{key}");
        match t.get(key) {
            None => Ok(None),
            Some(Value::Integer(n)) => match u64::try_from(*n) {
                Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(self.error(
                    field,
                    format!("expected an integer from {min} to {max}, found {n}"),
                )),
            },
            Some(other) => {
                Err(self.wrong_type(&field, &format!("an integer from {min} to {max}"), other))
            }
        }
    }

    fn strings(&self, t: &Table, prefix: &str, key: &str) -> Result<Option<Vec<String>>> {
        let field = format!("{prefix}.{key}");
        let Some(value) = t.get(key) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(self.wrong_type(&field, "a list of strings", value));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(self.wrong_type(&format!("{field}[{i}]"), "a string", other)),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}

/// A string from the file, shown only when it is short and plainly not a
/// token someone pasted in the wrong place.
fn shown(s: &str) -> String {
    if s.len() <= 16
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
    {
        format!("{s:?}")
    } else {
        "a string (not shown)".to_owned()
    }
}

/// A value's type and, for numbers and booleans, the value; strings only
/// through [`shown`].
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("string {}", shown(s)),
        Value::Integer(n) => format!("integer {n}"),
        Value::Float(f) => format!("float {f}"),
        Value::Boolean(b) => format!("boolean {b}"),
        Value::Datetime(d) => format!("datetime {d}"),
        Value::Array(_) => "an array".into(),
        Value::Table(_) => "a table".into(),
    }
}
