//! `borderline explain FROM->TO`: the path the data takes, the countries, the verdict and the rule
//! data behind it, the findings on the way, and what would make each hop lawful.

use super::position;
use crate::evaluate::Evaluation;
use crate::evaluate::transfer::{Transfer, Verdict};
use crate::facts::MechanismKind;
use crate::model::{Model, Node};
use crate::rules::RuleSet;
use std::collections::{BTreeMap, VecDeque};

/// Repository (and rule-data) text on one line of the explanation: no terminal controls, no
/// hidden characters, no line break that would start a line of its own in a CI log.
fn one_line(text: &str) -> String {
    super::neutral::terminal_inline(text)
}

/// Why a flow cannot be explained.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("no node has the id `{id}`{}", .closest.as_ref().map(|c| format!("; did you mean `{c}`?")).unwrap_or_default())]
    UnknownNode { id: String, closest: Option<String> },
    #[error("no data flows from `{from}` to `{to}`, directly or through other nodes")]
    NoPath { from: String, to: String },
}

fn check_node(model: &Model, id: &str) -> Result<(), ExplainError> {
    if model.node(id).is_some() {
        return Ok(());
    }
    Err(ExplainError::UnknownNode {
        id: id.to_string(),
        closest: crate::suggest::closest_id(id, model.nodes.iter().map(|n| n.id.as_str()))
            .map(str::to_string),
    })
}

/// The shortest chain of flows from `from` to `to` (by flow index), breadth first in id order.
/// The flows leaving each node are indexed once: a scan of every flow for each node reached made
/// a model of 40,000 flows quadratic.
fn path(model: &Model, from: &str, to: &str) -> Option<Vec<usize>> {
    let mut leaving: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, flow) in model.flows.iter().enumerate() {
        leaving.entry(flow.from.as_str()).or_default().push(index);
    }
    let mut previous: BTreeMap<&str, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    while let Some(current) = queue.pop_front() {
        if current == to {
            let mut hops = Vec::new();
            let mut at = to;
            while at != from {
                let index = *previous.get(at)?;
                hops.push(index);
                at = model.flows[index].from.as_str();
            }
            hops.reverse();
            return Some(hops);
        }
        for &index in leaving.get(current).map(Vec::as_slice).unwrap_or_default() {
            let flow = &model.flows[index];
            if flow.to != from && !previous.contains_key(flow.to.as_str()) {
                previous.insert(flow.to.as_str(), index);
                queue.push_back(flow.to.as_str());
            }
        }
    }
    None
}

fn describe_node(
    node: &Node,
    policy: &crate::policy::Policy,
    rules: &RuleSet,
    evaluation: &Evaluation,
) -> String {
    // The same verdict logic as the checks: a distrusted adequacy is not shown as adequate.
    let status =
        crate::evaluate::transfer::drawn_jurisdiction(node, policy, rules, evaluation.date);
    let mut written = node
        .location
        .as_ref()
        .map(|l| format!(", declared as `{}`", l.location))
        .unwrap_or_default();
    // A vendor of the catalogue whose location a person declared: the declaration wins, and the
    // place rule data gives is shown beside it so that a reader can tell the two apart.
    let declared_location = node.location.as_ref().is_some_and(|l| l.span.is_some());
    if declared_location
        && node.origins.contains(&crate::facts::Origin::RuleData)
        && let Some(vendor) = rules.vendor(&node.id).filter(|v| v.id == node.id)
    {
        written.push_str(&format!(
            "; rule data places {} in {} (rules/vendors.toml `{}`), the declared location wins",
            vendor.name, vendor.country, vendor.id
        ));
    }
    format!(
        "{} [{}] in {} ({}{written})",
        node.id,
        node.kind.as_str(),
        node.resolved.display(),
        status.title()
    )
}

/// A verdict in words, for `explain` and `rules --impact`.
pub(super) fn verdict_text(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Adequate { decisions } => {
            format!("lawful under adequacy: {}", decisions.join("; "))
        }
        Verdict::Safeguarded { mechanism } => {
            format!("lawful under a valid {} safeguard", mechanism.as_str())
        }
        Verdict::NoBasis { reason } => format!("no Chapter V basis: {reason}"),
        Verdict::ScopeNotMet {
            country,
            decision,
            condition,
        } => {
            format!(
                "{country} is adequate under {decision}, but the recipient is outside its scope: {condition}"
            )
        }
        Verdict::Expired { what, .. } => format!("not valid on the evaluation date: {what}"),
        Verdict::Unapproved { mechanism, .. } => {
            format!("the policy does not approve `{}`", mechanism.as_str())
        }
    }
}

