//! Issue 12, end to end: after our deployment succeeds, the binary checks `verify_url` on a second
//! loopback server standing in for the user's app ([`App`]), and only a 2xx holding
//! `verify_contains` is green.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_nodion::{ConnectProxy, FakeNodion, Hold, Options, Route, testcerts};
use nodion_deploy::verify::{HOST_GRACE_CHECKS, Lookup};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::support::{Deploy, Ran, fake, happy, settle};
use crate::support::{sourced, vso_commands};

/// What the app answers to its `n`th request (from 0) for `path`: status, extra headers, body.
type Answer = fn(usize, &str) -> (u16, &'static str, String);

/// The user's application: a tiny HTTP server on loopback that records every request's head.
pub struct App {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl App {
    /// Starts it; it answers each request as `answer` says, then closes the connection.
    pub fn start(answer: Answer) -> App {
        App::slow(Duration::ZERO, answer)
    }

    /// Starts an app that takes `latency` to answer each request (one at a time, as `start`).
    pub fn slow(latency: Duration, answer: Answer) -> App {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        // Lives as long as the test process: a blocked accept holds nothing else.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let n = seen.lock().unwrap().len();
                if let Some(head) = serve(stream, n, answer, latency) {
                    seen.lock().unwrap().push(head);
                }
            }
        });
        App { port, heads }
    }

    /// The URL of `path` on it.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Every request head it received (request line and headers).
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// Reads one request's head and answers it; the head, or `None` for a connection with none.
fn serve(stream: TcpStream, n: usize, answer: Answer, latency: Duration) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, headers, body) = answer(n, &path);
    // The app's own slowness, which the check under test has to live with.
    std::thread::sleep(latency);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    Some(head)
}

/// The old version for the first three checks, then the new one.
fn switches_to_v2(n: usize, _: &str) -> (u16, &'static str, String) {
    let version = if n < 3 { "v1" } else { "v2" };
    (200, "", format!("{{\"version\":\"{version}\"}}"))
}

/// Never ready.
fn unavailable(_: usize, _: &str) -> (u16, &'static str, String) {
    (503, "", "starting".into())
}

/// The new version, always.
fn serving(_: usize, _: &str) -> (u16, &'static str, String) {
    (200, "", "ok v2".into())
}

/// `/health` redirects to `/ready`, which serves the new version.
fn redirects(_: usize, path: &str) -> (u16, &'static str, String) {
    match path {
        "/health" => (302, "Location: /ready\r\n", String::new()),
        _ => (200, "", "ok v2".into()),
    }
}

#[test]
fn the_old_version_answering_200_is_waited_out_and_the_run_succeeds_after_the_switch() {
    let app = App::start(switches_to_v2);
    let api = happy();
    let ran = Deploy::against(&api)
        .github()
        .env("NODION_VERIFY_URL", &app.url("/version"))
        .env("NODION_VERIFY_CONTAINS", "v2")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "success");
    assert_eq!(ran.output("verified"), "true");
    assert_eq!(ran.output("url"), app.url("/version"));
    // Three checks saw the old version, the fourth the new one, and then the checks stopped.
    assert_eq!(app.heads().len(), 4, "{}", ran.stderr);
    let said_old = ran
        .stderr
        .lines()
        .filter(|l| l.contains("answered 200 but did not contain 'v2'"))
        .count();
    assert_eq!(said_old, 1, "a change is logged once:\n{}", ran.stderr);
    ran.assert_says("serves the new version");
    assert!(
        ran.summary().contains("| Verified | yes: "),
        "{}",
        ran.summary()
    );
    assert_eq!(api.count("POST", Route::Trigger), 1);
}

