//! The model: facts from extractors merged into nodes and flows, with resolved locations, in a petgraph graph.
//!
//! The model does no I/O. Building it never fails: a flow that names a node that does not exist
//! becomes an `unresolved-reference` diagnostic and is left out of the graph.

pub mod endpoint;
pub mod fragment;
pub mod identity;
pub mod location;

use crate::extract::environment;
use crate::facts::Environment;
use crate::facts::{
    ClassRange, DataRef, ExtractionDiagnostic, Facts, FlowFact, FlowTarget, LocatedAt, NodeFact,
    NodeKind, Origin, Safeguard, Severity,
};
use crate::policy::{Policy, Waiver};
use crate::rule::Rule;
use crate::rules::RuleSet;
use crate::source::{FileId, Files, Span};
use crate::suggest::{SEARCH_BUDGET, Suggestions};
pub use location::{JurisdictionStatus, ResolvedLocation};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet};

/// A certification a recipient holds, and who says so.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Certification {
    pub name: String,
    /// `declared` (manifest or annotation) or the rule-data file that says so.
    pub source: String,
    /// False when the rule data marks the fact as unverified (confidence K or U).
    pub verified: bool,
}

/// A node of the data map: a service, store, vendor or client.
#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub label: Option<String>,
    pub location: Option<LocatedAt>,
    pub resolved: ResolvedLocation,
    pub data: Vec<DataRef>,
    pub domains: Vec<String>,
    pub certifications: Vec<Certification>,
    pub personal_data: Option<bool>,
    pub safeguard: Option<Safeguard>,
    pub provider: Option<String>,
    pub paths: Vec<String>,
    pub span: Option<Span>,
    /// The module calls through which the node is created, outermost first (see
    /// [`NodeFact::via`]): the calls of the fact `span` comes from.
    pub via: Vec<Span>,
    pub origins: BTreeSet<Origin>,
    pub inferred: bool,
    /// The compose project or Kubernetes manifests the node is declared in (see
    /// [`NodeFact::scope`]), from the first fact that has one.
    pub scope: Option<String>,
    /// The class of the files that declare the node or send data to it: production if any of
    /// them is production, else test if any is test, else dev (`extract::environment`).
    pub environment: Environment,
    /// The other names of the service, sorted: a compose service, Kubernetes workload or package
    /// that runs the same code under another name (see [`identity`]).
    pub aliases: Vec<String>,
    /// The deployment variants the node exists in, sorted; empty when one of its facts does not
    /// depend on a variant.
    pub variants: Vec<String>,
}

impl Node {
    pub fn has_certification(&self, name: &str) -> Option<&Certification> {
        self.certifications.iter().find(|c| c.name == name)
    }

    /// Declares the data it receives not to be personal.
    pub fn receives_no_personal_data(&self) -> bool {
        self.personal_data == Some(false)
    }
}

/// A flow of data from one node to another.
#[derive(Clone, Debug)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub data: Vec<DataRef>,
    pub purpose: Option<String>,
    pub safeguard: Option<Safeguard>,
    /// Where the flow is written (annotation, manifest entry, config line).
    pub span: Option<Span>,
    /// Where the destination is named (a URL, a `to = ...`).
    pub to_span: Option<Span>,
    pub origin: Origin,
    pub inferred: bool,
    /// The class of the file the flow is written in.
    pub environment: Environment,
    /// Other places that declare or configure the same flow (see [`one_flow_per_pair`]), sorted,
    /// at most [`MAX_EVIDENCE`]: a `[[flow]]` and the `.env` line that sends the data are one
    /// flow, and a finding about it points at one and lists the others.
    pub evidence: Vec<Span>,
    /// The deployment variants the flow exists in, sorted; empty when it does not depend on one.
    pub variants: Vec<String>,
}

/// The variants of something made of facts of `a`'s and `b`'s variants: empty (every variant)
/// when either is, else both, sorted.
pub fn union_variants(a: &mut Vec<String>, b: Vec<String>) {
    if a.is_empty() || b.is_empty() {
        a.clear();
        return;
    }
    a.extend(b);
    a.sort();
    a.dedup();
}

/// How many other places one flow lists as its evidence: enough to find every file that sends
/// the data in a real repository, while a generated one naming a host ten thousand times stays
/// small.
pub const MAX_EVIDENCE: usize = 32;

/// Everything the checks need: nodes, flows, graph, policy, waivers, rule data and the date.
#[derive(Debug)]
pub struct Model {
    pub files: Files,
    /// Sorted by id.
    pub nodes: Vec<Node>,
    /// Sorted by (from, to, span).
    pub flows: Vec<Flow>,
    pub graph: DiGraph<usize, usize>,
    pub node_index: BTreeMap<String, usize>,
    pub graph_index: Vec<NodeIndex>,
    pub policy: Policy,
    pub waivers: Vec<Waiver>,
    pub diagnostics: Vec<ExtractionDiagnostic>,
    pub project_name: Option<String>,
    /// Parts of files an extractor classed from their content (see [`Facts::classes`]).
    pub file_classes: BTreeMap<FileId, Vec<ClassRange>>,
    /// Safeguards whose `tia` names no assessment (a placeholder, or a path that is not in the
    /// repository), by the safeguard's span, with the reason; their `tia` is cleared, so the
    /// transfer is judged as having none (`missing-tia`). Filled by the scan, which can look at
    /// the repository (see `scan::vet_tia`); empty in a `merge`.
    pub tia_problems: BTreeMap<Span, String>,
    /// Another name of a node -> its id (see [`identity`]).
    pub aliases: BTreeMap<String, String>,
}

