//! The job's outputs (SPEC §5) and the three ways they are written: GitHub's `GITHUB_OUTPUT`
//! heredocs, GitLab's dotenv report, and the JSON `result_file`.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::inputs::{ResultFile, Settings};
use crate::log::Log;
use crate::model::Deployment;
use crate::outcome::Outcome;
use crate::platform::Platform;
use crate::random::Random;
use crate::sanitize;

/// One output: its name, its dotenv key (if it has one) and what it means.
pub struct OutputSpec {
    /// The output's name (GitHub, JSON).
    pub name: &'static str,
    /// Its key in the dotenv report; `None` keeps it out (multi-line values).
    pub dotenv: Option<&'static str>,
    /// What it holds.
    pub help: &'static str,
}

/// Every output, in order.
pub const OUTPUTS: &[OutputSpec] = &[
    OutputSpec {
        name: "result",
        dotenv: Some("NODION_RESULT"),
        help: "success, failure, timeout, cancelled, triggered or error",
    },
    OutputSpec {
        name: "deployment_id",
        dotenv: Some("NODION_DEPLOYMENT_ID"),
        help: "the deployment's id",
    },
    OutputSpec {
        name: "deploy_number",
        dotenv: Some("NODION_DEPLOY_NUMBER"),
        help: "the deployment's number within the application",
    },
    OutputSpec {
        name: "status",
        dotenv: Some("NODION_DEPLOY_STATUS"),
        help: "the last status seen (empty if none)",
    },
    OutputSpec {
        name: "git_sha",
        dotenv: Some("NODION_GIT_SHA"),
        help: "the commit deployed (empty for image apps)",
    },
    OutputSpec {
        name: "image_reference",
        dotenv: Some("NODION_IMAGE_REFERENCE"),
        help: "the image deployed (empty for git apps)",
    },
    OutputSpec {
        name: "strategy",
        dotenv: Some("NODION_STRATEGY"),
        help: "dockerfile, prebuilt_image, …",
    },
    OutputSpec {
        name: "created_at",
        dotenv: Some("NODION_CREATED_AT"),
        help: "when the deployment was created",
    },
    OutputSpec {
        name: "commit_message",
        dotenv: None,
        help: "the commit message (may span lines; not in the dotenv report)",
    },
    OutputSpec {
        name: "elapsed_seconds",
        dotenv: Some("NODION_ELAPSED_SECONDS"),
        help: "whole seconds since the start",
    },
];

/// How much of the step summary the application's log lines may take: GitHub refuses a summary
/// over 1 MiB, and the table above them matters more.
const SUMMARY_LOGS_MAX: usize = 64 * 1024;

/// The longest value a dotenv line carries, in bytes: nine keys stay well under GitLab's 5 KB.
const DOTENV_VALUE_MAX: usize = 400;

/// What the run ended with, to be written out.
#[derive(Clone, Debug)]
pub struct Report {
    /// How it ended.
    pub outcome: Outcome,
    /// The application deployed.
    pub application_id: String,
    /// Our deployment as last seen, if one became ours.
    pub deployment: Option<Deployment>,
    /// Its status changes, with the time since the start.
    pub timeline: Vec<(Duration, String)>,
    /// The application's last log lines, shown after a failure or timeout (sanitised).
    pub logs: Vec<String>,
    /// Time since the start.
    pub elapsed: Duration,
}

impl Report {
    /// The report with `secret` replaced by `***` in everything the API sent.
    pub fn redacted(&self, secret: &str) -> Report {
        // An empty pattern would match between every character.
        if secret.is_empty() {
            return self.clone();
        }
        let clean = |s: &str| s.replace(secret, "***");
        Report {
            deployment: self.deployment.as_ref().map(|d| d.redacted(secret)),
            timeline: self.timeline.iter().map(|(t, s)| (*t, clean(s))).collect(),
            logs: self.logs.iter().map(|line| clean(line)).collect(),
            ..self.clone()
        }
    }