fn rule_data(transfer: &Transfer, rules: &RuleSet, evaluation: &Evaluation, out: &mut String) {
    for country in &transfer.third_countries {
        let decisions: Vec<_> = rules
            .adequacy_decisions(country)
            .into_iter()
            .filter(|d| d.is_gdpr())
            .collect();
        if decisions.is_empty() {
            out.push_str(&format!(
                "    - {}: no GDPR adequacy decision in the rule data\n",
                one_line(country)
            ));
        }
        for decision in decisions {
            let validity = match decision.expires {
                Some(expires) => format!("adopted {}, expires {expires}", decision.adopted),
                None => format!("adopted {}, no expiry", decision.adopted),
            };
            // As the verdicts see it: under the run's `--assume-invalid`/`--assume-valid`.
            let in_force = match rules.standing(decision, evaluation.date) {
                crate::rules::Standing::InForce => "in force",
                crate::rules::Standing::NotYetAdopted | crate::rules::Standing::Expired => {
                    "not in force"
                }
                other => other.describe(),
            };
            out.push_str(&format!(
                "    - {}: {} ({validity}; {in_force} on {})\n",
                one_line(country),
                one_line(&decision.instrument),
                evaluation.date
            ));
            out.push_str(&format!("      scope: {}\n", one_line(&decision.scope)));
            for condition in &decision.conditions {
                out.push_str(&format!(
                    "      condition: {}\n",
                    one_line(&condition.description)
                ));
            }
            for pending in &decision.pending {
                out.push_str(&format!(
                    "      pending: {} {} before the {}, lodged {}, checked {} ({})\n",
                    one_line(&pending.kind),
                    one_line(&pending.case),
                    one_line(&pending.court),
                    pending.lodged,
                    pending.checked,
                    one_line(&pending.source)
                ));
            }
            out.push_str(&format!(
                "      source: {} (as of {})\n",
                one_line(&decision.source),
                decision.as_of
            ));
        }
    }
    if let Some((safeguard, _)) = &transfer.safeguard {
        let mut line = format!("    - safeguard: {}", safeguard.mechanism.as_str());
        if let Some(version) = &safeguard.version {
            line.push_str(&format!(" {version}"));
            let found = rules
                .mechanism(safeguard.mechanism.as_str())
                .and_then(|m| m.versions.iter().find(|v| &v.id == version));
            if let Some(v) = found {
                line.push_str(&format!(" = {}", v.instrument));
                let mut validity = Vec::new();
                if let Some(from) = v.valid_from {
                    validity.push(format!("usable from {from}"));
                }
                if let Some(before) = v.signed_before {
                    validity.push(format!("only for contracts signed before {before}"));
                }
                if let Some(until) = v.valid_until {
                    validity.push(format!("valid until {until}"));
                }
                if !v.transfer_tool {
                    validity.push("not a transfer tool".into());
                }
                if !validity.is_empty() {
                    line.push_str(&format!(" ({})", validity.join(", ")));
                }
            }
        }
        if let Some(module) = safeguard.module {
            line.push_str(&format!(", module {module}"));
        }
        if let Some(signed) = safeguard.signed {
            line.push_str(&format!(", signed {signed}"));
        }
        if let Some(expires) = safeguard.expires {
            line.push_str(&format!(", expires {expires}"));
        }
        line.push_str(&format!(
            ", TIA: {}",
            safeguard.tia.as_deref().unwrap_or("none")
        ));
        out.push_str(&one_line(&line));
        out.push('\n');
    }
    for assumption in &transfer.assumptions {
        out.push_str(&format!("    - assumed: {}\n", one_line(assumption)));
    }
}

