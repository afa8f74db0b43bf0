//! Rollback (SPEC §9): the last good image, read from the snapshot before our trigger; after our
//! own deployment failed or was not serving, that image deployed again, once, by the same
//! never-twice trigger, waited for within `rollback_timeout` and checked at `verify_url`.

use std::time::Instant;

use super::{Progress, Run, Waiting};
use crate::deployed::tag_of;
use crate::duration::{self, Precision};
use crate::ending::{Ending, Rollback, RollbackResult, Target};
use crate::escape::shown;
use crate::inputs::{ROLLBACK, Settings};
use crate::log::Log;
use crate::model::{Deployment, Listing};
use crate::poll::Cancelled;
use crate::report::{Origin, Report};
use crate::trigger::{Trigger, Wanted};

/// The last good deployment in `listing`: the highest-numbered one with a status in `success`
/// and an image with a tag.
pub(super) fn target(listing: &Listing, success: &[String]) -> Option<Target> {
    let good = |d: &&Deployment| d.status_key().is_some_and(|s| success.contains(&s));
    let target = |d: &Deployment| {
        let image_reference = d.image_reference.clone()?;
        Some(Target {
            deploy_number: d.deploy_number?,
            tag: tag_of(&image_reference)?.to_string(),
            image_reference,
        })
    };
    let targets = listing.kept.iter().filter(good).filter_map(target);
    targets.max_by_key(|t| t.deploy_number)
}

/// `rollback: true` for an application whose `strategy` (when known) is not a prebuilt image: the
/// problem, naming the input as it was set. Git-based apps deploy the head of a branch, so no API
/// call can put an older commit back.
pub(super) fn refusal(settings: &Settings, strategy: Option<&str>) -> Option<String> {
    let strategy = strategy.filter(|s| !s.to_ascii_lowercase().contains("image"))?;
    Some(format!(
        "rollback is for prebuilt-image applications, but {} deploys with strategy {}: Nodion deploys the head of its branch, so no older commit can be put back; unset {}",
        settings.application_id,
        shown(strategy),
        settings.names.name(&ROLLBACK)
    ))
}

/// What the log says of the target before anything is triggered.
pub(super) fn describe(settings: &Settings, target: Option<&Target>) -> String {
    match target {
        Some(t) if settings.image_tag.as_deref() == Some(t.tag.as_str()) => format!(
            "Rollback target: none: the last good deployment, #{}, deploys {}, the tag asked for",
            t.deploy_number,
            shown(&t.tag)
        ),
        Some(t) => format!(
            "Rollback target: #{}, {}",
            t.deploy_number,
            shown(&t.image_reference)
        ),
        None => "Rollback target: none: no earlier deployment reached a success status with a tagged image".into(),
    }
}

/// Before our trigger, with `rollback`: an application the latest deployment shows to deploy from
/// git is refused (nothing is triggered), and the log names the target, or says why there is none.
pub(super) fn before_trigger(
    settings: &Settings,
    log: &Log,
    listing: &Listing,
) -> Result<Option<Target>, Ending> {
    if !settings.rollback {
        return Ok(None);
    }
    let latest = listing.kept.first().and_then(|d| d.strategy.as_deref());
    if let Some(problem) = refusal(settings, latest) {
        return Err(Ending::Invalid(problem));
    }
    let target = target(listing, &settings.success_statuses);
    log.line(&describe(settings, target.as_ref()));
    Ok(target)
}

impl Progress {
    /// How our deployment became ours, and the rollback target read from the snapshot.
    fn rollback_state(&self) -> (Option<Origin>, Option<Target>) {
        let seen = self.seen();
        (seen.origin, seen.rollback_target.clone())
    }

    /// The rollback's deployment as last seen, and its status changes.
    fn rollback_seen(&self) -> (Option<Deployment>, Vec<(std::time::Duration, String)>) {
        let seen = self.seen();
        match seen.rollback.clone() {
            Some((deployment, timeline)) => (Some(deployment), timeline),
            None => (None, Vec::new()),
        }
    }
}

