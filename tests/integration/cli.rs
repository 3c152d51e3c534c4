//! The command line as a user meets it: exit codes, broken manifests, determinism, snapshots.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};

fn demo_args(format: &str) -> Vec<&str> {
    vec![
        "scan",
        "fixtures/demo",
        "--date",
        FIXTURE_DATE,
        "--format",
        format,
    ]
}

fn root() -> std::path::PathBuf {
    crate::support::workspace_root()
}

#[test]
fn exit_code_1_when_errors_are_found() {
    let output = borderline(&root(), &demo_args("text"));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn exit_code_0_for_a_repository_with_only_lawful_transfers() {
    let case = fixtures_dir().join("rules/transfer-without-safeguard/quiet");
    let output = borderline(&case, &["scan", ".", "--date", FIXTURE_DATE]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("0 errors, 0 warnings, 0 notes"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn fail_on_sets_the_threshold() {
    // The missing-tia fixture has only warnings: it passes by default and fails with --fail-on warning.
    let case = fixtures_dir().join("rules/missing-tia/fires");
    let default = borderline(&case, &["scan", "--date", FIXTURE_DATE]);
    assert_eq!(default.status.code(), Some(0), "{}", stdout(&default));
    let strict = borderline(
        &case,
        &["scan", "--date", FIXTURE_DATE, "--fail-on", "warning"],
    );
    assert_eq!(strict.status.code(), Some(1));
    let never = borderline(
        &root(),
        &[
            "scan",
            "fixtures/demo",
            "--date",
            FIXTURE_DATE,
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(never.status.code(), Some(0));
}

#[test]
fn a_broken_manifest_lists_every_problem_with_its_position_and_exits_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("borderline.toml"),
        r#"[policy]
special_categories = "maybe"
colour = "blue"

[[node]]
id = "web"
location = "XZ"

[[flow]]
from = "web"
to = "vendor"
safeguard = { mechanism = "scc", version = "2021/999", signed = "2024-13-01", module = 7 }
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = borderline(dir.path(), &["scan", "."]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    for expected in [
        "borderline.toml:2:22: `special_categories` = `maybe` is not allowed; expected `deny` or `safeguard`",
        "borderline.toml:3:1: unknown key `colour` in [policy]",
        "borderline.toml:7:12: `location`: `XZ` is not an ISO 3166-1 alpha-2 country code",
        "borderline.toml:12:44: `version` = `2021/999` is not a known version of `scc`",
        "borderline.toml:12:65: `signed`: `2024-13-01` is not a day of the calendar",
        "borderline.toml:12:88: `module` must be an SCC module",
        "6 problems in the manifest",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    assert!(stdout(&output).is_empty());
}

#[test]
fn a_toml_syntax_error_is_exit_2_at_its_position() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[[node]]\nid = \"web\nlocation = \"DE\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = borderline(dir.path(), &["scan"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("borderline.toml:2:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_command_line_input_is_exit_2() {
    let bad_date = borderline(&root(), &["scan", "fixtures/demo", "--date", "2026-02-30"]);
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(
        stderr(&bad_date).contains("2026-02-30"),
        "{}",
        stderr(&bad_date)
    );
    let missing_config = borderline(
        &root(),
        &["scan", "fixtures/demo", "--config", "no/such.toml"],
    );
    assert_eq!(missing_config.status.code(), Some(2));
    let missing_root = borderline(&root(), &["scan", "no/such/dir"]);
    assert_eq!(missing_root.status.code(), Some(2));
    let unknown_rule = borderline(&root(), &["explain", "no-such-rule"]);
    assert_eq!(unknown_rule.status.code(), Some(2));
    assert!(stderr(&unknown_rule).contains("transfer-without-safeguard"));
}

#[test]
fn invalid_rule_data_is_exit_2_at_file_line_column() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.path().join("regions")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("regions/aws.toml"),
        "[meta]\ntitle = \"extra\"\nversion = \"1\"\nas_of = 2026-11-29\nsource = \"test\"\n\n[[region]]\nprovider = \"aws\"\nid = \"eu-moon-1\"\nname = \"Moon\"\ncountries = [\"QQ\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rules = dir.path().to_string_lossy().into_owned();
    let output = borderline(&root(), &["scan", "fixtures/demo", "--rules", &rules]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("regions/aws.toml:11:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn rule_data_overrides_change_verdicts() {
    // Declaring a new region in an override makes it resolvable.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.path().join("regions")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("regions/aws.toml"),
        "[meta]\ntitle = \"extra\"\nversion = \"1\"\nas_of = 2026-11-29\nsource = \"test\"\n\n[[region]]\nprovider = \"aws\"\nid = \"xx-north-9\"\nname = \"Test\"\ncountries = [\"SE\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let case = fixtures_dir().join("rules/unknown-location/fires");
    let rules = dir.path().to_string_lossy().into_owned();
    let before = stdout(&borderline(
        &case,
        &["scan", "--date", FIXTURE_DATE, "--format", "json"],
    ));
    let after = stdout(&borderline(
        &case,
        &[
            "scan",
            "--date",
            FIXTURE_DATE,
            "--format",
            "json",
            "--rules",
            &rules,
        ],
    ));
    assert!(before.contains("region `xx-north-9` of `aws` is not in the rule data"));
    assert!(!after.contains("region `xx-north-9`"), "{after}");
}

#[test]
fn json_output_is_byte_identical_across_runs_and_jobs() {
    let first = borderline(
        &root(),
        &[
            "scan",
            "fixtures/demo",
            "--date",
            FIXTURE_DATE,
            "--format",
            "json",
            "--jobs",
            "1",
        ],
    );
    let second = borderline(
        &root(),
        &[
            "scan",
            "fixtures/demo",
            "--date",
            FIXTURE_DATE,
            "--format",
            "json",
            "--jobs",
            "4",
        ],
    );
    assert_eq!(first.stdout, second.stdout);
    let value: serde_json::Value =
        serde_json::from_slice(&first.stdout).unwrap_or_else(|e| panic!("{e}"));
    for key in ["version", "findings", "nodes", "flows"] {
        assert!(value.get(key).is_some(), "JSON lacks `{key}`");
    }
    let finding = &value["findings"][0];
    for key in [
        "rule",
        "severity",
        "message",
        "from",
        "to",
        "from_country",
        "to_country",
        "data",
        "location",
        "related",
        "fingerprint",
    ] {
        assert!(
            finding.get(key).is_some(),
            "a finding lacks `{key}`: {finding}"
        );
    }
}

#[test]
fn the_evaluation_date_changes_verdicts() {
    // On 2023-01-01 the old SCCs had just expired; in 2022 they were still valid for an old contract.
    let case = fixtures_dir().join("rules/expired-safeguard/fires");
    let before = stdout(&borderline(
        &case,
        &["scan", "--date", "2022-06-01", "--format", "json"],
    ));
    let after = stdout(&borderline(
        &case,
        &["scan", "--date", "2023-01-01", "--format", "json"],
    ));
    let count = |text: &str| text.matches("stopped being a valid safeguard").count();
    assert_eq!(count(&before), 0, "{before}");
    assert_eq!(count(&after), 1, "{after}");
}

#[test]
fn explain_prints_the_rule_documentation() {
    let output = borderline(&root(), &["explain", "adequacy-scope-not-met"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.contains("## How to fix") && text.contains("2023/1795"),
        "{text}"
    );
}

#[test]
fn rules_lists_checks_data_files_and_decisions_in_force() {
    let output = borderline(&root(), &["rules", "--date", "2025-06-01"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("transfer-without-safeguard"));
    assert!(text.contains("rules/adequacy.toml"));
    assert!(
        text.contains("Implementing Decision (EU) 2026/179") && text.contains("not yet adopted"),
        "{text}"
    );
}

#[test]
fn demo_text_output_snapshot() {
    let output = borderline(&root(), &demo_args("text"));
    insta::assert_snapshot!("demo_text", stdout(&output));
}

#[test]
fn demo_json_output_snapshot() {
    let output = borderline(&root(), &demo_args("json"));
    insta::assert_snapshot!("demo_json", stdout(&output));
}

#[test]
fn generated_rule_docs_are_up_to_date() {
    let committed = std::fs::read_to_string(root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        committed == borderline::checks::rules_markdown(),
        "docs/rules.md is out of date: run `cargo xtask codegen`"
    );
}

#[test]
fn fingerprints_survive_moved_lines_and_reordered_entries() {
    let fingerprints = |dir: &std::path::Path| -> Vec<String> {
        let output = borderline(
            dir,
            &["scan", ".", "--date", FIXTURE_DATE, "--format", "json"],
        );
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut list: Vec<String> = value["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["rule"], f["fingerprint"]))
            .collect();
        list.sort();
        list
    };
    let original = std::fs::read_to_string(fixtures_dir().join("demo/borderline.toml")).unwrap();
    // Blank lines and comments before every entry, and the flows in reverse order.
    let (head, flows) = original.split_once("# --- flows").unwrap();
    let mut entries: Vec<&str> = flows.split("[[flow]]").skip(1).collect();
    entries.reverse();
    let mut moved = head.replace("[[node]]", "\n\n# moved\n[[node]]");
    moved.push_str("# --- flows, reordered\n");
    for entry in entries {
        let entry = entry.split("[[waiver]]").next().unwrap_or(entry);
        moved.push_str("\n\n[[flow]]");
        moved.push_str(entry);
    }
    moved.push_str("\n[[waiver]]");
    moved.push_str(original.split("[[waiver]]").nth(1).unwrap());
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_dir(&fixtures_dir().join("demo"), dir.path());
    std::fs::write(dir.path().join("borderline.toml"), &moved).unwrap();
    let before = fingerprints(&fixtures_dir().join("demo"));
    assert!(before.len() >= 5, "{before:?}");
    assert_eq!(before, fingerprints(dir.path()));
}

#[test]
fn findings_on_inferred_flows_never_fail_the_gate_on_their_own() {
    let case = fixtures_dir().join("annotations-rust-workspace");
    let output = borderline(
        &case,
        &["scan", ".", "--date", FIXTURE_DATE, "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let inferred: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["inferred"] == true && f["rule"] == "transfer-without-safeguard")
        .collect();
    assert!(!inferred.is_empty(), "{report}");
    assert!(
        inferred.iter().all(|f| f["severity"] == "warning"),
        "{inferred:?}"
    );
    // The same transfer declared in an annotation is an error.
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["inferred"] == false
                && f["rule"] == "special-category-transfer"
                && f["severity"] == "error")
    );
}
