//! `NODION_*` variables that are no input. A misspelt one would be silently ignored
//! (`NODION_TIMOUT=1s` runs with the 15-minute default), so each gets one warning naming the input
//! it probably meant. The tool's own output names, which later jobs inherit from an earlier run,
//! and the other names the project itself sets are never warned about (SPEC §2, §5).

use crate::env::Env;
use crate::inputs::INPUTS;
use crate::outputs::OUTPUTS;

/// The `NODION_*` names the project uses that are neither an input nor an output.
const OWN: &[&str] = &[
    // install.sh's mirror, which the action sets from its `download_url` input.
    "NODION_DEPLOY_DOWNLOAD_URL",
    // The binary's path, which the action's step that runs it sets.
    "NODION_DEPLOY_BIN",
    // The repository's own CI (.ci/) and tests.
    "NODION_CI_API_URL",
    "NODION_CI_APP_2_API_URL",
    "NODION_ACT_CARGO_TARGET_DIR",
    "NODION_UPDATE_GOLDEN",
    // The live contract test (tests/live.rs, .github/workflows/live.yml); the binary it runs never
    // sees them.
    "NODION_LIVE_API_TOKEN",
    "NODION_LIVE_APPLICATION_ID",
    "NODION_LIVE_API_URL",
];

/// The prefix of every input's own variable.
const PREFIX: &str = "NODION_";

/// One warning for each `NODION_*` variable in `env` that is no input, naming the input it
/// probably meant; an empty one too, as its name is the mistake. Names only, never a value: a
/// misspelt `NODION_API_TOKN` holds a token.
pub fn unknown_variables(env: &dyn Env) -> Vec<String> {
    let mut names: Vec<String> = env
        .names()
        .into_iter()
        .filter(|name| name.starts_with(PREFIX) && !known(name))
        .collect();
    names.sort();
    names.dedup();
    names.iter().map(|name| warning(name)).collect()
}

/// Whether `name` is an input's variable, an output's, or one the project itself sets.
fn known(name: &str) -> bool {
    INPUTS.iter().any(|input| input.variable() == name)
        || OUTPUTS.iter().any(|output| output.variable == name)
        || OWN.contains(&name)
}

/// What is said of `name`, a `NODION_*` variable that is no input.
fn warning(name: &str) -> String {
    match closest(name) {
        Some(meant) => format!("{name} is not an input; did you mean {meant}?"),
        None => format!("{name} is not an input, so it is ignored (--help lists the inputs)"),
    }
}

/// The input variable `name` is a few edits away from, the nearest; ties go to the input listed
/// first. A third of the name's length (at least one edit) is "a few": `TIMOUT` is one edit from
/// `TIMEOUT`, while `TOKEN` is four from `API_TOKEN`, too far to guess.
fn closest(name: &str) -> Option<String> {
    let typed = name[PREFIX.len()..].to_ascii_uppercase();
    let limit = (typed.len() / 3).max(1);
    INPUTS
        .iter()
        .map(|input| {
            let wanted = input.name.to_ascii_uppercase();
            (strsim::osa_distance(&typed, &wanted), input)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, input)| input.variable())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn warnings(names: &[&str]) -> Vec<String> {
        let env: HashMap<String, String> = names
            .iter()
            .map(|name| (name.to_string(), String::new()))
            .collect();
        unknown_variables(&env)
    }

    #[test]
    fn a_misspelt_variable_is_told_the_input_it_probably_meant() {
        assert_eq!(
            warnings(&["NODION_TIMOUT"]),
            ["NODION_TIMOUT is not an input; did you mean NODION_TIMEOUT?"]
        );
        for (typed, meant) in [
            ("NODION_APLICATION_ID", "NODION_APPLICATION_ID"),
            ("NODION_API_TOKEN_FIEL", "NODION_API_TOKEN_FILE"),
            ("NODION_POLL_INTERVALS", "NODION_POLL_INTERVAL"),
            ("NODION_VERIFY_ULR", "NODION_VERIFY_URL"),
            ("NODION_timeout", "NODION_TIMEOUT"),
            ("NODION_DRYRUN", "NODION_DRY_RUN"),
        ] {
            assert_eq!(
                warnings(&[typed]),
                [format!("{typed} is not an input; did you mean {meant}?")]
            );
        }
    }

    #[test]
    fn a_name_far_from_every_input_is_only_said_to_be_no_input() {
        assert_eq!(
            warnings(&["NODION_API_KEY"]),
            ["NODION_API_KEY is not an input, so it is ignored (--help lists the inputs)"]
        );
    }

    #[test]
    fn inputs_outputs_and_the_projects_own_names_get_no_warning() {
        let mut names: Vec<String> = INPUTS.iter().flat_map(|i| i.variables()).collect();
        names.extend(OUTPUTS.iter().map(|o| o.variable.to_string()));
        names.extend(OWN.iter().map(|n| n.to_string()));
        // Not ours to judge: another tool's, or an action's other inputs.
        names.extend(["INPUT_TIMOUT", "GITHUB_OUTPUT", "NODIONTIMEOUT"].map(String::from));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(warnings(&names), Vec::<String>::new());
        // The outputs later jobs inherit are among them (SPEC §5).
        for inherited in [
            "NODION_DEPLOYMENT_NUMBER",
            "NODION_RESULT",
            "NODION_ROLLBACK_RESULT",
        ] {
            assert!(names.contains(&inherited), "{inherited}");
        }
    }

    #[test]
    fn each_unknown_variable_is_said_once_in_order() {
        let said = warnings(&["NODION_WAITT", "NODION_TIMOUT", "NODION_RESULT"]);
        assert_eq!(
            said,
            [
                "NODION_TIMOUT is not an input; did you mean NODION_TIMEOUT?",
                "NODION_WAITT is not an input; did you mean NODION_WAIT?",
            ]
        );
    }
}
