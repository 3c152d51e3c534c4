//! The data map (`borderline graph`): one view of nodes, flows and their findings, rendered as DOT,
//! Mermaid or JSON. The JSON's types are `model::fragment`, the format `borderline merge` joins;
//! this module builds them from a scan and draws them.
//!
//! Every label comes from the scanned repository, so every renderer escapes it itself: a node name
//! may hold `"`, `]`, newlines or HTML, and must neither break the output nor inject markup.

use super::position;
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Verdict;
use crate::model::fragment::{
    GRAPH_FORMAT_VERSION, GraphCovers, GraphFinding, GraphFlow, GraphJudgement, GraphNode,
    GraphPolicy, GraphRelated, GraphReportFinding, GraphSafeguard, GraphView, GraphWaiver,
};
use crate::model::{JurisdictionStatus, Model, ResolvedLocation};
use crate::policy::Waiver;
use crate::rule::Rule;
use crate::rules::RuleSet;
use graphviz_rust::dot_structures::{
    Attribute, Edge, EdgeTy, Graph, GraphAttributes, Id, Node, NodeId, Stmt, Subgraph, Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};
use std::collections::{BTreeMap, BTreeSet};

// The fragment conversions that resolve spans through a scan's files table (and read findings)
// are the report's: the fragment types themselves sit beneath `evaluate` and the files table.
impl GraphWaiver {
    pub fn of(files: &crate::source::Files, waiver: &Waiver) -> GraphWaiver {
        GraphWaiver {
            rule: waiver.rule.clone(),
            from: waiver.from.as_ref().map(|r| r.id.clone()),
            to: waiver.to.as_ref().map(|r| r.id.clone()),
            reason: waiver.reason.clone(),
            expires: waiver.expires.to_string(),
            location: position(files, waiver.span, None),
            covers: waiver.covers.and_then(|covers| {
                let (file, first, last) = files.resolve_range(covers)?;
                Some(GraphCovers {
                    file: file.to_string(),
                    first_line: first.line,
                    last_line: last.line,
                })
            }),
        }
    }
}

impl GraphReportFinding {
    pub fn of(
        files: &crate::source::Files,
        finding: &Finding,
        waiver: Option<&Waiver>,
    ) -> GraphReportFinding {
        GraphReportFinding {
            rule: finding.rule.to_string(),
            severity: finding.severity.as_str().to_string(),
            message: finding.message.clone(),
            from: finding.from.clone(),
            to: finding.to.clone(),
            from_country: finding.from_country.clone(),
            to_country: finding.to_country.clone(),
            data: finding.data.clone(),
            location: position(files, finding.span, finding.path.as_deref()),
            related: finding
                .related
                .iter()
                .map(|r| GraphRelated {
                    location: position(files, r.span, None),
                    message: r.message.clone(),
                })
                .collect(),
            help: finding.help.clone(),
            data_path: finding.data_path.clone(),
            inferred: finding.inferred,
            environment: finding.environment,
            fingerprint: finding.fingerprint.clone(),
            waived: waiver.map(|w| w.reason.clone()),
            waiver: waiver.map(|w| GraphWaiver::of(files, w)),
            variants: finding.variants.clone(),
        }
    }
}

/// The text of the lines findings and their related locations point at, and of the lines that
/// define nodes and flows (where a finding judged again on a joined map points).
fn sources(model: &Model, evaluation: &Evaluation) -> BTreeMap<String, BTreeMap<u32, String>> {
    let mut out: BTreeMap<String, BTreeMap<u32, String>> = BTreeMap::new();
    let findings = evaluation
        .findings
        .iter()
        .chain(evaluation.waived.iter().map(|(f, _)| f));
    let finding_spans = findings.flat_map(|finding| {
        std::iter::once(finding.span).chain(finding.related.iter().map(|r| r.span))
    });
    let model_spans = model
        .nodes
        .iter()
        .flat_map(|n| [n.span, n.location.as_ref().and_then(|l| l.span)])
        .chain(model.flows.iter().map(|f| f.span));
    for span in finding_spans.chain(model_spans).flatten() {
        let Some(file) = model.files.get(span.file) else {
            continue;
        };
        if let Some(line) = file.line_holding(span.start) {
            out.entry(file.path.to_string()).or_default().insert(
                line.index.saturating_add(1),
                line.text.trim_end_matches(['\n', '\r']).to_string(),
            );
        }
    }
    out
}

