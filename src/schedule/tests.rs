//! The ladder's waits, a learned window's and the check's, exactly (fixed jitter).

use super::*;
use crate::inputs::tests::settings as settings_with;
use crate::model::Deployment;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn waits(min: f64, max: f64, jitter: f64, n: usize) -> Vec<Duration> {
    let mut s = Ladder::new(secs(min), secs(max), Box::new(jitter));
    (0..n).map(|_| s.next_wait()).collect()
}

fn close(a: Duration, b: f64) -> bool {
    (a.as_secs_f64() - b).abs() < 0.001
}

#[test]
fn waits_start_at_poll_interval_and_grow_by_half() {
    let w = waits(2.0, 15.0, 0.0, 5);
    for (got, want) in w.iter().zip([2.0, 3.0, 4.5, 6.75, 10.125]) {
        assert!(close(*got, want), "{got:?} != {want}");
    }
}

#[test]
fn waits_never_exceed_max_poll_interval_whatever_the_jitter() {
    for jitter in [-1.0, -0.3, 0.0, 0.5, 1.0] {
        let w = waits(2.0, 15.0, jitter, 200);
        assert!(w.iter().all(|d| *d <= secs(15.0)), "jitter {jitter}");
        assert!(w[20..].iter().all(|d| *d == secs(15.0)), "jitter {jitter}");
    }
}

#[test]
fn jitter_moves_a_growing_wait_by_at_most_twenty_percent() {
    let low = waits(2.0, 15.0, -1.0, 3);
    let high = waits(2.0, 15.0, 1.0, 3);
    for (i, base) in [2.0, 3.0, 4.5].into_iter().enumerate() {
        assert!(close(low[i], base * 0.8));
        assert!(close(high[i], base * 1.2));
    }
}

#[test]
fn random_jitter_stays_within_bounds() {
    let mut s = Ladder::new(secs(1.0), secs(60.0), Box::new(fastrand::Rng::with_seed(7)));
    let first = s.next_wait();
    assert!(first >= secs(0.8) && first <= secs(1.2));
    let w: Vec<_> = (0..500).map(|_| s.next_wait()).collect();
    assert!(w.iter().all(|d| *d <= secs(60.0)));
}

#[test]
fn restart_starts_again_from_the_first_wait() {
    let mut s = Ladder::new(secs(2.0), secs(15.0), Box::new(0.0));
    s.next_wait();
    s.next_wait();
    s.restart();
    assert!(close(s.next_wait(), 2.0));
}

#[test]
fn equal_min_and_max_poll_every_interval() {
    let w = waits(5.0, 5.0, 0.0, 10);
    assert!(w.iter().all(|d| *d == secs(5.0)));
}

#[test]
fn a_very_long_run_never_overflows() {
    let mut s = Ladder::new(secs(0.001), secs(3600.0), Box::new(1.0));
    for _ in 0..100_000 {
        assert!(s.next_wait() <= secs(3600.0));
    }
}

/// When each poll of `schedule` comes, in seconds from the start of the wait (the first poll
/// after one wait), `n` of them.
fn times(mut schedule: Schedule, n: usize) -> Vec<f64> {
    let mut at = Duration::ZERO;
    (0..n)
        .map(|_| {
            at += schedule.next_wait(at);
            (at.as_secs_f64() * 1000.0).round() / 1000.0
        })
        .collect()
}

fn expectation(expected: f64, fastest: f64, slowest: f64, count: usize) -> Expectation {
    Expectation {
        expected: secs(expected),
        fastest: secs(fastest),
        slowest: secs(slowest),
        count,
    }
}

#[test]
fn a_learned_window_spans_the_fastest_to_the_slowest_widened_by_their_spread() {
    // Five from 100 s to 140 s: widened by 40 s / 4 on each side; polled every 0.2 × √60 s.
    let w = Window::learned(&expectation(120.0, 100.0, 140.0, 5));
    assert_eq!((w.from, w.to), (secs(90.0), secs(150.0)));
    assert!(close(w.every, 0.2 * 60f64.sqrt()), "{:?}", w.every);
}

#[test]
fn deployments_that_all_took_the_same_are_polled_every_second_two_seconds_either_side() {
    let w = Window::learned(&expectation(12.0, 12.0, 12.0, 5));
    assert_eq!(
        w,
        Window {
            from: secs(10.0),
            to: secs(14.0),
            every: DENSE,
            then: LATE_LONGEST,
        }
    );
    // The margin grows to a twentieth of a long deployment.
    let w = Window::learned(&expectation(600.0, 600.0, 600.0, 3));
    assert_eq!((w.from, w.to), (secs(570.0), secs(630.0)));
}

#[test]
fn a_learned_schedule_looks_early_once_then_sparsely_then_every_second_then_backs_off() {
    let schedule = Schedule::around(
        Window::learned(&expectation(12.0, 12.0, 12.0, 5)),
        Box::new(0.0),
    );
    assert_eq!(
        times(schedule, 12),
        // 2 s catches an immediate failure; 9.5 + 4.5 would pass the window's start: 10.
        [
            2.0, 5.0, 9.5, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.5, 18.75, 22.125
        ]
    );
}

