//! The parts of a run, from the settings file's `[engine]` section and the
//! flags (a flag wins): the engine's settings, the agent runtime, the gates and
//! the shippers.

use super::probe::SentryProbe;
use crate::cli::{AgentKind, RunArgs};
use crate::exit::CliError;
use ops_core::config::{AgentRuntime, EngineSettings, Settings};
use ops_core::engine::{MergeConfirmation, SecurityReview};
use ops_core::model::{Project, ShipKind};
use ops_core::secret::Redactor;
use ops_core::{Dispatcher, EngineConfig, QualityGate};
use ops_dispatch::{
    AiderConfig, AiderDispatcher, ClaudeConfig, ClaudeDispatcher, CodexConfig, CodexDispatcher,
    CommandConfig, CommandDispatcher, GeminiConfig, GeminiDispatcher, Workbench, WorktreeManager,
};
use ops_ship::gate::{self, BranchPatch, GateBase};
use ops_ship::github::{ClientConfig, GitHubShipConfig, GitHubToken, NewIssueProbe};
use ops_ship::local::LocalShipConfig;
use ops_ship::route::{ProjectShippers, ship_kind};
use ops_sources::{SecretResolver, SentryConfig, SentrySource, TokenUser};
use std::sync::Arc;

/// The agent runtime a run starts, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// Which runtime.
    pub runtime: AgentRuntime,
    /// `--agent-cmd` (else `agent_cmd`, when the runtime is the settings file's
    /// `agent`), split on whitespace: for `command` the
    /// program and its arguments, for the others the CLI to start instead of
    /// the one on PATH.
    pub cmd: Option<Vec<String>>,
    /// The model the runtime is asked to use.
    pub model: Option<String>,
}

/// The runtime the flags and settings name. `--agent command` without a
/// command, or a CLI replacement with arguments for a runtime that takes none,
/// is a usage error.
pub fn agent(settings: &EngineSettings, args: &RunArgs) -> Result<Agent, CliError> {
    let runtime = args.agent.map(runtime_of).unwrap_or(settings.agent);
    // The file's `agent_cmd` is its `agent`'s command: not another runtime's CLI.
    let from_file = settings
        .agent_cmd
        .as_ref()
        .filter(|_| runtime == settings.agent);
    let given = args.agent_cmd.as_ref().or(from_file);
    let cmd = match given {
        Some(text) => {
            let words: Vec<String> = text.split_whitespace().map(String::from).collect();
            if words.is_empty() {
                return Err(CliError::AgentCmdInvalid {
                    given: text.clone(),
                    expected: "expected a program and its arguments, got nothing".into(),
                });
            }
            Some(words)
        }
        None => None,
    };
    match (runtime, &cmd) {
        (AgentRuntime::Command, None) => return Err(CliError::AgentCmdMissing),
        (AgentRuntime::Codex | AgentRuntime::Gemini | AgentRuntime::Aider, Some(words))
            if words.len() > 1 =>
        {
            return Err(CliError::AgentCmdInvalid {
                given: words.join(" "),
                expected: format!(
                    "the {runtime} runtime takes only the program to start instead of `{runtime}`, no arguments"
                ),
            });
        }
        _ => {}
    }
    Ok(Agent {
        runtime,
        cmd,
        model: settings.model.clone(),
    })
}

fn runtime_of(kind: AgentKind) -> AgentRuntime {
    match kind {
        AgentKind::Claude => AgentRuntime::Claude,
        AgentKind::Codex => AgentRuntime::Codex,
        AgentKind::Gemini => AgentRuntime::Gemini,
        AgentKind::Aider => AgentRuntime::Aider,
        AgentKind::Command => AgentRuntime::Command,
    }
}

/// Whether merges wait for a yes: never with `--force` or claude-ops'
/// `yolo_enabled`; asked on a terminal; otherwise held open (unattended).
pub fn confirmation(force: bool, yolo: bool, interactive: bool) -> MergeConfirmation {
    if force || yolo {
        MergeConfirmation::Forced
    } else if interactive {
        MergeConfirmation::Ask
    } else {
        MergeConfirmation::Unattended
    }
}

/// The engine's settings: `[engine]`, then the flags, and the scope.
pub fn engine_config(
    settings: &EngineSettings,
    args: &RunArgs,
    projects: &[Project],
    merge_confirmation: MergeConfirmation,
) -> EngineConfig {
    EngineConfig {
        max_agents: args.max_agents.map_or(settings.max_agents, |n| n as usize),
        stall_after: settings.stall_after,
        max_attempts: settings.max_attempts,
        max_waves: args.max_waves,
        promote: !args.no_main,
        merge_confirmation,
        budget_usd: args.budget_usd.or(settings.budget_usd),
        projects: Some(projects.iter().map(|p| p.alias.clone()).collect()),
        fires_only: args.fires_only,
        ..EngineConfig::default()
    }
}

