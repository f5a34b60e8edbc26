//! The planning parsers take any text (the todos parser's own test is in
//! `src/todos.rs`): an error or a value, never a panic.

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