/// The class of a span: its file path's (`extract::environment::classify`), unless the path says
/// production and an extractor classed the part of the file the span is in from its content.
fn span_class(
    files: &Files,
    classes: &BTreeMap<FileId, Vec<ClassRange>>,
    span: Span,
) -> Environment {
    let by_path = files
        .get(span.file)
        .map(|file| environment::classify(file.path.as_str()))
        .unwrap_or_default();
    if by_path != Environment::Production {
        return by_path;
    }
    classes
        .get(&span.file)
        .into_iter()
        .flatten()
        .filter(|range| range.contains(span))
        .map(|range| range.environment)
        .min()
        .unwrap_or(by_path)
}

impl Model {
    /// The class of the file a span is in, else of a file named by its path (an unreadable
    /// file), else production.
    pub fn environment_of(&self, span: Option<Span>, path: Option<&str>) -> Environment {
        match (span, path) {
            (Some(span), _) => span_class(&self.files, &self.file_classes, span),
            (None, Some(path)) => environment::classify(path),
            (None, None) => Environment::Production,
        }
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.node_index.get(id).map(|index| &self.nodes[*index])
    }

    /// The id of the node `name` names: itself, or the node it is an alias of.
    pub fn canonical<'a>(&'a self, name: &'a str) -> &'a str {
        if self.node_index.contains_key(name) {
            return name;
        }
        self.aliases.get(name).map_or(name, String::as_str)
    }

    /// Flows into a node, by index into `flows`.
    pub fn incoming(&self, id: &str) -> Vec<usize> {
        self.flows
            .iter()
            .enumerate()
            .filter(|(_, flow)| flow.to == id)
            .map(|(index, _)| index)
            .collect()
    }
}

/// What the model is built from. Cloned only to judge one extraction twice
/// (`scan::scan_judged_twice`).
#[derive(Debug, Clone)]
pub struct ModelInput {
    pub files: Files,
    pub manifest_facts: Facts,
    pub extracted: Facts,
    pub policy: Policy,
    pub waivers: Vec<Waiver>,
    pub project_name: Option<String>,
}

/// Merges facts into nodes and flows, resolves locations, endpoints and references.
pub fn build(input: ModelInput, rules: &RuleSet) -> Model {
    // Facts are moved into the model, never copied: a large repository's facts are most of a
    // scan's memory.
    let Facts {
        nodes: mut manifest_nodes,
        flows: mut manifest_flows,
        diagnostics: manifest_diagnostics,
        attached: manifest_attached,
        classes: _,
        waivers: _,
        compose_services: _,
        variants: _,
    } = input.manifest_facts;
    let Facts {
        nodes: mut extracted_nodes,
        flows: mut extracted_flows,
        diagnostics: extracted_diagnostics,
        mut attached,
        classes,
        waivers: inline_waivers,
        // Consumed during extraction (the env extractor's join).
        compose_services: _,
        // Kept by the scan, which builds one model per variant.
        variants: _,
    } = input.extracted;
    // Names mean a node only within their deployment: before anything refers to them, the nodes
    // of other compose projects that share a name are told apart.
    let mut file_classes: BTreeMap<FileId, Vec<ClassRange>> = BTreeMap::new();
    for range in classes {
        file_classes.entry(range.at.file).or_default().push(range);
    }
    // A production deployment keeps the bare id before a test or dev one that reuses the name.
    let scope_class = |node: &NodeFact| {
        node.span
            .map(|span| span_class(&input.files, &file_classes, span))
            .unwrap_or_default()
    };
    let identities = identity::merge(
        &mut extracted_nodes,
        &mut extracted_flows,
        |node| package_dir(&input.files, node),
        scope_class,
    );
    scope_ids(&mut extracted_nodes, &mut extracted_flows, scope_class);
    let mut waivers = input.waivers;
    identities.rename_declared(&mut manifest_nodes, &mut manifest_flows, &mut waivers);
    let mut diagnostics = manifest_diagnostics;
    diagnostics.extend(extracted_diagnostics);
    attached.extend(manifest_attached);

    // Manifest facts come first so that what a person declared wins over what was read or guessed;
    // a comment tag on a declaration comes next, and wins over what the configuration says.
    let mut node_facts: Vec<NodeFact> = manifest_nodes;
    node_facts.extend(attach_tags(attached, &extracted_nodes, &mut diagnostics));
    extracted_nodes.sort_by(|a, b| (a.inferred, &a.id, a.span).cmp(&(b.inferred, &b.id, b.span)));
    node_facts.extend(extracted_nodes);

    // Every fact is classed by the file it is written in; a fact with no span (rule data, a
    // package found by its manifest) is production, so a class never hides what it cannot place.
    let files = &input.files;
    let environment_of = |span: Option<Span>| -> Environment {
        span.map(|s| span_class(files, &file_classes, s))
            .unwrap_or_default()
    };
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let mut kind_defaulted: BTreeSet<String> = BTreeSet::new();
    for fact in node_facts {
        let class = environment_of(fact.span);
        merge_node(&mut nodes, &mut kind_defaulted, fact, class, rules);
    }
    seed_declared_vendors(&mut nodes, &mut kind_defaulted, rules);

    let mut flow_facts = manifest_flows;
    flow_facts.extend(extracted_flows);

    let flows = resolve_flows(
        flow_facts,
        &mut nodes,
        &mut kind_defaulted,
        &mut diagnostics,
        rules,
        &environment_of,
    );
    let flows = settle_flows(flows, &mut nodes);
    unknown_categories(&nodes, &flows, rules, &mut diagnostics);

    let aliases = attach_aliases(identities.aliases, &mut nodes);
    let nodes = sorted_nodes(nodes);
    let (node_index, (graph, graph_index)) = graph_of(&nodes, &flows);
    diagnostics.sort_by(|a, b| {
        (a.span, &a.path, a.rule.name(), &a.message).cmp(&(
            b.span,
            &b.path,
            b.rule.name(),
            &b.message,
        ))
    });
    diagnostics.dedup();

    Model {
        files: input.files,
        file_classes,
        nodes,
        flows,
        graph,
        node_index,
        graph_index,
        policy: input.policy,
        waivers: with_inline(waivers, inline_waivers),
        diagnostics,
        project_name: input.project_name,
        tia_problems: BTreeMap::new(),
        aliases,
    }
}

