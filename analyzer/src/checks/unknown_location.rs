//! # unknown-location
//!
//! ## What it flags
//! A node that receives personal data whose location borderline cannot place in a country: no
//! location is declared or configured, the location is `unknown`, a Terraform value such as
//! `var.region` has no value, or a region is not in the rule data. A receiver is the destination
//! of a personal-data flow, or any store: a store receives the data it holds, and data it does not
//! describe counts as personal unless it says `personal_data = false`. A store's finding points
//! at the resource (or manifest entry) that creates it, with where its location was to come from
//! and the module calls on the way as related locations. The severity is
//! `policy.unknown_location` (`warning` by default; `error`, `note` or `off`).
//!
//! A reusable Terraform module that no root in the scanned tree calls (a repository that is a
//! module with no example, or `modules/x/` nobody calls: no `provider` block in its tree, and a
//! variable with neither a default nor a tfvars value) is placed by its callers, elsewhere. Its
//! stores whose location depends on those inputs are one `note` for the module (at its first
//! store: "`modules/x`: 2 stores located by the caller of this module") instead of a warning per
//! store, and are left out of the map; a store it places itself (a literal region) is judged as
//! usual. The note uses this rule, so `unknown_location = "off"` silences it too and
//! `borderline explain unknown-location` explains it. A directory with a `provider` block, or
//! whose variables all have values, is a root and its unplaced stores are warnings.
//!
//! The services of one compose project (the compose files of one directory) that receive personal
//! data and are all unplaced are one finding for the project, not one per service: "3 services of
//! the compose project `dev` (dev/docker-compose.yml) receive personal data, but their location is
//! unknown: backend, db, mailer", at the first of them, with each service as a related location.
//! They share one fix, a location for the project. Likewise the unplaced workloads of one
//! Kubernetes namespace in one manifest set (a Helm chart, else a top-level directory such as
//! `k8s/`) are one finding: "3 workloads of the namespace `shop` in the manifests `k8s`
//! (k8s/api.yaml, k8s/worker.yaml) receive personal data, but their location is unknown: api,
//! mailer, worker". A single unplaced service, a service a waiver of this rule names in `to`, and
//! stores are reported one by one.
//!
//! A location a person wrote in a comment tag, a tag on a declaration, a Rust attribute, a
//! `borderline.dev/location` compose label or Kubernetes annotation, or the manifest, that the
//! rule data does not know (`aws:us-easst-1`, `gcp:europe-wst3`, `awz:eu-west-1`, a country code
//! such as `XX`) is a mistake, not a missing fact: it is an `error` at the value, whatever
//! `policy.unknown_location` says, with the closest region of the same provider (or the closest
//! provider, or the code of a country written by name) to write instead, and the node it places
//! gets no second finding for the same value. `location = "unknown"` written as such is no
//! mistake, and a region read from configuration (a Terraform `region`, a node selector) that the
//! rule data does not know yet is the ordinary unknown location above, not a mistake.
//!
//! ## Why it matters
//! A transfer check is only as good as its locations: an unknown location might be a transfer.
//! Rather than pass silently, borderline asks for the fact it is missing.
//!
//! ## Example
//! ```toml
//! [[node]]
//! id = "events-queue"
//! kind = "store"            # no location
//! ```
//!
//! ## How to fix
//! Declare the node's `location` in `borderline.toml` (`"aws:eu-central-1"`, `"DE"`, `"EEA"`), or
//! give the Terraform variable a default or a `.tfvars` value, or tag the resource where it is
//! declared (`# borderline: location=aws:eu-west-1` directly above the block). When the region is
//! only known when Terraform runs (set by CI, a registry module, Terragrunt), give borderline the
//! plan: `terraform show -json plan.out > plan.json`, then `--terraform-plan plan.json`; its
//! resolved regions win over the `.tf` files. For a new cloud region, add it to the rule data
//! with `--rules DIR`. For a module placed by its callers, scan the repository that
//! calls it, or add an `examples/` root that configures the provider. For a compose project, tag
//! the `services:` key (`# borderline: location=EEA` on the line above it), which places every
//! service declared below, or give a service a `borderline.dev/location` label. For Kubernetes
//! workloads, annotate each one `borderline.dev/location: EEA` (or pin its pods to a region with
//! a `topology.kubernetes.io/region` node selector), or tag each document
//! (`# borderline: location=EEA` on the line above `apiVersion:`).
//!
//! ## References
//! GDPR Art. 30(1)(e) (records must name the third countries); EDPB Recommendations 01/2020 step 1
//! ("know your transfers").

use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, carries_personal_data, effective_data};
use crate::facts::{NodeKind, Severity};
use crate::model::{Node, ResolvedLocation};
use crate::rule::Rule;
use std::collections::{BTreeMap, BTreeSet};

