//! The behaviour every source, dispatcher, gate and shipper backend must show.

use crate::error::ErrorKind;
use crate::model::{Project, Task};
use crate::seams::{
    AgentStatus, Brief, ChecksState, Dispatcher, IssueSource, MergeOutcome, QualityGate, Shipper,
    WorkRef,
};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::{Instant, timeout};

/// A source audits read-only and repeatably: the same project twice gives the same
/// fingerprints, each unique, each finding naming the source and the project.
pub async fn source(src: &dyn IssueSource, project: &Project) {
    let first = src.audit(project).await.expect("the audit succeeds");
    let second = src.audit(project).await.expect("a second audit succeeds");
    let prints = |fs: &[crate::model::Finding]| {
        fs.iter()
            .map(|f| f.fingerprint.clone())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        prints(&first).len(),
        first.len(),
        "fingerprints are unique within one audit"
    );
    assert_eq!(
        prints(&first),
        prints(&second),
        "auditing twice gives the same fingerprints"
    );
    for f in &first {
        assert_eq!(f.source, src.name(), "a finding names its source");
        assert_eq!(f.project, project.alias, "a finding names its project");
        assert!(
            !f.fingerprint.is_empty() && !f.title.is_empty(),
            "a finding has a fingerprint and a title"
        );
    }
}

/// Briefs a dispatcher conformance run needs from its backend.
#[derive(Debug, Clone)]
pub struct DispatcherProbe {
    /// A brief the backend's agent completes successfully within `limit`.
    pub finishing: Brief,
    /// A brief the backend's agent keeps working on (or waits for a message on) for longer than `limit`.
    pub long_running: Brief,
    /// How long to wait for anything.
    pub limit: Duration,
}

/// A dispatcher finishes what it can, stops what it is told to stop within the
/// limit, honours its declared steerability, and reports activity no earlier than start.
pub async fn dispatcher(d: &dyn Dispatcher, probe: DispatcherProbe) {
    let started = Instant::now();
    let handle = d
        .dispatch(&probe.finishing)
        .await
        .expect("dispatch the finishing brief");
    assert!(
        handle.last_activity() >= started,
        "activity starts no earlier than dispatch"
    );
    let out = timeout(probe.limit, handle.wait())
        .await
        .expect("the finishing agent ends within the limit");
    assert_eq!(
        out.status,
        AgentStatus::Succeeded,
        "the finishing agent succeeds: {out:?}"
    );

    let handle = d
        .dispatch(&probe.long_running)
        .await
        .expect("dispatch the long brief");
    let sent = handle.send("conformance: a message while running").await;
    let team = probe.long_running.task.mode == crate::model::Mode::Team;
    if d.capabilities().steerable && team {
        sent.expect("a steerable runtime accepts a message while a team agent runs");
    } else if d.capabilities().steerable {
        // A runtime may steer only team agents (Codex: `app-server` for team
        // tasks, one-shot `exec` for subagents); a refusal then says so.
        if let Err(err) = sent {
            assert_eq!(
                err.kind(),
                ErrorKind::Unsupported,
                "a subagent's refusal is unsupported: {err}"
            );
        }
    } else {
        let err = sent.expect_err("a runtime that is not steerable refuses messages");
        assert_eq!(
            err.kind(),
            ErrorKind::Unsupported,
            "refused as unsupported: {err}"
        );
    }
    handle.stop().await.expect("stop succeeds");
    let out = timeout(probe.limit, handle.wait())
        .await
        .expect("a stopped agent ends within the limit");
    if !d.capabilities().steerable {
        assert_ne!(
            out.status,
            AgentStatus::Succeeded,
            "a stopped long-running agent does not claim success"
        );
    }
    let again = timeout(probe.limit, handle.wait())
        .await
        .expect("wait after the end returns at once");
    assert_eq!(again.status, out.status, "wait is repeatable");
}

/// A gate passes the passing work, fails the failing work with a detail, and says
/// the same thing when asked twice.
pub async fn gate(g: &dyn QualityGate, task: &Task, passing: &WorkRef, failing: &WorkRef) {
    let ok = g
        .check(task, passing)
        .await
        .expect("the gate runs on passing work");
    assert!(
        ok.passed,
        "{} passes the passing work: {}",
        g.name(),
        ok.detail
    );
    let bad = g
        .check(task, failing)
        .await
        .expect("the gate runs on failing work");
    assert!(!bad.passed, "{} fails the failing work", g.name());
    assert!(!bad.detail.is_empty(), "a failing verdict says why");
    let bad2 = g.check(task, failing).await.expect("the gate runs again");
    assert_eq!(bad, bad2, "the verdict is repeatable");
}

/// A shipper opens one change per branch however often asked, merges it once,
/// and reports an earlier merge as such.
pub async fn shipper(s: &dyn Shipper, task: &Task, work: &WorkRef, limit: Duration) {
    let first = s.open_change(task, work).await.expect("open the change");
    let again = s
        .open_change(task, work)
        .await
        .expect("open the change again");
    assert_eq!(first.id, again.id, "opening twice finds the same change");
    let deadline = Instant::now() + limit;
    loop {
        match s.checks(&again).await.expect("read checks") {
            ChecksState::Passed => break,
            ChecksState::Pending if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            other => {
                panic!("the conformance change's checks must pass within the limit, got {other:?}")
            }
        }
    }
    let merged = match s.merge(&again).await.expect("merge") {
        MergeOutcome::Merged { sha } => sha,
        other => panic!("the first merge merges, got {other:?}"),
    };
    match s.merge(&again).await.expect("merge again") {
        MergeOutcome::AlreadyMerged { sha } => {
            assert_eq!(sha, merged, "the earlier merge is reported")
        }
        other => panic!("merging a merged change must report AlreadyMerged, got {other:?}"),
    }
}
