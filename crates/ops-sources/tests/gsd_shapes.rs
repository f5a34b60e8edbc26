//! Real-world `.planning/` shapes (fixtures in `tests/fixtures/gsd/`), read
//! the way the people who wrote them mean them: a finished phase is not work,
//! a handoff is evidence about a phase, progress comes from the files' counts.

use ops_core::IssueSource;
use ops_core::model::{Finding, Priority, Project};
use ops_sources::GsdSource;
use ops_sources::gsd::roadmap::parse_roadmap;
use std::path::{Path, PathBuf};

fn fixture_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gsd")
        .join(case)
}

/// A checkout whose `.planning/` holds the fixture's files.
fn checkout(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let planning = dir.path().join(".planning");
    std::fs::create_dir_all(&planning).expect("mkdir");
    for entry in std::fs::read_dir(fixture_dir(case)).expect("fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), planning.join(entry.file_name())).expect("copy");
    }
    dir
}

async fn audit(dir: &Path) -> Vec<Finding> {
    let project = Project {
        alias: "app".into(),
        paths: vec![dir.to_path_buf()],
        ..Project::default()
    };
    GsdSource::new().audit(&project).await.expect("audit")
}

fn kinds(found: &[Finding]) -> Vec<(&str, Priority)> {
    found
        .iter()
        .map(|f| (f.kind.as_str(), f.priority))
        .collect()
}

#[tokio::test]
async fn a_phase_state_calls_complete_is_no_work_even_with_unticked_roadmap_boxes() {
    let c = checkout("phase-complete");
    let found = audit(c.path()).await;
    assert_eq!(kinds(&found), vec![], "{found:#?}");
}

#[tokio::test]
async fn a_handoff_for_an_older_phase_is_stale_and_no_resume_task() {
    let c = checkout("stale-handoff");
    let found = audit(c.path()).await;
    assert_eq!(
        kinds(&found),
        vec![("gsd_phase", Priority::P2)],
        "{found:#?}"
    );
    assert_eq!(found[0].title, "Phase 18");
    assert!(
        found[0].detail.contains("stale handoff")
            && found[0].detail.contains("14-animation-engine"),
        "{}",
        found[0].detail
    );
}

#[tokio::test]
async fn a_live_handoff_is_the_resume_context_of_the_current_phase_not_a_second_task() {
    let c = checkout("live-handoff");
    let found = audit(c.path()).await;
    assert_eq!(
        kinds(&found),
        vec![("gsd_phase", Priority::P2)],
        "{found:#?}"
    );
    let phase = &found[0];
    assert_eq!(phase.title, "Phase 10: kernels (plan 4 of 6)");
    for line in [
        "next action: Execute Wave 3: plan 10-04",
        "  - 10-04-T1: three-centre kernel (not_started)",
        "  - oracle build needs the vendored library",
        "  - BLOCKING: approve the wave 3 agents",
        "where things stand: Waves 1-2 complete",
    ] {
        assert!(phase.detail.contains(line), "{line:?} in {}", phase.detail);
    }
    assert!(!phase.detail.contains('{'), "no raw JSON: {}", phase.detail);
    assert_eq!(
        phase.blocked.as_deref(),
        Some("approve the wave 3 agents"),
        "the blocking human action, as text"
    );
}

#[tokio::test]
async fn a_stale_handoffs_blocking_action_blocks_nothing() {
    let c = checkout("stale-handoff");
    std::fs::write(
        c.path().join(".planning/HANDOFF.json"),
        r#"{"phase": "14", "status": "paused", "human_actions": [{"action": "sign off", "blocking": true}]}"#,
    )
    .expect("handoff");
    let found = audit(c.path()).await;
    assert_eq!(kinds(&found), vec![("gsd_phase", Priority::P2)]);
    assert_eq!(found[0].blocked, None);
}

#[tokio::test]
async fn the_templates_phase_list_alone_gives_current_and_next_phase_with_the_states_counts() {
    let c = checkout("template-list");
    let found = audit(c.path()).await;
    let titles: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.kind.as_str(), f.title.as_str()))
        .collect();
    assert_eq!(
        titles,
        vec![
            ("gsd_phase", "Phase 2: core (plan 1 of 3)"),
            ("gsd_next_phase", "Next: Phase 3: Polish"),
        ]
    );
}

#[tokio::test]
async fn a_shipped_milestone_with_archived_phases_and_only_backlog_left_is_no_work() {
    let c = checkout("archived-milestones");
    let found = audit(c.path()).await;
    assert_eq!(kinds(&found), vec![], "{found:#?}");
}

#[test]
fn roadmap_phases_come_from_headings_lists_details_decimals_backlog_and_padding() {
    let text = std::fs::read_to_string(fixture_dir("archived-milestones").join("ROADMAP.md"))
        .expect("fixture");
    let phases = parse_roadmap(&text).expect("parses");
    let seen: Vec<(String, bool, bool)> = phases
        .iter()
        .map(|p| (p.number.to_string(), p.is_done(), p.is_backlog()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("1".into(), true, false),
            ("2".into(), true, false),
            ("3".into(), true, false),
            ("3.1".into(), true, false),
            ("4".into(), false, false),
            ("999.1".into(), false, true),
        ]
    );
}

#[tokio::test]
async fn progress_comes_from_the_roadmaps_plan_count_when_state_has_no_plan_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let planning = dir.path().join(".planning");
    std::fs::create_dir_all(&planning).expect("mkdir");
    std::fs::write(planning.join("STATE.md"), "Phase: 7\nStatus: Executing\n").expect("state");
    std::fs::write(
        planning.join("ROADMAP.md"),
        "## Phases\n\n- [x] **Phase 6: Auth** - 4/4 plans\n- [ ] **Phase 7: Sync** - 9/13 plans\n\n### Phase 7: Sync\n- [ ] 07-10-PLAN.md\n- [ ] 07-11-PLAN.md\n",
    )
    .expect("roadmap");
    let found = audit(dir.path()).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].title, "Phase 7: Sync (9 of 13 plans done)");
}

#[tokio::test]
async fn a_missing_roadmap_is_no_roadmap_not_an_error_and_not_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let planning = dir.path().join(".planning");
    std::fs::create_dir_all(&planning).expect("mkdir");
    std::fs::write(planning.join("PROJECT.md"), "# A project\n").expect("project");
    assert_eq!(audit(dir.path()).await, vec![]);
}

#[tokio::test]
async fn the_planned_phase_task_carries_the_handoff_in_its_brief() {
    let c = checkout("live-handoff");
    let project = Project {
        alias: "app".into(),
        paths: vec![c.path().to_path_buf()],
        ..Project::default()
    };
    let sources: Vec<std::sync::Arc<dyn IssueSource>> = vec![std::sync::Arc::new(GsdSource::new())];
    let report = ops_core::audit::audit(
        std::slice::from_ref(&project),
        &sources,
        &ops_core::audit::AuditOptions::default(),
    )
    .await;
    let decisions = ops_core::planner::decide(
        &[],
        &report,
        &[project],
        &ops_core::planner::PlanOptions::default(),
        ops_core::model::Timestamp(0),
    )
    .expect("plans");
    assert_eq!(decisions.inserts.len(), 1, "{:#?}", decisions.inserts);
    let brief = &decisions.inserts[0].description;
    assert!(
        brief.contains("next action: Execute Wave 3: plan 10-04")
            && brief.contains("10-04-T1: three-centre kernel"),
        "{brief}"
    );
}
