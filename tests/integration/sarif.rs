//! SARIF output: valid against the official 2.1.0 schema (patched for its one invalid regex), with
//! rule help, locations relative to %SRCROOT%, code flows and stable partial fingerprints.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stdout};
use serde_json::Value;

pub(crate) fn schema_errors(instance: &Value) -> Vec<String> {
    let schema_text = include_str!("data/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(schema_text).unwrap_or_else(|e| panic!("schema: {e}"));
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn sarif(args: &[&str]) -> Value {
    let dir = fixtures_dir().join("outputs-sample");
    let mut all = vec!["scan", ".", "--format", "sarif", "--date", FIXTURE_DATE];
    all.extend_from_slice(args);
    let output = borderline(&dir, &all);
    // 1: the sample has an error finding; 0 when a baseline makes it known.
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

#[test]
fn sarif_of_the_sample_is_valid_against_the_schema() {
    let log = sarif(&[]);
    let errors = schema_errors(&log);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(rules, borderline::checks::CHECKS.len());
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "adequacy-scope-not-met");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "borderline.toml");
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 38);
    assert!(
        result["partialFingerprints"]["borderline/v1"]
            .as_str()
            .is_some_and(|f| f.len() == 16)
    );
    assert!(
        !result["relatedLocations"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
    let flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        flow.len(),
        2,
        "flow line, then where the destination is located"
    );
    assert!(
        result.get("baselineState").is_none(),
        "no baseline, no baselineState"
    );
    let help = run["tool"]["driver"]["rules"][0]["help"]["markdown"]
        .as_str()
        .unwrap_or("");
    assert!(help.contains("## How to fix"));
}

#[test]
fn the_schema_check_catches_a_broken_log() {
    let mut log = sarif(&[]);
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    log["version"] = Value::from("2.0");
    assert!(
        schema_errors(&log).len() >= 2,
        "the negative control must fail validation"
    );
}

#[test]
fn sarif_marks_baseline_state() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_string_lossy().into_owned();
    let sample = fixtures_dir().join("outputs-sample");
    let written = borderline(
        &sample,
        &[
            "scan",
            ".",
            "--date",
            FIXTURE_DATE,
            "--write-baseline",
            &baseline,
            "-q",
        ],
    );
    assert_eq!(written.status.code(), Some(1));
    let log = sarif(&["--baseline", &baseline]);
    assert!(schema_errors(&log).is_empty());
    for result in log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        assert_eq!(result["baselineState"], "unchanged");
    }
}

/// What a code-scanning page shows for a rule: every rule explains itself (what it flags, why,
/// an example, how to fix) in Markdown and in plain text, links to its section of the published
/// docs/rules.md (derived from the repository URL set once in Cargo.toml), and carries tags and a
/// precision that tell a guess from a judged fact.
#[test]
fn every_rule_carries_help_a_code_scanning_page_can_show() {
    let log = sarif(&[]);
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let repository = env!("CARGO_PKG_REPOSITORY");
    assert!(repository.starts_with("https://"), "{repository}");
    let mut precisions = std::collections::BTreeMap::new();
    for rule in &rules {
        let id = rule["id"].as_str().unwrap_or_default();
        let markdown = rule["help"]["markdown"].as_str().unwrap_or_default();
        let text = rule["help"]["text"].as_str().unwrap_or_default();
        for heading in ["What it flags", "Why it matters", "Example", "How to fix"] {
            assert!(
                markdown.contains(&format!("## {heading}")),
                "{id}: {heading}"
            );
            assert!(text.contains(&heading.to_uppercase()), "{id}: {heading}");
        }
        assert!(
            !text.contains("```") && !text.contains("## "),
            "{id}: {text}"
        );
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
        assert!(
            !rule["fullDescription"]["text"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
        assert_eq!(
            rule["helpUri"].as_str().unwrap_or_default(),
            format!("{repository}/blob/main/docs/rules.md#{id}")
        );
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .map(|tags| tags.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(
            tags.contains(&"gdpr") && tags.contains(&"privacy"),
            "{id}: {tags:?}"
        );
        precisions.insert(id.to_string(), rule["properties"]["precision"].clone());
    }
    assert_eq!(precisions["transfer-without-safeguard"], "high");
    assert_eq!(precisions["inferred-personal-data"], "low");
    assert_eq!(precisions["input-error"], "very-high");
    // The anchors exist: each rule is a `## name` heading of the committed docs/rules.md.
    let docs = std::fs::read_to_string(crate::support::workspace_root().join("docs/rules.md"))
        .unwrap_or_default();
    for id in precisions.keys() {
        assert!(
            docs.contains(&format!("\n## {id}\n")),
            "docs/rules.md has no `## {id}`"
        );
    }
}
