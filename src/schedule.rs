//! When to look next. A [`Ladder`] of waits growing by 1.5× (the user's intervals, the defaults,
//! the retries); or, when the app's own deployments say how long this one will take, a [`Window`]:
//! sparse early, about every second around the expected end, backing off after it. Every wait has
//! ±20 % jitter, so pipelines triggered together do not poll in lockstep.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

use crate::history::Expectation;
use crate::inputs::{DEFAULT_MAX_POLL_INTERVAL, Settings};

/// How much each wait grows over the previous one.
pub const FACTOR: f32 = 1.5;
/// The jitter, as a fraction of the wait.
pub const JITTER: f64 = 0.2;

/// A learned schedule's first look: it still catches a deployment that fails at once.
pub const FIRST_LOOK: Duration = Duration::from_secs(2);
/// Before the window, the waits grow from [`FIRST_LOOK`] to at most this: sparse, yet a failure
/// on the way is seen within half a minute.
pub const SPARSE_LONGEST: Duration = Duration::from_secs(30);
/// The densest polling: about every second.
pub const DENSE: Duration = Duration::from_secs(1);
/// After a learned window, the waits grow to this, as the ladder of earlier versions did.
pub const LATE_LONGEST: Duration = Duration::from_secs(15);
/// The window reaches at least this far beyond the fastest and the slowest deployment seen...
pub const MARGIN: Duration = Duration::from_secs(2);
/// ...and at least this share of the expected duration.
pub const MARGIN_SHARE: f64 = 0.05;
/// The wait within a window is this many seconds times the square root of the window's width in
/// seconds (at least [`DENSE`]): the polls that minimise the mean time to notice an end spread
/// evenly over the window, for a given mean number of polls, grow with the square root of its width.
pub const DENSITY: f64 = 0.2;
/// The check of `verify_url` looks every [`DENSE`] this long after the deployment's success: an app
/// usually serves its new version within seconds.
pub const SETTLE: Duration = Duration::from_secs(10);

/// A source of jitter: numbers in `[-1.0, 1.0]`.
pub trait JitterSource {
    /// The next sample in `[-1.0, 1.0]`.
    fn sample(&mut self) -> f64;

    /// A source of its own for another part of a schedule.
    fn fork(&mut self) -> Box<dyn JitterSource + Send>;
}

impl JitterSource for fastrand::Rng {
    fn sample(&mut self) -> f64 {
        self.f64() * 2.0 - 1.0
    }

    fn fork(&mut self) -> Box<dyn JitterSource + Send> {
        Box::new(fastrand::Rng::fork(self))
    }
}

/// A fixed sample: the same jitter every time (the request-economy table's worst cases).
impl JitterSource for f64 {
    fn sample(&mut self) -> f64 {
        *self
    }

    fn fork(&mut self) -> Box<dyn JitterSource + Send> {
        Box::new(*self)
    }
}

/// Waits growing by 1.5× from `min` to `max`.
///
/// The exponential ladder (backon) runs up to `max / (1 - JITTER)` and the jittered wait is then
/// capped at `max`. So while the waits grow they vary by ±20 %, and once grown they are exactly
/// `max`: the phase offset the ramp's jitter gave each run persists, yet no wait ever exceeds
/// `max` (detection latency) and none falls below the plain ladder's count of requests (request
/// economy).
pub struct Ladder {
    builder: ExponentialBuilder,
    steps: ExponentialBackoff,
    ceiling: Duration,
    max: Duration,
    jitter: Box<dyn JitterSource + Send>,
}

impl Ladder {
    /// A ladder from `min` growing to `max` (`min <= max`).
    pub fn new(min: Duration, max: Duration, jitter: Box<dyn JitterSource + Send>) -> Ladder {
        let ceiling = max.div_f64(1.0 - JITTER);
        let builder = ExponentialBuilder::default()
            .with_min_delay(min)
            .with_max_delay(ceiling)
            .with_factor(FACTOR)
            .without_max_times();
        Ladder {
            builder,
            steps: builder.build(),
            ceiling,
            max,
            jitter,
        }
    }

    /// Starts again from the first wait (after a request succeeded).
    pub fn restart(&mut self) {
        self.steps = self.builder.build();
    }

    /// The next wait.
    pub fn next_wait(&mut self) -> Duration {
        let base = self.steps.next().unwrap_or(self.ceiling);
        jittered(base, &mut *self.jitter).min(self.max)
    }
}

/// `base`, moved by at most ±[`JITTER`].
fn jittered(base: Duration, jitter: &mut dyn JitterSource) -> Duration {
    base.mul_f64(1.0 + JITTER * jitter.sample().clamp(-1.0, 1.0))
}

