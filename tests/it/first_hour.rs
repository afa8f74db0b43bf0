//! A new user's first hour (issue 11), end to end: an output that cannot be written stops the run
//! before anything is sent, one that is lost at the end fails it, every run that does not succeed
//! says why (under GitHub once, as its last line), and the input messages blame what was set.

use crate::support::{Deploy, Ran, happy};
use fake_nodion::{Fault, Route};

/// The lines of the log that are GitHub `::error` annotations.
fn annotations(ran: &Ran) -> Vec<&str> {
    ran.stderr
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect()
}

/// The log's last line.
fn last_line(ran: &Ran) -> &str {
    ran.stderr.lines().last().unwrap_or_default()
}

#[test]
fn an_unwritable_result_file_is_an_input_problem_and_nothing_is_sent() {
    let api = happy();
    // Named as it was set: the variable, or the action's input.
    for (variable, named) in [
        ("NODION_RESULT_FILE", "NODION_RESULT_FILE"),
        ("INPUT_RESULT_FILE", "result_file"),
    ] {
        let deploy = Deploy::against(&api);
        let path = deploy.dir().join("no-such-dir/result.json");
        let ran = deploy.env(variable, path.to_str().unwrap()).run();
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        let expected = format!(
            "  - {named}: cannot write the JSON result to '{}': its directory does not exist",
            path.display()
        );
        assert!(
            ran.stderr.lines().any(|l| l == expected),
            "{expected}\n{}",
            ran.stderr
        );
        assert_eq!(
            last_line(&ran),
            format!("nodion-deploy: error: invalid inputs ({named}); nothing was sent")
        );
    }
    assert!(api.requests().is_empty(), "no request at all");
}

#[test]
fn an_unwritable_github_output_is_an_input_problem_and_nothing_is_sent() {
    let api = happy();
    let deploy = Deploy::against(&api).github();
    let output = deploy.dir().join("runner-files/github_output");
    let ran = deploy.env("GITHUB_OUTPUT", output.to_str().unwrap()).run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert_eq!(annotations(&ran), [last_line(&ran)]);
    assert!(
        last_line(&ran).contains("%0A  - GITHUB_OUTPUT: cannot write the step's outputs to '"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.summary().contains("GITHUB\\_OUTPUT"),
        "{}",
        ran.summary()
    );
    assert!(api.requests().is_empty(), "no request at all");
}

#[test]
fn an_unwritable_step_summary_is_an_input_problem_too() {
    let api = happy();
    let deploy = Deploy::against(&api).github();
    let summary = deploy.dir().to_path_buf();
    let ran = deploy
        .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        last_line(&ran).contains("GITHUB_STEP_SUMMARY: cannot write the step summary to '"),
        "{}",
        ran.stderr
    );
    assert!(last_line(&ran).ends_with("': it is a directory"));
    assert!(api.requests().is_empty());
}

#[test]
fn bad_inputs_under_github_get_one_annotation_and_a_summary_naming_each_input() {
    let api = happy();
    let ran = Deploy::against(&api)
        .github()
        .unset("NODION_APPLICATION_ID")
        .env("NODION_TIMEOUT", "soon")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let expected = "::error title=Nodion deployment inputs invalid::\
        nodion-deploy: error: invalid inputs (NODION_APPLICATION_ID, NODION_TIMEOUT); nothing was sent\
        %0A  - NODION_APPLICATION_ID: the application id is required\
        %0A  - NODION_TIMEOUT: 'soon' is not a duration: use e.g. 90s, 15m or 1h 30m";
    // Said once: the annotation is the whole log, so it is also its last line.
    assert_eq!(ran.stderr, format!("{expected}\n"));
    let summary = ran.summary();
    assert!(
        summary.starts_with("### Nodion deployment not started: invalid inputs\n"),
        "{summary}"
    );
    for problem in [
        "- NODION\\_APPLICATION\\_ID\\: the application id is required",
        "- NODION\\_TIMEOUT\\: \\'soon\\' is not a duration",
    ] {
        assert!(
            summary.lines().any(|l| l.starts_with(problem)),
            "{problem}\n{summary}"
        );
    }
    // The one output a refused run has: result=error (SPEC §5), so no earlier value stands.
    assert_eq!(ran.output("result"), "error");
    assert_eq!(ran.output("deploy_number"), "");
    assert!(api.requests().is_empty());
}

#[test]
fn bad_inputs_elsewhere_end_the_log_with_the_reason_in_one_line() {
    let api = happy();
    for platform in ["plain", "gitlab"] {
        let ran = Deploy::against(&api)
            .on(platform)
            .unset("NODION_APPLICATION_ID")
            .env("NODION_TIMEOUT", "soon")
            .run();
        assert_eq!(ran.code, 2, "{}", ran.stderr);
        let lines: Vec<&str> = ran.stderr.lines().collect();
        assert_eq!(
            lines,
            [
                "nodion-deploy: 2 problems with the inputs:",
                "  - NODION_APPLICATION_ID: the application id is required",
                "  - NODION_TIMEOUT: 'soon' is not a duration: use e.g. 90s, 15m or 1h 30m",
                "nodion-deploy: error: invalid inputs (NODION_APPLICATION_ID, NODION_TIMEOUT); nothing was sent",
            ],
            "{platform}"
        );
        // GitLab's dotenv report says error; a plain run, which writes no report, writes none.
        if platform == "gitlab" {
            let dotenv = ran.dotenv();
            assert!(
                dotenv.contains(&("NODION_RESULT".into(), "error".into())),
                "{dotenv:?}"
            );
        } else {
            assert!(!ran.has_file("nodion-deploy.env"));
        }
    }
    assert!(api.requests().is_empty());
}

