//! A flaky API, a lost response or a cancelled job never makes it lie, hang or deploy twice; nothing
//! the API sends can forge a command, an output or a log line; the token never shows.

use std::time::{Duration, Instant};

use crate::support::{self, Deploy, Ran, fake, happy};
use fake_nodion::{FakeNodion, Fault, Hold, Options, Route};

const SECRET: &str = "tok-9f8e7d6c5b4a";

/// The list as the seeds make it, for scripting a normal-looking answer.
const SEEDS_ONLY: &str = r#"{"deployments":[{"id":"b","deploy_number":2,"status":"failed"},{"id":"a","deploy_number":1,"status":"available"}]}"#;

fn status(code: u16, body: &str, create_first: bool) -> Fault {
    Fault::Status {
        code,
        headers: Vec::new(),
        body: body.into(),
        create_first,
    }
}

fn new_deployments(api: &FakeNodion) -> usize {
    api.deployments()
        .iter()
        .filter(|d| d["deploy_number"].as_u64() > Some(2))
        .count()
}

fn posts(api: &FakeNodion) -> Vec<Instant> {
    api.requests()
        .into_iter()
        .filter(|r| r.route == Route::Trigger)
        .map(|r| r.at)
        .collect()
}

#[test]
fn a_lost_trigger_answer_is_reconciled_never_sent_again() {
    let lost = [
        ("reset after creation", Fault::Reset { create_first: true }),
        (
            "stall past request_timeout",
            Fault::Stall {
                for_: Duration::from_secs(4),
                create_first: true,
            },
        ),
        (
            "502 after creation",
            status(502, "<h1>Bad Gateway</h1>", true),
        ),
        (
            "200 with an HTML body",
            status(200, "<html>queued</html>", true),
        ),
    ];
    support::each_in_parallel(lost, |(what, fault)| {
        let api = happy();
        api.script(Route::Trigger, fault);
        let ran = Deploy::against(&api)
            .env("NODION_REQUEST_TIMEOUT", "1s")
            .github()
            .run();
        assert_eq!(ran.code, 0, "{what}: {}", ran.stderr);
        assert_eq!(new_deployments(&api), 1, "{what}: exactly one deployment");
        assert_eq!(posts(&api).len(), 1, "{what}: never sent again");
        assert_eq!(ran.output("deploy_number"), "3", "{what}");
        assert_eq!(ran.output("status"), "available", "{what}");
        // Adopted, and said so everywhere: never called triggered.
        assert_eq!(ran.output("origin"), "adopted", "{what}");
        ran.assert_says("Not triggered by this run: adopted #3, which appeared after our trigger's answer was lost; another pipeline may have triggered it (");
        ran.assert_never_says("Triggered deployment");
        let summary = ran.summary();
        assert!(
            summary.contains("adopted #3, which appeared after our trigger's answer was lost; another pipeline may have triggered it"),
            "{what}: {summary}"
        );
    });
}

#[test]
fn a_lost_answer_never_adopts_a_deployment_of_another_commit_nor_sends_again() {
    let api = happy();
    api.script(Route::Trigger, Fault::Reset { create_first: true });
    // The fake deploys a commit of its own; this pipeline runs for another.
    let ran = Deploy::against(&api)
        .gitlab()
        .env("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567")
        .run();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert_eq!(posts(&api).len(), 1, "never sent again");
    ran.assert_says("deployment #3 appeared since the snapshot, but it deploys commit ");
    ran.assert_says(
        ", not this pipeline's 0123456: it may be another pipeline's, so it is not adopted",
    );
    let dotenv = ran.dotenv();
    assert!(
        dotenv.contains(&("NODION_ORIGIN".into(), String::new())),
        "{dotenv:?}"
    );
    assert!(
        dotenv.contains(&("NODION_RESULT".into(), "error".into())),
        "{dotenv:?}"
    );
}

#[test]
fn a_reset_before_anything_was_created_is_sent_again_once() {
    let api = happy();
    api.script(
        Route::Trigger,
        Fault::Reset {
            create_first: false,
        },
    );
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(posts(&api).len(), 2);
    assert_eq!(new_deployments(&api), 1);
    assert_eq!(ran.output("deploy_number"), "3");
}

