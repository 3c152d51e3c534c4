//! The files Terraform and OpenTofu load, as a user scanning a repository sees them: JSON
//! configuration reported at the line of the resource's key, JSON variable files, override files
//! and `.tofu` files, each read once and by the Terraform extractor only.

use crate::support::{FIXTURE_DATE, borderline, copy_dir, fixtures_dir, stdout};
use serde_json::Value;
use std::path::Path;

fn scan_json(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["scan", ".", "--date", FIXTURE_DATE, "--format", "json"];
    args.extend_from_slice(extra);
    let output = borderline(dir, &args);
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&output)))
}

/// (rule, file, line) of every finding.
fn places(report: &Value) -> Vec<(String, String, u64)> {
    let mut all: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["location"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    all.sort();
    all
}

fn node<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no node {id}: {}", report["nodes"]))
}

#[test]
fn cdktf_json_stores_are_placed_and_reported_at_their_key() {
    let report = scan_json(&fixtures_dir().join("tf-files-cdktf"), &[]);
    let events = node(&report, "aws_s3_bucket.events_bucket_A1B2C3D4");
    assert_eq!(events["location"], "aws:ap-southeast-1");
    assert_eq!(
        events["defined_at"]["file"],
        "cdktf.out/stacks/analytics/cdk.tf.json"
    );
    assert_eq!(events["defined_at"]["line"], 23);
    assert_eq!(
        node(&report, "aws_s3_bucket.archive_bucket_5E6F7A8B")["location"],
        "aws:eu-west-1"
    );
    assert_eq!(
        places(&report),
        vec![(
            "transfer-without-safeguard".to_string(),
            "cdktf.out/stacks/analytics/cdk.tf.json".to_string(),
            23
        )]
    );
}

#[test]
fn a_json_file_named_like_app_config_is_read_once_as_terraform() {
    // `config.*.json` is also the name of application configuration; a Terraform JSON file of
    // that name is Terraform's alone, so the vendor URL in its tags is no flow of an app.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.tf.json"),
        r#"{
  "provider": {"aws": {"region": "ap-southeast-1"}},
  "resource": {
    "aws_s3_bucket": {
      "exports": {
        "bucket": "acme-exports",
        "tags": {"Pipeline": "https://api.segment.io/v1/batch"}
      }
    }
  }
}
"#,
    )
    .unwrap();
    let report = scan_json(dir.path(), &[]);
    assert_eq!(
        places(&report),
        vec![(
            "transfer-without-safeguard".to_string(),
            "config.tf.json".to_string(),
            5
        )]
    );
    assert_eq!(
        report["nodes"].as_array().unwrap().len(),
        1,
        "{}",
        report["nodes"]
    );
}

#[test]
fn cached_runs_read_json_terraform_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_dir(&fixtures_dir().join("tf-files-cdktf"), &repo);
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let plain = scan_json(&repo, &[]);
    let first = scan_json(&repo, &["--cache", cache_arg]);
    let second = scan_json(&repo, &["--cache", cache_arg]);
    assert_eq!(plain, first);
    assert_eq!(plain, second);
    assert_eq!(places(&plain).len(), 1, "{plain}");
    // Changing the JSON is seen through the cache.
    let path = repo.join("cdktf.out/stacks/analytics/cdk.tf.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"ap-southeast-1\"", "\"eu-north-1\"")).unwrap();
    let moved = scan_json(&repo, &["--cache", cache_arg]);
    assert_eq!(places(&moved), vec![]);
}

#[test]
fn override_files_move_stores_without_adding_any() {
    let report = scan_json(&fixtures_dir().join("tf-files-override"), &[]);
    let ids: Vec<&str> = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    // One bucket per example directory, the tags override adding none.
    assert_eq!(
        ids.iter()
            .filter(|id| id.ends_with("aws_s3_bucket.uploads"))
            .count(),
        2,
        "{ids:?}"
    );
    assert_eq!(
        node(&report, "examples/tags-override/aws_s3_bucket.uploads")["location"],
        "aws:eu-west-1"
    );
    assert_eq!(
        node(&report, "examples/region-override/aws_s3_bucket.uploads")["location"],
        "aws:ap-southeast-1"
    );
}

#[test]
fn tofu_files_win_over_tf_files_of_the_same_name() {
    let report = scan_json(&fixtures_dir().join("tf-files-tofu"), &[]);
    assert_eq!(
        node(&report, "google_storage_bucket.backup")["location"],
        "gcp:eu"
    );
    let reports = node(&report, "aws_s3_bucket.reports");
    assert_eq!(reports["location"], "aws:ap-southeast-1");
}

#[test]
fn hostile_json_terraform_is_an_input_error_within_bounds() {
    use crate::support::{assert_finished_within_bounds, borderline_bounded};
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    // Nested far past any real configuration, an unterminated template, a file of one huge
    // line, and an override of a resource nobody declares.
    std::fs::write(
        repo.join("deep.tf.json"),
        format!("{}{}", "{\"a\":".repeat(200_000), "}".repeat(200_000)),
    )
    .unwrap();
    std::fs::create_dir(repo.join("wide")).unwrap();
    let mut wide = String::from(r#"{"resource":{"aws_sqs_queue":{"#);
    for i in 0..100_000 {
        if i > 0 {
            wide.push(',');
        }
        wide.push_str(&format!(r#""q{i}":{{"name":"${{var.n"}}"#));
    }
    wide.push_str("}}}");
    std::fs::write(repo.join("wide/main.tf.json"), wide).unwrap();
    std::fs::create_dir(repo.join("over")).unwrap();
    std::fs::write(
        repo.join("over/override.tf"),
        "resource \"aws_s3_bucket\" \"ghost\" {\n  region = \"ap-south-1\"\n}\n",
    )
    .unwrap();
    let output = borderline_bounded(
        repo,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
        1024,
        60,
    );
    assert_finished_within_bounds(&output, "hostile JSON Terraform");
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let errors: Vec<(String, String, u64)> = places(&report)
        .into_iter()
        .filter(|(rule, _, _)| rule == "input-error")
        .collect();
    assert_eq!(
        errors
            .iter()
            .map(|(_, file, _)| file.as_str())
            .collect::<Vec<_>>(),
        vec!["deep.tf.json", "over/override.tf", "wide/main.tf.json"],
        "{report}"
    );
}
