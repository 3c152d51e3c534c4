//! Org-wide map: joins graph fragments (`graph --format json`) of many repositories by node id,
//! rebuilds a model from their facts and evaluates it again, so that flows crossing repositories
//! (service A's repo sends to a store declared in repo B) get a verdict.
//!
//! Conflicting facts about one node (two locations, two kinds) are warnings naming both sources;
//! the first fragment given wins, as declared facts win over later ones in a single scan.

use crate::date::Date;
use crate::evaluate::{Evaluation, evaluate};
use crate::model::facts::{
    DataRef, Facts, FlowFact, FlowTarget, LocatedAt, Location, MechanismKind, NodeFact, NodeKind,
    NodeRef, Origin, Safeguard,
};
use crate::model::{Model, ModelInput, build};
use crate::report::Position;
use crate::report::graph::{GRAPH_FORMAT_VERSION, GraphNode, GraphSafeguard, GraphView};
use crate::rules::RuleSet;
use crate::source::Files;
use std::collections::{BTreeMap, BTreeSet};

/// One fragment and the file it came from.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub source: String,
    pub view: GraphView,
}

/// Cap on one fragment file: far above the map of a large monorepo (40,000 flows make about
/// 20 MB), and low enough that a device or a runaway file is refused rather than read into memory.
pub const MAX_FRAGMENT_BYTES: u64 = 256 * 1024 * 1024;

/// Why a fragment cannot be used at all. Text quoted from the fragment is made inert for a
/// terminal and shortened: a fragment comes from another repository and is as hostile as one.
#[derive(Debug, thiserror::Error)]
pub enum FragmentError {
    #[error("cannot read {0}")]
    Read(#[from] crate::safe_io::SafeIoError),
    #[error("{source_name}: not a borderline graph fragment (`graph --format json`): {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error(
        "{source_name}: graph format version {version} is not supported (this borderline reads version {GRAPH_FORMAT_VERSION})"
    )]
    Version {
        source_name: String,
        version: String,
    },
}

/// Text from a fragment, fit to quote in a message: no terminal controls or line breaks, and at
/// most about 240 characters (the start and the end, where serde_json puts the line and column).
fn quoted(text: &str) -> String {
    let count = text.chars().count();
    let shown = if count > 240 {
        let head: String = text.chars().take(160).collect();
        let tail: String = text.chars().skip(count - 60).collect();
        format!("{head}…{tail}")
    } else {
        text.to_string()
    };
    crate::report::sanitize_for_terminal(&shown).replace(['\n', '\t'], " ")
}

impl Fragment {
    /// Reads and parses the fragment file at `path`: a regular file (no symlink followed, no FIFO or
    /// device), at most [`MAX_FRAGMENT_BYTES`], UTF-8.
    pub fn read(path: &std::path::Path) -> Result<Fragment, FragmentError> {
        let working_directory = std::env::current_dir().unwrap_or_default();
        let text = crate::safe_io::read_text(path, &[&working_directory], MAX_FRAGMENT_BYTES)?;
        Fragment::parse(&path.display().to_string(), &text)
    }

    pub fn parse(source: &str, text: &str) -> Result<Fragment, FragmentError> {
        let view: GraphView = serde_json::from_str(text).map_err(|e| FragmentError::Parse {
            source_name: source.to_string(),
            message: quoted(&e.to_string()),
        })?;
        if view.version != GRAPH_FORMAT_VERSION {
            return Err(FragmentError::Version {
                source_name: source.to_string(),
                version: quoted(&view.version),
            });
        }
        Ok(Fragment {
            source: source.to_string(),
            view,
        })
    }
}

/// The joined map, evaluated, with the conflicts found on the way.
#[derive(Debug)]
pub struct Merged {
    pub model: Model,
    pub evaluation: Evaluation,
    pub warnings: Vec<String>,
    /// Where each node is defined and the module calls that create it, as the first fragment
    /// naming the node gives them: a fragment holds positions, not the files spans point into.
    pub positions: BTreeMap<String, (Option<Position>, Vec<Position>)>,
}

impl Merged {
    /// The joined map, with each node's `defined_at` and `via` as its fragment gave them.
    pub fn view(&self, rules: &RuleSet) -> GraphView {
        let mut view = GraphView::build(&self.model, &self.evaluation, rules);
        for node in &mut view.nodes {
            if let Some((defined_at, via)) = self.positions.get(&node.id) {
                if node.defined_at.is_none() {
                    node.defined_at = defined_at.clone();
                }
                if node.via.is_empty() {
                    node.via = via.clone();
                }
            }
        }
        view
    }
}

