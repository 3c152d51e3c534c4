//! # derogation-for-systematic-transfer
//!
//! ## What it flags
//! A flow that is part of the system (declared in the manifest, annotated in code or configured in
//! infrastructure, so it runs again and again) and relies on an Art. 49 derogation such as
//! explicit consent or the performance of a contract.
//!
//! ## Why it matters
//! Derogations are for occasional, non-repetitive transfers and must be read restrictively (EDPB
//! Guidelines 2/2018). A transfer built into a service is systematic by nature; relying on a
//! derogation for it is the exception becoming the rule. The compelling-legitimate-interests
//! derogation also requires informing the supervisory authority and the data subjects, and is
//! never available for repetitive transfers: relying on it for a configured flow is an error.
//!
//! ## Example
//! ```toml
//! safeguard = { mechanism = "derogation", derogation = "explicit-consent" }
//! ```
//!
//! ## How to fix
//! Put an Art. 46 safeguard in place (SCC 2021/914 with a TIA), or make the flow genuinely
//! occasional and document why a derogation applies.
//!
//! ## References
//! GDPR Art. 49 and Recital 111; EDPB Guidelines 2/2018 on derogations of Article 49.

use super::{describe, transfer_finding};
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, Verdict};
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    for transfer in &ctx.transfers {
        let Some(derogation) = &transfer.derogation else {
            continue;
        };
        if !matches!(transfer.verdict, Verdict::Safeguarded { .. }) {
            continue;
        }
        let article = ctx
            .rules
            .derogation(derogation)
            .map(|d| format!(" (Art. {})", d.article))
            .unwrap_or_default();
        let message = format!(
            "{} is a configured, repeating flow that relies on the `{derogation}` derogation{article}; Art. 49 is for occasional transfers",
            describe(transfer)
        );
        let mut finding = transfer_finding(
            ctx,
            transfer,
            Rule::DerogationForSystematicTransfer,
            message,
        );
        // Art. 49(1) second subparagraph: compelling legitimate interests only for transfers that
        // are not repetitive, so a configured flow can never meet it.
        if derogation == "compelling-legitimate-interests" {
            finding.severity = crate::facts::Severity::Error;
        }
        if let Some((safeguard, _)) = &transfer.safeguard
            && safeguard.span != transfer.span
        {
            finding = finding.related(safeguard.span, "the derogation is declared here");
        }
        finding = finding.help(format!(
            "put SCC {} with a TIA in place for this flow, or document why it is occasional",
            ctx.rules.current_scc_version()
        ));
        findings.push(finding);
    }
}
