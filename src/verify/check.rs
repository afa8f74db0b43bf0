//! The check's state machine: told what the app answered and what time it is, it says when the
//! next check is due, what is worth logging, and when the check is over. The loop around it
//! (sleeping, the deadline, the heartbeat) is `poll.rs`. No HTTP, no sleeping.

use std::time::{Duration, Instant};

use crate::duration::{self, Precision};
use crate::escape;
use crate::poll::{Deadline, Machine, News, OutOfTime};
use crate::schedule::Schedule;
use crate::watch::{ATTACH_GRACE, ATTACH_GRACE_POLLS};

/// The shortest time a check is started with, unless `request_timeout` is shorter still. Less than
/// this, and a check of an app on the internet would mostly be cut short rather than answered: from
/// a CI runner, a fresh HTTPS request takes a DNS lookup and three or four round trips (TCP, TLS,
/// the request) before the app does any work, commonly 100–300 ms. A check cut short says nothing
/// about the app, so it is not started. A user who sets a shorter `request_timeout` has said that a
/// shorter check is meaningful for their app, so the floor is never above it.
pub const SLICE_FLOOR: Duration = Duration::from_millis(250);

/// `verify_url`'s host not resolving in this many checks in a row is a mistake in the URL, not an
/// app that is starting (which refuses connections, resets them or answers 5xx)…
pub const HOST_GRACE_CHECKS: u32 = ATTACH_GRACE_POLLS;
/// …nor for this long since the first of them, whichever comes first: attach mode's grace, for a
/// name that was only just created.
pub const HOST_GRACE: Duration = ATTACH_GRACE;

/// What the application answered to one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    /// An HTTP status; `contains`: whether the body held `verify_contains` (`None` when not asked,
    /// or when the status was not 2xx and the body was not read).
    Status {
        /// The HTTP status.
        code: u16,
        /// Whether the body held the text, when that was asked.
        contains: Option<bool>,
    },
    /// No usable answer (refused connection, timeout, TLS, too many redirects), described.
    Failed(String),
    /// This host (`verify_url`'s) does not resolve.
    NoSuchHost(String),
    /// The deadline cut the check short after this long: not the app's answer, so it never
    /// replaces one (the verdict names it only when the app gave no answer at all).
    CutShort(Duration),
}

impl Answered {
    /// Whether this answer means the new version is serving.
    pub fn serving(&self) -> bool {
        matches!(self, Answered::Status { code: 200..=299, contains } if *contains != Some(false))
    }

    /// What the app did, after its URL: `answered 503`, `answered 200 without 'v2'`.
    pub fn describe(&self, text: Option<&str>) -> String {
        match self {
            Answered::Status {
                code,
                contains: Some(false),
            } => format!(
                "answered {code} but did not contain '{}'",
                escape::shown(text.unwrap_or_default())
            ),
            Answered::Status { code, .. } => format!("answered {code}"),
            Answered::Failed(reason) => format!("could not be reached: {reason}"),
            Answered::NoSuchHost(host) => {
                format!("could not be reached: the host {host} does not resolve")
            }
            Answered::CutShort(limit) => format!("could not be reached: {}", no_answer(*limit)),
        }
    }
}

/// A check that timed out after `limit`, in words.
pub fn no_answer(limit: Duration) -> String {
    let limit = duration::text(limit, Precision::Millis);
    format!("no complete answer within {limit}")
}

/// How the check ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The new version answered as asked.
    Serving,
    /// The deadline came, or left too little time for another check: the app's last answer
    /// (`None`: no check was made).
    NotServing(Option<Answered>),
    /// This host (`verify_url`'s) did not resolve in [`HOST_GRACE_CHECKS`] checks in a row or for
    /// [`HOST_GRACE`].
    NoSuchHost(String),
}

/// What the log says about a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The answer differs from the last one.
    Changed(Answered, Duration),
    /// No change for a while ([`HEARTBEAT`](crate::poll::HEARTBEAT)): still this answer.
    Heartbeat(Answered, Duration),
}

