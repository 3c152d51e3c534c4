//! The transfer diff of a change: which transfers out of the EEA a change adds, removes, or
//! changes, read from two graph fragments (`graph --format json`: before and after). `borderline
//! diff OLD NEW` prints it; `scan --baseline-graph OLD` adds it to the scan's text, JSON and
//! Markdown, with the scan's own map as the after side.
//!
//! A transfer is keyed by (from, to): the flows between one pair (`a->b`, `a->b#2`) are compared
//! as a set, and a store that holds data outside the EEA with no flow into it (data at rest) is a
//! transfer from no one to the store. A pair that was internal (every flow `none`) and became a
//! transfer is added, and the diff says which node moved from which country; one that stopped
//! being a transfer is removed. A transfer on both sides is changed when its verdict (`lawful` or
//! `finding`), its basis, the rules of its findings, its data categories, the countries of its
//! ends, or its safeguard differ. A change is *worse* when it brings a finding rule the transfer
//! did not have (an added transfer with findings, a lawful one that now violates, a new rule on a
//! violating one): the CLI's exit code reads it.
//!
//! Every string of both fragments comes from a scanned repository (a pull request from a fork can
//! write the after side): each renderer makes it inert for its sink.

use super::graph::{mermaid_escape, short_category};
use super::neutral::{markdown_cell, terminal_inline, terminal_output};
use crate::model::JurisdictionStatus;
use crate::model::fragment::{GraphSafeguard, GraphView, Position};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The version of the diff's JSON shape; bumped when a field changes meaning or disappears.
pub const DIFF_FORMAT_VERSION: &str = "1";

/// One side of the diff, as the reports name it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DiffSide {
    /// The fragment's path as given, or what the scan read (`scan --baseline-graph`).
    pub source: String,
    pub project: Option<String>,
    pub evaluation_date: Option<String>,
}

impl DiffSide {
    pub fn of(source: &str, view: &GraphView) -> DiffSide {
        DiffSide {
            source: source.to_string(),
            project: view.project.clone(),
            evaluation_date: view.evaluation_date.clone(),
        }
    }
}

/// A transfer (or an internal pair) on one side: what the flows of one (from, to) pair say
/// together, or what a store at rest says.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TransferState {
    /// The flow ids of the pair (`a->b`, `a->b#2`); empty for data at rest.
    pub flows: Vec<String>,
    /// `none` (internal), `lawful` or `finding`: the worst of its flows.
    pub transfer: String,
    /// The bases its flows rest on (`scc`, `adequacy (...)`), sorted.
    pub basis: Vec<String>,
    /// The rules of its findings, sorted.
    pub findings: Vec<String>,
    /// The rules of its findings a waiver accepts, sorted (a waived transfer is still no
    /// `lawful` one).
    pub waived: Vec<String>,
    /// The data categories it carries, sorted.
    pub data: Vec<String>,
    /// The countries of the source; empty for data at rest or when unknown.
    pub from_countries: Vec<String>,
    /// The countries of the destination; empty when unknown.
    pub to_countries: Vec<String>,
    /// The safeguards written for it, one line each (`scc 2021/914 module 2, ref DPA-7`).
    pub safeguards: Vec<String>,
    /// Where its first flow (or the store) is written, relative to that side's scanned root.
    pub location: Option<Position>,
}

impl TransferState {
    fn is_transfer(&self) -> bool {
        self.transfer != "none"
    }
}

/// What happened to one transfer.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One transfer that differs between the two sides.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TransferChange {
    pub change: ChangeKind,
    /// `None` for data at rest in a store.
    pub from: Option<String>,
    pub to: String,
    /// A finding rule it did not have before: it fails `diff` (and `--fail-on worse`).
    pub worse: bool,
    /// What differs: `transfer`, `basis`, `findings`, `data`, `countries`, `safeguard` (for a
    /// changed transfer), `countries` (for one that became or stopped being a transfer because a
    /// node moved).
    pub differences: Vec<&'static str>,
    /// Why, one sentence each, for people.
    pub why: Vec<String>,
    /// The pair before: absent when it had no flow; `transfer: none` when it was internal.
    pub before: Option<TransferState>,
    /// The pair after, likewise.
    pub after: Option<TransferState>,
}

impl TransferChange {
    /// The side on which it is a transfer: before for a removed one (which may be internal now),
    /// after for the others.
    fn current(&self) -> Option<&TransferState> {
        match self.change {
            ChangeKind::Removed => self.before.as_ref().or(self.after.as_ref()),
            _ => self.after.as_ref().or(self.before.as_ref()),
        }
    }

