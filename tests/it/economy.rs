//! The request economy promised by the deploy-gate and footprint issues, on the real wait loop and
//! schedule, and of the check of `verify_url`. `bench/economy.rs` computes the tables (a simulated
//! clock, the worst over any jitter); the tests here assert on those very rows, and check that every
//! document shows exactly the tables that code computes.

#[path = "../../bench/economy.rs"]
pub(crate) mod sim;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use nodion_deploy::inputs::DEFAULT_MAX_POLL_INTERVAL;
use nodion_deploy::schedule::SETTLE;
use sim::{PLACES, REGENERATE, Table, at_most, regenerate};

const S: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

/// The tables, computed once for every test here.
fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(sim::tables)
}

fn table(name: &str) -> &'static Table {
    tables()
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// A table's rows as it prints them: the label, the requests, the latest it is seen.
fn printed(table: &Table) -> Vec<(&str, u32, String)> {
    table
        .rows
        .iter()
        .map(|r| {
            (
                r.label,
                r.economy.requests,
                at_most(r.economy.detected_after),
            )
        })
        .collect()
}

#[test]
fn the_tables_are_for_the_default_intervals() {
    assert_eq!(sim::default_intervals(), (2 * S, 4500 * MS));
    let settings = sim::default_settings();
    assert_eq!(
        (settings.poll_interval, settings.max_poll_interval),
        sim::default_intervals()
    );
    assert!(!settings.intervals_set);
}

/// With the default intervals (2 s growing to 4.5 s) and any jitter, a deployment lasting 5
/// minutes costs at most 69 list requests (including the snapshot), and every deployment is seen
/// within `max_poll_interval`. The worst case of each row, exactly: these are the numbers the
/// documents show.
#[test]
fn the_request_economy_holds_for_every_row_of_the_table() {
    let waits = table("waits");
    assert_eq!(
        printed(waits),
        [
            ("30 s", 9, "3 s".to_owned()),
            ("2 min", 29, "3 s".to_owned()),
            ("5 min", 69, "3 s".to_owned()),
            ("15 min", 203, "4.5 s".to_owned()),
        ]
    );
    for row in &waits.rows {
        assert!(row.economy.detected_after <= 4500 * MS, "{:?}", row.economy);
    }
}

/// With `verify_url`, an app already serving the new version costs one check; one that takes a
/// while is checked about every second for 10 s, then as the default ladder: seen within 1.2 s
/// (a second and its jitter) in the first 10 s, and within the default `max_poll_interval` after.
#[test]
fn the_check_of_verify_url_costs_what_the_table_says() {
    let checks = table("checks");
    assert_eq!(
        printed(checks),
        [
            ("0 s (at once)", 1, "0 s".to_owned()),
            ("10 s", 14, "1.2 s".to_owned()),
            ("30 s", 22, "4.5 s".to_owned()),
            ("2 min", 42, "4.5 s".to_owned()),
        ]
    );
    for row in &checks.rows {
        let bound = if row.after <= SETTLE {
            1200 * MS
        } else {
            DEFAULT_MAX_POLL_INTERVAL
        };
        assert!(row.economy.detected_after <= bound, "{:?}", row.economy);
    }
}

/// The worst case is the worst over any jitter, not over a few fixed samples: a random jitter per
/// wait, or one sample for a random count of waits and another after, never costs more requests
/// nor is seen later than the table says.
#[test]
fn no_jitter_costs_more_than_the_worst_case() {
    let mut rng = fastrand::Rng::with_seed(17);
    let rows = table("waits").rows.iter().map(|r| (r, false));
    for (row, checking) in rows.chain(table("checks").rows.iter().map(|r| (r, true))) {
        for i in 0..400 {
            let jitter: sim::Jitter = if i % 2 == 0 {
                Box::new(fastrand::Rng::with_seed(rng.u64(..)))
            } else {
                let (a, b) = (rng.f64() * 2.0 - 1.0, rng.f64() * 2.0 - 1.0);
                sim::scripted(&[(a, rng.usize(..16)), (b, rng.usize(..24))], 1.0)
            };
            let e = if checking {
                sim::simulate_checks(row.after, sim::default_check(jitter))
            } else {
                sim::simulate(row.after, sim::default_wait(jitter))
            };
            let worst = row.economy;
            assert!(e.requests <= worst.requests, "{e:?} vs {worst:?}");
            assert!(
                e.detected_after <= worst.detected_after,
                "{e:?} vs {worst:?}"
            );
        }
    }
}

