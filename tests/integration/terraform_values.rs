//! The Terraform evaluator's values as public modules write them: `null` as "not set" (a
//! resource falls back to its provider's region), the functions and operators modules apply to
//! regions and names, `for` expressions, duplicate object keys, and bounds that hold through all
//! of them.

use crate::support::{
    FIXTURE_DATE, assert_finished_within_bounds, borderline, borderline_bounded, findings,
    fixtures_dir,
};
use std::collections::BTreeMap;
use std::path::Path;

/// Scans `dir` and returns the JSON report.
fn scan(dir: &Path) -> serde_json::Value {
    let output = borderline(dir, &["scan", ".", "--format", "json", "--date", FIXTURE_DATE]);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON report ({e}); stderr: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Node id -> location, as the JSON report gives them.
fn locations(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|node| {
            (
                node["id"].as_str().unwrap_or_default().to_string(),
                node["location"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The message of the finding of `rule` about node `to`.
fn message_about(report: &serde_json::Value, rule: &str, to: &str) -> String {
    findings(report, rule)
        .iter()
        .find(|f| f["to"] == to)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_else(|| panic!("no {rule} finding about {to}: {report:#}"))
        .to_string()
}

fn assert_located(report: &serde_json::Value, expected: &[(&str, &str)]) {
    let found = locations(report);
    for (id, location) in expected {
        assert_eq!(
            found.get(*id).map(String::as_str),
            Some(*location),
            "location of {id}; all nodes: {found:#?}"
        );
    }
}

#[test]
fn a_null_region_means_the_providers_region() {
    let report = scan(&fixtures_dir().join("tf-values-null-region"));
    assert_located(
        &report,
        &[
            // `default = null`, an explicit `region = null`, `lookup(..., null)` and
            // `try(..., null)` are all "not set": the provider's region.
            ("examples/ireland/module.uploads.aws_s3_bucket.this", "aws:eu-west-1"),
            ("examples/ireland/module.uploads.aws_dynamodb_table.lock", "aws:eu-west-1"),
            ("examples/ireland/module.uploads.aws_sqs_queue.events", "aws:eu-west-1"),
            ("examples/singapore/module.uploads.aws_s3_bucket.this", "aws:ap-southeast-1"),
            ("examples/singapore/module.uploads.aws_sqs_queue.events", "aws:ap-southeast-1"),
            // A variable with no default at all, left unset, stays unknown.
            ("examples/singapore/module.uploads.aws_dynamodb_table.lock", "unknown"),
        ],
    );
    let reason = message_about(
        &report,
        "unknown-location",
        "examples/singapore/module.uploads.aws_dynamodb_table.lock",
    );
    assert!(
        reason.contains("`var.lock_table_region` has no default and `module.uploads` does not set it"),
        "{reason}"
    );
}

#[test]
fn a_provider_whose_region_is_null_is_unknown_with_the_reason() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("main.tf"),
        "variable \"region\" {\n  default = null\n}\n\nprovider \"aws\" {\n  region = var.region\n}\n\nresource \"aws_s3_bucket\" \"this\" {\n  bucket = \"acme\"\n}\n",
    )
    .unwrap();
    let report = scan(repo.path());
    assert_located(&report, &[("aws_s3_bucket.this", "unknown")]);
    let reason = message_about(&report, "unknown-location", "aws_s3_bucket.this");
    assert!(
        reason.contains("the `region` of provider `aws` is null; it comes from the environment"),
        "{reason}"
    );
}