    /// Whether the transfer now has findings.
    fn violates(&self) -> bool {
        self.after
            .as_ref()
            .is_some_and(|state| state.transfer == "finding")
    }
}

/// Counts of a diff.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct DiffSummary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Added or changed transfers that got a finding rule they did not have.
    pub worse: usize,
    /// Transfers on both sides that did not change.
    pub unchanged: usize,
}

/// The transfer diff of two maps.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TransferDiff {
    pub version: &'static str,
    pub old: DiffSide,
    pub new: DiffSide,
    pub summary: DiffSummary,
    /// Sorted by (from, to); data at rest (no `from`) first.
    pub changes: Vec<TransferChange>,
}

type PairKey = (Option<String>, String);

/// How bad a flow's transfer status is, to keep the worst of a pair's flows.
fn rank(transfer: &str) -> u8 {
    match transfer {
        "none" => 0,
        "lawful" => 1,
        _ => 2,
    }
}

/// `scc 2021/914 module 2, ref DPA-7, signed 2025-03-14, tia docs/tia.md`: a safeguard on one line.
pub fn safeguard_line(safeguard: &GraphSafeguard) -> String {
    let mut parts = vec![safeguard.mechanism.clone()];
    if let Some(version) = &safeguard.version {
        parts[0] = format!("{} {version}", safeguard.mechanism);
    }
    if let Some(module) = safeguard.module {
        parts[0] = format!("{} module {module}", parts[0]);
    }
    let mut push = |label: &str, value: &Option<String>| {
        if let Some(value) = value {
            parts.push(format!("{label} {value}"));
        }
    };
    push("ref", &safeguard.reference);
    push("signed", &safeguard.signed);
    push("expires", &safeguard.expires);
    push("tia", &safeguard.tia);
    push("derogation", &safeguard.derogation);
    parts.join(", ")
}

/// Every (from, to) pair of a map, transfer or not, and every store at rest outside the EEA.
fn states(view: &GraphView) -> BTreeMap<PairKey, TransferState> {
    let countries: BTreeMap<&str, &Vec<String>> = view
        .nodes
        .iter()
        .map(|node| (node.id.as_str(), &node.countries))
        .collect();
    let countries_of = |id: &str| countries.get(id).map(|c| (*c).clone()).unwrap_or_default();
    let mut by_pair: BTreeMap<PairKey, Vec<&crate::model::fragment::GraphFlow>> = BTreeMap::new();
    for flow in &view.flows {
        by_pair
            .entry((Some(flow.from.clone()), flow.to.clone()))
            .or_default()
            .push(flow);
    }
    let waived = waived_rules(view);
    let waived_of = |key: &PairKey| -> Vec<String> {
        waived
            .get(key)
            .map(|rules| rules.iter().cloned().collect())
            .unwrap_or_default()
    };
    let mut out = BTreeMap::new();
    for ((from, to), flows) in by_pair {
        let worst = flows.iter().map(|f| rank(&f.transfer)).max().unwrap_or(0);
        // A pair that is a transfer is described by its transferring flows; an internal pair by
        // all of them.
        let counted: Vec<_> = flows
            .iter()
            .filter(|f| worst == 0 || rank(&f.transfer) > 0)
            .collect();
        let mut basis = BTreeSet::new();
        let mut findings = BTreeSet::new();
        let mut data = BTreeSet::new();
        let mut safeguards = BTreeSet::new();
        for flow in &counted {
            // The map's short basis (`DPF`, `SCC 2021/914 M2`, `none`); older fragments have only
            // the lawful transfers' long one.
            basis.extend(flow.legal_basis.clone().or_else(|| flow.basis.clone()));
            findings.extend(flow.findings.iter().map(|f| f.rule.clone()));
            data.extend(flow.data.iter().cloned());
            safeguards.extend(flow.safeguard.as_ref().map(safeguard_line));
        }
        let transfer = flows
            .iter()
            .map(|f| f.transfer.as_str())
            .max_by_key(|t| rank(t))
            .unwrap_or("none");
        let from_countries = from.as_deref().map(&countries_of).unwrap_or_default();
        let key = (from, to.clone());
        let waived = if worst > 0 {
            waived_of(&key)
        } else {
            Vec::new()
        };
        out.insert(
            key,
            TransferState {
                flows: flows.iter().map(|f| f.id.clone()).collect(),
                transfer: transfer.to_string(),
                basis: basis.into_iter().collect(),
                findings: findings.into_iter().collect(),
                waived,
                data: data.into_iter().collect(),
                from_countries,
                to_countries: countries_of(&to),
                safeguards: safeguards.into_iter().collect(),
                location: counted.first().and_then(|f| f.location.clone()),
            },
        );
    }
    store_states(view, &waived_of, &mut out);
    out
}

