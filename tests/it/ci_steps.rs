//! `.ci/run` is a list of named steps: CONTRIBUTING lists the same steps in the same order, and the
//! CI workflow runs each of them as its own step.

use std::process::Command;

const CONTRIBUTING: &str = include_str!("../../CONTRIBUTING.md");
const WORKFLOW: &str = include_str!("../../.github/workflows/ci.yml");

/// The names `bash .ci/run --list` prints, in its order (it installs, builds and starts nothing).
fn listed_steps() -> Vec<String> {
    let ran = Command::new("bash")
        .args([".ci/run", "--list"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8(ran.stdout).expect("UTF-8");
    assert!(
        ran.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&ran.stderr)
    );
    stdout
        .lines()
        .map(|line| line.split_whitespace().next().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn contributing_lists_the_steps_ci_run_lists() {
    let section = CONTRIBUTING
        .split("## Checking a change")
        .nth(1)
        .and_then(|s| s.split("\n#").next())
        .expect("CONTRIBUTING has a Checking a change section");
    let documented: Vec<&str> = section
        .lines()
        .filter_map(|line| line.strip_prefix("- `"))
        .filter_map(|rest| rest.split_once("`:").map(|(name, _)| name))
        .collect();
    let listed = listed_steps();
    assert!(!listed.is_empty(), "bash .ci/run --list printed no step");
    assert_eq!(
        documented, listed,
        "CONTRIBUTING's steps vs bash .ci/run --list"
    );
}

#[test]
fn the_ci_workflow_runs_every_step_as_its_own() {
    for step in listed_steps() {
        assert!(
            WORKFLOW.contains(&format!("run: bash .ci/run {step}\n")),
            ".github/workflows/ci.yml has no step running `bash .ci/run {step}`"
        );
    }
}
