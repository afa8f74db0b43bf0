//! The wait for a deployment, ours or the rollback's: the list polled (by `poll.rs`) until the
//! deployment is terminal, each status change recorded where the report reads it and logged.

use std::time::{Instant, SystemTime};

use super::Run;
use crate::duration::{self, Precision};
use crate::ending::Ending;
use crate::escape::shown;
use crate::history::{self, Expectation};
use crate::inputs::DEPLOY_NUMBER;
use crate::inputs::Settings;
use crate::log::Log;
use crate::model::{Deployment, Keep, Listing};
use crate::poll::{Cancelled, Deadline, Poller};
use crate::schedule::Schedule;
use crate::watch::{Event, Rules, Watch};

/// How long a deployment of the app takes, from `listing` (the snapshot) at `now`, when the
/// schedule may learn (neither interval set); the log says what was learned.
pub(super) fn learn(
    settings: &Settings,
    log: &Log,
    listing: &Listing,
    now: SystemTime,
) -> Option<Expectation> {
    if settings.intervals_set {
        return None;
    }
    let learned = history::learn(&listing.kept, &settings.success_statuses, now);
    match &learned {
        Some(learned) => log.line(&learned.describe()),
        None => log.debug(&format!(
            "The default poll schedule: fewer than {} recent deployments with a success status show when they were created and last updated",
            history::MIN_DEPLOYMENTS
        )),
    }
    learned
}

/// One wait for a deployment: ours, or the rollback's.
pub(super) struct Waiting {
    /// Its deploy number.
    pub(super) number: u64,
    /// What its trigger answered (none in attach mode: it may be finished already).
    pub(super) seed: Option<Deployment>,
    /// When polling ends (ours: the deadline, less the logs reserve).
    pub(super) until: Instant,
    /// What each request is bounded by.
    pub(super) deadline: Instant,
    /// When it started: times in the log count from here.
    pub(super) since: Instant,
    /// The rollback's: recorded apart from ours, inside the rollback's section of the log.
    pub(super) rollback: bool,
}

impl Run<'_> {
    /// Polls until the deployment is terminal, `until` passes or the API refuses; no poll is sent
    /// once the job is cancelled.
    pub(super) fn watch(&mut self, w: Waiting) -> Result<Ending, Cancelled> {
        let settings = self.settings;
        let rules = Rules {
            success: settings.success_statuses.clone(),
            failure: settings.failure_statuses.clone(),
            deploy_number: settings.names.name(&DEPLOY_NUMBER),
        };
        let expected = self.progress.seen().expected.clone();
        let schedule = Schedule::for_deployment(settings, expected.as_ref(), self.jitter());
        let (number, now) = (w.number, self.clock.now());
        let mut watch = Watch::new(number, rules, w.since, schedule, now, w.seed.is_none());
        if !w.rollback {
            self.log.begin_section(
                "nodion_deploy_wait",
                &format!(
                    "Waiting for deployment #{number} (timeout {}, success: {}, failure: {})",
                    duration::text(settings.timeout, Precision::Exact),
                    settings.success_statuses.join(","),
                    settings.failure_statuses.join(",")
                ),
            );
        }
        if let Some(seed) = w.seed.clone() {
            let events = watch.seed(self.clock.now(), seed);
            self.record(&w, &watch, events);
        }
        let poller = Poller::new(&*self.clock, Deadline::at(w.until), self.cancelled);
        let verdict = poller.run(
            &mut watch,
            |polls| self.api.list(w.deadline, polls, Keep::Number(number)),
            |watch, event| self.record(&w, watch, [event]),
        );
        if !w.rollback {
            self.log.end_section();
        }
        verdict
    }

    /// Records what the wait saw (the deployment, each status change: ours, or the rollback's)
    /// and logs its events.
    fn record(&self, w: &Waiting, watch: &Watch, events: impl IntoIterator<Item = Event>) {
        for event in events {
            if let Event::Status { status, elapsed } = &event {
                let deployment = watch.deployment().cloned();
                let change = (*elapsed, status.clone());
                self.progress.update(|seen| match w.rollback {
                    false => {
                        seen.deployment = deployment;
                        seen.timeline.push(change);
                    }
                    true => {
                        let (seen, timeline) = seen.rollback.get_or_insert_default();
                        *seen = deployment.unwrap_or_default();
                        timeline.push(change);
                    }
                });
            }
            self.log.line(&self.describe(w.number, event));
        }
    }

    fn describe(&self, ours: u64, event: Event) -> String {
        let at = |elapsed| {
            let elapsed = duration::text(elapsed, Precision::Seconds);
            format!("[{elapsed:>7}] #{ours}")
        };
        match event {
            Event::Status { status, elapsed } => format!("{} {}", at(elapsed), shown(&status)),
            Event::UnknownStatus(status) => format!(
                "          '{}' is not a status nodion-deploy knows: it counts as in progress, never as success (see success_statuses / failure_statuses)",
                shown(&status)
            ),
            Event::Heartbeat { status, elapsed } => format!(
                "{} still {}",
                at(elapsed),
                status
                    .map(|s| shown(&s))
                    .unwrap_or_else(|| "not listed".into())
            ),
            Event::NotListed => format!("{} is not in the deployment list yet", at(self.elapsed())),
            Event::Retrying(reason) => format!(
                "[{:>7}] listing deployments failed: {reason}; retrying",
                duration::text(self.elapsed(), Precision::Seconds)
            ),
        }
    }
}
