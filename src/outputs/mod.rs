//! The job's outputs (SPEC §5): the table of outputs, their values, and writing them everywhere
//! [`Destinations`] says (`platform.rs` decides where), one format per submodule.

mod azure;
mod dotenv;
mod github;
mod json;
mod shell;

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

use serde_json::Value;

use crate::ending::{EXIT_OUTPUTS_UNWRITTEN, EXIT_SUCCESS, Ending, Rollback};
use crate::escape;
use crate::log::Log;
use crate::model::Deployment;
use crate::platform::{Destinations, Exports, Platform};
use crate::report::Report;

pub use azure::azure_variables;
pub use dotenv::dotenv;
pub use github::{github_output, github_problems_summary, github_summary};
pub use json::{json, json_text};
pub use shell::bash_exports;

/// One output: its name, the variable it is handed on as, whether it may span lines, what it means
/// and how its value comes from the report. Every format is a loop over [`OUTPUTS`].
pub struct OutputSpec {
    /// The output's name (GitHub, Azure, JSON).
    pub name: &'static str,
    /// The variable it is handed on as: the dotenv key and the shell export. Never an input's
    /// variable (SPEC §5: an output is never a later run's input).
    pub variable: &'static str,
    /// Its key in the dotenv report: `None` keeps it out (a value that may span lines).
    pub dotenv: Option<&'static str>,
    /// Whether its value may span lines.
    pub multi_line: bool,
    /// What it holds.
    pub help: &'static str,
    /// Its value in a report: text, a number, a boolean, or null when absent.
    pub value: fn(&Report) -> Value,
}

impl OutputSpec {
    /// Every name a later step or job may see this output under, as an environment variable: its
    /// dotenv key (GitLab hands a dotenv report to every later job), its shell export (CircleCI's
    /// `$BASH_ENV`, Bitbucket's exports file) and Azure's `<STEP>_<NAME>` for a step named
    /// `azure_step`.
    pub fn handed_on(&self, azure_step: &str) -> Vec<String> {
        let azure = format!("{azure_step}_{}", self.name).to_ascii_uppercase();
        let mut names = vec![self.variable.to_string(), azure];
        names.extend(self.dotenv.map(str::to_string));
        names
    }
}

/// A one-line output handed on as `variable`, also in the dotenv report.
const fn one_line(
    name: &'static str,
    variable: &'static str,
    help: &'static str,
    value: fn(&Report) -> Value,
) -> OutputSpec {
    OutputSpec {
        name,
        variable,
        dotenv: Some(variable),
        multi_line: false,
        help,
        value,
    }
}

/// Text, or null when absent.
fn text(value: Option<&String>) -> Value {
    value.cloned().map(Value::String).unwrap_or(Value::Null)
}

/// A field of our deployment as text, or null when there is none.
fn field(report: &Report, get: fn(&Deployment) -> Option<&String>) -> Value {
    text(report.deployment.as_ref().and_then(get))
}

