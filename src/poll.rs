//! The loop that polls until a state machine finishes or the deadline comes: the wait for our
//! deployment (`watch.rs`) and the check of the app (`verify/check.rs`) each keep only what their
//! answers mean; asking what is next, sleeping on the injected clock (never past the deadline),
//! the heartbeat, a cancelled job, and never requesting past the deadline are here, once.

use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::ending::Signal;

/// How long without news before the log says it is still waiting.
pub const HEARTBEAT: Duration = Duration::from_secs(60);

/// What a machine polled by the loop knows: when its next request is due, what an answer means,
/// and whether it is finished. No HTTP, no sleeping, no deadline.
pub trait Machine {
    /// What one request brings back.
    type Answer;
    /// How the polling ended.
    type Verdict;
    /// Something worth a log line.
    type Event;

    /// The verdict, once the answers gave one.
    fn verdict(&self) -> Option<Self::Verdict>;

    /// When the next request is due.
    fn due(&self) -> Instant;

    /// The verdict when the deadline leaves no time for another request.
    fn timed_out(&self) -> Self::Verdict;

    /// Takes in the answer to a request made just before `now`: what is worth logging, and
    /// whether it was news.
    fn observe(&mut self, now: Instant, answer: Self::Answer) -> (Vec<Self::Event>, News);

    /// What the heartbeat says at `now`: still as before (`None`: nothing heard yet).
    fn still(&self, now: Instant) -> Option<Self::Event>;
}

/// What an answer was, for the heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum News {
    /// Something changed: the heartbeat's minute starts again.
    Changed,
    /// Nothing changed: after [`HEARTBEAT`] of these, the log says it is still so.
    Unchanged,
    /// No answer of what is polled (a request the deadline cut short): it neither changes
    /// anything nor counts as unchanged.
    Silent,
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next<V> {
    /// Wait this long, then ask again.
    Sleep(Duration),
    /// Send the request now and observe its answer.
    Poll,
    /// Stop.
    Finish(V),
}

/// What the loop does once the deadline leaves no room for another request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfTime {
    /// Sleeps until the deadline, then finishes: the verdict is that the time ran out (the wait
    /// for our deployment).
    WaitOut,
    /// Finishes at once: sleeping on would change nothing (the check of the app).
    EndNow,
}

/// When polling ends: no request is started at or after `at`, nor with less than `floor` left.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    /// The deadline.
    pub at: Instant,
    /// The least time left before `at` that a request is started with.
    pub floor: Duration,
    /// What happens once no request fits.
    pub out_of_time: OutOfTime,
}

impl Deadline {
    /// Polling until `at`, sleeping out to it once no request is due before it.
    pub fn at(at: Instant) -> Deadline {
        Deadline {
            at,
            floor: Duration::ZERO,
            out_of_time: OutOfTime::WaitOut,
        }
    }
}

/// A cancelling signal arrived before the next request: none was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled(pub Signal);

/// The loop, with what it runs on: time, the deadline, and whether the job was cancelled.
pub struct Poller<'a> {
    clock: &'a dyn Clock,
    deadline: Deadline,
    cancelled: &'a dyn Fn() -> Option<Signal>,
}

