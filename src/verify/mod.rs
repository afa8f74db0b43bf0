//! After our deployment succeeds, check the user's app (`verify_url`) until it serves the new
//! version: a pure state machine ([`Check`]) and the HTTP request ([`Prober`]), on an agent of its
//! own that never sends the token or any Authorization header.

mod check;
mod probe;

use std::time::Instant;

use crate::escape;
use crate::inputs::Settings;
use crate::log::Log;
use crate::report::elapsed_text;
use crate::retry::SharedClock;
use crate::schedule::{JitterSource, Schedule};

pub use check::{Answered, Check, Event, Next, SLICE_FLOOR, Verdict};
pub use probe::{MAX_REDIRECTS, Prober};

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
    let now = cx.clock.now();
    let mut check = Check::new(
        cx.started,
        deadline,
        schedule,
        now,
        settings.request_timeout,
    );
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
            Next::Finish(Verdict::Serving) => break Ok(()),
            Next::Finish(Verdict::NotServing(Some(a))) => break Err(a.describe(text)),
            Next::Finish(Verdict::NotServing(None)) => {
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
