//! The map that explains itself (issue 19): the demo's DOT as a golden file, edges labelled with
//! their basis, waived edges dashed until their expiry, one edge per (from, to), groups as the
//! verdicts see them (a distrusted adequacy is a third country), `--transfers-only`,
//! `--group-by`, the same semantics in Mermaid, and a 200-node map whose labels do not overlap.

use crate::support::{
    FIXTURE_DATE, borderline, copy_dir, dot_edge, fixtures_dir, require_dot, stdout,
};
use std::path::Path;

fn graph(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["graph", ".", "--date", FIXTURE_DATE];
    args.extend_from_slice(extra);
    stdout(&borderline(dir, &args))
}

/// The lines of the cluster whose `subgraph` line is `head`, up to its closing brace.
fn cluster<'a>(dot: &'a str, head: &str) -> Vec<&'a str> {
    let mut depth = 0usize;
    let mut inside = Vec::new();
    for line in dot.lines() {
        if depth == 0 && line.trim() == format!("subgraph {head} {{") {
            depth = 1;
            continue;
        }
        if depth > 0 {
            if line.trim_end().ends_with('{') {
                depth += 1;
            } else if line.trim() == "}" {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            inside.push(line);
        }
    }
    inside
}

fn holds_node(lines: &[&str], id: &str) -> bool {
    let head = format!("\"{id}\"[label=");
    lines.iter().any(|l| l.trim().starts_with(&head))
}

#[test]
fn the_demo_map_is_golden_and_renders() {
    let dot = graph(&fixtures_dir().join("demo"), &[]);
    insta::assert_snapshot!("map_demo_dot", dot);
    require_dot();
    let svg = stdout(&borderline(
        &fixtures_dir().join("demo"),
        &["graph", ".", "--format", "svg", "--date", FIXTURE_DATE],
    ));
    assert!(svg.contains("<svg") && svg.contains("Legend"), "{svg}");
}

#[test]
fn every_transfer_edge_names_its_basis_and_waived_edges_their_expiry() {
    let dot = graph(&fixtures_dir().join("demo"), &[]);
    for (from, to, basis) in [
        (
            "checkout",
            "stripe",
            "\"DPF · financial.credit_card, contact.email\"",
        ),
        ("checkout", "deskforce", "SCC 2021/914 M2 · "),
        ("checkout", "apotheka-group-us", "\"BCR · "),
        ("prescriptions", "cura-tours", "Art. 49(1)(a) · "),
        (
            "storefront",
            "sakura-translate",
            "\"adequacy · demographic.language\"",
        ),
        (
            "checkout",
            "scanviet",
            "transfer-without-safeguard\\nnone · ",
        ),
        ("checkout", "lionpay", "SCC 2010/87 (expired) · "),
    ] {
        let (label, line) = dot_edge(&dot, from, to);
        assert!(label.contains(basis), "{from} -> {to}: {label}");
        assert!(!line.contains("dashed"), "{from} -> {to}: {line}");
    }
    // Violations red, lawful transfers green, flows inside the EEA plain grey.
    assert!(dot_edge(&dot, "checkout", "scanviet").1.contains("#cc0000"));
    assert!(dot_edge(&dot, "checkout", "stripe").1.contains("#2e7d32"));
    let (internal, line) = dot_edge(&dot, "checkout", "aws_db_instance.orders");
    assert!(
        !internal.contains(" · ") && !line.contains("color"),
        "{line}"
    );
    // The waived transfer to the UAE: dashed, amber, "waived until" its waiver's expiry.
    let (label, line) = dot_edge(&dot, "checkout", "smsgate");
    assert!(
        label.contains("waived until 2027-03-31: transfer-without-safeguard"),
        "{label}"
    );
    assert!(
        line.contains("style=\"dashed\"") && line.contains("#b26a00"),
        "{line}"
    );
    // The legend says what each group, kind and edge style on the map is.
    let legend = cluster(&dot, "cluster_legend").join("\n");
    for text in [
        "EEA\\nno transfer",
        "third country\\nno adequacy for the recipient",
        "label=\"store\" shape=cylinder",
        "label=\"vendor\" shape=component",
        "waived until DATE",
        "transfer with a finding: rule, basis · data",
    ] {
        assert!(legend.contains(text), "{text} not in\n{legend}");
    }
    // Mermaid says the same: basis on the label, the waived edge dashed, a legend.
    let mermaid = graph(&fixtures_dir().join("demo"), &["--format", "mermaid"]);
    assert!(
        mermaid.contains("|\"DPF · financial.credit_card, contact.email\"|"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains(
            "waived until 2027-03-31: transfer-without-safeguard<br/>none · contact.phone_number"
        ),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("stroke:#b26a00,stroke-dasharray:6 4"),
        "{mermaid}"
    );
    assert!(mermaid.contains("subgraph legend[\"Legend\"]"), "{mermaid}");
}

#[test]
fn a_country_the_policy_distrusts_is_drawn_as_a_third_country() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&fixtures_dir().join("demo"), dir.path());
    let manifest = dir.path().join("borderline.toml");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| panic!("{e}"));
    let text = text.replacen("[policy]\n", "[policy]\ndistrust_adequacy = [\"US\"]\n", 1);
    std::fs::write(&manifest, text).unwrap_or_else(|e| panic!("{e}"));
    let trusted = graph(&fixtures_dir().join("demo"), &[]);
    assert!(holds_node(&cluster(&trusted, "cluster_adequate"), "stripe"));
    let dot = graph(dir.path(), &[]);
    assert!(
        !holds_node(&cluster(&dot, "cluster_adequate"), "stripe"),
        "{dot}"
    );
    let third = cluster(&dot, "cluster_third_country");
    assert!(holds_node(&third, "stripe"), "{dot}");
    // Inside the third-country group, the US is a sub-group that says why it is there.
    let us = third
        .iter()
        .position(|l| l.contains("label=\"US (adequacy not relied on: policy)\""));
    assert!(us.is_some(), "{dot}");
    let (label, line) = dot_edge(&dot, "checkout", "stripe");
    assert!(label.contains("transfer-without-safeguard"), "{label}");
    assert!(line.contains("#cc0000"), "{line}");
}

