//! The time before a deployment is ours: snapshot the list, trigger exactly once, and reconcile an
//! answer that may have been lost against the list before anything is sent again: over a grace of
//! several looks, since the list may lag behind the trigger. The retries and the grace's waits run
//! on `retry.rs`'s injected clock, so the unit tests below drive them without sleeping.

use std::time::{Duration, Instant};

use crate::api::{Api, ApiError, Delivery};
use crate::deployed::{same_commit, short_sha};
use crate::duration::{self, Precision};
use crate::ending::{Ending, NotAdopted, Signal, Unreachable};
use crate::escape::{self, shown};
use crate::log::Log;
use crate::model::{Deployment, Keep, Listing};
use crate::report::Origin;
use crate::retry::{Failure, Retrier};
use crate::schedule::Ladder;
use crate::watch::{ATTACH_GRACE, ATTACH_GRACE_POLLS};

/// After an answer that may have been acted on was lost, "nothing was created" is concluded only
/// once this many looks at the list answered without a new deployment (a list may lag behind the
/// trigger for a look or two): the attach grace's count.
pub const LOST_ANSWER_LOOKS: u32 = ATTACH_GRACE_POLLS;
/// The looks are spaced like polls (`poll_interval`, growing to `max_poll_interval`: 2 s, 3 s and
/// 4.5 s with the defaults), but span at most this long, the attach grace's time; none is due past
/// the deadline. Unlike the attach grace's, this time never ends the grace by itself: failed looks
/// in between can make the fourth look later, not a lagging list's lag shorter.
pub const LOST_ANSWER_GRACE: Duration = ATTACH_GRACE;
/// The longest wait between two looks after a lost answer, so that they span at most
/// [`LOST_ANSWER_GRACE`] (10 s).
pub const LOST_ANSWER_LONGEST_WAIT: Duration =
    Duration::from_secs(LOST_ANSWER_GRACE.as_secs() / (LOST_ANSWER_LOOKS as u64 - 1));

/// What the trigger needs of the API: the real client, or a scripted one in tests.
pub trait Deployments {
    /// Lists the deployments, keeping what `keep` asks for.
    fn list(&self, deadline: Instant, attempt: u32, keep: Keep) -> Result<Listing, ApiError>;
    /// Triggers a deployment.
    fn trigger(
        &self,
        image_tag: Option<&str>,
        deadline: Instant,
        attempt: u32,
    ) -> Result<Deployment, ApiError>;
}

impl Deployments for Api {
    fn list(&self, deadline: Instant, attempt: u32, keep: Keep) -> Result<Listing, ApiError> {
        Api::list(self, deadline, attempt, keep)
    }

    fn trigger(
        &self,
        image_tag: Option<&str>,
        deadline: Instant,
        attempt: u32,
    ) -> Result<Deployment, ApiError> {
        Api::trigger(self, image_tag, deadline, attempt)
    }
}

/// Snapshot, trigger and reconcile, with their collaborators injected.
pub struct Trigger<'a> {
    api: &'a dyn Deployments,
    log: &'a Log,
    retrier: Retrier<'a>,
    deadline: Instant,
    wanted: Wanted<'a>,
    /// A cancelling signal received so far, if any: a cancelled job must not start a deployment.
    cancelled: &'a dyn Fn() -> Option<Signal>,
    /// Told just before a trigger is sent (a cancellation then says one may have been created).
    sending: &'a dyn Fn(),
}

/// What this run asks Nodion to deploy, as far as it knows: a deployment that appeared after a lost
/// answer and deploys something else is not ours.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wanted<'a> {
    /// The image tag sent (`image_tag`): a deployment of another image is someone else's.
    pub image_tag: Option<&'a str>,
    /// The pipeline's commit, when the platform names it: Nodion deploys the head of the
    /// application's branch, which may be another commit, so a deployment of another commit is
    /// neither adopted nor a reason to trigger again.
    pub commit: Option<&'a str>,
}

/// What the trigger loop knows between attempts.
#[derive(Default)]
struct Attempts {
    /// The last answer may have been lost, and the list has not said yet what became of it.
    lost: Option<Grace>,
    checks: u32,
    sends: u32,
}

/// Looking for what a lost answer may have created, in a list that may lag behind the trigger.
struct Grace {
    /// The lost answer, for a run that must stop before the grace is over.
    error: ApiError,
    /// When it was lost.
    since: Instant,
    /// The looks that answered without a new deployment so far.
    looks: u32,
    /// The waits between looks.
    schedule: Ladder,
}

