//! The wait for our deployment as a pure state machine: it is told what the list said and what time
//! it is, and says when the next poll is due, what is worth logging, and when the wait is over. The
//! loop around it (sleeping, the deadline, the heartbeat) is `poll.rs`. No HTTP, no sleeping.

use std::time::{Duration, Instant};

use crate::api::ApiError;
use crate::ending::Ending;
use crate::model::{Deployment, Listing};
use crate::poll::{Machine, News};
use crate::schedule::Schedule;

/// Statuses known to mean "still in progress"; any other non-terminal status is logged once as
/// unknown (and still treated as in progress — never as success).
pub const IN_PROGRESS: &[&str] = &[
    "created",
    "waiting",
    "deploying",
    "queued",
    "pending",
    "building",
];

/// Attach mode: a deployment number missing from this many lists in a row names no deployment…
pub const ATTACH_GRACE_POLLS: u32 = 4;
/// …or missing for this long since the first list, whichever comes first. A list may lag behind
/// a trigger an earlier step just made; it does not lag for long.
pub const ATTACH_GRACE: Duration = Duration::from_secs(30);

/// Something worth a log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Ours changed status (or was seen for the first time).
    Status {
        /// The status as the API wrote it.
        status: String,
        /// Time since the run started.
        elapsed: Duration,
    },
    /// A status that is in neither list nor known to be in progress (said once per status).
    UnknownStatus(String),
    /// Nothing changed for a while ([`HEARTBEAT`](crate::poll::HEARTBEAT)).
    Heartbeat {
        /// The status it is still in.
        status: Option<String>,
        /// Time since the run started.
        elapsed: Duration,
    },
    /// Ours is not in the list (yet) — said once.
    NotListed,
    /// A poll failed in a way worth retrying.
    Retrying(String),
}

/// The status lists a deployment is judged by (lower-case).
#[derive(Clone, Debug)]
pub struct Rules {
    /// Statuses meaning success.
    pub success: Vec<String>,
    /// Statuses meaning failure.
    pub failure: Vec<String>,
    /// What the user calls the `deploy_number` input: an attach number never listed names it.
    pub deploy_number: String,
}

/// Waiting for one deployment, identified by its `deploy_number`.
pub struct Watch {
    deploy_number: u64,
    rules: Rules,
    started: Instant,
    /// When the wait began: the schedule counts from here.
    begun: Instant,
    schedule: Schedule,
    due: Instant,
    deployment: Option<Deployment>,
    status: Option<String>,
    unknown_said: Vec<String>,
    not_listed_said: bool,
    /// Attach mode: a number never listed within the grace names no deployment.
    attach: bool,
    /// Lists that answered without ours, before ours was ever seen, and when the first came.
    missing: u32,
    first_list: Option<Instant>,
    verdict: Option<Ending>,
}

impl Watch {
    /// Starts watching `deploy_number`. The first poll is due after the schedule's first wait, or
    /// at once in `attach` mode (it may be finished already; a number never listed within
    /// [`ATTACH_GRACE_POLLS`] lists or [`ATTACH_GRACE`] names no deployment).
    pub fn new(
        deploy_number: u64,
        rules: Rules,
        started: Instant,
        mut schedule: Schedule,
        now: Instant,
        attach: bool,
    ) -> Watch {
        let due = if attach {
            now
        } else {
            now + schedule.next_wait(Duration::ZERO)
        };
        Watch {
            deploy_number,
            rules,
            started,
            begun: now,
            schedule,
            due,
            deployment: None,
            status: None,
            unknown_said: Vec::new(),
            not_listed_said: false,
            attach,
            missing: 0,
            first_list: None,
            verdict: None,
        }
    }

    /// The deployment as last seen.
    pub fn deployment(&self) -> Option<&Deployment> {
        self.deployment.as_ref()
    }

    /// The last status seen, as the API wrote it.
    pub fn status(&self) -> Option<&str> {
        self.deployment.as_ref().and_then(|d| d.status.as_deref())
    }

    /// Takes in what the trigger returned for our deployment (its first status).
    pub fn seed(&mut self, now: Instant, deployment: Deployment) -> Vec<Event> {
        let mut events = Vec::new();
        self.see(now, deployment, &mut events);
        events
    }

