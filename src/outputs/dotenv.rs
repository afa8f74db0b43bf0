//! The dotenv report (GitLab's `reports: dotenv`, Bitbucket's file): `KEY=value` per line.

use std::path::Path;

use super::{as_text, values, written};
use crate::escape;
use crate::log::Log;
use crate::report::Report;

/// The longest value a dotenv line carries, in bytes: thirteen keys stay under GitLab's 5 KB.
const DOTENV_VALUE_MAX: usize = 300;

/// Writes the dotenv report to `path`, replacing what was there; whether it was written.
pub(super) fn write(path: &Path, report: &Report, log: &Log) -> bool {
    let result = std::fs::write(path, dotenv(report));
    written(log, "the dotenv report ", path, result)
}

/// The dotenv report: `KEY=value` per line, values on one line without control characters,
/// bounded so the file stays under GitLab's 5 KB; no blank lines, no comments.
pub fn dotenv(report: &Report) -> String {
    let mut out = String::new();
    for (spec, value) in values(report) {
        if let Some(key) = spec.dotenv {
            let value =
                escape::bounded_bytes(&escape::one_line(&as_text(&value)), DOTENV_VALUE_MAX);
            out.push_str(&format!("{key}={value}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::fixture::report;

    #[test]
    fn dotenv_has_one_line_per_key_and_no_commit_message() {
        let text = dotenv(&report());
        let keys: Vec<&str> = text.lines().map(|l| l.split_once('=').unwrap().0).collect();
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
        assert!(text.contains("NODION_DEPLOYMENT_NUMBER=3\n"));
        assert!(text.contains("NODION_ORIGIN=triggered\nNODION_DEPLOYED_APPLICATION_ID=app-1\n"));
        assert!(
            text.contains("NODION_URL=https://app-1.example.com/health\nNODION_VERIFIED=true\n")
        );
    }

    #[test]
    fn dotenv_values_stay_on_one_line_and_the_file_under_5_kb() {
        let mut r = report();
        let d = r.deployment.as_mut().unwrap();
        d.status = Some(format!("x\nNODION_RESULT=success\r{}", "y".repeat(10_000)));
        for field in [
            &mut d.strategy,
            &mut d.id,
            &mut d.git_sha,
            &mut d.image_reference,
            &mut d.created_at,
        ] {
            *field = Some("z".repeat(10_000));
        }
        r.url = Some(format!("https://{}", "u".repeat(10_000)));
        r.application_id = "a".repeat(128);
        let text = dotenv(&r);
        assert_eq!(text.lines().count(), 16);
        assert!(text.len() < 5 * 1024);
        let results: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("NODION_RESULT="))
            .collect();
        assert_eq!(results, ["NODION_RESULT=success"]);
    }
}
