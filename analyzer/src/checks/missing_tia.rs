//! # missing-tia
//!
//! ## What it flags
//! A transfer that relies on an Art. 46 tool (standard contractual clauses, binding corporate
//! rules, ad hoc clauses, an approved code of conduct or certification: every mechanism with
//! `requires_tia` in `rules/mechanisms.toml`) and names no transfer impact assessment
//! (`tia = "..."` on the safeguard), while the policy requires one (`require_tia = true`, the
//! default).
//!
//! ## Why it matters
//! After Schrems II (C-311/18) an Art. 46 tool is only as good as the exporter's assessment of the
//! destination's laws and practices (SCC 2021/914, Clause 14). Without a documented TIA the
//! contract alone does not show the transfer is lawful.
//!
//! ## Example
//! ```toml
//! safeguard = { mechanism = "scc", version = "2021/914", module = 2, signed = "2025-02-01" }
//! ```
//!
//! ## How to fix
//! Do the assessment (EDPB Recommendations 01/2020, steps 3 and 4), store it, and name it:
//! `tia = "docs/tia/vendor.md"`.
//!
//! ## References
//! CJEU C-311/18 (Schrems II); SCC 2021/914 Clause 14; EDPB Recommendations 01/2020; EDPB
//! Guidelines 04/2021 (codes of conduct as transfer tools) and 07/2022 (certification as a
//! transfer tool).

use super::{describe, transfer_finding};
use crate::evaluate::transfer::{Context, SafeguardSource, Verdict};
use crate::finding::Finding;
use crate::report::neutral::toml_string;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    for transfer in &ctx.transfers {
        if !transfer.missing_tia || !matches!(transfer.verdict, Verdict::Safeguarded { .. }) {
            continue;
        }
        let mechanism = transfer
            .safeguard
            .as_ref()
            .map(|(s, _)| s.mechanism.as_str())
            .unwrap_or("scc");
        let message = format!(
            "{} relies on `{mechanism}` without a transfer impact assessment",
            describe(transfer)
        );
        let mut finding = transfer_finding(ctx, transfer, "missing-tia", message);
        if let Some((safeguard, _)) = &transfer.safeguard
            && safeguard.span != transfer.span
        {
            finding = finding.related(safeguard.span, "the safeguard is declared here");
        }
        if let Some(policy_span) = ctx.policy().spans.get("require_tia") {
            finding = finding.related(Some(*policy_span), "the policy requires a TIA");
        }
        // The help names the stanza that holds the safeguard, so the `tia` goes where it counts.
        let holder = match (&transfer.safeguard, &transfer.from) {
            (Some((_, SafeguardSource::Flow)), Some(from)) => {
                format!(
                    "`[[flow]] from = {} to = {}`",
                    toml_string(from),
                    toml_string(&transfer.to)
                )
            }
            _ => format!("`[[node]] id = {}`", toml_string(&transfer.to)),
        };
        finding = finding.help(format!("assess the destination's laws and practices, write it down in the repository, and add `tia = \"PATH\"` (its path or reference) to the `safeguard` of {holder} in borderline.toml"));
        findings.push(finding);
    }
}
