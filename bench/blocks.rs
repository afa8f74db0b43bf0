//! The tables the documents show between markers, written by the examples and checked by the
//! tests: what stands between a pair of markers, and the documents that may hold them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What the code computes and a document shows between two markers.
pub struct Block {
    /// Its name, for the messages.
    pub name: &'static str,
    /// The marker before it.
    pub begin: String,
    /// The marker after it.
    pub end: String,
    /// What stands between them.
    pub body: String,
}

/// `doc` with what stands between each pair of `blocks`' markers (every marker begins with `open`)
/// replaced by that block's body, and the names of the blocks it holds; an error for a marker
/// without its pair or one that begins no block.
pub fn replace_blocks(
    doc: &str,
    open: &str,
    blocks: &[Block],
) -> Result<(String, Vec<&'static str>), String> {
    let mut out = String::with_capacity(doc.len());
    let mut found = Vec::new();
    let mut rest = doc;
    while let Some(at) = rest.find(open) {
        let marker_end = rest[at..]
            .find("-->")
            .map(|i| at + i + 3)
            .ok_or_else(|| format!("a marker `{open}` is never closed with -->"))?;
        let marker = &rest[at..marker_end];
        let block = blocks.iter().find(|b| marker == b.begin).ok_or_else(|| {
            let names: Vec<_> = blocks.iter().map(|b| b.begin.as_str()).collect();
            format!(
                "`{marker}` is not where a block begins; the markers that begin one: {}",
                names.join(", ")
            )
        })?;
        let body = &rest[marker_end..];
        let close = body
            .find(&block.end)
            .ok_or_else(|| format!("`{marker}` has no `{}` after it", block.end))?;
        if body[..close].contains(open) {
            return Err(format!("`{marker}` holds another marker before its end"));
        }
        out += &rest[..marker_end];
        out += &block.body;
        out += &block.end;
        found.push(block.name);
        rest = &body[close + block.end.len()..];
    }
    out += rest;
    Ok((out, found))
}

/// The documents: every Markdown file at the root and in `docs/`.
pub fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs = Vec::new();
    for dir in [root.to_path_buf(), root.join("docs")] {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("readable").path();
            if path.extension().is_some_and(|e| e == "md") {
                docs.push(path);
            }
        }
    }
    docs.sort();
    docs
}

/// Writes into every document what `regenerate` makes of it, saying which blocks changed where: an
/// example's `--write`.
pub fn write_documents(
    root: &Path,
    regenerate: impl Fn(&str) -> Result<(String, Vec<&'static str>), String>,
) -> ExitCode {
    for path in documents(root) {
        let doc = std::fs::read_to_string(&path).expect("readable");
        let shown = path.strip_prefix(root).unwrap_or(&path).display();
        match regenerate(&doc) {
            Ok((new, _)) if new == doc => {}
            Ok((new, found)) => {
                std::fs::write(&path, new).expect("writable");
                println!("{shown}: wrote {}", found.join(", "));
            }
            Err(e) => {
                eprintln!("{shown}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
