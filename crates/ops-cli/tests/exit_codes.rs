//! The documented exit codes, through the built binary: 2 for bad arguments.

mod support;

use support::{ops, stderr, stdout};

const USAGE: i32 = 2;

#[test]
fn bad_arguments_exit_2_naming_the_argument() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--hybrid", "--teams"], "--teams"),
        (&["run", "--max-agents", "0"], "--max-agents"),
        (&["run", "--max-waves", "many"], "--max-waves"),
        (&["run", "--agent", "clippy"], "--agent"),
        (&["run", "--budget-usd", "0"], "--budget-usd"),
        (&["status", "-v", "-q"], "--quiet"),
        (&["frobnicate"], "frobnicate"),
        (&[], "Usage"),
    ];
    for (args, named) in cases {
        let out = ops(dir.path(), args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(USAGE), "{args:?}: stderr: {err}");
        assert!(err.contains(named), "{args:?} should name {named}: {err}");
    }
}

#[test]
fn help_and_version_exit_0_and_help_lists_the_exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = ops(dir.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    assert!(help.contains("Exit codes:"), "{help}");
    for code in ["0", "1", "2", "4", "5", "130"] {
        assert!(
            help.contains(&format!("\n  {code}  ")),
            "code {code}: {help}"
        );
    }
    assert!(
        !help.contains("not implemented"),
        "exit code 3 is retired: {help}"
    );
    let out = ops(dir.path(), &["--version"]);
    assert_eq!(out.status.code(), Some(0));
}
