//! Deployment variants (a `-var-file`, a Terragrunt unit, a Helm values file, a Kustomize
//! overlay): one model per variant, judged on its own, and one evaluation whose findings and
//! transfers name the variants they are found in.
//!
//! A variant sees the facts that depend on no variant and its own. Findings equal in several
//! variants are reported once with the list; a finding found in every variant of the repository
//! carries no list, as in a repository without variants. Fingerprints are the variant models'
//! own, which never depend on a variant's name: adding a variant changes no fingerprint.

use super::{Evaluation, evaluate, sort};
use crate::date::Date;
use crate::evaluate::finding::{Finding, Related};
use crate::evaluate::transfer::Transfer;
use crate::facts::{Facts, Variant};
use crate::model::{Model, ModelInput, build};
use crate::policy::Waiver;
use crate::rules::RuleSet;
use std::collections::{BTreeMap, HashMap};

/// What to evaluate: the variants asked for (`selected`, sorted, each one of `found`) and every
/// variant the repository has (`found`, sorted).
#[derive(Debug)]
pub struct VariantRun<'a> {
    pub selected: &'a [String],
    pub found: &'a [String],
    pub date: Date,
}

/// Builds and evaluates the model of each selected variant (`prepare` runs on each model before
/// it is judged), and returns the model the reports draw with the merged evaluation: with one
/// variant selected, that variant's model; with several, the model of every fact of the selected
/// variants, whose nodes and flows carry their variants.
pub fn evaluate_variants(
    mut input: ModelInput,
    run: &VariantRun<'_>,
    rules: &RuleSet,
    prepare: &dyn Fn(&mut Model),
) -> (Model, Evaluation) {
    let declared = input.extracted.variants.clone();
    let groups = groups(&mut input, run.selected);
    // With one variant, its own model is the one drawn; with several, the model of every
    // selected fact. Variant models are judged one at a time and dropped: at most two models
    // are in memory, whatever the number of variants.
    let mut shown = match groups.len() {
        1 => None,
        _ => {
            let facts = of_selected(&input.extracted, run.selected);
            let mut model = build(input_with(&input, facts), rules);
            prepare(&mut model);
            Some(model)
        }
    };
    let mut merged = Merged::default();
    let mut places: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut alone = None;
    for names in &groups {
        let facts = match names.as_slice() {
            [name] => input.extracted.in_variant(name),
            _ => of_selected(&input.extracted, names),
        };
        let mut model = build(input_with(&input, facts), rules);
        prepare(&mut model);
        let evaluation = evaluate(&model, rules, run.date);
        merged.add(names, &model, &evaluation, shown.as_ref().unwrap_or(&model));
        for node in &model.nodes {
            let at = node
                .location
                .as_ref()
                .map_or_else(|| "unknown".to_string(), |l| l.location.to_string());
            places
                .entry(node.id.clone())
                .or_default()
                .push((names.join(", "), at));
        }
        if shown.is_none() {
            alone = Some(model);
        }
    }
    if let Some(model) = &mut shown {
        mark_varying_locations(model, &places);
        // A node or flow in every variant is drawn as one without variants.
        let every = |variants: &mut Vec<String>| {
            if variants.as_slice() == run.found {
                variants.clear();
            }
        };
        model.nodes.iter_mut().for_each(|n| every(&mut n.variants));
        model.flows.iter_mut().for_each(|f| every(&mut f.variants));
    }
    let model = match shown.or(alone) {
        Some(model) => model,
        None => build(input, rules),
    };
    let mut evaluation = merged.finish(&model, run, &declared);
    evaluation.hypotheses = rules.hypotheses();
    (model, evaluation)
}

/// How many variants are judged one by one; the others are judged together, in one model.
const MAX_ALONE: usize = 24;