/// An adequate transfer relying on a decision with proceedings pending against it says so beside
/// its verdict: `relies on eu-us-dpf (...); appeal C-703/25 P pending, checked 2026-11-30`, with
/// how to see what would happen without it.
fn relies_on_pending(transfer: &Transfer, rules: &RuleSet) -> Vec<String> {
    let Verdict::Adequate { decisions } = &transfer.verdict else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for country in &transfer.third_countries {
        for decision in rules.adequacy_decisions(country) {
            if decision.pending.is_empty() || !decisions.contains(&decision.instrument) {
                continue;
            }
            let pending: Vec<String> = decision.pending.iter().map(|p| p.summary()).collect();
            lines.push(format!(
                "relies on {} ({}); {} (what if it fell: borderline rules --impact {})",
                decision.id,
                decision.instrument,
                pending.join("; "),
                decision.id
            ));
        }
    }
    lines.dedup();
    lines
}

/// What would make a transfer lawful, in order of effort.
fn remedies(transfer: &Transfer, model: &Model, rules: &RuleSet) -> Vec<String> {
    let recipient = model.node(&transfer.to);
    let is_store = recipient.is_some_and(|n| n.kind == crate::facts::NodeKind::Store);
    let mut out = Vec::new();
    match &transfer.verdict {
        Verdict::Adequate { .. } | Verdict::Safeguarded { .. } if !transfer.missing_tia => {
            return out;
        }
        Verdict::ScopeNotMet { condition, .. } => {
            out.push(format!("if `{}` meets the decision's scope ({condition}), declare it (e.g. `certifications = [\"dpf\"]`)", transfer.to));
        }
        Verdict::Expired { what, .. } => {
            out.push(format!("renew or replace what expired ({what})"))
        }
        Verdict::Unapproved { mechanism, .. } if *mechanism != MechanismKind::Adequacy => {
            out.push(format!(
                "approve `{}` in `policy.approved_mechanisms`, or rely on another mechanism",
                mechanism.as_str()
            ));
        }
        _ => {}
    }
    if transfer.missing_tia {
        out.push(
            "record a transfer impact assessment: `tia = \"docs/tia/...\"` on the safeguard".into(),
        );
    } else {
        out.push(format!(
            "add SCC {scc} (module 2 for a processor, 1 for a controller) with a TIA to the flow: `safeguard = {{ mechanism = \"scc\", version = \"{scc}\", module = 2, signed = \"YYYY-MM-DD\", tia = \"docs/tia/{}.md\" }}`",
            transfer.to,
            scc = rules.current_scc_version()
        ));
    }
    out.push(if is_store {
        "or move the store to an EEA region".into()
    } else {
        format!("or use an EEA region or endpoint of `{}`", transfer.to)
    });
    out
}