/// The manifest's waivers, then the inline ones: inline waivers are judged like the manifest's,
/// after them.
fn with_inline(waivers: Vec<Waiver>, inline: Vec<crate::facts::InlineWaiver>) -> Vec<Waiver> {
    waivers
        .into_iter()
        .chain(
            inline
                .into_iter()
                .filter_map(crate::extract::inline_waivers::to_waiver),
        )
        .collect()
}

/// The resolved flows as the model keeps them: guesses a declared flow replaces dropped, one
/// flow per pair where merging hides nothing, in order; the nodes they send production data to
/// become production.
fn settle_flows(flows: Vec<Flow>, nodes: &mut BTreeMap<String, Node>) -> Vec<Flow> {
    let flows = drop_guessed_flows(flows);
    let mut flows = one_flow_per_pair(flows);
    // A node that receives data from a production flow is production, wherever it is declared.
    for flow in &flows {
        if let Some(node) = nodes.get_mut(&flow.to) {
            node.environment = node.environment.min(flow.environment);
        }
    }
    flows.sort_by(|a, b| {
        (&a.from, &a.to, a.span, a.inferred).cmp(&(&b.from, &b.to, b.span, b.inferred))
    });
    flows
}

/// The aliases that still name a node (and are not a node's own id), each also listed on its node.
fn attach_aliases(
    mut aliases: BTreeMap<String, String>,
    nodes: &mut BTreeMap<String, Node>,
) -> BTreeMap<String, String> {
    aliases.retain(|alias, id| !nodes.contains_key(alias) && nodes.contains_key(id));
    for (alias, id) in &aliases {
        if let Some(node) = nodes.get_mut(id) {
            node.aliases.push(alias.clone());
        }
    }
    aliases
}

/// Resolves each flow fact's ends to nodes: a host to the node it names (or a new node of a
/// vendor or region it points at), a vendor's id to the catalogue's node. A flow whose end names
/// no node becomes an `unresolved-reference` diagnostic instead.
fn resolve_flows(
    flow_facts: Vec<FlowFact>,
    nodes: &mut BTreeMap<String, Node>,
    kind_defaulted: &mut BTreeSet<String>,
    diagnostics: &mut Vec<ExtractionDiagnostic>,
    rules: &RuleSet,
    environment_of: &dyn Fn(Option<Span>) -> Environment,
) -> Vec<Flow> {
    let mut flows = Vec::new();
    // Many flows name the same host (one vendor URL in every service): each host is resolved once.
    // A node created with `domains` could change how other hosts resolve, so it clears the cache.
    let mut resolved_hosts: BTreeMap<String, Option<String>> = BTreeMap::new();
    // The same misspelt id is usually written many times: its suggestion is searched for once.
    let mut suggestions = Suggestions::default();
    for fact in flow_facts {
        let Some(from) = fact.from.clone() else {
            diagnostics.push(ExtractionDiagnostic {
                rule: Rule::UnresolvedReference,
                severity: Severity::Warning,
                message: "cannot tell which node this flow leaves from: the file belongs to no node; add `from=...` or list the file under a node's `paths` in borderline.toml".into(),
                span: fact.span,
                path: None,
            });
            continue;
        };
        let Some((to_id, to_span)) = flow_target(
            &fact.to,
            nodes,
            kind_defaulted,
            &mut resolved_hosts,
            &mut suggestions,
            rules,
            environment_of,
        ) else {
            continue;
        };
        // A flow may name a vendor of the catalogue by its id (`to = "sendgrid"`) as well as by
        // its host: when no node has that id, the vendor's node is made as its host would make it.
        for id in [&from.id, &to_id] {
            if nodes.contains_key(id) {
                continue;
            }
            // The node has no span: where it is comes from rule data, not from the line that
            // names it (findings point at that line already).
            if let Some(node) = endpoint::vendor_by_id(id, nodes, rules) {
                resolved_hosts.clear();
                suggestions.node_added(&node.id);
                let class = environment_of(node.span);
                merge_node(nodes, kind_defaulted, node, class, rules);
            }
        }
        let mut missing = false;
        // An id a person wrote (a `[[flow]]`, an attribute, a comment tag) that names nothing is
        // a mistake that drops a transfer from every check: it fails the gate, as a misspelt
        // category does. A reference read from configuration stays a warning.
        let written = !fact.inferred
            && matches!(
                fact.origin,
                Origin::Manifest | Origin::RustAttribute | Origin::CommentTag
            );
        let severity = |span: Option<Span>| {
            if written && span.is_some() {
                Severity::Error
            } else {
                Severity::Warning
            }
        };
        if !nodes.contains_key(&from.id) {
            let span = from.span.or(fact.span);
            let mut diagnostic = unresolved(&from.id, span, nodes, rules, &mut suggestions);
            diagnostic.severity = severity(from.span);
            diagnostics.push(diagnostic);
            missing = true;
        }
        if !nodes.contains_key(&to_id) {
            let span = to_span.or(fact.span);
            let mut diagnostic = unresolved(&to_id, span, nodes, rules, &mut suggestions);
            diagnostic.severity = severity(to_span);
            diagnostics.push(diagnostic);
            missing = true;
        }
        if missing {
            continue;
        }
        flows.push(Flow {
            from: from.id,
            to: to_id,
            data: fact.data,
            purpose: fact.purpose,
            safeguard: fact.safeguard,
            span: fact.span,
            to_span,
            origin: fact.origin,
            inferred: fact.inferred,
            environment: environment_of(fact.span),
            evidence: Vec::new(),
            variants: fact.variants,
        });
    }
    flows
}

