//! Beyond the deploy step itself: dry runs, the application's logs on failure, and native outputs
//! for Azure Pipelines, CircleCI and Bitbucket Pipelines.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use crate::support::{Deploy, fake, happy};
use fake_nodion::{Fault, Hold, Route};

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
    assert!(
        ran.stderr.contains("\"demo-app\""),
        "the application's name: {}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("Latest deployment: #2, status failed, created at "),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("dry run passed"), "{}", ran.stderr);
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
        assert!(ran.stderr.contains(message), "{}", ran.stderr);
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
    assert!(!ran.stderr.contains("dry run passed"), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("image_tag v2.0.0 is set, but app-1 deploys with strategy dockerfile"),
        "{}",
        ran.stderr
    );
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
    assert!(
        ran.stderr
            .contains("deploy_number 99 is not listed (the newest is #2)"),
        "{}",
        ran.stderr
    );
}

fn failing() -> fake_nodion::FakeNodion {
    let api = fake(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)]);
    api.set_log_messages(vec![
        "starting server".into(),
        "listening on :8080".into(),
        "\u{1b}[31mpanic: database unreachable\u{1b}[0m ::error::forged ##[set-output x]".into(),
    ]);
    api
}

#[test]
fn a_failed_deployment_shows_the_applications_last_log_lines() {
    let api = failing();
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let logs = api
        .requests()
        .into_iter()
        .find(|r| r.route == Route::Logs)
        .expect("the logs were read");
    assert_eq!(logs.query, "limit=50");
    // In a collapsed group, sanitised.
    let group = ran
        .stderr
        .split("::group::── Last 3 log lines of app-1 (runtime logs) ──\n")
        .nth(1)
        .expect("a group of log lines")
        .split("::endgroup::")
        .next()
        .unwrap();
    assert!(group.contains("starting server"));
    assert!(group.contains("── end of app-1's log lines ──"), "{group}");
    assert!(group.contains("panic: database unreachable"));
    assert!(!group.contains('\u{1b}'));
    for line in group.lines() {
        assert!(
            !line.trim_start().starts_with("::") && !line.contains("##["),
            "{line}"
        );
    }
    // And in the step summary, as literal lines.
    let summary = ran.summary();
    assert!(
        summary.contains("**Last 3 log lines of app\\-1**"),
        "{summary}"
    );
    assert!(
        summary.contains("    ") && summary.contains("listening on :8080"),
        "{summary}"
    );
    assert!(!summary.contains('\u{1b}'));
}

#[test]
fn a_timeout_shows_the_logs_too_and_failure_logs_0_turns_them_off() {
    let api = fake(&[("deploying", Hold::Forever)]);
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "1s")
        .env("NODION_FAILURE_LOGS", "5")
        .gitlab()
        .run();
    assert_eq!(ran.code, 124, "{}", ran.stderr);
    assert!(ran.stderr.contains("section_start:"), "{}", ran.stderr);
    assert!(
        // Said plainly: after a timeout the lines may come from the version still running.
        ran.stderr.contains(
            "Last 5 log lines of app-1 (runtime logs, which may predate this deployment)"
        ),
        "{}",
        ran.stderr
    );
    assert_eq!(
        api.requests()
            .iter()
            .find(|r| r.route == Route::Logs)
            .map(|r| r.query.clone()),
        Some("limit=5".into())
    );

    let api = failing();
    let ran = Deploy::against(&api).env("NODION_FAILURE_LOGS", "0").run();
    assert_eq!(ran.code, 1);
    assert_eq!(api.count("GET", Route::Logs), 0);
}

#[test]
fn a_500_from_the_logs_changes_neither_outcome_nor_exit_code() {
    let api = failing();
    api.script(Route::Logs, Fault::status(500, "oops"));
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "failure");
    let warnings: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.contains("could not read the application's logs"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", ran.stderr);
}

#[test]
fn a_success_reads_no_logs() {
    let api = happy();
    let ran = Deploy::against(&api).run();
    assert_eq!(ran.code, 0);
    assert_eq!(api.count("GET", Route::Logs), 0);
}

/// Azure's rule: a line holding `##vso[` is a logging command, wherever it stands.
pub(crate) fn vso_commands(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.to_ascii_lowercase().contains("##vso["))
        .collect()
}

