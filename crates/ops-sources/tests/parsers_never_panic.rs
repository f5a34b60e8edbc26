//! The planning parsers take any text (the todos parser's own test is in
//! `src/todos.rs`): an error or a value, never a panic; read through the
//! sources, an error names the file.

use ops_sources::gsd::handoff::parse_handoff;
use ops_sources::gsd::roadmap::parse_roadmap;
use ops_sources::gsd::state::parse_state;
use proptest::prelude::*;

/// Lines built from the pieces the parsers look for, glued with arbitrary text.
fn planning_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---".to_owned()),
        Just("phase: ".to_owned()),
        Just("Phase: ".to_owned()),
        Just("**Current Phase:** ".to_owned()),
        Just("- **Phase**: ".to_owned()),
        Just("Current Phase: ".to_owned()),
        Just("## Phase ".to_owned()),
        Just("#### Phase 2.1: ".to_owned()),
        Just("- [ ] ".to_owned()),
        Just("- [x] ".to_owned()),
        Just("- [".to_owned()),
        Just(" of ".to_owned()),
        Just("(".to_owned()),
        Just("{#".to_owned()),
        Just("(after:".to_owned()),
        Just("[P1]".to_owned()),
        Just("  key: ".to_owned()),
        Just("\n".to_owned()),
        "[0-9.]{0,6}".prop_map(|s| s),
        "\\PC{0,8}".prop_map(|s| s),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn state_roadmap_and_handoff_parsers_never_panic(text in planning_text()) {
        let _ = parse_state(&text);
        let _ = parse_roadmap(&text);
        let _ = parse_handoff(&text);
    }
}

/// Which planning or todos file a case writes.
fn planning_file() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        ".planning/STATE.md",
        ".planning/ROADMAP.md",
        ".planning/HANDOFF.json",
        ".ops/todos.md",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// Through the sources, as `ops audit` reads them: an error names the file.
    #[test]
    fn any_planning_or_todos_file_audits_or_its_error_names_the_file(
        file in planning_file(),
        text in planning_text(),
    ) {
        use ops_core::IssueSource;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &text).expect("write");
        let project = ops_core::model::Project {
            alias: "app".into(),
            paths: vec![dir.path().to_path_buf()],
            ..ops_core::model::Project::default()
        };
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        for source in [
            &ops_sources::GsdSource::new() as &dyn IssueSource,
            &ops_sources::TodoSource::files(),
        ] {
            if let Err(e) = runtime.block_on(source.audit(&project)) {
                prop_assert!(e.to_string().contains(&path.display().to_string()), "{file}: {e}");
            }
        }
    }
}
