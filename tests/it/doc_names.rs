//! Every test, item and file the documents name exists where they say. The documents are every
//! Markdown file in the repository (README, CONTRIBUTING, `docs/`, SECURITY when there is one, the
//! fake API's notes); what they name is read as they write it:
//!
//! - a path into the code, in backticks or not: `watch::tests::some_test` (a unit test: a
//!   `#[test] fn` in the `tests` module of `src/watch.rs`), `economy::some_test` (a module of the
//!   `it` test binary: a `#[test] fn` in `tests/it/economy.rs`), `outputs::OUTPUTS`,
//!   `fake_nodion::testcerts::identity`, `Type::member` (a method, associated item, variant or field
//!   of a type defined here); a first segment that is none of ours must be a dependency;
//! - a long snake-case name in backticks (four words or more): some `fn` or item here;
//! - a file or directory under `src/`, `tests/`, `examples/`, `bench/`, `fake-nodion/`, `scripts/`,
//!   `templates/`, `docs/`, `.ci/` or `.github/`: it exists (a file of `tests/it/` is also a module
//!   of the `it` binary, or its tests would never run).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use regex::Regex;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A Rust source file: its text, and the same text with comments, strings and character
/// literals blanked out (byte for byte, lines kept), so that braces and words in them do not count.
struct Source {
    text: String,
    code: String,
}