#[test]
fn two_flows_between_one_pair_are_one_edge_that_names_both() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Two flows the model keeps apart (two different safeguards), drawn as one edge.
    std::fs::write(
        dir.path().join("borderline.toml"),
        r#"[project]
name = "pair"

[[node]]
id = "billing"
kind = "service"
location = "aws:eu-west-1"

[[node]]
id = "ledgerly"
kind = "vendor"
location = "IN"

[[flow]]
from = "billing"
to = "ledgerly"
data = ["user.financial"]
safeguard = { mechanism = "scc", version = "2021/914", module = 2, signed = 2025-02-01, tia = "TIA-7" }

[[flow]]
from = "billing"
to = "ledgerly"
data = ["user.contact.email"]
safeguard = { mechanism = "bcr", reference = "BCR-2024-3" }
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dot = graph(dir.path(), &[]);
    let halves = dot
        .lines()
        .filter(|l| l.trim().starts_with("\"billing\" -> "))
        .count();
    assert_eq!(halves, 1, "{dot}");
    let (label, _) = dot_edge(&dot, "billing", "ledgerly");
    assert!(
        label.contains("SCC 2021/914 M2 / BCR · financial, contact.email"),
        "{label}"
    );
    let mermaid = graph(dir.path(), &["--format", "mermaid"]);
    let links: Vec<&str> = mermaid
        .lines()
        .filter(|l| l.contains(" -->|") && !l.trim_start().starts_with("lg"))
        .collect();
    assert_eq!(links.len(), 1, "{mermaid}");
    assert!(links[0].contains("SCC 2021/914 M2 / BCR · "), "{mermaid}");
}