/// The waived findings of the scan that wrote the map, by pair: a waived transfer has no finding
/// on its flow, and a waiver that lapses is a change worth seeing.
fn waived_rules(view: &GraphView) -> BTreeMap<PairKey, BTreeSet<String>> {
    let mut waived: BTreeMap<PairKey, BTreeSet<String>> = BTreeMap::new();
    for finding in view.judgement.iter().flat_map(|j| &j.findings) {
        if let (Some(_), Some(to)) = (&finding.waived, &finding.to) {
            waived
                .entry((finding.from.clone(), to.clone()))
                .or_default()
                .insert(finding.rule.clone());
        }
    }
    waived
}

/// A store with no flow into it that holds personal data at a known place: outside the EEA it is
/// itself a transfer (SPEC §6), inside it an internal "pair" a move can make a transfer.
fn store_states(
    view: &GraphView,
    waived_of: &dyn Fn(&PairKey) -> Vec<String>,
    out: &mut BTreeMap<PairKey, TransferState>,
) {
    let receiving: BTreeSet<&str> = view.flows.iter().map(|f| f.to.as_str()).collect();
    for node in &view.nodes {
        if node.kind != "store"
            || receiving.contains(node.id.as_str())
            || node.personal_data == Some(false)
            || node.jurisdiction == JurisdictionStatus::Unknown
        {
            continue;
        }
        let findings: BTreeSet<String> = node
            .findings
            .iter()
            .filter(|f| f.rule != "unknown-location")
            .map(|f| f.rule.clone())
            .collect();
        let transfer = match node.jurisdiction {
            JurisdictionStatus::Eea => "none",
            _ if findings.is_empty() => "lawful",
            _ => "finding",
        };
        let mut data = node.data.clone();
        data.sort();
        data.dedup();
        let key = (None, node.id.clone());
        let waived = if transfer == "none" {
            Vec::new()
        } else {
            waived_of(&key)
        };
        let transfer = if transfer == "lawful" && !waived.is_empty() {
            "finding"
        } else {
            transfer
        };
        out.insert(
            key,
            TransferState {
                flows: Vec::new(),
                transfer: transfer.to_string(),
                basis: Vec::new(),
                findings: findings.into_iter().collect(),
                waived,
                data,
                from_countries: Vec::new(),
                to_countries: node.countries.clone(),
                safeguards: node
                    .safeguard
                    .as_ref()
                    .map(safeguard_line)
                    .into_iter()
                    .collect(),
                location: node.defined_at.clone(),
            },
        );
    }
}

/// `DE, FR`, or `unknown`.
fn country_list(countries: &[String]) -> String {
    if countries.is_empty() {
        "unknown".into()
    } else {
        countries.join(", ")
    }
}

/// `+a, −b` of two sorted lists, or `None` when they are equal.
fn set_delta(before: &[String], after: &[String]) -> Option<(Vec<String>, Vec<String>)> {
    let old: BTreeSet<&String> = before.iter().collect();
    let new: BTreeSet<&String> = after.iter().collect();
    let added: Vec<String> = new.difference(&old).map(|s| (*s).clone()).collect();
    let removed: Vec<String> = old.difference(&new).map(|s| (*s).clone()).collect();
    (!added.is_empty() || !removed.is_empty()).then_some((added, removed))
}

fn delta_text(added: &[String], removed: &[String]) -> String {
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("+ {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("- {}", removed.join(", ")));
    }
    parts.join("; ")
}

/// The sentences saying which end of the pair moved, and where.
fn moves(key: &PairKey, before: &TransferState, after: &TransferState) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(from) = &key.0
        && before.from_countries != after.from_countries
    {
        out.push(format!(
            "{from} moved from {} to {}",
            country_list(&before.from_countries),
            country_list(&after.from_countries)
        ));
    }
    if before.to_countries != after.to_countries {
        out.push(format!(
            "{} moved from {} to {}",
            key.1,
            country_list(&before.to_countries),
            country_list(&after.to_countries)
        ));
    }
    out
}

