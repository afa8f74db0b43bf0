//! One run from its inputs to its exit code, the same for the binary, the demo and the tests: the
//! inputs read or refused, the log, the flow on a thread of its own so that a cancellation is
//! answered at once, and the outputs written exactly once, whoever gets there first.

use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::api::Api;
use crate::clock::SystemClock;
use crate::ending::{EXIT_INPUT, Ending, Signal};
use crate::env::Env;
use crate::inputs::{self, Refused, Settings};
use crate::log::{Flavor, Log};
use crate::outputs;
use crate::platform::Platform;
use crate::report::Report;
use crate::retry::SharedClock;
use crate::run::{self, Progress, Run};
use crate::verify::Lookup;

/// How often the calling thread looks for a cancellation while the flow runs.
const CANCEL_CHECK: Duration = Duration::from_millis(50);

/// How a cancellation is observed: the cancelling signal received so far, if any.
pub type Cancelled = Arc<dyn Fn() -> Option<Signal> + Send + Sync>;

/// What differs between the binary, the demo and the tests. The outputs go where the inputs say
/// (`Settings::destinations`).
pub struct Surroundings<'a> {
    /// Where the inputs come from.
    pub env: &'a dyn Env,
    /// Where the log goes (the binary: standard error).
    pub log: Box<dyn Write + Send>,
    /// Time; the run starts when [`run`] is called.
    pub clock: SharedClock,
    /// Randomness: the schedules' jitter and the outputs' delimiters.
    pub random: fastrand::Rng,
    /// How the check of `verify_url` looks names up.
    pub lookup: Lookup,
    /// How a cancellation (SIGINT, SIGTERM) is observed.
    pub cancelled: Cancelled,
    /// Called once the inputs are accepted and the log is ready, before the flow starts: where the
    /// binary installs its signal handlers and its panic hook.
    pub ready: Box<dyn FnOnce(&Finish)>,
}

