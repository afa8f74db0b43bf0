//! Retrying before a deployment is ours: one budget for the whole trigger (at most six retries,
//! about 30 s, each wait at least the API's `Retry-After`, none past the deadline). The waits come
//! from the retry schedule (backon's ladder); the loop that decides on them is plain code below,
//! sleeping on an injected clock and saying each retry in the log.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::{ApiError, Delivery};
use crate::clock::Clock;
use crate::duration::{self, Precision};
use crate::ending::{Ending, Refused, Unreachable};
use crate::inputs::{API_TOKEN, API_URL, APPLICATION_ID, PROJECT_ID, Settings};
use crate::log::Log;
use crate::schedule::{JitterSource, Ladder};

/// Before a deployment is ours, transient failures are retried at most this many times.
pub const MAX_RETRIES: u32 = 6;
/// The retry waits before a deployment is ours: 1.5 s growing to 10 s, about 30 s in all.
pub const RETRY_FIRST: Duration = Duration::from_millis(1500);
/// The longest retry wait.
pub const RETRY_LONGEST: Duration = Duration::from_secs(10);

/// One failed attempt: a request that failed (maybe worth retrying), or a reason to stop now.
pub(crate) enum Failure {
    Request {
        doing: &'static str,
        error: ApiError,
    },
    Stop(Ending),
}

/// The shared clock the retries sleep on.
pub type SharedClock = Arc<dyn Clock + Send + Sync>;

/// Runs requests before a deployment is ours, retrying transient failures within one budget
/// (at most [`MAX_RETRIES`] waits, none ending at or past the deadline) spent across every request
/// it runs, and saying each retry in the log.
pub struct Retrier<'a> {
    log: &'a Log,
    /// The inputs a refusal names: the application, and what to check.
    settings: &'a Settings,
    clock: SharedClock,
    deadline: Instant,
    /// The retry waits; the requests of one trigger share it (and [`Retrier::restart`] it).
    schedule: RefCell<Ladder>,
    /// The retries taken so far, by every request.
    retries: Cell<u32>,
    /// Whether anything answered at `api_url` yet: if nothing ever did, the URL is what to check.
    reached: Cell<bool>,
}