/// The check's state: when the next request is due, and what the app last answered.
pub struct Check {
    started: Instant,
    /// When the check began: the schedule counts from here.
    begun: Instant,
    schedule: Schedule,
    due: Instant,
    /// The app's last answer; a cut-short check only while there is none.
    last: Option<Answered>,
    /// The checks in a row whose host did not resolve, so far.
    unresolved: Option<Unresolved>,
    /// The host that did not resolve through the grace.
    no_such_host: Option<String>,
}

/// Checks in a row whose host did not resolve: since when, and how many.
struct Unresolved {
    since: Instant,
    checks: u32,
}

impl Check {
    /// A check due at `now`; `started` is the run's start (for the log).
    pub fn new(started: Instant, schedule: Schedule, now: Instant) -> Check {
        Check {
            started,
            begun: now,
            schedule,
            due: now,
            last: None,
            unresolved: None,
            no_such_host: None,
        }
    }

    /// When a check ends: by `at`, and no check is started with less than [`SLICE_FLOOR`] left
    /// (or `request_timeout`, when shorter); once none fits, the check ends at once with the app's
    /// last answer, since sleeping on would change nothing.
    pub fn deadline(at: Instant, request_timeout: Duration) -> Deadline {
        Deadline {
            floor: request_timeout.min(SLICE_FLOOR),
            out_of_time: OutOfTime::EndNow,
            ..Deadline::at(at)
        }
    }

    /// Takes in the answer to a check made just before `now`: an event for a change. A check the
    /// deadline cut short is no answer of the app's: it never replaces one, and is not logged.
    pub fn observe(&mut self, now: Instant, answer: Answered) -> (Vec<Event>, News) {
        self.due = now
            + self
                .schedule
                .next_wait(now.saturating_duration_since(self.begun));
        if let Answered::CutShort(_) = answer {
            if self
                .last
                .as_ref()
                .is_none_or(|last| matches!(last, Answered::CutShort(_)))
            {
                self.last = Some(answer);
            }
            return (Vec::new(), News::Silent);
        }
        self.grace(now, &answer);
        if self.last.as_ref() == Some(&answer) {
            return (Vec::new(), News::Unchanged);
        }
        self.last = Some(answer.clone());
        let elapsed = now.saturating_duration_since(self.started);
        (vec![Event::Changed(answer, elapsed)], News::Changed)
    }

    /// Counts the checks in a row whose host did not resolve; past the grace, the check ends. The
    /// grace ends with a check: one that the schedule would send later than [`HOST_GRACE`] after
    /// the first is brought forward to then.
    fn grace(&mut self, now: Instant, answer: &Answered) {
        let Answered::NoSuchHost(host) = answer else {
            self.unresolved = None;
            return;
        };
        let run = self.unresolved.get_or_insert(Unresolved {
            since: now,
            checks: 0,
        });
        run.checks += 1;
        if run.checks >= HOST_GRACE_CHECKS || now.duration_since(run.since) >= HOST_GRACE {
            self.no_such_host = Some(host.clone());
        }
        self.due = self.due.min(run.since + HOST_GRACE);
    }
}

impl Machine for Check {
    type Answer = Answered;
    type Verdict = Verdict;
    type Event = Event;

    fn verdict(&self) -> Option<Verdict> {
        if self.last.as_ref().is_some_and(Answered::serving) {
            return Some(Verdict::Serving);
        }
        self.no_such_host.clone().map(Verdict::NoSuchHost)
    }

    fn due(&self) -> Instant {
        self.due
    }

    /// The deadline came, or left too little time for another check: the app's last answer.
    fn timed_out(&self) -> Verdict {
        Verdict::NotServing(self.last.clone())
    }

    fn observe(&mut self, now: Instant, answer: Answered) -> (Vec<Event>, News) {
        Check::observe(self, now, answer)
    }