/// The flows without those a declared or observed flow between the same two nodes replaces.
fn drop_guessed_flows(mut flows: Vec<Flow>) -> Vec<Flow> {
    // A flow declared or observed between two nodes says more than a guess from a client call
    // in code: the inferred one is dropped rather than judged twice. Only a declared flow of the
    // same class or a more productive one replaces it: a test's compose file never hides a
    // production client call.
    let mut known: BTreeMap<(String, String), Environment> = BTreeMap::new();
    for flow in flows.iter().filter(|f| !f.inferred) {
        let class = known
            .entry((flow.from.clone(), flow.to.clone()))
            .or_insert(flow.environment);
        *class = (*class).min(flow.environment);
    }
    flows.retain(|f| {
        !f.inferred
            || known
                .get(&(f.from.clone(), f.to.clone()))
                .is_none_or(|class| *class > f.environment)
    });
    flows
}

/// Reports each data category the nodes and flows name that the taxonomy does not know, with
/// the closest key: an error where a person wrote it, a warning where it was inferred.
fn unknown_categories(
    nodes: &BTreeMap<String, Node>,
    flows: &[Flow],
    rules: &RuleSet,
    diagnostics: &mut Vec<ExtractionDiagnostic>,
) {
    // Unknown data categories are reported once per place, with the closest taxonomy key. A
    // category a person wrote (in the manifest, an annotation, a comment tag: it has a place in
    // the repository) is an error: a misspelt `user.health_and_medical` would otherwise take
    // health data past the special-category check with exit 0. Categories borderline infers come
    // from rule data; one that is unknown anyway (rule data overridden with `--rules`), or one
    // without a place (a `merge` fragment, judged in its own repository's scan), is a warning.
    let mut category_refs: Vec<(&DataRef, bool)> = nodes
        .values()
        .flat_map(|n| n.data.iter().map(move |d| (d, n.inferred)))
        .collect();
    category_refs.extend(
        flows
            .iter()
            .flat_map(|f| f.data.iter().map(move |d| (d, f.inferred))),
    );
    // Suggestions share a budget, and each distinct key is looked up once.
    let mut category_budget = SEARCH_BUDGET;
    let mut suggestions: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for (data, inferred) in category_refs {
        if rules.category(&data.key).is_none() {
            let closest = *suggestions
                .entry(data.key.as_str())
                .or_insert_with(|| rules.closest_category_within(&data.key, &mut category_budget));
            let hint = match closest {
                Some(closest) => format!("; did you mean `{closest}`?"),
                None => String::new(),
            };
            let written = data.span.is_some() && !inferred;
            diagnostics.push(ExtractionDiagnostic {
                rule: Rule::UnknownDataCategory,
                severity: if written {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                message: format!(
                    "`{}` is not a data category of the Fides taxonomy{hint}",
                    data.key
                ),
                span: data.span,
                path: None,
            });
        }
    }
}

/// The nodes in id order, their certifications sorted and deduplicated.
fn sorted_nodes(nodes: BTreeMap<String, Node>) -> Vec<Node> {
    let mut nodes: Vec<Node> = nodes.into_values().collect();
    for node in &mut nodes {
        node.certifications.sort();
        node.certifications.dedup_by(|a, b| a.name == b.name);
    }
    nodes
}

/// The graph of the flows between nodes, with the index of each node in it.
type FlowGraph = (DiGraph<usize, usize>, Vec<NodeIndex>);

/// Each node id's index among the nodes, and the graph of the flows between them.
fn graph_of(nodes: &[Node], flows: &[Flow]) -> (BTreeMap<String, usize>, FlowGraph) {
    let node_index: BTreeMap<String, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), i))
        .collect();
    let mut graph = DiGraph::with_capacity(nodes.len(), flows.len());
    let graph_index: Vec<NodeIndex> = (0..nodes.len()).map(|i| graph.add_node(i)).collect();
    for (index, flow) in flows.iter().enumerate() {
        if let (Some(from), Some(to)) = (node_index.get(&flow.from), node_index.get(&flow.to)) {
            graph.add_edge(graph_index[*from], graph_index[*to], index);
        }
    }
    (node_index, (graph, graph_index))
}

