//! Inputs refused before anything is sent: an output that cannot be written (the JSON result,
//! `GITHUB_OUTPUT`, the step summary), bad values, and messages that blame what was set; under
//! GitHub said once, as one annotation that is the log's last line, with a summary per input.

use crate::support::{Deploy, annotations, happy, last_line};

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
fn a_poll_interval_above_the_default_maximum_names_the_variable_that_was_set() {
    let api = happy();
    let ran = Deploy::against(&api)
        .unset("NODION_MAX_POLL_INTERVAL")
        .env("NODION_POLL_INTERVAL", "30s")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    ran.assert_says(
        "  - NODION_POLL_INTERVAL: 30s is longer than max_poll_interval (4s 500ms by default)",
    );
    ran.assert_never_says("NODION_MAX_POLL_INTERVAL");
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
