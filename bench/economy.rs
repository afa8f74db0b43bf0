//! What waiting costs, from the real wait loop and schedule with a simulated clock and instant
//! requests: the request-economy table (`cargo run --example request-economy`) and the test that
//! holds its bounds both include this file.

use std::cell::Cell;
use std::time::{Duration, Instant};

use nodion_deploy::clock::Clock;
use nodion_deploy::model::{Deployment, Listing};
use nodion_deploy::poll::{Deadline, Poller};
use nodion_deploy::report::Signal;
use nodion_deploy::schedule::Schedule;
use nodion_deploy::watch::{Rules, Watch};

/// What waiting costs for a deployment that takes `takes` to become terminal (success), on the real
/// wait loop and schedule with a simulated clock and instant requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Economy {
    /// List requests, including the snapshot before the trigger.
    pub requests: u32,
    /// How long after it became terminal the deployment was seen so.
    pub detected_after: Duration,
}

/// Time that passes only when the loop sleeps: requests take none.
struct Simulated(Cell<Instant>);

impl Clock for Simulated {
    fn now(&self) -> Instant {
        self.0.get()
    }

    fn sleep(&self, duration: Duration) {
        self.0.set(self.0.get() + duration);
    }
}

/// A simulated job is never cancelled.
fn never() -> Option<Signal> {
    None
}

/// Simulates the wait for one deployment that takes `takes`, with the given intervals and a fixed
/// jitter sample in `[-1, 1]`.
pub fn simulate(takes: Duration, min: Duration, max: Duration, jitter: f64) -> Economy {
    let t0 = Instant::now();
    let clock = Simulated(Cell::new(t0));
    let rules = Rules {
        success: vec!["available".into()],
        failure: vec!["failed".into()],
    };
    let schedule = Schedule::new(min, max, Box::new(jitter));
    // Long enough for any deployment simulated here not to time out.
    let deadline = Deadline::at(t0 + takes * 2 + max * 2);
    let mut watch = Watch::new(1, rules, t0, schedule, t0, false);
    let mut requests = 1; // the snapshot
    let list = |_| {
        requests += 1;
        let status = if clock.now().duration_since(t0) >= takes {
            "available"
        } else {
            "deploying"
        };
        let ours = Deployment {
            deploy_number: Some(1),
            status: Some(status.into()),
            ..Deployment::default()
        };
        Ok(Listing {
            highest: 1,
            kept: vec![ours],
            more: false,
        })
    };
    let _ = Poller::new(&clock, deadline, &never).run(&mut watch, list, |_, _| {});
    Economy {
        requests,
        detected_after: clock.now().duration_since(t0).saturating_sub(takes),
    }
}

/// The jitter samples the request-economy figures take the worst of: both ends and between.
pub const JITTER_SAMPLES: [f64; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];

/// The worst of [`simulate`] over [`JITTER_SAMPLES`]: most requests, latest detection.
pub fn worst_economy(takes: Duration, min: Duration, max: Duration) -> Economy {
    worst(|jitter| simulate(takes, min, max, jitter))
}

/// The worst of one simulation over [`JITTER_SAMPLES`]: most requests, latest detection.
fn worst(simulation: impl Fn(f64) -> Economy) -> Economy {
    JITTER_SAMPLES.iter().map(|j| simulation(*j)).fold(
        Economy {
            requests: 0,
            detected_after: Duration::ZERO,
        },
        |worst, e| Economy {
            requests: worst.requests.max(e.requests),
            detected_after: worst.detected_after.max(e.detected_after),
        },
    )
}

/// What the check of `verify_url` costs for an app that serves the new version `serves_after` the
/// deployment succeeded: requests to the app (none to the API), on the real check loop.
pub fn simulate_checks(
    serves_after: Duration,
    min: Duration,
    max: Duration,
    jitter: f64,
) -> Economy {
    use nodion_deploy::verify::{Answered, Check};
    let t0 = Instant::now();
    let clock = Simulated(Cell::new(t0));
    let schedule = Schedule::new(min, max, Box::new(jitter));
    let deadline = t0 + serves_after * 2 + max * 2;
    let deadline = Check::deadline(deadline, Duration::from_secs(30));
    let mut check = Check::new(t0, schedule, t0);
    let mut requests = 0;
    let send = |_| {
        requests += 1;
        let code = if clock.now().duration_since(t0) >= serves_after {
            200
        } else {
            503
        };
        Answered::Status {
            code,
            contains: None,
        }
    };
    let _ = Poller::new(&clock, deadline, &never).run(&mut check, send, |_, _| {});
    Economy {
        requests,
        detected_after: clock.now().duration_since(t0).saturating_sub(serves_after),
    }
}

/// The worst of [`simulate_checks`] over [`JITTER_SAMPLES`].
pub fn worst_checks(serves_after: Duration, min: Duration, max: Duration) -> Economy {
    worst(|jitter| simulate_checks(serves_after, min, max, jitter))
}