#[test]
fn transfers_only_keeps_what_leads_abroad() {
    let demo = fixtures_dir().join("demo");
    let full = graph(&demo, &[]);
    let dot = graph(&demo, &["--transfers-only"]);
    let lines: Vec<&str> = dot.lines().collect();
    // Flows that stay in the EEA and lead to no transfer are left out...
    for gone in [
        "datadog-de",
        "sentry-de",
        "aws_s3_bucket.prescription_scans",
    ] {
        assert!(holds_node(&full.lines().collect::<Vec<_>>(), gone));
        assert!(!holds_node(&lines, gone), "{gone} in\n{dot}");
    }
    // ... the senders, transfers and what leads to them stay: the orders database is backed up
    // to Switzerland, the primary vault copies to Singapore.
    for kept in [
        "checkout",
        "aws_db_instance.orders",
        "aws_backup_vault.primary",
        "aws_backup_vault.dr",
        "alpenbackup",
        "smsgate",
        "invoice-archive",
    ] {
        assert!(holds_node(&lines, kept), "{kept} not in\n{dot}");
    }
    assert!(dot.contains("personal data flows, transfers only"), "{dot}");
    // The fragment is cut the same way, so that it and its drawing agree.
    let json = graph(&demo, &["--transfers-only", "--format", "json"]);
    assert!(
        !json.contains("\"id\": \"datadog-de\"") && json.contains("\"id\": \"alpenbackup\""),
        "{json}"
    );
}

#[test]
fn group_by_divides_each_jurisdiction_group() {
    let demo = fixtures_dir().join("demo");
    let by_provider = graph(&demo, &["--group-by", "provider"]);
    let eea = cluster(&by_provider, "cluster_eea").join("\n");
    assert!(
        eea.contains("subgraph cluster_eea_0 {") && eea.contains("label=\"aws\""),
        "{eea}"
    );
    let by_node = graph(&demo, &["--group-by", "node"]);
    assert!(!by_node.contains("cluster_third_country_0"), "{by_node}");
    let by_service = graph(&demo, &["--group-by", "service"]);
    let third = cluster(&by_service, "cluster_third_country").join("\n");
    // Deskforce only hears from checkout: it is drawn in checkout's sub-group.
    let start = third
        .find("label=\"checkout\"")
        .unwrap_or_else(|| panic!("{third}"));
    assert!(third[start..].contains("\"deskforce\"[label="), "{third}");
    let by_country = graph(&demo, &[]);
    assert!(
        cluster(&by_country, "cluster_third_country")
            .iter()
            .any(|l| l.trim() == "label=\"IN\""),
        "{by_country}"
    );
    // A sub-group's label is repository text in both formats.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[[node]]\nid = \"svc\\\"]; end; click x\"\nkind = \"service\"\nlocation = \"DE\"\n\n[[node]]\nid = \"db\"\nkind = \"store\"\nlocation = \"US\"\n\n[[flow]]\nfrom = \"svc\\\"]; end; click x\"\nto = \"db\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mermaid = graph(
        dir.path(),
        &["--format", "mermaid", "--group-by", "service"],
    );
    assert!(mermaid.contains("svc#quot;#93;; end; click x"), "{mermaid}");
    assert!(!mermaid.contains("svc\"]"), "{mermaid}");
}

