//! The map as it is drawn, whatever the format: which nodes are shown (`--transfers-only`), how
//! they are grouped (jurisdiction groups as the verdicts see them, sub-grouped by
//! `--group-by`), one edge per (from, to) with its style and label lines, and the legend of what
//! is on the map. `dot.rs` and `mermaid.rs` only spell this out, so both formats say the same.

use super::super::variants_line;
use crate::model::JurisdictionStatus;
use crate::model::fragment::{GraphFinding, GraphFlow, GraphNode, GraphView, GraphWaived};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// What sub-groups a jurisdiction group holds (`--group-by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// No sub-groups: each node stands alone in its jurisdiction group.
    Node,
    /// A service with the nodes only it exchanges data with (its own stores, its vendors).
    Service,
    /// Adequate and third countries by country (the default).
    #[default]
    Country,
    /// By hosting provider (`aws`, `gcp`, ...); nodes with none stand alone.
    Provider,
}

/// How the map is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapOptions {
    /// Only the nodes on a transfer path (see [`transfers_only`]).
    pub transfers_only: bool,
    pub group_by: GroupBy,
    /// Draw the legend (a pull-request comment leaves it out).
    pub legend: bool,
}

impl Default for MapOptions {
    fn default() -> MapOptions {
        MapOptions {
            transfers_only: false,
            group_by: GroupBy::default(),
            legend: true,
        }
    }
}

/// The jurisdiction groups in the order they are drawn, with their cluster name and fill.
pub(super) const GROUPS: [(JurisdictionStatus, &str, &str); 4] = [
    (JurisdictionStatus::Eea, "eea", "#e8f1fb"),
    (JurisdictionStatus::Adequate, "adequate", "#eaf6ea"),
    (JurisdictionStatus::ThirdCountry, "third_country", "#fdeeee"),
    (JurisdictionStatus::Unknown, "unknown", "#f3f3f3"),
];

pub(super) const RED: &str = "#cc0000";
pub(super) const GREEN: &str = "#2e7d32";
pub(super) const AMBER: &str = "#b26a00";
pub(super) const GREY: &str = "#555555";

/// How an edge is drawn, from the least to the most urgent: an edge joining several flows takes
/// the most urgent style among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum EdgeStyle {
    /// Not a transfer: inside the EEA, or to a node whose location is unknown.
    Internal,
    /// A transfer with a basis and no finding: green.
    Lawful,
    /// A transfer whose findings a waiver accepts: dashed, "waived until DATE".
    Waived,
    /// A finding: red, with the rules.
    Violation,
}

impl EdgeStyle {
    pub(super) fn color(self) -> &'static str {
        match self {
            EdgeStyle::Internal => GREY,
            EdgeStyle::Lawful => GREEN,
            EdgeStyle::Waived => AMBER,
            EdgeStyle::Violation => RED,
        }
    }

    /// What the legend says the style means.
    pub(super) fn meaning(self) -> &'static str {
        match self {
            EdgeStyle::Internal => "flow, not a transfer: data",
            EdgeStyle::Lawful => "transfer with a basis: basis · data",
            EdgeStyle::Waived => "finding accepted by a waiver: waived until DATE",
            EdgeStyle::Violation => "transfer with a finding: rule, basis · data",
        }
    }
}

/// One edge of the map: every flow from one node to another, joined.
pub(super) struct DrawnEdge<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub style: EdgeStyle,
    pub lines: Vec<String>,
    /// Exists only in some deployment variants (named on its last line): dotted.
    pub in_some_variants: bool,
}

/// A sub-group of a jurisdiction group: a country, a provider or a service and its own nodes.
pub(super) struct SubGroup<'a> {
    pub label: String,
    pub nodes: Vec<&'a GraphNode>,
}

/// A jurisdiction group: the nodes that stand alone in it and its sub-groups.
pub(super) struct Group<'a> {
    pub name: &'static str,
    pub fill: &'static str,
    pub label: String,
    pub nodes: Vec<&'a GraphNode>,
    pub subgroups: Vec<SubGroup<'a>>,
}

