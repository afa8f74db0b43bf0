//! The deploy gate, end to end: the compiled binary against the fake Nodion API on loopback.
//! One test per promise of SPEC.md, named after it.

use std::time::Duration;

use crate::support::{Deploy, fake, happy, id_of};
use fake_nodion::{FakeNodion, Fault, Hold, Options, Route};
use serde_json::Value;

#[test]
fn success_writes_every_github_output_of_the_triggered_deployment() {
    let api = happy();
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);

    let names: Vec<String> = ran.github_outputs().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "result",
            "deployment_id",
            "deploy_number",
            "status",
            "git_sha",
            "image_reference",
            "strategy",
            "created_at",
            "commit_message",
            "elapsed_seconds",
            "url",
            "verified",
            "origin",
            "application_id",
            "rollback",
            "rollback_deploy_number",
            "rollback_image_tag"
        ]
    );
    assert_eq!(ran.output("result"), "success");
    assert_eq!(ran.output("origin"), "triggered");
    assert_eq!(ran.output("application_id"), "app-1");
    assert_eq!(ran.output("deploy_number"), "3");
    assert_eq!(ran.output("deployment_id"), id_of(&api, 3));
    assert_eq!(ran.output("status"), "available");
    assert_eq!(ran.output("strategy"), "dockerfile");
    assert_eq!(ran.output("git_sha").len(), 40);
    assert_eq!(ran.output("image_reference"), "");
    assert_eq!(ran.output("commit_message"), "Fix the login page");
    assert!(!ran.output("created_at").is_empty());
    assert!(ran.output("elapsed_seconds").parse::<u64>().is_ok());
    // No verify_url: no URL, and not checked.
    assert_eq!(ran.output("url"), "");
    assert_eq!(ran.output("verified"), "");
    assert_eq!(api.count("POST", Route::Trigger), 1);
}

#[test]
fn success_writes_the_gitlab_dotenv_report() {
    let api = happy();
    let ran = Deploy::against(&api).gitlab().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let dotenv = ran.dotenv();
    let keys: Vec<&str> = dotenv.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "NODION_RESULT",
            "NODION_DEPLOYMENT_ID",
            "NODION_DEPLOYMENT_NUMBER",
            "NODION_DEPLOY_STATUS",
            "NODION_GIT_SHA",
            "NODION_IMAGE_REFERENCE",
            "NODION_STRATEGY",
            "NODION_CREATED_AT",
            "NODION_ELAPSED_SECONDS",
            "NODION_URL",
            "NODION_VERIFIED",
            "NODION_ORIGIN",
            "NODION_DEPLOYED_APPLICATION_ID",
            "NODION_ROLLBACK_RESULT",
            "NODION_ROLLBACK_DEPLOY_NUMBER",
            "NODION_ROLLBACK_IMAGE_TAG"
        ]
    );
    let get = |k: &str| dotenv.iter().find(|(key, _)| key == k).unwrap().1.clone();
    assert_eq!(get("NODION_RESULT"), "success");
    assert_eq!(get("NODION_DEPLOYMENT_NUMBER"), "3");
    assert_eq!(get("NODION_DEPLOYMENT_ID"), id_of(&api, 3));
    assert_eq!(get("NODION_DEPLOY_STATUS"), "available");
}

#[test]
fn success_writes_the_json_result_with_numbers_as_numbers() {
    let api = happy();
    let ran = Deploy::against(&api).result_file().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let json = ran.json();
    assert_eq!(json["result"], "success");
    assert_eq!(json["deploy_number"], 3);
    assert_eq!(json["deployment_id"], id_of(&api, 3).as_str());
    assert_eq!(json["status"], "available");
    assert_eq!(json["exit_code"], 0);
    assert_eq!(json["application_id"], "app-1");
    assert_eq!(json["image_reference"], Value::Null);
    assert!(json["elapsed_seconds"].is_u64());
    let ours = api
        .deployments()
        .into_iter()
        .find(|d| d["deploy_number"] == 3)
        .unwrap();
    for field in ["git_sha", "strategy", "created_at", "commit_message"] {
        assert_eq!(json[field], ours[field], "{field}");
        assert!(json[field].is_string(), "{field}");
    }
    assert_eq!(json["deployment_id"], ours["id"]);
}

