//! What a run ended with: the [`Report`] the outputs are written from, its [`Outcome`], and the one
//! place that turns that into the `result` output and the exit code.

use std::time::Duration;

use crate::duration::{self, Precision};
use crate::escape;
use crate::model::Deployment;

/// What the run ended with, to be written out.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it ended.
    pub outcome: Outcome,
    /// The application deployed.
    pub application_id: String,
    /// Our deployment as last seen, if one became ours.
    pub deployment: Option<Deployment>,
    /// Its status changes, with the time since the start.
    pub timeline: Vec<(Duration, String)>,
    /// The application's last log lines, shown after a failure or timeout (sanitised).
    pub logs: Vec<String>,
    /// Time since the start.
    pub elapsed: Duration,
    /// What, beyond the outcome, the summary line says.
    pub ending: Ending,
    /// `verify_url`, when set (the `url` output).
    pub url: Option<String>,
    /// Whether the app served the new version: `None` when it was not checked.
    pub verified: Option<bool>,
    /// How our deployment became ours: `None` when none did.
    pub origin: Option<Origin>,
}

/// How a deployment became this run's (the `origin` output).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Our trigger's answer named it.
    Triggered,
    /// Our trigger's answer was lost and it was the one deployment that appeared since the
    /// snapshot: another pipeline may have triggered it.
    Adopted,
    /// Attach mode (`deploy_number`): an existing deployment, triggered by someone else.
    Attached,
}

impl Origin {
    /// What the log and the step summary say of deployment `number` adopted after a lost answer.
    pub fn adopted(number: u64) -> String {
        format!(
            "adopted #{number}, which appeared after our trigger's answer was lost; another pipeline may have triggered it"
        )
    }

    /// The `origin` output's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Triggered => "triggered",
            Origin::Adopted => "adopted",
            Origin::Attached => "attached",
        }
    }
}

/// What the summary line says beyond the outcome and what was seen of our deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Ending {
    /// The wait ended (success, failure or timeout), or nothing more is known.
    #[default]
    Waited,
    /// The API refused a poll while we waited (its answer, described).
    RefusedWhileWaiting(String),
    /// Triggered, and not waited for (`wait=false`).
    NotWaited,
    /// Stopped before a deployment was ours, for this reason.
    Stopped(String),
    /// Cancelled by a signal; `triggering`: a trigger was being sent.
    Cancelled {
        /// A trigger was (or was being) sent when the signal came.
        triggering: bool,
    },
    /// A dry run that passed.
    DryRunPassed,
    /// A dry run stopped by this reason.
    DryRunStopped(String),
    /// A failure of the tool itself (a thread that cannot start, a panic).
    Internal(String),
    /// Our deployment succeeded, but `verify_url` never answered as asked: what it last did
    /// (`answered 503`), or why it was not checked.
    NotServing(String),
    /// Our deployment succeeded, but `verify_url`'s host does not resolve.
    NoSuchHost {
        /// The host.
        host: String,
        /// `verify_url` as the user set it (`verify_url`, `NODION_VERIFY_URL`).
        input: String,
    },
    /// Attach mode: the number was not listed within the grace; the newest listed.
    NotListed {
        /// The highest deploy number listed (0 for none).
        newest: u64,
        /// What the user calls the `deploy_number` input, which named it.
        deploy_number: String,
    },
}

