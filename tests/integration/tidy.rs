//! Tidy: the module graph ARCHITECTURE.md draws, and the length of functions, checked on the
//! sources (in the manner of rust-analyzer's `tidy` tests).
//!
//! The module graph: every `crate::` path in the non-test code of `analyzer/src` (in `use` lines,
//! `use crate::{a, b::c}` groups and paths written inside code; not in comments or strings) and
//! every `super::` path that leaves its module is one edge of the module graph (top-level modules,
//! and the few submodules that sit in a lower layer than their parent). [`LAYERS`] is the one
//! table of the edges allowed: a module may use only the modules listed for it, and the table has
//! no cycle. Inside `extract/`, [`EXTRACT_APART`] names the format modules
//! that must not know each other. Test modules and test files may reach anywhere: they build
//! inputs. Every edge the table allows is used by some code, so the table is minimal.
//!
//! Every file of `analyzer/src`, test files included, starts with a `//!` comment.
//!
//! The length of functions: a non-test function longer than [`MAX_FUNCTION_LINES`] lines needs a
//! line comment directly above it (above its doc comment and attributes) starting with
//! `// long-fn:` and giving the reason.

use crate::support::workspace_root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of the graph and the modules its non-test code may use, lowest layer first. A
/// module is a top-level module, or one of the few submodules that sit in a lower layer than
/// their parent (`report::neutral`, `evaluate::finding`, `evaluate::transfer`): a path into one of
/// those is an edge to it, not to the parent. The binary (`main` and `cli`) reaches the library
/// through `borderline::`, counted the same way.
const LAYERS: &[(&str, &[&str])] = &[
    // The bottom: vocabulary and utilities every stage shares; none knows a stage.
    ("hash", &[]),
    ("date", &[]),
    ("safe_io", &[]),
    ("source", &[]),
    ("report::neutral", &[]),
    // "Did you mean": pure string work, for extractors, the model and the reports alike.
    ("suggest", &[]),
    // Rule identity and severities: every stage names rules with it.
    ("rule", &[]),
    ("facts", &["date", "rule", "source"]),
    ("policy", &["date", "facts", "source"]),
    // Rule data: read with `safe_io`, fingerprinted with `hash`.
    ("rules", &["date", "hash", "safe_io", "source", "suggest"]),
    // The one safeguard validator, for the manifest and annotations alike.
    ("safeguard", &["date", "facts", "rules", "source"]),
    // The walk, then the manifest (it names paths, nodes and flows as facts).
    ("discover", &["facts", "rule", "safe_io"]),
    (
        "config",
        &[
            "date",
            "facts",
            "policy",
            "rule",
            "rules",
            "safeguard",
            "source",
        ],
    ),
    // The JSON Schema of the manifest, for editors: typed mirrors of the tables `config` reads.
    ("manifest_schema", &["facts", "rule"]),
    // Extraction (with its cache, `extract::cache`).
    (
        "extract",
        &[
            "date",
            "discover",
            "facts",
            "hash",
            "policy",
            "rule",
            "rules",
            "safe_io",
            "safeguard",
            "source",
            "suggest",
        ],
    ),
    // The model (with the graph JSON schema, `model::fragment`).
    (
        "model",
        &[
            "date", "extract", "facts", "policy", "rule", "rules", "source", "suggest",
        ],
    ),
    // Evaluation: findings, the transfers and their verdicts, the checks over them, and the
    // evaluation that runs the checks (a registry above its rules, as in ruff).
    ("evaluate::finding", &["facts", "rule", "source"]),
    (
        "evaluate::transfer",
        &["date", "facts", "model", "policy", "rules", "source"],
    ),
    ("baseline", &["evaluate::finding"]),
    (
        "checks",
        &[
            "baseline",
            "config",
            "evaluate::finding",
            "evaluate::transfer",
            "facts",
            "model",
            "policy",
            "report::neutral",
            "rule",
            "rules",
            "source",
        ],
    ),
    (
        "evaluate",
        &[
            "checks",
            "date",
            "evaluate::finding",
            "evaluate::transfer",
            "facts",
            "hash",
            "model",
            "policy",
            "rule",
            "rules",
            "source",
            "suggest",
        ],
    ),
    // Output, and the joining of fragments (which reads the schema, never a renderer).
    (
        "report",
        &[
            "discover",
            "evaluate",
            "evaluate::finding",
            "evaluate::transfer",
            "facts",
            "manifest_schema",
            "model",
            "policy",
            "report::neutral",
            "rule",
            "rules",
            "source",
            "suggest",
        ],
    ),
    (
        "merge",
        &[
            "config",
            "date",
            "evaluate",
            "evaluate::finding",
            "evaluate::transfer",
            "facts",
            "model",
            "policy",
            "report::neutral",
            "rule",
            "rules",
            "safe_io",
            "source",
        ],
    ),
    // What drives the pipeline.
    ("git_tree", &["safe_io"]),
    (
        "policy_from",
        &[
            "baseline", "checks", "config", "extract", "facts", "git_tree", "policy", "rule",
            "rules", "safe_io", "source",
        ],
    ),
    (
        "scan",
        &[
            "baseline",
            "checks",
            "config",
            "date",
            "discover",
            "evaluate",
            "evaluate::finding",
            "extract",
            "facts",
            "model",
            "policy_from",
            "rule",
            "rules",
            "safe_io",
            "source",
            "suggest",
        ],
    ),
    // The binary: argv, the terminal and exit codes.
    (
        "cli",
        &[
            "baseline",
            "date",
            "evaluate",
            "facts",
            "merge",
            "model",
            "policy_from",
            "report",
            "report::neutral",
            "rule",
            "rules",
            "safe_io",
            "scan",
            "suggest",
        ],
    ),
    ("main", &["cli"]),
];

