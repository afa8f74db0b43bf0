//! The Actions runner's reader of `GITHUB_OUTPUT`, so tests check the outputs as the runner sees them.

/// Reads a `GITHUB_OUTPUT` file the way the Actions runner does: a line is `name=value` when `=`
/// comes before any `<<`, otherwise `name<<DELIM` starts a heredoc that ends at the first line equal
/// to `DELIM`.
pub fn read_github_output(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut outputs = Vec::new();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                outputs.push((line[..e].to_string(), line[e + 1..].to_string()));
            }
            (_, Some(h)) => {
                let name = &line[..h];
                let delimiter = &line[h + 2..];
                if name.is_empty() || delimiter.is_empty() {
                    return Err(format!("invalid heredoc line: {line:?}"));
                }
                let mut value: Vec<&str> = Vec::new();
                loop {
                    match lines.next() {
                        Some(l) if l == delimiter => break,
                        Some(l) => value.push(l),
                        None => return Err(format!("heredoc {delimiter} never ends")),
                    }
                }
                outputs.push((name.to_string(), value.join("\n")));
            }
            _ => return Err(format!("invalid line: {line:?}")),
        }
    }
    Ok(outputs)
}
