//! Never twice, even when the list lags (issue 18, acceptance 11): a trigger whose answer is lost
//! after the deployment was created, then a list that does not show it on the next look, gives one
//! deployment, adopted; never a second trigger that creates a second one.

use std::time::Duration;

use crate::support::{self, Deploy, fake, happy};
use fake_nodion::{FakeNodion, Fault, Hold, Route};

/// The deployments created by the run (the seeds are #1 and #2).
fn created(api: &FakeNodion) -> Vec<u64> {
    api.deployments()
        .iter()
        .filter_map(|d| d["deploy_number"].as_u64())
        .filter(|n| *n > 2)
        .collect()
}

fn posts(api: &FakeNodion) -> usize {
    api.count("POST", Route::Trigger)
}

#[test]
fn a_lost_answer_behind_a_list_that_lags_is_adopted_never_triggered_twice() {
    let lost = [
        ("reset after creation", Fault::Reset { create_first: true }),
        (
            "stall past request_timeout",
            Fault::Stall {
                for_: Duration::from_secs(3),
                create_first: true,
            },
        ),
        (
            "garbage after creation",
            Fault::Raw {
                bytes: b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ngarbage".to_vec(),
                create_first: true,
            },
        ),
    ];
    // The list leaves the new deployment out of the next look, or of the next three.
    let cases = lost
        .into_iter()
        .flat_map(|(what, fault)| [1, 3].map(move |lag| (what, fault.clone(), lag)));
    support::each_in_parallel(cases, |(what, fault, lag)| {
        let api = happy();
        api.lag_list(lag);
        api.script(Route::Trigger, fault);
        let ran = Deploy::against(&api)
            .env("NODION_REQUEST_TIMEOUT", "1s")
            .github()
            .run();
        let what = format!("{what}, lagging {lag}");
        support::settle(&api);
        assert_eq!(created(&api), [3], "{what}: one deployment\n{}", ran.stderr);
        assert_eq!(posts(&api), 1, "{what}: never sent again");
        assert_eq!(ran.code, 0, "{what}: {}", ran.stderr);
        assert_eq!(ran.output("deploy_number"), "3", "{what}");
        assert_eq!(ran.output("origin"), "adopted", "{what}");
        assert_eq!(ran.output("status"), "available", "{what}");
        ran.assert_says("Not triggered by this run: adopted #3, which appeared after our trigger's answer was lost");
        ran.assert_never_says("No deployment appeared since the snapshot");
    });
}

#[test]
fn an_adopted_deployment_that_fails_exits_1_and_one_lost_before_creation_is_sent_again() {
    let failing = || fake(&[("created", Hold::Lists(1)), ("failed", Hold::Forever)]);
    let adopted = failing();
    adopted.lag_list(1);
    adopted.script(Route::Trigger, Fault::Reset { create_first: true });
    // Nothing created: four looks at a list that shows nothing new, then the trigger once more.
    let resent = happy();
    resent.lag_list(1);
    resent.script(
        Route::Trigger,
        Fault::Reset {
            create_first: false,
        },
    );
    let runs = [&adopted, &resent].map(|api| Deploy::against(api).github().spawn());
    let [adopted_ran, resent_ran] = runs.map(support::Running::wait);
    assert_eq!(adopted_ran.code, 1, "{}", adopted_ran.stderr);
    assert_eq!(adopted_ran.output("origin"), "adopted");
    assert_eq!((created(&adopted), posts(&adopted)), (vec![3], 1));
    assert_eq!(resent_ran.code, 0, "{}", resent_ran.stderr);
    assert_eq!(resent_ran.output("origin"), "triggered");
    assert_eq!((created(&resent), posts(&resent)), (vec![3], 2));
    resent_ran.assert_says("No deployment appeared since the snapshot after 4 looks over ");
    resent_ran.assert_says(": triggering again");
}
