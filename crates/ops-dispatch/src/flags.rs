//! The flags ops passes each runtime's CLI, and how to ask that CLI whether it
//! accepts them (`ops doctor`): a CLI's help lists its flags, and a flag ops
//! passes that an installed version does not list (`--full-auto` on a Codex
//! that dropped it, `--skip-trust` on a Gemini CLI from before it) makes every
//! run fail at its first start.

use crate::{AiderConfig, ClaudeConfig, CodexConfig, GeminiConfig};
use ops_core::config::AgentRuntime;

/// What to ask a runtime's CLI and what to look for in its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagProbe {
    /// The arguments that print the help listing ops' flags (`exec --help` for
    /// Codex: its flags are the `exec` subcommand's).
    pub help_args: Vec<&'static str>,
    /// The flags ops passes (each once, in the order passed), values left out.
    pub flags: Vec<String>,
}

/// The probe for `runtime` run with `model` (as `ops run` would start it);
/// `None` for the `command` runtime, whose arguments are the user's own.
pub fn probe(runtime: AgentRuntime, model: Option<&str>) -> Option<FlagProbe> {
    let model = model.map(str::to_owned);
    let (help_args, args): (Vec<&'static str>, Vec<String>) = match runtime {
        AgentRuntime::Command => return None,
        AgentRuntime::Claude => {
            let defaults = ClaudeConfig::default();
            let config = ClaudeConfig {
                model: model.unwrap_or(defaults.model.clone()),
                ..defaults
            };
            let mut args = config.args();
            // Every attempt names its session: a new one, or the one it resumes.
            args.extend(["--session-id", "--resume"].map(String::from));
            (vec!["--help"], args)
        }
        AgentRuntime::Codex => {
            let args = CodexConfig {
                model,
                ..CodexConfig::default()
            }
            .args();
            (vec!["exec", "--help"], args)
        }
        AgentRuntime::Gemini => {
            let args = GeminiConfig {
                model,
                ..GeminiConfig::default()
            }
            .args();
            (vec!["--help"], args)
        }
        AgentRuntime::Aider => {
            let config = AiderConfig {
                model,
                ..AiderConfig::default()
            };
            let mut args = vec!["--message-file".to_owned()];
            args.extend(config.flags());
            (vec!["--help"], args)
        }
    };
    let mut flags: Vec<String> = Vec::new();
    for arg in args {
        if arg.len() > 1 && arg.starts_with('-') && !flags.contains(&arg) {
            flags.push(arg);
        }
    }
    Some(FlagProbe { help_args, flags })
}

/// Whether `help` lists any option at all (a `--word`): a help that lists none
/// (a wrapper printing only its version) cannot tell which flags it accepts.
pub fn lists_options(help: &str) -> bool {
    (0..help.len()).any(|i| {
        help.is_char_boundary(i)
            && help[i..].starts_with("--")
            && help[i + 2..]
                .chars()
                .next()
                .is_some_and(char::is_alphabetic)
    })
}

/// The flags of `flags` that `help` does not list as a whole word (`--yolo` is
/// not listed by `--yolo-mode`, nor `--gitignore` by `--no-gitignore`).
pub fn unlisted<'a>(help: &str, flags: &'a [String]) -> Vec<&'a str> {
    flags
        .iter()
        .map(String::as_str)
        .filter(|flag| !listed(help, flag))
        .collect()
}

fn listed(help: &str, flag: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    help.match_indices(flag).any(|(at, _)| {
        let before = help[..at].chars().next_back();
        let after = help[at + flag.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_is_asked_for_its_exec_help_and_never_passed_full_auto() {
        let probe = probe(AgentRuntime::Codex, Some("gpt-test")).expect("codex has flags");
        assert_eq!(probe.help_args, ["exec", "--help"]);
        assert_eq!(
            probe.flags,
            ["--json", "--sandbox", "--skip-git-repo-check", "-m"]
        );
    }

    #[test]
    fn the_command_runtime_has_no_flags_of_ops() {
        assert_eq!(probe(AgentRuntime::Command, None), None);
    }

    #[test]
    fn a_flag_is_listed_only_as_a_whole_word() {
        let help = "  -y, --yolo-mode  yes\n  --no-gitignore  no\n  -m, --model <M>\n";
        let flags: Vec<String> = ["--yolo", "--gitignore", "--no-gitignore", "-m", "--model"]
            .map(String::from)
            .to_vec();
        assert_eq!(unlisted(help, &flags), ["--yolo", "--gitignore"]);
    }

    #[test]
    fn a_help_of_only_a_version_lists_no_options() {
        assert!(!lists_options("2.0.1 (Claude Code)\n"));
        assert!(!lists_options("-- \n"));
        assert!(lists_options("Options:\n  --json  JSON lines\n"));
    }
}
