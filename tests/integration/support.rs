//! Helpers shared by the integration tests: paths, the fixed evaluation date, running the binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// Fixtures are evaluated on a fixed date, so verdicts that depend on dates do not drift.
pub const FIXTURE_DATE: &str = "2026-11-29";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("fixtures")
}

/// Runs the `borderline` binary with `args` in `dir`.
pub fn borderline(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_borderline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run borderline: {e}"))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Copies a directory tree (regular files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let target = to.join(entry.file_name());
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// Runs `borderline` with a ceiling on its address space and CPU time, and a wall-clock guard:
/// work that is no longer bounded fails the test by being killed (a signal, no exit code), not by
/// a comparison with a measured time. The limits are far above what a bounded run needs, so a
/// slow machine does not fail them.
pub fn borderline_bounded(dir: &Path, args: &[&str], memory_mib: u64, cpu_seconds: u64) -> Output {
    std::process::Command::new("timeout")
        .arg("-k")
        .arg("5")
        .arg((cpu_seconds * 4).to_string())
        .arg("prlimit")
        .arg(format!("--as={}", memory_mib * 1024 * 1024))
        .arg(format!("--cpu={cpu_seconds}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_borderline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run borderline under prlimit: {e}"))
}

/// Asserts that a bounded run finished by itself (exit code 0, 1 or 2), not killed by a limit.
pub fn assert_finished_within_bounds(output: &Output, what: &str) {
    match output.status.code() {
        Some(0..=2) => {}
        other => panic!(
            "{what}: borderline did not finish within its memory/CPU bounds (status {other:?}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// The findings of a JSON report with the given rule.
pub fn findings<'a>(report: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .map(|all| all.iter().filter(|f| f["rule"] == rule).collect())
        .unwrap_or_default()
}

/// Pipes that end a Markdown cell: those not escaped with a backslash.
pub fn cell_separators(row: &str) -> usize {
    let mut count = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    count
}

/// Every row of every Markdown table has as many cells as its header.
pub fn assert_markdown_tables(what: &str, text: &str) {
    let mut header: Option<usize> = None;
    for line in text.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let cells = cell_separators(line);
        match header {
            None => header = Some(cells),
            Some(expected) => assert_eq!(cells, expected, "{what}: row breaks its table: {line}"),
        }
    }
}

/// `borderline scan . --format json` in `dir`, parsed; panics with stderr when it is not JSON.
pub fn scan_report(dir: &Path) -> serde_json::Value {
    let output = borderline(dir, &["scan", ".", "--format", "json"]);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The node of `report` with id `id`; panics listing the nodes when there is none.
pub fn report_node<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == id))
        .unwrap_or_else(|| panic!("no node `{id}` in {}", report["nodes"]))
}

/// Writes `text` to `path` under `dir`, creating the directories on the way.
pub fn write_file(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// Runs git in `dir` with no system or user configuration (a fixed author, no signing, `main`).
pub fn git(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap_or_else(|e| panic!("cannot run git (the tests need it): {e}"));
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Makes `into` a git repository of a copy of the fixture `case`, if the case asks for one with a
/// `git-tracked.txt`: `git add .` adds what the case's ignore files allow, then `git add -f` adds
/// each path the file lists (blank lines and `#` comments aside). Returns whether it did.
pub fn git_repository_of(case: &Path, into: &Path) -> bool {
    let Ok(listed) = std::fs::read_to_string(case.join("git-tracked.txt")) else {
        return false;
    };
    copy_dir(case, into);
    git(into, &["init", "-q"]);
    git(into, &["add", "."]);
    for path in listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        git(into, &["add", "-f", "--", path]);
    }
    true
}

/// What a user sees of one run, for a snapshot: the command line, the exit code, standard output
/// and standard error. Each stream is headed by its length in bytes, because a snapshot comparison
/// forgives trailing newlines and the byte-identity of the output is what the snapshot guards.
pub fn transcript(args: &[&str], output: &Output) -> String {
    let code = output
        .status
        .code()
        .map_or_else(|| "killed by a signal".to_string(), |c| c.to_string());
    let mut text = format!("$ borderline {}\nexit code: {code}\n", args.join(" "));
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        text.push_str(&format!("--- {name}: {} bytes\n", bytes.len()));
        text.push_str(&String::from_utf8_lossy(bytes));
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            text.push('\n');
        }
    }
    text
}

/// Runs `check` on each of `names` and then fails once, naming every one that failed: a snapshot
/// walk reports all the fixtures whose output changed, not only the first.
pub fn check_each(what: &str, names: &[String], check: impl Fn(&str)) {
    let failed: Vec<&str> = names
        .iter()
        .filter(|name| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(name))).is_err()
        })
        .map(String::as_str)
        .collect();
    assert!(
        failed.is_empty(),
        "{what}: {} of {} snapshots differ or are missing (a new one needs its snapshot: \
         `INSTA_UPDATE=always cargo test --workspace --test integration`, then read the new \
         .snap files): {}",
        failed.len(),
        names.len(),
        failed.join(", ")
    );
}

/// Graphviz's `dot` is a requirement of the test suite (`.ci/run` installs it): the SVG output and
/// the DOT's validity are only checked by rendering with it, so its absence fails, not skips.
pub fn require_dot() {
    let runs = std::process::Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        runs,
        "graphviz `dot` is not installed or does not run: install graphviz (`apt-get install \
         graphviz`; `.ci/run` does) so the SVG and DOT tests can check the rendered graph"
    );
}

/// The edge from `from` to `to` in the map's DOT, which draws it through a label node
/// (`"from" -> "edge N"`, `"edge N" -> "to"`): the label node's line and the second half's line.
pub fn dot_edge(dot: &str, from: &str, to: &str) -> (String, String) {
    let head = format!("\"{from}\" -> \"");
    let lines: Vec<&str> = dot.lines().map(str::trim).collect();
    for line in &lines {
        let Some(rest) = line.strip_prefix(&head) else {
            continue;
        };
        let Some(label) = rest.split('"').next() else {
            continue;
        };
        let second = format!("\"{label}\" -> \"{to}\"");
        if let Some(edge) = lines.iter().find(|l| l.starts_with(&second)) {
            let node = format!("\"{label}\"[label=");
            let label_line = lines
                .iter()
                .find(|l| l.starts_with(&node))
                .unwrap_or_else(|| panic!("no label node {label} in\n{dot}"));
            return (label_line.to_string(), edge.to_string());
        }
    }
    panic!("no edge {from} -> {to} in\n{dot}");
}
