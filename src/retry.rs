//! Retrying before a deployment is ours: one budget for the whole trigger (at most six retries,
//! about 30 s, each wait at least the API's `Retry-After`, none past the deadline), run by backon
//! over an injected clock, each retry said in the log.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use backon::BlockingRetryable;

use crate::api::ApiError;
use crate::clock::Clock;
use crate::log::Log;
use crate::report::Outcome;
use crate::schedule::{JitterSource, Schedule};

/// Before a deployment is ours, transient failures are retried at most this many times.
pub const MAX_RETRIES: u32 = 6;
/// The retry waits before a deployment is ours: 1.5 s growing to 10 s, about 30 s in all.
pub const RETRY_FIRST: Duration = Duration::from_millis(1500);
/// The longest retry wait.
pub const RETRY_LONGEST: Duration = Duration::from_secs(10);

/// Why the run stopped before a deployment was ours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    /// How the run ends.
    pub outcome: Outcome,
    /// Why, for the summary line.
    pub detail: String,
}

/// One failed attempt: a request that failed (maybe worth retrying), or a reason to stop now.
pub(crate) enum Failure {
    Request {
        doing: &'static str,
        error: ApiError,
    },
    Stop(Stop),
}

/// The shared clock the retries sleep on.
pub type SharedClock = Arc<dyn Clock + Send + Sync>;

/// The retry allowance before a deployment is ours, one for the whole trigger: at most
/// [`MAX_RETRIES`] waits from the retry schedule, each at least the API's `Retry-After`, and none
/// that would end past the deadline. backon asks it for the next wait; the `when` hook tells it
/// the API's `Retry-After` first.
#[derive(Clone)]
struct Budget(Arc<Mutex<Allowance>>);

struct Allowance {
    schedule: Schedule,
    retries: u32,
    retry_after: Option<Duration>,
    clock: SharedClock,
    deadline: Instant,
    /// Why the last wait was refused.
    spent: Option<String>,
}

impl Budget {
    fn lock(&self) -> std::sync::MutexGuard<'_, Allowance> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Iterator for Budget {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let mut a = self.lock();
        let asked = a.retry_after.take().unwrap_or_default();
        let wait = a.schedule.next_wait().max(asked);
        if a.retries >= MAX_RETRIES {
            a.spent = Some(format!("gave up after {MAX_RETRIES} retries"));
            return None;
        }
        if a.clock.now() + wait >= a.deadline {
            a.spent = Some("the timeout leaves no time to retry".into());
            return None;
        }
        a.retries += 1;
        Some(wait)
    }
}

/// Runs requests before a deployment is ours, retrying transient failures within one [`Budget`]
/// (shared by every request it runs) and saying each retry in the log.
pub struct Retrier<'a> {
    log: &'a Log,
    /// The application, named in what a refusal says.
    application_id: &'a str,
    clock: SharedClock,
    budget: Budget,
}

impl<'a> Retrier<'a> {
    /// A retrier whose waits end before `deadline`, with `jitter` on the retry schedule.
    pub fn new(
        log: &'a Log,
        application_id: &'a str,
        clock: SharedClock,
        deadline: Instant,
        jitter: Box<dyn JitterSource + Send>,
    ) -> Retrier<'a> {
        let budget = Budget(Arc::new(Mutex::new(Allowance {
            schedule: Schedule::new(RETRY_FIRST, RETRY_LONGEST, jitter),
            retries: 0,
            retry_after: None,
            clock: clock.clone(),
            deadline,
            spent: None,
        })));
        Retrier {
            log,
            application_id,
            clock,
            budget,
        }
    }

    /// Starts the waits again from the first (after a request that says the API is healthy).
    pub fn restart(&self) {
        self.budget.lock().schedule.restart();
    }

    /// Runs the request `op` (given its attempt number) until it succeeds, fails for good, or the
    /// budget is spent; `doing` names it in the log and the summary.
    pub fn request<T>(
        &self,
        doing: &'static str,
        mut op: impl FnMut(u32) -> Result<T, ApiError>,
    ) -> Result<T, Stop> {
        self.retrying(|attempt| op(attempt).map_err(|error| Failure::Request { doing, error }))
    }

    /// Runs `op` (given its attempt number) until it succeeds, the failure is final or the budget
    /// is spent; the log says each retry.
    pub(crate) fn retrying<T>(
        &self,
        mut op: impl FnMut(u32) -> Result<T, Failure>,
    ) -> Result<T, Stop> {
        let mut attempt = 0;
        let clock = self.clock.clone();
        let budget = self.budget.clone();
        (|| {
            attempt += 1;
            op(attempt)
        })
        .retry(self.budget.clone())
        .sleep(move |wait| clock.sleep(wait))
        .when(|failure| match failure {
            Failure::Request {
                error: ApiError::Transient { retry_after, .. },
                ..
            } => {
                budget.lock().retry_after = *retry_after;
                true
            }
            _ => false,
        })
        .notify(|failure, wait| {
            if let Failure::Request { doing, error } = failure {
                self.log.line(&format!(
                    "{doing} failed: {}; retry {} of {MAX_RETRIES} in {}",
                    error.describe(),
                    self.budget.lock().retries,
                    humantime::format_duration(Duration::from_millis(wait.as_millis() as u64))
                ));
            }
        })
        .call()
        .map_err(|failure| self.stop(failure))
    }

    /// Why a failure ends the trigger.
    fn stop(&self, failure: Failure) -> Stop {
        let (doing, error) = match failure {
            Failure::Stop(stop) => return stop,
            Failure::Request { doing, error } => (doing, error),
        };
        // Said once, by the summary line the run ends with.
        match error {
            ApiError::Refused { status, .. } => Stop {
                outcome: Outcome::Refused,
                detail: format!(
                    "the API refused to {doing} for application {} ({}){}",
                    self.application_id,
                    error.describe(),
                    what_to_check(status)
                ),
            },
            ApiError::Unreachable { reason } => Stop {
                outcome: Outcome::Unreachable,
                detail: format!("could not {doing}: {reason}"),
            },
            ApiError::Transient { reason, .. } => {
                let spent = self.budget.lock().spent.take().unwrap_or_default();
                Stop {
                    outcome: Outcome::Unreachable,
                    detail: format!("could not {doing}: {reason} ({spent})"),
                }
            }
        }
    }
}

/// The next step after a refusal, by its status: the inputs that decide it.
fn what_to_check(status: u16) -> &'static str {
    match status {
        401 | 403 => ": check NODION_API_TOKEN (a user API key also needs NODION_PROJECT_ID)",
        404 => ": check NODION_API_URL (it should end in /v1) and NODION_APPLICATION_ID",
        _ => "",
    }
}