    /// The value of each output in [`OUTPUTS`] order: text, a number, or null when absent.
    pub fn values(&self) -> Vec<(&'static OutputSpec, Value)> {
        let d = self.deployment.clone().unwrap_or_default();
        let text = |v: Option<String>| v.map(Value::String).unwrap_or(Value::Null);
        OUTPUTS
            .iter()
            .map(|spec| {
                let value = match spec.name {
                    "result" => Value::String(self.outcome.result().into()),
                    "deployment_id" => text(d.id.clone()),
                    "deploy_number" => d.deploy_number.map(Value::from).unwrap_or(Value::Null),
                    "status" => text(d.status.clone()),
                    "git_sha" => text(d.git_sha.clone()),
                    "image_reference" => text(d.image_reference.clone()),
                    "strategy" => text(d.strategy.clone()),
                    "created_at" => text(d.created_at.clone()),
                    "commit_message" => text(d.commit_message.clone()),
                    "elapsed_seconds" => Value::from(self.elapsed.as_secs()),
                    other => unreachable!("output {other} has no value"),
                };
                (spec, value)
            })
            .collect()
    }

    /// The JSON result: every output, the exit code and the application id.
    pub fn json(&self) -> Value {
        let mut map = Map::new();
        for (spec, value) in self.values() {
            let value = match value {
                Value::String(s) if spec.name == "commit_message" => {
                    Value::String(sanitize::multi_line(&s))
                }
                Value::String(s) => Value::String(sanitize::one_line(&s)),
                other => other,
            };
            map.insert(spec.name.into(), value);
        }
        map.insert("exit_code".into(), Value::from(self.outcome.exit_code()));
        map.insert(
            "application_id".into(),
            Value::String(self.application_id.clone()),
        );
        Value::Object(map)
    }

    /// [`Report::json`] as one line of text that no CI can take for a command, even on standard
    /// output: a `[` after `##` or `##vso` is written `\u005b` (the same text once decoded).
    pub fn json_text(&self) -> String {
        sanitize::json_inert(&self.json().to_string())
    }
}

