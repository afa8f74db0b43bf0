//! How a run ended: the one [`Ending`], decided where it happened, and the one place each way of
//! telling it is decided: the exit code, the `result` output, the annotation title. The summary
//! line, which also needs what was seen of the deployment, is [`Report::verdict`].
//!
//! [`Report::verdict`]: crate::report::Report::verdict

use crate::api::ApiError;

/// How a run ended, with what decided it. Every match on it is exhaustive: a new ending is a new
/// variant plus the arms the compiler asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Our deployment reached this success status (and served, when `verify_url` was set).
    Succeeded {
        /// The status reached.
        status: String,
    },
    /// Our deployment reached this failure status.
    Failed {
        /// The status reached.
        status: String,
    },
    /// Our deployment reached no terminal status before the deadline.
    TimedOut,
    /// Triggered, and not waited for (`wait=false`).
    NotWaited,
    /// A dry run found everything in order.
    DryRunPassed,
    /// Our deployment reached success status `status`, but `verify_url` never answered as asked.
    NotServing {
        /// The success status our deployment reached.
        status: String,
        /// The app's last answer, described (`answered 503`), or why it was not checked.
        answered: String,
    },
    /// Our deployment reached success status `status`, but `verify_url`'s host does not resolve.
    NoSuchHost {
        /// The success status our deployment reached.
        status: String,
        /// The host.
        host: String,
        /// `verify_url` as the user set it (`verify_url`, `NODION_VERIFY_URL`).
        input: String,
    },
    /// Cancelled by a signal.
    Cancelled {
        /// The signal.
        signal: Signal,
        /// A trigger was (or was being) sent when it came.
        triggering: bool,
    },
    /// The API refused a request before a deployment was ours (a non-retryable 4xx).
    Refused(Refused),
    /// The API refused a poll while we waited: our deployment goes on at Nodion.
    RefusedWhileWaiting {
        /// The API's answer.
        error: ApiError,
    },
    /// The API could not be reached, or answered unusably, before a deployment was ours.
    Unreachable(Unreachable),
    /// The trigger's answer was lost, and what appeared since the snapshot cannot be adopted.
    NotAdopted(NotAdopted),
    /// The inputs were refused (before anything was sent), or a dry run read that the real run
    /// would be: each reason, in one line.
    Invalid(String),
    /// Attach mode: the number was not listed within the grace.
    NotListed {
        /// The highest deploy number listed (0 for none).
        newest: u64,
        /// What the user calls the `deploy_number` input, which named it.
        deploy_number: String,
    },
    /// A failure of the tool itself (a thread that cannot start, a panic).
    Internal(String),
    /// Our deployment failed or was not serving, and `rollback` was asked (§9): how ours ended,
    /// and how putting the last good image back went.
    RolledBack {
        /// How our deployment ended (a failure status, or not serving).
        ours: Box<Ending>,
        /// The rollback.
        rollback: Box<Rollback>,
    },
}

/// The deployment a rollback deploys the image of again: the last good one before ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Its deploy number.
    pub deploy_number: u64,
    /// Its image, as listed.
    pub image_reference: String,
    /// The tag deployed again.
    pub tag: String,
}

/// A rollback, once one was needed: its target, its own deployment and how it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rollback {
    /// What was deployed again; `None` when there was nothing to roll back to.
    pub target: Option<Target>,
    /// The rollback's own deployment as last seen; `None` when none was triggered.
    pub deployment: Option<crate::model::Deployment>,
    /// Its status changes, with the time since its trigger.
    pub timeline: Vec<(std::time::Duration, String)>,
    /// How it went.
    pub result: RollbackResult,
}

/// How a rollback went (the `rollback` output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollbackResult {
    /// The target's image is deployed again and reached this success status (and served, with
    /// `verify_url`), this long after the rollback's trigger.
    Succeeded {
        /// The success status it reached.
        status: String,
        /// Time from its trigger.
        took: std::time::Duration,
    },
    /// It was triggered (or tried) but did not put the image back: why.
    Failed(String),
    /// There was nothing to roll back to: why.
    Impossible(String),
}