/// The node ids of a map, looked up once per changed store rather than searched.
fn node_ids(view: &GraphView) -> BTreeSet<&str> {
    view.nodes.iter().map(|node| node.id.as_str()).collect()
}

fn or_none(list: &[String]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

/// What differs between two transfer states of one pair: (aspects, sentences).
fn differences(
    key: &PairKey,
    before: &TransferState,
    after: &TransferState,
) -> (Vec<&'static str>, Vec<String>) {
    let mut aspects = Vec::new();
    let mut why = Vec::new();
    if before.transfer != after.transfer {
        aspects.push("transfer");
        why.push(format!("verdict {} -> {}", before.transfer, after.transfer));
    }
    if before.basis != after.basis {
        aspects.push("basis");
        why.push(format!(
            "basis {} -> {}",
            or_none(&before.basis),
            or_none(&after.basis)
        ));
    }
    if let Some((added, removed)) = set_delta(&before.findings, &after.findings) {
        aspects.push("findings");
        why.push(format!("findings {}", delta_text(&added, &removed)));
    }
    if let Some((added, removed)) = set_delta(&before.waived, &after.waived) {
        aspects.push("waivers");
        why.push(format!("waived {}", delta_text(&added, &removed)));
    }
    if let Some((added, removed)) = set_delta(&before.data, &after.data) {
        aspects.push("data");
        why.push(format!("data {}", delta_text(&added, &removed)));
    }
    let moved = moves(key, before, after);
    if !moved.is_empty() {
        aspects.push("countries");
        why.extend(moved);
    }
    if before.safeguards != after.safeguards {
        aspects.push("safeguard");
        why.push(format!(
            "safeguard {} -> {}",
            or_none(&before.safeguards),
            or_none(&after.safeguards)
        ));
    }
    (aspects, why)
}

impl TransferDiff {
    /// The transfer diff from `old` to `new`; `old_source` and `new_source` name them in reports.
    pub fn between(
        old_source: &str,
        old: &GraphView,
        new_source: &str,
        new: &GraphView,
    ) -> TransferDiff {
        let before = states(old);
        let after = states(new);
        let keys: BTreeSet<&PairKey> = before.keys().chain(after.keys()).collect();
        let (old_nodes, new_nodes) = (node_ids(old), node_ids(new));
        let mut summary = DiffSummary::default();
        let mut changes = Vec::new();
        for key in keys {
            let old_state = before.get(key);
            let new_state = after.get(key);
            let was = old_state.is_some_and(TransferState::is_transfer);
            let is = new_state.is_some_and(TransferState::is_transfer);
            let (change, differences, why) = match (was, is, old_state, new_state) {
                (false, false, _, _) => continue,
                (true, true, Some(o), Some(n)) => {
                    let (aspects, why) = differences(key, o, n);
                    if aspects.is_empty() {
                        summary.unchanged += 1;
                        continue;
                    }
                    (ChangeKind::Changed, aspects, why)
                }
                // Internal on the other side: a node moved (or the data became personal).
                (false, true, Some(o), Some(n)) | (true, false, Some(o), Some(n)) => {
                    let moved = moves(key, o, n);
                    let mut why = if is {
                        vec!["was internal".to_string()]
                    } else {
                        vec!["now internal".to_string()]
                    };
                    let aspects = if moved.is_empty() {
                        vec![]
                    } else {
                        vec!["countries"]
                    };
                    why.extend(moved);
                    let kind = if is {
                        ChangeKind::Added
                    } else {
                        ChangeKind::Removed
                    };
                    (kind, aspects, why)
                }
                // Data at rest appears or goes when the store does, or when a flow into it starts
                // (then that flow is the transfer) or stops.
                (_, true, _, _) => (
                    ChangeKind::Added,
                    vec![],
                    vec![match (&key.0, old_nodes.contains(key.1.as_str())) {
                        (Some(_), _) => "new flow".to_string(),
                        (None, true) => "no flow reaches the store any more".to_string(),
                        (None, false) => "new store".to_string(),
                    }],
                ),
                _ => (
                    ChangeKind::Removed,
                    vec![],
                    vec![match (&key.0, new_nodes.contains(key.1.as_str())) {
                        (Some(_), _) => "the flow is gone".to_string(),
                        (None, true) => {
                            "a flow into the store carries the transfer now".to_string()
                        }
                        (None, false) => "the store is gone".to_string(),
                    }],
                ),
            };
            let old_rules: BTreeSet<&String> = old_state
                .filter(|s| s.is_transfer())
                .map(|s| s.findings.iter().collect())
                .unwrap_or_default();
            let old_rank = old_state.map_or(0, |s| rank(&s.transfer));
            // A new rule among its findings, or a verdict that went from lawful (or internal) to
            // one without a valid basis.
            let worse = change != ChangeKind::Removed
                && new_state.is_some_and(|n| {
                    n.findings.iter().any(|r| !old_rules.contains(r))
                        || (rank(&n.transfer) == 2 && old_rank < 2 && n.waived.is_empty())
                });
            match change {
                ChangeKind::Added => summary.added += 1,
                ChangeKind::Removed => summary.removed += 1,
                ChangeKind::Changed => summary.changed += 1,
            }
            if worse {
                summary.worse += 1;
            }
            changes.push(TransferChange {
                change,
                from: key.0.clone(),
                to: key.1.clone(),
                worse,
                differences,
                why,
                before: old_state.cloned(),
                after: new_state.cloned(),
            });
        }
        TransferDiff {
            version: DIFF_FORMAT_VERSION,
            old: DiffSide::of(old_source, old),
            new: DiffSide::of(new_source, new),
            summary,
            changes,
        }
    }

    /// A warning when the two maps name different projects: a base map of another repository (or
    /// directory) makes every transfer look added or removed.
    pub fn project_mismatch(&self) -> Option<String> {
        match (&self.old.project, &self.new.project) {
            (Some(old), Some(new)) if old != new => Some(format!(
                "{} is a map of the project `{old}` and {} of `{new}`: every transfer of one shows as removed or added",
                self.old.source, self.new.source
            )),
            _ => None,
        }
    }

    /// Whether any transfer was added (whatever its verdict).
    pub fn added_any(&self) -> bool {
        self.summary.added > 0
    }

    /// Whether any transfer was added with, or changed to, a finding rule it did not have.
    pub fn worse_any(&self) -> bool {
        self.summary.worse > 0
    }

    /// `2 added (1 worse), 1 removed, 3 changed, 20 unchanged`, or `no transfer changed (...)`.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        if self.changes.is_empty() {
            return format!("no transfer changed ({} unchanged)", s.unchanged);
        }
        let worse = if s.worse > 0 {
            format!("; {} with new findings", s.worse)
        } else {
            String::new()
        };
        format!(
            "{} added, {} removed, {} changed, {} unchanged{worse}",
            s.added, s.removed, s.changed, s.unchanged
        )
    }

    /// Pretty JSON ending in a newline, with the same care for unsafe characters as the reports.
    pub fn to_json(&self) -> String {
        super::json::to_pretty_string(self)
    }

    /// The terse text: one line per changed transfer (`FILE:LINE:COL: added: a (DE) -> b (US):
    /// ...`), the reasons under it as `= ` notes, then the summary line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for change in &self.changes {
            out.push_str(&text_line(change));
            out.push('\n');
            for why in &change.why {
                out.push_str(&format!("  = {}\n", terminal_inline(why)));
            }
        }
        out.push_str(&format!(
            "transfer diff {} -> {}: {}\n",
            terminal_inline(&self.old.source),
            terminal_inline(&self.new.source),
            self.summary_line()
        ));
        terminal_output(&out)
    }

    /// The Markdown section: `heading` (`### Transfer changes`), the summary, a table of the
    /// changes and a Mermaid map of only the changed edges.
    pub fn to_markdown(&self, heading: &str) -> String {
        let mut out = format!("{heading}\n\n");
        out.push_str(&format!(
            "{} → {}: {}.\n",
            markdown_cell(&self.old.source),
            markdown_cell(&self.new.source),
            self.summary_line()
        ));
        if self.changes.is_empty() {
            return out;
        }
        out.push_str(
            "\n| change | from → to | countries | basis before → after | data |\n|---|---|---|---|---|\n",
        );
        let listed = self.first(MAX_ROWS);
        for change in &listed {
            out.push_str(&markdown_row(change));
        }
        if listed.len() < self.changes.len() {
            out.push_str(&format!(
                "\n{} more changes are not listed here; the JSON output lists every one.\n",
                self.changes.len() - listed.len()
            ));
        }
        let drawn = self.first(MAX_DRAWN);
        out.push_str("\n```mermaid\n");
        out.push_str(&mermaid(&drawn));
        out.push_str("```\n");
        if drawn.len() < self.changes.len() {
            out.push_str(&format!(
                "\nThe map draws the first {} changes (those with new findings first).\n",
                drawn.len()
            ));
        }
        out
    }

    /// At most `count` changes, those with new findings first, each group in the diff's order:
    /// what a reviewer must see is never cut for what they may.
    fn first(&self, count: usize) -> Vec<&TransferChange> {
        let worse = self.changes.iter().filter(|c| c.worse);
        let rest = self.changes.iter().filter(|c| !c.worse);
        worse.chain(rest).take(count).collect()
    }

    /// Mermaid `flowchart LR` of only the changed edges: added green, removed grey and dashed,
    /// changed orange, and red whatever the change when the transfer now has findings.
    pub fn to_mermaid(&self) -> String {
        mermaid(&self.changes.iter().collect::<Vec<_>>())
    }
}

