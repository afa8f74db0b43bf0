//! The session the binary runs (`session::run`), driven in this process where the binary cannot
//! be: a panic in the flow, alone or meeting a cancellation in either order. The flow panics as the
//! binary's panic hook sees it: the hook's call, [`Finish::internal_error`], then the unwinding.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use fake_nodion::Hold;
use nodion_deploy::clock::Clock;
use nodion_deploy::ending::Signal;
use nodion_deploy::session::{Finish, Surroundings};

use crate::support::{Deploy, Ran, fake, last_line};

/// What the panic hook says, as the binary's would.
const PANIC: &str = "nodion-deploy: internal error at src/run.rs:1: boom";

/// The real clock, except that its first sleep (the wait's first, on the flow's thread) runs
/// `first` instead.
struct FirstSleep {
    first: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Clock for FirstSleep {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
    }

    fn sleep(&self, duration: Duration) {
        let first = self.first.lock().unwrap().take();
        match first {
            Some(first) => first(),
            None => std::thread::sleep(duration),
        }
    }
}

/// Runs a GitHub deploy with a result file in this process, against a fake whose deployment stays
/// `deploying` after one `created`. At the wait's first sleep, on the flow's thread, `panic` plays
/// the panic hook: it gets the run's [`Finish`] and returns the hook's answer, which comes back
/// beside the run; then the flow's thread unwinds. `cancelled` is how the run observes a
/// cancellation.
fn panic_in_the_wait(
    panic: impl FnOnce(&Finish) -> Option<u8> + Send + 'static,
    cancelled: impl Fn() -> Option<Signal> + Send + Sync + 'static,
) -> (Ran, mpsc::Receiver<Option<u8>>) {
    let api = fake(&[("created", Hold::Lists(1)), ("deploying", Hold::Forever)]);
    let finish = Arc::new(OnceLock::<Finish>::new());
    let (hook, answered) = mpsc::channel();
    let first = {
        let finish = Arc::clone(&finish);
        move || {
            let finish = finish.get().expect("ready before the flow starts");
            hook.send(panic(finish)).unwrap();
            // Ends the flow's thread as a panic does, without running the test's own hook.
            std::panic::resume_unwind(Box::new("boom"));
        }
    };
    let clock = FirstSleep {
        first: Mutex::new(Some(Box::new(first))),
    };
    let ran = Deploy::against(&api)
        .github()
        .result_file()
        .run_in_process_with(|around| Surroundings {
            clock: Arc::new(clock),
            cancelled: Arc::new(cancelled),
            ready: Box::new(move |ready| {
                let _ = finish.set(ready.clone());
            }),
            ..around
        });
    (ran, answered)
}

/// The hook's answer: it may come after the run ended, when something else ended it first.
fn answer(answered: &mpsc::Receiver<Option<u8>>) -> Option<u8> {
    answered
        .recv_timeout(Duration::from_secs(5))
        .expect("the flow panicked")
}

/// A bug must not cost the pipeline its outputs: a panic while waiting writes them once, with
/// `result=error` and the last status seen, and the run exits 4 with the summary as its last line.
#[test]
fn a_panic_during_the_wait_writes_the_outputs_with_result_error_and_exits_4() {
    let (ran, answered) = panic_in_the_wait(|finish| finish.internal_error(PANIC), || None);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert_eq!(answer(&answered), Some(4), "the hook wrote the outputs");
    ran.assert_each_output_once();
    assert_eq!(ran.output("result"), "error");
    assert_eq!(ran.output("deploy_number"), "3");
    assert_eq!(ran.output("status"), "created");
    assert_eq!(ran.json()["exit_code"], 4);
    ran.assert_says(PANIC);
    assert!(
        last_line(&ran).contains("internal error; please report it (the outputs were written)"),
        "{}",
        ran.stderr
    );
}

/// Outputs are written exactly once, whatever arrives at the same time: a panic that comes once a
/// cancellation has written them writes nothing more, and the run stays cancelled (143).
#[test]
fn a_panic_after_a_cancellation_wrote_the_outputs_writes_none_again() {
    let waiting = Arc::new(AtomicBool::new(false));
    let cancelled_run_ended = Arc::new(Barrier::new(2));
    let panic = {
        let (waiting, ended) = (Arc::clone(&waiting), Arc::clone(&cancelled_run_ended));
        move |finish: &Finish| {
            waiting.store(true, Ordering::SeqCst);
            ended.wait();
            finish.internal_error(PANIC)
        }
    };
    // Cancelled from the moment the flow waits.
    let cancelled = move || waiting.load(Ordering::SeqCst).then_some(Signal::Terminate);
    let (ran, answered) = panic_in_the_wait(panic, cancelled);
    assert_eq!(ran.code, 143, "{}", ran.stderr);
    let outputs = ran.github_outputs();
    cancelled_run_ended.wait();
    assert_eq!(
        answer(&answered),
        None,
        "the hook found the outputs written"
    );
    assert_eq!(ran.github_outputs(), outputs, "nothing written again");
    ran.assert_each_output_once();
    assert_eq!(ran.output("result"), "cancelled");
    assert_eq!(ran.json()["exit_code"], 143);
}

/// Outputs are written exactly once, whatever arrives at the same time: a cancellation observed
/// while a panic writes them ends the run as the panic did (4), and writes nothing more.
#[test]
fn a_cancellation_while_a_panic_writes_the_outputs_writes_none_again() {
    let waiting = Arc::new(AtomicBool::new(false));
    let (met, written) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let panic = {
        let (waiting, met, written) =
            (Arc::clone(&waiting), Arc::clone(&met), Arc::clone(&written));
        move |finish: &Finish| {
            waiting.store(true, Ordering::SeqCst);
            met.wait();
            let answer = finish.internal_error(PANIC);
            written.wait();
            answer
        }
    };
    // Observed once the flow waits, and answered after the panic has written the outputs.
    let cancelled = move || {
        waiting.load(Ordering::SeqCst).then(|| {
            met.wait();
            written.wait();
            Signal::Terminate
        })
    };
    let (ran, answered) = panic_in_the_wait(panic, cancelled);
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert_eq!(answer(&answered), Some(4), "the hook wrote the outputs");
    ran.assert_each_output_once();
    assert_eq!(ran.output("result"), "error");
    assert_eq!(ran.json()["exit_code"], 4);
    ran.assert_never_says("cancelled by SIGTERM");
}