/// The dispatcher of `agent`, its worktrees under `<repo>/.worktrees/` (where
/// `ops gc` looks), cut from each project's dev branch; everything its agents
/// print goes through `redactor`.
pub fn dispatcher(
    agent: &Agent,
    projects: &[Project],
    redactor: &Redactor,
) -> Result<Arc<dyn Dispatcher>, CliError> {
    let bench = Workbench::new(WorktreeManager::default())
        .with_projects(projects)
        .with_redactor(redactor.clone());
    let program = agent.cmd.as_ref().and_then(|w| w.first().cloned());
    let rest: Vec<String> = agent
        .cmd
        .as_ref()
        .map(|w| w[1..].to_vec())
        .unwrap_or_default();
    let model = agent.model.clone();
    Ok(match agent.runtime {
        AgentRuntime::Command => {
            let config = CommandConfig {
                program: program.ok_or(CliError::AgentCmdMissing)?,
                args: rest,
                ..CommandConfig::default()
            };
            Arc::new(CommandDispatcher::new(bench, config)?)
        }
        AgentRuntime::Claude => {
            let defaults = ClaudeConfig::default();
            let config = ClaudeConfig {
                program: program.unwrap_or(defaults.program.clone()),
                pre_args: rest,
                model: model.unwrap_or(defaults.model.clone()),
                ..defaults
            };
            Arc::new(ClaudeDispatcher::new(bench, config)?)
        }
        AgentRuntime::Codex => {
            let defaults = CodexConfig::default();
            let program = program.unwrap_or(defaults.program);
            Arc::new(CodexDispatcher::new(bench, CodexConfig { program, model }))
        }
        AgentRuntime::Gemini => {
            let defaults = GeminiConfig::default();
            let program = program.unwrap_or(defaults.program);
            Arc::new(GeminiDispatcher::new(
                bench,
                GeminiConfig { program, model },
            ))
        }
        AgentRuntime::Aider => {
            let defaults = AiderConfig::default();
            let program = program.unwrap_or(defaults.program);
            Arc::new(AiderDispatcher::new(bench, AiderConfig { program, model }))
        }
    })
}

/// The gates every completion passes; the secrets guard also refuses every
/// value `known` (the run's redactor) knows.
pub fn gates(projects: &[Project], known: &Redactor) -> Vec<Arc<dyn QualityGate>> {
    gate::standard(projects, known)
}

/// The security review: the reviewer is an agent of the run's own runtime, in its
/// own throwaway worktree, shown the branch's redacted patch against dev.
pub fn security_review(projects: &[Project], reviewer: Arc<dyn Dispatcher>) -> SecurityReview {
    SecurityReview::new(
        reviewer,
        Arc::new(BranchPatch::new(GateBase::from_projects(projects))),
    )
}

