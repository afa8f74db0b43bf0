//! The flow (SPEC §3): validate, snapshot, trigger exactly once, wait for *our* deployment, write
//! the outputs. Every step's failure becomes an [`Outcome`] here; the exit code follows from it.

use std::io::{self, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::api::{Api, ApiError, Delivery};
use crate::clock::{Clock, SystemClock};
use crate::help;
use crate::inputs::{Env, Settings};
use crate::log::{Flavor, Log};
use crate::model::{Deployment, Keep, Listing};
use crate::outcome::{EXIT_INPUT, EXIT_SUCCESS, Outcome, Signal};
use crate::outputs::{self, Report};
use crate::random::Random;
use crate::sanitize;
use crate::schedule::Schedule;
use crate::signals;
use crate::watch::{Event, Next, Rules, Verdict, Watch};

/// Before a deployment is ours, transient failures are retried at most this many times.
pub const MAX_RETRIES: u32 = 6;
/// The longest application log line shown, in characters.
const MAX_LOG_LINE: usize = 500;
/// How long reading the logs after a failure or timeout may take (also bounded by request_timeout).
const LOGS_BUDGET: Duration = Duration::from_secs(10);
/// The retry waits before a deployment is ours: 1.5 s growing to 10 s, about 30 s in all.
const RETRY_FIRST: Duration = Duration::from_millis(1500);
const RETRY_LONGEST: Duration = Duration::from_secs(10);

/// Runs the tool with its arguments and environment; returns the exit code. The only error is
/// failing to start the thread the flow runs on.
pub fn main(args: &[String], env: &dyn Env) -> io::Result<u8> {
    let started = Instant::now();
    match args {
        [] => {}
        [flag] if flag == "--help" || flag == "-h" => {
            // A closed pipe (`--help | head`) is not the tool's failure.
            let _ = io::stdout().write_all(help::text().as_bytes());
            return Ok(EXIT_SUCCESS);
        }
        [flag] if flag == "--version" || flag == "-V" => {
            let _ = writeln!(io::stdout(), "nodion-deploy {}", crate::VERSION);
            return Ok(EXIT_SUCCESS);
        }
        [other, ..] => {
            eprintln!(
                "nodion-deploy: unexpected argument '{}': inputs come from environment variables; see --help",
                sanitize::bounded(&sanitize::one_line(other), 80)
            );
            return Ok(EXIT_INPUT);
        }
    }
    let settings = match Settings::from_env(env) {
        Ok(settings) => settings,
        Err(problems) => {
            let mut text = format!(
                "nodion-deploy: {} problem{} with the inputs; nothing was sent:\n",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            for problem in &problems {
                text.push_str(&format!("  - {problem}\n"));
            }
            eprint!("{text}");
            return Ok(EXIT_INPUT);
        }
    };
    let log = Arc::new(
        Log::stderr(Flavor::from(&settings.platform), settings.debug)
            .redacting(settings.token.expose()),
    );
    // Before anything else, so the GitHub runner masks the token in everything that follows.
    log.add_mask(settings.token.expose());
    if let Err(e) = signals::install() {
        log.warn(&format!(
            "cannot handle SIGINT/SIGTERM ({e}): a cancelled job may lose its outputs"
        ));
    }
    let settings = Arc::new(settings);
    let progress = Progress::default();
    let mut random = Random::from_entropy();
    install_panic_hook(settings.clone(), log.clone(), progress.clone(), started);
    let (done, finished) = mpsc::channel();
    {
        let (settings, log, progress) = (settings.clone(), log.clone(), progress.clone());
        let jitter = Random::seeded(random.next_u64());
        // The flow runs on its own thread so that a signal is answered at once, even while a
        // request or a wait is under way there.
        thread::Builder::new()
            .name("deploy".into())
            .spawn(move || {
                let api = Api::new(&settings, log.clone());
                let mut run = Run {
                    settings: &settings,
                    api: &api,
                    log: &log,
                    clock: &SystemClock,
                    started,
                    deadline: started + settings.timeout,
                    jitter: Some(Box::new(jitter)),
                    progress,
                };
                let _ = done.send(run.deploy());
            })?;
    }
    let (report, summary) = loop {
        match finished.recv_timeout(SIGNAL_CHECK) {
            Ok(result) => break result,
            Err(RecvTimeoutError::Timeout) => {
                if let Some(signal) = signals::received() {
                    log.keep_only_this_thread();
                    break cancelled(&settings, &progress, signal, started.elapsed());
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                let report = progress.report(Outcome::Unreachable, &settings, started.elapsed());
                break (
                    report,
                    "nodion-deploy: error: internal error (see above)".to_string(),
                );
            }
        }
    };
    log.end_section();
    let report = report.redacted(settings.token.expose());
    outputs::write_everywhere(&settings, &report, &log, &mut random);
    if let Some(title) = annotation_title(&report.outcome) {
        let message = summary.strip_prefix("nodion-deploy: ").unwrap_or(&summary);
        log.error_annotation(title, message);
    }
    log.line(&summary);
    Ok(report.outcome.exit_code())
}

/// The title of the one error annotation a run that did not succeed gets (GitHub).
fn annotation_title(outcome: &Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::Success | Outcome::Triggered | Outcome::DryRunPassed => None,
        Outcome::Failure => Some("Nodion deployment failed"),
        Outcome::Timeout => Some("Nodion deployment timed out"),
        Outcome::Cancelled(_) => Some("Nodion deployment cancelled"),
        Outcome::Refused | Outcome::Unreachable => Some("Nodion deployment error"),
    }
}

/// A bug must not cost the pipeline its outputs: on a panic (the release build aborts on one), the
/// hook writes them with `result=error` and exits 4 before the process would die.
fn install_panic_hook(
    settings: Arc<Settings>,
    log: Arc<Log>,
    progress: Progress,
    started: Instant,
) {
    std::panic::set_hook(Box::new(move |info| {
        log.keep_only_this_thread();
        log.end_section();
        let report = progress
            .report(Outcome::Unreachable, &settings, started.elapsed())
            .redacted(settings.token.expose());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        log.line(&format!("nodion-deploy: internal error{place}: {info}"));
        outputs::write_everywhere(&settings, &report, &log, &mut Random::from_entropy());
        log.line(
            "nodion-deploy: error: internal error; please report it (the outputs were written)",
        );
        std::process::exit(i32::from(report.outcome.exit_code()));
    }));
}

/// How often the main thread looks for a signal while the flow runs.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// What has been seen of our deployment so far.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Our deployment as last seen.
    pub deployment: Option<Deployment>,
    /// Its status changes, with the time since the start.
    pub timeline: Vec<(Duration, String)>,
    /// Whether a trigger was (or is being) sent.
    pub triggering: bool,
}

/// [`Seen`], shared with the main thread for a cancelled run's outputs.
#[derive(Clone, Default)]
pub struct Progress(Arc<Mutex<Seen>>);

impl Progress {
    /// Records what was last seen of our deployment.
    pub fn set(&self, deployment: Deployment, timeline: &[(Duration, String)]) {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        seen.deployment = Some(deployment);
        seen.timeline = timeline.to_vec();
    }

    /// Records that a trigger is about to be sent.
    pub fn mark_triggering(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).triggering = true;
    }

    /// What has been seen so far.
    pub fn get(&self) -> Seen {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A report of what has been seen so far, for a run that ends with `outcome` from outside
    /// the flow (a signal, a panic).
    pub fn report(&self, outcome: Outcome, settings: &Settings, elapsed: Duration) -> Report {
        let seen = self.get();
        Report {
            outcome,
            application_id: settings.application_id.clone(),
            deployment: seen.deployment,
            timeline: seen.timeline,
            logs: Vec::new(),
            elapsed,
        }
    }
}

/// The report and summary of a run cancelled by `signal`.
fn cancelled(
    settings: &Settings,
    progress: &Progress,
    signal: Signal,
    elapsed: Duration,
) -> (Report, String) {
    let report = progress.report(Outcome::Cancelled(signal), settings, elapsed);
    let triggering = progress.get().triggering;
    let name = match signal {
        Signal::Interrupt => "SIGINT",
        Signal::Terminate => "SIGTERM",
    };
    let summary = match &report.deployment {
        Some(d) => format!(
            "nodion-deploy: cancelled by {name}: deployment #{} of {} goes on at Nodion (last status: {})",
            d.deploy_number.unwrap_or_default(),
            settings.application_id,
            shown(d.status.as_deref().unwrap_or("none seen"))
        ),
        None if triggering => format!(
            "nodion-deploy: cancelled by {name} while triggering a deployment of {}: one may have been created; check Nodion",
            settings.application_id
        ),
        None => format!(
            "nodion-deploy: cancelled by {name} before anything was triggered for {}",
            settings.application_id
        ),
    };

    (report, summary)
}

/// One run of the flow, with its collaborators injected.
pub struct Run<'a> {
    /// The validated inputs.
    pub settings: &'a Settings,
    /// The API client.
    pub api: &'a Api,
    /// The log.
    pub log: &'a Log,
    /// Time.
    pub clock: &'a dyn Clock,
    /// When the run started (the deadline counts from here).
    pub started: Instant,
    /// `started + timeout`.
    pub deadline: Instant,
    /// Jitter for the schedules (taken by the first schedule built).
    pub jitter: Option<Box<dyn crate::schedule::JitterSource + Send>>,
    /// Where our deployment's latest state is shared.
    pub progress: Progress,
}

