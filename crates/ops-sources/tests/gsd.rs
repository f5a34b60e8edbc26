//! The GSD planning source against `.planning/` directories in each written form.

use ops_core::model::{Finding, Priority, Project};
use ops_core::{ErrorKind, IssueSource};
use ops_sources::GsdSource;
use std::path::Path;

struct Checkout(tempfile::TempDir);

impl Checkout {
    fn new() -> Self {
        Checkout(tempfile::tempdir().expect("temp dir"))
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
    fn plan(self, file: &str, text: &str) -> Self {
        let dir = self.path().join(".planning");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(file), text).expect("write");
        self
    }
    fn project(&self) -> Project {
        Project {
            alias: "app".into(),
            paths: vec![self.path().to_path_buf()],
            ..Project::default()
        }
    }
    async fn audit(&self) -> Vec<Finding> {
        GsdSource::new()
            .audit(&self.project())
            .await
            .expect("audit succeeds")
    }
    async fn audit_err(&self) -> String {
        let err = GsdSource::new()
            .audit(&self.project())
            .await
            .expect_err("audit fails");
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        err.to_string()
    }
}

fn one<'a>(findings: &'a [Finding], kind: &str) -> &'a Finding {
    let matching: Vec<_> = findings.iter().filter(|f| f.kind == kind).collect();
    assert_eq!(matching.len(), 1, "one {kind} in {findings:#?}");
    matching[0]
}

const ROADMAP: &str = "\
# Roadmap

## Phase 1: Setup
- [x] repo
- [x] CI

### Phase 2: Core
- [x] model
* [X] store

#### Phase 2.1: Hotfix (INSERTED)
- [x] patch the parser
- [ ] release 1.0.1

### Phase 3: Auth Flow
Some prose.
- [ ] login form
- [x] session store
- [ ] logout

## Notes
- [ ] not a phase item

### Phase 4: Polish
- [ ] docs
";

#[tokio::test]
async fn frontmatter_state_gives_phase_total_and_next_with_a_dependency() {
    let c = Checkout::new().plan(
        "STATE.md",
        "---\nphase: 3\nphase_name: \"Auth Flow\"\ntotal_phases: 7\nstatus: executing\nprogress:\n  completed_phases: 2\n  total_phases: 7\n---\n\n# Project State\n",
    );
    let found = c.audit().await;
    let phase = one(&found, "gsd_phase");
    assert_eq!(phase.title, "Phase 3 of 7: Auth Flow");
    assert_eq!(phase.priority, Priority::P2);
    assert!(
        phase.detail.contains("status: executing"),
        "{}",
        phase.detail
    );
    assert!(
        phase.detail.contains("2 of 7 phases done"),
        "{}",
        phase.detail
    );
    let next = one(&found, "gsd_next_phase");
    assert_eq!(next.title, "Next: Phase 4");
    assert_eq!(next.priority, Priority::P3);
    assert_eq!(next.depends_on, vec![phase.fingerprint.clone()]);
}

#[tokio::test]
async fn body_phase_line_takes_name_from_state_and_open_items_from_the_roadmap() {
    let c = Checkout::new()
        .plan(
            "STATE.md",
            "# Project State\n\n## Current Position\n\nPhase: 3 of 7 (Auth Flow)\nPlan: 1 of 3\nStatus: In progress\n",
        )
        .plan("ROADMAP.md", ROADMAP);
    let found = c.audit().await;
    let phase = one(&found, "gsd_phase");
    assert_eq!(phase.title, "Phase 3 of 7: Auth Flow (plan 1 of 3)");
    assert!(
        phase.detail.contains("- [ ] login form\n  - [ ] logout"),
        "{}",
        phase.detail
    );
    assert!(
        !phase.detail.contains("session store"),
        "ticked items are not listed"
    );
    assert!(
        phase.detail.contains("status: In progress"),
        "{}",
        phase.detail
    );
    let next = one(&found, "gsd_next_phase");
    assert_eq!(next.title, "Next: Phase 4: Polish");
}

#[tokio::test]
async fn bold_field_state_names_a_decimal_phase() {
    let c = Checkout::new()
        .plan(
            "STATE.md",
            "# State\n\n**Current Phase:** 2.1 - Hotfix\n**Status:** Executing\n",
        )
        .plan("ROADMAP.md", ROADMAP);
    let found = c.audit().await;
    assert_eq!(
        one(&found, "gsd_phase").title,
        "Phase 2.1: Hotfix (1 of 2 items done)"
    );
    assert!(
        one(&found, "gsd_phase")
            .detail
            .contains("status: Executing")
    );
    assert_eq!(
        one(&found, "gsd_next_phase").title,
        "Next: Phase 3: Auth Flow"
    );
}

