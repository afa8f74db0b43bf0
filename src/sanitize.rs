//! Untrusted text (everything the API sends) made safe to print, and to store in outputs.

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

/// Like [`one_line`], and also unable to act as a GitHub workflow command when printed anywhere in
/// a line: no `::` at its start and no `##[` anywhere.
pub fn inert_line(text: &str) -> String {
    let mut line = one_line(text).replace("##[", "## [");
    if line.starts_with("::") {
        line.insert(1, ' ');
    }
    line
}

/// Multi-line text (a commit message in an output) with line breaks normalised to `\n` and every
/// other control character but tab removed.
pub fn multi_line(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars()
        .filter(|&c| c == '\n' || c == '\t' || !is_control(c))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_removes_escapes_and_line_breaks() {
        let hostile =
            "a\u{1b}]0;title\u{7}b\r\nc\u{1b}[0Ksection_start:1:x\r\u{1b}[0Kd\u{9b}31m\u{7f}";
        let clean = one_line(hostile);
        assert!(!clean.chars().any(is_control), "{clean:?}");
        assert_eq!(clean, "a]0;titleb c[0Ksection_start:1:x [0Kd31m");
    }

    #[test]
    fn inert_line_cannot_start_or_embed_a_workflow_command() {
        for text in [
            "::error::boom",
            "  ::add-mask::x",
            "\n::set-output name=a::b",
            "x ##[set-output name=a;]b",
        ] {
            let line = inert_line(text);
            assert!(!line.trim_start().starts_with("::"), "{line:?}");
            assert!(!line.contains("##["), "{line:?}");
        }
    }

    #[test]
    fn multi_line_keeps_lines_and_drops_escapes() {
        assert_eq!(multi_line("a\r\nb\rc\n\u{1b}[31md"), "a\nb\nc\n[31md");
    }

    #[test]
    fn bounded_cuts_long_text_with_an_ellipsis() {
        assert_eq!(bounded("abcdef", 4), "abc…");
        assert_eq!(bounded("abc", 4), "abc");
    }
}