/// Rows of the Markdown table at most: past them a pull-request comment is cut anyway.
const MAX_ROWS: usize = 300;
/// Edges of the Mermaid map at most: GitHub's Mermaid refuses to draw more than 500.
const MAX_DRAWN: usize = 200;

/// The Mermaid map of these changes.
fn mermaid(changes: &[&TransferChange]) -> String {
    let mut nodes: BTreeMap<&str, &[String]> = BTreeMap::new();
    let mut at_rest = false;
    for change in changes {
        let Some(state) = change.current() else {
            continue;
        };
        match &change.from {
            Some(from) => {
                nodes.entry(from).or_insert(&state.from_countries);
            }
            None => at_rest = true,
        }
        nodes.insert(&change.to, &state.to_countries);
    }
    let ids: BTreeMap<&str, String> = nodes
        .keys()
        .enumerate()
        .map(|(i, id)| (*id, format!("n{i}")))
        .collect();
    let mut out = String::from("flowchart LR\n");
    if at_rest {
        out.push_str("  rest([\"data at rest\"])\n");
    }
    for ((id, countries), generated) in nodes.iter().zip(ids.values()) {
        out.push_str(&format!(
            "  {generated}[\"{}<br/>{}\"]\n",
            mermaid_escape(id),
            mermaid_escape(&country_list(countries))
        ));
    }
    let mut styles = Vec::new();
    let mut index = 0;
    for change in changes {
        let from = match change.from.as_deref() {
            None => Some("rest"),
            Some(from) => ids.get(from).map(String::as_str),
        };
        let (Some(from), Some(to)) = (from, ids.get(change.to.as_str())) else {
            continue;
        };
        let state = change.current();
        let mut label = vec![change.change.as_str().to_string()];
        if let Some(state) = state {
            if !state.findings.is_empty() {
                label.push(state.findings.join(", "));
            }
            label.push(data_summary(&state.data));
        }
        let label = label
            .iter()
            .map(|l| mermaid_escape(l))
            .collect::<Vec<_>>()
            .join("<br/>");
        let arrow = if change.change == ChangeKind::Removed {
            "-.->"
        } else {
            "-->"
        };
        out.push_str(&format!("  {from} {arrow}|\"{label}\"| {to}\n"));
        let style = match change.change {
            _ if change.violates() => "stroke:#cc0000,stroke-width:2.5px,color:#cc0000",
            ChangeKind::Added => "stroke:#2e7d32,stroke-width:2px,color:#2e7d32",
            ChangeKind::Removed => "stroke:#999999,stroke-dasharray:5 5,color:#777777",
            ChangeKind::Changed => "stroke:#ef6c00,stroke-width:2px,color:#ef6c00",
        };
        styles.push(format!("  linkStyle {index} {style}\n"));
        index += 1;
    }
    for style in styles {
        out.push_str(&style);
    }
    out
}

