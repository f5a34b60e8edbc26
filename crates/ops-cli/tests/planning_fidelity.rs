//! What `ops plan`, `ops run --dry-run` and `ops audit` show, read the way the
//! files' authors mean them: one task per phase, only fires with
//! `--fires-only`, ids that say what the work is, topics raising priorities.

use ops_testkit::TempRepo;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

mod scoped;

struct World {
    tmp: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        let w = World {
            tmp: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(w.home()).expect("home");
        std::fs::create_dir_all(w.data()).expect("data");
        w
    }
    fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }
    fn data(&self) -> PathBuf {
        self.tmp.path().join("plugin-data")
    }
    fn ops(&self, cwd: &Path, args: &[&str]) -> Output {
        let mut cmd = scoped::ops_command(cwd, &self.home());
        cmd.env("CLAUDE_PLUGIN_DATA_DIR", self.data())
            .arg("--state-dir")
            .arg(self.tmp.path().join("state"))
            .args(args);
        cmd.output().expect("the ops binary runs")
    }
}

fn json(out: &Output) -> Vec<Value> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn gsd_fixture(repo: &TempRepo, case: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ops-sources/tests/fixtures/gsd")
        .join(case);
    for entry in std::fs::read_dir(dir).expect("fixture") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).expect("read");
        repo.commit_file(&format!(".planning/{name}"), &text, "planning");
    }
    repo.git(&["push", "--quiet"]);
}

fn titles(tasks: &[Value]) -> Vec<&str> {
    tasks
        .iter()
        .map(|t| t["title"].as_str().expect("title"))
        .collect()
}

#[test]
fn plan_makes_one_task_for_a_phase_with_a_live_handoff() {
    let w = World::new();
    let repo = TempRepo::new();
    gsd_fixture(&repo, "live-handoff");
    let tasks = json(&w.ops(&repo.work(), &["--json", "plan"]));
    assert_eq!(titles(&tasks), vec!["Phase 10: kernels (plan 4 of 6)"]);
}

#[test]
fn plan_makes_one_pending_task_for_phase_10_with_the_handoff_in_its_brief() {
    // The issue's reproduction 4, file for file.
    let w = World::new();
    let repo = TempRepo::new();
    repo.commit_file(
        ".planning/STATE.md",
        "Phase: 10 (kernels) — EXECUTING\nPlan: 4 of 6\n",
        "state",
    );
    repo.commit_file(
        ".planning/ROADMAP.md",
        "### Phase 10: Kernels\n- [x] 10-01-PLAN.md\n- [ ] 10-04-PLAN.md\n",
        "roadmap",
    );
    repo.commit_file(
        ".planning/HANDOFF.json",
        r#"{"phase":"10","plan":4,"task":1,"status":"paused","remaining_tasks":[{"id":"10-04-T1"}]}"#,
        "handoff",
    );
    repo.git(&["push", "--quiet"]);
    let tasks = json(&w.ops(&repo.work(), &["--json", "plan"]));
    assert_eq!(titles(&tasks), vec!["Phase 10: kernels (plan 4 of 6)"]);
    assert_eq!(tasks[0]["status"], "pending");
    // The task's brief is its finding's detail.
    let found = json(&w.ops(&repo.work(), &["--json", "audit"]));
    assert_eq!(found.len(), 1, "{found:#?}");
    let brief = found[0]["detail"].as_str().expect("detail");
    assert!(
        brief.contains("resume from the paused session") && brief.contains("  - 10-04-T1\n"),
        "{brief}"
    );
}

#[test]
fn a_blocking_human_action_in_the_live_handoff_blocks_the_phase_task_with_that_action_as_reason() {
    let w = World::new();
    let repo = TempRepo::new();
    gsd_fixture(&repo, "live-handoff");
    let tasks = json(&w.ops(&repo.work(), &["--json", "plan"]));
    assert_eq!(tasks.len(), 1, "{tasks:#?}");
    assert_eq!(tasks[0]["status"], "blocked");
    assert_eq!(
        tasks[0]["status_reason"],
        "waiting for a person: approve the wave 3 agents"
    );
    // The table prints the reason as text, not JSON.
    let out = w.ops(&repo.work(), &["plan"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("waiting for a person: approve the wave 3 agents") && !table.contains('{'),
        "{table}"
    );
}

#[test]
fn fires_only_dry_run_lists_only_p0_tasks() {
    let w = World::new();
    let repo = TempRepo::new();
    repo.commit_file(".ops/todos.md", "- [ ] Production is down [P0]\n", "todos");
    gsd_fixture(&repo, "template-list");
    assert_eq!(json(&w.ops(&repo.work(), &["--json", "plan"])).len(), 3);
    let fires = json(&w.ops(
        &repo.work(),
        &["--json", "run", "--fires-only", "--dry-run"],
    ));
    assert_eq!(titles(&fires), vec!["Production is down"]);
    assert_eq!(fires[0]["priority"], "P0");
}

#[test]
fn a_next_phase_task_id_names_the_phase_not_its_place_in_the_queue() {
    let w = World::new();
    let repo = TempRepo::new();
    gsd_fixture(&repo, "template-list");
    let tasks = json(&w.ops(&repo.work(), &["--json", "plan"]));
    let ids: Vec<&str> = tasks
        .iter()
        .map(|t| t["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.iter().all(|id| id.starts_with("work-gsd-phase-")),
        "{ids:?}"
    );
}

#[test]
fn an_active_topic_raises_a_findings_priority_in_audit_output_as_in_plan() {
    let w = World::new();
    let repo = TempRepo::new();
    repo.write("draft.md", "wip\n");
    std::fs::create_dir_all(w.data().join("memories")).expect("memories");
    std::fs::write(
        w.data().join("memories/topics_active.md"),
        "### work: finish the draft\n- **Summary**: the draft is half written\n",
    )
    .expect("topics");
    let findings = json(&w.ops(&repo.work(), &["--json", "audit"]));
    let tasks = json(&w.ops(&repo.work(), &["--json", "plan"]));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["priority"], "P1");
    assert_eq!(tasks[0]["priority"], findings[0]["priority"]);
}
