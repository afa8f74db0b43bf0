//! The request economy promised by the deploy-gate and footprint issues, on the real wait loop and
//! schedule (bench/economy.rs simulates them with a fake clock).

#[path = "../../bench/economy.rs"]
#[allow(dead_code)]
mod sim;

use std::time::Duration;

use sim::{worst_checks, worst_economy};

const S: Duration = Duration::from_secs(1);

/// With the default intervals and any jitter, a deployment lasting 5 minutes costs at most 25 list
/// requests (including the snapshot), and every deployment is seen within `max_poll_interval`.
#[test]
fn the_request_economy_holds_for_every_row_of_the_table() {
    for (takes, most) in [(30, 8), (120, 14), (300, 25), (900, 65)] {
        let e = worst_economy(takes * S, 2 * S, 15 * S);
        assert!(e.requests <= most, "{takes} s: {e:?}");
        assert!(e.detected_after <= 15 * S, "{takes} s: {e:?}");
    }
    assert!(worst_economy(300 * S, 2 * S, 15 * S).requests <= 25);
}

/// With `verify_url`, an app already serving the new version costs one check, and one that takes
/// a while costs the same as a wait of that length: the same schedule, seen within
/// `max_poll_interval`.
#[test]
fn the_check_of_verify_url_costs_what_the_table_says() {
    for (serves_after, most) in [(0, 1), (10, 5), (30, 7), (120, 13)] {
        let e = worst_checks(serves_after * S, 2 * S, 15 * S);
        assert!(e.requests <= most, "{serves_after} s: {e:?}");
        assert!(e.detected_after <= 15 * S, "{serves_after} s: {e:?}");
    }
}
