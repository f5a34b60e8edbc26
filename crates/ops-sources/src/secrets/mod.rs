//! Secrets for the remote sources: each token is looked for in the order its
//! `[secrets.<name>]` settings give ([`ops_core::config::SecretSpec`]; by
//! default environment variables, then the Doppler CLI, then 1Password's `op`,
//! then `pass`), and comes back as an [`ops_core::Secret`] whose `Debug` and
//! `Display` never show it.
//!
//! * env: each variable in turn; unset or blank is "not there";
//! * doppler: `doppler secrets get NAME --plain [--project P] [--config C]`;
//! * op: `op read REF`;
//! * pass: `pass show PATH`, first line.
//!
//! A provider runs from an argv (never a shell) with stdin closed, its stderr
//! dropped and the secret's time limit (10 s by default); it is killed when
//! the limit passes. A non-zero exit, empty output or a timeout means "not
//! there" and the next place is tried; a program not on PATH is skipped as
//! "not installed"; a provider with nothing configured for this secret (no
//! `op` reference...) is not tried at all. When no place holds the secret the
//! error ([`MissingSecret`]) names the secret, every place tried and why, and
//! the source it turns off, and never includes anything a provider printed.
//!
//! Every value found is taught to the resolver's [`Redactor`]
//! ([`SecretResolver::with_redactor`]), so what an agent prints never carries a
//! secret ops resolved, even one resolved after the agent started.
//!
//! The environment and the PATH are injectable ([`SecretResolver::with_env`],
//! [`SecretResolver::with_path`]); with an injected environment the providers
//! run with exactly that environment.

mod missing;
mod provider;

pub use missing::{Attempt, MissingSecret};
pub use provider::{find_program, is_executable};

use ops_core::Secret;
use ops_core::config::{SecretProvider, SecretSpec, Settings};
use ops_core::secret::Redactor;
use provider::{ChildEnv, Lookup, Output};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::sync::Mutex;

/// A remote source that needs a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUser {
    /// The GitHub source (`[github] token`).
    GitHub,
    /// The Sentry source (`[sentry] token`).
    Sentry,
    /// The Linear source (`[linear] token`).
    Linear,
}

impl TokenUser {
    /// The source's name as shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            TokenUser::GitHub => "GitHub",
            TokenUser::Sentry => "Sentry",
            TokenUser::Linear => "Linear",
        }
    }
}

enum Environment {
    Process,
    Fixed(BTreeMap<String, String>),
}

/// Finds secrets as the settings say. Holds where to look, and what each
/// lookup answered (so one command asks each provider once, however many parts
/// need the same token); never prints a value.
pub struct SecretResolver {
    secrets: BTreeMap<String, SecretSpec>,
    tokens: [(TokenUser, String); 3],
    env: Environment,
    path: Option<OsString>,
    /// Answers by (secret name, the source asking).
    answers: Mutex<Answers>,
    /// Learns every value found.
    redactor: Redactor,
}

type Answers = BTreeMap<(String, Option<String>), Result<Secret, MissingSecret>>;

impl fmt::Debug for SecretResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env = match &self.env {
            Environment::Process => "process".to_owned(),
            Environment::Fixed(vars) => format!("{} variables", vars.len()),
        };
        f.debug_struct("SecretResolver")
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("env", &env)
            .field("path", &self.path)
            .finish()
    }
}

impl SecretResolver {
    /// A resolver for the settings' secrets, reading this process's
    /// environment and PATH.
    pub fn new(settings: &Settings) -> Self {
        SecretResolver {
            secrets: settings.secrets.clone(),
            tokens: [
                (TokenUser::GitHub, settings.github.token.clone()),
                (TokenUser::Sentry, settings.sentry.token.clone()),
                (TokenUser::Linear, settings.linear.token.clone()),
            ],
            env: Environment::Process,
            path: None,
            answers: Mutex::default(),
            redactor: Redactor::new(),
        }
    }