fn graph_finding(finding: &Finding) -> GraphFinding {
    GraphFinding {
        rule: finding.rule.to_string(),
        severity: finding.severity.as_str().to_string(),
        message: finding.message.clone(),
        fingerprint: finding.fingerprint.clone(),
        variants: finding.variants.clone(),
    }
}

fn countries(resolved: &ResolvedLocation) -> Vec<String> {
    match resolved {
        ResolvedLocation::Unknown { .. } => Vec::new(),
        ResolvedLocation::Bloc(bloc) => vec![bloc.clone()],
        ResolvedLocation::Countries { countries, .. } => countries.iter().cloned().collect(),
    }
}

/// Each finding's place on the map: the flow it points at, else the first flow between its
/// nodes, else its destination node. Returns the findings of each flow (by index) and of each
/// node (by id).
fn findings_by_place(
    model: &Model,
    evaluation: &Evaluation,
) -> (
    BTreeMap<usize, Vec<GraphFinding>>,
    BTreeMap<String, Vec<GraphFinding>>,
) {
    let mut flow_findings: BTreeMap<usize, Vec<GraphFinding>> = BTreeMap::new();
    let mut node_findings: BTreeMap<String, Vec<GraphFinding>> = BTreeMap::new();
    // The first flow at each (from, to, span) and between each pair, indexed once: searching
    // every flow for each finding was quadratic (40,000 flows with findings took minutes).
    let mut flow_at: BTreeMap<(&str, &str, Option<crate::source::Span>), usize> = BTreeMap::new();
    let mut flow_between: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (index, flow) in model.flows.iter().enumerate() {
        flow_at
            .entry((flow.from.as_str(), flow.to.as_str(), flow.span))
            .or_insert(index);
        flow_between
            .entry((flow.from.as_str(), flow.to.as_str()))
            .or_insert(index);
    }
    for finding in &evaluation.findings {
        // A finding belongs to the flow it points at, else to the first flow between its nodes,
        // else to its destination node.
        let flow = match (finding.from.as_deref(), finding.to.as_deref()) {
            (Some(from), Some(to)) => flow_at
                .get(&(from, to, finding.span))
                .or_else(|| flow_between.get(&(from, to)))
                .copied(),
            _ => None,
        };
        match (flow, &finding.to) {
            (Some(index), _) if finding.rule != Rule::UnknownLocation => {
                flow_findings
                    .entry(index)
                    .or_default()
                    .push(graph_finding(finding));
            }
            (_, Some(to)) => node_findings
                .entry(to.clone())
                .or_default()
                .push(graph_finding(finding)),
            _ => {}
        }
    }
    (flow_findings, node_findings)
}

/// A node of the map, with its findings.
fn graph_node(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    node: &crate::model::Node,
    findings: Vec<GraphFinding>,
) -> GraphNode {
    GraphNode {
        id: node.id.clone(),
        kind: node.kind.as_str().to_string(),
        label: node.label.clone(),
        location: node.location.as_ref().map(|l| l.location.to_string()),
        countries: countries(&node.resolved),
        jurisdiction: crate::evaluate::transfer::drawn_jurisdiction(
            node,
            &model.policy,
            rules,
            evaluation.date,
        ),
        provider: node.provider.clone(),
        certifications: node.certifications.iter().map(|c| c.name.clone()).collect(),
        data: node.data.iter().map(|d| d.key.clone()).collect(),
        domains: node.domains.clone(),
        personal_data: node.personal_data,
        safeguard: node.safeguard.as_ref().map(GraphSafeguard::of),
        findings,
        defined_at: position(&model.files, node.span, None),
        via: node
            .via
            .iter()
            .filter_map(|span| position(&model.files, Some(*span), None))
            .collect(),
        aliases: node.aliases.clone(),
        variants: node.variants.clone(),
    }
}

