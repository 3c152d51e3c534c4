//! The map in DOT, built as a graphviz-rust AST and printed by its printer: jurisdiction groups as
//! clusters with their sub-groups inside, one edge per (from, to), and a legend cluster drawn
//! with the same shapes and edge styles as the map.

use super::dot_escape;
use super::draw::{self, EdgeStyle, GREY, Group, Legend, MapOptions, group_meaning, shape};
use crate::model::fragment::{GraphNode, GraphView};
use graphviz_rust::dot_structures::{
    Attribute, Edge, EdgeTy, Graph, GraphAttributes, Id, Node, NodeId, Stmt, Subgraph, Vertex,
};
use graphviz_rust::printer::{DotPrinter, PrinterContext};
use std::collections::BTreeMap;

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

/// DOT of the whole map, with the legend.
pub fn to_dot(view: &GraphView) -> String {
    to_dot_with(view, &MapOptions::default())
}

/// Where a statement goes: the top level, a jurisdiction group's cluster, or a sub-group's.
type Cluster = (Option<usize>, Option<usize>);

/// DOT of the map drawn under `options`.
///
/// An edge's label is a node of its own on the edge's way (`from -> label -> to`), not a DOT edge
/// label: Graphviz 2.43 placed the labels of edges leaving a cluster on top of one another (24
/// overlaps on a 200-node map, none without clusters), and never lets two nodes overlap. The
/// label node sits in the innermost cluster holding both ends, so an edge inside a group stays
/// inside it. Its id starts with a prefix no node of the map's starts with.
pub fn to_dot_with(view: &GraphView, options: &MapOptions) -> String {
    let view = draw::prepared(view, options);
    let drawing = draw::drawing(&view, options, draw::view_title(&view, options));
    let mut stmts: Vec<Stmt> = vec![
        Stmt::GAttribute(GraphAttributes::Graph(vec![
            attr("rankdir", plain("LR")),
            // Graphviz 2.43 (Debian's) fails on some maps with clusters ("trouble in init_rank");
            // the newer ranking pass lays them out. `concentrate=true` (merging parallel edges) is
            // never set: it bundles edges so that one no longer sees which node sends to which,
            // and with clusters 2.43 failed on 7 of 150 random maps with it.
            attr("newrank", plain("true")),
            attr("fontname", quoted("Helvetica")),
            attr("nodesep", plain("0.3")),
            attr("ranksep", plain("0.5")),
            attr("label", quoted(&drawing.title)),
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
            attr("color", quoted(GREY)),
        ])),
    ];
    // The cluster of every node, then each edge's label node in the innermost common one.
    let mut home: BTreeMap<&str, Cluster> = BTreeMap::new();
    for (g, group) in drawing.groups.iter().enumerate() {
        for node in &group.nodes {
            home.insert(node.id.as_str(), (Some(g), None));
        }
        for (s, sub) in group.subgroups.iter().enumerate() {
            for node in &sub.nodes {
                home.insert(node.id.as_str(), (Some(g), Some(s)));
            }
        }
    }
    let prefix = draw::unused_prefix(&view, "edge");
    let mut labels: BTreeMap<Cluster, Vec<Stmt>> = BTreeMap::new();
    let mut edges = Vec::new();
    for (index, edge) in drawing.edges.iter().enumerate() {
        let label = format!("{prefix} {index}");
        let (from, to) = (home.get(edge.from), home.get(edge.to));
        let cluster = match (from, to) {
            (Some(a), Some(b)) if a == b => *a,
            (Some((Some(g), _)), Some((Some(h), _))) if g == h => (Some(*g), None),
            _ => (None, None),
        };
        labels
            .entry(cluster)
            .or_default()
            .push(label_node(&label, edge.style, &edge.lines));
        edges.extend(labelled_edge(
            edge.from,
            &label,
            edge.to,
            edge.style,
            edge.in_some_variants,
        ));
    }
    for (g, group) in drawing.groups.iter().enumerate() {
        stmts.push(group_cluster(group, g, &mut labels));
    }
    stmts.extend(labels.remove(&(None, None)).unwrap_or_default());
    stmts.extend(edges);
    if let Some(legend) = &drawing.legend {
        stmts.push(legend_cluster(
            legend,
            &draw::unused_prefix(&view, "legend"),
        ));
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

fn cluster(id: String, label: &str, fill: &str, members: Vec<Stmt>) -> Stmt {
    let mut stmts = vec![
        Stmt::Attribute(attr("label", quoted(label))),
        Stmt::Attribute(attr("style", quoted("rounded,filled"))),
        Stmt::Attribute(attr("fillcolor", quoted(fill))),
        Stmt::Attribute(attr("color", quoted("#999999"))),
    ];
    stmts.extend(members);
    Stmt::Subgraph(Subgraph {
        id: plain(&id),
        stmts,
    })
}

/// A jurisdiction group: its loose nodes, then one cluster per sub-group (named by position: the
/// label is repository text, the cluster id never is), each with the label nodes of the edges
/// that stay inside it.
fn group_cluster(group: &Group<'_>, g: usize, labels: &mut BTreeMap<Cluster, Vec<Stmt>>) -> Stmt {
    let mut members: Vec<Stmt> = group.nodes.iter().map(|n| node(n)).collect();
    for (index, sub) in group.subgroups.iter().enumerate() {
        let mut inside: Vec<Stmt> = sub.nodes.iter().map(|n| node(n)).collect();
        inside.extend(labels.remove(&(Some(g), Some(index))).unwrap_or_default());
        members.push(cluster(
            format!("cluster_{}_{index}", group.name),
            &sub.label,
            "white",
            inside,
        ));
    }
    members.extend(labels.remove(&(Some(g), None)).unwrap_or_default());
    cluster(
        format!("cluster_{}", group.name),
        &group.label,
        group.fill,
        members,
    )
}

fn node(node: &GraphNode) -> Stmt {
    let mut attributes = vec![
        attr("label", quoted_lines(&draw::node_lines(node))),
        attr("shape", plain(shape(&node.kind))),
    ];
    // Dotted: the node exists only in the variants its last line names; dashed: a waiver
    // accepts its findings.
    let dash = match (!node.variants.is_empty(), !node.waived.is_empty()) {
        (_, true) => Some("rounded,filled,dashed"),
        (true, false) => Some("rounded,filled,dotted"),
        _ => None,
    };
    if let Some(style) = dash {
        attributes.push(attr("style", quoted(style)));
    }
    let color = if !node.findings.is_empty() {
        Some(EdgeStyle::Violation.color())
    } else if !node.waived.is_empty() {
        Some(EdgeStyle::Waived.color())
    } else {
        None
    };
    if let Some(color) = color {
        attributes.push(attr("color", quoted(color)));
        attributes.push(attr("fontcolor", quoted(color)));
        attributes.push(attr("penwidth", plain("2")));
    }
    Stmt::Node(Node::new(NodeId(quoted(&node.id), None), attributes))
}

/// The node that carries an edge's label: text only, in the edge's colour.
fn label_node(id: &str, style: EdgeStyle, lines: &[String]) -> Stmt {
    let color = match style {
        EdgeStyle::Internal => "#333333",
        other => other.color(),
    };
    Stmt::Node(Node::new(
        NodeId(quoted(id), None),
        vec![
            attr("label", quoted_lines(lines)),
            // `plaintext`, not `plain`: its margin keeps other text at a distance.
            attr("shape", plain("plaintext")),
            attr("fontsize", plain("9")),
            attr("fontcolor", quoted(color)),
            attr("style", quoted("")),
        ],
    ))
}

/// The line attributes of an edge of `style`.
fn line_attributes(style: EdgeStyle, in_some_variants: bool) -> Vec<Attribute> {
    let mut attributes = Vec::new();
    if style != EdgeStyle::Internal {
        attributes.push(attr("color", quoted(style.color())));
    }
    match style {
        EdgeStyle::Violation => attributes.push(attr("penwidth", plain("2.5"))),
        EdgeStyle::Waived => attributes.push(attr("style", quoted("dashed"))),
        EdgeStyle::Lawful | EdgeStyle::Internal => {}
    }
    if in_some_variants && style != EdgeStyle::Waived {
        attributes.push(attr("style", quoted("dotted")));
    }
    attributes
}

fn pair(from: &str, to: &str, attributes: Vec<Attribute>) -> Stmt {
    Stmt::Edge(Edge {
        ty: EdgeTy::Pair(
            Vertex::N(NodeId(quoted(from), None)),
            Vertex::N(NodeId(quoted(to), None)),
        ),
        attributes,
    })
}

/// `from -> label -> to`: the first half without an arrowhead, both drawn in the edge's style.
fn labelled_edge(
    from: &str,
    label: &str,
    to: &str,
    style: EdgeStyle,
    in_some_variants: bool,
) -> [Stmt; 2] {
    let line = line_attributes(style, in_some_variants);
    let mut first = line.clone();
    first.push(attr("dir", plain("none")));
    [pair(from, label, first), pair(label, to, line)]
}

/// The legend: a swatch per jurisdiction group, a node per kind, a short edge per style, each
/// drawn as the map draws it. Its node ids start with `prefix`, which no node of the map's does.
fn legend_cluster(legend: &Legend, prefix: &str) -> Stmt {
    let mut members = Vec::new();
    let legend_node = |id: String, label: &[&str], attributes: Vec<Attribute>| {
        let lines: Vec<String> = label.iter().map(|l| l.to_string()).collect();
        let mut all = vec![attr("label", quoted_lines(&lines))];
        all.extend(attributes);
        Stmt::Node(Node::new(NodeId(quoted(&id), None), all))
    };
    for (status, fill) in &legend.groups {
        members.push(legend_node(
            format!("{prefix} group {}", status.title()),
            group_meaning(*status),
            vec![
                attr("shape", plain("box")),
                attr("style", quoted("filled")),
                attr("fillcolor", quoted(fill)),
                attr("color", quoted("#999999")),
            ],
        ));
    }
    for kind in &legend.kinds {
        members.push(legend_node(
            format!("{prefix} kind {kind}"),
            &[kind.as_str()],
            vec![attr("shape", plain(shape(kind)))],
        ));
    }
    // Edge styles as lines of text drawn in the style's colour and dash: a real edge would span
    // from the first rank to the next, as wide as the map's widest node in between.
    let mut styles: Vec<(EdgeStyle, bool, &str)> = legend
        .styles
        .iter()
        .map(|s| (*s, false, s.meaning()))
        .collect();
    if legend.in_some_variants {
        styles.push((
            EdgeStyle::Internal,
            true,
            "only in the deployment variants named",
        ));
    }
    for (index, (style, variants, meaning)) in styles.into_iter().enumerate() {
        let line = match (style, variants) {
            (EdgeStyle::Waived, _) => "╍╍╍╍▶",
            (_, true) => "┈┈┈┈▶",
            (EdgeStyle::Violation, false) => "━━━━▶",
            _ => "────▶",
        };
        members.push(label_node(
            &format!("{prefix} edge {index}"),
            style,
            &[format!("{line}  {meaning}")],
        ));
    }
    let mut stmts = vec![
        Stmt::Attribute(attr("label", quoted("Legend"))),
        Stmt::Attribute(attr("style", quoted("rounded"))),
        Stmt::Attribute(attr("color", quoted("#999999"))),
        Stmt::Attribute(attr("fontsize", plain("11"))),
    ];
    stmts.extend(members);
    Stmt::Subgraph(Subgraph {
        id: plain("cluster_legend"),
        stmts,
    })
}