/// Where the end is expected, counted from the start of the wait, and how often to look there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Where polling turns dense.
    pub from: Duration,
    /// Where it backs off again.
    pub to: Duration,
    /// The wait within the window.
    pub every: Duration,
    /// The longest wait after it, the waits growing ×1.5 from `every`.
    pub then: Duration,
}

impl Window {
    /// Around what the app's recent deployments took: from the fastest to the slowest, widened on
    /// each side by the range over one less than their count (the unbiased estimate of the bounds
    /// of a uniform spread), by at least [`MARGIN`] and [`MARGIN_SHARE`] of the median.
    pub fn learned(e: &Expectation) -> Window {
        let gaps = e.count.saturating_sub(1).max(1) as u32;
        let widen = (e.slowest.saturating_sub(e.fastest) / gaps)
            .max(MARGIN)
            .max(e.expected.mul_f64(MARGIN_SHARE));
        let from = e.fastest.saturating_sub(widen).max(FIRST_LOOK);
        let to = (e.slowest + widen).max(from);
        let every = Duration::from_secs_f64(DENSITY * (to - from).as_secs_f64().sqrt());
        Window {
            from,
            to,
            every: every.clamp(DENSE, LATE_LONGEST),
            then: LATE_LONGEST,
        }
    }

    /// The check of `verify_url`, from the deployment's success: about every second for
    /// [`SETTLE`], then as the default ladder, growing to the default `max_poll_interval`: an app
    /// that takes longer to serve is still seen within a few seconds (these requests go to the
    /// app, never to the API).
    pub fn settling() -> Window {
        Window {
            from: Duration::ZERO,
            to: SETTLE,
            every: DENSE,
            then: DEFAULT_MAX_POLL_INTERVAL,
        }
    }
}

/// When to poll next, given how long the wait has lasted.
pub enum Schedule {
    /// The ladder of the user's intervals, or the defaults.
    Ladder(Box<Ladder>),
    /// Around an expected end.
    Around(Box<Around>),
}

/// The waits around a [`Window`].
pub struct Around {
    /// Where the end is expected.
    window: Window,
    /// The sparse waits before the window.
    before: Ladder,
    /// The waits after it, growing again.
    after: Ladder,
    /// Jitter on the waits within it.
    jitter: Box<dyn JitterSource + Send>,
}

impl Schedule {
    /// The ladder from `min` growing to `max`.
    pub fn ladder(min: Duration, max: Duration, jitter: Box<dyn JitterSource + Send>) -> Schedule {
        Schedule::Ladder(Box::new(Ladder::new(min, max, jitter)))
    }

    /// Around `window`; `jitter` is drawn from for every wait.
    pub fn around(window: Window, mut jitter: Box<dyn JitterSource + Send>) -> Schedule {
        Schedule::Around(Box::new(Around {
            window,
            before: Ladder::new(FIRST_LOOK, SPARSE_LONGEST, jitter.fork()),
            after: Ladder::new(window.every, window.then, jitter.fork()),
            jitter,
        }))
    }

    /// The wait for a deployment: the user's intervals when either is set (nothing is learned
    /// then); else around what the app's deployments took, when that was learned; else the
    /// default ladder.
    pub fn for_deployment(
        settings: &Settings,
        learned: Option<&Expectation>,
        jitter: Box<dyn JitterSource + Send>,
    ) -> Schedule {
        match learned {
            Some(e) if !settings.intervals_set => Schedule::around(Window::learned(e), jitter),
            _ => Schedule::of_settings(settings, jitter),
        }
    }

    /// The check of `verify_url` (its first check comes at once): the user's intervals when
    /// either is set, else about every second for [`SETTLE`], backing off after.
    pub fn for_check(settings: &Settings, jitter: Box<dyn JitterSource + Send>) -> Schedule {
        match settings.intervals_set {
            true => Schedule::of_settings(settings, jitter),
            false => Schedule::around(Window::settling(), jitter),
        }
    }

    fn of_settings(settings: &Settings, jitter: Box<dyn JitterSource + Send>) -> Schedule {
        Schedule::ladder(settings.poll_interval, settings.max_poll_interval, jitter)
    }

    /// The wait before the next poll, `elapsed` into the wait. A wait before the window never
    /// reaches past its start.
    pub fn next_wait(&mut self, elapsed: Duration) -> Duration {
        match self {
            Schedule::Ladder(ladder) => ladder.next_wait(),
            Schedule::Around(around) => {
                let Around {
                    window,
                    before,
                    after,
                    jitter,
                } = &mut **around;
                if elapsed < window.from {
                    before.next_wait().min(window.from - elapsed)
                } else if elapsed < window.to {
                    jittered(window.every, &mut **jitter)
                } else {
                    after.next_wait()
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "schedule/tests.rs"]
mod tests;
