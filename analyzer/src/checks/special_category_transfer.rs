//! # special-category-transfer
//!
//! ## What it flags
//! Special-category data (GDPR Art. 9: health, genetic, biometric, racial or ethnic origin,
//! political opinions, religious beliefs, sex life or sexual orientation, trade-union membership)
//! or criminal-offence data (Art. 10) leaves the EEA while the policy says
//! `special_categories = "deny"` (the default). With `special_categories = "safeguard"` such data
//! may leave with a valid safeguard, like other personal data, and this rule stays quiet.
//!
//! ## Why it matters
//! Art. 9 data needs an Art. 9(2) condition on top of a Chapter V tool, and a breach of it is
//! among the most serious. Many organisations decide that such data never leaves the EEA; this
//! rule enforces that decision, whatever safeguard the flow has.
//!
//! ## Example
//! ```toml
//! [[flow]]
//! from = "patient-records"
//! to = "us-transcription"
//! data = ["user.health_and_medical.record_id"]
//! ```
//!
//! ## How to fix
//! Keep the data in the EEA (an EU region or an EU-resident vendor), send pseudonymised or
//! non-special data only, or, with the privacy team's approval, set
//! `special_categories = "safeguard"` and give the flow a valid safeguard.
//!
//! ## References
//! GDPR Art. 9, Art. 10, Art. 44; EDPB Recommendations 01/2020, use cases 6 and 7.

use super::{describe, transfer_finding};
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, special_categories_denied};
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    for transfer in &ctx.transfers {
        if !special_categories_denied(transfer, ctx.policy()) {
            continue;
        }
        let special = transfer
            .special
            .iter()
            .map(|(key, article)| format!("{key} (Art. {article})"))
            .collect::<Vec<_>>()
            .join(", ");
        let message = format!(
            "{} carries special-category data {special}, which the policy keeps inside the EEA",
            describe(transfer)
        );
        let mut finding = transfer_finding(ctx, transfer, Rule::SpecialCategoryTransfer, message);
        if let Some(policy_span) = ctx.policy().spans.get("special_categories") {
            finding = finding.related(Some(*policy_span), "the policy on special categories");
        }
        finding = finding.help("keep this data in the EEA (an EU region or EU-resident recipient), or send only non-special or pseudonymised data");
        findings.push(finding);
    }
}