/// The id and place of the node a flow goes to: the node it names, or the node its host
/// resolves to (made now when the host names a vendor or a region no node stands for yet).
/// `None` for a host that means nothing to borderline (an internal name, localhost).
fn flow_target(
    to: &FlowTarget,
    nodes: &mut BTreeMap<String, Node>,
    kind_defaulted: &mut BTreeSet<String>,
    resolved_hosts: &mut BTreeMap<String, Option<String>>,
    suggestions: &mut Suggestions,
    rules: &RuleSet,
    environment_of: &dyn Fn(Option<Span>) -> Environment,
) -> Option<(String, Option<Span>)> {
    let target = match to {
        FlowTarget::Node(reference) => (reference.id.clone(), reference.span),
        FlowTarget::Host { host, span } => {
            if let Some(known) = resolved_hosts.get(host) {
                match known {
                    Some(id) => (id.clone(), *span),
                    None => return None,
                }
            } else {
                match endpoint::resolve_host(host, nodes, rules) {
                    endpoint::HostResolution::Node(id) => {
                        resolved_hosts.insert(host.clone(), Some(id.clone()));
                        (id, *span)
                    }
                    endpoint::HostResolution::New(node) => {
                        let id = node.id.clone();
                        let mut node = *node;
                        if node.span.is_none() {
                            node.span = *span;
                        }
                        if !node.domains.is_empty() {
                            resolved_hosts.clear();
                        }
                        // The new node may be a closer match for a misspelt id.
                        suggestions.node_added(&id);
                        let class = environment_of(node.span);
                        merge_node(nodes, kind_defaulted, node, class, rules);
                        resolved_hosts.insert(host.clone(), Some(id.clone()));
                        (id, *span)
                    }
                    // A host that means nothing to borderline (an internal name, localhost) is
                    // not a flow.
                    endpoint::HostResolution::Unknown => {
                        resolved_hosts.insert(host.clone(), None);
                        return None;
                    }
                }
            }
        }
    };
    Some(target)
}

/// The directory of the package a node fact makes a node of: the directory of the package
/// manifest it is declared in (`extract::owners`), for a fact no deployment scopes.
fn package_dir(files: &Files, node: &NodeFact) -> Option<String> {
    if node.scope.is_some() || node.origin == Origin::Manifest {
        return None;
    }
    let file = files.get(node.span?.file)?;
    if !crate::extract::owners::is_package_manifest(&file.path) {
        return None;
    }
    Some(
        file.path
            .parent()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
    )
}

/// Gives the nodes that two deployments name alike ids of their own, and their flows too.
///
/// A compose service's name means a container of its own project: `db` in `dev/` and `db` in
/// `.devcontainer/` are two databases, and `vector` in a test project is not the `vector`
/// DaemonSet of the Kubernetes manifests; two Helm charts of one repository that both define
/// `redis` deploy two Redis instances. When one id is declared in several scopes (see
/// [`NodeFact::scope`]), the first scope keeps it (Kubernetes manifest sets, then compose
/// projects, each nearest the root first, then by path) and each other scope's node becomes
/// `ID@DIR`, `DIR` being its compose project's directory or its manifest set's. The namespaces
/// of one Kubernetes manifest set (`kubernetes:SET#NS`) share ids: one workload is often
/// declared without a namespace and patched with one. Facts named once for the whole repository
/// (the manifest, code, env files) keep naming the first. A flow written in a scope names the
/// nodes of that scope.
fn scope_ids(
    nodes: &mut [NodeFact],
    flows: &mut [FlowFact],
    class_of: impl Fn(&NodeFact) -> Environment,
) {
    let mut scopes: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    // The most productive class of any node a scope declares.
    let mut scope_classes: BTreeMap<&str, Environment> = BTreeMap::new();
    for node in nodes.iter() {
        if let Some(scope) = &node.scope {
            let scope = id_scope(scope);
            scopes.entry(node.id.as_str()).or_default().insert(scope);
            let class = class_of(node);
            scope_classes
                .entry(scope)
                .and_modify(|c| *c = (*c).min(class))
                .or_insert(class);
        }
    }
    // (scope, id) -> the id the node has in that scope.
    let mut renamed: BTreeMap<(String, String), String> = BTreeMap::new();
    for (id, ids_scopes) in &scopes {
        if ids_scopes.len() < 2 {
            continue;
        }
        let mut ordered: Vec<&str> = ids_scopes.iter().copied().collect();
        ordered.sort_by_key(|scope| {
            (
                scope_classes.get(scope).copied().unwrap_or_default(),
                scope_order(scope),
            )
        });
        for scope in ordered.into_iter().skip(1) {
            let directory = scope.split_once(':').map_or(scope, |(_, dir)| dir);
            renamed.insert(
                (scope.to_string(), id.to_string()),
                format!("{id}@{directory}"),
            );
        }
    }
    if renamed.is_empty() {
        return;
    }
    let rename = |scope: &Option<String>, id: &mut String| {
        if let Some(scope) = scope
            && let Some(new) = renamed.get(&(id_scope(scope).to_string(), id.clone()))
        {
            id.clone_from(new);
        }
    };
    for node in nodes.iter_mut() {
        rename(&node.scope, &mut node.id);
    }
    for flow in flows.iter_mut() {
        if let Some(from) = &mut flow.from {
            rename(&flow.scope, &mut from.id);
        }
        if let FlowTarget::Node(to) = &mut flow.to {
            rename(&flow.scope, &mut to.id);
        }
    }
}