impl<'a> Retrier<'a> {
    /// A retrier whose waits end before `deadline`, with `jitter` on the retry schedule.
    pub fn new(
        log: &'a Log,
        settings: &'a Settings,
        clock: SharedClock,
        deadline: Instant,
        jitter: Box<dyn JitterSource + Send>,
    ) -> Retrier<'a> {
        Retrier {
            log,
            settings,
            clock,
            deadline,
            schedule: RefCell::new(Ladder::new(RETRY_FIRST, RETRY_LONGEST, jitter)),
            retries: Cell::new(0),
            reached: Cell::new(false),
        }
    }

    /// Starts the waits again from the first (after a request that says the API is healthy).
    pub fn restart(&self) {
        self.schedule.borrow_mut().restart();
    }

    /// Now, on the retries' clock.
    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Waits `wait` on the retries' clock, unless the wait would end at or past the deadline:
    /// then returns false at once, without waiting.
    pub(crate) fn pause(&self, wait: Duration) -> bool {
        if self.clock.now() + wait >= self.deadline {
            return false;
        }
        self.clock.sleep(wait);
        true
    }

    /// The poll schedule without jitter (`poll_interval`, growing to `max_poll_interval`): how
    /// far apart looks at the list are when waiting for something to show in it.
    pub(crate) fn poll_schedule(&self) -> Ladder {
        let settings = self.settings;
        Ladder::new(
            settings.poll_interval,
            settings.max_poll_interval,
            Box::new(0.0_f64),
        )
    }

    /// Runs the request `op` (given its attempt number) until it succeeds, fails for good, or the
    /// budget is spent; `doing` names it in the log and the summary.
    pub fn request<T>(
        &self,
        doing: &'static str,
        mut op: impl FnMut(u32) -> Result<T, ApiError>,
    ) -> Result<T, Ending> {
        self.retrying(|attempt| op(attempt).map_err(|error| Failure::Request { doing, error }))
    }

    /// Runs `op` (given its attempt number) until it succeeds, the failure is final or the budget
    /// is spent. Only a transient request failure is retried, after the schedule's next wait or
    /// the API's `Retry-After` if longer; the log says each retry.
    pub(crate) fn retrying<T>(
        &self,
        mut op: impl FnMut(u32) -> Result<T, Failure>,
    ) -> Result<T, Ending> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = op(attempt);
            if !matches!(&result, Err(failure) if failure.never_left()) {
                self.reached.set(true);
            }
            let failure = match result {
                Ok(value) => return Ok(value),
                Err(failure) => failure,
            };
            let (doing, error, retry_after) = match &failure {
                Failure::Request {
                    doing,
                    error: error @ ApiError::Transient { retry_after, .. },
                } => (*doing, error, retry_after.unwrap_or_default()),
                _ => return Err(self.stop(failure, None)),
            };
            let wait = self.schedule.borrow_mut().next_wait().max(retry_after);
            let retry = self.retries.get() + 1;
            if retry > MAX_RETRIES {
                let spent = format!("gave up after {MAX_RETRIES} retries");
                return Err(self.stop(failure, Some(spent)));
            }
            if self.clock.now() + wait >= self.deadline {
                let spent = "the timeout leaves no time to retry".to_string();
                return Err(self.stop(failure, Some(spent)));
            }
            self.retries.set(retry);
            self.log.line(&format!(
                "{doing} failed: {}; retry {retry} of {MAX_RETRIES} in {}",
                error,
                duration::text(wait, Precision::Millis)
            ));
            self.clock.sleep(wait);
        }
    }

    /// Why a failure ends the trigger; `gave_up` says why a transient one was not retried.
    fn stop(&self, failure: Failure, gave_up: Option<String>) -> Ending {
        let (doing, error) = match failure {
            Failure::Stop(stop) => return stop,
            Failure::Request { doing, error } => (doing, error),
        };
        // Said once, by the summary line the run ends with.
        match error {
            ApiError::Refused { status, .. } => Ending::Refused(Refused {
                doing,
                application: self.settings.application_id.clone(),
                error,
                check: what_to_check(self.settings, status),
            }),
            ApiError::Unreachable { .. } => Ending::Unreachable(Unreachable {
                doing,
                error,
                gave_up: None,
                check: String::new(),
                maybe_created: false,
            }),
            ApiError::Transient { delivery, .. } => {
                // Nothing ever answered there: the URL itself is the likely mistake (SPEC §4).
                let check = match delivery {
                    Delivery::NotConnected if !self.reached.get() => format!(
                        "; no connection to {} could be made: check {}",
                        self.settings.api_url,
                        self.settings.names.name(&API_URL)
                    ),
                    _ => String::new(),
                };
                Ending::Unreachable(Unreachable {
                    doing,
                    error,
                    gave_up,
                    check,
                    maybe_created: false,
                })
            }
        }
    }
}

impl Failure {
    /// Whether the request never left: nothing at `api_url` answered it.
    fn never_left(&self) -> bool {
        matches!(
            self,
            Failure::Request {
                error: ApiError::Transient {
                    delivery: Delivery::NotConnected | Delivery::NotSent,
                    ..
                },
                ..
            }
        )
    }
}

