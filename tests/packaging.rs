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
