//! Where inputs come from: the process environment, or a map in tests and the demo.

use std::collections::HashMap;

/// Where variables come from: the process, or a map in tests and the demo.
pub trait Env {
    /// The variable's value, if set.
    fn var(&self, name: &str) -> Option<String>;

    /// The name of every variable set (for the warning about misspelt ones).
    fn names(&self) -> Vec<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }

    fn names(&self) -> Vec<String> {
        std::env::vars_os()
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect()
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }

    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}
