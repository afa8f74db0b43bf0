//! The inputs: one table that `--help`, README and the parser all read, and the checks that turn
//! environment variables into [`Settings`] — or into every problem at once, each naming its variable.

mod parse;
mod read;
mod table;
mod token;

use std::time::Duration;

use crate::duration::{self, Precision};
use crate::env::Env;
use crate::platform::{Asked, Destinations, PathInput, Platform};
use parse::{
    parse_deploy_number, parse_failure_logs, parse_identifier, parse_image_tag, parse_statuses,
    parse_verify_contains, parse_verify_url, read_certificates, text,
};
use read::{Field, Reader};

pub use crate::problem::{Problem, refusal};
pub use parse::{parse_api_url, parse_bool, parse_duration};
pub use read::Names;
pub use table::*;
pub use token::{MIN_TOKEN, Token};

/// The validated settings the run works from.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The API key.
    pub token: Token,
    /// The application to deploy.
    pub application_id: String,
    /// `X-Nodion-Project`, if set.
    pub project_id: Option<String>,
    /// The image tag to deploy, if set.
    pub image_tag: Option<String>,
    /// Whether to wait for the deployment.
    pub wait: bool,
    /// The deadline for the whole run, from its start.
    pub timeout: Duration,
    /// The first wait between polls.
    pub poll_interval: Duration,
    /// The longest wait between polls.
    pub max_poll_interval: Duration,
    /// Whether the user set either interval: then they are kept exactly, and no schedule is
    /// learned from the app's deployments.
    pub intervals_set: bool,
    /// The limit for one request.
    pub request_timeout: Duration,
    /// Lower-cased statuses meaning success.
    pub success_statuses: Vec<String>,
    /// Lower-cased statuses meaning failure.
    pub failure_statuses: Vec<String>,
    /// The API base URL, without a trailing slash.
    pub api_url: String,
    /// Attach mode: the existing deployment to wait for.
    pub deploy_number: Option<u64>,
    /// The user's application to check once our deployment succeeds (http or https).
    pub verify_url: Option<String>,
    /// Text the application's answer must contain to count as the new version.
    pub verify_contains: Option<String>,
    /// When our deployment fails or is not serving, deploy the last good image again (§9).
    pub rollback: bool,
    /// The rollback's deadline, from its trigger.
    pub rollback_timeout: Duration,
    /// Check and trigger nothing.
    pub dry_run: bool,
    /// How many log lines to show on failure.
    pub failure_logs: u32,
    /// Extra root certificates (`ca_certificates`), DER, added to the bundled ones.
    pub extra_roots: Vec<Vec<u8>>,
    /// One log line per request.
    pub debug: bool,
    /// `NO_PROXY` (or `no_proxy`), for deciding whether the API host bypasses a proxy.
    pub no_proxy: Option<String>,
    /// The commit the pipeline runs for, when its platform names it.
    pub commit: Option<String>,
    /// The CI platform and everywhere the outputs go.
    pub destinations: Destinations,
    /// What every message calls each input: the way the user set it.
    pub names: Names,
}

/// Inputs that were refused: every problem, and where a refused run can still write its outputs
/// (`result=error`), so that no earlier run's results stay standing there.
#[derive(Clone, Debug)]
pub struct Refused {
    /// Every problem found.
    pub problems: Vec<Problem>,
    /// The destinations that could be written; none that was itself refused.
    pub destinations: Destinations,
    /// The application, when its id was valid.
    pub application_id: Option<String>,
}

impl Settings {
    /// Reads and checks every input; on failure, every problem found.
    pub fn from_env(env: &dyn Env) -> Result<Settings, Vec<Problem>> {
        Settings::read(env).map_err(|refused| refused.problems)
    }

