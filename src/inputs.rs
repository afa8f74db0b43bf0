//! The inputs: one table that `--help`, README and the parser all read, and the checks that turn
//! environment variables into [`Settings`] — or into every problem at once, each naming its variable.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::escape;
use crate::platform::Platform;

/// Where variables come from: the process, or a map in tests and the demo.
pub trait Env {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// An input's default, as `--help` shows it.
#[derive(Clone, Copy, Debug)]
pub enum Default {
    /// No default.
    None,
    /// This value.
    Value(&'static str),
    /// A default that depends on the platform, described.
    Note(&'static str),
}

/// What kind of value an input takes, for the platforms that type their inputs (GitLab's
/// component `spec:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text (paths, durations, lists), checked by the tool itself.
    Text,
    /// `true`/`false` (the tool also takes yes/no, on/off, 1/0).
    Boolean,
    /// A whole number.
    Number,
}

/// One input of the tool.
#[derive(Clone, Copy, Debug)]
pub struct Input {
    /// The input's name, as in `action.yml` (`api_token`).
    pub name: &'static str,
    /// What kind of value it takes.
    pub kind: Kind,
    /// Its default.
    pub default: Default,
    /// What it means, one line.
    pub help: &'static str,
}

impl Input {
    /// The variables it is read from, in order.
    pub fn variables(&self) -> [String; 2] {
        let upper = self.name.to_ascii_uppercase();
        [format!("INPUT_{upper}"), format!("NODION_{upper}")]
    }