impl Run<'_> {
    /// After the wait (and the check of `verify_url`): when `rollback` was asked and our own
    /// deployment failed or was not serving, the last good image is deployed again, once.
    pub(super) fn roll_back_if_due(&mut self, ours: Ending) -> Result<Ending, Cancelled> {
        let failed = matches!(
            ours,
            Ending::Failed { .. } | Ending::NotServing { .. } | Ending::NoSuchHost { .. }
        );
        let (origin, target) = self.progress.rollback_state();
        if !self.settings.rollback || !failed || origin == Some(Origin::Attached) {
            return Ok(ours);
        }
        let same = |t: &Target| self.settings.image_tag.as_deref() == Some(t.tag.as_str());
        let rollback = match target {
            Some(target) if !same(&target) => self.roll_back(target)?,
            Some(target) => impossible(
                Some(target.clone()),
                format!(
                    "the last good deployment, #{}, deploys {}, the tag that failed",
                    target.deploy_number,
                    shown(&target.tag)
                ),
            ),
            None => impossible(
                None,
                "no earlier deployment reached a success status with a tagged image".into(),
            ),
        };
        Ok(Ending::RolledBack {
            ours: Box::new(ours),
            rollback: Box::new(rollback),
        })
    }

    /// Deploys `target`'s image again, in its own section of the log.
    fn roll_back(&mut self, target: Target) -> Result<Rollback, Cancelled> {
        let since = self.clock.now();
        let timeout = self.settings.rollback_timeout;
        self.log.begin_section(
            "nodion_deploy_rollback",
            &format!(
                "Rolling back: deploying {} again, the image of #{} (rollback_timeout {})",
                shown(&target.image_reference),
                target.deploy_number,
                duration::text(timeout, Precision::Exact)
            ),
        );
        let result = self.roll_back_to(&target, since, since + timeout);
        if let Ok(result) = &result {
            self.log.line(&format!("Rollback {}", result.as_str()));
        }
        self.log.end_section();
        let (deployment, timeline) = self.progress.rollback_seen();
        Ok(Rollback {
            target: Some(target),
            deployment,
            timeline,
            result: result?,
        })
    }

    /// The rollback's trigger, wait and check, all by `deadline`.
    fn roll_back_to(
        &mut self,
        target: &Target,
        since: Instant,
        deadline: Instant,
    ) -> Result<RollbackResult, Cancelled> {
        let retrier = self.retrier_until(deadline);
        let wanted = Wanted {
            image_tag: Some(&target.tag),
            commit: None,
        };
        let sending = || {};
        let trigger = Trigger::new(
            self.api,
            self.log,
            retrier,
            deadline,
            wanted,
            self.cancelled,
            &sending,
        );
        let deployment = match trigger.run() {
            Ok((deployment, _)) => deployment,
            Err(Ending::Cancelled { signal, .. }) => return Err(Cancelled(signal)),
            Err(stop) => return Ok(self.failed(stop, None, since)),
        };
        self.progress
            .update(|seen| seen.rollback = Some((deployment.clone(), Vec::new())));
        let number = deployment.deploy_number.unwrap_or_default();
        let waiting = Waiting {
            number,
            seed: Some(deployment),
            until: deadline,
            deadline,
            since,
            rollback: true,
        };
        let ending = self.watch(waiting)?;
        let (deployment, _) = self.progress.rollback_seen();
        let Ending::Succeeded { status } = ending else {
            return Ok(self.failed(ending, deployment, since));
        };
        let Some(url) = self.settings.verify_url.clone() else {
            let took = self.clock.now().saturating_duration_since(since);
            return Ok(RollbackResult::Succeeded { status, took });
        };
        // `verify_contains` names the new version, which this is not: any 2xx serves.
        let settings = Settings {
            verify_contains: None,
            ..self.settings.clone()
        };
        match self.until_serving(&settings, &url, deadline)? {
            Ok(()) => {
                let took = self.clock.now().saturating_duration_since(since);
                Ok(RollbackResult::Succeeded { status, took })
            }
            Err(not) => Ok(self.failed(not.ending(&settings, status), deployment, since)),
        }
    }

    /// A rollback that did not put the image back: its own ending, said as a summary line is.
    fn failed(
        &self,
        ending: Ending,
        deployment: Option<Deployment>,
        since: Instant,
    ) -> RollbackResult {
        let report = Report {
            deployment,
            elapsed: self.clock.now().saturating_duration_since(since),
            rollback_asked: false,
            mismatch: None,
            ..self.progress.report(ending, self.settings, self.elapsed())
        };
        RollbackResult::Failed(report.verdict())
    }
}

/// A rollback that was needed but had nothing to put back.
fn impossible(target: Option<Target>, why: String) -> Rollback {
    Rollback {
        target,
        deployment: None,
        timeline: Vec::new(),
        result: RollbackResult::Impossible(why),
    }
}
