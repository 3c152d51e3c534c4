//! Transfers: which flows take home data out of the EEA, and the Chapter V basis each one has.
//!
//! This is the one place that reads adequacy decisions, mechanisms and the policy together; the
//! checks only turn its verdicts into findings.

use crate::date::Date;
use crate::facts::{DataRef, MechanismKind, Safeguard};
use crate::model::{Model, Node};
use crate::policy::{Policy, SpecialCategoryPolicy};
use crate::rules::{ConditionKind, RuleSet, Standing};
use crate::source::Span;
use std::collections::{BTreeSet, VecDeque};

/// Where the safeguard a transfer relies on was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SafeguardSource {
    Flow,
    Recipient,
}

/// The Chapter V basis of a transfer, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every destination country has an adequacy decision in force whose scope the recipient meets.
    Adequate { decisions: Vec<String> },
    /// A valid, approved Art. 46/47 safeguard or an Art. 49 derogation.
    Safeguarded { mechanism: MechanismKind },
    /// No adequacy and no valid safeguard.
    NoBasis { reason: String },
    /// An adequacy decision exists, but the recipient is outside its scope.
    ScopeNotMet {
        country: String,
        decision: String,
        condition: String,
    },
    /// The safeguard or adequacy decision relied on is not valid on the evaluation date.
    Expired { what: String, span: Option<Span> },
    /// The policy does not approve the mechanism relied on.
    Unapproved {
        mechanism: MechanismKind,
        span: Option<Span>,
    },
}

/// A transfer or onward transfer, with its assessment.
#[derive(Clone, Debug)]
pub struct Transfer {
    /// Index into `model.flows`; `None` for a store that holds data outside the EEA with no flow into it.
    pub flow: Option<usize>,
    pub from: Option<String>,
    pub to: String,
    pub onward: bool,
    /// Destination countries outside the EEA.
    pub third_countries: Vec<String>,
    /// The categories it carries (the flow's own, else what its source holds); empty when unknown.
    pub data: Vec<DataRef>,
    /// Art. 9/10 categories among `data`, with their article.
    pub special: Vec<(String, String)>,
    pub span: Option<Span>,
    pub verdict: Verdict,
    pub safeguard: Option<(Safeguard, SafeguardSource)>,
    /// Scope conditions the verdict assumes but cannot check, and unverified rule data it relies on.
    pub assumptions: Vec<String>,
    pub missing_tia: bool,
    pub derogation: Option<String>,
    /// Node ids from the first EEA node to the recipient.
    pub path: Vec<String>,
    /// The deployment variants the transfer is found in, sorted; empty when it is in every
    /// variant (or there are none). Set by the scan, which evaluates each variant.
    pub variants: Vec<String>,
}

/// Everything a check needs.
#[derive(Debug)]
pub struct Context<'a> {
    pub model: &'a Model,
    pub rules: &'a RuleSet,
    pub date: Date,
    pub transfers: Vec<Transfer>,
}

impl<'a> Context<'a> {
    pub fn new(model: &'a Model, rules: &'a RuleSet, date: Date) -> Context<'a> {
        let transfers = find_transfers(model, rules, date);
        Context {
            model,
            rules,
            date,
            transfers,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.model.policy
    }

    pub fn node(&self, id: &str) -> Option<&'a Node> {
        self.model.node(id)
    }
}

/// True when the flow's data is personal: unknown categories count as personal unless the destination says otherwise.
pub fn carries_personal_data(data: &[DataRef], destination: &Node, rules: &RuleSet) -> bool {
    if destination.receives_no_personal_data() {
        return false;
    }
    data.is_empty() || data.iter().any(|d| rules.is_personal_category(&d.key))
}

/// The categories a flow carries: its own, or else everything its source holds. An inferred flow
/// (a URL passed to a client in code) carries only what the call visibly sends: without that it
/// carries unknown data (no categories, which counts as personal and is shown as unknown), never
/// every category of its service, which would make a status ping carry the health records.
pub fn effective_data(model: &Model, flow_index: usize) -> &[DataRef] {
    let flow = &model.flows[flow_index];
    if !flow.data.is_empty() || flow.inferred {
        return &flow.data;
    }
    model.node(&flow.from).map_or(&[], |n| n.data.as_slice())
}

