//! Running a blocking read over each checkout of a project, side by side, and
//! folding the results into one audit answer.

use ops_core::model::{Finding, Project};
use ops_core::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// Runs `read` for every checkout in `project.paths` (made absolute), each on
/// a blocking thread, and returns all findings; when any checkout fails, the
/// error of the first, or one error naming every failed checkout.
pub(crate) async fn audit_checkouts<F>(
    source: &str,
    project: &Project,
    read: F,
) -> Result<Vec<Finding>>
where
    F: Fn(&Path) -> Result<Vec<Finding>> + Clone + Send + 'static,
{
    let jobs: Vec<_> = project
        .paths
        .iter()
        .map(|path| {
            let path: PathBuf = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let read = read.clone();
            tokio::task::spawn_blocking(move || read(&path))
        })
        .collect();
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for job in jobs {
        match job.await {
            Ok(Ok(found)) => findings.extend(found),
            Ok(Err(err)) => errors.push(err),
            Err(join) => errors.push(Error::backend(
                source,
                "audit",
                ErrorKind::Fatal,
                format!("the reading thread failed: {join}"),
            )),
        }
    }
    match errors.len() {
        0 => Ok(findings),
        1 => Err(errors.remove(0)),
        _ => Err(Error::backend(
            source,
            "audit",
            errors[0].kind(),
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}