/// A flow's data, purpose and the places it is written.
fn describe_flow(model: &Model, flow: &crate::model::Flow, out: &mut String) {
    let data = if flow.data.is_empty() {
        "unspecified (treated as personal)".to_string()
    } else {
        flow.data
            .iter()
            .map(|d| d.key.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str(&format!("  data: {}\n", one_line(&data)));
    if let Some(purpose) = &flow.purpose {
        out.push_str(&format!("  purpose: {}\n", one_line(purpose)));
    }
    if let Some(p) = position(&model.files, flow.span, None) {
        out.push_str(&format!(
            "  declared at: {}:{}\n",
            one_line(&p.file),
            p.line
        ));
    }
    // The same flow written elsewhere (a `[[flow]]` and the `.env` line): one flow, one verdict.
    let also: Vec<String> = flow
        .evidence
        .iter()
        .filter_map(|span| position(&model.files, Some(*span), None))
        .map(|p| format!("{}:{}", p.file, p.line))
        .collect();
    if !also.is_empty() {
        out.push_str(&format!(
            "  also written at: {}\n",
            one_line(&also.join(", "))
        ));
    }
    if flow.environment != crate::facts::Environment::Production {
        out.push_str(&format!(
            "  environment: {} (by the path of the file it is written in; docs/environments.md)\n",
            flow.environment.as_str()
        ));
    }
    // A flow that exists only in some deployment variants says in which.
    if let Some(line) = crate::report::variants_line(&flow.variants) {
        out.push_str(&format!("  {} (deployment variants)\n", one_line(&line)));
    }
}

/// Which waiver suppressed a finding, and until when: the one the scan applied.
fn waiver_text(model: &Model, waiver: &crate::policy::Waiver) -> String {
    let place = position(&model.files, waiver.span, None)
        .map(|p| format!(" at {}:{}", p.file, p.line))
        .unwrap_or_default();
    format!(
        "waived by the {}waiver{place} until {} (reason: {}); it does not fail the gate",
        if waiver.in_source() { "inline " } else { "" },
        waiver.expires,
        waiver.reason
    )
}

/// Explains the data's way from `from` to `to`.
pub fn explain_flow(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    from: &str,
    to: &str,
) -> Result<String, ExplainError> {
    check_node(model, from)?;
    check_node(model, to)?;
    let hops = path(model, from, to).ok_or_else(|| ExplainError::NoPath {
        from: from.to_string(),
        to: to.to_string(),
    })?;
    let mut out = format!(
        "{} -> {} (evaluated on {})\n",
        one_line(from),
        one_line(to),
        evaluation.date
    );
    if let Some(line) = crate::rules::hypothetical_line(&evaluation.hypotheses) {
        out.push_str(&format!("{}\n", one_line(&line)));
    }
    out.push_str("\npath of the data:\n");
    let mut ids = vec![from.to_string()];
    ids.extend(hops.iter().map(|i| model.flows[*i].to.clone()));
    for id in &ids {
        if let Some(node) = model.node(id) {
            out.push_str(&format!(
                "  {}\n",
                one_line(&describe_node(node, &model.policy, rules, evaluation))
            ));
        }
    }
    let by_flow = ByFlow::new(model, evaluation);
    for index in hops {
        describe_hop(model, evaluation, rules, &by_flow, index, &mut out);
    }
    Ok(out)
}

/// The evaluation's transfers and findings, and the model's flows, indexed by flow and by pair
/// of nodes.
struct ByFlow<'a> {
    transfer_of_flow: BTreeMap<usize, &'a Transfer>,
    findings_of_flow: BTreeMap<(&'a str, &'a str), Vec<&'a crate::evaluate::finding::Finding>>,
    waived_of_flow: BTreeMap<(&'a str, &'a str), Vec<WaivedFinding<'a>>>,
    flows_of_pair: BTreeMap<(&'a str, &'a str), Vec<usize>>,
}

/// A finding a waiver suppressed, with that waiver.
type WaivedFinding<'a> = (
    &'a crate::evaluate::finding::Finding,
    &'a crate::policy::Waiver,
);

impl<'a> ByFlow<'a> {
    /// Indexes the transfers, findings and waived findings by flow and the flows by pair.
    fn new(model: &'a Model, evaluation: &'a Evaluation) -> Self {
        // Transfers and findings are indexed once by flow: a search of all of them for each hop
        // made a long path through a large model quadratic.
        let mut transfer_of_flow: BTreeMap<usize, &Transfer> = BTreeMap::new();
        for transfer in &evaluation.transfers {
            if let Some(flow) = transfer.flow {
                transfer_of_flow.entry(flow).or_insert(transfer);
            }
        }
        let mut findings_of_flow: BTreeMap<(&str, &str), Vec<&crate::evaluate::finding::Finding>> =
            BTreeMap::new();
        for finding in &evaluation.findings {
            if let (Some(from), Some(to)) = (finding.from.as_deref(), finding.to.as_deref()) {
                findings_of_flow
                    .entry((from, to))
                    .or_default()
                    .push(finding);
            }
        }
        // Findings a waiver suppressed are shown as the scan reports them: waived, with the reason.
        let mut waived_of_flow: BTreeMap<(&str, &str), Vec<WaivedFinding<'a>>> = BTreeMap::new();
        for (finding, waiver) in &evaluation.waived {
            if let (Some(from), Some(to)) = (finding.from.as_deref(), finding.to.as_deref()) {
                waived_of_flow
                    .entry((from, to))
                    .or_default()
                    .push((finding, waiver));
            }
        }
        // The model holds one flow per pair of nodes, save where merging could hide a transfer (see
        // `model::one_flow_per_pair`): every flow of a hop's pair is described, as the scan judges
        // each of them.
        let mut flows_of_pair: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
        for (index, flow) in model.flows.iter().enumerate() {
            flows_of_pair
                .entry((flow.from.as_str(), flow.to.as_str()))
                .or_default()
                .push(index);
        }
        ByFlow {
            transfer_of_flow,
            findings_of_flow,
            waived_of_flow,
            flows_of_pair,
        }
    }
}

