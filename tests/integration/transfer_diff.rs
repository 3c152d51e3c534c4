//! The transfer diff of a pull request: `borderline diff OLD NEW` over the fragments of
//! `fixtures/diff-shop` (the main branch) and `fixtures/diff-shop-pr` (a pull request that moves
//! the AWS region from eu-west-1 to us-east-1, adds a chat vendor outside the DPF, retires the SMS
//! provider and sends one more category to the email vendor), as text, JSON and Markdown
//! snapshots; `scan --baseline-graph` adding the same diff to the scan's reports without changing
//! its exit code; identical maps, malformed fragments, and hostile node names in every format.

use crate::support::{
    FIXTURE_DATE, assert_markdown_tables, borderline, copy_dir, fixtures_dir, stderr, stdout,
    transcript,
};
use serde_json::{Value, json};
use std::path::Path;

/// A directory holding `base.json` (the main branch's fragment) and `pr.json` (the pull
/// request's), each written by `borderline graph --format json`.
fn fragments() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (fixture, name) in [("diff-shop", "base.json"), ("diff-shop-pr", "pr.json")] {
        let root = fixtures_dir().join(fixture);
        let root = root.to_str().unwrap();
        let output = borderline(
            dir.path(),
            &[
                "graph",
                root,
                "--format",
                "json",
                "--date",
                FIXTURE_DATE,
                "-o",
                name,
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    dir
}

#[test]
fn the_diff_of_a_pull_request_in_every_format() {
    let dir = fragments();
    for format in ["text", "json", "markdown"] {
        let args = ["diff", "base.json", "pr.json", "--format", format];
        let output = borderline(dir.path(), &args);
        // A transfer was added (and one with a finding): the run fails.
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        insta::assert_snapshot!(format!("diff_shop_{format}"), transcript(&args, &output));
    }
}

#[test]
fn the_diff_says_what_the_pull_request_did() {
    let dir = fragments();
    let output = borderline(
        dir.path(),
        &["diff", "base.json", "pr.json", "--format", "json"],
    );
    let diff: Value = serde_json::from_slice(&output.stdout).unwrap();
    let change = |from: Value, to: &str| -> Value {
        diff["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["from"] == from && c["to"] == to)
            .cloned()
            .unwrap_or_else(|| panic!("no change {from} -> {to}: {diff:#}"))
    };
    // The bucket moved with the region: the flow into it became a transfer, and says why.
    let bucket = change(json!("orders"), "aws_s3_bucket.invoices");
    assert_eq!(bucket["change"], "added");
    assert_eq!(bucket["before"]["transfer"], "none");
    assert_eq!(bucket["after"]["to_countries"], json!(["US"]));
    assert!(
        bucket["why"]
            .as_array()
            .unwrap()
            .contains(&json!("aws_s3_bucket.invoices moved from IE to US")),
        "{bucket:#}"
    );
    // A store no flow reaches is data at rest: a transfer of its own once it is in the US.
    let sessions = change(Value::Null, "aws_dynamodb_table.sessions");
    assert_eq!(sessions["change"], "added");
    assert_eq!(sessions["after"]["transfer"], "lawful");
    // The new vendor is outside the DPF: added, with a finding, worse.
    let chat = change(json!("web"), "chatpilot");
    assert_eq!(chat["change"], "added");
    assert_eq!(chat["worse"], true);
    assert_eq!(chat["after"]["findings"], json!(["adequacy-scope-not-met"]));
    assert!(chat["before"].is_null());
    let sms = change(json!("orders"), "smsline");
    assert_eq!(sms["change"], "removed");
    assert!(sms["after"].is_null());
    let mail = change(json!("web"), "mailbird");
    assert_eq!(mail["change"], "changed");
    assert_eq!(mail["differences"], json!(["data"]));
    assert_eq!(mail["worse"], false);
    assert_eq!(
        diff["summary"],
        json!({"added": 3, "removed": 1, "changed": 1, "worse": 1, "unchanged": 0})
    );
    // Reversed, the pull request's additions are removals and nothing is worse.
    let back = borderline(
        dir.path(),
        &["diff", "pr.json", "base.json", "--fail-on", "worse"],
    );
    assert_eq!(back.status.code(), Some(0), "{}", stdout(&back));
    assert!(
        stdout(&back).contains("1 added, 3 removed, 1 changed, 0 unchanged\n"),
        "{}",
        stdout(&back)
    );
    // `--fail-on worse` still fails on the vendor with a finding; `never` never fails.
    let worse = borderline(
        dir.path(),
        &["diff", "base.json", "pr.json", "--fail-on", "worse"],
    );
    assert_eq!(worse.status.code(), Some(1));
    let never = borderline(
        dir.path(),
        &["diff", "base.json", "pr.json", "--fail-on", "never"],
    );
    assert_eq!(never.status.code(), Some(0));
}

#[test]
fn identical_maps_change_no_transfer() {
    let dir = fragments();
    let output = borderline(dir.path(), &["diff", "pr.json", "pr.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "transfer diff pr.json -> pr.json: no transfer changed (4 unchanged)\n"
    );
    let markdown = borderline(
        dir.path(),
        &["diff", "pr.json", "pr.json", "--format", "markdown"],
    );
    assert_eq!(markdown.status.code(), Some(0));
    let text = stdout(&markdown);
    assert!(text.contains("no transfer changed"), "{text}");
    assert!(!text.contains("mermaid"), "no map of nothing: {text}");
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
    // A base map of another project: said on standard error, the diff as it is.
    let mut other: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("base.json")).unwrap()).unwrap();
    other["project"] = json!("billing");
    std::fs::write(dir.path().join("other.json"), other.to_string()).unwrap();
    let mismatch = borderline(dir.path(), &["diff", "other.json", "pr.json"]);
    assert_eq!(
        stderr(&mismatch),
        "warning: other.json is a map of the project `billing` and pr.json of `lumen`: every transfer of one shows as removed or added\n"
    );
}

#[test]
fn scan_with_a_baseline_graph_reports_the_diff_and_keeps_its_exit_code() {
    let dir = fragments();
    copy_dir(&fixtures_dir().join("diff-shop-pr"), &dir.path().join("pr"));
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "pr", "--date", FIXTURE_DATE];
        args.extend_from_slice(extra);
        borderline(dir.path(), &args)
    };
    let plain = scan(&[]);
    let text = scan(&["--baseline-graph", "base.json"]);
    // The chat vendor's finding fails the scan, with or without the diff.
    assert_eq!(plain.status.code(), Some(1));
    assert_eq!(text.status.code(), plain.status.code());
    let report = stdout(&text);
    assert!(report.starts_with(&stdout(&plain)), "{report}");
    assert!(
        report.ends_with(
            "transfer diff base.json -> pr: 3 added, 1 removed, 1 changed, 0 unchanged; 1 with new findings\n"
        ),
        "{report}"
    );
    let json = scan(&["--baseline-graph", "base.json", "--format", "json"]);
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["transfer_diff"]["summary"]["added"], 3);
    assert_eq!(value["transfer_diff"]["old"]["source"], "base.json");
    let without: Value = serde_json::from_slice(&scan(&["--format", "json"]).stdout).unwrap();
    assert!(without.get("transfer_diff").is_none());
    // The pull-request comment: the changes come before the findings.
    let markdown = stdout(&scan(&[
        "--baseline-graph",
        "base.json",
        "--format",
        "markdown",
    ]));
    let changes = markdown.find("### Transfer changes").unwrap();
    let map = markdown.find("```mermaid\nflowchart LR\n  rest").unwrap();
    let findings = markdown.find("| | rule | where |").unwrap();
    assert!(changes < map && map < findings, "{markdown}");
    assert_markdown_tables("scan markdown with a diff", &markdown);
}

