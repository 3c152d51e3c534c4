//! # adequacy-scope-not-met
//!
//! ## What it flags
//! A transfer to a country that has an adequacy decision, where the recipient is outside that
//! decision's scope, and no other safeguard is declared. The common case is the United States: the
//! EU-US Data Privacy Framework decision (2023/1795) covers only organisations that self-certify
//! and stay on the DPF List. Other scope limits (Canada: organisations under PIPEDA; Japan: the
//! private sector; Korea: its three exclusions) come from the rule data; those that a repository
//! cannot show are reported as assumptions instead.
//!
//! ## Why it matters
//! An adequacy decision is a finding about a legal framework, and it applies only as far as its
//! own text says (GDPR Art. 45(3)). A US recipient that is not DPF-certified gets no protection from
//! the decision, so the transfer needs an Art. 46 safeguard like any other.
//!
//! ## Example
//! ```toml
//! [[node]]
//! id = "crm-vendor"
//! kind = "vendor"
//! location = "US"          # no `certifications = ["dpf"]`
//! ```
//!
//! ## How to fix
//! If the recipient is on the DPF List (check dataprivacyframework.gov), declare
//! `certifications = ["dpf"]` on its node. Otherwise sign SCC 2021/914 with it and record a TIA.
//!
//! ## References
//! Commission Implementing Decision (EU) 2023/1795 (EU-US DPF); GDPR Art. 45; appeal C-703/25 P
//! (Latombe) pending.

use super::{data_phrase, describe, transfer_finding};
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, Verdict};
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    for transfer in &ctx.transfers {
        let Verdict::ScopeNotMet {
            country,
            decision,
            condition,
        } = &transfer.verdict
        else {
            continue;
        };
        let message = format!(
            "{} carries {}: {country} is adequate only within the scope of {decision}, and `{}` is outside it: {condition}",
            describe(transfer),
            data_phrase(transfer),
            transfer.to
        );
        let mut finding = transfer_finding(ctx, transfer, Rule::AdequacyScopeNotMet, message);
        let scc = ctx.rules.current_scc_version();
        let help = match ctx.rules.unmet_certification(country, decision, condition) {
            Some((certification, register)) => format!(
                "if `{}` is on the {register}, declare `[[node]] id = {}` with `certifications = [\"{certification}\"]` in borderline.toml; otherwise sign SCC {scc} with it, record a TIA and declare {}",
                transfer.to,
                crate::report::neutral::toml_string(&transfer.to),
                super::safeguard_stanzas(ctx.rules, transfer)
            ),
            None => format!(
                "show that `{}` is within the scope of {decision}, or sign SCC {scc} with it, record a TIA and declare {}",
                transfer.to,
                super::safeguard_stanzas(ctx.rules, transfer)
            ),
        };
        finding = finding.help(help);
        findings.push(finding);
    }
}