/// The part of a scope that names nodes: a Kubernetes scope without its namespace.
fn id_scope(scope: &str) -> &str {
    if scope.starts_with("kubernetes:") {
        scope.rsplit_once('#').map_or(scope, |(set, _)| set)
    } else {
        scope
    }
}

/// The order in which scopes of one class that name a node alike claim the bare id: Kubernetes
/// manifest sets (a deployment of the whole system), then compose projects, each by depth and
/// path. Production scopes come before test and dev ones (`scope_ids`).
fn scope_order(scope: &str) -> (bool, usize, &str) {
    let depth = |directory: &str| {
        if directory == "." {
            0
        } else {
            directory.split('/').count()
        }
    };
    match scope.split_once(':') {
        Some(("compose", directory)) => (true, depth(directory), directory),
        Some(("kubernetes", directory)) => (false, depth(directory), directory),
        _ => (false, 0, scope),
    }
}

/// How many (tag, node) pairs attaching tags may visit in one model: far more than any real
/// repository has (a tag usually covers one declaration and its few instances), while nested
/// declarations in hostile YAML, each covering every node below it, stay bounded.
pub const ATTACH_BUDGET: usize = 1_000_000;

/// Comment tags attached to declarations (see [`crate::facts::AttachedTag`]), as node facts for every
/// extracted node declared inside each tag's declaration: `count`/`for_each` instances, a module
/// call's stores, a Kubernetes object's workload, a compose service.
///
/// Only the nodes declared on the declaration's first line take the tag's `location` and `label`
/// (a DynamoDB table, not its replicas further down the block); when none is, every node does (a
/// Kubernetes workload is named on its `metadata.name` line, below `apiVersion`). A tag whose
/// declaration makes no node is an `unresolved-reference`: like an id that names no node, it
/// refers to something that does not exist, and is a warning, not a parse error.
fn attach_tags(
    tags: Vec<crate::facts::AttachedTag>,
    extracted: &[NodeFact],
    diagnostics: &mut Vec<ExtractionDiagnostic>,
) -> Vec<NodeFact> {
    if tags.is_empty() {
        return Vec::new();
    }
    // Node facts by file and where they are declared, so that each tag finds its nodes by a binary
    // search instead of a pass over every node.
    let mut declared: Vec<(crate::source::FileId, u32, &str)> = extracted
        .iter()
        .flat_map(|node| declared_at(node).map(|span| (span.file, span.start, node.id.as_str())))
        .collect();
    declared.sort_unstable();
    let mut budget = ATTACH_BUDGET;
    let mut out = Vec::new();
    for tag in tags {
        let declaration = tag.declaration;
        let first = declared.partition_point(|(file, start, _)| {
            (*file, *start) < (declaration.file, declaration.start)
        });
        // Node id -> declared on the declaration's first line.
        let mut ids: BTreeMap<&str, bool> = BTreeMap::new();
        let mut exhausted = false;
        for (file, start, id) in &declared[first..] {
            if *file != declaration.file || *start >= declaration.end {
                break;
            }
            if budget == 0 {
                exhausted = true;
                break;
            }
            budget -= 1;
            let on_header = *start >= tag.header.start && *start < tag.header.end;
            *ids.entry(id).or_insert(false) |= on_header;
        }
        if exhausted {
            diagnostics.push(ExtractionDiagnostic {
                rule: Rule::InputError,
                severity: Severity::Warning,
                message: format!(
                    "this tag is not applied: tags on declarations may cover at most {ATTACH_BUDGET} nodes in all"
                ),
                span: tag.span,
                path: None,
            });
            continue;
        }
        if ids.is_empty() {
            diagnostics.push(ExtractionDiagnostic {
                rule: Rule::UnresolvedReference,
                severity: Severity::Warning,
                message: format!(
                    "this tag describes the node declared below it, but `{}` makes no node borderline maps (a service, store, vendor or client), so the tag applies to nothing",
                    tag.declared
                ),
                span: tag.span,
                path: None,
            });
            continue;
        }
        let any_on_header = ids.values().any(|on_header| *on_header);
        for (id, on_header) in ids {
            let mut node = NodeFact::new(id, Origin::CommentTag);
            if on_header || !any_on_header {
                node.location.clone_from(&tag.location);
                node.label.clone_from(&tag.label);
            }
            node.data.clone_from(&tag.data);
            node.personal_data = tag.personal_data;
            node.safeguard.clone_from(&tag.safeguard);
            out.push(node);
        }
    }
    out
}

/// Where a node fact is declared, for tags on declarations: its own span, and for a node made
/// inside a local module each module call on the way (`NodeFact::via`, outermost first), so that a
/// tag above `module "x" { source = "../../" }` reaches the stores that call creates.
fn declared_at(node: &NodeFact) -> impl Iterator<Item = Span> + '_ {
    node.span.into_iter().chain(node.via.iter().copied())
}

fn unresolved(
    id: &str,
    span: Option<Span>,
    nodes: &BTreeMap<String, Node>,
    rules: &RuleSet,
    suggestions: &mut Suggestions,
) -> ExtractionDiagnostic {
    // A vendor of the catalogue can be named by its id, so a misspelt one is suggested too.
    let ids = || {
        nodes
            .keys()
            .map(String::as_str)
            .chain(rules.vendors().map(|vendor| vendor.id.as_str()))
    };
    let suggestion = match suggestions.transposed(id, ids()) {
        Some(swapped) => format!("; did you mean `{swapped}`?"),
        None => suggestions
            .closest(id, ids())
            .map(|closest| format!("; did you mean `{closest}`?"))
            .unwrap_or_default(),
    };
    ExtractionDiagnostic {
        rule: Rule::UnresolvedReference,
        severity: Severity::Warning,
        message: format!(
            "no node named `{id}` exists, nor a vendor with that id in rule data (`borderline rules --vendors` lists them){suggestion}"
        ),
        span,
        path: None,
    }
}