impl Report {
    /// The one-line verdict: the summary line without its `nodion-deploy: ` prefix, and the
    /// message of the error annotation a run that did not succeed gets.
    pub fn verdict(&self) -> String {
        let took = duration::text(self.elapsed, Precision::Seconds);
        let app = &self.application_id;
        let number = self.deployment.as_ref().and_then(|d| d.deploy_number);
        let ours = format!("#{}", number.unwrap_or_default());
        let status = self.deployment.as_ref().and_then(|d| d.status.as_deref());
        let status = status.map(escape::shown);
        let result = self.outcome.result();
        match (&self.ending, &self.outcome) {
            (Ending::Waited, Outcome::Success) => format!(
                "success: deployment {ours} of {app} is {} after {took}",
                status.unwrap_or_default()
            ),
            (Ending::NotServing(answered), _) => format!(
                "{result}: deployment {ours} of {app} is {}, but {} {answered} after {took}",
                status.unwrap_or_default(),
                self.url.as_deref().unwrap_or_default()
            ),
            (Ending::NoSuchHost { host, input }, _) => format!(
                "{result}: deployment {ours} of {app} is {}, but the host {host} of {} does not resolve after {took}: check {input}",
                status.unwrap_or_default(),
                self.url.as_deref().unwrap_or_default()
            ),
            (Ending::Waited, Outcome::Failure) => format!(
                "failure: deployment {ours} of {app} ended with status {} after {took}",
                status.unwrap_or_default()
            ),
            (Ending::RefusedWhileWaiting(error), _) => format!(
                "error: the API refused to list deployments ({error}) after {took}; deployment {ours} goes on at Nodion"
            ),
            (Ending::NotWaited, _) => format!(
                "triggered: deployment {ours} of {app} is {}; not waiting (wait=false)",
                status.as_deref().unwrap_or("created")
            ),
            (Ending::Stopped(detail), _) => format!("{result} after {took}: {detail}"),
            (Ending::Cancelled { triggering }, Outcome::Cancelled(signal)) => {
                cancelled(*signal, app, number.map(|_| (ours, status)), *triggering)
            }
            (Ending::DryRunPassed, _) => format!(
                "dry run passed: the token works and application {app} exists; nothing was triggered"
            ),
            (Ending::DryRunStopped(detail), _) => format!("{result}: {detail} (dry run)"),
            (Ending::Internal(detail), _) => format!("{result}: {detail}"),
            (
                Ending::NotListed {
                    newest,
                    deploy_number,
                },
                _,
            ) => {
                let newest = match newest {
                    0 => "none is listed".to_string(),
                    n => format!("the newest is #{n}"),
                };
                format!(
                    "{result}: deployment {ours} of {app} is not listed ({newest}) after {took}: check {deploy_number}; nothing was triggered"
                )
            }
            // A timeout, or an ending that does not fit its outcome: what was seen, and the time.
            _ => format!(
                "{result}: deployment {ours} of {app} is still {} after {took}; it goes on at Nodion",
                status.as_deref().unwrap_or("not listed")
            ),
        }
    }

    /// The last line of the log.
    pub fn summary(&self) -> String {
        format!("nodion-deploy: {}", self.verdict())
    }

    /// The report with `secret` replaced by `***` in everything the API sent.
    pub fn redacted(&self, secret: &str) -> Report {
        Report {
            deployment: self.deployment.as_ref().map(|d| d.redacted(secret)),
            url: self.url.as_ref().map(|url| escape::redact(url, secret)),
            timeline: self
                .timeline
                .iter()
                .map(|(after, status)| (*after, escape::redact(status, secret)))
                .collect(),
            logs: self
                .logs
                .iter()
                .map(|line| escape::redact(line, secret))
                .collect(),
            ..self.clone()
        }
    }
}

/// What a cancelled run says: the deployment it leaves going on, or that one may have been created.
fn cancelled(
    signal: Signal,
    app: &str,
    ours: Option<(String, Option<String>)>,
    triggering: bool,
) -> String {
    let name = match signal {
        Signal::Interrupt => "SIGINT",
        Signal::Terminate => "SIGTERM",
    };
    match ours {
        Some((ours, status)) => format!(
            "cancelled by {name}: deployment {ours} of {app} goes on at Nodion (last status: {})",
            status.as_deref().unwrap_or("none seen")
        ),
        None if triggering => format!(
            "cancelled by {name} while triggering a deployment of {app}: one may have been created; check Nodion"
        ),
        None => format!("cancelled by {name} before anything was triggered for {app}"),
    }
}

/// Our deployment reached a success status, was triggered with `wait=false`, or a dry run passed.
pub const EXIT_SUCCESS: u8 = 0;
/// Our deployment reached a failure status.
pub const EXIT_FAILURE: u8 = 1;
/// Invalid input or usage; nothing was sent.
pub const EXIT_INPUT: u8 = 2;
/// The API refused a request.
pub const EXIT_REFUSED: u8 = 3;
/// The API could not be reached, or answered unusably, before a deployment was ours.
pub const EXIT_UNREACHABLE: u8 = 4;
/// A run that would exit 0 could not write all its outputs at the end: the outcome in the log
/// stands, but later steps cannot read it.
pub const EXIT_OUTPUTS_UNWRITTEN: u8 = 5;
/// Our deployment succeeded, but `verify_url` did not serve the new version before the timeout.
pub const EXIT_NOT_SERVING: u8 = 6;
/// A deployment was ours but reached no terminal status before the timeout.
pub const EXIT_TIMEOUT: u8 = 124;
/// Interrupted by SIGINT.
pub const EXIT_SIGINT: u8 = 130;
/// Interrupted by SIGTERM.
pub const EXIT_SIGTERM: u8 = 143;