fn special_categories(data: &[DataRef], rules: &RuleSet) -> Vec<(String, String)> {
    let mut special: Vec<(String, String)> = data
        .iter()
        .filter_map(|d| {
            rules
                .special_category(&d.key)
                .map(|s| (d.key.clone(), s.article.to_string()))
        })
        .collect();
    special.sort();
    special.dedup();
    special
}

fn find_transfers(model: &Model, rules: &RuleSet, date: Date) -> Vec<Transfer> {
    let holds_home_data = nodes_holding_home_data(model, rules);
    let routes = Routes::new(model, rules);
    let mut transfers = Vec::new();
    let mut has_personal_inflow: BTreeSet<&str> = BTreeSet::new();
    for (index, flow) in model.flows.iter().enumerate() {
        let (Some(source), Some(destination)) = (model.node(&flow.from), model.node(&flow.to))
        else {
            continue;
        };
        let data = effective_data(model, index);
        if !carries_personal_data(data, destination, rules) {
            continue;
        }
        has_personal_inflow.insert(destination.id.as_str());
        if !destination.resolved.is_known() || destination.resolved.inside_eea(rules) {
            continue;
        }
        let third_countries = destination.resolved.third_countries(rules);
        if third_countries.is_empty() {
            continue;
        }
        let source_in_home = source.resolved.inside_eea(rules) || !source.resolved.is_known();
        let onward = if source_in_home {
            false
        } else if holds_home_data.contains(source.id.as_str()) {
            let same_countries = source.resolved.third_countries(rules) == third_countries;
            let other_organisation = destination.kind == crate::facts::NodeKind::Vendor;
            if same_countries && !other_organisation {
                continue;
            }
            true
        } else {
            continue;
        };
        let safeguard = flow
            .safeguard
            .clone()
            .map(|s| (s, SafeguardSource::Flow))
            .or_else(|| {
                destination
                    .safeguard
                    .clone()
                    .map(|s| (s, SafeguardSource::Recipient))
            });
        let mut transfer = Transfer {
            flow: Some(index),
            from: Some(source.id.clone()),
            to: destination.id.clone(),
            onward,
            special: special_categories(data, rules),
            data: data.to_vec(),
            span: flow.span,
            verdict: Verdict::NoBasis {
                reason: String::new(),
            },
            safeguard,
            third_countries,
            assumptions: Vec::new(),
            missing_tia: false,
            derogation: None,
            path: routes.path(model, &source.id, &destination.id),
            variants: Vec::new(),
        };
        assess(&mut transfer, destination, &model.policy, rules, date);
        transfers.push(transfer);
    }
    // A store that holds personal data outside the EEA, with no flow into it, is itself a transfer
    // to its hosting provider: the organisation put the data there.
    for node in &model.nodes {
        if node.kind != crate::facts::NodeKind::Store
            || has_personal_inflow.contains(node.id.as_str())
            || !carries_personal_data(&node.data, node, rules)
            || !node.resolved.is_known()
            || node.resolved.inside_eea(rules)
        {
            continue;
        }
        let mut transfer = Transfer {
            flow: None,
            from: None,
            to: node.id.clone(),
            onward: false,
            third_countries: node.resolved.third_countries(rules),
            special: special_categories(&node.data, rules),
            data: node.data.clone(),
            // At what creates the store (the resource, the registry module call, the manifest
            // entry): where its region comes from and the module calls on the way are related.
            span: node.span.or(node.location.as_ref().and_then(|l| l.span)),
            verdict: Verdict::NoBasis {
                reason: String::new(),
            },
            safeguard: node
                .safeguard
                .clone()
                .map(|s| (s, SafeguardSource::Recipient)),
            assumptions: Vec::new(),
            missing_tia: false,
            derogation: None,
            path: vec![node.id.clone()],
            variants: Vec::new(),
        };
        assess(&mut transfer, node, &model.policy, rules, date);
        transfers.push(transfer);
    }
    transfers
}

