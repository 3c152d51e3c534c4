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
    let output = borderline(
        dir,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
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
            (
                "examples/ireland/module.uploads.aws_s3_bucket.this",
                "aws:eu-west-1",
            ),
            (
                "examples/ireland/module.uploads.aws_dynamodb_table.lock",
                "aws:eu-west-1",
            ),
            (
                "examples/ireland/module.uploads.aws_sqs_queue.events",
                "aws:eu-west-1",
            ),
            (
                "examples/singapore/module.uploads.aws_s3_bucket.this",
                "aws:ap-southeast-1",
            ),
            (
                "examples/singapore/module.uploads.aws_sqs_queue.events",
                "aws:ap-southeast-1",
            ),
            // A variable with no default at all, left unset, stays unknown.
            (
                "examples/singapore/module.uploads.aws_dynamodb_table.lock",
                "unknown",
            ),
        ],
    );
    let reason = message_about(
        &report,
        "unknown-location",
        "examples/singapore/module.uploads.aws_dynamodb_table.lock",
    );
    assert!(
        reason.contains(
            "`var.lock_table_region` has no default and `module.uploads` does not set it"
        ),
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

#[test]
fn functions_operators_and_for_expressions_place_stores() {
    let report = scan(&fixtures_dir().join("tf-values-functions"));
    assert_located(
        &report,
        &[
            // element() over a `for` list, format/lower/merge in the name.
            ("aws_s3_bucket.primary", "aws:eu-central-1"),
            // An object `for` with a condition, indexed.
            ("aws_s3_bucket.dr", "aws:ap-southeast-1"),
            ("aws_s3_bucket.analytics", "aws:eu-west-1"),
            // try() past a missing key; not past a data source.
            ("aws_dynamodb_table.sessions", "aws:eu-west-3"),
            ("aws_dynamodb_table.audit", "unknown"),
            // coalesce, distinct, compact, concat, flatten, length and arithmetic.
            ("aws_sqs_queue.events", "aws:eu-central-1"),
            // contains, keys, startswith, && and a conditional.
            ("aws_sqs_queue.exports", "aws:ap-south-1"),
            // !, ||, <, one() over a filtered `for`, endswith.
            ("aws_sns_topic.alerts", "aws:eu-central-1"),
            // replace, upper, lower, ==.
            ("aws_sns_topic.billing", "aws:eu-west-1"),
            ("aws_sns_topic.orders", "unknown"),
            // split, slice, join on a zone.
            (
                "google_sql_database_instance.reporting",
                "gcp:asia-southeast1",
            ),
            // Splats.
            ("aws_s3_bucket.splat", "aws:ap-southeast-1"),
            ("aws_s3_bucket.legacy_splat", "aws:eu-central-1"),
        ],
    );
    let labels: BTreeMap<String, String> = report["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            (
                n["id"].as_str().unwrap_or_default().to_string(),
                n["label"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        labels.get("aws_s3_bucket.primary").map(String::as_str),
        Some("S3 bucket `acme-primary-production`")
    );
    let reason = message_about(&report, "unknown-location", "aws_sns_topic.orders");
    assert!(
        reason.contains("the function `regex` is not evaluated"),
        "{reason}"
    );
    let reason = message_about(&report, "unknown-location", "aws_dynamodb_table.audit");
    assert!(
        reason.contains("`data.aws_region.current` is read at apply time"),
        "{reason}"
    );
}

/// Writes `text` as `main.tf` of a new repository and scans it under memory and CPU ceilings.
fn scan_hostile(text: &str, what: &str) -> serde_json::Value {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("main.tf"), text).unwrap();
    let output = borderline_bounded(
        repo.path(),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
        1024,
        20,
    );
    assert_finished_within_bounds(&output, what);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: no JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Every store of the report is unknown, with `words` in its reason, and an input-error at
/// `line` says why.
fn assert_bounded(report: &serde_json::Value, line: u64, words: &str) {
    let errors = findings(report, "input-error");
    assert!(
        errors.iter().any(|f| f["location"]["line"] == line
            && f["message"].as_str().unwrap_or_default().contains(words)),
        "no input-error at line {line} mentioning {words:?}: {errors:#?}"
    );
    for (id, location) in locations(report) {
        assert_eq!(
            location, "unknown",
            "{id} is placed from a value past the bounds"
        );
    }
}

/// Locals that widen by eight at each step: 32,768 strings from a few lines.
const WIDENING: &str = "locals {\n  w1 = [\"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\"]\n  w2 = flatten([for a in local.w1 : local.w1])\n  w3 = flatten([for a in local.w2 : local.w1])\n  w4 = flatten([for a in local.w3 : local.w1])\n  w5 = flatten([for a in local.w4 : local.w1])\n}\n";

#[test]
fn nested_for_expressions_stop_at_the_step_budget() {
    // 32,768 x 32,768 evaluations of the inner `for` if nothing stopped them.
    let text = format!(
        "{WIDENING}\nlocals {{\n  pairs = [for a in local.w5 : a if length([for b in local.w5 : b]) < 0]\n}}\n\nresource \"aws_s3_bucket\" \"pairs\" {{\n  region = local.pairs[0]\n}}\n"
    );
    let report = scan_hostile(&text, "a for expression nested over 32,768 elements");
    assert_bounded(&report, 10, "exceeds the evaluation budget");
}

#[test]
fn functions_and_for_expressions_stop_at_the_value_bound() {
    // Each of these would build tens of megabytes from the 557 KB of `local.w5`.
    let text = format!(
        "{WIDENING}\nlocals {{\n  grid  = [for a in local.w4 : local.w5]\n  big   = concat(local.w5, local.w5, local.w5, local.w5, local.w5, local.w5)\n  words = join(\",\", concat(local.w5, local.w5, local.w5))\n}}\n\nresource \"aws_s3_bucket\" \"grid\" {{\n  region = local.grid[0][0]\n}}\n\nresource \"aws_s3_bucket\" \"big\" {{\n  region = local.big[0]\n}}\n\nresource \"aws_s3_bucket\" \"words\" {{\n  region = local.words\n}}\n"
    );
    let report = scan_hostile(&text, "concat, join and for over a wide local");
    for line in [10, 11, 12] {
        assert_bounded(&report, line, "would be larger than 1048576 bytes");
    }
}

#[test]
fn a_doubling_chain_through_the_new_functions_stays_bounded() {
    // l40 doubles forty times: 2^40 strings if evaluated naively, a 1.4 GB abort on an older
    // version. concat, flatten and `for` over it must stay as bounded as plain references.
    let mut text = String::from("locals {\n  l0 = \"x\"\n");
    for i in 1..=40 {
        text.push_str(&format!("  l{i} = [local.l{p}, local.l{p}]\n", p = i - 1));
    }
    text.push_str("  c = concat(local.l39, local.l39)\n  f = flatten(local.l40)\n  g = [for x in local.l39 : [x, x]]\n}\n");
    for (name, expr) in [
        ("chain", "local.l40[0]"),
        ("concat", "local.c[0]"),
        ("flatten", "local.f[0]"),
        ("for", "local.g[0][0]"),
    ] {
        text.push_str(&format!(
            "\nresource \"aws_s3_bucket\" \"{name}\" {{\n  region = {expr}\n}}\n"
        ));
    }
    let report = scan_hostile(&text, "a doubling chain of locals");
    let found = locations(&report);
    assert_eq!(found.len(), 4, "{found:#?}");
    for (id, location) in &found {
        assert_eq!(location, "unknown", "{id}");
        let reason = message_about(&report, "unknown-location", id);
        assert!(
            reason.contains("nest too deeply") || reason.contains("larger than"),
            "{id}: {reason}"
        );
    }
}

#[test]
fn a_key_repeated_in_an_object_keeps_the_file_and_the_last_value_wins() {
    let report = scan(&fixtures_dir().join("tf-values-duplicate-keys"));
    assert_located(
        &report,
        &[
            ("aws_s3_bucket.replica", "aws:ap-southeast-1"),
            ("aws_s3_bucket.archive", "aws:eu-north-1"),
        ],
    );
    // The file is read as written: the finding is on the line of the resource, spans unshifted.
    let transfers = findings(&report, "transfer-without-safeguard");
    assert_eq!(transfers.len(), 1, "{transfers:#?}");
    assert_eq!(transfers[0]["location"]["file"], "main.tf");
    assert_eq!(transfers[0]["location"]["line"], 23);
    // A repeat that is not mended is still an input error, and only that file is lost.
    let errors = findings(&report, "input-error");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["location"]["file"], "limits.tf");
}

#[test]
fn optional_type_defaults_place_stores_and_stay_bounded_when_read_many_times() {
    // A type constraint with many `optional(string, "...")` attributes, read by thousands of
    // locals: the defaults are filled in once per variable (remembered by the type constraint),
    // and every read is charged to the module tree's evaluation budget.
    let attributes = 200;
    let mut text = String::from(
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\nvariable \"settings\" {\n  type = object({\n",
    );
    let padding = "x".repeat(20);
    for index in 0..attributes {
        text.push_str(&format!(
            "    a{index} = optional(string, \"ap-southeast-1{padding}\")\n"
        ));
    }
    text.push_str(
        "    region = optional(string, \"ap-southeast-1\")\n  })\n  default = {}\n}\n\nlocals {\n",
    );
    for index in 0..20_000 {
        text.push_str(&format!(
            "  l{index} = var.settings.a{}\n",
            index % attributes
        ));
    }
    // One expression reads 4,000 of them (about 140 KB in all, under the 1 MiB bound on a value).
    let list: Vec<String> = (0..4_000).map(|index| format!("local.l{index}")).collect();
    text.push_str(&format!(
        "  region = var.settings.region\n  count = length([{}])\n}}\n\nresource \"aws_s3_bucket\" \"exports\" {{\n  bucket = \"exports-${{local.count}}\"\n  region = local.region\n}}\n",
        list.join(", ")
    ));
    let report = scan_hostile(&text, "optional defaults read 4,000 times");
    // The default of the type constraint places the bucket, and the name was evaluated.
    let transfers = findings(&report, "transfer-without-safeguard");
    assert_eq!(transfers.len(), 1, "{transfers:#?}");
    let bucket = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "aws_s3_bucket.exports")
        .unwrap();
    assert!(
        bucket["label"].as_str().unwrap().contains("exports-4000"),
        "{bucket}"
    );
}
