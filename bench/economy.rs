//! What waiting costs, from the real wait loop and schedule with a simulated clock and instant
//! requests. This file is the one place the request-economy tables come from: the example prints
//! them and writes them into the documents (`cargo run --example request-economy [-- --write]`),
//! and `tests/it/economy.rs` asserts on the same rows and checks that every document shows exactly
//! these tables. Both include this file.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nodion_deploy::clock::Clock;
use nodion_deploy::ending::Signal;
use nodion_deploy::inputs::{DEFAULT_MAX_POLL_INTERVAL, DEFAULT_POLL_INTERVAL, Settings};
use nodion_deploy::model::{Deployment, Listing};
use nodion_deploy::poll::{Deadline, Poller};
use nodion_deploy::schedule::{JitterSource, Schedule};
use nodion_deploy::watch::{Rules, Watch};

#[path = "blocks.rs"]
mod blocks;
pub use blocks::{Block, documents, replace_blocks, write_documents};

/// What waiting costs for a deployment that takes `takes` to become terminal (success), on the real
/// wait loop and schedule with a simulated clock and instant requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Economy {
    /// List requests, including the snapshot before the trigger.
    pub requests: u32,
    /// How long after it became terminal the deployment was seen so.
    pub detected_after: Duration,
}

/// Time that passes only when the loop sleeps: requests take none.
struct Simulated(Cell<Instant>);

impl Clock for Simulated {
    fn now(&self) -> Instant {
        self.0.get()
    }

    fn sleep(&self, duration: Duration) {
        self.0.set(self.0.get() + duration);
    }

    /// No timestamps are read in a simulation.
    fn wall(&self) -> std::time::SystemTime {
        std::time::SystemTime::UNIX_EPOCH
    }
}

/// A simulated job is never cancelled.
fn never() -> Option<Signal> {
    None
}

/// Where a schedule draws its jitter from.
pub type Jitter = Box<dyn JitterSource + Send>;