#[test]
fn azure_pipelines_gets_every_output_as_an_output_variable() {
    let api = failing();
    let ran = Deploy::against(&api).env("TF_BUILD", "True").run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let commands = vso_commands(&ran.stderr);
    assert!(
        commands.contains(&"##vso[task.setvariable variable=deploy_number;isOutput=true]3"),
        "{commands:?}"
    );
    assert!(commands.contains(&"##vso[task.setvariable variable=result;isOutput=true]failure"));
    for output in nodion_deploy::outputs::OUTPUTS {
        let prefix = format!(
            "##vso[task.setvariable variable={};isOutput=true]",
            output.name
        );
        assert_eq!(
            commands.iter().filter(|c| c.starts_with(&prefix)).count(),
            1,
            "{}",
            output.name
        );
    }
    let issues: Vec<&&str> = commands
        .iter()
        .filter(|c| c.starts_with("##vso[task.logissue type=error]"))
        .collect();
    assert_eq!(issues.len(), 1, "{commands:?}");
    assert!(ran.stderr.contains("##[group]Waiting for deployment #3"));
    assert!(ran.stderr.contains("##[endgroup]"));
}

#[test]
fn azure_values_cannot_close_or_forge_a_command() {
    let hostile = "fix x]\n##vso[task.setvariable variable=result;isOutput=true]success;%\n##VSO[task.complete]";
    let api = fake_nodion::FakeNodion::start(fake_nodion::Options {
        commit_message: hostile.into(),
        ..fake_nodion::Options::default()
    });
    let ran = Deploy::against(&api)
        .env("TF_BUILD", "true")
        .env("NODION_RESULT_FILE", "-")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // Only our own commands: one per output, nothing from the commit message, on either stream.
    let printed = format!("{}\n{}", ran.stdout, ran.stderr);
    let commands = vso_commands(&printed);
    assert_eq!(
        commands.len(),
        nodion_deploy::outputs::OUTPUTS.len(),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .all(|c| c.starts_with("##vso[task.setvariable variable="))
    );
    let message = commands
        .iter()
        .find(|c| c.contains("variable=commit_message;"))
        .unwrap();
    assert_eq!(
        *message,
        "##vso[task.setvariable variable=commit_message;isOutput=true]fix x] ## vso[task.setvariable variable=result;isOutput=true]success;%AZP25 ## VSO[task.complete]"
    );
    let json: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(json["commit_message"], hostile);
}