#[test]
fn an_app_answering_503_until_the_deadline_does_not_pass() {
    let app = App::start(unavailable);
    let api = happy();
    let ran = Deploy::against(&api)
        .github()
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_VERIFY_URL", &app.url("/health"))
        .run();
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "unverified");
    assert_eq!(ran.output("verified"), "false");
    assert!(ran.took < Duration::from_secs(4), "{:?}", ran.took);
    assert!(
        app.heads().len() > 2,
        "checked with backoff until the deadline"
    );
    let ending = format!(
        "nodion-deploy: unverified: deployment #3 of {} is available, but {} answered 503 after",
        api.application_id(),
        app.url("/health")
    );
    ran.assert_says(&ending);
    settle(&api);
    assert_eq!(api.count("POST", Route::Trigger), 1, "never re-triggered");
}

/// Issue 16: the last check, cut short by the deadline, does not replace what the app answered.
/// Each answer takes 450 ms, so a check that starts late in the 2 s has no time to complete.
#[test]
fn a_slow_app_answering_503_is_named_by_its_answer_when_the_deadline_cuts_the_last_check() {
    let app = App::slow(Duration::from_millis(450), unavailable);
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_VERIFY_URL", &app.url("/health"))
        .run();
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    let last = ran.stderr.lines().last().unwrap_or_default();
    let answered = format!("{} answered 503 after", app.url("/health"));
    assert!(
        last.contains(&answered),
        "the last line:\n{last}\n\n{}",
        ran.stderr
    );
}

/// Looks names up as the system does, except that every `.invalid` name fails here, as std's
/// lookup fails for a name that does not exist (what ureq passes on), without asking a nameserver:
/// this machine's may be elsewhere.
#[derive(Debug)]
struct NoInvalidNames;

impl Resolver for NoInvalidNames {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if uri.host().is_some_and(|host| host.ends_with(".invalid")) {
            let gai = "failed to lookup address information: Name or service not known";
            return Err(ureq::Error::Io(std::io::Error::other(gai)));
        }
        DefaultResolver::default().resolve(uri, config, timeout)
    }
}

/// The README row's case: `verify_url` (the action's input) with a typo in its host, a
/// 3-minute timeout. In process, with `.invalid` names failing on this machine ([`NoInvalidNames`]).
pub fn unresolvable_host() -> Ran {
    Deploy::against(&happy())
        .env("NODION_TIMEOUT", "3m")
        .env("NODION_DEBUG", "true")
        .env("INPUT_VERIFY_URL", "https://my-app.exmaple.invalid/version")
        .run_in_process(Lookup::by(NoInvalidNames))
}

/// Issue 16: a typo in `verify_url`'s host stops after the grace (four checks in a row; the
/// default intervals take them in 9.5 s, these in a fraction of one), not at the deadline: exit 6,
/// naming the host and `verify_url` as the user set it.
#[test]
fn a_verify_url_host_that_does_not_resolve_stops_after_the_grace_naming_it() {
    let url = "https://my-app.exmaple.invalid/version";
    let lookups = |ran: &Ran| ran.stderr.matches(&format!("GET {url} ")).count();
    let ran = unresolvable_host();
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(45), "{:?}", ran.took);
    assert_eq!(lookups(&ran), HOST_GRACE_CHECKS as usize, "{}", ran.stderr);
    let last = ran.stderr.lines().last().unwrap_or_default();
    let host = format!("but the host my-app.exmaple.invalid of {url} does not resolve after ");
    assert!(
        last.contains(&host) && last.ends_with(": check verify_url"),
        "the last line:\n{last}\n\n{}",
        ran.stderr
    );

    // Set as a variable: the same, naming the variable; the outputs say it was not verified.
    let ran = Deploy::against(&happy())
        .result_file()
        .env("NODION_TIMEOUT", "3m")
        .env("NODION_DEBUG", "true")
        .env("NODION_VERIFY_URL", url)
        .run_in_process(Lookup::by(NoInvalidNames));
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(45), "{:?}", ran.took);
    assert_eq!(lookups(&ran), HOST_GRACE_CHECKS as usize, "{}", ran.stderr);
    let last = ran.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("my-app.exmaple.invalid") && last.ends_with("check NODION_VERIFY_URL"),
        "the last line:\n{last}"
    );
    assert_eq!(ran.json()["result"], "unverified");
    assert_eq!(ran.json()["verified"], false);
}

