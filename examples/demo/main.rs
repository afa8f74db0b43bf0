//! A deploy against a fake Nodion API on this machine, showing the log a pipeline would show.
//!
//! `cargo run --example demo` — starts the fake API on a free loopback port and runs
//! nodion-deploy's own code on it as the binary would: snapshot, trigger, poll until deployment #3
//! is available, write the outputs. README's sample log is this demo's output (`scenario.rs`).

mod scenario;

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(scenario::run(
        Box::new(std::io::stderr()),
        scenario::Pace::Watch,
    ))
}
