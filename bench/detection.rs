//! Detection latency: how soon after a deployment ends the wait sees it, and for how many polls,
//! on the real wait loop and schedule (`economy::simulate`: `Watch` and `Poller` on a simulated
//! clock), with the real `history::learn` for the schedule learned from the app's deployments.
//! Deployments take 30 s to 10 minutes, uniform; with history, each app's expected duration E is
//! drawn so, and its 10 past deployments and this one uniform within E ± 30 % (or ± 10 %).
//! Seeded: the table is the same on every run. `cargo run --example detection` prints it and,
//! with `-- --write`, writes it into the documents; `tests/it/detection.rs` asserts on it.

use std::time::{Duration, SystemTime};

use nodion_deploy::history;
use nodion_deploy::inputs::Settings;
use nodion_deploy::model::Deployment;
use nodion_deploy::schedule::Schedule;

use super::economy::{Block, Jitter, default_settings, replace_blocks, simulate};

/// Deployments simulated per scenario: every row of a scenario polls for the same ones.
pub const SAMPLES: usize = 1000;
/// The shortest and the longest deployment, or expected duration, in seconds.
pub const SHORTEST: f64 = 30.0;
/// See [`SHORTEST`].
pub const LONGEST: f64 = 600.0;
/// The past deployments the schedule learns from.
pub const PAST: u64 = 10;
/// The spread of an app's deployments that the issue names: E ± 30 %.
pub const SPREAD: f64 = 0.3;
/// The spread of an app whose deployments are consistent: E ± 10 %.
pub const CONSISTENT: f64 = 0.1;
/// The budget of polls per deploy for the learned schedule.
pub const TARGET_POLLS: f64 = 40.0;
/// The polls before the window, at the least: the first look (a deployment that fails at once)
/// and the one reaching the window.
pub const BEFORE_THE_WINDOW: f64 = 2.0;

/// What the app's past deployments say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum History {
    /// Nothing: every deployment takes 30 s to 10 minutes.
    None,
    /// Its deployments take E within this share either side (E: 30 s to 10 minutes).
    Spread(f64),
}

/// How a row polls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Polling {
    /// nodion-deploy learning from the app's deployments.
    Learned,
    /// nodion-deploy's default ladder (2 s growing to 4.5 s, jittered).
    Default,
    /// nodion-deploy before issue 20 (2 s growing to 15 s, jittered).
    Before,
    /// A peer's fixed interval, without jitter: its name, the interval in seconds.
    Fixed(&'static str, u64),
}

/// DigitalOcean's `app_action`.
pub const DO: Polling = Polling::Fixed("DigitalOcean app_action", 2);
const PEERS: [Polling; 4] = [
    DO,
    Polling::Fixed("Koyeb", 3),
    Polling::Fixed("Render action", 10),
    Polling::Fixed("ECS waiter", 15),
];

/// The scenarios, each with its rows.
pub fn scenarios() -> Vec<(History, Vec<Polling>)> {
    let ours = |first: &[Polling]| [first, &PEERS].concat();
    vec![
        (History::None, ours(&[Polling::Default, Polling::Before])),
        (
            History::Spread(SPREAD),
            ours(&[Polling::Learned, Polling::Default]),
        ),
        (
            History::Spread(CONSISTENT),
            vec![Polling::Learned, Polling::Default],
        ),
    ]
}

/// One deployment to wait for.
pub struct Sample {
    /// How long it takes.
    pub takes: Duration,
    /// The app's expected duration (with history).
    pub expected: f64,
    /// What the app's past deployments took (with history).
    pub past: Vec<Duration>,
    /// The seed of its wait's jitter.
    pub seed: u64,
}

/// The deployments of a scenario, drawn from a seed of their own.
pub fn samples(history: History) -> Vec<Sample> {
    let seed = match history {
        History::None => 20,
        History::Spread(s) => 20 + (s * 1000.0) as u64,
    };
    let mut rng = fastrand::Rng::with_seed(seed);
    let within = |rng: &mut fastrand::Rng, low: f64, high: f64| low + rng.f64() * (high - low);
    (0..SAMPLES)
        .map(|i| {
            // Stratified: one in each of SAMPLES equal parts of 30 s to 10 minutes.
            let part = (LONGEST - SHORTEST) / SAMPLES as f64;
            let from = SHORTEST + part * i as f64;
            let expected = within(&mut rng, from, from + part);
            let (low, high) = match history {
                History::None => (expected, expected),
                History::Spread(s) => (expected * (1.0 - s), expected * (1.0 + s)),
            };
            let past = match history {
                History::None => Vec::new(),
                // As the API writes them: to the millisecond.
                History::Spread(_) => (0..PAST)
                    .map(|_| within(&mut rng, low, high))
                    .map(|took| Duration::from_millis((took * 1000.0).round() as u64))
                    .collect(),
            };
            Sample {
                takes: Duration::from_secs_f64(within(&mut rng, low, high)),
                expected,
                past,
                seed: rng.u64(..),
            }
        })
        .collect()
}

