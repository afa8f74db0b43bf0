//! Talking to the Nodion API: one ureq agent, every request bounded by the run's deadline, and every
//! failure sorted into "refused" (final) or "transient" (worth retrying) where it arises.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ureq::Agent;
use ureq::http::header::RETRY_AFTER;
use ureq::http::{Method, Request};

use crate::duration::{self, Precision};
use crate::escape;
use crate::http::{self, MAX_BODY};
use crate::inputs::{CA_CERTIFICATES, Settings, Token};
use crate::log::Log;
use crate::model::{self, Application, Deployment, Keep, Listing, LogLine};
use crate::resolve::Lookup;

/// How much of an API error message is shown.
const MAX_MESSAGE: usize = 500;
/// Error bodies up to this size are read as JSON; larger ones as text.
const MAX_PARSED_ERROR: usize = 64 * 1024;

/// Whether a failed request may have been acted on by the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// No connection to the API could be made (refused, unreachable, a name that does not
    /// resolve): it never left, so it is safe to send again.
    NotConnected,
    /// It never reached the API for another reason (a proxy that failed, no time left): safe to
    /// send again.
    NotSent,
    /// The API said it did not process it (408, 429): safe to send again after waiting.
    NotProcessed,
    /// It may have been processed (reset or timeout after sending, 5xx, unusable answer).
    Unknown,
}

/// A request that did not give a usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The API refused the request (a non-retryable 4xx); retrying cannot help.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The API's own message, sanitised and bounded.
        message: String,
    },
    /// The API cannot be reached in a way retrying will not fix (a TLS certificate that the roots do
    /// not vouch for): the request was not acted on.
    Unreachable {
        /// What happened, for the log.
        reason: String,
    },
    /// Connection trouble, a timeout, a 408/429/5xx or an unusable body.
    Transient {
        /// What happened, for the log.
        reason: String,
        /// How long the API asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
        /// Whether the request may have been acted on.
        delivery: Delivery,
    },
}

/// One line, for the log and the summary line.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Refused { status, message } => write!(f, "HTTP {status}: {message}"),
            ApiError::Transient { reason, .. } | ApiError::Unreachable { reason } => {
                f.write_str(reason)
            }
        }
    }
}

impl ApiError {
    fn transient(reason: impl Into<String>, delivery: Delivery) -> ApiError {
        ApiError::Transient {
            reason: reason.into(),
            retry_after: None,
            delivery,
        }
    }
}

/// A client for one application's deployments.
pub struct Api {
    agent: Agent,
    base: String,
    application_id: String,
    token: Token,
    project_id: Option<String>,
    request_timeout: Duration,
    /// What the hint after a certificate failure calls the `ca_certificates` input.
    ca_certificates: String,
    log: Arc<Log>,
}