/// Blanks comments, string and character literals (every byte of them but newlines becomes a
/// space), keeping every offset.
fn blank(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let blank_range = |out: &mut Vec<u8>, r: Range<usize>| {
        for i in r {
            if out[i] != b'\n' {
                out[i] = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            let end = rest
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n);
            blank_range(&mut out, i..end);
            i = end;
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (0usize, i);
            while j < b.len() {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank_range(&mut out, i..j);
            i = j;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            blank_range(&mut out, i..(j + 1).min(b.len()));
            i = j + 1;
        } else if b[i] == b'r'
            && (i == 0 || !ident(b[i - 1]) || (b[i - 1] == b'b' && (i < 2 || !ident(b[i - 2]))))
            && matches!(rest.get(1), Some(b'"' | b'#'))
        {
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            if rest.get(1 + hashes) != Some(&b'"') {
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            let start = i + 2 + hashes;
            let end = b[start..]
                .windows(close.len())
                .position(|w| w == close.as_slice())
                .map_or(b.len(), |n| start + n + close.len());
            blank_range(&mut out, i..end);
            i = end;
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '\u{..}', 'é'), or else a lifetime or label.
            let end = if rest.get(1) == Some(&b'\\') {
                rest[2..]
                    .iter()
                    .skip(1)
                    .position(|&c| c == b'\'')
                    .map(|n| i + 3 + n + 1)
            } else {
                let width = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (rest.get(1 + width) == Some(&b'\'')).then_some(i + 2 + width)
            };
            match end {
                Some(end) => {
                    blank_range(&mut out, i..end);
                    i = end;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("only ASCII bytes were written over whole characters")
}

/// The offset just past the `}` that closes the `{` at `open`.
fn closing(code: &str, open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in code[open..].bytes().enumerate() {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// Braces open at `at`, counted from the start of `range`.
fn depth(code: &str, range: &Range<usize>, at: usize) -> isize {
    code[range.start..at].bytes().fold(0, |d, c| match c {
        b'{' => d + 1,
        b'}' => d - 1,
        _ => d,
    })
}

/// A module: the file it is in, and the part of it that is its body.
#[derive(Clone, Debug)]
struct Module {
    file: PathBuf,
    body: Range<usize>,
    /// Whether this is a `tests` module or inside one.
    tests: bool,
    /// Whether this is a module of the `it` test binary other than its `support`.
    integration: bool,
}

/// What a name refers to.
enum Found {
    Module(Module),
    /// An item; for a `fn`, whether it is a `#[test]`.
    Item {
        test_fn: Option<bool>,
    },
}

#[derive(Default)]
struct Code {
    sources: BTreeMap<PathBuf, Source>,
}

impl Code {
    fn source(&mut self, file: &Path) -> Option<&Source> {
        if !self.sources.contains_key(file) {
            let text = std::fs::read_to_string(file).ok()?;
            let code = blank(&text);
            self.sources
                .insert(file.to_path_buf(), Source { text, code });
        }
        self.sources.get(file)
    }

    fn file_module(&mut self, file: PathBuf) -> Option<Module> {
        let len = self.source(&file)?.code.len();
        Some(Module {
            file,
            body: 0..len,
            tests: false,
            integration: false,
        })
    }

    /// Every Rust file of the repository's own code (not `target/`).
    fn all_files() -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !name.starts_with('.') && name != "target" && name != "node_modules" {
                        walk(&path, out);
                    }
                } else if name.ends_with(".rs") {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(root(), &mut out);
        out.sort();
        out
    }

    /// `name` declared at the top level of `module`: a child module (inline, from a file, or a
    /// `#[path]`), an item, or a `pub use` of it (followed through `*`).
    fn find(&mut self, module: &Module, name: &str, hops: usize) -> Option<Found> {
        let source = self.source(&module.file)?;
        let (code, text) = (source.code.clone(), source.text.clone());
        let range = module.body.clone();
        let top = |at: usize| depth(&code, &range, at) == if range.start == 0 { 0 } else { 1 };
        let inline = Regex::new(&format!(r"\bmod\s+{name}\s*\{{")).unwrap();
        if let Some(m) = inline
            .find_iter(&code[range.clone()])
            .map(|m| (range.start + m.start(), range.start + m.end()))
            .find(|&(start, _)| top(start))
        {
            let open = m.1 - 1;
            return Some(Found::Module(Module {
                file: module.file.clone(),
                body: open..closing(&code, open),
                tests: module.tests || name == "tests",
                integration: false,
            }));
        }
        let declared = Regex::new(&format!(r"\bmod\s+{name}\s*;")).unwrap();
        if let Some(at) = declared
            .find_iter(&code[range.clone()])
            .map(|m| range.start + m.start())
            .find(|&at| top(at))
        {
            let dir = module.file.parent().unwrap();
            let stem = module.file.file_stem().unwrap().to_string_lossy();
            let before = text[..at].trim_end();
            let before = before.strip_suffix("pub").unwrap_or(before);
            let attribute = Regex::new(r#"#\[path\s*=\s*"([^"]+)"\]\s*(?:#\[[^\]]*\]\s*)*$"#)
                .unwrap()
                .captures(before);
            let candidates: Vec<PathBuf> = match attribute {
                Some(c) => vec![dir.join(&c[1])],
                None if ["mod", "lib", "main"].contains(&stem.as_ref()) => {
                    vec![
                        dir.join(format!("{name}.rs")),
                        dir.join(name).join("mod.rs"),
                    ]
                }
                None => vec![
                    dir.join(&*stem).join(format!("{name}.rs")),
                    dir.join(&*stem).join(name).join("mod.rs"),
                ],
            };
            let file = candidates.into_iter().find(|f| f.is_file())?;
            let mut child = self.file_module(file)?;
            child.tests = module.tests || name == "tests";
            return Some(Found::Module(child));
        }
        let item = Regex::new(&format!(
            r"\b(fn|const|static|struct|enum|trait|type|union|macro_rules!)\s+{name}\b"
        ))
        .unwrap();
        if let Some((at, kind)) = item
            .captures_iter(&code[range.clone()])
            .map(|c| (range.start + c.get(0).unwrap().start(), c[1].to_owned()))
            .find(|&(at, _)| top(at))
        {
            let test_fn = (kind == "fn").then(|| {
                let before = &code[range.start..at];
                let from = before.rfind(['}', ';', '{']).map_or(0, |i| i + 1);
                before[from..].contains("#[test]")
            });
            return Some(Found::Item { test_fn });
        }
        if hops > 8 {
            return None;
        }
        // Re-exports: `pub use a::b::{c, name}` names it; `pub use a::*` may.
        let uses = Regex::new(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);").unwrap();
        for c in uses.captures_iter(&code[range.clone()]) {
            let at = range.start + c.get(0).unwrap().start();
            if !top(at) {
                continue;
            }
            let used = c[1].to_owned();
            if Regex::new(&format!(r"\b{name}\b")).unwrap().is_match(&used) {
                return Some(Found::Item { test_fn: None });
            }
            if let Some(prefix) = used.strip_suffix("::*") {
                let mut scope = Some(module.clone());
                for segment in prefix.split("::").map(str::trim).filter(|s| *s != "self") {
                    scope = match scope.and_then(|m| self.find(&m, segment, hops + 1)) {
                        Some(Found::Module(m)) => Some(m),
                        _ => None,
                    };
                }
                if let Some(scope) = scope
                    && let Some(found) = self.find(&scope, name, hops + 1)
                {
                    return Some(found);
                }
            }
        }
        None
    }

    /// Whether a type called `ty` is defined in the repository's code.
    fn defines_type(&mut self, ty: &str) -> bool {
        let def = Regex::new(&format!(r"\b(struct|enum|trait|type|union)\s+{ty}\b")).unwrap();
        Code::all_files()
            .iter()
            .any(|f| self.source(f).is_some_and(|s| def.is_match(&s.code)))
    }

    /// Whether `ty::member` is a method or associated item of one of its `impl`s, a variant of the
    /// enum or a field of the struct.
    fn has_member(&mut self, ty: &str, member: &str) -> bool {
        let impls = Regex::new(&format!(r"\bimpl\b[^{{;]*\b{ty}\b[^{{;]*\{{")).unwrap();
        let bodies = Regex::new(&format!(r"\b(?:enum|struct)\s+{ty}\b[^{{;]*\{{")).unwrap();
        let associated = Regex::new(&format!(r"\b(?:fn|const|type)\s+{member}\b")).unwrap();
        let part = Regex::new(&format!(
            r"(?:^|[{{,(]|\n)\s*(?:pub(?:\([^)]*\))?\s+)?{member}\b"
        ))
        .unwrap();
        for file in Code::all_files() {
            let Some(source) = self.source(&file) else {
                continue;
            };
            let code = &source.code;
            for m in impls.find_iter(code) {
                let body = m.end() - 1..closing(code, m.end() - 1);
                if associated.is_match(&code[body]) {
                    return true;
                }
            }
            for m in bodies.find_iter(code) {
                let body = m.end() - 1..closing(code, m.end() - 1);
                let inner = body.start + 1..body.end.saturating_sub(1);
                if part
                    .find_iter(&code[inner.clone()])
                    .any(|p| depth(code, &inner, inner.start + p.start()) == 0)
                {
                    return true;
                }
            }
        }
        false
    }

    /// Whether some `fn` or item called `name` is defined anywhere in the repository's code.
    fn defines_anything(&mut self, name: &str) -> bool {
        let def = Regex::new(&format!(
            r"\b(fn|const|static|struct|enum|trait|type|union|mod)\s+{name}\b"
        ))
        .unwrap();
        Code::all_files()
            .iter()
            .any(|f| self.source(f).is_some_and(|s| def.is_match(&s.code)))
    }
}

/// The crates the repository depends on (any section), as they are named in code.
fn dependencies() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = ["std", "core", "alloc"].map(String::from).into();
    for manifest in ["Cargo.toml", "fake-nodion/Cargo.toml"] {
        let text = std::fs::read_to_string(root().join(manifest)).unwrap();
        let mut in_dependencies = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_dependencies = line.contains("dependencies");
            } else if in_dependencies
                && !line.starts_with('#')
                && let Some((name, _)) = line.split_once('=')
            {
                names.insert(name.trim().replace('-', "_"));
            }
        }
    }
    names
}

/// What is wrong with a path into the code (`a::b::c`) as a document names it; `None` if right.
fn check_path(code: &mut Code, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split("::").collect();
    let lib = || code_root("src/lib.rs", false);
    let roots: Vec<(&str, Module, &[&str])> = match segments[0] {
        "nodion_deploy" | "crate" => vec![("the library", lib(), &segments[1..])],
        "fake_nodion" => vec![(
            "the fake API",
            code_root("fake-nodion/src/lib.rs", false),
            &segments[1..],
        )],
        _ => vec![
            ("the library", lib(), &segments[..]),
            (
                "the it test binary",
                code_root("tests/it/main.rs", true),
                &segments[..],
            ),
        ],
    };
    let mut tried = Vec::new();
    for (name, start, rest) in roots {
        match resolve(code, start, rest) {
            Ok(()) => return None,
            Err(Some(e)) => tried.push(format!("in {name}, {e}")),
            Err(None) => {}
        }
    }
    if !tried.is_empty() {
        return Some(tried.join("; "));
    }
    // Not a module of ours: a type of ours and one of its members, or another crate's path.
    if code.defines_type(segments[0]) {
        return match segments.as_slice() {
            [ty, member] if code.has_member(ty, member) => None,
            [ty, member] => Some(format!("`{ty}` has no method, variant or field `{member}`")),
            _ => Some(format!(
                "`{path}`: only `Type::member` is checked for a type"
            )),
        };
    }
    if dependencies().contains(segments[0]) {
        return None;
    }
    Some(format!(
        "`{}` is no module or type of this repository and no dependency",
        segments[0]
    ))
}

fn code_root(file: &str, integration: bool) -> Module {
    Module {
        file: root().join(file),
        body: 0..std::fs::metadata(root().join(file)).unwrap().len() as usize,
        tests: false,
        integration,
    }
}

/// Follows `segments` from `module`. `Err(None)`: its first segment is not in `module` at all
/// (another root may have it); `Err(Some(why))`: it is, and the rest is wrong.
fn resolve(code: &mut Code, module: Module, segments: &[&str]) -> Result<(), Option<String>> {
    let mut scope = module;
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let mut found = code.find(&scope, segment, 0);
        // The first segment of a path into the `it` binary names one of its modules: a `fn` named
        // in one (but `support`) must be a test.
        if let (Some(Found::Module(m)), 0) = (&mut found, i) {
            m.integration = scope.integration && *segment != "support";
        }
        let so_far = segments[..=i].join("::");
        match found {
            None if i == 0 => return Err(None),
            None => {
                return Err(Some(format!(
                    "`{so_far}` does not exist (no `{segment}` in {})",
                    shown(&scope.file)
                )));
            }
            Some(Found::Module(m)) => scope = m,
            Some(Found::Item { test_fn }) if last => {
                if test_fn == Some(false) && (scope.tests || scope.integration) {
                    return Err(Some(format!(
                        "`{so_far}` in {} is a `fn` but no `#[test]`",
                        shown(&scope.file)
                    )));
                }
                return Ok(());
            }
            Some(Found::Item { .. }) => {
                // `module::Type::member`
                let rest = &segments[i..];
                return match rest {
                    [ty, member] if code.has_member(ty, member) => Ok(()),
                    _ => Err(Some(format!("`{}` does not exist", segments.join("::")))),
                };
            }
        }
    }
    Ok(())
}

fn shown(file: &Path) -> String {
    file.strip_prefix(root())
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every Markdown document of the repository, with the directory its relative paths start from
/// (the nearest one with a `Cargo.toml`).
fn documents() -> Vec<(PathBuf, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    walk(&path, out);
                }
            } else if name.ends_with(".md") {
                out.push(path);
            }
        }
    }
    let mut docs = Vec::new();
    walk(root(), &mut docs);
    docs.sort();
    docs.into_iter()
        .map(|doc| {
            let base = doc
                .ancestors()
                .skip(1)
                .find(|d| d.join("Cargo.toml").is_file())
                .unwrap()
                .to_path_buf();
            (doc, base)
        })
        .collect()
}