#[test]
fn result_file_dash_writes_the_json_to_stdout_and_nothing_else() {
    let api = happy();
    let ran = Deploy::against(&api).env("NODION_RESULT_FILE", "-").run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let json: Value = serde_json::from_str(ran.stdout.trim()).expect("stdout is one JSON object");
    assert_eq!(json["result"], "success");
    assert_eq!(ran.stdout.trim().lines().count(), 1);
}

#[test]
fn the_log_shows_the_trigger_each_status_change_and_the_outcome() {
    let api = happy();
    let ran = Deploy::against(&api).run();
    assert_eq!(ran.code, 0);
    let log = &ran.stderr;
    assert!(log.contains("Triggered deployment #3"), "{log}");
    for status in ["created", "waiting", "available"] {
        assert_eq!(
            log.matches(&format!("#3 {status}\n")).count(),
            1,
            "{status}: {log}"
        );
    }
    let last = log.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("nodion-deploy: success: deployment #3"),
        "{last}"
    );
    assert!(ran.stdout.is_empty(), "stdout stays free: {}", ran.stdout);
}

#[test]
fn a_failure_status_exits_1_with_result_failure() {
    for terminal in ["failed", "expired"] {
        let api = fake(&[("created", Hold::Lists(1)), (terminal, Hold::Forever)]);
        let ran = Deploy::against(&api).github().result_file().run();
        assert_eq!(ran.code, 1, "{terminal}: {}", ran.stderr);
        assert_eq!(ran.output("result"), "failure");
        assert_eq!(ran.output("status"), terminal);
        assert_eq!(ran.json()["exit_code"], 1);
    }
}

#[test]
fn never_terminal_exits_124_within_the_timeout_plus_a_second() {
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_MAX_POLL_INTERVAL", "300ms")
        .github()
        .run();
    assert_eq!(ran.code, 124, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(3), "took {:?}", ran.took);
    assert_eq!(ran.output("result"), "timeout");
    assert_eq!(ran.output("status"), "deploying");
    assert_eq!(ran.output("deploy_number"), "3");
}

#[test]
fn no_request_is_sent_after_the_deadline() {
    // While waiting for ours...
    let api = fake(&[("deploying", Hold::Forever)]);
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "1500ms")
        .env("NODION_POLL_INTERVAL", "400ms")
        .env("NODION_MAX_POLL_INTERVAL", "400ms")
        .run();
    assert_eq!(ran.code, 124);
    assert!(api.requests().len() >= 3);
    // The deadline counts from the binary's start, which is no later than its first request (and
    // later than the spawn, by as long as the process took to start on a busy machine).
    let first = api.requests()[0].at;
    // Only the application's logs are read after the deadline, once, to show why it timed out.
    let (logs, deployments): (Vec<_>, Vec<_>) = api
        .requests()
        .into_iter()
        .partition(|r| r.route == Route::Logs);
    for request in deployments {
        assert!(request.at.duration_since(first) < Duration::from_millis(1500));
    }
    assert_eq!(logs.len(), 1);
    // ...and while retrying the trigger.
    let api = happy();
    for _ in 0..10 {
        api.script(Route::Trigger, Fault::status(503, "busy"));
    }
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "3s")
        .github()
        .run();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(
        ran.took < Duration::from_millis(3500),
        "took {:?}",
        ran.took
    );
    assert_eq!(ran.output("result"), "error");
    let first = api.requests()[0].at;
    for request in api.requests() {
        assert!(request.at.duration_since(first) < Duration::from_secs(3));
    }
}

#[test]
fn older_deployments_with_other_statuses_change_nothing() {
    // #1 is available: a tool that took any available deployment would report success.
    let api = fake(&[
        ("created", Hold::Lists(1)),
        ("deploying", Hold::Lists(2)),
        ("failed", Hold::Forever),
    ]);
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert_eq!(ran.output("deploy_number"), "3");
    assert_eq!(ran.output("status"), "failed");
}

