//! Evaluation: runs every check over the model, applies waivers, fingerprints and sorts findings.

pub mod finding;
pub mod transfer;
pub mod variants;

use crate::checks::{CHECKS, unused_waiver_finding};
use crate::date::Date;
use crate::evaluate::finding::Finding;
use crate::facts::Environment;
use crate::facts::Severity;
use crate::hash::fnv1a;
use crate::model::Model;
use crate::policy::Waiver;
use crate::rule::Rule;
use crate::rules::{Hypothesis, RuleSet};
use std::collections::BTreeMap;
use transfer::{Context, Transfer};

/// The result of evaluating a model on a date.
#[derive(Debug)]
pub struct Evaluation {
    /// Sorted by (file, position, rule).
    pub findings: Vec<Finding>,
    /// Findings a valid waiver suppressed, with that waiver (reason, expiry, where it is written).
    pub waived: Vec<(Finding, Waiver)>,
    pub transfers: Vec<Transfer>,
    pub date: Date,
    /// What the run assumes about adequacy decisions (`--assume-invalid`, `--assume-valid`):
    /// when not empty the evaluation is hypothetical, and every report says so.
    pub hypotheses: Vec<Hypothesis>,
}

/// Runs the checks, applies waivers, and sorts the findings deterministically.
pub fn evaluate(model: &Model, rules: &RuleSet, date: Date) -> Evaluation {
    let ctx = Context::new(model, rules, date);
    let mut findings = Vec::new();
    for check in CHECKS {
        (check.run)(&ctx, &mut findings);
    }
    // Findings that rest on guesses are capped: inferred facts never fail the gate on their own.
    let cap = model.policy.inferred_findings;
    for finding in findings.iter_mut().filter(|f| f.inferred) {
        finding.severity = finding.severity.min(cap);
    }
    classify(model, &mut findings);
    let (mut findings, mut waived) = apply_waivers(&ctx, findings);
    fingerprint(model, &mut findings);
    let mut waived_findings: Vec<Finding> = waived.iter().map(|(f, _)| f.clone()).collect();
    fingerprint(model, &mut waived_findings);
    for ((finding, _), fingerprinted) in waived.iter_mut().zip(waived_findings) {
        *finding = fingerprinted;
    }
    sort(model, &mut findings);
    waived.sort_by(|a, b| a.0.fingerprint.cmp(&b.0.fingerprint));
    Evaluation {
        findings,
        waived,
        transfers: ctx.transfers,
        date,
        hypotheses: rules.hypotheses(),
    }
}

/// Whether `waiver` waives `finding`: the same rule, and the nodes it names (a manifest waiver),
/// or a location in the lines it covers (an inline waiver).
fn waives(waiver: &Waiver, finding: &Finding) -> bool {
    if Rule::from_name(&waiver.rule) != Ok(finding.rule) {
        return false;
    }
    match waiver.covers {
        // An inline waiver is about the lines below it, never about the nodes: a finding without a
        // location in that file is not waived by it.
        Some(covers) => finding.span.is_some_and(|span| {
            span.file == covers.file && covers.start <= span.start && span.start <= covers.end
        }),
        None => {
            waiver
                .from
                .as_ref()
                .is_none_or(|f| Some(&f.id) == finding.from.as_ref())
                && waiver
                    .to
                    .as_ref()
                    .is_none_or(|t| Some(&t.id) == finding.to.as_ref())
        }
    }
}

