//! The poll schedule learnt from the application's past deployments (issue 20), end to end, in
//! real time: with at least three usable past durations a deployment is seen ended about a second
//! after it ends, for few requests; without them the default schedule; intervals the user set are
//! kept as set. The fake says how soon a List first showed each deployment ended
//! (`FakeNodion::noticed_after`). Each test waits for its run to end, never for time to pass.

use std::time::{Duration, Instant};

use fake_nodion::{FakeNodion, Hold, Options, Route, Seed, Stage};

use crate::support::{Deploy, Ran, settle};

const S: Duration = Duration::from_secs(1);

/// The line that says what the schedule learnt.
const EXPECTING: &str = "Expecting about";

/// A fake with these past deployments whose next deployment is `created` for `takes`, then
/// `available`.
fn api(existing: Vec<Seed>, takes: Duration) -> FakeNodion {
    FakeNodion::start(Options {
        existing,
        lifecycle: vec![
            Stage::new("created", Hold::For(takes)),
            Stage::new("available", Hold::Forever),
        ],
        ..Options::default()
    })
}

/// Deployments #1..=#`count`, each available and each having taken `took`.
fn history(count: u64, took: Duration) -> Vec<Seed> {
    (1..=count)
        .map(|n| Seed::new(n, "available").took(took))
        .collect()
}

/// A run with the intervals left to the tool (the support's short test intervals unset) and room
/// for the longest deployment here.
fn deploy(api: &FakeNodion) -> Deploy {
    Deploy::against(api)
        .unset("NODION_POLL_INTERVAL")
        .unset("NODION_MAX_POLL_INTERVAL")
        .env("NODION_TIMEOUT", "60s")
}

/// The deployment the run triggered: the newest one.
fn ours(api: &FakeNodion) -> u64 {
    api.deployments()[0]["deploy_number"].as_u64().unwrap()
}

/// Asserts the run succeeded and returns how soon after our deployment ended the run's List saw
/// it, and the List requests it made (the snapshot before the trigger included).
#[track_caller]
fn succeeded(api: &FakeNodion, ran: &Ran) -> (Duration, usize) {
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    settle(api);
    let noticed = api
        .noticed_after(ours(api))
        .unwrap_or_else(|| panic!("no List showed it ended:\n{}", ran.stderr));
    (noticed, api.count("GET", Route::List))
}

/// Asserts every promise at once, so that a failure names each one broken.
#[track_caller]
fn assert_kept<const N: usize>(ran: &Ran, promises: [(bool, String); N]) {
    let broken: Vec<String> = promises
        .into_iter()
        .filter(|(kept, _)| !kept)
        .map(|(_, what)| what)
        .collect();
    assert!(
        broken.is_empty(),
        "{}; the whole log:\n{}",
        broken.join("; "),
        ran.stderr
    );
}

/// What a run that saw its deployment end too late is told.
fn seen(noticed: Duration, at_most: &str) -> String {
    format!("seen {noticed:?} after it ended (at most {at_most})")
}

/// When the trigger was received, and each List request after it.
fn polls_after_trigger(api: &FakeNodion) -> (Instant, Vec<Instant>) {
    let requests = api.requests();
    let trigger = requests
        .iter()
        .find(|r| r.route == Route::Trigger)
        .expect("a trigger")
        .at;
    let polls = requests
        .iter()
        .filter(|r| r.route == Route::List && r.method == "GET" && r.at > trigger)
        .map(|r| r.at)
        .collect();
    (trigger, polls)
}

/// Acceptance: five past deployments of 12 s and ours of 12 s: seen ended within 1.5 s, for at
/// most 14 List requests, and the log says what it expects.
#[test]
fn with_history_a_deployment_is_seen_ended_within_a_second_and_a_half() {
    let api = api(history(5, 12 * S), 12 * S);
    let ran = deploy(&api).run();
    let (noticed, lists) = succeeded(&api, &ran);
    let line = "Expecting about 12s (median of the last 5 deployments)";
    assert_kept(
        &ran,
        [
            (ran.stderr.contains(line), format!("no line {line:?}")),
            (noticed <= S + S / 2, seen(noticed, "1.5 s")),
            (lists <= 14, format!("{lists} List requests (at most 14)")),
        ],
    );
}

