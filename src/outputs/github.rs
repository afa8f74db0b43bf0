//! GitHub Actions: the step's outputs as `GITHUB_OUTPUT` heredocs, and the Markdown step summary.

use std::path::Path;
use std::time::Duration;

use super::{append, clean_text, values, written};
use crate::duration::{self, Precision};
use crate::ending::{EXIT_SUCCESS, Ending, Rollback};
use crate::escape;
use crate::log::Log;
use crate::model::Deployment;
use crate::problem::{Problem, refusal};
use crate::report::{Origin, Report};

/// How much of the step summary the application's log lines may take: GitHub refuses a summary
/// over 1 MiB, and the table above them matters more.
const SUMMARY_LOGS_MAX: usize = 64 * 1024;

/// Appends the outputs to `GITHUB_OUTPUT`; whether they were written (an unset `GITHUB_OUTPUT` is
/// only warned about: the runner always sets it).
pub(super) fn write(
    output: Option<&Path>,
    report: &Report,
    log: &Log,
    rng: &mut fastrand::Rng,
) -> bool {
    match output {
        Some(path) => written(
            log,
            "GITHUB_OUTPUT ",
            path,
            append(path, &github_output(report, rng)),
        ),
        None => {
            log.warn("GITHUB_OUTPUT is not set: the step's outputs are not written");
            true
        }
    }
}

/// Appends the step summary to `path` (`GITHUB_STEP_SUMMARY`), with `why` the run did not succeed.
pub(super) fn write_summary(path: &Path, report: &Report, why: Option<&str>, log: &Log) {
    let _ = written(
        log,
        "GITHUB_STEP_SUMMARY ",
        path,
        append(path, &summary(report, why)),
    );
}

/// The `GITHUB_OUTPUT` text: every output as `name<<DELIM` / value / `DELIM`, with a fresh random
/// delimiter per value that the value does not contain, so no value can end its heredoc early or
/// add an output.
pub fn github_output(report: &Report, rng: &mut fastrand::Rng) -> String {
    let mut out = String::new();
    for (spec, value) in values(report) {
        let value = clean_text(spec, &value);
        let delimiter = loop {
            let candidate = format!("ghadelimiter_{:032x}", rng.u128(..));
            if !value.contains(&candidate) {
                break candidate;
            }
        };
        out.push_str(&format!(
            "{}<<{delimiter}\n{value}\n{delimiter}\n",
            spec.name
        ));
    }
    out
}

/// The GitHub step summary: a table of what was deployed where and how it ended, the timeline of
/// status changes, and the last log lines; for a run that did not succeed, its verdict first. API
/// text is escaped so it cannot add Markdown (links, images, HTML).
pub fn github_summary(report: &Report) -> String {
    let failed = report.ending.exit_code() != EXIT_SUCCESS;
    summary(report, failed.then(|| report.verdict()).as_deref())
}

/// The step summary, with `why` the run did not succeed (its verdict) when it did not.
fn summary(report: &Report, why: Option<&str>) -> String {
    let app = escape::markdown(&report.application_id);
    let why = why
        .map(|why| format!("{}\n\n", escape::markdown(why)))
        .unwrap_or_default();
    // How it ended decides the summary's shape: a dry run that passed has nothing deployed to show.
    match &report.ending {
        Ending::DryRunPassed => {
            return format!(
                "### Nodion dry run of {app}: passed\n\n{why}The token works and the application exists; nothing was triggered.\n\n"
            );
        }
        Ending::Succeeded { .. }
        | Ending::NotWaited
        | Ending::Failed { .. }
        | Ending::TimedOut
        | Ending::NotServing { .. }
        | Ending::NoSuchHost { .. }
        | Ending::Cancelled { .. }
        | Ending::Refused(_)
        | Ending::RefusedWhileWaiting { .. }
        | Ending::Unreachable(_)
        | Ending::NotAdopted(_)
        | Ending::Invalid(_)
        | Ending::NotListed { .. }
        | Ending::Internal(_)
        | Ending::RolledBack { .. } => {}
    }
    let d = report.deployment.clone().unwrap_or_default();
    let number = d.deploy_number.map(|n| format!("#{n}"));
    let mut out = format!(
        "### Nodion deployment {}of {app}: {}\n\n{why}",
        number.as_ref().map(|n| format!("{n} ")).unwrap_or_default(),
        report.ending.result(),
    );
    if let (Some(Origin::Adopted), Some(n)) = (report.origin, d.deploy_number) {
        out.push_str(&format!(
            "Not triggered by this run: {}.\n\n",
            Origin::adopted(n)
        ));
    }
    if let Some(mismatch) = &report.mismatch {
        let warning = escape::markdown(&mismatch.warning());
        out.push_str(&format!("**Warning:** {warning}\n\n"));
    }
    out.push_str(&table(report, &d, number));
    if !report.timeline.is_empty() {
        out.push_str(&timeline(&report.timeline));
    }
    if let Ending::RolledBack { rollback, .. } = &report.ending {
        out.push_str(&rollback_section(rollback));
    }
    if !report.logs.is_empty() {
        out.push_str(&last_logs(report));
    }
    out.push('\n');
    out
}

