//! What the application's own past deployments say about how long this one will take.
//!
//! The expectation is the median of what its last successful deployments took, from `created_at`
//! to `updated_at` as the list says. The API's timestamps are not ours to trust: a deployment
//! whose timestamps are missing, do not parse, or give a duration that cannot be real is left out,
//! never the run.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::duration::{self, Precision};
use crate::model::Deployment;

/// What the app's recent successful deployments took.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// The median of their durations (`updated_at − created_at`): the expected duration E.
    pub expected: Duration,
    /// The shortest of them.
    pub fastest: Duration,
    /// The longest of them.
    pub slowest: Duration,
    /// How many deployments it is learned from ([`MIN_DEPLOYMENTS`] to [`MAX_DEPLOYMENTS`]).
    pub count: usize,
}

/// Fewer usable deployments than this say too little to expect anything.
pub const MIN_DEPLOYMENTS: usize = 3;
/// At most this many, the latest: older ones describe an application that may have changed since.
pub const MAX_DEPLOYMENTS: usize = 10;
/// How far past "now" a timestamp may be: the API's clock and ours disagree a little.
pub const CLOCK_GRACE: Duration = Duration::from_secs(60);
/// A deployment that took longer than this did not end then: its `updated_at` is a later change.
pub const LONGEST: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Learns from `list` (any order) the durations of up to the last [`MAX_DEPLOYMENTS`] deployments
/// (highest `deploy_number` first) whose status is one of `success` and whose timestamps are
/// usable; `None` with fewer than [`MIN_DEPLOYMENTS`].
pub fn learn(list: &[Deployment], success: &[String], now: SystemTime) -> Option<Expectation> {
    let good = |d: &&Deployment| d.status_key().is_some_and(|s| success.contains(&s));
    let mut recent: Vec<(u64, Duration)> = list
        .iter()
        .filter(good)
        .filter_map(|d| Some((d.deploy_number?, took(d, now)?)))
        .collect();
    // Stable: of one number listed twice, the first listed is kept.
    recent.sort_by_key(|&(number, _)| std::cmp::Reverse(number));
    recent.dedup_by_key(|&mut (number, _)| number);
    recent.truncate(MAX_DEPLOYMENTS);
    if recent.len() < MIN_DEPLOYMENTS {
        return None;
    }
    let mut durations: Vec<Duration> = recent.into_iter().map(|(_, took)| took).collect();
    durations.sort_unstable();
    Some(Expectation {
        expected: median(&durations),
        fastest: durations[0],
        slowest: durations[durations.len() - 1],
        count: durations.len(),
    })
}

impl Expectation {
    /// The log's line: `Expecting about 2m 10s (median of the last 7 deployments)`.
    pub fn describe(&self) -> String {
        format!(
            "Expecting about {} (median of the last {} deployments)",
            duration::text(self.expected, Precision::Seconds),
            self.count
        )
    }
}

/// The middle of `sorted` (not empty); of an even count, the mean of the two middle ones, so that
/// neither half pulls the expectation its way.
fn median(sorted: &[Duration]) -> Duration {
    let middle = sorted.len() / 2;
    match sorted.len() % 2 {
        1 => sorted[middle],
        // No overflow: each is at most LONGEST.
        _ => (sorted[middle - 1] + sorted[middle]) / 2,
    }
}

/// What `deployment` took, `updated_at − created_at`, when both timestamps parse, the duration is
/// positive (equal timestamps mean it never changed after it was created) and at most [`LONGEST`],
/// and neither is later than `now` plus [`CLOCK_GRACE`].
fn took(deployment: &Deployment, now: SystemTime) -> Option<Duration> {
    let created = timestamp(deployment.created_at.as_deref()?)?;
    let updated = timestamp(deployment.updated_at.as_deref()?)?;
    // An error: `updated_at` is before `created_at`.
    let took = updated.duration_since(created).ok()?;
    let latest = now.checked_add(CLOCK_GRACE).unwrap_or(now);
    // `created_at`, earlier than `updated_at`, is not in the future either.
    let usable = !took.is_zero() && took <= LONGEST && updated <= latest;
    usable.then_some(took)
}