/// What the looks after a lost answer found.
enum Settled {
    /// The one deployment that appeared since the snapshot: ours (boxed: a deployment is large).
    Adopted(Box<Deployment>),
    /// None appeared over the whole grace: the trigger did not get through.
    Nothing { looks: u32, over: Duration },
    /// The deadline comes before the next look is due.
    Cut,
}

impl<'a> Trigger<'a> {
    /// A trigger for one run, retrying within `retrier`'s budget.
    pub fn new(
        api: &'a dyn Deployments,
        log: &'a Log,
        retrier: Retrier<'a>,
        deadline: Instant,
        wanted: Wanted<'a>,
        cancelled: &'a dyn Fn() -> Option<Signal>,
        sending: &'a dyn Fn(),
    ) -> Trigger<'a> {
        Trigger {
            api,
            log,
            retrier,
            deadline,
            wanted,
            cancelled,
            sending,
        }
    }

    /// Snapshots the list, then triggers exactly once; returns our deployment and how it became
    /// ours.
    pub fn run(&self) -> Result<(Deployment, Origin), Ending> {
        let ((deployment, origin), ()) = self.run_with(Keep::Nothing, |_| Ok(()))?;
        Ok((deployment, origin))
    }

    /// [`Trigger::run`], with the snapshot keeping what `keep` asks for and read by `snapshot`
    /// before anything is sent: what it returns comes back beside our deployment, and an ending
    /// it returns stops the run with nothing sent.
    pub fn run_with<T>(
        &self,
        keep: Keep,
        snapshot: impl FnOnce(&Listing) -> Result<T, Ending>,
    ) -> Result<((Deployment, Origin), T), Ending> {
        let listing = self.retrier.request("list deployments", |attempt| {
            self.api.list(self.deadline, attempt, keep)
        })?;
        let before = listing.highest;
        let read = snapshot(&listing)?;
        // Only the snapshot's success restarts the waits: a reconciliation list that succeeds
        // between failed triggers says nothing about the trigger getting through.
        self.retrier.restart();
        self.log.line(&match before {
            0 => "No earlier deployments".to_string(),
            n => format!("Latest deployment before ours: #{n}"),
        });
        let mut attempts = Attempts::default();
        let ours = match self
            .retrier
            .retrying(|_| self.attempt(before, &mut attempts))
        {
            Err(stop) if attempts.lost.is_some() => self.last_check(before, &mut attempts, stop),
            result => result,
        }?;
        Ok((ours, read))
    }

    /// One attempt: when an answer may have been lost, the looks at the list until its grace is
    /// over; then one trigger.
    fn attempt(&self, before: u64, state: &mut Attempts) -> Result<(Deployment, Origin), Failure> {
        if let Attempts {
            lost: Some(grace),
            checks,
            ..
        } = state
        {
            match self.settle(before, grace, checks)? {
                Settled::Adopted(adopted) => return Ok((*adopted, Origin::Adopted)),
                Settled::Nothing { looks, over } => self.log.line(&format!(
                    "{}: triggering again",
                    nothing_appeared(looks, over)
                )),
                Settled::Cut => return Err(Failure::Stop(cut_short(grace))),
            }
            state.lost = None;
        }
        if let Some(signal) = (self.cancelled)() {
            return Err(Failure::Stop(Ending::Cancelled {
                signal,
                triggering: state.sends > 0,
            }));
        }
        (self.sending)();
        state.sends += 1;
        let answer = self
            .api
            .trigger(self.wanted.image_tag, self.deadline, state.sends);
        self.answered(before, answer, state)
    }

    /// What the trigger's answer means: ours, or a failure; an answer that may have been acted on
    /// starts a grace (none for a request that never left, nor for a 408 or 429).
    fn answered(
        &self,
        before: u64,
        answer: Result<Deployment, ApiError>,
        state: &mut Attempts,
    ) -> Result<(Deployment, Origin), Failure> {
        let error = match answer {
            Ok(deployment) if deployment.deploy_number.is_some_and(|n| n > before) => {
                self.log.line(&format!(
                    "Triggered deployment #{} ({})",
                    deployment.deploy_number.unwrap_or_default(),
                    describe(&deployment)
                ));
                return Ok((deployment, Origin::Triggered));
            }
            // Not newer than the snapshot: not what this trigger created.
            Ok(stale) => ApiError::Transient {
                reason: format!(
                    "the trigger answered with deployment #{}, which is not newer than #{before}",
                    stale.deploy_number.unwrap_or_default()
                ),
                retry_after: None,
                delivery: Delivery::Unknown,
            },
            Err(error) => error,
        };
        if let ApiError::Transient {
            delivery: Delivery::Unknown,
            ..
        } = error
        {
            state.lost = Some(Grace {
                error: error.clone(),
                since: self.retrier.now(),
                looks: 0,
                schedule: self.retrier.poll_schedule(),
            });
        }
        Err(Failure::Request {
            doing: "trigger a deployment",
            error,
        })
    }

    /// After a lost answer: looks at the list, spaced like polls, until the deployment the trigger
    /// may have created shows, or the grace is over. A failed look is the retrier's to retry (the
    /// grace goes on after it); a deployment that cannot be adopted stops the run.
    fn settle(&self, before: u64, grace: &mut Grace, checks: &mut u32) -> Result<Settled, Failure> {
        loop {
            *checks += 1;
            let listing = self
                .api
                .list(self.deadline, *checks, Keep::NewerThan(before))
                .map_err(|error| Failure::Request {
                    doing: "check for a deployment after a lost answer",
                    error,
                })?;
            if let Some(adopted) = self.reconcile(listing).map_err(Failure::Stop)? {
                return Ok(Settled::Adopted(Box::new(adopted)));
            }
            grace.looks += 1;
            if grace.looks >= LOST_ANSWER_LOOKS {
                return Ok(Settled::Nothing {
                    looks: grace.looks,
                    over: self.retrier.now().saturating_duration_since(grace.since),
                });
            }
            let wait = grace.schedule.next_wait().min(LOST_ANSWER_LONGEST_WAIT);
            if !self.retrier.pause(wait) {
                return Ok(Settled::Cut);
            }
        }
    }

    /// After an answer was lost: the one deployment that appeared since the snapshot is ours;
    /// none means the trigger did not get through; several cannot be told apart. One that deploys
    /// another image than ours is someone else's; one that deploys another commit than the
    /// pipeline's may be ours (Nodion deploys its branch's head) or not, so it stops the run.
    fn reconcile(&self, listing: Listing) -> Result<Option<Deployment>, Ending> {
        let mut newer: Vec<Deployment> = listing
            .kept
            .into_iter()
            .filter(|d| match (self.wanted.image_tag, &d.image_reference) {
                (Some(tag), Some(image)) => image.ends_with(&format!(":{tag}")),
                _ => true,
            })
            .collect();
        if let (Some(commit), [only]) = (self.wanted.commit, newer.as_slice())
            && let Some(sha) = only.git_sha.as_deref()
            && !same_commit(commit, sha)
        {
            return Err(Ending::NotAdopted(NotAdopted::OtherCommit {
                number: only.deploy_number.unwrap_or_default(),
                deploys: short_sha(sha),
                ours: short_sha(commit),
            }));
        }
        match newer.len() {
            0 => Ok(None),
            1 if !listing.more => {
                let adopted = newer.remove(0);
                self.log.line(&format!(
                    "Not triggered by this run: {} ({}); not triggering again",
                    Origin::adopted(adopted.deploy_number.unwrap_or_default()),
                    describe(&adopted)
                ));
                Ok(Some(adopted))
            }
            _ => {
                // Someone else triggered too: guessing could report another deployment's result,
                // and triggering again could deploy twice.
                Err(Ending::NotAdopted(NotAdopted::Several {
                    numbers: newer.iter().filter_map(|d| d.deploy_number).collect(),
                    more: listing.more,
                }))
            }
        }
    }

    /// Giving up while a lost answer's grace is not over: the rest of its looks (failed ones are
    /// not retried), so that a deployment that exists is adopted, or at least said to be possible,
    /// rather than left unsaid.
    fn last_check(
        &self,
        before: u64,
        state: &mut Attempts,
        stop: Ending,
    ) -> Result<(Deployment, Origin), Ending> {
        let (Ending::Unreachable(mut unreachable), Some(grace)) = (stop.clone(), &mut state.lost)
        else {
            return Err(stop);
        };
        if unreachable.maybe_created {
            return Err(stop);
        }
        match self.settle(before, grace, &mut state.checks) {
            Ok(Settled::Adopted(adopted)) => return Ok((*adopted, Origin::Adopted)),
            Ok(Settled::Nothing { looks, over }) => self.log.line(&nothing_appeared(looks, over)),
            Err(Failure::Stop(stop)) => return Err(stop),
            Ok(Settled::Cut) | Err(Failure::Request { .. }) => unreachable.maybe_created = true,
        }
        Err(Ending::Unreachable(unreachable))
    }
}

