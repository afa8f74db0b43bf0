//! Timestamps and random identifiers in the shapes the real API uses.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Formats a time the way Nodion does: `2026-11-27T12:00:00.000+00:00`.
pub(crate) fn iso8601(t: SystemTime) -> String {
    // A clock before 1970 is not worth an error in a fake; it shows as the epoch.
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The wall-clock time at which `then` happened, given that `now` is happening right now.
pub(crate) fn wall_time_of(then: Instant, now: Instant) -> SystemTime {
    let wall = SystemTime::now();
    wall.checked_sub(now.saturating_duration_since(then))
        .unwrap_or(wall)
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A small splitmix64 generator: ids only need to look random and differ, not be secure.
pub(crate) struct Rng(u64);

impl Rng {
    /// Seeds from the clock and a process-wide counter so two fakes in one test run differ.
    pub(crate) fn new() -> Rng {
        static STARTED: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        Rng(nanos ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(std::process::id()))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A version-4 UUID string.
    pub(crate) fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 | ((b >> 62) & 3),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }

    /// A 40-character hex string shaped like a git commit sha.
    pub(crate) fn git_sha(&mut self) -> String {
        format!(
            "{:016x}{:016x}{:08x}",
            self.next(),
            self.next(),
            self.next() >> 32
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, millis: u64) -> String {
        iso8601(UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis))
    }

    #[test]
    fn timestamps_are_iso8601_with_offset() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000+00:00");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005+00:00");
        assert_eq!(at(1_796_212_800, 999), "2026-12-02T12:00:00.999+00:00");
        assert_eq!(at(1_798_761_599, 0), "2026-12-31T23:59:59.000+00:00");
    }

    #[test]
    fn ids_look_like_uuids_and_shas() {
        let mut rng = Rng::new();
        let id = rng.uuid();
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert_eq!(&id[14..15], "4");
        assert!("89ab".contains(&id[19..20]), "{id}");
        let sha = rng.git_sha();
        assert_eq!(sha.len(), 40);
        assert!(sha.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(rng.uuid(), id);
    }
}
