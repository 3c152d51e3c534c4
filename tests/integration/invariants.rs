//! The invariants ARCHITECTURE.md states about what each layer may touch, checked on the sources:
//! the model, evaluation and checks do no I/O; only the CLI knows the terminal, argv, the
//! environment and exit codes; `dot` is the one program run, from one place; nothing opens a
//! network connection. Each rule is a list of tokens forbidden in non-test code of some modules.

use crate::tidy::{mask, sources, test_regions};
use std::collections::BTreeSet;

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
        ],
        applies_to: &[],
        allowed: &["cli/", "main.rs"],
    },
    Invariant {
        what: "the environment is read by the CLI, and `PATH` by report/graph/mod.rs to find `dot`",
        tokens: &["env::var(", "env::var_os", "env::vars"],
        applies_to: &[],
        allowed: &["cli/", "main.rs", "report/graph/mod.rs"],
    },
    Invariant {
        what: "Graphviz's `dot` is the one program borderline runs, from report/graph/mod.rs",
        tokens: &["Command::new", "process::Command", "std::os::unix::process"],
        applies_to: &[],
        allowed: &["report/graph/mod.rs"],
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
            // Comments and string contents are masked (a table of client names such as
            // `"reqwest::get"` is not code), and test items are skipped, as the tidy test does.
            let masked = mask(text);
            let tests = test_regions(&masked);
            let mut lines = BTreeSet::new();
            for (index, token) in invariant.tokens.iter().enumerate() {
                for (offset, _) in masked.match_indices(token) {
                    if !tests.iter().any(|range| range.contains(&offset)) {
                        lines.insert((masked[..offset].matches('\n').count() + 1, index));
                    }
                }
            }
            // One breach per line and invariant: the first of its tokens the line holds.
            let mut last = None;
            for (number, index) in lines {
                let token = invariant.tokens[index];
                if last == Some(number) {
                    continue;
                }
                last = Some(number);
                found.push(format!(
                    "analyzer/src/{relative}:{number}: `{token}` breaks \"{}\"",
                    invariant.what
                ));
            }
        }
    }
    found
}

#[test]
fn the_layers_keep_to_what_architecture_md_says_they_may_touch() {
    // The tidy test's walk: the non-test files under analyzer/src, by relative path.
    let sources: Vec<(String, String)> = sources().into_iter().collect();
    assert!(
        sources.len() > 50,
        "the walk found only {} files",
        sources.len()
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
