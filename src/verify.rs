//! After our deployment succeeds, check the user's app (`verify_url`) until it serves the new
//! version: a pure state machine ([`Check`]) and the HTTP request ([`Prober`]), on an agent of its
//! own that never sends the token or any Authorization header.

use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::config::RedirectAuthHeaders;
use ureq::http::Request;

use crate::api::{MAX_BODY, bypasses_proxy};
use crate::escape;
use crate::inputs::Settings;
use crate::log::Log;
use crate::report::elapsed_text;
use crate::retry::SharedClock;
use crate::schedule::{JitterSource, Schedule};
use crate::watch::HEARTBEAT;

/// How many redirects the check follows: a login page or a loop must not go on forever.
pub const MAX_REDIRECTS: u32 = 5;
/// How much of a failure's reason is shown.
const MAX_REASON: usize = 200;

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

/// Sends the checks: GET `verify_url` with no Authorization header, ever.
pub struct Prober {
    agent: Agent,
    url: String,
    contains: Option<String>,
    request_timeout: Duration,
}

impl Prober {
    /// A prober for the settings' `verify_url` (the caller checks it is set): the same TLS roots,
    /// `ca_certificates` and proxy rules as the API, and at most [`MAX_REDIRECTS`] redirects.
    pub fn new(settings: &Settings, url: &str) -> Prober {
        let bypass = settings
            .no_proxy
            .as_deref()
            .is_some_and(|list| bypasses_proxy(list, url));
        // A fresh agent, not the API's: nothing the API client adds can reach the user's app.
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(format!("nodion-deploy/{}", crate::VERSION))
            .redirect_auth_headers(RedirectAuthHeaders::Never)
            .max_redirects(MAX_REDIRECTS)
            .max_redirects_will_error(true)
            .timeout_global(Some(settings.request_timeout))
            .tls_config(crate::tls::config(&settings.extra_roots));
        let config = if bypass { config.proxy(None) } else { config }.build();
        Prober {
            agent: config.new_agent(),
            url: url.to_string(),
            contains: settings.verify_contains.clone(),
            request_timeout: settings.request_timeout,
        }
    }

    /// One check, bounded by `request_timeout` and the time left before `deadline`.
    pub fn check(&self, deadline: Instant) -> Answered {
        let left = deadline.saturating_duration_since(Instant::now());
        let limit = self.request_timeout.min(left);
        if limit.is_zero() {
            return Answered::Failed("the deadline has passed".into());
        }
        let request = match Request::get(&self.url).body(()) {
            Ok(request) => request,
            Err(e) => return Answered::Failed(reason(&e)),
        };
        let request = self.agent.configure_request(request);
        let mut response = match self.agent.run(request.timeout_global(Some(limit)).build()) {
            Ok(response) => response,
            Err(e) => return Answered::Failed(failure(e, limit)),
        };
        let code = response.status().as_u16();
        let Some(text) = self
            .contains
            .as_deref()
            .filter(|_| (200..300).contains(&code))
        else {
            return Answered::Status {
                code,
                contains: None,
            };
        };
        // Read as the API's bodies are: capped, so a huge answer is a failure, not an OOM.
        let body = response.body_mut().with_config().limit(MAX_BODY);
        match body.read_to_vec() {
            Ok(body) => Answered::Status {
                code,
                contains: Some(String::from_utf8_lossy(&body).contains(text)),
            },
            Err(e) => Answered::Failed(failure(e, limit)),
        }
    }
}

/// The run's part in a check: its settings, log, clock and start.
pub struct Context<'a> {
    /// The validated inputs (`verify_url` set).
    pub settings: &'a Settings,
    /// The log.
    pub log: &'a Log,
    /// Time.
    pub clock: SharedClock,
    /// When the run started.
    pub started: Instant,
}

/// Checks `url` until it serves the new version or `deadline` passes, on the poll schedule
/// (`jitter` on it), logging each change of answer and a heartbeat. `Err`: what it last did
/// (`answered 503`), for the summary line.
pub fn until_serving(
    cx: &Context,
    url: &str,
    deadline: Instant,
    jitter: Box<dyn JitterSource + Send>,
) -> Result<(), String> {
    let settings = cx.settings;
    let text = settings.verify_contains.as_deref();
    let schedule = Schedule::new(settings.poll_interval, settings.max_poll_interval, jitter);
    let mut check = Check::new(cx.started, deadline, schedule, cx.clock.now());
    let prober = Prober::new(settings, url);
    let left = deadline.saturating_duration_since(cx.clock.now());
    let wanted = match text {
        Some(text) => format!(" containing '{}'", escape::shown(text)),
        None => String::new(),
    };
    cx.log.begin_section(
        "nodion_deploy_verify",
        &format!(
            "Checking {url} until it answers 2xx{wanted} ({} left; no token is sent)",
            elapsed_text(left)
        ),
    );
    let at = |elapsed| format!("[{:>7}] {url}", elapsed_text(elapsed));
    let mut checks = 0;
    let ended = loop {
        match check.next(cx.clock.now()) {
            Next::Sleep(d) => cx.clock.sleep(d),
            Next::Check => {
                checks += 1;
                let sent = Instant::now();
                let answer = prober.check(deadline);
                cx.log.debug(&format!(
                    "GET {url} {} in {} ms (check {checks})",
                    answer.describe(text),
                    sent.elapsed().as_millis()
                ));
                match check.observe(cx.clock.now(), answer) {
                    Some(Event::Changed(a, elapsed)) => {
                        cx.log
                            .line(&format!("{} {}", at(elapsed), a.describe(text)));
                    }
                    Some(Event::Heartbeat(a, elapsed)) => {
                        cx.log
                            .line(&format!("{} still {}", at(elapsed), a.describe(text)));
                    }
                    None => {}
                }
            }
            Next::Finish { served: true, .. } => break Ok(()),
            Next::Finish { last: Some(a), .. } => break Err(a.describe(text)),
            Next::Finish { last: None, .. } => {
                break Err("was not checked: no time was left before the timeout".into());
            }
        }
    };
    let verdict = match &ended {
        Ok(()) => "serves the new version".to_string(),
        Err(_) => format!("did not serve the new version after {checks} checks"),
    };
    let elapsed = cx.clock.now().saturating_duration_since(cx.started);
    cx.log.line(&format!("{} {verdict}", at(elapsed)));
    cx.log.end_section();
    ended
}

/// A failure's reason, as the log shows it: one line, bounded.
fn reason(e: &dyn std::fmt::Display) -> String {
    escape::bounded(&escape::one_line(&e.to_string()), MAX_REASON)
}

/// A transport failure, in words.
fn failure(error: ureq::Error, limit: Duration) -> String {
    use ureq::Error as E;
    match error {
        E::Timeout(_) => format!(
            "no complete answer within {}",
            humantime::format_duration(Duration::from_millis(limit.as_millis() as u64))
        ),
        E::HostNotFound => "the host was not found".into(),
        E::ConnectionFailed => "the connection failed".into(),
        E::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "the connection was refused".into()
        }
        E::TooManyRedirects => format!("more than {MAX_REDIRECTS} redirects"),
        E::BodyExceedsLimit(_) => format!("the answer is larger than {} MiB", MAX_BODY >> 20),
        other => reason(&other),
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