/// The selected variants in the groups they are judged in: each alone, up to [`MAX_ALONE`] of
/// them less one, then the rest together, which a note in every model says (a repository may
/// hold thousands of overlays: a model each would not end).
fn groups(input: &mut ModelInput, selected: &[String]) -> Vec<Vec<String>> {
    if selected.len() <= MAX_ALONE {
        return selected.iter().map(|name| vec![name.clone()]).collect();
    }
    let (alone, together) = selected.split_at(MAX_ALONE - 1);
    input
        .extracted
        .diagnostics
        .push(crate::facts::ExtractionDiagnostic {
            rule: crate::rule::Rule::InputError,
            severity: crate::facts::Severity::Note,
            message: format!(
                "{} deployment variants: the first {} are judged one by one, the other {} together \
             (from `{}` on), where a node they place differently takes one place; judge them \
             alone with `--variant NAME` or `[scan] variants`",
                selected.len(),
                alone.len(),
                together.len(),
                together.first().map_or("", String::as_str)
            ),
            span: None,
            path: None,
        });
    let mut groups: Vec<Vec<String>> = alone.iter().map(|name| vec![name.clone()]).collect();
    groups.push(together.to_vec());
    groups
}

/// In the model of several variants, a node placed differently by different variants has no one
/// location: it is drawn as unknown, with each variant's location as the reason, so the map never
/// shows one variant's place for all of them. Its findings are each variant's own.
fn mark_varying_locations(model: &mut Model, places: &BTreeMap<String, Vec<(String, String)>>) {
    for node in &mut model.nodes {
        let Some(seen) = places.get(&node.id) else {
            continue;
        };
        let mut places: Vec<&String> = seen.iter().map(|(_, at)| at).collect();
        places.sort();
        places.dedup();
        if places.len() < 2 {
            continue;
        }
        // A label stays readable: at most eight variants are named, the count of the others.
        const NAMED: usize = 8;
        let mut places = seen
            .iter()
            .take(NAMED)
            .map(|(name, at)| format!("{name}: {at}"))
            .collect::<Vec<_>>()
            .join(", ");
        if seen.len() > NAMED {
            places.push_str(&format!(" and {} more", seen.len() - NAMED));
        }
        let reason = format!("differs by variant: {places}");
        // The label carries the places too: the map and the JSON name each variant's.
        let label = node.label.clone().unwrap_or_else(|| node.id.clone());
        node.label = Some(format!("{label} (by variant: {places})"));
        node.location = Some(crate::facts::LocatedAt {
            location: crate::facts::Location::Unknown,
            span: node.location.as_ref().and_then(|l| l.span),
            unresolved_reason: Some(reason.clone()),
        });
        node.resolved = crate::model::location::ResolvedLocation::Unknown { reason };
    }
}

/// The facts of the selected variants: those that depend on none, and those of a selected one,
/// each keeping only the selected names.
fn of_selected(facts: &Facts, selected: &[String]) -> Facts {
    let keep = |variants: &mut Vec<String>| -> bool {
        if variants.is_empty() {
            return true;
        }
        variants.retain(|v| selected.contains(v));
        !variants.is_empty()
    };
    let mut out = facts.clone();
    out.nodes.retain_mut(|node| keep(&mut node.variants));
    out.flows.retain_mut(|flow| keep(&mut flow.variants));
    out
}

/// `input` with other extracted facts; everything else copied.
fn input_with(input: &ModelInput, extracted: Facts) -> ModelInput {
    ModelInput {
        files: input.files.clone(),
        manifest_facts: input.manifest_facts.clone(),
        extracted,
        policy: input.policy.clone(),
        waivers: input.waivers.clone(),
        project_name: input.project_name.clone(),
    }
}

/// Findings, waived findings and transfers of several variants, each once, with the variants it
/// is found in.
#[derive(Default)]
struct Merged {
    findings: Vec<Finding>,
    finding_at: HashMap<String, usize>,
    waived: Vec<(Finding, Waiver)>,
    waived_at: HashMap<String, usize>,
    transfers: Vec<Transfer>,
    transfer_at: HashMap<String, usize>,
}

