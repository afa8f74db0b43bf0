//! Prints what waiting costs with the default intervals, from the real wait loop and schedule:
//! list requests (including the snapshot) and the worst detection delay over the jitter range; and
//! what the check of `verify_url` costs in requests to the app.
//!
//! `cargo run --example request-economy`

use std::time::Duration;

#[path = "../bench/economy.rs"]
mod economy;

use economy::{worst_checks, worst_economy};

fn main() {
    let (min, max) = (Duration::from_secs(2), Duration::from_secs(15));
    println!("Request economy with poll_interval=2s, max_poll_interval=15s (worst over jitter)");
    println!("| deployment takes | list requests | seen at most after |");
    println!("|---|---|---|");
    for (label, secs) in [
        ("30 s", 30),
        ("2 min", 120),
        ("5 min", 300),
        ("15 min", 900),
    ] {
        let e = worst_economy(Duration::from_secs(secs), min, max);
        println!(
            "| {label} | {} | {:.1} s |",
            e.requests,
            e.detected_after.as_secs_f64()
        );
    }
    println!("(plus one request's latency: the poll that sees it)");
    println!();
    println!("With verify_url: checks of the app after the deployment succeeded (none to the API)");
    println!("| the app serves the new version after | checks | seen at most after |");
    println!("|---|---|---|");
    for (label, secs) in [
        ("0 s (at once)", 0),
        ("10 s", 10),
        ("30 s", 30),
        ("2 min", 120),
    ] {
        let e = worst_checks(Duration::from_secs(secs), min, max);
        println!(
            "| {label} | {} | {:.1} s |",
            e.requests,
            e.detected_after.as_secs_f64()
        );
    }
}