/// The map's flows, each with an id unique on the map, its transfer's verdict and its findings
/// (taken from `flow_findings`).
fn graph_flows(
    model: &Model,
    evaluation: &Evaluation,
    flow_findings: &mut BTreeMap<usize, Vec<GraphFinding>>,
) -> Vec<GraphFlow> {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    // One lookup table, not a search per flow: a map of many flows must stay linear.
    let transfer_of: BTreeMap<usize, &crate::evaluate::transfer::Transfer> = evaluation
        .transfers
        .iter()
        .filter_map(|t| t.flow.map(|flow| (flow, t)))
        .collect();
    model
        .flows
        .iter()
        .enumerate()
        .map(|(index, flow)| {
            let count = seen
                .entry((flow.from.clone(), flow.to.clone()))
                .or_insert(0);
            *count += 1;
            let id = if *count == 1 {
                format!("{}->{}", flow.from, flow.to)
            } else {
                format!("{}->{}#{count}", flow.from, flow.to)
            };
            let transfer = transfer_of.get(&index).copied();
            let mut findings = flow_findings.remove(&index).unwrap_or_default();
            findings.sort();
            GraphFlow {
                id,
                from: flow.from.clone(),
                to: flow.to.clone(),
                // What the flow carries: its own categories, else what its source holds.
                data: crate::evaluate::transfer::effective_data(model, index)
                    .iter()
                    .map(|d| d.key.clone())
                    .collect(),
                purpose: flow.purpose.clone(),
                safeguard: flow.safeguard.as_ref().map(GraphSafeguard::of),
                transfer: match transfer {
                    None => "none".into(),
                    Some(_) if !findings.is_empty() => "finding".into(),
                    Some(t)
                        if matches!(
                            t.verdict,
                            Verdict::Adequate { .. } | Verdict::Safeguarded { .. }
                        ) =>
                    {
                        "lawful".into()
                    }
                    Some(_) => "finding".into(),
                },
                basis: transfer.and_then(|t| super::json::basis(&t.verdict)),
                findings,
                location: position(&model.files, flow.span, None),
                inferred: flow.inferred,
                variants: flow.variants.clone(),
            }
        })
        .collect()
}

impl GraphView {
    /// The map of a scanned repository.
    pub fn build(model: &Model, evaluation: &Evaluation, rules: &RuleSet) -> GraphView {
        let (mut flow_findings, mut node_findings) = findings_by_place(model, evaluation);
        let nodes = model
            .nodes
            .iter()
            .map(|node| {
                let mut findings = node_findings.remove(&node.id).unwrap_or_default();
                findings.sort();
                graph_node(model, evaluation, rules, node, findings)
            })
            .collect();
        let flows = graph_flows(model, evaluation, &mut flow_findings);
        GraphView {
            version: GRAPH_FORMAT_VERSION.to_string(),
            project: model.project_name.clone(),
            evaluation_date: Some(evaluation.date.to_string()),
            nodes,
            flows,
            policy: Some(GraphPolicy::of(&model.policy)),
            waivers: model
                .waivers
                .iter()
                .map(|w| GraphWaiver::of(&model.files, w))
                .collect(),
            sources: sources(model, evaluation),
            judgement: Some(GraphJudgement {
                findings: evaluation
                    .findings
                    .iter()
                    .map(|f| GraphReportFinding::of(&model.files, f, None))
                    .chain(
                        evaluation.waived.iter().map(|(f, waiver)| {
                            GraphReportFinding::of(&model.files, f, Some(waiver))
                        }),
                    )
                    .collect(),
            }),
            // Set by the caller that drew the map for one variant.
            variant: None,
        }
    }

    pub fn node(&self, id: &str) -> Option<&GraphNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The neighbourhood of one node: the node, the nodes it exchanges data with, and those flows.
    pub fn focus(&self, id: &str) -> Option<GraphView> {
        self.node(id)?;
        let flows: Vec<GraphFlow> = self
            .flows
            .iter()
            .filter(|f| f.from == id || f.to == id)
            .cloned()
            .collect();
        let keep: BTreeSet<&str> = flows
            .iter()
            .flat_map(|f| [f.from.as_str(), f.to.as_str()])
            .chain(std::iter::once(id))
            .collect();
        Some(GraphView {
            nodes: self
                .nodes
                .iter()
                .filter(|n| keep.contains(n.id.as_str()))
                .cloned()
                .collect(),
            flows,
            ..self.clone()
        })
    }

    /// Only the flows with findings and the flows of the paths they lie on (the nodes they touch).
    pub fn involved(&self, node_ids: &BTreeSet<String>) -> GraphView {
        let flows: Vec<GraphFlow> = self
            .flows
            .iter()
            .filter(|f| node_ids.contains(&f.from) && node_ids.contains(&f.to))
            .cloned()
            .collect();
        GraphView {
            nodes: self
                .nodes
                .iter()
                .filter(|n| node_ids.contains(&n.id))
                .cloned()
                .collect(),
            flows,
            ..self.clone()
        }
    }

    /// Pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        super::json::to_pretty_string(self)
    }
}

/// `user.contact.email` → `contact.email`: the `user.` prefix says nothing on a diagram.
pub fn short_category(key: &str) -> &str {
    key.strip_prefix("user.").unwrap_or(key)
}

