//! A link is not a flow, a lookup table is not a set of flows (issue 14): what a user scanning a
//! product with a documentation site, an exporter chart and a region table sees in JSON.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};
use serde_json::Value;

fn scan(case: &str) -> Value {
    let output = borderline(
        &fixtures_dir().join(case),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&output)))
}

/// (from, to, file:line) of every flow, sorted.
fn flows(report: &Value) -> Vec<(String, String, String)> {
    let mut all: Vec<(String, String, String)> = report["flows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["from"].as_str().unwrap_or_default().to_string(),
                f["to"].as_str().unwrap_or_default().to_string(),
                format!(
                    "{}:{}",
                    f["location"]["file"].as_str().unwrap_or_default(),
                    f["location"]["line"].as_u64().unwrap_or_default()
                ),
            )
        })
        .collect();
    all.sort();
    all
}

fn flow(from: &str, to: &str, at: &str) -> (String, String, String) {
    (from.into(), to.into(), at.into())
}

#[test]
fn a_documentation_site_gives_no_flow_and_says_why() {
    let report = scan("link14-sites");
    assert_eq!(
        flows(&report),
        [
            flow("ingest", "mixpanel", "src/ingest/src/forward.ts:5"),
            flow("ingest", "opsgenie", "src/ingest/config.toml:9"),
        ]
    );
    let notes: Vec<&str> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["message"].as_str())
        .filter(|m| m.contains("static site"))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]
            .starts_with("`website/` is a static site (Hugo configuration `website/config.toml`)"),
        "{}",
        notes[0]
    );
    // The site's inferred node existed only for its links: it is gone with them.
    let nodes: Vec<&str> = report["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert!(!nodes.contains(&"website"), "{nodes:?}");
}

#[test]
fn comments_examples_and_tables_are_not_flows() {
    assert_eq!(
        flows(&scan("link14-embedded")),
        [
            flow("jiralert", "atlassian", "charts/jiralert/values.yaml:5"),
            flow(
                "json-exporter",
                "opsgenie",
                "charts/json-exporter/values.yaml:9"
            ),
        ]
    );
    assert_eq!(
        flows(&scan("link14-examples")),
        [
            flow(
                "billing",
                "razorpay",
                "services/billing/config/production.yaml:2"
            ),
            flow("server", "mailgun", "crates/server/src/lib.rs:5"),
        ]
    );
    // Only the region the code names; the Singapore host is in `asia-southeast1`, not `asia`.
    assert_eq!(
        flows(&scan("link14-regions")),
        [flow(
            "chronicle-sink",
            "gcp:malachiteingestion-pa:asia-southeast1",
            "src/chronicle-sink/src/lib.rs:40"
        )]
    );
}
