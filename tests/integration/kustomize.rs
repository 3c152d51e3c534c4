//! Kustomize overlays are deployment variants: each overlay is built over its base, what every
//! overlay shares has no variant, what one overlay's patch or generator sets carries its name,
//! a base file is read once, and a lone kustomization is read as plain manifests.

use crate::support::{borderline, findings, fixtures_dir, scan_report, write_file};
use borderline::extract::{ExtractContext, Owners, extract_all};
use borderline::facts::{Facts, FlowTarget};
use borderline::rules::RuleSet;
use borderline::source::{FileId, SourceFile};
use std::path::Path;
use std::sync::Arc;

/// Every file under `dir`, in path order, as the walk hands them.
fn files(dir: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .iter()
        .enumerate()
        .map(|(index, path)| {
            let relative = path.strip_prefix(dir).unwrap().to_str().unwrap();
            let text = std::fs::read_to_string(path).unwrap();
            SourceFile::new(
                FileId(index as u32),
                relative.replace('\\', "/").into(),
                Arc::from(text),
            )
        })
        .collect()
}

fn facts_of(dir: &Path) -> Facts {
    let rules = RuleSet::builtin().unwrap();
    let owners = Owners::default();
    let ctx = ExtractContext {
        rules: &rules,
        owners: &owners,
        terraform: &[],
    };
    extract_all(&files(dir), &ctx)
}

/// (host, variants) of every flow to an outside host, sorted.
fn host_flows(facts: &Facts) -> Vec<(String, Vec<String>)> {
    let mut flows: Vec<(String, Vec<String>)> = facts
        .flows
        .iter()
        .filter_map(|flow| match &flow.to {
            FlowTarget::Host { host, .. } => Some((host.clone(), flow.variants.clone())),
            _ => None,
        })
        .collect();
    flows.sort();
    flows
}

fn pair(host: &str, variants: &[&str]) -> (String, Vec<String>) {
    (
        host.to_string(),
        variants.iter().map(|v| v.to_string()).collect(),
    )
}

#[test]
fn each_overlay_is_a_variant_and_only_prod_sends_to_the_us() {
    let facts = facts_of(&fixtures_dir().join("kustomize-shop"));
    assert_eq!(facts.variant_names(), ["dev", "prod", "staging"]);
    assert!(
        facts
            .variants
            .iter()
            .all(|v| v.source == "kustomize overlay"),
        "{:?}",
        facts.variants
    );
    assert_eq!(
        host_flows(&facts),
        vec![
            // The base's generator literal, merged over in prod by the overlay's generator.
            pair("api-eu.mixpanel.com", &["dev", "staging"]),
            pair("api.mixpanel.com", &["prod"]),
            // The base's DSN, replaced in prod by the strategic-merge patch.
            pair("hooks.zapier.com", &["prod"]),
            pair("o450.ingest.de.sentry.io", &["dev", "staging"]),
            pair("o450.ingest.us.sentry.io", &["prod"]),
        ]
    );
    // The base workload is one node, the same in every overlay: no variant of its own, and read
    // once (not once as a plain manifest and once per overlay).
    let checkout: Vec<_> = facts.nodes.iter().filter(|n| n.id == "checkout").collect();
    assert_eq!(checkout.len(), 1, "{checkout:?}");
    assert!(checkout[0].variants.is_empty());
    // Findings point at the overlay line that sets the value.
    let report = scan_report(&fixtures_dir().join("kustomize-shop"));
    let mut at: Vec<String> = findings(&report, "adequacy-scope-not-met")
        .iter()
        .map(|f| format!("{}:{}", f["location"]["file"], f["location"]["line"]))
        .collect();
    at.sort();
    assert_eq!(
        at,
        [
            "\"deploy/overlays/prod/checkout-env.yaml\":14",
            "\"deploy/overlays/prod/kustomization.yaml\":16",
            "\"deploy/overlays/prod/kustomization.yaml\":21",
        ]
    );
}

#[test]
fn overlays_that_only_scale_or_retag_change_nothing() {
    let facts = facts_of(&fixtures_dir().join("kustomize-traps"));
    assert_eq!(facts.variant_names(), ["dev", "prod"]);
    assert!(facts.nodes.iter().all(|n| n.variants.is_empty()));
    assert!(facts.flows.iter().all(|f| f.variants.is_empty()));
    // A secretGenerator's values are never read.
    assert_eq!(
        host_flows(&facts),
        vec![
            pair("api-eu.mixpanel.com", &[]),
            pair("o12.ingest.de.sentry.io", &[])
        ]
    );
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
}

