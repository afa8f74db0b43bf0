//! What a run ended with: the [`Report`] the outputs are written from (how it ended, an
//! [`Ending`], with what was seen of our deployment), and its one summary line.

use std::time::Duration;

use crate::deployed::Mismatch;
use crate::duration::{self, Precision};
use crate::ending::{Ending, Signal};
use crate::escape;
use crate::model::Deployment;

/// What the run ended with, to be written out.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it ended.
    pub ending: Ending,
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
    /// Whether it was a dry run (a stop says so).
    pub dry_run: bool,
    /// Whether `rollback` was asked (the summary says why none happened).
    pub rollback_asked: bool,
    /// `verify_url`, when set (the `url` output).
    pub url: Option<String>,
    /// Whether the app served the new version: `None` when it was not checked.
    pub verified: Option<bool>,
    /// How our deployment became ours: `None` when none did.
    pub origin: Option<Origin>,
    /// What our deployment deploys, when it is not what the pipeline asked for (deployed.rs).
    pub mismatch: Option<Mismatch>,
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

/// What every summary line may name: the run's facts, as shown.
struct Said<'a> {
    app: &'a str,
    took: String,
    /// Our deployment's number (`#3`; `#0` when none was ours).
    ours: String,
    /// Whether a deployment became ours.
    had_one: bool,
    /// Its status as last seen.
    seen: Option<String>,
    result: &'static str,
    url: &'a str,
    dry_run: bool,
}

impl Said<'_> {
    /// The line of a run stopped before a deployment was ours: the reason, as it is.
    fn stopped(&self, detail: impl std::fmt::Display) -> String {
        let (result, took) = (self.result, &self.took);
        match self.dry_run {
            true => format!("{result}: {detail} (dry run)"),
            false => format!("{result} after {took}: {detail}"),
        }
    }
}

impl Report {
    fn said(&self) -> Said<'_> {
        let number = self.deployment.as_ref().and_then(|d| d.deploy_number);
        Said {
            app: &self.application_id,
            took: duration::text(self.elapsed, Precision::Seconds),
            ours: format!("#{}", number.unwrap_or_default()),
            had_one: number.is_some(),
            seen: (self.deployment.as_ref()).and_then(|d| d.status.as_deref().map(escape::shown)),
            result: self.ending.result(),
            url: self.url.as_deref().unwrap_or_default(),
            dry_run: self.dry_run,
        }
    }

    /// The one-line verdict: the summary line without its `nodion-deploy: ` prefix, and the
    /// message of the error annotation a run that did not succeed gets. It ends by saying what
    /// our deployment deploys when that is not what the pipeline asked for.
    pub fn verdict(&self) -> String {
        let mut verdict = self.verdict_of(&self.ending);
        if let Some(why) = self.not_rolled_back() {
            verdict = format!("{verdict}; not rolled back: {why}");
        }
        match &self.mismatch {
            Some(mismatch) => format!("{verdict}; {mismatch}"),
            None => verdict,
        }
    }

    /// Why a run that asked for `rollback` did not roll back, when the summary should say so.
    fn not_rolled_back(&self) -> Option<&'static str> {
        if !self.rollback_asked {
            return None;
        }
        match &self.ending {
            Ending::Failed { .. } | Ending::NotServing { .. } | Ending::NoSuchHost { .. } => {
                // Only attach mode ends so with rollback asked: the deployment is not this run's.
                Some("attach mode waits for a deployment this run did not trigger")
            }
            Ending::TimedOut => Some("a timeout is not a failure: it may still be rolling out"),
            Ending::Cancelled { .. } => Some("the job was cancelled"),
            Ending::NotWaited => Some("wait=false does not wait for the outcome"),
            Ending::Refused(_)
            | Ending::RefusedWhileWaiting { .. }
            | Ending::Unreachable(_)
            | Ending::NotAdopted(_)
            | Ending::Internal(_) => Some("an error is not a failed deployment"),
            Ending::Succeeded { .. }
            | Ending::DryRunPassed
            | Ending::Invalid(_)
            | Ending::NotListed { .. }
            | Ending::RolledBack { .. } => None,
        }
    }

    /// The verdict for `ending`, with what was seen of our deployment.
    fn verdict_of(&self, ending: &Ending) -> String {
        let said = self.said();
        let Said {
            app,
            took,
            ours,
            seen,
            result,
            url,
            ..
        } = &said;
        let shown = escape::shown;
        match ending {
            Ending::Refused(why) => said.stopped(why),
            Ending::Unreachable(why) => said.stopped(why),
            Ending::NotAdopted(why) => said.stopped(why),
            Ending::Invalid(why) => said.stopped(why),
            Ending::Succeeded { status } => {
                format!(
                    "success: deployment {ours} of {app} is {} after {took}",
                    shown(status)
                )
            }
            Ending::NotServing { status, answered } => format!(
                "{result}: deployment {ours} of {app} is {}, but {url} {answered} after {took}",
                shown(status)
            ),
            Ending::NoSuchHost {
                status,
                host,
                input,
            } => format!(
                "{result}: deployment {ours} of {app} is {}, but the host {host} of {url} does not resolve after {took}: check {input}",
                shown(status)
            ),
            Ending::Failed { status } => format!(
                "failure: deployment {ours} of {app} ended with status {} after {took}",
                shown(status)
            ),
            Ending::TimedOut => format!(
                "{result}: deployment {ours} of {app} is still {} after {took}; it goes on at Nodion",
                seen.as_deref().unwrap_or("not listed")
            ),
            Ending::RefusedWhileWaiting { error } => format!(
                "error: the API refused to list deployments ({error}) after {took}; deployment {ours} goes on at Nodion"
            ),
            Ending::NotWaited => format!(
                "triggered: deployment {ours} of {app} is {}; not waiting (wait=false)",
                seen.as_deref().unwrap_or("created")
            ),
            Ending::Cancelled { signal, triggering } => cancelled(*signal, &said, *triggering),
            Ending::DryRunPassed => format!(
                "dry run passed: the token works and application {app} exists; nothing was triggered"
            ),
            Ending::Internal(detail) => format!("{result}: {detail}"),
            Ending::RolledBack { ours, rollback } => {
                format!("{}; {rollback}", self.verdict_of(ours))
            }
            Ending::NotListed {
                newest,
                deploy_number,
            } => format!(
                "{result}: deployment {ours} of {app} is not listed ({}) after {took}: check {deploy_number}; nothing was triggered",
                match newest {
                    0 => "none is listed".to_string(),
                    n => format!("the newest is #{n}"),
                }
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
            mismatch: self.mismatch.as_ref().map(|m| m.redacted(secret)),
            ..self.clone()
        }
    }
}

