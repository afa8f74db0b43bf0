//! Dry runs: the token and the application are checked, nothing is triggered, and what a real
//! run would refuse fails the dry run too.

use crate::support::{Deploy, happy};
use fake_nodion::{Fault, Route};

#[test]
fn a_dry_run_checks_token_and_application_and_triggers_nothing() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_DRY_RUN", "true")
        .github()
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(api.count("POST", Route::Trigger), 0);
    assert_eq!(api.count("GET", Route::Application), 1);
    ran.assert_says("\"demo-app\"");
    ran.assert_says("Latest deployment: #2, status failed, created at ");
    ran.assert_says("dry run passed");
    assert_eq!(ran.output("result"), "success");
    assert_eq!(ran.output("deploy_number"), "");
}

#[test]
fn a_dry_run_with_a_bad_token_or_unknown_application_exits_3() {
    let api = happy();
    for (variable, value, message) in [
        ("NODION_API_TOKEN", "wrong-token", "Invalid API token"),
        (
            "NODION_APPLICATION_ID",
            "no-such-app",
            "Application not found",
        ),
    ] {
        let ran = Deploy::against(&api)
            .env("NODION_DRY_RUN", "yes")
            .env(variable, value)
            .github()
            .run();
        assert_eq!(ran.code, 3, "{variable}: {}", ran.stderr);
        ran.assert_says(message);
        assert_eq!(ran.output("result"), "error");
    }
    assert_eq!(api.count("POST", Route::Trigger), 0);
}

#[test]
fn a_dry_run_that_cannot_reach_the_api_exits_4() {
    let api = happy();
    for _ in 0..10 {
        api.script(Route::Application, Fault::status(503, "down"));
    }
    let ran = Deploy::against(&api)
        .env("NODION_DRY_RUN", "true")
        .env("NODION_TIMEOUT", "3s")
        .run();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert_eq!(api.count("POST", Route::Trigger), 0);
}

#[test]
fn a_dry_run_with_an_image_tag_for_a_git_application_fails_with_exit_2() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_DRY_RUN", "true")
        .env("NODION_IMAGE_TAG", "v2.0.0")
        .run();
    // A pull-request check built on the dry run must not stay green.
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(api.count("POST", Route::Trigger), 0);
    ran.assert_never_says("dry run passed");
    ran.assert_says("image_tag v2.0.0 is set, but app-1 deploys with strategy dockerfile");
}

/// Attaching to a number the list does not show would fail: so does the dry run.
#[test]
fn a_dry_run_attaching_to_a_number_not_listed_fails_with_exit_2() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_DRY_RUN", "true")
        .env("NODION_DEPLOY_NUMBER", "99")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    ran.assert_says("deploy_number 99 is not listed (the newest is #2)");
}
