//! Where a canary value may have leaked: files under a directory (any bytes,
//! so a SQLite board and its journal count) and every object of a repository
//! (reachable or not, loose or packed).

use ops_testkit::git_env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every file under `dir` (recursively; symlinks are not followed) whose bytes
/// contain `needle`. A missing `dir` holds nothing.
pub fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(path),
                Ok(t) if t.is_file() => {
                    let bytes = std::fs::read(&path).unwrap_or_default();
                    if contains(&bytes, needle.as_bytes()) {
                        found.push(path);
                    }
                }
                _ => {}
            }
        }
    }
    found.sort();
    found
}

/// How many files `files_holding` would read under `dir`, to prove a search
/// looked at something.
pub fn file_count(dir: &Path) -> usize {
    let mut n = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(entry.path()),
                Ok(t) if t.is_file() => n += 1,
                _ => {}
            }
        }
    }
    n
}

/// Every object of the repository at `repo` (`git cat-file --batch-all-objects
/// --batch`: reachable or unreachable, loose or packed, uncompressed), as one
/// byte string of headers and contents.
pub fn all_objects(repo: &Path) -> Vec<u8> {
    let out = Command::new("git")
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .current_dir(repo)
        .envs(git_env())
        .output()
        .expect("git cat-file runs");
    assert!(
        out.status.success(),
        "git cat-file --batch-all-objects in {}: {}",
        repo.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops_testkit::TempRepo;

    #[test]
    fn an_unreachable_object_of_the_origin_is_still_read() {
        let repo = TempRepo::new();
        repo.git(&["checkout", "--quiet", "-b", "gone", "dev"]);
        repo.commit_file("a.txt", "canary-unreachable-1\n", "a");
        repo.git(&["push", "--quiet", "origin", "gone"]);
        repo.git(&["push", "--quiet", "origin", "--delete", "gone"]);
        let objects = all_objects(&repo.origin());
        assert!(contains(&objects, b"canary-unreachable-1"));
        assert!(!contains(&objects, b"canary-never-written"));
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir_all(dir.path().join("x/y")).expect("dirs");
        std::fs::write(dir.path().join("x/y/f"), b"\0bin canary-f\0").expect("write");
        assert_eq!(
            files_holding(dir.path(), "canary-f"),
            [dir.path().join("x/y/f")]
        );
        assert_eq!(file_count(dir.path()), 1);
    }
}
