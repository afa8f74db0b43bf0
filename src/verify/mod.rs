//! After our deployment succeeds, check the user's app (`verify_url`) until it serves the new
//! version: a pure state machine ([`Check`]) polled by the loop (`poll.rs`), and the HTTP request
//! ([`Prober`]), on an agent of its own that never sends the token or any Authorization header.

mod check;
mod probe;

use std::time::Instant;

use crate::duration::{self, Precision};
use crate::ending::{Ending, Signal};
use crate::escape;
use crate::inputs::Settings;
use crate::log::Log;
use crate::poll::{Cancelled, Poller};
use crate::retry::SharedClock;
use crate::schedule::{JitterSource, Schedule};

pub use crate::resolve::Lookup;
pub use check::{Answered, Check, Event, HOST_GRACE, HOST_GRACE_CHECKS, SLICE_FLOOR, Verdict};
pub use probe::{MAX_REDIRECTS, Prober};

/// The run's part in a check: its settings, log, clock, start, how names are looked up, and
/// whether the job was cancelled.
pub struct Context<'a> {
    /// The validated inputs (`verify_url` set).
    pub settings: &'a Settings,
    /// The log.
    pub log: &'a Log,
    /// Time.
    pub clock: SharedClock,
    /// When the run started.
    pub started: Instant,
    /// How the app's host is looked up.
    pub lookup: Lookup,
    /// A cancelling signal received so far, if any: no check is sent after one.
    pub cancelled: &'a dyn Fn() -> Option<Signal>,
}

/// Why the app was not seen serving the new version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotServing {
    /// What it last did (`answered 503`), or why it was not checked.
    Answered(String),
    /// `verify_url`'s host does not resolve.
    NoSuchHost(String),
}

impl NotServing {
    /// How the run ends, after our deployment reached success status `status`, naming
    /// `verify_url` as the user set it.
    pub fn ending(self, settings: &Settings, status: String) -> Ending {
        match self {
            NotServing::Answered(answered) => Ending::NotServing { status, answered },
            NotServing::NoSuchHost(host) => Ending::NoSuchHost {
                status,
                host,
                input: settings.names.name(&crate::inputs::VERIFY_URL),
            },
        }
    }
}

/// Checks `url` until it serves the new version or `deadline` passes, on the poll schedule
/// (`jitter` on it), logging each change of answer and a heartbeat. It stops early when the
/// URL's host does not resolve through the grace ([`HOST_GRACE_CHECKS`], [`HOST_GRACE`]), and
/// before the next check once the job is cancelled.
pub fn until_serving(
    cx: &Context,
    url: &str,
    deadline: Instant,
    jitter: Box<dyn JitterSource + Send>,
) -> Result<Result<(), NotServing>, Cancelled> {
    let settings = cx.settings;
    let text = settings.verify_contains.as_deref();
    let schedule = Schedule::for_check(settings, jitter);
    let mut check = Check::new(cx.started, schedule, cx.clock.now());
    let ends = Check::deadline(deadline, settings.request_timeout);
    let poller = Poller::new(&*cx.clock, ends, cx.cancelled);
    let prober = Prober::new(settings, url, &cx.lookup);
    begin(cx, url, deadline);
    let at = |elapsed| format!("[{:>7}] {url}", duration::text(elapsed, Precision::Seconds));
    let mut checks = 0;
    let send = |n| {
        checks = n;
        let sent = Instant::now();
        let answer = prober.check(deadline);
        cx.log.debug(&format!(
            "GET {url} {} in {} (check {n})",
            answer.describe(text),
            duration::text(sent.elapsed(), Precision::MillisCount)
        ));
        answer
    };
    let said = |_: &Check, event| {
        let (elapsed, said) = match event {
            Event::Changed(a, elapsed) => (elapsed, a.describe(text)),
            Event::Heartbeat(a, elapsed) => (elapsed, format!("still {}", a.describe(text))),
        };
        cx.log.line(&format!("{} {said}", at(elapsed)));
    };
    let ended = ended(poller.run(&mut check, send, said)?, text);
    let verdict = match &ended {
        Ok(()) => "serves the new version".to_string(),
        Err(NotServing::NoSuchHost(_)) => format!(
            "is not checked any longer: its host still does not resolve after {checks} checks"
        ),
        Err(NotServing::Answered(_)) => {
            format!("did not serve the new version after {checks} checks")
        }
    };
    let elapsed = cx.clock.now().saturating_duration_since(cx.started);
    cx.log.line(&format!("{} {verdict}", at(elapsed)));
    cx.log.end_section();
    Ok(ended)
}

/// Opens the check's section: what is checked, for how long.
fn begin(cx: &Context, url: &str, deadline: Instant) {
    let left = deadline.saturating_duration_since(cx.clock.now());
    let wanted = match cx.settings.verify_contains.as_deref() {
        Some(text) => format!(" containing '{}'", escape::shown(text)),
        None => String::new(),
    };
    cx.log.begin_section(
        "nodion_deploy_verify",
        &format!(
            "Checking {url} until it answers 2xx{wanted} ({} left; no token is sent)",
            duration::text(left, Precision::Seconds)
        ),
    );
}

/// How the check ended, for the run. A check that ends on a host that does not resolve, through
/// the grace or at the deadline, names the host.
fn ended(verdict: Verdict, text: Option<&str>) -> Result<(), NotServing> {
    match verdict {
        Verdict::Serving => Ok(()),
        Verdict::NoSuchHost(host) | Verdict::NotServing(Some(Answered::NoSuchHost(host))) => {
            Err(NotServing::NoSuchHost(host))
        }
        Verdict::NotServing(Some(last)) => Err(NotServing::Answered(last.describe(text))),
        Verdict::NotServing(None) => Err(NotServing::Answered(
            "was not checked: no time was left before the timeout".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check that ends on a host that does not resolve names it, through the grace or at the
    /// deadline (a timeout shorter than the grace); every other ending names the last answer.
    #[test]
    fn a_check_that_ends_on_an_unresolved_host_names_it() {
        let host = || "my-app.exmaple.invalid".to_string();
        let no_such_host = Err(NotServing::NoSuchHost(host()));
        assert_eq!(ended(Verdict::NoSuchHost(host()), None), no_such_host);
        let at_deadline = Verdict::NotServing(Some(Answered::NoSuchHost(host())));
        assert_eq!(ended(at_deadline, None), no_such_host);
        let refused = Answered::Failed("the connection was refused".into());
        assert_eq!(
            ended(Verdict::NotServing(Some(refused)), None),
            Err(NotServing::Answered(
                "could not be reached: the connection was refused".into()
            ))
        );
    }
}
