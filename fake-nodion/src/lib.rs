//! A stateful fake of the Nodion deployments API, served over real HTTP (or HTTPS, see
//! [`Options::tls`]) on 127.0.0.1.
//!
//! Integration tests run the real `nodion-deploy` binary against it; scripted [`Fault`]s make it
//! misbehave the ways a real network and API can. A [`ConnectProxy`] stands in for an HTTP proxy.

#![warn(missing_docs)]

mod http;
mod lag;
mod proxy;
mod server;
mod source;
mod state;
pub mod testcerts;
mod text;
mod timeline;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use server::Shared;
use state::State;

pub use proxy::ConnectProxy;
pub use timeline::{Hold, Seed, Stage};

/// A running fake Nodion API; dropping it stops the server.
pub struct FakeNodion {
    shared: Arc<Shared>,
    port: u16,
    tls: bool,
    accept: Mutex<Option<JoinHandle<()>>>,
}

/// How to set up a [`FakeNodion`].
#[derive(Clone, Debug)]
pub struct Options {
    /// The bearer token every request must carry.
    pub token: String,
    /// The only application id the fake knows.
    pub application_id: String,
    /// The application's name, also used to build image references.
    pub app_name: String,
    /// The image repository of a prebuilt-image application, e.g. `registry.example.com/shop`:
    /// every trigger deploys `<image>:<image_tag>` (`latest` without a tag). None: a git-based
    /// application, whose triggers with an `image_tag` deploy `docker.io/<app_name>:<image_tag>`.
    pub image: Option<String>,
    /// The statuses a new deployment goes through, in order, unless `lifecycles` or
    /// `tag_lifecycles` give it its own; the last holds forever (none: `created`).
    pub lifecycle: Vec<Stage>,
    /// Lifecycles for the next deployments that triggers create, one each, in order; once they are
    /// used up, `tag_lifecycles` and then `lifecycle` apply.
    pub lifecycles: Vec<Vec<Stage>>,
    /// Lifecycles by the image tag a deployment was triggered with, instead of `lifecycle`.
    pub tag_lifecycles: BTreeMap<String, Vec<Stage>>,
    /// Deployments that exist before the first request; each keeps its status forever.
    pub existing: Vec<Seed>,
    /// The commit message of newly triggered git deployments.
    pub commit_message: String,
    /// The committer of newly triggered git deployments.
    pub committer_name: String,
    /// The port to listen on; 0 picks a free one.
    pub port: u16,
    /// Whether to print one line per request to standard error.
    pub log_requests: bool,
    /// Serve HTTPS with this identity instead of plain HTTP (none: plain HTTP).
    /// [`testcerts::identity`] is one that clients trusting [`testcerts::CA_PEM`] accept.
    pub tls: Option<TlsIdentity>,
}

/// A server certificate chain and its private key, both PEM, for [`Options::tls`].
#[derive(Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    /// The server certificate first, then any intermediates (not the root).
    pub cert_chain_pem: String,
    /// The server certificate's private key: PKCS#8, SEC1 (EC) or PKCS#1 (RSA).
    pub key_pem: String,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_chain_pem", &self.cert_chain_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

impl TlsIdentity {
    /// The rustls server configuration serving this identity (TLS 1.2 and 1.3, ring).
    fn server_config(&self) -> Result<ServerConfig, String> {
        let certs = CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("bad certificate chain PEM: {e}"))?;
        if certs.is_empty() {
            return Err("the certificate chain PEM holds no certificate".into());
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| format!("bad private key PEM: {e}"))?;
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("unusable certificate or key: {e}"))
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            token: "test-token".into(),
            application_id: "app-1".into(),
            app_name: "demo-app".into(),
            image: None,
            lifecycle: vec![
                Stage::new("created", Hold::Lists(1)),
                Stage::new("waiting", Hold::Lists(1)),
                Stage::new("deploying", Hold::Lists(1)),
                Stage::new("available", Hold::Forever),
            ],
            lifecycles: Vec::new(),
            tag_lifecycles: BTreeMap::new(),
            existing: Vec::new(),
            commit_message: "Fix the login page".into(),
            committer_name: "Jane Doe".into(),
            port: 0,
            log_requests: false,
            tls: None,
        }
    }
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The method, as sent.
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The query string without its `?`; empty if none.
    pub query: String,
    /// The headers in the order sent, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, lossily decoded as UTF-8.
    pub body: String,
    /// When the whole request had been read.
    pub at: Instant,
    /// The endpoint the request was for.
    pub route: Route,
}

