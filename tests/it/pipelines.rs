//! A pipeline is many runs (SPEC §5, "An output is never a later run's input"): each platform hands
//! one run's outputs to the runs after it, and a later deploy must still deploy for itself, wear
//! only its own results, and never leave an earlier run's success standing.

use std::collections::HashMap;
use std::path::Path;

use fake_nodion::{FakeNodion, Hold, Options, Route, Seed, Stage};

use crate::support::sourced;
use crate::support::{Deploy, Ran, happy, scratch_dir};

/// Production: app-2, whose deployments #1 to #5 are old and available. A number inherited from
/// staging's first deploy (#3) names a real, green, old deployment here: attaching to it would be
/// green without deploying.
fn production() -> FakeNodion {
    FakeNodion::start(Options {
        application_id: "app-2".into(),
        existing: (1..=5).map(|n| Seed::new(n, "available")).collect(),
        lifecycle: vec![
            Stage::new("created", Hold::Lists(1)),
            Stage::new("available", Hold::Forever),
        ],
        ..Options::default()
    })
}

fn triggers(api: &FakeNodion) -> usize {
    api.count("POST", Route::Trigger)
}

/// The value of `key` in `pairs`.
fn get<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{key} in {pairs:?}"))
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn assert_ok(ran: &Ran, what: &str) {
    assert_eq!(ran.code, 0, "{what}: {}", ran.stderr);
}

#[test]
fn gitlab_a_job_that_inherits_a_dotenv_report_still_deploys_its_own_application() {
    let (staging, production) = (happy(), production());
    let first = Deploy::against(&staging).gitlab().run();
    assert_ok(&first, "staging");
    let inherited = first.dotenv();
    assert_eq!(get(&inherited, "NODION_DEPLOYMENT_NUMBER"), "3");
    // GitLab gives a dotenv report's variables to every later job, above the job's own
    // `variables:`: set last, they win over anything the job sets.
    let mut second = Deploy::against(&production).gitlab();
    for (key, value) in &inherited {
        second = second.env(key, value);
    }
    let second = second.run();
    assert_ok(&second, "production");
    assert_eq!((triggers(&staging), triggers(&production)), (1, 1));
    let report = second.dotenv();
    assert_eq!(get(&report, "NODION_RESULT"), "success");
    assert_eq!(get(&report, "NODION_DEPLOYMENT_NUMBER"), "6");
    assert_eq!(get(&report, "NODION_DEPLOYED_APPLICATION_ID"), "app-2");
    assert_eq!(get(&report, "NODION_ORIGIN"), "triggered");
    second.assert_says("Triggered deployment #6");
}

#[test]
fn circleci_a_step_that_sources_bash_env_still_deploys_its_own_application() {
    let (staging, production) = (happy(), production());
    let shared = scratch_dir();
    let bash_env = shared.path().join("bash_env");
    // bash sources $BASH_ENV before a non-interactive script, as every CircleCI step does.
    let step = r#"echo "inherited: ${NODION_DEPLOYED_APPLICATION_ID:-none} #${NODION_DEPLOYMENT_NUMBER:-none}" >&2; exec "$DEPLOY_BIN""#;
    let circleci = |api: &FakeNodion| {
        Deploy::against(api)
            .env("CIRCLECI", "true")
            .env("BASH_ENV", path(&bash_env))
    };
    let first = circleci(&staging).run_in("bash", step);
    assert_ok(&first, "staging");
    first.assert_says("inherited: none #none");
    let second = circleci(&production).run_in("bash", step);
    assert_ok(&second, "production");
    second.assert_says("inherited: app-1 #3");
    assert_eq!((triggers(&staging), triggers(&production)), (1, 1));
    // Later steps see the last run's values, and whose they are.
    let vars = sourced(&bash_env);
    assert_eq!(vars["NODION_DEPLOYED_APPLICATION_ID"], "app-2");
    assert_eq!(vars["NODION_DEPLOYMENT_NUMBER"], "6");
    assert_eq!(vars["NODION_RESULT"], "success");
}