/// Nodes that may hold personal data of the home jurisdiction: those in the EEA or of unknown
/// location, stores that declare personal data, and everything personal flows reach from them.
fn nodes_holding_home_data<'m>(model: &'m Model, rules: &RuleSet) -> BTreeSet<&'m str> {
    let mut holding: BTreeSet<&str> = BTreeSet::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    for node in &model.nodes {
        let home =
            node.resolved.inside_eea(rules) || !node.resolved.is_known() || !node.data.is_empty();
        if home && holding.insert(node.id.as_str()) {
            queue.push_back(node.id.as_str());
        }
    }
    while let Some(id) = queue.pop_front() {
        let Some(&index) = model.node_index.get(id) else {
            continue;
        };
        for edge in model.graph.edges(model.graph_index[index]) {
            let flow = &model.flows[*edge.weight()];
            let Some(destination) = model.node(&flow.to) else {
                continue;
            };
            if carries_personal_data(&flow.data, destination, rules)
                && holding.insert(destination.id.as_str())
            {
                queue.push_back(destination.id.as_str());
            }
        }
    }
    holding
}

/// Longest data path a finding shows, in nodes; a longer one keeps its two ends around
/// [`ELIDED`].
pub const MAX_PATH_NODES: usize = 16;
/// Stands for the hops left out of a data path longer than [`MAX_PATH_NODES`].
pub const ELIDED: &str = "...";

/// The shortest path of flows to every node from a node in the EEA (or of unknown location),
/// found once for the whole graph by a breadth-first search, so that the path of every transfer
/// costs no more than its own length however dense the graph is.
struct Routes {
    /// Node index -> the node before it on a shortest path from home (`None` for home nodes and
    /// nodes no flow from home reaches).
    previous: Vec<Option<usize>>,
    /// Node index -> how many flows it is from home, for nodes home reaches.
    distance: Vec<Option<usize>>,
    /// Node index -> the home node its shortest path starts at.
    origin: Vec<Option<usize>>,
}

impl Routes {
    fn new(model: &Model, rules: &RuleSet) -> Routes {
        let count = model.nodes.len();
        let mut distance: Vec<Option<usize>> = vec![None; count];
        let mut queue = VecDeque::new();
        // Every node home reaches, nearest first.
        let mut order = Vec::new();
        for (index, node) in model.nodes.iter().enumerate() {
            if node.resolved.inside_eea(rules) || !node.resolved.is_known() {
                distance[index] = Some(0);
                queue.push_back(index);
            }
        }
        while let Some(index) = queue.pop_front() {
            order.push(index);
            let next = distance[index].map_or(0, |d| d + 1);
            let Some(&graph_index) = model.graph_index.get(index) else {
                continue;
            };
            for edge in model.graph.edges(graph_index) {
                let Some(&to) = model.node_index.get(&model.flows[*edge.weight()].to) else {
                    continue;
                };
                if distance[to].is_none() {
                    distance[to] = Some(next);
                    queue.push_back(to);
                }
            }
        }
        // Of the nodes one hop nearer home, the one first by id: nodes are sorted by id.
        let mut previous: Vec<Option<usize>> = vec![None; count];
        for flow in &model.flows {
            let (Some(&from), Some(&to)) = (
                model.node_index.get(&flow.from),
                model.node_index.get(&flow.to),
            ) else {
                continue;
            };
            if let (Some(d_from), Some(d_to)) = (distance[from], distance[to])
                && d_to > 0
                && d_from + 1 == d_to
                && previous[to].is_none_or(|current| from < current)
            {
                previous[to] = Some(from);
            }
        }
        let mut origin: Vec<Option<usize>> = vec![None; count];
        for index in order {
            origin[index] = match previous[index] {
                Some(before) => origin[before],
                None => Some(index),
            };
        }
        Routes {
            previous,
            distance,
            origin,
        }
    }