impl RollbackResult {
    /// The `rollback` output's value.
    pub fn as_str(&self) -> &'static str {
        match self {
            RollbackResult::Succeeded { .. } => "succeeded",
            RollbackResult::Failed(_) => "failed",
            RollbackResult::Impossible(_) => "impossible",
        }
    }
}

/// What the summary line adds for a rollback: `rolled back to #14 (1.4.2), available after 41s`, or
/// why it did not happen and that production may be serving the broken version.
impl std::fmt::Display for Rollback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let number = self.deployment.as_ref().and_then(|d| d.deploy_number);
        let tag = self.target.as_ref().map(|t| crate::escape::shown(&t.tag));
        let broken = "production may be serving the broken version";
        match &self.result {
            RollbackResult::Succeeded { status, took } => write!(
                f,
                "rolled back to #{} ({}), {} after {}",
                number.unwrap_or_default(),
                tag.unwrap_or_default(),
                crate::escape::shown(status),
                crate::duration::text(*took, crate::duration::Precision::Seconds)
            ),
            RollbackResult::Failed(why) => write!(
                f,
                "the rollback to {} did not put it back ({why}); {broken}",
                tag.unwrap_or_default()
            ),
            RollbackResult::Impossible(why) => write!(f, "no rollback: {why}; {broken}"),
        }
    }
}

/// A request the API refused before a deployment was ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// What the request was for (`trigger a deployment`).
    pub doing: &'static str,
    /// The application it was for.
    pub application: String,
    /// The API's answer.
    pub error: ApiError,
    /// The input to check, as the user set it (`: check NODION_API_TOKEN`), or nothing.
    pub check: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Refused {
            doing,
            application,
            error,
            check,
        } = self;
        write!(
            f,
            "the API refused to {doing} for application {application} ({error}){check}"
        )
    }
}

/// A request that got no usable answer before a deployment was ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreachable {
    /// What the request was for.
    pub doing: &'static str,
    /// The last failure.
    pub error: ApiError,
    /// Why retrying stopped (`gave up after 6 retries`), when it was retried.
    pub gave_up: Option<String>,
    /// The input to check, as the user set it, or nothing.
    pub check: String,
    /// The trigger's answer may have been lost and the last look at the list failed too.
    pub maybe_created: bool,
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Unreachable {
            doing,
            error,
            gave_up,
            check,
            maybe_created,
        } = self;
        write!(f, "could not {doing}: {error}")?;
        if let Some(why) = gave_up {
            write!(f, " ({why})")?;
        }
        f.write_str(check)?;
        if *maybe_created {
            f.write_str("; a deployment may have been created: check Nodion")?;
        }
        Ok(())
    }
}

/// Why a deployment that appeared after a lost answer was not adopted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotAdopted {
    /// The one that appeared deploys another commit than the pipeline's.
    OtherCommit {
        /// Its deploy number.
        number: u64,
        /// The commit it deploys, short and shown.
        deploys: String,
        /// The pipeline's commit, short and shown.
        ours: String,
    },
    /// Several appeared: which one is ours cannot be told.
    Several {
        /// Their numbers.
        numbers: Vec<u64>,
        /// More appeared than the list showed.
        more: bool,
    },
}

impl std::fmt::Display for NotAdopted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lost = "the trigger's answer was lost and";
        match self {
            NotAdopted::OtherCommit {
                number,
                deploys,
                ours,
            } => write!(
                f,
                "{lost} deployment #{number} appeared since the snapshot, but it deploys commit {deploys}, not this pipeline's {ours}: it may be another pipeline's, so it is not adopted, and nothing is triggered again lest the application be deployed twice; check Nodion"
            ),
            NotAdopted::Several { numbers, more } => {
                let numbers: Vec<String> = numbers.iter().map(|n| format!("#{n}")).collect();
                write!(
                    f,
                    "{lost} deployments {}{} all appeared since the snapshot: cannot tell which one is ours",
                    numbers.join(", "),
                    if *more { ", …" } else { "" }
                )
            }
        }
    }
}

