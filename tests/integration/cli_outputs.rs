//! The output commands end to end: Markdown comment, transfer register, explain FROM->TO, and
//! byte-identical output across runs and `--jobs`.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};

fn run(args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--date", FIXTURE_DATE]);
    borderline(&fixtures_dir().join("outputs-sample"), &all)
}

#[test]
fn markdown_comment_of_the_sample() {
    let output = run(&["scan", ".", "--format", "markdown"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("markdown_sample", stdout(&output));
}

#[test]
fn register_lists_every_transfer_and_defuses_formulas() {
    let output = run(&["ropa", ".", "--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let csv = stdout(&output);
    insta::assert_snapshot!("ropa_sample_csv", csv);
    assert_eq!(csv.lines().count(), 5, "header and four transfers");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"support\"\")\""),
        "{csv}"
    );
    let json = stdout(&run(&["ropa", ".", "--format", "json"]));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed["transfers"].as_array().map(Vec::len), Some(4));
    let markdown = stdout(&run(&["ropa", ".", "--format", "markdown"]));
    assert!(
        markdown.contains("| checkout | deskforce | deskforce | IN |"),
        "{markdown}"
    );
}

#[test]
fn explain_a_flow_names_the_rule_and_the_remedy() {
    let output = run(&["explain", "checkout->acme-analytics"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("acme-analytics [vendor] in US"), "{text}");
    assert!(text.contains("2023/1795"), "{text}");
    assert!(text.contains("adequacy-scope-not-met [error]"), "{text}");
    assert!(text.contains("add SCC 2021/914"), "{text}");
    let unknown = run(&["explain", "checkout->acme-analytcs"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean `acme-analytics`?"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn outputs_are_byte_identical_across_runs_and_jobs() {
    for args in [
        &["scan", ".", "--format", "sarif"][..],
        &["scan", ".", "--format", "markdown"],
        &["graph", ".", "--format", "dot"],
        &["graph", ".", "--format", "json"],
        &["ropa", ".", "--format", "csv"],
    ] {
        let mut one = args.to_vec();
        one.extend_from_slice(&["--jobs", "1"]);
        let mut four = args.to_vec();
        four.extend_from_slice(&["--jobs", "4"]);
        let first = run(&one);
        let second = run(&four);
        assert_eq!(first.stdout, second.stdout, "{args:?} differs between runs");
    }
}