impl Recorded {
    /// The first header of that name, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        http::header(&self.headers, name)
    }
}

/// The endpoints of the fake, for counting requests and scripting faults.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Route {
    /// `GET /v1/applications/:id/deployments`.
    List,
    /// `POST /v1/applications/:id/deployments`.
    Trigger,
    /// `GET /v1/applications/:id`.
    Application,
    /// `GET /v1/applications/:id/logs`.
    Logs,
    /// Anything else.
    Other,
}

impl Route {
    /// The endpoint a method and path (without query) address, whatever the application id.
    pub fn of(method: &str, path: &str) -> Route {
        let segments: Vec<&str> = path.split('/').collect();
        match (method, segments.as_slice()) {
            ("GET", ["", "v1", "applications", _, "deployments"]) => Route::List,
            ("POST", ["", "v1", "applications", _, "deployments"]) => Route::Trigger,
            ("GET", ["", "v1", "applications", _]) => Route::Application,
            ("GET", ["", "v1", "applications", _, "logs"]) => Route::Logs,
            _ => Route::Other,
        }
    }
}

/// A one-shot misbehaviour for the next request on a route.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status, extra headers and body; with `create_first` a trigger still
    /// creates its deployment first, so the real outcome is lost.
    Status {
        /// The status code.
        code: u16,
        /// Headers added to the answer, e.g. `Retry-After`.
        headers: Vec<(String, String)>,
        /// The body, sent as is.
        body: String,
        /// Whether a trigger creates its deployment before answering.
        create_first: bool,
    },
    /// Read the request, then reset the connection without answering.
    Reset {
        /// Whether a trigger creates its deployment before the reset.
        create_first: bool,
    },
    /// Read the request, send nothing for this long, then close.
    Stall {
        /// How long to stay silent.
        for_: Duration,
        /// Whether a trigger creates its deployment before stalling.
        create_first: bool,
    },
    /// Send a 200 status line and headers promising a body, then nothing for this long, then close.
    StallBody {
        /// How long to stay silent after the headers.
        for_: Duration,
    },
    /// Write these exact bytes as the whole response, then close.
    Raw {
        /// The bytes to send.
        bytes: Vec<u8>,
        /// Whether a trigger creates its deployment before answering.
        create_first: bool,
    },
    /// A 200 whose body starts as valid JSON and is this many bytes long, streamed.
    HugeBody {
        /// The body's length.
        bytes: usize,
    },
    /// A 302 to this location.
    Redirect {
        /// The `Location` header's value.
        location: String,
    },
    /// No fault: answer normally (lets a script fault only some of a run of requests).
    Pass,
    /// Hold the answer back this long, then answer normally (a slow API).
    Delay {
        /// How long to wait before answering.
        for_: Duration,
    },
}

impl Fault {
    /// A plain error answer: this status and body, no extra headers, nothing created.
    pub fn status(code: u16, body: &str) -> Fault {
        Fault::Status {
            code,
            headers: Vec::new(),
            body: body.to_string(),
            create_first: false,
        }
    }
}

impl FakeNodion {
    /// Binds 127.0.0.1 and serves in background threads.
    ///
    /// # Panics
    /// If the port cannot be bound, or the TLS identity is unusable: a test cannot go on
    /// without its server.
    pub fn start(opts: Options) -> FakeNodion {
        let tls = opts.tls.as_ref().map(|identity| {
            let config = identity
                .server_config()
                .unwrap_or_else(|e| panic!("fake-nodion cannot serve HTTPS: {e}"));
            Arc::new(config)
        });
        let listener = TcpListener::bind(("127.0.0.1", opts.port))
            .unwrap_or_else(|e| panic!("fake-nodion cannot listen on port {}: {e}", opts.port));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake-nodion cannot read its own address: {e}"))
            .port();
        let shared = Arc::new(Shared::new(State::new(&opts)));
        let is_tls = tls.is_some();
        let accept = server::spawn_accept_loop(listener, Arc::clone(&shared), tls);
        FakeNodion {
            shared,
            port,
            tls: is_tls,
            accept: Mutex::new(Some(accept)),
        }
    }

