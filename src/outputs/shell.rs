//! Shell exports for later steps: appended to CircleCI's `$BASH_ENV`, or written to the exports file,
//! as [`crate::platform::Destinations::exports`] decides.

use std::path::Path;

use super::{append, clean_text, values, written};
use crate::log::Log;
use crate::report::Report;

/// Writes the exports to `path` (`exports_file`, or the platform's default), replacing what was
/// there; whether it was written.
pub(super) fn write(path: &Path, report: &Report, log: &Log) -> bool {
    // Users source this file between steps; the dotenv report is not shell-safe.
    let result = std::fs::write(path, bash_exports(report));
    written(log, "exports_file ", path, result)
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

/// Lines for CircleCI's `$BASH_ENV`, which later steps source: `export NODION_…='…'` for every
/// output, single-quoted so no value can run as shell code or set another variable.
pub fn bash_exports(report: &Report) -> String {
    let mut out = String::new();
    for (spec, value) in values(report) {
        out.push_str(&format!(
            "export {}='{}'\n",
            spec.variable,
            clean_text(spec, &value).replace('\'', "'\\''")
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
