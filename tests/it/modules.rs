//! No module of `src/` imports one that imports it back, directly or through others (issue 17):
//! neither between the crate's top-level modules (`crate::inputs`, `crate::outputs`, …) nor between
//! the files of one directory (`inputs/read.rs`, `inputs/table.rs`, …). A module's use of its own
//! parent (`super::Answered`) or of its own children is no such import: they are one module.
//!
//! The sources are read as text, not parsed: `syn` is in the tree only as serde_derive's build
//! dependency, without the `full` and `visit` features a walk over every path would need, and once
//! comments and literals are blanked a reference to another module is plain text: `crate::a::…`,
//! `super::…` or `self::…`, with `{…}` groups. Unit tests (`#[cfg(test)]` items) are left out:
//! they may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module's path from the crate root: `["inputs", "read"]`; empty for the root.
type Module = Vec<String>;

#[test]
fn no_module_of_src_imports_one_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_sources(&src, &src, &mut files);
    assert!(files.len() > 20, "found only {} files in src/", files.len());
    if let Some(cycle) = find_cycle(&files) {
        panic!("an import cycle in src/:\n{cycle}");
    }
}

#[test]
fn the_check_sees_cycles_through_groups_super_and_crate_paths_but_not_in_tests_or_comments() {
    let mut files: Vec<(String, String)> = [
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
        (
            "a/mod.rs",
            "mod x;\nmod y;\nuse crate::{b::{self, B}, VERSION};\n",
        ),
        // Its parent is part of it; the sibling is another module.
        ("a/x.rs", "use super::{Parent, y::Y};\n"),
        (
            "a/y.rs",
            "// crate::a::x is only mentioned\nconst S: &str = \"super::x\";\n",
        ),
        ("b.rs", "pub fn f() -> u8 {\n    crate::c::g()\n}\n"),
        (
            "c.rs",
            "pub fn g() -> u8 { 1 }\n#[cfg(test)]\nmod tests {\n    use crate::a::x::X;\n}\n",
        ),
    ]
    .iter()
    .map(|(path, text)| (path.to_string(), text.to_string()))
    .collect();
    assert_eq!(find_cycle(&files), None);

    // Between siblings of one directory, through `super::`.
    files[3].1.push_str("use super::x::X;\n");
    let cycle = find_cycle(&files).expect("a::x and a::y import each other");
    assert!(cycle.starts_with("a::x -> a::y -> a::x\n"), "{cycle}");
    files[3].1 = String::new();

    // Between top-level modules, through another one, from a child of one of them.
    files[5]
        .1
        .push_str("fn h() {\n    let _ = crate::a::x::X;\n}\n");
    let cycle = find_cycle(&files).expect("a -> b -> c -> a");
    assert!(cycle.starts_with("a -> b -> c -> a\n"), "{cycle}");
    assert!(cycle.contains("c -> a: c.rs: crate::a::x::X"), "{cycle}");
}

