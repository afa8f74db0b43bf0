//! The live contract test (issue 18): the compiled binary against the real Nodion API, opt-in.
//!
//! The wait (SPEC §3) and rollback (§9) rely on what the published API page shows but does not
//! promise: which statuses there are, and the list entries' fields (`deploy_number`, `status`,
//! `id`, `created_at`, `strategy`, and a prebuilt image's `image_reference` with its tag). This
//! test reads the list, runs a dry run, deploys the application's current image tag again and
//! reads the list back; it fails on any status the code does not know and on any entry without
//! those fields, so the team learns of a change in the API before users do.
//!
//! It runs only with `NODION_LIVE_API_TOKEN` (a project API key) and `NODION_LIVE_APPLICATION_ID`
//! (a prebuilt-image application with a successful deployment, kept for this test) set;
//! `NODION_LIVE_API_URL` overrides the API's URL. Without them it says it is skipped and passes;
//! with only one of them it fails, as a half-configured run would pass without checking anything.
//! `.github/workflows/live.yml` runs it nightly. The check of a list is itself tested offline
//! below, against the published example and against drifted lists, since the live part cannot
//! run on this project's CI machine.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use nodion_deploy::inputs::{DEFAULT_API_URL, FAILURE_STATUSES, SUCCESS_STATUSES};
use nodion_deploy::watch::IN_PROGRESS;
use serde_json::{Value, json};

const TOKEN: &str = "NODION_LIVE_API_TOKEN";
const APPLICATION: &str = "NODION_LIVE_APPLICATION_ID";
const API_URL: &str = "NODION_LIVE_API_URL";

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_nodion-deploy");

/// What the live test talks to. Not `Debug`, so that no assertion can print the token.
struct Live {
    token: String,
    application_id: String,
    api_url: String,
}

impl Live {
    /// The live settings from this process's environment, or `None` after saying why `test` is
    /// skipped. One variable without the other is a mistake, not a skip.
    fn from_env(test: &str) -> Option<Live> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let (token, application_id) = match (var(TOKEN), var(APPLICATION)) {
            (Some(token), Some(application_id)) => (token, application_id),
            (None, None) => {
                eprintln!(
                    "skipped {test}: {TOKEN} and {APPLICATION} are not set (the live contract \
                     test runs only against the real Nodion API)"
                );
                return None;
            }
            (Some(_), None) => panic!("{TOKEN} is set but {APPLICATION} is not: set both"),
            (None, Some(_)) => panic!("{APPLICATION} is set but {TOKEN} is not: set both"),
        };
        // SPEC §2's grammar, checked before the id goes into a URL path.
        assert!(
            (1..=128).contains(&application_id.len())
                && application_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "{APPLICATION} is not an application id (1-128 of A-Z a-z 0-9 _ -)"
        );
        let api_url = var(API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        Some(Live {
            token,
            application_id,
            api_url: api_url.trim_end_matches('/').to_owned(),
        })
    }

    /// `text` with the token replaced, before anything of the API's or the binary's is shown.
    fn redacted(&self, text: &str) -> String {
        text.replace(&self.token, "***")
    }
}

// ---------------------------------------------------------------------------------------------
// What SPEC relies on in a list answer.

/// Every status the code knows: the default success and failure statuses and the in-progress
/// ones, taken from the code itself so that this list cannot drift from it. Lower-case, as the
/// code compares them.
fn known_statuses() -> BTreeSet<String> {
    success_statuses()
        .into_iter()
        .chain(statuses_of(FAILURE_STATUSES.default_value()))
        .chain(IN_PROGRESS.iter().map(|s| s.to_string()))
        .collect()
}

fn success_statuses() -> BTreeSet<String> {
    statuses_of(SUCCESS_STATUSES.default_value())
}

fn statuses_of(default: Option<&str>) -> BTreeSet<String> {
    default
        .expect("the status inputs have a default")
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

/// The tag of an image reference as SPEC §9 reads it: the part after the last `:` that follows
/// the last `/`; a digest reference (`@sha256:…`) has none.
fn tag_of(reference: &str) -> Option<&str> {
    let name = &reference[reference.rfind('/').map_or(0, |i| i + 1)..];
    if name.contains('@') {
        return None;
    }
    name.rsplit_once(':')
        .map(|(_, tag)| tag)
        .filter(|t| !t.is_empty())
}

/// The entries of a list answer (`{"deployments": [...]}`), or why there are none to read.
fn entries(list: &Value) -> Result<&[Value], String> {
    list.get("deployments")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| "the answer is not an object with a \"deployments\" list".to_owned())
}

