//! README's "Try it", run as written: each `fake-nodion` command of its block (on a free port
//! instead of 8080), and the binary configured by its `export` line, with the variables its run
//! lines prefix; each run ends with the exit code the comments promise. The learned one also says
//! what it learned. The four run at once, in real time (the fakes' lifecycles, up to 15 s).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::{Deploy, each_in_parallel};

const README: &str = include_str!("../../README.md");

/// The lines of the `sh` blocks of "Try it" that hold `needle`.
fn lines_with(needle: &str) -> Vec<&'static str> {
    let section = README
        .split("\n## Try it\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a Try it section");
    section.lines().filter(|l| l.contains(needle)).collect()
}

/// `command  # comment` → (command, comment).
fn split_comment(line: &str) -> (&str, &str) {
    let (command, comment) = line.split_once(" # ").unwrap_or((line, ""));
    (command.trim(), comment.trim())
}

/// The example fake, serving until dropped: the process, its URL, and its standard output, kept
/// open (a closed pipe would end the fake at its next line).
struct Fake {
    child: Child,
    url: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Fake {
    /// Runs README's `cargo run --example fake-nodion -- …` as written, but on a free port (cargo
    /// builds the example when it is stale, then runs it in its own place).
    fn start(args: &str) -> Fake {
        let args = args.replace("--port 8080", "--port 0");
        let mut child = Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", "--quiet", "--example", "fake-nodion", "--"])
            .args(args.split_whitespace())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo runs");
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        stdout.read_line(&mut first).expect("readable");
        let url = first
            .trim()
            .strip_prefix("Fake Nodion API listening on ")
            .unwrap_or_else(|| panic!("`{args}` did not start: {first:?}"))
            .to_string();
        Fake {
            child,
            url,
            _stdout: stdout,
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What README's run lines promise: the exit code for "success", "failure" and "timeout", and the
/// variables set before `cargo run` for each.
fn promised(word: &str) -> (i32, Vec<(String, String)>) {
    for line in lines_with("cargo run -q") {
        let (command, comment) = split_comment(line);
        let Some(said) = comment
            .split(';')
            .find(|part| part.trim().starts_with(&format!("{word}:")))
        else {
            continue;
        };
        let code = said
            .rsplit("exit ")
            .next()
            .and_then(|c| c.trim().parse().ok());
        let prefix = command.split("cargo run").next().unwrap_or_default();
        let env = prefix
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        return (code.expect("an exit code"), env);
    }
    panic!("no run line of README's Try it says what a {word} exits with")
}

#[test]
fn readme_try_it_runs_as_written_and_exits_as_it_says() {
    let fakes = lines_with("--example fake-nodion");
    assert_eq!(fakes.len(), 4, "{fakes:?}");
    let export = lines_with("export NODION_API_URL=");
    assert_eq!(export.len(), 1);
    each_in_parallel(fakes, |line| {
        let (command, comment) = split_comment(line);
        let args = command.split_once(" -- ").map_or("", |(_, args)| args);
        let word = ["success", "failure", "timeout"]
            .into_iter()
            .find(|w| comment.contains(w))
            .unwrap_or_else(|| panic!("`{line}` says neither success, failure nor timeout"));
        let fake = Fake::start(args);
        let mut deploy = Deploy::bare();
        for assignment in export[0].trim_start_matches("export ").split_whitespace() {
            let (name, value) = assignment.split_once('=').expect("NAME=value");
            let value = value.replace("http://127.0.0.1:8080/v1", &fake.url);
            deploy = deploy.env(name, &value);
        }
        // A run that cannot end as promised ends within a minute all the same.
        deploy = deploy.env("NODION_TIMEOUT", "60s");
        let (code, env) = promised(word);
        for (name, value) in env {
            deploy = deploy.env(&name, &value);
        }
        let ran = deploy.run();
        assert_eq!(ran.code, code, "`{line}`:\n{}", ran.stderr);
        if comment.contains("learned") {
            let learned = "Expecting about 10s (median of the last 5 deployments)";
            assert!(ran.stderr.contains(learned), "`{line}`:\n{}", ran.stderr);
        }
    });
}