fn apply_waivers(
    ctx: &Context<'_>,
    findings: Vec<Finding>,
) -> (Vec<Finding>, Vec<(Finding, Waiver)>) {
    let mut kept = Vec::new();
    let mut waived = Vec::new();
    let mut used = vec![false; ctx.model.waivers.len()];
    let mut extra = Vec::new();
    // Inline waivers are looked up by the file they are in, so that a repository with thousands of
    // them does not compare every finding with every waiver.
    let mut manifest_waivers = Vec::new();
    let mut inline_by_file: BTreeMap<crate::source::FileId, Vec<usize>> = BTreeMap::new();
    for (index, waiver) in ctx.model.waivers.iter().enumerate() {
        match waiver.covers {
            Some(covers) => inline_by_file.entry(covers.file).or_default().push(index),
            None => manifest_waivers.push(index),
        }
    }
    // Thousands of misspelt waivers share one budget for their suggestions.
    let mut budget = crate::suggest::SEARCH_BUDGET;
    for (index, waiver) in ctx.model.waivers.iter().enumerate() {
        for reference in [&waiver.from, &waiver.to].into_iter().flatten() {
            if ctx.node(&reference.id).is_none() {
                let suggestion = crate::suggest::closest_id_within(
                    &reference.id,
                    ctx.model.nodes.iter().map(|n| n.id.as_str()),
                    &mut budget,
                )
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
                extra.push(
                    Finding::new(
                        Rule::UnresolvedReference,
                        Rule::UnresolvedReference.default_severity(),
                        format!(
                            "this waiver names `{}`, but no node has that id{suggestion}",
                            reference.id
                        ),
                    )
                    .at(reference.span.or(waiver.span)),
                );
                used[index] = true;
            }
        }
        if waiver.expires < ctx.date {
            let mut finding = Finding::new(
                Rule::ExpiredSafeguard,
                Rule::ExpiredSafeguard.default_severity(),
                format!(
                    "this {}waiver of `{}` expired on {} (reason: {}); the findings it waived are reported again",
                    if waiver.in_source() { "inline " } else { "" },
                    waiver.rule,
                    waiver.expires,
                    waiver.reason
                ),
            )
            .at(waiver.span)
            .help("fix the finding, or renew the waiver with a new `expires` date and reason");
            finding.from = waiver.from.as_ref().map(|f| f.id.clone());
            finding.to = waiver.to.as_ref().map(|t| t.id.clone());
            extra.push(finding);
            used[index] = true;
        }
    }
    let no_inline = Vec::new();
    'findings: for finding in findings {
        let inline = finding
            .span
            .and_then(|span| inline_by_file.get(&span.file))
            .unwrap_or(&no_inline);
        // Inline waivers first: the one next to the finding is the one a reader sees.
        for &index in inline.iter().chain(&manifest_waivers) {
            let Some(waiver) = ctx.model.waivers.get(index) else {
                continue;
            };
            if !waives(waiver, &finding) {
                continue;
            }
            used[index] = true;
            if waiver.expires >= ctx.date {
                waived.push((finding, waiver.clone()));
                continue 'findings;
            }
        }
        kept.push(finding);
    }
    for (index, waiver) in ctx.model.waivers.iter().enumerate() {
        if !used[index] {
            extra.push(unused_waiver_finding(waiver));
        }
    }
    kept.extend(extra);
    (kept, waived)
}

/// Gives every finding its environment class and demotes those outside production to notes,
/// unless `[scan] include` judges their class like production. The one place a class changes a
/// severity: checks never look at classes.
fn classify(model: &Model, findings: &mut [Finding]) {
    for finding in findings.iter_mut() {
        finding.environment = environment_of(model, finding);
        if finding.environment != Environment::Production
            && !model.policy.include.contains(&finding.environment)
        {
            finding.severity = Severity::Note;
        }
    }
}

/// The class of a finding's evidence. A finding about a flow (a transfer from a node) is where
/// the flow is written; a finding about a node (a store's transfer at rest, a node with no
/// location) also counts every file that declares the node or sends it data, so a node a
/// production file declares or feeds is production wherever the finding points.
fn environment_of(model: &Model, finding: &Finding) -> Environment {
    let mut class = model.environment_of(finding.span, finding.path.as_deref());
    let about_node = finding.from.is_none() || finding.rule == Rule::UnknownLocation;
    if about_node && let Some(node) = finding.to.as_deref().and_then(|id| model.node(id)) {
        class = class.min(node.environment);
    }
    class
}

/// Gives every finding a fingerprint from its rule, nodes and data; repeats get an occurrence number.
fn fingerprint(model: &Model, findings: &mut [Finding]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    // Occurrence numbers follow a position-free order, so moving lines does not renumber them.
    let mut order: Vec<usize> = (0..findings.len()).collect();
    let source = |f: &Finding| {
        let file = f
            .span
            .and_then(|s| model.files.get(s.file))
            .map(|file| file.path.as_str());
        f.fingerprint_source(file)
    };
    order.sort_by_cached_key(|&i| (source(&findings[i]), findings[i].message.clone()));
    for index in order {
        let base = source(&findings[index]);
        let count = seen.entry(base.clone()).or_insert(0);
        let text = if *count == 0 {
            base
        } else {
            format!("{base}#{count}")
        };
        *count += 1;
        findings[index].fingerprint = format!("{:016x}", fnv1a(&text));
    }
}

/// Sorts by (file, position, rule, fingerprint): the same input always gives the same order.
pub fn sort(model: &Model, findings: &mut [Finding]) {
    findings.sort_by_cached_key(|f| {
        let path = f
            .span
            .and_then(|s| model.files.get(s.file))
            .map(|file| file.path.to_string())
            .or_else(|| f.path.clone())
            .unwrap_or_default();
        (
            path,
            f.span.map(|s| (s.start, s.end)),
            f.rule.name(),
            f.fingerprint.clone(),
        )
    });
}

