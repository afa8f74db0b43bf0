//! Native touches per platform: GitHub's step summary, group and error annotation; GitLab's
//! collapsible sections; nothing of either in a plain log.

use crate::support::{Deploy, annotations, fake, happy, last_line};
use fake_nodion::{Fault, Hold, Route};

fn commands(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.trim_start().starts_with("::"))
        .collect()
}

#[test]
fn github_success_groups_the_polling_log_writes_a_summary_and_no_error() {
    let api = happy();
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let commands = commands(&ran.stderr);
    assert_eq!(commands.len(), 3, "{commands:?}");
    assert!(commands[0].starts_with("::add-mask::"));
    assert!(commands[1].starts_with("::group::Waiting for deployment #3"));
    assert_eq!(commands[2], "::endgroup::");
    // The status changes are inside the group, the outcome after it.
    let lines: Vec<&str> = ran.stderr.lines().collect();
    let open = lines
        .iter()
        .position(|l| l.starts_with("::group::"))
        .unwrap();
    let close = lines.iter().position(|l| *l == "::endgroup::").unwrap();
    assert!(
        lines[open..close]
            .iter()
            .any(|l| l.ends_with("#3 available"))
    );
    assert!(
        lines[close..]
            .last()
            .unwrap()
            .starts_with("nodion-deploy: success")
    );

    let summary = ran.summary();
    assert!(
        summary.starts_with("### Nodion deployment #3 of app\\-1: success\n"),
        "{summary}"
    );
    for row in [
        "| Application | app\\-1 |",
        "| Deploy number | #3 |",
        "| Status | available |",
        "| Result | success |",
    ] {
        assert!(summary.lines().any(|l| l == row), "{row} in\n{summary}");
    }
    assert!(
        summary.lines().any(|l| l.starts_with("| Commit | `")),
        "{summary}"
    );
    assert!(
        summary.lines().any(|l| l.starts_with("| Duration | ")),
        "{summary}"
    );
    let timeline: Vec<&str> = summary
        .split("| After | Status |\n|---|---|\n")
        .nth(1)
        .expect("a timeline table")
        .lines()
        .take_while(|l| l.starts_with('|'))
        .collect();
    let statuses: Vec<&str> = timeline
        .iter()
        .map(|l| l.rsplit(" | ").next().unwrap().trim_end_matches(" |"))
        .collect();
    assert_eq!(statuses, ["created", "waiting", "available"]);
}

#[test]
fn github_failure_timeout_and_error_each_get_one_error_annotation() {
    // (annotation word, lifecycle, extra variables, exit code)
    type Case<'a> = (&'a str, Vec<(&'a str, Hold)>, &'a [(&'a str, &'a str)], i32);
    let cases: [Case; 3] = [
        (
            "failed",
            vec![("created", Hold::Lists(1)), ("failed", Hold::Forever)],
            &[],
            1,
        ),
        (
            "timed out",
            vec![("deploying", Hold::Forever)],
            &[("NODION_TIMEOUT", "1s")],
            124,
        ),
        (
            "error",
            vec![("created", Hold::Forever)],
            &[("NODION_API_TOKEN", "wrong-token")],
            3,
        ),
    ];
    for (word, lifecycle, env, code) in cases {
        let api = fake(&lifecycle);
        let mut deploy = Deploy::against(&api).github();
        for (k, v) in env {
            deploy = deploy.env(k, v);
        }
        let ran = deploy.run();
        assert_eq!(ran.code, code, "{}", ran.stderr);
        let errors: Vec<&str> = ran
            .stderr
            .lines()
            .filter(|l| l.starts_with("::error "))
            .collect();
        assert_eq!(errors.len(), 1, "{word}: {}", ran.stderr);
        assert!(
            errors[0].starts_with(&format!("::error title=Nodion deployment {word}::")),
            "{}",
            errors[0]
        );
        // The annotation is the line that ends the log, carrying the summary: said once.
        let lines: Vec<&str> = ran.stderr.lines().collect();
        let last = lines[lines.len() - 1];
        assert!(last.starts_with("::error "), "{}", ran.stderr);
        let (_, summary) = last.split_once("::nodion-deploy: ").expect("the summary");
        assert_eq!(ran.stderr.matches(summary).count(), 1, "{}", ran.stderr);
    }
}