/// What the legend shows: the groups, node kinds and edge styles on the map, nothing else.
#[derive(Default)]
pub(super) struct Legend {
    pub groups: Vec<(JurisdictionStatus, &'static str)>,
    pub kinds: BTreeSet<String>,
    pub styles: BTreeSet<EdgeStyle>,
    pub in_some_variants: bool,
}

/// The map, ready to be spelt in DOT or Mermaid.
pub(super) struct Drawing<'a> {
    pub title: String,
    pub groups: Vec<Group<'a>>,
    pub edges: Vec<DrawnEdge<'a>>,
    pub legend: Option<Legend>,
}

/// What the legend says a jurisdiction group means, line by line.
pub(super) fn group_meaning(status: JurisdictionStatus) -> &'static [&'static str] {
    match status {
        JurisdictionStatus::Eea => &["EEA", "no transfer"],
        JurisdictionStatus::Adequate => {
            &["adequate", "a decision in force", "covers the recipient"]
        }
        JurisdictionStatus::ThirdCountry => &[
            "third country",
            "no adequacy for the recipient",
            "or the policy does not rely on it",
        ],
        JurisdictionStatus::Unknown => &["unknown location", "may be abroad"],
    }
}

/// The shape name of a node kind, as Graphviz calls it.
pub(super) fn shape(kind: &str) -> &'static str {
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
pub(super) fn drawn(view: &GraphView) -> Cow<'_, GraphView> {
    if view.variant.is_none() {
        return Cow::Borrowed(view);
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
    Cow::Owned(view)
}

/// The view as it is drawn under `options`: one variant's ([`drawn`]), transfers only.
pub(super) fn prepared<'a>(view: &'a GraphView, options: &MapOptions) -> Cow<'a, GraphView> {
    let view = drawn(view);
    if options.transfers_only {
        Cow::Owned(transfers_only(&view))
    } else {
        view
    }
}

/// Only what lies on a transfer's path: the flows that are transfers, the stores abroad (a
/// transfer to their host with or without a flow), the nodes with findings or waived findings of
/// their own, and every node and flow through which data reaches one of them.
pub fn transfers_only(view: &GraphView) -> GraphView {
    let abroad_store = |node: &GraphNode| {
        node.kind == "store"
            && matches!(
                node.jurisdiction,
                JurisdictionStatus::Adequate | JurisdictionStatus::ThirdCountry
            )
    };
    let mut targets: BTreeSet<&str> = view
        .nodes
        .iter()
        .filter(|n| abroad_store(n) || !n.findings.is_empty() || !n.waived.is_empty())
        .map(|n| n.id.as_str())
        .collect();
    let mut keep: BTreeSet<&str> = targets.clone();
    for flow in view.flows.iter().filter(|f| f.transfer != "none") {
        targets.insert(flow.from.as_str());
        keep.insert(flow.from.as_str());
        keep.insert(flow.to.as_str());
    }
    // Everything upstream of a target: one breadth-first search backwards over the flows.
    let mut senders: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for flow in &view.flows {
        senders
            .entry(flow.to.as_str())
            .or_default()
            .push(flow.from.as_str());
    }
    let mut upstream: BTreeSet<&str> = targets.clone();
    let mut queue: VecDeque<&str> = targets.iter().copied().collect();
    while let Some(id) = queue.pop_front() {
        for sender in senders.get(id).into_iter().flatten() {
            if upstream.insert(sender) {
                queue.push_back(sender);
            }
        }
    }
    keep.extend(upstream.iter().copied());
    view.subset(
        |n| keep.contains(n.id.as_str()),
        |f| {
            (f.transfer != "none" || upstream.contains(f.to.as_str()))
                && keep.contains(f.from.as_str())
                && keep.contains(f.to.as_str())
        },
    )
}

/// `user.contact.email` → `contact.email`: the `user.` prefix says nothing on a diagram.
pub fn short_category(key: &str) -> &str {
    key.strip_prefix("user.").unwrap_or(key)
}