#[test]
fn a_401_under_github_has_a_summary_with_the_status_and_message_but_never_the_token() {
    let api = happy();
    let token = api.token();
    api.script(
        Route::List,
        Fault::status(401, &format!(r#"{{"errors":["API key {token} revoked"]}}"#)),
    );
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let summary = ran.summary();
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(
        lines[0], "### Nodion deployment of app\\-1: error",
        "{summary}"
    );
    assert!(
        lines[2].contains("HTTP 401\\: API key \\*\\*\\* revoked"),
        "{summary}"
    );
    assert!(!summary.contains(&token), "{summary}");
    assert!(!summary.contains("—"), "no placeholder: {summary}");
    // Every row of the table has something to say.
    for row in lines
        .iter()
        .filter(|l| l.starts_with("| ") && **l != "| | |")
    {
        let value = row.trim_end_matches(" |").rsplit(" | ").next().unwrap();
        assert!(!value.trim().is_empty(), "{row}");
    }
    // Said once, as the log's last line.
    assert_eq!(annotations(&ran), [last_line(&ran)]);
    assert!(
        last_line(&ran)
            .starts_with("::error title=Nodion deployment error::nodion-deploy: error after "),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_poll_interval_above_the_default_maximum_names_the_variable_that_was_set() {
    let api = happy();
    let ran = Deploy::against(&api)
        .unset("NODION_MAX_POLL_INTERVAL")
        .env("NODION_POLL_INTERVAL", "30s")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "  - NODION_POLL_INTERVAL: 30s is longer than max_poll_interval (15s by default)"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.stderr.contains("NODION_MAX_POLL_INTERVAL"),
        "{}",
        ran.stderr
    );
    assert!(api.requests().is_empty());
}

#[test]
fn an_empty_token_file_says_it_is_empty() {
    let api = happy();
    let deploy = Deploy::against(&api).unset("NODION_API_TOKEN");
    let file = deploy.dir().join("token");
    std::fs::write(&file, "\n").unwrap();
    let ran = deploy
        .env("NODION_API_TOKEN_FILE", file.to_str().unwrap())
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    let expected = format!(
        "  - NODION_API_TOKEN_FILE: the token file '{}' is empty",
        file.display()
    );
    assert!(ran.stderr.lines().any(|l| l == expected), "{}", ran.stderr);
    assert!(api.requests().is_empty());
}

/// `/dev/full` opens for append, and every write to it fails with "no space left on device".
#[cfg(target_os = "linux")]
#[test]
fn a_result_file_lost_at_the_end_fails_the_run_with_exit_5() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_RESULT_FILE", "/dev/full")
        .run();
    assert_eq!(ran.code, 5, "{}", ran.stderr);
    assert_eq!(api.count("POST", Route::Trigger), 1, "triggered once");
    assert!(
        ran.stderr
            .contains("warning: cannot write result_file /dev/full: No space left on device"),
        "{}",
        ran.stderr
    );
    let last = last_line(&ran);
    assert!(
        last.starts_with("nodion-deploy: success: deployment #3 of app-1 is available after "),
        "{last}"
    );
    assert!(
        last.ends_with(
            "; but result_file could not be written, so later steps cannot read the outcome"
        ),
        "{last}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_github_output_lost_at_the_end_is_said_once_in_the_annotation_summary_and_json() {
    let api = happy();
    let ran = Deploy::against(&api)
        .github()
        .env("GITHUB_OUTPUT", "/dev/full")
        .result_file()
        .run();
    assert_eq!(ran.code, 5, "{}", ran.stderr);
    assert_eq!(api.count("POST", Route::Trigger), 1, "triggered once");
    assert_eq!(annotations(&ran), [last_line(&ran)]);
    assert!(
        last_line(&ran).starts_with(
            "::error title=Nodion deployment outputs not written::nodion-deploy: success: deployment #3"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        last_line(&ran).ends_with(
            "; but GITHUB_OUTPUT could not be written, so later steps cannot read the outcome"
        ),
        "{}",
        ran.stderr
    );
    let summary = ran.summary();
    assert!(
        summary.contains("but GITHUB\\_OUTPUT could not be written"),
        "{summary}"
    );
    // The JSON result, written after, carries the run's real exit code.
    assert_eq!(ran.json()["result"], "success");
    assert_eq!(ran.json()["exit_code"], 5);
}

#[test]
fn help_documents_exit_code_5() {
    let ran = Deploy::bare().arg("--help").run();
    assert_eq!(ran.code, 0);
    assert!(
        ran.stdout.contains(
            "\n  5          the run would have exited 0, but its outputs could not all be written"
        ),
        "{}",
        ran.stdout
    );
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
    assert!(!ran.stderr.contains("APPLICATION_ID"), "{}", ran.stderr);
    assert_eq!(ran.stderr.matches("HTTP 404").count(), 1, "{}", ran.stderr);
    assert_eq!(api.count("POST", Route::Trigger), 0);
}