/// The log line of a grace over without a new deployment.
fn nothing_appeared(looks: u32, over: Duration) -> String {
    format!(
        "No deployment appeared since the snapshot after {looks} look{} over {}",
        if looks == 1 { "" } else { "s" },
        duration::text(over, Precision::Millis)
    )
}

/// How a run ends when the deadline comes before a lost answer's grace is over: the trigger may
/// have created a deployment that the list does not show yet.
fn cut_short(grace: &Grace) -> Ending {
    Ending::Unreachable(Unreachable {
        doing: "trigger a deployment",
        error: grace.error.clone(),
        gave_up: Some("the timeout leaves no time to look at the list again".into()),
        check: String::new(),
        maybe_created: true,
    })
}

/// What a deployment is, for the log: its id, strategy, and image or commit.
fn describe(d: &Deployment) -> String {
    let mut parts = Vec::new();
    if let Some(id) = &d.id {
        parts.push(format!("id {}", shown(id)));
    }
    if let Some(strategy) = &d.strategy {
        parts.push(format!("strategy {}", shown(strategy)));
    }
    if let Some(image) = &d.image_reference {
        parts.push(format!("image {}", shown(image)));
    } else if let Some(sha) = &d.git_sha {
        let message = d
            .commit_message
            .as_deref()
            .and_then(|m| m.lines().next())
            .map(|m| format!(" \"{}\"", escape::bounded(&shown(m), 72)))
            .unwrap_or_default();
        let by = d
            .committer_name
            .as_deref()
            .map(|name| format!(" by {}", escape::bounded(&shown(name), 60)))
            .unwrap_or_default();
        parts.push(format!("commit {}{message}{by}", short_sha(sha)));
    }
    parts.join(", ")
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::collections::VecDeque;
    use std::io::Write;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::clock::tests::FakeClock;
    use crate::log::Flavor;
    use crate::report::tests::stopped;
    use crate::retry::{RETRY_FIRST, RETRY_LONGEST};

    /// An API that answers from scripts and records what was asked; an unscripted request fails
    /// the test.
    #[derive(Default)]
    struct Scripted {
        lists: Mutex<VecDeque<Result<Listing, ApiError>>>,
        triggers: Mutex<VecDeque<Result<Deployment, ApiError>>>,
        asked: Mutex<Vec<String>>,
    }

    impl Deployments for Scripted {
        fn list(&self, _: Instant, _: u32, keep: Keep) -> Result<Listing, ApiError> {
            self.asked.lock().unwrap().push(format!("list {keep:?}"));
            let answer = self.lists.lock().unwrap().pop_front();
            answer.unwrap_or_else(|| panic!("an unscripted list ({keep:?})"))
        }

        fn trigger(&self, tag: Option<&str>, _: Instant, _: u32) -> Result<Deployment, ApiError> {
            self.asked.lock().unwrap().push(format!("trigger {tag:?}"));
            let answer = self.triggers.lock().unwrap().pop_front();
            answer.unwrap_or_else(|| panic!("an unscripted trigger"))
        }
    }

    fn listing(highest: u64, kept: &[u64]) -> Result<Listing, ApiError> {
        Ok(Listing {
            highest,
            kept: kept.iter().map(|n| deployment(*n)).collect(),
            more: false,
        })
    }

    /// Deployment `number`, `created`, as the trigger answers it.
    pub(super) fn deployment(number: u64) -> Deployment {
        Deployment {
            deploy_number: Some(number),
            id: Some(format!("id-{number}")),
            status: Some("created".into()),
            ..Deployment::default()
        }
    }

    fn transient(delivery: Delivery, retry_after: Option<Duration>) -> ApiError {
        ApiError::Transient {
            reason: "HTTP 503".into(),
            retry_after,
            delivery,
        }
    }

    /// The log's lines, shared with the test.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    struct Ran {
        result: Result<(Deployment, Origin), Ending>,
        asked: Vec<String>,
        slept: Vec<Duration>,
        log: String,
        sent_notice: u32,
    }

    /// Runs a trigger against `api` with a fake clock, a deadline `timeout` away, jitter fixed at 0
    /// and `signal` as what the process has received.
    fn run(api: Scripted, timeout: Duration, signal: Option<Signal>) -> Ran {
        run_wanting(api, timeout, signal, Wanted::default())
    }

    /// [`run`], asking for `wanted`.
    fn run_wanting(
        api: Scripted,
        timeout: Duration,
        signal: Option<Signal>,
        wanted: Wanted,
    ) -> Ran {
        let start = Instant::now();
        let clock = Arc::new(FakeClock::at(start));
        let lines = Lines::default();
        let log = Log::to(Box::new(lines.clone()), Flavor::Plain, false);
        let sent = Cell::new(0);
        let cancelled = || signal;
        let sending = || sent.set(sent.get() + 1);
        let settings = crate::inputs::tests::settings(&[]);
        let retrier = Retrier::new(
            &log,
            &settings,
            clock.clone(),
            start + timeout,
            Box::new(0.0_f64),
        );
        let trigger = Trigger::new(
            &api,
            &log,
            retrier,
            start + timeout,
            wanted,
            &cancelled,
            &sending,
        );
        let result = trigger.run();
        let log = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        Ran {
            result,
            asked: api.asked.into_inner().unwrap(),
            slept: clock.slept(),
            log,
            sent_notice: sent.get(),
        }
    }

    fn script(
        lists: Vec<Result<Listing, ApiError>>,
        triggers: Vec<Result<Deployment, ApiError>>,
    ) -> Scripted {
        Scripted {
            lists: Mutex::new(lists.into()),
            triggers: Mutex::new(triggers.into()),
            asked: Mutex::default(),
        }
    }

    const LONG: Duration = Duration::from_secs(900);

    #[test]
    fn the_answer_is_ours_when_it_is_newer_than_the_snapshot() {
        let ran = run(
            script(vec![listing(2, &[])], vec![Ok(deployment(3))]),
            LONG,
            None,
        );
        let (ours, origin) = ran.result.unwrap();
        assert_eq!((ours.deploy_number, origin), (Some(3), Origin::Triggered));
        assert_eq!(ran.asked, ["list Nothing", "trigger None"]);
        assert!(ran.slept.is_empty());
        assert!(
            ran.log.contains("Latest deployment before ours: #2"),
            "{}",
            ran.log
        );
        assert!(
            ran.log.contains("Triggered deployment #3 (id id-3"),
            "{}",
            ran.log
        );
    }

    #[test]
    fn a_lost_answer_is_adopted_from_the_list_never_sent_again() {
        let api = script(
            vec![listing(2, &[]), listing(3, &[3])],
            vec![Err(transient(Delivery::Unknown, None))],
        );
        let ran = run(api, LONG, None);
        assert_eq!(ran.result.unwrap().0.deploy_number, Some(3));
        assert_eq!(
            ran.asked,
            ["list Nothing", "trigger None", "list NewerThan(2)"]
        );
        assert_eq!(ran.slept, [RETRY_FIRST]);
    }

    #[test]
    fn an_adopted_deployment_says_so_and_is_never_called_triggered() {
        let api = script(
            vec![listing(2, &[]), listing(3, &[3])],
            vec![Err(transient(Delivery::Unknown, None))],
        );
        let ran = run(api, LONG, None);
        assert_eq!(ran.result.unwrap().1, Origin::Adopted);
        assert!(
            ran.log.contains("Not triggered by this run: adopted #3, which appeared after our trigger's answer was lost; another pipeline may have triggered it (id id-3); not triggering again"),
            "{}",
            ran.log
        );
        assert!(!ran.log.contains("Triggered"), "{}", ran.log);
    }

    /// `number`, deploying `sha` or `image`.
    fn deploying(number: u64, sha: Option<&str>, image: Option<&str>) -> Deployment {
        Deployment {
            git_sha: sha.map(str::to_string),
            image_reference: image.map(str::to_string),
            ..deployment(number)
        }
    }

    fn listing_of(highest: u64, kept: Vec<Deployment>) -> Result<Listing, ApiError> {
        Ok(Listing {
            highest,
            kept,
            more: false,
        })
    }

    const OURS: &str = "d77ead8c0ffee0000000000000000000000000aa";

    #[test]
    fn after_a_lost_answer_a_deployment_of_our_commit_is_adopted() {
        let api = script(
            vec![
                listing(2, &[]),
                listing_of(3, vec![deploying(3, Some(&OURS[..12]), None)]),
            ],
            vec![Err(transient(Delivery::Unknown, None))],
        );
        let wanted = Wanted {
            image_tag: None,
            commit: Some(OURS),
        };
        let ran = run_wanting(api, LONG, None, wanted);
        let (adopted, origin) = ran.result.unwrap();
        assert_eq!((adopted.deploy_number, origin), (Some(3), Origin::Adopted));
    }

    #[test]
    fn after_a_lost_answer_a_deployment_of_another_commit_is_neither_adopted_nor_sent_again() {
        let api = script(
            vec![
                listing(2, &[]),
                listing_of(3, vec![deploying(3, Some("0123456789abcdef"), None)]),
            ],
            vec![Err(transient(Delivery::Unknown, None))],
        );
        let wanted = Wanted {
            image_tag: None,
            commit: Some(OURS),
        };
        let ran = run_wanting(api, LONG, None, wanted);
        let stop = ran.result.unwrap_err();
        assert_eq!(stop.exit_code(), 4);
        assert!(
            stopped(stop.clone()).contains("deployment #3 appeared since the snapshot, but it deploys commit 0123456, not this pipeline's d77ead8: it may be another pipeline's, so it is not adopted, and nothing is triggered again"),
            "{stop:?}"
        );
        let sends = ran
            .asked
            .iter()
            .filter(|a| a.starts_with("trigger"))
            .count();
        assert_eq!(sends, 1, "{:?}", ran.asked);
    }

    #[test]
    fn after_a_lost_answer_a_deployment_of_another_image_is_not_ours_and_the_trigger_is_sent_again()
    {
        let theirs = deploying(3, None, Some("registry.example.com/shop:1.4.1"));
        let ours = deploying(4, None, Some("registry.example.com/shop:1.4.2"));
        // Ours may still show behind theirs, in a list that lags: the grace's four looks first.
        let lists = std::iter::once(listing(2, &[]))
            .chain((0..LOST_ANSWER_LOOKS).map(|_| listing_of(3, vec![theirs.clone()])))
            .collect();
        let api = script(
            lists,
            vec![Err(transient(Delivery::Unknown, None)), Ok(ours)],
        );
        let wanted = Wanted {
            image_tag: Some("1.4.2"),
            commit: None,
        };
        let ran = run_wanting(api, LONG, None, wanted);
        let (deployment, origin) = ran.result.unwrap();
        assert_eq!(
            (deployment.deploy_number, origin),
            (Some(4), Origin::Triggered)
        );
        assert!(ran.log.contains("Triggered deployment #4"), "{}", ran.log);
    }

    /// The poll schedule's first waits with the default `poll_interval` (2 s), without jitter: the
    /// waits between a grace's four looks.
    const GRACE_WAITS: [Duration; 3] = [
        Duration::from_secs(2),
        Duration::from_secs(3),
        Duration::from_millis(4500),
    ];

    /// `n` lists that show nothing newer than #2.
    fn empty_looks(n: usize) -> impl Iterator<Item = Result<Listing, ApiError>> {
        (0..n).map(|_| listing(2, &[]))
    }

    #[test]
    fn a_lost_answer_with_nothing_created_is_sent_again_once_after_four_looks() {
        let lists = std::iter::once(listing(2, &[]))
            .chain(empty_looks(4))
            .collect();
        let api = script(
            lists,
            vec![Err(transient(Delivery::Unknown, None)), Ok(deployment(3))],
        );
        let ran = run(api, LONG, None);
        assert_eq!(ran.result.unwrap().0.deploy_number, Some(3));
        // The list may lag behind the trigger: four looks, not one, before sending again.
        let mut asked = vec!["list Nothing", "trigger None"];
        asked.extend(["list NewerThan(2)"; LOST_ANSWER_LOOKS as usize]);
        asked.push("trigger None");
        assert_eq!(ran.asked, asked);
        assert_eq!(ran.sent_notice, 2);
        // The first look after the retry's wait, the others spaced like polls.
        assert_eq!(ran.slept[0], RETRY_FIRST);
        assert_eq!(ran.slept[1..], GRACE_WAITS);
        assert!(
            ran.log.contains(
                "No deployment appeared since the snapshot after 4 looks over 11s: triggering again"
            ),
            "{}",
            ran.log
        );
    }

    #[test]
    fn a_lost_answer_behind_a_list_that_lags_is_adopted_never_sent_again() {
        // Missing from one look, then from three: the fourth look still finds it.
        for lag in [1, 3] {
            let lists = std::iter::once(listing(2, &[]))
                .chain(empty_looks(lag))
                .chain([listing(3, &[3])])
                .collect();
            let api = script(lists, vec![Err(transient(Delivery::Unknown, None))]);
            let ran = run(api, LONG, None);
            let (adopted, origin) = ran.result.unwrap();
            assert_eq!((adopted.deploy_number, origin), (Some(3), Origin::Adopted));
            let sends = ran
                .asked
                .iter()
                .filter(|a| a.starts_with("trigger"))
                .count();
            assert_eq!((sends, ran.asked.len()), (1, lag + 3), "{:?}", ran.asked);
            assert_eq!(ran.slept[1..], GRACE_WAITS[..lag]);
            assert!(!ran.log.contains("No deployment appeared"), "{}", ran.log);
        }
    }

    /// A lost answer; then the grace's first look shows nothing, the second fails, and the third
    /// shows #3.
    fn a_failed_look_then_ours() -> Scripted {
        script(
            vec![
                listing(2, &[]),
                listing(2, &[]),
                Err(transient(Delivery::Unknown, None)),
                listing(3, &[3]),
            ],
            vec![Err(transient(Delivery::Unknown, None))],
        )
    }

    #[test]
    fn a_failed_look_during_the_grace_is_retried_and_the_grace_goes_on() {
        let api = a_failed_look_then_ours();
        let ran = run(api, LONG, None);
        assert_eq!(ran.result.unwrap().1, Origin::Adopted);
        // The retry's wait after the failed look, then the look at once.
        let retry = RETRY_FIRST.mul_f64(1.5);
        assert_eq!(ran.slept, [RETRY_FIRST, GRACE_WAITS[0], retry]);
        assert!(ran.log.contains("retry 2 of 6"), "{}", ran.log);
    }

    #[test]
    fn the_deadline_cuts_the_grace_short_and_the_run_says_a_deployment_may_exist() {
        let api = script(
            vec![listing(2, &[]), listing(2, &[])],
            vec![Err(transient(Delivery::Unknown, None))],
        );
        // The second look would be due at 3.5 s.
        let ran = run(api, Duration::from_secs(3), None);
        let stop = ran.result.unwrap_err();
        assert_eq!(stop.exit_code(), 4);
        assert_eq!(
            stopped(stop),
            "could not trigger a deployment: HTTP 503 (the timeout leaves no time to look at the list again); a deployment may have been created: check Nodion"
        );
        assert_eq!(ran.slept, [RETRY_FIRST]);
        assert_eq!(ran.sent_notice, 1);
    }

    #[test]
    fn giving_up_during_the_grace_still_adopts_what_the_last_looks_show() {
        let api = a_failed_look_then_ours();
        // After the failed look at 3.5 s, the retry's wait would end past the deadline.
        let ran = run(api, Duration::from_secs(5), None);
        let (adopted, origin) = ran.result.unwrap();
        assert_eq!((adopted.deploy_number, origin), (Some(3), Origin::Adopted));
        assert_eq!(ran.slept, [RETRY_FIRST, GRACE_WAITS[0]]);
    }

    #[test]
    fn a_request_that_never_left_is_sent_again_without_a_look_at_the_list() {
        let api = script(
            vec![listing(2, &[])],
            vec![Err(transient(Delivery::NotSent, None)), Ok(deployment(3))],
        );
        let ran = run(api, LONG, None);
        assert_eq!(ran.result.unwrap().0.deploy_number, Some(3));
        assert_eq!(ran.asked, ["list Nothing", "trigger None", "trigger None"]);
    }

    #[test]
    fn a_429_waits_at_least_its_retry_after_then_sends_again() {
        let asked = Duration::from_secs(7);
        let api = script(
            vec![listing(2, &[])],
            vec![
                Err(transient(Delivery::NotProcessed, Some(asked))),
                Ok(deployment(3)),
            ],
        );
        let ran = run(api, LONG, None);
        assert_eq!(ran.result.unwrap().0.deploy_number, Some(3));
        assert_eq!(ran.slept, [asked]);
        assert!(ran.log.contains("retry 1 of 6 in 7s"), "{}", ran.log);
    }

    #[test]
    fn a_trigger_failing_for_good_gives_up_after_six_retries_and_about_thirty_seconds() {
        let lists = std::iter::once(listing(2, &[]))
            .chain(empty_looks(7 * LOST_ANSWER_LOOKS as usize))
            .collect();
        let triggers = (0..7)
            .map(|_| Err(transient(Delivery::Unknown, None)))
            .collect();
        let ran = run(script(lists, triggers), Duration::from_secs(300), None);
        let stop = ran.result.unwrap_err();
        assert_eq!(stop.exit_code(), 4);
        assert!(
            stopped(stop.clone()).contains("gave up after 6 retries"),
            "{stop:?}"
        );
        // Seven sends, each answer lost: each is followed by the grace's four looks at the list
        // (the last one's when giving up), with the poll schedule's waits between them.
        let sends = ran
            .asked
            .iter()
            .filter(|a| a.starts_with("trigger"))
            .count();
        let lists = ran.asked.iter().filter(|a| a.starts_with("list")).count();
        assert_eq!((sends, lists), (7, 1 + 7 * 4), "{:?}", ran.asked);
        assert_eq!(ran.slept.len(), 6 + 7 * 3);
        // A retry's wait then a grace's, six times; the last grace's when giving up.
        let (retries, mut graces): (Vec<_>, Vec<_>) = ran.slept[..24]
            .chunks(4)
            .map(|chunk| (chunk[0], chunk[1..].to_vec()))
            .unzip();
        graces.push(ran.slept[24..].to_vec());
        // The six retry waits: about 30 s, growing from 1.5 s to 10 s.
        let total: Duration = retries.iter().sum();
        assert!(
            total >= Duration::from_secs(20) && total <= Duration::from_secs(45),
            "{total:?}"
        );
        assert!(retries.windows(2).all(|w| w[0] <= w[1]), "{retries:?}");
        assert_eq!(*retries.last().unwrap(), RETRY_LONGEST);
        assert!(graces.iter().all(|g| g[..] == GRACE_WAITS), "{graces:?}");
        // The last grace saw nothing: nothing was created.
        assert!(!stopped(stop).contains("may have been created"));
    }

    #[test]
    fn no_retry_wait_ends_past_the_deadline() {
        // The look after the lost answer fails; its retry would end at 3.75 s.
        let api = script(
            vec![
                listing(2, &[]),
                Err(transient(Delivery::Unknown, None)),
                listing(2, &[]),
            ],
            vec![Err(transient(Delivery::Unknown, None))],
        );
        let ran = run(api, Duration::from_secs(3), None);
        let stop = ran.result.unwrap_err();
        let said = stopped(stop.clone());
        assert!(
            said.contains("the timeout leaves no time to retry"),
            "{stop:?}"
        );
        // One last look, at once, saw nothing; the list may lag, so it cannot say nothing was made.
        assert!(
            said.ends_with("a deployment may have been created: check Nodion"),
            "{said}"
        );
        assert_eq!(ran.slept, [RETRY_FIRST]);
        assert!(ran.slept.iter().sum::<Duration>() < Duration::from_secs(3));
    }

    #[test]
    fn a_refused_trigger_stops_at_once_with_the_apis_message() {
        let refused = ApiError::Refused {
            status: 404,
            message: "Not found".into(),
        };
        let ran = run(
            script(vec![listing(2, &[])], vec![Err(refused)]),
            LONG,
            None,
        );
        let stop = ran.result.unwrap_err();
        assert_eq!(stop.exit_code(), 3);
        assert_eq!(
            stopped(stop),
            "the API refused to trigger a deployment for application app-1 (HTTP 404: Not found): check NODION_APPLICATION_ID"
        );
        assert!(ran.slept.is_empty());
        assert_eq!(ran.asked.len(), 2);
    }

    #[test]
    fn a_signal_before_the_trigger_means_nothing_is_sent() {
        let ran = run(
            script(vec![listing(2, &[])], vec![]),
            LONG,
            Some(Signal::Terminate),
        );
        let stop = ran.result.unwrap_err();
        assert_eq!(
            stop,
            Ending::Cancelled {
                signal: Signal::Terminate,
                triggering: false
            }
        );
        assert_eq!(ran.asked, ["list Nothing"]);
        assert_eq!(ran.sent_notice, 0);
    }

    #[test]
    fn several_deployments_after_a_lost_answer_are_never_guessed() {
        let api = script(
            vec![listing(2, &[]), listing(4, &[3, 4])],
            vec![Err(transient(Delivery::Unknown, None))],
        );
        let ran = run(api, LONG, None);
        let stop = ran.result.unwrap_err();
        assert_eq!(stop.exit_code(), 4);
        assert!(stopped(stop.clone()).contains("#3, #4"), "{stop:?}");
        assert_eq!(
            ran.asked
                .iter()
                .filter(|a| a.starts_with("trigger"))
                .count(),
            1
        );
    }

    #[test]
    fn an_answer_not_newer_than_the_snapshot_is_not_ours() {
        let api = script(
            vec![listing(2, &[]), listing(3, &[3])],
            vec![Ok(deployment(2))],
        );
        let ran = run(api, LONG, None);
        assert_eq!(ran.result.unwrap().0.deploy_number, Some(3));
        assert!(
            ran.log.contains("which is not newer than #2"),
            "{}",
            ran.log
        );
    }

    #[test]
    fn a_snapshot_that_keeps_failing_is_retried_then_stops_with_exit_4() {
        let lists = (0..7)
            .map(|_| Err(transient(Delivery::Unknown, None)))
            .collect();
        let ran = run(script(lists, vec![]), LONG, None);
        let stop = ran.result.unwrap_err();
        assert_eq!(stop.exit_code(), 4);
        assert_eq!(ran.asked.len(), 7);
        assert!(ran.asked.iter().all(|a| a == "list Nothing"));
    }
}