    /// Teach every value found to `redactor` (shared with its clones).
    pub fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// The redactor that learns every value found.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Use exactly these variables instead of the process environment, both
    /// for `env` lookups and as the providers' environment.
    pub fn with_env<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Environment::Fixed(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Look for provider programs in these directories (a PATH value)
    /// instead of the environment's PATH.
    pub fn with_path(mut self, path: impl Into<OsString>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The token `user` needs, from the secret its settings name.
    pub async fn token(&self, user: TokenUser) -> Result<Secret, MissingSecret> {
        let name = self
            .tokens
            .iter()
            .find(|(u, _)| *u == user)
            .map_or("", |(_, name)| name.as_str());
        self.find(name, Some(user.label())).await
    }

    /// The secret `name`, from the first place in its order that holds it.
    pub async fn resolve(&self, name: &str) -> Result<Secret, MissingSecret> {
        self.find(name, None).await
    }

    /// The secret `name` for `source`: the first answer given, else a lookup.
    async fn find(&self, name: &str, source: Option<&str>) -> Result<Secret, MissingSecret> {
        let key = (name.to_owned(), source.map(str::to_owned));
        if let Some(answer) = self.answers().get(&key) {
            return answer.clone();
        }
        let answer = self.look_up(name, source).await;
        if let Ok(secret) = &answer {
            self.redactor.learn(secret.expose());
        }
        self.answers().insert(key, answer.clone());
        answer
    }

    fn answers(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn look_up(&self, name: &str, source: Option<&str>) -> Result<Secret, MissingSecret> {
        let mut missing = MissingSecret {
            secret: name.to_owned(),
            source: source.map(str::to_owned),
            tried: Vec::new(),
            known: true,
        };
        let Some(spec) = self.secrets.get(name) else {
            missing.known = false;
            return Err(missing);
        };
        for provider in &spec.order {
            for (place, lookup) in self.ask(*provider, spec).await {
                match lookup {
                    Lookup::Found(value) => return Ok(Secret::new(value, place)),
                    Lookup::NotThere(why) => missing.tried.push(Attempt { place, why }),
                }
            }
        }
        Err(missing)
    }

    /// Every place `provider` has for this secret, asked in turn until one
    /// holds it (several only for `env`).
    async fn ask(&self, provider: SecretProvider, spec: &SecretSpec) -> Vec<(String, Lookup)> {
        let mut asked = Vec::new();
        match provider {
            SecretProvider::Env => {
                for var in &spec.env {
                    let lookup = match self.var(var) {
                        Some(value) => Lookup::Found(value),
                        None => Lookup::NotThere("unset".into()),
                    };
                    let found = matches!(lookup, Lookup::Found(_));
                    asked.push((format!("env {var}"), lookup));
                    if found {
                        break;
                    }
                }
            }
            SecretProvider::Doppler => {
                if let Some(d) = &spec.doppler {
                    let mut args = vec!["secrets", "get", d.name.as_str(), "--plain"];
                    if let Some(project) = &d.project {
                        args.extend(["--project", project.as_str()]);
                    }
                    if let Some(config) = &d.config {
                        args.extend(["--config", config.as_str()]);
                    }
                    let lookup = self.run("doppler", &args, spec, Output::Whole).await;
                    asked.push((format!("doppler {}", d.name), lookup));
                }
            }
            SecretProvider::Op => {
                if let Some(reference) = &spec.op {
                    let lookup = self
                        .run("op", &["read", reference], spec, Output::Whole)
                        .await;
                    asked.push(("op".to_owned(), lookup));
                }
            }
            SecretProvider::Pass => {
                if let Some(path) = &spec.pass {
                    let lookup = self
                        .run("pass", &["show", path], spec, Output::FirstLine)
                        .await;
                    asked.push((format!("pass {path}"), lookup));
                }
            }
        }
        asked
    }

    fn var(&self, name: &str) -> Option<String> {
        let value = match &self.env {
            Environment::Process => std::env::var(name).ok()?,
            Environment::Fixed(vars) => vars.get(name)?.clone(),
        };
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    async fn run(&self, program: &str, args: &[&str], spec: &SecretSpec, output: Output) -> Lookup {
        let path = match (&self.path, &self.env) {
            (Some(path), _) => path.clone(),
            (None, Environment::Fixed(vars)) => {
                vars.get("PATH").map(OsString::from).unwrap_or_default()
            }
            (None, Environment::Process) => provider::process_path(),
        };
        let env = match &self.env {
            Environment::Process => ChildEnv::Inherit,
            Environment::Fixed(vars) => ChildEnv::Only(vars),
        };
        provider::run(program, args, &path, env, spec.timeout, output).await
    }
}