/// Every output, in order.
pub const OUTPUTS: &[OutputSpec] = &[
    one_line(
        "result",
        "NODION_RESULT",
        "success, failure, timeout, unverified, cancelled, triggered or error",
        |r| Value::String(r.ending.result().into()),
    ),
    one_line(
        "deployment_id",
        "NODION_DEPLOYMENT_ID",
        "the deployment's id",
        |r| field(r, |d| d.id.as_ref()),
    ),
    one_line(
        "deploy_number",
        "NODION_DEPLOYMENT_NUMBER",
        "the deployment's number within the application",
        |r| {
            let number = r.deployment.as_ref().and_then(|d| d.deploy_number);
            number.map(Value::from).unwrap_or(Value::Null)
        },
    ),
    one_line(
        "status",
        "NODION_DEPLOY_STATUS",
        "the last status seen (empty if none)",
        |r| field(r, |d| d.status.as_ref()),
    ),
    one_line(
        "git_sha",
        "NODION_GIT_SHA",
        "the commit deployed (empty for image apps)",
        |r| field(r, |d| d.git_sha.as_ref()),
    ),
    one_line(
        "image_reference",
        "NODION_IMAGE_REFERENCE",
        "the image deployed (empty for git apps)",
        |r| field(r, |d| d.image_reference.as_ref()),
    ),
    one_line(
        "strategy",
        "NODION_STRATEGY",
        "dockerfile, prebuilt_image, …",
        |r| field(r, |d| d.strategy.as_ref()),
    ),
    one_line(
        "created_at",
        "NODION_CREATED_AT",
        "when the deployment was created",
        |r| field(r, |d| d.created_at.as_ref()),
    ),
    OutputSpec {
        name: "commit_message",
        variable: "NODION_COMMIT_MESSAGE",
        dotenv: None,
        multi_line: true,
        help: "the commit message (may span lines; not in the dotenv report)",
        value: |r| field(r, |d| d.commit_message.as_ref()),
    },
    one_line(
        "elapsed_seconds",
        "NODION_ELAPSED_SECONDS",
        "whole seconds since the start",
        |r| Value::from(r.elapsed.as_secs()),
    ),
    one_line(
        "url",
        "NODION_URL",
        "verify_url (empty when not set), e.g. for a GitHub environment's url",
        |r| text(r.url.as_ref()),
    ),
    one_line(
        "verified",
        "NODION_VERIFIED",
        "true when verify_url served the new version, false when it did not, empty when not checked",
        |r| r.verified.map(Value::Bool).unwrap_or(Value::Null),
    ),
    one_line(
        "origin",
        "NODION_ORIGIN",
        "how the deployment became this run's: triggered, adopted (the trigger's answer was lost and it appeared since; another pipeline may have triggered it) or attached (deploy_number); empty when none did",
        |r| {
            let origin = r.origin.map(|o| Value::String(o.as_str().into()));
            origin.unwrap_or(Value::Null)
        },
    ),
    one_line(
        "application_id",
        "NODION_DEPLOYED_APPLICATION_ID",
        "the application deployed, so that two runs' outputs can be told apart",
        |r| match r.application_id.as_str() {
            "" => Value::Null,
            id => Value::String(id.into()),
        },
    ),
    one_line(
        "rollback",
        "NODION_ROLLBACK_RESULT",
        "succeeded, failed or impossible when rollback was needed (rollback: true); empty when it was not needed or not allowed",
        |r| match rollback(r) {
            Some(rollback) => Value::String(rollback.result.as_str().into()),
            None => Value::Null,
        },
    ),
    one_line(
        "rollback_deploy_number",
        "NODION_ROLLBACK_DEPLOY_NUMBER",
        "the rollback's deployment; empty when none was triggered",
        |r| {
            let deployment = rollback(r).and_then(|r| r.deployment.as_ref());
            let number = deployment.and_then(|d| d.deploy_number);
            number.map(Value::from).unwrap_or(Value::Null)
        },
    ),
    one_line(
        "rollback_image_tag",
        "NODION_ROLLBACK_IMAGE_TAG",
        "the image tag deployed again; empty when none",
        |r| {
            let triggered = rollback(r).filter(|r| r.deployment.is_some());
            text(triggered.and_then(|r| r.target.as_ref()).map(|t| &t.tag))
        },
    ),
];

/// The rollback, when the run needed one.
fn rollback(report: &Report) -> Option<&Rollback> {
    if let Ending::RolledBack { rollback, .. } = &report.ending {
        Some(rollback)
    } else {
        None
    }
}

/// The value of each output in [`OUTPUTS`] order: text, a number, or null when absent.
pub fn values(report: &Report) -> Vec<(&'static OutputSpec, Value)> {
    OUTPUTS
        .iter()
        .map(|spec| (spec, (spec.value)(report)))
        .collect()
}

