//! The deployed commit checked (SPEC §3 step 6, issue 18): a deployment of another commit than
//! the pipeline's (Nodion deploys the head of its connected branch), or of another image tag than
//! `image_tag`, is said once, a `::warning` annotation on GitHub, and in the summary; the exit code
//! stays. A pull request's merge commit, and a deployment attached to, are not compared.

use std::time::Duration;

use fake_nodion::{FakeNodion, Hold};
use serde_json::json;

use crate::support::{Deploy, Ran, fake, last_line};

/// The commit the pipeline runs for.
const OURS: &str = "d77ead8c6b2f4e1a9c0b3d5e7f9a1b2c3d4e5f60";
/// Another one, the head of the branch Nodion deploys.
const THEIRS: &str = "0123456789abcdef0123456789abcdef01234567";

/// Runs what `deploy` sets up against a fake whose new deployment #3 stays `created` until its
/// `field` is set to `value` (after the trigger's answer, so only the list says it), then is
/// `available`.
fn deployed(field: &str, value: &str, deploy: impl FnOnce(&FakeNodion) -> Deploy) -> Ran {
    let api = fake(&[("created", Hold::Forever)]);
    let running = deploy(&api).spawn();
    running.wait_for_log("Triggered deployment #3", Duration::from_secs(10));
    api.set_deployment_field(3, field, json!(value));
    api.set_status(3, "available");
    running.wait()
}

/// A GitHub push of [`OURS`] whose deployment deploys `sha`; `event` is `GITHUB_EVENT_NAME`.
fn github(event: &str, sha: &str) -> Ran {
    deployed("git_sha", sha, |api| {
        Deploy::against(api)
            .github()
            .env("GITHUB_EVENT_NAME", event)
            .env("GITHUB_SHA", OURS)
    })
}

/// The log's `::warning` annotations.
fn warnings(ran: &Ran) -> Vec<&str> {
    ran.stderr
        .lines()
        .filter(|l| l.starts_with("::warning"))
        .collect()
}

/// A GitHub push whose deployment deploys another commit (README's "When things go wrong").
pub fn another_commit() -> Ran {
    github("push", THEIRS)
}

#[test]
fn a_push_deploying_another_commit_gets_one_warning_naming_both_short_shas() {
    let ran = another_commit();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        warnings(&ran),
        [
            "::warning title=Nodion deployed another commit::Nodion deployed commit 0123456, not this pipeline's d77ead8: it deploys the head of the application's connected branch, not the commit a pipeline runs for"
        ]
    );
    let last = last_line(&ran);
    assert!(last.starts_with("nodion-deploy: success: "), "{last}");
    assert!(
        last.ends_with("; it deploys commit 0123456, not this pipeline's d77ead8"),
        "{last}"
    );
    assert_eq!(ran.output("result"), "success");
    assert_eq!(ran.output("git_sha"), THEIRS);
    let summary = ran.summary();
    assert!(
        summary.contains(
            "**Warning:** Nodion deployed commit 0123456\\, not this pipeline\\'s d77ead8\\:"
        ),
        "{summary}"
    );
}

#[test]
fn the_pipelines_own_commit_gets_no_warning() {
    let ran = github("push", OURS);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(warnings(&ran), Vec::<&str>::new());
    ran.assert_never_says("it deploys commit");
    assert!(!ran.summary().contains("Warning"), "{}", ran.summary());
}

#[test]
fn a_pull_requests_merge_commit_is_not_compared() {
    let ran = github("pull_request", THEIRS);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(warnings(&ran), Vec::<&str>::new());
    ran.assert_never_says("it deploys commit");
}

#[test]
fn an_image_of_another_tag_than_image_tag_is_said_the_same_way() {
    let ran = deployed("image_reference", "docker.io/demo-app:1.4.1", |api| {
        Deploy::against(api)
            .github()
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_SHA", OURS)
            .env("NODION_IMAGE_TAG", "1.4.2")
    });
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        warnings(&ran),
        [
            "::warning title=Nodion deployed another image tag::Nodion deployed image tag 1.4.1, not the 1.4.2 asked for (image_tag)"
        ]
    );
    let last = last_line(&ran);
    assert!(
        last.ends_with("; it deploys image tag 1.4.1, not the 1.4.2 asked for"),
        "{last}"
    );
}

#[test]
fn elsewhere_the_warning_is_one_plain_line_and_a_failure_keeps_its_exit_code() {
    let ran = deployed("git_sha", THEIRS, |api| {
        Deploy::against(api).gitlab().env("CI_COMMIT_SHA", OURS)
    });
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let said: Vec<&str> = (ran.stderr.lines())
        .filter(|l| l.contains("Nodion deployed commit"))
        .collect();
    assert_eq!(
        said,
        [
            "warning: Nodion deployed commit 0123456, not this pipeline's d77ead8: it deploys the head of the application's connected branch, not the commit a pipeline runs for"
        ]
    );
    let api = fake(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)]);
    let failed = Deploy::against(&api)
        .gitlab()
        .env("CI_COMMIT_SHA", OURS)
        .run();
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    let last = last_line(&failed);
    assert!(last.starts_with("nodion-deploy: failure: "), "{last}");
    assert!(last.contains("; it deploys commit "), "{last}");
}

#[test]
fn a_trigger_not_waited_for_is_compared_and_an_attached_deployment_is_not() {
    let api = fake(&[("created", Hold::Forever)]);
    let push = |deploy: Deploy| {
        (deploy.github())
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_SHA", OURS)
    };
    let triggered = push(Deploy::against(&api).env("NODION_WAIT", "false")).run();
    assert_eq!(triggered.code, 0, "{}", triggered.stderr);
    let deployed = triggered.output("git_sha");
    let warned = warnings(&triggered);
    assert_eq!(warned.len(), 1, "{}", triggered.stderr);
    assert!(
        warned[0].contains(&format!("Nodion deployed commit {}, ", &deployed[..7])),
        "{warned:?}"
    );
    // #1 was deployed before this pipeline ran, for another commit: attaching says nothing of it.
    let attached = push(Deploy::against(&api).env("NODION_DEPLOY_NUMBER", "1")).run();
    assert_eq!(attached.code, 0, "{}", attached.stderr);
    assert_eq!(warnings(&attached), Vec::<&str>::new());
    attached.assert_never_says("it deploys commit");
}
