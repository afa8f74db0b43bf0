//! Which CI the run is in, and everywhere this run's outputs go: the files the platform's runner
//! names (`GITHUB_OUTPUT`, the step summary, `BASH_ENV`), the reports the inputs ask for
//! (`dotenv_file`, `result_file`, `exports_file`) or the platform has by default, and whether each can
//! be written. Nothing else decides where an output goes: the writers (`outputs`) write where
//! [`Destinations`] says. Each destination is checked with the inputs, before anything is sent
//! (SPEC §3 step 1): a deploy whose outcome cannot be reported must not start. One that cannot be
//! written is left out, so that a refused run still writes `result=error` everywhere else (SPEC §5).

use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::problem::{Problem, shown};

/// The dotenv report's file name under GitLab CI and Bitbucket Pipelines.
pub const GITLAB_DOTENV: &str = "nodion-deploy.env";
/// The JSON result's file name under Bitbucket Pipelines.
pub const BITBUCKET_RESULT: &str = "nodion-deploy.json";
/// The shell exports' file name under Bitbucket Pipelines.
pub const BITBUCKET_EXPORTS: &str = "nodion-deploy.sh";

/// The CI platform, detected from its own variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Platform {
    /// GitHub Actions (`GITHUB_ACTIONS=true`).
    GitHub {
        /// `GITHUB_OUTPUT`: the file the step's outputs are appended to.
        output: Option<PathBuf>,
        /// `GITHUB_STEP_SUMMARY`: the step's Markdown summary.
        summary: Option<PathBuf>,
    },
    /// GitLab CI (`GITLAB_CI=true`).
    GitLab,
    /// Azure Pipelines (`TF_BUILD=True`): output variables and issues as `##vso[…]` commands.
    Azure,
    /// CircleCI (`CIRCLECI=true`): outputs exported through `$BASH_ENV` to later steps.
    CircleCi {
        /// `BASH_ENV`: the file later steps source.
        bash_env: Option<PathBuf>,
    },
    /// Bitbucket Pipelines (`BITBUCKET_BUILD_NUMBER`): the dotenv and JSON reports as files,
    /// in the pipe's storage directory when it runs as a pipe.
    Bitbucket {
        /// `BITBUCKET_PIPE_STORAGE_DIR`, when set.
        storage: Option<PathBuf>,
    },
    /// Anything else: a plain log and the `result_file`.
    Plain,
}

impl Platform {
    /// Detects the platform from the environment.
    pub fn detect(env: &dyn Env) -> Platform {
        let flag = |name: &str| {
            env.var(name)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        let path = |name: &str| {
            env.var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if flag("GITHUB_ACTIONS") {
            Platform::GitHub {
                output: path("GITHUB_OUTPUT"),
                summary: path("GITHUB_STEP_SUMMARY"),
            }
        } else if flag("GITLAB_CI") {
            Platform::GitLab
        } else if flag("TF_BUILD") {
            Platform::Azure
        } else if flag("CIRCLECI") {
            Platform::CircleCi {
                bash_env: path("BASH_ENV"),
            }
        } else if path("BITBUCKET_BUILD_NUMBER").is_some()
            || path("BITBUCKET_PIPE_STORAGE_DIR").is_some()
        {
            Platform::Bitbucket {
                storage: path("BITBUCKET_PIPE_STORAGE_DIR"),
            }
        } else {
            Platform::Plain
        }
    }

    /// The platform's name for the log.
    pub fn name(&self) -> &'static str {
        match self {
            Platform::GitHub { .. } => "GitHub Actions",
            Platform::GitLab => "GitLab CI",
            Platform::Azure => "Azure Pipelines",
            Platform::CircleCi { .. } => "CircleCI",
            Platform::Bitbucket { .. } => "Bitbucket Pipelines",
            Platform::Plain => "a plain pipeline",
        }
    }

    /// The platform with only those of its runner's files that can be written; each other one is
    /// a problem naming its variable.
    fn writable_files(mut self, problems: &mut Vec<Problem>) -> Platform {
        match &mut self {
            Platform::GitHub { output, summary } => {
                keep(problems, output, "GITHUB_OUTPUT", "the step's outputs");
                keep(problems, summary, "GITHUB_STEP_SUMMARY", "the step summary");
            }
            Platform::CircleCi { bash_env } => {
                keep(
                    problems,
                    bash_env,
                    "BASH_ENV",
                    "the exports for later steps",
                );
            }
            _ => {}
        }
        self
    }
}

/// Where the JSON result goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResultFile {
    /// Standard output (`result_file=-`).
    Stdout,
    /// This file.
    Path(PathBuf),
}

