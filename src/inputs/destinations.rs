//! Where the outputs go: the platform's own files, and the reports the inputs ask for or the
//! platform has by default. Each is checked with the inputs, before anything is sent (SPEC §3
//! step 1): a deploy whose outcome cannot be reported must not start. One that cannot be written is
//! left out, so that a refused run still writes `result=error` everywhere else (SPEC §5).

use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

use super::parse::text;
use super::read::Reader;
use super::table::{
    BITBUCKET_EXPORTS, BITBUCKET_RESULT, DOTENV_FILE, EXPORTS_FILE, GITLAB_DOTENV, RESULT_FILE,
};
use crate::platform::Platform;
use crate::problem::shown;

/// Where the JSON result goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResultFile {
    /// Standard output (`result_file=-`).
    Stdout,
    /// This file.
    Path(PathBuf),
}

/// Everywhere this run's outputs go, each one checked to be writable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destinations {
    /// The CI platform, with the files it reads outputs from (`GITHUB_OUTPUT`, the step summary,
    /// `BASH_ENV`).
    pub platform: Platform,
    /// Where the dotenv report goes.
    pub dotenv_file: Option<PathBuf>,
    /// Where the JSON result goes.
    pub result_file: Option<ResultFile>,
    /// Where the shell exports go (in place of CircleCI's `BASH_ENV`).
    pub exports_file: Option<PathBuf>,
}

impl Destinations {
    /// Reads the inputs that name destinations, applies the platform's defaults, and checks that
    /// each can be written: one that cannot is a problem naming its variable, and is left out.
    pub(super) fn read(r: &mut Reader, platform: Platform) -> Destinations {
        let shared = bitbucket_dir(&platform);
        let mut platform = platform;
        match &mut platform {
            Platform::GitHub { output, summary } => {
                keep(r, output, "GITHUB_OUTPUT", "the step's outputs");
                keep(r, summary, "GITHUB_STEP_SUMMARY", "the step summary");
            }
            Platform::CircleCi { bash_env } => {
                keep(r, bash_env, "BASH_ENV", "the exports for later steps");
            }
            _ => {}
        }
        let dotenv = r.read(&DOTENV_FILE, text);
        let mut dotenv_file = dotenv.value.map(PathBuf::from).or_else(|| match platform {
            Platform::GitLab => Some(PathBuf::from(GITLAB_DOTENV)),
            _ => shared.as_ref().map(|dir| dir.join(GITLAB_DOTENV)),
        });
        keep(r, &mut dotenv_file, &dotenv.variable, "the dotenv report");
        let result = r.read(&RESULT_FILE, text);
        let mut result_file = match result.value {
            Some(value) if value == "-" => Some(ResultFile::Stdout),
            Some(value) => Some(ResultFile::Path(PathBuf::from(value))),
            None => shared
                .as_ref()
                .map(|dir| ResultFile::Path(dir.join(BITBUCKET_RESULT))),
        };
        if let Some(ResultFile::Path(path)) = &result_file
            && !check(r, &result.variable, "the JSON result", path)
        {
            result_file = None;
        }
        let exports = r.read(&EXPORTS_FILE, text);
        let mut exports_file = exports
            .value
            .map(PathBuf::from)
            .or_else(|| shared.map(|dir| dir.join(BITBUCKET_EXPORTS)));
        let variable = match (&platform, exports.set) {
            (Platform::Bitbucket { storage: Some(_) }, false) => "BITBUCKET_PIPE_STORAGE_DIR",
            _ => exports.variable.as_str(),
        };
        keep(
            r,
            &mut exports_file,
            variable,
            "the exports for later steps",
        );
        Destinations {
            platform,
            dotenv_file,
            result_file,
            exports_file,
        }
    }
}

/// Where Bitbucket shares files between steps (a pipe's storage directory when set, else the
/// working directory, which later steps of a plain Bitbucket pipeline share), so every report
/// lands there by default.
fn bitbucket_dir(platform: &Platform) -> Option<PathBuf> {
    match platform {
        Platform::Bitbucket { storage } => {
            Some(storage.clone().unwrap_or_else(|| PathBuf::from(".")))
        }
        _ => None,
    }
}

/// Keeps `path` only if `what` can be written there; otherwise a problem with `variable`.
fn keep(r: &mut Reader, path: &mut Option<PathBuf>, variable: &str, what: &str) {
    if let Some(at) = path.as_deref()
        && !check(r, variable, what, at)
    {
        *path = None;
    }
}

/// Records a problem with `variable` unless `what` can be written at `path`; whether it can.
fn check(r: &mut Reader, variable: &str, what: &str, path: &Path) -> bool {
    match writable(path) {
        Ok(()) => true,
        Err(e) => {
            r.problem(
                variable,
                format!(
                    "cannot write {what} to {}: {}",
                    shown(&path.to_string_lossy()),
                    reason(&e)
                ),
            );
            false
        }
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
