//! Helm values per environment (issue 17): each overlay beside a chart's `values.yaml` is a
//! deployment variant merged over it, `values.yaml` alone is the variant `default`, and what
//! every variant reads alike carries no variant. Rendered manifests (`helm template` output in
//! the tree, or given with `--rendered FILE`) are read as manifests.

use crate::support::{FIXTURE_DATE, borderline, findings, fixtures_dir, stdout, write_file};
use borderline::date::Date;
use borderline::rules::RuleSet;
use borderline::scan::{Scan, ScanOptions, scan};
use std::path::Path;

fn scan_case(case: &Path) -> Scan {
    let rules = RuleSet::load(None).unwrap();
    let options = ScanOptions {
        root: case.to_path_buf(),
        config: None,
        date: Date::parse(FIXTURE_DATE).unwrap(),
        cache: None,
        terraform_plans: Vec::new(),
        rendered: Vec::new(),
        variants: Vec::new(),
    };
    scan(&options, &rules).unwrap()
}

/// (file, line, variants) of every flow of the model written in a values file, sorted.
fn value_flows(scanned: &Scan) -> Vec<(String, u32, Vec<String>)> {
    let mut found: Vec<(String, u32, Vec<String>)> = scanned
        .model
        .flows
        .iter()
        .filter_map(|flow| {
            let (path, position) = scanned.model.files.resolve(flow.span?)?;
            Some((path.to_string(), position.line, flow.variants.clone()))
        })
        .collect();
    found.sort();
    found
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_prod_overlay_that_sends_to_the_us_is_in_prod_only() {
    let scanned = scan_case(&fixtures_dir().join("helm-env-saas"));
    let flows = value_flows(&scanned);
    let at = |file: &str, line: u32| {
        flows
            .iter()
            .find(|(f, l, _)| f == &format!("deploy/chart/{file}") && *l == line)
            .map(|(_, _, v)| v.clone())
            .unwrap_or_else(|| panic!("no flow at {file}:{line} in {flows:?}"))
    };
    // The Sentry DSN no overlay changes: every variant, so no variant at all.
    assert_eq!(at("values.yaml", 14), Vec::<String>::new());
    // The EU analytics project and Datadog site of the defaults: not in prod, which overrides them.
    assert_eq!(at("values.yaml", 16), names(&["default", "staging"]));
    assert_eq!(at("values.yaml", 21), names(&["default", "staging"]));
    // Prod's US analytics project and US Datadog site: prod only, reported at the overlay's line.
    assert_eq!(at("values-prod.yaml", 5), names(&["prod"]));
    assert_eq!(at("values-prod.yaml", 9), names(&["prod"]));
    // The mail API both overlays name (the defaults name an in-cluster mock): one flow of the
    // pair, in both variants, not in `default`.
    assert_eq!(at("values-prod.yaml", 6), names(&["prod", "staging"]));
    // No flow comes from the overlays' other lines (replicas, an in-cluster ingress host).
    assert!(
        flows
            .iter()
            .all(|(f, _, _)| f.starts_with("deploy/chart/values")),
        "{flows:?}"
    );
    // The chart's service is one node in every variant.
    let ledger = scanned
        .model
        .nodes
        .iter()
        .find(|n| n.id == "ledger")
        .unwrap();
    assert!(ledger.variants.is_empty(), "{:?}", ledger.variants);
}

#[test]
fn an_overlay_that_only_scales_the_chart_makes_nothing_variant_specific() {
    let scanned = scan_case(&fixtures_dir().join("helm-env-replicas"));
    let flows = value_flows(&scanned);
    assert!(!flows.is_empty());
    assert!(flows.iter().all(|(_, _, v)| v.is_empty()), "{flows:?}");
    assert!(scanned.model.nodes.iter().all(|n| n.variants.is_empty()));
}

#[test]
fn a_values_directory_makes_variants_and_null_removes_a_key() {
    let scanned = scan_case(&fixtures_dir().join("helm-env-dir"));
    let flows = value_flows(&scanned);
    let base = "helm/orders/values.yaml";
    let expected = vec![
        // The US default: only where no overlay replaces it (dev removes telemetry entirely).
        (base.to_string(), 6, names(&["default"])),
        // The webhook list no overlay touches.
        (base.to_string(), 11, Vec::new()),
        (
            "helm/orders/values/prod-eu.yaml".to_string(),
            3,
            names(&["prod-eu"]),
        ),
    ];
    assert_eq!(flows, expected);
}

const RENDERED: &str = "---
# Source: relay/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: relay
  annotations:
    borderline.dev/location: aws:eu-central-1
spec:
  template:
    spec:
      containers:
        - name: relay
          image: ghcr.io/acme/relay:1.0.0
          env:
            - name: HUBSPOT_API_URL
              value: https://api.hubapi.com
";

#[test]
fn a_manifest_given_with_rendered_is_read_wherever_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write_file(
        &root,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: relay\nversion: 1.0.0\n",
    );
    write_file(
        &root,
        "chart/templates/deployment.yaml",
        "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    );
    // Rendered outside the repository, and a copy inside that `.gitignore` hides from the walk,
    // `kustomize build` output with no `# Source:` comment under a `templates/` directory (where
    // only what `helm template` wrote is read unless it is given).
    write_file(dir.path(), "out/relay.yaml", RENDERED);
    write_file(&root, ".gitignore", "build/\n");
    let built = RENDERED.replace("# Source: relay/templates/deployment.yaml\n", "");
    write_file(&root, "build/templates/relay.yaml", &built);
    write_file(&root, "k/templates/relay.yaml", &built);
    // Not given: neither the ignored copy nor the walked one under `templates/` is read.
    let quiet = borderline(&root, &["scan", ".", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&quiet)).unwrap();
    assert!(
        findings(&report, "adequacy-scope-not-met").is_empty(),
        "{report}"
    );
    for given in ["../out/relay.yaml", "build/templates/relay.yaml"] {
        let output = borderline(
            &root,
            &["scan", ".", "--format", "json", "--rendered", given],
        );
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let found = findings(&report, "adequacy-scope-not-met");
        assert_eq!(found.len(), 1, "{given}: {report}");
        let file = found[0]["location"]["file"].as_str().unwrap_or_default();
        assert!(file.ends_with("relay.yaml"), "{given}: {}", found[0]);
    }
    // Not YAML by name: refused, with the reason.
    write_file(dir.path(), "out/relay.txt", RENDERED);
    let refused = borderline(&root, &["scan", ".", "--rendered", "../out/relay.txt"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(crate::support::stderr(&refused).contains("*.yaml or *.yml"));
}