#[test]
fn two_503s_then_success_make_one_deployment() {
    let api = happy();
    api.script(Route::Trigger, status(503, "busy", false));
    api.script(Route::Trigger, status(503, "busy", false));
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(posts(&api).len(), 3);
    assert_eq!(new_deployments(&api), 1);
    assert_eq!(ran.output("deploy_number"), "3");
}

#[test]
fn retry_after_on_the_trigger_is_honoured() {
    let api = happy();
    api.script(
        Route::Trigger,
        Fault::Status {
            code: 429,
            headers: vec![("Retry-After".into(), "2".into())],
            body: r#"{"errors":["Too many requests"]}"#.into(),
            create_first: false,
        },
    );
    let ran = Deploy::against(&api).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let at = posts(&api);
    assert_eq!(at.len(), 2, "429 means not processed: sent again");
    assert!(
        at[1] - at[0] >= Duration::from_secs(2),
        "{:?}",
        at[1] - at[0]
    );
    assert_eq!(
        api.count("GET", Route::List),
        1 + 3,
        "no reconciliation for a 429"
    );
}

#[test]
fn retry_after_while_polling_is_honoured() {
    let api = happy();
    api.script(Route::List, status(200, SEEDS_ONLY, false));
    api.script(
        Route::List,
        Fault::Status {
            code: 503,
            headers: vec![("Retry-After".into(), "1".into())],
            body: String::new(),
            create_first: false,
        },
    );
    let ran = Deploy::against(&api).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let lists: Vec<Instant> = api
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::List)
        .map(|r| r.at)
        .collect();
    assert!(
        lists[2] - lists[1] >= Duration::from_secs(1),
        "{:?}",
        lists[2] - lists[1]
    );
}

#[test]
fn a_signal_during_the_snapshot_means_nothing_is_ever_triggered() {
    for _ in 0..3 {
        let api = happy();
        api.script(
            Route::List,
            Fault::Delay {
                for_: Duration::from_millis(300),
            },
        );
        let running = Deploy::against(&api).github().spawn();
        // Its first line comes just before the snapshot, whose answer the fake holds back 300 ms.
        running.wait_for_log(
            concat!("nodion-deploy ", env!("CARGO_PKG_VERSION")),
            Duration::from_secs(5),
        );
        running.signal(libc::SIGTERM);
        let ran = running.wait();
        assert_eq!(ran.code, 143, "{}", ran.stderr);
        support::settle(&api);
        assert_eq!(posts(&api).len(), 0, "a cancelled job must not deploy");
        assert_eq!(ran.output("result"), "cancelled");
        assert_eq!(ran.output("deploy_number"), "");
        ran.assert_says("before anything was triggered");
    }
}

#[test]
fn polling_survives_every_transient_fault() {
    let api = fake(&[("created", Hold::Lists(1)), ("available", Hold::Forever)]);
    api.script(Route::List, Fault::Pass);
    for fault in [
        status(503, "", false),
        status(500, "oops", false),
        status(502, "<html>", false),
        Fault::Raw {
            bytes: b"\x00\xffgarbage\r\n\r\n".to_vec(),
            create_first: false,
        },
        Fault::Raw {
            bytes: b"HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n{\"deployments\":[{\"deploy_"
                .to_vec(),
            create_first: false,
        },
        Fault::Reset {
            create_first: false,
        },
        Fault::StallBody {
            for_: Duration::from_secs(5),
        },
    ] {
        api.script(Route::List, fault);
    }
    let ran = Deploy::against(&api)
        .env("NODION_REQUEST_TIMEOUT", "1s")
        .github()
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("status"), "available");
    assert_eq!(
        ran.stderr.matches("listing deployments failed").count(),
        7,
        "{}",
        ran.stderr
    );
    assert!(ran.took < Duration::from_secs(4), "took {:?}", ran.took);
}

#[test]
fn a_stalled_poll_costs_about_request_timeout() {
    let api = fake(&[("created", Hold::Lists(1)), ("available", Hold::Forever)]);
    api.script(Route::List, Fault::Pass);
    api.script(
        Route::List,
        Fault::Stall {
            for_: Duration::from_secs(5),
            create_first: false,
        },
    );
    let ran = Deploy::against(&api)
        .env("NODION_REQUEST_TIMEOUT", "1s")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.took >= Duration::from_secs(1), "took {:?}", ran.took);
    assert!(
        ran.took < Duration::from_millis(2500),
        "took {:?}",
        ran.took
    );
}

