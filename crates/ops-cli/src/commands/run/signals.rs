//! Ctrl-C and SIGTERM during a run: the first interrupt stops dispatching and
//! lets running agents finish, the second stops them. SIGTERM is a polite stop:
//! it counts as the first interrupt only (a second SIGTERM changes nothing;
//! Ctrl-C, or SIGKILL, still can).

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The signals of a run, listened to from the moment this is made.
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
    seen: u32,
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

    /// Waits for the next interrupt that counts (the engine's
    /// `Event::Interrupted` tells the user what it does).
    pub async fn next(&mut self) {
        loop {
            let counts = tokio::select! {
                _ = self.interrupt.recv() => true,
                _ = self.terminate.recv() => self.seen == 0,
            };
            if counts {
                self.seen += 1;
                return;
            }
        }
    }
}