/// What in a list answer breaks what SPEC relies on, one line each; empty when it keeps the
/// contract.
fn contract_problems(list: &Value) -> Vec<String> {
    let entries = match entries(list) {
        Ok(entries) => entries,
        Err(why) => return vec![why],
    };
    let known = known_statuses();
    let mut numbers = BTreeSet::new();
    let mut problems = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let number = entry.get("deploy_number").and_then(Value::as_u64);
        let name = number.map_or(format!("entry {}", i + 1), |n| format!("#{n}"));
        let mut found = entry_problems(entry, &known);
        if number.is_some_and(|n| n >= 1 && !numbers.insert(n)) {
            found.push("a deploy_number listed twice".to_owned());
        }
        problems.extend(found.into_iter().map(|what| format!("{name}: {what}")));
    }
    problems
}

/// What one list entry lacks of what SPEC relies on.
fn entry_problems(entry: &Value, known: &BTreeSet<String>) -> Vec<String> {
    if !entry.is_object() {
        return vec![format!("not an object: {entry}")];
    }
    let text = |key| entry.get(key).and_then(Value::as_str);
    let mut problems = Vec::new();
    let number = entry.get("deploy_number").and_then(Value::as_u64);
    if number.is_none_or(|n| n < 1) {
        let sent = field(entry, "deploy_number");
        problems.push(format!("deploy_number is no integer >= 1: {sent}"));
    }
    match text("status") {
        Some(s) if known.contains(&s.trim().to_ascii_lowercase()) => {}
        Some(s) => problems.push(format!("status {s:?} is none the code knows ({known:?})")),
        None => problems.push(format!("status is no string: {}", field(entry, "status"))),
    }
    for key in ["id", "created_at", "strategy"] {
        if text(key).is_none_or(|v| v.trim().is_empty()) {
            problems.push(format!("{key} is no text: {}", field(entry, key)));
        }
    }
    let image = text("image_reference");
    if text("strategy") == Some("prebuilt_image")
        && image.is_none_or(|r| tag_of(r).is_none() && !r.contains("@sha256:"))
    {
        let sent = field(entry, "image_reference");
        problems.push(format!(
            "a prebuilt image without an image_reference with a tag or digest: {sent}"
        ));
    }
    problems
}

/// A field of an entry as sent, for a message (`absent` when it is not there).
fn field(entry: &Value, key: &str) -> String {
    entry.get(key).map_or("absent".to_owned(), Value::to_string)
}

/// The deployment SPEC §9 would roll back to, which is what the application runs: the highest
/// `deploy_number` with a success status and an `image_reference` with a tag; its number and tag.
fn current_tag(list: &Value) -> Option<(u64, String)> {
    let success = success_statuses();
    entries(list)
        .ok()?
        .iter()
        .filter(|d| {
            d["status"]
                .as_str()
                .is_some_and(|s| success.contains(&s.trim().to_ascii_lowercase()))
        })
        .filter_map(|d| {
            let tag = tag_of(d["image_reference"].as_str()?)?;
            Some((d["deploy_number"].as_u64()?, tag.to_owned()))
        })
        .max_by_key(|(number, _)| *number)
}

/// The highest `deploy_number` listed (0 when none).
fn highest(list: &Value) -> u64 {
    entries(list)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d["deploy_number"].as_u64())
        .max()
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Talking to the real API.

/// `GET …/applications/:id/deployments`, as JSON; a transient failure (no connection, 408, 429,
/// 5xx) is tried again twice, ten seconds apart, so one hiccup does not fail the night.
fn read_list(live: &Live) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(nodion_deploy::tls::config(&[]))
        .timeout_global(Some(Duration::from_secs(30)))
        .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
        .user_agent(format!(
            "nodion-deploy-live-test/{}",
            nodion_deploy::VERSION
        ))
        .proxy(None)
        .build()
        .into();
    let url = format!(
        "{}/applications/{}/deployments",
        live.api_url, live.application_id
    );
    let mut last = String::new();
    for attempt in 0..3 {
        if attempt > 0 {
            eprintln!("live: {last}; trying again in 10 s");
            std::thread::sleep(Duration::from_secs(10));
        }
        let answer = agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", live.token))
            .header("Accept", "application/json")
            .call();
        let mut response = match answer {
            Ok(response) => response,
            Err(e) => {
                last = format!("GET {url}: {}", live.redacted(&e.to_string()));
                continue;
            }
        };
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        match status {
            200 => {
                return serde_json::from_str(&body).unwrap_or_else(|e| {
                    panic!(
                        "GET {url}: the answer is not JSON ({e}): {}",
                        shown(live, &body)
                    )
                });
            }
            408 | 429 | 500.. => last = format!("GET {url}: {status} {}", shown(live, &body)),
            _ => panic!("GET {url}: {status} {}", shown(live, &body)),
        }
    }
    panic!("{last}")
}

