//! A forward HTTP proxy for tests: `CONNECT` tunnels and absolute-form requests, to loopback
//! targets only, one thread per connection.

use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::http::{self, ReadError, Request, Response};
use crate::server::abort_on_close;

/// How long reading a request head or writing to a peer may take.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting to a target may take; loopback answers at once or not at all.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A running forward proxy on 127.0.0.1; dropping it stops it and cuts every open tunnel.
///
/// It serves `CONNECT host:port` (a tunnel that copies bytes both ways until either side closes)
/// and absolute-form requests such as `GET http://127.0.0.1:PORT/path HTTP/1.1` (forwarded in
/// origin form with `Connection: close`, the answer relayed whole). Only `127.0.0.1` and
/// `localhost` targets are served; any other host gets a 403 without a connection attempt.
pub struct ConnectProxy {
    shared: Arc<ProxyShared>,
    port: u16,
    accept: Option<JoinHandle<()>>,
}

struct ProxyShared {
    requests: Mutex<Vec<String>>,
    stop: AtomicBool,
    /// The sockets of exchanges in progress, by connection, so that dropping the proxy ends them.
    live: Mutex<HashMap<u64, Vec<TcpStream>>>,
    next_id: AtomicU64,
}

impl ProxyShared {
    fn requests(&self) -> MutexGuard<'_, Vec<String>> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live(&self) -> MutexGuard<'_, HashMap<u64, Vec<TcpStream>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a socket of connection `id`, to be shut down if the proxy stops first.
    fn track(&self, id: u64, stream: &TcpStream) {
        if let Ok(clone) = stream.try_clone() {
            self.live().entry(id).or_default().push(clone);
        }
        // Drop sets `stop` before it walks `live`: whichever comes second sees the other.
        if self.stop.load(Ordering::SeqCst) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Forgets a connection's sockets when its thread ends.
struct Tracked<'a> {
    shared: &'a ProxyShared,
    id: u64,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.shared.live().remove(&self.id);
    }
}

impl ConnectProxy {
    /// Binds 127.0.0.1 on a free port and serves in background threads.
    ///
    /// # Panics
    /// If no port can be bound: a test cannot go on without its proxy.
    pub fn start() -> ConnectProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .unwrap_or_else(|e| panic!("fake-nodion proxy cannot listen: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("fake-nodion proxy cannot read its own address: {e}"))
            .port();
        let shared = Arc::new(ProxyShared {
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            live: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        });
        let accept = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("fake-nodion-proxy-accept".into())
                .spawn(move || accept_loop(&listener, &shared))
                .unwrap_or_else(|e| panic!("fake-nodion proxy cannot start its thread: {e}"))
        };
        ConnectProxy {
            shared,
            port,
            accept: Some(accept),
        }
    }

    /// The proxy URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request lines received so far, in order, refused ones included, e.g.
    /// `CONNECT 127.0.0.1:4567 HTTP/1.1` or `GET http://127.0.0.1:4567/v1/x HTTP/1.1`.
    pub fn requests(&self) -> Vec<String> {
        self.shared.requests().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for streams in self.shared.live().values() {
            for stream in streams {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        // accept() only returns on a connection, so make one; if even that fails, leave the
        // thread to the process rather than hang the test in join().
        let me = SocketAddr::from(([127, 0, 0, 1], self.port));
        let woke = TcpStream::connect_timeout(&me, Duration::from_secs(1)).is_ok();
        if let Some(handle) = self.accept.take() {
            if woke {
                let _ = handle.join();
            }
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<ProxyShared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = conn else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let shared = Arc::clone(shared);
        let _ = thread::Builder::new()
            .name("fake-nodion-proxy-conn".into())
            .spawn(move || {
                let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
                let _tracked = Tracked {
                    shared: &shared,
                    id,
                };
                shared.track(id, &client);
                handle(&client, &shared, id);
            });
    }
}

/// Reads one proxy request and serves it.
fn handle(client: &TcpStream, shared: &ProxyShared, id: u64) {
    let _ = client.set_read_timeout(Some(IO_TIMEOUT));
    let _ = client.set_write_timeout(Some(IO_TIMEOUT));
    let mut reader = BufReader::new(client);
    let req = match http::read_buffered_request(&mut reader) {
        Ok(req) => req,
        Err(ReadError::Silent) => return,
        Err(ReadError::Bad(status, message)) => return refuse(client, status, message),
    };
    // Bytes the client sent past the head (e.g. an eager TLS hello) belong to the tunnel.
    let early = reader.buffer().to_vec();
    drop(reader);
    shared.requests().push(req.line.clone());

    if req.method.eq_ignore_ascii_case("CONNECT") {
        match loopback_target(&req.path, None) {
            Ok(addr) => tunnel(client, addr, &early, shared, id),
            Err((status, message)) => refuse(client, status, message),
        }
    } else {
        match absolute_target(&req) {
            Ok((addr, authority, origin)) => {
                forward(client, &req, addr, authority, &origin, shared, id)
            }
            Err((status, message)) => refuse(client, status, message),
        }
    }
}

/// The loopback address `host:port` names; other hosts are refused without any lookup.
fn loopback_target(
    authority: &str,
    default_port: Option<u16>,
) -> Result<SocketAddr, (u16, &'static str)> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(port) => (host, port),
            Err(_) => return Err((400, "Invalid port in proxy target")),
        },
        None => match default_port {
            Some(port) => (authority, port),
            None => return Err((400, "CONNECT needs host:port")),
        },
    };
    if host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost") {
        // localhost is pinned to IPv4: the fakes listen on 127.0.0.1 only.
        Ok(SocketAddr::from(([127, 0, 0, 1], port)))
    } else {
        Err((403, "This proxy only reaches 127.0.0.1 and localhost"))
    }
}

