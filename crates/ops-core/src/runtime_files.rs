//! Files a runtime makes for itself in the worktree: never the task's work, so
//! never committed on the agent's behalf. Aider's chat and input history and
//! tags cache (`.aider*`), the settings Claude Code writes (`.claude/`), the
//! session folders of Codex (`.codex/`) and Gemini CLI (`.gemini/`). The
//! dispatcher leaves them out of what it commits for an agent, and the
//! diff-scope gate refuses a branch that carries one (an agent's own `git add
//! -A`), so none is ever shipped.

/// The runtime files as git pathspecs excluding them (repository root only: a
/// runtime writes them where it was started).
pub const EXCLUDE: &[&str] = &[
    ":(exclude,glob).aider*",
    ":(exclude,glob).aider*/**",
    ":(exclude).claude",
    ":(exclude).codex",
    ":(exclude).gemini",
];

/// Whether the repository-relative `path` is a runtime's leftover.
pub fn is_runtime_file(path: &str) -> bool {
    owner(path).is_some()
}

/// The runtime whose own file the repository-relative `path` is, if any.
pub fn owner(path: &str) -> Option<&'static str> {
    let top = path.split('/').next().unwrap_or(path);
    match top {
        _ if top.starts_with(".aider") => Some("Aider"),
        ".claude" => Some("Claude Code"),
        ".codex" => Some("Codex"),
        ".gemini" => Some("Gemini CLI"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtimes_own_files_are_told_from_the_work() {
        for path in [
            ".aider.chat.history.md",
            ".aider.input.history",
            ".aider.tags.cache.v4/cache.db",
            ".claude/settings.local.json",
            ".codex/sessions/x.jsonl",
            ".gemini/settings.json",
        ] {
            assert!(is_runtime_file(path), "{path}");
        }
        for path in [
            "src/aider.rs",
            "hello.txt",
            ".gitignore",
            "docs/.claude-notes",
        ] {
            assert!(!is_runtime_file(path), "{path}");
        }
    }
}
