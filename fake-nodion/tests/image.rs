//! A prebuilt-image application: its image repository, the image each deployment deploys, and
//! a lifecycle per deployment, so that a deploy can fail and its rollback succeed.

use std::collections::BTreeMap;

mod common;

use common::{Reply, exchange, get_request, parse};
use fake_nodion::{FakeNodion, Fault, Hold, Options, Route, Seed, Stage};
use serde_json::{Value, json};

const SHOP: &str = "registry.example.com/shop";

fn shop(existing: Vec<Seed>) -> FakeNodion {
    FakeNodion::start(Options {
        image: Some(SHOP.into()),
        existing,
        ..Options::default()
    })
}

fn get(fake: &FakeNodion, path: &str) -> Reply {
    let raw = exchange(fake.port(), get_request(path).as_bytes()).unwrap();
    parse(&raw)
}

fn trigger(fake: &FakeNodion, body: &str) -> Reply {
    let request = format!(
        "POST /v1/applications/app-1/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer test-token\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    parse(&exchange(fake.port(), request.as_bytes()).unwrap())
}

/// Triggers with this image tag and returns the deployment the answer shows.
fn deploy(fake: &FakeNodion, tag: &str) -> Value {
    let reply = trigger(fake, &json!({ "image_tag": tag }).to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["deployment"].clone()
}

fn list(fake: &FakeNodion) -> Vec<Value> {
    let reply = get(fake, "/v1/applications/app-1/deployments");
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["deployments"].as_array().unwrap().clone()
}

/// The status of each deployment, by number, as one List answer shows them.
fn statuses(fake: &FakeNodion) -> BTreeMap<u64, String> {
    list(fake)
        .iter()
        .map(|d| {
            let number = d["deploy_number"].as_u64().unwrap();
            (number, d["status"].as_str().unwrap().to_string())
        })
        .collect()
}

/// What `lists` successive List answers show deployment `number` as.
fn seen(fake: &FakeNodion, number: u64, lists: usize) -> Vec<String> {
    (0..lists)
        .map(|_| statuses(fake)[&number].clone())
        .collect()
}

fn failing() -> Vec<Stage> {
    vec![
        Stage::new("created", Hold::Lists(1)),
        Stage::new("deploying", Hold::Lists(1)),
        Stage::new("failed", Hold::Forever),
    ]
}

fn succeeding() -> Vec<Stage> {
    vec![
        Stage::new("created", Hold::Lists(1)),
        Stage::new("available", Hold::Forever),
    ]
}

#[test]
fn a_prebuilt_image_application_says_so_and_a_git_one_does_not() {
    let app = get(&shop(Vec::new()), "/v1/applications/app-1").json()["application"].clone();
    assert_eq!(app["deployment_strategy"], "prebuilt_image");
    assert_eq!(app["image_name"], SHOP);
    assert_eq!(app["image_tag"], "latest");
    assert_eq!(app["id"], "app-1");

    let git = FakeNodion::start(Options::default());
    let app = get(&git, "/v1/applications/app-1").json()["application"].clone();
    assert_eq!(app["deployment_strategy"], "dockerfile");
    assert_eq!(app.get("image_name"), None);
}

#[test]
fn a_trigger_deploys_the_repository_at_the_tag_it_was_given() {
    let fake = shop(Vec::new());
    let created = deploy(&fake, "1.5.0");
    assert_eq!(created["deploy_number"], 1);
    assert_eq!(created["strategy"], "prebuilt_image");
    assert_eq!(
        created["image_reference"],
        "registry.example.com/shop:1.5.0"
    );
    assert_eq!(created["git_sha"], Value::Null);
    assert_eq!(
        created["commit_message"],
        "Image: registry.example.com/shop:1.5.0"
    );
    assert_eq!(
        list(&fake)[0]["image_reference"],
        created["image_reference"]
    );

    // No tag: the application's default one; never a git deployment.
    let reply = trigger(&fake, "");
    let untagged = &reply.json()["deployment"];
    assert_eq!(
        untagged["image_reference"],
        "registry.example.com/shop:latest"
    );
    assert_eq!(untagged["strategy"], "prebuilt_image");
}

#[test]
fn seeds_with_images_are_listed_with_their_references() {
    let sha = "d77ead8cbbdc37d04aa8c3466c6e35b7c55a508e";
    let fake = shop(vec![
        Seed::new(11, "available").with_git_sha(sha),
        Seed::image(12, "available", "1.4.2"),
        Seed::image(13, "failed", "1.4.3").with_git_sha(sha),
    ]);
    let all = list(&fake);
    let shown: Vec<_> = all
        .iter()
        .map(|d| {
            let fields = ["deploy_number", "status", "strategy", "image_reference"];
            fields.map(|f| d[f].clone()).to_vec()
        })
        .collect();
    assert_eq!(
        shown,
        [
            json!([
                13,
                "failed",
                "prebuilt_image",
                "registry.example.com/shop:1.4.3"
            ]),
            json!([
                12,
                "available",
                "prebuilt_image",
                "registry.example.com/shop:1.4.2"
            ]),
            json!([11, "available", "dockerfile", null]),
        ]
        .map(|row| row.as_array().unwrap().clone())
    );
    assert_eq!(all[0]["git_sha"], sha);
    assert_eq!(all[1]["git_sha"], Value::Null);
    assert_eq!(all[2]["git_sha"], sha, "a git seed with its own commit");
    assert_eq!(deploy(&fake, "1.5.0")["deploy_number"], 14);
}

#[test]
fn without_an_image_repository_an_image_seed_is_on_docker_hub() {
    let fake = FakeNodion::start(Options {
        existing: vec![Seed::image(1, "available", "v1")],
        ..Options::default()
    });
    let seed = &list(&fake)[0];
    assert_eq!(seed["image_reference"], "docker.io/demo-app:v1");
    assert_eq!(seed["commit_message"], "Image: demo-app:v1");
}

#[test]
fn queued_lifecycles_go_one_per_triggered_deployment_then_the_default() {
    let fake = FakeNodion::start(Options {
        image: Some(SHOP.into()),
        existing: vec![Seed::image(12, "available", "1.4.2")],
        lifecycles: vec![failing()],
        lifecycle: vec![Stage::new("deploying", Hold::Forever)],
        ..Options::default()
    });
    fake.queue_lifecycle(succeeding());

    assert_eq!(deploy(&fake, "1.5.0")["status"], "created");
    assert_eq!(
        seen(&fake, 13, 4),
        ["created", "deploying", "failed", "failed"]
    );
    // The rollback: the last good tag again, with the second lifecycle.
    assert_eq!(deploy(&fake, "1.4.2")["deploy_number"], 14);
    assert_eq!(seen(&fake, 14, 3), ["created", "available", "available"]);
    // The queue is used up: the default lifecycle.
    deploy(&fake, "1.5.1");
    assert_eq!(seen(&fake, 15, 2), ["deploying", "deploying"]);
    assert_eq!(statuses(&fake)[&12], "available", "the seed stays put");
}

#[test]
fn only_a_trigger_that_creates_a_deployment_uses_a_queued_lifecycle() {
    let fake = shop(Vec::new());
    fake.queue_lifecycle(failing());
    // Refused: nothing created, nothing used.
    assert_eq!(trigger(&fake, r#"{"image_tag": 7}"#).status, 400);
    fake.script(Route::Trigger, Fault::status(503, "busy"));
    assert_eq!(trigger(&fake, "{}").status, 503);
    // Created although the answer is lost: used.
    fake.script(Route::Trigger, Fault::Reset { create_first: true });
    let _ = exchange(
        fake.port(),
        b"POST /v1/applications/app-1/deployments HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Authorization: Bearer test-token\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(seen(&fake, 1, 3), ["created", "deploying", "failed"]);
    deploy(&fake, "1.5.0");
    let default = ["created", "waiting", "deploying", "available"];
    assert_eq!(seen(&fake, 2, 4), default);
}

#[test]
fn a_tag_lifecycle_applies_to_its_tag_and_a_queued_one_wins() {
    let fake = FakeNodion::start(Options {
        image: Some(SHOP.into()),
        tag_lifecycles: BTreeMap::from([("1.5.0".to_string(), failing())]),
        lifecycle: succeeding(),
        ..Options::default()
    });
    deploy(&fake, "1.5.0");
    assert_eq!(seen(&fake, 1, 3), ["created", "deploying", "failed"]);
    deploy(&fake, "1.4.2");
    assert_eq!(seen(&fake, 2, 2), ["created", "available"]);

    fake.set_tag_lifecycle("1.4.2", vec![Stage::new("expired", Hold::Forever)]);
    deploy(&fake, "1.4.2");
    assert_eq!(seen(&fake, 3, 1), ["expired"]);
    fake.queue_lifecycle(succeeding());
    deploy(&fake, "1.5.0");
    assert_eq!(seen(&fake, 4, 2), ["created", "available"], "queued first");
}
