//! GitHub Actions: the step's outputs as `GITHUB_OUTPUT` heredocs, and the Markdown step summary.

use std::path::Path;
use std::time::Duration;

use humantime::FormattedDuration;

use super::{append, as_text, values, warn_unless_written};
use crate::escape;
use crate::log::Log;
use crate::model::Deployment;
use crate::report::{Outcome, Report};

/// How much of the step summary the application's log lines may take: GitHub refuses a summary
/// over 1 MiB, and the table above them matters more.
const SUMMARY_LOGS_MAX: usize = 64 * 1024;

/// Appends the outputs to `GITHUB_OUTPUT` and the summary to `GITHUB_STEP_SUMMARY`, where set.
pub(super) fn write(
    output: Option<&Path>,
    summary: Option<&Path>,
    report: &Report,
    log: &Log,
    rng: &mut fastrand::Rng,
) {
    match output {
        Some(path) => {
            let written = append(path, &github_output(report, rng));
            warn_unless_written(log, "GITHUB_OUTPUT ", path, written);
        }
        None => log.warn("GITHUB_OUTPUT is not set: the step's outputs are not written"),
    }
    if let Some(path) = summary {
        let written = append(path, &github_summary(report));
        warn_unless_written(log, "GITHUB_STEP_SUMMARY ", path, written);
    }
}

/// The `GITHUB_OUTPUT` text: every output as `name<<DELIM` / value / `DELIM`, with a fresh random
/// delimiter per value that the value does not contain, so no value can end its heredoc early or
/// add an output.
pub fn github_output(report: &Report, rng: &mut fastrand::Rng) -> String {
    let mut out = String::new();
    for (spec, value) in values(report) {
        let value = if spec.name == "commit_message" {
            escape::multi_line(&as_text(&value))
        } else {
            escape::one_line(&as_text(&value))
        };
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
/// status changes, and the last log lines. API text is escaped so it cannot add Markdown (links,
/// images, HTML).
pub fn github_summary(report: &Report) -> String {
    if report.outcome == Outcome::DryRunPassed {
        return format!(
            "### Nodion dry run of {}: passed\n\nThe token works and the application exists; nothing was triggered.\n\n",
            escape::markdown(&report.application_id)
        );
    }
    let mut out = table(report);
    if !report.timeline.is_empty() {
        out.push_str(&timeline(&report.timeline));
    }
    if !report.logs.is_empty() {
        out.push_str(&last_logs(report));
    }
    out.push('\n');
    out
}

/// The heading and the table of what was deployed where and how it ended.
fn table(report: &Report) -> String {
    let d = report.deployment.clone().unwrap_or_default();
    let number = d
        .deploy_number
        .map(|n| format!("#{n}"))
        .unwrap_or_else(|| "—".into());
    let (what, deployed) = what_deployed(&d);
    format!(
        "### Nodion deployment {number} of {}: {}\n\n\
         | | |\n\
         |---|---|\n\
         | Application | {} |\n\
         | Deploy number | {number} |\n\
         | Status | {} |\n\
         | Result | {} |\n\
         | {what} | {deployed} |\n\
         | Duration | {} |\n",
        escape::markdown(&report.application_id),
        report.outcome.result(),
        escape::markdown(&report.application_id),
        d.status
            .as_deref()
            .map(escape::markdown)
            .unwrap_or_default(),
        report.outcome.result(),
        whole_seconds(report.elapsed),
    )
}

/// The table row naming what was deployed: the image, or the short commit and its first line.
fn what_deployed(d: &Deployment) -> (&'static str, String) {
    match (&d.image_reference, &d.git_sha) {
        (Some(image), _) => ("Image", escape::markdown(image)),
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
            ("Commit", format!("`{short}`{message}"))
        }
        (None, None) => ("Commit", String::new()),
    }
}

/// The table of status changes, with the time since the start.
fn timeline(timeline: &[(Duration, String)]) -> String {
    let mut out = String::from("\n| After | Status |\n|---|---|\n");
    for (after, status) in timeline {
        out.push_str(&format!(
            "| {} | {} |\n",
            whole_seconds(*after),
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

/// A duration in whole seconds, as humans read it (`1m 40s`).
fn whole_seconds(duration: Duration) -> FormattedDuration {
    humantime::format_duration(Duration::from_secs(duration.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert!(lines.contains(&"| 40s | available |"));
        // Every table row has the same number of (unescaped) cell borders as its header.
        let borders = |line: &str| line.replace("\\|", "").matches('|').count();
        for table in summary.split("\n\n").filter(|b| b.starts_with('|')) {
            let counts: Vec<usize> = table.lines().map(borders).collect();
            assert!(counts.iter().all(|c| *c == 3), "{table}");
        }
    }

    #[test]
    fn a_dry_run_summary_says_nothing_was_deployed() {
        let mut r = report();
        r.outcome = Outcome::DryRunPassed;
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