/// Where the shell exports go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exports<'a> {
    /// This file (`exports_file`), replaced on every run.
    File(&'a Path),
    /// CircleCI's `BASH_ENV`, appended to, which every later step sources; `None` when CircleCI set
    /// none.
    BashEnv(Option<&'a Path>),
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

/// An input that names a file, as read: what a problem with it calls it (the way the user set it),
/// and its value when set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathInput {
    /// `NODION_DOTENV_FILE`, or `dotenv_file` under the action.
    pub variable: String,
    /// The value, trimmed and not empty.
    pub value: Option<String>,
}

/// The inputs that name where a report goes; the inputs read them, as every input, and the
/// platform's defaults fill in what they leave unset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    /// `dotenv_file`.
    pub dotenv_file: PathInput,
    /// `result_file`.
    pub result_file: PathInput,
    /// `exports_file`.
    pub exports_file: PathInput,
}

impl Destinations {
    /// Applies the platform's defaults to what the inputs ask for, and checks that each destination
    /// can be written: one that cannot is a problem naming its variable, and is left out.
    pub fn decide(platform: Platform, asked: Asked, problems: &mut Vec<Problem>) -> Destinations {
        let shared = bitbucket_dir(&platform);
        let platform = platform.writable_files(problems);
        let Asked {
            dotenv_file: dotenv,
            result_file: result,
            exports_file: exports,
        } = asked;
        let mut dotenv_file = dotenv.value.map(PathBuf::from).or_else(|| match platform {
            Platform::GitLab => Some(PathBuf::from(GITLAB_DOTENV)),
            _ => shared.as_ref().map(|dir| dir.join(GITLAB_DOTENV)),
        });
        keep(
            problems,
            &mut dotenv_file,
            &dotenv.variable,
            "the dotenv report",
        );
        let mut result_file = match result.value {
            Some(value) if value == "-" => Some(ResultFile::Stdout),
            Some(value) => Some(ResultFile::Path(PathBuf::from(value))),
            None => shared
                .as_ref()
                .map(|dir| ResultFile::Path(dir.join(BITBUCKET_RESULT))),
        };
        if let Some(ResultFile::Path(path)) = &result_file
            && !check(problems, &result.variable, "the JSON result", path)
        {
            result_file = None;
        }
        // Bitbucket's default follows its storage directory: that is the variable to fix.
        let variable = match (&platform, &exports.value) {
            (Platform::Bitbucket { storage: Some(_) }, None) => "BITBUCKET_PIPE_STORAGE_DIR",
            _ => exports.variable.as_str(),
        };
        let mut exports_file = exports
            .value
            .map(PathBuf::from)
            .or_else(|| shared.map(|dir| dir.join(BITBUCKET_EXPORTS)));
        keep(
            problems,
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

    /// Where the shell exports go, if anywhere: `exports_file` when there is one, in place of
    /// CircleCI's `BASH_ENV`.
    pub fn exports(&self) -> Option<Exports<'_>> {
        match (&self.exports_file, &self.platform) {
            (Some(path), _) => Some(Exports::File(path)),
            (None, Platform::CircleCi { bash_env }) => Some(Exports::BashEnv(bash_env.as_deref())),
            (None, _) => None,
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
fn keep(problems: &mut Vec<Problem>, path: &mut Option<PathBuf>, variable: &str, what: &str) {
    if let Some(at) = path.as_deref()
        && !check(problems, variable, what, at)
    {
        *path = None;
    }
}

/// Records a problem with `variable` unless `what` can be written at `path`; whether it can.
fn check(problems: &mut Vec<Problem>, variable: &str, what: &str, path: &Path) -> bool {
    match writable(path) {
        Ok(()) => true,
        Err(e) => {
            problems.push(Problem {
                variable: variable.to_string(),
                message: format!(
                    "cannot write {what} to {}: {}",
                    shown(&path.to_string_lossy()),
                    reason(&e)
                ),
            });
            false
        }
    }
}

/// Opens `path` for append as the writers will, creating it if missing and never truncating it. A
/// file created only for this check is removed again, so a run refused for another reason leaves
/// nothing behind.
fn writable(path: &Path) -> io::Result<()> {
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

/// The commit the pipeline runs for, as its platform names it: GitHub's `GITHUB_SHA` on a push
/// (on a pull request it is a merge commit that is never deployed), GitLab's `CI_COMMIT_SHA`,
/// Azure's `BUILD_SOURCEVERSION`, CircleCI's `CIRCLE_SHA1`, Bitbucket's `BITBUCKET_COMMIT`.
pub fn pipeline_commit(platform: &Platform, env: &dyn Env) -> Option<String> {
    let var = |name: &str| {
        env.var(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let github = || {
        (var("GITHUB_EVENT_NAME").as_deref() == Some("push"))
            .then(|| var("GITHUB_SHA"))
            .flatten()
    };
    match platform {
        Platform::GitHub { .. } => github(),
        Platform::GitLab => var("CI_COMMIT_SHA"),
        Platform::Azure => var("BUILD_SOURCEVERSION"),
        Platform::CircleCi { .. } => var("CIRCLE_SHA1"),
        Platform::Bitbucket { .. } => var("BITBUCKET_COMMIT"),
        Platform::Plain => None,
    }
    // Only a SHA: anything else names no commit to compare with.
    .filter(|sha| sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::inputs::{DOTENV_FILE, EXPORTS_FILE, Input, RESULT_FILE};

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

    /// No file asked for, each input named by its variable.
    fn unset() -> Asked {
        let unset = |variable: &str| PathInput {
            variable: variable.into(),
            value: None,
        };
        Asked {
            dotenv_file: unset("NODION_DOTENV_FILE"),
            result_file: unset("NODION_RESULT_FILE"),
            exports_file: unset("NODION_EXPORTS_FILE"),
        }
    }

    /// The destinations decided for `platform` with nothing asked for; no problem expected.
    fn defaults(platform: Platform) -> Destinations {
        let mut problems = Vec::new();
        let decided = Destinations::decide(platform, unset(), &mut problems);
        assert_eq!(problems, []);
        decided
    }

    #[test]
    fn gitlab_and_bitbucket_get_their_reports_by_default_and_others_none() {
        let gitlab = defaults(Platform::GitLab);
        assert_eq!(gitlab.dotenv_file, Some(PathBuf::from(GITLAB_DOTENV)));
        assert_eq!((gitlab.result_file, gitlab.exports_file), (None, None));
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().to_path_buf();
        let bitbucket = defaults(Platform::Bitbucket {
            storage: Some(storage.clone()),
        });
        assert_eq!(bitbucket.dotenv_file, Some(storage.join(GITLAB_DOTENV)));
        assert_eq!(
            bitbucket.result_file,
            Some(ResultFile::Path(storage.join(BITBUCKET_RESULT)))
        );
        assert_eq!(
            bitbucket.exports(),
            Some(Exports::File(&storage.join(BITBUCKET_EXPORTS)))
        );
        for platform in [Platform::Azure, Platform::Plain] {
            let none = defaults(platform);
            assert_eq!(none.exports(), None);
            assert_eq!((none.dotenv_file, none.result_file), (None, None));
        }
    }

    #[test]
    fn circleci_exports_to_bash_env_unless_an_exports_file_is_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let bash_env = dir.path().join("bash_env");
        let circleci = Platform::CircleCi {
            bash_env: Some(bash_env.clone()),
        };
        let decided = defaults(circleci.clone());
        assert_eq!(decided.exports(), Some(Exports::BashEnv(Some(&bash_env))));
        let no_bash_env = defaults(Platform::CircleCi { bash_env: None });
        assert_eq!(no_bash_env.exports(), Some(Exports::BashEnv(None)));
        let file = dir.path().join("exports.sh");
        let mut asked = unset();
        asked.exports_file.value = Some(file.to_str().unwrap().into());
        let decided = Destinations::decide(circleci, asked, &mut Vec::new());
        assert_eq!(decided.exports(), Some(Exports::File(&file)));
    }

    #[test]
    fn bitbuckets_default_exports_file_blames_its_storage_directory() {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("missing");
        let mut problems = Vec::new();
        let platform = Platform::Bitbucket {
            storage: Some(storage),
        };
        let decided = Destinations::decide(platform, unset(), &mut problems);
        let named: Vec<&str> = problems.iter().map(|p| p.variable.as_str()).collect();
        assert_eq!(
            named,
            [
                "NODION_DOTENV_FILE",
                "NODION_RESULT_FILE",
                "BITBUCKET_PIPE_STORAGE_DIR"
            ]
        );
        assert_eq!(
            (
                decided.dotenv_file,
                decided.result_file,
                decided.exports_file
            ),
            (None, None, None)
        );
    }

    #[test]
    fn the_input_table_names_the_default_files() {
        let note = |input: &Input| match input.default {
            crate::inputs::Default::Note(note) => note,
            _ => panic!("{} has no note on its default", input.name),
        };
        assert!(note(&DOTENV_FILE).starts_with(GITLAB_DOTENV));
        assert!(note(&RESULT_FILE).starts_with(BITBUCKET_RESULT));
        assert!(note(&EXPORTS_FILE).starts_with(BITBUCKET_EXPORTS));
    }

    fn commit(pairs: &[(&str, &str)]) -> Option<String> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        pipeline_commit(&Platform::detect(&env), &env)
    }

    #[test]
    fn the_pipelines_commit_comes_from_its_own_platform_and_is_a_sha() {
        let sha = "d77ead8c0ffee0000000000000000000000000aa";
        let github = [("GITHUB_ACTIONS", "true"), ("GITHUB_SHA", sha)];
        assert_eq!(
            commit(&[github[0], github[1], ("GITHUB_EVENT_NAME", "push")]),
            Some(sha.into())
        );
        // A pull request's GITHUB_SHA is a merge commit that Nodion never deploys.
        assert_eq!(
            commit(&[github[0], github[1], ("GITHUB_EVENT_NAME", "pull_request")]),
            None
        );
        assert_eq!(
            commit(&[("GITLAB_CI", "true"), ("CI_COMMIT_SHA", sha)]),
            Some(sha.into())
        );
        assert_eq!(
            commit(&[("TF_BUILD", "True"), ("BUILD_SOURCEVERSION", sha)]),
            Some(sha.into())
        );
        assert_eq!(
            commit(&[("CIRCLECI", "true"), ("CIRCLE_SHA1", sha)]),
            Some(sha.into())
        );
        assert_eq!(
            commit(&[("BITBUCKET_BUILD_NUMBER", "7"), ("BITBUCKET_COMMIT", sha)]),
            Some(sha.into())
        );
        // Another platform's variable, or something that is no SHA, names nothing.
        assert_eq!(commit(&[("GITLAB_CI", "true"), ("CIRCLE_SHA1", sha)]), None);
        assert_eq!(commit(&[("CI_COMMIT_SHA", sha)]), None);
        assert_eq!(
            commit(&[("GITLAB_CI", "true"), ("CI_COMMIT_SHA", "main")]),
            None
        );
    }
}
