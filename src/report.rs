//! What a run ended with: the [`Report`] the outputs are written from, its [`Outcome`], and the one
//! place that turns that into the `result` output and the exit code.

use std::time::Duration;

use crate::deployment::Deployment;
use crate::escape;

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
}

impl Report {
    /// The report with `secret` replaced by `***` in everything the API sent.
    pub fn redacted(&self, secret: &str) -> Report {
        Report {
            deployment: self.deployment.as_ref().map(|d| d.redacted(secret)),
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
    /// Cancelled by a signal.
    Cancelled(Signal),
    /// The API refused a request (non-retryable 4xx).
    Refused,
    /// The API could not be reached or answered unusably before a deployment was ours.
    Unreachable,
}

impl Outcome {
    /// The exit code that gates the pipeline.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Success | Outcome::Triggered | Outcome::DryRunPassed => EXIT_SUCCESS,
            Outcome::Failure => EXIT_FAILURE,
            Outcome::Timeout => EXIT_TIMEOUT,
            Outcome::Cancelled(Signal::Interrupt) => EXIT_SIGINT,
            Outcome::Cancelled(Signal::Terminate) => EXIT_SIGTERM,
            Outcome::Refused => EXIT_REFUSED,
            Outcome::Unreachable => EXIT_UNREACHABLE,
        }
    }

    /// The `result` output.
    pub fn result(&self) -> &'static str {
        match self {
            Outcome::Success | Outcome::DryRunPassed => "success",
            Outcome::Failure => "failure",
            Outcome::Triggered => "triggered",
            Outcome::Timeout => "timeout",
            Outcome::Cancelled(_) => "cancelled",
            Outcome::Refused | Outcome::Unreachable => "error",
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
            (Outcome::Timeout, 124, "timeout"),
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
        }
        .redacted(token);
        let text = format!("{report:?}");
        assert!(!text.contains(token), "{text}");
        assert_eq!(report.timeline[0].1, "[***]");
        assert_eq!(report.logs, ["echo ***", "ok"]);
        let d = report.deployment.unwrap();
        assert_eq!(d.status.as_deref(), Some("failed: ***"));
        assert_eq!(d.commit_message.as_deref(), Some("x***\n***"));
    }
}
