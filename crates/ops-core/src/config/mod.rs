//! Configuration ops reads: the registry of projects (both claude-ops shapes plus
//! ops' own keys), where to find it, the claude-ops side files (preferences,
//! daemon health, active topics), the audit context (one repository or all) and
//! the ops settings file ([`Settings`]: remote sources and where their tokens are).
//!
//! Nothing here reads the process environment on its own: callers pass an
//! [`Env`], so every lookup is testable.

mod context;
pub(crate) mod daemon;
mod env;
mod json;
mod locate;
mod preferences;
mod registry;
mod settings;
mod topics;

pub use context::{Context, ContextKind};
pub use daemon::{
    DAEMON_SOURCE, DaemonHealth, HealthReport, ServiceHealth, ServiceState, daemon_findings,
    is_daemon_project,
};
pub use env::Env;
pub use locate::{claude_ops_dir, locate_registry};
pub use preferences::Preferences;
pub use registry::{Registry, github_slug};
pub use settings::{
    AgentRuntime, DopplerRef, EngineSettings, GitHubSettings, HttpSettings, LinearSettings,
    SecretProvider, SecretSpec, SentrySettings, Settings, default_settings_path, locate_settings,
};
pub use topics::{Topic, active_topics, parse_topics};