/// Why the flow stopped before a deployment was ours.
struct Stop {
    outcome: Outcome,
    detail: String,
}

/// The retry budget before a deployment is ours.
struct Budget {
    failures: u32,
    schedule: Schedule,
}

impl Run<'_> {
    fn elapsed(&self) -> Duration {
        self.clock.now().saturating_duration_since(self.started)
    }

    fn schedule(&mut self, first: Duration, longest: Duration) -> Schedule {
        let jitter = self
            .jitter
            .take()
            .unwrap_or_else(|| Box::new(Random::from_entropy()));
        Schedule::new(first, longest, jitter)
    }

    /// Runs the flow; returns the report and the one-line summary that ends the log.
    pub fn deploy(&mut self) -> (Report, String) {
        let settings = self.settings;
        let what = match &settings.image_tag {
            Some(tag) => format!(" with image tag {tag}"),
            None => String::new(),
        };
        self.log.line(&format!(
            "nodion-deploy {} · application {}{what} · {} · on {}",
            crate::VERSION,
            settings.application_id,
            settings.api_url,
            settings.platform.name()
        ));
        let mut report = Report {
            outcome: Outcome::Unreachable,
            application_id: settings.application_id.clone(),
            deployment: None,
            timeline: Vec::new(),
            logs: Vec::new(),
            elapsed: Duration::ZERO,
        };
        let app = &settings.application_id;

        if settings.dry_run {
            let (outcome, summary) = match self.dry_run() {
                Ok(summary) => (Outcome::DryRunPassed, summary),
                Err(stop) => {
                    let summary = format!(
                        "nodion-deploy: {}: {} (dry run)",
                        stop.outcome.result(),
                        stop.detail
                    );
                    (stop.outcome, summary)
                }
            };
            report.outcome = outcome;
            report.elapsed = self.elapsed();
            return (report, summary);
        }

        let (ours, seed) = match settings.deploy_number {
            Some(number) => {
                self.log.line(&format!(
                    "Attaching to deployment #{number}: nothing is triggered"
                ));
                let placeholder = Deployment {
                    deploy_number: Some(number),
                    ..Deployment::default()
                };
                self.progress.set(placeholder, &[]);
                (number, None)
            }
            None => match self.trigger() {
                Ok(deployment) => {
                    let number = deployment.deploy_number.unwrap_or_default();
                    self.progress.set(deployment.clone(), &[]);
                    (number, Some(deployment))
                }
                // The flow noticed the signal before the main thread did: the same words either way.
                Err(Stop {
                    outcome: Outcome::Cancelled(signal),
                    ..
                }) => return cancelled(settings, &self.progress, signal, self.elapsed()),
                Err(stop) => {
                    report.outcome = stop.outcome;
                    report.elapsed = self.elapsed();
                    let summary = format!(
                        "nodion-deploy: {}: {} ({})",
                        report.outcome.result(),
                        stop.detail,
                        elapsed_text(report.elapsed)
                    );
                    return (report, summary);
                }
            },
        };

        if let Some(seed) = &seed
            && !settings.wait
        {
            report.outcome = Outcome::Triggered;
            report.deployment = Some(seed.clone());
            report.elapsed = self.elapsed();
            let summary = format!(
                "nodion-deploy: triggered: deployment #{ours} of {app} is {}; not waiting (wait=false)",
                shown(seed.status.as_deref().unwrap_or("created"))
            );
            return (report, summary);
        }

        let verdict = self.watch(ours, seed, &mut report);
        if matches!(verdict, Verdict::Failure | Verdict::Timeout) && settings.failure_logs > 0 {
            report.logs = self.show_logs();
        }
        report.elapsed = self.elapsed();
        let took = elapsed_text(report.elapsed);
        let status = report
            .deployment
            .as_ref()
            .and_then(|d| d.status.as_deref())
            .map(shown);
        let (outcome, summary) = match verdict {
            Verdict::Success => (
                Outcome::Success,
                format!(
                    "nodion-deploy: success: deployment #{ours} of {app} is {} after {took}",
                    status.unwrap_or_default()
                ),
            ),
            Verdict::Failure => (
                Outcome::Failure,
                format!(
                    "nodion-deploy: failure: deployment #{ours} of {app} ended {} after {took}",
                    status.unwrap_or_default()
                ),
            ),
            Verdict::Timeout => (
                Outcome::Timeout,
                format!(
                    "nodion-deploy: timeout: deployment #{ours} of {app} is still {} after {took}; it goes on at Nodion",
                    status.as_deref().unwrap_or("not listed")
                ),
            ),
            Verdict::Refused(error) => (
                Outcome::Refused,
                format!(
                    "nodion-deploy: error: the API refused to list deployments ({}) after {took}; deployment #{ours} goes on at Nodion",
                    error.describe()
                ),
            ),
        };
        report.outcome = outcome;
        (report, summary)
    }

    /// A fresh retry budget for the time before a deployment is ours.
    fn budget(&mut self) -> Budget {
        Budget {
            failures: 0,
            schedule: self.schedule(RETRY_FIRST, RETRY_LONGEST),
        }
    }

    /// Runs `request` (given its attempt number) until it succeeds, retrying within `budget`.
    fn until_ok<T>(
        &self,
        budget: &mut Budget,
        doing: &str,
        mut request: impl FnMut(u32) -> Result<T, ApiError>,
    ) -> Result<T, Stop> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match request(attempt) {
                Ok(answer) => return Ok(answer),
                Err(error) => self.retry(budget, doing, error)?,
            }
        }
    }

    /// Retries a transient failure before a deployment is ours, or says why to stop.
    fn retry(&self, budget: &mut Budget, doing: &str, error: ApiError) -> Result<(), Stop> {
        let (reason, retry_after) = match error {
            ApiError::Refused { .. } => {
                let detail = format!("the API refused {doing}: {}", error.describe());
                self.log.line(&format!("error: {detail}"));
                return Err(Stop {
                    outcome: Outcome::Refused,
                    detail,
                });
            }
            ApiError::Unreachable { reason } => {
                let detail = format!("could not {doing}: {reason}");
                self.log.line(&format!("error: {detail}"));
                return Err(Stop {
                    outcome: Outcome::Unreachable,
                    detail,
                });
            }
            ApiError::Transient {
                reason,
                retry_after,
                ..
            } => (reason, retry_after),
        };
        budget.failures += 1;
        let wait = budget
            .schedule
            .next_wait()
            .max(retry_after.unwrap_or_default());
        let unreachable = |why: &str| Stop {
            outcome: Outcome::Unreachable,
            detail: format!("could not {doing}: {reason} ({why})"),
        };
        if budget.failures > MAX_RETRIES {
            return Err(unreachable(&format!("gave up after {MAX_RETRIES} retries")));
        }
        if self.clock.now() + wait >= self.deadline {
            return Err(unreachable("the timeout leaves no time to retry"));
        }
        self.log.line(&format!(
            "{doing} failed: {reason}; retry {} of {MAX_RETRIES} in {}",
            budget.failures,
            humantime::format_duration(Duration::from_millis(wait.as_millis() as u64))
        ));
        self.clock.sleep(wait);
        Ok(())
    }

    /// Snapshots the list, then triggers exactly once: an answer that may have been lost is
    /// reconciled against the list before anything is sent again.
    fn trigger(&mut self) -> Result<Deployment, Stop> {
        let mut budget = self.budget();
        let before = self
            .until_ok(&mut budget, "list deployments", |attempt| {
                self.api.list(self.deadline, attempt, Keep::Nothing)
            })?
            .highest;
        // Only the snapshot's success restarts the waits: a reconciliation list that succeeds
        // between failed triggers says nothing about the trigger getting through.
        budget.schedule.restart();
        self.log.line(&match before {
            0 => "No earlier deployments".to_string(),
            n => format!("Latest deployment before ours: #{n}"),
        });
        let (mut checks, mut sends) = (0, 0);
        let mut unsure = false;
        loop {
            if unsure {
                checks += 1;
                match self
                    .api
                    .list(self.deadline, checks, Keep::NewerThan(before))
                {
                    Ok(listing) => match self.reconcile(listing)? {
                        Some(adopted) => return Ok(adopted),
                        None => {
                            self.log.line(
                                "No deployment appeared since the snapshot: triggering again",
                            );
                            unsure = false;
                        }
                    },
                    Err(error) => {
                        let doing = "check for a deployment after a lost answer";
                        if let Err(stop) = self.retry(&mut budget, doing, error) {
                            return self.last_check(before, checks + 1, stop);
                        }
                        continue;
                    }
                }
            }
            if let Some(signal) = signals::received() {
                // A cancelled job must not start a deployment.
                return Err(Stop {
                    outcome: Outcome::Cancelled(signal),
                    detail: "cancelled before triggering".into(),
                });
            }
            self.progress.mark_triggering();
            sends += 1;
            let tag = self.settings.image_tag.as_deref();
            let error = match self.api.trigger(tag, self.deadline, sends) {
                Ok(deployment) if deployment.deploy_number.is_some_and(|n| n > before) => {
                    self.log_triggered(&deployment);
                    return Ok(deployment);
                }
                // Not newer than the snapshot: not what this trigger created.
                Ok(stale) => ApiError::Transient {
                    reason: format!(
                        "the trigger answered with deployment #{}, which is not newer than #{before}",
                        stale.deploy_number.unwrap_or_default()
                    ),
                    retry_after: None,
                    delivery: Delivery::Unknown,
                },
                Err(error) => error,
            };
            if let ApiError::Transient {
                delivery: Delivery::Unknown,
                ..
            } = error
            {
                unsure = true;
            }
            if let Err(stop) = self.retry(&mut budget, "trigger a deployment", error) {
                return if unsure {
                    self.last_check(before, checks + 1, stop)
                } else {
                    Err(stop)
                };
            }
        }
    }

    /// After an answer was lost: the one deployment that appeared since the snapshot is ours;
    /// none means the trigger did not get through; several cannot be told apart.
    fn reconcile(&self, listing: Listing) -> Result<Option<Deployment>, Stop> {
        let tag = self.settings.image_tag.as_deref();
        // With an image tag, a deployment of another image is someone else's.
        let mut newer: Vec<Deployment> = listing
            .kept
            .into_iter()
            .filter(|d| match (tag, &d.image_reference) {
                (Some(tag), Some(image)) => image.ends_with(&format!(":{tag}")),
                _ => true,
            })
            .collect();
        match newer.len() {
            0 => Ok(None),
            1 if !listing.more => {
                let adopted = newer.remove(0);
                self.log.line(&format!(
                    "The trigger's answer was lost, but deployment #{} appeared since the snapshot: adopting it as ours (not triggering again)",
                    adopted.deploy_number.unwrap_or_default()
                ));
                self.log_triggered(&adopted);
                Ok(Some(adopted))
            }
            _ => {
                // Someone else triggered too: guessing could report another deployment's result,
                // and triggering again could deploy twice.
                let numbers: Vec<String> = newer
                    .iter()
                    .filter_map(|d| d.deploy_number)
                    .map(|n| format!("#{n}"))
                    .collect();
                let detail = format!(
                    "the trigger's answer was lost and deployments {}{} all appeared since the snapshot: cannot tell which one is ours",
                    numbers.join(", "),
                    if listing.more { ", …" } else { "" }
                );
                self.log.line(&format!("error: {detail}"));
                Err(Stop {
                    outcome: Outcome::Unreachable,
                    detail,
                })
            }
        }
    }

    /// Giving up after an answer may have been lost: one last look at the list, so a deployment
    /// that exists is adopted (or at least mentioned) rather than left unsaid.
    fn last_check(&self, before: u64, attempt: u32, stop: Stop) -> Result<Deployment, Stop> {
        if matches!(stop.outcome, Outcome::Refused | Outcome::Cancelled(_)) {
            return Err(stop);
        }
        let maybe = |stop: Stop| Stop {
            detail: format!(
                "{}; a deployment may have been created: check Nodion",
                stop.detail
            ),
            ..stop
        };
        match self
            .api
            .list(self.deadline, attempt, Keep::NewerThan(before))
        {
            Ok(listing) => match self.reconcile(listing)? {
                Some(adopted) => Ok(adopted),
                None => Err(stop),
            },
            Err(_) => Err(maybe(stop)),
        }
    }

    /// Checks the token and the application with read-only requests; triggers nothing.
    fn dry_run(&mut self) -> Result<String, Stop> {
        let settings = self.settings;
        let app = &settings.application_id;
        self.log.line("Dry run: checking the token and the application with read-only requests; nothing is triggered");
        let mut budget = self.budget();
        let application = self.until_ok(&mut budget, "read the application", |attempt| {
            self.api.application(self.deadline, attempt)
        })?;
        let described = [
            ("status", &application.status),
            ("state", &application.state),
            ("strategy", &application.strategy),
        ]
        .iter()
        .filter_map(|(what, v)| v.as_deref().map(|v| format!("{what} {}", shown(v))))
        .collect::<Vec<_>>()
        .join(", ");
        self.log.line(&format!(
            "Application {app}: \"{}\" ({described})",
            shown(application.name.as_deref().unwrap_or("unnamed"))
        ));
        budget.schedule.restart();
        let listing = self.until_ok(&mut budget, "list deployments", |attempt| {
            self.api.list(self.deadline, attempt, Keep::Latest)
        })?;
        match listing.kept.first() {
            Some(latest) => self.log.line(&format!(
                "Latest deployment: #{} {}{}",
                latest.deploy_number.unwrap_or_default(),
                shown(latest.status.as_deref().unwrap_or("(no status)")),
                latest
                    .created_at
                    .as_deref()
                    .map(|at| format!(", created {}", shown(at)))
                    .unwrap_or_default()
            )),
            None => self.log.line("No deployments yet"),
        }
        if let (Some(tag), Some(strategy)) = (&settings.image_tag, &application.strategy)
            && !strategy.to_ascii_lowercase().contains("image")
        {
            self.log.warn(&format!(
                "image_tag {tag} is set, but {app} deploys with strategy {}: the API will refuse the tag",
                shown(strategy)
            ));
        }
        if let Some(number) = settings.deploy_number
            && number > listing.highest
        {
            self.log.warn(&format!(
                "deploy_number {number} is not listed (the latest is #{})",
                listing.highest
            ));
        }
        Ok(format!(
            "nodion-deploy: dry run passed: the token works and application {app} exists; nothing was triggered"
        ))
    }

    /// Shows the application's latest runtime log lines after a failure or a timeout; a failure
    /// to read them is a warning, never a change of outcome. Returns the lines shown.
    fn show_logs(&self) -> Vec<String> {
        let settings = self.settings;
        let limit = settings.failure_logs;
        // The deadline may have passed (a timeout): the logs get a short budget of their own.
        let deadline = self.clock.now() + settings.request_timeout.min(LOGS_BUDGET);
        match self.api.logs(limit, deadline) {
            Ok(lines) => {
                let lines: Vec<String> = lines
                    .iter()
                    .map(|l| {
                        let line = match &l.ts {
                            Some(ts) => format!("{} {}", ts, l.msg),
                            None => l.msg.clone(),
                        };
                        // A runaway line must not flood the log or the step summary.
                        sanitize::bounded(&sanitize::one_line(&line), MAX_LOG_LINE)
                    })
                    .collect();
                self.log.begin_collapsed_section(
                    "nodion_deploy_logs",
                    &format!(
                        "Last {} log line{} of {}",
                        lines.len(),
                        if lines.len() == 1 { "" } else { "s" },
                        settings.application_id
                    ),
                );
                for line in &lines {
                    self.log.line(&format!("  {line}"));
                }
                if lines.is_empty() {
                    self.log.line("  (no log lines)");
                }
                self.log.end_section();
                lines
            }
            Err(error) => {
                self.log.warn(&format!(
                    "could not read the application's logs: {}",
                    error.describe()
                ));
                Vec::new()
            }
        }
    }

    fn log_triggered(&self, d: &Deployment) {
        let log = self.log;
        let mut parts = Vec::new();
        if let Some(id) = &d.id {
            parts.push(format!("id {}", shown(id)));
        }
        if let Some(strategy) = &d.strategy {
            parts.push(format!("strategy {}", shown(strategy)));
        }
        if let Some(image) = &d.image_reference {
            parts.push(format!("image {}", shown(image)));
        } else if let Some(sha) = &d.git_sha {
            let short: String = sha.chars().take(7).collect();
            let message = d
                .commit_message
                .as_deref()
                .and_then(|m| m.lines().next())
                .map(|m| format!(" \"{}\"", sanitize::bounded(&shown(m), 72)))
                .unwrap_or_default();
            let by = d
                .committer_name
                .as_deref()
                .map(|name| format!(" by {}", sanitize::bounded(&shown(name), 60)))
                .unwrap_or_default();
            parts.push(format!("commit {}{message}{by}", shown(&short)));
        }
        log.line(&format!(
            "Triggered deployment #{} ({})",
            d.deploy_number.unwrap_or_default(),
            parts.join(", ")
        ));
    }

    /// Polls until our deployment is terminal, the deadline passes or the API refuses.
    fn watch(&mut self, ours: u64, seed: Option<Deployment>, report: &mut Report) -> Verdict {
        let settings = self.settings;
        let rules = Rules {
            success: settings.success_statuses.clone(),
            failure: settings.failure_statuses.clone(),
        };
        let schedule = self.schedule(settings.poll_interval, settings.max_poll_interval);
        let poll_now = seed.is_none();
        let mut watch = Watch::new(
            ours,
            rules,
            self.started,
            self.deadline,
            schedule,
            self.clock.now(),
            poll_now,
        );
        self.log.begin_section(
            "nodion_deploy_wait",
            &format!(
                "Waiting for deployment #{ours} (timeout {}, success: {}, failure: {})",
                humantime::format_duration(settings.timeout),
                settings.success_statuses.join(","),
                settings.failure_statuses.join(",")
            ),
        );
        if let Some(seed) = seed {
            let events = watch.seed(self.clock.now(), seed);
            if let Some(latest) = watch.deployment() {
                self.progress.set(latest.clone(), watch.timeline());
            }
            self.log_events(ours, events);
        }
        let mut polls = 0;
        let verdict = loop {
            match watch.next(self.clock.now()) {
                Next::Sleep(d) => {
                    self.clock.sleep(d);
                }
                Next::Poll => {
                    polls += 1;
                    let answer = self
                        .api
                        .list(self.deadline, polls, Keep::Number(ours))
                        .map(|listing| listing.kept);
                    let events = watch.observe(self.clock.now(), answer);
                    if let Some(latest) = watch.deployment() {
                        self.progress.set(latest.clone(), watch.timeline());
                    }
                    self.log_events(ours, events);
                }
                Next::Finish(verdict) => break verdict,
            }
        };
        self.log.end_section();
        report.deployment = watch.deployment().cloned();
        report.timeline = watch.timeline().to_vec();
        verdict
    }

    fn log_events(&self, ours: u64, events: Vec<Event>) {
        let log = self.log;
        for event in events {
            let line = match event {
                Event::Status { status, elapsed } => {
                    format!("[{:>7}] #{ours} {}", elapsed_text(elapsed), shown(&status))
                }
                Event::UnknownStatus(status) => format!(
                    "          '{}' is not a status nodion-deploy knows: it counts as in progress, never as success (see success_statuses / failure_statuses)",
                    shown(&status)
                ),
                Event::Heartbeat { status, elapsed } => format!(
                    "[{:>7}] #{ours} still {}",
                    elapsed_text(elapsed),
                    status
                        .map(|s| shown(&s))
                        .unwrap_or_else(|| "not listed".into())
                ),
                Event::NotListed => format!(
                    "[{:>7}] #{ours} is not in the deployment list yet",
                    elapsed_text(self.elapsed())
                ),
                Event::Retrying(reason) => format!(
                    "[{:>7}] listing deployments failed: {reason}; retrying",
                    elapsed_text(self.elapsed())
                ),
            };
            log.line(&line);
        }
    }
}

/// Whole seconds, humanly (`1m 30s`).
fn elapsed_text(elapsed: Duration) -> String {
    humantime::format_duration(Duration::from_secs(elapsed.as_secs())).to_string()
}

/// API text as shown inside a log line: one line, bounded (the log itself removes control
/// characters and anything GitHub could take for a command).
fn shown(text: &str) -> String {
    sanitize::bounded(&sanitize::one_line(text), 200)
}
