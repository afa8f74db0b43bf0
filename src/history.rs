//! PLACEHOLDER (replaced by the i20-hist branch at merge): what the app's past deployments say.

use std::time::{Duration, SystemTime};

use crate::model::Deployment;

/// What the app's recent successful deployments took.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// The median of their durations.
    pub expected: Duration,
    /// The shortest of them.
    pub fastest: Duration,
    /// The longest of them.
    pub slowest: Duration,
    /// How many deployments it is learned from.
    pub count: usize,
}

/// Placeholder.
pub const MIN_DEPLOYMENTS: usize = 3;

/// Placeholder.
pub fn learn(_list: &[Deployment], _success: &[String], _now: SystemTime) -> Option<Expectation> {
    None
}

impl Expectation {
    /// Placeholder.
    pub fn describe(&self) -> String {
        format!(
            "Expecting about {:?} (median of the last {} deployments)",
            self.expected, self.count
        )
    }
}
