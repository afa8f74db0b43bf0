//! The GitLab CI/CD component declares exactly the inputs the program reads (from the same table),
//! typed as GitLab types them, and runs the image of its own release.

use nodion_deploy::inputs::{INPUTS, Kind};

const COMPONENT: &str = include_str!("../../templates/deploy.yml");

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The header (`spec:`) and the job, the component's two YAML documents.
fn documents() -> (&'static str, &'static str) {
    COMPONENT
        .split_once("\n---\n")
        .expect("spec and job documents")
}

/// The `key: value` lines declared under `spec: inputs: <name>:`, or `None` when it is not declared.
fn declared(spec: &str, name: &str) -> Option<Vec<(String, String)>> {
    let (_, rest) = spec.split_once(&format!("\n    {name}:\n"))?;
    let fields = rest
        .lines()
        .take_while(|line| line.starts_with("      "))
        .filter_map(|line| line.trim().split_once(": "))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    Some(fields)
}

fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_gitlab_component_maps_every_input_but_the_token_to_its_variable() {
    let (spec, job) = documents();
    for input in INPUTS {
        let fields = declared(spec, input.name);
        let mapped = job.contains(&format!(
            "NODION_{}: \"$[[ inputs.{} ]]\"",
            input.name.to_ascii_uppercase(),
            input.name
        ));
        if input.name == "api_token" {
            assert!(
                fields.is_none() && !mapped,
                "the token comes from a masked CI/CD variable"
            );
            continue;
        }
        let fields = fields.unwrap_or_else(|| panic!("spec declares {}", input.name));
        assert!(mapped, "the job maps {} to its variable", input.name);
        // GitLab checks typed inputs when the pipeline is created, before the job starts.
        let (kind, default) = (field(&fields, "type"), field(&fields, "default"));
        match (input.kind, input.default_value()) {
            (Kind::Boolean, Some(value)) | (Kind::Number, Some(value)) => {
                let gitlab_type = if input.kind == Kind::Boolean {
                    "boolean"
                } else {
                    "number"
                };
                assert_eq!(kind, Some(gitlab_type), "{}", input.name);
                assert_eq!(default, Some(value), "{} (unquoted, typed)", input.name);
            }
            (_, Some(value)) => {
                assert_eq!(kind, None, "{}", input.name);
                assert_eq!(default, Some(quoted(value).as_str()), "{}", input.name);
            }
            // Required: GitLab refuses to create a pipeline that does not give it.
            (_, None) if input.name == "application_id" => assert_eq!(default, None),
            // The platform-dependent defaults are the GitLab ones here (dotenv) or none.
            (_, None) if input.name == "dotenv_file" => {
                assert_eq!(default, Some("\"nodion-deploy.env\""))
            }
            (_, None) => assert_eq!(default, Some("\"\""), "{}: optional", input.name),
        }
    }
    // Inputs are never spliced into the script, where they could run as shell code.
    let script = job
        .split("script:")
        .nth(1)
        .unwrap()
        .split("artifacts:")
        .next()
        .unwrap();
    assert!(!script.contains("$[["), "{script}");
    assert!(job.contains("dotenv: $[[ inputs.dotenv_file ]]"));
    assert!(job.contains("when: always"));
}

/// The identifiers the tool checks are checked by GitLab too, with the same rule.
#[test]
fn identifier_inputs_carry_the_tools_own_pattern() {
    let (spec, _) = documents();
    for (name, pattern) in [
        ("application_id", "'^[A-Za-z0-9_-]{1,128}$'"),
        ("project_id", "'^[A-Za-z0-9_-]{0,128}$'"),
        ("image_tag", "'^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$'"),
        ("deploy_number", "'^([1-9][0-9]{0,18})?$'"),
    ] {
        let fields = declared(spec, name).unwrap();
        assert_eq!(field(&fields, "regex"), Some(pattern), "{name}");
    }
}
