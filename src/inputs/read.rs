//! Reading one input: `INPUT_<NAME>` before `NODION_<NAME>`, trimmed, empty as unset, its table
//! default when unset, and a refused value kept as a problem so that every problem is reported.
//! Every input is named the way the user set it ([`Names`]).

use super::table::{INPUTS, Input};
use crate::env::Env;
use crate::problem::Problem;

/// How each input was set, so that every message names it the way the user did (SPEC §2): the
/// action's input (`api_token`) when its value came from `INPUT_API_TOKEN`, the variable
/// (`NODION_API_TOKEN`) when it came from there. An input set neither way is named as the action's
/// input under the action (which passes every input, set or not, as `INPUT_*`), else as its
/// `NODION_*` variable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// The inputs named as the action's inputs; every other one by its `NODION_*` variable.
    action: Vec<&'static str>,
}

impl Names {
    /// What every message calls `input`: `api_token` or `NODION_API_TOKEN`.
    pub fn name(&self, input: &Input) -> String {
        if self.action.contains(&input.name) {
            input.name.to_string()
        } else {
            input.variable()
        }
    }
}

/// A value as set, and what the user calls its input.
pub(super) struct Raw {
    /// The input's name as the user set it ([`Names::name`]).
    pub name: String,
    /// The value, trimmed and not empty.
    pub value: String,
}

/// One input as read.
pub(super) struct Field<T> {
    /// What a problem with this input names ([`Names::name`]).
    pub variable: String,
    /// Whether one of its variables was set.
    pub set: bool,
    /// The parsed value or default; `None` when unset without a default, or refused.
    pub value: Option<T>,
}

/// One input's two variables, each trimmed, as read once.
struct Read {
    input: &'static str,
    /// `INPUT_<NAME>`, if present (even empty).
    action: Option<String>,
    /// `NODION_<NAME>`, if present.
    variable: Option<String>,
}

impl Read {
    /// The value set, and whether it came from the action.
    fn value(&self) -> Option<(bool, &str)> {
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|v| !v.is_empty())
        }
        set(&self.action)
            .map(|v| (true, v))
            .or_else(|| set(&self.variable).map(|v| (false, v)))
    }
}

/// Reads inputs, collecting problems instead of stopping at the first.
pub(super) struct Reader {
    read: Vec<Read>,
    names: Names,
    problems: Vec<Problem>,
}

impl Reader {
    /// A reader with no problems yet, over every input's variables read once from `env`.
    pub fn new(env: &dyn Env) -> Reader {
        let trimmed = |name: &str| env.var(name).map(|v| v.trim().to_string());
        let read: Vec<Read> = INPUTS
            .iter()
            .map(|input| {
                let [action, variable] = input.variables();
                Read {
                    input: input.name,
                    action: trimmed(&action),
                    variable: trimmed(&variable),
                }
            })
            .collect();
        // The action passes every input, set or not: any `INPUT_*` of ours, even empty, means
        // the user writes the inputs under the action's `with:`.
        let under_action = read.iter().any(|r| r.action.is_some());
        let action = read
            .iter()
            .filter(|r| r.value().map_or(under_action, |(action, _)| action))
            .map(|r| r.input)
            .collect();
        Reader {
            read,
            names: Names { action },
            problems: Vec::new(),
        }
    }

    /// How each input is named.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// What messages call `input`.
    pub fn name(&self, input: &Input) -> String {
        self.names.name(input)
    }

    /// The input's value as set, if it is.
    pub fn raw(&self, input: &Input) -> Option<Raw> {
        let read = self.read.iter().find(|r| r.input == input.name)?;
        read.value().map(|(_, value)| Raw {
            name: self.name(input),
            value: value.to_string(),
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
        let raw = self.raw(input);
        let set = raw.is_some();
        let text = match raw {
            Some(raw) => Some(raw.value),
            None => input.default_value().map(str::to_string),
        };
        let variable = self.name(input);
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

#[cfg(test)]
mod tests {
    use crate::inputs::tests::env;
    use crate::inputs::{API_URL, APPLICATION_ID, Settings, TIMEOUT};

    /// What messages call timeout, api_url and application_id in `vars`, with a valid token.
    fn named(vars: &[(&str, &str)]) -> [String; 3] {
        let mut e = env(vars);
        e.insert("NODION_API_TOKEN".into(), "token-123".into());
        let names = Settings::from_env(&e).expect("valid").names;
        [TIMEOUT, API_URL, APPLICATION_ID].map(|input| names.name(&input))
    }

    #[test]
    fn an_input_is_named_the_way_its_value_was_set() {
        // From the action: its input; from a variable: that variable.
        assert_eq!(
            named(&[("INPUT_TIMEOUT", "1m"), ("NODION_APPLICATION_ID", "a")]),
            ["timeout", "api_url", "NODION_APPLICATION_ID"]
        );
        // An empty INPUT_ (the action passes every input) leaves it to the NODION_ variable.
        assert_eq!(
            named(&[
                ("INPUT_APPLICATION_ID", " "),
                ("NODION_APPLICATION_ID", "a")
            ]),
            ["timeout", "api_url", "NODION_APPLICATION_ID"]
        );
    }

    #[test]
    fn an_unset_input_is_the_actions_under_the_action_and_else_the_variable() {
        assert_eq!(
            named(&[("INPUT_APPLICATION_ID", "a"), ("INPUT_TIMEOUT", "")]),
            ["timeout", "api_url", "application_id"]
        );
        assert_eq!(
            named(&[("NODION_APPLICATION_ID", "a")]),
            ["NODION_TIMEOUT", "NODION_API_URL", "NODION_APPLICATION_ID"]
        );
    }

    #[test]
    fn a_missing_input_under_the_action_is_its_input() {
        let e = env(&[
            ("INPUT_API_TOKEN", "token-123"),
            ("INPUT_APPLICATION_ID", ""),
        ]);
        let found = Settings::from_env(&e).unwrap_err();
        let said: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(said, ["application_id: the application id is required"]);
        let found = Settings::from_env(&env(&[("NODION_APPLICATION_ID", "a")])).unwrap_err();
        let said: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            ["NODION_API_TOKEN: the Nodion API token is required (or NODION_API_TOKEN_FILE)"]
        );
    }
}
