//! The process: arguments, `--help`/`--version`, the signal handlers, the panic hook, the thread the
//! flow runs on, and the outcome as the exit code. The outputs are written exactly once, whatever
//! arrives at the same time: a signal, a second signal, a panic.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use nodion_deploy::api::Api;
use nodion_deploy::clock::SystemClock;
use nodion_deploy::ending::{EXIT_INPUT, EXIT_SUCCESS, Ending};
use nodion_deploy::env::ProcessEnv;
use nodion_deploy::inputs::{self, Refused, Settings};
use nodion_deploy::log::{Flavor, Log};
use nodion_deploy::outputs;
use nodion_deploy::platform::Platform;
use nodion_deploy::report::Report;
use nodion_deploy::run::{self, Progress, Run};
use nodion_deploy::verify::Lookup;
use nodion_deploy::{help, signals};

/// How often the main thread looks for a signal while the flow runs.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

fn main() -> ExitCode {
    let started = Instant::now();
    if let Some(code) = arguments() {
        return ExitCode::from(code);
    }
    let unknown = inputs::unknown_variables(&ProcessEnv);
    let settings = match Settings::read(&ProcessEnv) {
        Ok(settings) => Arc::new(settings),
        Err(refused) => return ExitCode::from(refuse(&refused, &unknown, started)),
    };
    let log = Arc::new(
        Log::stderr(
            Flavor::from(&settings.destinations.platform),
            settings.debug,
        )
        .redacting(settings.token.expose()),
    );
    // Before anything else, so the GitHub runner masks the token in everything that follows.
    log.add_mask(settings.token.expose());
    warn_unknown(&log, &unknown);
    if let Err(e) = signals::install() {
        log.warn(&format!(
            "cannot handle SIGINT/SIGTERM ({e}): a cancelled job may lose its outputs"
        ));
    }
    let finish = Finish::new(settings.clone(), log.clone());
    let progress = Progress::default();
    install_panic_hook(finish.clone(), progress.clone(), started);
    ExitCode::from(deploy(&finish, &progress, started))
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
fn refuse(refused: &Refused, unknown: &[String], started: Instant) -> u8 {
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
    let log = Log::stderr(flavor, false);
    warn_unknown(&log, unknown);
    if flavor != Flavor::GitHub {
        // Under GitHub the annotation's first line, the summary, says it.
        let count = problems.len();
        let s = if count == 1 { "" } else { "s" };
        log.line(&format!(
            "nodion-deploy: {count} problem{s} with the inputs:"
        ));
    }
    let report = run::refused(refused, started.elapsed());
    let _ = outputs::write_everywhere(&to, "", &report, &log, &mut fastrand::Rng::new());
    let details: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
    let summary = format!("nodion-deploy: error: {}", inputs::refusal(problems));
    log.conclude(Some("Nodion deployment inputs invalid"), &summary, &details);
    EXIT_INPUT
}

/// Handles the arguments: `--help` and `--version` answer and exit; anything else is a usage error
/// that never echoes the argument (it may be a token pasted in the wrong place). `None`: run.
fn arguments() -> Option<u8> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let first = args.first()?;
    // A closed pipe (`--help | head`) is not the tool's failure.
    let mut out = std::io::stdout();
    match first.to_str() {
        Some("--help" | "-h") if args.len() == 1 => {
            let _ = out.write_all(help::text().as_bytes());
            Some(EXIT_SUCCESS)
        }
        Some("--version" | "-V") if args.len() == 1 => {
            let _ = writeln!(out, "nodion-deploy {}", nodion_deploy::VERSION);
            Some(EXIT_SUCCESS)
        }
        _ => {
            eprintln!(
                "nodion-deploy: unexpected argument (not shown: it may be a secret); inputs come from environment variables: see --help"
            );
            Some(EXIT_INPUT)
        }
    }
}

/// Runs the flow on its own thread, so that a signal is answered at once even while a request or
/// a wait is under way there; returns the exit code.
fn deploy(finish: &Finish, progress: &Progress, started: Instant) -> u8 {
    let (done, finished) = mpsc::channel();
    let flow = {
        let (settings, log, progress) = (
            finish.settings.clone(),
            finish.log.clone(),
            progress.clone(),
        );
        thread::Builder::new().name("deploy".into()).spawn(move || {
            let api = Api::new(&settings, log.clone());
            let mut run = Run {
                settings: &settings,
                api: &api,
                log: &log,
                clock: Arc::new(SystemClock),
                started,
                random: fastrand::Rng::new(),
                progress: &progress,
                lookup: Lookup::default(),
            };
            let _ = done.send(run.deploy());
        })
    };
    if let Err(e) = flow {
        let ending = Ending::Internal(format!("cannot start the deployment thread: {e}"));
        let elapsed = started.elapsed();
        let report = progress.report(ending, &finish.settings, elapsed);
        return finish.once(report).unwrap_or_else(wait_for_the_other);
    }
    let report = loop {
        match finished.recv_timeout(SIGNAL_CHECK) {
            Ok(report) => break report,
            // The flow thread ended without a report: it panicked, and the hook finishes.
            Err(mpsc::RecvTimeoutError::Disconnected) => wait_for_the_other(),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(signal) = signals::received() {
                    finish.log.keep_only_this_thread();
                    break run::cancelled(&finish.settings, progress, signal, started.elapsed());
                }
            }
        }
    };
    finish.once(report).unwrap_or_else(wait_for_the_other)
}

/// Another thread is writing the outputs and will end the process: wait for it.
fn wait_for_the_other<T>() -> T {
    loop {
        thread::park();
    }
}

/// Writes the outputs and the summary once per process, whichever thread gets there first.
#[derive(Clone)]
struct Finish {
    settings: Arc<Settings>,
    log: Arc<Log>,
    written: Arc<Mutex<bool>>,
}

impl Finish {
    fn new(settings: Arc<Settings>, log: Arc<Log>) -> Finish {
        Finish {
            settings,
            log,
            written: Arc::default(),
        }
    }

    /// The exit code, or `None` when the outputs were already written (or are being written) by
    /// another thread. The lock is held while writing, so a second caller waits until it is done.
    fn once(&self, report: Report) -> Option<u8> {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        if *written {
            return None;
        }
        *written = true;
        Some(run::finish(&self.settings, &self.log, report))
    }
}

/// A bug must not cost the pipeline its outputs: on a panic (the release build aborts on one), the
/// hook writes them with `result=error` and exits 4 before the process would die.
fn install_panic_hook(finish: Finish, progress: Progress, started: Instant) {
    std::panic::set_hook(Box::new(move |info| {
        finish.log.keep_only_this_thread();
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        finish
            .log
            .line(&format!("nodion-deploy: internal error{place}: {info}"));
        let ending =
            Ending::Internal("internal error; please report it (the outputs were written)".into());
        let report = progress.report(ending, &finish.settings, started.elapsed());
        match finish.once(report) {
            Some(code) => std::process::exit(i32::from(code)),
            // The main thread is finishing (a signal came first): it ends the process.
            None => wait_for_the_other(),
        }
    }));
}
