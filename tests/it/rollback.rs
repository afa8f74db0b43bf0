//! Rollback (SPEC §9), end to end: an image application on the fake whose #2 (`1.4.2`) is the last
//! good deployment; our deploy of `1.5.0` fails or does not serve, and the rollback puts `1.4.2`
//! back, once, or says why it could not, with exit 7.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fake_nodion::{FakeNodion, Fault, Hold, Options, Route, Seed, Stage};

use crate::support::{Deploy, Ran, annotations, last_line, settle};
use crate::verify::App;

const REPO: &str = "registry.example.com/shop";

fn stages(lifecycle: &[(&str, Hold)]) -> Vec<Stage> {
    lifecycle.iter().map(|(s, h)| Stage::new(s, *h)).collect()
}

/// created → failed.
fn fails() -> Vec<Stage> {
    stages(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)])
}

/// created → available.
fn succeeds() -> Vec<Stage> {
    stages(&[("created", Hold::Lists(1)), ("available", Hold::Forever)])
}

/// An image app: #1 `1.4.1` available, #2 `1.4.2` available (the last good one), #3 `1.4.3`
/// failed; the next deployments (ours #4, the rollback #5) go through `lifecycles` in turn.
fn image_app(lifecycles: Vec<Vec<Stage>>) -> FakeNodion {
    FakeNodion::start(Options {
        image: Some(REPO.into()),
        existing: vec![
            Seed::image(1, "available", "1.4.1"),
            Seed::image(2, "available", "1.4.2"),
            Seed::image(3, "failed", "1.4.3"),
        ],
        lifecycles,
        ..Options::default()
    })
}

/// A GitHub run deploying `1.5.0` with `rollback: true`.
fn deploy(api: &FakeNodion) -> Deploy {
    Deploy::against(api)
        .github()
        .env("NODION_IMAGE_TAG", "1.5.0")
        .env("NODION_ROLLBACK", "true")
}

/// The bodies of every trigger the fake received, in order.
fn triggers(api: &FakeNodion) -> Vec<String> {
    settle(api);
    let posts = api
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::Trigger);
    posts.map(|r| r.body).collect()
}

fn assert_position(ran: &Ran, before: &str, after: &str) {
    let (a, b) = (ran.stderr.find(before), ran.stderr.find(after));
    assert!(
        a.is_some() && b.is_some() && a < b,
        "{before:?} comes before {after:?}:\n{}",
        ran.stderr
    );
}

/// Acceptance 1: exactly two POSTs, the second `1.4.2`; exit 1, rollback=succeeded.
#[test]
fn a_failed_image_deploy_is_rolled_back_to_the_last_good_tag_and_still_fails() {
    let api = image_app(vec![fails(), succeeds()]);
    let ran = deploy(&api).run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert_eq!(
        triggers(&api),
        [r#"{"image_tag":"1.5.0"}"#, r#"{"image_tag":"1.4.2"}"#]
    );
    assert_eq!(ran.output("result"), "failure");
    assert_eq!(ran.output("rollback"), "succeeded");
    assert_eq!(ran.output("rollback_deploy_number"), "5");
    assert_eq!(ran.output("rollback_image_tag"), "1.4.2");
    assert_eq!(ran.output("deploy_number"), "4");
    assert_position(
        &ran,
        &format!("Rollback target: #2, {REPO}:1.4.2"),
        "Triggered deployment #4",
    );
    let last = last_line(&ran);
    assert!(
        last.contains("failure: deployment #4 of app-1 ended with status failed after")
            && last.contains("; rolled back to #5 (1.4.2), available after"),
        "{last}"
    );
    assert!(ran.summary().contains("Rollback"), "{}", ran.summary());
}

static SERVES: AtomicBool = AtomicBool::new(false);

/// 503 until the test says the old version is back.
fn broken_until_rolled_back(_: usize, _: &str) -> (u16, &'static str, String) {
    match SERVES.load(Ordering::SeqCst) {
        true => (200, "", "1.4.2".into()),
        false => (503, "", "starting".into()),
    }
}

/// Acceptance 2: our deploy succeeds but never serves: exit 6, rolled back.
#[test]
fn a_deploy_that_never_serves_is_rolled_back_and_exits_6() {
    let app = App::start(broken_until_rolled_back);
    let api = image_app(vec![succeeds(), succeeds()]);
    let running = deploy(&api)
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_VERIFY_URL", &app.url("/health"))
        .spawn();
    running.wait_for_log("Rolling back", Duration::from_secs(10));
    SERVES.store(true, Ordering::SeqCst);
    let ran = running.wait();
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "unverified");
    assert_eq!(ran.output("rollback"), "succeeded");
    assert_eq!(triggers(&api).len(), 2);
}

