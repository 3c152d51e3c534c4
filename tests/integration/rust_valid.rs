//! Valid Rust is never an input-error, and Rust that rustc rejects still is one: the fixtures
//! `rust-valid-crate` (macro templates with nested repetitions, macro inputs in a DSL of their
//! own, raw strings, raw identifiers, escaped char literals, let chains, `unsafe extern`, ...) and
//! `rust-valid-malformed` (a file cut off mid-item, a struct missing a colon), end to end.

use crate::support::{FIXTURE_DATE, borderline, findings, fixtures_dir, stderr, stdout};
use serde_json::Value;

fn scan(case: &str) -> Value {
    let dir = fixtures_dir().join(case);
    let output = borderline(
        &dir,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{case}: not JSON ({e}); stderr: {}", stderr(&output)))
}

/// (file, line, message) of every input-error.
fn input_errors(report: &Value) -> Vec<(String, u64, String)> {
    findings(report, "input-error")
        .iter()
        .map(|f| {
            (
                f["location"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["location"]["line"].as_u64().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn valid_rust_is_read_to_its_last_annotation_without_an_input_error() {
    let report = scan("rust-valid-crate");
    assert_eq!(input_errors(&report), [], "{report:#}");
    // The flow declared after every tricky construct of lib.rs is read: the file was parsed.
    let flows = report["flows"].as_array().cloned().unwrap_or_default();
    assert!(
        flows
            .iter()
            .any(|f| f["from"] == "vault" && f["to"] == "push-relay"),
        "{:#}",
        report["flows"]
    );
}

#[test]
fn rust_that_rustc_rejects_is_an_input_error_at_its_line() {
    let report = scan("rust-valid-malformed");
    let errors = input_errors(&report);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!((errors[0].0.as_str(), errors[0].1), ("src/lib.rs", 8));
    assert!(errors[0].2.contains("is never closed"), "{}", errors[0].2);
    assert_eq!((errors[1].0.as_str(), errors[1].1), ("src/model.rs", 8));
    assert!(
        errors[1].2.contains("this struct was not read"),
        "{}",
        errors[1].2
    );
    // The struct after the broken one is still read.
    assert_eq!(findings(&report, "inferred-personal-data").len(), 1);
}