/// An answer's text for a message: redacted, and no longer than a screen.
fn shown(live: &Live, text: &str) -> String {
    live.redacted(&text.chars().take(2000).collect::<String>())
}

/// One run of the binary: its exit code and its JSON result.
struct Ran {
    code: Option<i32>,
    result: Value,
}

/// Runs the binary against the live API with `inputs` besides the token and the application,
/// with nothing inherited from this machine's environment: no `GITHUB_*`, `GITLAB_CI` or other
/// `NODION_*` variable, and no proxy (GitHub's hosted runners reach the API directly). Its log is
/// shown, redacted; the token appears in none of its output, log or result.
fn run_binary(live: &Live, what: &str, inputs: &[(&str, &str)]) -> Ran {
    let dir = tempfile::Builder::new()
        .prefix("nodion-deploy-live-")
        .tempdir()
        .expect("a temporary directory");
    let result_file = dir.path().join("result.json");
    let output = Command::new(BIN)
        .env_clear()
        .env("NODION_API_URL", &live.api_url)
        .env("NODION_API_TOKEN", &live.token)
        .env("NODION_APPLICATION_ID", &live.application_id)
        .env("NODION_RESULT_FILE", &result_file)
        .envs(inputs.iter().copied())
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("the binary starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let result = std::fs::read_to_string(&result_file).unwrap_or_default();
    eprintln!("live: {what}, exit {:?}:", output.status.code());
    eprintln!("{}{}", live.redacted(&stderr), live.redacted(&stdout));
    for (name, text) in [
        ("log", &*stderr),
        ("output", &*stdout),
        ("result", &*result),
    ] {
        assert!(
            !text.contains(&live.token),
            "{what}: the token is in its {name}"
        );
    }
    let result = serde_json::from_str(&result)
        .unwrap_or_else(|e| panic!("{what}: no JSON result in {} ({e})", result_file.display()));
    Ran {
        code: output.status.code(),
        result,
    }
}

/// The list read from the live API, checked: it keeps the contract, or the test fails naming
/// every entry that does not.
fn checked_list(live: &Live, when: &str) -> Value {
    let list = read_list(live);
    let problems = contract_problems(&list);
    assert!(
        problems.is_empty(),
        "the deployment list {when} breaks what SPEC relies on (API drift?):\n{}",
        live.redacted(&problems.join("\n"))
    );
    list
}

#[test]
fn the_live_api_keeps_the_contract_the_wait_and_rollback_rely_on() {
    let Some(live) =
        Live::from_env("the_live_api_keeps_the_contract_the_wait_and_rollback_rely_on")
    else {
        return;
    };
    // 0. The list, and the tag the application runs.
    let before = checked_list(&live, "before the deploy");
    let (current, tag) = current_tag(&before).unwrap_or_else(|| {
        panic!(
            "{APPLICATION} has no successful deployment of an image with a tag: the live test \
             deploys a prebuilt-image application's current tag again"
        )
    });
    eprintln!("live: the application runs #{current}, tag {tag}");
    // 1. A dry run with that tag: it passes and triggers nothing.
    let dry = run_binary(
        &live,
        "dry run",
        &[("NODION_DRY_RUN", "true"), ("NODION_IMAGE_TAG", &tag)],
    );
    assert_eq!(dry.code, Some(0), "the dry run passes: {}", dry.result);
    assert_eq!(dry.result["result"], "success");
    let unchanged = highest(&read_list(&live));
    assert_eq!(unchanged, highest(&before), "a dry run triggers nothing");
    // 2. A real deploy of the same tag, and 3. the list read back.
    let result = deploy(&live, &tag, highest(&before));
    read_back(&live, &result, &tag);
}

/// Deploys `tag` with the binary: it succeeds, with a deployment of its own newer than `newest`
/// that deploys `tag`. Its JSON result.
fn deploy(live: &Live, tag: &str, newest: u64) -> Value {
    let ran = run_binary(live, "deploy", &[("NODION_IMAGE_TAG", tag)]);
    let result = ran.result;
    assert_eq!(ran.code, Some(0), "the deploy of {tag} succeeds: {result}");
    assert_eq!(result["result"], "success");
    assert_eq!(result["origin"], "triggered");
    let application = result["application_id"].as_str();
    assert_eq!(application, Some(live.application_id.as_str()));
    let ours = result["deploy_number"].as_u64().expect("a deploy_number");
    assert!(
        ours > newest,
        "#{ours} is newer than the list before it (#{newest})"
    );
    let reference = result["image_reference"].as_str().unwrap_or_default();
    assert_eq!(
        tag_of(reference),
        Some(tag),
        "#{ours} deploys {reference}, not {tag}"
    );
    result
}

/// The list read back after the deploy keeps the contract and shows ours as the binary reported
/// it: the same id, a prebuilt image, a success status, and what a rollback would go back to.
fn read_back(live: &Live, result: &Value, tag: &str) {
    let after = checked_list(live, "after the deploy");
    let ours = result["deploy_number"].as_u64();
    let listed = entries(&after)
        .unwrap_or_default()
        .iter()
        .find(|d| d["deploy_number"].as_u64() == ours)
        .unwrap_or_else(|| panic!("#{ours:?} is not in the list read back"));
    assert_eq!(listed["id"], result["deployment_id"], "#{ours:?}'s id");
    assert_eq!(listed["strategy"], "prebuilt_image", "#{ours:?}'s strategy");
    let status = listed["status"].as_str().unwrap_or_default();
    let success = success_statuses().contains(&status.trim().to_ascii_lowercase());
    assert!(success, "#{ours:?} is listed as {status}");
    let rollback_target = current_tag(&after).map(|(n, t)| (Some(n), t));
    assert_eq!(
        rollback_target,
        Some((ours, tag.to_owned())),
        "the newest good image is ours"
    );
}

// ---------------------------------------------------------------------------------------------
// The check itself, offline: it passes the published example and catches each kind of drift.

/// The list example of the published API page (`GET /v1/applications/:id/deployments`).
fn published_list() -> Value {
    json!({"deployments": [
        {"id": "92955d4f-2e44-4e48-8cb6-9c6c434afebb", "status": "available", "deploy_number": 2,
         "git_sha": "d77ead8cbbdc37d04aa8c3466c6e35b7c55a508e", "commit_message": "test",
         "strategy": "dockerfile", "image_reference": null,
         "created_at": "2023-04-18T18:32:25.018+02:00"},
        {"id": "5ff9b89f-c839-465d-88b9-32508a87a586", "status": "available", "deploy_number": 1,
         "git_sha": null, "commit_message": "Image: nginx:1.25", "strategy": "prebuilt_image",
         "image_reference": "docker.io/nginx:1.25", "created_at": "2025-02-01T14:35:00.000+01:00"}
    ]})
}

#[test]
fn the_check_passes_the_published_example_and_knows_the_codes_statuses() {
    assert_eq!(contract_problems(&published_list()), Vec::<String>::new());
    assert_eq!(current_tag(&published_list()), Some((1, "1.25".to_owned())));
    let known = known_statuses();
    for status in [
        "created",
        "available",
        "waiting",
        "deploying",
        "failed",
        "error",
        "expired",
    ] {
        assert!(known.contains(status), "{status}");
    }
    assert_eq!(
        tag_of("registry.example.com:5000/shop:1.4.2"),
        Some("1.4.2")
    );
    assert_eq!(tag_of("registry.example.com:5000/shop"), None);
    assert_eq!(tag_of("docker.io/nginx@sha256:0123abcd"), None);
}

#[test]
fn the_check_fails_on_each_kind_of_drift() {
    let drifts: [(&str, Value, &str); 9] = [
        (
            "status",
            json!("rolling_back"),
            "status \"rolling_back\" is none the code knows",
        ),
        ("status", json!(null), "status is no string"),
        ("deploy_number", json!("1"), "deploy_number is no integer"),
        ("deploy_number", json!(2), "a deploy_number listed twice"),
        ("id", json!(null), "id is no text"),
        ("created_at", json!(""), "created_at is no text"),
        ("strategy", json!(7), "strategy is no text"),
        (
            "image_reference",
            json!(null),
            "a prebuilt image without an image_reference",
        ),
        (
            "image_reference",
            json!("docker.io/nginx"),
            "a prebuilt image without an image_reference",
        ),
    ];
    for (key, value, expected) in drifts {
        let mut list = published_list();
        list["deployments"][1][key] = value.clone();
        let problems = contract_problems(&list);
        assert!(
            problems.len() == 1 && problems[0].contains(expected),
            "{key} = {value}: {problems:?}"
        );
    }
    let mut list = published_list();
    list["deployments"][1]
        .as_object_mut()
        .unwrap()
        .remove("created_at");
    assert_eq!(
        contract_problems(&list),
        ["#1: created_at is no text: absent"]
    );
    list["deployments"][1]["image_reference"] = json!("docker.io/nginx@sha256:0123abcd");
    list["deployments"][1]["created_at"] = json!("2025-02-01T14:35:00.000+01:00");
    assert_eq!(
        contract_problems(&list),
        Vec::<String>::new(),
        "a digest is SPEC's own case"
    );
    for other in [json!({"errors": []}), json!([]), json!({"deployments": {}})] {
        assert_eq!(contract_problems(&other).len(), 1, "{other}");
    }
}
