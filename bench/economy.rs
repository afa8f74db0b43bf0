//! What waiting costs, from the real wait loop and schedule with a simulated clock and instant
//! requests. This file is the one place the request-economy tables come from: the example prints
//! them and writes them into the documents (`cargo run --example request-economy [-- --write]`),
//! and `tests/it/economy.rs` asserts on the same rows and checks that every document shows exactly
//! these tables. Both include this file.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nodion_deploy::clock::Clock;
use nodion_deploy::ending::Signal;
use nodion_deploy::inputs::{MAX_POLL_INTERVAL, POLL_INTERVAL, parse_duration};
use nodion_deploy::model::{Deployment, Listing};
use nodion_deploy::poll::{Deadline, Poller};
use nodion_deploy::schedule::{JitterSource, Schedule};
use nodion_deploy::watch::{Rules, Watch};

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

/// The default `poll_interval` and `max_poll_interval`, read from the input table.
pub fn default_intervals() -> (Duration, Duration) {
    let default = |input: &nodion_deploy::inputs::Input| {
        parse_duration(input.default_value().expect("a fixed default")).expect("a duration")
    };
    (default(&POLL_INTERVAL), default(&MAX_POLL_INTERVAL))
}

/// Simulates the wait for one deployment that takes `takes`, with the given intervals and jitter.
pub fn simulate(
    takes: Duration,
    min: Duration,
    max: Duration,
    jitter: Box<dyn JitterSource + Send>,
) -> Economy {
    let t0 = Instant::now();
    let rules = Rules {
        success: vec!["available".into()],
        failure: vec!["failed".into()],
        deploy_number: "NODION_DEPLOY_NUMBER".into(),
    };
    let clock = Simulated(Cell::new(t0));
    let schedule = Schedule::ladder(min, max, jitter);
    // Long enough for any deployment simulated here not to time out.
    let deadline = Deadline::at(t0 + takes * 2 + max * 2);
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
    Economy {
        requests,
        detected_after: clock.now().duration_since(t0).saturating_sub(takes),
    }
}

/// The constant jitter samples the worst case is taken over: both ends and between. `-1` gives
/// every wait its shortest, so it alone gives the most requests (each wait grows with its sample).
pub const JITTER_SAMPLES: [f64; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];

/// The worst of [`simulate`] over any jitter (see [`worst`]): most requests, latest detection.
pub fn worst_economy(takes: Duration, min: Duration, max: Duration) -> Economy {
    worst(|jitter| simulate(takes, min, max, jitter))
}

/// Jitter that an adversary picks: `first` for the first `count` waits, then `then`; the parts of
/// a schedule it is forked to count their waits together.
#[derive(Clone)]
struct Scripted {
    first: f64,
    count: usize,
    then: f64,
    drawn: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl JitterSource for Scripted {
    fn sample(&mut self) -> f64 {
        let drawn = 1 + self
            .drawn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if drawn <= self.count {
            self.first
        } else {
            self.then
        }
    }

    fn fork(&mut self) -> Box<dyn JitterSource + Send> {
        Box::new(self.clone())
    }
}

fn scripted(first: f64, count: usize, then: f64) -> Box<dyn JitterSource + Send> {
    Box::new(Scripted {
        first,
        count,
        then,
        drawn: Default::default(),
    })
}

/// The worst of one simulation over any jitter (a sample drawn per wait): most requests, latest
/// detection.
///
/// Request `r` goes out after `r - 1` waits (the wait's snapshot, or the check's first request, is
/// the first), so `requests > k + 1` exactly when the first `k` waits end before the change. The
/// latest detection is the last request before the change as late as it can be, then the longest
/// next wait: for each `k`, the largest sample for the first `k` waits that keeps request `k + 1`
/// before the change (bisected: every wait grows with its sample), then the longest waits. Any
/// sum of `k` waits between the shortest and the longest is some constant sample's, so this is
/// the supremum over every sequence of samples, approached from below (it is never reached).
fn worst(simulation: impl Fn(Box<dyn JitterSource + Send>) -> Economy) -> Economy {
    let mut runs: Vec<Economy> = JITTER_SAMPLES
        .iter()
        .map(|j| simulation(Box::new(*j)))
        .collect();
    let most = runs[0].requests as usize;
    for k in 1..most {
        let unseen = |first: f64| simulation(scripted(first, k, 1.0)).requests as usize > k + 1;
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
        runs.push(simulation(scripted(low, k, 1.0)));
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

/// What the check of `verify_url` costs for an app that serves the new version `serves_after` the
/// deployment succeeded: requests to the app (none to the API), on the real check loop.
pub fn simulate_checks(
    serves_after: Duration,
    min: Duration,
    max: Duration,
    jitter: Box<dyn JitterSource + Send>,
) -> Economy {
    use nodion_deploy::verify::{Answered, Check};
    let t0 = Instant::now();
    let clock = Simulated(Cell::new(t0));
    let schedule = Schedule::ladder(min, max, jitter);
    let deadline = t0 + serves_after * 2 + max * 2;
    let deadline = Check::deadline(deadline, Duration::from_secs(30));
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

/// The worst of [`simulate_checks`] over any jitter, as [`worst_economy`].
pub fn worst_checks(serves_after: Duration, min: Duration, max: Duration) -> Economy {
    worst(|jitter| simulate_checks(serves_after, min, max, jitter))
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
    let (min, max) = default_intervals();
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
            rows: rows(&WAIT_ROWS, &|takes| worst_economy(takes, min, max)),
        },
        Table {
            name: "checks",
            header: [
                "the app serves the new version after",
                "checks",
                "seen at most after",
            ],
            rows: rows(&CHECK_ROWS, &|after| worst_checks(after, min, max)),
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
        begin(self.name)
    }

    /// The marker after the table.
    pub fn end(&self) -> String {
        format!("<!-- request-economy:{}:end -->", self.name)
    }
}

fn begin(name: &str) -> String {
    format!("<!-- request-economy:{name}:begin -->")
}

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
    const OPEN: &str = "<!-- request-economy:";
    let mut out = String::with_capacity(doc.len());
    let mut found = Vec::new();
    let mut rest = doc;
    while let Some(at) = rest.find(OPEN) {
        let marker_end = rest[at..]
            .find("-->")
            .map(|i| at + i + 3)
            .ok_or_else(|| format!("a marker `{OPEN}` is never closed with -->"))?;
        let marker = &rest[at..marker_end];
        let table = tables.iter().find(|t| marker == t.begin()).ok_or_else(|| {
            let names: Vec<_> = tables.iter().map(|t| begin(t.name)).collect();
            format!(
                "`{marker}` is not where a table begins; the markers that begin one: {}",
                names.join(", ")
            )
        })?;
        let body = &rest[marker_end..];
        let close = body
            .find(&table.end())
            .ok_or_else(|| format!("`{marker}` has no `{}` after it", table.end()))?;
        if body[..close].contains(OPEN) {
            return Err(format!("`{marker}` holds another marker before its end"));
        }
        out += &rest[..marker_end];
        out += &table.block();
        out += &table.end();
        found.push(table.name);
        rest = &body[close + table.end().len()..];
    }
    out += rest;
    Ok((out, found))
}

/// The documents: every Markdown file at the root and in `docs/`.
pub fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs = Vec::new();
    for dir in [root.to_path_buf(), root.join("docs")] {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("readable").path();
            if path.extension().is_some_and(|e| e == "md") {
                docs.push(path);
            }
        }
    }
    docs.sort();
    docs
}
