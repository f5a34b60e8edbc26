//! Whatever claude-ops' files and the settings hold, parsing them gives a value or
//! an error that names the file, never a panic: the registry, `preferences.json`,
//! `daemon-health.json`, the active topics and the settings file.

use ops_core::config::{DaemonHealth, Preferences, Registry, Settings, parse_topics};
use ops_core::model::Timestamp;
use proptest::prelude::*;
use std::path::Path;

const PATH: &str = "/claude-ops/the-file-under-test";

/// JSON-ish text built from the keys and values the readers look for.
fn json_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("\"projects\"".to_owned()),
        Just("\"alias\"".to_owned()),
        Just("\"paths\"".to_owned()),
        Just("\"repos\"".to_owned()),
        Just("\"quality_gate\"".to_owned()),
        Just("\"max_file_mb\"".to_owned()),
        Just("\"yolo_enabled\"".to_owned()),
        Just("\"services\"".to_owned()),
        Just("\"status\"".to_owned()),
        Just("\"timestamp\"".to_owned()),
        Just("\"~/x\"".to_owned()),
        Just("\"2026-12-07T10:00:00Z\"".to_owned()),
        Just("true".to_owned()),
        Just("null".to_owned()),
        Just("-1".to_owned()),
        Just("1e400".to_owned()),
        "\"\\PC{0,6}\"".prop_map(|s| s),
        "\\PC{0,6}".prop_map(|s| s),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// Markdown-ish text for the topics file.
fn topics_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---\n".to_owned()),
        Just("## ".to_owned()),
        Just("# ".to_owned()),
        Just("- ".to_owned()),
        Just("keywords: ".to_owned()),
        Just("\n".to_owned()),
        "\\PC{0,10}".prop_map(|s| s),
    ];
    prop::collection::vec(piece, 0..30).prop_map(|pieces| pieces.concat())
}

fn names_the_file<T>(result: ops_core::Result<T>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert!(e.to_string().contains(PATH), "{e}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn any_registry_preferences_or_daemon_health_text_parses_or_names_the_file(text in json_text()) {
        let path = Path::new(PATH);
        names_the_file(Registry::parse(&text, path, Some(Path::new("/home/u"))))?;
        names_the_file(Preferences::parse(&text, path))?;
        names_the_file(DaemonHealth::parse(&text, path, Timestamp(0)))?;
    }

    #[test]
    fn any_topics_text_parses_or_names_the_file(text in topics_text()) {
        names_the_file(parse_topics(&text, Path::new(PATH)))?;
    }

    #[test]
    fn any_settings_text_parses_or_names_the_file(text in "(\\[[a-z._]{0,12}\\]\n|[a-z_]{0,10} = |\"\\PC{0,6}\"|[0-9]{0,4}|\n|\\PC{0,6}){0,20}") {
        names_the_file(Settings::parse(&text, Path::new(PATH)))?;
    }
}