#[test]
fn a_malformed_fragment_is_a_usage_error_at_its_line_and_column() {
    let dir = fragments();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"version\": \"1\",\n  \"nodes\": [,]\n}\n",
    )
    .unwrap();
    for args in [
        vec!["diff", "broken.json", "pr.json"],
        vec!["diff", "base.json", "broken.json"],
        vec!["scan", "pr", "--baseline-graph", "broken.json"],
    ] {
        let output = borderline(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let message = stderr(&output);
        assert!(
            message.starts_with("error: broken.json: not a borderline graph fragment")
                && message.contains("line 3 column 13"),
            "{args:?}: {message}"
        );
    }
    let missing = borderline(dir.path(), &["diff", "base.json", "absent.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("absent.json"),
        "{}",
        stderr(&missing)
    );
    // Another major version of the schema is refused as `merge` refuses it.
    std::fs::write(
        dir.path().join("v9.json"),
        r#"{"version": "9", "nodes": [], "flows": []}"#,
    )
    .unwrap();
    let version = borderline(dir.path(), &["diff", "v9.json", "pr.json"]);
    assert_eq!(version.status.code(), Some(2));
    assert!(
        stderr(&version).contains("v9.json: graph format version 9 is not supported"),
        "{}",
        stderr(&version)
    );
}

/// Node names and categories that would break out of a Markdown table, a code span, a Mermaid
/// label or a line of text.
const HOSTILE: [&str; 6] = [
    "pipe|cell|break",
    "tick`code``span",
    "<script>alert(1)</script>",
    "new\nline\n::error::forged",
    "%%{init: {\"securityLevel\": \"loose\"}}%%",
    "esc\u{1b}[31m\u{202E}rtl @team #12",
];

/// A fragment in which `web` (DE) sends each hostile vendor (CN) a hostile category, without a
/// basis; the vendors are new in it, so the diff adds every one.
fn hostile_fragment(path: &Path) {
    let mut nodes =
        vec![json!({"id": "web", "kind": "service", "countries": ["DE"], "jurisdiction": "eea"})];
    let mut flows = Vec::new();
    for id in HOSTILE {
        nodes.push(json!({"id": id, "kind": "vendor", "countries": ["CN", id], "jurisdiction": "third-country"}));
        flows.push(json!({
            "id": format!("web->{id}"), "from": "web", "to": id, "data": [id],
            "transfer": "finding", "basis": id,
            "findings": [{"rule": id, "severity": "error", "message": id, "fingerprint": "f"}],
            "location": {"file": id, "line": 1, "column": 1},
        }));
    }
    let view = json!({"version": "1", "project": HOSTILE[0], "nodes": nodes, "flows": flows});
    std::fs::write(path, serde_json::to_string(&view).unwrap()).unwrap();
}

#[test]
fn hostile_names_stay_inert_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("empty.json"),
        r#"{"version": "1", "nodes": [], "flows": []}"#,
    )
    .unwrap();
    hostile_fragment(&dir.path().join("hostile.json"));
    let run = |format: &str| {
        let output = borderline(
            dir.path(),
            &["diff", "empty.json", "hostile.json", "--format", format],
        );
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        stdout(&output)
    };
    // Text: one line per change and one note under it, nothing that drives a terminal or a CI log.
    let text = run("text");
    assert_eq!(text.lines().count(), 2 * HOSTILE.len() + 1, "{text}");
    assert!(!text.contains(['\u{1b}', '\u{202E}']), "{text:?}");
    assert!(
        text.lines()
            .all(|line| !line.trim_start().starts_with("::")),
        "{text}"
    );
    // JSON: the names exactly, for machines.
    let value: Value = serde_json::from_str(&run("json")).unwrap();
    let names: Vec<&str> = value["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["to"].as_str().unwrap())
        .collect();
    let mut expected = HOSTILE.to_vec();
    expected.sort();
    assert_eq!(names, expected);
    // Markdown: the table keeps its cells, no markup, mention or reference goes live, and the
    // Mermaid block is neither ended nor given directives.
    let markdown = run("markdown");
    assert_markdown_tables("hostile diff", &markdown);
    let rows = markdown.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, HOSTILE.len() + 1, "{markdown}");
    assert!(!markdown.contains("<script>"), "{markdown}");
    assert!(!markdown.contains(['\u{1b}', '\u{202E}']), "{markdown:?}");
    let (_, block) = markdown.split_once("```mermaid\n").unwrap();
    let (mermaid, after) = block.split_once("```\n").unwrap();
    assert_eq!(after, "", "the block ended early: {markdown}");
    for line in mermaid.lines() {
        let statement = line.trim_start();
        assert!(
            statement.starts_with("flowchart")
                || statement.starts_with('n')
                || statement.starts_with("linkStyle"),
            "a statement from the repository: {line}"
        );
        for (index, part) in line.split('"').enumerate() {
            if index % 2 == 1 {
                let part = part.replace("<br/>", "");
                assert!(
                    !part.contains(['<', '>', '[', ']', '{', '}', '|', '`', '%']),
                    "{line}"
                );
            }
        }
    }
}

