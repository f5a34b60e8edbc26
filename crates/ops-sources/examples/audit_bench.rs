//! Audits every project of a registry with [`LocalGitSource`] only, with the
//! bounded parallelism an audit uses: the sources' half of `bench/audit/run.sh`.
//!
//! ```text
//! audit_bench REGISTRY.json            # audit; print a one-line summary
//! audit_bench REGISTRY.json --facts    # print "path<TAB>dirty<TAB>ahead" per checkout, sorted
//! ```
//!
//! Reads the registry as ops does ([`Registry::load`]). The concurrency is
//! `2 × available cores` unless `OPS_AUDIT_JOBS` says otherwise.

use futures::StreamExt;
use ops_core::IssueSource;
use ops_core::config::Registry;
use ops_core::model::Project;
use ops_sources::{LocalGitSource, git_facts};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("audit_bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let registry = args
        .next()
        .ok_or("usage: audit_bench REGISTRY.json [--facts]")?;
    let facts_mode = args.next().as_deref() == Some("--facts");
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let projects = Registry::load(Path::new(&registry), home.as_deref())
        .map_err(|e| e.to_string())?
        .projects;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let jobs = match std::env::var("OPS_AUDIT_JOBS") {
        Ok(v) => v
            .parse()
            .map_err(|e| format!("OPS_AUDIT_JOBS={v:?}: {e}"))?,
        Err(_) => 2 * cores,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .max_blocking_threads(jobs.max(1))
        .build()
        .map_err(|e| format!("start the runtime: {e}"))?;
    runtime.block_on(async {
        if facts_mode {
            print_facts(&projects, jobs).await
        } else {
            audit(&projects, jobs).await
        }
    })
}

async fn audit(projects: &[Project], jobs: usize) -> Result<(), String> {
    let source = LocalGitSource::new();
    let results: Vec<_> = futures::stream::iter(projects)
        .map(|p| source.audit(p))
        .buffer_unordered(jobs.max(1))
        .collect()
        .await;
    let findings: usize = results.iter().flatten().map(Vec::len).sum();
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    println!(
        "audited {} projects with {jobs} at once: {findings} findings, {} errors",
        projects.len(),
        errors.len()
    );
    for e in errors {
        println!("  error: {e}");
    }
    Ok(())
}

async fn print_facts(projects: &[Project], jobs: usize) -> Result<(), String> {
    let checkouts: Vec<_> = projects
        .iter()
        .flat_map(|p| {
            p.paths
                .iter()
                .map(|path| (path.clone(), p.dev_branch.clone()))
        })
        .collect();
    let mut lines: Vec<String> = futures::stream::iter(checkouts)
        .map(|(path, dev)| {
            tokio::task::spawn_blocking(move || match git_facts(&path, dev.as_deref()) {
                Ok(f) => format!(
                    "{}\t{}\t{}",
                    path.display(),
                    f.dirty(),
                    f.ahead.map_or("-".to_owned(), |a| a.to_string())
                ),
                Err(e) => format!("{}\terror\t{e}", path.display()),
            })
        })
        .buffer_unordered(jobs.max(1))
        .map(|r| r.unwrap_or_else(|e| format!("join error: {e}")))
        .collect()
        .await;
    lines.sort();
    for line in lines {
        println!("{line}");
    }
    Ok(())
}
