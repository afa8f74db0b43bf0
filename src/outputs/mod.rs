//! The job's outputs (SPEC §5): the table of outputs, their values, and writing them everywhere the
//! platform and the inputs want them, one format per submodule.

mod azure;
mod dotenv;
mod github;
mod json;
mod shell;

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use serde_json::Value;

use crate::escape;
use crate::inputs::Settings;
use crate::log::Log;
use crate::platform::Platform;
use crate::report::{EXIT_OUTPUTS_UNWRITTEN, EXIT_SUCCESS, Report};

pub use azure::azure_variables;
pub use dotenv::dotenv;
pub use github::{github_output, github_problems_summary, github_summary};
pub use json::{json, json_text};
pub use shell::{BITBUCKET_EXPORTS, bash_exports};

/// One output: its name, its dotenv key (if it has one) and what it means.
pub struct OutputSpec {
    /// The output's name (GitHub, JSON).
    pub name: &'static str,
    /// Its key in the dotenv report; `None` keeps it out (multi-line values).
    pub dotenv: Option<&'static str>,
    /// What it holds.
    pub help: &'static str,
}

/// Every output, in order.
pub const OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "result",
        dotenv: Some("NODION_RESULT"),
        help: "success, failure, timeout, unverified, cancelled, triggered or error",
    },
    OutputSpec {
        name: "deployment_id",
        dotenv: Some("NODION_DEPLOYMENT_ID"),
        help: "the deployment's id",
    },
    OutputSpec {
        name: "deploy_number",
        dotenv: Some("NODION_DEPLOY_NUMBER"),
        help: "the deployment's number within the application",
    },
    OutputSpec {
        name: "status",
        dotenv: Some("NODION_DEPLOY_STATUS"),
        help: "the last status seen (empty if none)",
    },
    OutputSpec {
        name: "git_sha",
        dotenv: Some("NODION_GIT_SHA"),
        help: "the commit deployed (empty for image apps)",
    },
    OutputSpec {
        name: "image_reference",
        dotenv: Some("NODION_IMAGE_REFERENCE"),
        help: "the image deployed (empty for git apps)",
    },
    OutputSpec {
        name: "strategy",
        dotenv: Some("NODION_STRATEGY"),
        help: "dockerfile, prebuilt_image, …",
    },
    OutputSpec {
        name: "created_at",
        dotenv: Some("NODION_CREATED_AT"),
        help: "when the deployment was created",
    },
    OutputSpec {
        name: "commit_message",
        dotenv: None,
        help: "the commit message (may span lines; not in the dotenv report)",
    },
    OutputSpec {
        name: "elapsed_seconds",
        dotenv: Some("NODION_ELAPSED_SECONDS"),
        help: "whole seconds since the start",
    },
    OutputSpec {
        name: "url",
        dotenv: Some("NODION_URL"),
        help: "verify_url (empty when not set), e.g. for a GitHub environment's url",
    },
    OutputSpec {
        name: "verified",
        dotenv: Some("NODION_VERIFIED"),
        help: "true when verify_url served the new version, false when it did not, empty when not checked",
    },
];

/// The value of each output in [`OUTPUTS`] order: text, a number, or null when absent.
pub fn values(report: &Report) -> Vec<(&'static OutputSpec, Value)> {
    let d = report.deployment.clone().unwrap_or_default();
    let text = |v: Option<String>| v.map(Value::String).unwrap_or(Value::Null);
    OUTPUTS
        .iter()
        .map(|spec| {
            let value = match spec.name {
                "result" => Value::String(report.outcome.result().into()),
                "deployment_id" => text(d.id.clone()),
                "deploy_number" => d.deploy_number.map(Value::from).unwrap_or(Value::Null),
                "status" => text(d.status.clone()),
                "git_sha" => text(d.git_sha.clone()),
                "image_reference" => text(d.image_reference.clone()),
                "strategy" => text(d.strategy.clone()),
                "created_at" => text(d.created_at.clone()),
                "commit_message" => text(d.commit_message.clone()),
                "elapsed_seconds" => Value::from(report.elapsed.as_secs()),
                "url" => text(report.url.clone()),
                "verified" => report.verified.map(Value::Bool).unwrap_or(Value::Null),
                other => unreachable!("output {other} has no value"),
            };
            (spec, value)
        })
        .collect()
}

/// A value as text: empty when absent.
fn as_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Appends `text` to the file at `path` (GitHub's file commands are appended to, never replaced).
pub fn append(path: &Path, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())
}