#[tokio::test]
async fn list_bold_and_older_current_phase_forms_are_read() {
    let c = Checkout::new().plan(
        "STATE.md",
        "## Current Position\n- **Phase**: 4\n- **Status**: Ready\n",
    );
    assert_eq!(one(&c.audit().await, "gsd_phase").title, "Phase 4");
    let c = Checkout::new().plan("STATE.md", "# State\nCurrent Phase: 4 (Polish)\n");
    let found = c.audit().await;
    assert_eq!(one(&found, "gsd_phase").title, "Phase 4: Polish");
    assert!(
        found.iter().all(|f| f.kind != "gsd_next_phase"),
        "no total, no roadmap: no next"
    );
}

#[tokio::test]
async fn roadmap_alone_gives_the_first_unfinished_phase_across_heading_levels() {
    let c = Checkout::new().plan("ROADMAP.md", ROADMAP);
    let found = c.audit().await;
    let phase = one(&found, "gsd_phase");
    assert_eq!(phase.title, "Phase 2.1: Hotfix (1 of 2 items done)");
    assert!(
        phase.detail.contains("2 of 5 phases done"),
        "{}",
        phase.detail
    );
    // Items under "## Notes" belong to no phase.
    assert!(
        phase.detail.contains("6 of 10 checklist items ticked"),
        "{}",
        phase.detail
    );
    assert_eq!(
        one(&found, "gsd_next_phase").title,
        "Next: Phase 3: Auth Flow"
    );
}

#[tokio::test]
async fn a_state_phase_the_roadmap_shows_done_moves_on_to_the_next_open_phase() {
    let c = Checkout::new()
        .plan(
            "STATE.md",
            "Phase: 2 of 4 (Core)\nStatus: Phase 2 complete\n",
        )
        .plan("ROADMAP.md", ROADMAP);
    let found = c.audit().await;
    assert_eq!(
        one(&found, "gsd_phase").title,
        "Phase 2.1 of 4: Hotfix (1 of 2 items done)"
    );
}

#[tokio::test]
async fn an_overview_checklist_marks_phases_done() {
    let c = Checkout::new().plan(
        "ROADMAP.md",
        "# Roadmap\n\n- [x] **Phase 1: Setup** - basics\n- [ ] **Phase 2: Core** - the model\n\n## Phase 1: Setup\nPlans: TBD\n\n## Phase 2: Core\nPlans: TBD\n\n## Phase 3: Ship\n",
    );
    let found = c.audit().await;
    assert_eq!(one(&found, "gsd_phase").title, "Phase 2: Core");
    assert_eq!(one(&found, "gsd_next_phase").title, "Next: Phase 3: Ship");
}

#[tokio::test]
async fn a_phase_keeps_its_fingerprint_when_it_moves_from_next_to_current() {
    let c = Checkout::new()
        .plan("STATE.md", "Phase: 3 of 4 (Auth Flow)\n")
        .plan("ROADMAP.md", ROADMAP);
    let before = c.audit().await;
    let next_print = one(&before, "gsd_next_phase").fingerprint.clone();
    let c = c.plan("STATE.md", "Phase: 4 of 4 (Polish)\n");
    let after = c.audit().await;
    assert_eq!(one(&after, "gsd_phase").fingerprint, next_print);
}

#[tokio::test]
async fn a_pending_handoff_is_a_p2_finding_to_resume_it() {
    let c = Checkout::new().plan(
        "HANDOFF.json",
        r#"{"phase": "03-auth", "plan": 2, "task": "3", "status": "paused",
            "next_action": "finish the logout endpoint", "remaining": ["logout", "tests"],
            "paused_at": "2026-11-20T10:00:00Z", "some_future_field": {"x": 1}}"#,
    );
    let found = c.audit().await;
    let h = one(&found, "gsd_handoff");
    assert_eq!(h.priority, Priority::P2);
    assert_eq!(
        h.title,
        "Resume the paused GSD session (phase 03-auth, plan 2, task 3)"
    );
    assert!(
        h.detail.contains("next action: finish the logout endpoint"),
        "{}",
        h.detail
    );
    assert!(h.detail.contains("  - tests"), "{}", h.detail);
    let c = c.plan("HANDOFF.json", r#"{"status": "resumed"}"#);
    assert!(c.audit().await.is_empty(), "a resumed handoff is spent");
}

#[tokio::test]
async fn malformed_handoff_json_is_an_error_naming_the_file_and_line() {
    let c = Checkout::new().plan("HANDOFF.json", "{\n  \"phase\": 3,\n  \"task\": oops\n}\n");
    let err = c.audit_err().await;
    assert!(err.contains(".planning/HANDOFF.json: line 3"), "{err}");
    let c = Checkout::new().plan("HANDOFF.json", "[1, 2]");
    assert!(c.audit_err().await.contains("expected a JSON object"));
}