    /// The default value, if there is a fixed one.
    pub fn default_value(&self) -> Option<&'static str> {
        match self.default {
            Default::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// The shortest token accepted.
pub const MIN_TOKEN: usize = 8;

/// The default API base URL.
pub const DEFAULT_API_URL: &str = "https://api.nodion.com/v1";
/// The dotenv report's file name under GitLab CI and Bitbucket Pipelines.
pub const GITLAB_DOTENV: &str = "nodion-deploy.env";
/// The JSON result's file name under Bitbucket Pipelines.
pub const BITBUCKET_RESULT: &str = "nodion-deploy.json";

/// Every input, in the order `--help` lists them.
pub const INPUTS: &[Input] = &[
    Input {
        name: "api_token",
        kind: Kind::Text,
        default: Default::None,
        help: "Nodion API key, sent as `Authorization: Bearer`; required unless api_token_file is set; at least 8 characters, no whitespace; never printed",
    },
    Input {
        name: "api_token_file",
        kind: Kind::Text,
        default: Default::None,
        help: "path of a file holding the API key (Docker / Kubernetes secrets); surrounding whitespace is trimmed",
    },
    Input {
        name: "application_id",
        kind: Kind::Text,
        default: Default::None,
        help: "required: the application to deploy; 1-128 of A-Z a-z 0-9 _ -",
    },
    Input {
        name: "project_id",
        kind: Kind::Text,
        default: Default::None,
        help: "project to act in, sent as X-Nodion-Project (needed by user API keys); same characters",
    },
    Input {
        name: "image_tag",
        kind: Kind::Text,
        default: Default::None,
        help: "pre-built image apps only: the image tag to deploy instead of the application's default",
    },
    Input {
        name: "wait",
        kind: Kind::Boolean,
        default: Default::Value("true"),
        help: "wait for the deployment to finish; false: trigger, write outputs, exit 0",
    },
    Input {
        name: "timeout",
        kind: Kind::Text,
        default: Default::Value("15m"),
        help: "deadline for the whole run, from start (90s, 15m, 1h 30m)",
    },
    Input {
        name: "poll_interval",
        kind: Kind::Text,
        default: Default::Value("2s"),
        help: "the first wait between polls",
    },
    Input {
        name: "max_poll_interval",
        kind: Kind::Text,
        default: Default::Value("15s"),
        help: "the longest wait between polls (waits grow by 1.5x, with ±20% jitter); at least poll_interval",
    },
    Input {
        name: "request_timeout",
        kind: Kind::Text,
        default: Default::Value("30s"),
        help: "limit for one HTTP request, never beyond the deadline",
    },
    Input {
        name: "success_statuses",
        kind: Kind::Text,
        default: Default::Value("available"),
        help: "statuses that mean success; comma-separated, case-insensitive",
    },
    Input {
        name: "failure_statuses",
        kind: Kind::Text,
        default: Default::Value("failed,error,expired,canceled,cancelled"),
        help: "statuses that mean failure; comma-separated, case-insensitive; must not overlap success_statuses",
    },
    Input {
        name: "api_url",
        kind: Kind::Text,
        default: Default::Value(DEFAULT_API_URL),
        help: "API base URL; https only, except http to a loopback host",
    },
    Input {
        name: "deploy_number",
        kind: Kind::Text,
        default: Default::None,
        help: "attach mode: trigger nothing, wait for this existing deployment (integer >= 1)",
    },
    Input {
        name: "dry_run",
        kind: Kind::Boolean,
        default: Default::Value("false"),
        help: "check inputs, token and application with read-only calls; trigger nothing",
    },
    Input {
        name: "dotenv_file",
        kind: Kind::Text,
        default: Default::Note(
            "nodion-deploy.env under GitLab CI and Bitbucket Pipelines (in the pipe's storage directory when set), else none",
        ),
        help: "where to write the dotenv report (NODION_RESULT=… lines)",
    },
    Input {
        name: "result_file",
        kind: Kind::Text,
        default: Default::Note(
            "nodion-deploy.json under Bitbucket Pipelines (in the pipe's storage directory when set), else none",
        ),
        help: "where to write the JSON result; - means standard output",
    },
    Input {
        name: "failure_logs",
        kind: Kind::Number,
        default: Default::Value("50"),
        help: "when the deployment fails or times out, show this many of the application's latest log lines; 0 turns it off",
    },
    Input {
        name: "ca_certificates",
        kind: Kind::Text,
        default: Default::None,
        help: "PEM file of extra root certificates, added to the bundled ones (TLS-intercepting proxies)",
    },
    Input {
        name: "debug",
        kind: Kind::Boolean,
        default: Default::Value("false"),
        help: "one log line per request (method, path, status, time); also on with RUNNER_DEBUG=1 or CI_DEBUG_TRACE=true",
    },
];

/// The API token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token from its text.
    pub fn new(text: impl Into<String>) -> Token {
        Token(text.into())
    }

    /// The token itself, for the `Authorization` header and masking only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Where the JSON result goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResultFile {
    /// Standard output (`result_file=-`).
    Stdout,
    /// This file.
    Path(PathBuf),
}

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
    /// Check and trigger nothing.
    pub dry_run: bool,
    /// Where the dotenv report goes.
    pub dotenv_file: Option<PathBuf>,
    /// Where the JSON result goes.
    pub result_file: Option<ResultFile>,
    /// How many log lines to show on failure.
    pub failure_logs: u32,
    /// Extra root certificates (`ca_certificates`), DER, added to the bundled ones.
    pub extra_roots: Vec<Vec<u8>>,
    /// One log line per request.
    pub debug: bool,
    /// `NO_PROXY` (or `no_proxy`), for deciding whether the API host bypasses a proxy.
    pub no_proxy: Option<String>,
    /// The CI platform.
    pub platform: Platform,
}

/// One thing wrong with the inputs, naming the variable to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The variable (or variables) to fix.
    pub variable: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// A raw value and the variable it came from.
struct Raw {
    variable: String,
    value: String,
}

/// Reads inputs, collecting problems instead of stopping at the first.
struct Reader<'a> {
    env: &'a dyn Env,
    problems: Vec<Problem>,
}

fn input(name: &str) -> &'static Input {
    INPUTS
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("input {name} is not in the table"))
}

/// How a value is shown in a problem: trimmed of control characters and bounded.
fn shown(value: &str) -> String {
    format!("'{}'", escape::bounded(&escape::one_line(value), 80))
}