/// What `$BASH_ENV` sets when bash sources it.
pub(crate) fn sourced(path: &std::path::Path) -> HashMap<String, String> {
    let script = format!(
        "source '{}' && env -0",
        path.display().to_string().replace('\'', "'\\''")
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env_clear()
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            let (k, v) = kv.split_once('=')?;
            k.starts_with("NODION_")
                .then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

#[test]
fn circleci_exports_every_output_to_later_steps_through_bash_env() {
    let api = fake_nodion::FakeNodion::start(fake_nodion::Options {
        commit_message: "it's \"quoted\"\n$(touch /tmp/pwned) `x`".into(),
        ..fake_nodion::Options::default()
    });
    let deploy = Deploy::against(&api).env("CIRCLECI", "true");
    let bash_env = deploy_dir_file(&deploy, "bash_env");
    std::fs::write(&bash_env, "export EARLIER=1\n").unwrap();
    let ran = deploy.env("BASH_ENV", bash_env.to_str().unwrap()).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let text = std::fs::read_to_string(&bash_env).unwrap();
    assert!(
        text.starts_with("export EARLIER=1\n"),
        "appended, not replaced"
    );
    let vars = sourced(&bash_env);
    assert_eq!(vars["NODION_RESULT"], "success");
    assert_eq!(vars["NODION_DEPLOYMENT_NUMBER"], "1");
    assert_eq!(vars["NODION_DEPLOY_STATUS"], "available");
    assert_eq!(
        vars["NODION_COMMIT_MESSAGE"],
        "it's \"quoted\"\n$(touch /tmp/pwned) `x`"
    );
    assert_eq!(
        vars.len(),
        nodion_deploy::outputs::OUTPUTS.len(),
        "{vars:?}"
    );
}

fn deploy_dir_file(deploy: &Deploy, name: &str) -> std::path::PathBuf {
    deploy.dir().join(name)
}

#[test]
fn bitbucket_writes_the_dotenv_and_json_reports_to_the_pipes_storage_dir() {
    let api = happy();
    let deploy = Deploy::against(&api).env("BITBUCKET_BUILD_NUMBER", "7");
    let storage = deploy.dir().join("pipe-storage");
    std::fs::create_dir_all(&storage).unwrap();
    let ran = deploy
        .env("BITBUCKET_PIPE_STORAGE_DIR", storage.to_str().unwrap())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let dotenv = std::fs::read_to_string(storage.join("nodion-deploy.env")).unwrap();
    assert!(
        dotenv.lines().any(|l| l == "NODION_RESULT=success"),
        "{dotenv}"
    );
    assert!(
        dotenv.lines().any(|l| l == "NODION_DEPLOYMENT_NUMBER=3"),
        "{dotenv}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(storage.join("nodion-deploy.json")).unwrap())
            .unwrap();
    assert_eq!(json["deploy_number"], 3);
    assert_eq!(json["result"], "success");
}

#[test]
fn bitbucket_gets_a_shell_safe_exports_file_to_source() {
    let api = fake_nodion::FakeNodion::start(fake_nodion::Options {
        commit_message: "x; touch /tmp/nodion-pwned $(id)".into(),
        ..fake_nodion::Options::default()
    });
    let ran = Deploy::against(&api)
        .env("BITBUCKET_BUILD_NUMBER", "7")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let vars = sourced(&ran.dir.join("nodion-deploy.sh"));
    assert_eq!(vars["NODION_RESULT"], "success");
    assert_eq!(
        vars["NODION_COMMIT_MESSAGE"],
        "x; touch /tmp/nodion-pwned $(id)"
    );
}

#[test]
fn bitbucket_without_a_pipe_writes_the_reports_in_the_clone() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("BITBUCKET_BUILD_NUMBER", "7")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.has_file("nodion-deploy.env"));
    assert!(ran.has_file("nodion-deploy.json"));
}

#[test]
fn runaway_log_lines_are_cut_and_the_summary_stays_small() {
    let api = fake(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)]);
    api.set_log_messages(vec!["x".repeat(100_000); 50]);
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.stderr.lines().all(|l| l.chars().count() <= 600));
    assert!(
        ran.stderr.len() < 64 * 1024,
        "{} bytes of log",
        ran.stderr.len()
    );
    let summary = ran.summary();
    assert!(
        summary.len() <= 70 * 1024,
        "{} bytes of summary",
        summary.len()
    );
    assert!(summary.contains("| Result | failure |"));
}

/// The application's logs after a timeout are read within the timeout, however slowly they come.
#[test]
fn the_logs_after_a_timeout_are_read_within_the_timeout() {
    let api = fake(&[("deploying", Hold::Forever)]);
    api.script(
        Route::Logs,
        Fault::Stall {
            for_: Duration::from_secs(20),
            create_first: false,
        },
    );
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_REQUEST_TIMEOUT", "30s")
        .env("NODION_FAILURE_LOGS", "5")
        .run();
    assert_eq!(ran.code, 124, "{}", ran.stderr);
    assert!(
        ran.took < Duration::from_millis(2800),
        "took {:?}",
        ran.took
    );
    assert!(
        ran.stderr.contains("could not read the application's logs"),
        "{}",
        ran.stderr
    );
}

/// In a plain log the application's lines are headed and closed, and the verdict comes last.
#[test]
fn in_a_plain_log_the_application_logs_are_headed_and_the_verdict_is_last() {
    let api = failing();
    let ran = Deploy::against(&api).run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let lines: Vec<&str> = ran.stderr.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.starts_with("── Last 3 log lines of app-1 (runtime logs) ──"))
        .expect("a heading");
    let end = lines
        .iter()
        .position(|l| *l == "── end of app-1's log lines ──")
        .expect("an end");
    assert_eq!(end - head, 4, "three lines between: {}", ran.stderr);
    let last = lines.last().copied().unwrap_or_default();
    assert!(
        last.starts_with(
            "nodion-deploy: failure: deployment #3 of app-1 ended with status failed after "
        ),
        "{}",
        ran.stderr
    );
}