/// Gives a node that only borderline.toml or comment tags declare, under the id of a vendor of
/// the catalogue, what rule data knows of that vendor: `[[node]] id = "sentry"` with only
/// `certifications = ["dpf"]` is Sentry, located in the US with its hosts, and the declared keys
/// add to it. What a person declared wins (it is merged first): a declared `location` stays, and
/// the vendor's country is only shown beside it (`explain`).
///
/// A node the repository itself makes under that id (a compose service `sentry`, a store) is
/// the repository's own, and a node declared as a service, store or client is not the vendor.
fn seed_declared_vendors(
    nodes: &mut BTreeMap<String, Node>,
    kind_defaulted: &mut BTreeSet<String>,
    rules: &RuleSet,
) {
    let declared: Vec<(String, Environment)> = nodes
        .values()
        .filter(|node| {
            (node.kind == NodeKind::Vendor || kind_defaulted.contains(&node.id))
                && node
                    .origins
                    .iter()
                    .all(|origin| matches!(origin, Origin::Manifest | Origin::CommentTag))
        })
        .map(|node| (node.id.clone(), node.environment))
        .collect();
    let empty = BTreeMap::new();
    for (id, class) in declared {
        if let Some(vendor) = endpoint::vendor_by_id(&id, &empty, rules) {
            merge_node(nodes, kind_defaulted, vendor, class, rules);
        }
    }
}

/// True for a flow a person wrote: a `[[flow]]`, a comment tag, a Rust attribute.
fn is_declared(flow: &Flow) -> bool {
    matches!(
        flow.origin,
        Origin::Manifest | Origin::CommentTag | Origin::RustAttribute
    )
}

/// Makes the flows between one pair of nodes one flow, whatever declared or configured them: a
/// `[[flow]]` from `api` to `sendgrid` with an SCC and the `api/.env` line that points at
/// SendGrid are the same transfer, judged once, with the declared safeguard, data and purpose.
///
/// The flow keeps the span of its most productive member (production before test and dev, then
/// a declaration before a configuration line, then the first in the files) and lists the others
/// as [`Flow::evidence`]. Members are kept apart rather than merged when merging could hide a
/// transfer:
/// - a safeguard covers only the members of its own class or a less productive one (a tag in a
///   test never covers a production `.env`), and two members that each carry one stay two flows;
/// - data declared on a flow of the most productive class describes the pair, and is joined with
///   every member's; without such a declaration only members that carry the same categories and
///   are equally certain merge (a flow with no categories carries its source's data, or unknown
///   data if it is a guess, which no other member's list may replace).
fn one_flow_per_pair(flows: Vec<Flow>) -> Vec<Flow> {
    let mut pairs: BTreeMap<(String, String), Vec<Flow>> = BTreeMap::new();
    for flow in flows {
        pairs
            .entry((flow.from.clone(), flow.to.clone()))
            .or_default()
            .push(flow);
    }
    let mut out = Vec::new();
    for (_, mut members) in pairs {
        if members.len() == 1 {
            out.append(&mut members);
            continue;
        }
        members.sort_by(|a, b| {
            (a.environment, !is_declared(a), a.inferred, a.span).cmp(&(
                b.environment,
                !is_declared(b),
                b.inferred,
                b.span,
            ))
        });
        let best = members[0].environment;
        let declared_data = members
            .iter()
            .any(|f| is_declared(f) && !f.data.is_empty() && f.environment == best);
        let mut merged: Vec<Flow> = Vec::new();
        for member in members {
            match merged
                .iter_mut()
                .find(|kept| mergeable(kept, &member, declared_data))
            {
                Some(kept) => absorb(kept, member),
                None => merged.push(member),
            }
        }
        out.append(&mut merged);
    }
    out
}

/// True when `member` (of the same pair, sorted after `kept`) may become part of `kept`.
fn mergeable(kept: &Flow, member: &Flow, declared_data: bool) -> bool {
    let safeguard = match (&kept.safeguard, &member.safeguard) {
        (Some(_), Some(_)) => false,
        // `member` is of `kept`'s class or a less productive one: a safeguard declared on it
        // covers `kept` only when both are of one class.
        (None, Some(_)) => member.environment == kept.environment,
        _ => true,
    };
    let data = declared_data
        || (kept.inferred == member.inferred && same_categories(&kept.data, &member.data));
    safeguard && data
}

fn same_categories(a: &[DataRef], b: &[DataRef]) -> bool {
    let keys =
        |data: &[DataRef]| -> BTreeSet<String> { data.iter().map(|d| d.key.clone()).collect() };
    keys(a) == keys(b)
}

/// Folds `member` into `kept`: what it declares fills what `kept` lacks, its categories join
/// `kept`'s, and where it is written becomes evidence.
fn absorb(kept: &mut Flow, member: Flow) {
    if kept.safeguard.is_none() {
        kept.safeguard = member.safeguard;
    }
    if kept.purpose.is_none() {
        kept.purpose = member.purpose;
    }
    for data in member.data {
        if !kept.data.iter().any(|d| d.key == data.key) {
            kept.data.push(data);
        }
    }
    // A declaration or observation of the pair makes it certain, as it does a node.
    kept.inferred = kept.inferred && member.inferred;
    union_variants(&mut kept.variants, member.variants);
    let spans = member.span.into_iter().chain(member.evidence);
    for span in spans {
        if Some(span) != kept.span && !kept.evidence.contains(&span) {
            kept.evidence.push(span);
        }
    }
    kept.evidence.sort();
    kept.evidence.truncate(MAX_EVIDENCE);
}

