//! The map in Mermaid (`flowchart LR`), saying what the DOT says: one subgraph per jurisdiction
//! group with its sub-groups inside, one edge per (from, to) styled as in DOT, and a legend
//! subgraph drawn with the same shapes and link styles. Node ids are generated (`n0`, `n1`, ...,
//! `lg0` for the legend) because repository ids may hold characters Mermaid does not accept.

use super::draw::{self, DrawnEdge, EdgeStyle, Legend, MapOptions, group_meaning};
use super::mermaid_escape;
use crate::model::fragment::{GraphNode, GraphView};
use std::collections::BTreeMap;

/// Mermaid of the whole map, with the legend.
pub fn to_mermaid(view: &GraphView) -> String {
    to_mermaid_with(view, &MapOptions::default())
}

fn label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| mermaid_escape(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

fn node_shape(kind: &str, id: &str, label: &str) -> String {
    let (open, close) = match kind {
        "store" => ("[(", ")]"),
        "client" => ("([", "])"),
        "vendor" => ("[[", "]]"),
        _ => ("[", "]"),
    };
    format!("{id}{open}\"{label}\"{close}")
}

/// The style line of a node: red with findings, amber and dashed when waived, dotted when only in
/// some variants.
fn node_style(node: &GraphNode) -> Option<String> {
    let mut parts = Vec::new();
    if !node.findings.is_empty() {
        parts.push("stroke:#cc0000,stroke-width:2px,color:#cc0000".to_string());
    } else if !node.waived.is_empty() {
        parts.push("stroke:#b26a00,stroke-width:2px,color:#b26a00".to_string());
    }
    if !node.waived.is_empty() {
        parts.push("stroke-dasharray:6 4".to_string());
    } else if !node.variants.is_empty() {
        parts.push("stroke-dasharray:2 2".to_string());
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// `linkStyle` of an edge of `style`; `None` for a plain grey flow.
fn link_style(style: EdgeStyle) -> Option<String> {
    match style {
        EdgeStyle::Internal => None,
        EdgeStyle::Lawful => Some(format!("stroke:{}", style.color())),
        EdgeStyle::Waived => Some(format!(
            "stroke:{0},stroke-dasharray:6 4,color:{0}",
            style.color()
        )),
        EdgeStyle::Violation => Some(format!(
            "stroke:{0},stroke-width:2.5px,color:{0}",
            style.color()
        )),
    }
}

/// The arrow of an edge: `-.->` (dotted) when it exists only in some variants.
fn arrow(in_some_variants: bool) -> &'static str {
    if in_some_variants { "-.->" } else { "-->" }
}

/// Mermaid of the map drawn under `options`.
pub fn to_mermaid_with(view: &GraphView, options: &MapOptions) -> String {
    let view = draw::prepared(view, options);
    let drawing = draw::drawing(&view, options, draw::view_title(&view, options));
    let ids: BTreeMap<&str, String> = view
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), format!("n{i}")))
        .collect();
    let id_of = |id: &str| ids.get(id).cloned().unwrap_or_else(|| "unknown".into());
    let mut out = String::new();
    // A hypothetical map says so in its title (Mermaid's front matter); ids come from rule data.
    if !view.hypotheses.is_empty() {
        out.push_str(&format!(
            "---\ntitle: \"HYPOTHETICAL ({})\"\n---\n",
            mermaid_escape(&view.hypotheses.join(", "))
        ));
    }
    out.push_str("flowchart LR\n");
    let mut styles = Vec::new();
    for group in &drawing.groups {
        out.push_str(&format!(
            "  subgraph {}[\"{}\"]\n",
            group.name,
            mermaid_escape(&group.label)
        ));
        let write_node =
            |out: &mut String, styles: &mut Vec<String>, indent: &str, node: &GraphNode| {
                let id = id_of(&node.id);
                out.push_str(&format!(
                    "{indent}{}\n",
                    node_shape(&node.kind, &id, &label(&draw::node_lines(node)))
                ));
                if let Some(style) = node_style(node) {
                    styles.push(format!("  style {id} {style}\n"));
                }
            };
        for node in &group.nodes {
            write_node(&mut out, &mut styles, "    ", node);
        }
        for (index, sub) in group.subgroups.iter().enumerate() {
            out.push_str(&format!(
                "    subgraph {}_{index}[\"{}\"]\n",
                group.name,
                mermaid_escape(&sub.label)
            ));
            for node in &sub.nodes {
                write_node(&mut out, &mut styles, "      ", node);
            }
            out.push_str("    end\n");
            styles.push(format!(
                "  style {}_{index} fill:#ffffff,stroke:#999999\n",
                group.name
            ));
        }
        out.push_str("  end\n");
        out.push_str(&format!(
            "  style {} fill:{},stroke:#999999\n",
            group.name, group.fill
        ));
    }
    let mut links: Vec<(usize, String)> = Vec::new();
    let mut count = 0;
    for edge in &drawing.edges {
        write_edge(&mut out, edge, &id_of(edge.from), &id_of(edge.to));
        if let Some(style) = link_style(edge.style) {
            links.push((count, style));
        }
        count += 1;
    }
    if let Some(legend) = &drawing.legend {
        legend_subgraph(&mut out, legend, &mut count, &mut links, &mut styles);
    }
    for line in styles {
        out.push_str(&line);
    }
    // One `linkStyle` per style, listing its edges.
    let mut by_style: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (index, style) in links {
        by_style.entry(style).or_default().push(index.to_string());
    }
    for (style, list) in by_style {
        out.push_str(&format!("  linkStyle {} {style}\n", list.join(",")));
    }
    out
}