/// Issue 16: a refused connection is an app that is (re)starting, not a mistake: it is checked
/// until the deadline, well past the grace's four checks.
#[test]
fn a_refused_connection_is_checked_until_the_deadline() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/health");
    let ran = Deploy::against(&happy())
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_DEBUG", "true")
        .env("NODION_VERIFY_URL", &url)
        .run();
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    let refused = format!("GET {url} could not be reached: the connection was refused");
    let checks = ran.stderr.matches(&refused).count();
    assert!(
        checks > 2 * HOST_GRACE_CHECKS as usize,
        "{checks}:\n{}",
        ran.stderr
    );
    // Ended by the deadline: at most a check's interval and slice before it.
    assert!(ran.took > Duration::from_millis(1500), "{:?}", ran.took);
    let last = ran.stderr.lines().last().unwrap_or_default();
    let ending = format!("{url} could not be reached: the connection was refused after");
    assert!(last.contains(&ending), "the last line:\n{last}");
}

#[test]
fn the_apps_server_never_sees_the_token_or_an_authorization_header() {
    let app = App::start(redirects);
    let api = happy();
    let ran = Deploy::against(&api)
        .env("NODION_PROJECT_ID", "project-1")
        .env("NODION_VERIFY_URL", &app.url("/health"))
        .env("NODION_VERIFY_CONTAINS", "v2")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let heads = app.heads();
    assert_eq!(heads.len(), 2, "the redirect was followed: {heads:?}");
    for head in heads {
        let lower = head.to_ascii_lowercase();
        assert!(!head.contains(&api.token()), "{head}");
        assert!(!lower.contains("authorization"), "{head}");
        assert!(!lower.contains("x-nodion-project"), "{head}");
    }
}

#[test]
fn a_failed_deployment_is_never_checked() {
    let app = App::start(serving);
    let api = fake(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)]);
    let ran = Deploy::against(&api)
        .github()
        .env("NODION_VERIFY_URL", &app.url("/health"))
        .run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "failure");
    assert_eq!(ran.output("verified"), "", "not checked");
    assert_eq!(ran.output("url"), app.url("/health"));
    assert!(app.heads().is_empty(), "{:?}", app.heads());
}

#[test]
fn wait_false_triggers_and_checks_nothing() {
    let app = App::start(serving);
    let ran = Deploy::against(&happy())
        .github()
        .env("NODION_WAIT", "false")
        .env("NODION_VERIFY_URL", &app.url("/health"))
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "triggered");
    assert_eq!(ran.output("verified"), "");
    assert!(app.heads().is_empty());
}

#[test]
fn an_invalid_verify_url_is_exit_2_before_anything_is_sent() {
    for (variable, value) in [
        ("NODION_VERIFY_URL", "my-app.example.com/health"),
        ("NODION_VERIFY_URL", "ftp://127.0.0.1/health"),
        ("NODION_VERIFY_URL", "https://user:secret@example.com/"),
        ("NODION_VERIFY_CONTAINS", "v2"),
    ] {
        let api = happy();
        let ran = Deploy::against(&api).env(variable, value).run();
        assert_eq!(ran.code, 2, "{variable}={value}: {}", ran.stderr);
        ran.assert_says(variable);
        assert!(api.requests().is_empty(), "{variable}={value}: sent");
    }
}

/// Runs a deploy that verifies against a serving app on the platform `deploy` is set up for.
fn verified(deploy: Deploy, app: &App) -> Ran {
    let ran = deploy.env("NODION_VERIFY_URL", &app.url("/health")).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    ran
}

