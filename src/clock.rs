//! Time as the run sees it: injected, so the wait loop can be tested without sleeping.

use std::time::{Duration, Instant};

/// Where the run gets "now" from and how it waits.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration);
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
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Time that moves only when the code under test sleeps, and the sleeps it was asked for
    /// (shareable across threads, as the retries' clock is).
    pub(crate) struct FakeClock {
        now: Mutex<Instant>,
        slept: Mutex<Vec<Duration>>,
    }

    impl FakeClock {
        /// A clock at `now`.
        pub(crate) fn at(now: Instant) -> FakeClock {
            FakeClock {
                now: Mutex::new(now),
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
    }
}
