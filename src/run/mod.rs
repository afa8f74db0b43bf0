//! The flow (SPEC §3): a dry run, or attach / trigger (trigger.rs), then `wait=false` or the wait
//! for our deployment (watch.rs), and the application's logs after a failure or timeout
//! (failure_logs.rs). It ends in a [`Report`]; the session (session.rs) writes it out.

mod dry_run;
mod rollback;
mod wait;

use wait::Waiting;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::api::Api;
use crate::deployed::Mismatch;
use crate::ending::{Ending, Signal, Target};
use crate::failure_logs;
use crate::history::Expectation;
use crate::inputs::Settings;
use crate::log::Log;
use crate::model::{Deployment, Keep};
use crate::poll::Cancelled;
use crate::report::{Origin, Report};
use crate::retry::{Retrier, SharedClock};
use crate::trigger::{Trigger, Wanted};
use crate::verify;

/// Time kept back from the wait, when logs are wanted, to read them before the deadline.
const LOGS_RESERVE: Duration = Duration::from_secs(5);

/// What has been seen of our deployment so far: the one record the report is made from.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Our deployment as last seen.
    pub deployment: Option<Deployment>,
    /// Its status changes, with the time since the start.
    pub timeline: Vec<(Duration, String)>,
    /// Whether a trigger was (or is being) sent.
    pub triggering: bool,
    /// How our deployment became ours, once one did.
    pub origin: Option<Origin>,
    /// With `rollback`: the last good deployment before ours, read from the snapshot.
    pub rollback_target: Option<Target>,
    /// The rollback's deployment as last seen, and its status changes since its trigger.
    pub rollback: Option<(Deployment, Vec<(Duration, String)>)>,
    /// How long a deployment of the app takes, learned from the snapshot (the waits' schedule).
    pub expected: Option<Expectation>,
}

/// [`Seen`], shared with the main thread for a run that ends from outside the flow (a signal, a
/// panic).
#[derive(Clone, Default)]
pub struct Progress(Arc<Mutex<Seen>>);

impl Progress {
    /// What has been seen; a panic elsewhere never hides it.
    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut Seen)) {
        change(&mut self.seen());
    }

    /// Whether a trigger was (or is being) sent.
    pub fn triggering(&self) -> bool {
        self.seen().triggering
    }

    /// A report of what has been seen so far, for a run that ends as `ending` says.
    pub fn report(&self, ending: Ending, settings: &Settings, elapsed: Duration) -> Report {
        let seen = self.seen().clone();
        // Attach mode waits for a deployment someone else triggered (an earlier step's is said by
        // that step, wait=false or not): only this run's own is compared with what it asked for.
        let mismatch = match seen.origin {
            Some(Origin::Triggered | Origin::Adopted) => seen.deployment.as_ref().and_then(|d| {
                Mismatch::of(d, settings.commit.as_deref(), settings.image_tag.as_deref())
            }),
            Some(Origin::Attached) | None => None,
        };
        Report {
            ending,
            application_id: settings.application_id.clone(),
            deployment: seen.deployment,
            timeline: seen.timeline,
            logs: Vec::new(),
            elapsed,
            dry_run: settings.dry_run,
            rollback_asked: settings.rollback,
            url: settings.verify_url.clone(),
            verified: None,
            origin: seen.origin,
            mismatch,
        }
    }
}

/// The report of a run cancelled by `signal`.
pub fn cancelled(
    settings: &Settings,
    progress: &Progress,
    signal: Signal,
    elapsed: Duration,
) -> Report {
    let triggering = progress.triggering();
    let ending = Ending::Cancelled { signal, triggering };
    progress.report(ending, settings, elapsed)
}

/// What the snapshot keeps: the recent deployments when a rollback's target or the schedule is read
/// from it, else only the highest number.
fn snapshot_keep(settings: &Settings) -> Keep {
    match settings.rollback || !settings.intervals_set {
        true => Keep::Recent,
        false => Keep::Nothing,
    }
}