/// A value as text: empty when absent.
fn as_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `GITHUB_OUTPUT` text: every output as `name<<DELIM` / value / `DELIM`, with a fresh random
/// delimiter per value that the value does not contain, so no value can end its heredoc early or
/// add an output.
pub fn github_output(report: &Report, random: &mut Random) -> String {
    let mut out = String::new();
    for (spec, value) in report.values() {
        let value = if spec.name == "commit_message" {
            sanitize::multi_line(&as_text(&value))
        } else {
            sanitize::one_line(&as_text(&value))
        };
        let delimiter = loop {
            let candidate = format!("ghadelimiter_{}", random.hex(16));
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

/// The dotenv report: `KEY=value` per line, values on one line without control characters,
/// bounded so the file stays under GitLab's 5 KB; no blank lines, no comments.
pub fn dotenv(report: &Report) -> String {
    let mut out = String::new();
    for (spec, value) in report.values() {
        if let Some(key) = spec.dotenv {
            let value =
                sanitize::bounded_bytes(&sanitize::one_line(&as_text(&value)), DOTENV_VALUE_MAX);
            out.push_str(&format!("{key}={value}\n"));
        }
    }
    out
}

/// The GitHub step summary: a table of what was deployed where and how it ended, and the timeline
/// of status changes. API text is escaped so it cannot add Markdown (links, images, HTML).
pub fn github_summary(report: &Report) -> String {
    if report.outcome == Outcome::DryRunPassed {
        return format!(
            "### Nodion dry run of {}: passed\n\nThe token works and the application exists; nothing was triggered.\n\n",
            sanitize::markdown(&report.application_id)
        );
    }
    let d = report.deployment.clone().unwrap_or_default();
    let md = |v: &Option<String>| v.as_deref().map(sanitize::markdown).unwrap_or_default();
    let what = match (&d.image_reference, &d.git_sha) {
        (Some(image), _) => ("Image", md(&Some(image.clone()))),
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
                .map(|m| format!(" {}", sanitize::markdown(&sanitize::bounded(m, 100))))
                .unwrap_or_default();
            ("Commit", format!("`{short}`{message}"))
        }
        (None, None) => ("Commit", String::new()),
    };
    let number = d
        .deploy_number
        .map(|n| format!("#{n}"))
        .unwrap_or_else(|| "—".into());
    let mut out = format!(
        "### Nodion deployment {number} of {}: {}\n\n\
         | | |\n\
         |---|---|\n\
         | Application | {} |\n\
         | Deploy number | {number} |\n\
         | Status | {} |\n\
         | Result | {} |\n\
         | {} | {} |\n\
         | Duration | {} |\n",
        sanitize::markdown(&report.application_id),
        report.outcome.result(),
        sanitize::markdown(&report.application_id),
        md(&d.status),
        report.outcome.result(),
        what.0,
        what.1,
        humantime::format_duration(Duration::from_secs(report.elapsed.as_secs())),
    );
    if !report.timeline.is_empty() {
        out.push_str("\n| After | Status |\n|---|---|\n");
        for (after, status) in &report.timeline {
            out.push_str(&format!(
                "| {} | {} |\n",
                humantime::format_duration(Duration::from_secs(after.as_secs())),
                sanitize::markdown(status)
            ));
        }
    }
    if !report.logs.is_empty() {
        // An indented code block: each line is literal, and none can leave the block.
        out.push_str(&format!(
            "\n**Last {} log lines of {}**\n\n",
            report.logs.len(),
            sanitize::markdown(&report.application_id)
        ));
        let mut room = SUMMARY_LOGS_MAX;
        for (shown, line) in report.logs.iter().enumerate() {
            let line = format!("    {}\n", sanitize::one_line(line));
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
    }
    out.push('\n');
    out
}

/// Azure Pipelines output variables: one `##vso[task.setvariable variable=NAME;isOutput=true]VALUE`
/// per output, the value on one line and escaped by the agent's rules, so it cannot end the
/// command or start another.
pub fn azure_variables(report: &Report) -> Vec<String> {
    report
        .values()
        .into_iter()
        .map(|(spec, value)| {
            format!(
                "##vso[task.setvariable variable={};isOutput=true]{}",
                crate::log::azure_property(spec.name),
                crate::log::azure_data(&sanitize::azure_inert(&sanitize::one_line(&as_text(
                    &value
                ))))
            )
        })
        .collect()
}

/// The variable an output is exported as to shells (CircleCI's `$BASH_ENV`).
fn shell_name(spec: &OutputSpec) -> String {
    spec.dotenv
        .map(str::to_string)
        .unwrap_or_else(|| format!("NODION_{}", spec.name.to_ascii_uppercase()))
}

/// Lines for CircleCI's `$BASH_ENV`, which later steps source: `export NODION_…='…'` for every
/// output, single-quoted so no value can run as shell code or set another variable.
pub fn bash_exports(report: &Report) -> String {
    let mut out = String::new();
    for (spec, value) in report.values() {
        let text = if spec.name == "commit_message" {
            sanitize::multi_line(&as_text(&value))
        } else {
            sanitize::one_line(&as_text(&value))
        };
        out.push_str(&format!(
            "export {}='{}'\n",
            shell_name(spec),
            text.replace('\'', "'\\''")
        ));
    }
    out
}

/// Appends `text` to the file at `path` (GitHub's file commands are appended to, never replaced).
pub fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())
}

/// Reads a `GITHUB_OUTPUT` file the way the Actions runner does: a line is `name=value` when `=`
/// comes before any `<<`, otherwise `name<<DELIM` starts a heredoc that ends at the first line equal
/// to `DELIM`. Used by tests and available to anyone checking what the runner will see.
pub fn read_github_output(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut outputs = Vec::new();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                outputs.push((line[..e].to_string(), line[e + 1..].to_string()));
            }
            (_, Some(h)) => {
                let name = &line[..h];
                let delimiter = &line[h + 2..];
                if name.is_empty() || delimiter.is_empty() {
                    return Err(format!("invalid heredoc line: {line:?}"));
                }
                let mut value: Vec<&str> = Vec::new();
                loop {
                    match lines.next() {
                        Some(l) if l == delimiter => break,
                        Some(l) => value.push(l),
                        None => return Err(format!("heredoc {delimiter} never ends")),
                    }
                }
                outputs.push((name.to_string(), value.join("\n")));
            }
            _ => return Err(format!("invalid line: {line:?}")),
        }
    }
    Ok(outputs)
}