#[cfg(test)]
mod scale_tests {
    //! Building and evaluating a model grows linearly with flows: no step may compare every flow
    //! with every other flow or node. Timing is measured by `cargo xtask bench`; this test pins
    //! the behaviour on a model large enough that a quadratic step would not finish in CI time.
    use super::*;
    use crate::facts::{
        DataRef, Facts, FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind, NodeRef,
        Origin,
    };
    use crate::model::{ModelInput, build};
    use crate::policy::Policy;
    use crate::source::Files;

    const FLOWS: usize = 50_000;
    const SERVICES: usize = 2_000;
    /// How many times each service sends to each kind of destination.
    const ROUNDS: usize = FLOWS / SERVICES;

    fn node(id: String, kind: NodeKind, location: &str) -> NodeFact {
        let mut node = NodeFact::new(id, Origin::Manifest);
        node.kind = Some(kind);
        node.location = Some(LocatedAt {
            location: Location::parse(location),
            span: None,
            unresolved_reason: None,
        });
        node
    }

    #[test]
    fn fifty_thousand_flows_evaluate() {
        let Ok(rules) = RuleSet::builtin() else {
            panic!("built-in rule data loads");
        };
        let mut manifest = Facts::default();
        for index in 0..SERVICES {
            manifest
                .nodes
                .push(node(format!("service-{index:05}"), NodeKind::Service, "DE"));
        }
        // Each service sends to a vendor of each round, so that every flow is a pair of its own
        // (the flows of one pair are one flow: `model::one_flow_per_pair`).
        for round in 0..ROUNDS {
            for (id, country) in [
                ("vendor-us", "US"),
                ("vendor-in", "IN"),
                ("vendor-ch", "CH"),
            ] {
                let id = format!("{id}-{round:02}");
                let mut vendor = node(id.clone(), NodeKind::Vendor, country);
                vendor.domains = vec![format!("api.{id}.example.com")];
                manifest.nodes.push(vendor);
            }
        }
        let mut extracted = Facts::default();
        for index in 0..FLOWS {
            let from = format!("service-{:05}", index % SERVICES);
            let round = index / SERVICES;
            let to = match index % 5 {
                0 => FlowTarget::Node(NodeRef {
                    id: format!("vendor-us-{round:02}"),
                    span: None,
                }),
                1 => FlowTarget::Host {
                    host: format!("api.vendor-in-{round:02}.example.com"),
                    span: None,
                },
                2 => FlowTarget::Host {
                    host: "api.mixpanel.com".into(),
                    span: None,
                },
                3 => FlowTarget::Node(NodeRef {
                    id: format!("service-{:05}", (index + 1 + round) % SERVICES),
                    span: None,
                }),
                // A typo: every one becomes an unresolved reference with a suggestion.
                _ => FlowTarget::Node(NodeRef {
                    id: format!("servise-{:05}", index % SERVICES),
                    span: None,
                }),
            };
            extracted.flows.push(FlowFact {
                from: Some(NodeRef {
                    id: from,
                    span: None,
                }),
                to,
                data: vec![DataRef {
                    key: "user.contact.email".into(),
                    span: None,
                }],
                purpose: None,
                safeguard: None,
                span: None,
                origin: Origin::RustAttribute,
                inferred: false,
                scope: None,
                variants: Vec::new(),
            });
        }
        let model = build(
            ModelInput {
                files: Files::new(),
                manifest_facts: manifest,
                extracted,
                policy: Policy::default(),
                waivers: Vec::new(),
                project_name: None,
            },
            &rules,
        );
        // Every fifth flow names a node that does not exist, and the flows to Mixpanel (one
        // host for all) are one flow per service; every other flow is a pair of its own.
        assert_eq!(model.flows.len(), FLOWS / 5 * 3 + SERVICES / 5);
        let unresolved = model
            .diagnostics
            .iter()
            .filter(|d| d.rule == Rule::UnresolvedReference)
            .count();
        // Identical diagnostics (same id, no span) are reported once.
        assert_eq!(unresolved, SERVICES / 5);
        let Ok(date) = "2026-11-29".parse::<Date>() else {
            panic!("a valid date");
        };
        let evaluation = evaluate(&model, &rules, date);
        let to_third_countries = evaluation
            .transfers
            .iter()
            .filter(|t| t.to.starts_with("vendor-us-") || t.to.starts_with("vendor-in-"))
            .count();
        assert_eq!(to_third_countries, FLOWS / 5 * 2);
        assert!(!evaluation.findings.is_empty());
    }
}