/// Data categories for an edge label: the first two, abbreviated, then `+N more`.
pub fn data_summary(data: &[String]) -> String {
    if data.is_empty() {
        return "unspecified data".into();
    }
    let mut parts: Vec<String> = data
        .iter()
        .take(2)
        .map(|d| short_category(d).to_string())
        .collect();
    if data.len() > 2 {
        parts.push(format!("+{} more", data.len() - 2));
    }
    parts.join(", ")
}

/// The rule names of a flow's (or node's) findings, without repeats, in order. A rule found only
/// in some deployment variants of an element that exists in more is followed by them:
/// `transfer-without-safeguard (in: prod)` on an edge drawn for every variant.
fn rule_names(findings: &[GraphFinding], element_variants: &[String]) -> Vec<String> {
    // The variants of each rule's findings; `None` once one of them is in every variant.
    let mut rules: BTreeMap<&str, Option<BTreeSet<&str>>> = BTreeMap::new();
    for finding in findings {
        let entry = rules
            .entry(finding.rule.as_str())
            .or_insert_with(|| Some(BTreeSet::new()));
        match entry {
            Some(names) if !finding.variants.is_empty() => {
                names.extend(finding.variants.iter().map(String::as_str));
            }
            _ => *entry = None,
        }
    }
    let element: BTreeSet<&str> = element_variants.iter().map(String::as_str).collect();
    rules
        .into_iter()
        .map(|(rule, variants)| match variants {
            Some(names) if !names.is_empty() && names != element => {
                let names: Vec<String> = names.into_iter().map(str::to_string).collect();
                format!(
                    "{rule} ({})",
                    super::variants_line(&names).unwrap_or_default()
                )
            }
            _ => rule.to_string(),
        })
        .collect()
}

/// `IE` or `US, JP` or `unknown`.
fn country_text(node: &GraphNode) -> String {
    if node.countries.is_empty() {
        "unknown".into()
    } else {
        node.countries.join(", ")
    }
}

/// The lines of a node's box: the rules of its findings (a store's data at rest judged a
/// violation is drawn like a violating flow), its name, its id when the name differs, its kind
/// and countries.
fn node_lines(node: &GraphNode) -> Vec<String> {
    let mut lines = Vec::new();
    let rules = rule_names(&node.findings, &node.variants);
    if !rules.is_empty() {
        lines.push(rules.join(", "));
    }
    match node.label.as_deref() {
        Some(label) if label != node.id => {
            lines.push(label.to_string());
            lines.push(format!("({})", node.id));
        }
        _ => lines.push(node.id.clone()),
    }
    lines.push(format!("{} · {}", node.kind, country_text(node)));
    // A node that exists only in some deployment variants says in which.
    lines.extend(super::variants_line(&node.variants));
    lines
}

/// What a character from the repository becomes in a diagram label, before the format's own
/// escapes: a control character or a Unicode line or paragraph separator becomes a space (a label
/// never spans lines), a bidirectional control becomes U+FFFD (it could reorder what a reviewer
/// reads), and U+FFFE/U+FFFF, which XML cannot hold, become U+FFFD too (the SVG must stay XML).
fn inert_char(c: char) -> char {
    match c {
        c if c.is_control() => ' ',
        '\u{2028}' | '\u{2029}' => ' ',
        '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
        c if super::neutral::is_bidi_control(c) => '\u{FFFD}',
        c => c,
    }
}

