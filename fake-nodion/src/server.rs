//! The accept loop and one thread per connection: read, record, answer or misbehave, close.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use socket2::SockRef;

use crate::http::{self, ReadError, Request, Response};
use crate::state::State;
use crate::{Fault, Recorded, Route};

/// How long a connection may sit idle; keeps threads of half-dead clients from living forever.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The slice size for streaming huge bodies, so they never sit in memory whole.
const CHUNK: usize = 64 * 1024;

/// What the handle and the connection threads share.
pub(crate) struct Shared {
    state: Mutex<State>,
    pub stop: Stop,
}

impl Shared {
    pub fn new(state: State) -> Shared {
        Shared {
            state: Mutex::new(state),
            stop: Stop::default(),
        }
    }

    /// Locks the state; a panic elsewhere (a test helper misused) must not take the server down.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The shutdown signal, waitable so that stalls end as soon as the fake is dropped.
#[derive(Default)]
pub(crate) struct Stop {
    stopped: Mutex<bool>,
    changed: Condvar,
}

impl Stop {
    pub fn set(&self) {
        *self.lock() = true;
        self.changed.notify_all();
    }

    pub fn is_set(&self) -> bool {
        *self.lock()
    }

    /// Sleeps for `d` or until stopped; false if stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        let mut stopped = self.lock();
        while !*stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            stopped = match self.changed.wait_timeout(stopped, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        false
    }