/// The rollback as its own section: the target, its deployment, how it went, its status changes.
fn rollback_section(rollback: &Rollback) -> String {
    let target = rollback.target.as_ref().map(|t| {
        let image = escape::markdown(&t.image_reference);
        format!("#{}, {image}", t.deploy_number)
    });
    let number = rollback.deployment.as_ref().and_then(|d| d.deploy_number);
    let rows = [
        ("Target", target),
        ("Deploy number", number.map(|n| format!("#{n}"))),
        ("Result", Some(rollback.result.as_str().to_string())),
    ];
    let mut out = format!(
        "\n#### Rollback\n\n{}\n\n| | |\n|---|---|\n",
        escape::markdown(&rollback.to_string())
    );
    for (name, value) in rows {
        if let Some(value) = value {
            out.push_str(&format!("| {name} | {value} |\n"));
        }
    }
    if !rollback.timeline.is_empty() {
        out.push_str(&timeline(&rollback.timeline));
    }
    out
}

/// The table of what was deployed where and how it ended; a row with nothing to say is left out.
fn table(report: &Report, d: &Deployment, number: Option<String>) -> String {
    let (what, deployed) = what_deployed(d);
    let rows = [
        (
            "Application",
            Some(escape::markdown(&report.application_id)),
        ),
        ("Deploy number", number),
        ("Origin", report.origin.map(|o| o.as_str().to_string())),
        ("Status", d.status.as_deref().map(escape::markdown)),
        ("Result", Some(report.ending.result().to_string())),
        (what, deployed),
        (
            "Duration",
            Some(duration::text(report.elapsed, Precision::Seconds)),
        ),
        ("Verified", verified(report)),
    ];
    let mut out = String::from("| | |\n|---|---|\n");
    for (name, value) in rows {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push_str(&format!("| {name} | {value} |\n"));
        }
    }
    out
}

/// The check of `verify_url`: whether it served the new version, or that it was not checked.
fn verified(report: &Report) -> Option<String> {
    let url = escape::markdown(report.url.as_deref()?);
    Some(match report.verified {
        Some(true) => format!("yes: {url} serves the new version"),
        Some(false) => format!("no: {url} did not serve the new version"),
        None => format!("not checked ({url})"),
    })
}

/// Input problems as a step summary: nothing was sent, and what to fix, one problem a line.
pub fn github_problems_summary(problems: &[Problem]) -> String {
    let mut out = format!(
        "### Nodion deployment not started: invalid inputs\n\n{}\n\n",
        escape::markdown(&refusal(problems))
    );
    for problem in problems {
        out.push_str(&format!("- {}\n", escape::markdown(&problem.to_string())));
    }
    out.push('\n');
    out
}

/// The table row naming what was deployed: the image, or the short commit and its first line.
fn what_deployed(d: &Deployment) -> (&'static str, Option<String>) {
    match (&d.image_reference, &d.git_sha) {
        (Some(image), _) => ("Image", Some(escape::markdown(image))),
        (None, Some(sha)) => {
            // Only what a sha is made of: nothing to escape inside the code span.
            let short: String = sha
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(7)
                .collect();
            let message = d
                .commit_message
                .as_deref()
                .and_then(|m| m.lines().next())
                .map(|m| format!(" {}", escape::markdown(&escape::bounded(m, 100))))
                .unwrap_or_default();
            ("Commit", Some(format!("`{short}`{message}")))
        }
        (None, None) => ("Commit", None),
    }
}

/// The table of status changes, with the time since the start.
fn timeline(timeline: &[(Duration, String)]) -> String {
    let mut out = String::from("\n| After | Status |\n|---|---|\n");
    for (after, status) in timeline {
        out.push_str(&format!(
            "| {} | {} |\n",
            duration::text(*after, Precision::Seconds),
            escape::markdown(status)
        ));
    }
    out
}