    /// The nodes from home through `from` to `to`, at most [`MAX_PATH_NODES`] of them: a longer
    /// path keeps its first node and the hops nearest `to`, with [`ELIDED`] between.
    fn path(&self, model: &Model, from: &str, to: &str) -> Vec<String> {
        let mut reversed = vec![to, from];
        let Some(start) = model.node_index.get(from).copied() else {
            return vec![from.to_string(), to.to_string()];
        };
        // `to`, `from` and the hops before `from`: more than the cap keeps room for the marker
        // and the home node.
        let hops = self.distance.get(start).copied().flatten().unwrap_or(0);
        let elided = hops + 2 > MAX_PATH_NODES;
        let kept = if elided { MAX_PATH_NODES - 4 } else { hops };
        let mut current = start;
        for _ in 0..kept {
            let Some(index) = self.previous.get(current).copied().flatten() else {
                break;
            };
            reversed.push(model.nodes[index].id.as_str());
            current = index;
        }
        if elided && let Some(home) = self.origin.get(start).copied().flatten() {
            reversed.push(ELIDED);
            reversed.push(model.nodes[home].id.as_str());
        }
        reversed.into_iter().rev().map(str::to_string).collect()
    }
}

/// The jurisdiction group a node is drawn in, by the same logic as the checks' verdicts: a node
/// outside the EEA is drawn as adequate only when adequacy covers every one of its countries for
/// this recipient (a decision in force, whose scope the node meets, that the policy approves and
/// does not distrust); otherwise it is drawn as a third country.
pub fn drawn_jurisdiction(
    node: &Node,
    policy: &Policy,
    rules: &RuleSet,
    date: Date,
) -> crate::model::JurisdictionStatus {
    use crate::model::JurisdictionStatus;
    let status = JurisdictionStatus::of(&node.resolved, rules, date);
    if status != JurisdictionStatus::Adequate {
        return status;
    }
    let covered = node.resolved.third_countries(rules).iter().all(|country| {
        matches!(
            adequacy_for(country, node, policy, rules, date),
            AdequacyStatus::Covered { .. }
        )
    });
    if covered {
        JurisdictionStatus::Adequate
    } else {
        JurisdictionStatus::ThirdCountry
    }
}

/// What adequacy says about one destination country.
enum AdequacyStatus {
    Covered {
        decision: String,
        assumptions: Vec<String>,
    },
    ScopeNotMet {
        decision: String,
        condition: String,
    },
    Expired {
        decision: String,
        expired: String,
    },
    /// The run assumes the decision annulled (`--assume-invalid`).
    AssumedInvalid {
        decision: String,
        id: String,
    },
    Distrusted,
    NotApproved,
    None,
}

fn adequacy_for(
    country: &str,
    recipient: &Node,
    policy: &Policy,
    rules: &RuleSet,
    date: Date,
) -> AdequacyStatus {
    if policy.distrust_adequacy.iter().any(|c| c == country) {
        return AdequacyStatus::Distrusted;
    }
    // Only GDPR decisions: the UK's law-enforcement decision (LED) is no basis for these transfers.
    let decisions: Vec<_> = rules
        .adequacy_decisions(country)
        .into_iter()
        .filter(|d| d.is_gdpr())
        .collect();
    if decisions.is_empty() {
        return AdequacyStatus::None;
    }
    // Where each decision stands under the run's assumptions (`--assume-invalid`,
    // `--assume-valid`): `RuleSet::standing` is the one place they apply.
    let standings: Vec<_> = decisions
        .iter()
        .map(|d| (*d, rules.standing(d, date)))
        .collect();
    let in_force: Vec<_> = standings
        .iter()
        .filter(|(_, standing)| standing.is_in_force())
        .collect();
    if in_force.is_empty() {
        if let Some((annulled, _)) = standings
            .iter()
            .find(|(_, standing)| *standing == Standing::AssumedInvalid)
        {
            return AdequacyStatus::AssumedInvalid {
                decision: annulled.instrument.clone(),
                id: annulled.id.clone(),
            };
        }
        return match standings
            .iter()
            .find(|(_, standing)| *standing == Standing::Expired)
        {
            Some((expired, _)) => AdequacyStatus::Expired {
                decision: expired.instrument.clone(),
                expired: expired.expires.map(|e| e.to_string()).unwrap_or_default(),
            },
            None => AdequacyStatus::None,
        };
    }
    if !policy
        .approved_mechanisms
        .contains(&MechanismKind::Adequacy)
    {
        return AdequacyStatus::NotApproved;
    }
    let mut first_failure = None;
    for (decision, standing) in in_force {
        let mut assumptions = Vec::new();
        let mut unmet = None;
        if *standing == Standing::AssumedValid {
            assumptions.push(format!(
                "{} ({}) is assumed in force for this run (--assume-valid)",
                decision.instrument, decision.id
            ));
        }
        if !decision.confidence.is_verified() {
            assumptions.push(format!("{} is unverified rule data", decision.instrument));
        }
        for condition in &decision.conditions {
            match &condition.kind {
                ConditionKind::Certification(name) => match recipient.has_certification(name) {
                    Some(certification) if !certification.verified => assumptions.push(format!(
                        "`{}` holds `{name}` according to unverified rule data ({})",
                        recipient.id, certification.source
                    )),
                    Some(_) => {}
                    None => unmet = Some(condition.description.clone()),
                },
                ConditionKind::Assumed => assumptions.push(condition.description.clone()),
            }
        }
        match unmet {
            None => {
                return AdequacyStatus::Covered {
                    decision: decision.instrument.clone(),
                    assumptions,
                };
            }
            Some(condition) => {
                first_failure.get_or_insert(AdequacyStatus::ScopeNotMet {
                    decision: decision.instrument.clone(),
                    condition,
                });
            }
        }
    }
    first_failure.unwrap_or(AdequacyStatus::None)
}

