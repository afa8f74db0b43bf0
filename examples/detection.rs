//! Prints the detection-latency benchmark: how soon after a deployment ends the wait sees it, and
//! for how many polls, with nodion-deploy's schedules and its peers' fixed intervals, on the real
//! wait loop and schedule (`bench/detection.rs`). CONTRIBUTING.md shows the table between its
//! `detection` markers, README.md the headline.
//!
//! `cargo run --example detection`            prints the table and the headline
//! `cargo run --example detection -- --write` writes them into every document that has the markers
//! (what `tests/it/detection.rs` asks for when a document's differs)

use std::path::Path;
use std::process::ExitCode;

#[path = "../bench/economy.rs"]
#[allow(dead_code, unused_imports)]
mod economy;

#[path = "../bench/detection.rs"]
#[allow(dead_code)]
mod detection;

fn main() -> ExitCode {
    let benchmark = detection::detection();
    match std::env::args().nth(1).as_deref() {
        None => {
            println!(
                "Detection latency over {} deployments per scenario (the mean and the worst time \
                 from the end to the poll that sees it; polls: list requests after the trigger)\n",
                detection::SAMPLES
            );
            print!("{}", benchmark.markdown());
            println!("\nHeadline: {}", benchmark.headline());
            ExitCode::SUCCESS
        }
        Some("--write") => {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            economy::write_documents(root, |doc| benchmark.regenerate(doc))
        }
        Some(other) => {
            eprintln!("detection: unknown argument {other}; the only one is --write");
            ExitCode::from(2)
        }
    }
}
