//! Property tests: for any input, the parsers never panic, the outputs read back exactly, and
//! sanitised text can neither carry a control character nor act as a workflow command.

use std::time::Duration;

use crate::github_output::read_github_output;
use nodion_deploy::deployed::Mismatch;
use nodion_deploy::ending::Ending;
use nodion_deploy::escape;
use nodion_deploy::model::{self, Deployment, Keep};
use nodion_deploy::outputs::{self, OUTPUTS};
use nodion_deploy::report::Report;
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
    let deployment = Deployment {
        id: f(0),
        status: f(1),
        deploy_number: number,
        git_sha: f(2),
        commit_message: f(3),
        committer_name: f(4),
        strategy: f(5),
        image_reference: f(6),
        created_at: f(7),
        updated_at: f(7),
    };
    // The step summary says it too: an image's tag as the API sent it, against another asked for.
    let mismatch = Mismatch::of(&deployment, None, Some("asked"));
    Report {
        ending: Ending::Failed {
            status: f(1).unwrap_or_default(),
        },
        application_id: "app".into(),
        deployment: Some(deployment),
        timeline: vec![(
            Duration::from_secs(1),
            fields.get(1).cloned().unwrap_or_default(),
        )],
        logs: fields.clone(),
        elapsed: Duration::from_secs(7),
        dry_run: false,
        rollback_asked: false,
        url: f(8),
        verified: None,
        origin: None,
        mismatch,
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
            let _ = model::parse_list(&bytes, keep);
        }
        let _ = model::parse_triggered(&bytes);
        let message = nodion_deploy::api::error_message(&bytes);
        prop_assert!(!message.chars().any(escape::is_control));
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
        let listing = model::parse_list(list.as_bytes(), Keep::NewerThan(0));
        // Both entries are the same: both kept, or neither.
        if let Ok(listing) = listing {
            prop_assert!(listing.kept.len() % 2 == 0);
        }
        let _ = model::parse_triggered(format!("{{\"deployment\":{object}}}").as_bytes());
    }

    #[test]
    fn github_output_reads_back_exactly_what_was_written(
        fields in prop::collection::vec(nasty(), 8),
        number in proptest::option::of(any::<u64>()),
        seed in any::<u64>(),
    ) {
        let report = report(fields.clone(), number);
        let text = outputs::github_output(&report, &mut fastrand::Rng::with_seed(seed));
        let read = read_github_output(&text).map_err(TestCaseError::fail)?;
        let names: Vec<&str> = read.iter().map(|(k, _)| k.as_str()).collect();
        let expected: Vec<&str> = OUTPUTS.iter().map(|o| o.name).collect();
        prop_assert_eq!(names, expected);
        let value = |name: &str| read.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap();
        prop_assert_eq!(value("status"), escape::one_line(&fields[1]));
        prop_assert_eq!(value("commit_message"), escape::multi_line(&fields[3]));
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
        prop_assert!(!summary.chars().any(|c| c != '\n' && escape::is_control(c)));
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
            prop_assert!(!line.chars().any(escape::is_control), "{:?}", line);
        }
    }

    #[test]
    fn sanitised_text_has_no_control_character_and_starts_no_workflow_command(text in nasty()) {
        for github in [true, false] {
            let line = escape::log_line(&text, github);
            prop_assert!(!line.chars().any(escape::is_control), "{:?}", line);
            if github {
                prop_assert!(!line.trim_start().starts_with("::"), "{:?}", line);
                prop_assert!(!line.contains("##["), "{:?}", line);
            }
        }
        let one = escape::one_line(&text);
        prop_assert!(!one.chars().any(escape::is_control));
        prop_assert!(!escape::multi_line(&text).chars().any(|c| c != '\n' && c != '\t' && escape::is_control(c)));
    }
}

/// A successful git deployment with a multi-line commit message.
fn sample_report() -> Report {
    Report {
        ending: Ending::Succeeded {
            status: "available".into(),
        },
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
            updated_at: Some("2023-04-25T09:01:09.771+02:00".into()),
        }),
        timeline: vec![
            (Duration::from_secs(0), "created".into()),
            (Duration::from_secs(40), "available".into()),
        ],
        logs: Vec::new(),
        elapsed: Duration::from_millis(42_900),
        dry_run: false,
        rollback_asked: false,
        url: Some("https://app-1.example.com/health".into()),
        verified: Some(true),
        origin: None,
        mismatch: None,
    }
}

#[test]
fn github_output_reads_back_exactly_with_the_runners_rules() {
    let text = outputs::github_output(&sample_report(), &mut fastrand::Rng::with_seed(1));
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
    assert_eq!(get("url"), "https://app-1.example.com/health");
    assert_eq!(get("verified"), "true");
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
