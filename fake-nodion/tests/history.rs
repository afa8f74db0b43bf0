//! A deployment's history as the list shows it, and how soon a client saw a deployment end: how
//! long seeds took (`Seed::took`), timestamps a client cannot use (`Seed::with_timestamps`), the
//! `updated_at` of a triggered deployment, and `FakeNodion::noticed_after`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod common;

use common::{Reply, exchange, get_request, parse};
use fake_nodion::{FakeNodion, Hold, Options, Seed, Stage};
use serde_json::{Value, json};

const LIST: &str = "/v1/applications/app-1/deployments";

fn get(fake: &FakeNodion, path: &str) -> Reply {
    parse(&exchange(fake.port(), get_request(path).as_bytes()).unwrap())
}

fn list(fake: &FakeNodion) -> Vec<Value> {
    let reply = get(fake, LIST);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["deployments"].as_array().unwrap().clone()
}

fn trigger(fake: &FakeNodion) -> Value {
    let request = "POST /v1/applications/app-1/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                   Authorization: Bearer test-token\r\nContent-Length: 0\r\n\r\n";
    let reply = parse(&exchange(fake.port(), request.as_bytes()).unwrap());
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["deployment"].clone()
}

fn entry(all: &[Value], number: u64) -> &Value {
    all.iter()
        .find(|d| d["deploy_number"] == number)
        .unwrap_or_else(|| panic!("no deployment #{number} in {all:?}"))
}

/// Milliseconds since the epoch of a timestamp the fake wrote (`2026-11-27T12:00:00.000+00:00`).
fn millis(stamp: &Value) -> i64 {
    let s = stamp
        .as_str()
        .unwrap_or_else(|| panic!("{stamp} is no string"));
    assert!(s.len() == 29 && s.ends_with("+00:00"), "{s}");
    let n = |range: std::ops::Range<usize>| s[range].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    secs * 1000 + n(20..23)
}

fn wall_millis() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

/// How long the list says a deployment took, in milliseconds.
fn took_millis(d: &Value) -> i64 {
    millis(&d["updated_at"]) - millis(&d["created_at"])
}

#[test]
fn a_seed_took_what_it_says_and_no_time_unless_told() {
    let fake = FakeNodion::start(Options {
        existing: vec![
            Seed::new(1, "available"),
            Seed::new(2, "available").took(Duration::from_secs(12)),
            Seed::image(3, "failed", "1.4.3").took(Duration::from_millis(90_500)),
        ],
        ..Options::default()
    });
    let all = list(&fake);
    assert_eq!(took_millis(entry(&all, 1)), 0, "updated_at == created_at");
    assert_eq!(took_millis(entry(&all, 2)), 12_000);
    assert_eq!(took_millis(entry(&all, 3)), 90_500);
    // Still an hour apart and in the past, the newest an hour ago.
    let created = |n| millis(&entry(&all, n)["created_at"]);
    assert_eq!(created(2) - created(1), 3_600_000);
    assert_eq!(created(3) - created(2), 3_600_000);
    let hour_ago = wall_millis() - 3_600_000;
    assert!((created(3) - hour_ago).abs() < 5_000, "{all:?}");
}

#[test]
fn raw_timestamps_replace_the_real_ones_or_leave_them_out() {
    let fake = FakeNodion::start(Options {
        existing: vec![
            Seed::new(1, "available").with_timestamps(Some("yesterday"), None),
            Seed::new(2, "available")
                .took(Duration::from_secs(12))
                .with_timestamps(None, Some("2999-01-01T00:00:00.000+00:00")),
            Seed::new(3, "available").with_timestamps(None, None),
            Seed::new(4, "available").with_timestamps(
                Some("2024-01-01T00:10:00.000+00:00"),
                Some("2024-01-01T00:00:00.000+00:00"),
            ),
        ],
        ..Options::default()
    });
    let all = list(&fake);
    let one = entry(&all, 1);
    assert_eq!(one["created_at"], "yesterday");
    assert!(one.get("updated_at").is_none(), "{one}");
    let two = entry(&all, 2);
    assert!(two.get("created_at").is_none(), "{two}");
    assert_eq!(two["updated_at"], "2999-01-01T00:00:00.000+00:00");
    let three = entry(&all, 3);
    assert!(three.get("created_at").is_none() && three.get("updated_at").is_none());
    assert_eq!(took_millis(entry(&all, 4)), -600_000, "negative, as told");
    // The rest of each deployment is as usual.
    for d in &all {
        assert_eq!(d["status"], "available");
        assert!(
            d["commit_timestamp"].is_string() && d["id"].is_string(),
            "{d}"
        );
    }
    assert_eq!(fake.deployments(), all, "the accessor shows the same");
    fake.set_deployment_field(3, "created_at", json!("now"));
    assert_eq!(
        entry(&list(&fake), 3)["created_at"],
        "now",
        "a forced field is back"
    );
}