    /// Takes in the answer to a poll made just before `now`: what is worth logging, and whether
    /// the status changed.
    pub fn observe(
        &mut self,
        now: Instant,
        answer: Result<Listing, ApiError>,
    ) -> (Vec<Event>, News) {
        let mut events = Vec::new();
        let mut wait = self
            .schedule
            .next_wait(now.saturating_duration_since(self.begun));
        match answer {
            Ok(Listing {
                kept: list,
                highest,
                ..
            }) => {
                // Ours by number, and by id once known: an entry with our number but another id
                // is not ours, and two that cannot be told apart are no answer at all.
                let known_id = self.deployment.as_ref().and_then(|d| d.id.clone());
                let mut mine = list.into_iter().filter(|d| {
                    d.deploy_number == Some(self.deploy_number)
                        && (known_id.is_none() || d.id.is_none() || d.id == known_id)
                });
                match (mine.next(), mine.next()) {
                    (Some(ours), None) => self.see(now, ours, &mut events),
                    (Some(_), Some(_)) => events.push(Event::Retrying(format!(
                        "the list shows deployment #{} more than once",
                        self.deploy_number
                    ))),
                    (None, _) => self.missing(now, highest, &mut events),
                }
            }
            Err(ApiError::Transient {
                reason,
                retry_after,
                ..
            }) => {
                events.push(Event::Retrying(reason));
                wait = wait.max(retry_after.unwrap_or_default());
            }
            Err(refused @ ApiError::Refused { .. }) => {
                self.verdict = Some(Ending::RefusedWhileWaiting { error: refused });
            }
            // Once ours exists, even a TLS failure is waited out until the deadline: it may be a
            // proxy being replaced, and giving up early would report nothing better.
            Err(ApiError::Unreachable { reason }) => events.push(Event::Retrying(reason)),
        }
        self.due = now + wait;
        // News is a change of status; a heartbeat says when there was none for a while.
        let news = if events.iter().any(|e| matches!(e, Event::Status { .. })) {
            News::Changed
        } else {
            News::Unchanged
        };
        (events, news)
    }

    /// A list without ours: said once; in attach mode, past the grace, it names no deployment.
    fn missing(&mut self, now: Instant, newest: u64, events: &mut Vec<Event>) {
        if !self.not_listed_said {
            self.not_listed_said = true;
            events.push(Event::NotListed);
        }
        if !self.attach || self.deployment.is_some() {
            return;
        }
        self.missing += 1;
        let first = *self.first_list.get_or_insert(now);
        if self.missing >= ATTACH_GRACE_POLLS || now.duration_since(first) >= ATTACH_GRACE {
            self.verdict = Some(Ending::NotListed {
                newest,
                deploy_number: self.rules.deploy_number.clone(),
            });
        }
    }

    fn see(&mut self, now: Instant, mut ours: Deployment, events: &mut Vec<Event>) {
        // A later answer without a status (or an id) does not erase the last one seen.
        if let Some(previous) = &self.deployment {
            if ours.status.is_none() {
                ours.status = previous.status.clone();
            }
            if ours.id.is_none() {
                ours.id = previous.id.clone();
            }
        }
        let key = ours.status_key();
        let shown = ours.status.clone();
        self.deployment = Some(ours);
        let Some(key) = key else { return };
        if self.status.as_ref() != Some(&key) {
            let elapsed = now.duration_since(self.started);
            let status = shown.unwrap_or_default();
            events.push(Event::Status {
                status: status.clone(),
                elapsed,
            });
            let known = self.rules.success.contains(&key)
                || self.rules.failure.contains(&key)
                || IN_PROGRESS.contains(&key.as_str());
            if !known && !self.unknown_said.contains(&key) {
                self.unknown_said.push(key.clone());
                events.push(Event::UnknownStatus(status));
            }
            self.status = Some(key.clone());
        }
        // The status reached, as the API sent it.
        let status = self.status().unwrap_or_default().to_string();
        if self.rules.success.contains(&key) {
            self.verdict = Some(Ending::Succeeded { status });
        } else if self.rules.failure.contains(&key) {
            self.verdict = Some(Ending::Failed { status });
        }
    }
}

