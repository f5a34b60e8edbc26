//! The run loop of the CLI: the engine runs while this shows every event with
//! the board as it is after it (read whole once, then through its change feed:
//! one query per batch of events, costing what changed), answers merge
//! questions and passes Ctrl-C on.

use super::confirm::{Confirmations, Question};
use super::signals::Signals;
use crate::commands::plan;
use crate::commands::scope::Scope;
use crate::exit::CliError;
use crate::render::{LiveView, REDRAW_EVERY};
use ops_core::model::Task;
use ops_core::{Engine, Event, RunReport, TaskStore};
use std::collections::HashSet;
use std::io::Write;
use tokio::sync::mpsc::UnboundedReceiver;

/// Where the loop shows things and what it may do.
pub struct Live<'a> {
    /// The view.
    pub view: &'a mut LiveView,
    /// Stdout.
    pub out: &'a mut dyn Write,
    /// The board the engine runs over.
    pub board: &'a dyn TaskStore,
    /// The projects in scope: the tasks shown.
    pub scope: &'a Scope,
    /// Merge questions are asked on the terminal.
    pub ask: bool,
    /// Where merge questions are also written when stdout is not the terminal
    /// (piped, or `--json`): stderr, which is one when questions are asked.
    pub prompt: Option<&'a mut dyn Write>,
    /// The tasks in scope as last read, by id, and where the feed is read next.
    pub tasks: Board,
}

/// The tasks in scope, kept up to date from the board's change feed.
#[derive(Debug, Default)]
pub struct Board {
    tasks: Vec<Task>,
    cursor: u64,
}

impl Live<'_> {
    /// The tasks in scope as the board holds them now (by id): the known ones
    /// replaced in place, the new ones merged in with one sort.
    async fn tasks(&mut self) -> Result<&[Task], CliError> {
        let changes = self.board.changes(self.tasks.cursor).await?;
        self.tasks.cursor = changes.cursor;
        let tasks = &mut self.tasks.tasks;
        let known = tasks.len();
        let mut gone = HashSet::new();
        let mut added = false;
        for task in changes.tasks {
            let at = tasks[..known].binary_search_by(|t| t.id.cmp(&task.id));
            let keep = plan::shown(self.scope, &task);
            match (at, keep) {
                (Ok(i), true) => tasks[i] = task,
                (Ok(_), false) => {
                    gone.insert(task.id);
                }
                (Err(_), true) => {
                    tasks.push(task);
                    added = true;
                }
                (Err(_), false) => {}
            }
        }
        if !gone.is_empty() {
            tasks.retain(|t| !gone.contains(&t.id));
        }
        if added {
            // The new ones after the known ones, then one (stable) merge of the two runs.
            tasks.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Ok(&self.tasks.tasks)
    }

    fn note(&mut self, text: &str) -> Result<(), CliError> {
        self.view.note(text, self.out).map_err(CliError::Output)
    }

    /// A merge question: shown by the view, and on the terminal when stdout is not it.
    fn question(&mut self, text: &str) -> Result<(), CliError> {
        self.note(text)?;
        if let Some(prompt) = self.prompt.as_mut() {
            writeln!(prompt, "{text}").map_err(CliError::Output)?;
            prompt.flush().map_err(CliError::Output)?;
        }
        Ok(())
    }

    /// Shows `first` and every event already queued behind it, after one re-listing.
    async fn show(
        &mut self,
        first: Event,
        events: &mut UnboundedReceiver<Event>,
        confirmations: &mut Confirmations,
    ) -> Result<(), CliError> {
        let mut batch = vec![first];
        while let Ok(e) = events.try_recv() {
            batch.push(e);
        }
        self.tasks().await?;
        for event in &batch {
            self.view
                .on_event(event, &self.tasks.tasks, self.out)
                .map_err(CliError::Output)?;
            if let Event::MergeConfirmationRequested {
                task,
                change,
                url,
                head,
            } = event
                && self.ask
                && let Some(text) =
                    confirmations.push(Question::new(task, change, url.as_deref(), head))
            {
                self.question(&text)?;
            }
        }
        self.out.flush().map_err(CliError::Output)
    }

    /// Runs `engine` to its end; returns its report and the tasks in scope then.
    pub async fn run(
        &mut self,
        engine: Engine,
        mut signals: Signals,
    ) -> Result<(RunReport, Vec<Task>), CliError> {
        let mut events = engine.events().subscribe();
        let handle = engine.handle();
        let mut confirmations = Confirmations::default();
        let run = engine.run();
        tokio::pin!(run);
        // Draws what the table's throttle held back when no event comes.
        let mut redraw = tokio::time::interval(REDRAW_EVERY);
        redraw.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let report = loop {
            tokio::select! {
                report = &mut run => break report?,
                Some(event) = events.recv() => {
                    self.show(event, &mut events, &mut confirmations).await?;
                }
                _ = redraw.tick() => {
                    self.view.tick(self.out).map_err(CliError::Output)?;
                    self.out.flush().map_err(CliError::Output)?;
                }
                () = signals.next() => {
                    handle.interrupt();
                }
                Some(((task, yes), next)) = confirmations.answer(), if confirmations.asking() => {
                    handle.confirm_merge(&task, yes);
                    if let Some(text) = next {
                        self.question(&text)?;
                    }
                }
            }
        };
        if let Ok(event) = events.try_recv() {
            self.show(event, &mut events, &mut confirmations).await?;
        }
        Ok((report, self.tasks().await?.to_vec()))
    }
}
