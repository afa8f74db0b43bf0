//! Corporate networks: extra root certificates for a TLS-intercepting proxy, and `HTTPS_PROXY` /
//! `NO_PROXY`, against a TLS fake API and a CONNECT proxy on loopback.

use std::time::Duration;

use crate::support::Deploy;
use fake_nodion::{ConnectProxy, FakeNodion, Options, Route, testcerts};

fn tls_api() -> FakeNodion {
    FakeNodion::start(Options {
        tls: Some(testcerts::identity()),
        ..Options::default()
    })
}

/// A run against `api` trusting the test CA through `ca_certificates`.
fn trusting(api: &FakeNodion) -> Deploy {
    let deploy = Deploy::against(api);
    let ca = deploy.dir().join("corporate-ca.pem");
    std::fs::write(&ca, testcerts::CA_PEM).unwrap();
    deploy.env("NODION_CA_CERTIFICATES", ca.to_str().unwrap())
}

#[test]
fn with_the_ca_it_deploys_over_https_to_a_server_that_ca_signed() {
    let api = tls_api();
    assert!(api.url().starts_with("https://127.0.0.1:"));
    let ran = trusting(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "success");
    assert_eq!(api.count("POST", Route::Trigger), 1);
}

#[test]
fn without_the_ca_the_same_call_fails_with_a_clear_certificate_error() {
    let api = tls_api();
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(
        ran.took < Duration::from_secs(5),
        "not retried: {:?}\n{}",
        ran.took,
        ran.stderr
    );
    ran.assert_says("TLS failed");
    ran.assert_says("UnknownIssuer");
    // Named as the user would set it: this run sets its inputs as NODION_ variables.
    let hint = "(for a TLS-intercepting proxy, set NODION_CA_CERTIFICATES)";
    ran.assert_says(hint);
    assert_eq!(ran.output("result"), "error");
    assert!(api.requests().is_empty(), "no request got through");
}

#[test]
fn the_bundled_roots_stay_trusted_beside_the_extra_ones() {
    // Only the bundled roots are checked here (the extra CA is not one of them); that every bundled
    // root reads as a trust anchor is the unit test
    // `tls::tests::every_bundled_root_is_trusted_and_the_extra_ones_beside_them`.
    let bundled = webpki_root_certs::TLS_SERVER_ROOT_CERTS.len();
    let ureq::tls::RootCerts::Specific(roots) = nodion_deploy::tls::root_certs(&[]) else {
        panic!("a list of certificates");
    };
    assert_eq!(roots.len(), bundled);
    let der = nodion_deploy::tls::parse_certificates(testcerts::CA_PEM.as_bytes()).unwrap();
    let ureq::tls::RootCerts::Specific(all) = nodion_deploy::tls::root_certs(&der) else {
        panic!("a list of certificates");
    };
    assert_eq!(all.len(), bundled + 1);
}

#[test]
fn a_bad_ca_file_is_an_input_error_naming_the_variable() {
    let api = tls_api();
    for content in [
        None,
        Some("not a certificate"),
        Some("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n"),
    ] {
        let deploy = Deploy::against(&api);
        let path = deploy.dir().join("ca.pem");
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        let ran = deploy
            .env("INPUT_CA_CERTIFICATES", path.to_str().unwrap())
            .run();
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        ran.assert_says("  - ca_certificates: ");
    }
    assert!(api.requests().is_empty());
}

#[test]
fn https_proxy_carries_every_request_through_the_proxy() {
    let api = tls_api();
    let proxy = ConnectProxy::start();
    let ran = trusting(&api).env("HTTPS_PROXY", &proxy.url()).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let target = format!("CONNECT 127.0.0.1:{} HTTP/1.1", api.port());
    let tunnels = proxy.requests();
    assert!(!tunnels.is_empty());
    assert!(tunnels.iter().all(|line| *line == target), "{tunnels:?}");
    assert_eq!(api.count("POST", Route::Trigger), 1);
}

#[test]
fn no_proxy_bypasses_the_proxy() {
    let api = tls_api();
    let proxy = ConnectProxy::start();
    let ran = trusting(&api)
        .env("HTTPS_PROXY", &proxy.url())
        .env("NO_PROXY", "127.0.0.1")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    assert_eq!(api.count("POST", Route::Trigger), 1);
}

#[test]
fn no_proxy_follows_curls_rules_with_spaces_and_subdomains() {
    let api = tls_api();
    let proxy = ConnectProxy::start();
    for list in ["localhost, 127.0.0.1", "example.org,127.0.0.0/8", "*"] {
        let ran = trusting(&api)
            .env("HTTPS_PROXY", &proxy.url())
            .env("no_proxy", list)
            .run();
        assert_eq!(ran.code, 0, "{list}: {}", ran.stderr);
    }
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}