/// Every table a document shows between `request-economy` markers is the one the code computes,
/// and each stands where `PLACES` says.
#[test]
fn every_document_shows_the_request_economy_the_code_computes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut stale = Vec::new();
    for path in sim::documents(Path::new(env!("CARGO_MANIFEST_DIR"))) {
        let name = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let doc = std::fs::read_to_string(&path).unwrap();
        let (regenerated, tables) =
            regenerate(&doc, tables()).unwrap_or_else(|e| panic!("{name}: {e}"));
        if regenerated != doc {
            stale.push(name.clone());
        }
        found.extend(tables.into_iter().map(|t| (name.clone(), t)));
    }
    let shown: Vec<String> = tables()
        .iter()
        .map(|t| format!("{}{}{}", t.begin(), t.block(), t.end()))
        .collect();
    assert!(
        stale.is_empty(),
        "the request-economy tables in {} are not what the code computes; run `{REGENERATE}`. \
         They are:\n\n{}",
        stale.join(", "),
        shown.join("\n\n")
    );
    for (doc, name) in PLACES {
        assert!(
            found.iter().any(|(d, n)| d == doc && *n == name),
            "{doc} has no request-economy table `{name}`: put `<!-- request-economy:{name}:begin -->` \
             and `<!-- request-economy:{name}:end -->` where it goes, then run `{REGENERATE}`"
        );
    }
}

/// What the check of the documents relies on: a stale table is replaced, a current one left as it
/// is, and a marker without its pair or naming no table is an error.
#[test]
fn a_stale_table_between_the_markers_is_found_and_replaced() {
    let stale = "Before.\n\n<!-- request-economy:waits:begin -->\n| 30 s | 7 | 14 s |\n\
                 <!-- request-economy:waits:end -->\n\nAfter.\n";
    let (fresh, found) = regenerate(stale, tables()).unwrap();
    assert_eq!(found, ["waits"]);
    assert_ne!(fresh, stale);
    assert!(
        fresh
            .starts_with("Before.\n\n<!-- request-economy:waits:begin -->\n\n| deployment takes |")
    );
    assert!(fresh.ends_with("|\n\n<!-- request-economy:waits:end -->\n\nAfter.\n"));
    assert_eq!(regenerate(&fresh, tables()).unwrap().0, fresh);

    let unpaired = "<!-- request-economy:waits:begin -->\n| x |\n";
    assert!(regenerate(unpaired, tables()).is_err());
    let unknown = "<!-- request-economy:polls:begin -->\n<!-- request-economy:polls:end -->\n";
    assert!(regenerate(unknown, tables()).is_err());
}

/// `--write` (`sim::write_documents`): a stale table in a document at the root or in `docs/` is
/// rewritten, a document without markers is left byte for byte, and one with a broken marker fails
/// the run.
#[test]
fn write_rewrites_each_stale_document_and_fails_on_a_broken_one() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("docs")).unwrap();
    let stale = "<!-- request-economy:waits:begin -->\n| 30 s | 7 | 14 s |\n\
                 <!-- request-economy:waits:end -->\n";
    let (readme, guide, plain) = (
        root.path().join("README.md"),
        root.path().join("docs/guide.md"),
        root.path().join("docs/plain.md"),
    );
    for (path, text) in [(&readme, stale), (&guide, stale), (&plain, "No tables.\n")] {
        std::fs::write(path, text).unwrap();
    }
    let write = || sim::write_documents(root.path(), |doc| regenerate(doc, tables()));
    assert_eq!(write(), std::process::ExitCode::SUCCESS);
    let fresh = regenerate(stale, tables()).unwrap().0;
    assert_eq!(std::fs::read_to_string(&readme).unwrap(), fresh);
    assert_eq!(std::fs::read_to_string(&guide).unwrap(), fresh);
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), "No tables.\n");
    std::fs::write(&plain, "<!-- request-economy:waits:begin -->\n").unwrap();
    assert_eq!(write(), std::process::ExitCode::FAILURE);
}