/// Escapes text for a double-quoted DOT string. Line breaks become separate lines via `\n` joins
/// by the caller; here they and other control characters turn into spaces so no label spans lines.
/// `&`, `<` and `>` become entities: Graphviz reads entities in every label and copies an `&` that
/// looks like one (`&bogus;`) into SVG as it is, which made the SVG invalid XML; as entities they
/// are drawn as the characters they stand for, and stay text for any renderer that reads labels as
/// HTML. The same text names nodes, so distinct ids stay distinct.
pub fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match inert_char(c) {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn quoted(text: &str) -> Id {
    Id::Escaped(format!("\"{}\"", dot_escape(text)))
}

fn quoted_lines(lines: &[String]) -> Id {
    let escaped: Vec<String> = lines.iter().map(|l| dot_escape(l)).collect();
    Id::Escaped(format!("\"{}\"", escaped.join("\\n")))
}

fn attr(key: &str, value: Id) -> Attribute {
    Attribute(Id::Plain(key.to_string()), value)
}

fn plain(text: &str) -> Id {
    Id::Plain(text.to_string())
}

const CLUSTERS: [(JurisdictionStatus, &str, &str); 4] = [
    (JurisdictionStatus::Eea, "cluster_eea", "#e8f1fb"),
    (JurisdictionStatus::Adequate, "cluster_adequate", "#eaf6ea"),
    (
        JurisdictionStatus::ThirdCountry,
        "cluster_third_country",
        "#fdeeee",
    ),
    (JurisdictionStatus::Unknown, "cluster_unknown", "#f3f3f3"),
];

fn cluster_label(status: JurisdictionStatus, nodes: &[&GraphNode]) -> String {
    let countries: BTreeSet<&str> = nodes
        .iter()
        .flat_map(|n| n.countries.iter().map(String::as_str))
        .collect();
    if countries.is_empty() {
        status.title().to_string()
    } else {
        format!(
            "{} ({})",
            status.title(),
            countries.into_iter().collect::<Vec<_>>().join(", ")
        )
    }
}

fn shape(kind: &str) -> &'static str {
    match kind {
        "store" => "cylinder",
        "vendor" => "component",
        "client" => "ellipse",
        _ => "box",
    }
}

/// The view as it is drawn: a map drawn for one variant (`graph --variant NAME`) holds only what
/// is in that variant, so no node, edge or rule is labelled with variants (the title names the
/// variant); a map drawn for every variant is drawn as it is.
fn drawn(view: &GraphView) -> std::borrow::Cow<'_, GraphView> {
    if view.variant.is_none() {
        return std::borrow::Cow::Borrowed(view);
    }
    let mut view = view.clone();
    for node in &mut view.nodes {
        node.variants.clear();
        node.findings.iter_mut().for_each(|f| f.variants.clear());
    }
    for flow in &mut view.flows {
        flow.variants.clear();
        flow.findings.iter_mut().for_each(|f| f.variants.clear());
    }
    std::borrow::Cow::Owned(view)
}

/// DOT, built as a graphviz-rust AST and printed by its printer.
pub fn to_dot(view: &GraphView) -> String {
    let view = &*drawn(view);
    let mut stmts: Vec<Stmt> = vec![
        Stmt::GAttribute(GraphAttributes::Graph(vec![
            attr("rankdir", plain("LR")),
            // Graphviz 2.43 (Debian's) fails on some maps with clusters ("trouble in init_rank");
            // the newer ranking pass lays them out. `concentrate=true` (merging parallel edges) is
            // not set: with clusters, 2.43 still failed on 7 of 150 random maps with it
            // ("rebuiltd_vlists: lead is null"), or crashed, and without it on none.
            attr("newrank", plain("true")),
            attr("fontname", quoted("Helvetica")),
            attr("nodesep", plain("0.4")),
            attr("ranksep", plain("1.2")),
            attr("label", quoted(&view_title(view))),
            attr("labelloc", plain("t")),
        ])),
        Stmt::GAttribute(GraphAttributes::Node(vec![
            attr("fontname", quoted("Helvetica")),
            attr("fontsize", plain("11")),
            attr("style", quoted("rounded,filled")),
            attr("fillcolor", plain("white")),
        ])),
        Stmt::GAttribute(GraphAttributes::Edge(vec![
            attr("fontname", quoted("Helvetica")),
            attr("fontsize", plain("9")),
            attr("color", quoted("#555555")),
        ])),
    ];
    for (status, name, fill) in CLUSTERS {
        let members: Vec<&GraphNode> = view
            .nodes
            .iter()
            .filter(|n| n.jurisdiction == status)
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut cluster = vec![
            Stmt::Attribute(attr("label", quoted(&cluster_label(status, &members)))),
            Stmt::Attribute(attr("style", quoted("rounded,filled"))),
            Stmt::Attribute(attr("fillcolor", quoted(fill))),
            Stmt::Attribute(attr("color", quoted("#999999"))),
        ];
        for node in members {
            let mut attributes = vec![
                attr("label", quoted_lines(&node_lines(node))),
                attr("shape", plain(shape(&node.kind))),
            ];
            // Drawn dashed: the node exists only in the variants its last line names.
            if !node.variants.is_empty() {
                attributes.push(attr("style", quoted("rounded,filled,dashed")));
            }
            if !node.findings.is_empty() {
                attributes.push(attr("color", quoted("#cc0000")));
                attributes.push(attr("fontcolor", quoted("#cc0000")));
                attributes.push(attr("penwidth", plain("2")));
            }
            cluster.push(Stmt::Node(Node::new(
                NodeId(quoted(&node.id), None),
                attributes,
            )));
        }
        stmts.push(Stmt::Subgraph(Subgraph {
            id: plain(name),
            stmts: cluster,
        }));
    }
    for flow in &view.flows {
        let mut lines = vec![data_summary(&flow.data)];
        let rules = rule_names(&flow.findings, &flow.variants);
        let mut attributes = Vec::new();
        if rules.is_empty() {
            if flow.transfer == "lawful" {
                attributes.push(attr("color", quoted("#2e7d32")));
            }
        } else {
            lines.insert(0, rules.join(", "));
            attributes.push(attr("color", quoted("#cc0000")));
            attributes.push(attr("fontcolor", quoted("#cc0000")));
            attributes.push(attr("penwidth", plain("2.5")));
        }
        // An edge that exists only in some deployment variants names them and is dashed; edges
        // that exist in every variant are drawn as before.
        if let Some(line) = super::variants_line(&flow.variants) {
            lines.push(line);
            attributes.push(attr("style", quoted("dashed")));
        }
        attributes.insert(0, attr("label", quoted_lines(&lines)));
        stmts.push(Stmt::Edge(Edge {
            ty: EdgeTy::Pair(
                Vertex::N(NodeId(quoted(&flow.from), None)),
                Vertex::N(NodeId(quoted(&flow.to), None)),
            ),
            attributes,
        }));
    }
    let graph = Graph::DiGraph {
        id: plain("borderline"),
        strict: false,
        stmts,
    };
    let mut out = graph.print(&mut PrinterContext::default());
    out.push('\n');
    out
}