/// Writes the outputs everywhere they are wanted, the GitHub step summary last so that it can say
/// what could not be written. A file that cannot be written is warned about in the log and counted
/// in the answer: the outcome is still gated, but the run must not look like a success.
pub fn write_everywhere(
    settings: &Settings,
    report: &Report,
    log: &Log,
    rng: &mut fastrand::Rng,
) -> Written {
    let mut written = Written::default();
    match &settings.platform {
        Platform::GitHub { output, .. } => {
            written.note(
                "GITHUB_OUTPUT",
                github::write(output.as_deref(), report, log, rng),
            );
        }
        Platform::Azure => azure::write(report, log),
        Platform::Bitbucket { storage } => written.note(
            BITBUCKET_EXPORTS,
            shell::write_bitbucket(storage.as_deref(), report, log),
        ),
        Platform::CircleCi { bash_env } => {
            written.note(
                "BASH_ENV",
                shell::write_circleci(bash_env.as_deref(), report, log),
            );
        }
        Platform::GitLab | Platform::Plain => {}
    }
    if let Some(path) = &settings.dotenv_file {
        written.note("dotenv_file", dotenv::write(path, report, log));
    }
    if let Some(result_file) = &settings.result_file {
        let code = written.exit_code(report);
        written.note("result_file", json::write(result_file, report, code, log));
    }
    if let Platform::GitHub {
        summary: Some(path),
        ..
    } = &settings.platform
    {
        // The verdict can quote the API, which may echo the token: redacted before it is escaped.
        let why = (written.exit_code(report) != EXIT_SUCCESS)
            .then(|| escape::redact(&written.verdict(report), settings.token.expose()));
        // Later steps do not read the summary: one that cannot be written is only a warning.
        github::write_summary(path, report, why.as_deref(), log);
    }
    written
}

/// What [`write_everywhere`] could not write, which decides between the outcome's exit code and
/// [`EXIT_OUTPUTS_UNWRITTEN`].
#[must_use]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The outputs later steps cannot read, as the user names them (`result_file`, `GITHUB_OUTPUT`).
    pub unwritten: Vec<&'static str>,
}

impl Written {
    fn note(&mut self, name: &'static str, written: bool) {
        if !written {
            self.unwritten.push(name);
        }
    }

    /// Whether every output was written.
    pub fn all(&self) -> bool {
        self.unwritten.is_empty()
    }

    /// The exit code: the outcome's, unless an output was lost from a run that would exit 0 —
    /// never a silent 0. A failure, timeout or cancellation keeps its own, more telling code.
    pub fn exit_code(&self, report: &Report) -> u8 {
        match report.outcome.exit_code() {
            0 if !self.all() => EXIT_OUTPUTS_UNWRITTEN,
            code => code,
        }
    }

    /// The run's one-line verdict ([`Report::verdict`]), saying also which outputs later steps
    /// cannot read.
    pub fn verdict(&self, report: &Report) -> String {
        if self.all() {
            return report.verdict();
        }
        format!(
            "{}; but {} could not be written, so later steps cannot read the outcome",
            report.verdict(),
            self.unwritten.join(" and ")
        )
    }
}

/// Warns that `what` (with a trailing space, or empty) at `path` could not be written; whether it
/// was.
fn written(log: &Log, what: &str, path: &Path, written: io::Result<()>) -> bool {
    match written {
        Ok(()) => true,
        Err(e) => {
            log.warn(&format!("cannot write {what}{}: {e}", path.display()));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Outcome;

    #[test]
    fn a_lost_output_turns_exit_0_into_exit_5_and_says_which() {
        let mut report = fixture::report();
        let all = Written::default();
        assert_eq!(all.exit_code(&report), 0);
        assert_eq!(all.verdict(&report), report.verdict());
        let lost = Written {
            unwritten: vec!["GITHUB_OUTPUT", "result_file"],
        };
        assert_eq!(lost.exit_code(&report), 5);
        assert_eq!(
            lost.verdict(&report),
            "success: deployment #3 of app-1 is available after 42s; but GITHUB_OUTPUT and result_file could not be written, so later steps cannot read the outcome"
        );
        // A run that fails anyway keeps its own code (the verdict still says what was lost).
        report.outcome = Outcome::Failure;
        assert_eq!(lost.exit_code(&report), 1);
    }
}

/// The report the format tests write out.
#[cfg(test)]
mod fixture {
    use std::time::Duration;

    use crate::model::Deployment;
    use crate::report::{Outcome, Report};

    /// A successful git deployment with a multi-line commit message.
    pub(super) fn report() -> Report {
        Report {
            outcome: Outcome::Success,
            application_id: "app-1".into(),
            deployment: Some(Deployment {
                id: Some("c3f85434".into()),
                status: Some("available".into()),
                deploy_number: Some(3),
                git_sha: Some("d77ead8c".into()),
                commit_message: Some("Fix it\n\nLonger text\nname=value".into()),
                committer_name: None,
                strategy: Some("dockerfile".into()),
                image_reference: None,
                created_at: Some("2023-04-25T08:58:59.771+02:00".into()),
            }),
            timeline: vec![
                (Duration::from_secs(0), "created".into()),
                (Duration::from_secs(40), "available".into()),
            ],
            logs: Vec::new(),
            elapsed: Duration::from_millis(42_900),
            ending: crate::report::Ending::default(),
            url: Some("https://app-1.example.com/health".into()),
            verified: Some(true),
        }
    }
}
