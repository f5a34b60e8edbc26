//! Stdout during a run: a reader that goes away (`ops run | head`) must not stop
//! the work. From the first broken pipe on, what the run shows is dropped and the
//! run goes on to its end (the board and `ops status` still show it all).

use std::io::{self, Write};

/// `inner`, with a broken pipe turned into silence.
pub struct Stdout<'a> {
    inner: &'a mut dyn Write,
    gone: bool,
}

impl<'a> Stdout<'a> {
    /// Wraps the real stdout.
    pub fn new(inner: &'a mut dyn Write) -> Self {
        Stdout { inner, gone: false }
    }

    fn gone(&mut self, e: &io::Error) -> bool {
        if e.kind() == io::ErrorKind::BrokenPipe {
            self.gone = true;
        }
        self.gone
    }
}

impl Write for Stdout<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.gone {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if self.gone(&e) => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.gone {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if self.gone(&e) => Ok(()),
            other => other,
        }
    }
}