#[test]
fn a_64_mib_body_is_an_error_not_an_out_of_memory() {
    let api = fake(&[("created", Hold::Lists(1)), ("available", Hold::Forever)]);
    api.script(Route::List, Fault::Pass);
    api.script(Route::List, Fault::HugeBody { bytes: 64 << 20 });
    let ran = Deploy::against(&api).github().run_measured();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    ran.assert_says("larger than 16 MiB");
    // Measured where GNU time can (`run_measured` says when it cannot).
    if let Some(peak) = ran.peak_rss_kib {
        assert!(peak < 40 * 1024, "peak RSS {peak} KiB");
    }
}

#[test]
fn a_401_after_a_few_good_polls_exits_3_at_once() {
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    for _ in 0..4 {
        api.script(Route::List, Fault::Pass);
    }
    api.script(
        Route::List,
        status(401, r#"{"errors":["API key revoked"]}"#, false),
    );
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(2), "took {:?}", ran.took);
    ran.assert_says("API key revoked");
    assert_eq!(ran.output("result"), "error");
    assert_eq!(ran.output("deploy_number"), "3");
    assert_eq!(ran.output("status"), "deploying");
    assert_eq!(api.count("GET", Route::List), 5, "nothing after the 401");
}

fn cancel_during_the_wait(signal: libc::c_int, code: i32) {
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    let running = Deploy::against(&api)
        .env("NODION_POLL_INTERVAL", "5s")
        .env("NODION_MAX_POLL_INTERVAL", "5s")
        .github()
        .result_file()
        .spawn();
    let waited = Instant::now();
    while api.count("POST", Route::Trigger) == 0 {
        assert!(waited.elapsed() < Duration::from_secs(5), "never triggered");
        std::thread::sleep(Duration::from_millis(10));
    }
    running.wait_for_log("Waiting for deployment #3", Duration::from_secs(5));
    let sent = running.signal(signal);
    let ran = running.wait();
    assert_eq!(ran.code, code, "{}", ran.stderr);
    assert!(
        ran.ended - sent < Duration::from_secs(1),
        "{:?}",
        ran.ended - sent
    );
    assert_eq!(ran.output("result"), "cancelled");
    assert_eq!(ran.output("deploy_number"), "3");
    assert_eq!(ran.output("status"), "created");
    assert_eq!(ran.json()["exit_code"], code);
    ran.assert_says("goes on at Nodion");
}

#[test]
fn sigterm_during_the_wait_exits_143_within_a_second_with_outputs() {
    cancel_during_the_wait(libc::SIGTERM, 143);
}

#[test]
fn sigint_during_the_wait_exits_130_within_a_second_with_outputs() {
    cancel_during_the_wait(libc::SIGINT, 130);
}