/// Data categories, shortened, at most three and a count: `contact.email, name, +2 more`.
fn data_summary(data: &[String]) -> String {
    if data.is_empty() {
        return "unspecified data".into();
    }
    let mut parts: Vec<String> = data
        .iter()
        .take(3)
        .map(|d| short_category(d).to_string())
        .collect();
    if data.len() > 3 {
        parts.push(format!("+{} more", data.len() - 3));
    }
    parts.join(", ")
}

/// `lawful (scc)`, `finding: transfer-without-safeguard`, `internal`.
fn verdict_text(state: &TransferState) -> String {
    match state.transfer.as_str() {
        "none" => "internal".into(),
        "lawful" if state.basis.is_empty() => "lawful".into(),
        "lawful" => format!("lawful ({})", state.basis.join("; ")),
        _ => match (state.findings.is_empty(), state.waived.is_empty()) {
            (true, true) => "without a valid basis".into(),
            (true, false) => format!("waived: {}", state.waived.join(", ")),
            (false, true) => format!("finding: {}", state.findings.join(", ")),
            (false, false) => format!(
                "finding: {} (waived: {})",
                state.findings.join(", "),
                state.waived.join(", ")
            ),
        },
    }
}

/// `a (DE) -> b (US)`, or `data at rest -> b (US)`.
fn pair_text(change: &TransferChange) -> String {
    let state = change.current();
    let countries = |list: Option<&Vec<String>>| country_list(list.map_or(&[], |l| l.as_slice()));
    let to = format!(
        "{} ({})",
        change.to,
        countries(state.map(|s| &s.to_countries))
    );
    match &change.from {
        Some(from) => format!(
            "{from} ({}) -> {to}",
            countries(state.map(|s| &s.from_countries))
        ),
        None => format!("data at rest -> {to}"),
    }
}