    /// The API base URL: `http://127.0.0.1:PORT/v1`, or `https://…` when serving TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/v1", self.port)
    }

    /// The port the fake listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The token the fake accepts.
    pub fn token(&self) -> String {
        self.state().token.clone()
    }

    /// The application id the fake knows.
    pub fn application_id(&self) -> String {
        self.state().application_id.clone()
    }

    /// Every request received so far, in order, faulted ones included.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// How many requests with this method (case-insensitive) went to this route.
    pub fn count(&self, method: &str, route: Route) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|r| r.route == route && r.method.eq_ignore_ascii_case(method))
            .count()
    }

    /// How soon a client could have seen deployment `deploy_number` end: the time from its entering
    /// its last stage (a timed hold's exact deadline) to the first successful List answer that
    /// showed it there. None until such an answer (or if there is no such deployment). Count List
    /// requests with [`FakeNodion::count`] and time them with [`FakeNodion::requests`].
    pub fn noticed_after(&self, deploy_number: u64) -> Option<Duration> {
        self.state().noticed_after(deploy_number)
    }

    /// The deployments as a List would show them now, newest first (without counting as a List).
    pub fn deployments(&self) -> Vec<serde_json::Value> {
        self.state().deployments()
    }

    /// Sets the default lifecycle of deployments triggered from now on.
    pub fn set_lifecycle(&self, lifecycle: Vec<Stage>) {
        self.state().set_lifecycle(lifecycle);
    }

    /// Queues a lifecycle for one deployment a trigger creates, after those already queued;
    /// it wins over [`Options::tag_lifecycles`] and [`Options::lifecycle`].
    pub fn queue_lifecycle(&self, lifecycle: Vec<Stage>) {
        self.state().queue_lifecycle(lifecycle);
    }

    /// Sets the lifecycle of deployments triggered from now on with this image tag.
    pub fn set_tag_lifecycle(&self, image_tag: &str, lifecycle: Vec<Stage>) {
        self.state().set_tag_lifecycle(image_tag, lifecycle);
    }

    /// Forces a deployment's status and holds it there forever.
    ///
    /// # Panics
    /// If there is no such deployment: the test is wrong.
    pub fn set_status(&self, deploy_number: u64, status: &str) {
        self.state().set_status(deploy_number, status);
    }

    /// Queues a one-shot fault for the next request on `route`; faults on a route come out in order.
    pub fn script(&self, route: Route, fault: Fault) {
        self.state().push_fault(route, fault);
    }

    /// Forces one field of a deployment's JSON to `value`, e.g. a hostile `commit_message`.
    ///
    /// # Panics
    /// If there is no such deployment: the test is wrong.
    pub fn set_deployment_field(&self, deploy_number: u64, field: &str, value: serde_json::Value) {
        self.state().set_field(deploy_number, field, value);
    }

    /// Makes List lag behind the trigger: a deployment created from now on is missing from the
    /// next `answers` List answers after it was created (faulted Lists do not count), as an
    /// eventually consistent API may leave it out. [`FakeNodion::deployments`] shows it all along.
    pub fn lag_list(&self, answers: u32) {
        self.state().lag_list(answers);
    }

    /// Replaces the canned runtime log messages the Logs endpoint serves, oldest first.
    pub fn set_log_messages(&self, messages: Vec<String>) {
        self.state().set_log_messages(messages);
    }

    /// Blocks the calling thread while the fake serves, i.e. forever unless the fake is dropped elsewhere.
    pub fn wait(&self) {
        let accept = self.accept_handle().take();
        match accept {
            Some(handle) => {
                let _ = handle.join();
            }
            // Another thread is already waiting; wait alongside it.
            None => loop {
                std::thread::park();
            },
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state()
    }

    fn accept_handle(&self) -> MutexGuard<'_, Option<JoinHandle<()>>> {
        self.accept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FakeNodion {
    fn drop(&mut self) {
        self.shared.stop.set();
        // accept() only returns on a connection, so make one; if even that fails, leave the
        // thread to the process rather than hang the test in join().
        let me = SocketAddr::from(([127, 0, 0, 1], self.port));
        let woke = TcpStream::connect_timeout(&me, Duration::from_secs(1)).is_ok();
        if let Some(handle) = self.accept_handle().take() {
            if woke {
                let _ = handle.join();
            }
        }
    }
}
