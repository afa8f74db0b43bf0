//! The time before a deployment is ours: snapshot the list, trigger exactly once, and reconcile an
//! answer that may have been lost against the list before anything is sent again. The retries run
//! in `retry.rs` over an injected clock, so the unit tests below drive them without sleeping.

use std::time::Instant;

use crate::api::{Api, ApiError, Delivery};
use crate::deployed::{same_commit, short_sha};
use crate::ending::{Ending, NotAdopted, Signal};
use crate::escape::{self, shown};
use crate::log::Log;
use crate::model::{Deployment, Keep, Listing};
use crate::report::Origin;
use crate::retry::{Failure, Retrier};

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
    /// An answer may have been lost: check the list before sending again.
    unsure: bool,
    checks: u32,
    sends: u32,
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
            Err(stop) if attempts.unsure => self.last_check(before, attempts.checks + 1, stop),
            result => result,
        }?;
        Ok((ours, read))
    }

    /// One attempt: a look at the list when an answer may have been lost, then one trigger.
    fn attempt(&self, before: u64, state: &mut Attempts) -> Result<(Deployment, Origin), Failure> {
        if state.unsure {
            state.checks += 1;
            let listing = self
                .api
                .list(self.deadline, state.checks, Keep::NewerThan(before))
                .map_err(|error| Failure::Request {
                    doing: "check for a deployment after a lost answer",
                    error,
                })?;
            // The list answered: whatever it said, there is nothing left to look for at the end.
            state.unsure = false;
            if let Some(adopted) = self.reconcile(listing).map_err(Failure::Stop)? {
                return Ok((adopted, Origin::Adopted));
            }
            self.log
                .line("No deployment appeared since the snapshot: triggering again");
        }
        if let Some(signal) = (self.cancelled)() {
            return Err(Failure::Stop(Ending::Cancelled {
                signal,
                triggering: state.sends > 0,
            }));
        }
        (self.sending)();
        state.sends += 1;
        let error = match self
            .api
            .trigger(self.wanted.image_tag, self.deadline, state.sends)
        {
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
            state.unsure = true;
        }
        Err(Failure::Request {
            doing: "trigger a deployment",
            error,
        })
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

    /// Giving up after an answer may have been lost: one last look at the list, so a deployment
    /// that exists is adopted (or at least mentioned) rather than left unsaid.
    fn last_check(
        &self,
        before: u64,
        attempt: u32,
        stop: Ending,
    ) -> Result<(Deployment, Origin), Ending> {
        if matches!(stop, Ending::Refused(_) | Ending::Cancelled { .. }) {
            return Err(stop);
        }
        match self
            .api
            .list(self.deadline, attempt, Keep::NewerThan(before))
        {
            Ok(listing) => match self.reconcile(listing)? {
                Some(adopted) => Ok((adopted, Origin::Adopted)),
                None => Err(stop),
            },
            Err(_) => {
                let mut stop = stop;
                if let Ending::Unreachable(unreachable) = &mut stop {
                    unreachable.maybe_created = true;
                }
                Err(stop)
            }
        }
    }
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

    fn deployment(number: u64) -> Deployment {
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
        let settings = crate::retry::tests::settings(&[]);
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
        let api = script(
            vec![listing(2, &[]), listing_of(3, vec![theirs])],
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

    #[test]
    fn a_lost_answer_with_nothing_created_is_sent_again_once() {
        let api = script(
            vec![listing(2, &[]), listing(2, &[])],
            vec![Err(transient(Delivery::Unknown, None)), Ok(deployment(3))],
        );
        let ran = run(api, LONG, None);
        assert_eq!(ran.result.unwrap().0.deploy_number, Some(3));
        assert_eq!(
            ran.asked,
            [
                "list Nothing",
                "trigger None",
                "list NewerThan(2)",
                "trigger None"
            ]
        );
        assert_eq!(ran.sent_notice, 2);
        assert!(
            ran.log
                .contains("No deployment appeared since the snapshot: triggering again")
        );
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
            .chain((0..7).map(|_| listing(2, &[])))
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
        // Seven sends, each retry after a look at the list, and one last look when giving up.
        let sends = ran
            .asked
            .iter()
            .filter(|a| a.starts_with("trigger"))
            .count();
        let lists = ran.asked.iter().filter(|a| a.starts_with("list")).count();
        assert_eq!((sends, lists), (7, 8), "{:?}", ran.asked);
        let total: Duration = ran.slept.iter().sum();
        assert_eq!(ran.slept.len(), 6);
        assert!(
            total >= Duration::from_secs(20) && total <= Duration::from_secs(45),
            "{total:?}"
        );
        // The waits grow: 1.5 s, 2.25 s, … up to 10 s.
        assert!(
            ran.slept.windows(2).all(|w| w[0] <= w[1]),
            "{:?}",
            ran.slept
        );
        assert_eq!(*ran.slept.last().unwrap(), RETRY_LONGEST);
    }

    #[test]
    fn no_retry_wait_ends_past_the_deadline() {
        let api = script(
            vec![listing(2, &[]), listing(2, &[]), listing(2, &[])],
            vec![
                Err(transient(Delivery::Unknown, None)),
                Err(transient(Delivery::Unknown, None)),
            ],
        );
        let ran = run(api, Duration::from_secs(3), None);
        let stop = ran.result.unwrap_err();
        assert!(
            stopped(stop.clone()).contains("the timeout leaves no time to retry"),
            "{stop:?}"
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