#[tokio::test]
async fn broken_state_and_roadmap_files_are_errors_naming_file_and_line() {
    let c = Checkout::new().plan("STATE.md", "---\nphase: 3\nstatus: x\n");
    let err = c.audit_err().await;
    assert!(
        err.contains(".planning/STATE.md: line 1: the frontmatter opened here is never closed"),
        "{err}"
    );
    let c = Checkout::new().plan("STATE.md", "---\nphase: 3\nthis is not a field\n---\n");
    let err = c.audit_err().await;
    assert!(
        err.contains("STATE.md: line 3: expected `key: value`"),
        "{err}"
    );
    let c = Checkout::new().plan("ROADMAP.md", "## Phase 1: A\n- [x] ok\n- [?] unsure\n");
    let err = c.audit_err().await;
    assert!(
        err.contains("ROADMAP.md: line 3: checklist box [?]"),
        "{err}"
    );
}

#[tokio::test]
async fn no_planning_directory_means_no_findings_and_no_error() {
    let c = Checkout::new();
    assert!(c.audit().await.is_empty());
    let gone = Project {
        alias: "gone".into(),
        paths: vec![c.path().join("missing")],
        ..Project::default()
    };
    assert!(
        GsdSource::new()
            .audit(&gone)
            .await
            .expect("no error")
            .is_empty()
    );
}

#[tokio::test]
async fn a_finished_roadmap_gives_no_phase_findings() {
    let c = Checkout::new().plan(
        "ROADMAP.md",
        "## Phase 1: A\n- [x] a\n## Phase 2: B\n- [x] b\n",
    );
    assert!(c.audit().await.is_empty());
}

#[tokio::test]
async fn the_gsd_source_passes_the_source_conformance_suite() {
    let c = Checkout::new()
        .plan("STATE.md", "Phase: 3 of 7 (Auth Flow)\n")
        .plan("ROADMAP.md", ROADMAP)
        .plan("HANDOFF.json", r#"{"next_action": "resume"}"#);
    assert_eq!(c.audit().await.len(), 3);
    ops_core::conformance::source(&GsdSource::new(), &c.project()).await;
}

#[tokio::test]
async fn a_state_phase_whose_status_says_complete_moves_on_without_a_roadmap() {
    let c = Checkout::new().plan(
        "STATE.md",
        "Phase: 14 of 17 (Toolchain Cleanup)\nPlan: 2 of 2 (all complete)\nStatus: Phase 14 complete\n",
    );
    let found = c.audit().await;
    assert_eq!(one(&found, "gsd_phase").title, "Phase 15 of 17");
    assert_eq!(one(&found, "gsd_next_phase").title, "Next: Phase 16");
    let last = Checkout::new().plan("STATE.md", "Phase: 7 of 7 (Ship)\nStatus: Complete\n");
    assert!(
        last.audit().await.is_empty(),
        "the last phase done: nothing left"
    );
    let open = Checkout::new().plan(
        "STATE.md",
        "Phase: 7 of 7 (Ship)\nStatus: Incomplete tests\n",
    );
    assert_eq!(
        one(&open.audit().await, "gsd_phase").title,
        "Phase 7 of 7: Ship"
    );
}

#[tokio::test]
async fn gsd_generated_state_with_frontmatter_counts_and_a_body_position_is_read() {
    let c = Checkout::new().plan(
        "STATE.md",
        "---\ngsd_state_version: 1.0\nmilestone: v1.3\nmilestone_name: Versioning System\nstatus: active\nlast_updated: \"2026-02-26T06:16:33Z\"\nprogress:\n  total_phases: 4\n  completed_phases: 1\n  total_plans: 9\n  completed_plans: 2\n---\n\n# Project State\n\n## Current Position\n\nPhase: 14 of 17 (Toolchain Cleanup)\nPlan: 1 of 2\nStatus: Executing plan 2\nLast activity: 2026-02-26\n",
    );
    let found = c.audit().await;
    let phase = one(&found, "gsd_phase");
    assert_eq!(
        phase.title,
        "Phase 14 of 17: Toolchain Cleanup (plan 1 of 2)"
    );
    assert!(
        phase.detail.contains("status: Executing plan 2"),
        "{}",
        phase.detail
    );
    assert!(
        phase
            .detail
            .contains("progress: 1 of 4 phases done, 2 of 9 plans done"),
        "{}",
        phase.detail
    );
    assert_eq!(one(&found, "gsd_next_phase").title, "Next: Phase 15");
}