#[test]
fn a_large_diff_keeps_the_comment_readable_and_lists_new_findings_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("empty.json"),
        r#"{"version": "1", "nodes": [], "flows": []}"#,
    )
    .unwrap();
    // 400 new lawful transfers, then one with a finding (last in the diff's order).
    let mut nodes =
        vec![json!({"id": "web", "kind": "service", "countries": ["DE"], "jurisdiction": "eea"})];
    let mut flows = Vec::new();
    for i in 0..401 {
        let (id, transfer, rules) = if i == 400 {
            (
                "zz-bad".to_string(),
                "finding",
                vec![
                    json!({"rule": "transfer-without-safeguard", "severity": "error", "message": "m", "fingerprint": "f"}),
                ],
            )
        } else {
            (format!("vendor-{i:03}"), "lawful", vec![])
        };
        nodes.push(
            json!({"id": id, "kind": "vendor", "countries": ["US"], "jurisdiction": "adequate"}),
        );
        flows.push(json!({"id": format!("web->{id}"), "from": "web", "to": id, "transfer": transfer, "findings": rules}));
    }
    let view = json!({"version": "1", "nodes": nodes, "flows": flows});
    std::fs::write(dir.path().join("big.json"), view.to_string()).unwrap();
    let output = borderline(
        dir.path(),
        &["diff", "empty.json", "big.json", "--format", "markdown"],
    );
    assert_eq!(output.status.code(), Some(1));
    let markdown = stdout(&output);
    let rows: Vec<&str> = markdown.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 301, "a header and 300 rows");
    assert!(
        rows[1].contains("zz-bad"),
        "the new finding first: {}",
        rows[1]
    );
    assert!(
        markdown
            .contains("\n101 more changes are not listed here; the JSON output lists every one.\n")
    );
    assert_eq!(markdown.matches("linkStyle").count(), 200);
    assert!(
        markdown.contains("The map draws the first 200 changes (those with new findings first).")
    );
    // The JSON has every change.
    let json = borderline(
        dir.path(),
        &["diff", "empty.json", "big.json", "--format", "json"],
    );
    let value: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["changes"].as_array().map(Vec::len), Some(401));
}
