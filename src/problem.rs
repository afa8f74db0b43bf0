//! What is wrong with the inputs: each problem names the one variable to fix, and a run they stop
//! says so in one line. The inputs and the check of the output files raise them and the outputs
//! write them (GitHub's step summary), so they live below all three.

use std::fmt;

use crate::escape;

/// One thing wrong with the inputs, naming the input to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The input (or inputs) to fix, named as the user set them ([`crate::inputs::Names`]), or the
    /// platform's variable (`GITHUB_OUTPUT`).
    pub variable: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// How a value is shown in a problem: trimmed of control characters and bounded.
pub fn shown(value: &str) -> String {
    format!("'{}'", escape::bounded(&escape::one_line(value), 80))
}

/// The one-line reason a run with these input problems stopped, naming each input once:
/// `invalid inputs (NODION_APPLICATION_ID, NODION_TIMEOUT); nothing was sent`.
pub fn refusal(problems: &[Problem]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for problem in problems {
        if !names.contains(&problem.variable.as_str()) {
            names.push(&problem.variable);
        }
    }
    format!("invalid inputs ({}); nothing was sent", names.join(", "))
}
