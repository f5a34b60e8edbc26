//! The command line, as DESIGN.md's "CLI contract" states it. Parsing only: what
//! each command does lives in [`crate::commands`].

use clap::{ArgAction, ArgGroup, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `ops [--registry PATH] [--state-dir DIR] [--json] [-v|-q] <command>`
#[derive(Debug, Parser)]
#[command(
    name = "ops",
    version,
    about = "Orchestrates AI coding agents across many git repositories.",
    after_help = crate::exit::CODES_HELP
)]
pub struct Cli {
    /// Flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, before or after the command's name.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The project registry (registry.json).
    #[arg(long, global = true, env = "OPS_REGISTRY", value_name = "PATH", value_parser = non_empty_path)]
    pub registry: Option<PathBuf>,
    /// Where ops keeps its board [default: $XDG_STATE_HOME/ops, else $HOME/.local/state/ops].
    #[arg(long, global = true, env = "OPS_STATE_DIR", value_name = "DIR", value_parser = non_empty_path)]
    pub state_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Say more (e.g. where the board is).
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Say less (e.g. no summary line).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// How much a command says besides its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`
    Quiet,
    /// neither flag
    Normal,
    /// `-v` (or more)
    Verbose,
}

impl GlobalArgs {
    /// The verbosity `-v`/`-q` asked for (clap refuses both at once).
    pub fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else if self.verbose > 0 {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit every project (or one) and list the findings.
    Audit(AuditArgs),
    /// Turn findings into tasks and waves on the board.
    Plan(PlanArgs),
    /// Audit, plan, then run agents on the board until every task in scope is settled.
    Run(RunArgs),
    /// Show the board: every task with its priority, status, wave and attempts.
    Status,
    /// Remove worktrees whose work has landed (inside a git checkout; says why it keeps the others).
    Gc,
    /// Check the setup: registry, settings, sources, secrets (never printed), agent CLIs,
    /// git, daemon health, state dir; exits 1 when an item fails.
    Doctor,
}

/// `ops audit [--project A] [--todo TEXT]...`
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Audit only this project (by alias).
    #[arg(long, value_name = "ALIAS")]
    pub project: Option<String>,
    /// A todo to report as a finding (repeatable).
    #[arg(long = "todo", value_name = "TEXT")]
    pub todos: Vec<String>,
}

/// `ops plan [--project A] [--fires-only] [--todo T]...`
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan only this project (by alias).
    #[arg(long, value_name = "ALIAS")]
    pub project: Option<String>,
    /// Plan only fires: P0 findings and what they depend on.
    #[arg(long)]
    pub fires_only: bool,
    /// A todo to plan as a task (repeatable).
    #[arg(long = "todo", value_name = "TEXT")]
    pub todos: Vec<String>,
}

/// `ops run [--subagents|--teams|--hybrid|--dry-run] [--project A] [--fires-only]
/// [--no-main] [--max-waves N] [--force] [--max-agents N] [--agent KIND] [--agent-cmd CMD]
/// [--budget-usd X]`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mode").args(["subagents", "teams", "hybrid", "dry_run"])))]
pub struct RunArgs {
    /// Run every task as a fire-and-forget subagent.
    #[arg(long)]
    pub subagents: bool,
    /// Run every task as a steerable team member.
    #[arg(long)]
    pub teams: bool,
    /// Choose subagent or team per task.
    #[arg(long)]
    pub hybrid: bool,
    /// Show the plan without running anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Run only this project (by alias).
    #[arg(long, value_name = "ALIAS")]
    pub project: Option<String>,
    /// Run only fires: P0 tasks and what they depend on.
    #[arg(long)]
    pub fires_only: bool,
    /// Do not promote dev to main after merging.
    #[arg(long)]
    pub no_main: bool,
    /// Stop after this many waves.
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub max_waves: Option<u32>,
    /// Merge without asking for confirmation.
    #[arg(long)]
    pub force: bool,
    /// At most this many agents at once [default: 5].
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub max_agents: Option<u32>,
    /// The agent runtime.
    #[arg(long, value_enum, value_name = "KIND")]
    pub agent: Option<AgentKind>,
    /// The command the `command` runtime runs (the brief arrives on stdin), split
    /// on whitespace (no shell); for the other runtimes, the CLI to start instead
    /// of the one on PATH.
    #[arg(long, value_name = "CMD")]
    pub agent_cmd: Option<String>,
    /// When the agent runtime is paused by a rate or usage limit and nothing else
    /// can run, stop (exit 6) instead of waiting for the limit to reset.
    #[arg(long)]
    pub no_wait: bool,
    /// A todo to plan as a task (repeatable), as with `ops plan`.
    #[arg(long = "todo", value_name = "TEXT")]
    pub todos: Vec<String>,
    /// Stop dispatching once agents have reported spending this many dollars.
    #[arg(long, value_name = "X", value_parser = positive_dollars)]
    pub budget_usd: Option<f64>,
}

/// The agent runtimes `--agent` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentKind {
    /// Claude Code.
    Claude,
    /// OpenAI Codex.
    Codex,
    /// Gemini CLI.
    Gemini,
    /// Aider.
    Aider,
    /// Any command given with `--agent-cmd`.
    Command,
}

fn non_empty_path(value: &str) -> Result<PathBuf, String> {
    if value.is_empty() {
        Err("expected a path, got an empty value".into())
    } else {
        Ok(PathBuf::from(value))
    }
}

fn positive_dollars(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!(
            "expected a positive number of dollars (e.g. 2.5), got {value:?}"
        )),
    }
}

fn at_least_one(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "expected a whole number of at least 1, got {value:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn at_least_one_refuses_zero_negative_and_words_naming_the_value() {
        assert_eq!(at_least_one("3"), Ok(3));
        for bad in ["0", "-1", "many", ""] {
            let err = at_least_one(bad).expect_err(bad);
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn positive_dollars_refuses_zero_negative_infinite_and_words_naming_the_value() {
        assert_eq!(positive_dollars("2.5"), Ok(2.5));
        assert_eq!(positive_dollars("3"), Ok(3.0));
        for bad in ["0", "-1", "inf", "NaN", "cheap", ""] {
            let err = positive_dollars(bad).expect_err(bad);
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn global_flags_are_accepted_after_the_command_name() {
        let cli = Cli::try_parse_from(["ops", "status", "--json", "-q", "--state-dir", "/tmp/s"])
            .expect("valid arguments");
        assert!(cli.global.json);
        assert_eq!(cli.global.verbosity(), Verbosity::Quiet);
        assert_eq!(cli.global.state_dir, Some(PathBuf::from("/tmp/s")));
    }
}