/// What is wrong in one document: each as `line: problem`.
fn problems_in(doc: &str, base: &Path, code: &mut Code) -> Vec<String> {
    let mut problems = Vec::new();
    let line_of = |at: usize| doc[..at].matches('\n').count() + 1;
    // Paths into the code: `a::b` with an identifier before and after each `::`, not preceded by
    // `:` (`::error::` is a workflow command) or part of a URL. A `{a, b}` group at the end names
    // each; `()` after a function is allowed.
    let paths = Regex::new(
        r"(?:^|[^A-Za-z0-9_:/.])([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)+)(?:::\{([^}]*)\})?",
    )
    .unwrap();
    for c in paths.captures_iter(doc) {
        let path = c.get(1).unwrap();
        let named: Vec<String> = match c.get(2) {
            Some(group) => group
                .as_str()
                .split(',')
                .map(|n| format!("{}::{}", path.as_str(), n.trim()))
                .collect(),
            None => vec![path.as_str().to_owned()],
        };
        for name in named {
            if let Some(e) = check_path(code, &name) {
                problems.push(format!("{}: `{name}`: {e}", line_of(path.start())));
            }
        }
    }
    // Long snake-case names in backticks, the way a test's name is written alone.
    let spans = Regex::new(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+){3,})(?:\(\))?`").unwrap();
    for c in spans.captures_iter(doc) {
        let name = c.get(1).unwrap();
        if !code.defines_anything(name.as_str()) {
            problems.push(format!(
                "{}: `{}` is no fn or item of this repository",
                line_of(name.start()),
                name.as_str()
            ));
        }
    }
    // Files and directories of the repository.
    let files = Regex::new(
        r"(?:^|[^A-Za-z0-9_./-])((?:src|tests|examples|bench|fake-nodion|scripts|templates|docs|\.ci|\.github)/[A-Za-z0-9_./-]*)",
    )
    .unwrap();
    let registered = std::fs::read_to_string(root().join("tests/it/main.rs")).unwrap();
    for c in files.captures_iter(doc) {
        let m = c.get(1).unwrap();
        let path = m.as_str().trim_end_matches(['.', ',']);
        if !base.join(path).exists() {
            let from = match shown(base) {
                top if top.is_empty() => "the repository's root".to_owned(),
                dir => format!("{dir}/"),
            };
            problems.push(format!(
                "{}: `{path}` does not exist (from {from})",
                line_of(m.start())
            ));
            continue;
        }
        if base == root()
            && let Some(module) = path
                .strip_prefix("tests/it/")
                .and_then(|f| f.strip_suffix(".rs"))
            && module != "main"
            && !registered.contains(&format!("mod {module};"))
        {
            problems.push(format!(
                "{}: `{path}` is not a module of tests/it/main.rs: its tests never run",
                line_of(m.start())
            ));
        }
    }
    problems.sort_by_key(|p| p.split(':').next().and_then(|n| n.parse::<usize>().ok()));
    problems
}

#[test]
fn every_test_item_and_file_the_documents_name_exists() {
    let mut code = Code::default();
    let mut problems = Vec::new();
    let docs = documents();
    for required in ["README.md", "CONTRIBUTING.md", "docs/how-it-works.md"] {
        assert!(
            docs.iter().any(|(d, _)| *d == root().join(required)),
            "{required} is not scanned"
        );
    }
    for (doc, base) in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        for problem in problems_in(&text, base, &mut code) {
            problems.push(format!("{}:{problem}", shown(doc)));
        }
    }
    assert!(
        problems.is_empty(),
        "the documents name what is not there:\n{}",
        problems.join("\n")
    );
}

/// The scanner itself: a test, item or file renamed or moved fails it, and what exists passes.
#[test]
fn a_renamed_or_misplaced_test_is_caught() {
    let mut code = Code::default();
    let wrong = [
        // a unit test that is not in that module's tests
        "`watch::tests::the_request_economy_holds_for_every_row_of_the_table`",
        // a unit test renamed
        "`outputs::tests::no_output_is_handed_on_under_an_input_variable`",
        // a helper named as a test
        "`economy::documents`",
        // an integration test renamed, and one named in another module
        "`economy::the_request_economy_holds_for_every_row`",
        "`readme::contributing_lists_the_steps_ci_run_lists`",
        // a module that is not there
        "`watch::test::detection_is_within_max_poll_interval_whenever_it_finishes`",
        // a member, a type, a crate
        "`FakeNodion::scripts`",
        "`Hold::Polls`",
        "`Nodion::script`",
        // a long name alone, and files
        "`the_request_economy_holds_for_every_row`",
        "tests/it/economics.rs",
        "`src/wait.rs`",
    ];
    for doc in wrong {
        assert!(
            !problems_in(doc, root(), &mut code).is_empty(),
            "{doc} passed the scanner"
        );
    }
    let right = "`watch::tests::detection_is_within_max_poll_interval_whenever_it_finishes`, \
        `outputs::tests::no_output_is_handed_on_under_an_inputs_variable`, \
        `economy::the_request_economy_holds_for_every_row_of_the_table`, \
        `ci_steps::contributing_lists_the_steps_ci_run_lists`, `watch::tests`, \
        `inputs::POLL_INTERVAL`, `inputs::Names`, `support::Deploy::run_measured`, \
        `Deploy::run_measured`, `FakeNodion::script`, `Hold::Lists`, `Options::tls`, \
        `fake_nodion::testcerts::{CA_PEM, SERVER_CERT_PEM}`, `fake_nodion::testcerts::identity()`, \
        `ureq::unversioned::resolver`, `::error::`, `run_in_process`, \
        `the_request_economy_holds_for_every_row_of_the_table`, tests/it/economy.rs, src/watch.rs, \
        `src/inputs/`, `bench/economy.rs`.";
    assert_eq!(problems_in(right, root(), &mut code), Vec::<String>::new());
}

/// The scanner reads every Rust file here with comments, strings and characters blanked out: its
/// braces balance in each, or it would look for items in the wrong place.
#[test]
fn the_scanner_balances_the_braces_of_every_source_file() {
    let files = Code::all_files();
    assert!(files.len() > 40, "{} Rust files", files.len());
    for file in files {
        let code = blank(&std::fs::read_to_string(&file).unwrap());
        let mut depth = 0isize;
        for (line, text) in code.lines().enumerate() {
            for c in text.bytes() {
                depth += match c {
                    b'{' => 1,
                    b'}' => -1,
                    _ => 0,
                };
                assert!(
                    depth >= 0,
                    "{}:{} closes more than it opened",
                    shown(&file),
                    line + 1
                );
            }
        }
        assert_eq!(depth, 0, "{}: braces left open", shown(&file));
    }
}
