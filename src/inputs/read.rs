//! Reading one input: `INPUT_<NAME>` before `NODION_<NAME>`, trimmed, empty as unset, its table
//! default when unset, and a refused value kept as a problem so that every problem is reported.

use super::Problem;
use super::table::Input;
use crate::env::Env;

/// A value as set, and the variable it came from.
pub(super) struct Raw {
    /// The variable that held it.
    pub variable: String,
    /// The value, trimmed and not empty.
    pub value: String,
}

/// One input as read.
pub(super) struct Field<T> {
    /// The variable a problem with this input names: the one set, or both when unset.
    pub variable: String,
    /// Whether one of its variables was set.
    pub set: bool,
    /// The parsed value or default; `None` when unset without a default, or refused.
    pub value: Option<T>,
}

/// Reads inputs, collecting problems instead of stopping at the first.
pub(super) struct Reader<'a> {
    env: &'a dyn Env,
    problems: Vec<Problem>,
}

/// The variable a problem with an unset input names: the one a pipeline most likely sets.
pub(super) fn unset_name(input: &Input) -> String {
    let [action, env] = input.variables();
    format!("{env} (or {action})")
}

/// An input as a message names it to the user who set it (SPEC §2): the action's input
/// (`the verify_url input`) when it came from `INPUT_*`, else the variable (`NODION_VERIFY_URL`).
pub(super) fn as_set(input: &Input, variable: &str) -> String {
    match variable.starts_with("INPUT_") {
        true => format!("the {} input", input.name),
        false => variable.to_string(),
    }
}

impl<'a> Reader<'a> {
    /// A reader with no problems yet.
    pub fn new(env: &'a dyn Env) -> Reader<'a> {
        Reader {
            env,
            problems: Vec::new(),
        }
    }

    /// The input's value as set, if it is.
    pub fn raw(&self, input: &Input) -> Option<Raw> {
        input.variables().into_iter().find_map(|variable| {
            let value = self.env.var(&variable)?.trim().to_string();
            (!value.is_empty()).then_some(Raw { variable, value })
        })
    }

    /// Records a problem with `variable`.
    pub fn problem(&mut self, variable: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            variable: variable.to_string(),
            message: message.into(),
        });
    }

    /// The value, or the table's default, parsed by `parse`; a parse failure is a problem.
    pub fn read<T>(
        &mut self,
        input: &Input,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Field<T> {
        let (variable, set, text) = match self.raw(input) {
            Some(raw) => (raw.variable, true, Some(raw.value)),
            None => (
                unset_name(input),
                false,
                input.default_value().map(str::to_string),
            ),
        };
        let value = text.and_then(|text| match parse(&text) {
            Ok(v) => Some(v),
            Err(message) => {
                self.problem(&variable, message);
                None
            }
        });
        Field {
            variable,
            set,
            value,
        }
    }

    /// Every problem found, in the order found.
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }
}
