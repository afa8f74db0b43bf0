//! The application's last log lines when a deployment fails or times out: read within the
//! deadline, sanitised, cut to size, in a group or section, and never read on success.

use std::time::Duration;

use crate::support::{Deploy, failing, fake, happy};
use fake_nodion::{Fault, Hold, Route};

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
    ran.assert_says("section_start:");
    // Said plainly: after a timeout the lines may come from the version still running.
    ran.assert_says("Last 5 log lines of app-1 (runtime logs, which may predate this deployment)");
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
    ran.assert_says("could not read the application's logs");
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
