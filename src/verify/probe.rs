//! One check: GET `verify_url` on an agent of its own that never sends the token or any
//! Authorization header, and what it got, in words.

use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::http::Request;

use super::Answered;
use super::check::no_answer;
use crate::escape;
use crate::http::{self, Client, MAX_BODY};
use crate::inputs::Settings;
use crate::resolve::{Lookup, host_of};

/// How many redirects the check follows: a login page or a loop must not go on forever.
pub const MAX_REDIRECTS: u32 = 5;
/// How much of a failure's reason is shown.
const MAX_REASON: usize = 200;

/// Sends the checks: GET `verify_url` with no Authorization header, ever.
pub struct Prober {
    agent: Agent,
    url: String,
    /// `url`'s host, which [`Answered::NoSuchHost`] names.
    host: String,
    contains: Option<String>,
    request_timeout: Duration,
}

impl Prober {
    /// A prober for the settings' `verify_url` (the caller checks it is set): the same TLS roots,
    /// `ca_certificates` and proxy rules as the API, and at most [`MAX_REDIRECTS`] redirects;
    /// names are looked up by `lookup`.
    pub fn new(settings: &Settings, url: &str, lookup: &Lookup) -> Prober {
        let client = Client {
            url,
            accept: None,
            max_redirects: MAX_REDIRECTS,
            too_many_redirects_fail: true,
            lookup: lookup.clone(),
        };
        Prober {
            // A fresh agent, not the API's: nothing the API client adds can reach the user's app.
            agent: http::agent(settings, client),
            url: url.to_string(),
            host: host_of(url).unwrap_or_default(),
            contains: settings.verify_contains.clone(),
            request_timeout: settings.request_timeout,
        }
    }

    /// One check, bounded by `request_timeout` and the time left before `deadline`.
    pub fn check(&self, deadline: Instant) -> Answered {
        let left = deadline.saturating_duration_since(Instant::now());
        let limit = Limit {
            within: self.request_timeout.min(left),
            by_deadline: left < self.request_timeout,
        };
        if limit.within.is_zero() {
            return Answered::CutShort(Duration::ZERO);
        }
        let request = match Request::get(&self.url).body(()) {
            Ok(request) => request,
            Err(e) => return Answered::Failed(reason(&e)),
        };
        let mut response = match http::run(&self.agent, request, limit.within) {
            Ok(response) => response,
            Err(e) => return self.failure(e, limit),
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
        match http::body(&mut response) {
            Ok(body) => Answered::Status {
                code,
                contains: Some(String::from_utf8_lossy(&body).contains(text)),
            },
            Err(e) => self.failure(e, limit),
        }
    }

    /// A transport failure: the app's answer (a host that does not resolve, a failure in words),
    /// or a check the deadline cut short.
    fn failure(&self, error: ureq::Error, limit: Limit) -> Answered {
        use ureq::Error as E;
        let timed_out = match &error {
            E::Timeout(_) => true,
            E::Io(e) => e.kind() == std::io::ErrorKind::TimedOut,
            _ => false,
        };
        match error {
            // The lookup of `url`'s own host failed (lookup.rs).
            E::HostNotFound => Answered::NoSuchHost(self.host.clone()),
            _ if timed_out && limit.by_deadline => Answered::CutShort(limit.within),
            _ if timed_out => Answered::Failed(no_answer(limit.within)),
            error => Answered::Failed(described(error)),
        }
    }
}

/// What bounded a check: `request_timeout`, or the time left before the deadline.
#[derive(Clone, Copy)]
struct Limit {
    /// How long the check had.
    within: Duration,
    /// The time left was the bound: a timeout is the deadline's doing, not the app's answer.
    by_deadline: bool,
}

/// A failure's reason, as the log shows it: one line, bounded.
fn reason(e: &dyn std::fmt::Display) -> String {
    escape::bounded(&escape::one_line(&e.to_string()), MAX_REASON)
}

/// A transport failure that is no timeout, in words.
fn described(error: ureq::Error) -> String {
    use ureq::Error as E;
    match error {
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
    use std::collections::HashMap;
    use std::net::TcpListener;

    use super::*;
    use crate::resolve::tests::Nxdomain;

    const MS: Duration = Duration::from_millis(1);

    /// A prober of `url` with this `request_timeout`, never through a proxy (this machine's
    /// `HTTPS_PROXY` included), looking names up by `lookup`.
    fn prober_by(url: &str, request_timeout: &str, lookup: Lookup) -> Prober {
        let env: HashMap<String, String> = [
            ("NODION_API_TOKEN", "token-123"),
            ("NODION_APPLICATION_ID", "app-1"),
            ("NODION_VERIFY_URL", url),
            ("NODION_REQUEST_TIMEOUT", request_timeout),
            ("NO_PROXY", "*"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Prober::new(&Settings::from_env(&env).unwrap(), url, &lookup)
    }

    /// [`prober_by`] the system's lookup.
    fn prober(url: &str, request_timeout: &str) -> Prober {
        prober_by(url, request_timeout, Lookup::default())
    }

    /// An app that takes the connection (the kernel's backlog does) and never answers.
    fn silent() -> (TcpListener, String) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/health", listener.local_addr().unwrap());
        (listener, url)
    }

    /// Issue 16: a timeout is the app's answer only when `request_timeout` bounded the check;
    /// when the time left before the deadline did, the check was cut short.
    #[test]
    fn a_timeout_is_a_cut_short_check_when_the_deadline_set_it() {
        let (_app, url) = silent();
        let cut = prober(&url, "30s").check(Instant::now() + 300 * MS);
        assert!(
            matches!(cut, Answered::CutShort(within) if within > MS && within <= 300 * MS),
            "{cut:?}"
        );
        let answered = prober(&url, "200ms").check(Instant::now() + 60 * 1000 * MS);
        let no_answer = "no complete answer within 200ms";
        assert_eq!(answered, Answered::Failed(no_answer.into()));
    }

    /// Issue 16: a host that does not resolve is an answer of its own, naming the host (the
    /// lookup is put in: a real one could leave this machine).
    #[test]
    fn a_host_that_does_not_resolve_is_named() {
        let prober = prober_by(
            "https://my-app.exmaple.invalid/version",
            "30s",
            Lookup::by(Nxdomain),
        );
        let answer = prober.check(Instant::now() + 60 * 1000 * MS);
        assert_eq!(
            answer,
            Answered::NoSuchHost("my-app.exmaple.invalid".into())
        );
        assert_eq!(
            answer.describe(None),
            "could not be reached: the host my-app.exmaple.invalid does not resolve"
        );
    }

    /// A refused connection completed: it is the app's answer, whatever bounded the check.
    #[test]
    fn a_refused_connection_is_an_answer_even_with_the_deadline_near() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/health");
        let refused = prober(&url, "30s").check(Instant::now() + 2000 * MS);
        assert_eq!(
            refused,
            Answered::Failed("the connection was refused".into())
        );
    }
}