    /// Reads and checks every input; on failure, every problem found and where the outputs can
    /// still be written.
    pub fn read(env: &dyn Env) -> Result<Settings, Box<Refused>> {
        let mut r = Reader::new(env);
        let platform = Platform::detect(env);
        let commit = crate::platform::pipeline_commit(&platform, env);
        let parts = Parts::read(&mut r, env);
        parts.check(&mut r);
        let extra_roots = r.read(&CA_CERTIFICATES, read_certificates).value;
        let destinations = read_destinations(&mut r, platform);
        let names = r.names().clone();
        let problems = r.into_problems();
        let application_id = parts.application_id.clone();
        // Every `None` taken apart here was reported as a problem when it was read.
        let settings = || {
            Some(Settings {
                token: parts.token?,
                application_id: parts.application_id?,
                project_id: parts.project_id,
                image_tag: parts.image_tag,
                wait: parts.wait,
                timeout: parts.timeout?,
                poll_interval: parts.poll_interval.value?,
                max_poll_interval: parts.max_poll_interval.value?,
                intervals_set: parts.poll_interval.set || parts.max_poll_interval.set,
                request_timeout: parts.request_timeout?,
                success_statuses: parts.success_statuses.value?,
                failure_statuses: parts.failure_statuses.value?,
                api_url: parts.api_url?,
                deploy_number: parts.deploy_number.value,
                verify_url: parts.verify_url.value,
                verify_contains: parts.verify_contains.value,
                rollback: parts.rollback,
                rollback_timeout: parts.rollback_timeout?,
                dry_run: parts.dry_run,
                failure_logs: parts.failure_logs?,
                extra_roots: extra_roots.unwrap_or_default(),
                debug: parts.debug,
                no_proxy: no_proxy(env),
                commit,
                destinations: destinations.clone(),
                names,
            })
        };
        match settings() {
            Some(settings) if problems.is_empty() => Ok(settings),
            _ => Err(Box::new(Refused {
                problems,
                application_id,
                destinations,
            })),
        }
    }
}

/// A poll interval as read: its default when unset (no fixed default in the table, so that the
/// action and the component pass nothing when the user sets nothing: then the schedule learns).
fn interval(r: &mut Reader, input: &Input, default: Duration) -> Field<Duration> {
    let field = r.read(input, parse_duration);
    match field.set {
        true => field,
        false => Field {
            value: Some(default),
            ..field
        },
    }
}

/// Every input as read, before the checks that span several of them. The fields a later check
/// needs keep the variable they came from.
struct Parts {
    token: Option<Token>,
    application_id: Option<String>,
    project_id: Option<String>,
    image_tag: Option<String>,
    wait: bool,
    timeout: Option<Duration>,
    poll_interval: Field<Duration>,
    max_poll_interval: Field<Duration>,
    request_timeout: Option<Duration>,
    success_statuses: Field<Vec<String>>,
    failure_statuses: Field<Vec<String>>,
    api_url: Option<String>,
    deploy_number: Field<u64>,
    verify_url: Field<String>,
    verify_contains: Field<String>,
    rollback: bool,
    rollback_timeout: Option<Duration>,
    dry_run: bool,
    failure_logs: Option<u32>,
    debug: bool,
}

