//! Kubernetes names mean a workload of their own manifest set and namespace: two sets that both
//! define `redis` are two nodes and a workload reaches its own set's, and the unplaced workloads
//! of one namespace in one set are one `unknown-location` finding.

use crate::support::{findings, fixtures_dir, report_node as node, scan_report as scan_json};
use serde_json::Value;

fn flows(report: &Value) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = report["flows"]
        .as_array()
        .map(|flows| {
            flows
                .iter()
                .map(|f| {
                    (
                        f["from"].as_str().unwrap_or_default().to_string(),
                        f["to"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    pairs.dedup();
    pairs
}

fn pair(from: &str, to: &str) -> (String, String) {
    (from.to_string(), to.to_string())
}

#[test]
fn two_manifest_sets_that_define_redis_deploy_two_redis_instances() {
    let report = scan_json(&fixtures_dir().join("k8s14-two-sets"));
    // The analytics team's Redis, pinned to Virginia, keeps the bare id (first set by path).
    let analytics = node(&report, "redis");
    assert_eq!(analytics["location"], "gcp:us-east4");
    assert_eq!(
        analytics["defined_at"]["file"],
        "analytics/deploy/redis.yaml"
    );
    // The storefront's Redis is a node of its own, with no location of its own.
    let storefront = node(&report, "redis@storefront");
    assert_eq!(
        storefront["defined_at"]["file"],
        "storefront/deploy/k8s/redis.yaml"
    );
    assert!(storefront["location"].is_null(), "{storefront}");
    // Each workload reaches its own set's Redis, by short name and by full cluster name; the
    // storefront's sessions do not travel to Virginia.
    assert_eq!(
        flows(&report),
        vec![
            pair("event-collector", "redis"),
            pair("web", "redis@storefront"),
        ]
    );
    let unplaced = findings(&report, "unknown-location");
    assert_eq!(unplaced.len(), 1, "{unplaced:?}");
    assert!(
        unplaced[0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("`redis@storefront` receives personal data"),
        "{}",
        unplaced[0]["message"]
    );
}

#[test]
fn unplaced_workloads_of_one_namespace_are_one_finding() {
    let report = scan_json(&fixtures_dir().join("k8s14-namespace-group"));
    // A Deployment calling a Service of its own namespace is a flow, as before.
    assert_eq!(
        flows(&report),
        vec![
            pair("api", "notifier"),
            pair("api", "payments"),
            pair("gateway", "api"),
            pair("gateway", "status-page"),
        ]
    );
    let unplaced = findings(&report, "unknown-location");
    let messages: Vec<&str> = unplaced
        .iter()
        .map(|f| f["message"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(unplaced.len(), 2, "{messages:?}");
    let group = unplaced
        .iter()
        .find(|f| {
            f["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("3 workloads of the namespace `bookings` in the manifests `k8s`")
        })
        .unwrap_or_else(|| panic!("no grouped finding in {messages:?}"));
    assert!(
        group["message"]
            .as_str()
            .unwrap_or_default()
            .ends_with(": api, notifier, payments"),
        "{}",
        group["message"]
    );
    assert_eq!(group["location"]["file"], "k8s/api.yaml");
    let help = group["help"].as_str().unwrap_or_default();
    assert!(help.contains("borderline.dev/location"), "{help}");
    assert!(help.contains("[[node]]"), "{help}");
    // The lone workload of the `ops` namespace is a finding of its own.
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("`status-page` receives personal data")),
        "{messages:?}"
    );
}