/// A receiver of personal data whose location is unknown, and why.
struct Unplaced<'a> {
    node: &'a Node,
    reason: &'a str,
    /// The first flow that brings it personal data, to show where it comes from.
    flow: Option<usize>,
}

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    // A location a person wrote in an annotation or tag that rule data does not know is a
    // mistake, an error whatever the policy says: the policy is about locations nobody wrote.
    let mistakes: BTreeSet<crate::source::Span> = ctx
        .model
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::UnknownLocation && d.severity == Severity::Error)
        .filter_map(|d| d.span)
        .collect();
    for diagnostic in ctx
        .model
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::UnknownLocation && d.severity == Severity::Error)
    {
        findings.push(
            Finding::new(Rule::UnknownLocation, diagnostic.severity, diagnostic.message.clone())
                .at(diagnostic.span)
                .help("write a location the rule data knows: the suggested one, a country code (`DE`), `EU`, `EEA`, or `unknown` when it is not known"),
        );
    }
    let Some(severity) = ctx.policy().unknown_location else {
        return;
    };
    // Notes from extraction: the stores of a module no root calls, placed by its callers.
    for diagnostic in ctx
        .model
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::UnknownLocation && d.severity != Severity::Error)
    {
        let mut finding = Finding::new(
            Rule::UnknownLocation,
            diagnostic.severity,
            diagnostic.message.clone(),
        )
        .at(diagnostic.span);
        finding.path = diagnostic.path.clone();
        findings.push(finding);
    }
    // For each receiving node, the first flow that brings it personal data, to show where it comes from.
    let mut receivers: BTreeMap<&str, Option<usize>> = BTreeMap::new();
    for (index, flow) in ctx.model.flows.iter().enumerate() {
        let Some(destination) = ctx.node(&flow.to) else {
            continue;
        };
        if carries_personal_data(effective_data(ctx.model, index), destination, ctx.rules) {
            receivers
                .entry(destination.id.as_str())
                .or_insert(Some(index));
        }
    }
    for node in &ctx.model.nodes {
        if node.kind == NodeKind::Store && carries_personal_data(&node.data, node, ctx.rules) {
            receivers.entry(node.id.as_str()).or_insert(None);
        }
    }
    // A waiver written for one service keeps waiving that service's own finding.
    let waived: BTreeSet<&str> = ctx
        .model
        .waivers
        .iter()
        .filter(|w| Rule::from_name(&w.rule) == Ok(Rule::UnknownLocation))
        .filter_map(|w| w.to.as_ref().map(|t| t.id.as_str()))
        .collect();
    let mut projects: BTreeMap<Group<'_>, Vec<Unplaced<'_>>> = BTreeMap::new();
    let mut single = Vec::new();
    for (id, flow) in receivers {
        let Some(node) = ctx.node(id) else { continue };
        let ResolvedLocation::Unknown { reason } = &node.resolved else {
            continue;
        };
        // A misspelt location is reported once, as the mistake it is.
        if node
            .location
            .as_ref()
            .and_then(|l| l.span)
            .is_some_and(|span| mistakes.contains(&span))
        {
            continue;
        }
        let unplaced = Unplaced {
            node,
            reason: reason.as_str(),
            flow,
        };
        match group_of(node) {
            Some(project) if !waived.contains(id) => {
                projects.entry(project).or_default().push(unplaced);
            }
            _ => single.push(unplaced),
        }
    }
    for (project, services) in projects {
        if services.len() < 2 {
            single.extend(services);
            continue;
        }
        findings.push(project_finding(ctx, severity, &project, &services));
    }
    for unplaced in single {
        findings.push(node_finding(ctx, severity, &unplaced));
    }
}

/// The deployment whose unplaced services share one finding and one fix.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group<'a> {
    /// A compose project, by directory.
    Compose(&'a str),
    /// A Kubernetes manifest set and the namespace its manifests name (`None`: unnamed).
    Kubernetes(&'a str, Option<&'a str>),
}

/// The compose project, or the Kubernetes manifest set and namespace, a service node is declared in.
fn group_of(node: &Node) -> Option<Group<'_>> {
    if node.kind != NodeKind::Service {
        return None;
    }
    let scope = node.scope.as_deref()?;
    if let Some(directory) = scope.strip_prefix("compose:") {
        return Some(Group::Compose(directory));
    }
    let place = scope.strip_prefix("kubernetes:")?;
    Some(match place.rsplit_once('#') {
        Some((set, namespace)) => Group::Kubernetes(set, Some(namespace)),
        None => Group::Kubernetes(place, None),
    })
}