#[test]
fn bitbucket_a_step_that_sources_the_exports_still_deploys_its_own_application() {
    let (staging, production) = (happy(), production());
    let first = Deploy::against(&staging)
        .env("BITBUCKET_BUILD_NUMBER", "7")
        .run();
    assert_ok(&first, "staging");
    // The next step starts with the first one's artifacts, and sources the exports.
    let second = Deploy::against(&production).env("BITBUCKET_BUILD_NUMBER", "7");
    for artifact in [
        "nodion-deploy.sh",
        "nodion-deploy.env",
        "nodion-deploy.json",
    ] {
        std::fs::copy(first.dir.join(artifact), second.dir().join(artifact)).unwrap();
    }
    let second = second.run_in(
        "sh",
        r#". ./nodion-deploy.sh && echo "inherited: $NODION_DEPLOYED_APPLICATION_ID #$NODION_DEPLOYMENT_NUMBER" >&2 && exec "$DEPLOY_BIN""#,
    );
    assert_ok(&second, "production");
    second.assert_says("inherited: app-1 #3");
    assert_eq!((triggers(&staging), triggers(&production)), (1, 1));
    let vars = sourced(&second.dir.join("nodion-deploy.sh"));
    assert_eq!(vars["NODION_DEPLOYED_APPLICATION_ID"], "app-2");
    assert_eq!(vars["NODION_DEPLOYMENT_NUMBER"], "6");
    let json = std::fs::read_to_string(second.dir.join("nodion-deploy.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["deploy_number"], 6);
}

#[test]
fn two_deploys_in_one_job_each_keep_their_outputs_in_their_own_exports_file() {
    for platform in [("CIRCLECI", "true"), ("BITBUCKET_BUILD_NUMBER", "7")] {
        let (web, worker) = (happy(), production());
        let shared = scratch_dir();
        let bash_env = shared.path().join("bash_env");
        let run = |api: &FakeNodion, exports: &str| {
            let ran = Deploy::against(api)
                .env(platform.0, platform.1)
                .env("BASH_ENV", path(&bash_env))
                .env("NODION_EXPORTS_FILE", path(&shared.path().join(exports)))
                .run_in("bash", r#"exec "$DEPLOY_BIN""#);
            assert_ok(&ran, exports);
        };
        run(&web, "web.sh");
        run(&worker, "worker.sh");
        let web_vars = sourced(&shared.path().join("web.sh"));
        let worker_vars = sourced(&shared.path().join("worker.sh"));
        let seen = |vars: &HashMap<String, String>| {
            (
                vars["NODION_DEPLOYED_APPLICATION_ID"].clone(),
                vars["NODION_DEPLOYMENT_NUMBER"].clone(),
            )
        };
        assert_eq!(
            seen(&web_vars),
            ("app-1".into(), "3".into()),
            "{platform:?}"
        );
        assert_eq!(
            seen(&worker_vars),
            ("app-2".into(), "6".into()),
            "{platform:?}"
        );
        // The exports went to the files named, in place of $BASH_ENV.
        assert!(!bash_env.exists(), "{platform:?}");
    }
}

#[test]
fn a_refused_run_after_a_success_leaves_error_in_every_output_not_the_success() {
    let api = happy();
    let shared = scratch_dir();
    let bash_env = shared.path().join("bash_env");
    let first = Deploy::against(&api)
        .env("BITBUCKET_BUILD_NUMBER", "7")
        .run();
    assert_ok(&first, "first");
    let sh = sourced(&first.dir.join("nodion-deploy.sh"));
    assert_eq!(sh["NODION_RESULT"], "success");
    // The next step: the first one's artifacts restored, and an input that is refused.
    let second = Deploy::against(&api)
        .env("BITBUCKET_BUILD_NUMBER", "7")
        .env("NODION_TIMEOUT", "10");
    for artifact in [
        "nodion-deploy.sh",
        "nodion-deploy.env",
        "nodion-deploy.json",
    ] {
        std::fs::copy(first.dir.join(artifact), second.dir().join(artifact)).unwrap();
    }
    let second = second.run();
    assert_eq!(second.code, 2, "{}", second.stderr);
    let sh = sourced(&second.dir.join("nodion-deploy.sh"));
    let dotenv = second.dotenv();
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(second.dir.join("nodion-deploy.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sh["NODION_RESULT"], "error");
    assert_eq!(get(&dotenv, "NODION_RESULT"), "error");
    assert_eq!(json["result"], "error");
    assert_eq!(json["exit_code"], 2);
    for gone in [
        "NODION_DEPLOYMENT_NUMBER",
        "NODION_DEPLOY_STATUS",
        "NODION_GIT_SHA",
    ] {
        assert_eq!(sh[gone], "", "{gone}");
        assert_eq!(get(&dotenv, gone), "", "{gone}");
    }
    assert_eq!(json["deploy_number"], serde_json::Value::Null);
    assert_eq!(sh["NODION_DEPLOYED_APPLICATION_ID"], "app-1");

    // CircleCI: $BASH_ENV gets the exports appended, and the last word is the error.
    for (timeout, code) in [("20s", 0), ("10", 2)] {
        let ran = Deploy::against(&api)
            .env("CIRCLECI", "true")
            .env("BASH_ENV", path(&bash_env))
            .env("NODION_TIMEOUT", timeout)
            .run();
        assert_eq!(ran.code, code, "{}", ran.stderr);
    }
    let vars = sourced(&bash_env);
    assert_eq!(vars["NODION_RESULT"], "error");
    assert_eq!(vars["NODION_DEPLOYMENT_NUMBER"], "");

    // Two runs wrote, one was refused: only the two successes triggered.
    assert_eq!(triggers(&api), 2);
}

#[test]
fn a_refused_destination_is_left_alone_and_the_others_still_say_error() {
    let api = happy();
    let scratch = scratch_dir();
    let missing = scratch.path().join("no/such/dir/result.json");
    let ran = Deploy::against(&api)
        .gitlab()
        .env("NODION_RESULT_FILE", path(&missing))
        .run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    ran.assert_says("NODION_RESULT_FILE");
    assert!(!missing.exists());
    assert_eq!(get(&ran.dotenv(), "NODION_RESULT"), "error");
    assert!(api.requests().is_empty());
}

#[test]
fn github_env_is_never_written() {
    let api = happy();
    for timeout in ["20s", "10"] {
        let deploy = Deploy::against(&api).github();
        let github_env = deploy.dir().join("github_env");
        std::fs::write(&github_env, "EARLIER=1\n").unwrap();
        let ran = deploy
            .env("GITHUB_ENV", path(&github_env))
            .env("NODION_TIMEOUT", timeout)
            .run();
        assert_ne!(ran.output("result"), "");
        assert_eq!(
            std::fs::read_to_string(ran.dir.join("github_env")).unwrap(),
            "EARLIER=1\n",
            "timeout {timeout}"
        );
    }
}

/// README's plain-shell chain: trigger without waiting, do other work, then wait for exactly that
/// deployment by passing its number on purpose.
#[test]
fn readme_wait_false_then_attach_runs_as_written() {
    const README: &str = include_str!("../../README.md");
    let snippet = README
        .split_once("<!-- checked: shell -->\n```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("README has a checked shell snippet")
        .0;
    let api = happy();
    let deploy = Deploy::against(&api);
    let bin = deploy.dir().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(crate::support::BIN, bin.join("nodion-deploy")).unwrap();
    let script = format!("set -e\nPATH=\"{}:$PATH\"\n{snippet}", path(&bin));
    let ran = deploy.run_in("sh", &script);
    assert_ok(&ran, "the snippet");
    assert_eq!(triggers(&api), 1, "{}", ran.stderr);
    ran.assert_says("Attaching to deployment #3: nothing is triggered");
    ran.assert_says("nodion-deploy: success: deployment #3 of app-1");
}
