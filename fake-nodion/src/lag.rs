//! A list that lags behind the trigger: a new deployment is missing from the next few List
//! answers after it was created, as an eventually consistent API may leave it out.

use std::collections::{HashMap, HashSet};

/// Which deployments the next List answers leave out.
#[derive(Default)]
pub(crate) struct Lag {
    /// How many List answers leave out a deployment created from now on.
    answers: u32,
    /// Every deployment number already taken into account.
    known: HashSet<u64>,
    /// The deployments left out, and how many more answers leave them out.
    missing: HashMap<u64, u32>,
}

impl Lag {
    /// Deployments created from now on are missing from the next `answers` List answers; those
    /// in `existing` are not.
    pub fn set(&mut self, answers: u32, existing: impl Iterator<Item = u64>) {
        self.answers = answers;
        self.known.extend(existing);
    }

    /// The deployments one List answer over `numbers` leaves out; counts the answer.
    pub fn answer(&mut self, numbers: impl Iterator<Item = u64>) -> HashSet<u64> {
        if self.answers == 0 && self.missing.is_empty() {
            return HashSet::new();
        }
        for number in numbers {
            if self.known.insert(number) && self.answers > 0 {
                self.missing.insert(number, self.answers);
            }
        }
        let left_out = self.missing.keys().copied().collect();
        self.missing.retain(|_, left| {
            *left -= 1;
            *left > 0
        });
        left_out
    }
}
