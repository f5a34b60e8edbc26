//! Ctrl-C and SIGTERM during a run: the first interrupt stops dispatching and
//! lets running agents finish, the second stops them. SIGTERM is a polite stop:
//! it counts as the first interrupt only (a second SIGTERM changes nothing;
//! Ctrl-C, or SIGKILL, still can).

use tokio::signal::unix::{Signal, SignalKind, signal};

/// What the note for each interrupt says.
pub const FIRST: &str = "stopping: no new agents; running agents finish (Ctrl-C again stops them)";
/// The note for the second interrupt.
pub const SECOND: &str = "stopping running agents; the board stays consistent";

/// The signals of a run, listened to from the moment this is made.
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
    seen: u32,
}

/// An interrupt that counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// Stop dispatching.
    First,
    /// Stop running agents.
    Second,
}

impl Interrupt {
    /// What to tell the user.
    pub fn note(self) -> &'static str {
        match self {
            Interrupt::First => FIRST,
            Interrupt::Second => SECOND,
        }
    }
}

impl Signals {
    /// Starts listening for SIGINT and SIGTERM (their default action, ending the
    /// process at once, is off from now on).
    pub fn install() -> std::io::Result<Self> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            seen: 0,
        })
    }

    /// The next interrupt that counts.
    pub async fn next(&mut self) -> Interrupt {
        loop {
            let counts = tokio::select! {
                _ = self.interrupt.recv() => true,
                _ = self.terminate.recv() => self.seen == 0,
            };
            if counts {
                self.seen += 1;
                return if self.seen == 1 {
                    Interrupt::First
                } else {
                    Interrupt::Second
                };
            }
        }
    }
}