/// Data categories for an edge label: all of them when there are at most three, else their top
/// levels (`contact, financial, health_and_medical`), the first four and `+N more` past that.
pub fn data_summary(data: &[String]) -> String {
    if data.is_empty() {
        return "unspecified data".into();
    }
    if data.len() <= 3 {
        let parts: Vec<&str> = data.iter().map(|d| short_category(d)).collect();
        return parts.join(", ");
    }
    let mut tops: Vec<&str> = Vec::new();
    for key in data {
        let top = short_category(key).split('.').next().unwrap_or(key);
        if !tops.contains(&top) {
            tops.push(top);
        }
    }
    let mut parts: Vec<String> = tops.iter().take(4).map(|t| t.to_string()).collect();
    if tops.len() > 4 {
        parts.push(format!("+{} more", tops.len() - 4));
    }
    parts.join(", ")
}

/// The rule names of a flow's (or node's) findings, without repeats, in order. A rule found only
/// in some deployment variants of an element that exists in more is followed by them:
/// `transfer-without-safeguard (in: prod)` on an edge drawn for every variant.
pub(super) fn rule_names(findings: &[GraphFinding], element_variants: &[String]) -> Vec<String> {
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
                format!("{rule} ({})", variants_line(&names).unwrap_or_default())
            }
            _ => rule.to_string(),
        })
        .collect()
}

/// `waived until 2027-03-31: transfer-without-safeguard`, one line per expiry.
fn waived_lines(waived: &[&GraphWaived]) -> Vec<String> {
    let mut by_expiry: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for w in waived {
        by_expiry
            .entry(w.expires.as_str())
            .or_default()
            .insert(w.rule.as_str());
    }
    by_expiry
        .into_iter()
        .map(|(expires, rules)| {
            let rules: Vec<&str> = rules.into_iter().collect();
            format!("waived until {expires}: {}", rules.join(", "))
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
/// violation is drawn like a violating flow), what waivers accept, its name, its id when the
/// name differs, its kind and countries.
pub(super) fn node_lines(node: &GraphNode) -> Vec<String> {
    let mut lines = Vec::new();
    let rules = rule_names(&node.findings, &node.variants);
    if !rules.is_empty() {
        lines.push(rules.join(", "));
    }
    lines.extend(waived_lines(&node.waived.iter().collect::<Vec<_>>()));
    match node.label.as_deref() {
        Some(label) if label != node.id => {
            lines.push(label.to_string());
            lines.push(format!("({})", node.id));
        }
        _ => lines.push(node.id.clone()),
    }
    lines.push(format!("{} · {}", node.kind, country_text(node)));
    // A node that exists only in some deployment variants says in which.
    lines.extend(variants_line(&node.variants));
    lines
}

/// The style of one flow's edge.
fn flow_style(flow: &GraphFlow) -> EdgeStyle {
    if !flow.findings.is_empty() {
        EdgeStyle::Violation
    } else if !flow.waived.is_empty() {
        EdgeStyle::Waived
    } else {
        match flow.transfer.as_str() {
            "none" => EdgeStyle::Internal,
            "lawful" => EdgeStyle::Lawful,
            // A transfer without a basis whose finding sits elsewhere is still drawn red.
            _ => EdgeStyle::Violation,
        }
    }
}

/// A transfer's basis as its label says it; older fragments have only `basis`.
fn basis_text(flow: &GraphFlow) -> Option<String> {
    if flow.transfer == "none" {
        return None;
    }
    Some(match (&flow.legal_basis, &flow.basis) {
        (Some(label), _) => label.clone(),
        (None, Some(basis)) => basis.clone(),
        (None, None) => "none".to_string(),
    })
}

/// Joins the flows of one (from, to) pair into one edge: the most urgent style, every rule,
/// waiver, basis and category of them, and the variants it exists in.
fn edge<'a>(flows: &[&'a GraphFlow]) -> Option<DrawnEdge<'a>> {
    let first = flows.first()?;
    let style = flows.iter().map(|f| flow_style(f)).max()?;
    let findings: Vec<GraphFinding> = flows.iter().flat_map(|f| f.findings.clone()).collect();
    // The edge exists in every variant when one of its flows does.
    let variants: Vec<String> = if flows.iter().any(|f| f.variants.is_empty()) {
        Vec::new()
    } else {
        let all: BTreeSet<&String> = flows.iter().flat_map(|f| &f.variants).collect();
        all.into_iter().cloned().collect()
    };
    let mut data: Vec<String> = Vec::new();
    let mut bases: Vec<String> = Vec::new();
    for flow in flows {
        for key in &flow.data {
            if !data.contains(key) {
                data.push(key.clone());
            }
        }
        if let Some(basis) = basis_text(flow)
            && !bases.contains(&basis)
        {
            bases.push(basis);
        }
    }
    let mut lines = Vec::new();
    let rules = rule_names(&findings, &variants);
    if !rules.is_empty() {
        lines.push(rules.join(", "));
    }
    let waived: Vec<&GraphWaived> = flows.iter().flat_map(|f| &f.waived).collect();
    lines.extend(waived_lines(&waived));
    lines.push(if bases.is_empty() {
        data_summary(&data)
    } else {
        format!("{} · {}", bases.join(" / "), data_summary(&data))
    });
    lines.extend(variants_line(&variants));
    Some(DrawnEdge {
        from: first.from.as_str(),
        to: first.to.as_str(),
        style,
        lines,
        in_some_variants: !variants.is_empty(),
    })
}

