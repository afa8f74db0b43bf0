//! Every mistake names its one fix (issue 16), end to end: an API URL that is wrong in one of the
//! usual ways, a misspelt `NODION_*` variable, and every message naming an input the way the user
//! set it (the action's `api_token`, or the variable `NODION_API_TOKEN`).

use std::time::Duration;

use crate::support::{Deploy, Ran, each_in_parallel, fake, happy};

/// The log's last line.
fn last_line(ran: &Ran) -> &str {
    ran.stderr.lines().last().unwrap_or_default()
}

/// How many lines of the log are exactly `line`.
fn times(ran: &Ran, line: &str) -> usize {
    ran.stderr.lines().filter(|l| *l == line).count()
}

#[test]
fn nothing_listening_at_the_api_url_ends_naming_it_within_the_retry_budget() {
    let ran = Deploy::against(&fake(&[]))
        .env("NODION_API_URL", "http://127.0.0.1:9/v1")
        .unset("NODION_TIMEOUT")
        .run();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(45), "took {:?}", ran.took);
    let last = last_line(&ran);
    assert!(
        last.starts_with("nodion-deploy: error after ")
            && last.ends_with(
                "could not list deployments: the connection was refused (gave up after 6 retries); \
                 no connection to http://127.0.0.1:9/v1 could be made: check NODION_API_URL"
            ),
        "{}",
        ran.stderr
    );
}

#[test]
fn nothing_listening_at_the_actions_api_url_names_api_url_in_the_annotation() {
    let ran = Deploy::against(&fake(&[]))
        .unset("NODION_API_URL")
        .env("INPUT_API_URL", "http://127.0.0.1:9/v1")
        .env("NODION_TIMEOUT", "2s")
        .github()
        .run();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    let last = last_line(&ran);
    assert!(last.starts_with("::error title="), "{}", ran.stderr);
    assert!(
        last.ends_with("no connection to http://127.0.0.1:9/v1 could be made: check api_url"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_url_without_a_scheme_is_told_the_url_it_probably_meant() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_API_URL", "api.nodion.com/v1")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let said = "  - NODION_API_URL: 'api.nodion.com/v1' has no scheme: did you mean https://api.nodion.com/v1?";
    assert_eq!(times(&ran, said), 1, "{}", ran.stderr);
    assert!(api.requests().is_empty());
}

#[test]
fn a_404_with_v1_names_the_application_and_not_the_url() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_APPLICATION_ID", "app-2")
        .run();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(
        last_line(&ran).ends_with("(HTTP 404: Application not found): check NODION_APPLICATION_ID"),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("API_URL"), "{}", ran.stderr);
}

/// A wrong token on GitHub, through `variable`: the run's log.
fn wrong_token_through(variable: &str) -> Ran {
    Deploy::against(&happy())
        .unset("NODION_API_TOKEN")
        .env(variable, "not-the-token")
        .github()
        .run()
}

#[test]
fn a_wrong_token_is_named_the_way_it_was_set_in_the_annotation() {
    let cases = [
        ("INPUT_API_TOKEN", "api_token", "project_id"),
        ("NODION_API_TOKEN", "NODION_API_TOKEN", "NODION_PROJECT_ID"),
    ];
    each_in_parallel(cases, |(variable, token, project)| {
        let ran = wrong_token_through(variable);
        assert_eq!(ran.code, 3, "{}", ran.stderr);
        let last = last_line(&ran);
        assert!(last.starts_with("::error title="), "{}", ran.stderr);
        let hint = format!(
            "(HTTP 401: Invalid API token): check {token} (a user API key also needs {project})"
        );
        assert!(last.ends_with(&hint), "{variable}: {}", ran.stderr);
        if variable.starts_with("INPUT_") {
            assert!(!ran.stderr.contains("NODION_API_TOKEN"), "{}", ran.stderr);
        }
    });
}
