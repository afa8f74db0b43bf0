//! The API token: read from `api_token` or the file `api_token_file`, checked, and never shown.

use std::fmt;

use super::read::Reader;
use super::table::{API_TOKEN, API_TOKEN_FILE};
use crate::escape;
use crate::problem::shown;

/// The shortest token accepted.
pub const MIN_TOKEN: usize = 8;

/// The API token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A token from its text.
    pub fn new(text: impl Into<String>) -> Token {
        Token(text.into())
    }

    /// The token itself, for the `Authorization` header and masking only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Reads the token from exactly one of `api_token` and `api_token_file`, and checks it.
pub(super) fn read(r: &mut Reader) -> Option<Token> {
    let (variable, text) = match (r.raw(&API_TOKEN), r.raw(&API_TOKEN_FILE)) {
        (Some(direct), Some(file)) => {
            r.problem(
                &format!("{} and {}", direct.name, file.name),
                "set either the token or the token file, not both",
            );
            return None;
        }
        (Some(direct), None) => (direct.name, direct.value),
        (None, Some(file)) => match std::fs::read_to_string(&file.value) {
            Ok(text) if text.trim().is_empty() => {
                r.problem(
                    &file.name,
                    format!("the token file {} is empty", shown(&file.value)),
                );
                return None;
            }
            Ok(text) => (file.name, text.trim().to_string()),
            Err(e) => {
                r.problem(
                    &file.name,
                    format!("cannot read the token file {}: {e}", shown(&file.value)),
                );
                return None;
            }
        },
        (None, None) => {
            let message = format!(
                "the Nodion API token is required (or {})",
                r.name(&API_TOKEN_FILE)
            );
            r.problem(&r.name(&API_TOKEN), message);
            return None;
        }
    };
    checked(text)
        .map_err(|message| r.problem(&variable, message))
        .ok()
}

/// The token, if it could be a real one; the message never echoes any part of it, because a
/// problem may end up in a public log.
fn checked(text: String) -> Result<Token, String> {
    if text.len() < MIN_TOKEN {
        // No real API key is this short; refusing it also keeps redaction meaningful.
        Err(format!("the token is shorter than {MIN_TOKEN} characters"))
    } else if text
        .chars()
        .any(|c| c.is_whitespace() || escape::is_control(c))
    {
        Err("the token contains whitespace or control characters".to_string())
    } else {
        Ok(Token(text))
    }
}

#[cfg(test)]
mod tests {
    use crate::inputs::Settings;
    use crate::inputs::tests::{env, problems};

    #[test]
    fn the_token_never_appears_in_a_problem() {
        let found = problems(&[
            ("NODION_API_TOKEN", "secret value"),
            ("NODION_API_TOKEN_FILE", ""),
        ]);
        assert_eq!(found.len(), 1);
        assert!(!found[0].to_string().contains("secret"), "{}", found[0]);
    }

    #[test]
    fn a_token_too_short_to_be_real_is_refused() {
        let found = problems(&[("NODION_API_TOKEN", "abc")]);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("shorter than 8"), "{}", found[0]);
        assert!(!found[0].to_string().contains("abc"));
    }

    #[test]
    fn an_empty_token_file_is_called_empty() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), " \n").unwrap();
        let path = file.path().to_str().unwrap();
        let e = env(&[
            ("INPUT_API_TOKEN_FILE", path),
            ("NODION_APPLICATION_ID", "app"),
        ]);
        let found = Settings::from_env(&e).unwrap_err();
        let named: Vec<String> = found.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            named,
            [format!("api_token_file: the token file '{path}' is empty")]
        );
    }

    #[test]
    fn the_token_can_come_from_a_file() {
        let dir = std::env::temp_dir().join(format!("nodion-token-{}", std::process::id()));
        std::fs::write(&dir, "  file-token\n").unwrap();
        let e = env(&[
            ("NODION_API_TOKEN_FILE", dir.to_str().unwrap()),
            ("NODION_APPLICATION_ID", "app"),
        ]);
        let s = Settings::from_env(&e).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(s.token.expose(), "file-token");
    }
}