/// A generated repository of 200 nodes (60 services in two EU regions, 80 stores in seven
/// regions, 60 vendors in 17 countries) and 180 flows, some with SCCs.
fn two_hundred_nodes(dir: &Path) {
    let regions = [
        "aws:eu-central-1",
        "aws:eu-west-1",
        "aws:us-east-1",
        "gcp:europe-west1",
        "gcp:asia-southeast1",
        "azure:westeurope",
        "aws:ap-south-1",
    ];
    let countries = [
        "US", "IN", "JP", "CH", "BR", "SG", "AU", "GB", "CA", "KR", "MX", "TR", "VN", "AE", "DE",
        "FR", "IE",
    ];
    let categories = [
        "user.contact.email",
        "user.name",
        "user.financial.credit_card",
        "user.behavior.browsing_history",
        "user.device.ip_address",
        "user.contact.address",
    ];
    let mut out = String::from("[project]\nname = \"big\"\nhome = \"EEA\"\n\n");
    let mut node = |id: String, kind: &str, location: &str| {
        out.push_str(&format!(
            "[[node]]\nid = \"{id}\"\nkind = \"{kind}\"\nlocation = \"{location}\"\n\n"
        ));
    };
    for i in 0..60 {
        node(format!("svc-{i:02}"), "service", regions[i % 2]);
    }
    for i in 0..80 {
        node(format!("store-{i:02}"), "store", regions[i % regions.len()]);
    }
    for i in 0..60 {
        node(
            format!("vendor-{i:02}"),
            "vendor",
            countries[i % countries.len()],
        );
    }
    let mut flow = |from: String, to: String, seed: usize| {
        let data: Vec<String> = (0..1 + seed % 4)
            .map(|k| format!("\"{}\"", categories[(seed + k * 5) % categories.len()]))
            .collect();
        out.push_str(&format!(
            "[[flow]]\nfrom = \"{from}\"\nto = \"{to}\"\ndata = [{}]\n",
            data.join(", ")
        ));
        if to.starts_with("vendor") && seed % 5 < 2 {
            out.push_str("safeguard = { mechanism = \"scc\", version = \"2021/914\", module = 2, signed = 2025-01-01, tia = \"TIA-1\" }\n");
        }
        out.push('\n');
    };
    for i in 0..80 {
        flow(format!("svc-{:02}", i % 60), format!("store-{i:02}"), i);
    }
    for i in 0..60 {
        flow(
            format!("svc-{:02}", (i * 7) % 60),
            format!("vendor-{i:02}"),
            i + 3,
        );
    }
    for i in 0..40 {
        flow(
            format!("svc-{:02}", (i * 11) % 60),
            format!("svc-{:02}", (i * 11 + 13) % 60),
            i,
        );
    }
    std::fs::write(dir.join("borderline.toml"), out).unwrap_or_else(|e| panic!("{e}"));
}

/// A text element of an SVG: its box, estimated as Graphviz lays it out (Helvetica's average
/// advance is about 0.55 em; the box spans from the ascender to the baseline).
struct TextBox {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    text: String,
}

/// The characters a text shows: an entity (`&#45;`, `&amp;`) is one.
fn visible_chars(text: &str) -> usize {
    let mut count = 0;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        count += 1;
        rest = match (c, rest.find(';')) {
            ('&', Some(end)) => &rest[end + 1..],
            _ => &rest[c.len_utf8()..],
        };
    }
    count
}

fn text_boxes(svg: &str) -> Vec<TextBox> {
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].to_string())
    };
    let mut boxes = Vec::new();
    for piece in svg.split("<text ").skip(1) {
        let Some((tag, rest)) = piece.split_once('>') else {
            continue;
        };
        // The attributes with the space before the first, so each is found as ` NAME="`.
        let tag = &format!(" {tag}");
        let text = rest.split("</text>").next().unwrap_or_default();
        let number = |name: &str| attribute(tag, name).and_then(|v| v.parse::<f64>().ok());
        let (Some(x), Some(y), Some(size)) = (number("x"), number("y"), number("font-size")) else {
            continue;
        };
        let width = visible_chars(text) as f64 * size * 0.55;
        let x0 = match attribute(tag, "text-anchor").as_deref() {
            Some("middle") => x - width / 2.0,
            Some("end") => x - width,
            _ => x,
        };
        boxes.push(TextBox {
            x0,
            y0: y - size * 0.75,
            x1: x0 + width,
            y1: y,
            text: text.to_string(),
        });
    }
    boxes
}

#[test]
fn a_map_of_200_nodes_has_no_overlapping_labels() {
    require_dot();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    two_hundred_nodes(dir.path());
    for grouping in ["country", "service", "provider"] {
        let svg = stdout(&borderline(
            dir.path(),
            &[
                "graph",
                ".",
                "--format",
                "svg",
                "--group-by",
                grouping,
                "--date",
                FIXTURE_DATE,
            ],
        ));
        let nodes = svg.matches("class=\"node\"").count();
        assert!(nodes >= 200, "{grouping}: {nodes} nodes drawn");
        let boxes = text_boxes(&svg);
        assert!(boxes.len() > 400, "{grouping}: {} texts", boxes.len());
        // Sorted by left edge, each box is compared with those that start before it ends.
        let mut sorted: Vec<&TextBox> = boxes.iter().collect();
        sorted.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        let mut overlaps = Vec::new();
        for (i, a) in sorted.iter().enumerate() {
            for b in sorted[i + 1..].iter().take_while(|b| b.x0 < a.x1) {
                if a.y0 < b.y1 && b.y0 < a.y1 {
                    overlaps.push(format!(
                        "`{}` at ({:.0}, {:.0})-({:.0}, {:.0}) and `{}` at ({:.0}, {:.0})-({:.0}, {:.0})",
                        a.text, a.x0, a.y0, a.x1, a.y1, b.text, b.x0, b.y0, b.x1, b.y1
                    ));
                }
            }
        }
        assert!(
            overlaps.is_empty(),
            "{grouping}: {} overlapping labels: {}",
            overlaps.len(),
            overlaps.join("; ")
        );
    }
}