impl Machine for Watch {
    type Answer = Result<Listing, ApiError>;
    type Verdict = Ending;
    type Event = Event;

    fn verdict(&self) -> Option<Ending> {
        self.verdict.clone()
    }

    fn due(&self) -> Instant {
        self.due
    }

    fn timed_out(&self) -> Ending {
        Ending::TimedOut
    }

    fn observe(&mut self, now: Instant, answer: Result<Listing, ApiError>) -> (Vec<Event>, News) {
        Watch::observe(self, now, answer)
    }

    fn still(&self, now: Instant) -> Option<Event> {
        Some(Event::Heartbeat {
            status: self.status().map(str::to_string),
            elapsed: now.duration_since(self.started),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Delivery;
    use crate::poll::tests::Polling;
    use crate::poll::{Deadline, Next};

    const S: Duration = Duration::from_secs(1);

    fn rules() -> Rules {
        Rules {
            success: vec!["available".into()],
            failure: ["failed", "error", "expired", "canceled", "cancelled"]
                .map(String::from)
                .to_vec(),
            deploy_number: "NODION_DEPLOY_NUMBER".into(),
        }
    }

    fn dep(number: u64, status: &str) -> Deployment {
        Deployment {
            deploy_number: Some(number),
            status: Some(status.into()),
            ..Deployment::default()
        }
    }

    /// A watch and the deadline of its wait, as the run has them.
    type Waiting = Polling<Watch>;

    /// A watch of #3 with the default intervals, a 15-minute deadline and no jitter.
    fn watch(t0: Instant) -> Waiting {
        watch_with(t0, 900 * S, 2 * S, 15 * S)
    }

    fn watch_with(t0: Instant, timeout: Duration, min: Duration, max: Duration) -> Waiting {
        let schedule = Schedule::ladder(min, max, Box::new(0.0_f64));
        waiting(
            Watch::new(3, rules(), t0, schedule, t0, false),
            t0 + timeout,
        )
    }

    fn waiting(watch: Watch, until: Instant) -> Waiting {
        Polling {
            machine: watch,
            deadline: Deadline::at(until),
        }
    }

    /// Drives the watch on the real loop with a fake clock until it finishes; `list(t)` is what
    /// the API answers at `t` seconds. Returns the verdict, the number of polls and the finish
    /// time.
    fn drive(
        w: &mut Waiting,
        t0: Instant,
        mut list: impl FnMut(f64) -> Result<Vec<Deployment>, ApiError>,
    ) -> (Ending, u32, Duration, Vec<Event>) {
        w.drive(t0, |t| list(t).map(listing))
    }

    /// A list of these entries, as the API client gives it.
    fn listing(kept: Vec<Deployment>) -> Listing {
        let highest = kept.iter().filter_map(|d| d.deploy_number).max();
        Listing {
            highest: highest.unwrap_or_default(),
            kept,
            more: false,
        }
    }

    fn at(t: f64, steps: &[(f64, &str)]) -> Result<Vec<Deployment>, ApiError> {
        let status = steps.iter().rev().find(|(from, _)| t >= *from).map(|s| s.1);
        let mut list = vec![dep(2, "available"), dep(1, "failed")];
        if let Some(status) = status {
            list.insert(0, dep(3, status));
        }
        Ok(list)
    }

    fn statuses(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Status { status, .. } => Some(status.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn created_waiting_available_is_success() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        let (v, _, _, events) = drive(&mut w, t0, |t| {
            at(
                t,
                &[(0.0, "created"), (4.0, "waiting"), (20.0, "available")],
            )
        });
        assert!(matches!(v, Ending::Succeeded { .. }), "{v:?}");
        assert_eq!(statuses(&events), ["created", "waiting", "available"]);
        assert_eq!(w.status(), Some("available"));
    }

    #[test]
    fn failure_statuses_are_failure() {
        for status in ["failed", "expired", "Error", "CANCELED"] {
            let t0 = Instant::now();
            let mut w = watch(t0);
            let (v, ..) = drive(&mut w, t0, |t| at(t, &[(0.0, "deploying"), (10.0, status)]));
            assert!(matches!(v, Ending::Failed { .. }), "{status}: {v:?}");
        }
    }

    #[test]
    fn statuses_compare_case_insensitively() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        let (v, ..) = drive(&mut w, t0, |t| {
            at(t, &[(0.0, "Created"), (5.0, "AVAILABLE")])
        });
        assert!(matches!(v, Ending::Succeeded { .. }), "{v:?}");
    }

    #[test]
    fn never_terminal_times_out_at_the_deadline_and_no_later() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 100 * S, 2 * S, 15 * S);
        let (v, _, finished, _) = drive(&mut w, t0, |t| at(t, &[(0.0, "deploying")]));
        assert_eq!(v, Ending::TimedOut);
        assert_eq!(finished, 100 * S);
        assert_eq!(w.status(), Some("deploying"));
    }

    #[test]
    fn no_poll_is_due_after_the_deadline() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 10 * S, 2 * S, 15 * S);
        let mut polls_at = Vec::new();
        drive(&mut w, t0, |t| {
            polls_at.push(t);
            at(t, &[(0.0, "deploying")])
        });
        assert!(polls_at.iter().all(|t| *t < 10.0), "{polls_at:?}");
    }

    #[test]
    fn older_deployments_change_nothing() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 30 * S, 2 * S, 15 * S);
        // The older #2 is available and #1 failed: neither is ours, so this times out.
        let (v, ..) = drive(&mut w, t0, |t| at(t, &[(0.0, "deploying")]));
        assert_eq!(v, Ending::TimedOut);
    }

    #[test]
    fn ours_missing_at_first_is_still_tracked_when_it_appears() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        let (v, _, _, events) = drive(&mut w, t0, |t| {
            at(t, &[(12.0, "deploying"), (30.0, "available")])
        });
        assert!(matches!(v, Ending::Succeeded { .. }), "{v:?}");
        assert_eq!(events.iter().filter(|e| **e == Event::NotListed).count(), 1);
    }

    #[test]
    fn an_unknown_status_keeps_waiting_is_said_once_and_is_never_success() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 120 * S, 2 * S, 15 * S);
        let (v, _, _, events) = drive(&mut w, t0, |t| at(t, &[(0.0, "rolling_out")]));
        assert_eq!(v, Ending::TimedOut);
        let unknown: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, Event::UnknownStatus(_)))
            .collect();
        assert_eq!(unknown, [&Event::UnknownStatus("rolling_out".into())]);
    }

    #[test]
    fn an_unknown_status_then_success_is_success() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        let (v, ..) = drive(&mut w, t0, |t| {
            at(t, &[(0.0, "rolling_out"), (20.0, "available")])
        });
        assert!(matches!(v, Ending::Succeeded { .. }), "{v:?}");
    }

    #[test]
    fn transient_errors_are_retried_until_the_deadline() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 60 * S, 2 * S, 15 * S);
        let (v, polls, _, events) = drive(&mut w, t0, |_| {
            Err(ApiError::Transient {
                reason: "HTTP 503".into(),
                retry_after: None,
                delivery: Delivery::Unknown,
            })
        });
        assert_eq!(v, Ending::TimedOut);
        assert!(polls >= 5);
        assert!(events.iter().all(|e| matches!(e, Event::Retrying(_))));
    }

    #[test]
    fn transient_errors_between_good_polls_change_nothing() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        let (v, ..) = drive(&mut w, t0, |t| {
            if (10.0..40.0).contains(&t) {
                Err(ApiError::Transient {
                    reason: "reset".into(),
                    retry_after: None,
                    delivery: Delivery::Unknown,
                })
            } else {
                at(t, &[(0.0, "deploying"), (30.0, "available")])
            }
        });
        assert!(matches!(v, Ending::Succeeded { .. }), "{v:?}");
    }

    #[test]
    fn retry_after_pushes_the_next_poll_back() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        assert_eq!(w.next(t0), Next::Sleep(2 * S));
        let now = t0 + 2 * S;
        w.observe(
            now,
            Err(ApiError::Transient {
                reason: "HTTP 429".into(),
                retry_after: Some(9 * S),
                delivery: Delivery::NotProcessed,
            }),
        );
        assert_eq!(w.next(now), Next::Sleep(9 * S));
    }

    #[test]
    fn a_refusal_while_polling_stops_at_once() {
        for status in [401, 403, 404] {
            let t0 = Instant::now();
            let mut w = watch(t0);
            let refused = ApiError::Refused {
                status,
                message: "no".into(),
            };
            let (v, polls, ..) = drive(&mut w, t0, |t| {
                if t > 5.0 {
                    Err(refused.clone())
                } else {
                    at(t, &[(0.0, "deploying")])
                }
            });
            assert_eq!(v, Ending::RefusedWhileWaiting { error: refused });
            assert_eq!(polls, 3, "two good polls (2 s, 5 s), then the refusal");
        }
    }

    #[test]
    fn a_heartbeat_comes_after_a_minute_without_change() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 200 * S, 2 * S, 15 * S);
        let (_, _, _, events) = drive(&mut w, t0, |t| at(t, &[(0.0, "deploying")]));
        let beats = events
            .iter()
            .filter(|e| matches!(e, Event::Heartbeat { .. }))
            .count();
        assert_eq!(
            beats, 3,
            "at about 1, 2 and 3 minutes of the 200 s: {events:?}"
        );
    }

    fn with_id(number: u64, status: &str, id: &str) -> Deployment {
        Deployment {
            id: Some(id.into()),
            ..dep(number, status)
        }
    }

    #[test]
    fn an_entry_with_our_number_but_another_id_is_not_ours() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 30 * S, 2 * S, 15 * S);
        w.seed(t0, with_id(3, "created", "ours"));
        let (v, ..) = drive(&mut w, t0, |_| Ok(vec![with_id(3, "available", "theirs")]));
        assert_eq!(v, Ending::TimedOut);
        assert_eq!(w.status(), Some("created"));
    }

    #[test]
    fn two_entries_that_cannot_be_told_apart_are_no_answer() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 30 * S, 2 * S, 15 * S);
        let (v, _, _, events) = drive(&mut w, t0, |_| {
            Ok(vec![
                with_id(3, "available", "a"),
                with_id(3, "failed", "b"),
            ])
        });
        assert_eq!(v, Ending::TimedOut);
        assert!(events.iter().all(|e| matches!(e, Event::Retrying(_))));
    }

    #[test]
    fn a_later_answer_without_a_status_keeps_the_last_one() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 30 * S, 2 * S, 15 * S);
        w.seed(t0, with_id(3, "deploying", "ours"));
        let nameless = Deployment {
            deploy_number: Some(3),
            ..Deployment::default()
        };
        let (v, ..) = drive(&mut w, t0, |_| Ok(vec![nameless.clone()]));
        assert_eq!(v, Ending::TimedOut);
        assert_eq!(w.status(), Some("deploying"));
        assert_eq!(w.deployment().unwrap().id.as_deref(), Some("ours"));
    }

    /// A learned window past the deadline (history far longer than this run's timeout, or
    /// timestamps from a clock far off): the wait still ends at the deadline, not after.
    #[test]
    fn a_learned_window_past_the_deadline_never_waits_past_it() {
        use crate::history::Expectation;
        use crate::schedule::Window;
        let t0 = Instant::now();
        let hours = Expectation {
            expected: 7200 * S,
            fastest: 7000 * S,
            slowest: 7400 * S,
            count: 5,
        };
        let schedule = Schedule::around(Window::learned(&hours), Box::new(1.0_f64));
        let mut w = waiting(
            Watch::new(3, rules(), t0, schedule, t0, false),
            t0 + 900 * S,
        );
        let (v, polls, took, _) = drive(&mut w, t0, |t| at(t, &[(0.0, "deploying")]));
        assert_eq!(v, Ending::TimedOut);
        assert_eq!(took, 900 * S);
        // Sparse until the deadline: 2.4 s, then waits growing to 30 s.
        assert!((30..=40).contains(&polls), "{polls} polls");
    }

    #[test]
    fn attach_mode_polls_at_once() {
        let t0 = Instant::now();
        let schedule = Schedule::ladder(2 * S, 15 * S, Box::new(0.0_f64));
        let w = waiting(Watch::new(3, rules(), t0, schedule, t0, true), t0 + 60 * S);
        assert_eq!(w.next(t0), Next::Poll);
    }

    fn attached(t0: Instant, min: Duration, max: Duration) -> Waiting {
        let schedule = Schedule::ladder(min, max, Box::new(0.0_f64));
        waiting(
            Watch::new(99, rules(), t0, schedule, t0, true),
            t0 + 900 * S,
        )
    }

    /// Attach mode: a number missing from four lists names no deployment (the newest is named).
    #[test]
    fn an_attach_number_never_listed_names_no_deployment_after_four_lists() {
        let t0 = Instant::now();
        let mut w = attached(t0, 2 * S, 15 * S);
        let (v, polls, took, _) = drive(&mut w, t0, |t| at(t, &[(0.0, "deploying")]));
        assert_eq!(
            v,
            Ending::NotListed {
                newest: 3,
                deploy_number: "NODION_DEPLOY_NUMBER".into()
            }
        );
        assert_eq!(polls, ATTACH_GRACE_POLLS);
        assert!(took <= ATTACH_GRACE, "{took:?}");
    }

    /// With long intervals the grace ends by time, at about 30 s, not by the count of lists.
    #[test]
    fn the_attach_grace_is_at_most_thirty_seconds() {
        let t0 = Instant::now();
        let mut w = attached(t0, 20 * S, 60 * S);
        let (v, polls, took, _) = drive(&mut w, t0, |_| Ok(vec![dep(5, "available")]));
        assert_eq!(
            v,
            Ending::NotListed {
                newest: 5,
                deploy_number: "NODION_DEPLOY_NUMBER".into()
            }
        );
        assert!(polls < ATTACH_GRACE_POLLS, "{polls}");
        assert!(
            took >= ATTACH_GRACE && took <= ATTACH_GRACE + 20 * S,
            "{took:?}"
        );
    }

    /// A list that lags: the number shows up within the grace, and the wait goes on as usual.
    #[test]
    fn an_attach_number_listed_within_the_grace_is_waited_for() {
        let t0 = Instant::now();
        let mut w = attached(t0, 2 * S, 15 * S);
        let (v, ..) = drive(&mut w, t0, |t| {
            let mut list = vec![dep(2, "available")];
            if t >= 4.0 {
                list.insert(
                    0,
                    dep(99, if t >= 40.0 { "available" } else { "deploying" }),
                );
            }
            Ok(list)
        });
        assert!(matches!(v, Ending::Succeeded { .. }), "{v:?}");
    }

    /// After a trigger the list may lag as long as it likes: only attach mode gives up.
    #[test]
    fn our_own_deployment_missing_from_the_list_is_waited_for() {
        let t0 = Instant::now();
        let mut w = watch_with(t0, 120 * S, 2 * S, 15 * S);
        let (v, polls, ..) = drive(&mut w, t0, |_| Ok(vec![dep(2, "available")]));
        assert_eq!(v, Ending::TimedOut);
        assert!(polls > ATTACH_GRACE_POLLS);
    }

    #[test]
    fn the_triggers_answer_seeds_the_first_status() {
        let t0 = Instant::now();
        let mut w = watch(t0);
        let events = w.seed(t0, dep(3, "created"));
        assert_eq!(statuses(&events), ["created"]);
        assert_eq!(w.next(t0), Next::Sleep(2 * S));
    }

    /// Whenever the deployment turns terminal, the next poll is at most `max_poll_interval` away.
    #[test]
    fn detection_is_within_max_poll_interval_whenever_it_finishes() {
        for done_at in (0..=600).step_by(7) {
            let t0 = Instant::now();
            let schedule = Schedule::ladder(2 * S, 15 * S, Box::new(-1.0_f64));
            let watch = Watch::new(3, rules(), t0, schedule, t0, false);
            let mut w = waiting(watch, t0 + 900 * S);
            let done = done_at as f64;
            let (v, _, finished, _) = drive(&mut w, t0, |t| {
                at(t, &[(0.0, "deploying"), (done, "available")])
            });
            assert!(matches!(v, Ending::Succeeded { .. }), "{v:?}");
            assert!(
                finished.as_secs_f64() - done <= 15.0,
                "done at {done}, seen at {finished:?}"
            );
        }
    }
}
