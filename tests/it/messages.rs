//! Every mistake names its one fix (issue 16), end to end: an API URL that is wrong in one of the
//! usual ways, a misspelt `NODION_*` variable, and every message naming an input the way the user
//! set it (the action's `api_token`, or the variable `NODION_API_TOKEN`).

use std::collections::HashMap;
use std::path::Path;

use fake_nodion::Route;
use regex::Regex;

use crate::support::{Deploy, Ran, each_in_parallel, fake, happy, last_line};

/// How many lines of the log are exactly `line`.
fn times(ran: &Ran, line: &str) -> usize {
    ran.stderr.lines().filter(|l| *l == line).count()
}

/// With the default timeout the retries end after about 30 s (the unit test
/// `trigger::tests::a_trigger_failing_for_good_gives_up_after_six_retries_and_about_thirty_seconds`
/// counts them; `.ci/run` times it with the release binary, under 45 s); here the deadline ends
/// them sooner, and the last line names the URL all the same.
#[test]
fn nothing_listening_at_the_api_url_ends_naming_it() {
    let ran = Deploy::against(&fake(&[]))
        .env("NODION_API_URL", "http://127.0.0.1:9/v1")
        .env("NODION_TIMEOUT", "2s")
        .run();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    let last = last_line(&ran);
    assert!(
        last.starts_with("nodion-deploy: error after ")
            && last.ends_with(
                "no connection to http://127.0.0.1:9/v1 could be made: check NODION_API_URL"
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
    ran.assert_never_says("API_URL");
}

#[test]
fn a_misspelt_variable_gets_one_warning_and_the_run_goes_on_with_the_default() {
    let api = happy();
    let ran = Deploy::against(&api)
        .unset("NODION_TIMEOUT")
        .env("NODION_TIMOUT", "1s")
        // Inherited from an earlier run's dotenv report: outputs, not mistakes.
        .env("NODION_DEPLOYMENT_NUMBER", "2")
        .env("NODION_RESULT", "success")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let warning = "warning: NODION_TIMOUT is not an input; did you mean NODION_TIMEOUT?";
    assert_eq!(times(&ran, warning), 1, "{}", ran.stderr);
    assert_eq!(ran.stderr.matches("warning:").count(), 1, "{}", ran.stderr);
    ran.assert_says("(timeout 15m, ");
    assert_eq!(api.count("POST", Route::Trigger), 1);
}

#[test]
fn a_misspelt_variable_is_a_warning_annotation_on_github_and_in_a_refused_run() {
    let api = happy();
    let warning = "::warning title=Nodion deployment%3A not an input::\
                   NODION_TIMOUT is not an input; did you mean NODION_TIMEOUT?";
    let ran = Deploy::against(&api)
        .github()
        .env("NODION_TIMOUT", "1s")
        .env("NODION_DEPLOYED_APPLICATION_ID", "app-0")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(times(&ran, warning), 1, "{}", ran.stderr);
    assert_eq!(ran.stderr.matches("::warning").count(), 1, "{}", ran.stderr);
    // A refused run says it too, before its problems: it may be the input they miss.
    let refused = Deploy::against(&api)
        .github()
        .env("NODION_TIMOUT", "1s")
        .unset("NODION_APPLICATION_ID")
        .run();
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let lines: Vec<&str> = refused.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", refused.stderr);
    assert_eq!(lines[0], warning);
    assert!(lines[1].starts_with("::error "), "{}", refused.stderr);
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
            ran.assert_never_says("NODION_API_TOKEN");
        }
    });
}

/// Every `NODION_*` name the project itself sets or hands on (in the action, install.sh, the
/// templates, CI and the examples) is an input, an output or known: none is warned about.
#[test]
fn no_nodion_name_the_project_uses_is_warned_about() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let name = Regex::new(r"NODION_[A-Z0-9_]*[A-Z0-9]").unwrap();
    let mut found: HashMap<String, String> = HashMap::new();
    let mut files = 0;
    for place in [
        "action.yml",
        "install.sh",
        "Dockerfile",
        "release.Dockerfile",
        ".ci",
        ".github",
        "templates",
        "scripts",
        "examples",
    ] {
        for file in files_under(&root.join(place)) {
            files += 1;
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for hit in name.find_iter(&text) {
                found.insert(hit.as_str().to_string(), String::new());
            }
        }
    }
    assert!(files > 10 && found.len() > 20, "{files} files, {found:?}");
    assert!(found.contains_key("NODION_DEPLOY_DOWNLOAD_URL"));
    assert_eq!(
        nodion_deploy::unknown::unknown_variables(&found),
        Vec::<String>::new()
    );
}

/// `path` if it is a file, else every file under it.
fn files_under(path: &Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| files_under(&entry.path()))
        .collect()
}

/// A base URL without `/v1` answers 404 for everything: the message names that, and only that,
/// once, as the last line.
#[test]
fn a_404_on_the_base_url_points_at_nodion_api_url() {
    let api = happy();
    let base = api.url().trim_end_matches("/v1").to_string();
    let ran = Deploy::against(&api).env("NODION_API_URL", &base).run();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let last = last_line(&ran);
    assert!(last.contains("HTTP 404"), "{}", ran.stderr);
    assert!(
        last.ends_with(&format!("check NODION_API_URL: {base} does not end in /v1")),
        "{}",
        ran.stderr
    );
    ran.assert_never_says("APPLICATION_ID");
    assert_eq!(ran.stderr.matches("HTTP 404").count(), 1, "{}", ran.stderr);
    assert_eq!(api.count("POST", Route::Trigger), 0);
}
