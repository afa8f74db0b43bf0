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