impl Reader<'_> {
    fn raw(&self, name: &str) -> Option<Raw> {
        input(name).variables().into_iter().find_map(|variable| {
            let value = self.env.var(&variable)?.trim().to_string();
            (!value.is_empty()).then_some(Raw { variable, value })
        })
    }

    fn problem(&mut self, variable: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            variable: variable.to_string(),
            message: message.into(),
        });
    }

    /// The variable a problem with an unset input names: the one a pipeline most likely sets.
    fn unset_name(name: &str) -> String {
        let [action, env] = input(name).variables();
        format!("{env} (or {action})")
    }

    /// The value, or the table's default, parsed by `parse`; a parse failure is a problem.
    fn parsed<T>(&mut self, name: &str, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let (variable, value) = match self.raw(name) {
            Some(raw) => (raw.variable, raw.value),
            None => (
                Self::unset_name(name),
                input(name).default_value()?.to_string(),
            ),
        };
        match parse(&value) {
            Ok(v) => Some(v),
            Err(message) => {
                self.problem(&variable, message);
                None
            }
        }
    }

    fn boolean(&mut self, name: &str) -> bool {
        self.parsed(name, parse_bool).unwrap_or(false)
    }

    fn duration(&mut self, name: &str) -> Option<Duration> {
        self.parsed(name, parse_duration)
    }

    fn identifier(&mut self, name: &str) -> Option<String> {
        self.parsed(name, |v| {
            if v.len() > 128
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                Err(format!(
                    "{} is not an id: use 1-128 of A-Z a-z 0-9 _ -",
                    shown(v)
                ))
            } else {
                Ok(v.to_string())
            }
        })
    }

    fn statuses(&mut self, name: &str) -> Option<(String, Vec<String>)> {
        let variable = self
            .raw(name)
            .map(|r| r.variable)
            .unwrap_or_else(|| Self::unset_name(name));
        let list = self.parsed(name, |v| {
            let list: Vec<String> = v
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            if list.is_empty() {
                Err("names no status".to_string())
            } else {
                Ok(list)
            }
        })?;
        Some((variable, list))
    }

    fn path(&self, name: &str) -> Option<PathBuf> {
        self.raw(name).map(|r| PathBuf::from(r.value))
    }

    fn token(&mut self) -> Option<Token> {
        let direct = self.raw("api_token");
        let file = self.raw("api_token_file");
        let (variable, token) = match (direct, file) {
            (Some(d), Some(f)) => {
                self.problem(
                    &format!("{} and {}", d.variable, f.variable),
                    "set either the token or the token file, not both",
                );
                return None;
            }
            (Some(d), None) => (d.variable, d.value),
            (None, Some(f)) => match std::fs::read_to_string(&f.value) {
                Ok(text) => (f.variable, text.trim().to_string()),
                Err(e) => {
                    self.problem(
                        &f.variable,
                        format!("cannot read the token file {}: {e}", shown(&f.value)),
                    );
                    return None;
                }
            },
            (None, None) => {
                self.problem(
                    &Self::unset_name("api_token"),
                    "the Nodion API token is required (or api_token_file)",
                );
                return None;
            }
        };
        // Never echo any part of the token: a message may end up in a public log.
        if token.len() < MIN_TOKEN {
            // No real API key is this short; refusing it also keeps redaction meaningful.
            self.problem(
                &variable,
                format!("the token is shorter than {MIN_TOKEN} characters"),
            );
            None
        } else if token
            .chars()
            .any(|c| c.is_whitespace() || escape::is_control(c))
        {
            self.problem(
                &variable,
                "the token contains whitespace or control characters",
            );
            None
        } else {
            Some(Token(token))
        }
    }
}

/// Parses a boolean: `true/false/yes/no/on/off/1/0`, any case.
pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(format!(
            "{} is not a boolean: use true/false, yes/no, on/off or 1/0",
            shown(value)
        )),
    }
}