/// The signal that cancelled a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C, or GitHub cancelling a job (first signal).
    Interrupt,
    /// `docker stop`, or GitHub's second signal.
    Terminate,
}

impl Signal {
    /// Its name (`SIGINT`).
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

impl Ending {
    /// The exit code that gates the pipeline.
    pub fn exit_code(&self) -> u8 {
        match self {
            Ending::Succeeded { .. } | Ending::NotWaited | Ending::DryRunPassed => EXIT_SUCCESS,
            Ending::Failed { .. } => EXIT_FAILURE,
            Ending::TimedOut => EXIT_TIMEOUT,
            Ending::NotServing { .. } | Ending::NoSuchHost { .. } => EXIT_NOT_SERVING,
            Ending::Cancelled {
                signal: Signal::Interrupt,
                ..
            } => EXIT_SIGINT,
            Ending::Cancelled {
                signal: Signal::Terminate,
                ..
            } => EXIT_SIGTERM,
            Ending::Refused(_) | Ending::RefusedWhileWaiting { .. } => EXIT_REFUSED,
            Ending::Unreachable(_) | Ending::NotAdopted(_) | Ending::Internal(_) => {
                EXIT_UNREACHABLE
            }
            Ending::Invalid(_) | Ending::NotListed { .. } => EXIT_INPUT,
            Ending::RolledBack { ours, rollback } => match rollback.result {
                RollbackResult::Succeeded { .. } => ours.exit_code(),
                RollbackResult::Failed(_) | RollbackResult::Impossible(_) => EXIT_ROLLBACK_FAILED,
            },
        }
    }

    /// The `result` output.
    pub fn result(&self) -> &'static str {
        match self {
            Ending::Succeeded { .. } | Ending::DryRunPassed => "success",
            Ending::Failed { .. } => "failure",
            Ending::NotWaited => "triggered",
            Ending::TimedOut => "timeout",
            Ending::NotServing { .. } | Ending::NoSuchHost { .. } => "unverified",
            Ending::Cancelled { .. } => "cancelled",
            Ending::Refused(_)
            | Ending::RefusedWhileWaiting { .. }
            | Ending::Unreachable(_)
            | Ending::NotAdopted(_)
            | Ending::Invalid(_)
            | Ending::NotListed { .. }
            | Ending::Internal(_) => "error",
            Ending::RolledBack { ours, .. } => ours.result(),
        }
    }

    /// The title of the one error annotation a run that did not succeed gets (GitHub); `None` for
    /// one that did.
    pub fn annotation_title(&self) -> Option<&'static str> {
        match self {
            Ending::Succeeded { .. } | Ending::NotWaited | Ending::DryRunPassed => None,
            Ending::Failed { .. } => Some("Nodion deployment failed"),
            Ending::TimedOut => Some("Nodion deployment timed out"),
            Ending::NotServing { .. } | Ending::NoSuchHost { .. } => {
                Some("Nodion deployment not serving")
            }
            Ending::Cancelled { .. } => Some("Nodion deployment cancelled"),
            Ending::Refused(_)
            | Ending::RefusedWhileWaiting { .. }
            | Ending::Unreachable(_)
            | Ending::NotAdopted(_)
            | Ending::Internal(_) => Some("Nodion deployment error"),
            Ending::Invalid(_) | Ending::NotListed { .. } => {
                Some("Nodion deployment: invalid inputs")
            }
            Ending::RolledBack { ours, rollback } => match rollback.result {
                RollbackResult::Succeeded { .. } => ours.annotation_title(),
                RollbackResult::Failed(_) | RollbackResult::Impossible(_) => {
                    Some("Nodion deployment failed and was not rolled back")
                }
            },
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
/// A run that would exit 0 could not write all its outputs at the end: the outcome in the log
/// stands, but later steps cannot read it.
pub const EXIT_OUTPUTS_UNWRITTEN: u8 = 5;
/// Our deployment succeeded, but `verify_url` did not serve the new version before the timeout.
pub const EXIT_NOT_SERVING: u8 = 6;
/// A rollback was needed but failed or was impossible: production may be serving a broken version.
pub const EXIT_ROLLBACK_FAILED: u8 = 7;
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
        "7",
        "a rollback was needed (rollback: true) but failed or was impossible: production may be serving a broken version",
    ),
    (
        "124",
        "a deployment was ours but reached no terminal status before the timeout",
    ),
    ("130 / 143", "interrupted by SIGINT / SIGTERM"),
];

