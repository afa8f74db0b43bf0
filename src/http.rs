//! The ureq agent both clients use (the API's and the check of `verify_url`), built in one place:
//! the bundled TLS roots plus `ca_certificates`, the proxy from the environment unless `NO_PROXY`
//! says otherwise by curl's rules, `request_timeout`, and a lookup that tells the client's own host
//! not resolving apart from other failures; and how a request is sent within a limit, and its body
//! read.

use std::time::Duration;

use ureq::config::RedirectAuthHeaders;
use ureq::http::{Request, Response};
use ureq::unversioned::transport::DefaultConnector;
use ureq::{Agent, AsSendBody, Body};

use crate::inputs::Settings;
use crate::proxy::bypasses_proxy;
use crate::resolve::{Lookup, OwnHost, host_of};

/// Response bodies larger than this are an error, not an out-of-memory.
pub const MAX_BODY: u64 = 16 * 1024 * 1024;

/// What differs between the two clients' agents.
pub struct Client<'a> {
    /// The URL the client talks to: `NO_PROXY` is matched against its host, and a failed lookup
    /// of that host is `HostNotFound`.
    pub url: &'a str,
    /// The `Accept` header of every request (`None`: ureq's own).
    pub accept: Option<&'a str>,
    /// How many redirects are followed.
    pub max_redirects: u32,
    /// Whether a redirect past `max_redirects` is an error (`TooManyRedirects`) rather than the
    /// last redirect being the answer.
    pub too_many_redirects_fail: bool,
    /// How names are looked up.
    pub lookup: Lookup,
}

/// An agent for `client`: answers of every status are answers (not errors), no Authorization
/// header follows a redirect, each request is bounded by `request_timeout`.
pub fn agent(settings: &Settings, client: Client) -> Agent {
    let bypass = settings
        .no_proxy
        .as_deref()
        .is_some_and(|list| bypasses_proxy(list, client.url));
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(format!("nodion-deploy/{}", crate::VERSION))
        .redirect_auth_headers(RedirectAuthHeaders::Never)
        .max_redirects(client.max_redirects)
        .max_redirects_will_error(client.too_many_redirects_fail)
        .timeout_global(Some(settings.request_timeout))
        .tls_config(crate::tls::config(&settings.extra_roots));
    let config = match client.accept {
        Some(accept) => config.accept(accept),
        None => config,
    };
    // ureq honours NO_PROXY only word for word; a bypass by curl's rules is decided here.
    let config = if bypass { config.proxy(None) } else { config }.build();
    let resolver = OwnHost {
        host: host_of(client.url).unwrap_or_default(),
        lookup: client.lookup,
    };
    Agent::with_parts(config, DefaultConnector::default(), resolver)
}

/// Sends `request` on `agent` (built by [`agent`]), the whole exchange bounded by `limit`: at
/// most `request_timeout`, less when the deadline is nearer.
pub fn run(
    agent: &Agent,
    request: Request<impl AsSendBody>,
    limit: Duration,
) -> Result<Response<Body>, ureq::Error> {
    // The agent's own limit is request_timeout. Only a request the deadline cuts shorter gets
    // a request-level limit: ureq caches the TLS configuration only from agent-level requests,
    // so this way it is built once, by the first request, and reused after.
    if agent
        .config()
        .timeouts()
        .global
        .is_some_and(|own| limit < own)
    {
        let request = agent.configure_request(request);
        agent.run(request.timeout_global(Some(limit)).build())
    } else {
        agent.run(request)
    }
}

/// Reads the body of `response`, at most [`MAX_BODY`]: a huge answer is a failure, not an OOM.
pub fn body(response: &mut Response<Body>) -> Result<Vec<u8>, ureq::Error> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
}
