//! The dispatch log several worker processes share: one line `<worker> <task id>`
//! per agent started. Each line is appended with a single `write` to a file opened
//! with `O_APPEND`, so lines from different processes never interleave.

use ops_core::model::TaskId;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// One worker's handle on the shared log.
#[derive(Debug)]
pub struct DispatchLog {
    worker: String,
    file: File,
}

/// One line of the log: `worker` started an agent on `task`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// The worker's name.
    pub worker: String,
    /// The task's id.
    pub task: String,
}

impl DispatchLog {
    /// Opens (creating if needed) the log at `path` for appending as `worker`,
    /// which must be one word so each line splits back into worker and task.
    pub fn open(path: &Path, worker: &str) -> io::Result<Self> {
        if worker.is_empty() || worker.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("worker name {worker:?}: expected one word without spaces"),
            ));
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(DispatchLog {
            worker: worker.to_string(),
            file,
        })
    }

    /// Appends `<worker> <task>\n` in one `write` call.
    pub fn record(&self, task: &TaskId) -> io::Result<()> {
        let line = format!("{} {task}\n", self.worker);
        let written = (&self.file).write(line.as_bytes())?;
        if written == line.len() {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!(
                    "wrote {written} of {} bytes of {line:?} in one call",
                    line.len()
                ),
            ))
        }
    }
}

/// Every line of the log at `path`, in the order written.
pub fn read(path: &Path) -> Result<Vec<Dispatched>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, line)| match line.split(' ').collect::<Vec<_>>()[..] {
            [worker, task] if !worker.is_empty() && !task.is_empty() => Ok(Dispatched {
                worker: worker.to_string(),
                task: task.to_string(),
            }),
            _ => Err(format!(
                "{}:{}: expected `<worker> <task id>`, got {line:?}",
                path.display(),
                i + 1
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_from_two_handles_read_back_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dispatch.log");
        let a = DispatchLog::open(&path, "a").expect("open");
        let b = DispatchLog::open(&path, "b").expect("open");
        a.record(&TaskId::new("t1").expect("valid"))
            .expect("record");
        b.record(&TaskId::new("t2").expect("valid"))
            .expect("record");
        let lines = read(&path).expect("well formed");
        assert_eq!(
            lines,
            [
                Dispatched {
                    worker: "a".into(),
                    task: "t1".into()
                },
                Dispatched {
                    worker: "b".into(),
                    task: "t2".into()
                }
            ]
        );
    }

    #[test]
    fn a_worker_name_with_a_space_is_refused_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = DispatchLog::open(&dir.path().join("log"), "two words").expect_err("space");
        assert!(err.to_string().contains("\"two words\""), "{err}");
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        std::fs::write(&path, "a t1\ngarbage\n").expect("write");
        let err = read(&path).expect_err("malformed");
        assert!(err.contains(":2:") && err.contains("garbage"), "{err}");
    }
}