/// The app's past deployments, as the list shows them: #1 to #10, each created on the hour
/// (2026-01-01) and updated when it ended.
pub fn deployments(past: &[Duration]) -> Vec<Deployment> {
    let at = |ms: u128| {
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        format!("2026-01-01T{h:02}:{m:02}:{s:02}.{milli:03}Z")
    };
    (1..)
        .zip(past)
        .map(|(number, took)| {
            let created = u128::from(number) * 3_600_000;
            Deployment {
                deploy_number: Some(number),
                status: Some("available".into()),
                created_at: Some(at(created)),
                updated_at: Some(at(created + took.as_millis())),
                ..Deployment::default()
            }
        })
        .collect()
}

/// The schedule a row polls on for `sample`.
fn schedule(polling: Polling, sample: &Sample, settings: &Settings, jitter: Jitter) -> Schedule {
    let s = Duration::from_secs;
    match polling {
        Polling::Learned => {
            // The day after the past deployments.
            let now = SystemTime::UNIX_EPOCH + s(1_767_225_600 + 86_400);
            let list = deployments(&sample.past);
            let learned = history::learn(&list, &settings.success_statuses, now);
            assert!(learned.is_some(), "nothing learned from {list:?}");
            Schedule::for_deployment(settings, learned.as_ref(), jitter)
        }
        Polling::Default => Schedule::for_deployment(settings, None, jitter),
        Polling::Before => Schedule::ladder(s(2), s(15), jitter),
        Polling::Fixed(_, every) => Schedule::ladder(s(every), s(every), Box::new(0.0)),
    }
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Its deployments.
    pub history: History,
    /// How it polls.
    pub polling: Polling,
    /// The mean time from the end to the poll that sees it.
    pub mean: Duration,
    /// The longest of those times.
    pub worst: Duration,
    /// The mean count of list requests after the trigger (the snapshot before it not counted).
    pub polls: f64,
}

/// The row of `polling` for `samples`.
pub fn row(history: History, polling: Polling, samples: &[Sample]) -> Row {
    let settings = default_settings();
    let (mut sum, mut worst, mut polls) = (Duration::ZERO, Duration::ZERO, 0u64);
    for sample in samples {
        let jitter = Box::new(fastrand::Rng::with_seed(sample.seed));
        let e = simulate(sample.takes, schedule(polling, sample, &settings, jitter));
        sum += e.detected_after;
        worst = worst.max(e.detected_after);
        polls += u64::from(e.requests - 1);
    }
    Row {
        history,
        polling,
        mean: sum / samples.len() as u32,
        worst,
        polls: polls as f64 / samples.len() as f64,
    }
}

/// The benchmark: every row, and what bounds any schedule for the ± 30 % deployments.
pub struct Detection {
    /// The rows, scenario by scenario.
    pub rows: Vec<Row>,
    /// The mean of √E, in √seconds, over the ± 30 % deployments.
    pub root: f64,
}

/// Runs the benchmark: a thread for each row.
pub fn detection() -> Detection {
    let scenarios: Vec<_> = scenarios()
        .into_iter()
        .map(|(history, pollings)| (history, pollings, samples(history)))
        .collect();
    let rows: Vec<Row> = std::thread::scope(|scope| {
        let running: Vec<_> = scenarios
            .iter()
            .flat_map(|(history, pollings, samples)| {
                pollings
                    .iter()
                    .map(move |&polling| scope.spawn(move || row(*history, polling, samples)))
            })
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("a row"))
            .collect()
    });
    let (_, _, samples) = scenarios
        .iter()
        .find(|(h, _, _)| *h == History::Spread(SPREAD))
        .expect("± 30 %");
    let root = samples.iter().map(|s| s.expected.sqrt()).sum::<f64>() / samples.len() as f64;
    Detection { rows, root }
}