/// The settings of a run that sets only what it must: every other input at its default.
pub fn default_settings() -> Settings {
    let env: HashMap<String, String> = [
        ("NODION_API_TOKEN", "token-123"),
        ("NODION_APPLICATION_ID", "app-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Settings::from_env(&env).expect("valid settings")
}

/// The first and the longest wait when the user sets neither `poll_interval` nor
/// `max_poll_interval`.
pub fn default_intervals() -> (Duration, Duration) {
    (DEFAULT_POLL_INTERVAL, DEFAULT_MAX_POLL_INTERVAL)
}

/// The wait for a deployment without history, with the default settings.
pub fn default_wait(jitter: Jitter) -> Schedule {
    Schedule::for_deployment(&default_settings(), None, jitter)
}

/// The check of `verify_url` with the default settings.
pub fn default_check(jitter: Jitter) -> Schedule {
    Schedule::for_check(&default_settings(), jitter)
}

/// Long enough for any wait simulated here to see its end before the deadline.
const ROOM: Duration = Duration::from_secs(300);

/// Simulates the wait for one deployment that takes `takes`, polled on `schedule`.
pub fn simulate(takes: Duration, schedule: Schedule) -> Economy {
    let t0 = Instant::now();
    let rules = Rules {
        success: vec!["available".into()],
        failure: vec!["failed".into()],
        deploy_number: "NODION_DEPLOY_NUMBER".into(),
    };
    let clock = Simulated(Cell::new(t0));
    let deadline = Deadline::at(t0 + takes * 2 + ROOM);
    let mut watch = Watch::new(1, rules, t0, schedule, t0, false);
    let mut requests = 1; // the snapshot
    let list = |_| {
        requests += 1;
        let status = if clock.now().duration_since(t0) >= takes {
            "available"
        } else {
            "deploying"
        };
        let ours = Deployment {
            deploy_number: Some(1),
            status: Some(status.into()),
            ..Deployment::default()
        };
        Ok(Listing {
            highest: 1,
            kept: vec![ours],
            more: false,
        })
    };
    let _ = Poller::new(&clock, deadline, &never).run(&mut watch, list, |_, _| {});
    assert!(
        clock.now() < t0 + takes * 2 + ROOM,
        "the deadline came first"
    );
    Economy {
        requests,
        detected_after: clock.now().duration_since(t0).saturating_sub(takes),
    }
}

/// What the check of `verify_url` costs for an app that serves the new version `serves_after` the
/// deployment succeeded, checked on `schedule`: requests to the app (none to the API), on the real
/// check loop.
pub fn simulate_checks(serves_after: Duration, schedule: Schedule) -> Economy {
    use nodion_deploy::verify::{Answered, Check};
    let t0 = Instant::now();
    let clock = Simulated(Cell::new(t0));
    let deadline = Check::deadline(t0 + serves_after * 2 + ROOM, Duration::from_secs(30));
    let mut check = Check::new(t0, schedule, t0);
    let mut requests = 0;
    let send = |_| {
        requests += 1;
        let code = if clock.now().duration_since(t0) >= serves_after {
            200
        } else {
            503
        };
        Answered::Status {
            code,
            contains: None,
        }
    };
    let _ = Poller::new(&clock, deadline, &never).run(&mut check, send, |_, _| {});
    Economy {
        requests,
        detected_after: clock.now().duration_since(t0).saturating_sub(serves_after),
    }
}

/// The constant jitter samples the worst case is taken over: both ends and between. `-1` gives
/// every wait its shortest, so it alone gives the most requests (see [`worst`]).
pub const JITTER_SAMPLES: [f64; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];

/// The worst of [`simulate`] over any jitter (see [`worst`]): most requests, latest detection.
pub fn worst_economy(takes: Duration, schedule: impl Fn(Jitter) -> Schedule) -> Economy {
    worst(|jitter| simulate(takes, schedule(jitter)))
}

/// The worst of [`simulate_checks`] over any jitter, as [`worst_economy`].
pub fn worst_checks(serves_after: Duration, schedule: impl Fn(Jitter) -> Schedule) -> Economy {
    worst(|jitter| simulate_checks(serves_after, schedule(jitter)))
}

/// Jitter that an adversary picks: each part's sample for its count of waits, then `then`; the
/// parts of a schedule it is forked to count their waits together.
#[derive(Clone)]
struct Scripted {
    parts: Vec<(f64, usize)>,
    then: f64,
    drawn: Arc<AtomicUsize>,
}

impl JitterSource for Scripted {
    fn sample(&mut self) -> f64 {
        let mut drawn = self.drawn.fetch_add(1, Ordering::Relaxed);
        for &(sample, count) in &self.parts {
            match drawn.checked_sub(count) {
                Some(left) => drawn = left,
                None => return sample,
            }
        }
        self.then
    }

    fn fork(&mut self) -> Jitter {
        Box::new(self.clone())
    }
}

/// Each part's sample for its count of waits, in turn, then `then`.
pub fn scripted(parts: &[(f64, usize)], then: f64) -> Jitter {
    Box::new(Scripted {
        parts: parts.to_vec(),
        then,
        drawn: Default::default(),
    })
}

/// The worst of one simulation over any jitter (a sample drawn per wait): most requests, latest
/// detection.
///
/// Every wait grows with its sample, and a wait that starts later never ends earlier (within the
/// ladder the time plays no part; `verify_url`'s settling window ends where the ladder after it
/// begins with the window's own wait, and a later start has taken no fewer of the ladder's growing
/// steps). So the time of request `r` is least when every sample is `-1`, which gives the most
/// requests. Request `r` goes out after `r - 1` waits (the wait's snapshot, or the check's first
/// request, is the first), so `requests > k + 1` exactly when the first `k` waits end before the
/// change. The latest detection is the last request before the change as late as it can be, then
/// the longest next wait: for each `k`, the largest sample for the first `k` waits that keeps
/// request `k + 1` before the change (bisected), then the longest waits. With a ladder, any sum of
/// `k` waits between the shortest and the longest is some constant sample's, so this is the
/// supremum over every sequence of samples (which the jitter may only approach). With the
/// settling window, the time after `k` waits jumps where the count of waits within the window
/// changes, so a constant sample misses some times for one `k`; it reaches them for another with
/// as many waits after the window, which is what decides the next wait. The tests hold the rows
/// against random jitter and against jitter of two parts, one sample within the window and another
/// after it.
fn worst(simulation: impl Fn(Jitter) -> Economy) -> Economy {
    let mut runs: Vec<Economy> = JITTER_SAMPLES
        .iter()
        .map(|j| simulation(Box::new(*j)))
        .collect();
    let most = runs[0].requests as usize;
    for k in 1..most {
        let unseen =
            |first: f64| simulation(scripted(&[(first, k)], 1.0)).requests as usize > k + 1;
        if !unseen(-1.0) {
            continue;
        }
        let (mut low, mut high) = (-1.0, 1.0);
        if unseen(high) {
            low = high;
        } else {
            for _ in 0..40 {
                let mid = (low + high) / 2.0;
                if unseen(mid) {
                    low = mid;
                } else {
                    high = mid;
                }
            }
        }
        runs.push(simulation(scripted(&[(low, k)], 1.0)));
    }
    runs.into_iter().fold(
        Economy {
            requests: 0,
            detected_after: Duration::ZERO,
        },
        |worst, e| Economy {
            requests: worst.requests.max(e.requests),
            detected_after: worst.detected_after.max(e.detected_after),
        },
    )
}

/// One of the request-economy tables: its name in the documents' markers, its header, its rows.
pub struct Table {
    /// The name in `<!-- request-economy:NAME:begin -->`.
    pub name: &'static str,
    /// The column headings.
    pub header: [&'static str; 3],
    /// The rows: a label, how long the deployment (or the app) takes, and the worst cost.
    pub rows: Vec<Row>,
}

/// One row of a table.
pub struct Row {
    /// The first cell.
    pub label: &'static str,
    /// How long the deployment takes to finish (or the app to serve the new version).
    pub after: Duration,
    /// The worst over jitter, with the default intervals.
    pub economy: Economy,
}

/// The rows of the wait's table: how long the deployment takes.
pub const WAIT_ROWS: [(&str, u64); 4] = [
    ("30 s", 30),
    ("2 min", 120),
    ("5 min", 300),
    ("15 min", 900),
];

/// The rows of the check's table: how long until the app serves the new version.
pub const CHECK_ROWS: [(&str, u64); 4] = [
    ("0 s (at once)", 0),
    ("10 s", 10),
    ("30 s", 30),
    ("2 min", 120),
];

/// The tables, computed with the default intervals: `waits` (list requests while waiting for the
/// deployment) and `checks` (requests to the app while checking `verify_url`).
pub fn tables() -> Vec<Table> {
    let rows = |spec: &[(&'static str, u64)], cost: &dyn Fn(Duration) -> Economy| {
        spec.iter()
            .map(|&(label, secs)| Row {
                label,
                after: Duration::from_secs(secs),
                economy: cost(Duration::from_secs(secs)),
            })
            .collect()
    };
    vec![
        Table {
            name: "waits",
            header: [
                "deployment takes",
                "list requests (incl. the snapshot)",
                "seen at most after",
            ],
            rows: rows(&WAIT_ROWS, &|takes| worst_economy(takes, default_wait)),
        },
        Table {
            name: "checks",
            header: [
                "the app serves the new version after",
                "checks",
                "seen at most after",
            ],
            rows: rows(&CHECK_ROWS, &|after| worst_checks(after, default_check)),
        },
    ]
}

/// A bound in seconds as the tables show it: rounded up to a tenth, without a trailing `.0`.
pub fn at_most(d: Duration) -> String {
    let tenths = d.as_nanos().div_ceil(100_000_000);
    match tenths % 10 {
        0 => format!("{} s", tenths / 10),
        t => format!("{}.{t} s", tenths / 10),
    }
}

impl Table {
    /// The table in Markdown, one line per row, ending in a newline.
    pub fn markdown(&self) -> String {
        let [a, b, c] = self.header;
        let mut out = format!("| {a} | {b} | {c} |\n|---|---|---|\n");
        for row in &self.rows {
            out += &format!(
                "| {} | {} | {} |\n",
                row.label,
                row.economy.requests,
                at_most(row.economy.detected_after)
            );
        }
        out
    }

    /// What stands between the markers in a document: the table, with a blank line either side.
    pub fn block(&self) -> String {
        format!("\n\n{}\n", self.markdown())
    }

    /// The marker before the table.
    pub fn begin(&self) -> String {
        format!("{OPEN}{}:begin -->", self.name)
    }

    /// The marker after the table.
    pub fn end(&self) -> String {
        format!("{OPEN}{}:end -->", self.name)
    }

    /// The table as a block of the documents.
    pub fn shown(&self) -> Block {
        Block {
            name: self.name,
            begin: self.begin(),
            end: self.end(),
            body: self.block(),
        }
    }
}

/// How every request-economy marker begins.
const OPEN: &str = "<!-- request-economy:";

/// Where the tables must stand: a document (from the repository's root) and a table's name.
pub const PLACES: [(&str, &str); 3] = [
    ("CONTRIBUTING.md", "waits"),
    ("CONTRIBUTING.md", "checks"),
    ("docs/how-it-works.md", "waits"),
];

/// The command that writes the tables into the documents.
pub const REGENERATE: &str = "cargo run --example request-economy -- --write";

/// `doc` with what stands between each pair of markers replaced by that table's block, and the
/// names of the tables it holds; an error for a marker without its pair or an unknown table.
pub fn regenerate(doc: &str, tables: &[Table]) -> Result<(String, Vec<&'static str>), String> {
    let blocks: Vec<Block> = tables.iter().map(Table::shown).collect();
    replace_blocks(doc, OPEN, &blocks)
}
