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
//! calls it, or add an `examples/` root that configures the provider.
//!
//! ## References
//! GDPR Art. 30(1)(e) (records must name the third countries); EDPB Recommendations 01/2020 step 1
//! ("know your transfers").

use crate::evaluate::transfer::{Context, carries_personal_data, effective_data};
use crate::finding::Finding;
use crate::model::ResolvedLocation;
use crate::model::facts::NodeKind;
use std::collections::BTreeMap;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    let Some(severity) = ctx.policy().unknown_location else {
        return;
    };
    // Notes from extraction: the stores of a module no root calls, placed by its callers.
    super::diagnostic_findings(ctx, "unknown-location", findings);
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
    for (id, flow_index) in receivers {
        let Some(node) = ctx.node(id) else { continue };
        let ResolvedLocation::Unknown { reason } = &node.resolved else {
            continue;
        };
        let location_span = node.location.as_ref().and_then(|l| l.span);
        // A store is shown at what creates it, like its transfer would be, with where its
        // location was to come from; other receivers at the location they lack.
        let span = if node.kind == NodeKind::Store {
            node.span.or(location_span)
        } else {
            location_span.or(node.span)
        };
        let mut finding = Finding::new(
            "unknown-location",
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
        if let Some(flow) = flow_index.map(|i| &ctx.model.flows[i]) {
            finding.from = Some(flow.from.clone());
            finding = finding.related(flow.span, format!("personal data flows to `{id}` here"));
        }
        if let Some(policy_span) = ctx.policy().spans.get("unknown_location") {
            finding = finding.related(Some(*policy_span), "the policy sets this severity");
        }
        finding = finding.help(format!("declare `location` for `{id}` in borderline.toml (e.g. \"aws:eu-central-1\", \"DE\" or \"EEA\")"));
        findings.push(finding);
    }
}
