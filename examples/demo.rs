//! A real deploy flow against the embedded fake Nodion API, showing the log a pipeline would show.
//!
//! `cargo run --example demo` — starts the fake API on a free loopback port, then runs
//! nodion-deploy's own code on it exactly as the binary would: snapshot, trigger, poll until
//! deployment #3 is available, write the outputs (here: the JSON result on standard output).

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_nodion::{FakeNodion, Hold, Options, Seed, Stage};
use nodion_deploy::api::Api;
use nodion_deploy::clock::SystemClock;
use nodion_deploy::inputs::Settings;
use nodion_deploy::log::{Flavor, Log};
use nodion_deploy::run::{self, Progress, Run};

fn main() -> ExitCode {
    // The demo's API is on this machine: keep a proxy configured for the internet away from it.
    for name in ["NO_PROXY", "no_proxy"] {
        // SAFETY: nothing else runs yet, so no thread can be reading the environment.
        unsafe { std::env::set_var(name, "127.0.0.1,localhost") };
    }
    let fake = FakeNodion::start(Options {
        existing: vec![Seed::new(1, "available"), Seed::new(2, "failed")],
        lifecycle: vec![
            Stage::new("created", Hold::For(Duration::from_millis(1500))),
            Stage::new("waiting", Hold::For(Duration::from_secs(2))),
            Stage::new("deploying", Hold::For(Duration::from_secs(3))),
            Stage::new("available", Hold::Forever),
        ],
        ..Options::default()
    });
    eprintln!(
        "demo: a fake Nodion API is serving {} on loopback\n",
        fake.url()
    );

    let env: HashMap<String, String> = [
        ("NODION_API_URL", fake.url()),
        ("NODION_API_TOKEN", fake.token()),
        ("NODION_APPLICATION_ID", fake.application_id()),
        ("NODION_POLL_INTERVAL", "1s".into()),
        ("NODION_MAX_POLL_INTERVAL", "2s".into()),
        ("NODION_TIMEOUT", "2m".into()),
        ("NODION_RESULT_FILE", "-".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    // What the binary does, on this thread: read the inputs, run the flow, write the outputs.
    let settings = match Settings::from_env(&env) {
        Ok(settings) => settings,
        Err(problems) => {
            eprintln!("demo: {problems:?}");
            return ExitCode::FAILURE;
        }
    };
    let log = Arc::new(Log::stderr(
        Flavor::from(&settings.platform),
        settings.debug,
    ));
    let api = Api::new(&settings, log.clone());
    let progress = Progress::default();
    let report = Run {
        settings: &settings,
        api: &api,
        log: &log,
        clock: Arc::new(SystemClock),
        started: Instant::now(),
        random: fastrand::Rng::new(),
        progress: &progress,
    }
    .deploy();
    let code = run::finish(&settings, &log, report);
    eprintln!(
        "\ndemo: nodion-deploy exited with {code} after {} requests to the fake API",
        fake.requests().len()
    );
    ExitCode::from(code)
}
