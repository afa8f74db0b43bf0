//! The fake, driven over real sockets the way the deploy tool drives it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

mod common;

use common::{Reply, parse};
use fake_nodion::{FakeNodion, Fault, Hold, Options, Route, Seed, Stage};
use serde_json::{Value, json};

/// Sends raw bytes and returns everything the server sent before closing.
fn exchange(fake: &FakeNodion, request: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", fake.port()))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(request)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(raw)
}

/// `target` is relative to `/v1`; `token` goes into a bearer Authorization header.
fn request(
    fake: &FakeNodion,
    method: &str,
    target: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> io::Result<Vec<u8>> {
    let mut req = format!("{method} /v1{target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if let Some(token) = token {
        req.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if let Some(body) = body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    exchange(fake, req.as_bytes())
}

fn get(fake: &FakeNodion, target: &str) -> Reply {
    parse(&request(fake, "GET", target, Some("test-token"), None).unwrap())
}

fn trigger(fake: &FakeNodion, body: &str) -> Reply {
    let raw = request(
        fake,
        "POST",
        "/applications/app-1/deployments",
        Some("test-token"),
        Some(body),
    );
    parse(&raw.unwrap())
}

fn list(fake: &FakeNodion) -> Vec<Value> {
    let reply = get(fake, "/applications/app-1/deployments");
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["deployments"].as_array().unwrap().clone()
}

fn status_of(fake: &FakeNodion, number: u64) -> String {
    list(fake)
        .iter()
        .find(|d| d["deploy_number"] == number)
        .map(|d| d["status"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no deployment #{number}"))
}

fn seeded() -> FakeNodion {
    FakeNodion::start(Options {
        existing: vec![Seed::new(1, "available"), Seed::new(2, "failed")],
        ..Options::default()
    })
}

#[test]
fn a_missing_or_wrong_token_is_401() {
    let fake = seeded();
    for token in [None, Some("wrong"), Some("test-token2"), Some("TEST-TOKEN")] {
        let raw = request(&fake, "GET", "/applications/app-1/deployments", token, None);
        let reply = parse(&raw.unwrap());
        assert_eq!(reply.status, 401);
        assert_eq!(reply.json(), json!({"errors": ["Invalid API token"]}));
    }
    let raw = request(
        &fake,
        "POST",
        "/applications/app-1/deployments",
        Some("nope"),
        Some("{}"),
    );
    assert_eq!(parse(&raw.unwrap()).status, 401);
    assert_eq!(
        fake.deployments().len(),
        2,
        "a refused trigger creates nothing"
    );
}

#[test]
fn unknown_application_and_path_are_404() {
    let fake = seeded();
    let reply = get(&fake, "/applications/other/deployments");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json(), json!({"errors": ["Application not found"]}));
    assert_eq!(get(&fake, "/applications/app-1/instances").status, 404);
    assert_eq!(get(&fake, "/nowhere").status, 404);
}

#[test]
fn a_trigger_creates_the_number_after_the_seeds() {
    let fake = seeded();
    let reply = trigger(&fake, "{}");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("connection"), Some("close"));
    let created = &reply.json()["deployment"];
    assert_eq!(created["deploy_number"], 3);
    assert_eq!(created["status"], "created");
    assert_eq!(created["strategy"], "dockerfile");
    assert_eq!(created["commit_message"], "Fix the login page");
    assert_eq!(created["committer_name"], "Jane Doe");
    assert_eq!(created["image_reference"], Value::Null);
    assert_eq!(created["git_sha"].as_str().unwrap().len(), 40);
    let stamp = created["created_at"].as_str().unwrap();
    assert_eq!(
        stamp.len(),
        "2026-11-27T12:00:00.000+00:00".len(),
        "{stamp}"
    );
    assert!(stamp.ends_with("+00:00"), "{stamp}");

    let all = list(&fake);
    let numbers: Vec<_> = all.iter().map(|d| d["deploy_number"].clone()).collect();
    assert_eq!(numbers, [json!(3), json!(2), json!(1)], "newest first");
    for field in [
        "id",
        "status",
        "deploy_number",
        "git_sha",
        "commit_message",
        "committer_name",
        "committer_email",
        "committer_username",
        "commit_timestamp",
        "strategy",
        "image_reference",
        "created_at",
        "updated_at",
    ] {
        assert!(all.iter().all(|d| d.get(field).is_some()), "{field}");
    }
    assert_eq!(all[0]["id"], created["id"]);
    assert_ne!(all[0]["id"], all[1]["id"]);
    assert_eq!(all[1]["status"], "failed");
    assert_eq!(trigger(&fake, "").json()["deployment"]["deploy_number"], 4);
}

#[test]
fn an_image_tag_makes_a_prebuilt_image_deployment() {
    let fake = FakeNodion::start(Options::default());
    let created = trigger(&fake, r#"{"image_tag":"v2.0.0"}"#).json()["deployment"].clone();
    assert_eq!(created["deploy_number"], 1);
    assert_eq!(created["strategy"], "prebuilt_image");
    assert_eq!(created["git_sha"], Value::Null);
    assert_eq!(created["image_reference"], "docker.io/demo-app:v2.0.0");
    assert_eq!(created["commit_message"], "Image: demo-app:v2.0.0");
}

#[test]
fn a_body_that_is_not_a_json_object_is_400() {
    let fake = FakeNodion::start(Options::default());
    for body in ["[]", "nope", r#"{"image_tag":"#] {
        let reply = trigger(&fake, body);
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.json(), json!({"errors": ["Invalid request body"]}));
    }
    assert!(fake.deployments().is_empty());
}

#[test]
fn list_holds_advance_one_stage_per_list_that_showed_it() {
    let fake = seeded();
    trigger(&fake, "{}");
    let seen: Vec<String> = (0..5).map(|_| status_of(&fake, 3)).collect();
    assert_eq!(
        seen,
        ["created", "waiting", "deploying", "available", "available"]
    );
    assert_eq!(status_of(&fake, 1), "available", "seeds stay put");
    assert_eq!(status_of(&fake, 2), "failed", "seeds stay put");
}

#[test]
fn timed_holds_advance_with_wall_time() {
    let fake = FakeNodion::start(Options {
        lifecycle: vec![
            Stage::new("created", Hold::For(Duration::from_millis(50))),
            Stage::new("available", Hold::Forever),
        ],
        ..Options::default()
    });
    trigger(&fake, "{}");
    assert_eq!(status_of(&fake, 1), "created");
    assert_eq!(
        status_of(&fake, 1),
        "created",
        "lists alone do not end a timed hold"
    );
    // The hold ends by the clock: watch for it (within a deadline) rather than sleep past it.
    let triggered = fake.requests()[0].at;
    while fake.deployments()[0]["status"] != "available" {
        assert!(
            triggered.elapsed() < Duration::from_secs(5),
            "the hold never ended"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        triggered.elapsed() >= Duration::from_millis(50),
        "not before its time"
    );
    assert_eq!(status_of(&fake, 1), "available");
}

#[test]
fn set_lifecycle_status_and_fields_shape_what_lists_show() {
    let fake = seeded();
    fake.set_lifecycle(vec![Stage::new("deploying", Hold::Forever)]);
    trigger(&fake, "{}");
    assert_eq!(status_of(&fake, 3), "deploying");
    fake.set_status(3, "expired");
    assert_eq!(status_of(&fake, 3), "expired");
    fake.set_deployment_field(3, "commit_message", json!("line\n\u{1b}[31m::error::x"));
    assert_eq!(
        list(&fake)[0]["commit_message"],
        "line\n\u{1b}[31m::error::x"
    );
}

#[test]
fn application_and_logs_answer_like_the_api() {
    let fake = FakeNodion::start(Options::default());
    let app = get(&fake, "/applications/app-1").json();
    assert_eq!(app["application"]["id"], "app-1");
    assert_eq!(app["application"]["name"], "demo-app");
    assert_eq!(app["application"]["status"], "running");

    let logs = get(&fake, "/applications/app-1/logs").json()["logs"].clone();
    assert_eq!(logs.as_array().unwrap().len(), 200, "default limit");
    let three = get(&fake, "/applications/app-1/logs?limit=3").json()["logs"].clone();
    let three = three.as_array().unwrap();
    assert_eq!(three.len(), 3);
    assert_eq!(
        three[2]["msg"], "Process exited with status 1",
        "oldest first"
    );
    assert!(three[0]["ts"].as_str().unwrap() <= three[2]["ts"].as_str().unwrap());
    assert!(three[0]["instance_id"].is_string());

    fake.set_log_messages(vec!["only".into()]);
    let logs = get(&fake, "/applications/app-1/logs?limit=50").json()["logs"].clone();
    assert_eq!(
        logs,
        json!([{"ts": logs[0]["ts"], "msg": "only", "instance_id": logs[0]["instance_id"]}])
    );
}

#[test]
fn a_status_fault_answers_once_then_the_route_is_normal_again() {
    let fake = seeded();
    fake.script(
        Route::List,
        Fault::Status {
            code: 429,
            headers: vec![("Retry-After".into(), "1".into())],
            body: "slow down".into(),
            create_first: false,
        },
    );
    fake.script(Route::List, Fault::status(503, "{}"));
    let first = get(&fake, "/applications/app-1/deployments");
    assert_eq!((first.status, first.body.as_str()), (429, "slow down"));
    assert_eq!(first.header("retry-after"), Some("1"));
    assert_eq!(get(&fake, "/applications/app-1/deployments").status, 503);
    assert_eq!(get(&fake, "/applications/app-1/deployments").status, 200);
}

#[test]
fn faults_bypass_auth_and_only_hit_their_route() {
    let fake = seeded();
    fake.script(Route::Trigger, Fault::status(500, "boom"));
    assert_eq!(get(&fake, "/applications/app-1").status, 200);
    let raw = request(&fake, "POST", "/applications/app-1/deployments", None, None);
    assert_eq!(parse(&raw.unwrap()).status, 500);
    assert_eq!(fake.deployments().len(), 2);
}

#[test]
fn a_lost_trigger_response_still_creates_the_deployment() {
    let fake = seeded();
    fake.script(
        Route::Trigger,
        Fault::Status {
            code: 502,
            headers: vec![],
            body: "<html>Bad Gateway</html>".into(),
            create_first: true,
        },
    );
    fake.script(Route::Trigger, Fault::Reset { create_first: true });
    fake.script(
        Route::Trigger,
        Fault::Reset {
            create_first: false,
        },
    );
    assert_eq!(trigger(&fake, "{}").status, 502);
    assert_eq!(status_of(&fake, 3), "created");
    let raw = request(
        &fake,
        "POST",
        "/applications/app-1/deployments",
        Some("test-token"),
        Some("{}"),
    );
    // A real RST (SO_LINGER 0, set with socket2 wherever the fake runs), not a plain close.
    let kind = raw.map_err(|e| e.kind()).err();
    assert_eq!(kind, Some(io::ErrorKind::ConnectionReset));
    let raw = request(
        &fake,
        "POST",
        "/applications/app-1/deployments",
        Some("test-token"),
        Some("{}"),
    );
    assert!(raw.map_or(true, |r| r.is_empty()));
    let numbers: Vec<_> = fake
        .deployments()
        .iter()
        .map(|d| d["deploy_number"].clone())
        .collect();
    assert_eq!(numbers, [json!(4), json!(3), json!(2), json!(1)]);
}

/// The deploy numbers a List answers with, newest first.
fn listed(fake: &FakeNodion) -> Vec<u64> {
    list(fake)
        .iter()
        .map(|d| d["deploy_number"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_lagging_list_leaves_a_new_deployment_out_of_the_next_answers() {
    let fake = seeded();
    fake.lag_list(2);
    fake.script(Route::Trigger, Fault::Reset { create_first: true });
    let _ = request(
        &fake,
        "POST",
        "/applications/app-1/deployments",
        Some("test-token"),
        Some("{}"),
    );
    // Created, yet missing from the next two answers; a faulted List is not one of them.
    assert_eq!(fake.deployments().len(), 3);
    assert_eq!(listed(&fake), [2, 1]);
    fake.script(Route::List, Fault::status(503, "busy"));
    assert_eq!(get(&fake, "/applications/app-1/deployments").status, 503);
    assert_eq!(listed(&fake), [2, 1]);
    assert_eq!(trigger(&fake, "{}").status, 200);
    // #3 shows; #4 is missing from two answers of its own.
    assert_eq!(listed(&fake), [3, 2, 1]);
    assert_eq!(listed(&fake), [3, 2, 1]);
    assert_eq!(listed(&fake), [4, 3, 2, 1]);
    // An answer that leaves #4 out does not count toward its stage: it showed `created` once.
    assert_eq!(status_of(&fake, 4), "waiting");
    fake.lag_list(0);
    assert_eq!(trigger(&fake, "{}").status, 200);
    assert_eq!(listed(&fake), [5, 4, 3, 2, 1]);
}

#[test]
fn a_raw_fault_sends_exactly_its_bytes() {
    let fake = FakeNodion::start(Options::default());
    let garbage = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"deploym".to_vec();
    fake.script(
        Route::Trigger,
        Fault::Raw {
            bytes: garbage.clone(),
            create_first: true,
        },
    );
    let raw = request(
        &fake,
        "POST",
        "/applications/app-1/deployments",
        Some("test-token"),
        Some("{}"),
    );
    assert_eq!(raw.unwrap(), garbage);
    assert_eq!(fake.deployments().len(), 1, "create_first");
}

#[test]
fn stalls_hold_the_client_then_close() {
    let fake = FakeNodion::start(Options::default());
    let pause = Duration::from_millis(50);
    fake.script(
        Route::List,
        Fault::Stall {
            for_: pause,
            create_first: false,
        },
    );
    fake.script(Route::List, Fault::StallBody { for_: pause });
    let started = Instant::now();
    let raw = request(&fake, "GET", "/applications/app-1/deployments", None, None).unwrap();
    assert!(raw.is_empty());
    assert!(started.elapsed() >= pause);

    let started = Instant::now();
    let raw = request(&fake, "GET", "/applications/app-1/deployments", None, None).unwrap();
    assert!(started.elapsed() >= pause);
    let reply = parse(&raw);
    assert_eq!(reply.status, 200);
    let promised: usize = reply.header("content-length").unwrap().parse().unwrap();
    assert!(reply.body.len() < promised, "the body never comes");
}

#[test]
fn a_huge_body_is_streamed_in_full_and_starts_as_json() {
    let fake = FakeNodion::start(Options::default());
    let size = 3 * 1024 * 1024 + 7;
    fake.script(Route::List, Fault::HugeBody { bytes: size });
    let reply =
        parse(&request(&fake, "GET", "/applications/app-1/deployments", None, None).unwrap());
    assert_eq!(
        reply.header("content-length"),
        Some(size.to_string().as_str())
    );
    assert_eq!(reply.body.len(), size);
    assert!(reply.body.starts_with(r#"{"deployments":["#));
    assert!(serde_json::from_str::<Value>(&reply.body).is_ok());
}

#[test]
fn a_redirect_fault_points_elsewhere() {
    let fake = FakeNodion::start(Options::default());
    let target = format!("{}/applications/app-1/deployments?moved=1", fake.url());
    fake.script(
        Route::List,
        Fault::Redirect {
            location: target.clone(),
        },
    );
    let reply = get(&fake, "/applications/app-1/deployments");
    assert_eq!(reply.status, 302);
    assert_eq!(reply.header("location"), Some(target.as_str()));
}

#[test]
fn every_request_is_recorded_in_order() {
    let fake = seeded();
    fake.script(
        Route::Logs,
        Fault::Reset {
            create_first: false,
        },
    );
    get(&fake, "/applications/app-1/deployments");
    trigger(&fake, r#"{"image_tag":"v1"}"#);
    let _ = request(&fake, "GET", "/applications/app-1/logs?limit=5", None, None);
    let raw = b"POST /v1/applications/app-1/deployments HTTP/1.1\r\nauthorization: Bearer test-token\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
    assert_eq!(parse(&exchange(&fake, raw).unwrap()).status, 200);

    let seen = fake.requests();
    let routes: Vec<Route> = seen.iter().map(|r| r.route).collect();
    assert_eq!(
        routes,
        [Route::List, Route::Trigger, Route::Logs, Route::Trigger]
    );
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/v1/applications/app-1/deployments");
    assert_eq!(seen[0].header("AUTHORIZATION"), Some("Bearer test-token"));
    assert_eq!(seen[1].body, r#"{"image_tag":"v1"}"#);
    assert_eq!(seen[1].header("content-type"), Some("application/json"));
    assert_eq!(seen[2].query, "limit=5");
    assert_eq!(seen[2].header("authorization"), None);
    assert_eq!(seen[3].body, "{}");
    assert!(seen.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(fake.count("POST", Route::Trigger), 2);
    assert_eq!(fake.count("GET", Route::List), 1);
    assert_eq!(fake.count("GET", Route::Application), 0);
}

#[test]
fn broken_clients_do_not_hurt_the_server() {
    let fake = FakeNodion::start(Options::default());
    assert_eq!(
        parse(&exchange(&fake, b"nonsense\r\n\r\n").unwrap()).status,
        400
    );
    let huge =
        b"POST /v1/applications/app-1/deployments HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n";
    assert_eq!(parse(&exchange(&fake, huge).unwrap()).status, 413);
    // Half a request, then hang up.
    let mut stream = TcpStream::connect(("127.0.0.1", fake.port())).unwrap();
    stream.write_all(b"GET /v1/appl").unwrap();
    stream.shutdown(Shutdown::Both).unwrap();
    drop(TcpStream::connect(("127.0.0.1", fake.port())).unwrap());
    assert_eq!(get(&fake, "/applications/app-1").status, 200);
}

#[test]
fn dropping_the_fake_stops_it() {
    let fake = FakeNodion::start(Options::default());
    let port = fake.port();
    assert_eq!(fake.url(), format!("http://127.0.0.1:{port}/v1"));
    fake.script(
        Route::List,
        Fault::Stall {
            for_: Duration::from_secs(60),
            create_first: false,
        },
    );
    let stalled = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .write_all(b"GET /v1/applications/app-1/deployments HTTP/1.1\r\n\r\n")
            .unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
    });
    let waited = Instant::now();
    while fake.requests().is_empty() {
        assert!(
            waited.elapsed() < Duration::from_secs(5),
            "the request never arrived"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    drop(fake);
    stalled.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stall ended with the fake"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn a_delay_holds_one_answer_back_then_serves_it_normally() {
    let fake = seeded();
    fake.script(
        Route::List,
        Fault::Delay {
            for_: std::time::Duration::from_millis(100),
        },
    );
    fake.script(Route::List, Fault::status(503, "after"));
    let started = std::time::Instant::now();
    assert_eq!(
        list(&fake).len(),
        2,
        "the delayed request is answered normally"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(100));
    let reply = get(&fake, "/applications/app-1/deployments");
    assert_eq!(reply.status, 503, "the next fault is the next request's");
}