/// A response's status, `Retry-After` and body.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl Api {
    /// A client built from the settings. Builds the TLS configuration once.
    pub fn new(settings: &Settings, log: Arc<Log>) -> Api {
        let client = http::Client {
            url: &settings.api_url,
            accept: Some("application/json"),
            // After five redirects the last one is the answer, sorted by its status.
            max_redirects: 5,
            too_many_redirects_fail: false,
            lookup: Lookup::default(),
        };
        Api {
            agent: http::agent(settings, client),
            base: settings.api_url.clone(),
            application_id: settings.application_id.clone(),
            token: settings.token.clone(),
            project_id: settings.project_id.clone(),
            request_timeout: settings.request_timeout,
            ca_certificates: settings.names.name(&CA_CERTIFICATES),
            log,
        }
    }

    /// Lists the application's deployments, keeping the entries `keep` asks for; `attempt` numbers
    /// the request in the debug log.
    pub fn list(&self, deadline: Instant, attempt: u32, keep: Keep) -> Result<Listing, ApiError> {
        let answer = self.send(Method::GET, "/deployments", None, deadline, attempt)?;
        model::parse_list(&answer.body, keep)
            .map_err(|e| ApiError::transient(e.to_string(), Delivery::Unknown))
    }

    /// Reads the application (a dry run's check of the token and the id).
    pub fn application(&self, deadline: Instant, attempt: u32) -> Result<Application, ApiError> {
        let answer = self.send(Method::GET, "", None, deadline, attempt)?;
        model::parse_application(&answer.body)
            .map_err(|e| ApiError::transient(e.to_string(), Delivery::Unknown))
    }

    /// Reads the application's latest `limit` runtime log lines, oldest first.
    pub fn logs(&self, limit: u32, deadline: Instant) -> Result<Vec<LogLine>, ApiError> {
        let path = format!("/logs?limit={limit}");
        let answer = self.send(Method::GET, &path, None, deadline, 1)?;
        model::parse_logs(&answer.body, limit as usize)
            .map_err(|e| ApiError::transient(e.to_string(), Delivery::Unknown))
    }

    /// Triggers a deployment, with `image_tag` for pre-built image apps.
    pub fn trigger(
        &self,
        image_tag: Option<&str>,
        deadline: Instant,
        attempt: u32,
    ) -> Result<Deployment, ApiError> {
        let body = match image_tag {
            Some(tag) => serde_json::json!({ "image_tag": tag }).to_string(),
            None => "{}".to_string(),
        };
        let body = Some(body.into_bytes());
        let answer = self.send(Method::POST, "/deployments", body, deadline, attempt)?;
        model::parse_triggered(&answer.body).map_err(|e| {
            ApiError::transient(
                format!("HTTP {}, but {e}", answer.status),
                Delivery::Unknown,
            )
        })
    }

    /// Sends one request about the application (`path` below its URL), bounded by
    /// `min(request_timeout, time left)`, and sorts the outcome.
    fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        deadline: Instant,
        attempt: u32,
    ) -> Result<Answer, ApiError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ApiError::transient(
                "the deadline has passed",
                Delivery::NotSent,
            ));
        }
        let limit = self.request_timeout.min(left);
        let url = format!("{}/applications/{}{path}", self.base, self.application_id);
        let request = self.request(method.clone(), &url, body)?;
        let started = Instant::now();
        let result = self.exchange(request, limit);
        let took = duration::text(started.elapsed(), Precision::MillisCount);
        let status = match &result {
            Ok(answer) => answer.status.to_string(),
            Err(error) => error.to_string(),
        };
        // Method, path, status, latency, attempt: never headers or bodies.
        self.log.debug(&format!(
            "{method} {} -> {status} in {took} (attempt {attempt})",
            path_of(&url)
        ));
        result.and_then(by_status)
    }

    /// The request: the token, the project, and the JSON body when there is one.
    fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Request<Option<Vec<u8>>>, ApiError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(url)
            .header("Authorization", format!("Bearer {}", self.token.expose()));
        if let Some(project) = &self.project_id {
            builder = builder.header("X-Nodion-Project", project);
        }
        if body.is_some() {
            builder = builder.header("Content-Type", "application/json");
        }
        builder.body(body).map_err(|e| {
            ApiError::transient(format!("cannot build the request: {e}"), Delivery::NotSent)
        })
    }

    /// Sends the request and reads the answer, all within `limit`; a transport failure is sorted
    /// by [`classify`].
    fn exchange(
        &self,
        request: Request<Option<Vec<u8>>>,
        limit: Duration,
    ) -> Result<Answer, ApiError> {
        let (parts, body) = request.into_parts();
        let response = match body {
            Some(body) => http::run(&self.agent, Request::from_parts(parts, body), limit),
            // A GET must not carry a body (and a Content-Length of 0 is noise).
            None => http::run(&self.agent, Request::from_parts(parts, ()), limit),
        };
        let sort = |e| classify(e, limit, &self.ca_certificates);
        let mut response = response.map_err(sort)?;
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        Ok(Answer {
            status: response.status().as_u16(),
            retry_after,
            body: http::body(&mut response).map_err(sort)?,
        })
    }
}

/// The URL's path, for the debug log.
fn path_of(url: &str) -> &str {
    url.find("://")
        .and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..]))
        .unwrap_or("/")
}