#[test]
fn ours_missing_from_the_first_polls_is_still_tracked() {
    let api = happy();
    let older_only = r#"{"deployments":[{"id":"b","deploy_number":2,"status":"failed"},{"id":"a","deploy_number":1,"status":"available"}]}"#;
    // The snapshot, then two polls that do not list #3 yet.
    for _ in 0..3 {
        api.script(Route::List, Fault::status(200, older_only));
    }
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("deploy_number"), "3");
    assert_eq!(
        ran.stderr
            .matches("is not in the deployment list yet")
            .count(),
        1
    );
}

#[test]
fn an_unknown_status_keeps_waiting_is_logged_once_and_is_never_success() {
    let api = fake(&[("created", Hold::Lists(1)), ("rolling_out", Hold::Forever)]);
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "1500ms")
        .github()
        .run();
    assert_eq!(ran.code, 124, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "timeout");
    assert_eq!(ran.output("status"), "rolling_out");
    assert_eq!(
        ran.stderr
            .matches("'rolling_out' is not a status nodion-deploy knows")
            .count(),
        1,
        "{}",
        ran.stderr
    );
}

#[test]
fn statuses_compare_case_insensitively() {
    let api = fake(&[("Created", Hold::Lists(1)), ("AVAILABLE", Hold::Forever)]);
    let ran = Deploy::against(&api)
        .env("NODION_SUCCESS_STATUSES", "Available")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let api = fake(&[("created", Hold::Lists(1)), ("Broken", Hold::Forever)]);
    let ran = Deploy::against(&api)
        .env("NODION_FAILURE_STATUSES", "BROKEN")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
}

#[test]
fn wait_false_triggers_once_polls_nothing_and_exits_0() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_WAIT", "false")
        .github()
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "triggered");
    assert_eq!(ran.output("deploy_number"), "3");
    assert_eq!(api.count("POST", Route::Trigger), 1);
    let requests = api.requests();
    let trigger_at = requests
        .iter()
        .position(|r| r.route == Route::Trigger)
        .unwrap();
    assert_eq!(requests.len(), trigger_at + 1, "nothing after the trigger");
}

#[test]
fn attach_mode_triggers_nothing_and_exits_by_that_deployments_status() {
    for (number, code, result) in [(1, 0, "success"), (2, 1, "failure")] {
        let api = happy();
        let ran = Deploy::against(&api)
            .env("NODION_DEPLOY_NUMBER", &number.to_string())
            .github()
            .run();
        assert_eq!(ran.code, code, "#{number}: {}", ran.stderr);
        assert_eq!(ran.output("result"), result);
        assert_eq!(ran.output("deploy_number"), number.to_string());
        assert_eq!(api.count("POST", Route::Trigger), 0);
    }
}

/// A number that names no deployment fails after a short grace, naming the newest listed: it
/// never waits out the timeout, shows no application logs and never says it "goes on".
#[test]
fn attaching_to_a_number_that_is_not_listed_exits_2_within_the_grace() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_DEPLOY_NUMBER", "99")
        .env("NODION_TIMEOUT", "15m")
        .github()
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(35), "took {:?}", ran.took);
    assert_eq!(api.count("POST", Route::Trigger), 0);
    assert_eq!(api.count("GET", Route::Logs), 0);
    ran.assert_says("#99");
    ran.assert_says("the newest is #2");
    ran.assert_says("NODION_DEPLOY_NUMBER");
    ran.assert_never_says("goes on at Nodion");
    assert_eq!(ran.output("result"), "error");
}

#[test]
fn attach_mode_waits_for_a_deployment_still_in_progress() {
    let api = happy();
    // Trigger #3 outside the tool, then attach to it.
    let ran = Deploy::against(&api).env("NODION_WAIT", "false").run();
    assert_eq!(ran.code, 0);
    let ran = Deploy::against(&api)
        .env("NODION_DEPLOY_NUMBER", "3")
        .github()
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("status"), "available");
    assert_eq!(ran.output("origin"), "attached");
    assert_eq!(api.count("POST", Route::Trigger), 1);
}

