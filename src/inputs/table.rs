//! The input table: every input's name, kind, default and help, which `--help`, `action.yml`,
//! the README, the GitLab component and the reader all use. Each input is a constant, so the
//! reader names inputs by value and a misspelt one does not compile.

use std::time::Duration;

/// An input's default, as `--help` shows it.
#[derive(Clone, Copy, Debug)]
pub enum Default {
    /// No default.
    None,
    /// This value.
    Value(&'static str),
    /// A default that depends on the platform, described.
    Note(&'static str),
}

/// What kind of value an input takes, for the platforms that type their inputs (GitLab's
/// component `spec:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text (paths, durations, lists), checked by the tool itself.
    Text,
    /// `true`/`false` (the tool also takes yes/no, on/off, 1/0).
    Boolean,
    /// A whole number.
    Number,
}

/// One input of the tool.
#[derive(Clone, Copy, Debug)]
pub struct Input {
    /// The input's name, as in `action.yml` (`api_token`).
    pub name: &'static str,
    /// What kind of value it takes.
    pub kind: Kind,
    /// Its default.
    pub default: Default,
    /// What it means, one line.
    pub help: &'static str,
}

impl Input {
    /// The variables it is read from, in order.
    pub fn variables(&self) -> [String; 2] {
        let upper = self.name.to_ascii_uppercase();
        [format!("INPUT_{upper}"), format!("NODION_{upper}")]
    }

    /// Its `NODION_<NAME>` variable.
    pub fn variable(&self) -> String {
        format!("NODION_{}", self.name.to_ascii_uppercase())
    }

