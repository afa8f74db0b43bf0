//! Which CI the run is in, and where that CI wants its outputs.

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::outputs::BITBUCKET_EXPORTS;

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

    /// The files this platform reads outputs from, each with the variable that says where it is:
    /// the run checks them before anything is sent, so a deploy it cannot report never starts.
    pub fn files(&self) -> Vec<OutputFile> {
        let file = |variable, what, path: &PathBuf| OutputFile {
            variable,
            what,
            path: path.clone(),
        };
        match self {
            Platform::GitHub { output, summary } => [
                output
                    .as_ref()
                    .map(|p| file("GITHUB_OUTPUT", "the step's outputs", p)),
                summary
                    .as_ref()
                    .map(|p| file("GITHUB_STEP_SUMMARY", "the step summary", p)),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Platform::CircleCi { bash_env } => bash_env
                .iter()
                .map(|p| file("BASH_ENV", "the exports for later steps", p))
                .collect(),
            Platform::Bitbucket { storage } => vec![OutputFile {
                variable: match storage {
                    Some(_) => "BITBUCKET_PIPE_STORAGE_DIR",
                    None => "the working directory",
                },
                what: "the exports for later steps",
                path: bitbucket_exports(storage.as_deref()),
            }],
            Platform::GitLab | Platform::Azure | Platform::Plain => Vec::new(),
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

/// A file a platform reads the outputs from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// The variable that names where it is (what a user fixes when it cannot be written).
    pub variable: &'static str,
    /// What it holds, for a message.
    pub what: &'static str,
    /// Where it is.
    pub path: PathBuf,
}

/// Where Bitbucket steps find the shell exports: the pipe's storage directory, or the working
/// directory, which later steps of a plain Bitbucket pipeline share.
pub fn bitbucket_exports(storage: Option<&Path>) -> PathBuf {
    storage.unwrap_or(Path::new(".")).join(BITBUCKET_EXPORTS)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn files(pairs: &[(&str, &str)]) -> Vec<(&'static str, PathBuf)> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Platform::detect(&env)
            .files()
            .into_iter()
            .map(|f| (f.variable, f.path))
            .collect()
    }

    #[test]
    fn each_platform_names_the_files_it_reads_and_where_they_are_set() {
        assert_eq!(
            files(&[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_OUTPUT", "/r/out"),
                ("GITHUB_STEP_SUMMARY", "/r/sum.md")
            ]),
            [
                ("GITHUB_OUTPUT", PathBuf::from("/r/out")),
                ("GITHUB_STEP_SUMMARY", PathBuf::from("/r/sum.md"))
            ]
        );
        assert_eq!(
            files(&[("CIRCLECI", "true"), ("BASH_ENV", "/tmp/env")]),
            [("BASH_ENV", PathBuf::from("/tmp/env"))]
        );
        assert_eq!(
            files(&[("BITBUCKET_PIPE_STORAGE_DIR", "/s")]),
            [(
                "BITBUCKET_PIPE_STORAGE_DIR",
                PathBuf::from("/s/nodion-deploy.sh")
            )]
        );
        assert_eq!(
            files(&[("BITBUCKET_BUILD_NUMBER", "7")]),
            [("the working directory", PathBuf::from("./nodion-deploy.sh"))]
        );
        assert!(files(&[("GITLAB_CI", "true")]).is_empty());
        assert!(files(&[]).is_empty());
    }
}