impl History {
    /// The scenario's first cell.
    pub fn label(&self) -> String {
        match self {
            History::None => "30 s–10 min, no history".into(),
            History::Spread(s) => format!("history, E ± {:.0} %", s * 100.0),
        }
    }
}

impl Polling {
    /// The row's second cell.
    pub fn label(&self) -> String {
        match self {
            Polling::Learned => "nodion-deploy, learned".into(),
            Polling::Default => "nodion-deploy, default (2 s → 4.5 s)".into(),
            Polling::Before => "nodion-deploy before issue 20 (2 s → 15 s)".into(),
            Polling::Fixed(name, every) => format!("{name}, fixed {every} s"),
        }
    }
}

/// Seconds to a tenth.
pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl Detection {
    /// The least mean time to notice any schedule can reach for the ± 30 % deployments (ending
    /// uniformly within E ± 30 %), even one knowing each app's E, with a mean of `polls` polls per
    /// deploy of which [`BEFORE_THE_WINDOW`] come before the window.
    ///
    /// Polling every `i` within a window of width W = 0.6·E, the end is noticed after i/2 on
    /// average, for W/(2i) polls within it: their product is W/4 whatever `i`. Spending a mean of N
    /// polls within the windows over the apps, the mean time to notice is least with `i` growing
    /// with √E: 0.15·(mean of √E)²/N.
    pub fn bound(&self, polls: f64) -> Duration {
        let n = polls - BEFORE_THE_WINDOW;
        Duration::from_secs_f64(SPREAD / 2.0 * self.root * self.root / n)
    }

    /// The row of `history` and `polling`.
    pub fn row(&self, history: History, polling: Polling) -> &Row {
        self.rows
            .iter()
            .find(|r| r.history == history && r.polling == polling)
            .unwrap_or_else(|| panic!("no row {history:?} {polling:?}"))
    }

    /// The table in Markdown, then the lower bound.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out += "| deployments | polling | mean time to notice | worst | polls per deploy |\n";
        out += "|---|---|---|---|---|\n";
        for r in &self.rows {
            out += &format!(
                "| {} | {} | {} | {} | {:.0} |\n",
                r.history.label(),
                r.polling.label(),
                secs(r.mean),
                secs(r.worst),
                r.polls
            );
        }
        let learned = self.row(History::Spread(SPREAD), Polling::Learned);
        out += &format!(
            "\nWith E ± 30 %, no schedule, even one that knows E, notices the end sooner than {} on \
             average\nwith {TARGET_POLLS} polls per deploy, nor sooner than {} with the learned \
             schedule's {:.0}.\n",
            secs(self.bound(TARGET_POLLS)),
            secs(self.bound(learned.polls)),
            learned.polls,
        );
        out
    }

    /// The headline: the learned schedule's mean and polls, the default's, DigitalOcean's.
    pub fn headline(&self) -> String {
        let cell = |history, polling| {
            let r = self.row(history, polling);
            format!("{} for {:.0} polls", secs(r.mean), r.polls)
        };
        format!(
            "learned from an app whose deployments vary by ± 10 %, {}; by ± 30 %, {}; without \
             history, {}; DigitalOcean's fixed 2 s, {}",
            cell(History::Spread(CONSISTENT), Polling::Learned),
            cell(History::Spread(SPREAD), Polling::Learned),
            cell(History::None, Polling::Default),
            cell(History::None, DO),
        )
    }

    /// What the documents show between the `detection` markers.
    pub fn blocks(&self) -> Vec<Block> {
        vec![
            Block {
                name: "table",
                begin: format!("{OPEN}begin -->"),
                end: format!("{OPEN}end -->"),
                body: format!("\n\n{}\n", self.markdown()),
            },
            Block {
                name: "headline",
                begin: format!("{OPEN}headline:begin -->"),
                end: format!("{OPEN}headline:end -->"),
                body: self.headline(),
            },
        ]
    }

    /// `doc` with the blocks between their markers as computed, and the blocks it holds.
    pub fn regenerate(&self, doc: &str) -> Result<(String, Vec<&'static str>), String> {
        replace_blocks(doc, OPEN, &self.blocks())
    }
}

/// How every `detection` marker begins.
const OPEN: &str = "<!-- detection:";

/// Where the blocks must stand: a document (from the repository's root) and a block's name.
pub const PLACES: [(&str, &str); 2] = [("CONTRIBUTING.md", "table"), ("README.md", "headline")];

/// The command that writes the blocks into the documents.
pub const REGENERATE: &str = "cargo run --example detection -- --write";
