//! How tasks run: the mode flag, else the answer to a question on the terminal,
//! else a usage error; and, for `--subagents` / `--teams`, the mode written onto
//! the pending tasks in scope before the engine starts (`--hybrid` keeps the
//! planner's per-task choice, which planning recomputes on every run).

use crate::cli::RunArgs;
use crate::exit::CliError;
use crate::render::RunMode;
use ops_core::TaskStore;
use ops_core::model::{Mode, Task, TaskStatus};

/// The question asked on a terminal when no mode flag is given.
pub const QUESTION: &str = "Run how? [s]ubagents, [t]eams, [h]ybrid, [d]ry-run, [q]uit ";

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Run the board in this mode.
    Run(RunMode),
    /// Show the plan only (`ops plan`).
    DryRun,
    /// Do nothing.
    Quit,
}

/// The mode the flags name; without one, `ask` (only when `interactive`: stdin
/// and stderr are terminals) gives the answer, asked again until it is one of
/// the choices; end of input quits.
pub fn choose(
    args: &RunArgs,
    interactive: bool,
    mut ask: impl FnMut() -> std::io::Result<Option<String>>,
) -> Result<Choice, CliError> {
    if args.dry_run {
        return Ok(Choice::DryRun);
    }
    if let Some(mode) = flagged(args) {
        return Ok(Choice::Run(mode));
    }
    if !interactive {
        return Err(CliError::NoRunMode);
    }
    loop {
        let Some(answer) = ask().map_err(|source| CliError::Io {
            what: "read the answer from",
            path: "stdin".into(),
            source,
        })?
        else {
            return Ok(Choice::Quit);
        };
        if let Some(choice) = parse_answer(&answer) {
            return Ok(choice);
        }
    }
}

fn flagged(args: &RunArgs) -> Option<RunMode> {
    if args.subagents {
        Some(RunMode::Subagents)
    } else if args.teams {
        Some(RunMode::Teams)
    } else if args.hybrid {
        Some(RunMode::Hybrid)
    } else {
        None
    }
}

/// An answer to [`QUESTION`]: its first letter or the whole word, any case.
pub fn parse_answer(answer: &str) -> Option<Choice> {
    let word = answer.trim().to_lowercase();
    let pick = |letter: &str, name: &str| word == letter || word == name;
    if pick("s", "subagents") {
        Some(Choice::Run(RunMode::Subagents))
    } else if pick("t", "teams") {
        Some(Choice::Run(RunMode::Teams))
    } else if pick("h", "hybrid") {
        Some(Choice::Run(RunMode::Hybrid))
    } else if pick("d", "dry-run") {
        Some(Choice::DryRun)
    } else if pick("q", "quit") {
        Some(Choice::Quit)
    } else {
        None
    }
}

/// The task mode every task gets in `mode`; `None` for hybrid (per task).
pub fn forced(mode: RunMode) -> Option<Mode> {
    match mode {
        RunMode::Subagents => Some(Mode::Subagent),
        RunMode::Teams => Some(Mode::Team),
        RunMode::Hybrid => None,
    }
}

/// Writes the mode of `mode` onto the pending tasks among `tasks`; returns how
/// many changed.
pub async fn apply(
    board: &dyn TaskStore,
    tasks: &[Task],
    mode: RunMode,
) -> ops_core::Result<usize> {
    let Some(want) = forced(mode) else {
        return Ok(0);
    };
    let mut changed = 0;
    for task in tasks {
        if task.status == TaskStatus::Pending && task.mode != want {
            let mut task = task.clone();
            task.mode = want;
            board.save(task).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use ops_core::MemoryBoard;
    use ops_core::model::TaskId;

    fn args(flags: &[&str]) -> RunArgs {
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            run: RunArgs,
        }
        let mut argv = vec!["run"];
        argv.extend_from_slice(flags);
        Wrap::try_parse_from(argv).expect("valid flags").run
    }

    fn never_asked() -> std::io::Result<Option<String>> {
        panic!("asked although a flag or the lack of a terminal decides")
    }

    #[test]
    fn a_mode_flag_decides_without_asking_even_on_a_terminal() {
        for (flag, want) in [
            ("--subagents", Choice::Run(RunMode::Subagents)),
            ("--teams", Choice::Run(RunMode::Teams)),
            ("--hybrid", Choice::Run(RunMode::Hybrid)),
            ("--dry-run", Choice::DryRun),
        ] {
            assert_eq!(choose(&args(&[flag]), true, never_asked).expect(flag), want);
        }
    }

    #[test]
    fn without_a_flag_or_a_terminal_it_is_a_usage_error_naming_the_flags() {
        let err = choose(&args(&[]), false, never_asked).expect_err("no way to choose");
        let msg = err.to_string();
        for flag in ["--subagents", "--teams", "--hybrid", "--dry-run"] {
            assert!(msg.contains(flag), "{msg}");
        }
        assert_eq!(err.exit_code(), crate::exit::USAGE);
    }

    #[test]
    fn on_a_terminal_it_asks_again_until_the_answer_is_a_choice() {
        let mut answers = vec!["maybe\n", "", "  T \n"].into_iter();
        let mut asked = 0;
        let choice = choose(&args(&[]), true, || {
            asked += 1;
            Ok(answers.next().map(String::from))
        })
        .expect("answered");
        assert_eq!((choice, asked), (Choice::Run(RunMode::Teams), 3));
        let quit = choose(&args(&[]), true, || Ok(None)).expect("end of input");
        assert_eq!(quit, Choice::Quit);
    }

    #[test]
    fn answers_are_a_letter_or_the_word_in_any_case() {
        assert_eq!(parse_answer("Hybrid"), Some(Choice::Run(RunMode::Hybrid)));
        assert_eq!(parse_answer("s"), Some(Choice::Run(RunMode::Subagents)));
        assert_eq!(parse_answer("dry-run"), Some(Choice::DryRun));
        assert_eq!(parse_answer("q\n"), Some(Choice::Quit));
        assert_eq!(parse_answer("sub"), None);
    }

    #[tokio::test]
    async fn a_forced_mode_is_written_onto_pending_tasks_only_and_hybrid_changes_nothing() {
        let board = MemoryBoard::new();
        let mut tasks = Vec::new();
        for id in ["a", "b"] {
            let t = Task::new(TaskId::new(id).expect("id"), id, "p", "/r");
            tasks.push(board.insert(t).await.expect("insert"));
        }
        tasks[1]
            .move_to(TaskStatus::Blocked, Some("waits".into()))
            .expect("blocked");
        tasks[1] = board.save(tasks[1].clone()).await.expect("save");
        assert_eq!(
            apply(&board, &tasks, RunMode::Hybrid)
                .await
                .expect("hybrid"),
            0
        );
        assert_eq!(
            apply(&board, &tasks, RunMode::Teams).await.expect("teams"),
            1
        );
        let modes: Vec<Mode> = board
            .list()
            .await
            .expect("list")
            .iter()
            .map(|t| t.mode)
            .collect();
        assert_eq!(modes, vec![Mode::Team, Mode::Subagent]);
    }
}