fn assess(transfer: &mut Transfer, recipient: &Node, policy: &Policy, rules: &RuleSet, date: Date) {
    assess_basis(transfer, recipient, policy, rules, date);
    // Where the vendor catalogue places a recipient decides the verdict: say when that is unverified.
    let adequate = matches!(transfer.verdict, Verdict::Adequate { .. });
    transfer
        .assumptions
        .extend(crate::model::endpoint::unverified_vendor_facts(
            recipient, rules, adequate,
        ));
}

fn assess_basis(
    transfer: &mut Transfer,
    recipient: &Node,
    policy: &Policy,
    rules: &RuleSet,
    date: Date,
) {
    let statuses: Vec<(String, AdequacyStatus)> = transfer
        .third_countries
        .iter()
        .map(|country| {
            (
                country.clone(),
                adequacy_for(country, recipient, policy, rules, date),
            )
        })
        .collect();
    if statuses
        .iter()
        .all(|(_, s)| matches!(s, AdequacyStatus::Covered { .. }))
    {
        let mut decisions = Vec::new();
        for (_, status) in statuses {
            if let AdequacyStatus::Covered {
                decision,
                assumptions,
            } = status
            {
                decisions.push(decision);
                transfer.assumptions.extend(assumptions);
            }
        }
        decisions.dedup();
        transfer.verdict = Verdict::Adequate { decisions };
        return;
    }
    if let Some((safeguard, _)) = transfer.safeguard.clone()
        && safeguard.mechanism != MechanismKind::Adequacy
    {
        transfer.verdict = assess_safeguard(transfer, &safeguard, policy, rules, date);
        return;
    }
    let adequacy_span = transfer.safeguard.as_ref().and_then(|(s, _)| s.span);
    let mut verdict = None;
    for (country, status) in &statuses {
        let candidate = match status {
            AdequacyStatus::ScopeNotMet {
                decision,
                condition,
            } => Some((
                0,
                Verdict::ScopeNotMet {
                    country: country.clone(),
                    decision: decision.clone(),
                    condition: condition.clone(),
                },
            )),
            AdequacyStatus::Expired { decision, expired } => Some((
                1,
                Verdict::Expired {
                    what: format!(
                        "the adequacy decision for {country} ({decision}) expired on {expired}"
                    ),
                    span: adequacy_span,
                },
            )),
            AdequacyStatus::AssumedInvalid { decision, id } => Some((
                4,
                Verdict::NoBasis {
                    reason: format!(
                        "{decision} ({id}) is assumed annulled for this run (--assume-invalid), \
                         and {country} has no other adequacy decision in force on {date}"
                    ),
                },
            )),
            AdequacyStatus::NotApproved => Some((
                2,
                Verdict::Unapproved {
                    mechanism: MechanismKind::Adequacy,
                    span: adequacy_span,
                },
            )),
            AdequacyStatus::Distrusted => Some((
                3,
                Verdict::NoBasis {
                    reason: format!(
                        "the policy does not rely on the adequacy decision for {country} (`distrust_adequacy`)"
                    ),
                },
            )),
            AdequacyStatus::None => Some((
                4,
                Verdict::NoBasis {
                    reason: format!("{country} has no adequacy decision in force on {date}"),
                },
            )),
            AdequacyStatus::Covered { .. } => None,
        };
        if let Some((rank, candidate)) = candidate
            && verdict.as_ref().is_none_or(|(best, _)| rank < *best)
        {
            verdict = Some((rank, candidate));
        }
    }
    transfer.verdict = verdict.map(|(_, v)| v).unwrap_or(Verdict::NoBasis {
        reason: "no adequacy decision and no safeguard".into(),
    });
}