/// Parses a positive duration in humantime's grammar (`90s`, `15m`, `1h 30m`).
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    match humantime::parse_duration(value) {
        Ok(d) if d.is_zero() => Err(format!("{} must be longer than zero", shown(value))),
        Ok(d) if d > Duration::from_secs(7 * 24 * 3600) => {
            Err(format!("{} is longer than a week", shown(value)))
        }
        Ok(d) => Ok(d),
        Err(_) => Err(format!(
            "{} is not a duration: use e.g. 90s, 15m or 1h 30m",
            shown(value)
        )),
    }
}

fn parse_image_tag(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if valid {
        Ok(value.to_string())
    } else {
        Err(format!(
            "{} is not a Docker tag: 1-128 of A-Z a-z 0-9 _ . -, not starting with . or -",
            shown(value)
        ))
    }
}

fn parse_deploy_number(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{} is not a deploy number (an integer >= 1)",
            shown(value)
        )),
    }
}

fn parse_failure_logs(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if n <= 2500 => Ok(n),
        _ => Err(format!(
            "{} is not a line count from 0 to 2500",
            shown(value)
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks the API base URL: https, or http to a loopback host; no credentials, query or fragment.
pub fn parse_api_url(value: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("{} {why}", shown(value)));
    let Ok(uri) = value.parse::<ureq::http::Uri>() else {
        return bad("is not a URL");
    };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return bad("is not an absolute http(s) URL");
    };
    if authority.host().is_empty() {
        return bad("has no host");
    }
    if authority.as_str().contains('@') {
        return bad("must not hold credentials: use api_token");
    }
    if uri.query().is_some() || value.contains('#') {
        return bad("must not have a query or fragment");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback(authority.host()) => {}
        "http" => {
            return bad("must use https (http is allowed only to localhost, 127.0.0.0/8 or ::1)");
        }
        _ => return bad("must be an https URL"),
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// Whether debug logging is on: the input, or the platform's own debug switch.
fn debug_switch(env: &dyn Env) -> bool {
    let is = |name: &str, want: &str| {
        env.var(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(want))
    };
    is("RUNNER_DEBUG", "1") || is("CI_DEBUG_TRACE", "true")
}

impl Settings {
    /// Reads and checks every input; on failure, every problem found.
    pub fn from_env(env: &dyn Env) -> Result<Settings, Vec<Problem>> {
        let mut r = Reader {
            env,
            problems: Vec::new(),
        };
        let platform = Platform::detect(env);
        let token = r.token();
        let application_id = r.identifier("application_id");
        if r.raw("application_id").is_none() {
            r.problem(
                &Reader::unset_name("application_id"),
                "the application id is required",
            );
        }
        let project_id = r.identifier("project_id");
        let image_tag = r.parsed("image_tag", parse_image_tag);
        let wait = r.parsed("wait", parse_bool).unwrap_or(true);
        let timeout = r.duration("timeout");
        let poll_interval = r.duration("poll_interval");
        let max_poll_interval = r.duration("max_poll_interval");
        let request_timeout = r.duration("request_timeout");
        let success = r.statuses("success_statuses");
        let failure = r.statuses("failure_statuses");
        let api_url = r.parsed("api_url", parse_api_url);
        let deploy_number = r.parsed("deploy_number", parse_deploy_number);
        let dry_run = r.boolean("dry_run");
        let failure_logs = r.parsed("failure_logs", parse_failure_logs);
        let debug = r.boolean("debug") || debug_switch(env);

        if let (Some(min), Some(max)) = (poll_interval, max_poll_interval)
            && max < min
        {
            let variable = r
                .raw("max_poll_interval")
                .map(|raw| raw.variable)
                .unwrap_or_else(|| Reader::unset_name("max_poll_interval"));
            r.problem(
                &variable,
                format!(
                    "{} is shorter than poll_interval ({})",
                    humantime::format_duration(max),
                    humantime::format_duration(min)
                ),
            );
        }
        if let (Some((sv, s)), Some((fv, f))) = (&success, &failure) {
            let both: Vec<&str> = s
                .iter()
                .filter(|x| f.contains(x))
                .map(String::as_str)
                .collect();
            if !both.is_empty() {
                r.problem(
                    &format!("{sv} and {fv}"),
                    format!(
                        "a status cannot mean both success and failure: {}",
                        both.join(", ")
                    ),
                );
            }
        }
        if let Some(raw) = r.raw("deploy_number") {
            if image_tag.is_some() {
                r.problem(
                    &raw.variable,
                    "attach mode triggers nothing, so image_tag cannot apply: unset one of them",
                );
            }
            if !wait {
                r.problem(
                    &raw.variable,
                    "attach mode only waits, so it cannot be combined with wait=false",
                );
            }
        }
        let extra_roots = match r.raw("ca_certificates") {
            Some(raw) => match std::fs::read(&raw.value) {
                Ok(pem) => match crate::tls::parse_certificates(&pem) {
                    Ok(certs) => certs,
                    Err(why) => {
                        r.problem(&raw.variable, format!("{} {why}", shown(&raw.value)));
                        Vec::new()
                    }
                },
                Err(e) => {
                    r.problem(
                        &raw.variable,
                        format!("cannot read {}: {e}", shown(&raw.value)),
                    );
                    Vec::new()
                }
            },
            None => Vec::new(),
        };

        // GitLab reads the dotenv report as an artifact; Bitbucket shares files between steps (and
        // a pipe's storage directory), so both reports land there by default.
        let bitbucket_dir = match &platform {
            Platform::Bitbucket { storage } => {
                Some(storage.clone().unwrap_or_else(|| PathBuf::from(".")))
            }
            _ => None,
        };
        let dotenv_file = r.path("dotenv_file").or_else(|| match &platform {
            Platform::GitLab => Some(PathBuf::from(GITLAB_DOTENV)),
            _ => bitbucket_dir.as_ref().map(|dir| dir.join(GITLAB_DOTENV)),
        });
        let result_file = match r.raw("result_file") {
            Some(raw) if raw.value == "-" => Some(ResultFile::Stdout),
            Some(raw) => Some(ResultFile::Path(PathBuf::from(raw.value))),
            None => bitbucket_dir.map(|dir| ResultFile::Path(dir.join(BITBUCKET_RESULT))),
        };

        // Every `None` here was reported as a problem when it was read.
        let (
            Some(token),
            Some(application_id),
            Some(timeout),
            Some(poll_interval),
            Some(max_poll_interval),
            Some(request_timeout),
            Some((_, success_statuses)),
            Some((_, failure_statuses)),
            Some(api_url),
            Some(failure_logs),
        ) = (
            token,
            application_id,
            timeout,
            poll_interval,
            max_poll_interval,
            request_timeout,
            success,
            failure,
            api_url,
            failure_logs,
        )
        else {
            return Err(r.problems);
        };
        if !r.problems.is_empty() {
            return Err(r.problems);
        }
        Ok(Settings {
            token,
            application_id,
            project_id,
            image_tag,
            wait,
            timeout,
            poll_interval,
            max_poll_interval,
            request_timeout,
            success_statuses,
            failure_statuses,
            api_url,
            deploy_number,
            dry_run,
            dotenv_file,
            result_file,
            failure_logs,
            extra_roots,
            debug,
            no_proxy: ["NO_PROXY", "no_proxy"]
                .iter()
                .find_map(|name| env.var(name).filter(|v| !v.trim().is_empty())),
            platform,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
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

    fn problems(extra: &[(&str, &str)]) -> Vec<Problem> {
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
        assert_eq!(s.max_poll_interval, Duration::from_secs(15));
        assert_eq!(s.request_timeout, Duration::from_secs(30));
        assert_eq!(s.success_statuses, ["available"]);
        assert_eq!(
            s.failure_statuses,
            ["failed", "error", "expired", "canceled", "cancelled"]
        );
        assert_eq!(s.api_url, DEFAULT_API_URL);
        assert_eq!(s.failure_logs, 50);
        assert_eq!(s.dotenv_file, None);
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
        assert_eq!(s.dotenv_file, Some(PathBuf::from(GITLAB_DOTENV)));
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
    fn booleans_accept_the_spec_words_and_nothing_else() {
        for (word, want) in [
            ("YES", true),
            ("on", true),
            ("1", true),
            ("Off", false),
            ("no", false),
            ("0", false),
        ] {
            assert_eq!(parse_bool(word), Ok(want), "{word}");
        }
        assert!(parse_bool("maybe").is_err());
        assert!(parse_bool("y").is_err());
    }

    #[test]
    fn durations_must_be_positive_humantime() {
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        for bad in ["soon", "0s", "-5s", "15"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn api_url_allows_http_only_to_loopback() {
        for good in [
            "https://api.nodion.com/v1",
            "http://127.0.0.1:8080/v1/",
            "http://127.1.2.3/v1",
            "http://localhost:9/v1",
            "http://[::1]:9/v1",
            "http://[0:0:0:0:0:0:0:1]/v1",
        ] {
            assert!(parse_api_url(good).is_ok(), "{good}");
        }
        assert_eq!(
            parse_api_url("http://127.0.0.1:8080/v1/").unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        for bad in [
            "http://api.nodion.com/v1",
            "http://10.0.0.1/v1",
            "http://localhost.evil.com/v1",
            "ftp://api.nodion.com",
            "not a url",
            "api.nodion.com/v1",
            "https://user:pw@api.nodion.com/v1",
            "https://api.nodion.com/v1?x=1",
            "https://:443/v1",
        ] {
            assert!(parse_api_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_problem_is_reported_at_once_naming_its_variable() {
        let found = problems(&[
            ("NODION_WAIT", "maybe"),
            ("INPUT_TIMEOUT", "soon"),
            ("NODION_IMAGE_TAG", "v 2"),
        ]);
        let variables: Vec<&str> = found.iter().map(|p| p.variable.as_str()).collect();
        assert_eq!(
            variables,
            ["NODION_IMAGE_TAG", "NODION_WAIT", "INPUT_TIMEOUT"]
        );
    }

    #[test]
    fn the_token_never_appears_in_a_problem() {
        let found = problems(&[
            ("NODION_API_TOKEN", "secret value"),
            ("NODION_API_TOKEN_FILE", ""),
        ]);
        assert_eq!(found.len(), 1);
        assert!(!found[0].to_string().contains("secret"), "{}", found[0]);
    }

    #[test]
    fn max_poll_interval_below_poll_interval_is_refused() {
        let found = problems(&[("NODION_POLL_INTERVAL", "20s")]);
        assert_eq!(
            found[0].variable,
            "NODION_MAX_POLL_INTERVAL (or INPUT_MAX_POLL_INTERVAL)"
        );
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

    #[test]
    fn image_tags_follow_the_docker_grammar() {
        for good in ["v2.0.0", "latest", "_x", "A-1.b_c"] {
            assert!(parse_image_tag(good).is_ok(), "{good}");
        }
        let long = "a".repeat(129);
        for bad in ["v 2", ".x", "-x", "a/b", "a:b", long.as_str()] {
            assert!(parse_image_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_token_too_short_to_be_real_is_refused() {
        let found = problems(&[("NODION_API_TOKEN", "abc")]);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("shorter than 8"), "{}", found[0]);
        assert!(!found[0].to_string().contains("abc"));
    }

    #[test]
    fn the_token_can_come_from_a_file() {
        let dir = std::env::temp_dir().join(format!("nodion-token-{}", std::process::id()));
        std::fs::write(&dir, "  file-token\n").unwrap();
        let e = env(&[
            ("NODION_API_TOKEN_FILE", dir.to_str().unwrap()),
            ("NODION_APPLICATION_ID", "app"),
        ]);
        let s = Settings::from_env(&e).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(s.token.expose(), "file-token");
    }
}