/// Acceptance: no history and a deployment of 20 s: the default schedule (2 s growing to about
/// 4.5 s) sees it within 6 s, for at most 25 List requests, and expects nothing.
#[test]
fn without_history_a_20s_deployment_is_seen_within_6s() {
    let api = api(Vec::new(), 20 * S);
    let ran = deploy(&api).run();
    let (noticed, lists) = succeeded(&api, &ran);
    assert_kept(
        &ran,
        [
            (
                !ran.stderr.contains(EXPECTING),
                format!("a line {EXPECTING:?}"),
            ),
            (noticed <= 6 * S, seen(noticed, "6 s")),
            (lists <= 25, format!("{lists} List requests (at most 25)")),
        ],
    );
}

/// Acceptance: `poll_interval` and `max_poll_interval` set by the user win over the history: no
/// expectation, and the polls after the trigger are 3 s apart. The first wait may be up to 20 %
/// shorter (the jitter of a wait that has not grown yet, SPEC §2); none is longer.
#[test]
fn intervals_the_user_sets_are_kept_exactly_with_history() {
    let api = api(history(5, 12 * S), 12 * S);
    let ran = deploy(&api)
        .env("NODION_POLL_INTERVAL", "3s")
        .env("NODION_MAX_POLL_INTERVAL", "3s")
        .run();
    succeeded(&api, &ran);
    ran.assert_never_says(EXPECTING);
    let (trigger, polls) = polls_after_trigger(&api);
    assert!(polls.len() >= 4, "{} polls:\n{}", polls.len(), ran.stderr);
    let first = polls[0].duration_since(trigger);
    assert!(
        (S * 23 / 10..=S * 35 / 10).contains(&first),
        "first poll {first:?} after the trigger:\n{}",
        ran.stderr
    );
    let gaps: Vec<Duration> = polls
        .windows(2)
        .map(|w| w[1].duration_since(w[0]))
        .collect();
    assert!(
        gaps.iter()
            .all(|gap| (S * 25 / 10..=S * 35 / 10).contains(gap)),
        "polls {gaps:?} apart, not 3 s:\n{}",
        ran.stderr
    );
}

/// Past deployments that say nothing usable of how long a deployment takes: timestamps missing,
/// unparsable, negative, in the future or equal (no time at all), a failed one, and only two good
/// ones. None counts, so there is no expectation, and the default schedule sees a short deployment
/// end as promptly as without history.
#[test]
fn unusable_history_falls_back_to_the_default_schedule() {
    const PAST: &str = "2024-01-01T00:00:00.000+00:00";
    let seed = |n| Seed::new(n, "available");
    let existing = vec![
        seed(1),
        seed(2).with_timestamps(None, Some(PAST)),
        seed(3).with_timestamps(Some(PAST), None),
        seed(4).with_timestamps(Some("yesterday"), Some("today")),
        seed(5).with_timestamps(Some("2024-01-01T00:10:00.000+00:00"), Some(PAST)),
        seed(6).with_timestamps(
            Some("2999-01-01T00:00:00.000+00:00"),
            Some("2999-01-01T00:00:12.000+00:00"),
        ),
        Seed::new(7, "failed").took(12 * S),
        seed(8).took(12 * S),
        seed(9).took(12 * S),
    ];
    let api = api(existing, 3 * S);
    let ran = deploy(&api).run();
    let (noticed, _) = succeeded(&api, &ran);
    ran.assert_never_says(EXPECTING);
    assert!(
        noticed <= 6 * S,
        "seen {noticed:?} after it ended:\n{}",
        ran.stderr
    );
}