#[test]
fn a_map_drawn_as_if_the_dpf_fell_says_so_and_regroups_its_us_recipients() {
    let shop = fixtures_dir().join("whatif-dpf");
    let real = graph(&shop, &[]);
    assert!(holds_node(&cluster(&real, "cluster_adequate"), "segment"));
    assert!(dot_edge(&real, "orders", "segment").0.contains("\"DPF · "));
    let dot = graph(&shop, &["--assume-invalid", "eu-us-dpf"]);
    assert!(
        dot.contains("label=\"HYPOTHETICAL (eu-us-dpf assumed invalid): whatif-shop: "),
        "{dot}"
    );
    let third = cluster(&dot, "cluster_third_country");
    assert!(
        holds_node(&third, "segment") && holds_node(&third, "stripe"),
        "{dot}"
    );
    // Segment had the DPF only; Stripe keeps its SCC.
    let (segment, _) = dot_edge(&dot, "orders", "segment");
    assert!(
        segment.contains("transfer-without-safeguard\\nnone · "),
        "{segment}"
    );
    let (stripe, _) = dot_edge(&dot, "orders", "stripe");
    assert!(stripe.contains("\"SCC 2021/914 M2 · "), "{stripe}");
    let mermaid = graph(
        &shop,
        &["--assume-invalid", "eu-us-dpf", "--format", "mermaid"],
    );
    assert!(
        mermaid.contains("transfer-without-safeguard<br/>none · "),
        "{mermaid}"
    );
    // The HTML page opens with the same warning.
    let html = stdout(&borderline(
        &shop,
        &[
            "scan",
            ".",
            "--format",
            "html",
            "--assume-invalid",
            "eu-us-dpf",
            "--date",
            FIXTURE_DATE,
        ],
    ));
    let banner = html
        .find("<p class=\"hypothetical\">HYPOTHETICAL")
        .unwrap_or_else(|| panic!("no banner"));
    assert!(
        banner < html.find("<h1>").unwrap_or(0),
        "the banner comes first"
    );
}

#[test]
fn nodes_named_like_the_maps_own_nodes_stay_apart_from_them() {
    // The drawing adds label nodes (`edge N`) and legend nodes (`legend ...`); a repository that
    // names its nodes so must not merge with them or draw into the legend.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[[node]]\nid = \"edge 0\"\nkind = \"service\"\nlocation = \"DE\"\n\n[[node]]\nid = \"legend kind store\"\nkind = \"store\"\nlocation = \"US\"\n\n[[flow]]\nfrom = \"edge 0\"\nto = \"legend kind store\"\ndata = [\"user.name\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dot = graph(dir.path(), &[]);
    let defined = |id: &str| {
        dot.lines()
            .filter(|l| l.trim().starts_with(&format!("\"{id}\"[")))
            .count()
    };
    assert_eq!(defined("edge 0"), 1, "{dot}");
    assert_eq!(defined("legend kind store"), 1, "{dot}");
    // The edge goes through a label node of another name, and reaches the repository's node.
    let (label, line) = dot_edge(&dot, "edge 0", "legend kind store");
    assert!(
        label.starts_with("\"edge_ 0\"[label=\"adequacy-scope-not-met\\nnone · name\""),
        "{label}"
    );
    assert!(
        line.starts_with("\"edge_ 0\" -> \"legend kind store\""),
        "{line}"
    );
    assert!(
        dot.contains("\"legend_ kind store\"[label=\"store\""),
        "{dot}"
    );
}
