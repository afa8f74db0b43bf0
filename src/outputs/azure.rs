//! Azure Pipelines: the outputs as `task.setvariable` output variables in the log.

use super::{as_text, values};
use crate::escape;
use crate::log::Log;
use crate::report::Report;

/// Writes one `task.setvariable` command per output to the log, which the agent reads.
pub(super) fn write(report: &Report, log: &Log) {
    for line in azure_variables(report) {
        log.command(&line);
    }
}

/// Azure Pipelines output variables: one `##vso[task.setvariable variable=NAME;isOutput=true]VALUE`
/// per output, the value on one line and escaped by the agent's rules, so it cannot end the
/// command or start another.
pub fn azure_variables(report: &Report) -> Vec<String> {
    values(report)
        .into_iter()
        .map(|(spec, value)| {
            format!(
                "##vso[task.setvariable variable={};isOutput=true]{}",
                escape::azure_property(spec.name),
                escape::azure_data(&escape::azure_inert(&escape::one_line(&as_text(&value))))
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outputs::OUTPUTS;
    use crate::outputs::fixture::report;

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
}
