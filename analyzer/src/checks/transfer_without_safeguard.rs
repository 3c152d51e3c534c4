//! # transfer-without-safeguard
//!
//! ## What it flags
//! A flow that takes personal data of people in the EEA to a country outside the EEA (a
//! *transfer*), or on from one third country to another country or organisation (an *onward
//! transfer*), when the destination has no adequacy decision in force on the evaluation date and
//! the flow (or its recipient) declares no valid safeguard. A flow whose data categories are
//! unknown counts as carrying personal data unless its destination says `personal_data = false`.
//!
//! Data at rest is a transfer too: a store (a Terraform bucket, database, table or queue, a store
//! from annotations or the manifest) outside the EEA is a transfer to its hosting provider, judged
//! like a flow. Its data counts as personal unless the store declares `data` that is not, or
//! `personal_data = false`. The finding points at what creates the store (the resource, the
//! registry module call, the manifest entry), with where its region is set (the `region`
//! argument, the `provider` block) and, for a store inside local modules, each module call from
//! the root as related locations. A store in a US region of a DPF-certified provider is adequate
//! (no finding, but a row of the transfer register); with `policy.distrust_adequacy = ["US"]` it is
//! this finding.
//!
//! ## Why it matters
//! GDPR Art. 44 allows transfers only under Chapter V: an adequacy decision (Art. 45), an
//! appropriate safeguard (Art. 46, BCRs under Art. 47), or a derogation (Art. 49). A transfer with
//! none of these is unlawful; fines reach 4 % of worldwide turnover (Art. 83(5)(c)).
//!
//! ## Example
//! ```toml
//! [[node]]
//! id = "support-desk"
//! kind = "vendor"
//! location = "IN"
//!
//! [[flow]]
//! from = "checkout"          # in aws:eu-west-1
//! to = "support-desk"        # India: no adequacy decision
//! data = ["user.contact.email"]
//! ```
//!
//! A store whose data is not personal says so: `personal_data = false` on its `[[node]]` in
//! `borderline.toml`, or a tag right where the resource is declared:
//! ```hcl
//! # borderline: personal_data=false
//! resource "aws_s3_bucket" "alb_logs" { ... }
//! ```
//! Calls of widely used registry modules that create stores (`rules/modules.toml`:
//! terraform-aws-modules s3-bucket, rds, dynamodb-table, terraform-google-modules sql-db, Azure
//! Verified Modules, ...) are read as the stores they create, located from their inputs.
//!
//! ## How to fix
//! Sign the Commission's standard contractual clauses (Decision 2021/914, the module that fits the
//! roles) with the recipient, do a transfer impact assessment, and declare them on the flow:
//! `safeguard = { mechanism = "scc", version = "2021/914", module = 2, signed = "2025-05-01", tia = "docs/tia/support.md" }`.
//! Or keep the data in the EEA: choose the recipient's EU region or endpoint.
//!
//! ## References
//! GDPR Art. 44-49; EDPB Guidelines 05/2021 on the interplay between Art. 3 and Chapter V;
//! EDPB Recommendations 01/2020 on supplementary measures.

use super::{data_phrase, describe, transfer_finding};
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, Verdict};
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    for transfer in &ctx.transfers {
        let Verdict::NoBasis { reason } = &transfer.verdict else {
            continue;
        };
        let message = format!(
            "{} carries {} with no Chapter V safeguard: {reason}",
            describe(transfer),
            data_phrase(transfer)
        );
        let mut finding = transfer_finding(ctx, transfer, Rule::TransferWithoutSafeguard, message);
        if let Some((safeguard, _)) = &transfer.safeguard {
            finding = finding.related(
                safeguard.span,
                "the safeguard declared here is not a valid transfer tool",
            );
        }
        let destination = ctx.node(&transfer.to);
        let hosted_by = destination
            .filter(|n| n.kind == crate::facts::NodeKind::Store)
            .and_then(|n| n.provider.as_deref())
            .and_then(|p| ctx.rules.provider(p));
        finding = finding.help(match hosted_by {
            // A store's recipient is its hosting provider: the contract is with them.
            Some(provider) => format!(
                "move `{}` to an EEA region, or sign SCC {} (module 2) with {} as the store's host, record a TIA and declare it in borderline.toml: {}",
                transfer.to,
                ctx.rules.current_scc_version(),
                provider.legal_entity,
                super::safeguard_stanzas(ctx.rules, transfer)
            ),
            None => format!(
                "sign SCC {} (module 2 for a processor, 1 for a controller) with `{}`, record a TIA and declare it in borderline.toml: {}; or move the data to an EEA region or endpoint",
                ctx.rules.current_scc_version(),
                transfer.to,
                super::safeguard_stanzas(ctx.rules, transfer)
            ),
        });
        findings.push(finding);
    }
}