/// Sorts an answer by its status: a success is the answer; a 408 or 429 was not processed; any
/// other 4xx is refused; anything else may have been acted on.
fn by_status(answer: Answer) -> Result<Answer, ApiError> {
    let (status, message) = (answer.status, error_message(&answer.body));
    let delivery = match status {
        200..=299 => return Ok(answer),
        408 | 429 => Delivery::NotProcessed,
        400..=499 => return Err(ApiError::Refused { status, message }),
        _ => Delivery::Unknown,
    };
    Err(ApiError::Transient {
        reason: format!("HTTP {status}: {message}"),
        retry_after: answer.retry_after,
        delivery,
    })
}

/// Sorts a transport error: was the request possibly acted on? `ca_certificates` is what the user
/// calls that input, named after a certificate failure.
fn classify(error: ureq::Error, limit: Duration, ca_certificates: &str) -> ApiError {
    use ureq::Error as E;
    let not_connected = |reason: &str| ApiError::transient(reason, Delivery::NotConnected);
    let not_sent = |reason: String| ApiError::transient(reason, Delivery::NotSent);
    let unknown = |reason: String| ApiError::transient(reason, Delivery::Unknown);
    let said = |e: &dyn std::fmt::Display| escape::one_line(&e.to_string());
    // A certificate the roots do not vouch for will not be vouched for a second later.
    let tls_failed = |e: &dyn std::fmt::Display| ApiError::Unreachable {
        reason: format!(
            "TLS failed: {} (for a TLS-intercepting proxy, set {ca_certificates})",
            said(e)
        ),
    };
    match error {
        E::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
            not_connected("timed out connecting")
        }
        E::Timeout(_) => unknown(format!(
            "no complete answer within {}",
            duration::text(limit, Precision::Millis)
        )),
        E::HostNotFound => not_connected("the API host was not found"),
        E::ConnectionFailed => not_connected("the connection failed"),
        E::Io(e) if matches!(e.kind(), io::ErrorKind::ConnectionRefused) => {
            not_connected("the connection was refused")
        }
        E::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable
            ) =>
        {
            not_connected(&format!("the API host cannot be reached: {}", said(&e)))
        }
        // rustls reports a certificate it does not trust as an I/O error during the handshake.
        E::Io(e) if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) => tls_failed(&e),
        E::Io(e) => unknown(format!("connection error: {}", said(&e))),
        E::BodyExceedsLimit(_) => {
            unknown(format!("the answer is larger than {} MiB", MAX_BODY >> 20))
        }
        E::Tls(_) | E::Rustls(_) | E::Pem(_) | E::TlsRequired => tls_failed(&error),
        E::ConnectProxyFailed(_) | E::InvalidProxyUrl => {
            not_sent(format!("the proxy failed: {}", said(&error)))
        }
        other => unknown(format!("the request failed: {}", said(&other))),
    }
}

/// The API's own words from an error body: `{"errors":[…]}`, `{"error":…}`, `{"message":…}`, or
/// the body itself — one line, without control characters, bounded.
pub fn error_message(body: &[u8]) -> String {
    use serde_json::Value;
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().filter_map(text).collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            }
            Value::Object(map) => ["message", "error", "errors", "detail"]
                .iter()
                .find_map(|k| map.get(*k).and_then(text)),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
    // Only a small body is parsed as JSON: a tree of a 16 MiB one could take gigabytes.
    let parsed = if body.len() <= MAX_PARSED_ERROR {
        serde_json::from_slice::<Value>(body).ok()
    } else {
        None
    };
    let message = match parsed {
        Some(value) => text(&value).unwrap_or_else(|| value.to_string()),
        None => String::from_utf8_lossy(&body[..body.len().min(4 * MAX_MESSAGE)]).into_owned(),
    };
    let message = escape::one_line(&message);
    if message.is_empty() {
        "(no message)".to_string()
    } else {
        escape::bounded(&message, MAX_MESSAGE)
    }
}

