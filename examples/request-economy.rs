//! Prints what waiting costs with the default intervals, from the real wait loop and schedule:
//! list requests (including the snapshot) and the latest the end is seen, the worst over any
//! jitter; and what the check of `verify_url` costs in requests to the app. These are the tables
//! CONTRIBUTING.md and docs/how-it-works.md show between their `request-economy` markers.
//!
//! `cargo run --example request-economy`            prints the tables
//! `cargo run --example request-economy -- --write` writes them into every document that has the
//! markers (what `tests/it/economy.rs` asks for when a document's table differs)

use std::path::Path;
use std::process::ExitCode;

// The test that includes it too uses the rest.
#[path = "../bench/economy.rs"]
#[allow(dead_code, unused_imports)]
mod economy;

fn main() -> ExitCode {
    let tables = economy::tables();
    match std::env::args().nth(1).as_deref() {
        None => {
            let (min, max) = economy::default_intervals();
            println!(
                "Request economy with the defaults poll_interval={}, max_poll_interval={} (the worst over any jitter)",
                economy::at_most(min),
                economy::at_most(max)
            );
            for table in &tables {
                println!("\n{}{}{}", table.begin(), table.block(), table.end());
            }
            ExitCode::SUCCESS
        }
        Some("--write") => {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            economy::write_documents(root, |doc| economy::regenerate(doc, &tables))
        }
        Some(other) => {
            eprintln!("request-economy: unknown argument {other}; the only one is --write");
            ExitCode::from(2)
        }
    }
}