/// The application's last log lines as an indented code block: each line is literal, and none can
/// leave the block. Lines past [`SUMMARY_LOGS_MAX`] are counted, not shown.
fn last_logs(report: &Report) -> String {
    let mut out = format!(
        "\n**Last {} log lines of {}**\n\n",
        report.logs.len(),
        escape::markdown(&report.application_id)
    );
    let mut room = SUMMARY_LOGS_MAX;
    for (shown, line) in report.logs.iter().enumerate() {
        let line = format!("    {}\n", escape::one_line(line));
        if line.len() > room {
            out.push_str(&format!(
                "\n({} more lines in the job log)\n",
                report.logs.len() - shown
            ));
            break;
        }
        room -= line.len();
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ApiError;
    use crate::ending::{Ending, Refused};
    use crate::outputs::OUTPUTS;
    use crate::outputs::fixture::report;

    #[test]
    fn every_github_delimiter_is_fresh() {
        let text = github_output(&report(), &mut fastrand::Rng::with_seed(9));
        let delimiters: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once("<<").map(|(_, d)| d))
            .collect();
        let mut unique = delimiters.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), OUTPUTS.len());
    }

    #[test]
    fn the_step_summary_is_a_table_and_a_timeline() {
        let summary = github_summary(&report());
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(lines[0], "### Nodion deployment #3 of app\\-1: success");
        assert!(lines.contains(&"| Deploy number | #3 |"));
        assert!(lines.contains(&"| Status | available |"));
        assert!(lines.contains(&"| Result | success |"));
        assert!(lines.contains(&"| Commit | `d77ead8` Fix it |"));
        assert!(lines.contains(&"| Duration | 42s |"));
        let verified = lines.iter().find(|l| l.starts_with("| Verified | yes: "));
        assert!(
            verified.is_some_and(|l| l.contains("example\\.com\\/health serves the new version")),
            "{summary}"
        );
        assert!(lines.contains(&"| 40s | available |"));
        // Every table row has the same number of (unescaped) cell borders as its header.
        let borders = |line: &str| line.replace("\\|", "").matches('|').count();
        for table in summary.split("\n\n").filter(|b| b.starts_with('|')) {
            let counts: Vec<usize> = table.lines().map(borders).collect();
            assert!(counts.iter().all(|c| *c == 3), "{table}");
        }
    }

    #[test]
    fn a_refusal_before_any_deployment_says_why_and_shows_no_empty_row() {
        let mut r = report();
        (r.deployment, r.origin) = (None, None);
        r.timeline.clear();
        // No verify_url: with one, a row would say it was not checked.
        (r.url, r.verified) = (None, None);
        r.ending = Ending::Refused(Refused {
            doing: "trigger a deployment",
            application: "app-1".into(),
            error: ApiError::Refused {
                status: 401,
                message: "Invalid API token".into(),
            },
            check: String::new(),
        });
        let summary = github_summary(&r);
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(lines[0], "### Nodion deployment of app\\-1: error");
        assert_eq!(
            lines[2],
            "error after 42s\\: the API refused to trigger a deployment for application app\\-1 \\(HTTP 401\\: Invalid API token\\)"
        );
        let rows: Vec<&str> = lines
            .iter()
            .filter(|l| l.starts_with("| "))
            .copied()
            .collect();
        assert_eq!(
            rows,
            [
                "| | |",
                "| Application | app\\-1 |",
                "| Result | error |",
                "| Duration | 42s |"
            ]
        );
    }

    #[test]
    fn a_mismatch_is_a_warning_line_above_the_table() {
        let mut r = report();
        r.mismatch = Some(crate::deployed::Mismatch::Commit {
            deployed: "0123456".into(),
            ours: "d77ead8".into(),
        });
        let summary = github_summary(&r);
        assert_eq!(
            summary.lines().nth(2),
            Some(
                "**Warning:** Nodion deployed commit 0123456\\, not this pipeline\\'s d77ead8\\: it deploys the head of the application\\'s connected branch\\, not the commit a pipeline runs for"
            ),
            "{summary}"
        );
        assert_eq!(summary.lines().nth(4), Some("| | |"), "{summary}");
    }

    #[test]
    fn a_success_summary_has_no_verdict_line() {
        let summary = github_summary(&report());
        assert_eq!(summary.lines().nth(2), Some("| | |"), "{summary}");
    }

    #[test]
    fn the_problems_summary_lists_each_problem_escaped() {
        let problems = [
            Problem {
                variable: "NODION_TIMEOUT".into(),
                message: "'soon' is not a duration".into(),
            },
            Problem {
                variable: "GITHUB_OUTPUT".into(),
                message: "cannot write [x](y)".into(),
            },
        ];
        let summary = github_problems_summary(&problems);
        let lines: Vec<&str> = summary.lines().collect();
        assert_eq!(
            lines,
            [
                "### Nodion deployment not started: invalid inputs",
                "",
                "invalid inputs \\(NODION\\_TIMEOUT\\, GITHUB\\_OUTPUT\\)\\; nothing was sent",
                "",
                "- NODION\\_TIMEOUT\\: \\'soon\\' is not a duration",
                "- GITHUB\\_OUTPUT\\: cannot write \\[x\\]\\(y\\)",
                "",
            ]
        );
    }

    #[test]
    fn a_dry_run_summary_says_nothing_was_deployed() {
        let mut r = report();
        r.ending = Ending::DryRunPassed;
        r.deployment = None;
        let summary = github_summary(&r);
        assert!(
            summary.starts_with("### Nodion dry run of app\\-1: passed"),
            "{summary}"
        );
        assert!(summary.contains("nothing was triggered"));
    }

    #[test]
    fn the_step_summary_escapes_api_text() {
        let mut r = report();
        let d = r.deployment.as_mut().unwrap();
        d.status = Some("x | y ![img](http://e/x.png) <b>".into());
        let summary = github_summary(&r);
        let status = summary
            .lines()
            .find(|l| l.starts_with("| Status |"))
            .unwrap();
        assert_eq!(
            status.replace("\\|", "").matches('|').count(),
            3,
            "{status}"
        );
        assert!(
            !status.contains("![") && !status.contains("<b>"),
            "{status}"
        );
    }
}