/// One edge per (from, to), in the order each pair first appears.
fn edges(view: &GraphView) -> Vec<DrawnEdge<'_>> {
    let mut order: Vec<(&str, &str)> = Vec::new();
    let mut pairs: BTreeMap<(&str, &str), Vec<&GraphFlow>> = BTreeMap::new();
    for flow in &view.flows {
        let key = (flow.from.as_str(), flow.to.as_str());
        let list = pairs.entry(key).or_default();
        if list.is_empty() {
            order.push(key);
        }
        list.push(flow);
    }
    order
        .into_iter()
        .filter_map(|key| edge(pairs.get(&key).map(Vec::as_slice).unwrap_or_default()))
        .collect()
}

/// `Third country (AE, US)`: a group's title and the countries of its nodes.
fn group_label(status: JurisdictionStatus, nodes: &[&GraphNode]) -> String {
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

/// For `--group-by service`: each node that exchanges data with exactly one service, and that
/// service; a service that has such nodes is in its own sub-group.
fn owners(view: &GraphView) -> BTreeMap<&str, &str> {
    let services: BTreeSet<&str> = view
        .nodes
        .iter()
        .filter(|n| n.kind == "service")
        .map(|n| n.id.as_str())
        .collect();
    let mut neighbours: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for flow in &view.flows {
        let (from, to) = (flow.from.as_str(), flow.to.as_str());
        if services.contains(from) && !services.contains(to) {
            neighbours.entry(to).or_default().insert(from);
        }
        if services.contains(to) && !services.contains(from) {
            neighbours.entry(from).or_default().insert(to);
        }
    }
    let mut owners: BTreeMap<&str, &str> = neighbours
        .into_iter()
        .filter_map(|(node, services)| match services.len() {
            1 => services.into_iter().next().map(|s| (node, s)),
            _ => None,
        })
        .collect();
    let owning: BTreeSet<&str> = owners.values().copied().collect();
    owners.extend(owning.into_iter().map(|s| (s, s)));
    owners
}

/// The sub-group a node is drawn in, if any.
fn subgroup_of(
    node: &GraphNode,
    status: JurisdictionStatus,
    group_by: GroupBy,
    owners: &BTreeMap<&str, &str>,
    distrusted: &[String],
) -> Option<String> {
    match group_by {
        GroupBy::Node => None,
        GroupBy::Provider => node.provider.clone(),
        GroupBy::Service => owners.get(node.id.as_str()).map(|s| s.to_string()),
        GroupBy::Country => match (status, node.countries.as_slice()) {
            (JurisdictionStatus::Adequate | JurisdictionStatus::ThirdCountry, [country]) => {
                Some(if distrusted.contains(country) {
                    format!("{country} (adequacy not relied on: policy)")
                } else {
                    country.clone()
                })
            }
            _ => None,
        },
    }
}

/// The drawing of a view under `options`.
pub(super) fn drawing<'a>(view: &'a GraphView, options: &MapOptions, title: String) -> Drawing<'a> {
    let owners = match options.group_by {
        GroupBy::Service => owners(view),
        _ => BTreeMap::new(),
    };
    let distrusted: &[String] = view
        .policy
        .as_ref()
        .map(|p| p.distrust_adequacy.as_slice())
        .unwrap_or_default();
    let mut groups = Vec::new();
    let mut legend = Legend::default();
    for (status, name, fill) in GROUPS {
        let members: Vec<&GraphNode> = view
            .nodes
            .iter()
            .filter(|n| n.jurisdiction == status)
            .collect();
        if members.is_empty() {
            continue;
        }
        legend.groups.push((status, fill));
        let mut loose = Vec::new();
        let mut subgroups: BTreeMap<String, Vec<&GraphNode>> = BTreeMap::new();
        for node in &members {
            legend.kinds.insert(node.kind.clone());
            legend.in_some_variants |= !node.variants.is_empty();
            match subgroup_of(node, status, options.group_by, &owners, distrusted) {
                Some(key) => subgroups.entry(key).or_default().push(node),
                None => loose.push(*node),
            }
        }
        groups.push(Group {
            name,
            fill,
            label: group_label(status, &members),
            nodes: loose,
            subgroups: subgroups
                .into_iter()
                .map(|(label, nodes)| SubGroup { label, nodes })
                .collect(),
        });
    }
    let edges = edges(view);
    for edge in &edges {
        legend.styles.insert(edge.style);
        legend.in_some_variants |= edge.in_some_variants;
    }
    Drawing {
        title,
        groups,
        edges,
        legend: options.legend.then_some(legend),
    }
}

