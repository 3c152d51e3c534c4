//! # unapproved-mechanism
//!
//! ## What it flags
//! A transfer that relies on a mechanism the organisation's policy does not approve:
//! `policy.approved_mechanisms` in `borderline.toml` lists the mechanisms the privacy team
//! accepts (default: all of `adequacy`, `scc`, `bcr`, `code-of-conduct`, `certification`,
//! `ad-hoc-clauses`, `derogation`). A safeguard or an adequacy decision outside that list does not
//! count.
//!
//! ## Why it matters
//! The law allows several tools, but an organisation may rely on fewer: a company without approved
//! BCRs, or one that will not lean on derogations, writes that into its policy. The gate holds
//! every team to it.
//!
//! ## Example
//! ```toml
//! [policy]
//! approved_mechanisms = ["adequacy", "scc"]
//!
//! [[flow]]
//! from = "hr"
//! to = "group-hr-us"
//! safeguard = { mechanism = "bcr", reference = "BCR-2019-17" }
//! ```
//!
//! ## How to fix
//! Use an approved mechanism for the flow, or change the policy after the privacy team agrees.
//!
//! ## References
//! GDPR Art. 45-47, 49; the organisation's transfer policy.

use super::{describe, transfer_finding};
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, Verdict};
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    for transfer in &ctx.transfers {
        let Verdict::Unapproved { mechanism, span } = &transfer.verdict else {
            continue;
        };
        let approved = ctx
            .policy()
            .approved_mechanisms
            .iter()
            .map(|m| format!("`{}`", m.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let message = format!(
            "{} relies on `{}`, which the policy does not approve (approved: {})",
            describe(transfer),
            mechanism.as_str(),
            if approved.is_empty() {
                "none".into()
            } else {
                approved
            }
        );
        let mut finding = transfer_finding(ctx, transfer, Rule::UnapprovedMechanism, message);
        if span.is_some() && *span != transfer.span {
            finding = finding.related(*span, "the safeguard is declared here");
        }
        if let Some(policy_span) = ctx.policy().spans.get("approved_mechanisms") {
            finding = finding.related(Some(*policy_span), "the policy's approved mechanisms");
        }
        finding = finding.help("use one of the approved mechanisms for this flow, or ask the privacy team to approve this one in `policy.approved_mechanisms`");
        findings.push(finding);
    }
}