/// One terse line: where, what happened, the pair, the verdict (before and after when it changed).
fn text_line(change: &TransferChange) -> String {
    // A removed transfer was written in the old tree: its place is a note, not the line's head,
    // where a reader would look for it in the new tree.
    let place = change
        .current()
        .and_then(|s| s.location.as_ref())
        .map(|p| format!("{}:{}:{}", p.file, p.line, p.column));
    let (head, tail) = match place {
        Some(place) if change.change == ChangeKind::Removed => {
            (String::new(), format!(" (was at {place})"))
        }
        Some(place) => (format!("{place}: "), String::new()),
        None => (String::new(), String::new()),
    };
    let kind = if change.worse {
        format!("{} (worse)", change.change.as_str())
    } else {
        change.change.as_str().to_string()
    };
    let verdict = match (&change.change, &change.before, &change.after) {
        (ChangeKind::Removed, Some(before), _) => format!("was {}", verdict_text(before)),
        (ChangeKind::Changed, Some(before), Some(after))
            if verdict_text(before) != verdict_text(after) =>
        {
            format!("{} -> {}", verdict_text(before), verdict_text(after))
        }
        (_, _, Some(after)) => verdict_text(after),
        _ => String::new(),
    };
    let data = change
        .current()
        .map(|s| data_summary(&s.data))
        .unwrap_or_default();
    terminal_inline(&format!(
        "{head}{kind}: {}: {verdict}; data {data}{tail}",
        pair_text(change)
    ))
}

/// `scc -> none` with the finding rules of the after side: the basis column of the table.
fn basis_cell(change: &TransferChange) -> String {
    let side = |state: Option<&TransferState>| match state {
        None => "—".to_string(),
        Some(s) if !s.is_transfer() => "internal".to_string(),
        Some(s) if !s.basis.is_empty() => s.basis.join("; "),
        Some(s) if s.transfer == "lawful" => "lawful".to_string(),
        Some(_) => "none".to_string(),
    };
    let (before, after) = (side(change.before.as_ref()), side(change.after.as_ref()));
    let mut text = if before == after {
        format!("{after} (unchanged)")
    } else {
        format!("{before} → {after}")
    };
    if let Some(after) = &change.after
        && !after.findings.is_empty()
    {
        text.push_str(&format!(" ({})", after.findings.join(", ")));
    }
    text
}