fn view_title(view: &GraphView) -> String {
    let flows = match &view.variant {
        Some(variant) => format!("personal data flows in variant {variant}"),
        None => "personal data flows".into(),
    };
    match (&view.project, &view.evaluation_date) {
        (Some(project), Some(date)) => format!("{project}: {flows} ({date})"),
        (Some(project), None) => format!("{project}: {flows}"),
        (None, Some(date)) => format!("{flows} ({date})"),
        (None, None) => flows,
    }
}

/// Escapes text for a Mermaid `"..."` label with entity codes, so that quotes, brackets, pipes,
/// HTML and Markdown from the repository stay text. `%` is coded too, so no `%%{init: ...}%%`
/// directive (which Mermaid looks for anywhere in the text) can be spelt, and so are `ﬂ` and `¶`,
/// the characters of Mermaid's own placeholders for entity codes, so none can be forged.
pub fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match inert_char(c) {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '#' => out.push_str("#35;"),
            '%' => out.push_str("#37;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '[' => out.push_str("#91;"),
            ']' => out.push_str("#93;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '\u{FB02}' => out.push_str("#64258;"),
            '\u{B6}' => out.push_str("#182;"),
            c => out.push(c),
        }
    }
    out
}

/// Mermaid `flowchart LR` with one subgraph per jurisdiction group; node ids are generated
/// (`n0`, `n1`, ...) because repository ids may hold characters Mermaid does not accept.
pub fn to_mermaid(view: &GraphView) -> String {
    let view = &*drawn(view);
    let ids: BTreeMap<&str, String> = view
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
        .collect();
    let mut out = String::from("flowchart LR\n");
    for (status, name, fill) in CLUSTERS {
        let members: Vec<&GraphNode> = view
            .nodes
            .iter()
            .filter(|n| n.jurisdiction == status)
            .collect();
        if members.is_empty() {
            continue;
        }
        let name = name.trim_start_matches("cluster_");
        out.push_str(&format!(
            "  subgraph {name}[\"{}\"]\n",
            mermaid_escape(&cluster_label(status, &members))
        ));
        for node in &members {
            let label = node_lines(node)
                .iter()
                .map(|l| mermaid_escape(l))
                .collect::<Vec<_>>()
                .join("<br/>");
            let id = ids
                .get(node.id.as_str())
                .map(String::as_str)
                .unwrap_or("unknown");
            let (open, close) = match node.kind.as_str() {
                "store" => ("[(", ")]"),
                "client" => ("([", "])"),
                _ => ("[", "]"),
            };
            out.push_str(&format!("    {id}{open}\"{label}\"{close}\n"));
        }
        out.push_str("  end\n");
        out.push_str(&format!("  style {name} fill:{fill},stroke:#999999\n"));
    }
    let mut red_links = Vec::new();
    for (index, flow) in view.flows.iter().enumerate() {
        let (Some(from), Some(to)) = (ids.get(flow.from.as_str()), ids.get(flow.to.as_str()))
        else {
            continue;
        };
        let rules = rule_names(&flow.findings, &flow.variants);
        let mut label = mermaid_escape(&data_summary(&flow.data));
        if !rules.is_empty() {
            label = format!("{}<br/>{label}", mermaid_escape(&rules.join(", ")));
            red_links.push(index);
        }
        // An edge that exists only in some deployment variants names them and is dotted; edges
        // that exist in every variant are drawn as before.
        let arrow = match super::variants_line(&flow.variants) {
            Some(line) => {
                label = format!("{label}<br/>{}", mermaid_escape(&line));
                "-.->"
            }
            None => "-->",
        };
        out.push_str(&format!("  {from} {arrow}|\"{label}\"| {to}\n"));
    }
    for node in view.nodes.iter().filter(|n| !n.findings.is_empty()) {
        if let Some(id) = ids.get(node.id.as_str()) {
            out.push_str(&format!(
                "  style {id} stroke:#cc0000,stroke-width:2px,color:#cc0000\n"
            ));
        }
    }
    // A node that exists only in some deployment variants is drawn dashed (its box names them).
    for node in view.nodes.iter().filter(|n| !n.variants.is_empty()) {
        if let Some(id) = ids.get(node.id.as_str()) {
            out.push_str(&format!("  style {id} stroke-dasharray:5 5\n"));
        }
    }
    if !red_links.is_empty() {
        let list = red_links
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");
        out.push_str(&format!(
            "  linkStyle {list} stroke:#cc0000,stroke-width:2.5px,color:#cc0000\n"
        ));
    }
    out
}

