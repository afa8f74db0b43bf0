//! HTTPS mode: the fake behind the test certificates, driven by real rustls clients.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{
    client_config, client_config_with, connect, exchange, get_request, https_exchange, parse,
};
use fake_nodion::{FakeNodion, Fault, Options, Route, testcerts};

const LIST: &str = "/v1/applications/app-1/deployments";

fn tls_fake() -> FakeNodion {
    FakeNodion::start(Options {
        tls: Some(testcerts::identity()),
        ..Options::default()
    })
}

fn https_get(fake: &FakeNodion, server_name: &str, path: &str) -> common::Reply {
    let config = client_config(&[testcerts::CA_PEM]);
    let raw = https_exchange(
        connect(fake.port()),
        config,
        server_name,
        &get_request(path),
    );
    parse(&raw.unwrap())
}

#[test]
fn the_url_says_https_only_in_tls_mode() {
    let fake = tls_fake();
    assert_eq!(fake.url(), format!("https://127.0.0.1:{}/v1", fake.port()));
    let plain = FakeNodion::start(Options::default());
    assert_eq!(plain.url(), format!("http://127.0.0.1:{}/v1", plain.port()));
}

#[test]
fn a_client_trusting_the_test_ca_lists_deployments_over_https() {
    let fake = tls_fake();
    let reply = https_get(&fake, "127.0.0.1", LIST);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json()["deployments"].is_array(), "{}", reply.body);
    assert_eq!(fake.count("GET", Route::List), 1);
    assert_eq!(fake.requests()[0].path, LIST);
}

#[test]
fn the_leaf_is_valid_for_localhost_and_over_tls_1_2() {
    let fake = tls_fake();
    assert_eq!(https_get(&fake, "localhost", LIST).status, 200);

    let tls12 = client_config_with(&[testcerts::CA_PEM], &[&rustls::version::TLS12]);
    let raw = https_exchange(connect(fake.port()), tls12, "127.0.0.1", &get_request(LIST));
    assert_eq!(parse(&raw.unwrap()).status, 200);
    assert_eq!(fake.count("GET", Route::List), 2);
}

#[test]
fn the_leaf_is_not_valid_for_other_names() {
    let fake = tls_fake();
    let config = client_config(&[testcerts::CA_PEM]);
    let err = https_exchange(
        connect(fake.port()),
        config,
        "127.0.0.2",
        &get_request(LIST),
    )
    .expect_err("the certificate does not name 127.0.0.2");
    assert!(err.to_string().contains("certificate"), "{err}");
    assert!(fake.requests().is_empty());
}

#[test]
fn a_failed_handshake_records_nothing_and_the_server_keeps_serving() {
    let fake = tls_fake();

    // No roots at all, and the leaf itself as the only "root": neither trusts the chain.
    for roots in [&[][..], &[testcerts::SERVER_CERT_PEM][..]] {
        let err = https_exchange(
            connect(fake.port()),
            client_config(roots),
            "127.0.0.1",
            &get_request(LIST),
        )
        .expect_err("an untrusted certificate fails the handshake");
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    }
    // A plain-HTTP client gets no answer it could mistake for one.
    let raw = exchange(fake.port(), get_request(LIST).as_bytes()).unwrap_or_default();
    assert!(!raw.starts_with(b"HTTP/"), "{raw:?}");
    // A client that connects and leaves.
    drop(connect(fake.port()));

    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert_eq!(https_get(&fake, "127.0.0.1", LIST).status, 200);
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn faults_are_delivered_over_tls() {
    let fake = tls_fake();
    fake.script(Route::List, Fault::status(503, r#"{"errors":["busy"]}"#));
    let reply = https_get(&fake, "127.0.0.1", LIST);
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (503, r#"{"errors":["busy"]}"#)
    );

    fake.script(
        Route::List,
        Fault::Raw {
            bytes: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
            create_first: false,
        },
    );
    assert_eq!(https_get(&fake, "127.0.0.1", LIST).body, "{}");

    fake.script(
        Route::List,
        Fault::Redirect {
            location: "https://elsewhere.invalid/".into(),
        },
    );
    let reply = https_get(&fake, "127.0.0.1", LIST);
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some("https://elsewhere.invalid/"));

    fake.script(Route::List, Fault::HugeBody { bytes: 300_000 });
    let reply = https_get(&fake, "127.0.0.1", LIST);
    assert_eq!(reply.body.len(), 300_000);
    assert!(reply.body.starts_with(r#"{"deployments":"#));

    fake.script(
        Route::List,
        Fault::Reset {
            create_first: false,
        },
    );
    let config = client_config(&[testcerts::CA_PEM]);
    let result = https_exchange(
        connect(fake.port()),
        config,
        "127.0.0.1",
        &get_request(LIST),
    );
    assert!(result.is_err(), "a reset is no answer: {result:?}");

    assert_eq!(https_get(&fake, "127.0.0.1", LIST).status, 200);
    assert_eq!(fake.count("GET", Route::List), 6);
}

#[test]
fn a_stall_over_tls_holds_the_client_then_closes() {
    let fake = tls_fake();
    fake.script(
        Route::List,
        Fault::Stall {
            for_: Duration::from_millis(300),
            create_first: false,
        },
    );
    let started = std::time::Instant::now();
    let config = client_config(&[testcerts::CA_PEM]);
    let raw = https_exchange(
        connect(fake.port()),
        config,
        "127.0.0.1",
        &get_request(LIST),
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(raw.unwrap().is_empty());
}

#[test]
fn dropping_a_tls_fake_stops_it() {
    let fake = tls_fake();
    let port = fake.port();
    assert_eq!(https_get(&fake, "127.0.0.1", LIST).status, 200);
    drop(fake);
    let refused = std::net::TcpStream::connect(("127.0.0.1", port)).map(|mut s| {
        let mut buf = [0; 1];
        s.read(&mut buf)
    });
    assert!(!matches!(refused, Ok(Ok(n)) if n > 0));
}