#[test]
fn a_cancelled_github_run_closes_its_group_and_gets_an_annotation() {
    let api = fake(&[("deploying", Hold::Forever)]);
    let running = Deploy::against(&api)
        .env("NODION_POLL_INTERVAL", "5s")
        .env("NODION_MAX_POLL_INTERVAL", "5s")
        .github()
        .spawn();
    let waited = std::time::Instant::now();
    while api.count("POST", fake_nodion::Route::Trigger) == 0 {
        assert!(waited.elapsed().as_secs() < 5);
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    running.wait_for_log(
        "Waiting for deployment #3",
        std::time::Duration::from_secs(5),
    );
    running.signal(libc::SIGTERM);
    let ran = running.wait();
    assert_eq!(ran.code, 143, "{}", ran.stderr);
    let commands = commands(&ran.stderr);
    assert_eq!(
        commands.iter().filter(|c| **c == "::endgroup::").count(),
        1,
        "{}",
        ran.stderr
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("::error title=Nodion deployment cancelled::"))
    );
    assert!(ran.summary().contains("| Result | cancelled |"));
}

#[test]
fn gitlab_wraps_the_polling_log_in_one_collapsible_section() {
    let api = happy();
    let ran = Deploy::against(&api).gitlab().run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let starts: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("\u{1b}[0Ksection_start:"))
        .collect();
    let ends: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("\u{1b}[0Ksection_end:"))
        .collect();
    assert_eq!((starts.len(), ends.len()), (1, 1), "{:?}", ran.stderr);
    let (_, start) = starts[0].split_once("section_start:").unwrap();
    let (time, rest) = start.split_once(':').unwrap();
    assert!(time.parse::<u64>().is_ok());
    assert!(
        rest.starts_with("nodion_deploy_wait\r\u{1b}[0KWaiting for deployment #3"),
        "{rest:?}"
    );
    assert!(
        ends[0].ends_with(":nodion_deploy_wait\r\u{1b}[0K"),
        "{:?}",
        ends[0]
    );
    ran.assert_never_says("::group::");
    // No other escape sequence anywhere in the log.
    let others = ran
        .stderr
        .lines()
        .filter(|l| !l.starts_with("\u{1b}[0Ksection_"))
        .any(|l| l.contains('\u{1b}'));
    assert!(!others);
}

#[test]
fn a_plain_log_has_no_platform_commands() {
    let api = fake(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)]);
    let ran = Deploy::against(&api).run();
    assert_eq!(ran.code, 1);
    assert!(commands(&ran.stderr).is_empty(), "{}", ran.stderr);
    ran.assert_never_says("\u{1b}");
    ran.assert_says("Waiting for deployment #3");
}

#[test]
fn a_401_under_github_has_a_summary_with_the_status_and_message_but_never_the_token() {
    let api = happy();
    let token = api.token();
    api.script(
        Route::List,
        Fault::status(401, &format!(r#"{{"errors":["API key {token} revoked"]}}"#)),
    );
    let ran = Deploy::against(&api).github().run();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let summary = ran.summary();
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(
        lines[0], "### Nodion deployment of app\\-1: error",
        "{summary}"
    );
    assert!(
        lines[2].contains("HTTP 401\\: API key \\*\\*\\* revoked"),
        "{summary}"
    );
    assert!(!summary.contains(&token), "{summary}");
    assert!(!summary.contains("—"), "no placeholder: {summary}");
    // Every row of the table has something to say.
    for row in lines
        .iter()
        .filter(|l| l.starts_with("| ") && **l != "| | |")
    {
        let value = row.trim_end_matches(" |").rsplit(" | ").next().unwrap();
        assert!(!value.trim().is_empty(), "{row}");
    }
    // Said once, as the log's last line.
    assert_eq!(annotations(&ran), [last_line(&ran)]);
    assert!(
        last_line(&ran)
            .starts_with("::error title=Nodion deployment error::nodion-deploy: error after "),
        "{}",
        ran.stderr
    );
}