impl Merged {
    /// Adds one variant's evaluation; its transfers' flow indices are made indices into
    /// `target`'s flows (the model the reports draw).
    fn add(&mut self, names: &[String], model: &Model, evaluation: &Evaluation, target: &Model) {
        for finding in &evaluation.findings {
            let key = format!("{finding:?}");
            let index = *self.finding_at.entry(key).or_insert_with(|| {
                self.findings.push(finding.clone());
                self.findings.len() - 1
            });
            self.findings[index].variants.extend_from_slice(names);
        }
        for (finding, waiver) in &evaluation.waived {
            let key = format!("{finding:?}{waiver:?}");
            let index = *self.waived_at.entry(key).or_insert_with(|| {
                self.waived.push((finding.clone(), waiver.clone()));
                self.waived.len() - 1
            });
            self.waived[index].0.variants.extend_from_slice(names);
        }
        for transfer in &evaluation.transfers {
            let mut transfer = transfer.clone();
            transfer.flow = transfer
                .flow
                .and_then(|index| model.flows.get(index))
                .and_then(|flow| {
                    target
                        .flows
                        .iter()
                        .position(|t| t.from == flow.from && t.to == flow.to && t.span == flow.span)
                        .or_else(|| {
                            target
                                .flows
                                .iter()
                                .position(|t| t.from == flow.from && t.to == flow.to)
                        })
                });
            let key = format!("{transfer:?}");
            let index = *self.transfer_at.entry(key).or_insert_with(|| {
                self.transfers.push(transfer);
                self.transfers.len() - 1
            });
            self.transfers[index].variants.extend_from_slice(names);
        }
    }

    /// The merged evaluation: lists settled (none when found in every variant of the
    /// repository), the files that make each variant differ related, findings sorted.
    fn finish(self, model: &Model, run: &VariantRun<'_>, declared: &[Variant]) -> Evaluation {
        let settle = |variants: &mut Vec<String>| {
            variants.sort();
            variants.dedup();
            if variants.as_slice() == run.found {
                variants.clear();
            }
        };
        let mut findings = self.findings;
        for finding in &mut findings {
            settle(&mut finding.variants);
            relate(finding, declared);
        }
        let mut waived = self.waived;
        for (finding, _) in &mut waived {
            settle(&mut finding.variants);
            relate(finding, declared);
        }
        let mut transfers = self.transfers;
        for transfer in &mut transfers {
            settle(&mut transfer.variants);
        }
        sort(model, &mut findings);
        waived.sort_by(|a, b| a.0.fingerprint.cmp(&b.0.fingerprint));
        Evaluation {
            findings,
            waived,
            transfers,
            date: run.date,
            hypotheses: Vec::new(),
        }
    }
}