#[test]
fn a_signal_during_a_stalled_request_is_answered_within_a_second() {
    let api = happy();
    api.script(
        Route::List,
        Fault::Stall {
            for_: Duration::from_secs(20),
            create_first: false,
        },
    );
    let running = Deploy::against(&api).result_file().spawn();
    let waited = Instant::now();
    while api.count("GET", Route::List) == 0 {
        assert!(waited.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = running.signal(libc::SIGTERM);
    let ran = running.wait();
    assert_eq!(ran.code, 143, "{}", ran.stderr);
    assert!(ran.ended - sent < Duration::from_secs(1));
    assert_eq!(ran.json()["result"], "cancelled");
    assert_eq!(api.count("POST", Route::Trigger), 0);
}

/// Lines the Actions runner would act on: `::command` once left-trimmed, or `##[` anywhere.
fn workflow_commands(text: &str) -> Vec<String> {
    text.split(['\n', '\r'])
        .filter(|l| l.trim_start().starts_with("::") || l.contains("##["))
        .map(str::to_string)
        .collect()
}

const HOSTILE: &str = "::error::forged error\n::warning::second\n   ::add-mask::forged\n##[set-output name=result;]success\n::stop-commands::abc\nstatus=hacked\n\u{1b}[0Ksection_start:1:forged\r\u{1b}[0KForged\n\u{1b}]0;forged title\u{7}\u{9b}31m";

fn assert_nothing_forged(ran: &Ran) {
    let printed = format!("{}\n{}", ran.stdout, ran.stderr);
    let commands = workflow_commands(&printed);
    // Only our own commands, and in the annotation API text only after `::`, where it is data.
    let ours = [
        "::add-mask::",
        "::group::Waiting for deployment #",
        "::error title=Nodion deployment ",
    ];
    assert!(
        commands
            .iter()
            .all(|c| c == "::endgroup::" || ours.iter().any(|p| c.starts_with(p))),
        "forged commands: {commands:?}"
    );
    // Our own GitLab section markers are the only escapes allowed, and only as whole lines.
    let ours = |line: &&str| {
        let rest = line
            .strip_prefix("\u{1b}[0Ksection_start:")
            .or_else(|| line.strip_prefix("\u{1b}[0Ksection_end:"));
        let Some((time, marker)) = rest.and_then(|r| r.split_once(':')) else {
            return false;
        };
        let title = marker.strip_prefix("nodion_deploy_wait\r\u{1b}[0K");
        time.parse::<u64>().is_ok()
            && title.is_some_and(|t| t.is_empty() || t.starts_with("Waiting for deployment #"))
            && !title.unwrap_or_default().contains(['\u{1b}', '\r'])
    };
    for line in printed.lines().filter(|l| !ours(l)) {
        for c in ['\u{1b}', '\u{7}', '\u{9b}', '\r'] {
            assert!(
                !line.contains(c),
                "control character {c:?} reached the log: {line:?}"
            );
        }
    }
}

#[test]
fn hostile_api_text_forges_no_command_output_or_escape() {
    let api = FakeNodion::start(Options {
        commit_message: HOSTILE.into(),
        committer_name: HOSTILE.into(),
        ..Options::default()
    });
    let ran = Deploy::against(&api).github().result_file().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_nothing_forged(&ran);
    let names: Vec<String> = ran.github_outputs().into_iter().map(|(k, _)| k).collect();
    let spec: Vec<&str> = nodion_deploy::outputs::OUTPUTS
        .iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, spec, "exactly the SPEC outputs");
    assert_eq!(ran.output("status"), "available");
    assert_eq!(ran.output("result"), "success");
    assert!(
        ran.output("commit_message")
            .contains("::error::forged error")
    );

    // The JSON result on standard output is read by the runner too.
    let ran = Deploy::against(&api)
        .github()
        .env("NODION_RESULT_FILE", "-")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_nothing_forged(&ran);
    let json: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert!(
        json["commit_message"]
            .as_str()
            .unwrap()
            .contains("##[set-output")
    );

    let ran = Deploy::against(&api).gitlab().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_nothing_forged(&ran);
    let keys: Vec<String> = ran.dotenv().into_iter().map(|(k, _)| k).collect();
    let spec: Vec<&str> = nodion_deploy::outputs::OUTPUTS
        .iter()
        .filter_map(|o| o.dotenv)
        .collect();
    assert_eq!(keys, spec, "exactly the SPEC keys");
}

#[test]
fn a_hostile_status_and_error_body_forge_nothing() {
    let api = happy();
    api.script(Route::List, Fault::Pass);
    api.script(
        Route::List,
        status(
            200,
            &serde_json::json!({"deployments":[{"deploy_number":3,"status":HOSTILE}]}).to_string(),
            false,
        ),
    );
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_nothing_forged(&ran);
    assert_eq!(ran.output("status"), "available");

    let api = happy();
    api.script(
        Route::Trigger,
        status(
            422,
            &serde_json::json!({"errors":[HOSTILE]}).to_string(),
            false,
        ),
    );
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    assert_nothing_forged(&ran);
}

#[test]
fn with_debug_and_failures_the_token_shows_only_in_add_mask() {
    support::each_in_parallel(["plain", "gitlab", "github"], |mode| {
        let api = FakeNodion::start(Options {
            token: SECRET.into(),
            ..Options::default()
        });
        api.script(Route::List, status(503, "", false));
        api.script(Route::List, Fault::Pass);
        api.script(Route::Trigger, status(502, SECRET, false));
        api.script(
            Route::List,
            Fault::Reset {
                create_first: false,
            },
        );
        api.script(
            Route::List,
            status(
                401,
                &format!(r#"{{"errors":["bad token {SECRET}"]}}"#),
                false,
            ),
        );
        let ran = Deploy::against(&api)
            .env("NODION_DEBUG", "true")
            .result_file()
            .env("NODION_DOTENV_FILE", "report.env")
            .on(mode)
            .run();
        assert_eq!(ran.code, 3, "{mode}: {}", ran.stderr);
        let own = format!("::add-mask::{SECRET}");
        let everything = ran.everything().replacen(&own, "", 1);
        // Even an API that echoes the token back in its errors gets it redacted.
        assert!(
            !everything.contains(SECRET),
            "{mode}: token leaked:\n{}",
            ran.everything()
        );
        assert_eq!(
            ran.stderr
                .lines()
                .filter(|l| l.starts_with("debug: "))
                .count(),
            api.requests().len()
        );
    });
}

#[test]
fn debug_logs_one_line_per_request_without_headers() {
    let api = happy();
    let ran = Deploy::against(&api).env("NODION_DEBUG", "yes").run();
    assert_eq!(ran.code, 0);
    let lines: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("debug: "))
        .collect();
    assert_eq!(lines.len(), api.requests().len());
    assert!(lines[0].starts_with("debug: GET /v1/applications/app-1/deployments -> 200 in "));
    assert!(lines[0].ends_with("(attempt 1)"), "{}", lines[0]);
    assert!(lines.iter().any(|l| l.starts_with("debug: POST ")));
    assert!(!ran.stderr.to_lowercase().contains("authorization"));
}

#[test]
fn authorization_is_never_sent_to_a_redirect_target() {
    let other = FakeNodion::start(Options::default());
    let api = happy();
    api.script(
        Route::List,
        Fault::Redirect {
            location: format!("{}/applications/app-1/deployments", other.url()),
        },
    );
    let ran = Deploy::against(&api).run();
    assert!(!other.requests().is_empty(), "the redirect was followed");
    for request in other.requests() {
        assert_eq!(request.header("authorization"), None);
    }
    assert_eq!(
        ran.code, 3,
        "without the token the target refuses: {}",
        ran.stderr
    );
}

#[test]
fn soak_400_polls_with_one_in_five_failing_then_success() {
    let api = fake(&[
        ("created", Hold::Lists(1)),
        ("deploying", Hold::Lists(320)),
        ("available", Hold::Forever),
    ]);
    api.script(Route::List, Fault::Pass);
    // A seeded choice of which polls fail, and how.
    let mut seed: u64 = 0x5eed;
    let mut failing = 0;
    for _ in 0..400 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let fault = match seed % 15 {
            0 => status(503, "", false),
            1 => Fault::Reset {
                create_first: false,
            },
            2 => Fault::Raw {
                bytes: b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{\"deploy".to_vec(),
                create_first: false,
            },
            _ => Fault::Pass,
        };
        if !matches!(fault, Fault::Pass) {
            failing += 1;
        }
        api.script(Route::List, fault);
    }
    assert!(
        (60..=100).contains(&failing),
        "about one in five: {failing}"
    );
    let ran = Deploy::against(&api)
        .env("NODION_POLL_INTERVAL", "1ms")
        .env("NODION_MAX_POLL_INTERVAL", "2ms")
        .env("NODION_TIMEOUT", "60s")
        .run_measured();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(api.count("GET", Route::List) >= 400);
    assert_eq!(new_deployments(&api), 1);
    if let Some(peak) = ran.peak_rss_kib {
        assert!(peak < 20 * 1024, "peak RSS {peak} KiB");
    }
}

#[test]
fn an_absurd_retry_after_neither_crashes_nor_outlives_the_deadline() {
    for value in [
        "18446744073709551615",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Sun, 06 Nov 99999999999999 08:49:37 GMT",
    ] {
        let api = happy();
        api.script(
            Route::Trigger,
            Fault::Status {
                code: 429,
                headers: vec![("Retry-After".into(), value.into())],
                body: String::new(),
                create_first: false,
            },
        );
        let ran = Deploy::against(&api)
            .env("NODION_TIMEOUT", "3s")
            .github()
            .run();
        assert!(
            ran.code == 0 || ran.code == 4,
            "{value}: {} {}",
            ran.code,
            ran.stderr
        );
        assert!(
            ran.took < Duration::from_secs(4),
            "{value}: took {:?}",
            ran.took
        );
        assert!(!ran.output("result").is_empty());
    }
    // While polling: the wait is cut at the deadline.
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    api.script(Route::List, Fault::Pass);
    api.script(
        Route::List,
        Fault::Status {
            code: 503,
            headers: vec![("Retry-After".into(), "18446744073709551615".into())],
            body: String::new(),
            create_first: false,
        },
    );
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "2s")
        .github()
        .run();
    assert_eq!(ran.code, 124, "{}", ran.stderr);
    assert!(ran.took < Duration::from_secs(3), "took {:?}", ran.took);
    assert_eq!(ran.output("result"), "timeout");
}

