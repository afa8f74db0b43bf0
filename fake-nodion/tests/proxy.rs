//! The test proxy: CONNECT tunnels and absolute-form forwarding, to loopback only.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{client_config, connect, exchange, get_request, https_exchange, parse};
use fake_nodion::{ConnectProxy, FakeNodion, Options, Route, testcerts};

const LIST: &str = "/v1/applications/app-1/deployments";

/// Sends a CONNECT and reads the proxy's answer head; returns the status and the stream.
fn open_tunnel(proxy: &ConnectProxy, authority: &str) -> (u16, BufReader<TcpStream>) {
    let mut tcp = connect(proxy.port());
    write!(
        tcp,
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(tcp);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    (status, reader)
}

#[test]
fn the_url_names_the_proxy() {
    let proxy = ConnectProxy::start();
    assert_eq!(proxy.url(), format!("http://127.0.0.1:{}", proxy.port()));
    assert!(proxy.requests().is_empty());
}

#[test]
fn an_https_get_goes_through_a_connect_tunnel() {
    let fake = FakeNodion::start(Options {
        tls: Some(testcerts::identity()),
        ..Options::default()
    });
    let proxy = ConnectProxy::start();
    let authority = format!("127.0.0.1:{}", fake.port());

    let (status, reader) = open_tunnel(&proxy, &authority);
    assert_eq!(status, 200);
    assert!(reader.buffer().is_empty());
    let config = client_config(&[testcerts::CA_PEM]);
    let raw = https_exchange(reader.into_inner(), config, "127.0.0.1", &get_request(LIST));
    let reply = parse(&raw.unwrap());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json()["deployments"].is_array());

    assert_eq!(proxy.requests(), [format!("CONNECT {authority} HTTP/1.1")]);
    assert_eq!(fake.count("GET", Route::List), 1);
}

#[test]
fn a_tunnel_to_localhost_reaches_127_0_0_1() {
    let fake = FakeNodion::start(Options::default());
    let proxy = ConnectProxy::start();
    let (status, reader) = open_tunnel(&proxy, &format!("localhost:{}", fake.port()));
    assert_eq!(status, 200);
    let mut tcp = reader.into_inner();
    tcp.write_all(get_request(LIST).as_bytes()).unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).unwrap();
    assert_eq!(parse(&raw).status, 200);
}

#[test]
fn a_plain_proxy_get_is_forwarded_in_origin_form() {
    let fake = FakeNodion::start(Options::default());
    let proxy = ConnectProxy::start();
    let target = format!("http://127.0.0.1:{}{LIST}?per_page=5", fake.port());
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer test-token\r\n\
         Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic dTpw\r\n\r\n",
        fake.port()
    );
    let reply = parse(&exchange(proxy.port(), request.as_bytes()).unwrap());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json()["deployments"].is_array());

    assert_eq!(proxy.requests(), [format!("GET {target} HTTP/1.1")]);
    let seen = &fake.requests()[0];
    assert_eq!(
        (seen.path.as_str(), seen.query.as_str()),
        (LIST, "per_page=5")
    );
    assert_eq!(
        seen.header("host"),
        Some(&*format!("127.0.0.1:{}", fake.port()))
    );
    assert_eq!(seen.header("authorization"), Some("Bearer test-token"));
    assert_eq!(seen.header("connection"), Some("close"));
    assert_eq!(seen.header("proxy-connection"), None);
    assert_eq!(seen.header("proxy-authorization"), None);
}

#[test]
fn a_plain_proxy_post_carries_its_body() {
    let fake = FakeNodion::start(Options::default());
    let proxy = ConnectProxy::start();
    let body = r#"{"image_tag":"v2"}"#;
    let request = format!(
        "POST http://localhost:{}{LIST} HTTP/1.1\r\nAuthorization: Bearer test-token\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{body}\r\n0\r\n\r\n",
        fake.port(),
        body.len()
    );
    let reply = parse(&exchange(proxy.port(), request.as_bytes()).unwrap());
    assert!(reply.status / 100 == 2, "{} {}", reply.status, reply.body);
    let seen = &fake.requests()[0];
    assert_eq!(seen.route, Route::Trigger);
    assert_eq!(seen.body, body);
    assert_eq!(
        seen.header("content-length"),
        Some(&*body.len().to_string())
    );
    assert_eq!(seen.header("transfer-encoding"), None);
    assert_eq!(
        seen.header("host"),
        Some(&*format!("localhost:{}", fake.port()))
    );
    assert_eq!(fake.deployments().len(), 1);
}

#[test]
fn non_loopback_targets_are_refused_without_a_connection_attempt() {
    let proxy = ConnectProxy::start();
    // 10.0.0.1 would hang or fail slowly if dialled; the refusal is immediate.
    let started = Instant::now();
    let (status, _) = open_tunnel(&proxy, "10.0.0.1:80");
    assert_eq!(status, 403);
    let reply = parse(
        &exchange(
            proxy.port(),
            b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
        )
        .unwrap(),
    );
    assert_eq!(reply.status, 403);
    let (status, _) = open_tunnel(&proxy, "[::1]:80");
    assert_eq!(status, 403);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        proxy.requests(),
        [
            "CONNECT 10.0.0.1:80 HTTP/1.1",
            "GET http://example.com/ HTTP/1.1",
            "CONNECT [::1]:80 HTTP/1.1",
        ]
    );
}

#[test]
fn requests_that_are_not_proxy_requests_are_400_and_dead_targets_502() {
    let fake = FakeNodion::start(Options::default());
    let proxy = ConnectProxy::start();
    let reply = parse(&exchange(proxy.port(), get_request(LIST).as_bytes()).unwrap());
    assert_eq!(reply.status, 400);
    let (status, _) = open_tunnel(&proxy, "127.0.0.1");
    assert_eq!(status, 400);

    // A port that was just free: nothing listens there.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (status, _) = open_tunnel(&proxy, &format!("127.0.0.1:{dead}"));
    assert_eq!(status, 502);
    assert!(fake.requests().is_empty());
    assert_eq!(proxy.requests().len(), 3);
}

#[test]
fn dropping_the_proxy_cuts_open_tunnels() {
    let fake = FakeNodion::start(Options::default());
    let proxy = ConnectProxy::start();
    let (status, reader) = open_tunnel(&proxy, &format!("127.0.0.1:{}", fake.port()));
    assert_eq!(status, 200);
    let mut tcp = reader.into_inner();
    let port = proxy.port();
    drop(proxy);

    let started = Instant::now();
    let mut buf = [0; 16];
    let n = tcp.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}
