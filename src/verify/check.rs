//! The check's state machine: told what the app answered and what time it is, it says what to do
//! next (sleep, check, or finish) and what is worth logging. No HTTP, no sleeping.

use std::time::{Duration, Instant};

use crate::escape;
use crate::schedule::Schedule;
use crate::watch::HEARTBEAT;

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
        }
    }
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Wait this long.
    Sleep(Duration),
    /// Check the application now.
    Check,
    /// Stop: whether it served, and the last answer (`None`: there was no time to check).
    Finish {
        /// The new version answered as asked.
        served: bool,
        /// The last answer.
        last: Option<Answered>,
    },
}

/// What the log says about a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The answer differs from the last one.
    Changed(Answered, Duration),
    /// No change for a while: still this answer.
    Heartbeat(Answered, Duration),
}

/// The check's state: when the next request is due, and what the app last answered.
pub struct Check {
    started: Instant,
    deadline: Instant,
    schedule: Schedule,
    due: Instant,
    last: Option<Answered>,
    last_news: Instant,
}

impl Check {
    /// A check due at `now`, ending by `deadline`; `started` is the run's start (for the log).
    pub fn new(started: Instant, deadline: Instant, schedule: Schedule, now: Instant) -> Check {
        Check {
            started,
            deadline,
            schedule,
            due: now,
            last: None,
            last_news: now,
        }
    }

    /// What to do at `now`.
    pub fn next(&self, now: Instant) -> Next {
        let served = self.last.as_ref().is_some_and(Answered::serving);
        if served || now >= self.deadline {
            return Next::Finish {
                served,
                last: self.last.clone(),
            };
        }
        if now >= self.due {
            return Next::Check;
        }
        Next::Sleep(self.due.min(self.deadline) - now)
    }

    /// Takes in the answer to a check made just before `now`: an event for a change, or a
    /// heartbeat after [`HEARTBEAT`] without one.
    pub fn observe(&mut self, now: Instant, answer: Answered) -> Option<Event> {
        self.due = now + self.schedule.next_wait();
        let elapsed = now.saturating_duration_since(self.started);
        let changed = self.last.as_ref() != Some(&answer);
        self.last = Some(answer.clone());
        if changed {
            self.last_news = now;
            return Some(Event::Changed(answer, elapsed));
        }
        if now.saturating_duration_since(self.last_news) >= HEARTBEAT {
            self.last_news = now;
            return Some(Event::Heartbeat(answer, elapsed));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn check(t0: Instant, timeout: Duration) -> Check {
        let schedule = Schedule::new(2 * S, 15 * S, Box::new(0.0_f64));
        Check::new(t0, t0 + timeout, schedule, t0)
    }

    fn status(code: u16, contains: Option<bool>) -> Answered {
        Answered::Status { code, contains }
    }

    /// Drives the check with a fake clock; `app(t)` is what the app answers at `t` seconds.
    /// Returns the finish, the number of checks and the events.
    fn drive(c: &mut Check, t0: Instant, app: impl Fn(f64) -> Answered) -> (Next, u32, Vec<Event>) {
        let (mut now, mut checks, mut events) = (t0, 0, Vec::new());
        loop {
            match c.next(now) {
                Next::Sleep(d) => now += d,
                Next::Check => {
                    checks += 1;
                    let answer = app((now - t0).as_secs_f64());
                    events.extend(c.observe(now, answer));
                }
                finish => return (finish, checks, events),
            }
        }
    }

    #[test]
    fn the_old_version_answering_200_is_waited_out_until_the_text_is_there() {
        let t0 = Instant::now();
        let mut c = check(t0, 300 * S);
        let (finish, checks, events) = drive(&mut c, t0, |t| status(200, Some(t >= 10.0)));
        assert_eq!(
            finish,
            Next::Finish {
                served: true,
                last: Some(status(200, Some(true)))
            }
        );
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
        assert_eq!(
            finish,
            Next::Finish {
                served: false,
                last: Some(status(503, None))
            }
        );
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
        assert_eq!(
            c.next(t0),
            Next::Finish {
                served: false,
                last: None
            }
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
        assert_eq!(
            status(200, Some(false)).describe(Some("v2")),
            "answered 200 but did not contain 'v2'"
        );
        assert_eq!(status(503, None).describe(None), "answered 503");
    }
}
