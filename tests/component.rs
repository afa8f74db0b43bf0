//! The GitLab CI/CD component declares exactly the inputs the program reads (from the same table),
//! with typed inputs and the release's image.

use nodion_deploy::inputs::INPUTS;

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

const COMPONENT: &str = include_str!("../templates/deploy.yml");

#[test]
fn the_gitlab_component_maps_every_input_but_the_token_to_its_variable() {
    let (spec, job) = COMPONENT
        .split_once("\n---\n")
        .expect("spec and job documents");
    for input in INPUTS {
        let declared = spec.contains(&format!("\n    {}:\n", input.name));
        let mapped = job.contains(&format!(
            "NODION_{}: $[[ inputs.{} ]]",
            input.name.to_ascii_uppercase(),
            input.name
        ));
        if input.name == "api_token" {
            assert!(
                !declared && !mapped,
                "the token comes from a masked CI/CD variable"
            );
        } else {
            assert!(declared, "spec declares {}", input.name);
            assert!(mapped, "the job maps {} to its variable", input.name);
        }
        if let Some(default) = input.default_value() {
            let block = spec
                .split(&format!("\n    {}:\n", input.name))
                .nth(1)
                .unwrap_or_default();
            let default_line = block
                .lines()
                .find(|l| l.trim_start().starts_with("default:"));
            assert_eq!(
                default_line.map(|l| l.trim()),
                Some(format!("default: {}", quoted(default)).as_str()),
                "{}",
                input.name
            );
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
