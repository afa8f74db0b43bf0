//! README documents every input, output and exit code, and gives the newcomer the same test command
//! CI runs.

use crate::support::shell_commands;

const README: &str = include_str!("../../README.md");
const CI: &str = include_str!("../../.ci/run");

#[test]
fn readme_documents_every_input_with_its_variables_and_default() {
    for input in nodion_deploy::inputs::INPUTS {
        let row = README
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", input.name)))
            .unwrap_or_else(|| panic!("README has no row for input {}", input.name));
        for variable in input.variables() {
            assert!(row.contains(&variable), "{}: {variable}", input.name);
        }
        if let Some(default) = input.default_value() {
            assert!(
                row.contains(&format!("`{default}`")),
                "{}: default {default}",
                input.name
            );
        }
    }
}

#[test]
fn readme_documents_every_output_and_dotenv_key() {
    for output in nodion_deploy::outputs::OUTPUTS {
        let row = README
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", output.name)))
            .unwrap_or_else(|| panic!("README has no row for output {}", output.name));
        if let Some(key) = output.dotenv {
            assert!(row.contains(key), "{}: {key}", output.name);
        }
    }
}

#[test]
fn readme_documents_every_exit_code() {
    for (code, meaning) in nodion_deploy::report::EXIT_CODES {
        let row = format!("| {code} | ");
        let line = README
            .lines()
            .find(|l| l.starts_with(&row))
            .unwrap_or_else(|| panic!("README has no row for exit code {code}"));
        let words: Vec<&str> = meaning.split_whitespace().take(3).collect();
        assert!(line.contains(&words.join(" ")), "exit {code}: {line}");
    }
}

#[test]
fn ci_runs_the_test_command_and_demo_readme_gives() {
    let block = README
        .split("## Try it")
        .nth(1)
        .and_then(|s| s.split("```sh").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README has a Try it block");
    let commands: Vec<&str> = block
        .lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        commands,
        ["cargo run --example demo", "cargo test --workspace"]
    );
    // CI runs each as a command (a comment or a step title naming it does not count), at most
    // with flags of its own added (`--locked`) and its output redirected.
    let ci = shell_commands(CI);
    for command in commands {
        let given: Vec<&str> = command.split_whitespace().collect();
        assert!(
            ci.iter().any(|words| runs_as(words, &given)),
            ".ci/run does not run `{command}`"
        );
    }
}

/// Whether `words` run the command `given`: the same program and subcommand, then every word of
/// `given` in order, anything else being a flag or a redirection.
fn runs_as(words: &[String], given: &[&str]) -> bool {
    if words.len() < 2 || words[..2] != given[..2] {
        return false;
    }
    let mut wanted = given[2..].iter().peekable();
    for word in &words[2..] {
        if wanted.peek() == Some(&&word.as_str()) {
            wanted.next();
        } else if !(word.starts_with('-') || word.contains(['>', '<'])) {
            return false;
        }
    }
    wanted.peek().is_none()
}