#[cfg(test)]
mod tests {
    use super::*;

    const ERROR: Option<&str> = Some("Nodion deployment error");
    const INVALID: Option<&str> = Some("Nodion deployment: invalid inputs");

    /// Each ending has the exit code, `result` and annotation title SPEC §4/§5 give it.
    fn assert_each(table: Vec<(Ending, u8, &str, Option<&str>)>) {
        for (ending, code, result, title) in table {
            assert_eq!(ending.exit_code(), code, "{ending:?}");
            assert_eq!(ending.result(), result, "{ending:?}");
            assert_eq!(ending.annotation_title(), title, "{ending:?}");
        }
    }

    #[test]
    fn every_end_of_our_deployment_has_the_spec_exit_code_result_and_title() {
        let status = || "s".to_string();
        let unverified = Some("Nodion deployment not serving");
        let cancel = |signal| Ending::Cancelled {
            signal,
            triggering: false,
        };
        let cancelled = Some("Nodion deployment cancelled");
        assert_each(vec![
            (Ending::Succeeded { status: status() }, 0, "success", None),
            (Ending::NotWaited, 0, "triggered", None),
            (Ending::DryRunPassed, 0, "success", None),
            (
                Ending::Failed { status: status() },
                1,
                "failure",
                Some("Nodion deployment failed"),
            ),
            (
                Ending::NotServing {
                    status: status(),
                    answered: "answered 503".into(),
                },
                6,
                "unverified",
                unverified,
            ),
            (
                Ending::NoSuchHost {
                    status: status(),
                    host: "h".into(),
                    input: "verify_url".into(),
                },
                6,
                "unverified",
                unverified,
            ),
            (
                Ending::TimedOut,
                124,
                "timeout",
                Some("Nodion deployment timed out"),
            ),
            (cancel(Signal::Interrupt), 130, "cancelled", cancelled),
            (cancel(Signal::Terminate), 143, "cancelled", cancelled),
        ]);
    }

    #[test]
    fn every_error_has_the_spec_exit_code_result_and_title() {
        let error = ApiError::Refused {
            status: 403,
            message: "no".into(),
        };
        let not_listed = Ending::NotListed {
            newest: 0,
            deploy_number: "deploy_number".into(),
        };
        let refused = Ending::Refused(Refused {
            doing: "x",
            application: "app-1".into(),
            error: error.clone(),
            check: String::new(),
        });
        let unreachable = Ending::Unreachable(Unreachable {
            doing: "x",
            error: error.clone(),
            gave_up: None,
            check: String::new(),
            maybe_created: false,
        });
        let several = Ending::NotAdopted(NotAdopted::Several {
            numbers: vec![3, 4],
            more: false,
        });
        assert_each(vec![
            (Ending::Invalid("x".into()), 2, "error", INVALID),
            (not_listed, 2, "error", INVALID),
            (refused, 3, "error", ERROR),
            (Ending::RefusedWhileWaiting { error }, 3, "error", ERROR),
            (unreachable, 4, "error", ERROR),
            (several, 4, "error", ERROR),
            (Ending::Internal("x".into()), 4, "error", ERROR),
        ]);
    }
}
