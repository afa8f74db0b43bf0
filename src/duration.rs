//! Durations in words, the one way every message, log line and summary says them.

use std::time::Duration;

/// How finely a duration is said. What is finer is dropped, not rounded: `1.9s` in whole seconds
/// is `1s`, as the `elapsed_seconds` output counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Whole seconds, humanly (`1m 30s`): the time a run took, the timeline, the log's stamps.
    Seconds,
    /// Whole milliseconds, humanly (`1s 500ms`): a timeout that cut a request short, a retry's wait.
    Millis,
    /// Whole milliseconds as a number (`1500 ms`): a request's latency in the debug log.
    MillisCount,
    /// As given, to the nanosecond (`1m 30s`, `1ms 500us`): a value the user set.
    Exact,
}

/// `duration` in words, to `precision`.
pub fn text(duration: Duration, precision: Precision) -> String {
    let kept = match precision {
        Precision::Seconds => Duration::from_secs(duration.as_secs()),
        Precision::Millis => Duration::from_millis(whole_millis(duration)),
        Precision::MillisCount => return format!("{} ms", duration.as_millis()),
        Precision::Exact => duration,
    };
    humantime::format_duration(kept).to_string()
}

/// Whole milliseconds, at most `u64::MAX` of them (half a billion years).
fn whole_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_precision_drops_what_is_finer_and_never_rounds() {
        let d = Duration::from_micros(90_999_999);
        assert_eq!(text(d, Precision::Seconds), "1m 30s");
        assert_eq!(text(d, Precision::Millis), "1m 30s 999ms");
        assert_eq!(text(d, Precision::MillisCount), "90999 ms");
        assert_eq!(text(d, Precision::Exact), "1m 30s 999ms 999us");
        assert_eq!(text(Duration::ZERO, Precision::Seconds), "0s");
        assert_eq!(text(Duration::from_millis(800), Precision::Millis), "800ms");
    }
}