/// A node's id, scope and span (without the file id).
type NodePlace = (String, Option<String>, Option<(u32, u32)>);

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          env:\n            - name: HOOK\n              value: https://hooks.zapier.com/hooks/catch/1/1\n";

#[test]
fn a_lone_kustomization_is_read_as_plain_manifests() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "k8s/web.yaml", DEPLOYMENT);
    let plain = facts_of(dir.path());
    write_file(
        dir.path(),
        "k8s/kustomization.yaml",
        "namePrefix: x-\nresources:\n  - web.yaml\n",
    );
    let kustomized = facts_of(dir.path());
    assert!(kustomized.variants.is_empty());
    assert_eq!(host_flows(&plain), host_flows(&kustomized));
    // The same nodes at the same places (file ids move with the added file).
    let places = |facts: &Facts| -> Vec<NodePlace> {
        facts
            .nodes
            .iter()
            .map(|n| {
                (
                    n.id.clone(),
                    n.scope.clone(),
                    n.span.map(|s| (s.start, s.end)),
                )
            })
            .collect()
    };
    assert_eq!(places(&plain), places(&kustomized));
}

#[test]
fn cycles_remote_bases_and_paths_out_of_the_root_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "k8s/base/web.yaml", DEPLOYMENT);
    write_file(
        dir.path(),
        "k8s/base/kustomization.yaml",
        "resources:\n  - web.yaml\n  - ../loop\n",
    );
    write_file(
        dir.path(),
        "k8s/loop/kustomization.yaml",
        "resources:\n  - ../base\n",
    );
    write_file(
        dir.path(),
        "k8s/overlays/prod/kustomization.yaml",
        "resources:\n  - ../../base\n  - ../../../../../etc\n  - https://github.com/acme/infra//base?ref=v1\npatches:\n  - path: /etc/passwd\n",
    );
    let output = borderline(dir.path(), &["scan", ".", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut messages: Vec<String> = findings(&report, "input-error")
        .iter()
        .map(|f| {
            format!(
                "{}:{} {}",
                f["location"]["file"].as_str().unwrap_or(""),
                f["location"]["line"],
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    messages.sort();
    assert_eq!(messages.len(), 4, "{messages:#?}");
    assert!(messages[0].starts_with("k8s/loop/kustomization.yaml:2 `../base` is a cycle"));
    assert!(messages[1].contains("prod/kustomization.yaml:3 `../../../../../etc` leads out"));
    assert!(messages[2].contains("prod/kustomization.yaml:4 `https://github.com"));
    assert!(messages[3].contains("prod/kustomization.yaml:6 `/etc/passwd` leads out"));
    // The base's workload is still read, in the one overlay.
    assert_eq!(findings(&report, "adequacy-scope-not-met").len(), 1);
}

#[test]
fn an_overlay_that_pins_pods_to_a_us_region_places_the_workload_there_in_that_overlay_only() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "deploy/base/web.yaml", DEPLOYMENT);
    write_file(
        dir.path(),
        "deploy/base/kustomization.yaml",
        "resources:\n  - web.yaml\ncommonAnnotations:\n  team: web\n",
    );
    write_file(
        dir.path(),
        "deploy/eu/kustomization.yaml",
        "resources:\n  - ../base\ncommonAnnotations:\n  borderline.dev/location: aws:eu-central-1\n",
    );
    write_file(
        dir.path(),
        "deploy/us/kustomization.yaml",
        "resources:\n  - ../base\npatches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata:\n        name: web\n      spec:\n        template:\n          spec:\n            nodeSelector:\n              topology.kubernetes.io/region: us-east4\n",
    );
    let facts = facts_of(dir.path());
    assert_eq!(facts.variant_names(), ["eu", "us"]);
    let mut web: Vec<(String, Vec<String>)> = facts
        .nodes
        .iter()
        .filter(|n| n.id == "web")
        .map(|n| {
            let location = n.location.as_ref().map(|l| l.location.to_string());
            (location.unwrap_or_default(), n.variants.clone())
        })
        .collect();
    web.sort();
    assert_eq!(
        web,
        [
            ("aws:eu-central-1".to_string(), vec!["eu".to_string()]),
            ("gcp:us-east4".to_string(), vec!["us".to_string()]),
        ]
    );
}