impl Parts {
    /// Reads each input once; the problems come in this order.
    fn read(r: &mut Reader, env: &dyn Env) -> Parts {
        let token = token::read(r);
        // A URL holding credentials is told where the token goes instead.
        let token_name = r.name(&API_TOKEN);
        let application_id = r.read(&APPLICATION_ID, parse_identifier);
        if !application_id.set {
            r.problem(&application_id.variable, "the application id is required");
        }
        // Fields are evaluated in the order written, which is the order of the problems.
        Parts {
            token,
            application_id: application_id.value,
            project_id: r.read(&PROJECT_ID, parse_identifier).value,
            image_tag: r.read(&IMAGE_TAG, parse_image_tag).value,
            wait: r.read(&WAIT, parse_bool).value.unwrap_or(true),
            timeout: r.read(&TIMEOUT, parse_duration).value,
            poll_interval: interval(r, &POLL_INTERVAL, DEFAULT_POLL_INTERVAL),
            max_poll_interval: interval(r, &MAX_POLL_INTERVAL, DEFAULT_MAX_POLL_INTERVAL),
            request_timeout: r.read(&REQUEST_TIMEOUT, parse_duration).value,
            success_statuses: r.read(&SUCCESS_STATUSES, parse_statuses),
            failure_statuses: r.read(&FAILURE_STATUSES, parse_statuses),
            api_url: r.read(&API_URL, |v| parse_api_url(v, &token_name)).value,
            deploy_number: r.read(&DEPLOY_NUMBER, parse_deploy_number),
            verify_url: r.read(&VERIFY_URL, parse_verify_url),
            verify_contains: r.read(&VERIFY_CONTAINS, parse_verify_contains),
            rollback: r.read(&ROLLBACK, parse_bool).value.unwrap_or(false),
            rollback_timeout: r.read(&ROLLBACK_TIMEOUT, parse_duration).value,
            dry_run: r.read(&DRY_RUN, parse_bool).value.unwrap_or(false),
            failure_logs: r.read(&FAILURE_LOGS, parse_failure_logs).value,
            debug: r.read(&DEBUG, parse_bool).value.unwrap_or(false) || debug_switch(env),
        }
    }

    /// The problems that span several inputs.
    fn check(&self, r: &mut Reader) {
        self.check_poll_intervals(r);
        self.check_statuses(r);
        self.check_attach_mode(r);
        // Text to look for, with nothing to look in, would be silently ignored.
        if self.verify_contains.set && !self.verify_url.set {
            r.problem(
                &self.verify_contains.variable,
                "verify_contains needs verify_url: set the URL to check, or unset it",
            );
        }
    }

    /// The longest wait between polls cannot be shorter than the first. The problem names the
    /// variable that was set (both when both were), not one left at its default.
    fn check_poll_intervals(&self, r: &mut Reader) {
        let (first, longest) = (&self.poll_interval, &self.max_poll_interval);
        let (Some(min), Some(max)) = (first.value, longest.value) else {
            return;
        };
        if max >= min {
            return;
        }
        let (min, max) = (
            duration::text(min, Precision::Exact),
            duration::text(max, Precision::Exact),
        );
        match (first.set, longest.set) {
            (true, false) => r.problem(
                &first.variable,
                format!(
                    "{min} is longer than max_poll_interval ({max} by default): shorten it, or set max_poll_interval to at least {min}"
                ),
            ),
            (false, true) => r.problem(
                &longest.variable,
                format!("{max} is shorter than poll_interval ({min} by default)"),
            ),
            _ => r.problem(
                &format!("{} and {}", first.variable, longest.variable),
                format!("poll_interval ({min}) is longer than max_poll_interval ({max})"),
            ),
        }
    }

    /// No status can mean both success and failure.
    fn check_statuses(&self, r: &mut Reader) {
        let (success, failure) = (&self.success_statuses, &self.failure_statuses);
        let (Some(s), Some(f)) = (&success.value, &failure.value) else {
            return;
        };
        let both: Vec<&str> = s
            .iter()
            .filter(|x| f.contains(x))
            .map(String::as_str)
            .collect();
        if !both.is_empty() {
            r.problem(
                &format!("{} and {}", success.variable, failure.variable),
                format!(
                    "a status cannot mean both success and failure: {}",
                    both.join(", ")
                ),
            );
        }
    }

    /// Attach mode triggers nothing and only waits.
    fn check_attach_mode(&self, r: &mut Reader) {
        if !self.deploy_number.set {
            return;
        }
        let variable = &self.deploy_number.variable;
        if self.image_tag.is_some() {
            r.problem(
                variable,
                "attach mode triggers nothing, so image_tag cannot apply: unset one of them",
            );
        }
        if !self.wait {
            r.problem(
                variable,
                "attach mode only waits, so it cannot be combined with wait=false",
            );
        }
    }
}