    /// The default value, if there is a fixed one.
    pub fn default_value(&self) -> Option<&'static str> {
        match self.default {
            Default::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// The default API base URL.
pub const DEFAULT_API_URL: &str = "https://api.nodion.com/v1";

/// Every input, in the order `--help` lists them.
pub const INPUTS: &[Input] = &[
    API_TOKEN,
    API_TOKEN_FILE,
    APPLICATION_ID,
    PROJECT_ID,
    IMAGE_TAG,
    WAIT,
    TIMEOUT,
    POLL_INTERVAL,
    MAX_POLL_INTERVAL,
    REQUEST_TIMEOUT,
    SUCCESS_STATUSES,
    FAILURE_STATUSES,
    API_URL,
    DEPLOY_NUMBER,
    VERIFY_URL,
    VERIFY_CONTAINS,
    ROLLBACK,
    ROLLBACK_TIMEOUT,
    DRY_RUN,
    DOTENV_FILE,
    RESULT_FILE,
    EXPORTS_FILE,
    FAILURE_LOGS,
    CA_CERTIFICATES,
    DEBUG,
];

/// The `api_token` input.
pub const API_TOKEN: Input = Input {
    name: "api_token",
    kind: Kind::Text,
    default: Default::None,
    help: "Nodion API key, sent as `Authorization: Bearer`; required unless api_token_file is set; at least 8 characters, no whitespace; never printed",
};

/// The `api_token_file` input.
pub const API_TOKEN_FILE: Input = Input {
    name: "api_token_file",
    kind: Kind::Text,
    default: Default::None,
    help: "path of a file holding the API key (Docker / Kubernetes secrets); surrounding whitespace is trimmed",
};

/// The `application_id` input.
pub const APPLICATION_ID: Input = Input {
    name: "application_id",
    kind: Kind::Text,
    default: Default::None,
    help: "required: the application to deploy; 1-128 of A-Z a-z 0-9 _ -",
};

/// The `project_id` input.
pub const PROJECT_ID: Input = Input {
    name: "project_id",
    kind: Kind::Text,
    default: Default::None,
    help: "project to act in, sent as X-Nodion-Project (needed by user API keys); same characters",
};

/// The `image_tag` input.
pub const IMAGE_TAG: Input = Input {
    name: "image_tag",
    kind: Kind::Text,
    default: Default::None,
    help: "pre-built image apps only: the image tag to deploy instead of the application's default",
};

/// The `wait` input.
pub const WAIT: Input = Input {
    name: "wait",
    kind: Kind::Boolean,
    default: Default::Value("true"),
    help: "wait for the deployment to finish; false: trigger, write outputs, exit 0",
};

/// The `timeout` input.
pub const TIMEOUT: Input = Input {
    name: "timeout",
    kind: Kind::Text,
    default: Default::Value("15m"),
    help: "deadline for the whole run, from start (90s, 15m, 1h 30m)",
};

/// The first wait between polls when the user sets none (`poll_interval`).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// The longest wait between polls when the user sets none (`max_poll_interval`): with deployments
/// of 30 s to 10 minutes and no history, the end is seen 2.2 s after it on average, in about 70
/// polls (the detection benchmark, `bench/detection.rs`).
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_millis(4500);

/// The `poll_interval` input.
pub const POLL_INTERVAL: Input = Input {
    name: "poll_interval",
    kind: Kind::Text,
    default: Default::Note(
        "2s; with neither interval set, the schedule is learned from the app's recent deployments when they show how long one takes",
    ),
    help: "the first wait between polls",
};

/// The `max_poll_interval` input.
pub const MAX_POLL_INTERVAL: Input = Input {
    name: "max_poll_interval",
    kind: Kind::Text,
    default: Default::Note("4.5s; see poll_interval"),
    help: "the longest wait between polls (waits grow by 1.5x, with ±20% jitter); at least poll_interval",
};

/// The `request_timeout` input.
pub const REQUEST_TIMEOUT: Input = Input {
    name: "request_timeout",
    kind: Kind::Text,
    default: Default::Value("30s"),
    help: "limit for one HTTP request, never beyond the deadline",
};

/// The `success_statuses` input.
pub const SUCCESS_STATUSES: Input = Input {
    name: "success_statuses",
    kind: Kind::Text,
    default: Default::Value("available"),
    help: "statuses that mean success; comma-separated, case-insensitive",
};

/// The `failure_statuses` input.
pub const FAILURE_STATUSES: Input = Input {
    name: "failure_statuses",
    kind: Kind::Text,
    default: Default::Value("failed,error,expired,canceled,cancelled"),
    help: "statuses that mean failure; comma-separated, case-insensitive; must not overlap success_statuses",
};

/// The `api_url` input.
pub const API_URL: Input = Input {
    name: "api_url",
    kind: Kind::Text,
    default: Default::Value(DEFAULT_API_URL),
    help: "API base URL; https only, except http to a loopback host",
};

/// The `deploy_number` input.
pub const DEPLOY_NUMBER: Input = Input {
    name: "deploy_number",
    kind: Kind::Text,
    default: Default::None,
    help: "attach mode: trigger nothing, wait for this existing deployment (integer >= 1)",
};

/// The `verify_url` input.
pub const VERIFY_URL: Input = Input {
    name: "verify_url",
    kind: Kind::Text,
    default: Default::None,
    help: "after our deployment succeeds, GET this http(s) URL of your app until it answers 2xx (within the timeout; no token is sent); not serving is exit 6",
};

/// The `verify_contains` input.
pub const VERIFY_CONTAINS: Input = Input {
    name: "verify_contains",
    kind: Kind::Text,
    default: Default::None,
    help: "with verify_url: text the answer's body must contain (the git SHA or image tag deployed), so the old version's 200 does not count",
};

/// The `rollback` input.
pub const ROLLBACK: Input = Input {
    name: "rollback",
    kind: Kind::Boolean,
    default: Default::Value("false"),
    help: "prebuilt-image applications only: when our deployment fails or is not serving, deploy the image of the last good deployment again, once (the run still fails)",
};

/// The `rollback_timeout` input.
pub const ROLLBACK_TIMEOUT: Input = Input {
    name: "rollback_timeout",
    kind: Kind::Text,
    default: Default::Value("10m"),
    help: "the deadline for the rollback, counted from its trigger",
};

/// The `dry_run` input.
pub const DRY_RUN: Input = Input {
    name: "dry_run",
    kind: Kind::Boolean,
    default: Default::Value("false"),
    help: "check inputs, token and application with read-only calls; trigger nothing",
};

/// The `dotenv_file` input.
pub const DOTENV_FILE: Input = Input {
    name: "dotenv_file",
    kind: Kind::Text,
    default: Default::Note(
        "nodion-deploy.env under GitLab CI and Bitbucket Pipelines (in the pipe's storage directory when set), else none",
    ),
    help: "where to write the dotenv report (NODION_RESULT=… lines)",
};

/// The `result_file` input.
pub const RESULT_FILE: Input = Input {
    name: "result_file",
    kind: Kind::Text,
    default: Default::Note(
        "nodion-deploy.json under Bitbucket Pipelines (in the pipe's storage directory when set), else none",
    ),
    help: "where to write the JSON result; - means standard output",
};

/// The `exports_file` input.
pub const EXPORTS_FILE: Input = Input {
    name: "exports_file",
    kind: Kind::Text,
    default: Default::Note(
        "nodion-deploy.sh under Bitbucket Pipelines (in the pipe's storage directory when set), else none; CircleCI appends them to $BASH_ENV instead",
    ),
    help: "where to write the outputs as shell export lines (export NODION_RESULT='…'), replaced on every run, to source in later steps; two runs in one job each name their own",
};

/// The `failure_logs` input.
pub const FAILURE_LOGS: Input = Input {
    name: "failure_logs",
    kind: Kind::Number,
    default: Default::Value("50"),
    help: "when the deployment fails or times out, show this many of the application's latest log lines; 0 turns it off",
};

/// The `ca_certificates` input.
pub const CA_CERTIFICATES: Input = Input {
    name: "ca_certificates",
    kind: Kind::Text,
    default: Default::None,
    help: "PEM file of extra root certificates, added to the bundled ones (TLS-intercepting proxies)",
};

/// The `debug` input.
pub const DEBUG: Input = Input {
    name: "debug",
    kind: Kind::Boolean,
    default: Default::Value("false"),
    help: "one log line per request (method, path, status, time); also on with RUNNER_DEBUG=1 or CI_DEBUG_TRACE=true",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_are_unique_and_lower_snake_case() {
        for (i, input) in INPUTS.iter().enumerate() {
            assert!(
                input
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                input.name
            );
            assert!(
                INPUTS[..i].iter().all(|other| other.name != input.name),
                "{} is listed twice",
                input.name
            );
        }
    }
}