/// Splits an absolute-form `http://authority/path` target into its loopback address, its
/// authority and the origin-form target to forward (query included).
fn absolute_target(req: &Request) -> Result<(SocketAddr, &str, String), (u16, &'static str)> {
    let target = req.path.as_str();
    let scheme_len = "http://".len();
    if !target
        .get(..scheme_len)
        .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
    {
        return Err((400, "Not an absolute-form http:// proxy request"));
    }
    let rest = &target[scheme_len..];
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let addr = loopback_target(authority, Some(80))?;
    let origin = if req.query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", req.query)
    };
    Ok((addr, authority, origin))
}

/// Answers with an error and closes.
fn refuse(mut client: &TcpStream, status: u16, message: &str) {
    let _ = Response {
        status,
        headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
        body: format!("{message}\n"),
    }
    .write_to(&mut client);
    let _ = client.shutdown(Shutdown::Write);
}

fn dial(addr: SocketAddr, shared: &ProxyShared, id: u64) -> io::Result<TcpStream> {
    let target = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    shared.track(id, &target);
    let _ = target.set_write_timeout(Some(IO_TIMEOUT));
    Ok(target)
}

/// Answers a CONNECT and copies bytes both ways until both directions are done.
fn tunnel(client: &TcpStream, addr: SocketAddr, early: &[u8], shared: &ProxyShared, id: u64) {
    let Ok(target) = dial(addr, shared, id) else {
        return refuse(client, 502, "Cannot connect to the target");
    };
    let mut out = client;
    if out
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
        || (&target).write_all(early).is_err()
    {
        return;
    }
    // A tunnel may sit idle as long as the ends like (a stalled answer); dropping the proxy
    // is what ends an abandoned one.
    let _ = client.set_read_timeout(None);
    let target = &target;
    thread::scope(|s| {
        let up = thread::Builder::new()
            .name("fake-nodion-proxy-up".into())
            .spawn_scoped(s, move || relay(client, target));
        if up.is_err() {
            let _ = target.shutdown(Shutdown::Both);
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        relay(target, client);
    });
}

/// Forwards an absolute-form request in origin form and relays the whole answer.
fn forward(
    client: &TcpStream,
    req: &Request,
    addr: SocketAddr,
    authority: &str,
    origin: &str,
    shared: &ProxyShared,
    id: u64,
) {
    let Ok(target) = dial(addr, shared, id) else {
        return refuse(client, 502, "Cannot connect to the target");
    };
    let hop_by_hop: Vec<String> = http::header(&req.headers, "connection")
        .unwrap_or("")
        .split(',')
        .map(|name| name.trim().to_ascii_lowercase())
        .chain(
            [
                "connection",
                "proxy-connection",
                "keep-alive",
                "proxy-authorization",
                "te",
                "trailer",
                "transfer-encoding",
                "upgrade",
                "content-length",
            ]
            .map(String::from),
        )
        .collect();
    let mut head = format!("{} {origin} HTTP/1.1\r\n", req.method);
    if http::header(&req.headers, "host").is_none() {
        head.push_str(&format!("Host: {authority}\r\n"));
    }
    for (name, value) in &req.headers {
        if !hop_by_hop.contains(&name.to_ascii_lowercase()) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    let framed = http::header(&req.headers, "content-length").is_some()
        || http::header(&req.headers, "transfer-encoding").is_some();
    if framed || !req.body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut to = &target;
    if to.write_all(head.as_bytes()).is_err() || to.write_all(&req.body).is_err() {
        return refuse(client, 502, "The target closed before taking the request");
    }
    relay(&target, client);
}

/// Copies `from` into `to` until `from` ends, then ends `to` the same way: an orderly end
/// becomes a half-close, a failure (e.g. a reset) a reset.
fn relay(mut from: &TcpStream, mut to: &TcpStream) {
    match io::copy(&mut from, &mut to) {
        Ok(_) => {
            let _ = to.shutdown(Shutdown::Write);
        }
        Err(_) => {
            // No FIN first: `to` gets a reset once closed. Shutting its read side wakes the
            // other direction's relay, which then ends too.
            abort_on_close(to);
            let _ = to.shutdown(Shutdown::Read);
            let _ = from.shutdown(Shutdown::Both);
        }
    }
}
