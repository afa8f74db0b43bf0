//! The action metadata and the GitLab component declare exactly the inputs and outputs the
//! program reads and writes (from the same tables), so they cannot drift from the code.
//! `NODION_UPDATE_GOLDEN=1 cargo test --test packaging` rewrites action.yml from the tables.

use nodion_deploy::inputs::{Default, INPUTS};
use nodion_deploy::outputs::OUTPUTS;

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// action.yml as the tables make it.
fn action_yml() -> String {
    let mut out = String::from(
        "# Generated from the input and output tables in src/ (tests/packaging.rs checks it).\n\
         name: Nodion Deploy\n\
         description: Trigger a Nodion deployment, wait until that deployment finishes, and gate the job on its result.\n\
         author: nodion-deploy\n\
         branding:\n  icon: upload-cloud\n  color: blue\n\
         inputs:\n",
    );
    for input in INPUTS {
        let mut help = input.help.to_string();
        if input.name == "api_token" {
            help.push_str(". Pass it from a secret (for example secrets.NODION_API_TOKEN), never as plain text");
        }
        if let Default::Note(note) = input.default {
            help.push_str(&format!(" (default: {note})"));
        }
        out.push_str(&format!(
            "  {}:\n    description: {}\n",
            input.name,
            quoted(&help)
        ));
        out.push_str(&format!(
            "    required: {}\n",
            input.name == "application_id"
        ));
        if let Some(default) = input.default_value() {
            out.push_str(&format!("    default: {}\n", quoted(default)));
        }
    }
    out.push_str("outputs:\n");
    for output in OUTPUTS {
        out.push_str(&format!(
            "  {}:\n    description: {}\n",
            output.name,
            quoted(output.help)
        ));
    }
    out.push_str("runs:\n  using: docker\n  image: Dockerfile\n");
    out
}

#[test]
fn action_yml_declares_every_input_and_output_from_the_tables() {
    let expected = action_yml();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml");
    if std::env::var_os("NODION_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "action.yml differs from the tables; run NODION_UPDATE_GOLDEN=1 cargo test --test packaging"
    );
}

#[test]
fn action_inputs_use_underscores_so_a_container_can_read_them() {
    for input in INPUTS {
        assert!(
            input
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{}",
            input.name
        );
    }
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
