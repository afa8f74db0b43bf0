//! Every rule for untrusted text (everything the API sends): made safe to print, to store in an
//! output or to pass in a CI command, and the one `redact` that keeps the token out of all of it.

/// `text` with every occurrence of `secret` replaced by `***`. An empty secret redacts nothing (an
/// empty pattern would match between every character); a real token is at least 8 characters.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_string();
    }
    text.replace(secret, "***")
}

/// Whether `c` is a control character: C0 (including ESC, CR, LF, TAB), DEL or C1.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// One line of text with every control character removed: no terminal escape, no GitLab section
/// marker and no line break can come through. Line breaks and tabs become spaces so words stay apart.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\n' | '\r' | '\t') {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !is_control(c) {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// A whole log line made safe: control characters removed (line breaks become spaces), leading
/// indentation kept; with `github`, nothing in it can act as a workflow command — no `::` at its
/// start once left-trimmed, no `##[` anywhere.
pub fn log_line(text: &str, github: bool) -> String {
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\n' | '\r' | '\t') {
            line.push(' ');
        } else if !is_control(c) {
            line.push(c);
        }
    }
    if github {
        while line.contains("##[") {
            line = line.replace("##[", "## [");
        }
        let indent = line.len() - line.trim_start().len();
        if line[indent..].starts_with("::") {
            line.insert(indent + 1, ' ');
        }
    }
    line
}

/// A log line that Azure Pipelines cannot take for a logging command (`##vso[`) or a formatting
/// command (`##[`), wherever in the line it stands.
pub fn azure_inert(line: &str) -> String {
    let mut line = line.to_string();
    for command in ["##vso[", "##["] {
        while let Some(at) = line.to_ascii_lowercase().find(command) {
            line.insert(at + 2, ' ');
        }
    }
    line
}

/// Escapes Azure logging-command data (`%`, CR, LF), per the agent's rules.
pub fn azure_data(text: &str) -> String {
    text.replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes an Azure logging-command property value (also `;` and `]`).
pub fn azure_property(text: &str) -> String {
    azure_data(text).replace(';', "%3B").replace(']', "%5D")
}

/// Escapes GitHub workflow-command data (`%`, CR, LF), per the Actions runner's rules.
pub fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a GitHub workflow-command property value (also `:` and `,`).
pub fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Compact JSON text in which no CI can see a command: every `[` that follows `##` or `##vso`
/// (any case) becomes the escape `\u005b`. Such a `[` can only stand inside a string (a JSON array
/// never follows `#`), so the text decodes to the same value.
pub fn json_inert(json: &str) -> String {
    let ends_with = |out: &str, tail: &str| {
        let bytes = out.as_bytes();
        bytes.len() >= tail.len()
            && bytes[bytes.len() - tail.len()..].eq_ignore_ascii_case(tail.as_bytes())
    };
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c == '[' && (ends_with(&out, "##") || ends_with(&out, "##vso")) {
            out.push_str("\\u005b");
        } else {
            out.push(c);
        }
    }
    out
}

/// Multi-line text (a commit message in an output) with line breaks normalised to `\n` and every
/// other control character but tab removed.
pub fn multi_line(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars()
        .filter(|&c| c == '\n' || c == '\t' || !is_control(c))
        .collect()
}

/// One line of text for Markdown (a GitHub step summary): every ASCII punctuation character is
/// backslash-escaped, so API text cannot add a link, an image, HTML or a table cell.
pub fn markdown(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// At most `max` bytes, cut at a character boundary, with `…` marking a cut.
pub fn bounded_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// At most `max` characters, with `…` marking a cut.
pub fn bounded(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// API text as shown inside a log line: one line, bounded (the log itself removes control
/// characters and anything GitHub could take for a command).
pub fn shown(text: &str) -> String {
    bounded(&one_line(text), 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_replaces_every_occurrence_and_an_empty_secret_nothing() {
        assert_eq!(
            redact("a tok-12345 b tok-12345", "tok-12345"),
            "a *** b ***"
        );
        assert_eq!(redact("abc", ""), "abc");
    }

    #[test]
    fn one_line_removes_escapes_and_line_breaks() {
        let hostile =
            "a\u{1b}]0;title\u{7}b\r\nc\u{1b}[0Ksection_start:1:x\r\u{1b}[0Kd\u{9b}31m\u{7f}";
        let clean = one_line(hostile);
        assert!(!clean.chars().any(is_control), "{clean:?}");
        assert_eq!(clean, "a]0;titleb c[0Ksection_start:1:x [0Kd31m");
    }

    #[test]
    fn a_github_log_line_cannot_start_or_embed_a_workflow_command() {
        for text in [
            "::error::boom",
            "  ::add-mask::x",
            "\n::set-output name=a::b",
            "\t\r::warning::w",
            "x ##[set-output name=a;]b",
            "###[x] ##[[y]",
        ] {
            let line = log_line(text, true);
            assert!(!line.trim_start().starts_with("::"), "{line:?}");
            assert!(!line.contains("##["), "{line:?}");
            assert!(!line.chars().any(is_control), "{line:?}");
        }
    }

    #[test]
    fn an_azure_line_cannot_hold_a_logging_command() {
        for text in [
            "x ##vso[task.setvariable variable=a]b",
            "##VSO[task.complete]",
            "##[group]g",
        ] {
            let line = azure_inert(text);
            assert!(!line.to_ascii_lowercase().contains("##vso["), "{line}");
            assert!(!line.contains("##["), "{line}");
        }
    }

    #[test]
    fn a_log_line_keeps_its_indentation_and_loses_its_escapes() {
        assert_eq!(log_line("   x\u{1b}[1m\u{9b}y", false), "   x[1my");
        assert_eq!(log_line("a ##[b", false), "a ##[b");
    }

    #[test]
    fn multi_line_keeps_lines_and_drops_escapes() {
        assert_eq!(multi_line("a\r\nb\rc\n\u{1b}[31md"), "a\nb\nc\n[31md");
    }

    #[test]
    fn bounded_bytes_counts_bytes_and_cuts_between_characters() {
        let emoji = "😀".repeat(200);
        let cut = bounded_bytes(&emoji, 400);
        assert!(cut.len() <= 400, "{}", cut.len());
        assert!(cut.ends_with('…'));
        assert_eq!(bounded_bytes("abc", 3), "abc");
    }

    #[test]
    fn bounded_cuts_long_text_with_an_ellipsis() {
        assert_eq!(bounded("abcdef", 4), "abc…");
        assert_eq!(bounded("abc", 4), "abc");
    }
}