/// Folds one fact into the node of the same id; earlier facts win for single values.
///
/// A node whose first fact gave no kind is a service until a later fact says otherwise (a manifest
/// entry that only adds `data` to a Terraform bucket must not turn the bucket into a service).
fn merge_node(
    nodes: &mut BTreeMap<String, Node>,
    kind_defaulted: &mut BTreeSet<String>,
    fact: NodeFact,
    class: Environment,
    rules: &RuleSet,
) {
    match nodes.get_mut(&fact.id) {
        None => {
            if fact.kind.is_none() {
                kind_defaulted.insert(fact.id.clone());
            }
            let id = fact.id.clone();
            nodes.insert(id, new_node(fact, class, rules));
        }
        Some(node) => fold_node(node, kind_defaulted, fact, class, rules),
    }
}

/// The certifications rule data gives a provider, with the provider record as their source.
fn provider_certifications(provider: &Option<String>, rules: &RuleSet) -> Vec<Certification> {
    provider
        .as_deref()
        .and_then(|p| rules.provider(p))
        .map(|p| {
            p.certifications
                .iter()
                .map(|name| Certification {
                    name: name.clone(),
                    source: format!("rules/providers.toml ({})", p.id),
                    verified: p.confidence.is_verified(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The certifications a fact declares itself (in the repository or in rule data).
fn declared(fact: &NodeFact) -> Vec<Certification> {
    fact.certifications
        .iter()
        .map(|name| Certification {
            name: name.clone(),
            source: if fact.origin == Origin::RuleData {
                "rule data".into()
            } else {
                "declared".into()
            },
            verified: true,
        })
        .collect()
}

/// The node a fact makes when it is the first fact of its id (a service when it gives no kind).
fn new_node(fact: NodeFact, class: Environment, rules: &RuleSet) -> Node {
    let provider = fact
        .provider
        .clone()
        .or_else(|| location::provider_of(fact.location.as_ref(), rules));
    let mut certifications = declared(&fact);
    certifications.extend(provider_certifications(&provider, rules));
    Node {
        id: fact.id.clone(),
        kind: fact.kind.unwrap_or(NodeKind::Service),
        label: fact.label,
        resolved: location::resolve(fact.location.as_ref(), rules),
        location: fact.location,
        data: fact.data,
        domains: fact.domains,
        certifications,
        personal_data: fact.personal_data,
        safeguard: fact.safeguard,
        provider,
        paths: fact.paths,
        span: fact.span,
        via: fact.via,
        origins: BTreeSet::from([fact.origin]),
        inferred: fact.inferred,
        scope: fact.scope,
        environment: class,
        aliases: Vec::new(),
        variants: fact.variants,
    }
}

/// Folds a later fact into the node of its id: earlier facts win for single values, lists are
/// joined, and a more productive declaration moves the node's place.
fn fold_node(
    node: &mut Node,
    kind_defaulted: &mut BTreeSet<String>,
    fact: NodeFact,
    class: Environment,
    rules: &RuleSet,
) {
    if let Some(kind) = fact.kind
        && kind_defaulted.remove(&fact.id)
    {
        node.kind = kind;
    }
    if node.location.is_none() && fact.location.is_some() {
        node.resolved = location::resolve(fact.location.as_ref(), rules);
        node.location = fact.location.clone();
    }
    if node.provider.is_none() {
        node.provider = fact
            .provider
            .clone()
            .or_else(|| location::provider_of(fact.location.as_ref(), rules));
        let extra = provider_certifications(&node.provider, rules);
        node.certifications.extend(extra);
    }
    node.certifications.extend(declared(&fact));
    node.label = node.label.take().or(fact.label);
    // A node declared in a dev compose file and in the production one is shown where
    // production declares it: that is the declaration its findings are about.
    let more_productive = class < node.environment && fact.span.is_some();
    if node.span.is_none() || more_productive {
        node.span = fact.span;
        node.via = fact.via;
    } else if fact.origin == Origin::Terraform
        && fact.kind == Some(NodeKind::Store)
        && fact.span.is_some()
        && !node.origins.contains(&Origin::Terraform)
    {
        // A store is where its resource creates it, even when the manifest (read first)
        // declares what it holds: its findings point at the resource.
        node.span = fact.span;
        node.via = fact.via;
    }
    node.personal_data = node.personal_data.or(fact.personal_data);
    if node.safeguard.is_none() {
        node.safeguard = fact.safeguard;
    }
    for data in fact.data {
        if !node.data.iter().any(|d| d.key == data.key) {
            node.data.push(data);
        }
    }
    for domain in fact.domains {
        if !node.domains.contains(&domain) {
            node.domains.push(domain);
        }
    }
    node.paths.extend(fact.paths);
    node.origins.insert(fact.origin);
    if node.scope.is_none() {
        node.scope = fact.scope;
    }
    node.environment = node.environment.min(class);
    // A declared fact makes the node declared, whatever was guessed before.
    node.inferred = node.inferred && fact.inferred;
    union_variants(&mut node.variants, fact.variants);
}
