//! `[engine]`: how `ops run` runs agents. Every key is optional; the command
//! line overrides each (`--agent`, `--agent-cmd`, `--max-agents`, `--budget-usd`).

use super::{Reader, shown};
use crate::error::Result;
use std::time::Duration;
use toml::{Table, Value};

/// The agent runtimes ops can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRuntime {
    /// Claude Code (`claude`).
    Claude,
    /// OpenAI Codex (`codex`).
    Codex,
    /// Gemini CLI (`gemini`).
    Gemini,
    /// Aider (`aider`).
    Aider,
    /// Any program (`agent_cmd`): the brief arrives on its stdin.
    Command,
}

impl AgentRuntime {
    /// Every runtime, in the order they are documented.
    pub const ALL: [AgentRuntime; 5] = [
        AgentRuntime::Claude,
        AgentRuntime::Codex,
        AgentRuntime::Gemini,
        AgentRuntime::Aider,
        AgentRuntime::Command,
    ];

    /// The name used in the settings file and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            AgentRuntime::Claude => "claude",
            AgentRuntime::Codex => "codex",
            AgentRuntime::Gemini => "gemini",
            AgentRuntime::Aider => "aider",
            AgentRuntime::Command => "command",
        }
    }

    /// The runtime called `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl std::fmt::Display for AgentRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `[engine]`, every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSettings {
    /// The agent runtime (default `claude`).
    pub agent: AgentRuntime,
    /// The program the `command` runtime runs, as one command line split on
    /// whitespace (no shell); required when `agent = "command"`.
    pub agent_cmd: Option<String>,
    /// The model the runtime is asked to use (default: the runtime's own).
    pub model: Option<String>,
    /// At most this many agents at once (default 5).
    pub max_agents: usize,
    /// No activity for this long stops an agent (default 15 min; key `stall_after_secs`).
    pub stall_after: Duration,
    /// Counted failures before a task is blocked (default 3).
    pub max_attempts: u32,
    /// Stop dispatching once agents have reported spending this much (default: no limit).
    pub budget_usd: Option<f64>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            agent: AgentRuntime::Claude,
            agent_cmd: None,
            model: None,
            max_agents: 5,
            stall_after: Duration::from_secs(15 * 60),
            max_attempts: 3,
            budget_usd: None,
        }
    }
}

impl Reader<'_> {
    pub(super) fn engine(&self, t: &Table) -> Result<EngineSettings> {
        self.known_keys(
            "engine",
            t,
            &[
                "agent",
                "agent_cmd",
                "model",
                "max_agents",
                "stall_after_secs",
                "max_attempts",
                "budget_usd",
            ],
        )?;
        let mut e = EngineSettings::default();
        if let Some(name) = self.string(t, "engine", "agent")? {
            e.agent = AgentRuntime::parse(&name).ok_or_else(|| {
                self.error(
                    "engine.agent",
                    format!(
                        "unknown agent runtime {}; expected one of {}",
                        shown(&name),
                        AgentRuntime::ALL.map(AgentRuntime::name).join(", ")
                    ),
                )
            })?;
        }
        e.agent_cmd = self.string(t, "engine", "agent_cmd")?;
        e.model = self.string(t, "engine", "model")?;
        if let Some(n) = self.int(t, "engine", "max_agents", 1, 1000)? {
            e.max_agents = n as usize;
        }
        if let Some(n) = self.int(t, "engine", "stall_after_secs", 1, 7 * 86_400)? {
            e.stall_after = Duration::from_secs(n);
        }
        if let Some(n) = self.int(t, "engine", "max_attempts", 1, 100)? {
            e.max_attempts = n as u32;
        }
        if let Some(v) = t.get("budget_usd") {
            let usd = match v {
                Value::Integer(n) => *n as f64,
                Value::Float(x) => *x,
                other => {
                    return Err(self.wrong_type("engine.budget_usd", "a number of dollars", other));
                }
            };
            if !usd.is_finite() || usd <= 0.0 {
                return Err(self.error(
                    "engine.budget_usd",
                    format!("expected a positive number of dollars, found {usd}"),
                ));
            }
            e.budget_usd = Some(usd);
        }
        if e.agent == AgentRuntime::Command && e.agent_cmd.is_none() {
            return Err(self.error(
                "engine.agent_cmd",
                "missing: agent = \"command\" needs the program to run (agent_cmd = \"my-agent --flag\")",
            ));
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;
    use crate::error::Error;
    use std::path::Path;
    use std::time::Duration;

    fn parse(text: &str) -> crate::Result<Settings> {
        Settings::parse(text, Path::new("/cfg/config.toml"))
    }

    fn field_of(e: Error) -> (String, String) {
        match e {
            Error::ConfigFile { field, message, .. } => (field, message),
            other => panic!("expected a config file error, got {other:?}"),
        }
    }

    #[test]
    fn engine_defaults_apply_without_an_engine_section() {
        let e = parse("").expect("empty file").engine;
        assert_eq!(e.agent, super::AgentRuntime::Claude);
        assert_eq!(e.max_agents, 5);
        assert_eq!(e.stall_after, Duration::from_secs(900));
        assert_eq!(e.max_attempts, 3);
        assert_eq!(e.budget_usd, None);
        assert_eq!(e.model, None);
    }

    #[test]
    fn every_engine_key_is_read() {
        let e = parse(
            "[engine]\nagent = \"command\"\nagent_cmd = \"my-agent --fast\"\nmodel = \"m-1\"\n\
             max_agents = 2\nstall_after_secs = 60\nmax_attempts = 5\nbudget_usd = 2.5\n",
        )
        .expect("valid")
        .engine;
        assert_eq!(e.agent, super::AgentRuntime::Command);
        assert_eq!(e.agent_cmd.as_deref(), Some("my-agent --fast"));
        assert_eq!(e.model.as_deref(), Some("m-1"));
        assert_eq!(e.max_agents, 2);
        assert_eq!(e.stall_after, Duration::from_secs(60));
        assert_eq!(e.max_attempts, 5);
        assert_eq!(e.budget_usd, Some(2.5));
        let whole = parse("[engine]\nbudget_usd = 3\n").expect("integer dollars");
        assert_eq!(whole.engine.budget_usd, Some(3.0));
    }

    #[test]
    fn bad_engine_values_name_the_key_and_what_was_expected() {
        for (text, key, expected) in [
            (
                "[engine]\nagent = \"robot\"\n",
                "engine.agent",
                "claude, codex",
            ),
            (
                "[engine]\nagent = \"command\"\n",
                "engine.agent_cmd",
                "missing",
            ),
            ("[engine]\nmax_agents = 0\n", "engine.max_agents", "from 1"),
            (
                "[engine]\nbudget_usd = -1.0\n",
                "engine.budget_usd",
                "positive",
            ),
            (
                "[engine]\nbudget_usd = \"5\"\n",
                "engine.budget_usd",
                "number",
            ),
            (
                "[engine]\nstall_after = 5\n",
                "engine.stall_after",
                "unknown",
            ),
        ] {
            let (field, message) = field_of(parse(text).expect_err(text));
            assert_eq!(field, key, "{text}");
            assert!(message.contains(expected), "{text}: {message}");
        }
    }
}
