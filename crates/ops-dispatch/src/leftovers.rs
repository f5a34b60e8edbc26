//! Files a runtime makes for itself in the worktree: never the task's work, so
//! never committed on the agent's behalf. Aider's chat and input history and
//! tags cache (`.aider*`), the settings Claude Code writes (`.claude/`), the
//! session folders of Codex (`.codex/`) and Gemini CLI (`.gemini/`).

/// The leftovers as git pathspecs excluding them (repository root only: a
/// runtime writes them where it was started).
pub const EXCLUDE: &[&str] = &[
    ":(exclude,glob).aider*",
    ":(exclude,glob).aider*/**",
    ":(exclude).claude",
    ":(exclude).codex",
    ":(exclude).gemini",
];

/// Whether the repository-relative `path` is a runtime's leftover.
pub fn is_leftover(path: &str) -> bool {
    let top = path.split('/').next().unwrap_or(path);
    top.starts_with(".aider") || matches!(top, ".claude" | ".codex" | ".gemini")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_files_are_leftovers_and_the_work_is_not() {
        for path in [
            ".aider.chat.history.md",
            ".aider.input.history",
            ".aider.tags.cache.v4/cache.db",
            ".claude/settings.local.json",
            ".codex/sessions/x.jsonl",
            ".gemini/settings.json",
        ] {
            assert!(is_leftover(path), "{path}");
        }
        for path in [
            "src/aider.rs",
            "hello.txt",
            ".gitignore",
            "docs/.claude-notes",
        ] {
            assert!(!is_leftover(path), "{path}");
        }
    }
}