/// Where the outputs go: the inputs that name a file, read as every input is, then decided with the
/// platform (which checks each one can be written).
fn read_destinations(r: &mut Reader, platform: Platform) -> Destinations {
    let mut path = |input: &Input| {
        let field = r.read(input, text);
        PathInput {
            variable: field.variable,
            value: field.value,
        }
    };
    let asked = Asked {
        dotenv_file: path(&DOTENV_FILE),
        result_file: path(&RESULT_FILE),
        exports_file: path(&EXPORTS_FILE),
    };
    let mut problems = Vec::new();
    let destinations = Destinations::decide(platform, asked, &mut problems);
    for problem in problems {
        r.problem(&problem.variable, problem.message);
    }
    destinations
}

/// Whether debug logging is on through the platform's own debug switch.
fn debug_switch(env: &dyn Env) -> bool {
    let is = |name: &str, want: &str| {
        env.var(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(want))
    };
    is("RUNNER_DEBUG", "1") || is("CI_DEBUG_TRACE", "true")
}

/// `NO_PROXY`, or `no_proxy`, if set.
fn no_proxy(env: &dyn Env) -> Option<String> {
    ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|name| env.var(name).filter(|v| !v.trim().is_empty()))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::*;

    pub(in crate::inputs) fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn minimal() -> HashMap<String, String> {
        env(&[
            ("NODION_API_TOKEN", "token-123"),
            ("NODION_APPLICATION_ID", "app-1"),
        ])
    }

    /// Settings for application `app-1` with the token from `NODION_API_TOKEN`, and `extra` (an
    /// empty value unsets): the other modules' tests start from these.
    pub(crate) fn settings(extra: &[(&str, &str)]) -> Settings {
        let mut env = minimal();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env.retain(|_, v| !v.is_empty());
        Settings::from_env(&env).expect("valid settings")
    }

    pub(in crate::inputs) fn problems(extra: &[(&str, &str)]) -> Vec<Problem> {
        let mut e = minimal();
        for (k, v) in extra {
            e.insert(k.to_string(), v.to_string());
        }
        Settings::from_env(&e).expect_err("should be refused")
    }

    #[test]
    fn defaults_follow_the_spec() {
        let s = Settings::from_env(&minimal()).unwrap();
        assert!(s.wait);
        assert_eq!(s.timeout, Duration::from_secs(900));
        assert_eq!(s.poll_interval, Duration::from_secs(2));
        // Issue 20: 4.5 s, from the detection benchmark; neither set, so the schedule may learn.
        assert_eq!(s.max_poll_interval, Duration::from_millis(4500));
        assert!(!s.intervals_set);
        assert_eq!(s.request_timeout, Duration::from_secs(30));
        assert_eq!(s.success_statuses, ["available"]);
        assert_eq!(
            s.failure_statuses,
            ["failed", "error", "expired", "canceled", "cancelled"]
        );
        assert_eq!(s.api_url, DEFAULT_API_URL);
        assert_eq!(s.failure_logs, 50);
        assert_eq!(s.destinations.dotenv_file, None);
        assert!(!s.debug);
    }

    #[test]
    fn input_variables_win_over_nodion_variables_and_empty_counts_as_unset() {
        let e = env(&[
            ("INPUT_API_TOKEN", "  "),
            ("NODION_API_TOKEN", "from-nodion"),
            ("INPUT_APPLICATION_ID", " from-input "),
            ("NODION_APPLICATION_ID", "from-nodion"),
        ]);
        let s = Settings::from_env(&e).unwrap();
        assert_eq!(s.token.expose(), "from-nodion");
        assert_eq!(s.application_id, "from-input");
    }

    #[test]
    fn gitlab_gets_a_dotenv_report_by_default() {
        let mut e = minimal();
        e.insert("GITLAB_CI".into(), "true".into());
        let s = Settings::from_env(&e).unwrap();
        assert_eq!(
            s.destinations.dotenv_file,
            Some(PathBuf::from(crate::platform::GITLAB_DOTENV))
        );
    }

    #[test]
    fn platform_debug_switches_turn_debug_on() {
        for (k, v) in [("RUNNER_DEBUG", "1"), ("CI_DEBUG_TRACE", "true")] {
            let mut e = minimal();
            e.insert(k.into(), v.into());
            assert!(Settings::from_env(&e).unwrap().debug, "{k}");
        }
    }

    #[test]
    fn every_problem_is_reported_at_once_naming_its_input_as_set() {
        let found = problems(&[
            ("NODION_WAIT", "maybe"),
            ("INPUT_TIMEOUT", "soon"),
            ("NODION_IMAGE_TAG", "v 2"),
        ]);
        let variables: Vec<&str> = found.iter().map(|p| p.variable.as_str()).collect();
        assert_eq!(variables, ["NODION_IMAGE_TAG", "NODION_WAIT", "timeout"]);
    }

    #[test]
    fn either_interval_set_even_to_its_default_is_kept_and_stops_the_learning() {
        for set in [
            ("NODION_POLL_INTERVAL", "2s"),
            ("INPUT_MAX_POLL_INTERVAL", "15s"),
        ] {
            let mut e = minimal();
            e.insert(set.0.into(), set.1.into());
            let s = Settings::from_env(&e).unwrap();
            assert!(s.intervals_set, "{set:?}");
        }
        // The action passes an input the user left out as empty: unset.
        let mut e = minimal();
        e.insert("INPUT_POLL_INTERVAL".into(), String::new());
        e.insert("INPUT_MAX_POLL_INTERVAL".into(), " ".into());
        let s = Settings::from_env(&e).unwrap();
        assert!(!s.intervals_set);
        assert_eq!(s.poll_interval, Duration::from_secs(2));
    }

    /// The variables named by the one problem these intervals give.
    fn blamed(intervals: &[(&str, &str)]) -> String {
        let found = problems(intervals);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].to_string()
    }

    #[test]
    fn a_poll_interval_above_the_default_maximum_blames_the_variable_that_was_set() {
        assert_eq!(
            blamed(&[("NODION_POLL_INTERVAL", "30s")]),
            "NODION_POLL_INTERVAL: 30s is longer than max_poll_interval (4s 500ms by default): shorten it, or set max_poll_interval to at least 30s"
        );
        assert_eq!(
            blamed(&[("INPUT_MAX_POLL_INTERVAL", "1s")]),
            "max_poll_interval: 1s is shorter than poll_interval (2s by default)"
        );
        assert_eq!(
            blamed(&[
                ("NODION_POLL_INTERVAL", "30s"),
                ("NODION_MAX_POLL_INTERVAL", "20s")
            ]),
            "NODION_POLL_INTERVAL and NODION_MAX_POLL_INTERVAL: poll_interval (30s) is longer than max_poll_interval (20s)"
        );
    }

    #[test]
    fn the_refusal_names_each_variable_once() {
        let found = problems(&[
            ("NODION_APPLICATION_ID", ""),
            ("NODION_TIMEOUT", "soon"),
            ("NODION_DEPLOY_NUMBER", "3"),
            ("NODION_IMAGE_TAG", "v1"),
            ("NODION_WAIT", "false"),
        ]);
        assert_eq!(
            refusal(&found),
            "invalid inputs (NODION_APPLICATION_ID, NODION_TIMEOUT, NODION_DEPLOY_NUMBER); nothing was sent"
        );
    }

    #[test]
    fn every_output_file_is_checked_naming_the_variable_that_was_set() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let at = |name: &str| missing.join(name).to_str().unwrap().to_string();
        let found = problems(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_OUTPUT", &at("output")),
            ("GITHUB_STEP_SUMMARY", &at("summary.md")),
            ("NODION_DOTENV_FILE", &at("deploy.env")),
            ("INPUT_RESULT_FILE", &at("result.json")),
        ]);
        let named: Vec<&str> = found.iter().map(|p| p.variable.as_str()).collect();
        assert_eq!(
            named,
            [
                "GITHUB_OUTPUT",
                "GITHUB_STEP_SUMMARY",
                "NODION_DOTENV_FILE",
                "result_file"
            ]
        );
        assert_eq!(
            found[3].message,
            format!(
                "cannot write the JSON result to '{}': its directory does not exist",
                at("result.json")
            )
        );
        assert!(!missing.exists(), "a check creates no directory");
    }

    #[test]
    fn a_writable_destination_is_checked_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("github_output");
        std::fs::write(&output, "earlier=step\n").unwrap();
        let result = dir.path().join("result.json");
        let mut e = minimal();
        e.insert("GITHUB_ACTIONS".into(), "true".into());
        e.insert("GITHUB_OUTPUT".into(), output.to_str().unwrap().into());
        e.insert("NODION_RESULT_FILE".into(), result.to_str().unwrap().into());
        Settings::from_env(&e).unwrap();
        assert_eq!(std::fs::read_to_string(&output).unwrap(), "earlier=step\n");
        assert!(!result.exists());
    }

    #[test]
    fn overlapping_status_lists_are_refused() {
        let found = problems(&[("NODION_SUCCESS_STATUSES", "available, Failed")]);
        assert!(found[0].message.contains("failed"), "{}", found[0]);
    }

    #[test]
    fn attach_mode_cannot_take_a_tag_or_skip_waiting() {
        assert_eq!(
            problems(&[("NODION_DEPLOY_NUMBER", "3"), ("NODION_IMAGE_TAG", "v1")]).len(),
            1
        );
        assert_eq!(
            problems(&[("NODION_DEPLOY_NUMBER", "3"), ("NODION_WAIT", "false")]).len(),
            1
        );
        assert_eq!(problems(&[("NODION_DEPLOY_NUMBER", "-3")]).len(), 1);
    }

    /// An environment that remembers which variables were asked for.
    struct Recording {
        vars: HashMap<String, String>,
        asked: RefCell<Vec<String>>,
    }

    impl Env for Recording {
        fn var(&self, name: &str) -> Option<String> {
            self.asked.borrow_mut().push(name.to_string());
            self.vars.var(name)
        }

        fn names(&self) -> Vec<String> {
            self.vars.names()
        }
    }

    #[test]
    fn every_input_is_read_once_and_no_other_input_variable_is_read() {
        let env = Recording {
            vars: minimal(),
            asked: RefCell::new(Vec::new()),
        };
        Settings::from_env(&env).unwrap();
        let asked = env.asked.into_inner();
        let table: Vec<String> = INPUTS.iter().flat_map(|i| i.variables()).collect();
        for variable in &table {
            let times = asked.iter().filter(|a| *a == variable).count();
            assert_eq!(times, 1, "{variable} read {times} times");
        }
        for variable in asked {
            if variable.starts_with("INPUT_") || variable.starts_with("NODION_") {
                assert!(table.contains(&variable), "{variable} is not in the table");
            }
        }
    }

    /// For every input: a value that changes the settings, and one that is refused (`None` for
    /// inputs that take any value).
    const SAMPLES: &[(Input, &str, Option<&str>)] = &[
        (API_TOKEN, "other-token-1", Some("abc")),
        (API_TOKEN_FILE, "", Some("/nonexistent/nodion-token")),
        (APPLICATION_ID, "app-2", Some("app/x")),
        (PROJECT_ID, "project-1", Some("p q")),
        (IMAGE_TAG, "v2", Some("v 2")),
        (WAIT, "false", Some("maybe")),
        (TIMEOUT, "1h", Some("soon")),
        (POLL_INTERVAL, "3s", Some("0s")),
        (MAX_POLL_INTERVAL, "20s", Some("1ms")),
        (REQUEST_TIMEOUT, "10s", Some("15")),
        (SUCCESS_STATUSES, "ready", Some(",")),
        (FAILURE_STATUSES, "broken", Some(" , ")),
        (
            API_URL,
            "http://127.0.0.1:9/v1",
            Some("http://example.com/v1"),
        ),
        (DEPLOY_NUMBER, "3", Some("0")),
        (
            VERIFY_URL,
            "https://my-app.example.com/health",
            Some("my-app.example.com"),
        ),
        (VERIFY_CONTAINS, "v2", Some("a\nb")),
        (ROLLBACK, "true", Some("maybe")),
        (ROLLBACK_TIMEOUT, "5m", Some("0s")),
        (DRY_RUN, "yes", Some("maybe")),
        (DOTENV_FILE, "out.env", None),
        (RESULT_FILE, "-", None),
        (EXPORTS_FILE, "out.sh", None),
        (FAILURE_LOGS, "0", Some("2501")),
        (CA_CERTIFICATES, CA_PEM, Some("/nonexistent/ca.pem")),
        (DEBUG, "on", Some("sometimes")),
    ];

    const CA_PEM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fake-nodion/testdata/ca.pem");

    /// `minimal()` with `variable` set to `value`; the token file replaces the token.
    fn with(variable: &str, value: &str) -> HashMap<String, String> {
        let mut e = minimal();
        if variable.ends_with("_API_TOKEN_FILE") {
            e.remove("NODION_API_TOKEN");
        }
        // The text to look for needs a URL to look in.
        if variable.ends_with("_VERIFY_CONTAINS") {
            e.insert("NODION_VERIFY_URL".into(), "http://127.0.0.1:9/".into());
        }
        e.insert(variable.to_string(), value.to_string());
        e
    }

    /// Everything the settings hold, the token included; not how the inputs are named, which
    /// changes with the variable set whether or not its value arrives.
    fn fingerprint(s: &Settings) -> String {
        let values = Settings {
            names: Names::default(),
            ..s.clone()
        };
        format!("{values:?} {}", s.token.expose())
    }

    #[test]
    fn the_samples_cover_every_input() {
        let names: Vec<&str> = SAMPLES.iter().map(|(input, ..)| input.name).collect();
        let table: Vec<&str> = INPUTS.iter().map(|input| input.name).collect();
        assert_eq!(names, table);
    }

    #[test]
    fn every_input_reaches_the_settings() {
        let token_file = std::env::temp_dir().join(format!("nodion-sample-{}", std::process::id()));
        std::fs::write(&token_file, "file-token-1\n").unwrap();
        let baseline = fingerprint(&Settings::from_env(&minimal()).unwrap());
        for (input, good, _) in SAMPLES {
            let good = match *good {
                "" => token_file.to_str().unwrap(),
                good => good,
            };
            for variable in input.variables() {
                let read = Settings::from_env(&with(&variable, good));
                let read = read.unwrap_or_else(|p| panic!("{variable}={good}: {p:?}"));
                assert_ne!(
                    fingerprint(&read),
                    baseline,
                    "{variable}={good} changed nothing"
                );
            }
        }
        std::fs::remove_file(&token_file).unwrap();
    }

    #[test]
    fn a_refused_value_is_reported_on_the_input_named_as_it_was_set() {
        for (input, _, bad) in SAMPLES {
            let Some(bad) = bad else { continue };
            let [action, variable] = input.variables();
            for (set, named) in [
                (action, input.name.to_string()),
                (variable.clone(), variable),
            ] {
                let found = Settings::from_env(&with(&set, bad)).unwrap_err();
                let blamed: Vec<&str> = found.iter().map(|p| p.variable.as_str()).collect();
                assert_eq!(blamed, [named.as_str()], "{set}={bad}: {found:?}");
            }
        }
    }
}