/// An RFC 3339 timestamp with any offset (`2023-04-25T08:58:59.771+02:00`, `…Z`), as a time;
/// `None` when it does not parse or the platform's clock cannot hold it (before 1601 on Windows),
/// where chrono's own `SystemTime::from` would panic.
fn timestamp(text: &str) -> Option<SystemTime> {
    let parsed = chrono::DateTime::parse_from_rfc3339(text.trim()).ok()?;
    let since_epoch = parsed.signed_duration_since(chrono::DateTime::UNIX_EPOCH);
    match since_epoch.to_std() {
        Ok(after) => UNIX_EPOCH.checked_add(after),
        Err(_) => UNIX_EPOCH.checked_sub(since_epoch.abs().to_std().ok()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every test's "now": the end of the day all the timestamps below are on.
    fn now() -> SystemTime {
        timestamp("2023-04-26T00:00:00Z").unwrap()
    }

    /// `secs` after the start of 2023-04-25 (less than a day), as the API writes it, in UTC.
    fn at(secs: u64) -> String {
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        format!("2023-04-25T{h:02}:{m:02}:{s:02}.000Z")
    }

    fn deployment(number: u64, status: &str, created_at: &str, updated_at: &str) -> Deployment {
        Deployment {
            deploy_number: Some(number),
            status: Some(status.into()),
            created_at: Some(created_at.into()),
            updated_at: Some(updated_at.into()),
            ..Deployment::default()
        }
    }

    /// Deployment `number`, `available`, created at `number` × 10 min and taking `secs`.
    fn took_secs(number: u64, secs: u64) -> Deployment {
        let created = number * 600;
        deployment(number, "available", &at(created), &at(created + secs))
    }

    fn success() -> Vec<String> {
        vec!["available".into()]
    }

    fn learned(list: &[Deployment]) -> Option<Expectation> {
        learn(list, &success(), now())
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_expected_duration_is_the_median_with_the_fastest_and_the_slowest() {
        let list = [took_secs(1, 90), took_secs(2, 300), took_secs(3, 120)];
        let expected = Expectation {
            expected: secs(120),
            fastest: secs(90),
            slowest: secs(300),
            count: 3,
        };
        assert_eq!(learned(&list), Some(expected));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_two_middle_ones() {
        let list = [
            took_secs(1, 60),
            took_secs(2, 100),
            took_secs(3, 131),
            took_secs(4, 600),
        ];
        let learned = learned(&list).unwrap();
        assert_eq!(learned.expected, Duration::from_millis(115_500));
        assert_eq!((learned.fastest, learned.slowest), (secs(60), secs(600)));
        assert_eq!(learned.count, 4);
    }

    #[test]
    fn only_deployments_with_a_success_status_count() {
        let mut list = vec![took_secs(1, 100), took_secs(2, 200), took_secs(3, 300)];
        list[1].status = Some(" Available ".into());
        for (number, status) in [(4, "failed"), (5, "created"), (6, "deploying")] {
            list.push(deployment(
                number,
                status,
                &at(number * 600),
                &at(number * 600 + 5),
            ));
        }
        list.push(Deployment {
            status: None,
            ..took_secs(7, 5)
        });
        let learned = learned(&list).unwrap();
        assert_eq!((learned.expected, learned.count), (secs(200), 3));
        let live = ["live".to_string()];
        assert_eq!(learn(&list, &live, now()), None);
    }

    #[test]
    fn the_last_ten_are_learned_from_highest_number_first_in_any_order() {
        // 1 to 12 take 1 to 12 minutes, listed oldest first; 12 is listed twice.
        let mut list: Vec<Deployment> = (1..=12).map(|n| took_secs(n, n * 60)).collect();
        list.push(took_secs(12, 1));
        list.push(Deployment {
            deploy_number: None,
            ..took_secs(13, 1)
        });
        let newest = learned(&list).unwrap();
        assert_eq!(newest.count, MAX_DEPLOYMENTS);
        // 3 to 12: the mean of 7 and 8 minutes.
        assert_eq!(newest.expected, secs(450));
        assert_eq!((newest.fastest, newest.slowest), (secs(180), secs(720)));
        // Of a number listed twice, the first listed counts.
        list.reverse();
        assert_eq!(learned(&list).unwrap().fastest, secs(1));
    }

    #[test]
    fn fewer_than_three_usable_deployments_teach_nothing() {
        assert_eq!(learned(&[]), None);
        let two = [took_secs(1, 60), took_secs(2, 60)];
        assert_eq!(learned(&two), None);
        let mut three = two.to_vec();
        three.push(deployment(3, "available", &at(1800), &at(1800)));
        assert_eq!(learned(&three), None);
        three[2] = took_secs(3, 60);
        assert_eq!(learned(&three).map(|e| e.count), Some(MIN_DEPLOYMENTS));
    }

    #[test]
    fn each_unusable_deployment_is_left_out_and_the_rest_learned() {
        let a_week_before = "2023-04-17T23:59:59.000Z";
        let unusable = [
            (
                "no created_at",
                Deployment {
                    created_at: None,
                    ..took_secs(4, 1)
                },
            ),
            (
                "no updated_at",
                Deployment {
                    updated_at: None,
                    ..took_secs(5, 1)
                },
            ),
            (
                "unparsable",
                deployment(6, "available", "yesterday", &at(3600)),
            ),
            (
                "no offset",
                deployment(7, "available", "2023-04-25T01:00:00", &at(3601)),
            ),
            ("negative", deployment(8, "available", &at(5000), &at(4999))),
            ("zero", deployment(9, "available", &at(5400), &at(5400))),
            (
                "future",
                deployment(10, "available", &at(6000), "2023-04-26T00:01:01Z"),
            ),
            (
                "too long",
                deployment(11, "available", a_week_before, &at(6600)),
            ),
            (
                "year 1",
                deployment(12, "available", "0001-01-01T00:00:00Z", &at(7200)),
            ),
        ];
        let usable = [took_secs(1, 100), took_secs(2, 200), took_secs(3, 300)];
        for (why, entry) in unusable {
            let mut list = usable.to_vec();
            list.push(entry);
            let learned = learned(&list).expect(why);
            assert_eq!((learned.expected, learned.count), (secs(200), 3), "{why}");
        }
    }

    #[test]
    fn a_minute_of_clock_disagreement_and_a_week_are_still_usable() {
        let list = [
            deployment(1, "available", &at(86_000), "2023-04-26T00:01:00.000Z"),
            deployment(
                2,
                "available",
                "2023-04-18T00:00:00Z",
                "2023-04-25T00:00:00Z",
            ),
            took_secs(3, 1),
        ];
        let learned = learned(&list).unwrap();
        assert_eq!(learned.count, 3);
        assert_eq!(learned.expected, secs(460));
        assert_eq!(learned.slowest, LONGEST);
    }

    #[test]
    fn timestamps_with_different_offsets_compare_as_instants() {
        let created = "2023-04-25T08:58:59.771+02:00";
        let list = [
            deployment(1, "available", created, "2023-04-25T07:01:09.771Z"),
            deployment(2, "available", created, "2023-04-25T09:01:09.771+02:00"),
            deployment(3, "available", created, "2023-04-25T01:01:09.771-06:00"),
        ];
        let learned = learned(&list).unwrap();
        assert_eq!((learned.fastest, learned.slowest), (secs(130), secs(130)));
    }

    #[test]
    fn describe_says_the_median_in_whole_seconds_and_the_count() {
        let list: Vec<Deployment> = [100, 125, 129, 130, 131, 200, 300]
            .into_iter()
            .zip(1..)
            .map(|(s, n)| took_secs(n, s))
            .collect();
        assert_eq!(
            learned(&list).unwrap().describe(),
            "Expecting about 2m 10s (median of the last 7 deployments)"
        );
        let expectation = Expectation {
            expected: Duration::from_millis(59_999),
            fastest: secs(1),
            slowest: secs(90),
            count: 3,
        };
        assert_eq!(
            expectation.describe(),
            "Expecting about 59s (median of the last 3 deployments)"
        );
    }
}