/// Acceptance 3: a rollback that fails too is exit 7, rollback=failed, and never a third POST.
#[test]
fn a_rollback_that_fails_too_exits_7_and_says_production_may_be_broken() {
    let api = image_app(vec![fails(), fails()]);
    let ran = deploy(&api).run();
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    assert_eq!(ran.output("rollback"), "failed");
    assert_eq!(ran.output("rollback_deploy_number"), "5");
    assert_eq!(triggers(&api).len(), 2, "never a third POST");
    let errors: Vec<&str> = annotations(&ran)
        .into_iter()
        .filter(|a| a.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", ran.stderr);
    assert!(
        errors[0].contains("production may be serving the broken version"),
        "{errors:?}"
    );
}

/// Acceptance 4: no earlier good image is exit 7, rollback=impossible, one POST.
#[test]
fn without_an_earlier_good_image_the_rollback_is_impossible() {
    let api = FakeNodion::start(Options {
        image: Some(REPO.into()),
        existing: vec![Seed::image(1, "failed", "1.4.1")],
        lifecycles: vec![fails()],
        ..Options::default()
    });
    let ran = deploy(&api).run();
    assert_eq!(ran.code, 7, "{}", ran.stderr);
    assert_eq!(ran.output("rollback"), "impossible");
    assert_eq!(ran.output("rollback_deploy_number"), "");
    assert_eq!(triggers(&api).len(), 1);
    ran.assert_says("Rollback target: none: no earlier deployment reached a success status");
}

/// Acceptance 5: a timeout (124) and a SIGTERM (143) never roll back: one POST.
#[test]
fn a_timeout_or_a_cancellation_never_rolls_back() {
    let never = stages(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    let api = image_app(vec![never.clone()]);
    let ran = deploy(&api).env("NODION_TIMEOUT", "1s").run();
    assert_eq!(ran.code, 124, "{}", ran.stderr);
    assert_eq!(ran.output("rollback"), "");
    assert!(
        last_line(&ran).contains("not rolled back"),
        "{}",
        last_line(&ran)
    );
    assert_eq!(triggers(&api).len(), 1);

    let api = image_app(vec![never]);
    let running = deploy(&api).spawn();
    running.wait_for_log("Waiting for deployment #4", Duration::from_secs(10));
    running.signal(libc::SIGTERM);
    let ran = running.wait();
    assert_eq!(ran.code, 143, "{}", ran.stderr);
    assert_eq!(ran.output("rollback"), "");
    assert_eq!(triggers(&api).len(), 1);
}

/// Acceptance 6: `rollback: true` for a git-based app is exit 2, with no deployment triggered.
#[test]
fn rollback_for_a_git_based_app_is_refused_before_the_trigger() {
    let api = crate::support::happy();
    let ran = Deploy::against(&api)
        .github()
        .env("NODION_ROLLBACK", "true")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(triggers(&api).len(), 0);
    ran.assert_says("rollback is for prebuilt-image applications");
    ran.assert_says("unset NODION_ROLLBACK");
}

/// Acceptance 7: a success with `rollback: true` is one POST, and the rollback outputs are empty.
#[test]
fn a_success_needs_no_rollback() {
    let api = image_app(vec![succeeds()]);
    let ran = deploy(&api).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("rollback"), "");
    assert_eq!(ran.output("rollback_image_tag"), "");
    assert_eq!(triggers(&api).len(), 1);
}

/// Acceptance 8: a dry run names the target.
#[test]
fn a_dry_run_names_the_rollback_target() {
    let api = image_app(Vec::new());
    let ran = deploy(&api).env("NODION_DRY_RUN", "true").run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    ran.assert_says(&format!("Rollback target: #2, {REPO}:1.4.2"));
    assert_eq!(triggers(&api).len(), 0);
}

/// Acceptance 10: the rollback trigger's answer lost after it created the deployment: it is
/// adopted from the list, never sent twice.
#[test]
fn a_lost_rollback_answer_is_adopted_never_sent_twice() {
    let api = image_app(vec![fails(), succeeds()]);
    api.script(Route::Trigger, Fault::Pass);
    api.script(Route::Trigger, Fault::Reset { create_first: true });
    let ran = deploy(&api).run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert_eq!(ran.output("rollback"), "succeeded");
    assert_eq!(ran.output("rollback_deploy_number"), "5");
    assert_eq!(triggers(&api).len(), 2, "never sent twice");
    assert_eq!(api.deployments().len(), 5, "one rollback deployment");
    ran.assert_says("adopted #5");
}
