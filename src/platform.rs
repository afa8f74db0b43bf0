//! Which CI the run is in, and where that CI wants its outputs.

use std::path::PathBuf;

use crate::inputs::Env;

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
        } else {
            Platform::Plain
        }
    }

    /// Whether the log is read by the GitHub runner (which acts on workflow commands in it).
    pub fn is_github(&self) -> bool {
        matches!(self, Platform::GitHub { .. })
    }

    /// The platform's name for the log.
    pub fn name(&self) -> &'static str {
        match self {
            Platform::GitHub { .. } => "GitHub Actions",
            Platform::GitLab => "GitLab CI",
            Platform::Plain => "a plain pipeline",
        }
    }
}
