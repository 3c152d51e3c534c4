//! The invariants ARCHITECTURE.md states about what each layer may touch, checked on the sources:
//! the model, evaluation and checks do no I/O; only the CLI knows the terminal, argv, the
//! environment and exit codes; `dot` is the one program run, from one place; nothing opens a
//! network connection. Each rule is a list of tokens forbidden in non-test code of some modules.

use std::path::{Path, PathBuf};

/// One invariant: tokens that may not appear in the non-test code of files outside `allowed`
/// (paths relative to `analyzer/src`, a directory ending in `/`), or inside `only_in` when set.
struct Invariant {
    what: &'static str,
    tokens: &'static [&'static str],
    /// The rule applies only to these files or directories (empty: to every file).
    applies_to: &'static [&'static str],
    /// Files or directories exempt from the rule.
    allowed: &'static [&'static str],
}

const INVARIANTS: &[Invariant] = &[
    Invariant {
        what: "the model, evaluation and checks do no I/O (ARCHITECTURE.md, Invariants)",
        tokens: &[
            "std::fs",
            "fs::read",
            "File::open",
            "File::create",
            "safe_io",
            "discover::read",
            "std::process",
            "std::net",
            "std::env",
        ],
        applies_to: &["model/", "evaluate/", "checks/"],
        allowed: &[],
    },
    Invariant {
        what: "only the CLI knows the terminal, argv, the environment and exit codes",
        tokens: &[
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "std::io::stdout",
            "std::io::stderr",
            "io::stdout()",
            "io::stderr()",
            "is_terminal",
            "process::exit",
            "env::args",
            "env::var(",
            "env::var_os(\"NO_COLOR",
        ],
        applies_to: &[],
        allowed: &["cli/", "main.rs"],
    },
    Invariant {
        what: "Graphviz's `dot` is the one program borderline runs, from report/graph.rs",
        tokens: &["Command::new", "process::Command", "std::os::unix::process"],
        applies_to: &[],
        allowed: &["report/graph.rs"],
    },
    Invariant {
        what: "only `report` renders scan results",
        tokens: &["annotate_snippets", "graphviz_rust"],
        applies_to: &[],
        allowed: &["report/"],
    },
    Invariant {
        what: "borderline never opens a network connection",
        tokens: &[
            "std::net",
            "TcpStream",
            "UdpSocket",
            "TcpListener",
            "reqwest",
            "ureq::",
            "hyper::",
        ],
        applies_to: &[],
        allowed: &[],
    },
];

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of non-test code, numbered from 1, with `//` comments cut: test modules
/// (`#[cfg(test)]` and the item after it, to its closing brace at the same indentation) and test
/// files are skipped, since tests may print, read files and spawn processes.
fn code_lines(relative: &str, text: &str) -> Vec<(usize, String)> {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    if name == "tests.rs" || name.ends_with("_tests.rs") || relative.contains("/tests/") {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let mut skip_until: Option<String> = None;
    let mut pending_test = false;
    for (index, line) in text.lines().enumerate() {
        if let Some(end) = &skip_until {
            if line == end {
                skip_until = None;
            }
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            pending_test = true;
            continue;
        }
        if pending_test && trimmed.starts_with("#[") {
            continue;
        }
        if pending_test {
            pending_test = false;
            let indent = &line[..line.len() - trimmed.len()];
            if !trimmed.ends_with(';') {
                skip_until = Some(format!("{indent}}}"));
            }
            continue;
        }
        let code = without_strings(trimmed);
        let code = match code.find("//") {
            Some(at) => code[..at].to_string(),
            None => code,
        };
        lines.push((index + 1, code));
    }
    lines
}

/// The line with the contents of its string literals blanked, so a table of client names
/// (`"reqwest::get"`) or a message is not code.
fn without_strings(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                out.push(c);
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    out
}

fn matches(relative: &str, patterns: &[&str]) -> bool {
    patterns.iter().any(|p| {
        if p.ends_with('/') {
            relative.starts_with(p)
        } else {
            relative == *p
        }
    })
}

/// Every breach of the invariants in the given sources, as `FILE:LINE: ...` lines.
fn breaches(sources: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (relative, text) in sources {
        for invariant in INVARIANTS {
            let applies =
                invariant.applies_to.is_empty() || matches(relative, invariant.applies_to);
            if !applies || matches(relative, invariant.allowed) {
                continue;
            }
            for (number, line) in code_lines(relative, text) {
                // One breach per line and invariant: the first token it holds.
                if let Some(token) = invariant.tokens.iter().find(|t| line.contains(*t)) {
                    found.push(format!(
                        "analyzer/src/{relative}:{number}: `{token}` breaks \"{}\"",
                        invariant.what
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn the_layers_keep_to_what_architecture_md_says_they_may_touch() {
    let root = source_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (relative, std::fs::read_to_string(path).unwrap())
        })
        .collect();
    assert!(
        sources.len() > 50,
        "the walk found only {} files under {}",
        sources.len(),
        root.display()
    );
    let found = breaches(&sources);
    assert!(found.is_empty(), "invariants broken:\n{}", found.join("\n"));
}

#[test]
fn a_breach_is_seen_and_a_test_module_or_comment_is_not() {
    let source = |path: &str, text: &str| vec![(path.to_string(), text.to_string())];
    let io = breaches(&source(
        "model/mod.rs",
        "fn f() {\n    let _ = std::fs::read(\"x\");\n}\n",
    ));
    assert_eq!(
        io,
        [
            "analyzer/src/model/mod.rs:2: `std::fs` breaks \"the model, evaluation and checks do no I/O (ARCHITECTURE.md, Invariants)\""
        ]
    );
    assert_eq!(
        breaches(&source("report/text.rs", "fn f() { println!(\"x\"); }\n")).len(),
        1
    );
    assert_eq!(
        breaches(&source(
            "scan.rs",
            "let c = std::process::Command::new(\"sh\");\n"
        ))
        .len(),
        1
    );
    // A name inside a string literal (a table of client calls) is not code.
    let table = "const T: &[&str] = &[\"reqwest::get\"];\n";
    assert!(breaches(&source("extract/code/calls.rs", table)).is_empty());
    // A test module behind `cfg(all(test, ..))` and further attributes is skipped too.
    let cfg_all = "#[cfg(all(test, unix))]\n#[allow(dead_code)]\nmod tests {\n    fn g() { std::process::Command::new(\"mkfifo\"); }\n}\n";
    assert!(breaches(&source("discover/mod.rs", cfg_all)).is_empty());
    assert!(breaches(&source("cli/mod.rs", "fn f() { println!(\"x\"); }\n")).is_empty());
    assert!(
        breaches(&source(
            "model/mod.rs",
            "// std::fs is not used here\nfn f() {}\n"
        ))
        .is_empty()
    );
    let test_module = "fn f() {}\n\n#[cfg(test)]\nmod tests {\n    fn g() { let _ = std::fs::read(\"x\"); }\n}\nfn h() { println!(\"after\"); }\n";
    let after_tests = breaches(&source("model/mod.rs", test_module));
    assert_eq!(after_tests.len(), 1, "{after_tests:?}");
    assert!(
        after_tests[0].starts_with("analyzer/src/model/mod.rs:7:"),
        "{after_tests:?}"
    );
}
