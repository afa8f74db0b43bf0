//! README documents every input, output and exit code; gives the newcomer the same test command CI
//! runs; shows as its sample log what the demo and the binary print; and quotes in "When things go
//! wrong" the messages the binary prints in each of those cases.

use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_nodion::{FakeNodion, Hold, Options, testcerts};
use nodion_deploy::inputs::Default;
use regex::Regex;

use crate::support::{Deploy, Ran, each_in_parallel, fake, shell_commands};

// The demo itself, so that what README shows is what `cargo run --example demo` prints.
#[path = "../../examples/demo/scenario.rs"]
mod demo;

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
fn readme_shows_the_default_poll_intervals_the_tool_uses() {
    use nodion_deploy::inputs::{
        DEFAULT_MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, MAX_POLL_INTERVAL, POLL_INTERVAL,
    };
    for (input, default) in [
        (POLL_INTERVAL, DEFAULT_POLL_INTERVAL),
        (MAX_POLL_INTERVAL, DEFAULT_MAX_POLL_INTERVAL),
    ] {
        let row = README
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", input.name)))
            .expect("a row");
        let shown = format!("`{}s`", default.as_secs_f64());
        assert!(row.contains(&shown), "{}: {shown}", input.name);
        let Default::Note(note) = input.default else {
            panic!("{}: the action must pass nothing when unset", input.name)
        };
        assert!(note.starts_with(&shown[1..shown.len() - 1]), "{note}");
    }
}

#[test]
fn readme_documents_every_output_and_dotenv_key() {
    let outputs = README
        .split_once("\n## Outputs\n")
        .and_then(|(_, rest)| rest.split_once("\n## "))
        .expect("README has an Outputs section")
        .0;
    for output in nodion_deploy::outputs::OUTPUTS {
        let row = outputs
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", output.name)))
            .unwrap_or_else(|| panic!("README has no row for output {}", output.name));
        assert!(
            row.contains(&format!("`{}`", output.variable)),
            "{}: {}",
            output.name,
            output.variable
        );
    }
}

