//! Where the outputs will be written, checked with the inputs, before anything is sent (SPEC §3
//! step 1): a deploy whose outcome cannot be reported must not start.

use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind};
use std::path::Path;

use super::parse::shown;
use super::read::Reader;

/// Records a problem with `variable` unless `what` can be written at `path`.
pub(super) fn check(r: &mut Reader, variable: &str, what: &str, path: &Path) {
    if let Err(e) = writable(path) {
        r.problem(
            variable,
            format!(
                "cannot write {what} to {}: {}",
                shown(&path.to_string_lossy()),
                reason(&e)
            ),
        );
    }
}

/// Opens `path` for append as the writers will, creating it if missing and never truncating it. A
/// file created only for this check is removed again, so a run refused for another reason leaves
/// nothing behind.
pub(super) fn writable(path: &Path) -> io::Result<()> {
    match OpenOptions::new().append(true).create_new(true).open(path) {
        Ok(file) => {
            drop(file);
            fs::remove_file(path)
        }
        // `create` too: a dangling symbolic link is followed when the output is written.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map(drop),
        Err(e) => Err(e),
    }
}

/// Why a path cannot be written, in the words of what to fix.
fn reason(e: &io::Error) -> String {
    match e.kind() {
        ErrorKind::NotFound => "its directory does not exist".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::IsADirectory => "it is a directory".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_can_be_written_and_is_not_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("result.json");
        writable(&path).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn an_existing_file_is_kept_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("github_output");
        fs::write(&path, "earlier=step\n").unwrap();
        writable(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "earlier=step\n");
    }

    #[test]
    fn a_missing_directory_or_a_directory_is_refused_in_plain_words() {
        let dir = tempfile::tempdir().unwrap();
        let missing = writable(&dir.path().join("no/such.json")).unwrap_err();
        assert_eq!(reason(&missing), "its directory does not exist");
        let directory = writable(dir.path()).unwrap_err();
        assert_eq!(reason(&directory), "it is a directory");
    }
}