/// Every exit code with its meaning, for `--help` and README.
pub const EXIT_CODES: &[(&str, &str)] = &[
    (
        "0",
        "our deployment reached a success status; or it was triggered with wait=false; or a dry run passed",
    ),
    ("1", "our deployment reached a failure status"),
    ("2", "invalid input or usage; nothing was sent"),
    (
        "3",
        "the API refused a request (400, 401, 403, 404, 422 and other non-retryable 4xx)",
    ),
    (
        "4",
        "the API could not be reached, or answered unusably, before a deployment was ours",
    ),
    (
        "5",
        "the run would have exited 0, but its outputs could not all be written at the end (a full disk, say): the outcome the log shows is real, but later steps cannot read it",
    ),
    (
        "6",
        "our deployment succeeded, but verify_url did not answer 2xx (with verify_contains in the body, when set) before the timeout",
    ),
    (
        "124",
        "a deployment was ours but reached no terminal status before the timeout",
    ),
    ("130 / 143", "interrupted by SIGINT / SIGTERM"),
];

/// The signal that cancelled a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C, or GitHub cancelling a job (first signal).
    Interrupt,
    /// `docker stop`, or GitHub's second signal.
    Terminate,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Our deployment reached a success status.
    Success,
    /// Our deployment reached a failure status.
    Failure,
    /// Triggered with `wait=false`.
    Triggered,
    /// A dry run found everything in order.
    DryRunPassed,
    /// Ours reached no terminal status before the deadline.
    Timeout,
    /// Ours succeeded, but `verify_url` did not serve the new version before the deadline.
    NotServing,
    /// Cancelled by a signal.
    Cancelled(Signal),
    /// The API refused a request (non-retryable 4xx).
    Refused,
    /// The API could not be reached or answered unusably before a deployment was ours.
    Unreachable,
    /// What the API said shows the inputs cannot work (an attach number that names no deployment,
    /// a dry run that would be refused); nothing was triggered.
    Invalid,
}