impl<'a> Poller<'a> {
    /// A loop on `clock`, ending by `deadline`, that sends no request once `cancelled` names a
    /// signal.
    pub fn new(
        clock: &'a dyn Clock,
        deadline: Deadline,
        cancelled: &'a dyn Fn() -> Option<Signal>,
    ) -> Poller<'a> {
        Poller {
            clock,
            deadline,
            cancelled,
        }
    }

    /// What to do at `now`, for `machine`.
    pub fn next<M: Machine>(&self, machine: &M, now: Instant) -> Next<M::Verdict> {
        if let Some(verdict) = machine.verdict() {
            return Next::Finish(verdict);
        }
        let Deadline {
            at,
            floor,
            out_of_time,
        } = self.deadline;
        let due = machine.due();
        // A request is started only before the deadline, and with at least `floor` left.
        let start = due.max(now);
        if start >= at || start + floor > at {
            return match out_of_time {
                OutOfTime::WaitOut if now < at => Next::Sleep(at - now),
                OutOfTime::WaitOut | OutOfTime::EndNow => Next::Finish(machine.timed_out()),
            };
        }
        if now >= due {
            Next::Poll
        } else {
            Next::Sleep(due - now)
        }
    }

    /// Polls `machine` until it finishes: `request` sends the request numbered from 1 and returns
    /// its answer, `said` is given each event (the heartbeat's included) with the machine as it
    /// is after the answer. The job cancelled, it returns before sending another request.
    pub fn run<M: Machine>(
        &self,
        machine: &mut M,
        mut request: impl FnMut(u32) -> M::Answer,
        mut said: impl FnMut(&M, M::Event),
    ) -> Result<M::Verdict, Cancelled> {
        let mut requests = 0;
        let mut last_news = self.clock.now();
        loop {
            match self.next(machine, self.clock.now()) {
                Next::Sleep(wait) => self.clock.sleep(wait),
                Next::Poll => {
                    if let Some(signal) = (self.cancelled)() {
                        return Err(Cancelled(signal));
                    }
                    requests += 1;
                    let answer = request(requests);
                    let now = self.clock.now();
                    let (events, news) = machine.observe(now, answer);
                    for event in events {
                        said(machine, event);
                    }
                    let quiet = now.saturating_duration_since(last_news);
                    match news {
                        News::Changed => last_news = now,
                        // A finished machine is not still waiting.
                        News::Unchanged if quiet >= HEARTBEAT && machine.verdict().is_none() => {
                            last_news = now;
                            if let Some(event) = machine.still(now) {
                                said(machine, event);
                            }
                        }
                        News::Unchanged | News::Silent => {}
                    }
                }
                Next::Finish(verdict) => return Ok(verdict),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::Cell;
    use std::ops::{Deref, DerefMut};

    use super::*;
    use crate::clock::tests::FakeClock;

    const S: Duration = Duration::from_secs(1);

    /// A machine and when its polling ends, as the run has them: what the machines' own tests
    /// drive, on the real loop with a fake clock.
    pub(crate) struct Polling<M> {
        pub(crate) machine: M,
        pub(crate) deadline: Deadline,
    }

    impl<M> Deref for Polling<M> {
        type Target = M;

        fn deref(&self) -> &M {
            &self.machine
        }
    }

    impl<M> DerefMut for Polling<M> {
        fn deref_mut(&mut self) -> &mut M {
            &mut self.machine
        }
    }

    impl<M: Machine> Polling<M> {
        /// What the loop does next at `now`.
        pub(crate) fn next(&self, now: Instant) -> Next<M::Verdict> {
            let clock = FakeClock::at(now);
            Poller::new(&clock, self.deadline, &never).next(&self.machine, now)
        }

        /// Polls from `t0` until the machine finishes, on a fake clock that moves only when the
        /// loop sleeps (never for nothing); `answer(t)` is the answer to the request sent `t`
        /// seconds after `t0`. Returns the verdict, the number of requests, when it finished and
        /// every event, in order.
        pub(crate) fn drive(
            &mut self,
            t0: Instant,
            mut answer: impl FnMut(f64) -> M::Answer,
        ) -> (M::Verdict, u32, Duration, Vec<M::Event>) {
            let clock = FakeClock::at(t0);
            let poller = Poller::new(&clock, self.deadline, &never);
            let (mut requests, mut events) = (0, Vec::new());
            let send = |n| {
                requests = n;
                answer(clock.now().duration_since(t0).as_secs_f64())
            };
            let verdict = poller.run(&mut self.machine, send, |_, event| events.push(event));
            assert!(clock.slept().iter().all(|d| !d.is_zero()));
            let finished = clock.now().duration_since(t0);
            (
                verdict.expect("never cancelled"),
                requests,
                finished,
                events,
            )
        }
    }

    /// A machine due every `every`, finished after `answers` answers; an answer is news when it
    /// is `true`.
    struct Ticker {
        every: Duration,
        due: Instant,
        answers: u32,
        seen: u32,
    }

    impl Ticker {
        fn new(t0: Instant, every: Duration, answers: u32) -> Ticker {
            Ticker {
                every,
                due: t0,
                answers,
                seen: 0,
            }
        }
    }

    impl Machine for Ticker {
        type Answer = Option<bool>;
        type Verdict = &'static str;
        type Event = String;

        fn verdict(&self) -> Option<&'static str> {
            (self.seen >= self.answers).then_some("done")
        }

        fn due(&self) -> Instant {
            self.due
        }

        fn timed_out(&self) -> &'static str {
            "timed out"
        }

        fn observe(&mut self, now: Instant, answer: Option<bool>) -> (Vec<String>, News) {
            self.seen += 1;
            self.due = now + self.every;
            match answer {
                Some(true) => (vec![format!("changed {}", self.seen)], News::Changed),
                Some(false) => (Vec::new(), News::Unchanged),
                None => (Vec::new(), News::Silent),
            }
        }

        fn still(&self, _: Instant) -> Option<String> {
            Some(format!("still {}", self.seen))
        }
    }

    fn never() -> Option<Signal> {
        None
    }

    /// Runs `machine` to its end; what was said, and when each request was sent (in seconds).
    fn drive(
        clock: &FakeClock,
        deadline: Deadline,
        machine: &mut Ticker,
        answer: impl Fn(u32) -> Option<bool>,
    ) -> (Result<&'static str, Cancelled>, Vec<String>, Vec<u64>) {
        let t0 = clock.now();
        let (mut said, mut sent) = (Vec::new(), Vec::new());
        let poller = Poller::new(clock, deadline, &never);
        let verdict = poller.run(
            machine,
            |n| {
                sent.push(clock.now().duration_since(t0).as_secs());
                answer(n)
            },
            |_, event| said.push(event),
        );
        (verdict, said, sent)
    }

    /// A wait sleeps to the deadline, never past it, and finishes there; no request is sent at it.
    #[test]
    fn a_wait_sleeps_to_the_deadline_and_no_request_is_sent_at_it() {
        let t0 = Instant::now();
        let clock = FakeClock::at(t0);
        let mut ticker = Ticker::new(t0, 15 * S, 100);
        let (verdict, _, sent) = drive(&clock, Deadline::at(t0 + 40 * S), &mut ticker, |_| None);
        assert_eq!(verdict, Ok("timed out"));
        assert_eq!(sent, [0, 15, 30]);
        assert_eq!(clock.now(), t0 + 40 * S);
        assert_eq!(clock.slept(), [15 * S, 15 * S, 10 * S]);
    }

    /// With a floor, no request is started with less than it left, and a loop that ends at once
    /// does not sleep out to the deadline.
    #[test]
    fn no_request_starts_with_less_than_the_floor_left() {
        let t0 = Instant::now();
        let clock = FakeClock::at(t0);
        let deadline = Deadline {
            at: t0 + 40 * S,
            floor: 11 * S,
            out_of_time: OutOfTime::EndNow,
        };
        let mut ticker = Ticker::new(t0, 15 * S, 100);
        let (verdict, _, sent) = drive(&clock, deadline, &mut ticker, |_| None);
        assert_eq!(verdict, Ok("timed out"));
        assert_eq!(sent, [0, 15]);
        assert_eq!(clock.now(), t0 + 15 * S);
    }

    #[test]
    fn a_machine_that_finishes_ends_the_loop_with_its_verdict() {
        let t0 = Instant::now();
        let clock = FakeClock::at(t0);
        let mut ticker = Ticker::new(t0, 2 * S, 3);
        let (verdict, said, sent) = drive(&clock, Deadline::at(t0 + 60 * S), &mut ticker, |_| {
            Some(true)
        });
        assert_eq!(verdict, Ok("done"));
        assert_eq!(said, ["changed 1", "changed 2", "changed 3"]);
        assert_eq!(sent, [0, 2, 4]);
    }

    /// A heartbeat comes after a minute without news, and a minute after the last one; news
    /// starts the minute again, and silence neither starts it again nor counts.
    #[test]
    fn a_heartbeat_comes_a_minute_after_the_last_news() {
        let t0 = Instant::now();
        let clock = FakeClock::at(t0);
        let mut ticker = Ticker::new(t0, 10 * S, 100);
        // Requests at 0, 10, …: news at 30 s; silence from 100 s to 150 s.
        let answer = |n: u32| match n {
            4 => Some(true),
            11..=16 => None,
            _ => Some(false),
        };
        let deadline = Deadline::at(t0 + 200 * S);
        let (_, said, _) = drive(&clock, deadline, &mut ticker, answer);
        assert_eq!(said, ["changed 4", "still 10", "still 17"]);
    }

    /// No heartbeat once the machine has its verdict: it is not still waiting.
    #[test]
    fn no_heartbeat_comes_with_the_verdict() {
        let t0 = Instant::now();
        let clock = FakeClock::at(t0);
        let mut ticker = Ticker::new(t0, 60 * S, 2);
        let deadline = Deadline::at(t0 + 200 * S);
        let (verdict, said, _) = drive(&clock, deadline, &mut ticker, |_| Some(false));
        assert_eq!((verdict, said), (Ok("done"), Vec::new()));
    }

    /// A signal is noticed before each request: none is sent after it, and the loop says so.
    #[test]
    fn no_request_is_sent_after_a_signal() {
        let t0 = Instant::now();
        let clock = FakeClock::at(t0);
        let signal = Cell::new(None);
        let cancelled = || signal.get();
        let poller = Poller::new(&clock, Deadline::at(t0 + 60 * S), &cancelled);
        let mut ticker = Ticker::new(t0, 5 * S, 100);
        let mut sent = 0;
        let ended = poller.run(
            &mut ticker,
            |n| {
                sent = n;
                if n == 2 {
                    signal.set(Some(Signal::Terminate));
                }
                Some(false)
            },
            |_, _| {},
        );
        assert_eq!(ended, Err(Cancelled(Signal::Terminate)));
        assert_eq!(sent, 2);
        assert_eq!(clock.now(), t0 + 10 * S);
    }
}