#[test]
fn requests_carry_the_bearer_token_user_agent_and_project() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("INPUT_PROJECT_ID", "proj-42")
        .env("NODION_IMAGE_TAG", "v2.0.0")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    for request in api.requests() {
        assert_eq!(request.header("authorization"), Some("Bearer test-token"));
        assert_eq!(
            request.header("user-agent"),
            Some(format!("nodion-deploy/{}", env!("CARGO_PKG_VERSION")).as_str())
        );
        assert_eq!(request.header("x-nodion-project"), Some("proj-42"));
        assert_eq!(request.header("accept"), Some("application/json"));
    }
}

#[test]
fn the_trigger_body_carries_the_image_tag_or_is_empty() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_IMAGE_TAG", "v2.0.0")
        .github()
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let trigger = api
        .requests()
        .into_iter()
        .find(|r| r.route == Route::Trigger)
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&trigger.body).unwrap(),
        serde_json::json!({"image_tag": "v2.0.0"})
    );
    assert_eq!(ran.output("image_reference"), "docker.io/demo-app:v2.0.0");

    let api = happy();
    Deploy::against(&api).run();
    let trigger = api
        .requests()
        .into_iter()
        .find(|r| r.route == Route::Trigger)
        .unwrap();
    assert_eq!(trigger.body, "{}");
    assert!(
        api.requests()
            .iter()
            .all(|r| r.header("x-nodion-project").is_none())
    );
}

/// Each bad input on its own: exit 2, the variable named, nothing sent.
#[test]
fn each_bad_input_exits_2_names_its_variable_and_sends_nothing() {
    let cases: &[(&str, &str, &str)] = &[
        ("NODION_API_TOKEN", "", "NODION_API_TOKEN"),
        ("NODION_APPLICATION_ID", "", "NODION_APPLICATION_ID"),
        (
            "NODION_APPLICATION_ID",
            "app/../other",
            "NODION_APPLICATION_ID",
        ),
        ("NODION_APPLICATION_ID", "..", "NODION_APPLICATION_ID"),
        ("NODION_WAIT", "maybe", "NODION_WAIT"),
        ("NODION_TIMEOUT", "soon", "NODION_TIMEOUT"),
        ("NODION_POLL_INTERVAL", "0s", "NODION_POLL_INTERVAL"),
        ("NODION_IMAGE_TAG", "v 2", "NODION_IMAGE_TAG"),
        (
            "NODION_API_URL",
            "http://api.nodion.com/v1",
            "NODION_API_URL",
        ),
        ("NODION_API_URL", "not a url", "NODION_API_URL"),
        (
            "NODION_FAILURE_STATUSES",
            "failed,available",
            "NODION_FAILURE_STATUSES",
        ),
        (
            "NODION_MAX_POLL_INTERVAL",
            "10ms",
            "NODION_MAX_POLL_INTERVAL",
        ),
        ("NODION_DEPLOY_NUMBER", "-3", "NODION_DEPLOY_NUMBER"),
        ("NODION_API_TOKEN", "two words", "NODION_API_TOKEN"),
        ("INPUT_DEBUG", "sometimes", "  - debug: 'sometimes'"),
    ];
    let api = happy();
    for (variable, value, named) in cases {
        let ran = Deploy::against(&api).env(variable, value).github().run();
        assert_eq!(ran.code, 2, "{variable}={value}: {}", ran.stderr);
        ran.assert_says(named);
        // A refused run's only output says so: no earlier run's values stay standing.
        let outputs = ran.github_outputs();
        assert!(
            outputs.contains(&("result".into(), "error".into())),
            "{outputs:?}"
        );
        assert!(
            outputs.iter().all(|(name, value)| value.is_empty()
                || ["result", "elapsed_seconds", "application_id"].contains(&name.as_str())),
            "{outputs:?}"
        );
    }
    assert!(api.requests().is_empty(), "nothing was sent");
}