/// Under Bitbucket, the outputs as shell-quoted `export` lines, safe to source in later steps.
pub const BITBUCKET_EXPORTS: &str = "nodion-deploy.sh";

/// Writes the outputs everywhere they are wanted; a file that cannot be written is a warning.
pub fn write_everywhere(settings: &Settings, report: &Report, log: &Log, random: &mut Random) {
    if let Platform::GitHub { output, summary } = &settings.platform {
        match output {
            Some(path) => {
                if let Err(e) = append(path, &github_output(report, random)) {
                    log.warn(&format!(
                        "cannot write GITHUB_OUTPUT {}: {e}",
                        path.display()
                    ));
                }
            }
            None => log.warn("GITHUB_OUTPUT is not set: the step's outputs are not written"),
        }
        if let Some(path) = summary
            && let Err(e) = append(path, &github_summary(report))
        {
            log.warn(&format!(
                "cannot write GITHUB_STEP_SUMMARY {}: {e}",
                path.display()
            ));
        }
    }
    match &settings.platform {
        Platform::Azure => {
            for line in azure_variables(report) {
                log.command(&line);
            }
        }
        Platform::Bitbucket { storage } => {
            // Bitbucket users source files between steps; the dotenv report is not shell-safe.
            let path = storage
                .clone()
                .unwrap_or_else(|| PathBuf::from("."))
                .join(BITBUCKET_EXPORTS);
            if let Err(e) = std::fs::write(&path, bash_exports(report)) {
                log.warn(&format!("cannot write {}: {e}", path.display()));
            }
        }
        Platform::CircleCi { bash_env } => match bash_env {
            Some(path) => {
                if let Err(e) = append(path, &bash_exports(report)) {
                    log.warn(&format!("cannot write BASH_ENV {}: {e}", path.display()));
                }
            }
            None => log.warn("BASH_ENV is not set: the outputs are not exported to later steps"),
        },
        _ => {}
    }
    if let Some(path) = &settings.dotenv_file
        && let Err(e) = std::fs::write(path, dotenv(report))
    {
        log.warn(&format!(
            "cannot write the dotenv report {}: {e}",
            path.display()
        ));
    }
    match &settings.result_file {
        Some(ResultFile::Stdout) => {
            let _ = writeln!(io::stdout(), "{}", report.json_text());
        }
        Some(ResultFile::Path(path)) => {
            if let Err(e) = std::fs::write(path, format!("{}\n", report.json_text())) {
                log.warn(&format!("cannot write result_file {}: {e}", path.display()));
            }
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            outcome: Outcome::Success,
            application_id: "app-1".into(),
            deployment: Some(Deployment {
                id: Some("c3f85434".into()),
                status: Some("available".into()),
                deploy_number: Some(3),
                git_sha: Some("d77ead8c".into()),
                commit_message: Some("Fix it\n\nLonger text\nname=value".into()),
                committer_name: None,
                strategy: Some("dockerfile".into()),
                image_reference: None,
                created_at: Some("2023-04-25T08:58:59.771+02:00".into()),
            }),
            timeline: vec![
                (Duration::from_secs(0), "created".into()),
                (Duration::from_secs(40), "available".into()),
            ],
            logs: Vec::new(),
            elapsed: Duration::from_millis(42_900),
        }
    }

    #[test]
    fn github_output_reads_back_exactly_with_the_runners_rules() {
        let text = github_output(&report(), &mut Random::seeded(1));
        let read = read_github_output(&text).unwrap();
        let names: Vec<&str> = read.iter().map(|(n, _)| n.as_str()).collect();
        let expected: Vec<&str> = OUTPUTS.iter().map(|o| o.name).collect();
        assert_eq!(names, expected);
        let get = |n: &str| read.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(get("result"), "success");
        assert_eq!(get("deploy_number"), "3");
        assert_eq!(get("image_reference"), "");
        assert_eq!(get("commit_message"), "Fix it\n\nLonger text\nname=value");
        assert_eq!(get("elapsed_seconds"), "42");
    }

    #[test]
    fn every_github_delimiter_is_fresh() {
        let text = github_output(&report(), &mut Random::seeded(9));
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
    fn dotenv_has_one_line_per_key_and_no_commit_message() {
        let text = dotenv(&report());
        let keys: Vec<&str> = text.lines().map(|l| l.split_once('=').unwrap().0).collect();
        assert_eq!(
            keys,
            [
                "NODION_RESULT",
                "NODION_DEPLOYMENT_ID",
                "NODION_DEPLOY_NUMBER",
                "NODION_DEPLOY_STATUS",
                "NODION_GIT_SHA",
                "NODION_IMAGE_REFERENCE",
                "NODION_STRATEGY",
                "NODION_CREATED_AT",
                "NODION_ELAPSED_SECONDS"
            ]
        );
        assert!(text.contains("NODION_DEPLOY_NUMBER=3\n"));
    }

    #[test]
    fn dotenv_values_stay_on_one_line_and_the_file_under_5_kb() {
        let mut r = report();
        let d = r.deployment.as_mut().unwrap();
        d.status = Some(format!("x\nNODION_RESULT=success\r{}", "y".repeat(10_000)));
        d.strategy = Some("z".repeat(10_000));
        let text = dotenv(&r);
        assert_eq!(text.lines().count(), 9);
        assert!(text.len() < 5 * 1024);
        let results: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("NODION_RESULT="))
            .collect();
        assert_eq!(results, ["NODION_RESULT=success"]);
    }

    #[test]
    fn json_text_hides_legacy_commands_and_decodes_to_the_same() {
        let mut r = report();
        let hostile = "##[error]forged ###[x] ##vso[task.complete] ##VSO[x]";
        r.deployment.as_mut().unwrap().commit_message = Some(hostile.into());
        let text = r.json_text();
        assert!(!text.contains("##["), "{text}");
        assert!(!text.to_ascii_lowercase().contains("##vso["), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["commit_message"], hostile);
    }

    #[test]
    fn json_has_numbers_as_numbers_and_absent_as_null() {
        let json = report().json();
        assert_eq!(json["deploy_number"], 3);
        assert_eq!(json["elapsed_seconds"], 42);
        assert_eq!(json["exit_code"], 0);
        assert_eq!(json["image_reference"], Value::Null);
        assert_eq!(json["application_id"], "app-1");
        assert_eq!(json["result"], "success");
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

    #[test]
    fn azure_variables_escape_what_could_end_the_command() {
        let mut r = report();
        r.deployment.as_mut().unwrap().status = Some("a]b;c%d\n##vso[task.complete]".into());
        let lines = azure_variables(&r);
        assert!(lines.contains(
            &"##vso[task.setvariable variable=deploy_number;isOutput=true]3".to_string()
        ));
        let status = lines
            .iter()
            .find(|l| l.contains("variable=status;"))
            .unwrap();
        assert_eq!(
            status,
            "##vso[task.setvariable variable=status;isOutput=true]a]b;c%AZP25d ## vso[task.complete]"
        );
        assert_eq!(lines.len(), OUTPUTS.len());
    }

    #[test]
    fn bash_exports_quote_every_value() {
        let mut r = report();
        r.deployment.as_mut().unwrap().status = Some("it's $(rm -rf /)".into());
        let text = bash_exports(&r);
        assert!(
            text.contains("export NODION_DEPLOY_STATUS='it'\\''s $(rm -rf /)'\n"),
            "{text}"
        );
        assert!(
            text.contains("export NODION_COMMIT_MESSAGE='Fix it\n\nLonger text\nname=value'\n")
        );
    }

    #[test]
    fn the_runner_reader_handles_both_forms() {
        let read = read_github_output("a=1=2\nb<<EOF\nx\ny\nEOF\nc=<<d\n").unwrap();
        assert_eq!(
            read,
            [
                ("a".to_string(), "1=2".to_string()),
                ("b".to_string(), "x\ny".to_string()),
                ("c".to_string(), "<<d".to_string())
            ]
        );
        assert!(read_github_output("b<<EOF\nx\n").is_err());
    }
}