/// The next step after a refusal, by its status: the inputs that decide it, named as the user set
/// them. Every path of a base URL that does not end in `/v1` answers 404, so then the URL is the
/// one thing to check; with `/v1`, a 404 is about the application.
fn what_to_check(settings: &Settings, status: u16) -> String {
    let name = |input| settings.names.name(input);
    match status {
        401 | 403 => format!(
            ": check {} (a user API key also needs {})",
            name(&API_TOKEN),
            name(&PROJECT_ID)
        ),
        404 if !settings.api_url.ends_with("/v1") => format!(
            ": check {}: {} does not end in /v1",
            name(&API_URL),
            settings.api_url
        ),
        404 => format!(": check {}", name(&APPLICATION_ID)),
        _ => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::clock::tests::FakeClock;

    use super::*;
    use crate::inputs::tests::settings;
    use crate::log::Flavor;

    /// Why a retrier over `settings` stopped after `answers`, one per attempt (the last repeated).
    fn stopped(settings: &Settings, answers: &[ApiError]) -> String {
        let log = Log::to(Box::new(std::io::sink()), Flavor::Plain, false);
        let start = Instant::now();
        let clock: SharedClock = Arc::new(FakeClock::at(start));
        let deadline = start + Duration::from_secs(600);
        let retrier = Retrier::new(&log, settings, clock, deadline, Box::new(0.0_f64));
        let at = |attempt: u32| answers[(attempt as usize - 1).min(answers.len() - 1)].clone();
        let stop = retrier
            .request("list deployments", |attempt| Err::<(), _>(at(attempt)))
            .unwrap_err();
        crate::report::tests::stopped(stop)
    }

    fn failed(reason: &str, delivery: Delivery) -> ApiError {
        ApiError::Transient {
            reason: reason.into(),
            retry_after: None,
            delivery,
        }
    }

    fn refused(status: u16) -> ApiError {
        ApiError::Refused {
            status,
            message: "nope".into(),
        }
    }

    #[test]
    fn an_api_nothing_ever_answered_at_is_the_url_to_check() {
        let s = settings(&[("NODION_API_URL", "http://127.0.0.1:9/v1")]);
        assert_eq!(
            stopped(
                &s,
                &[failed("the connection was refused", Delivery::NotConnected)]
            ),
            "could not list deployments: the connection was refused (gave up after 6 retries); no connection to http://127.0.0.1:9/v1 could be made: check NODION_API_URL"
        );
        // Something answered there once: the URL is right, the trouble is elsewhere.
        let detail = stopped(
            &s,
            &[
                failed("HTTP 503: busy", Delivery::Unknown),
                failed("the connection was refused", Delivery::NotConnected),
            ],
        );
        assert!(!detail.contains("check"), "{detail}");
    }

    #[test]
    fn an_api_that_answered_an_earlier_request_is_not_the_url_to_check() {
        let s = settings(&[]);
        let log = Log::to(Box::new(std::io::sink()), Flavor::Plain, false);
        let start = Instant::now();
        let clock: SharedClock = Arc::new(FakeClock::at(start));
        let retrier = Retrier::new(
            &log,
            &s,
            clock,
            start + Duration::from_secs(600),
            Box::new(0.0),
        );
        retrier.request("list deployments", |_| Ok(())).unwrap();
        let refused = failed("the connection was refused", Delivery::NotConnected);
        let stop = retrier
            .request("trigger a deployment", |_| Err::<(), _>(refused.clone()))
            .unwrap_err();
        let said = crate::report::tests::stopped(stop);
        assert!(!said.contains("check"), "{said}");
    }

    #[test]
    fn a_refusal_names_what_to_check_as_the_user_set_it() {
        let plain = settings(&[]);
        assert!(stopped(&plain, &[refused(401)]).ends_with(
            "(HTTP 401: nope): check NODION_API_TOKEN (a user API key also needs NODION_PROJECT_ID)"
        ));
        // Under the action every input is an INPUT_ variable, set or not.
        let action = settings(&[
            ("NODION_API_TOKEN", ""),
            ("INPUT_API_TOKEN", "token-123"),
            ("INPUT_PROJECT_ID", ""),
            ("INPUT_API_URL", "https://api.nodion.com/v1"),
        ]);
        assert!(
            stopped(&action, &[refused(403)]).ends_with(
                "(HTTP 403: nope): check api_token (a user API key also needs project_id)"
            )
        );
        let unreachable = failed("the connection was refused", Delivery::NotConnected);
        assert!(stopped(&action, &[unreachable]).ends_with(": check api_url"));
    }

    #[test]
    fn a_404_names_the_url_when_it_does_not_end_in_v1_and_else_the_application() {
        let without = settings(&[("NODION_API_URL", "http://127.0.0.1:9/api")]);
        assert!(stopped(&without, &[refused(404)]).ends_with(
            "(HTTP 404: nope): check NODION_API_URL: http://127.0.0.1:9/api does not end in /v1"
        ));
        let with = settings(&[("INPUT_APPLICATION_ID", "app-1")]);
        assert!(
            stopped(&with, &[refused(404)]).ends_with("(HTTP 404: nope): check application_id")
        );
    }
}
