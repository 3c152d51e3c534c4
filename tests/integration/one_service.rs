//! One service, one node (issue 15, point 5): a compose service built from a package's directory,
//! the Kubernetes workload running the image that compose service builds, and the package itself
//! are one node with every other name an alias, through the binary as a user runs it. A bare name
//! or a public image is not evidence, and stays two nodes.

use crate::support::{
    borderline, copy_dir, fixtures_dir, report_node, scan_report, stderr, stdout, write_file,
};
use std::collections::BTreeSet;

fn node_ids(report: &serde_json::Value) -> BTreeSet<String> {
    report["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str().map(str::to_string))
        .collect()
}

fn aliases(node: &serde_json::Value) -> Vec<String> {
    node["aliases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect()
}

/// (from, to) of every flow of a JSON report.
fn flow_pairs(report: &serde_json::Value) -> BTreeSet<(String, String)> {
    report["flows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["from"].as_str().unwrap_or_default().to_string(),
                f["to"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn compose_kubernetes_and_package_of_one_service_are_one_node() {
    let dir = fixtures_dir().join("id15-harbor");
    let report = scan_report(&dir);
    let ids = node_ids(&report);
    // The Kubernetes workload's name wins: it is what production runs and what findings say.
    let api = report_node(&report, "harbor-backend");
    assert_eq!(aliases(api), ["backend", "harbor-api"], "{api}");
    for gone in ["backend", "harbor-api"] {
        assert!(
            !ids.contains(gone),
            "`{gone}` is still a node of its own: {ids:?}"
        );
    }
    // The code's call to Stripe and both deployments' Sentry DSN leave from the one node, and
    // the web front of each deployment reaches it by the name it uses there.
    let flows = flow_pairs(&report);
    for pair in [
        ("harbor-backend", "stripe"),
        ("harbor-backend", "sentry"),
        ("harbor-web", "harbor-backend"),
        ("harbor-backend", "db"),
    ] {
        assert!(
            flows.contains(&(pair.0.to_string(), pair.1.to_string())),
            "no flow {pair:?} in {flows:?}"
        );
    }
    // `reminders` is built with `worker/Dockerfile`: the Go module there (a directory with a
    // Dockerfile is named after itself, `worker`) is its code, and its call to Postmark leaves
    // from the compose service.
    assert_eq!(aliases(report_node(&report, "reminders")), ["worker"]);
    assert!(!ids.contains("worker"), "{ids:?}");
    assert!(flows.contains(&("reminders".to_string(), "postmark".to_string())));
    // The web image is pushed to the registry namespace of the image built here: the
    // organisation's own, so the compose `frontend` (a tag) and the `harbor-web` Deployment (a
    // digest) run the same code.
    assert_eq!(aliases(report_node(&report, "harbor-web")), ["frontend"]);
    assert!(!ids.contains("frontend"), "{ids:?}");
    // Two deployments' copies of one public image are two databases.
    for kept in ["db", "postgres"] {
        assert!(ids.contains(kept), "`{kept}` was merged away: {ids:?}");
    }
    assert!(aliases(report_node(&report, "db")).is_empty());
    assert!(aliases(report_node(&report, "postgres")).is_empty());

    // The data map a `merge` of many repositories reads carries the aliases too.
    let output = borderline(&dir, &["graph", ".", "--format", "json"]);
    let graph: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        aliases(report_node(&graph, "harbor-backend")),
        ["backend", "harbor-api"]
    );
}

#[test]
fn every_name_of_the_service_reaches_its_node() {
    let dir = fixtures_dir().join("id15-harbor");
    // `explain` takes the package's name and the compose service's as well as the workload's.
    for from in ["harbor-api", "backend", "harbor-backend"] {
        let output = borderline(&dir, &["explain", &format!("{from}->stripe")]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "explain {from}->stripe: {}{}",
            stdout(&output),
            stderr(&output)
        );
        assert!(
            stdout(&output).contains("harbor-backend"),
            "{}",
            stdout(&output)
        );
    }

    // borderline.toml may use any name: a node entry, a declared flow and a waiver.
    let temp = tempfile::tempdir().unwrap();
    copy_dir(&dir, temp.path());
    write_file(
        temp.path(),
        "borderline.toml",
        r#"[project]
name = "harbor"

[[node]]
id = "harbor-api"
data = ["user.contact.email"]

[[flow]]
from = "backend"
to = "db"
data = ["user.contact.email"]
purpose = "bookings"

[[waiver]]
rule = "transfer-without-safeguard"
from = "harbor-api"
to = "stripe"
reason = "SCCs in signature, FIN-88"
expires = "2099-01-31"
"#,
    );
    let report = scan_report(temp.path());
    let ids = node_ids(&report);
    assert!(
        !ids.contains("harbor-api") && !ids.contains("backend"),
        "{ids:?}"
    );
    let api = report_node(&report, "harbor-backend");
    assert!(
        api["data"]
            .as_array()
            .is_some_and(|d| d.iter().any(|k| k == "user.contact.email")),
        "{api}"
    );
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    for finding in &findings {
        assert_ne!(
            finding["rule"], "unresolved-reference",
            "an alias did not resolve: {finding}"
        );
        assert!(
            !(finding["rule"] == "transfer-without-safeguard" && finding["to"] == "stripe"),
            "the waiver written with the package's name did not apply: {finding}"
        );
    }
}

#[test]
fn a_name_or_a_public_image_alone_merges_nothing() {
    let report = scan_report(&fixtures_dir().join("id15-traps"));
    let ids = node_ids(&report);
    // A test compose's `vector` is not the production DaemonSet (issue 14), though both run the
    // same public image; two deployments' `postgres:16` are two databases.
    for kept in ["vector", "vector@tests/logging", "db", "orders-db"] {
        assert!(ids.contains(kept), "`{kept}` is not a node: {ids:?}");
        assert!(aliases(report_node(&report, kept)).is_empty(), "{kept}");
    }
    // The web process and the worker are built from one context and run one image: which of
    // them the Kubernetes `storefront` is, nothing says, so none of the three merges.
    for kept in ["web", "worker", "storefront"] {
        assert!(ids.contains(kept), "`{kept}` is not a node: {ids:?}");
        assert!(aliases(report_node(&report, kept)).is_empty(), "{kept}");
    }
}

#[test]
fn deployments_said_to_run_in_different_places_stay_apart() {
    // The production Deployment moves to the US while compose still runs in Frankfurt: one node
    // could have only one of the two locations, and the other's flows would be judged from the
    // wrong country, so the three names stay three nodes.
    let temp = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join("id15-harbor"), temp.path());
    let manifest = temp.path().join("deploy/k8s/api.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen("aws:eu-central-1", "aws:us-east-1", 1),
    )
    .unwrap();
    let report = scan_report(temp.path());
    let ids = node_ids(&report);
    for kept in ["harbor-backend", "backend", "harbor-api"] {
        assert!(ids.contains(kept), "`{kept}` was merged: {ids:?}");
    }
    assert!(aliases(report_node(&report, "harbor-backend")).is_empty());
    let flows = flow_pairs(&report);
    assert!(
        flows.contains(&("backend".to_string(), "sentry".to_string())),
        "{flows:?}"
    );
    assert!(
        flows.contains(&("harbor-api".to_string(), "stripe".to_string())),
        "{flows:?}"
    );
}