/// A value as one line of text (a value that may span lines keeps its lines), without control
/// characters: what every format but JSON's numbers writes.
fn clean_text(spec: &OutputSpec, value: &Value) -> String {
    if spec.multi_line {
        escape::multi_line(&as_text(value))
    } else {
        escape::one_line(&as_text(value))
    }
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
/// in the answer: the outcome is still gated, but the run must not look like a success. `secret`
/// is redacted from the summary's verdict, which can quote the API.
pub fn write_everywhere(
    to: &Destinations,
    secret: &str,
    report: &Report,
    log: &Log,
    rng: &mut fastrand::Rng,
) -> Written {
    let mut written = Written::default();
    match &to.platform {
        Platform::GitHub { output, .. } => {
            written.note(
                "GITHUB_OUTPUT",
                github::write(output.as_deref(), report, log, rng),
            );
        }
        Platform::Azure => azure::write(report, log),
        _ => {}
    }
    match to.exports() {
        Some(Exports::BashEnv(bash_env)) => {
            written.note("BASH_ENV", shell::write_circleci(bash_env, report, log));
        }
        Some(Exports::File(path)) => {
            written.note("exports_file", shell::write(path, report, log));
        }
        None => {}
    }
    if let Some(path) = &to.dotenv_file {
        written.note("dotenv_file", dotenv::write(path, report, log));
    }
    if let Some(result_file) = &to.result_file {
        let code = written.exit_code(report);
        written.note("result_file", json::write(result_file, report, code, log));
    }
    if let Platform::GitHub {
        summary: Some(path),
        ..
    } = &to.platform
    {
        // The verdict can quote the API, which may echo the token: redacted before it is escaped.
        let why = (written.exit_code(report) != EXIT_SUCCESS)
            .then(|| escape::redact(&written.verdict(report), secret));
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
        match report.ending.exit_code() {
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
    use crate::ending::Ending;
    use crate::inputs::INPUTS;

    /// The Azure step name README's example gives (tests/it/readme.rs checks README against it).
    const README_AZURE_STEP: &str = "deploy";

    /// Inputs SPEC §2 already names for rollback.
    const ROLLBACK_INPUTS: &[&str] = &["rollback", "rollback_timeout"];

    #[test]
    fn no_output_is_handed_on_under_an_inputs_variable() {
        let mut inputs: Vec<String> = INPUTS.iter().flat_map(|i| i.variables()).collect();
        for name in ROLLBACK_INPUTS {
            let upper = name.to_ascii_uppercase();
            inputs.extend([format!("INPUT_{upper}"), format!("NODION_{upper}")]);
        }
        let mut handed_on: Vec<(String, &str)> = Vec::new();
        for spec in OUTPUTS {
            handed_on.extend(
                spec.handed_on(README_AZURE_STEP)
                    .into_iter()
                    .map(|n| (n, spec.name)),
            );
        }
        for (variable, output) in &handed_on {
            assert!(
                !inputs.contains(variable),
                "output {output} is handed on as {variable}, an input's variable: a later run would read it as its input"
            );
        }
        // The check bites: the name the first release used, and Azure's for a step named nodion.
        assert!(inputs.contains(&"NODION_DEPLOY_NUMBER".to_string()));
        let deploy_number = OUTPUTS.iter().find(|o| o.name == "deploy_number").unwrap();
        assert!(
            deploy_number
                .handed_on("nodion")
                .iter()
                .any(|n| inputs.contains(n))
        );
        // Never NODION_APPLICATION_ID, which a later GitLab job would take as its application.
        assert!(handed_on.iter().all(|(n, _)| n != "NODION_APPLICATION_ID"));
    }

    #[test]
    fn each_output_is_handed_on_under_its_own_name() {
        let variables: Vec<&str> = OUTPUTS.iter().map(|o| o.variable).collect();
        for (i, v) in variables.iter().enumerate() {
            assert!(v.starts_with("NODION_"), "{v}");
            assert!(!variables[..i].contains(v), "{v} twice");
        }
        for spec in OUTPUTS {
            assert_eq!(spec.dotenv.is_none(), spec.multi_line, "{}", spec.name);
        }
    }

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
        report.ending = Ending::Failed {
            status: "failed".into(),
        };
        assert_eq!(lost.exit_code(&report), 1);
    }
}

/// The report the format tests write out.
#[cfg(test)]
mod fixture {
    use std::time::Duration;

    use crate::ending::Ending;
    use crate::model::Deployment;
    use crate::report::{Origin, Report};

    /// A successful git deployment with a multi-line commit message.
    pub(super) fn report() -> Report {
        Report {
            ending: Ending::Succeeded {
                status: "available".into(),
            },
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
                updated_at: None,
            }),
            timeline: vec![
                (Duration::from_secs(0), "created".into()),
                (Duration::from_secs(40), "available".into()),
            ],
            logs: Vec::new(),
            elapsed: Duration::from_millis(42_900),
            dry_run: false,
            rollback_asked: false,
            url: Some("https://app-1.example.com/health".into()),
            verified: Some(true),
            origin: Some(Origin::Triggered),
            mismatch: None,
        }
    }
}
