//! Deployment variants in every output: text, JSON, SARIF, Markdown, the register, the map (DOT,
//! Mermaid, graph JSON) and `merge`, which reads the map's variants back.
//!
//! The variants are set BY HAND on a scan of `fixtures/outputs-sample` (see
//! [`sample_with_variants_set_by_hand`]): the extractors that find them (tfvars, Terragrunt,
//! Helm values, Kustomize overlays) and the scan that evaluates per variant land separately.
//! Once they have, this module can scan a real fixture with variants instead and keep its
//! assertions.

use crate::support::{FIXTURE_DATE, fixtures_dir};
use borderline::date::Date;
use borderline::merge::{Fragment, merge};
use borderline::model::fragment::GraphView;
use borderline::report;
use borderline::rule::Rule;
use borderline::rules::RuleSet;
use borderline::scan::{Scan, ScanOptions, scan};
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}")))
}

fn scan_sample() -> Scan {
    let options = ScanOptions {
        root: fixtures_dir().join("outputs-sample"),
        config: None,
        date: Date::parse(FIXTURE_DATE).unwrap_or_else(|e| panic!("{e:?}")),
        cache: None,
        terraform_plans: Vec::new(),
        rendered: Vec::new(),
        variants: Vec::new(),
    };
    scan(&options, rules()).unwrap_or_else(|e| panic!("{e}"))
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The sample as a scan with variants would give it: the flow to `acme-analytics` and its
/// finding exist in `prod` and `prod-us` only, the store `events-archive` and the flow to it in
/// `prod` only; everything else (the `unknown-location` finding about `legacy-crm` among it) in
/// every variant. Replace with a scan of a fixture with variants when the extractors land.
fn sample_with_variants_set_by_hand() -> Scan {
    let mut scanned = scan_sample();
    for flow in &mut scanned.model.flows {
        match (flow.from.as_str(), flow.to.as_str()) {
            ("checkout", "acme-analytics") => flow.variants = names(&["prod", "prod-us"]),
            ("checkout", "events-archive") => flow.variants = names(&["prod"]),
            _ => {}
        }
    }
    for node in &mut scanned.model.nodes {
        if node.id == "events-archive" {
            node.variants = names(&["prod"]);
        }
    }
    for finding in &mut scanned.evaluation.findings {
        if finding.to.as_deref() == Some("acme-analytics") {
            finding.variants = names(&["prod", "prod-us"]);
        }
    }
    scanned
}

/// The text of each finding of a text report, split at the blank lines between findings.
fn text_blocks(text: &str) -> Vec<String> {
    text.split("\n\n").map(str::to_string).collect()
}

#[test]
fn text_says_in_which_variants_and_leaves_the_rest_byte_identical() {
    let plain = scan_sample();
    let varied = sample_with_variants_set_by_hand();
    let before = report::text::render(&plain.model.files, &plain.evaluation.findings, 0, false);
    let after = report::text::render(&varied.model.files, &varied.evaluation.findings, 0, false);
    let (before, after) = (text_blocks(&before), text_blocks(&after));
    assert_eq!(before.len(), after.len());
    let mut changed = 0;
    for (old, new) in before.iter().zip(&after) {
        if new.contains("adequacy-scope-not-met") {
            changed += 1;
            assert!(new.contains("\nin: prod, prod-us\n"), "{new}");
            // The line is the only difference.
            assert_eq!(new.replace("in: prod, prod-us\n", ""), *old);
            insta::assert_snapshot!("variant_outputs_text_finding", new);
        } else {
            assert_eq!(new, old, "a finding without variants reads as before");
        }
    }
    assert_eq!(changed, 1);
}

#[test]
fn json_lists_variants_only_where_there_are_some() {
    let varied = sample_with_variants_set_by_hand();
    let json: serde_json::Value = serde_json::from_str(&report::json::render(
        &varied.model,
        &varied.evaluation,
        rules(),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    for finding in &findings {
        if finding["to"] == "acme-analytics" {
            assert_eq!(finding["variants"], serde_json::json!(["prod", "prod-us"]));
        } else {
            assert!(finding.get("variants").is_none(), "{finding}");
        }
    }
    let node = crate::support::report_node(&json, "events-archive");
    assert_eq!(node["variants"], serde_json::json!(["prod"]));
    assert!(
        crate::support::report_node(&json, "checkout")
            .get("variants")
            .is_none()
    );
    let flows = json["flows"].as_array().cloned().unwrap_or_default();
    let flow = |to: &str| flows.iter().find(|f| f["to"] == to).cloned();
    assert_eq!(
        flow("events-archive").map(|f| f["variants"].clone()),
        Some(serde_json::json!(["prod"]))
    );
    assert!(flow("deskforce").is_some_and(|f| f.get("variants").is_none()));
    // The fingerprint does not depend on the variants.
    let plain = scan_sample();
    let fingerprints = |scan: &Scan| -> Vec<String> {
        scan.evaluation
            .findings
            .iter()
            .map(|f| f.fingerprint.clone())
            .collect()
    };
    assert_eq!(fingerprints(&plain), fingerprints(&varied));
}

#[test]
fn sarif_carries_variants_as_a_property_and_stays_valid() {
    let varied = sample_with_variants_set_by_hand();
    let log: serde_json::Value = serde_json::from_str(&report::sarif::render(
        &varied.model,
        &varied.evaluation,
        false,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let errors = crate::sarif::schema_errors(&log);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let results = log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let scoped: Vec<_> = results
        .iter()
        .filter(|r| r["properties"].get("variants").is_some())
        .collect();
    assert_eq!(scoped.len(), 1);
    assert_eq!(scoped[0]["ruleId"], "adequacy-scope-not-met");
    assert_eq!(
        scoped[0]["properties"]["variants"],
        serde_json::json!(["prod", "prod-us"])
    );
    assert!(
        scoped[0]["message"]["text"]
            .as_str()
            .is_some_and(|m| m.ends_with(" (in: prod, prod-us)")),
        "{}",
        scoped[0]["message"]
    );
}

#[test]
fn markdown_and_register_name_the_variants() {
    let varied = sample_with_variants_set_by_hand();
    let markdown = report::markdown::render(&varied.model, &varied.evaluation, rules());
    crate::support::assert_markdown_tables("markdown", &markdown);
    let row = markdown
        .lines()
        .find(|l| l.contains("adequacy-scope-not-met"))
        .unwrap_or_default();
    assert!(row.contains("(in: prod, prod-us) |"), "{row}");
    let rows = report::ropa::rows(&varied.model, &varied.evaluation, rules());
    let to = |id: &str| rows.iter().find(|r| r.recipient == id).cloned();
    assert_eq!(
        to("acme-analytics").map(|r| r.variants),
        Some(names(&["prod", "prod-us"]))
    );
    assert_eq!(to("deskforce").map(|r| r.variants), Some(Vec::new()));
    let csv = report::ropa::to_csv(&rows);
    let header = csv.lines().next().unwrap_or_default();
    assert!(header.ends_with(",variants"), "{header}");
    assert!(csv.contains(",\"prod, prod-us\"\r\n"), "{csv}");
    let table = report::ropa::to_markdown(&rows);
    crate::support::assert_markdown_tables("register", &table);
    assert!(table.contains("| variants |"), "{table}");
    let json = report::ropa::to_json(&rows);
    assert!(json.contains("\"variants\": ["), "{json}");
    // Without variants, no column.
    let plain = scan_sample();
    let plain_rows = report::ropa::rows(&plain.model, &plain.evaluation, rules());
    assert!(!report::ropa::to_csv(&plain_rows).contains("variants"));
    assert!(!report::ropa::to_json(&plain_rows).contains("variants"));
}

#[test]
fn the_map_labels_edges_and_nodes_that_exist_only_in_some_variants() {
    let varied = sample_with_variants_set_by_hand();
    let view = GraphView::build(&varied.model, &varied.evaluation, rules());
    let dot = report::graph::to_dot(&view);
    let (label, line) = crate::support::dot_edge(&dot, "checkout", "events-archive");
    assert!(label.contains("\\nin: prod\""), "{label}");
    assert!(line.contains("style=\"dotted\""), "{line}");
    let (plain_label, plain_line) = crate::support::dot_edge(&dot, "checkout", "deskforce");
    assert!(
        !plain_label.contains("in:") && !plain_line.contains("dotted"),
        "{plain_label}\n{plain_line}"
    );
    let node = dot
        .lines()
        .find(|l| l.contains("\"events-archive\"[label"))
        .unwrap_or_default();
    assert!(node.contains("\\nin: prod\""), "{node}");
    let mermaid = report::graph::to_mermaid(&view);
    assert!(
        mermaid.contains("-.->|\"DPF · behavior.browsing_history<br/>in: prod\"|"),
        "{mermaid}"
    );
    // The same map without variants is the map as before: only the lines of the two flows
    // and the node with variants differ.
    let plain = scan_sample();
    let plain_view = GraphView::build(&plain.model, &plain.evaluation, rules());
    // Without legends: the varied map's legend has a line for dotted edges the plain one lacks.
    let bare = report::graph::MapOptions {
        legend: false,
        ..Default::default()
    };
    let plain_mermaid = report::graph::to_mermaid_with(&plain_view, &bare);
    let mermaid = report::graph::to_mermaid_with(&view, &bare);
    let only_in = |a: &str, b: &str| -> Vec<String> {
        a.lines()
            .filter(|l| !b.lines().any(|m| m == *l))
            .map(str::to_string)
            .collect()
    };
    let gone = only_in(&plain_mermaid, &mermaid);
    assert_eq!(gone.len(), 3, "{gone:?}");
    for line in only_in(&mermaid, &plain_mermaid) {
        assert!(
            line.contains("in: prod") || line.ends_with("stroke-dasharray:2 2"),
            "{line}"
        );
    }
    insta::assert_snapshot!("variant_outputs_mermaid", mermaid);
    let plain_dot = report::graph::to_dot_with(&plain_view, &bare);
    let dot = report::graph::to_dot_with(&view, &bare);
    // The node, and for each of the two edges its label node and its two halves (dotted).
    assert_eq!(only_in(&plain_dot, &dot).len(), 7, "{dot}");
}

#[test]
fn the_fragment_keeps_variants_and_merge_reads_them_back() {
    let varied = sample_with_variants_set_by_hand();
    let view = GraphView::build(&varied.model, &varied.evaluation, rules());
    let text = view.to_json();
    let fragment = Fragment::parse("sample.json", &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fragment.view, view, "the graph JSON reads back as written");
    let node = view.node("events-archive").map(|n| n.variants.clone());
    assert_eq!(node, Some(names(&["prod"])));
    let date = Date::parse(FIXTURE_DATE).unwrap_or_else(|e| panic!("{e:?}"));
    let merged = merge(&[fragment], rules(), date, None).unwrap_or_else(|e| panic!("{e:?}"));
    let node = merged
        .model
        .node("events-archive")
        .map(|n| n.variants.clone());
    assert_eq!(node, Some(names(&["prod"])));
    let flow = merged
        .model
        .flows
        .iter()
        .find(|f| f.to == "acme-analytics")
        .map(|f| f.variants.clone());
    assert_eq!(flow, Some(names(&["prod", "prod-us"])));
    let finding = merged
        .evaluation
        .findings
        .iter()
        .find(|f| f.rule == Rule::AdequacyScopeNotMet)
        .map(|f| f.variants.clone());
    assert_eq!(finding, Some(names(&["prod", "prod-us"])));
    let unknown = merged
        .evaluation
        .findings
        .iter()
        .find(|f| f.rule == Rule::UnknownLocation)
        .map(|f| f.variants.clone());
    assert_eq!(unknown, Some(Vec::new()));
    // Judged again on the joined map (a fragment without its scan's judgement), a finding
    // takes the variants of its flow.
    let mut unjudged = view.clone();
    unjudged.judgement = None;
    let fragment = Fragment {
        source: "sample.json".into(),
        view: unjudged,
    };
    let merged = merge(&[fragment], rules(), date, None).unwrap_or_else(|e| panic!("{e:?}"));
    let variants_of = |rule: Rule| {
        merged
            .evaluation
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .map(|f| f.variants.clone())
    };
    assert_eq!(
        variants_of(Rule::AdequacyScopeNotMet),
        Some(names(&["prod", "prod-us"]))
    );
    assert_eq!(variants_of(Rule::UnknownLocation), Some(Vec::new()));
    // A fragment without variants (every fragment written before them) reads as before.
    let plain = scan_sample();
    let plain_view = GraphView::build(&plain.model, &plain.evaluation, rules());
    assert!(!plain_view.to_json().contains("variant"));
}

/// The variants a scan of the sample with variants would have found: `prod` from a values file
/// and a tfvars, `prod-us` from an overlay. Their spans point into the sample's manifest (the
/// only file of the scan); a real fixture's would point at the files that make them differ.
fn variants_set_by_hand(scanned: &Scan) -> Vec<borderline::facts::Variant> {
    let file = scanned
        .evaluation
        .findings
        .iter()
        .find_map(|f| f.span)
        .map(|s| s.file)
        .unwrap_or_else(|| panic!("a finding with a span"));
    let at = |start: usize| borderline::source::Span::new(file, start..start + 4);
    vec![
        borderline::facts::Variant {
            name: "prod".into(),
            span: at(0),
            source: "tfvars".into(),
        },
        borderline::facts::Variant {
            name: "prod-us".into(),
            span: at(0),
            source: "kustomize overlay".into(),
        },
        borderline::facts::Variant {
            name: "prod".into(),
            span: at(0),
            source: "helm values".into(),
        },
        // The same input twice (two configurations over one file) is listed once.
        borderline::facts::Variant {
            name: "prod".into(),
            span: at(0),
            source: "tfvars".into(),
        },
    ]
}

#[test]
fn the_summary_and_the_json_report_list_the_variants_found() {
    let varied = sample_with_variants_set_by_hand();
    let variants = variants_set_by_hand(&varied);
    assert_eq!(
        report::text::found_variants_line(&variants).as_deref(),
        Some("variants: prod (helm values, tfvars), prod-us (kustomize overlay)")
    );
    assert_eq!(report::text::found_variants_line(&[]), None);
    let mut out = Vec::new();
    report::json::write_with_variants(
        &mut out,
        &varied.model,
        &varied.evaluation,
        rules(),
        &Default::default(),
        &variants,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        json["variants"],
        serde_json::json!([
            {"name": "prod", "sources": [
                {"source": "helm values", "file": "borderline.toml", "line": 1, "column": 1},
                {"source": "tfvars", "file": "borderline.toml", "line": 1, "column": 1},
            ]},
            {"name": "prod-us", "sources": [
                {"source": "kustomize overlay", "file": "borderline.toml", "line": 1, "column": 1},
            ]},
        ])
    );
    // Without variants the report is the report as before, byte for byte.
    let plain = scan_sample();
    let mut without = Vec::new();
    report::json::write_with_variants(
        &mut without,
        &plain.model,
        &plain.evaluation,
        rules(),
        &Default::default(),
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        String::from_utf8_lossy(&without),
        report::json::render(&plain.model, &plain.evaluation, rules())
    );
}