    fn still(&self, now: Instant) -> Option<Event> {
        let elapsed = now.saturating_duration_since(self.started);
        Some(Event::Heartbeat(self.last.clone()?, elapsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poll::Next;
    use crate::poll::tests::Polling;

    const S: Duration = Duration::from_secs(1);
    const MS: Duration = Duration::from_millis(1);

    /// A check and when it ends, as the run has them.
    type Checking = Polling<Check>;

    /// A check from `t0`, each request bounded by `request_timeout`, ending `timeout` after `t0`.
    fn checking(t0: Instant, schedule: Schedule, timeout: Duration, request: Duration) -> Checking {
        Polling {
            machine: Check::new(t0, schedule, t0),
            deadline: Check::deadline(t0 + timeout, request),
        }
    }

    fn check(t0: Instant, timeout: Duration) -> Checking {
        let schedule = Schedule::ladder(2 * S, 15 * S, Box::new(0.0_f64));
        checking(t0, schedule, timeout, 30 * S)
    }

    fn status(code: u16, contains: Option<bool>) -> Answered {
        Answered::Status { code, contains }
    }

    fn not_serving(last: Answered) -> Next<Verdict> {
        Next::Finish(Verdict::NotServing(Some(last)))
    }

    /// Drives the check with a fake clock; `app(t)` is what the app answers at `t` seconds.
    /// Returns the finish, the number of checks and the events.
    fn drive(
        c: &mut Checking,
        t0: Instant,
        app: impl Fn(f64) -> Answered,
    ) -> (Next<Verdict>, u32, Vec<Event>) {
        let (finish, checks, events, _) = drive_timed(c, t0, app);
        (finish, checks, events)
    }

    /// [`drive`], and when it finished.
    fn drive_timed(
        c: &mut Checking,
        t0: Instant,
        app: impl Fn(f64) -> Answered,
    ) -> (Next<Verdict>, u32, Vec<Event>, Duration) {
        let (verdict, checks, finished, events) = c.drive(t0, app);
        (Next::Finish(verdict), checks, events, finished)
    }

    /// What the log is told, and the loop, of an answer that changed to `answer` `after` the start.
    fn changed(answer: Answered, after: Duration) -> (Vec<Event>, News) {
        (vec![Event::Changed(answer, after)], News::Changed)
    }

    fn no_such_host() -> Answered {
        Answered::NoSuchHost("my-app.exmaple.invalid".into())
    }

    fn refused() -> Answered {
        Answered::Failed("the connection was refused".into())
    }

    /// Issue 16: a host that does not resolve in four checks in a row (0, 2, 5 and 9.5 s with the
    /// default intervals) is a mistake: the check ends, naming it, long before the 15 minutes.
    #[test]
    fn a_host_that_does_not_resolve_ends_the_check_after_four_checks() {
        let t0 = Instant::now();
        let mut c = check(t0, 900 * S);
        let (finish, checks, _, took) = drive_timed(&mut c, t0, |_| no_such_host());
        let host = "my-app.exmaple.invalid".to_string();
        assert_eq!(finish, Next::Finish(Verdict::NoSuchHost(host)));
        assert_eq!(checks, HOST_GRACE_CHECKS);
        assert_eq!(took, 9500 * MS);
    }

    /// With long intervals the grace ends by time: the check after the first is brought forward
    /// to 30 s, and the check ends there, not at the schedule's 50 s.
    #[test]
    fn with_long_intervals_the_host_grace_ends_at_thirty_seconds() {
        let t0 = Instant::now();
        let schedule = Schedule::ladder(20 * S, 60 * S, Box::new(0.0_f64));
        let mut c = checking(t0, schedule, 900 * S, 30 * S);
        let (finish, checks, _, took) = drive_timed(&mut c, t0, |_| no_such_host());
        assert!(matches!(finish, Next::Finish(Verdict::NoSuchHost(_))));
        assert_eq!((checks, took), (3, HOST_GRACE));
    }

    /// A name just created resolves within the grace: the check goes on as usual. A lookup that
    /// fails now and then (checks between that resolve) never adds up to the grace either.
    #[test]
    fn a_host_that_resolves_within_the_grace_is_checked_on() {
        let t0 = Instant::now();
        let mut c = check(t0, 900 * S);
        let (finish, ..) = drive(&mut c, t0, |t| match t {
            t if t < 6.0 => no_such_host(),
            t if t < 60.0 => status(503, None),
            _ => status(200, None),
        });
        assert_eq!(finish, Next::Finish(Verdict::Serving));
        let mut c = check(t0, 300 * S);
        let n = std::cell::Cell::new(0);
        let flapping = |_| {
            n.set(n.get() + 1);
            match n.get() % 2 {
                0 => no_such_host(),
                _ => refused(),
            }
        };
        let (finish, checks, ..) = drive(&mut c, t0, flapping);
        assert!(
            matches!(finish, Next::Finish(Verdict::NotServing(_))),
            "{finish:?}"
        );
        assert!(checks > 2 * HOST_GRACE_CHECKS, "{checks}");
    }

    /// An app that is restarting refuses connections, resets them or answers 5xx: it is checked
    /// until the deadline, however long that is.
    #[test]
    fn refused_connections_resets_and_5xx_are_checked_until_the_deadline() {
        for answer in [
            refused(),
            Answered::Failed("connection reset".into()),
            status(502, None),
        ] {
            let t0 = Instant::now();
            let mut c = check(t0, 300 * S);
            let (finish, checks, _, took) = drive_timed(&mut c, t0, |_| answer.clone());
            assert_eq!(finish, not_serving(answer));
            assert!(checks > 2 * HOST_GRACE_CHECKS, "{checks}");
            assert!(took > 300 * S - 15 * S, "{took:?}");
        }
    }

    #[test]
    fn the_old_version_answering_200_is_waited_out_until_the_text_is_there() {
        let t0 = Instant::now();
        let mut c = check(t0, 300 * S);
        let (finish, checks, events) = drive(&mut c, t0, |t| status(200, Some(t >= 10.0)));
        assert_eq!(finish, Next::Finish(Verdict::Serving));
        // 0, 2, 5, 9.5 without; 16.25 with the text: the poll schedule's backoff.
        assert_eq!(checks, 5);
        let changes: Vec<&Answered> = events
            .iter()
            .map(|e| match e {
                Event::Changed(a, _) | Event::Heartbeat(a, _) => a,
            })
            .collect();
        assert_eq!(
            changes,
            [&status(200, Some(false)), &status(200, Some(true))]
        );
    }

    #[test]
    fn an_app_that_never_serves_finishes_at_the_deadline_with_its_last_answer() {
        let t0 = Instant::now();
        let mut c = check(t0, 200 * S);
        let (finish, checks, events) = drive(&mut c, t0, |_| status(503, None));
        assert_eq!(finish, not_serving(status(503, None)));
        assert!(checks > 10 && checks < 20, "{checks}");
        // Said once, then a heartbeat a minute or so apart, never every check.
        assert!(matches!(events[0], Event::Changed(..)));
        let beats = events.iter().filter(|e| matches!(e, Event::Heartbeat(..)));
        assert_eq!(beats.count(), 3, "{events:?}");
    }

    #[test]
    fn no_time_left_means_no_check_and_not_served() {
        let t0 = Instant::now();
        let c = check(t0, Duration::ZERO);
        assert_eq!(c.next(t0), Next::Finish(Verdict::NotServing(None)));
    }

    /// Issue 16: the last check, cut short by the deadline, does not replace the app's answer.
    #[test]
    fn a_check_cut_short_by_the_deadline_never_replaces_the_apps_last_answer() {
        let t0 = Instant::now();
        let mut c = check(t0, 3 * S);
        assert_eq!(c.next(t0), Next::Poll);
        let answer = status(503, None);
        assert_eq!(
            c.observe(t0, answer.clone()),
            changed(answer, Duration::ZERO)
        );
        assert_eq!(c.next(t0), Next::Sleep(2 * S));
        assert_eq!(c.next(t0 + 2 * S), Next::Poll);
        // 1 s left; the app took longer: the deadline ended the check.
        assert_eq!(
            c.observe(t0 + 3 * S, Answered::CutShort(S)),
            (vec![], News::Silent)
        );
        assert_eq!(c.next(t0 + 3 * S), not_serving(status(503, None)));
    }

    /// With no answer at all, the verdict says that no complete answer came, and within how long.
    #[test]
    fn a_check_cut_short_with_no_answer_before_it_says_how_long_the_app_had() {
        let t0 = Instant::now();
        let mut c = check(t0, 800 * MS);
        assert_eq!(c.next(t0), Next::Poll);
        c.observe(t0 + 800 * MS, Answered::CutShort(800 * MS));
        let finish = c.next(t0 + 800 * MS);
        assert_eq!(finish, not_serving(Answered::CutShort(800 * MS)));
        assert_eq!(
            Answered::CutShort(800 * MS).describe(None),
            "could not be reached: no complete answer within 800ms"
        );
        // A real answer after it (a check that got its slice) replaces it.
        let mut c = check(t0, 10 * S);
        c.observe(t0, Answered::CutShort(S));
        let answer = status(502, None);
        assert_eq!(
            c.observe(t0 + 2 * S, answer.clone()),
            changed(answer, 2 * S)
        );
        assert_eq!(c.next(t0 + 10 * S), not_serving(status(502, None)));
    }

    /// A check that could not get [`SLICE_FLOOR`] before the deadline is not started: the wait
    /// ends at once with the last answer; a check that can is started.
    #[test]
    fn a_check_without_a_meaningful_slice_of_time_is_not_started() {
        let t0 = Instant::now();
        let mut c = check(t0, 2 * S + 200 * MS);
        c.observe(t0, status(503, None));
        // Due at 2 s, with 200 ms left then: finished now, rather than after sleeping to the end.
        assert_eq!(c.next(t0), not_serving(status(503, None)));

        let mut c = check(t0, 2 * S + SLICE_FLOOR);
        c.observe(t0, status(503, None));
        assert_eq!(c.next(t0), Next::Sleep(2 * S));
        assert_eq!(c.next(t0 + 2 * S), Next::Poll);
        // A late wake-up that leaves less than the floor starts nothing either.
        assert_eq!(c.next(t0 + 2 * S + MS), not_serving(status(503, None)));
    }

    /// The floor is never above `request_timeout`: a user who asks for 100 ms checks gets them.
    #[test]
    fn the_floor_is_at_most_the_request_timeout() {
        let t0 = Instant::now();
        let schedule = Schedule::ladder(2 * S, 15 * S, Box::new(0.0_f64));
        let c = checking(t0, schedule, 150 * MS, 100 * MS);
        assert_eq!(c.next(t0), Next::Poll);
        assert_eq!(
            c.next(t0 + 60 * MS),
            Next::Finish(Verdict::NotServing(None))
        );
    }

    #[test]
    fn only_a_2xx_with_the_text_if_asked_is_serving() {
        assert!(status(200, None).serving());
        assert!(status(204, Some(true)).serving());
        assert!(!status(200, Some(false)).serving());
        assert!(!status(301, None).serving());
        assert!(!status(503, None).serving());
        assert!(!Answered::Failed("refused".into()).serving());
        assert!(!Answered::CutShort(S).serving());
        assert_eq!(
            status(200, Some(false)).describe(Some("v2")),
            "answered 200 but did not contain 'v2'"
        );
        assert_eq!(status(503, None).describe(None), "answered 503");
    }
}
