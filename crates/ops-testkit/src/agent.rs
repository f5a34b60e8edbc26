//! Where the fake agent program is: built on first use with the cargo running the
//! tests, so any crate's tests can start it (a dependency's binaries are not built
//! for its dependents).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The path of the built `fake-agent` program (see `src/bin/fake-agent.rs`).
pub fn fake_agent() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        // target/<profile>/deps/<test-binary> → target/<profile>/fake-agent
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("the test binary lives in target/<profile>/deps")
            .to_path_buf();
        let path = profile_dir.join("fake-agent");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let target_dir = profile_dir
            .parent()
            .expect("target/<profile> has a parent")
            .to_path_buf();
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "ops-testkit",
            "--bin",
            "fake-agent",
        ])
        .env("CARGO_TARGET_DIR", &target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo to build the fake agent");
        assert!(status.success(), "building the fake agent failed");
        assert!(path.is_file(), "the fake agent is at {}", path.display());
        path
    })
    .clone()
}