#[test]
fn several_bad_inputs_are_all_reported_at_once() {
    let api = happy();
    let ran = Deploy::against(&api)
        .unset("NODION_API_TOKEN")
        .env("NODION_WAIT", "maybe")
        .env("INPUT_TIMEOUT", "soon")
        .env("NODION_IMAGE_TAG", "v 2")
        .env("NODION_API_URL", "http://example.com/v1")
        .run();
    assert_eq!(ran.code, 2);
    // Each named as it was set; an INPUT_ variable means the action's inputs, so the unset token
    // is its `api_token`.
    for named in [
        "  - api_token: ",
        "  - NODION_WAIT: ",
        "  - timeout: ",
        "  - NODION_IMAGE_TAG: ",
        "  - NODION_API_URL: ",
    ] {
        let said = ran.stderr.lines().any(|l| l.starts_with(named));
        assert!(said, "{named}: {}", ran.stderr);
    }
    ran.assert_says("5 problems");
    assert!(api.requests().is_empty());
}

#[test]
fn a_401_on_the_trigger_exits_3_with_the_apis_message() {
    let api = happy();
    api.script(
        Route::Trigger,
        Fault::status(401, r#"{"errors":["API key revoked"]}"#),
    );
    let ran = Deploy::against(&api).github().result_file().run();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(3), "took {:?}", ran.took);
    ran.assert_says("API key revoked");
    assert_eq!(ran.output("result"), "error");
    assert_eq!(ran.json()["exit_code"], 3);
    assert_eq!(
        api.count("POST", Route::Trigger),
        1,
        "a refusal is not retried"
    );
}

#[test]
fn a_404_on_the_trigger_exits_3_with_the_apis_message() {
    let api = happy();
    api.script(
        Route::Trigger,
        Fault::status(404, r#"{"error":"Application not found"}"#),
    );
    let ran = Deploy::against(&api).gitlab().run();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(3), "took {:?}", ran.took);
    ran.assert_says("Application not found");
    assert!(
        ran.dotenv()
            .contains(&("NODION_RESULT".into(), "error".into()))
    );
    assert!(!ran.everything().contains(&api.token()));
}

#[test]
fn a_wrong_token_or_unknown_application_exits_3_before_anything_is_triggered() {
    let api = happy();
    for (variable, value, message) in [
        ("NODION_API_TOKEN", "wrong-token", "Invalid API token"),
        (
            "NODION_APPLICATION_ID",
            "no-such-app",
            "Application not found",
        ),
    ] {
        let ran = Deploy::against(&api).env(variable, value).github().run();
        assert_eq!(ran.code, 3, "{variable}: {}", ran.stderr);
        ran.assert_says(message);
        assert_eq!(ran.output("result"), "error");
    }
    assert_eq!(api.count("POST", Route::Trigger), 0);
}

