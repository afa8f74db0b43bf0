//! The detection-latency benchmark (issue 20), on the real wait loop, schedule and history:
//! `bench/detection.rs` computes it; the tests here hold its acceptance figures, and check that
//! every document shows exactly what that code computes.

// `bench/detection.rs` reaches the simulation as `super::economy`: the one `tests/it/economy.rs`
// includes.
use crate::economy::sim as economy;

#[path = "../../bench/detection.rs"]
mod bench;

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use bench::{CONSISTENT, DO, Detection, History, PLACES, Polling, REGENERATE, SPREAD};
use nodion_deploy::history;

const S: Duration = Duration::from_secs(1);

/// The benchmark, computed once for every test here.
fn detection() -> &'static Detection {
    static DETECTION: OnceLock<Detection> = OnceLock::new();
    DETECTION.get_or_init(bench::detection)
}

/// Issue 20's acceptance: learned from an app whose deployments are consistent (± 10 %), the end
/// is seen within a second on average for at most 40 polls, a quarter of DigitalOcean's fixed
/// 2 s and sooner; without history, within 2.5 s for at most 80 polls.
#[test]
fn the_benchmark_meets_the_issues_targets() {
    let d = detection();
    let learned = d.row(History::Spread(CONSISTENT), Polling::Learned);
    let default = d.row(History::None, Polling::Default);
    let digital_ocean = d.row(History::None, DO);
    assert!(learned.mean <= S, "{learned:?}");
    assert!(learned.polls <= 40.0, "{learned:?}");
    assert!(
        learned.polls <= digital_ocean.polls / 4.0,
        "{digital_ocean:?}"
    );
    assert!(learned.mean < digital_ocean.mean, "{digital_ocean:?}");
    assert!(default.mean <= 2500 * S / 1000, "{default:?}");
    assert!(default.polls <= 80.0, "{default:?}");
}

/// With the spread the issue names (± 30 %), learning still beats the default on both counts;
/// a mean within a second for 40 polls is out of any schedule's reach there, and the learned
/// schedule's mean is above what its own polls allow.
#[test]
fn with_a_wider_spread_learning_beats_the_default_and_the_bound_says_how_far_any_can_go() {
    let d = detection();
    let spread = History::Spread(SPREAD);
    let (learned, default) = (
        d.row(spread, Polling::Learned),
        d.row(spread, Polling::Default),
    );
    assert!(learned.polls < default.polls, "{learned:?} {default:?}");
    assert!(learned.mean < default.mean, "{learned:?} {default:?}");
    assert!(d.bound(bench::TARGET_POLLS) > S);
    assert!(learned.mean >= d.bound(learned.polls), "{learned:?}");
}

/// The peers poll every `i` without jitter: the end is seen after i/2 on average and never later
/// than `i`; nodion-deploy's default never waits longer than its 4.5 s.
#[test]
fn the_fixed_intervals_and_the_default_see_the_end_within_their_longest_wait() {
    for row in &detection().rows {
        let longest = match row.polling {
            Polling::Fixed(_, every) => {
                let half = every as f64 / 2.0;
                assert!(
                    (row.mean.as_secs_f64() - half).abs() < 0.05 * half,
                    "{row:?}"
                );
                S * every as u32
            }
            Polling::Default => 4500 * S / 1000,
            Polling::Before => 15 * S,
            Polling::Learned => continue,
        };
        assert!(row.worst <= longest, "{row:?}");
    }
}

/// The past deployments the benchmark builds are read by the real `history::learn` as what they
/// took: all ten, the median, the fastest and the slowest.
#[test]
fn the_benchmarks_past_deployments_teach_what_they_took() {
    let past: Vec<Duration> = [95_500, 100_250, 104_000, 120_000, 88_001, 101_000, 97_000]
        .into_iter()
        .chain([100_000, 110_000, 90_000])
        .map(Duration::from_millis)
        .collect();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600 + 86_400);
    let learned =
        history::learn(&bench::deployments(&past), &["available".into()], now).expect("learned");
    assert_eq!(learned.count, 10);
    assert_eq!(learned.fastest, Duration::from_millis(88_001));
    assert_eq!(learned.slowest, Duration::from_millis(120_000));
    assert_eq!(learned.expected, Duration::from_millis(100_125));
}

/// Every block a document shows between `detection` markers is what the code computes, and each
/// stands where `PLACES` says.
#[test]
fn every_document_shows_the_detection_latency_the_code_computes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut found, mut stale) = (Vec::new(), Vec::new());
    for path in economy::documents(root) {
        let name = path.strip_prefix(root).unwrap().to_string_lossy();
        let name = name.replace('\\', "/");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (regenerated, blocks) = detection()
            .regenerate(&doc)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if regenerated != doc {
            stale.push(name.clone());
        }
        found.extend(blocks.into_iter().map(|b| (name.clone(), b)));
    }
    assert!(
        stale.is_empty(),
        "the detection latency in {} is not what the code computes; run `{REGENERATE}`. It is:\n\n{}\n{}",
        stale.join(", "),
        detection().markdown(),
        detection().headline()
    );
    for (doc, name) in PLACES {
        assert!(
            found.iter().any(|(d, n)| d == doc && *n == name),
            "{doc} has no detection block `{name}`: put its markers where it goes, then run \
             `{REGENERATE}`"
        );
    }
}

/// A stale table or headline between the markers is replaced, a current one left as it is, and a
/// marker without its pair or naming no block is an error.
#[test]
fn a_stale_detection_block_is_found_and_replaced() {
    let stale = "Before.\n\n<!-- detection:begin -->\n| old |\n<!-- detection:end -->\n\n\
                 It is <!-- detection:headline:begin -->fast<!-- detection:headline:end -->.\n";
    let (fresh, found) = detection().regenerate(stale).unwrap();
    assert_eq!(found, ["table", "headline"]);
    assert!(fresh.starts_with("Before.\n\n<!-- detection:begin -->\n\n| deployments |"));
    assert!(fresh.contains(&format!(
        "It is <!-- detection:headline:begin -->{}<!-- detection:headline:end -->.\n",
        detection().headline()
    )));
    assert_eq!(detection().regenerate(&fresh).unwrap().0, fresh);

    assert!(
        detection()
            .regenerate("<!-- detection:begin -->\n| x |\n")
            .is_err()
    );
    let unknown = "<!-- detection:latency:begin -->\n<!-- detection:latency:end -->\n";
    assert!(detection().regenerate(unknown).is_err());
}
