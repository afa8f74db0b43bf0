//! Every mistake names its one fix (issue 16), end to end: an API URL that is wrong in one of the
//! usual ways, a misspelt `NODION_*` variable, and every message naming an input the way the user
//! set it (the action's `api_token`, or the variable `NODION_API_TOKEN`).

use crate::support::{Deploy, Ran, each_in_parallel, happy};

/// The log's last line.
fn last_line(ran: &Ran) -> &str {
    ran.stderr.lines().last().unwrap_or_default()
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
