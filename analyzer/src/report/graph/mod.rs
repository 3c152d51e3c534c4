//! The data map (`borderline graph`): one view of nodes, flows and their findings, rendered as DOT,
//! Mermaid or JSON. The JSON's types are `model::fragment`, the format `borderline merge` joins;
//! this module builds them from a scan and draws them.
//!
//! Every label comes from the scanned repository, so every renderer escapes it itself: a node name
//! may hold `"`, `]`, newlines or HTML, and must neither break the output nor inject markup.

mod dot;
mod draw;
mod mermaid;

pub use dot::{to_dot, to_dot_with};
pub use draw::{GroupBy, MapOptions, data_summary, short_category, transfers_only};
pub use mermaid::{to_mermaid, to_mermaid_with};

use super::position;
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Transfer, Verdict};
use crate::model::fragment::{
    GRAPH_FORMAT_VERSION, GraphCovers, GraphFinding, GraphFlow, GraphJudgement, GraphNode,
    GraphPolicy, GraphRelated, GraphReportFinding, GraphSafeguard, GraphView, GraphWaived,
    GraphWaiver,
};
use crate::model::{Model, ResolvedLocation};
use crate::policy::Waiver;
use crate::rule::Rule;
use crate::rules::RuleSet;
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

/// Where a finding sits on the map: the flow it points at, else the first flow between its nodes,
/// else its destination node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place<'a> {
    Flow(usize),
    Node(&'a str),
}

/// The findings of each flow and node, judged and waived, in the map's terms.
#[derive(Default)]
struct Placed {
    flows: BTreeMap<usize, Vec<GraphFinding>>,
    nodes: BTreeMap<String, Vec<GraphFinding>>,
    waived_flows: BTreeMap<usize, Vec<GraphWaived>>,
    waived_nodes: BTreeMap<String, Vec<GraphWaived>>,
}

type FlowsAt<'m> = BTreeMap<(&'m str, &'m str, Option<crate::source::Span>), usize>;

/// A finding's [`Place`], given the first flow at each (from, to, span) and between each pair.
fn place<'f>(
    finding: &'f Finding,
    flow_at: &FlowsAt<'_>,
    flow_between: &BTreeMap<(&str, &str), usize>,
) -> Option<Place<'f>> {
    let flow = match (finding.from.as_deref(), finding.to.as_deref()) {
        (Some(from), Some(to)) => flow_at
            .get(&(from, to, finding.span))
            .or_else(|| flow_between.get(&(from, to)))
            .copied(),
        _ => None,
    };
    match (flow, finding.to.as_deref()) {
        (Some(index), _) if finding.rule != Rule::UnknownLocation => Some(Place::Flow(index)),
        (_, Some(to)) => Some(Place::Node(to)),
        _ => None,
    }
}

/// Each finding's place on the map (see [`Place`]), and each waived finding's.
fn findings_by_place(model: &Model, evaluation: &Evaluation) -> Placed {
    // The first flow at each (from, to, span) and between each pair, indexed once: searching
    // every flow for each finding was quadratic (40,000 flows with findings took minutes).
    let mut flow_at: FlowsAt<'_> = BTreeMap::new();
    let mut flow_between: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (index, flow) in model.flows.iter().enumerate() {
        flow_at
            .entry((flow.from.as_str(), flow.to.as_str(), flow.span))
            .or_insert(index);
        flow_between
            .entry((flow.from.as_str(), flow.to.as_str()))
            .or_insert(index);
    }
    let place = |finding| place(finding, &flow_at, &flow_between);
    let mut placed = Placed::default();
    for finding in &evaluation.findings {
        match place(finding) {
            Some(Place::Flow(index)) => placed
                .flows
                .entry(index)
                .or_default()
                .push(graph_finding(finding)),
            Some(Place::Node(id)) => placed
                .nodes
                .entry(id.to_string())
                .or_default()
                .push(graph_finding(finding)),
            None => {}
        }
    }
    for (finding, waiver) in &evaluation.waived {
        let waived = GraphWaived {
            rule: finding.rule.to_string(),
            expires: waiver.expires.to_string(),
            reason: waiver.reason.clone(),
        };
        match place(finding) {
            Some(Place::Flow(index)) => placed.waived_flows.entry(index).or_default().push(waived),
            Some(Place::Node(id)) => placed
                .waived_nodes
                .entry(id.to_string())
                .or_default()
                .push(waived),
            None => {}
        }
    }
    for list in placed
        .waived_flows
        .values_mut()
        .chain(placed.waived_nodes.values_mut())
    {
        list.sort();
        list.dedup();
    }
    placed
}