/// One hop of the path: each flow of its pair of nodes with its transfer and verdict, then the
/// pair's findings and what would make its transfers lawful.
fn describe_hop(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    by_flow: &ByFlow<'_>,
    index: usize,
    out: &mut String,
) {
    let hop = &model.flows[index];
    let pair = (hop.from.as_str(), hop.to.as_str());
    out.push_str(&format!(
        "\n{} -> {}\n",
        one_line(&hop.from),
        one_line(&hop.to)
    ));
    let indices = by_flow
        .flows_of_pair
        .get(&pair)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut transfers = Vec::new();
    for (n, &flow_index) in indices.iter().enumerate() {
        if indices.len() > 1 {
            out.push_str(&format!("  flow {} of {}:\n", n + 1, indices.len()));
        }
        let flow = &model.flows[flow_index];
        describe_flow(model, flow, out);
        let Some(transfer) = by_flow.transfer_of_flow.get(&flow_index) else {
            out.push_str("  not a Chapter V transfer: the data stays in the EEA, is not personal, or its destination is unknown\n");
            continue;
        };
        let kind = if transfer.onward {
            "onward transfer"
        } else {
            "transfer"
        };
        out.push_str(&format!(
            "  {kind} to {}\n",
            one_line(&transfer.third_countries.join(", "))
        ));
        out.push_str(&format!(
            "  verdict: {}\n",
            one_line(&verdict_text(&transfer.verdict))
        ));
        for line in relies_on_pending(transfer, rules) {
            out.push_str(&format!("  {}\n", one_line(&line)));
        }
        out.push_str("  rule data:\n");
        rule_data(transfer, rules, evaluation, out);
        transfers.push(*transfer);
    }
    if transfers.is_empty() {
        return;
    }
    let findings = by_flow
        .findings_of_flow
        .get(&pair)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let waived = by_flow
        .waived_of_flow
        .get(&pair)
        .map(Vec::as_slice)
        .unwrap_or_default();
    describe_findings(model, findings, waived, out);
    describe_remedies(model, rules, &transfers, out);
}

/// The findings of a hop's pair of nodes, and those a waiver suppressed with the waiver.
fn describe_findings(
    model: &Model,
    findings: &[&crate::evaluate::finding::Finding],
    waived: &[WaivedFinding<'_>],
    out: &mut String,
) {
    if findings.is_empty() && waived.is_empty() {
        out.push_str("  findings: none\n");
    } else {
        out.push_str("  findings:\n");
        for finding in findings {
            let place = position(&model.files, finding.span, finding.path.as_deref())
                .map(|p| format!(" ({}:{})", one_line(&p.file), p.line))
                .unwrap_or_default();
            out.push_str(&format!(
                "    - {} [{}]{place}: {}\n",
                finding.rule,
                finding.severity.as_str(),
                one_line(&finding.message)
            ));
            if let Some(why) = crate::report::text::environment_footer(finding.environment) {
                out.push_str(&format!("      {why}\n"));
            }
            if let Some(line) = crate::report::variants_line(&finding.variants) {
                out.push_str(&format!("      {}\n", one_line(&line)));
            }
        }
        for (finding, waiver) in waived {
            out.push_str(&format!(
                "    - {} [waived]: {}\n      {}\n",
                finding.rule,
                one_line(&finding.message),
                one_line(&waiver_text(model, waiver))
            ));
        }
    }
}

/// What would make a hop's transfers lawful, each remedy once.
fn describe_remedies(model: &Model, rules: &RuleSet, transfers: &[&Transfer], out: &mut String) {
    let mut remedies_of_pair: Vec<String> = Vec::new();
    for transfer in transfers {
        for remedy in remedies(transfer, model, rules) {
            if !remedies_of_pair.contains(&remedy) {
                remedies_of_pair.push(remedy);
            }
        }
    }
    if !remedies_of_pair.is_empty() {
        out.push_str("  what would make it lawful:\n");
        for remedy in remedies_of_pair {
            out.push_str(&format!("    - {}\n", one_line(&remedy)));
        }
    }
}