/// One finding for the unplaced services of one compose project (at least two, sorted by id).
fn project_finding(
    ctx: &Context<'_>,
    severity: crate::facts::Severity,
    group: &Group<'_>,
    services: &[Unplaced<'_>],
) -> Finding {
    let files: BTreeSet<&str> = services
        .iter()
        .filter_map(|s| s.node.span)
        .filter_map(|span| ctx.model.files.get(span.file))
        .map(|file| file.path.as_str())
        .collect();
    let files: Vec<&str> = files.into_iter().collect();
    let ids: Vec<&str> = services.iter().map(|s| s.node.id.as_str()).collect();
    let reasons: BTreeSet<&str> = services.iter().map(|s| s.reason).collect();
    let reason = match reasons.len() {
        1 => format!(" ({})", services[0].reason),
        _ => String::new(),
    };
    let first = &services[0];
    let what = match group {
        Group::Compose(project) => format!("services of the compose project `{project}`"),
        Group::Kubernetes(set, Some(namespace)) => {
            format!("workloads of the namespace `{namespace}` in the manifests `{set}`")
        }
        Group::Kubernetes(set, None) => format!("workloads of the manifests `{set}`"),
    };
    let mut finding = Finding::new(
        Rule::UnknownLocation,
        severity,
        format!(
            "{} {what} ({}) receive personal data, but their location is unknown{reason}: {}",
            services.len(),
            files.join(", "),
            ids.join(", ")
        ),
    )
    .at(service_span(first.node));
    for service in services {
        let id = &service.node.id;
        let what = if reasons.len() == 1 {
            format!("`{id}` is declared here")
        } else {
            format!("`{id}` is declared here: {}", service.reason)
        };
        finding = finding.related(service_span(service.node), what);
        if let Some(flow) = service.flow.map(|i| &ctx.model.flows[i]) {
            finding = finding.related(flow.span, format!("personal data flows to `{id}` here"));
        }
    }
    finding.inferred = services.iter().all(|s| s.node.inferred);
    if let Some(policy_span) = ctx.policy().spans.get("unknown_location") {
        finding = finding.related(Some(*policy_span), "the policy sets this severity");
    }
    if matches!(group, Group::Kubernetes(..)) {
        return finding.help(
            "annotate each workload with its location (`borderline.dev/location: EEA` under `metadata.annotations`, or \"aws:eu-central-1\", \"DE\"), or tag each manifest document (`# borderline: location=EEA` on the line above `apiVersion:`), or pin its pods with a `topology.kubernetes.io/region` node selector; or a `[[node]]` with `location` per workload in borderline.toml",
        );
    }
    // A tag places the services of its own file: a project spread over overlays needs one in each.
    let place = match files.as_slice() {
        [file] => format!("in {file}"),
        _ => format!("in each of {}", files.join(", ")),
    };
    finding.help(format!(
        "declare one location for the project: `# borderline: location=EEA` (or \"aws:eu-central-1\", \"DE\") on the line above `services:` {place} places every service declared below it; or a `borderline.dev/location` label per service, or a `[[node]]` with `location` per service in borderline.toml"
    ))
}

/// Where a service without a location is shown: the location it lacks, else its declaration.
fn service_span(node: &Node) -> Option<crate::source::Span> {
    node.location.as_ref().and_then(|l| l.span).or(node.span)
}

/// The finding for one unplaced receiver.
fn node_finding(
    ctx: &Context<'_>,
    severity: crate::facts::Severity,
    unplaced: &Unplaced<'_>,
) -> Finding {
    let node = unplaced.node;
    let id = node.id.as_str();
    let reason = unplaced.reason;
    let location_span = node.location.as_ref().and_then(|l| l.span);
    // A store is shown at what creates it, like its transfer would be, with where its
    // location was to come from; other receivers at the location they lack.
    let span = if node.kind == NodeKind::Store {
        node.span.or(location_span)
    } else {
        location_span.or(node.span)
    };
    let mut finding = Finding::new(
        Rule::UnknownLocation,
        severity,
        format!("`{id}` receives personal data, but its location is unknown: {reason}"),
    )
    .at(span);
    if node.kind == NodeKind::Store {
        if location_span.is_some() && location_span != span {
            finding = finding.related(location_span, "the location was to come from here");
        }
        finding = super::via_related(finding, node);
    }
    finding.to = Some(id.to_string());
    finding.inferred = node.inferred;
    if let Some(flow) = unplaced.flow.map(|i| &ctx.model.flows[i]) {
        finding.from = Some(flow.from.clone());
        finding = finding.related(flow.span, format!("personal data flows to `{id}` here"));
    }
    if let Some(policy_span) = ctx.policy().spans.get("unknown_location") {
        finding = finding.related(Some(*policy_span), "the policy sets this severity");
    }
    let quoted = crate::report::neutral::toml_string(id);
    finding.help(format!("declare where `{id}` is in borderline.toml: `[[node]] id = {quoted}` with `location = \"aws:eu-central-1\"` (a provider region, a country code such as \"DE\", or \"EEA\")"))
}