/// What a transfer rests on, in the words of the map's edge labels (see `GraphFlow::legal_basis`).
pub fn legal_basis(transfer: &Transfer, rules: &RuleSet) -> String {
    let safeguard = transfer
        .safeguard
        .as_ref()
        .map(|(safeguard, _)| safeguard_label(safeguard, rules));
    match &transfer.verdict {
        Verdict::Adequate { decisions } => {
            adequacy_label(decisions, &transfer.third_countries, rules)
        }
        Verdict::Safeguarded { mechanism } => {
            safeguard.unwrap_or_else(|| mechanism.as_str().to_string())
        }
        Verdict::Expired { .. } => format!(
            "{} (expired)",
            safeguard.unwrap_or_else(|| "adequacy".to_string())
        ),
        Verdict::Unapproved { mechanism, .. } => format!(
            "{} (not approved)",
            safeguard.unwrap_or_else(|| mechanism.as_str().to_string())
        ),
        Verdict::NoBasis { .. } | Verdict::ScopeNotMet { .. } => "none".to_string(),
    }
}

/// `adequacy`, or the certification an adequacy decision requires (`DPF`), per decision relied
/// on, joined with ` + ` when the destination countries rest on different ones.
fn adequacy_label(decisions: &[String], countries: &[String], rules: &RuleSet) -> String {
    let mut labels: BTreeSet<String> = BTreeSet::new();
    for country in countries {
        for decision in rules.adequacy_decisions(country) {
            if !decisions
                .iter()
                .any(|d| *d == decision.instrument || *d == decision.id)
            {
                continue;
            }
            let certification = decision.conditions.iter().find_map(|c| match &c.kind {
                crate::rules::ConditionKind::Certification(name) => Some(name.to_uppercase()),
                crate::rules::ConditionKind::Assumed => None,
            });
            labels.insert(certification.unwrap_or_else(|| "adequacy".to_string()));
        }
    }
    if labels.is_empty() {
        return "adequacy".to_string();
    }
    labels.into_iter().collect::<Vec<_>>().join(" + ")
}

/// `SCC 2021/914 M2`, `BCR`, `Art. 49(1)(a)`: a safeguard as an edge label names it.
fn safeguard_label(safeguard: &crate::facts::Safeguard, rules: &RuleSet) -> String {
    use crate::facts::MechanismKind;
    match safeguard.mechanism {
        MechanismKind::Scc => {
            let mut label = String::from("SCC");
            if let Some(version) = &safeguard.version {
                label.push(' ');
                label.push_str(version);
            }
            if let Some(module) = safeguard.module {
                label.push_str(&format!(" M{module}"));
            }
            label
        }
        MechanismKind::Bcr => "BCR".to_string(),
        MechanismKind::Derogation => {
            match safeguard
                .derogation
                .as_deref()
                .and_then(|d| rules.derogation(d))
            {
                Some(derogation) => format!("Art. {}", derogation.article),
                None => "Art. 49".to_string(),
            }
        }
        MechanismKind::Adequacy => "adequacy".to_string(),
        MechanismKind::CodeOfConduct => "code of conduct".to_string(),
        MechanismKind::Certification => "certification".to_string(),
        MechanismKind::AdHocClauses => "ad hoc clauses".to_string(),
    }
}