impl<'a> Surroundings<'a> {
    /// Inputs from `env` and the log to `log`, with the real clock, fresh randomness, the system's
    /// lookup, no cancellation and nothing to do when ready: change the fields that differ.
    pub fn new(env: &'a dyn Env, log: Box<dyn Write + Send>) -> Surroundings<'a> {
        Surroundings {
            env,
            log,
            clock: Arc::new(SystemClock),
            random: fastrand::Rng::new(),
            lookup: Lookup::default(),
            cancelled: Arc::new(|| None),
            ready: Box::new(|_| {}),
        }
    }
}

/// What a run ended with: the report its outputs were written from, and the exit code.
#[derive(Clone, Debug)]
pub struct Ended {
    /// The report (redacted), as written.
    pub report: Report,
    /// The exit code.
    pub code: u8,
}

/// Runs nodion-deploy once: reads the inputs (refusing bad ones), runs the flow, writes the outputs
/// and the line that ends the log; returns what the run ended with.
pub fn run(around: Surroundings) -> Ended {
    let Surroundings {
        env,
        log,
        clock,
        mut random,
        lookup,
        cancelled,
        ready,
    } = around;
    let started = clock.now();
    let unknown = crate::unknown::unknown_variables(env);
    let settings = match Settings::read(env) {
        Ok(settings) => settings,
        Err(refused) => {
            let elapsed = clock.now().saturating_duration_since(started);
            return refuse(&refused, &unknown, log, elapsed, &mut random);
        }
    };
    let flavor = Flavor::from(&settings.destinations.platform);
    let log = Log::to(log, flavor, settings.debug).redacting(settings.token.expose());
    // Before anything else, so the GitHub runner masks the token in everything that follows.
    log.add_mask(settings.token.expose());
    warn_unknown(&log, &unknown);
    let finish = Finish(Arc::new(Shared {
        seed: random.u64(..),
        settings,
        log: Arc::new(log),
        progress: Progress::default(),
        clock,
        started,
        ended: Mutex::default(),
    }));
    ready(&finish);
    let flow = Flow {
        random,
        lookup,
        cancelled,
    };
    deploy(&finish, flow)
}

/// Warns of each `NODION_*` variable that is no input (`unknown`); the run goes on.
fn warn_unknown(log: &Log, unknown: &[String]) {
    for warning in unknown {
        log.warning_annotation("Nodion deployment: not an input", warning);
    }
}

/// Says why the inputs were refused, where the platform shows it: each problem, then the one-line
/// reason that ends the log (under GitHub, one error annotation listing them, and the step summary).
/// Every output destination that can be written gets `result=error`, so that no earlier run's
/// results stay standing there. A variable that is no input (`unknown`) is warned of first: it may
/// be the input a problem says is missing.
fn refuse(
    refused: &Refused,
    unknown: &[String],
    sink: Box<dyn Write + Send>,
    elapsed: Duration,
    random: &mut fastrand::Rng,
) -> Ended {
    let problems = &refused.problems;
    let mut to = refused.destinations.clone();
    if let Platform::GitHub { summary, .. } = &mut to.platform {
        // The problems are the summary; the outputs below add none of their own.
        if let Some(path) = summary.take() {
            let _ = outputs::append(&path, &outputs::github_problems_summary(problems));
        }
    }
    // Problems never hold the token (the token's own checks never echo it): nothing to redact.
    let flavor = Flavor::from(&to.platform);
    let log = Log::to(sink, flavor, false);
    warn_unknown(&log, unknown);
    if flavor != Flavor::GitHub {
        // Under GitHub the annotation's first line, the summary, says it.
        let count = problems.len();
        let s = if count == 1 { "" } else { "s" };
        log.line(&format!(
            "nodion-deploy: {count} problem{s} with the inputs:"
        ));
    }
    let report = refused_report(refused, elapsed);
    let _ = outputs::write_everywhere(&to, "", &report, &log, random);
    let details: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    let summary = format!("nodion-deploy: error: {}", inputs::refusal(problems));
    log.conclude(Some("Nodion deployment inputs invalid"), &summary, &details);
    Ended {
        report,
        code: EXIT_INPUT,
    }
}

/// The report of a run whose inputs were refused: `result=error`, and nothing else but the
/// application, when its id was valid.
fn refused_report(refused: &Refused, elapsed: Duration) -> Report {
    Report {
        ending: Ending::Invalid(inputs::refusal(&refused.problems)),
        application_id: refused.application_id.clone().unwrap_or_default(),
        deployment: None,
        timeline: Vec::new(),
        logs: Vec::new(),
        elapsed,
        dry_run: false,
        rollback_asked: false,
        url: None,
        verified: None,
        origin: None,
        mismatch: None,
    }
}

/// What the flow's thread takes beside what [`Finish`] holds.
struct Flow {
    random: fastrand::Rng,
    lookup: Lookup,
    cancelled: Cancelled,
}

impl Flow {
    /// Runs the flow on the calling thread; its report.
    fn run(self, shared: &Shared) -> Report {
        let Shared {
            settings,
            log,
            progress,
            clock,
            started,
            ..
        } = shared;
        let api = Api::new(settings, log.clone());
        let mut run = Run {
            settings,
            api: &api,
            log,
            clock: clock.clone(),
            started: *started,
            random: self.random,
            progress,
            lookup: self.lookup,
            cancelled: &*self.cancelled,
        };
        run.deploy()
    }
}

/// Runs the flow on its own thread, so that a cancellation is answered at once even while a
/// request or a wait is under way there; ends the run with the first of: the flow's report, a
/// cancellation, the end another thread gave it (the binary's panic hook).
fn deploy(finish: &Finish, flow: Flow) -> Ended {
    let (done, finished) = mpsc::channel();
    let cancelled = flow.cancelled.clone();
    let spawned = {
        let finish = finish.clone();
        thread::Builder::new().name("deploy".into()).spawn(move || {
            let _ = done.send(flow.run(&finish.0));
        })
    };
    if let Err(e) = spawned {
        let ending = Ending::Internal(format!("cannot start the deployment thread: {e}"));
        return finish.end(|| finish.report(ending)).0;
    }
    let report = loop {
        let waited = match finished.recv_timeout(CANCEL_CHECK) {
            Ok(report) => break report,
            Err(waited) => waited,
        };
        // A panic hook ended the run (the binary's is ending the process too).
        if let Some(ended) = finish.ended() {
            return ended;
        }
        if waited == RecvTimeoutError::Disconnected {
            // The flow panicked with no hook to end the run (tests, the demo): this thread does.
            let line = "nodion-deploy: internal error: the deployment thread panicked";
            return finish.internal(line).0;
        }
        if let Some(signal) = cancelled() {
            return finish.end(|| finish.cancelled(signal)).0;
        }
    };
    finish.end(|| report).0
}

/// Ends the run exactly once, whichever thread gets there first: the flow's end, a cancellation, a
/// panic (through [`Finish::internal_error`], from the binary's panic hook).
#[derive(Clone)]
pub struct Finish(Arc<Shared>);

struct Shared {
    settings: Settings,
    log: Arc<Log>,
    progress: Progress,
    clock: SharedClock,
    started: Instant,
    /// The outputs' randomness (the delimiters), whichever thread writes them.
    seed: u64,
    /// What the run ended with, once it did; held while the outputs are written.
    ended: Mutex<Option<Ended>>,
}

impl Finish {
    /// The run's log.
    pub fn log(&self) -> &Log {
        &self.0.log
    }