#[test]
fn url_and_verified_appear_in_every_format() {
    let app = App::start(serving);
    let url = app.url("/health");
    let api = happy();

    let ran = verified(Deploy::against(&api).github().result_file(), &app);
    assert_eq!(ran.output("url"), url);
    assert_eq!(ran.output("verified"), "true");
    assert_eq!(ran.json()["url"], url.as_str());
    assert_eq!(ran.json()["verified"], true);

    let ran = verified(Deploy::against(&api).gitlab(), &app);
    let dotenv = ran.dotenv();
    assert!(
        dotenv.contains(&("NODION_URL".into(), url.clone())),
        "{dotenv:?}"
    );
    assert!(dotenv.contains(&("NODION_VERIFIED".into(), "true".into())));

    let ran = verified(Deploy::against(&api).env("TF_BUILD", "True"), &app);
    let commands = vso_commands(&ran.stderr);
    let set = |name: &str, value: &str| {
        format!("##vso[task.setvariable variable={name};isOutput=true]{value}")
    };
    assert!(
        commands.contains(&set("url", &url).as_str()),
        "{commands:?}"
    );
    assert!(commands.contains(&set("verified", "true").as_str()));

    let deploy = Deploy::against(&api).env("CIRCLECI", "true");
    let bash_env = deploy.dir().join("bash_env");
    let deploy = deploy.env("BASH_ENV", bash_env.to_str().unwrap());
    let _ran = verified(deploy, &app);
    let vars = sourced(&bash_env);
    assert_eq!(vars["NODION_URL"], url);
    assert_eq!(vars["NODION_VERIFIED"], "true");

    let deploy = Deploy::against(&api).env("BITBUCKET_BUILD_NUMBER", "7");
    let exports = deploy.dir().join("nodion-deploy.sh");
    let _ran = verified(deploy, &app);
    let vars = sourced(&exports);
    assert_eq!(vars["NODION_URL"], url);
    assert_eq!(vars["NODION_VERIFIED"], "true");
}

#[test]
fn attach_mode_checks_the_app_once_the_deployment_it_waits_for_succeeds() {
    let app = App::start(serving);
    let api = happy();
    let ran = Deploy::against(&api)
        .github()
        .env("NODION_DEPLOY_NUMBER", "1")
        .env("NODION_VERIFY_URL", &app.url("/health"))
        .env("NODION_VERIFY_CONTAINS", "v2")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("verified"), "true");
    assert_eq!(app.heads().len(), 1);
    assert_eq!(api.count("POST", Route::Trigger), 0);
}

#[test]
fn the_check_trusts_ca_certificates_and_goes_through_the_proxy() {
    // The user's app over HTTPS, signed by the test CA: a second TLS fake, whose 404 for /health
    // shows the TLS handshake passed.
    let tls = || {
        FakeNodion::start(Options {
            tls: Some(testcerts::identity()),
            ..Options::default()
        })
    };
    let (api, app) = (tls(), tls());
    let proxy = ConnectProxy::start();
    let deploy = Deploy::against(&api);
    let ca = deploy.dir().join("corporate-ca.pem");
    std::fs::write(&ca, testcerts::CA_PEM).unwrap();
    let url = format!("https://127.0.0.1:{}/health", app.port());
    let ran = deploy
        .env("NODION_CA_CERTIFICATES", ca.to_str().unwrap())
        .env("HTTPS_PROXY", &proxy.url())
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_VERIFY_URL", &url)
        .run();
    assert_eq!(ran.code, 6, "{}", ran.stderr);
    ran.assert_says(&format!("{url} answered 40"));
    let tunnel = format!("CONNECT 127.0.0.1:{} HTTP/1.1", app.port());
    assert!(proxy.requests().contains(&tunnel), "{:?}", proxy.requests());
    let checks = app.requests();
    assert!(!checks.is_empty());
    for check in checks {
        assert_eq!(
            (check.method.as_str(), check.path.as_str()),
            ("GET", "/health")
        );
        let names: Vec<String> = check
            .headers
            .iter()
            .map(|(k, _)| k.to_ascii_lowercase())
            .collect();
        assert!(!names.contains(&"authorization".to_string()), "{names:?}");
    }
}