/// The shippers of `projects`: GitHub for those that could ship through it when
/// the GitHub token resolves (looked up only then), local git for the rest.
/// `notes` gets one line when some fall back to local shipping.
pub async fn shippers(
    projects: &[Project],
    settings: &Settings,
    secrets: &SecretResolver,
    promote: bool,
    notes: &mut Vec<String>,
) -> ProjectShippers {
    let could: Vec<&Project> = projects
        .iter()
        .filter(|p| ship_kind(p, true) == ShipKind::Github)
        .collect();
    let mut token = None;
    if !could.is_empty() {
        match secrets.token(TokenUser::GitHub).await {
            Ok(secret) => token = Some(GitHubToken::new(secret.expose())),
            Err(missing) => notes.push(format!(
                "{} ship through local git: {missing}",
                could
                    .iter()
                    .map(|p| p.alias.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    let probe = match &token {
        Some(_) => sentry_probe(&could, settings, secrets, notes).await,
        None => None,
    };
    let github = GitHubShipConfig {
        client: ClientConfig {
            api_base: settings.github.api_url.clone(),
            ..ClientConfig::default()
        },
        promote,
        ..GitHubShipConfig::default()
    };
    let local = LocalShipConfig {
        promote,
        ..LocalShipConfig::default()
    };
    ProjectShippers::for_projects(projects, token, github, local, probe)
}

/// The after-merge check for new Sentry errors, for the GitHub-shipped projects
/// with `sentry{}` config, when the Sentry token resolves.
async fn sentry_probe(
    projects: &[&Project],
    settings: &Settings,
    secrets: &SecretResolver,
    notes: &mut Vec<String>,
) -> Option<Arc<dyn NewIssueProbe>> {
    let watched: Vec<Project> = projects
        .iter()
        .filter(|p| p.sentry.is_some())
        .map(|p| (*p).clone())
        .collect();
    if watched.is_empty() {
        return None;
    }
    let token = match secrets.token(TokenUser::Sentry).await {
        Ok(t) => t,
        Err(missing) => {
            notes.push(format!(
                "no check for new Sentry errors after merges: {missing}"
            ));
            return None;
        }
    };
    let config = SentryConfig {
        url: settings.sentry.url.clone(),
        http: settings.http.clone(),
        ..SentryConfig::default()
    };
    match SentrySource::new(config, token) {
        Ok(source) => Some(Arc::new(SentryProbe::new(source, watched))),
        Err(e) => {
            notes.push(format!("no check for new Sentry errors after merges: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::time::Duration;

    fn args(flags: &[&str]) -> RunArgs {
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            run: RunArgs,
        }
        let mut argv = vec!["run", "--hybrid"];
        argv.extend_from_slice(flags);
        Wrap::try_parse_from(argv).expect("valid flags").run
    }

    fn file(text: &str) -> EngineSettings {
        Settings::parse(text, std::path::Path::new("/cfg/config.toml"))
            .expect("valid settings")
            .engine
    }

    #[test]
    fn the_engine_section_applies_and_each_flag_overrides_its_key() {
        let settings = file(
            "[engine]\nmax_agents = 2\nstall_after_secs = 60\nmax_attempts = 4\nbudget_usd = 3.0\n",
        );
        let from_file = engine_config(&settings, &args(&[]), &[], MergeConfirmation::Forced);
        assert_eq!(from_file.max_agents, 2);
        assert_eq!(from_file.stall_after, Duration::from_secs(60));
        assert_eq!(from_file.max_attempts, 4);
        assert_eq!(from_file.budget_usd, Some(3.0));
        assert!(from_file.promote);
        let flags = args(&[
            "--max-agents",
            "7",
            "--budget-usd",
            "0.5",
            "--no-main",
            "--max-waves",
            "2",
            "--fires-only",
        ]);
        let project = Project {
            alias: "api".into(),
            ..Project::default()
        };
        let overridden = engine_config(&settings, &flags, &[project], MergeConfirmation::Ask);
        assert_eq!(overridden.max_agents, 7);
        assert_eq!(overridden.budget_usd, Some(0.5));
        assert!(!overridden.promote);
        assert_eq!(overridden.max_waves, Some(2));
        assert!(overridden.fires_only);
        assert_eq!(overridden.merge_confirmation, MergeConfirmation::Ask);
        assert_eq!(overridden.projects, Some(["api".to_string()].into()));
    }

    #[test]
    fn force_or_yolo_merge_without_asking_a_terminal_asks_and_otherwise_changes_wait() {
        assert_eq!(confirmation(true, false, true), MergeConfirmation::Forced);
        assert_eq!(confirmation(false, true, false), MergeConfirmation::Forced);
        assert_eq!(confirmation(false, false, true), MergeConfirmation::Ask);
        assert_eq!(
            confirmation(false, false, false),
            MergeConfirmation::Unattended
        );
    }

    #[test]
    fn the_agent_flags_override_the_file_and_the_command_is_split_without_a_shell() {
        let settings =
            file("[engine]\nagent = \"command\"\nagent_cmd = \"from-file --x\"\nmodel = \"m\"\n");
        let from_file = agent(&settings, &args(&[])).expect("file");
        assert_eq!(from_file.runtime, AgentRuntime::Command);
        assert_eq!(
            from_file.cmd,
            Some(vec!["from-file".to_string(), "--x".to_string()])
        );
        assert_eq!(from_file.model.as_deref(), Some("m"));
        let flagged = agent(
            &settings,
            &args(&["--agent", "claude", "--agent-cmd", "my-claude  'a b'"]),
        )
        .expect("flags");
        assert_eq!(flagged.runtime, AgentRuntime::Claude);
        assert_eq!(
            flagged.cmd,
            Some(vec!["my-claude".to_string(), "'a".into(), "b'".into()])
        );
    }

    #[test]
    fn the_files_agent_cmd_belongs_to_the_files_runtime_not_to_another_one_the_flag_picks() {
        let settings = file("[engine]\nagent = \"command\"\nagent_cmd = \"my-agent --fast\"\n");
        let claude = agent(&settings, &args(&["--agent", "claude"])).expect("claude");
        assert_eq!(claude.runtime, AgentRuntime::Claude);
        assert_eq!(claude.cmd, None, "Claude Code on PATH, not my-agent");
        let codex = agent(&settings, &args(&["--agent", "codex"])).expect("codex");
        assert_eq!(codex.cmd, None);
        let same = agent(&settings, &args(&["--agent", "command"])).expect("command");
        assert_eq!(
            same.cmd,
            Some(vec!["my-agent".to_string(), "--fast".to_string()])
        );
    }

    #[test]
    fn command_without_a_command_and_codex_with_arguments_are_usage_errors() {
        let none = agent(&file(""), &args(&["--agent", "command"])).expect_err("no cmd");
        assert!(none.to_string().contains("--agent-cmd"), "{none}");
        assert_eq!(none.exit_code(), crate::exit::USAGE);
        let extra = agent(
            &file(""),
            &args(&["--agent", "codex", "--agent-cmd", "codex --x"]),
        )
        .expect_err("arguments");
        assert_eq!(extra.exit_code(), crate::exit::USAGE);
        let blank = agent(
            &file(""),
            &args(&["--agent", "command", "--agent-cmd", "  "]),
        )
        .expect_err("blank");
        assert_eq!(blank.exit_code(), crate::exit::USAGE);
    }
}
