//! The poll schedule: waits start at `poll_interval`, grow by 1.5× and stop growing at
//! `max_poll_interval`, with ±20 % jitter so pipelines triggered together do not poll in lockstep.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

/// How much each wait grows over the previous one.
pub const FACTOR: f32 = 1.5;
/// The jitter, as a fraction of the wait.
pub const JITTER: f64 = 0.2;

/// A source of jitter: numbers in `[-1.0, 1.0]`.
pub trait JitterSource {
    /// The next sample in `[-1.0, 1.0]`.
    fn sample(&mut self) -> f64;
}

impl JitterSource for fastrand::Rng {
    fn sample(&mut self) -> f64 {
        self.f64() * 2.0 - 1.0
    }
}

/// A fixed sample: the same jitter every time (the request-economy table's worst cases).
impl JitterSource for f64 {
    fn sample(&mut self) -> f64 {
        *self
    }
}

/// The waits between polls.
///
/// The exponential ladder (backon) runs up to `max / (1 - JITTER)` and the jittered wait is then
/// capped at `max`. So while the waits grow they vary by ±20 %, and once grown they are exactly
/// `max`: the phase offset the ramp's jitter gave each run persists, yet no wait ever exceeds
/// `max_poll_interval` (detection latency) and none falls below the plain schedule's count of
/// requests (request economy).
pub struct Schedule {
    builder: ExponentialBuilder,
    ladder: ExponentialBackoff,
    ceiling: Duration,
    max: Duration,
    jitter: Box<dyn JitterSource + Send>,
}

impl Schedule {
    /// A schedule from `min` growing to `max` (`min <= max`).
    pub fn new(min: Duration, max: Duration, jitter: Box<dyn JitterSource + Send>) -> Schedule {
        let ceiling = max.div_f64(1.0 - JITTER);
        let builder = ExponentialBuilder::default()
            .with_min_delay(min)
            .with_max_delay(ceiling)
            .with_factor(FACTOR)
            .without_max_times();
        Schedule {
            builder,
            ladder: builder.build(),
            ceiling,
            max,
            jitter,
        }
    }

    /// Starts again from the first wait (after a request succeeded).
    pub fn restart(&mut self) {
        self.ladder = self.builder.build();
    }

    /// The wait before the next poll.
    pub fn next_wait(&mut self) -> Duration {
        let base = self.ladder.next().unwrap_or(self.ceiling);
        let sample = self.jitter.sample().clamp(-1.0, 1.0);
        base.mul_f64(1.0 + JITTER * sample).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn waits(min: f64, max: f64, jitter: f64, n: usize) -> Vec<Duration> {
        let mut s = Schedule::new(secs(min), secs(max), Box::new(jitter));
        (0..n).map(|_| s.next_wait()).collect()
    }

    fn close(a: Duration, b: f64) -> bool {
        (a.as_secs_f64() - b).abs() < 0.001
    }

    #[test]
    fn waits_start_at_poll_interval_and_grow_by_half() {
        let w = waits(2.0, 15.0, 0.0, 5);
        for (got, want) in w.iter().zip([2.0, 3.0, 4.5, 6.75, 10.125]) {
            assert!(close(*got, want), "{got:?} != {want}");
        }
    }

    #[test]
    fn waits_never_exceed_max_poll_interval_whatever_the_jitter() {
        for jitter in [-1.0, -0.3, 0.0, 0.5, 1.0] {
            let w = waits(2.0, 15.0, jitter, 200);
            assert!(w.iter().all(|d| *d <= secs(15.0)), "jitter {jitter}");
            assert!(w[20..].iter().all(|d| *d == secs(15.0)), "jitter {jitter}");
        }
    }

    #[test]
    fn jitter_moves_a_growing_wait_by_at_most_twenty_percent() {
        let low = waits(2.0, 15.0, -1.0, 3);
        let high = waits(2.0, 15.0, 1.0, 3);
        for (i, base) in [2.0, 3.0, 4.5].into_iter().enumerate() {
            assert!(close(low[i], base * 0.8));
            assert!(close(high[i], base * 1.2));
        }
    }

    #[test]
    fn random_jitter_stays_within_bounds() {
        let mut s = Schedule::new(secs(1.0), secs(60.0), Box::new(fastrand::Rng::with_seed(7)));
        let first = s.next_wait();
        assert!(first >= secs(0.8) && first <= secs(1.2));
        let w: Vec<_> = (0..500).map(|_| s.next_wait()).collect();
        assert!(w.iter().all(|d| *d <= secs(60.0)));
    }

    #[test]
    fn restart_starts_again_from_the_first_wait() {
        let mut s = Schedule::new(secs(2.0), secs(15.0), Box::new(0.0));
        s.next_wait();
        s.next_wait();
        s.restart();
        assert!(close(s.next_wait(), 2.0));
    }

    #[test]
    fn equal_min_and_max_poll_every_interval() {
        let w = waits(5.0, 5.0, 0.0, 10);
        assert!(w.iter().all(|d| *d == secs(5.0)));
    }

    #[test]
    fn a_very_long_run_never_overflows() {
        let mut s = Schedule::new(secs(0.001), secs(3600.0), Box::new(1.0));
        for _ in 0..100_000 {
            assert!(s.next_wait() <= secs(3600.0));
        }
    }
}
