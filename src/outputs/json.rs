//! The JSON result (`result_file`): every output, the exit code and the application id.

use std::io::{self, Write};
use std::path::Path;

use serde_json::{Map, Value};

use super::{clean_text, values, written};
use crate::escape;
use crate::log::Log;
use crate::platform::ResultFile;
use crate::report::Report;

/// Writes the JSON result, one line, to standard output or to a file (replacing what was there),
/// with `exit_code` as the run's exit code (an earlier output that was lost changes it); whether it
/// was written.
pub(super) fn write(result_file: &ResultFile, report: &Report, exit_code: u8, log: &Log) -> bool {
    let mut json = json(report);
    json["exit_code"] = Value::from(exit_code);
    let text = format!("{}\n", escape::json_inert(&json.to_string()));
    match result_file {
        ResultFile::Stdout => {
            let mut out = io::stdout().lock();
            let result = out.write_all(text.as_bytes()).and_then(|()| out.flush());
            written(log, "result_file ", Path::new("-"), result)
        }
        ResultFile::Path(path) => written(log, "result_file ", path, std::fs::write(path, text)),
    }
}

/// The JSON result: every output, the exit code and the application id.
pub fn json(report: &Report) -> Value {
    let mut map = Map::new();
    for (spec, value) in values(report) {
        let value = match value {
            Value::String(_) => Value::String(clean_text(spec, &value)),
            other => other,
        };
        map.insert(spec.name.into(), value);
    }
    map.insert("exit_code".into(), Value::from(report.ending.exit_code()));
    Value::Object(map)
}

/// [`json`] as one line of text that no CI can take for a command, even on standard output: a `[`
/// after `##` or `##vso` is written `\u005b` (the same text once decoded).
pub fn json_text(report: &Report) -> String {
    escape::json_inert(&json(report).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::fixture::report;

    #[test]
    fn json_text_hides_legacy_commands_and_decodes_to_the_same() {
        let mut r = report();
        let hostile = "##[error]forged ###[x] ##vso[task.complete] ##VSO[x]";
        r.deployment.as_mut().unwrap().commit_message = Some(hostile.into());
        let text = json_text(&r);
        assert!(!text.contains("##["), "{text}");
        assert!(!text.to_ascii_lowercase().contains("##vso["), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["commit_message"], hostile);
    }

    #[test]
    fn json_has_numbers_as_numbers_and_absent_as_null() {
        let json = json(&report());
        assert_eq!(json["deploy_number"], 3);
        assert_eq!(json["elapsed_seconds"], 42);
        assert_eq!(json["url"], "https://app-1.example.com/health");
        assert_eq!(json["verified"], true);
        assert_eq!(json["exit_code"], 0);
        assert_eq!(json["image_reference"], Value::Null);
        assert_eq!(json["application_id"], "app-1");
        assert_eq!(json["result"], "success");
    }
}