fn assess_safeguard(
    transfer: &mut Transfer,
    safeguard: &Safeguard,
    policy: &Policy,
    rules: &RuleSet,
    date: Date,
) -> Verdict {
    let kind = safeguard.mechanism;
    if !policy.approved_mechanisms.contains(&kind) {
        return Verdict::Unapproved {
            mechanism: kind,
            span: safeguard.span,
        };
    }
    let mechanism = rules.mechanism(kind.as_str());
    if let (Some(mechanism), Some(version_id)) = (mechanism, safeguard.version.as_deref())
        && let Some(version) = mechanism.versions.iter().find(|v| v.id == version_id)
    {
        if !version.transfer_tool {
            return Verdict::NoBasis {
                reason: format!(
                    "{} is not a transfer tool{}",
                    version.instrument,
                    version
                        .note
                        .as_deref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                ),
            };
        }
        if let Some(signed_before) = version.signed_before
            && safeguard
                .signed
                .is_none_or(|signed| signed >= signed_before)
        {
            return Verdict::Expired {
                what: format!(
                    "{} could only be used for contracts signed before {signed_before}{}",
                    version.instrument,
                    safeguard
                        .signed
                        .map(|s| format!("; this one was signed {s}"))
                        .unwrap_or_else(|| "; no signing date is given".into())
                ),
                span: safeguard.span,
            };
        }
        if let Some(valid_until) = version.valid_until
            && date > valid_until
        {
            return Verdict::Expired {
                what: format!(
                    "{} stopped being a valid safeguard after {valid_until}",
                    version.instrument
                ),
                span: safeguard.span,
            };
        }
        if let Some(valid_from) = version.valid_from
            && date < valid_from
        {
            return Verdict::Expired {
                what: format!("{} is usable only from {valid_from}", version.instrument),
                span: safeguard.span,
            };
        }
    }
    if let Some(expires) = safeguard.expires
        && date > expires
    {
        return Verdict::Expired {
            what: format!("the {} safeguard expired on {expires}", kind.as_str()),
            span: safeguard.span,
        };
    }
    if let Some(signed) = safeguard.signed
        && signed > date
    {
        return Verdict::Expired {
            what: format!(
                "the {} safeguard is signed {signed}, after the evaluation date {date}",
                kind.as_str()
            ),
            span: safeguard.span,
        };
    }
    if mechanism.is_some_and(|m| m.requires_reference) && safeguard.reference.is_none() {
        return Verdict::NoBasis {
            reason: format!(
                "{} need a supervisory authority's authorisation: give its `reference`",
                mechanism.map(|m| m.name.as_str()).unwrap_or(kind.as_str())
            ),
        };
    }
    if kind == MechanismKind::Derogation {
        transfer.derogation = safeguard.derogation.clone();
    }
    if policy.require_tia && mechanism.is_some_and(|m| m.requires_tia) && safeguard.tia.is_none() {
        transfer.missing_tia = true;
    }
    Verdict::Safeguarded { mechanism: kind }
}

/// True when Art. 9/10 data in this transfer breaks the policy.
pub fn special_categories_denied(transfer: &Transfer, policy: &Policy) -> bool {
    !transfer.special.is_empty() && policy.special_categories == SpecialCategoryPolicy::Deny
}