fn safeguard(graph: &GraphSafeguard) -> Option<Safeguard> {
    Some(Safeguard {
        mechanism: MechanismKind::parse(&graph.mechanism)?,
        version: graph.version.clone(),
        module: graph.module,
        reference: graph.reference.clone(),
        signed: graph.signed.as_deref().and_then(|d| Date::parse(d).ok()),
        expires: graph.expires.as_deref().and_then(|d| Date::parse(d).ok()),
        tia: graph.tia.clone(),
        derogation: graph.derogation.clone(),
        span: None,
    })
}

fn data(keys: &[String]) -> Vec<DataRef> {
    keys.iter()
        .map(|key| DataRef {
            key: key.clone(),
            span: None,
        })
        .collect()
}

fn node_fact(node: &GraphNode) -> NodeFact {
    let mut fact = NodeFact::new(node.id.clone(), Origin::Manifest);
    fact.kind = NodeKind::parse(&node.kind);
    fact.label = node.label.clone();
    fact.location = node.location.as_ref().map(|l| LocatedAt {
        location: Location::parse(l),
        span: None,
        unresolved_reason: None,
    });
    fact.data = data(&node.data);
    fact.domains = node.domains.clone();
    fact.certifications = node.certifications.clone();
    fact.personal_data = node.personal_data;
    fact.safeguard = node.safeguard.as_ref().and_then(safeguard);
    fact.provider = node.provider.clone();
    fact
}

/// Facts of one node that must agree across fragments.
fn conflicts(first: &GraphNode, other: &GraphNode) -> Vec<String> {
    let mut out = Vec::new();
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    // A fragment that does not know a node's location is not in conflict with one that does.
    if first.location.is_some() && other.location.is_some() && first.location != other.location {
        out.push(format!(
            "location `{}` vs `{}`",
            show(&first.location),
            show(&other.location)
        ));
    }
    if first.kind != other.kind {
        out.push(format!("kind `{}` vs `{}`", first.kind, other.kind));
    }
    if first.safeguard.is_some() && other.safeguard.is_some() && first.safeguard != other.safeguard
    {
        out.push("different safeguards".into());
    }
    out
}

/// Joins fragments, in the order given, and evaluates the result on `date`.
pub fn merge(fragments: &[Fragment], rules: &RuleSet, date: Date) -> Merged {
    let mut warnings = Vec::new();
    let mut first_seen: BTreeMap<&str, (&GraphNode, &str)> = BTreeMap::new();
    let mut positions = BTreeMap::new();
    let mut facts = Facts::default();
    for fragment in fragments {
        for node in &fragment.view.nodes {
            match first_seen.get(node.id.as_str()) {
                Some((first, source)) => {
                    for conflict in conflicts(first, node) {
                        warnings.push(format!(
                            "node `{}`: {conflict} ({source} vs {}); keeping the first",
                            node.id, fragment.source
                        ));
                    }
                }
                None => {
                    first_seen.insert(node.id.as_str(), (node, fragment.source.as_str()));
                    positions.insert(node.id.clone(), (node.defined_at.clone(), node.via.clone()));
                }
            }
            facts.nodes.push(node_fact(node));
        }
    }
    // The same flow seen from both ends (two repositories declaring it) is one flow.
    let mut flows_seen: BTreeSet<(String, String, Vec<String>, Option<String>)> = BTreeSet::new();
    for fragment in fragments {
        for flow in &fragment.view.flows {
            let mut keys = flow.data.clone();
            keys.sort();
            if !flows_seen.insert((
                flow.from.clone(),
                flow.to.clone(),
                keys,
                flow.purpose.clone(),
            )) {
                continue;
            }
            facts.flows.push(FlowFact {
                from: Some(NodeRef {
                    id: flow.from.clone(),
                    span: None,
                }),
                to: FlowTarget::Node(NodeRef {
                    id: flow.to.clone(),
                    span: None,
                }),
                data: data(&flow.data),
                purpose: flow.purpose.clone(),
                safeguard: flow.safeguard.as_ref().and_then(safeguard),
                span: None,
                origin: Origin::Manifest,
                inferred: false,
                scope: None,
            });
        }
    }
    let project = {
        let names: BTreeSet<&str> = fragments
            .iter()
            .filter_map(|f| f.view.project.as_deref())
            .collect();
        (!names.is_empty()).then(|| names.into_iter().collect::<Vec<_>>().join(" + "))
    };
    let model = build(
        ModelInput {
            files: Files::new(),
            manifest_facts: facts,
            extracted: Facts::default(),
            policy: crate::config::Policy::default(),
            waivers: Vec::new(),
            project_name: project,
        },
        rules,
    );
    let evaluation = evaluate(&model, rules, date);
    Merged {
        model,
        evaluation,
        warnings,
        positions,
    }
}