    /// Ends the run with an internal error (a panic): only this thread writes to the log from now
    /// on, `line` says what happened, and the outputs get `result=error` with what has been seen
    /// of our deployment. The exit code (4, or 5 if an output was lost) when this call wrote the
    /// outputs; `None` when another call has written them (or is writing them): that one ends
    /// the run.
    pub fn internal_error(&self, line: &str) -> Option<u8> {
        let (ended, wrote) = self.internal(line);
        wrote.then_some(ended.code)
    }

    /// [`Finish::internal_error`]: what the run ended with, and whether this call ended it.
    fn internal(&self, line: &str) -> (Ended, bool) {
        self.end(|| {
            self.0.log.keep_only_this_thread();
            self.0.log.line(line);
            let ending = Ending::Internal(
                "internal error; please report it (the outputs were written)".into(),
            );
            self.report(ending)
        })
    }

    fn elapsed(&self) -> Duration {
        self.0.clock.now().saturating_duration_since(self.0.started)
    }

    /// A report of what has been seen so far, ending as `ending` says.
    fn report(&self, ending: Ending) -> Report {
        let settings = &self.0.settings;
        self.0.progress.report(ending, settings, self.elapsed())
    }

    /// The report of a run cancelled by `signal`; from now on only this thread writes to the log,
    /// so the flow, still under way, adds no line after the summary.
    fn cancelled(&self, signal: Signal) -> Report {
        self.0.log.keep_only_this_thread();
        let Shared {
            settings, progress, ..
        } = &*self.0;
        run::cancelled(settings, progress, signal, self.elapsed())
    }

    /// What the run ended with, if it has.
    fn ended(&self) -> Option<Ended> {
        let ended = self.0.ended.lock().unwrap_or_else(PoisonError::into_inner);
        ended.clone()
    }

    /// Ends the run with the report `ending` makes, unless it has ended: what it ended with, and
    /// whether this call wrote the outputs. The lock is held while the report is made (which may
    /// take the log for this thread) and written, so a second caller waits until the first is
    /// done, then gets what the first wrote, and leaves the log as the first left it.
    fn end(&self, ending: impl FnOnce() -> Report) -> (Ended, bool) {
        let mut ended = self.0.ended.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(earlier) = &*ended {
            return (earlier.clone(), false);
        }
        let report = ending();
        let mut rng = fastrand::Rng::with_seed(self.0.seed);
        let written = write_out(&self.0.settings, &self.0.log, report, &mut rng);
        *ended = Some(written.clone());
        (written, true)
    }
}

/// Writes the outputs everywhere they are wanted, then the line that ends the log (under GitHub, a
/// run that did not succeed ends with its error annotation instead). The exit code is
/// [`EXIT_OUTPUTS_UNWRITTEN`](crate::ending::EXIT_OUTPUTS_UNWRITTEN) when an output was lost.
fn write_out(settings: &Settings, log: &Log, report: Report, rng: &mut fastrand::Rng) -> Ended {
    log.end_section();
    let secret = settings.token.expose();
    let report = report.redacted(secret);
    // What Nodion deployed, when it is not what the pipeline asked for: said once, never failing.
    if let Some(mismatch) = &report.mismatch {
        log.warning_annotation(mismatch.title(), &mismatch.warning());
    }
    let written = outputs::write_everywhere(&settings.destinations, secret, &report, log, rng);
    let failed = if written.all() {
        report.ending.annotation_title()
    } else {
        Some("Nodion deployment outputs not written")
    };
    let summary = format!("nodion-deploy: {}", written.verdict(&report));
    log.conclude(failed, &summary, &[]);
    let code = written.exit_code(&report);
    Ended { report, code }
}
