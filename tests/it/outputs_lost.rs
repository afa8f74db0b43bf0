//! Outputs lost at the end: a run that would have exited 0 but could not write all its outputs
//! exits 5, and says so once (the annotation, the summary and the JSON result).

use crate::support::{Deploy, annotations, happy, last_line};
use fake_nodion::Route;

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
    ran.assert_says("warning: cannot write result_file /dev/full: No space left on device");
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
