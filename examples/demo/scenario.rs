//! The demo itself: a fake Nodion API on loopback, the inputs nodion-deploy gets, and the run (the
//! binary's own `session::run`). Kept apart from `main.rs` so that `tests/it/readme.rs` runs the
//! very same demo, and the binary with the same inputs, and holds README's sample log to what they
//! print.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use fake_nodion::{FakeNodion, Hold, Options, Seed, Stage};
use nodion_deploy::log::{Flavor, Log};
use nodion_deploy::session::{self, Surroundings};

/// How fast the demo polls the fake API.
#[derive(Clone, Copy)]
#[allow(dead_code)] // The demo watches, tests/it/readme.rs tests: each builds one of the two.
pub enum Pace {
    /// Every 1–2 s, so a person can watch the statuses change (`cargo run --example demo`).
    Watch,
    /// As fast as the fake answers (the tests): the same log, but for its times.
    Test,
}

/// The fake API the demo deploys to: #1 and #2 exist; a new deployment shows each status for a set
/// number of polls rather than a time, so every run logs the same statuses.
pub fn fake_api() -> FakeNodion {
    FakeNodion::start(Options {
        existing: vec![Seed::new(1, "available"), Seed::new(2, "failed")],
        lifecycle: vec![
            Stage::new("created", Hold::Lists(1)),
            Stage::new("waiting", Hold::Lists(1)),
            Stage::new("deploying", Hold::Lists(2)),
            Stage::new("available", Hold::Forever),
        ],
        ..Options::default()
    })
}

/// The inputs nodion-deploy gets, as a pipeline would set them: the fake's URL, token and
/// application, and the JSON result written to `result_file`.
pub fn inputs(fake: &FakeNodion, result_file: &Path, pace: Pace) -> Vec<(String, String)> {
    let (poll, max_poll) = match pace {
        Pace::Watch => ("1s", "2s"),
        Pace::Test => ("10ms", "20ms"),
    };
    [
        ("NODION_API_URL", fake.url()),
        ("NODION_API_TOKEN", fake.token()),
        ("NODION_APPLICATION_ID", fake.application_id()),
        ("NODION_POLL_INTERVAL", poll.into()),
        ("NODION_MAX_POLL_INTERVAL", max_poll.into()),
        ("NODION_TIMEOUT", "2m".into()),
        ("NODION_RESULT_FILE", result_file.display().to_string()),
        // The API is on this machine: a proxy set for the internet must not come between.
        ("NO_PROXY", "127.0.0.1,localhost".into()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect()
}

/// Runs the demo, writing all it shows to `out`: what the binary logs, framed by lines of the
/// demo's own (each starting `demo:`). Returns nodion-deploy's exit code.
pub fn run(out: Box<dyn Write + Send>, pace: Pace) -> u8 {
    let fake = fake_api();
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let result_file = scratch.path().join("result.json");
    let env: HashMap<String, String> = inputs(&fake, &result_file, pace).into_iter().collect();
    let out = Shared(Arc::new(Mutex::new(out)));
    let log = Log::to(Box::new(out.clone()), Flavor::Plain, false).redacting(&fake.token());
    log.line(&format!(
        "demo: a fake Nodion API serves {} on this machine; nodion-deploy deploys to it:",
        fake.url()
    ));
    log.line("");
    // What the binary runs, with the demo's inputs and its log going where the demo's does.
    let code = session::run(Surroundings::new(&env, Box::new(out))).code;
    log.line("");
    log.line(&format!(
        "demo: nodion-deploy exited with {code} after {} requests to the fake API",
        fake.requests().len()
    ));
    log.line(&format!(
        "demo: it wrote its outputs for later steps: {} (all of them: README → Outputs)",
        some_outputs(&result_file)
    ));
    log.line(
        "demo: to watch a failure and a timeout, and to run the binary yourself: README → Try it",
    );
    code
}

/// One writer shared by the demo's lines and nodion-deploy's log.
#[derive(Clone)]
struct Shared(Arc<Mutex<Box<dyn Write + Send>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .flush()
    }
}

/// A few outputs from the JSON result file, as `name=value`.
fn some_outputs(result_file: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(result_file) else {
        return "none (no result file)".into();
    };
    let result: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    ["result", "deploy_number", "status"]
        .iter()
        .map(|name| match &result[name] {
            serde_json::Value::String(text) => format!("{name}={text}"),
            other => format!("{name}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
