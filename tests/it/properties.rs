//! Property tests: for any input, the parsers never panic, the outputs read back exactly, and
//! sanitised text can neither carry a control character nor act as a workflow command.

use std::time::Duration;

use nodion_deploy::deployment::{self, Deployment, Keep};
use nodion_deploy::outcome::Outcome;
use nodion_deploy::outputs::{self, OUTPUTS, Report};
use nodion_deploy::random::Random;
use nodion_deploy::sanitize;
use proptest::prelude::*;

/// Strings rich in what attackers use: control characters, line breaks, `::`, `##[`, `=`, `<<`.
fn nasty() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("::".to_string()),
        Just("##[".to_string()),
        Just("\n".to_string()),
        Just("\r".to_string()),
        Just("\r\n".to_string()),
        Just("=".to_string()),
        Just("<<".to_string()),
        Just("ghadelimiter_".to_string()),
        Just("\u{1b}[0K".to_string()),
        Just("\u{9b}".to_string()),
        Just("NODION_RESULT=success".to_string()),
        Just("😀".repeat(300)),
        Just("é".repeat(700)),
        "[\\x00-\\x1f\\x7f-\\u{9f}]",
        "\\PC{0,8}",
        any::<String>(),
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|parts| parts.concat())
}

fn report(fields: Vec<String>, number: Option<u64>) -> Report {
    let f = |i: usize| fields.get(i).cloned();
    Report {
        outcome: Outcome::Failure,
        application_id: "app".into(),
        deployment: Some(Deployment {
            id: f(0),
            status: f(1),
            deploy_number: number,
            git_sha: f(2),
            commit_message: f(3),
            committer_name: f(4),
            strategy: f(5),
            image_reference: f(6),
            created_at: f(7),
        }),
        timeline: vec![(
            Duration::from_secs(1),
            fields.get(1).cloned().unwrap_or_default(),
        )],
        logs: fields.clone(),
        elapsed: Duration::from_secs(7),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // No regression files in the tree: a failure prints its minimal input.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parsing_any_bytes_as_an_api_response_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for keep in [Keep::Nothing, Keep::Number(1), Keep::NewerThan(0)] {
            let _ = deployment::parse_list(&bytes, keep);
        }
        let _ = deployment::parse_triggered(&bytes);
        let message = nodion_deploy::api::error_message(&bytes);
        prop_assert!(!message.chars().any(sanitize::is_control));
    }

    #[test]
    fn parsing_any_json_shaped_answer_never_panics(
        keys in prop::collection::vec(prop_oneof![
            Just("deploy_number"), Just("status"), Just("id"), Just("git_sha"), Just("x")
        ], 0..6),
        values in prop::collection::vec(prop_oneof![
            Just("null".to_string()), Just("-1".to_string()), Just("1e400".to_string()),
            Just("18446744073709551616".to_string()), Just("[]".to_string()), Just("{}".to_string()),
            "\"\\PC{0,10}\"", any::<i64>().prop_map(|n| n.to_string()),
        ], 0..6),
    ) {
        let fields: Vec<String> = keys.iter().zip(&values).map(|(k, v)| format!("\"{k}\":{v}")).collect();
        let object = format!("{{{}}}", fields.join(","));
        let list = format!("{{\"deployments\":[{object},{object}]}}");
        let listing = deployment::parse_list(list.as_bytes(), Keep::NewerThan(0));
        // Both entries are the same: both kept, or neither.
        if let Ok(listing) = listing {
            prop_assert!(listing.kept.len() % 2 == 0);
        }
        let _ = deployment::parse_triggered(format!("{{\"deployment\":{object}}}").as_bytes());
    }

    #[test]
    fn github_output_reads_back_exactly_what_was_written(
        fields in prop::collection::vec(nasty(), 8),
        number in proptest::option::of(any::<u64>()),
        seed in any::<u64>(),
    ) {
        let report = report(fields.clone(), number);
        let text = outputs::github_output(&report, &mut Random::seeded(seed));
        let read = outputs::read_github_output(&text).map_err(TestCaseError::fail)?;
        let names: Vec<&str> = read.iter().map(|(k, _)| k.as_str()).collect();
        let expected: Vec<&str> = OUTPUTS.iter().map(|o| o.name).collect();
        prop_assert_eq!(names, expected);
        let value = |name: &str| read.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap();
        prop_assert_eq!(value("status"), sanitize::one_line(&fields[1]));
        prop_assert_eq!(value("commit_message"), sanitize::multi_line(&fields[3]));
        prop_assert_eq!(value("deploy_number"), number.map(|n| n.to_string()).unwrap_or_default());
        prop_assert_eq!(value("result"), "failure");
    }

    #[test]
    fn the_step_summary_keeps_its_table_shape_for_any_text(fields in prop::collection::vec(nasty(), 8)) {
        let summary = outputs::github_summary(&report(fields, Some(3)));
        for line in summary.lines().filter(|l| l.starts_with('|')) {
            prop_assert_eq!(line.replace("\\|", "").matches('|').count(), 3, "{:?}", line);
            prop_assert!(!line.contains("!["), "{:?}", line);
        }
        prop_assert!(!summary.chars().any(|c| c != '\n' && sanitize::is_control(c)));
    }

    #[test]
    fn every_dotenv_value_stays_on_its_line(fields in prop::collection::vec(nasty(), 8)) {
        let text = outputs::dotenv(&report(fields, Some(3)));
        prop_assert!(text.len() < 5 * 1024);
        let keys: Vec<&str> = text.lines().map(|l| l.split('=').next().unwrap()).collect();
        let expected: Vec<&str> = OUTPUTS.iter().filter_map(|o| o.dotenv).collect();
        prop_assert_eq!(keys, expected);
        prop_assert!(!text.contains('\r'));
        for line in text.lines() {
            prop_assert!(!line.chars().any(sanitize::is_control), "{:?}", line);
        }
    }

    #[test]
    fn sanitised_text_has_no_control_character_and_starts_no_workflow_command(text in nasty()) {
        for github in [true, false] {
            let line = sanitize::log_line(&text, github);
            prop_assert!(!line.chars().any(sanitize::is_control), "{:?}", line);
            if github {
                prop_assert!(!line.trim_start().starts_with("::"), "{:?}", line);
                prop_assert!(!line.contains("##["), "{:?}", line);
            }
        }
        let one = sanitize::one_line(&text);
        prop_assert!(!one.chars().any(sanitize::is_control));
        prop_assert!(!sanitize::multi_line(&text).chars().any(|c| c != '\n' && c != '\t' && sanitize::is_control(c)));
    }
}