/// Every `.rs` file under `dir`, as its path from `src` and its text; not `main.rs`, the binary,
/// which reaches the library only from outside (`nodion_deploy::…`).
fn read_sources(src: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_sources(src, &path, files);
            continue;
        }
        let relative = path.strip_prefix(src).unwrap().to_string_lossy();
        let relative = relative.replace('\\', "/");
        if relative.ends_with(".rs") && relative != "main.rs" {
            files.push((relative, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The first import cycle among `files` (paths from `src/` and their text), as its modules joined by
/// ` -> `, then one line per import that closes it; `None` when there is none.
fn find_cycle(files: &[(String, String)]) -> Option<String> {
    let modules: BTreeSet<Module> = files.iter().map(|(path, _)| module_of(path)).collect();
    // Each import between sibling modules, with where it is written.
    let mut edges: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
    for (path, text) in files {
        let from = module_of(path);
        for reference in references(&from, &code_only(text)) {
            let to = known_prefix(&modules, &reference);
            if let Some((a, b)) = siblings(&from, &to) {
                let written = format!("{path}: crate::{}", reference.join("::"));
                edges.entry(a).or_default().entry(b).or_insert(written);
            }
        }
    }
    let cycle = cycle_in(&edges)?;
    let names: Vec<String> = cycle.iter().map(name).collect();
    let mut out = format!("{}\n", names.join(" -> "));
    for pair in cycle.windows(2) {
        let at = &edges[&pair[0]][&pair[1]];
        out.push_str(&format!(
            "  {} -> {}: {at}\n",
            name(&pair[0]),
            name(&pair[1])
        ));
    }
    Some(out)
}

/// The module a file of `src/` holds: `inputs/mod.rs` and `inputs.rs` hold `inputs`, `lib.rs` the
/// crate root.
fn module_of(path: &str) -> Module {
    let path = path.strip_suffix(".rs").unwrap();
    let mut parts: Module = path.split('/').map(str::to_string).collect();
    if path == "lib" || parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts
}

/// `a::b`, or `crate` for the root.
fn name(module: &Module) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

/// The longest start of `path` that is a module (an item's path names the module holding it).
fn known_prefix(modules: &BTreeSet<Module>, path: &Module) -> Module {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| modules.contains(m))
        .unwrap_or_default()
}

/// The two sibling modules an import from `from` to `to` runs between: the children of their
/// closest common ancestor on the way to each. `None` when one holds the other, which is no import
/// between two modules.
fn siblings(from: &Module, to: &Module) -> Option<(Module, Module)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common == from.len() || common == to.len() {
        return None;
    }
    Some((from[..=common].to_vec(), to[..=common].to_vec()))
}

/// The first cycle in `edges`, its first module repeated at the end.
fn cycle_in(edges: &BTreeMap<Module, BTreeMap<Module, String>>) -> Option<Vec<Module>> {
    fn visit(
        node: &Module,
        edges: &BTreeMap<Module, BTreeMap<Module, String>>,
        path: &mut Vec<Module>,
        done: &mut BTreeSet<Module>,
    ) -> Option<Vec<Module>> {
        if let Some(at) = path.iter().position(|m| m == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.clone());
        for next in edges.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

/// Every path in `code` (written in module `from`) that starts at `crate`, `super` or `self`, from
/// the crate root; a group (`{a, b::c}`) gives one path for each of its items.
fn references(from: &Module, code: &str) -> Vec<Module> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    for start in ["crate", "super", "self"] {
        for (at, _) in code.match_indices(start) {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let in_word = before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
            let after = code[at + start.len()..].trim_start();
            if in_word || !after.starts_with("::") {
                continue;
            }
            let base = match start {
                "crate" => Module::new(),
                "super" => from[..from.len().saturating_sub(1)].to_vec(),
                _ => from.clone(),
            };
            tree(base, &mut after[2..].chars().peekable(), &mut found);
        }
    }
    found
}

/// Reads one use tree after `prefix::` (`a::b`, `{a, b::c}`, `*`, `super::x`), pushing each path.
fn tree(
    mut prefix: Module,
    rest: &mut std::iter::Peekable<std::str::Chars>,
    paths: &mut Vec<Module>,
) {
    loop {
        while rest.next_if(|c| c.is_whitespace()).is_some() {}
        if rest.next_if_eq(&'{').is_some() {
            loop {
                tree(prefix.clone(), rest, paths);
                // Past a rename (`x as y`) to the next item of the group, or its end.
                let mut depth = 0;
                loop {
                    match rest.next() {
                        Some('{') => depth += 1,
                        Some('}') if depth == 0 => return,
                        Some('}') => depth -= 1,
                        Some(',') if depth == 0 => break,
                        None => return,
                        _ => {}
                    }
                }
            }
        }
        let mut ident = String::new();
        while let Some(c) = rest.next_if(|c| c.is_alphanumeric() || *c == '_') {
            ident.push(c);
        }
        match ident.as_str() {
            "" => break,
            "super" => {
                prefix.pop();
            }
            "self" => {}
            _ => prefix.push(ident),
        }
        while rest.next_if(|c| c.is_whitespace()).is_some() {}
        let mut ahead = rest.clone();
        if ahead.next() == Some(':') && ahead.next() == Some(':') {
            rest.next();
            rest.next();
        } else {
            break;
        }
    }
    paths.push(prefix);
}

/// The code without comments, string and character literals, and `#[cfg(test)]` items.
fn code_only(text: &str) -> String {
    let blank = blank_comments_and_literals(text);
    let mut out = String::new();
    let mut rest = blank.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "#[cfg(test)]".len()..];
        rest = &rest[item_end(rest)..];
    }
    out.push_str(rest);
    out
}

/// Where the item at the start of `code` ends: after its `;`, or after the block its first `{`
/// opens, whichever comes first outside brackets.
fn item_end(code: &str) -> usize {
    let mut depth = 0i32;
    let mut braces = 0i32;
    for (i, c) in code.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ';' if depth == 0 && braces == 0 => return i + 1,
            '{' => braces += 1,
            '}' => {
                braces -= 1;
                if braces == 0 && depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// `text` with every comment and string or character literal replaced by spaces.
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let end = if c == '/' && next == Some('/') {
            chars[i..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(chars.len(), |n| i + n)
        } else if c == '/' && next == Some('*') {
            block_comment_end(&chars, i)
        } else if c == 'r'
            && (i == 0
                || !ident(chars[i - 1])
                || (chars[i - 1] == 'b' && (i < 2 || !ident(chars[i - 2]))))
            && matches!(next, Some('"' | '#'))
        {
            raw_string_end(&chars, i).unwrap_or(i + 1)
        } else if c == '"' {
            quoted_end(&chars, i, '"')
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            quoted_end(&chars, i, '\'')
        } else {
            i + 1
        };
        if end == i + 1 && !(c == '"' || c == '\'') {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n(' ', end - i));
        }
        i = end;
    }
    out
}

/// The end of the (nested) block comment starting at `start`.
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => {
                depth += 1;
                i += 2;
            }
            ('*', '/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// The end of the raw string `r#…"…"#…` starting at `start`, if one starts there.
fn raw_string_end(chars: &[char], start: usize) -> Option<usize> {
    let hashes = chars[start + 1..].iter().take_while(|&&c| c == '#').count();
    let open = start + 1 + hashes;
    if chars.get(open) != Some(&'"') {
        return None;
    }
    let mut i = open + 1;
    while i < chars.len() {
        if chars[i] == '"'
            && chars[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes
        {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(chars.len())
}

/// The end of the literal quoted by `quote` starting at `start`, escapes skipped.
fn quoted_end(chars: &[char], start: usize, quote: char) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}