#[test]
fn readme_documents_every_exit_code() {
    for (code, meaning) in nodion_deploy::ending::EXIT_CODES {
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

// ---------------------------------------------------------------------------------------------
// The sample log

#[test]
fn readme_sample_log_is_what_the_demo_prints() {
    let printed = Captured::default();
    let code = demo::run(Box::new(printed.clone()), demo::Pace::Test);
    let printed = printed.text();
    assert_eq!(code, 0, "{printed}");
    same_log(&readme_sample(), &printed, "the demo");
}

#[test]
fn readme_sample_log_is_what_the_binary_prints_given_the_demos_inputs() {
    let fake = demo::fake_api();
    let mut deploy = Deploy::bare();
    let result_file = deploy.dir().join("result.json");
    for (name, value) in demo::inputs(&fake, &result_file, demo::Pace::Test) {
        deploy = deploy.env(&name, &value);
    }
    let ran = deploy.run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // The binary's part of the sample: all but the demo's own lines around it.
    let sample = readme_sample();
    let binary: Vec<&str> = sample
        .lines()
        .filter(|line| !line.starts_with("demo:"))
        .collect();
    same_log(binary.join("\n").trim(), &ran.stderr, "the binary");
}

/// README's sample log: the text block after its `<!-- sample: … -->` marker.
fn readme_sample() -> String {
    README
        .split("<!-- sample: ")
        .nth(1)
        .and_then(|s| s.split("```text\n").nth(1))
        .and_then(|s| s.split("\n```").next())
        .expect("README has a sample log after <!-- sample: … -->")
        .to_string()
}

/// Asserts that README's `sample` is what `who` printed, once what varies from run to run is
/// masked in both. On a mismatch, says what to paste into README.
fn same_log(sample: &str, printed: &str, who: &str) {
    let (want, got) = (masked(sample), masked(printed));
    if want == got {
        return;
    }
    let line = want
        .iter()
        .zip(&got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let show = |lines: &[String]| lines.get(line).cloned().unwrap_or("(none)".into());
    panic!(
        "README's sample log is not what {who} prints (ids, times, ports and the version aside).\n\
         First difference, line {}:\n  README:  {}\n  printed: {}\n\
         Paste the output of `cargo run --example demo` into README's sample; {who} printed:\n{printed}",
        line + 1,
        show(&want),
        show(&got),
    );
}

/// The lines of a log with what differs between two runs of the same scenario masked: the fake's
/// port, deployment ids, commit shas, timestamps, durations, and the version.
fn masked(log: &str) -> Vec<String> {
    let rules: [(&str, &str); 5] = [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        (
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "ID",
        ),
        (r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)?", "TIME"),
        (r"\b\d+(ms|s|m|h)\b( \d+(ms|s|m)\b)*", "DURATION"),
        (r"nodion-deploy \d+\.\d+\.\d+\S*", "nodion-deploy VERSION"),
    ];
    let mut text = log.trim().to_string();
    for (pattern, mask) in rules {
        text = Regex::new(pattern)
            .unwrap()
            .replace_all(&text, mask)
            .into_owned();
    }
    // A commit sha, which may happen to be all digits.
    let text = Regex::new(r"\b[0-9a-f]{7,40}\b")
        .unwrap()
        .replace_all(&text, "SHA");
    // Elapsed times are right-aligned in brackets: their width varies with the number.
    let padded = Regex::new(r"\[\s+DURATION\]").unwrap();
    padded
        .replace_all(&text, "[DURATION]")
        .lines()
        .map(|line| line.trim_end().to_string())
        .collect()
}

/// A writer whose text the test reads afterwards.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// When things go wrong

/// A run that brings about one row of the table.
type Scenario = fn() -> Ran;

/// How to bring about each row of README's "When things go wrong" table, found by words of its
/// "why" cell. The messages and the exit code are read from README's row, so when a message
/// changes, README's row is the one line to change.
const WHEN_THINGS_GO_WRONG: &[(&str, Scenario)] = &[
    ("the token's secret is not set", no_token),
    ("an input is missing or malformed", malformed_input),
    ("does not accept the token", wrong_token),
    ("no such application", unknown_application),
    ("nothing answers at", nothing_answers),
    ("re-signs HTTPS", unknown_certificate_authority),
    ("cannot be written", unwritable_result_file),
    ("named no deployment", attach_to_a_missing_number),
    ("would be refused", dry_run_refused),
    ("the deployment failed at Nodion", deployment_failed),
    ("it took longer than", deployment_timed_out),
    ("did not serve the new version", app_not_serving),
    (
        "does not resolve (a typo)",
        crate::verify::unresolvable_host,
    ),
    ("the job was cancelled", job_cancelled),
    ("built another commit", crate::deployed::another_commit),
];

fn no_token() -> Ran {
    Deploy::against(&fake(&[])).unset("NODION_API_TOKEN").run()
}

fn malformed_input() -> Ran {
    Deploy::against(&fake(&[]))
        .env("NODION_TIMEOUT", "soon")
        .run()
}

fn wrong_token() -> Ran {
    let api = fake(&[]);
    Deploy::against(&api)
        .env("NODION_API_TOKEN", "not-the-token")
        .run()
}

fn unknown_application() -> Ran {
    let api = fake(&[]);
    Deploy::against(&api)
        .env("NODION_APPLICATION_ID", "app-2")
        .run()
}

fn nothing_answers() -> Ran {
    // A port that was free a moment ago; the short timeout ends the retries at once.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Deploy::against(&fake(&[]))
        .env("NODION_API_URL", &format!("http://127.0.0.1:{port}/v1"))
        .env("NODION_TIMEOUT", "1s")
        .run()
}

fn unknown_certificate_authority() -> Ran {
    let api = FakeNodion::start(Options {
        tls: Some(testcerts::identity()),
        ..Options::default()
    });
    Deploy::against(&api).run()
}

fn unwritable_result_file() -> Ran {
    Deploy::against(&fake(&[]))
        .env("NODION_RESULT_FILE", "/nonexistent/x.json")
        .run()
}

fn attach_to_a_missing_number() -> Ran {
    Deploy::against(&fake(&[]))
        .env("NODION_DEPLOY_NUMBER", "99")
        .run()
}

fn dry_run_refused() -> Ran {
    Deploy::against(&fake(&[]))
        .env("NODION_DRY_RUN", "true")
        .env("NODION_IMAGE_TAG", "v1.2")
        .run()
}

fn deployment_failed() -> Ran {
    let api = fake(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)]);
    Deploy::against(&api).run()
}

fn deployment_timed_out() -> Ran {
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    Deploy::against(&api).env("NODION_TIMEOUT", "1s").run()
}

fn app_not_serving() -> Ran {
    let app = crate::verify::App::start(|_, _| (503, "", "starting".into()));
    Deploy::against(&crate::support::happy())
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_VERIFY_URL", &app.url("/health"))
        .run()
}

fn job_cancelled() -> Ran {
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    let running = Deploy::against(&api).spawn();
    running.wait_for_log("#3 deploying", Duration::from_secs(10));
    running.signal(libc::SIGTERM);
    running.wait()
}

/// One row of the table: the messages quoted in its first cell, its exit code, its "why".
struct Row {
    quotes: Vec<String>,
    exit: i32,
    why: String,
}

fn when_things_go_wrong() -> Vec<Row> {
    let section = README
        .split("## When things go wrong")
        .nth(1)
        .expect("README has a When things go wrong section");
    let quoted = Regex::new("`([^`]+)`").unwrap();
    section
        .lines()
        .skip_while(|line| !line.starts_with("|---"))
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 4, "four cells: {line}");
            Row {
                quotes: quoted
                    .captures_iter(cells[0])
                    .map(|quote| quote[1].to_string())
                    .collect(),
                exit: cells[1]
                    .parse()
                    .unwrap_or_else(|_| panic!("an exit code: {line}")),
                why: cells[2].to_string(),
            }
        })
        .collect()
}