/// A node of the map, with its findings.
fn graph_node(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    node: &crate::model::Node,
    findings: Vec<GraphFinding>,
    waived: Vec<GraphWaived>,
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
        waived,
    }
}

/// The map's flows, each with an id unique on the map, its transfer's verdict and its findings
/// (taken from `flow_findings`).
fn graph_flows(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    placed: &mut Placed,
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
            let mut findings = placed.flows.remove(&index).unwrap_or_default();
            findings.sort();
            let waived = placed.waived_flows.remove(&index).unwrap_or_default();
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
                legal_basis: transfer.map(|t| legal_basis(t, rules)),
                findings,
                waived,
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
        let mut placed = findings_by_place(model, evaluation);
        let nodes = model
            .nodes
            .iter()
            .map(|node| {
                let mut findings = placed.nodes.remove(&node.id).unwrap_or_default();
                findings.sort();
                let waived = placed.waived_nodes.remove(&node.id).unwrap_or_default();
                graph_node(model, evaluation, rules, node, findings, waived)
            })
            .collect();
        let flows = graph_flows(model, evaluation, rules, &mut placed);
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
            hypotheses: evaluation.hypotheses.iter().map(|h| h.short()).collect(),
        }
    }

    pub fn node(&self, id: &str) -> Option<&GraphNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The view with only the nodes and flows kept; its title, policy, waivers and judgement stay.
    /// Fields are named one by one so that only what is kept is cloned.
    fn subset(
        &self,
        keep_node: impl Fn(&GraphNode) -> bool,
        keep_flow: impl Fn(&GraphFlow) -> bool,
    ) -> GraphView {
        GraphView {
            version: self.version.clone(),
            project: self.project.clone(),
            evaluation_date: self.evaluation_date.clone(),
            nodes: self
                .nodes
                .iter()
                .filter(|n| keep_node(n))
                .cloned()
                .collect(),
            flows: self
                .flows
                .iter()
                .filter(|f| keep_flow(f))
                .cloned()
                .collect(),
            policy: self.policy.clone(),
            waivers: self.waivers.clone(),
            judgement: self.judgement.clone(),
            sources: self.sources.clone(),
            variant: self.variant.clone(),
            hypotheses: self.hypotheses.clone(),
        }
    }

    /// The neighbourhood of one node: the node, the nodes it exchanges data with, and those flows.
    pub fn focus(&self, id: &str) -> Option<GraphView> {
        self.node(id)?;
        let touches = |f: &GraphFlow| f.from == id || f.to == id;
        let keep: BTreeSet<&str> = self
            .flows
            .iter()
            .filter(|f| touches(f))
            .flat_map(|f| [f.from.as_str(), f.to.as_str()])
            .chain(std::iter::once(id))
            .collect();
        Some(self.subset(|n| keep.contains(n.id.as_str()), touches))
    }

    /// Only the flows with findings and the flows of the paths they lie on (the nodes they touch).
    pub fn involved(&self, node_ids: &BTreeSet<String>) -> GraphView {
        self.subset(
            |n| node_ids.contains(&n.id),
            |f| node_ids.contains(&f.from) && node_ids.contains(&f.to),
        )
    }

    /// Pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        super::json::to_pretty_string(self)
    }
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

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn variant_names_from_the_repository_stay_inert_on_the_map() {
        use crate::model::JurisdictionStatus;
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
            waived: Vec::new(),
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
            legal_basis: None,
            findings: Vec::new(),
            waived: Vec::new(),
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
            hypotheses: Vec::new(),
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
        assert!(mermaid.contains("stroke-dasharray:2 2"), "{mermaid}");
        // Drawn for one variant, the map names it in its title and labels nothing else.
        view.variant = Some("<b>prod".into());
        let dot = to_dot(&view);
        assert!(
            dot.contains("label=\"personal data flows in variant &lt;b&gt;prod\""),
            "{dot}"
        );
        assert!(!dot.contains("in: ") && !dot.contains("dotted"), "{dot}");
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
