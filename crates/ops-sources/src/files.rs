//! Reading the small text files the sources parse, without hanging or filling
//! memory on odd input: a FIFO, a device or a directory where a file should be
//! is an error (opening a FIFO blocks until something writes to it), and so is
//! a file larger than [`MAX_FILE_BYTES`].

use std::io::Read;
use std::path::Path;

/// The largest planning or todos file read (8 MiB).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The text of `path`; `Ok(None)` when it does not exist. The error says what
/// is wrong, without the path (callers name it).
pub(crate) fn read_text(path: &Path) -> std::io::Result<Option<String>> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a directory, FIFO or device)",
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "{} bytes, more than the {MAX_FILE_BYTES} read",
            meta.len()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES)
        .read_to_string(&mut text)?;
    Ok(Some(text))
}
