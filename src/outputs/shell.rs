//! Shell exports for later steps: CircleCI's `$BASH_ENV` and Bitbucket's `nodion-deploy.sh`.

use std::path::Path;

use super::{OutputSpec, append, as_text, values, written};
use crate::escape;
use crate::log::Log;
use crate::report::Report;

/// Under Bitbucket, the outputs as shell-quoted `export` lines, safe to source in later steps.
pub const BITBUCKET_EXPORTS: &str = "nodion-deploy.sh";

/// Writes [`BITBUCKET_EXPORTS`] in the pipe's storage directory (or the working directory);
/// whether it was written.
pub(super) fn write_bitbucket(storage: Option<&Path>, report: &Report, log: &Log) -> bool {
    // Bitbucket users source files between steps; the dotenv report is not shell-safe.
    let path = crate::platform::bitbucket_exports(storage);
    let result = std::fs::write(&path, bash_exports(report));
    written(log, "", &path, result)
}

/// Appends the exports to CircleCI's `$BASH_ENV`, which every later step sources; whether they
/// were written (an unset `BASH_ENV` is only warned about: CircleCI always sets it).
pub(super) fn write_circleci(bash_env: Option<&Path>, report: &Report, log: &Log) -> bool {
    match bash_env {
        Some(path) => written(log, "BASH_ENV ", path, append(path, &bash_exports(report))),
        None => {
            log.warn("BASH_ENV is not set: the outputs are not exported to later steps");
            true
        }
    }
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
    for (spec, value) in values(report) {
        let text = if spec.name == "commit_message" {
            escape::multi_line(&as_text(&value))
        } else {
            escape::one_line(&as_text(&value))
        };
        out.push_str(&format!(
            "export {}='{}'\n",
            shell_name(spec),
            text.replace('\'', "'\\''")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::fixture::report;

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
}