#[test]
fn a_trigger_answer_not_newer_than_the_snapshot_is_not_taken_as_ours() {
    let api = happy();
    // The API answers the trigger with an old deployment (and created nothing).
    api.script(
        Route::Trigger,
        status(
            200,
            r#"{"deployment":{"id":"old","deploy_number":1,"status":"available"}}"#,
            false,
        ),
    );
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.output("deploy_number"), "3", "{}", ran.stderr);
    assert_eq!(new_deployments(&api), 1);
}

#[test]
fn when_several_deployments_appeared_after_a_lost_answer_none_is_guessed() {
    let api = happy();
    // Our trigger's answer is lost, and someone else triggered too.
    api.script(Route::Trigger, Fault::Reset { create_first: true });
    api.script(Route::List, Fault::Pass);
    api.script(
        Route::List,
        status(
            200,
            r#"{"deployments":[{"id":"x","deploy_number":4,"status":"available"},{"id":"y","deploy_number":3,"status":"created"}]}"#,
            false,
        ),
    );
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert_eq!(ran.output("result"), "error");
    ran.assert_says("cannot tell which one is ours");
    assert_eq!(posts(&api).len(), 1, "and never triggered again");
}

#[test]
fn a_request_never_outlives_the_deadline() {
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    api.script(Route::List, Fault::Pass);
    api.script(
        Route::List,
        Fault::Stall {
            for_: Duration::from_secs(20),
            create_first: false,
        },
    );
    // request_timeout (30 s) is longer than what is left: the deadline cuts the request.
    let ran = Deploy::against(&api)
        .env("NODION_TIMEOUT", "2s")
        .env("NODION_REQUEST_TIMEOUT", "30s")
        .github()
        .run();
    assert_eq!(ran.code, 124, "{}", ran.stderr);
    assert!(
        ran.took < Duration::from_millis(2800),
        "took {:?}",
        ran.took
    );
    assert_eq!(ran.output("status"), "created");
}

/// Outputs are written exactly once, whatever arrives at the same time: here a second signal
/// 20 ms after the first, while the first is being answered.
#[test]
fn two_sigterms_20_ms_apart_write_each_output_once() {
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    let running = Deploy::against(&api)
        .env("NODION_POLL_INTERVAL", "5s")
        .env("NODION_MAX_POLL_INTERVAL", "5s")
        .github()
        .result_file()
        .spawn();
    running.wait_for_log("Waiting for deployment #3", Duration::from_secs(5));
    running.signal(libc::SIGTERM);
    // The scenario itself: a runner that sends its second signal 20 ms after the first.
    std::thread::sleep(Duration::from_millis(20));
    running.signal(libc::SIGTERM);
    let ran = running.wait();
    assert_eq!(ran.code, 143, "{}", ran.stderr);
    ran.assert_each_output_once();
    assert_eq!(ran.output("result"), "cancelled");
    // One report, said once: under GitHub its annotation is the line that ends the log.
    assert_eq!(
        ran.stderr.matches("cancelled by SIGTERM").count(),
        1,
        "{}",
        ran.stderr
    );
}