#[test]
fn a_wait_before_the_window_never_reaches_past_its_start_whatever_the_jitter() {
    for jitter in [-1.0, 0.0, 1.0] {
        let window = Window::learned(&expectation(300.0, 250.0, 350.0, 10));
        let polls = times(Schedule::around(window, Box::new(jitter)), 200);
        let from = window.from.as_secs_f64();
        assert!(polls.contains(&from), "jitter {jitter}: {polls:?}");
        let before: Vec<_> = polls.iter().take_while(|t| **t < from).collect();
        // Sparse: waits of at most 30 s (the ladder's 1.5× growth, jitter capped).
        assert!(before.windows(2).all(|w| w[1] - w[0] <= 30.0), "{before:?}");
        assert!(
            before.len() < 16,
            "jitter {jitter}: {} polls before the window",
            before.len()
        );
        // Once past the window, the waits grow back to 15 s, never more.
        let after: Vec<_> = polls
            .iter()
            .filter(|t| **t > window.to.as_secs_f64())
            .collect();
        assert!(after.windows(2).all(|w| w[1] - w[0] <= 15.0 + 1e-9));
        assert!(after.windows(2).last().is_some_and(|w| w[1] - w[0] > 14.9));
    }
}

#[test]
fn the_check_of_the_app_looks_every_second_for_ten_seconds_then_backs_off_to_the_default() {
    let schedule = Schedule::around(Window::settling(), Box::new(0.0));
    assert_eq!(
        times(schedule, 16),
        [
            1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.5, 14.75, 18.125, 22.625,
            27.125
        ]
    );
}

#[test]
fn intervals_the_user_sets_are_kept_and_nothing_is_learned_then() {
    let learned = expectation(12.0, 12.0, 12.0, 5);
    let settings = settings_with(&[("NODION_POLL_INTERVAL", "3s")]);
    let schedule = Schedule::for_deployment(&settings, Some(&learned), Box::new(0.0));
    assert_eq!(times(schedule, 4), [3.0, 7.5, 12.0, 16.5]);
    let settings = settings_with(&[("NODION_MAX_POLL_INTERVAL", "2s")]);
    let schedule = Schedule::for_check(&settings, Box::new(0.0));
    assert_eq!(times(schedule, 3), [2.0, 4.0, 6.0]);
}

#[test]
fn without_history_or_with_it_unset_the_defaults_are_two_seconds_growing_to_four_and_a_half() {
    let settings = settings_with(&[]);
    assert!(!settings.intervals_set);
    let schedule = Schedule::for_deployment(&settings, None, Box::new(0.0));
    assert_eq!(times(schedule, 6), [2.0, 5.0, 9.5, 14.0, 18.5, 23.0]);
    let learned = expectation(12.0, 12.0, 12.0, 5);
    let schedule = Schedule::for_deployment(&settings, Some(&learned), Box::new(0.0));
    assert_eq!(times(schedule, 4), [2.0, 5.0, 9.5, 10.0]);
}

/// A past deployment of `status`, created at `created` and last updated at `updated` (RFC 3339;
/// `None`: not shown).
fn past(n: u64, status: &str, created: Option<&str>, updated: Option<&str>) -> Deployment {
    Deployment {
        deploy_number: Some(n),
        status: Some(status.into()),
        created_at: created.map(str::to_string),
        updated_at: updated.map(str::to_string),
        ..Deployment::default()
    }
}

/// Acceptance (issue 20): timestamps that say nothing usable (missing, unparsable, negative, in the
/// future of the run's clock) leave the default schedule, on a fake clock; three usable ones among
/// them are learned from.
#[test]
fn unusable_timestamps_fall_back_to_the_default_schedule() {
    use crate::clock::{Clock, tests::FakeClock};
    let clock = FakeClock::at(std::time::Instant::now());
    // The fake clock's date is 2026-01-01T00:00:00Z.
    let (t, t12) = ("2025-12-31T23:00:00.000Z", "2025-12-31T23:00:12.000+00:00");
    let unusable = vec![
        past(9, "available", None, Some(t12)),
        past(8, "available", Some(t), None),
        past(7, "available", Some("an hour ago"), Some(t12)),
        past(6, "available", Some(t12), Some(t)),
        past(
            5,
            "available",
            Some("2026-01-01T00:00:00Z"),
            Some("2026-01-01T01:00:00+01:00"),
        ),
        past(
            4,
            "available",
            Some("2026-02-01T00:00:00Z"),
            Some("2026-02-01T00:00:12Z"),
        ),
        past(3, "failed", Some(t), Some(t12)),
        past(2, "available", Some(t), Some(t12)),
        past(1, "available", Some(t), Some(t12)),
    ];
    let success = ["available".to_string()];
    let settings = settings_with(&[]);
    let learned = crate::history::learn(&unusable, &success, clock.wall());
    assert_eq!(learned, None);
    let schedule = Schedule::for_deployment(&settings, learned.as_ref(), Box::new(0.0));
    assert_eq!(times(schedule, 5), [2.0, 5.0, 9.5, 14.0, 18.5]);
    // One more usable deployment makes three: then the window around 12 s.
    let mut three = unusable;
    three.push(past(10, "available", Some(t), Some(t12)));
    let learned = crate::history::learn(&three, &success, clock.wall()).expect("learned");
    assert_eq!((learned.expected, learned.count), (secs(12.0), 3));
    let schedule = Schedule::for_deployment(&settings, Some(&learned), Box::new(0.0));
    assert_eq!(times(schedule, 5), [2.0, 5.0, 9.5, 10.0, 11.0]);
}