impl Outcome {
    /// The exit code that gates the pipeline.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Success | Outcome::Triggered | Outcome::DryRunPassed => EXIT_SUCCESS,
            Outcome::Failure => EXIT_FAILURE,
            Outcome::Timeout => EXIT_TIMEOUT,
            Outcome::NotServing => EXIT_NOT_SERVING,
            Outcome::Cancelled(Signal::Interrupt) => EXIT_SIGINT,
            Outcome::Cancelled(Signal::Terminate) => EXIT_SIGTERM,
            Outcome::Refused => EXIT_REFUSED,
            Outcome::Unreachable => EXIT_UNREACHABLE,
            Outcome::Invalid => EXIT_INPUT,
        }
    }

    /// The `result` output.
    pub fn result(&self) -> &'static str {
        match self {
            Outcome::Success | Outcome::DryRunPassed => "success",
            Outcome::Failure => "failure",
            Outcome::Triggered => "triggered",
            Outcome::Timeout => "timeout",
            Outcome::NotServing => "unverified",
            Outcome::Cancelled(_) => "cancelled",
            Outcome::Refused | Outcome::Unreachable | Outcome::Invalid => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_the_spec_exit_code_and_result() {
        let table = [
            (Outcome::Success, 0, "success"),
            (Outcome::Triggered, 0, "triggered"),
            (Outcome::Failure, 1, "failure"),
            (Outcome::Refused, 3, "error"),
            (Outcome::Unreachable, 4, "error"),
            (Outcome::Invalid, 2, "error"),
            (Outcome::Timeout, 124, "timeout"),
            (Outcome::NotServing, 6, "unverified"),
            (Outcome::Cancelled(Signal::Interrupt), 130, "cancelled"),
            (Outcome::Cancelled(Signal::Terminate), 143, "cancelled"),
        ];
        for (outcome, code, result) in table {
            assert_eq!(outcome.exit_code(), code, "{outcome:?}");
            assert_eq!(outcome.result(), result, "{outcome:?}");
        }
    }

    #[test]
    fn a_redacted_report_holds_the_token_nowhere_the_api_wrote() {
        let token = "tok-12345678";
        let report = Report {
            outcome: Outcome::Failure,
            application_id: "app-1".into(),
            deployment: Some(Deployment {
                status: Some(format!("failed: {token}")),
                commit_message: Some(format!("x{token}\n{token}")),
                ..Deployment::default()
            }),
            timeline: vec![(Duration::from_secs(1), format!("[{token}]"))],
            logs: vec![format!("echo {token}"), "ok".into()],
            elapsed: Duration::from_secs(2),
            ending: Ending::default(),
            url: Some(format!("https://x.test/?k={token}")),
            verified: None,
            origin: None,
        }
        .redacted(token);
        let text = format!("{report:?}");
        assert!(!text.contains(token), "{text}");
        assert_eq!(report.timeline[0].1, "[***]");
        assert_eq!(report.logs, ["echo ***", "ok"]);
        assert_eq!(report.url.as_deref(), Some("https://x.test/?k=***"));
        let d = report.deployment.unwrap();
        assert_eq!(d.status.as_deref(), Some("failed: ***"));
        assert_eq!(d.commit_message.as_deref(), Some("x***\n***"));
    }

    fn ended(outcome: Outcome, ending: Ending, status: Option<&str>) -> String {
        Report {
            outcome,
            application_id: "app-1".into(),
            deployment: status.map(|status| Deployment {
                deploy_number: Some(3),
                status: (!status.is_empty()).then(|| status.into()),
                ..Deployment::default()
            }),
            timeline: Vec::new(),
            logs: Vec::new(),
            elapsed: Duration::from_secs(95),
            ending,
            url: Some("https://app.test/health".into()),
            verified: None,
            origin: None,
        }
        .summary()
    }

    fn assert_says(cases: &[(String, &str)]) {
        for (summary, verdict) in cases {
            assert_eq!(summary, &format!("nodion-deploy: {verdict}"));
        }
    }

    /// Every way a wait ends has its one summary line, built here and nowhere else.
    #[test]
    fn each_end_of_a_wait_has_its_summary_line() {
        assert_says(&[
            (
                ended(Outcome::Success, Ending::Waited, Some("available")),
                "success: deployment #3 of app-1 is available after 1m 35s",
            ),
            (
                ended(Outcome::Failure, Ending::Waited, Some("failed")),
                "failure: deployment #3 of app-1 ended with status failed after 1m 35s",
            ),
            (
                ended(Outcome::Timeout, Ending::Waited, Some("deploying")),
                "timeout: deployment #3 of app-1 is still deploying after 1m 35s; it goes on at Nodion",
            ),
            (
                ended(Outcome::Timeout, Ending::Waited, Some("")),
                "timeout: deployment #3 of app-1 is still not listed after 1m 35s; it goes on at Nodion",
            ),
            (
                ended(
                    Outcome::Refused,
                    Ending::RefusedWhileWaiting("HTTP 401: bad token".into()),
                    Some("deploying"),
                ),
                "error: the API refused to list deployments (HTTP 401: bad token) after 1m 35s; deployment #3 goes on at Nodion",
            ),
            (
                ended(
                    Outcome::NotServing,
                    Ending::NotServing("answered 503".into()),
                    Some("available"),
                ),
                "unverified: deployment #3 of app-1 is available, but https://app.test/health answered 503 after 1m 35s",
            ),
            (
                ended(
                    Outcome::NotServing,
                    Ending::NoSuchHost {
                        host: "app.test".into(),
                        input: "verify_url".into(),
                    },
                    Some("available"),
                ),
                "unverified: deployment #3 of app-1 is available, but the host app.test of https://app.test/health does not resolve after 1m 35s: check verify_url",
            ),
            (
                ended(Outcome::Triggered, Ending::NotWaited, Some("")),
                "triggered: deployment #3 of app-1 is created; not waiting (wait=false)",
            ),
        ]);
    }

    /// So does every way a run ends before or without a wait.
    #[test]
    fn each_other_ending_has_its_summary_line() {
        assert_says(&[
            (
                ended(
                    Outcome::Unreachable,
                    Ending::Stopped("could not list deployments: reset".into()),
                    None,
                ),
                "error after 1m 35s: could not list deployments: reset",
            ),
            (
                ended(
                    Outcome::Cancelled(Signal::Terminate),
                    Ending::Cancelled { triggering: false },
                    Some("deploying"),
                ),
                "cancelled by SIGTERM: deployment #3 of app-1 goes on at Nodion (last status: deploying)",
            ),
            (
                ended(
                    Outcome::Cancelled(Signal::Interrupt),
                    Ending::Cancelled { triggering: true },
                    None,
                ),
                "cancelled by SIGINT while triggering a deployment of app-1: one may have been created; check Nodion",
            ),
            (
                ended(
                    Outcome::Cancelled(Signal::Interrupt),
                    Ending::Cancelled { triggering: false },
                    None,
                ),
                "cancelled by SIGINT before anything was triggered for app-1",
            ),
            (
                ended(Outcome::DryRunPassed, Ending::DryRunPassed, None),
                "dry run passed: the token works and application app-1 exists; nothing was triggered",
            ),
            (
                ended(
                    Outcome::Refused,
                    Ending::DryRunStopped(
                        "the API refused read the application: HTTP 404: Not found".into(),
                    ),
                    None,
                ),
                "error: the API refused read the application: HTTP 404: Not found (dry run)",
            ),
            (
                ended(
                    Outcome::Unreachable,
                    Ending::Internal("cannot start the deployment thread: x".into()),
                    None,
                ),
                "error: cannot start the deployment thread: x",
            ),
        ]);
    }
}
