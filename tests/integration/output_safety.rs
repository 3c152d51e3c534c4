//! Names from the scanned repository reach every output format: a node called `"];evil`, one with
//! ANSI escapes, one with HTML, one with Markdown pipes, backticks and a line break (declared with
//! TOML escapes in borderline.toml and as a Kubernetes name) must leave each format well-formed.

use crate::support::{FIXTURE_DATE, assert_markdown_tables, borderline, stdout};
use std::path::Path;

const MANIFEST: &str = r#"[[node]]
id = "web"
location = "DE"

[[node]]
id = "\"];evil"
kind = "vendor"
location = "US"

[[node]]
id = "ansi\u001b[31mred\u001b]8;;http://x\u0007\r"
kind = "vendor"
location = "US"

[[node]]
id = "<script>alert(1)</script>"
kind = "vendor"
location = "US"

[[node]]
id = "pipe|`tick`*[x](y)\nnew line"
kind = "vendor"
location = "US"

[[flow]]
from = "web"
to = "\"];evil"
data = ["user.contact"]

[[flow]]
from = "web"
to = "ansi\u001b[31mred\u001b]8;;http://x\u0007\r"
data = ["user.contact"]

[[flow]]
from = "web"
to = "<script>alert(1)</script>"
data = ["user.contact"]

[[flow]]
from = "web"
to = "pipe|`tick`*[x](y)\nnew line"
data = ["user.contact"]
"#;

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"k8s\\\"];evil<script>|`x`\\e[31m\\nline\"\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n            - name: API_URL\n              value: https://api.stripe.com/v1\n";

fn hostile_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("borderline.toml"), MANIFEST).unwrap();
    std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
    std::fs::write(dir.path().join("k8s/deploy.yaml"), DEPLOYMENT).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend([".", "--date", FIXTURE_DATE]);
    let output = borderline(dir, &all);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

/// No terminal control character but line breaks (and the tabs some formats indent with).
fn assert_no_control(format: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        .filter(|c| !(format == "csv" && *c == '\r'))
        .collect();
    assert!(
        bad.is_empty(),
        "{format}: control characters {bad:?} in\n{text}"
    );
}

/// RFC 4180 records: quoted fields may hold commas, quotes and line breaks; each record has `columns` fields.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted CSV field");
    records
}

#[test]
fn hostile_names_leave_every_output_format_well_formed() {
    let dir = hostile_repository();

    let text = run(dir.path(), &["scan"]);
    assert!(text.contains("evil"), "{text}");
    assert_no_control("text", &text);

    let json = run(dir.path(), &["scan", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    // JSON keeps names exactly (escaped by the encoder), so tools downstream see the truth.
    assert!(ids.contains(&"\"];evil"), "{ids:?}");
    assert!(
        ids.iter().any(|id| id.starts_with("k8s\"];evil")),
        "{ids:?}"
    );
    assert_no_control("json", &json);

    let sarif = run(dir.path(), &["scan", "--format", "sarif"]);
    let _: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_no_control("sarif", &sarif);

    let markdown = run(dir.path(), &["scan", "--format", "markdown"]);
    assert_no_control("markdown", &markdown);
    assert_markdown_tables("scan markdown", &markdown);
    assert!(!markdown.contains("<script>"), "{markdown}");

    let gitlab = run(dir.path(), &["scan", "--format", "gitlab"]);
    let _: serde_json::Value = serde_json::from_str(&gitlab).unwrap();
    assert_no_control("gitlab", &gitlab);

    let github = run(dir.path(), &["scan", "--format", "github"]);
    assert_no_control("github", &github);
    // Only borderline's own lines are workflow commands, and a name cannot add a property.
    for line in github.lines().filter(|l| l.starts_with("::")) {
        let head = line.split("::").nth(1).unwrap_or_default();
        let properties = head.split_once(' ').map_or("", |(_, p)| p);
        for property in properties.split(',') {
            let key = property.split('=').next().unwrap_or_default();
            assert!(
                ["file", "line", "col", "title"].contains(&key),
                "github: {line}"
            );
        }
    }

    let junit = run(dir.path(), &["scan", "--format", "junit"]);
    assert_no_control("junit", &junit);
    let parsed = roxmltree::Document::parse(&junit);
    assert!(
        parsed.is_ok(),
        "JUnit XML does not parse: {parsed:?}\n{junit}"
    );

    let register = run(dir.path(), &["ropa", "--format", "markdown"]);
    assert_no_control("ropa markdown", &register);
    assert_markdown_tables("ropa markdown", &register);
    assert!(!register.contains("<script>"), "{register}");

    let csv = run(dir.path(), &["ropa", "--format", "csv"]);
    assert_no_control("csv", &csv);
    let records = csv_records(&csv);
    assert!(records.len() >= 5, "{csv}");
    for record in &records {
        assert_eq!(record.len(), records[0].len(), "{record:?}");
    }

    let graph_json = run(dir.path(), &["graph", "--format", "json"]);
    let _: serde_json::Value = serde_json::from_str(&graph_json).unwrap();

    let mermaid = run(dir.path(), &["graph", "--format", "mermaid"]);
    assert_no_control("mermaid", &mermaid);
    for line in mermaid.lines() {
        // A label is one `"..."` on one line: a raw quote or line break from a name would split it.
        assert_eq!(line.matches('"').count() % 2, 0, "mermaid: {line}");
        assert!(!line.contains("<script"), "mermaid: {line}");
    }
    assert!(mermaid.contains("evil"), "{mermaid}");

    let dot = run(dir.path(), &["graph", "--format", "dot"]);
    assert_no_control("dot", &dot);
    let parsed = graphviz_rust::parse(&dot);
    assert!(parsed.is_ok(), "DOT does not parse: {parsed:?}\n{dot}");
    assert!(
        !dot.lines().any(|l| l.trim_start().starts_with("evil")),
        "{dot}"
    );
    // Graphviz itself is the final word on the DOT being well-formed; it is required.
    crate::support::require_dot();
    let mut child = std::process::Command::new("dot")
        .arg("-Tcanon")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("graphviz `dot` does not run ({e}): install graphviz"));
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dot rejects the graph: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