/// Whether one line of `printed` holds every part of `quote` (split at `…`), in order.
fn says(printed: &str, quote: &str) -> bool {
    printed.lines().any(|line| {
        let mut rest = line;
        quote
            .split('…')
            .filter(|part| !part.is_empty())
            .all(|part| {
                rest.find(part)
                    .map(|at| rest = &rest[at + part.len()..])
                    .is_some()
            })
    })
}

#[test]
fn every_when_things_go_wrong_row_has_a_scenario_and_each_scenario_a_row() {
    let rows = when_things_go_wrong();
    for (words, _) in WHEN_THINGS_GO_WRONG {
        let matching = rows.iter().filter(|row| row.why.contains(words)).count();
        assert_eq!(matching, 1, "\"{words}\" must pick out one README row");
    }
    for row in &rows {
        let scenarios = WHEN_THINGS_GO_WRONG
            .iter()
            .filter(|(words, _)| row.why.contains(words))
            .count();
        assert_eq!(
            scenarios, 1,
            "README row \"{}\" needs exactly one scenario in WHEN_THINGS_GO_WRONG",
            row.why
        );
        assert!(
            !row.quotes.is_empty(),
            "row \"{}\" quotes no message",
            row.why
        );
    }
}

#[test]
fn when_things_go_wrong_quotes_what_the_binary_prints_and_exits_with() {
    let rows = when_things_go_wrong();
    let wrong = Mutex::new(Vec::new());
    each_in_parallel(WHEN_THINGS_GO_WRONG, |(words, scenario)| {
        let row = rows
            .iter()
            .find(|row| row.why.contains(words))
            .unwrap_or_else(|| panic!("README has no row whose why says \"{words}\""));
        let ran = scenario();
        let printed = format!("{}{}", ran.stdout, ran.stderr);
        let mut problems = Vec::new();
        if ran.code != row.exit {
            problems.push(format!("it exited {}, README says {}", ran.code, row.exit));
        }
        for quote in &row.quotes {
            if !says(&printed, quote) {
                problems.push(format!("no line says `{quote}`"));
            }
        }
        if !problems.is_empty() {
            wrong.lock().unwrap().push(format!(
                "row \"{words}…\": {}; the run printed:\n{printed}",
                problems.join("; ")
            ));
        }
    });
    let wrong = wrong.into_inner().unwrap();
    assert!(
        wrong.is_empty(),
        "README's When things go wrong is out of step with the binary (fix the row in README):\n\n{}",
        wrong.join("\n")
    );
}

#[test]
fn two_runs_of_the_same_scenario_mask_alike() {
    let one = "nodion-deploy 1.0.0-dev · http://127.0.0.1:34455/v1\n\
               Triggered deployment #3 (id a35bd650-a766-45df-9bd5-3ee8d5a77e15, commit 332fe53 \"x\")\n\
               [     8s] #3 available at 2026-11-28T07:31:19.097+00:00\n\
               retry 1 of 6 in 1s 292ms";
    let two = "nodion-deploy 1.0.0 · http://127.0.0.1:8/v1\n\
               Triggered deployment #3 (id 00000000-1111-2222-3333-444444444444, commit 1234567 \"x\")\n\
               [    12s] #3 available at 2026-01-01T00:00:00Z\n\
               retry 1 of 6 in 10s";
    assert_eq!(masked(one), masked(two));
    assert_ne!(masked("#3 available"), masked("#4 available"));
}

#[test]
fn a_quote_is_found_in_one_line_with_its_parts_in_order() {
    let printed = "a: deployment #3 of app-1 ended failed after 1s\nb: other";
    assert!(says(printed, "deployment #… of … ended failed after …"));
    assert!(says(printed, "… ended failed"));
    assert!(!says(printed, "ended failed … deployment #"));
    assert!(!says(printed, "failed after 1s … other"));
}

/// Azure hands a step's output variables to the job's later steps as `<STEP>_<NAME>`: the step
/// README names must not turn an output into an input's variable (a step named `nodion` would hand
/// on `deploy_number` as `NODION_DEPLOY_NUMBER`, the attach-mode input).
#[test]
fn readme_azure_step_name_hands_on_no_output_as_an_input() {
    let snippet = README
        .split_once("<!-- checked: azure-pipelines -->")
        .and_then(|(_, rest)| rest.split_once("\n```\n"))
        .expect("README has an Azure snippet")
        .0;
    let step = snippet
        .split_once("/nodion-deploy\n")
        .and_then(|(_, rest)| rest.lines().next())
        .and_then(|line| line.trim().strip_prefix("name: "))
        .expect("the step that runs nodion-deploy has a name");
    let inputs: Vec<String> = nodion_deploy::inputs::INPUTS
        .iter()
        .flat_map(|i| i.variables())
        .collect();
    for output in nodion_deploy::outputs::OUTPUTS {
        for name in output.handed_on(step) {
            assert!(
                !inputs.contains(&name),
                "README's Azure step {step} hands on {} as {name}, an input's variable",
                output.name
            );
        }
    }
    // The snippet's later step reads the number under the name the step hands it on as.
    let handed_on = format!("${}_DEPLOY_NUMBER", step.to_ascii_uppercase());
    assert!(snippet.contains(&handed_on), "{snippet}");
}
