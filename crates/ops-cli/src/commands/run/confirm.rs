//! Merge questions on the terminal: one at a time, in the order the engine asks
//! them; the answer is read from stdin on a blocking thread (the run goes on
//! meanwhile) and anything but `y`/`yes` is a no.

use ops_core::model::TaskId;
use std::collections::VecDeque;
use tokio::sync::mpsc;

/// A question the engine waits on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The task whose change would merge.
    pub task: TaskId,
    /// What to ask.
    pub text: String,
}

impl Question {
    /// `merge <url or change> for <task> at <head>? [y/N]`
    pub fn new(task: &TaskId, change: &str, url: Option<&str>, head: &str) -> Self {
        let short = head.get(..12).unwrap_or(head);
        Question {
            task: task.clone(),
            text: format!(
                "merge {} for {task} at {short}? [y/N]",
                url.unwrap_or(change)
            ),
        }
    }
}

/// The merge questions of a run.
pub struct Confirmations {
    waiting: VecDeque<Question>,
    asking: Option<TaskId>,
    tx: mpsc::UnboundedSender<(TaskId, bool)>,
    rx: mpsc::UnboundedReceiver<(TaskId, bool)>,
}

impl Default for Confirmations {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Confirmations {
            waiting: VecDeque::new(),
            asking: None,
            tx,
            rx,
        }
    }
}

impl Confirmations {
    /// Queues `q`; returns the text to show when it is asked right away.
    pub fn push(&mut self, q: Question) -> Option<String> {
        self.waiting.push_back(q);
        self.next_question()
    }

    /// Whether an answer is being read.
    pub fn asking(&self) -> bool {
        self.asking.is_some()
    }

    /// The next answer: the task and yes or no; then the text of the next
    /// question, if one was waiting (it is being read now).
    pub async fn answer(&mut self) -> Option<((TaskId, bool), Option<String>)> {
        let got = self.rx.recv().await?;
        self.asking = None;
        Some((got, self.next_question()))
    }

    fn next_question(&mut self) -> Option<String> {
        if self.asking.is_some() {
            return None;
        }
        let q = self.waiting.pop_front()?;
        self.asking = Some(q.task.clone());
        let tx = self.tx.clone();
        let task = q.task;
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let yes = std::io::stdin().read_line(&mut line).is_ok() && is_yes(&line);
            let _ = tx.send((task, yes));
        });
        Some(q.text)
    }
}

/// `y` or `yes`, any case; everything else (also end of input) is no.
pub fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_or_yes_merges() {
        for yes in ["y", "Y\n", " yes "] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "n", "no", "yep", "\n"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_question_names_the_url_or_change_the_task_and_the_short_head() {
        let task = TaskId::new("t1").expect("id");
        let head = "0123456789abcdef0123";
        let q = Question::new(&task, "7", Some("https://x/pr/7"), head);
        assert_eq!(q.text, "merge https://x/pr/7 for t1 at 0123456789ab? [y/N]");
        let local = Question::new(&task, "ops/t1-fix", None, "abc");
        assert_eq!(local.text, "merge ops/t1-fix for t1 at abc? [y/N]");
    }
}