/// Format modules of `extract/` that must not use each other (from, to): which extractor owns a
/// path is decided in one place, and compose reports the env files its services read as facts,
/// so no extractor parses another's files.
const EXTRACT_APART: &[(&str, &str)] = &[
    ("kubernetes", "compose"),
    ("kubernetes", "env"),
    ("env", "compose"),
    ("kustomize", "compose"),
    ("kustomize", "env"),
];

/// Edges that break the table for now, while a change that removes them is under way (from, to,
/// who removes it). An entry that is no longer used fails the test, so the list only shrinks;
/// it is empty, and stays so unless a change lands in parts.
const PENDING: &[(&str, &str, &str)] = &[];

/// Edges inside `extract/` between [`EXTRACT_APART`] modules that a change under way removes
/// (from, to, who). Empty, as [`PENDING`].
const PENDING_APART: &[(&str, &str, &str)] = &[];

/// The longest a non-test function may be without a `// long-fn:` reason above it.
const MAX_FUNCTION_LINES: usize = 120;

/// Functions over the limit while a change that splits them is under way (file, function, who).
/// An entry whose function is no longer over the limit fails the test, so the list only shrinks;
/// it is empty, and stays so unless a split lands in parts.
const PENDING_LONG: &[(&str, &str, &str)] = &[];

// ---------------------------------------------------------------------------------------------
// The tests over the real sources.