/// Why SVG could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "cannot render SVG: Graphviz's `dot` was not found in the absolute directories of PATH; install it (Debian/Ubuntu: `apt-get install graphviz`), or use --format dot|mermaid|json"
    )]
    DotMissing,
    #[error("Graphviz `dot` failed: {0}")]
    DotFailed(String),
}

/// The `dot` program: the first executable regular file named `dot` in an absolute directory of
/// `path` (the value of PATH). Empty, `.` and relative entries are skipped: they name the working
/// directory, which is usually the scanned repository, and a repository could ship its own `dot`.
pub fn find_dot(path: &std::ffi::OsStr) -> Option<std::path::PathBuf> {
    std::env::split_paths(path)
        .filter(|directory| directory.is_absolute())
        .map(|directory| directory.join("dot"))
        .find(|candidate| is_executable_file(candidate))
}

fn is_executable_file(path: &std::path::Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Renders DOT to SVG with Graphviz's `dot`, found by [`find_dot`] and run by its absolute path.
pub fn render_svg(dot: &str) -> Result<String, RenderError> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let program = std::env::var_os("PATH")
        .and_then(|path| find_dot(&path))
        .ok_or(RenderError::DotMissing)?;
    let mut child = Command::new(program)
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RenderError::DotMissing,
            _ => RenderError::DotFailed(e.to_string()),
        })?;
    // Written from another thread: `dot` may fill its output pipe before it has read all of a
    // large graph, and a writer waiting on stdin would then wait forever.
    let writer = child.stdin.take().map(|mut stdin| {
        let input = dot.as_bytes().to_vec();
        std::thread::spawn(move || stdin.write_all(&input))
    });
    let output = child
        .wait_with_output()
        .map_err(|e| RenderError::DotFailed(e.to_string()))?;
    if let Some(writer) = writer {
        match writer.join() {
            // When `dot` stopped reading early, its own message (below) says why.
            Ok(Err(e)) if output.status.success() => {
                return Err(RenderError::DotFailed(e.to_string()));
            }
            Err(_) => return Err(RenderError::DotFailed("cannot write to `dot`".into())),
            _ => {}
        }
    }
    if !output.status.success() {
        return Err(RenderError::DotFailed(
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_abbreviated() {
        let data = [
            "user.contact.email",
            "user.name",
            "user.device.cookie_id",
            "user.behavior",
        ]
        .map(String::from);
        assert_eq!(data_summary(&data), "contact.email, name, +2 more");
        assert_eq!(data_summary(&[]), "unspecified data");
    }

    #[test]
    fn escaping_keeps_labels_inert() {
        assert_eq!(dot_escape("a\"b\\c\nd]"), "a\\\"b\\\\c d]");
        assert_eq!(
            mermaid_escape("<b>\"x\"]|"),
            "#lt;b#gt;#quot;x#quot;#93;#124;"
        );
        assert_eq!(dot_escape("&bogus; <b>"), "&amp;bogus; &lt;b&gt;");
        assert_eq!(
            dot_escape("a\u{202E}b\u{2028}c\u{FFFF}"),
            "a\u{FFFD}b c\u{FFFD}"
        );
        assert_eq!(
            mermaid_escape("%%{init}%% ﬂ°¶ß"),
            "#37;#37;#123;init#125;#37;#37; #64258;°#182;ß"
        );
    }

    fn finding(rule: &str, variants: &[&str]) -> GraphFinding {
        GraphFinding {
            rule: rule.into(),
            severity: "error".into(),
            message: String::new(),
            fingerprint: String::new(),
            variants: variants.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn a_rule_found_in_fewer_variants_than_its_edge_names_them() {
        let findings = [
            finding("transfer-without-safeguard", &["prod"]),
            finding("transfer-without-safeguard", &["prod-us"]),
            finding("missing-tia", &[]),
        ];
        assert_eq!(
            rule_names(&findings, &[]),
            [
                "missing-tia",
                "transfer-without-safeguard (in: prod, prod-us)"
            ]
        );
        // On an edge of those very variants, the edge's own line says it.
        assert_eq!(
            rule_names(&findings[..2], &names(&["prod", "prod-us"])),
            ["transfer-without-safeguard"]
        );
        // One finding of the rule in every variant: the rule is in every variant.
        let everywhere = [
            finding("missing-tia", &["prod"]),
            finding("missing-tia", &[]),
        ];
        assert_eq!(rule_names(&everywhere, &[]), ["missing-tia"]);
    }

    #[test]
    fn variant_names_from_the_repository_stay_inert_on_the_map() {
        let node = GraphNode {
            id: "db".into(),
            kind: "store".into(),
            label: None,
            location: None,
            countries: Vec::new(),
            jurisdiction: JurisdictionStatus::Unknown,
            provider: None,
            certifications: Vec::new(),
            data: Vec::new(),
            domains: Vec::new(),
            personal_data: None,
            safeguard: None,
            findings: Vec::new(),
            defined_at: None,
            via: Vec::new(),
            aliases: Vec::new(),
            variants: names(&["x\"] -> y [color=red", "%%{init}%%|]"]),
        };
        let flow = GraphFlow {
            id: "db->db".into(),
            from: "db".into(),
            to: "db".into(),
            data: Vec::new(),
            purpose: None,
            safeguard: None,
            transfer: "none".into(),
            basis: None,
            findings: Vec::new(),
            location: None,
            inferred: false,
            variants: node.variants.clone(),
        };
        let mut view = GraphView {
            version: GRAPH_FORMAT_VERSION.into(),
            project: None,
            evaluation_date: None,
            nodes: vec![node],
            flows: vec![flow],
            policy: None,
            waivers: Vec::new(),
            judgement: None,
            sources: BTreeMap::new(),
            variant: None,
        };
        let dot = to_dot(&view);
        assert!(
            dot.contains("in: x\\\"] -&gt; y [color=red, %%{init}%%|]"),
            "{dot}"
        );
        assert!(!dot.contains("x\"] ->"), "{dot}");
        let mermaid = to_mermaid(&view);
        assert!(
            mermaid.contains(
                "in: x#quot;#93; -#gt; y #91;color=red, #37;#37;#123;init#125;#37;#37;#124;#93;"
            ),
            "{mermaid}"
        );
        assert!(mermaid.contains("-.->"), "{mermaid}");
        assert!(mermaid.contains("stroke-dasharray:5 5"), "{mermaid}");
        // Drawn for one variant, the map names it in its title and labels nothing else.
        view.variant = Some("<b>prod".into());
        let dot = to_dot(&view);
        assert!(
            dot.contains("label=\"personal data flows in variant &lt;b&gt;prod\""),
            "{dot}"
        );
        assert!(!dot.contains("in: ") && !dot.contains("dashed"), "{dot}");
        let mermaid = to_mermaid(&view);
        assert!(
            !mermaid.contains("in: ") && !mermaid.contains("-.->"),
            "{mermaid}"
        );
        assert!(!mermaid.contains("dasharray"), "{mermaid}");
    }

    #[test]
    fn dot_is_only_looked_up_in_absolute_directories() {
        assert_eq!(find_dot(std::ffi::OsStr::new(".::bin:relative/dir")), None);
    }
}
