//! Time as the run sees it: injected, so the wait loop can be tested without sleeping.

use std::time::{Duration, Instant, SystemTime};

/// Where the run gets "now" from and how it waits.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration);
    /// The date and time, to compare with the API's timestamps (never to time a wait).
    fn wall(&self) -> SystemTime;
}

/// The real clock: `Instant::now` and `thread::sleep`.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Time that moves only when the code under test sleeps, and the sleeps it was asked for
    /// (shareable across threads, as the retries' clock is).
    pub(crate) struct FakeClock {
        now: Mutex<Instant>,
        started: Instant,
        slept: Mutex<Vec<Duration>>,
    }

    /// The date a [`FakeClock`] starts at: 2026-01-01T00:00:00Z.
    pub(crate) fn fake_wall() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
    }

    impl FakeClock {
        /// A clock at `now`.
        pub(crate) fn at(now: Instant) -> FakeClock {
            FakeClock {
                now: Mutex::new(now),
                started: now,
                slept: Mutex::default(),
            }
        }

        /// Every sleep so far, in order.
        pub(crate) fn slept(&self) -> Vec<Duration> {
            self.slept.lock().unwrap().clone()
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            *self.now.lock().unwrap()
        }

        fn sleep(&self, duration: Duration) {
            *self.now.lock().unwrap() += duration;
            self.slept.lock().unwrap().push(duration);
        }

        fn wall(&self) -> SystemTime {
            fake_wall() + self.now().duration_since(self.started)
        }
    }
}