#[test]
fn module_edges_follow_the_layer_table() {
    let sources = sources();
    let mut problems = Vec::new();
    let mut used_pending = BTreeSet::new();
    let mut used_apart = BTreeSet::new();
    for (file, text) in &sources {
        for edge in edges(file, text) {
            match judge(&edge) {
                Judgement::Allowed => {}
                Judgement::Pending(index) => {
                    used_pending.insert(index);
                }
                Judgement::PendingApart(index) => {
                    used_apart.insert(index);
                }
                Judgement::Forbidden(message) => problems.push(message),
            }
        }
    }
    for (index, (from, to, who)) in PENDING.iter().enumerate() {
        if !used_pending.contains(&index) {
            problems.push(format!(
                "PENDING edge `{from}` -> `{to}` ({who}) is no longer used: remove it from PENDING"
            ));
        }
    }
    for (index, (from, to, who)) in PENDING_APART.iter().enumerate() {
        if !used_apart.contains(&index) {
            problems.push(format!(
                "PENDING_APART edge `extract::{from}` -> `extract::{to}` ({who}) is no longer \
                 used: remove it from PENDING_APART"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// An edge the table allows and no code uses is a hole: a later change could take it without
/// anyone deciding that the layers should allow it. Every allowed edge is used, so the table
/// says exactly what the code does.
#[test]
fn every_allowed_edge_is_used() {
    let mut used = BTreeSet::new();
    for (file, text) in &sources() {
        for edge in edges(file, text) {
            if let (Some(from), Some(to)) = (node_of(&edge.from), node_of(&edge.to)) {
                used.insert((from, to));
            }
        }
    }
    // `main` reaches `cli` through `mod cli;` and a relative path, which the checker does not
    // read as an edge (it reads `crate::`, `super::` and `borderline::` paths).
    used.insert(("main".to_string(), "cli".to_string()));
    let mut unused = Vec::new();
    for (module, allowed) in LAYERS {
        for target in *allowed {
            if !used.contains(&(module.to_string(), target.to_string())) {
                unused.push(format!("`{module}` -> `{target}`"));
            }
        }
    }
    assert!(
        unused.is_empty(),
        "edges LAYERS allows that no code uses (remove them from LAYERS): {}",
        unused.join(", ")
    );
}

#[test]
fn the_layer_table_has_no_cycle_and_names_only_its_modules() {
    let known: BTreeSet<&str> = LAYERS.iter().map(|(module, _)| *module).collect();
    assert_eq!(known.len(), LAYERS.len(), "a module is listed twice");
    for (module, allowed) in LAYERS {
        for target in *allowed {
            assert!(
                known.contains(target),
                "`{module}` may use `{target}`, which has no row"
            );
            assert_ne!(module, target, "`{module}` lists itself");
        }
    }
    if let Some(cycle) = find_cycle(LAYERS) {
        panic!("the layer table has a cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn every_top_level_module_has_a_row() {
    let root = workspace_root().join("analyzer/src");
    let known: BTreeSet<&str> = LAYERS.iter().map(|(module, _)| *module).collect();
    let pending: BTreeSet<&str> = PENDING.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let module = name.strip_suffix(".rs").unwrap_or(&name).to_string();
        if module != "lib" && !known.contains(module.as_str()) && !pending.contains(module.as_str())
        {
            missing.push(module);
        }
    }
    assert!(
        missing.is_empty(),
        "modules without a row in LAYERS: {missing:?}"
    );
}

#[test]
fn no_function_is_longer_than_the_limit_without_a_reason() {
    let sources = sources();
    let mut problems = Vec::new();
    let mut still_long = BTreeSet::new();
    for (file, text) in &sources {
        for long in long_functions(file, text) {
            let pending = PENDING_LONG
                .iter()
                .position(|(f, name, _)| *f == file.as_str() && *name == long.name);
            match pending {
                Some(index) => {
                    still_long.insert(index);
                }
                None => problems.push(format!(
                    "{file}:{}: `fn {}` is {} lines (limit {MAX_FUNCTION_LINES}): split it into \
                     named steps, or write `// long-fn: REASON` above it",
                    long.line, long.name, long.lines
                )),
            }
        }
    }
    for (index, (file, name, who)) in PENDING_LONG.iter().enumerate() {
        if !still_long.contains(&index) {
            problems.push(format!(
                "PENDING_LONG `{file}` `fn {name}` ({who}) is within the limit now: remove it"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn every_source_file_starts_with_a_module_comment() {
    let root = workspace_root().join("analyzer/src");
    let mut all = BTreeMap::new();
    collect(&root, &root, &mut all);
    let missing: Vec<&String> = all
        .iter()
        .filter(|(_, text)| !text.starts_with("//!"))
        .map(|(file, _)| file)
        .collect();
    assert!(
        missing.is_empty(),
        "files that do not start with a `//!` comment saying what they hold: {missing:?}"
    );
}

/// Every `.rs` file under `analyzer/src` that is not test code, by path relative to it (with
/// `/`), with its text. Files declared as `#[cfg(test)] mod x;` are test code, as are files named
/// `tests.rs` or `*_tests.rs` and files under a `tests/` directory.
pub(crate) fn sources() -> BTreeMap<String, String> {
    let root = workspace_root().join("analyzer/src");
    let mut all = BTreeMap::new();
    collect(&root, &root, &mut all);
    let mut test_files = BTreeSet::new();
    for (file, text) in &all {
        for child in test_module_files(file, &mask(text)) {
            test_files.insert(child);
        }
    }
    all.retain(|file, _| !test_files.contains(file) && !is_test_file_name(file));
    all
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap();
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(relative, std::fs::read_to_string(&path).unwrap());
        }
    }
}

fn is_test_file_name(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name == "tests.rs" || name.ends_with("_tests.rs") || file.split('/').any(|d| d == "tests")
}

/// The files of the modules `file` declares as `#[cfg(test)] mod NAME;`.
fn test_module_files(file: &str, masked: &str) -> Vec<String> {
    let dir = module_dir(file);
    let mut out = Vec::new();
    let mut rest = masked;
    let mut offset = 0;
    while let Some(at) = rest.find("#[cfg(") {
        let start = offset + at;
        offset = start + 1;
        rest = &masked[offset..];
        if !is_test_cfg(masked, start) {
            continue;
        }
        let Some(close) = masked[start..].find(']') else {
            continue;
        };
        let after = masked[start + close + 1..].trim_start();
        let after = after.strip_prefix("pub ").unwrap_or(after).trim_start();
        let Some(after) = after.strip_prefix("mod ") else {
            continue;
        };
        let name: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let tail = after.trim_start()[name.len()..].trim_start();
        if tail.starts_with(';') {
            out.push(format!("{dir}{name}.rs"));
            out.push(format!("{dir}{name}/mod.rs"));
        }
    }
    out
}

/// The directory holding the files of `file`'s child modules, with a trailing `/` (or empty).
fn module_dir(file: &str) -> String {
    let (parent, name) = match file.rsplit_once('/') {
        Some((parent, name)) => (format!("{parent}/"), name),
        None => (String::new(), file),
    };
    match name {
        "mod.rs" | "lib.rs" | "main.rs" => parent,
        other => format!("{parent}{}/", other.trim_end_matches(".rs")),
    }
}

// ---------------------------------------------------------------------------------------------
// The checker.

/// One use of a module: where, and the absolute path used (its first two segments at most).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edge {
    file: String,
    line: usize,
    from: Vec<String>,
    to: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
enum Judgement {
    Allowed,
    Pending(usize),
    PendingApart(usize),
    Forbidden(String),
}

/// The module path of a file: `extract/kubernetes.rs` is `["extract", "kubernetes"]`,
/// `source/mod.rs` is `["source"]`, `lib.rs` is `[]`; the binary's files start with `main`
/// (`main.rs` is `["main"]`, `cli/mod.rs` is `["cli"]`, as the binary's `crate::cli`).
fn module_path(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_string)
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn is_binary(file: &str) -> bool {
    file == "main.rs" || file.starts_with("cli/")
}

/// Every module edge of one file's non-test code.
fn edges(file: &str, text: &str) -> Vec<Edge> {
    let masked = mask(text);
    let skipped = test_regions(&masked);
    let here = module_path(file);
    let mut out = Vec::new();
    for (offset, path) in paths(&masked, &here, is_binary(file)) {
        if skipped.iter().any(|range| range.contains(&offset)) {
            continue;
        }
        let line = masked[..offset].matches('\n').count() + 1;
        out.push(Edge {
            file: file.to_string(),
            line,
            from: here.iter().take(2).cloned().collect(),
            to: path.into_iter().take(2).collect(),
        });
    }
    out
}

/// The module of the graph a path belongs to: `a::b` when that is a row of [`LAYERS`], else `a`.
fn node_of(path: &[String]) -> Option<String> {
    let top = path.first()?;
    if let Some(sub) = path.get(1) {
        let both = format!("{top}::{sub}");
        if LAYERS.iter().any(|(module, _)| *module == both) {
            return Some(both);
        }
    }
    Some(top.clone())
}

fn judge(edge: &Edge) -> Judgement {
    let (Some(from), Some(to)) = (node_of(&edge.from), node_of(&edge.to)) else {
        return Judgement::Allowed;
    };
    if from == to {
        if from == "extract"
            && let (Some(a), Some(b)) = (edge.from.get(1), edge.to.get(1))
            && EXTRACT_APART.contains(&(a.as_str(), b.as_str()))
        {
            if let Some(index) = PENDING_APART.iter().position(|(x, y, _)| x == a && y == b) {
                return Judgement::PendingApart(index);
            }
            return Judgement::Forbidden(format!(
                "{}:{}: `crate::extract::{b}` used from `extract::{a}`; the format modules {} \
                 must not use each other",
                edge.file,
                edge.line,
                apart_list(a)
            ));
        }
        return Judgement::Allowed;
    }
    let allowed = LAYERS
        .iter()
        .find(|(module, _)| *module == from)
        .map_or(&[][..], |(_, allowed)| *allowed);
    if allowed.contains(&to.as_str()) {
        return Judgement::Allowed;
    }
    if let Some(index) = PENDING.iter().position(|(x, y, _)| *x == from && *y == to) {
        return Judgement::Pending(index);
    }
    Judgement::Forbidden(format!(
        "{}:{}: `crate::{to}` used from `{from}`; allowed from `{from}`: {}",
        edge.file,
        edge.line,
        if allowed.is_empty() {
            "nothing".to_string()
        } else {
            allowed
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    ))
}

fn apart_list(from: &str) -> String {
    let to: Vec<String> = EXTRACT_APART
        .iter()
        .filter(|(a, _)| *a == from)
        .map(|(_, b)| format!("`extract::{b}`"))
        .collect();
    format!("`extract::{from}` and {}", to.join(", "))
}

/// A cycle of the table, if it has one.
fn find_cycle(layers: &[(&str, &[&str])]) -> Option<Vec<String>> {
    fn visit<'a>(
        module: &'a str,
        layers: &[(&'a str, &'a [&'a str])],
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = stack.iter().position(|m| *m == module) {
            let mut cycle: Vec<String> = stack[start..].iter().map(|m| m.to_string()).collect();
            cycle.push(module.to_string());
            return Some(cycle);
        }
        if !done.insert(module) {
            return None;
        }
        stack.push(module);
        let allowed = layers
            .iter()
            .find(|(m, _)| *m == module)
            .map_or(&[][..], |(_, a)| *a);
        for next in allowed {
            if let Some(cycle) = visit(next, layers, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for (module, _) in layers {
        let mut stack = Vec::new();
        // `done` marks finished modules; a module on the stack is found before `done` is asked.
        if let Some(cycle) = visit(module, layers, &mut stack, &mut done) {
            return Some(cycle);
        }
    }
    None
}

/// `text` with every comment, string and character literal replaced by spaces (line breaks
/// kept), so that offsets and line numbers stay those of `text`.
pub(crate) fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| {
        if c == '\n' {
            out.push('\n');
        } else {
            // One space per byte, so byte offsets of the masked text are those of `text`.
            for _ in 0..c.len_utf8() {
                out.push(' ');
            }
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let previous_is_ident = i > 0 && is_ident_char(chars[i - 1]);
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    blank(&mut out, '/');
                    blank(&mut out, '*');
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    blank(&mut out, '*');
                    blank(&mut out, '/');
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            continue;
        }
        // Raw strings: `r"…"`, `r#"…"#`, with an optional `b` or `c` before the `r`.
        let raw_start = if !previous_is_ident && matches!(c, 'b' | 'c') && next == Some('r') {
            Some(i + 2)
        } else if !previous_is_ident && c == 'r' {
            Some(i + 1)
        } else {
            None
        };
        if let Some(mut j) = raw_start {
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                let mut k = j + 1;
                loop {
                    if k >= chars.len() {
                        break;
                    }
                    if chars[k] == '"' && (1..=hashes).all(|h| chars.get(k + h) == Some(&'#')) {
                        k += 1 + hashes;
                        break;
                    }
                    k += 1;
                }
                for &ch in &chars[i..k.min(chars.len())] {
                    blank(&mut out, ch);
                }
                i = k;
                continue;
            }
        }
        if c == '"' {
            blank(&mut out, c);
            i += 1;
            while i < chars.len() {
                let ch = chars[i];
                if ch == '\\' {
                    blank(&mut out, ch);
                    if let Some(&escaped) = chars.get(i + 1) {
                        blank(&mut out, escaped);
                    }
                    i += 2;
                    continue;
                }
                blank(&mut out, ch);
                i += 1;
                if ch == '"' {
                    break;
                }
            }
            continue;
        }
        if c == '\'' {
            // A character literal (`'x'`, `'\n'`, `'\u{1F600}'`), else a lifetime or label.
            let end = if next == Some('\\') {
                (i + 2..chars.len().min(i + 12)).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            if let Some(end) = end {
                for &ch in &chars[i..=end] {
                    blank(&mut out, ch);
                }
                i = end + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The byte ranges of `#[cfg(test)]` items (modules and functions) in masked text.
pub(crate) fn test_regions(masked: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = masked[from..].find("#[cfg(") {
        let start = from + at;
        from = start + 1;
        if is_test_cfg(masked, start)
            && let Some(end) = item_end(masked, start)
        {
            out.push(start..end);
        }
    }
    out
}

/// Whether the `#[cfg(...)]` attribute at `start` holds only for tests: `cfg(test)`, or `test`
/// inside `all(...)` (`#[cfg(all(test, unix))]`), never under `not`.
fn is_test_cfg(masked: &str, start: usize) -> bool {
    let Some(end) = masked[start..].find(']') else {
        return false;
    };
    let attribute: String = masked[start..start + end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    attribute == "#[cfg(test)"
        || (attribute.starts_with("#[cfg(all(")
            && attribute
                .trim_start_matches("#[cfg(all(")
                .split([',', ')'])
                .any(|part| part == "test"))
}

/// Where the item starting at `start` ends: after its `;` or its closing `}` (braces of the
/// body matched), whichever comes first at depth zero of `()` and `[]`.
fn item_end(masked: &str, start: usize) -> Option<usize> {
    let bytes = masked.as_bytes();
    let mut depth = 0i32;
    let mut i = start;
    // Skip the attribute itself.
    if masked[start..].starts_with("#[") {
        i = start + masked[start..].find(']')? + 1;
    }
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b';' if depth == 0 => return Some(i + 1),
            b'{' if depth == 0 => return matching_brace(bytes, i).map(|end| end + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, byte) in bytes.iter().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every absolute module path in masked text, at the offset of its first segment: `crate::`
/// paths (and groups), `super::` paths resolved against `here`, and in the binary,
/// `borderline::` paths (the library) next to `crate::` ones (the binary's own modules, which
/// sit under `main`).
fn paths(masked: &str, here: &[String], binary: bool) -> Vec<(usize, Vec<String>)> {
    let bytes = masked.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(is_ident_byte(bytes[i - 1]) || bytes[i - 1] == b':');
        if !starts_word || !is_ident_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let word_end = (i..bytes.len())
            .find(|&k| !is_ident_byte(bytes[k]))
            .unwrap_or(bytes.len());
        let word = &masked[i..word_end];
        let after = skip_space(bytes, word_end);
        if !masked[after..].starts_with("::") {
            i = word_end;
            continue;
        }
        let base: Option<Vec<String>> = match word {
            "crate" if binary => Some(vec!["main".to_string()]),
            "crate" => Some(Vec::new()),
            "borderline" if binary => Some(Vec::new()),
            "super" => {
                // `super::super::x`: one level up per `super`.
                let mut up = 1;
                let mut k = skip_space(bytes, after + 2);
                while masked[k..].starts_with("super") {
                    let next = skip_space(bytes, k + "super".len());
                    if !masked[next..].starts_with("::") {
                        break;
                    }
                    up += 1;
                    k = skip_space(bytes, next + 2);
                }
                let mut base: Vec<String> = here.to_vec();
                for _ in 0..up {
                    base.pop();
                }
                for (offset, path) in tree(masked, k) {
                    let mut full = base.clone();
                    full.extend(path);
                    out.push((offset, rebase(full, binary)));
                }
                i = k;
                continue;
            }
            _ => None,
        };
        if let Some(base) = base {
            for (offset, path) in tree(masked, after + 2) {
                let mut full = base.clone();
                full.extend(path);
                out.push((offset, rebase(full, binary)));
            }
        }
        i = word_end;
    }
    out
}

/// In the binary, `main::cli` is the top-level `cli`.
fn rebase(path: Vec<String>, binary: bool) -> Vec<String> {
    if binary && path.first().is_some_and(|p| p == "main") && path.len() > 1 {
        return path[1..].to_vec();
    }
    path
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The paths of a use tree (or a plain path) starting at `i`, each with the offset of its first
/// segment: `a::b::c` is one, `{a, b::{c, d}}` three. `self` and `*` add nothing to the path;
/// only the first two segments matter, so deeper ones are cut.
fn tree(masked: &str, i: usize) -> Vec<(usize, Vec<String>)> {
    let bytes = masked.as_bytes();
    let i = skip_space(bytes, i);
    if bytes.get(i) == Some(&b'{') {
        let mut out = Vec::new();
        let Some(close) = matching_brace(bytes, i) else {
            return out;
        };
        // Items at depth one, split at commas outside nested braces.
        let mut depth = 0;
        let mut item_start = i + 1;
        for k in i + 1..=close {
            match bytes[k] {
                b'{' => depth += 1,
                b'}' if depth > 0 => depth -= 1,
                b',' | b'}' if depth == 0 => {
                    if masked[item_start..k].trim().is_empty() {
                        item_start = k + 1;
                        continue;
                    }
                    out.extend(tree(masked, item_start));
                    item_start = k + 1;
                }
                _ => {}
            }
        }
        return out;
    }
    let end = (i..bytes.len())
        .find(|&k| !is_ident_byte(bytes[k]))
        .unwrap_or(bytes.len());
    let word = &masked[i..end];
    if word.is_empty() || word == "self" {
        return vec![(i, Vec::new())];
    }
    let after = skip_space(bytes, end);
    if masked[after..].starts_with("::") {
        let rest = tree(masked, after + 2);
        if rest.is_empty() {
            return vec![(i, vec![word.to_string()])];
        }
        return rest
            .into_iter()
            .map(|(offset, mut path)| {
                path.insert(0, word.to_string());
                path.truncate(2);
                // A group's items keep their own offsets (and lines); a plain path its start.
                (if path.len() > 1 { offset } else { i }, path)
            })
            .collect();
    }
    vec![(i, vec![word.to_string()])]
}

/// A function over the limit.
#[derive(Debug, PartialEq, Eq)]
struct LongFunction {
    line: usize,
    name: String,
    lines: usize,
}

/// The non-test functions of a file longer than the limit without a `// long-fn:` reason.
fn long_functions(file: &str, text: &str) -> Vec<LongFunction> {
    if is_test_file_name(file) {
        return Vec::new();
    }
    let masked = mask(text);
    let skipped = test_regions(&masked);
    let lines: Vec<&str> = text.lines().collect();
    let bytes = masked.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find_word(&masked, "fn", from) {
        from = at + 2;
        if skipped.iter().any(|range| range.contains(&at)) {
            continue;
        }
        let name_start = skip_space(bytes, at + 2);
        let name_end = (name_start..bytes.len())
            .find(|&k| !is_ident_byte(bytes[k]))
            .unwrap_or(bytes.len());
        if name_end == name_start {
            // `fn(` is a function pointer type, not an item.
            continue;
        }
        let Some(body_end) = item_end(&masked, at) else {
            continue;
        };
        let first = masked[..at].matches('\n').count();
        let last = masked[..body_end].matches('\n').count();
        let length = last - first + 1;
        if length > MAX_FUNCTION_LINES && !has_reason(&lines, first) {
            out.push(LongFunction {
                line: first + 1,
                name: masked[name_start..name_end].to_string(),
                lines: length,
            });
        }
    }
    out
}

fn find_word(masked: &str, word: &str, from: usize) -> Option<usize> {
    let bytes = masked.as_bytes();
    let mut start = from;
    while let Some(at) = masked.get(start..)?.find(word) {
        let at = start + at;
        let before = at == 0 || !is_ident_byte(bytes[at - 1]);
        let after = bytes
            .get(at + word.len())
            .is_none_or(|b| !is_ident_byte(*b));
        if before && after {
            return Some(at);
        }
        start = at + word.len();
    }
    None
}

/// Whether a `// long-fn:` comment sits directly above the function on 0-based line `line`,
/// above its doc comment and attributes.
fn has_reason(lines: &[&str], line: usize) -> bool {
    let mut k = line;
    let mut in_attribute = false;
    while k > 0 {
        k -= 1;
        let above = lines[k].trim();
        if in_attribute {
            in_attribute = !above.starts_with("#[");
            continue;
        }
        if above.starts_with("///") || above.starts_with("#[") {
            continue;
        }
        if above.ends_with(']') || above.ends_with(")]") {
            // The last line of an attribute written over several lines.
            in_attribute = true;
            continue;
        }
        return above.starts_with("// long-fn:");
    }
    false
}

// ---------------------------------------------------------------------------------------------
// The checker on small inputs.

fn edges_of(file: &str, text: &str) -> Vec<(usize, Vec<String>)> {
    edges(file, text)
        .into_iter()
        .map(|edge| (edge.line, edge.to))
        .collect()
}

fn path(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

#[test]
fn a_forbidden_use_fails_with_file_line_and_the_allowed_list() {
    let found = edges(
        "source/mod.rs",
        "//! x\n\nuse crate::extract::lexer::Piece;\n",
    );
    assert_eq!(found.len(), 1);
    let Judgement::Forbidden(message) = judge(&found[0]) else {
        panic!("source may not use extract: {found:?}");
    };
    assert_eq!(
        message,
        "source/mod.rs:3: `crate::extract` used from `source`; allowed from `source`: nothing"
    );
    let found = edges("facts.rs", "use crate::model::Model;\n");
    let Judgement::Forbidden(message) = judge(&found[0]) else {
        panic!("facts may not use the model");
    };
    assert!(
        message.ends_with("allowed from `facts`: `date`, `rule`, `source`"),
        "{message}"
    );
    let found = edges("model/mod.rs", "use crate::rules::RuleSet;\n");
    assert_eq!(judge(&found[0]), Judgement::Allowed);
}

#[test]
fn comments_and_strings_are_not_uses() {
    let text = r##"//! See [`crate::report`].
/// Unlike [`crate::scan::scan`], this is quiet.
fn f() -> &'static str {
    // crate::report::text is not used here.
    /* nor crate::merge /* nested crate::cli */ here */
    let _c = '"';
    let _s = "crate::report";
    let _r = r#"crate::report "quoted" "#;
    let _b = br"crate::cli";
    "crate::merge"
}
"##;
    assert_eq!(edges_of("source/mod.rs", text), Vec::new());
    // A lifetime is not a character literal: the path after it is still seen.
    let text = "fn f<'a>(x: &'a crate::facts::Facts) -> &'a str { x.f() }\n";
    assert_eq!(
        edges_of("model/mod.rs", text),
        vec![(1, path(&["facts", "Facts"]))]
    );
}

#[test]
fn groups_nested_groups_and_paths_in_code_are_seen() {
    let text = "use crate::{\n    date::Date,\n    extract::{compose, env::EnvFile},\n    rules,\n};\nfn f() { crate::report::json::write(); }\n";
    assert_eq!(
        edges_of("model/mod.rs", text),
        vec![
            (2, path(&["date", "Date"])),
            (3, path(&["extract", "compose"])),
            (3, path(&["extract", "env"])),
            (4, path(&["rules"])),
            (6, path(&["report", "json"])),
        ]
    );
    let forbidden: Vec<_> = edges("model/mod.rs", text)
        .iter()
        .filter(|edge| matches!(judge(edge), Judgement::Forbidden(_)))
        .map(|edge| edge.line)
        .collect();
    assert_eq!(forbidden, vec![6]);
}

#[test]
fn super_paths_are_resolved_and_test_modules_skipped() {
    let text = "use super::compose::services;\nuse super::super::report::Position;\n#[cfg(test)]\nmod tests {\n    use crate::report::text;\n}\n";
    assert_eq!(
        edges_of("extract/kubernetes.rs", text),
        vec![
            (1, path(&["extract", "compose"])),
            (2, path(&["report", "Position"]))
        ]
    );
    // `super` from a top-level file is the crate root.
    assert_eq!(
        edges_of("merge.rs", "use super::report::Position;\n"),
        vec![(1, path(&["report", "Position"]))]
    );
}

#[test]
fn only_test_configurations_are_skipped() {
    let text = "#[cfg(all(test, unix))]\nmod tests {\n    use crate::report::text;\n}\n#[cfg(not(test))]\nfn f() { crate::report::x(); }\n#[cfg(unix)]\nfn g() { crate::merge::y(); }\n";
    assert_eq!(
        edges_of("model/mod.rs", text),
        vec![(6, path(&["report", "x"])), (8, path(&["merge", "y"]))]
    );
}

#[test]
fn extract_format_modules_are_kept_apart() {
    let found = edges("extract/compose.rs", "use super::kubernetes::x;\n");
    assert_eq!(judge(&found[0]), Judgement::Allowed);
    let found = edges(
        "extract/kubernetes/cluster.rs",
        "use crate::extract::{compose, yaml};\n",
    );
    assert!(matches!(
        judge(&found[0]),
        Judgement::Forbidden(_) | Judgement::PendingApart(_)
    ));
    assert_eq!(judge(&found[1]), Judgement::Allowed);
}

#[test]
fn the_binary_reaches_the_library_through_its_name() {
    let text =
        "use borderline::scan::scan;\nuse crate::cli::Options;\nuse borderline::merge::merge;\n";
    assert_eq!(
        edges_of("cli/scan_cmd.rs", text),
        vec![
            (1, path(&["scan", "scan"])),
            (2, path(&["cli", "Options"])),
            (3, path(&["merge", "merge"])),
        ]
    );
    let found = edges("main.rs", "use borderline::report::text;\n");
    assert!(matches!(judge(&found[0]), Judgement::Forbidden(_)));
}

#[test]
fn a_cycle_in_the_table_is_found() {
    let layers: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])];
    assert_eq!(find_cycle(layers), Some(path(&["a", "b", "c", "a"])));
    let layers: &[(&str, &[&str])] = &[("a", &["b", "c"]), ("b", &["c"]), ("c", &[])];
    assert_eq!(find_cycle(layers), None);
}

fn function(lines: usize, above: &str) -> String {
    let mut text = String::from("//! x\n\n");
    text.push_str(above);
    text.push_str("pub fn long(x: [u8; 4]) -> usize {\n");
    for _ in 0..lines - 2 {
        text.push_str("    let _ = \"}\"; // }\n");
    }
    text.push_str("}\n");
    text
}

#[test]
fn a_function_over_the_limit_fails_unless_a_reason_is_written_above_it() {
    assert_eq!(long_functions("a.rs", &function(120, "")), Vec::new());
    assert_eq!(
        long_functions("a.rs", &function(121, "")),
        vec![LongFunction {
            line: 3,
            name: "long".into(),
            lines: 121
        }]
    );
    let reason = "// long-fn: one arm per case; a split would scatter the table\n/// Docs.\n#[allow(\n    clippy::too_many_lines\n)]\n#[inline]\n";
    assert_eq!(long_functions("a.rs", &function(200, reason)), Vec::new());
    // A reason must be directly above: a blank line, or another comment, breaks it.
    let detached = "// long-fn: a reason\n\n/// Docs.\n";
    assert_eq!(long_functions("a.rs", &function(200, detached)).len(), 1);
    let wrong = "// a long function\n";
    assert_eq!(long_functions("a.rs", &function(200, wrong)).len(), 1);
    // Test code may be long.
    let test = format!("#[cfg(test)]\nmod tests {{\n{}}}\n", function(200, ""));
    assert_eq!(long_functions("a.rs", &test), Vec::new());
    assert_eq!(long_functions("x/tests.rs", &function(200, "")), Vec::new());
    // A function without a body (a trait's) is not measured, nor a `fn(...)` type.
    let text = "trait T {\n    fn f(&self) -> fn(u8) -> u8;\n}\n";
    assert_eq!(long_functions("a.rs", text), Vec::new());
}

#[test]
fn test_module_files_are_found() {
    let masked = mask("#[cfg(test)]\nmod instance_tests;\n#[cfg(test)]\nmod tests {}\nmod real;\n");
    assert_eq!(
        test_module_files("extract/terraform/mod.rs", &masked),
        vec![
            "extract/terraform/instance_tests.rs".to_string(),
            "extract/terraform/instance_tests/mod.rs".to_string()
        ]
    );
    assert_eq!(
        test_module_files("extract/rust.rs", &masked)[0],
        "extract/rust/instance_tests.rs"
    );
}