#[test]
fn a_triggered_deployment_is_updated_when_it_enters_a_stage() {
    let fake = FakeNodion::start(Options {
        lifecycle: vec![
            Stage::new("created", Hold::For(Duration::from_millis(300))),
            Stage::new("available", Hold::Forever),
        ],
        ..Options::default()
    });
    let before = wall_millis();
    let created = trigger(&fake);
    let after = wall_millis();
    let created_at = millis(&created["created_at"]);
    assert!((before..=after).contains(&created_at), "the trigger's time");
    assert_eq!(created["updated_at"], created["created_at"]);
    let triggered = Instant::now();
    while fake.deployments()[0]["status"] != "available" {
        assert!(triggered.elapsed() < Duration::from_secs(5), "never ended");
        std::thread::sleep(Duration::from_millis(5));
    }
    let shown = list(&fake);
    assert_eq!(shown[0]["created_at"], created["created_at"]);
    // When it became available, not when the list was asked: 300 ms, to the millisecond.
    let took = took_millis(&shown[0]);
    assert!((299..=302).contains(&took), "took {took} ms");
}

#[test]
fn noticed_after_runs_from_the_last_stage_to_the_first_list_showing_it() {
    let hold = Duration::from_millis(200);
    let fake = FakeNodion::start(Options {
        lifecycle: vec![
            Stage::new("created", Hold::For(hold)),
            Stage::new("available", Hold::Forever),
        ],
        ..Options::default()
    });
    let sent = Instant::now();
    trigger(&fake);
    let answered = Instant::now();
    assert_eq!(list(&fake)[0]["status"], "created");
    assert_eq!(fake.noticed_after(1), None, "not over yet");
    // Watched without a List: the accessor does not count as one.
    while fake.deployments()[0]["status"] != "available" {
        assert!(sent.elapsed() < Duration::from_secs(5), "never ended");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(fake.noticed_after(1), None, "no List has shown it yet");
    let asked = Instant::now();
    assert_eq!(list(&fake)[0]["status"], "available");
    let seen = Instant::now();
    let noticed = fake.noticed_after(1).expect("a List showed it");
    // It ended hold after the trigger, which the fake created between `sent` and `answered`.
    let earliest = asked.saturating_duration_since(answered + hold);
    let latest = seen.duration_since(sent + hold);
    assert!(
        (earliest..=latest).contains(&noticed),
        "{noticed:?} not in {earliest:?}..={latest:?}"
    );
    list(&fake);
    assert_eq!(
        fake.noticed_after(1),
        Some(noticed),
        "the first List counts"
    );
    assert_eq!(fake.noticed_after(2), None, "no such deployment");
}

#[test]
fn a_list_that_leaves_it_out_or_a_forced_status_has_not_noticed_it() {
    let fake = FakeNodion::start(Options {
        lifecycle: vec![Stage::new("available", Hold::Forever)],
        ..Options::default()
    });
    fake.lag_list(1);
    trigger(&fake);
    assert!(list(&fake).is_empty(), "the lagging list leaves it out");
    assert_eq!(fake.noticed_after(1), None);
    assert_eq!(list(&fake)[0]["status"], "available");
    assert!(fake.noticed_after(1).is_some());
    fake.set_status(1, "failed");
    assert_eq!(fake.noticed_after(1), None, "a new last stage");
    assert_eq!(list(&fake)[0]["status"], "failed");
    assert!(fake.noticed_after(1).is_some());
}

#[test]
fn list_holds_are_noticed_on_the_list_that_ends_them() {
    let fake = FakeNodion::start(Options::default());
    trigger(&fake);
    for status in ["created", "waiting", "deploying"] {
        assert_eq!(list(&fake)[0]["status"], status);
        assert_eq!(fake.noticed_after(1), None, "{status}");
    }
    let asked = Instant::now();
    assert_eq!(list(&fake)[0]["status"], "available");
    let noticed = fake
        .noticed_after(1)
        .expect("the list that moved it on showed it");
    assert!(noticed <= asked.elapsed(), "{noticed:?}");
}