/// The longest `Retry-After` taken as given; the run's deadline caps it further.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Reads `Retry-After`: delay-seconds, or an HTTP date relative to `now`; at most
/// [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let when = httpdate::parse_http_date(value).ok()?;
            when.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the user calls the `ca_certificates` input, in these tests.
    const CA: &str = "ca_certificates";

    #[test]
    fn error_messages_are_read_from_every_known_shape() {
        assert_eq!(
            error_message(br#"{"errors":["Name can't be blank","Token invalid"]}"#),
            "Name can't be blank; Token invalid"
        );
        assert_eq!(
            error_message(br#"{"error":"Unauthorized"}"#),
            "Unauthorized"
        );
        assert_eq!(error_message(br#"{"error":{"message":"nope"}}"#), "nope");
        assert_eq!(error_message(br#"{"message":"Not found"}"#), "Not found");
        assert_eq!(
            error_message(b"<h1>Bad\r\nGateway</h1>"),
            "<h1>Bad Gateway</h1>"
        );
        assert_eq!(error_message(b""), "(no message)");
        assert_eq!(error_message(br#"{"other":1}"#), r#"{"other":1}"#);
    }

    #[test]
    fn error_messages_are_bounded_and_free_of_escapes() {
        let long = format!("{{\"errors\":[\"\u{1b}[31m{}\"]}}", "x".repeat(10_000));
        let message = error_message(long.as_bytes());
        assert!(message.chars().count() <= MAX_MESSAGE);
        assert!(!message.chars().any(escape::is_control));
    }

    #[test]
    fn a_request_that_never_left_is_safe_to_send_again() {
        let limit = Duration::from_secs(1);
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let unreachable = io::Error::from(io::ErrorKind::HostUnreachable);
        for error in [
            ureq::Error::Io(refused),
            ureq::Error::Io(unreachable),
            ureq::Error::ConnectionFailed,
            ureq::Error::HostNotFound,
            ureq::Error::Timeout(ureq::Timeout::Connect),
        ] {
            let ApiError::Transient { delivery, .. } = classify(error, limit, CA) else {
                panic!("transient")
            };
            assert_eq!(delivery, Delivery::NotConnected);
        }
        for error in [
            ureq::Error::Tls("bad certificate"),
            ureq::Error::TlsRequired,
        ] {
            let ApiError::Unreachable { reason } = classify(error, limit, CA) else {
                panic!("unreachable")
            };
            assert!(reason.ends_with("(for a TLS-intercepting proxy, set ca_certificates)"));
        }
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        for error in [
            ureq::Error::Io(reset),
            ureq::Error::Timeout(ureq::Timeout::Global),
            ureq::Error::BodyExceedsLimit(MAX_BODY),
        ] {
            let ApiError::Transient { delivery, .. } = classify(error, limit, CA) else {
                panic!("transient")
            };
            assert_eq!(delivery, Delivery::Unknown, "may have been acted on");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 99999999999999 08:49:37 GMT", now),
            None
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("-1", now), None);
        // The two obsolete forms a recipient must still accept (RFC 9110, section 5.6.7).
        for obsolete in ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            assert_eq!(
                parse_retry_after(obsolete, now),
                Some(Duration::from_secs(7)),
                "{obsolete}"
            );
        }
    }

    #[test]
    fn statuses_are_sorted_by_whether_retrying_can_help() {
        let answer = |status| Answer {
            status,
            retry_after: Some(Duration::from_secs(3)),
            body: br#"{"error":"nope"}"#.to_vec(),
        };
        assert!(by_status(answer(204)).is_ok());
        for status in [408, 429] {
            let Err(ApiError::Transient {
                reason,
                retry_after,
                delivery,
            }) = by_status(answer(status))
            else {
                panic!("{status} is transient")
            };
            assert_eq!(reason, format!("HTTP {status}: nope"));
            assert_eq!(retry_after, Some(Duration::from_secs(3)));
            assert_eq!(delivery, Delivery::NotProcessed);
        }
        for status in [400, 401, 404, 422] {
            assert_eq!(
                by_status(answer(status)).err(),
                Some(ApiError::Refused {
                    status,
                    message: "nope".into()
                })
            );
        }
        for status in [302, 500, 503] {
            let Err(ApiError::Transient { delivery, .. }) = by_status(answer(status)) else {
                panic!("{status} is transient")
            };
            assert_eq!(
                delivery,
                Delivery::Unknown,
                "{status} may have been acted on"
            );
        }
    }

    #[test]
    fn the_debug_log_names_the_path_only() {
        assert_eq!(
            path_of("https://api.nodion.com/v1/applications/a/deployments"),
            "/v1/applications/a/deployments"
        );
        assert_eq!(path_of("http://127.0.0.1:8080"), "/");
    }
}
