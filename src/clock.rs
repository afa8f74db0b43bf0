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
    use std::cell::{Cell, RefCell};

    use super::*;

    /// Time that moves only when the code under test sleeps, and the sleeps it was asked for.
    pub(crate) struct FakeClock {
        now: Cell<Instant>,
        slept: RefCell<Vec<Duration>>,
    }

    impl FakeClock {
        /// A clock at `now`.
        pub(crate) fn at(now: Instant) -> FakeClock {
            FakeClock {
                now: Cell::new(now),
                slept: RefCell::default(),
            }
        }

        /// Every sleep so far, in order.
        pub(crate) fn slept(&self) -> Vec<Duration> {
            self.slept.borrow().clone()
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.now.get()
        }

        fn sleep(&self, duration: Duration) {
            self.now.set(self.now.get() + duration);
            self.slept.borrow_mut().push(duration);
        }
    }
}
