//! Whether a worker is gone, seen from a worker that cannot see its processes:
//! a worker in another pid namespace of this host (a container with the host's
//! hostname) must never be declared gone, or two workers run one task.

use ops_core::EngineConfig;
use ops_core::model::WorkerId;
use std::process::Command;

/// Set in the re-run of this test inside a new pid namespace: the id of the
/// (live) worker outside it.
const OUTSIDE: &str = "OPS_TEST_WORKER_OUTSIDE";

#[test]
fn a_live_worker_of_another_pid_namespace_on_this_host_is_not_gone() {
    if let Ok(outside) = std::env::var(OUTSIDE) {
        // Inside: judge the outside worker the way a run here would.
        let me = EngineConfig::default().worker;
        println!("GONE={}", WorkerId(outside).is_gone(&me));
        return;
    }
    let outside = EngineConfig::default().worker;
    let exe = std::env::current_exe().expect("the test binary");
    // A new user, pid and mount namespace with its own /proc, same hostname: what a
    // container run with the host's hostname sees.
    let run = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--pid",
            "--fork",
            "--mount-proc",
        ])
        .arg(&exe)
        .args([
            "--exact",
            "a_live_worker_of_another_pid_namespace_on_this_host_is_not_gone",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(OUTSIDE, &outside.0)
        .output();
    let Some(out) = run.ok().filter(|o| o.status.success()) else {
        eprintln!("skipped: unshare cannot make a pid namespace here");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let verdict = stdout
        .split("GONE=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no verdict from inside: {stdout}"));
    assert_eq!(
        verdict, "false",
        "a worker inside another pid namespace declared {} (alive) gone",
        outside.0
    );
}
