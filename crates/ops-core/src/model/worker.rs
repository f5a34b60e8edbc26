//! Whether a worker is known to be gone: a worker of this host whose process no
//! longer exists (`kill -9`, a crash) holds no live claim, so its tasks need not
//! wait for its lease to lapse.

use super::WorkerId;
use std::path::Path;

impl WorkerId {
    /// The host and process id of an id in the engine's default form
    /// (`<host>:<pid>:<started>`); `None` for any other id.
    pub fn host_and_pid(&self) -> Option<(&str, u32)> {
        let mut parts = self.0.rsplitn(3, ':');
        let _started: u64 = parts.next()?.parse().ok()?;
        let pid: u32 = parts.next()?.parse().ok()?;
        let host = parts.next()?;
        (!host.is_empty()).then_some((host, pid))
    }

    /// Whether this worker is known to be gone, as seen by worker `me`: both ids
    /// are in the default form, name the same host (in the default form, the same
    /// hostname, boot and pid namespace), and this one's process does not exist
    /// there (Linux `/proc`). `false` whenever that cannot be known (another host,
    /// another pid namespace, another form of id, no `/proc`, or a live process —
    /// possibly another one given the same pid): the caller then waits for the
    /// lease to lapse.
    pub fn is_gone(&self, me: &WorkerId) -> bool {
        let (Some((host, pid)), Some((my_host, _))) = (self.host_and_pid(), me.host_and_pid())
        else {
            return false;
        };
        self != me
            && host == my_host
            && Path::new("/proc/self").exists()
            && !Path::new(&format!("/proc/{pid}")).exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> WorkerId {
        WorkerId(s.into())
    }

    /// The pid of a process that has ended (and been reaped).
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("run true");
        let pid = child.id();
        child.wait().expect("reap");
        pid
    }

    #[test]
    fn the_default_form_gives_host_and_pid_even_when_the_host_has_colons() {
        assert_eq!(id("vm:42:1795").host_and_pid(), Some(("vm", 42)));
        assert_eq!(id("fe80::1:7:9").host_and_pid(), Some(("fe80::1", 7)));
        for other in ["dead-worker", "w", ":42:1", "vm:x:1", "vm:42:x"] {
            assert_eq!(id(other).host_and_pid(), None, "{other}");
        }
    }

    #[test]
    fn a_worker_of_this_host_whose_process_ended_is_gone() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let me = id(&format!("vm:{}:1", std::process::id()));
        assert!(id(&format!("vm:{}:2", dead_pid())).is_gone(&me));
    }

    #[test]
    fn a_live_process_another_host_or_another_form_of_id_is_not_known_gone() {
        let me = id(&format!("vm:{}:1", std::process::id()));
        let dead = dead_pid();
        assert!(!id(&format!("vm:{}:2", std::process::id())).is_gone(&me));
        assert!(!me.is_gone(&me));
        assert!(!id(&format!("other:{dead}:2")).is_gone(&me));
        assert!(!id("dead-worker").is_gone(&me));
        assert!(!id(&format!("vm:{dead}:2")).is_gone(&id("custom-worker")));
    }
}
