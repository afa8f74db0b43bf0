//! Which CI the run is in, and where that CI wants its outputs.

use std::path::PathBuf;

use crate::env::Env;

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
}