/// One run of the flow, with its collaborators injected.
pub struct Run<'a> {
    /// The validated inputs.
    pub settings: &'a Settings,
    /// The API client.
    pub api: &'a Api,
    /// The log.
    pub log: &'a Log,
    /// Time.
    pub clock: SharedClock,
    /// When the run started (the deadline counts from here).
    pub started: Instant,
    /// Randomness for the schedules' jitter.
    pub random: fastrand::Rng,
    /// Where what is seen of our deployment is recorded.
    pub progress: &'a Progress,
    /// How the check of `verify_url` looks names up.
    pub lookup: verify::Lookup,
    /// A cancelling signal received so far, if any: a cancelled job must not start a deployment.
    pub cancelled: &'a dyn Fn() -> Option<Signal>,
}

impl<'a> Run<'a> {
    fn elapsed(&self) -> Duration {
        self.clock.now().saturating_duration_since(self.started)
    }

    fn deadline(&self) -> Instant {
        self.started + self.settings.timeout
    }

    fn jitter(&mut self) -> Box<fastrand::Rng> {
        Box::new(self.random.fork())
    }

    /// The retries before a deployment is ours (the trigger's, or a dry run's).
    fn retrier(&mut self) -> Retrier<'a> {
        self.retrier_until(self.deadline())
    }

    /// Retries whose waits end before `deadline` (the rollback's).
    fn retrier_until(&mut self, deadline: Instant) -> Retrier<'a> {
        let jitter = self.jitter();
        Retrier::new(
            self.log,
            self.settings,
            self.clock.clone(),
            deadline,
            jitter,
        )
    }

    /// Runs the flow; returns its report.
    pub fn deploy(&mut self) -> Report {
        let settings = self.settings;
        let what = match &settings.image_tag {
            Some(tag) => format!(" with image tag {tag}"),
            None => String::new(),
        };
        self.log.line(&format!(
            "nodion-deploy {} · application {}{what} · {} · on {}",
            crate::VERSION,
            settings.application_id,
            settings.api_url,
            settings.destinations.platform.name()
        ));
        if settings.dry_run {
            return self.dry_run();
        }
        let (ours, seed) = match settings.deploy_number {
            Some(number) => {
                self.log.line(&format!(
                    "Attaching to deployment #{number}: nothing is triggered"
                ));
                let placeholder = Deployment {
                    deploy_number: Some(number),
                    ..Deployment::default()
                };
                self.progress.update(|seen| {
                    seen.deployment = Some(placeholder);
                    seen.origin = Some(Origin::Attached);
                });
                (number, None)
            }
            None => match self.trigger() {
                Ok(deployment) => (
                    deployment.deploy_number.unwrap_or_default(),
                    Some(deployment),
                ),
                Err(stop) => return self.stopped(stop),
            },
        };
        if seed.is_some() && !settings.wait {
            return self.report(Ending::NotWaited);
        }
        self.wait(ours, seed)
    }

    /// The report of what has been seen, ending as `ending` says.
    fn report(&self, ending: Ending) -> Report {
        self.progress.report(ending, self.settings, self.elapsed())
    }

    /// The report of a run that stopped before a deployment was ours.
    fn stopped(&self, stop: Ending) -> Report {
        // The flow noticed the signal before the main thread did: the same words either way.
        if let Ending::Cancelled { signal, .. } = stop {
            return cancelled(self.settings, self.progress, signal, self.elapsed());
        }
        self.report(stop)
    }

    /// Snapshot, trigger exactly once, reconcile (trigger.rs); our deployment is recorded.
    fn trigger(&mut self) -> Result<Deployment, Ending> {
        let progress = self.progress;
        let sending = || progress.update(|seen| seen.triggering = true);
        let retrier = self.retrier();
        let trigger = Trigger::new(
            self.api,
            self.log,
            retrier,
            self.deadline(),
            Wanted {
                image_tag: self.settings.image_tag.as_deref(),
                commit: self.settings.commit.as_deref(),
            },
            self.cancelled,
            &sending,
        );
        let (settings, log, wall) = (self.settings, self.log, self.clock.wall());
        let ((deployment, origin), (target, expected)) =
            trigger.run_with(snapshot_keep(settings), |listing| {
                let target = rollback::before_trigger(settings, log, listing)?;
                Ok((target, wait::learn(settings, log, listing, wall)))
            })?;
        progress.update(|seen| {
            seen.deployment = Some(deployment.clone());
            seen.origin = Some(origin);
            seen.rollback_target = target;
            seen.expected = expected;
        });
        Ok(deployment)
    }

    /// Waits for our deployment, then reads the application's logs after a failure or timeout.
    fn wait(&mut self, ours: u64, seed: Option<Deployment>) -> Report {
        let settings = self.settings;
        let logs_wanted = settings.failure_logs > 0;
        // The logs after a timeout are read within the timeout too.
        let reserve = if logs_wanted {
            LOGS_RESERVE.min(settings.timeout / 10)
        } else {
            Duration::ZERO
        };
        let waiting = Waiting {
            number: ours,
            seed,
            until: self.deadline() - reserve,
            deadline: self.deadline(),
            since: self.started,
            rollback: false,
        };
        let ending = match self.watch(waiting) {
            Ok(ending) => ending,
            Err(cancelled) => return self.noticed(cancelled),
        };
        let timed_out = ending == Ending::TimedOut;
        let logs = if logs_wanted && (timed_out || matches!(ending, Ending::Failed { .. })) {
            failure_logs::show(settings, self.api, self.log, self.deadline(), timed_out)
        } else {
            Vec::new()
        };
        // A success is checked at `verify_url`, when set; every other end of the wait is the run's.
        let (ending, verified) = if let Ending::Succeeded { status } = ending {
            match self.verify(status) {
                Ok(verified) => verified,
                Err(cancelled) => return self.noticed(cancelled),
            }
        } else {
            (ending, None)
        };
        let ending = match self.roll_back_if_due(ending) {
            Ok(ending) => ending,
            Err(cancelled) => return self.noticed(cancelled),
        };
        let mut report = self.report(ending);
        (report.logs, report.verified) = (logs, verified);
        report
    }

    /// After our deployment succeeded: checks `verify_url`, when set, within what is left of the
    /// deadline (the logs reserve is only for a failure or timeout, so all of it).
    fn verify(&mut self, status: String) -> Result<(Ending, Option<bool>), Cancelled> {
        let Some(url) = self.settings.verify_url.as_deref() else {
            return Ok((Ending::Succeeded { status }, None));
        };
        let served = self.until_serving(self.settings, url, self.deadline())?;
        let verified = Some(served.is_ok());
        match served {
            Ok(()) => Ok((Ending::Succeeded { status }, verified)),
            Err(not) => Ok((not.ending(self.settings, status), verified)),
        }
    }

    /// Checks `url` as `settings` say until it serves or `deadline` passes.
    fn until_serving(
        &mut self,
        settings: &Settings,
        url: &str,
        deadline: Instant,
    ) -> Result<Result<(), verify::NotServing>, Cancelled> {
        let cx = verify::Context {
            settings,
            log: self.log,
            clock: self.clock.clone(),
            started: self.started,
            lookup: self.lookup.clone(),
            cancelled: self.cancelled,
        };
        verify::until_serving(&cx, url, deadline, self.jitter())
    }

    /// The report of a run cancelled while polling: the flow noticed the signal before the main
    /// thread did, and says the same words.
    fn noticed(&self, Cancelled(signal): Cancelled) -> Report {
        cancelled(self.settings, self.progress, signal, self.elapsed())
    }

    /// Checks the token and the application with read-only requests; triggers nothing.
    fn dry_run(&mut self) -> Report {
        let retrier = self.retrier();
        match dry_run::check(self.settings, self.api, self.log, &retrier, self.deadline()) {
            Ok(()) => self.report(Ending::DryRunPassed),
            Err(stop) => self.report(stop),
        }
    }
}