/// What a cancelled run says: the deployment it leaves going on, or that one may have been created.
fn cancelled(signal: Signal, said: &Said, triggering: bool) -> String {
    let (name, app, ours) = (signal.name(), said.app, &said.ours);
    if said.had_one {
        let status = said.seen.as_deref().unwrap_or("none seen");
        format!(
            "cancelled by {name}: deployment {ours} of {app} goes on at Nodion (last status: {status})"
        )
    } else if triggering {
        format!(
            "cancelled by {name} while triggering a deployment of {app}: one may have been created; check Nodion"
        )
    } else {
        format!("cancelled by {name} before anything was triggered for {app}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api::{ApiError, Delivery};
    use crate::ending::{NotAdopted, Refused, Unreachable};

    /// What the summary line says of a run that stopped with `ending` before a deployment was
    /// ours, after its `error after 0s: ` (for the unit tests of the stops).
    pub(crate) fn stopped(ending: Ending) -> String {
        let verdict = report(ending, None).verdict();
        match verdict.strip_prefix("error after 0s: ") {
            Some(detail) => detail.to_string(),
            None => panic!("not a stop: {verdict}"),
        }
    }

    fn report(ending: Ending, deployment: Option<Deployment>) -> Report {
        Report {
            ending,
            application_id: "app-1".into(),
            deployment,
            timeline: Vec::new(),
            logs: Vec::new(),
            elapsed: Duration::ZERO,
            dry_run: false,
            rollback_asked: false,
            url: Some("https://app.test/health".into()),
            verified: None,
            origin: None,
            mismatch: None,
        }
    }

    #[test]
    fn a_redacted_report_holds_the_token_nowhere_the_api_wrote() {
        let token = "tok-12345678";
        let deployment = Deployment {
            status: Some(format!("failed: {token}")),
            commit_message: Some(format!("x{token}\n{token}")),
            updated_at: Some(format!("2023-04-25T{token}")),
            ..Deployment::default()
        };
        let mut report = report(
            Ending::Failed {
                status: "failed".into(),
            },
            Some(deployment),
        );
        report.timeline = vec![(Duration::from_secs(1), format!("[{token}]"))];
        report.logs = vec![format!("echo {token}"), "ok".into()];
        report.url = Some(format!("https://x.test/?k={token}"));
        report.mismatch = Some(Mismatch::ImageTag {
            deployed: format!("v{token}"),
            asked: "v1".into(),
        });
        let report = report.redacted(token);
        let text = format!("{report:?}");
        assert!(!text.contains(token), "{text}");
        assert_eq!(report.timeline[0].1, "[***]");
        assert_eq!(report.logs, ["echo ***", "ok"]);
        assert_eq!(report.url.as_deref(), Some("https://x.test/?k=***"));
        let d = report.deployment.unwrap();
        assert_eq!(d.status.as_deref(), Some("failed: ***"));
        assert_eq!(d.commit_message.as_deref(), Some("x***\n***"));
        assert_eq!(d.updated_at.as_deref(), Some("2023-04-25T***"));
    }

    /// The summary line of a run that ended as `ending`, our deployment #3 last seen `status`
    /// (`None`: no deployment was ours; empty: ours was never listed), after 95 s.
    fn ended(ending: Ending, status: Option<&str>) -> String {
        let deployment = status.map(|status| Deployment {
            deploy_number: Some(3),
            status: (!status.is_empty()).then(|| status.into()),
            ..Deployment::default()
        });
        let mut report = report(ending, deployment);
        report.elapsed = Duration::from_secs(95);
        report.summary()
    }

    fn assert_says(cases: &[(String, &str)]) {
        for (summary, verdict) in cases {
            assert_eq!(summary, &format!("nodion-deploy: {verdict}"));
        }
    }

    fn status(status: &str) -> String {
        status.into()
    }

    /// Every way a wait ends has its one summary line, built here and nowhere else.
    #[test]
    fn each_end_of_a_wait_has_its_summary_line() {
        assert_says(&[
            (
                ended(
                    Ending::Succeeded {
                        status: status("available"),
                    },
                    Some("available"),
                ),
                "success: deployment #3 of app-1 is available after 1m 35s",
            ),
            (
                ended(
                    Ending::Failed {
                        status: status("failed"),
                    },
                    Some("failed"),
                ),
                "failure: deployment #3 of app-1 ended with status failed after 1m 35s",
            ),
            (
                ended(Ending::TimedOut, Some("deploying")),
                "timeout: deployment #3 of app-1 is still deploying after 1m 35s; it goes on at Nodion",
            ),
            (
                ended(Ending::TimedOut, Some("")),
                "timeout: deployment #3 of app-1 is still not listed after 1m 35s; it goes on at Nodion",
            ),
            (
                ended(
                    Ending::RefusedWhileWaiting {
                        error: ApiError::Refused {
                            status: 401,
                            message: "bad token".into(),
                        },
                    },
                    Some("deploying"),
                ),
                "error: the API refused to list deployments (HTTP 401: bad token) after 1m 35s; deployment #3 goes on at Nodion",
            ),
        ]);
    }

    /// So does every end after a success (`verify_url`), without a wait, or of an attach number never listed.
    #[test]
    fn each_end_after_a_success_or_without_a_wait_has_its_summary_line() {
        assert_says(&[
            (
                ended(
                    Ending::NotServing {
                        status: status("available"),
                        answered: "answered 503".into(),
                    },
                    Some("available"),
                ),
                "unverified: deployment #3 of app-1 is available, but https://app.test/health answered 503 after 1m 35s",
            ),
            (
                ended(
                    Ending::NoSuchHost {
                        status: status("available"),
                        host: "app.test".into(),
                        input: "verify_url".into(),
                    },
                    Some("available"),
                ),
                "unverified: deployment #3 of app-1 is available, but the host app.test of https://app.test/health does not resolve after 1m 35s: check verify_url",
            ),
            (
                ended(Ending::NotWaited, Some("")),
                "triggered: deployment #3 of app-1 is created; not waiting (wait=false)",
            ),
            (
                ended(
                    Ending::NotListed {
                        newest: 2,
                        deploy_number: "deploy_number".into(),
                    },
                    Some(""),
                ),
                "error: deployment #3 of app-1 is not listed (the newest is #2) after 1m 35s: check deploy_number; nothing was triggered",
            ),
        ]);
    }

    /// Whatever the ending, the line ends saying what our deployment deploys when it is not what
    /// the pipeline asked for.
    #[test]
    fn a_mismatch_ends_the_summary_line() {
        let mismatch = Mismatch::Commit {
            deployed: "0123456".into(),
            ours: "d77ead8".into(),
        };
        let said = |ending: Ending| {
            let deployment = Deployment {
                deploy_number: Some(3),
                status: Some("deploying".into()),
                ..Deployment::default()
            };
            let mut report = report(ending, Some(deployment));
            report.mismatch = Some(mismatch.clone());
            report.summary()
        };
        let succeeded = Ending::Succeeded {
            status: status("available"),
        };
        assert_says(&[
            (
                said(succeeded),
                "success: deployment #3 of app-1 is available after 0s; it deploys commit 0123456, not this pipeline's d77ead8",
            ),
            (
                said(Ending::TimedOut),
                "timeout: deployment #3 of app-1 is still deploying after 0s; it goes on at Nodion; it deploys commit 0123456, not this pipeline's d77ead8",
            ),
        ]);
    }

    fn unreachable(gave_up: Option<&str>, maybe_created: bool) -> Ending {
        Ending::Unreachable(Unreachable {
            doing: "list deployments",
            error: ApiError::Transient {
                reason: "reset".into(),
                retry_after: None,
                delivery: Delivery::Unknown,
            },
            gave_up: gave_up.map(String::from),
            check: String::new(),
            maybe_created,
        })
    }

    /// So does every way a run stops before a deployment is ours, dry run or not.
    #[test]
    fn each_stop_before_a_deployment_was_ours_has_its_summary_line() {
        let refused = Ending::Refused(Refused {
            doing: "read the application",
            application: "app-1".into(),
            error: ApiError::Refused {
                status: 404,
                message: "Not found".into(),
            },
            check: ": check NODION_APPLICATION_ID".into(),
        });
        let mut dry_run = report(refused.clone(), None);
        dry_run.dry_run = true;
        let several = NotAdopted::Several {
            numbers: vec![3, 4],
            more: true,
        };
        assert_says(&[
            (
                ended(unreachable(None, false), None),
                "error after 1m 35s: could not list deployments: reset",
            ),
            (
                ended(unreachable(Some("gave up after 6 retries"), true), None),
                "error after 1m 35s: could not list deployments: reset (gave up after 6 retries); a deployment may have been created: check Nodion",
            ),
            (
                ended(refused, None),
                "error after 1m 35s: the API refused to read the application for application app-1 (HTTP 404: Not found): check NODION_APPLICATION_ID",
            ),
            (
                dry_run.summary(),
                "error: the API refused to read the application for application app-1 (HTTP 404: Not found): check NODION_APPLICATION_ID (dry run)",
            ),
            (
                ended(Ending::NotAdopted(several), None),
                "error after 1m 35s: the trigger's answer was lost and deployments #3, #4, … all appeared since the snapshot: cannot tell which one is ours",
            ),
            (
                ended(
                    Ending::Invalid("invalid inputs (NODION_TIMEOUT); nothing was sent".into()),
                    None,
                ),
                "error after 1m 35s: invalid inputs (NODION_TIMEOUT); nothing was sent",
            ),
        ]);
    }

    /// So does a cancellation, a dry run that passed and an internal error.
    #[test]
    fn each_cancellation_dry_run_and_internal_error_has_its_summary_line() {
        assert_says(&[
            (
                ended(
                    Ending::Cancelled {
                        signal: Signal::Terminate,
                        triggering: false,
                    },
                    Some("deploying"),
                ),
                "cancelled by SIGTERM: deployment #3 of app-1 goes on at Nodion (last status: deploying)",
            ),
            (
                ended(
                    Ending::Cancelled {
                        signal: Signal::Interrupt,
                        triggering: true,
                    },
                    None,
                ),
                "cancelled by SIGINT while triggering a deployment of app-1: one may have been created; check Nodion",
            ),
            (
                ended(
                    Ending::Cancelled {
                        signal: Signal::Interrupt,
                        triggering: false,
                    },
                    None,
                ),
                "cancelled by SIGINT before anything was triggered for app-1",
            ),
            (
                ended(Ending::DryRunPassed, None),
                "dry run passed: the token works and application app-1 exists; nothing was triggered",
            ),
            (
                ended(
                    Ending::Internal("cannot start the deployment thread: x".into()),
                    None,
                ),
                "error: cannot start the deployment thread: x",
            ),
        ]);
    }
}