/// Names, among a finding's related locations, the file that makes each of its variants differ.
fn relate(finding: &mut Finding, declared: &[Variant]) {
    // A variant made of many files (the units of a Terragrunt environment) names its first few:
    // the finding's own location already points at the line that decides.
    const PER_VARIANT: usize = 3;
    for name in &finding.variants {
        for variant in declared
            .iter()
            .filter(|v| &v.name == name)
            .take(PER_VARIANT)
        {
            let related = Related {
                span: Some(variant.span),
                message: format!("variant `{}` ({})", variant.name, variant.source),
            };
            if !finding.related.contains(&related) {
                finding.related.push(related);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use crate::facts::{
        DataRef, FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind, NodeRef, Origin,
    };
    use crate::policy::Policy;
    use crate::rule::Rule;
    use crate::source::{FileId, Files, SourceFile};
    use std::sync::Arc;

    fn node(id: &str, kind: NodeKind, location: &str, variants: &[&str]) -> NodeFact {
        let mut node = NodeFact::new(id, Origin::Terraform);
        node.kind = Some(kind);
        node.location = Some(LocatedAt {
            location: Location::parse(location),
            span: None,
            unresolved_reason: None,
        });
        node.variants = variants.iter().map(ToString::to_string).collect();
        node
    }

    /// An API in Frankfurt that stores e-mail addresses in a database whose region the variant
    /// decides: Frankfurt in `dev` and `staging`, Mumbai in `prod`.
    fn input() -> ModelInput {
        let file = SourceFile::new(
            FileId(0),
            "envs/prod.tfvars".into(),
            Arc::from("region = \"us-east-1\"\n"),
        );
        let mut extracted = Facts::default();
        extracted
            .nodes
            .push(node("api", NodeKind::Service, "DE", &[]));
        extracted.nodes.push(node(
            "db",
            NodeKind::Store,
            "aws:eu-central-1",
            &["dev", "staging"],
        ));
        extracted
            .nodes
            .push(node("db", NodeKind::Store, "aws:ap-south-1", &["prod"]));
        let mut flow = FlowFact::observed(
            NodeRef::to("api"),
            FlowTarget::Node(NodeRef::to("db")),
            None,
            Origin::Manifest,
        );
        flow.data = vec![DataRef {
            key: "user.contact.email".into(),
            span: None,
        }];
        extracted.flows.push(flow);
        for name in ["dev", "prod", "staging"] {
            extracted.variants.push(Variant {
                name: name.into(),
                span: file.span(0..6),
                source: "tfvars".into(),
            });
        }
        let mut files = Files::new();
        files.push(crate::source::StoredFile::whole(&file));
        ModelInput {
            files,
            manifest_facts: Facts::default(),
            extracted,
            policy: Policy::default(),
            waivers: Vec::new(),
            project_name: None,
        }
    }

    fn run(selected: &[&str]) -> (Model, Evaluation) {
        let Ok(rules) = RuleSet::builtin() else {
            panic!("built-in rule data loads");
        };
        let Ok(date) = "2026-12-01".parse::<Date>() else {
            panic!("a valid date");
        };
        let found: Vec<String> = ["dev", "prod", "staging"].map(String::from).to_vec();
        let selected: Vec<String> = selected.iter().map(ToString::to_string).collect();
        let run = VariantRun {
            selected: &selected,
            found: &found,
            date,
        };
        evaluate_variants(input(), &run, &rules, &|_| {})
    }

    #[test]
    fn a_transfer_in_one_variant_is_reported_once_with_that_variant() {
        let (model, evaluation) = run(&["dev", "prod", "staging"]);
        let transfers: Vec<&Finding> = evaluation
            .findings
            .iter()
            .filter(|f| f.rule == Rule::TransferWithoutSafeguard)
            .collect();
        assert_eq!(transfers.len(), 1, "{:#?}", evaluation.findings);
        assert_eq!(transfers[0].variants, ["prod"]);
        assert!(
            transfers[0]
                .related
                .iter()
                .any(|r| r.message == "variant `prod` (tfvars)"),
            "{:#?}",
            transfers[0].related
        );
        // The register lists the transfer of `prod` only, and the drawn model knows the
        // database exists in every variant (one node), the flow in every variant.
        let to_us: Vec<&Transfer> = evaluation
            .transfers
            .iter()
            .filter(|t| !t.third_countries.is_empty())
            .collect();
        assert_eq!(to_us.len(), 1);
        assert_eq!(to_us[0].variants, ["prod"]);
        assert!(to_us[0].flow.is_some());
        let dbs: Vec<&crate::model::Node> = model.nodes.iter().filter(|n| n.id == "db").collect();
        assert_eq!(dbs.len(), 1);
        assert!(
            matches!(
                &dbs[0].resolved,
                crate::model::location::ResolvedLocation::Unknown { reason }
                    if reason == "differs by variant: dev: aws:eu-central-1, prod: aws:ap-south-1, staging: aws:eu-central-1"
            ),
            "{:?}",
            dbs[0].resolved
        );
        assert!(model.flows.iter().all(|f| f.variants.is_empty()));
    }

    #[test]
    fn one_variant_is_judged_alone() {
        let (_, evaluation) = run(&["staging"]);
        assert!(
            evaluation
                .findings
                .iter()
                .all(|f| f.rule != Rule::TransferWithoutSafeguard),
            "{:#?}",
            evaluation.findings
        );
        let (model, evaluation) = run(&["prod"]);
        let Some(finding) = evaluation
            .findings
            .iter()
            .find(|f| f.rule == Rule::TransferWithoutSafeguard)
        else {
            panic!(
                "prod sends e-mail addresses to Mumbai: {:#?}",
                evaluation.findings
            );
        };
        assert_eq!(finding.variants, ["prod"]);
        let Some(db) = model.nodes.iter().find(|n| n.id == "db") else {
            panic!("the database is drawn");
        };
        assert_eq!(db.variants, ["prod"]);
    }

    #[test]
    fn past_the_limit_variants_are_judged_together_and_said_so() {
        let Ok(rules) = RuleSet::builtin() else {
            panic!("built-in rule data loads");
        };
        let Ok(date) = "2026-12-01".parse::<Date>() else {
            panic!("a valid date");
        };
        let mut input = input();
        // Forty more variants, each placing the database in Mumbai.
        let names: Vec<String> = (0..40).map(|i| format!("tenant-{i:02}")).collect();
        for name in &names {
            input.extracted.nodes.push(node(
                "db",
                NodeKind::Store,
                "aws:ap-south-1",
                &[name.as_str()],
            ));
        }
        let mut found: Vec<String> = ["dev", "prod", "staging"].map(String::from).to_vec();
        found.extend(names.iter().cloned());
        found.sort();
        let run = VariantRun {
            selected: &found,
            found: &found,
            date,
        };
        let (_, evaluation) = evaluate_variants(input, &run, &rules, &|_| {});
        let Some(note) = evaluation
            .findings
            .iter()
            .find(|f| f.rule == Rule::InputError)
        else {
            panic!("the grouping is said: {:#?}", evaluation.findings);
        };
        assert!(
            note.message.starts_with(
                "43 deployment variants: the first 23 are judged one by one, the other 20 together"
            ),
            "{}",
            note.message
        );
        // Every variant that sends to Mumbai is named on the one finding; the EEA ones are not.
        let transfers: Vec<&Finding> = evaluation
            .findings
            .iter()
            .filter(|f| f.rule == Rule::TransferWithoutSafeguard)
            .collect();
        assert_eq!(transfers.len(), 1, "{transfers:#?}");
        assert_eq!(transfers[0].variants.len(), 41);
        assert!(!transfers[0].variants.contains(&"dev".to_string()));
    }

    #[test]
    fn facts_of_every_variant_collapse_and_fingerprints_do_not_move() {
        let file = SourceFile::new(FileId(1), "values-prod.yaml".into(), Arc::from("x: 1\n"));
        let variant = |name: &str| Variant {
            name: name.into(),
            span: file.span(0..1),
            source: "helm values".into(),
        };
        let mut dev = Facts::default();
        dev.nodes.push(node("api", NodeKind::Service, "DE", &[]));
        dev.nodes
            .push(node("db", NodeKind::Store, "aws:eu-central-1", &[]));
        let mut prod = dev.clone();
        prod.nodes[1] = node("db", NodeKind::Store, "aws:ap-south-1", &[]);
        let facts = Facts::from_variants(vec![(variant("dev"), dev), (variant("prod"), prod)]);
        let variants: Vec<(&str, Vec<String>)> = facts
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n.variants.clone()))
            .collect();
        assert_eq!(
            variants,
            [
                ("api", vec![]),
                ("db", vec!["dev".to_string()]),
                ("db", vec!["prod".to_string()])
            ]
        );
        assert_eq!(facts.variant_names(), ["dev", "prod"]);
        // The finding a repository without variants reports (its database in Mumbai) keeps
        // its fingerprint when the variant that makes it appears.
        let (_, with_variants) = run(&["dev", "prod", "staging"]);
        let Ok(rules) = RuleSet::builtin() else {
            panic!("built-in rule data loads");
        };
        let mut plain = input();
        plain
            .extracted
            .nodes
            .retain(|n| !n.variants.iter().any(|v| v != "prod"));
        plain
            .extracted
            .nodes
            .iter_mut()
            .for_each(|n| n.variants.clear());
        plain.extracted.variants.clear();
        let model = build(plain, &rules);
        let Ok(date) = "2026-12-01".parse::<Date>() else {
            panic!("a valid date");
        };
        let without = evaluate(&model, &rules, date);
        let fingerprints = |e: &Evaluation| {
            e.findings
                .iter()
                .filter(|f| f.rule == Rule::TransferWithoutSafeguard)
                .map(|f| f.fingerprint.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(fingerprints(&without), fingerprints(&with_variants));
        assert_eq!(fingerprints(&without).len(), 1);
    }
}