    fn lock(&self) -> MutexGuard<'_, bool> {
        self.stopped.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One client connection, plain or TLS; the HTTP handling does not care which.
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Conn {
    /// Runs a TLS server handshake to completion, so that a failed one is never taken for a request.
    fn accept_tls(mut tcp: TcpStream, config: Arc<ServerConfig>) -> io::Result<Conn> {
        let mut tls = ServerConnection::new(config).map_err(io::Error::other)?;
        while tls.is_handshaking() {
            let (read, written) = tls.complete_io(&mut tcp)?;
            if read == 0 && written == 0 && tls.is_handshaking() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(Conn::Tls(Box::new(StreamOwned::new(tls, tcp))))
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(tls) => tls.get_ref(),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            Conn::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(tls) => tls.flush(),
        }
    }
}

pub(crate) fn spawn_accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<Arc<ServerConfig>>,
) -> JoinHandle<()> {
    thread::Builder::new()
        .name("fake-nodion-accept".into())
        .spawn(move || accept_loop(&listener, &shared, tls.as_ref()))
        .unwrap_or_else(|e| panic!("fake-nodion cannot start its server thread: {e}"))
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, tls: Option<&Arc<ServerConfig>>) {
    for conn in listener.incoming() {
        if shared.stop.is_set() {
            return;
        }
        let Ok(stream) = conn else {
            // E.g. out of file descriptors: back off instead of spinning on the error.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let shared = Arc::clone(shared);
        let tls = tls.map(Arc::clone);
        // If no thread can be made, the closure and its stream drop: the client sees a close.
        let _ = thread::Builder::new()
            .name("fake-nodion-conn".into())
            .spawn(move || connect(stream, tls, &shared));
    }
}

/// Sets the connection up (the TLS handshake runs here, off the accept loop) and serves it.
fn connect(tcp: TcpStream, tls: Option<Arc<ServerConfig>>, shared: &Shared) {
    let _ = tcp.set_read_timeout(Some(IO_TIMEOUT));
    let _ = tcp.set_write_timeout(Some(IO_TIMEOUT));
    let stream = match tls {
        None => Conn::Plain(tcp),
        Some(config) => match Conn::accept_tls(tcp, config) {
            Ok(stream) => stream,
            Err(e) => {
                // E.g. the client does not trust the certificate: no request, nothing to record.
                if shared.state().log_requests && !shared.stop.is_set() {
                    eprintln!("fake-nodion: TLS handshake failed: {e}");
                }
                return;
            }
        },
    };
    serve(stream, shared);
}

fn serve(mut stream: Conn, shared: &Shared) {
    let req = match http::read_request(&mut stream) {
        Ok(req) => req,
        Err(ReadError::Silent) => return,
        Err(ReadError::Bad(status, message)) => {
            let _ = Response::error(status, message).write_to(&mut stream);
            finish(stream);
            return;
        }
    };
    let route = Route::of(&req.method, &req.path);

    // A delay holds the answer back, then the request is served normally (outside the lock, so
    // other requests are not held up).
    let delay = {
        let mut state = shared.state();
        match state.peek_fault(route) {
            Some(Fault::Delay { for_ }) => {
                let for_ = *for_;
                state.take_fault(route);
                Some(for_)
            }
            _ => None,
        }
    };
    if let Some(for_) = delay {
        shared.stop.sleep(for_);
    }

    let (fault, answer, log) = {
        let mut state = shared.state();
        state.requests.push(Recorded {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            headers: req.headers.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            at: Instant::now(),
            route,
        });
        // One fault per request: a delayed one is then answered normally.
        let fault = match delay {
            Some(_) => None,
            None => state
                .take_fault(route)
                .filter(|f| !matches!(f, Fault::Pass)),
        };
        let creates = fault.as_ref().is_some_and(creates_first) && route == Route::Trigger;
        // A faulted request gets no normal answer, except that create_first runs the trigger.
        let answer = (fault.is_none() || creates).then(|| state.handle(&req, route));
        (fault, answer, state.log_requests)
    };

    let outcome = match fault {
        None => {
            let answer = answer.unwrap_or_else(|| Response::error(500, "No answer"));
            let _ = answer.write_to(&mut stream);
            finish(stream);
            answer.status.to_string()
        }
        Some(fault) => deliver(fault, stream, shared),
    };
    if log {
        eprintln!("fake-nodion: {} -> {outcome}", describe(&req));
    }
}

fn creates_first(fault: &Fault) -> bool {
    match fault {
        Fault::Status { create_first, .. }
        | Fault::Reset { create_first }
        | Fault::Stall { create_first, .. }
        | Fault::Raw { create_first, .. } => *create_first,
        Fault::StallBody { .. }
        | Fault::HugeBody { .. }
        | Fault::Redirect { .. }
        | Fault::Delay { .. }
        | Fault::Pass => false,
    }
}

/// Misbehaves as scripted and says what it did, for the request log.
fn deliver(fault: Fault, mut stream: Conn, shared: &Shared) -> String {
    match fault {
        Fault::Status {
            code,
            headers,
            body,
            ..
        } => {
            let _ = Response {
                status: code,
                headers,
                body,
            }
            .write_to(&mut stream);
            finish(stream);
            format!("{code} (scripted)")
        }
        Fault::Reset { .. } => {
            reset(stream);
            "connection reset (scripted)".into()
        }
        Fault::Stall { for_, .. } => {
            shared.stop.sleep(for_);
            finish(stream);
            format!("stalled {for_:?} then closed (scripted)")
        }
        Fault::StallBody { for_ } => {
            let promised = r#"{"deployments":[]}"#.len() as u64;
            if http::write_head(&mut stream, 200, &[], promised).is_ok() {
                let _ = stream.flush();
                shared.stop.sleep(for_);
            }
            finish(stream);
            format!("200 headers, stalled body {for_:?} (scripted)")
        }
        Fault::Raw { bytes, .. } => {
            let _ = stream.write_all(&bytes);
            finish(stream);
            format!("{} raw bytes (scripted)", bytes.len())
        }
        Fault::HugeBody { bytes } => {
            let sent = stream_huge_body(&mut stream, bytes, shared);
            finish(stream);
            format!("200 with {bytes}-byte body, {sent} sent (scripted)")
        }
        Fault::Redirect { location } => {
            let _ = Response {
                status: 302,
                headers: vec![("Location".into(), location.clone())],
                body: String::new(),
            }
            .write_to(&mut stream);
            finish(stream);
            format!("302 to {location} (scripted)")
        }
        Fault::Pass | Fault::Delay { .. } => unreachable!("answered normally"),
    }
}

/// Streams a body that is valid JSON as long as it is long enough to hold the frame, so a
/// client without a size cap would parse it, and one with a cap must stop reading.
fn stream_huge_body(stream: &mut Conn, total: usize, shared: &Shared) -> usize {
    const OPEN: &[u8] = br#"{"deployments":[{"commit_message":""#;
    const CLOSE: &[u8] = br#""}]}"#;
    if http::write_head(stream, 200, &[], total as u64).is_err() {
        return 0;
    }
    let (open, close): (&[u8], &[u8]) = if total >= OPEN.len() + CLOSE.len() {
        (OPEN, CLOSE)
    } else {
        (&OPEN[..total], b"")
    };
    let filler = vec![b'x'; CHUNK];
    let mut sent = 0;
    let mut write = |bytes: &[u8]| -> bool {
        let ok = stream.write_all(bytes).is_ok();
        if ok {
            sent += bytes.len();
        }
        ok && !shared.stop.is_set()
    };
    if !write(open) {
        return sent;
    }
    let mut left = total - open.len() - close.len();
    while left > 0 {
        let n = left.min(CHUNK);
        if !write(&filler[..n]) {
            return sent;
        }
        left -= n;
    }
    write(close);
    sent
}

/// Ends the exchange politely: our side is done, and the client sees an orderly end of stream
/// (over TLS, a close_notify first).
fn finish(stream: Conn) {
    match stream {
        Conn::Plain(tcp) => {
            let _ = tcp.shutdown(Shutdown::Write);
        }
        Conn::Tls(mut tls) => {
            tls.conn.send_close_notify();
            let _ = tls.flush();
            let _ = tls.sock.shutdown(Shutdown::Write);
        }
    }
}

/// Drops the connection with a TCP reset (over TLS too:
/// the client sees the transport die mid-session, with no close_notify).
fn reset(stream: Conn) {
    abort_on_close(stream.tcp());
    drop(stream);
}

/// Makes the next close of `stream` send a TCP reset: linger on with a zero timeout is the
/// documented way. If the option cannot be set, the close is a plain one.
pub(crate) fn abort_on_close(stream: &TcpStream) {
    let _ = SockRef::from(stream).set_linger(Some(Duration::ZERO));
}

fn describe(req: &Request) -> String {
    if req.query.is_empty() {
        format!("{} {}", req.method, req.path)
    } else {
        format!("{} {}?{}", req.method, req.path, req.query)
    }
}
