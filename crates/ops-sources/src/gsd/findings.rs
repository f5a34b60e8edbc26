//! The findings a checkout's planning gives: current phase, next phase, handoff.

use super::handoff::Handoff;
use super::phase::PhaseNumber;
use super::planning::Planning;
use super::roadmap::Item;
use ops_core::model::{Finding, Priority, fingerprint};
use std::fmt::Write as _;
use std::path::Path;

/// The findings `planning`, read from `checkout`, gives for project `alias`.
pub fn findings_of(alias: &str, checkout: &Path, planning: &Planning) -> Vec<Finding> {
    let repo = checkout.display().to_string();
    let finding = |kind: &str, print: String, title: String, detail: String, priority| Finding {
        source: "gsd".to_owned(),
        kind: kind.to_owned(),
        project: alias.to_owned(),
        repo: repo.clone(),
        title,
        detail,
        priority,
        fingerprint: print,
        depends_on: Vec::new(),
        paths: Vec::new(),
        blocked: None,
    };
    let phase_print =
        |n: &PhaseNumber| fingerprint(&["gsd", "phase", alias, &repo, &n.to_string()]);
    let mut out = Vec::new();
    let mut handoff_used = false;
    let mut blocked = None;
    let progress = planning.progress();
    if let Some(current) = planning.current_phase() {
        let label = phase_label(
            &current.number,
            current.name.as_deref(),
            current.total.as_deref(),
        );
        let open: Vec<&Item> = current.items.iter().filter(|i| !i.done).collect();
        let mut title = label.clone();
        // The files' own counts: STATE.md's plan line for the phase it names,
        // else the roadmap's `N/M plans`, else its checklist.
        let state_plan = planning
            .state
            .as_ref()
            .filter(|_| current.named_by_state)
            .and_then(|s| s.plan_counts());
        if let Some((n, m)) = state_plan {
            let _ = write!(title, " (plan {n} of {m})");
        } else if let Some((n, m)) = current.plans {
            let _ = write!(title, " ({n} of {m} plans done)");
        } else if !current.items.is_empty() {
            let _ = write!(
                title,
                " ({} of {} items done)",
                current.items.len() - open.len(),
                current.items.len()
            );
        }
        let mut detail = format!("checkout: {repo}\ncurrent phase: {label}\n");
        if let Some(status) = planning.state.as_ref().and_then(|s| s.status.as_ref()) {
            let _ = writeln!(detail, "status: {status}");
        }
        if let Some(plan) = planning
            .state
            .as_ref()
            .filter(|_| current.named_by_state)
            .and_then(|s| s.plan.as_ref())
        {
            let _ = writeln!(detail, "plan: {plan}");
        }
        if let Some(p) = &progress {
            let _ = writeln!(detail, "progress: {p}");
        }
        if open.is_empty() {
            detail.push_str("unchecked items: none listed in ROADMAP.md\n");
        } else {
            detail.push_str("unchecked items:\n");
            for item in &open {
                let _ = writeln!(detail, "  - [ ] {}", item.text);
            }
        }
        // The handoff is evidence about a phase: the current one's is its
        // resume context; an older phase's is stale and only noted.
        match planning.handoff.as_ref().filter(|h| h.is_pending()) {
            Some(h) if h.is_for(&current.number) => {
                detail.push_str("\nresume from the paused session:\n");
                detail.push_str(&handoff_detail(&repo, h));
                blocked = h.blocking_actions();
                handoff_used = true;
            }
            Some(h) if h.is_before(&current.number) => {
                let _ = writeln!(
                    detail,
                    "stale handoff: .planning/HANDOFF.json is for phase {}, older than this one",
                    h.phase.as_deref().unwrap_or("?")
                );
                handoff_used = true;
            }
            _ => {}
        }
        let current_print = phase_print(&current.number);
        let mut phase = finding(
            "gsd_phase",
            current_print.clone(),
            title,
            detail,
            Priority::P2,
        );
        phase.blocked = blocked;
        out.push(phase);
        if let Some((number, name)) = planning.next_phase(&current) {
            let next_label = phase_label(&number, name.as_deref(), None);
            let mut next = finding(
                "gsd_next_phase",
                phase_print(&number),
                format!("Next: {next_label}"),
                format!(
                    "checkout: {repo}\nnext phase: {next_label}\nstarts after: {label}\n{}",
                    progress
                        .as_deref()
                        .map(|p| format!("progress: {p}\n"))
                        .unwrap_or_default()
                ),
                Priority::P3,
            );
            next.depends_on.push(current_print);
            out.push(next);
        }
    }
    if let Some(handoff) = planning
        .handoff
        .as_ref()
        .filter(|h| h.is_pending() && !handoff_used)
    {
        let mut resume = finding(
            "gsd_handoff",
            fingerprint(&["gsd", "handoff", alias, &repo]),
            handoff_title(handoff),
            handoff_detail(&repo, handoff),
            Priority::P2,
        );
        resume.blocked = handoff.blocking_actions();
        out.push(resume);
    }
    out
}

fn phase_label(number: &PhaseNumber, name: Option<&str>, total: Option<&str>) -> String {
    let mut s = format!("Phase {number}");
    if let Some(total) = total {
        let _ = write!(s, " of {total}");
    }
    if let Some(name) = name {
        let _ = write!(s, ": {name}");
    }
    s
}

fn handoff_title(h: &Handoff) -> String {
    let place: Vec<String> = [("phase", &h.phase), ("plan", &h.plan), ("task", &h.task)]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
    if place.is_empty() {
        "Resume the paused GSD session".to_owned()
    } else {
        format!("Resume the paused GSD session ({})", place.join(", "))
    }
}

fn handoff_detail(repo: &str, h: &Handoff) -> String {
    let mut s = format!("checkout: {repo}\nhandoff: .planning/HANDOFF.json\n");
    let fields = [
        ("paused at", &h.paused_at),
        ("status", &h.status),
        ("branch", &h.branch),
        ("phase", &h.phase),
        ("plan", &h.plan),
        ("task", &h.task),
        ("where things stand", &h.summary),
        ("next action", &h.next_action),
    ];
    for (label, value) in fields {
        if let Some(v) = value {
            let _ = writeln!(s, "{label}: {v}");
        }
    }
    for (label, list) in [
        ("remaining", &h.remaining),
        ("blockers", &h.blockers),
        ("human actions", &h.human_actions),
    ] {
        if !list.is_empty() {
            let _ = writeln!(s, "{label}:");
            for entry in list {
                let _ = writeln!(s, "  - {entry}");
            }
        }
    }
    s
}