#[test]
fn the_token_appears_in_no_output_log_or_file() {
    let secret = "s3cr3t-T0KEN-value";
    // A success and a refusal whose body echoes the token, in plain, GitLab and GitHub mode.
    for mode in ["plain", "gitlab", "github"] {
        for refused in [false, true] {
            let api = FakeNodion::start(Options {
                token: secret.into(),
                ..Options::default()
            });
            if refused {
                api.script(
                    Route::Trigger,
                    Fault::status(401, &format!(r#"{{"errors":["key {secret} revoked"]}}"#)),
                );
            }
            let ran = Deploy::against(&api)
                .result_file()
                .env("NODION_DOTENV_FILE", "report.env")
                .on(mode)
                .run();
            assert_eq!(ran.code, if refused { 3 } else { 0 }, "{}", ran.stderr);
            let everything = ran.everything();
            let allowed = if mode == "github" { 1 } else { 0 };
            assert_eq!(
                everything.matches(secret).count(),
                allowed,
                "{mode}: only the ::add-mask:: line may hold it:\n{everything}"
            );
            if mode == "github" {
                assert!(ran.stderr.starts_with(&format!("::add-mask::{secret}\n")));
            }
        }
    }
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_API_TOKEN", &format!("{secret} x"))
        .run();
    assert_eq!(ran.code, 2);
    assert!(!ran.everything().contains("s3cr3t"));
}

#[test]
fn api_text_reaches_the_log_without_control_characters() {
    let api = happy();
    api.script(
        Route::Trigger,
        Fault::status(
            422,
            "{\"errors\":[\"bad \\u001b]0;owned\\u0007 \\u001b[31mred\"]}",
        ),
    );
    let ran = Deploy::against(&api).run();
    assert_eq!(ran.code, 3);
    ran.assert_says("bad ]0;owned [31mred");
    ran.assert_never_says("\u{1b}");
    ran.assert_never_says("\u{7}");
}

#[test]
fn help_lists_every_variable_default_output_and_exit_code() {
    let ran = Deploy::bare().arg("--help").run();
    assert_eq!(ran.code, 0);
    for input in nodion_deploy::inputs::INPUTS {
        for variable in input.variables() {
            assert!(ran.stdout.contains(&variable), "{variable}");
        }
        if let Some(default) = input.default_value() {
            assert!(
                ran.stdout.contains(&format!("default: {default})")),
                "{}",
                input.name
            );
        }
    }
    for output in nodion_deploy::outputs::OUTPUTS {
        assert!(ran.stdout.contains(output.name));
    }
    for code in ["0", "1", "2", "3", "4", "124", "130 / 143"] {
        assert!(
            ran.stdout.contains(&format!("\n  {code} ")),
            "exit code {code}"
        );
    }
}

#[test]
fn version_prints_the_name_and_version() {
    let ran = Deploy::bare().arg("--version").run();
    assert_eq!(ran.code, 0);
    assert_eq!(
        ran.stdout,
        format!("nodion-deploy {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn an_unknown_argument_is_a_usage_error_and_is_never_echoed() {
    // A token pasted in the wrong place (`nodion-deploy $TOKEN`) must not reach the log.
    for (args, secret) in [
        (&["--deploy"][..], "--deploy"),
        (&["nd_live_0123456789abcdef"], "nd_live_0123456789abcdef"),
        (
            &["--version", "nd_live_0123456789abcdef"],
            "nd_live_0123456789abcdef",
        ),
    ] {
        let mut deploy = Deploy::bare();
        for arg in args {
            deploy = deploy.arg(arg);
        }
        let ran = deploy.run();
        assert_eq!(ran.code, 2, "{args:?}");
        ran.assert_says("see --help");
        assert!(
            !ran.everything().contains(secret),
            "{args:?} echoed: {}",
            ran.stderr
        );
        assert!(ran.stdout.is_empty());
    }
}

/// The same promise checked by an independent HTTP server (mockito): the exact headers and bodies.
#[test]
fn mockito_sees_bearer_user_agent_project_and_the_tag_body() {
    use mockito::Matcher;
    let mut server = mockito::Server::new();
    let path = "/v1/applications/app-9/deployments";
    let agent = format!("nodion-deploy/{}", env!("CARGO_PKG_VERSION"));
    for (tag, body, project) in [
        (
            Some("v2.0.0"),
            Matcher::Json(serde_json::json!({"image_tag": "v2.0.0"})),
            Some("proj-1"),
        ),
        (None, Matcher::Exact("{}".into()), None),
    ] {
        let project_matcher = match project {
            Some(p) => Matcher::Exact(p.into()),
            None => Matcher::Missing,
        };
        let list = server
            .mock("GET", path)
            .match_header("authorization", "Bearer token-0001")
            .match_header("user-agent", agent.as_str())
            .match_header("accept", "application/json")
            .match_header("x-nodion-project", project_matcher.clone())
            .with_body(r#"{"deployments":[]}"#)
            .expect(1)
            .create();
        let trigger = server
            .mock("POST", path)
            .match_header("authorization", "Bearer token-0001")
            .match_header("user-agent", agent.as_str())
            .match_header("content-type", "application/json")
            .match_header("x-nodion-project", project_matcher)
            .match_body(body)
            .with_body(r#"{"deployment":{"id":"d-1","deploy_number":1,"status":"available"}}"#)
            .expect(1)
            .create();
        let mut deploy = Deploy::bare()
            .env("NODION_API_URL", &format!("{}/v1", server.url()))
            .env("NODION_API_TOKEN", "token-0001")
            .env("NODION_APPLICATION_ID", "app-9");
        if let Some(tag) = tag {
            deploy = deploy.env("NODION_IMAGE_TAG", tag);
        }
        if let Some(project) = project {
            deploy = deploy.env("NODION_PROJECT_ID", project);
        }
        let ran = deploy.run();
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        list.assert();
        trigger.assert();
        list.remove();
        trigger.remove();
    }
}
