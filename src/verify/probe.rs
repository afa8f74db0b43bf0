//! One check: GET `verify_url` on an agent of its own that never sends the token or any
//! Authorization header, and what it got, in words.

use std::time::{Duration, Instant};

use ureq::Agent;
use ureq::config::RedirectAuthHeaders;
use ureq::http::Request;

use super::Answered;
use crate::api::{MAX_BODY, bypasses_proxy};
use crate::escape;
use crate::inputs::Settings;

/// How many redirects the check follows: a login page or a loop must not go on forever.
pub const MAX_REDIRECTS: u32 = 5;
/// How much of a failure's reason is shown.
const MAX_REASON: usize = 200;

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
