//! Reading the small files ops is given, without hanging or filling memory on
//! odd input. Every file ops reads from claude-ops or a project (the registry,
//! settings, `preferences.json`, `daemon-health.json`, the active topics,
//! `.worktreeinclude`, the planning files, the todos) goes through
//! [`read_text`]: a FIFO, a device, a socket or a directory where a file should
//! be is an error saying what it is (opening a FIFO for reading blocks until
//! something writes to it), and so is a file larger than [`MAX_FILE_BYTES`].
//!
//! The file is opened non-blocking and then examined through the open handle
//! (`fstat`), so what is checked is what is read: a file swapped for a FIFO
//! between a check and the open cannot make ops block.

use std::fs::{File, FileType, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// The largest file read (8 MiB): far more than any hand-written file ops reads.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The text of `path` (a regular file, or a symlink to one); `Ok(None)` when it
/// does not exist. The error says what is wrong without the path: callers name it.
pub fn read_text(path: &Path) -> io::Result<Option<String>> {
    let Some(mut file) = open_regular(path)? else {
        return Ok(None);
    };
    let mut text = String::new();
    (&mut file)
        .take(MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => io::Error::other("not UTF-8 text"),
            _ => e,
        })?;
    Ok(Some(text))
}

/// `path` opened for reading once it is known to be a regular file of at most
/// [`MAX_FILE_BYTES`]; `Ok(None)` when it does not exist.
pub fn open_regular(path: &Path) -> io::Result<Option<File>> {
    let opened = OpenOptions::new()
        .read(true)
        // Non-blocking: opening a FIFO with no writer returns at once. No
        // controlling terminal from a tty device.
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        // A socket cannot be opened (ENXIO): say what it is.
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(meta) if !meta.is_file() => not_regular(meta.file_type()),
                _ => e,
            });
        }
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(io::Error::other(format!(
            "{} bytes, more than the {MAX_FILE_BYTES} ops reads",
            meta.len()
        )));
    }
    Ok(Some(file))
}

fn not_regular(kind: FileType) -> io::Error {
    io::Error::other(format!("not a regular file: {}", describe(kind)))
}

/// What a file that is not a regular file is, in words.
pub fn describe(kind: FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn mkfifo(path: &Path) {
        assert!(
            Command::new("mkfifo")
                .arg(path)
                .status()
                .expect("mkfifo")
                .success()
        );
    }

    #[test]
    fn a_fifo_is_refused_at_once_saying_it_is_a_fifo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("f");
        mkfifo(&fifo);
        let e = read_text(&fifo).expect_err("a FIFO is not a file");
        assert!(e.to_string().contains("FIFO"), "{e}");
    }

    #[test]
    fn a_symlink_to_a_fifo_is_refused_and_one_to_a_file_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("f");
        mkfifo(&fifo);
        std::os::unix::fs::symlink(&fifo, dir.path().join("to-fifo")).expect("symlink");
        let e = read_text(&dir.path().join("to-fifo")).expect_err("refused");
        assert!(e.to_string().contains("FIFO"), "{e}");
        std::fs::write(dir.path().join("file"), "text").expect("write");
        std::os::unix::fs::symlink(dir.path().join("file"), dir.path().join("to-file"))
            .expect("symlink");
        assert_eq!(
            read_text(&dir.path().join("to-file")).expect("read"),
            Some("text".to_owned())
        );
    }

    #[test]
    fn a_device_a_directory_and_a_socket_say_what_they_are() {
        let e = read_text(Path::new("/dev/zero")).expect_err("a device");
        assert!(e.to_string().contains("character device"), "{e}");
        let dir = tempfile::tempdir().expect("tempdir");
        let e = read_text(dir.path()).expect_err("a directory");
        assert!(e.to_string().contains("directory"), "{e}");
        let sock = dir.path().join("s");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).expect("bind");
        let e = read_text(&sock).expect_err("a socket");
        assert!(e.to_string().contains("socket"), "{e}");
    }

    #[test]
    fn a_missing_file_is_none_and_an_oversized_one_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(read_text(&dir.path().join("none")).expect("absent"), None);
        let big = dir.path().join("big");
        File::create(&big)
            .and_then(|f| f.set_len(MAX_FILE_BYTES + 1))
            .expect("sparse file");
        let e = read_text(&big).expect_err("too big");
        assert!(e.to_string().contains("more than"), "{e}");
    }
}