fn write_edge(out: &mut String, edge: &DrawnEdge<'_>, from: &str, to: &str) {
    out.push_str(&format!(
        "  {from} {}|\"{}\"| {to}\n",
        arrow(edge.in_some_variants),
        label(&edge.lines)
    ));
}

/// The legend, as in DOT: a swatch per group, a node per kind, a short link per style.
fn legend_subgraph(
    out: &mut String,
    legend: &Legend,
    count: &mut usize,
    links: &mut Vec<(usize, String)>,
    styles: &mut Vec<String>,
) {
    out.push_str("  subgraph legend[\"Legend\"]\n");
    let mut next = 0;
    let mut fresh = || {
        next += 1;
        format!("lg{}", next - 1)
    };
    for (status, fill) in &legend.groups {
        let id = fresh();
        out.push_str(&format!(
            "    {id}[\"{}\"]\n",
            group_meaning(*status)
                .iter()
                .map(|l| mermaid_escape(l))
                .collect::<Vec<_>>()
                .join("<br/>")
        ));
        styles.push(format!("  style {id} fill:{fill},stroke:#999999\n"));
    }
    for kind in &legend.kinds {
        let id = fresh();
        out.push_str(&format!(
            "    {}\n",
            node_shape(kind, &id, &mermaid_escape(kind))
        ));
    }
    let mut entries: Vec<(EdgeStyle, bool, &str)> = legend
        .styles
        .iter()
        .map(|s| (*s, false, s.meaning()))
        .collect();
    if legend.in_some_variants {
        entries.push((
            EdgeStyle::Internal,
            true,
            "dotted: only in the deployment variants named",
        ));
    }
    for (style, variants, meaning) in entries {
        let (from, to) = (fresh(), fresh());
        out.push_str(&format!(
            "    {from}[\" \"] {}|\"{}\"| {to}[\" \"]\n",
            arrow(variants),
            mermaid_escape(meaning)
        ));
        if let Some(style) = link_style(style) {
            links.push((*count, style));
        }
        *count += 1;
    }
    out.push_str("  end\n");
    styles.push("  style legend fill:#ffffff,stroke:#999999\n".to_string());
}