/// One row of the Markdown table; every repository string through [`markdown_cell`].
fn markdown_row(change: &TransferChange) -> String {
    let icon = match change.change {
        _ if change.violates() => "🔴",
        ChangeKind::Added => "🟢",
        ChangeKind::Removed => "⚪",
        ChangeKind::Changed => "🟠",
    };
    let state = change.current();
    let from = change
        .from
        .as_deref()
        .map_or("data at rest".to_string(), markdown_cell);
    let countries = |pick: fn(&TransferState) -> &Vec<String>| {
        state.map(|s| country_list(pick(s))).unwrap_or_default()
    };
    let countries = match &change.from {
        Some(_) => format!(
            "{} → {}",
            markdown_cell(&countries(|s| &s.from_countries)),
            markdown_cell(&countries(|s| &s.to_countries))
        ),
        None => markdown_cell(&countries(|s| &s.to_countries)),
    };
    let data = state.map(|s| data_summary(&s.data)).unwrap_or_default();
    let mut what = change.change.as_str().to_string();
    if !change.why.is_empty() {
        what = format!("{what}: {}", change.why.join("; "));
    }
    format!(
        "| {icon} {} | {from} → {} | {countries} | {} | {} |\n",
        markdown_cell(&what),
        markdown_cell(&change.to),
        markdown_cell(&basis_cell(change)),
        markdown_cell(&data)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map of `web` (DE) sending to `vendor` (US) through the flows given as JSON values.
    fn map(flows: serde_json::Value, judgement: serde_json::Value) -> GraphView {
        let value = serde_json::json!({
            "version": "1",
            "nodes": [
                {"id": "web", "kind": "service", "countries": ["DE"], "jurisdiction": "eea"},
                {"id": "vendor", "kind": "vendor", "countries": ["US"], "jurisdiction": "third-country"},
            ],
            "flows": flows,
            "judgement": {"findings": judgement},
        });
        serde_json::from_value(value).unwrap_or_else(|e| panic!("not a map: {e}"))
    }

    fn flow(id: &str, transfer: &str, rules: &[&str], line: u32) -> serde_json::Value {
        let findings: Vec<serde_json::Value> = rules
            .iter()
            .map(|rule| {
                serde_json::json!({"rule": rule, "severity": "error", "message": "m", "fingerprint": "f"})
            })
            .collect();
        serde_json::json!({
            "id": id, "from": "web", "to": "vendor", "data": ["user.name"], "transfer": transfer,
            "basis": if transfer == "lawful" { Some("scc") } else { None },
            "findings": findings, "location": {"file": "borderline.toml", "line": line, "column": 1},
        })
    }

    #[test]
    fn the_flows_of_one_pair_are_compared_as_a_set() {
        let old = map(
            serde_json::json!([
                flow("web->vendor", "lawful", &[], 3),
                flow("web->vendor#2", "lawful", &[], 9)
            ]),
            serde_json::json!([]),
        );
        // The second flow loses its basis; the first moved down a line, which is no change.
        let new = map(
            serde_json::json!([
                flow("web->vendor", "lawful", &[], 4),
                flow(
                    "web->vendor#2",
                    "finding",
                    &["transfer-without-safeguard"],
                    10
                )
            ]),
            serde_json::json!([]),
        );
        let diff = TransferDiff::between("old", &old, "new", &new);
        assert_eq!(diff.changes.len(), 1, "{diff:#?}");
        let change = &diff.changes[0];
        assert_eq!(change.change, ChangeKind::Changed);
        assert!(change.worse);
        assert_eq!(change.differences, vec!["transfer", "findings"]);
        assert_eq!(
            change.why,
            vec![
                "verdict lawful -> finding".to_string(),
                "findings + transfer-without-safeguard".to_string()
            ]
        );
        let moved_only = map(
            serde_json::json!([
                flow("web->vendor", "lawful", &[], 30),
                flow("web->vendor#2", "lawful", &[], 90)
            ]),
            serde_json::json!([]),
        );
        let same = TransferDiff::between("old", &old, "new", &moved_only);
        assert!(same.changes.is_empty(), "{same:#?}");
        assert_eq!(same.summary.unchanged, 1);
    }

    #[test]
    fn a_lapsed_waiver_is_a_worse_change() {
        let waived = serde_json::json!([{
            "rule": "transfer-without-safeguard", "severity": "error", "message": "m",
            "from": "web", "to": "vendor", "fingerprint": "f", "waived": "pilot until June",
        }]);
        let old = map(
            serde_json::json!([flow("web->vendor", "finding", &[], 3)]),
            waived,
        );
        let new = map(
            serde_json::json!([flow(
                "web->vendor",
                "finding",
                &["transfer-without-safeguard"],
                3
            )]),
            serde_json::json!([]),
        );
        let diff = TransferDiff::between("old", &old, "new", &new);
        let change = &diff.changes[0];
        assert_eq!(change.differences, vec!["findings", "waivers"]);
        assert!(change.worse, "{change:#?}");
        assert_eq!(
            change.before.as_ref().map(verdict_text).as_deref(),
            Some("waived: transfer-without-safeguard")
        );
        // The other way round, a waiver accepts the finding: a change, not a worse one.
        let back = TransferDiff::between("new", &new, "old", &old);
        assert!(!back.changes[0].worse);
        assert!(!back.worse_any());
    }
}