/// The start of the ids of nodes the drawing adds (the legend's, edge labels): `base`, lengthened
/// until no node id of the map starts with it, so that a repository cannot name a node into them.
pub(super) fn unused_prefix(view: &GraphView, base: &str) -> String {
    let mut prefix = String::from(base);
    while view.nodes.iter().any(|n| n.id.starts_with(&prefix)) {
        prefix.push('_');
    }
    prefix
}

/// The map's title: project, what it shows, date.
pub(super) fn view_title(view: &GraphView, options: &MapOptions) -> String {
    let mut flows = match &view.variant {
        Some(variant) => format!("personal data flows in variant {variant}"),
        None => "personal data flows".into(),
    };
    if options.transfers_only {
        flows.push_str(", transfers only");
    }
    let title = match (&view.project, &view.evaluation_date) {
        (Some(project), Some(date)) => format!("{project}: {flows} ({date})"),
        (Some(project), None) => format!("{project}: {flows}"),
        (None, Some(date)) => format!("{flows} ({date})"),
        (None, None) => flows,
    };
    // A hypothetical map says so before anything else.
    if view.hypotheses.is_empty() {
        title
    } else {
        format!("HYPOTHETICAL ({}): {title}", view.hypotheses.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_data_lists_shorten_to_their_top_levels() {
        let data = [
            "user.contact.email",
            "user.name",
            "user.device.cookie_id",
            "user.behavior",
        ]
        .map(String::from);
        assert_eq!(data_summary(&data), "contact, name, device, behavior");
        assert_eq!(
            data_summary(&data[..3]),
            "contact.email, name, device.cookie_id"
        );
        let many: Vec<String> = ["a.x", "b.x", "c", "d", "e", "f.y"]
            .iter()
            .map(|s| format!("user.{s}"))
            .collect();
        assert_eq!(data_summary(&many), "a, b, c, d, +2 more");
        assert_eq!(data_summary(&[]), "unspecified data");
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
}
