//! Data at rest is a transfer, end to end: where a store's finding points and what it relates,
//! the note for a module no root calls, the graph's jurisdiction groups, the graph fragment's
//! `via` through `merge`, the starter manifest and the transfer register.

use crate::support::{FIXTURE_DATE, borderline, copy_dir, findings, fixtures_dir, stderr, stdout};
use serde_json::Value;
use std::path::Path;

fn json(dir: &Path, args: &[&str]) -> Value {
    let output = borderline(dir, args);
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}); stderr: {}", stderr(&output)))
}

fn scan(case: &str) -> Value {
    let dir = fixtures_dir().join(case);
    json(
        &dir,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    )
}

/// (file, line, message) of a finding's related locations, in order.
fn related(finding: &Value) -> Vec<(String, u64, String)> {
    finding["related"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|r| {
                    (
                        r["file"].as_str().unwrap_or_default().to_string(),
                        r["line"].as_u64().unwrap_or_default(),
                        r["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn at(finding: &Value) -> (String, u64) {
    (
        finding["location"]["file"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        finding["location"]["line"].as_u64().unwrap_or_default(),
    )
}

#[test]
fn a_store_in_a_local_module_is_judged_at_its_resource_with_the_calls_and_the_provider() {
    let report = scan("tf-stores-local-module");
    let transfers = findings(&report, "transfer-without-safeguard");
    assert_eq!(transfers.len(), 1, "{report:#}");
    let finding = transfers[0];
    assert_eq!(
        finding["to"],
        "module.storefront.module.session_store.aws_dynamodb_table.this"
    );
    assert_eq!(
        at(finding),
        ("modules/session-store/main.tf".to_string(), 1)
    );
    let related = related(finding);
    // Where the region is set (the example's provider), then each call from the root inward.
    assert_eq!(related.len(), 3, "{related:?}");
    assert_eq!(
        (related[0].0.as_str(), related[0].1),
        ("examples/singapore/main.tf", 2)
    );
    assert!(
        related[0].2.starts_with("the region is set here"),
        "{related:?}"
    );
    assert_eq!(
        related[1],
        (
            "examples/singapore/main.tf".to_string(),
            5,
            "`module.storefront` is called here".to_string()
        )
    );
    assert_eq!(
        related[2],
        (
            "main.tf".to_string(),
            3,
            "`module.storefront.module.session_store` is called here".to_string()
        )
    );
}

#[test]
fn a_store_with_its_own_region_is_judged_at_the_resource_and_the_region_is_related() {
    let report = scan("rules/transfer-without-safeguard/fires-store-distrusted-us");
    let transfers = findings(&report, "transfer-without-safeguard");
    assert_eq!(transfers.len(), 1, "{report:#}");
    assert_eq!(at(transfers[0]), ("main.tf".to_string(), 7));
    let related = related(transfers[0]);
    assert_eq!(
        (related[0].0.as_str(), related[0].1),
        ("main.tf", 8),
        "{related:?}"
    );
    assert!(
        transfers[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("distrust_adequacy")),
        "{report:#}"
    );
}

#[test]
fn an_unplaced_store_in_a_root_is_reported_at_its_resource_with_the_region_it_lacks() {
    let report = scan("rules/unknown-location/fires-store-var-region");
    let unknown = findings(&report, "unknown-location");
    assert_eq!(unknown.len(), 1, "{report:#}");
    assert_eq!(unknown[0]["severity"], "warning");
    assert_eq!(at(unknown[0]), ("main.tf".to_string(), 8));
    assert_eq!(related(unknown[0])[0].1, 5, "{report:#}");
}

#[test]
fn stores_of_a_module_nobody_calls_are_one_note_per_module() {
    let report = scan("rules/unknown-location/fires-store-uncalled-module");
    let unknown = findings(&report, "unknown-location");
    let notes: Vec<(String, String)> = unknown
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        notes,
        vec![
            (
                "note".to_string(),
                "`.`: 2 stores located by the caller of this module: it configures no provider, its inputs have no value here, and no module in the scanned tree calls it".to_string()
            ),
            (
                "note".to_string(),
                "`modules/archive`: 1 store located by the caller of this module: it configures no provider, its inputs have no value here, and no module in the scanned tree calls it".to_string()
            ),
        ]
    );
    // What the module places itself is judged whoever calls it.
    let transfers = findings(&report, "transfer-without-safeguard");
    assert_eq!(transfers.len(), 1, "{report:#}");
    assert_eq!(transfers[0]["to"], "aws_s3_bucket.audit");
    // The unplaced stores are not nodes of this repository's map.
    let nodes = report["nodes"].as_array().cloned().unwrap_or_default();
    assert!(
        nodes
            .iter()
            .all(|n| n["id"] != "aws_dynamodb_table.this" && n["id"] != "aws_s3_bucket.this"),
        "{report:#}"
    );
}

#[test]
fn a_distrusted_adequacy_is_drawn_as_a_third_country_in_every_graph_format() {
    let dir = fixtures_dir().join("rules/transfer-without-safeguard/fires-store-distrusted-us");
    let graph = json(
        &dir,
        &["graph", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    let node = graph["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == "aws_s3_bucket.uploads"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(node["jurisdiction"], "third-country", "{graph:#}");
    assert!(!node["findings"].as_array().is_none_or(Vec::is_empty));
    let report = scan("rules/transfer-without-safeguard/fires-store-distrusted-us");
    let scanned = report["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == "aws_s3_bucket.uploads"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(scanned["jurisdiction"], "third-country", "{report:#}");
    for format in ["mermaid", "dot"] {
        let text = stdout(&borderline(
            &dir,
            &["graph", ".", "--format", format, "--date", FIXTURE_DATE],
        ));
        assert!(text.contains("Third country (US)"), "{format}: {text}");
        // Drawn like a violating flow: the rule on the store's box, in red.
        assert!(
            text.contains("transfer-without-safeguard") && text.contains("#cc0000"),
            "{format}: {text}"
        );
        assert!(!text.contains("Adequate"), "{format}: {text}");
    }
    // Without the policy, the same bucket is adequate: a transfer, but a lawful one.
    let quiet = fixtures_dir().join("rules/transfer-without-safeguard/quiet-store-us");
    let graph = json(
        &quiet,
        &["graph", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    assert_eq!(graph["nodes"][0]["jurisdiction"], "adequate", "{graph:#}");
}

#[test]
fn the_graph_fragment_carries_the_module_calls_through_merge() {
    let dir = fixtures_dir().join("tf-stores-local-module");
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fragment = stdout(&borderline(
        &dir,
        &["graph", ".", "--format", "json", "--date", FIXTURE_DATE],
    ));
    let parsed: Value = serde_json::from_str(&fragment).unwrap_or_else(|e| panic!("{e}"));
    let via = |graph: &Value| -> Vec<(String, u64)> {
        graph["nodes"][0]["via"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|p| {
                        (
                            p["file"].as_str().unwrap_or_default().to_string(),
                            p["line"].as_u64().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let expected = vec![
        ("examples/singapore/main.tf".to_string(), 5),
        ("main.tf".to_string(), 3),
    ];
    assert_eq!(via(&parsed), expected, "{parsed:#}");
    std::fs::write(work.path().join("apac.json"), &fragment).unwrap_or_else(|e| panic!("{e}"));
    let merged = json(
        work.path(),
        &[
            "merge",
            "apac.json",
            "--format",
            "graph",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(via(&merged), expected, "{merged:#}");
    assert_eq!(
        merged["nodes"][0]["defined_at"], parsed["nodes"][0]["defined_at"],
        "{merged:#}"
    );
}

#[test]
fn init_lists_stores_abroad_or_unplaced_with_a_todo_each() {
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = work.path().join("repo");
    copy_dir(
        &fixtures_dir().join("rules/unknown-location/fires-store-var-region"),
        &root.join("billing"),
    );
    copy_dir(
        &fixtures_dir().join("rules/transfer-without-safeguard/fires-store-singapore"),
        &root.join("apac"),
    );
    copy_dir(
        &fixtures_dir().join("rules/unknown-location/quiet-store-defaults-root"),
        &root.join("reports"),
    );
    let output = borderline(work.path(), &["init", "repo", "--date", FIXTURE_DATE]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let manifest =
        std::fs::read_to_string(root.join("borderline.toml")).unwrap_or_else(|e| panic!("{e}"));
    let entry = |heading: &str| -> String {
        let start = manifest
            .find(heading)
            .unwrap_or_else(|| panic!("no `{heading}`:\n{manifest}"));
        let rest = &manifest[start..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
    };
    let sessions = entry("# TODO: store `aws_dynamodb_table.sessions` is in SG, outside the EEA");
    assert!(sessions.contains("personal_data = false"), "{sessions}");
    assert!(sessions.contains("# data = ["), "{sessions}");
    assert!(sessions.contains("# safeguard = {"), "{sessions}");
    let billing = entry("# TODO: where is `aws_db_instance.billing`?");
    assert!(billing.contains("# kind = \"store\""), "{billing}");
    assert!(billing.contains("# location = "), "{billing}");
    // An EEA store needs nothing, and no store gets two entries.
    assert!(!manifest.contains("`aws_s3_bucket.reports`"), "{manifest}");
    assert_eq!(
        manifest
            .matches("# id = \"aws_dynamodb_table.sessions\"")
            .count(),
        1,
        "{manifest}"
    );
    // Written as it is, the manifest is valid and changes nothing.
    let scanned = borderline(work.path(), &["scan", "repo", "--date", FIXTURE_DATE]);
    assert_eq!(scanned.status.code(), Some(1), "{}", stderr(&scanned));
}

#[test]
fn the_register_lists_data_at_rest_with_the_host_as_recipient() {
    let dir = fixtures_dir().join("rules/transfer-without-safeguard/quiet-store-us");
    let register = json(
        &dir,
        &["ropa", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    let rows = register["transfers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 1, "{register:#}");
    assert_eq!(rows[0]["recipient"], "aws");
    assert_eq!(rows[0]["recipient_name"], "Amazon Web Services, Inc.");
    assert_eq!(rows[0]["recipient_country"], "US");
    assert_eq!(rows[0]["mechanism"], "adequacy");
    assert_eq!(rows[0]["status"], "lawful");
    assert!(
        rows[0]["purpose"]
            .as_str()
            .is_some_and(|p| p.contains("`aws_s3_bucket.uploads`")),
        "{register:#}"
    );
}

#[test]
fn a_scan_with_only_adequate_stores_abroad_still_says_what_it_judged() {
    // A bucket in us-east-1 on a DPF-certified provider is no finding; the text report must not
    // leave the reader with "0 errors" alone, as if nothing had left the EEA.
    let dir = fixtures_dir().join("rules/transfer-without-safeguard/quiet-store-us");
    let output = borderline(&dir, &["scan", ".", "--date", FIXTURE_DATE]);
    let text = stdout(&output);
    assert!(text.contains("0 errors"), "{text}");
    assert!(
        text.contains("transfers out of the EEA: 1 (1 of data at rest): 1 adequate (US)"),
        "{text}"
    );
    // In the EEA only: no transfer line at all.
    let dir = fixtures_dir().join("rules/transfer-without-safeguard/quiet-store-not-personal");
    let text = stdout(&borderline(&dir, &["scan", ".", "--date", FIXTURE_DATE]));
    assert!(!text.contains("transfers out of the EEA"), "{text}");
}
