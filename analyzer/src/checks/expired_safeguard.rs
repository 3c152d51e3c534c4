//! # expired-safeguard
//!
//! ## What it flags
//! A transfer relies on something that is not valid on the evaluation date (`--date`, default
//! today): a safeguard past its `expires` date or signed after the evaluation date; standard
//! contractual clauses of the repealed decisions 2001/497/EC, 2004/915/EC or 2010/87/EU (valid only
//! for contracts signed before 27 September 2021, and only until 27 December 2022); an adequacy
//! decision past its expiry (the UK decision runs until 27 December 2031); or a waiver in
//! `borderline.toml` whose `expires` date has passed (the finding it waived is reported again).
//! Every end date is the last day something still applies ("shall expire on"): on the date itself
//! the decision, safeguard or waiver is in force, from the next day it is reported here.
//!
//! ## Why it matters
//! A safeguard protects a transfer only while it is in force. Old SCCs stopped being appropriate
//! safeguards on 27 December 2022 (Decision 2021/914, Art. 4); contracts still on them leave every
//! transfer they cover without a basis.
//!
//! ## Example
//! ```toml
//! safeguard = { mechanism = "scc", version = "2010/87", signed = "2019-04-02" }
//! ```
//!
//! ## How to fix
//! Replace the contract with SCC 2021/914 (the module that fits), renew the safeguard, or, for a
//! waiver, fix the finding or renew the waiver with a new reason and date.
//!
//! ## References
//! Commission Implementing Decision (EU) 2021/914, Art. 4; Decision (EU) 2021/1772 (UK adequacy)
//! as renewed in December 2025.

use super::{describe, transfer_finding};
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, Verdict};
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    for transfer in &ctx.transfers {
        let Verdict::Expired { what, span } = &transfer.verdict else {
            continue;
        };
        let message = format!(
            "{} relies on a safeguard that is not valid on {}: {what}",
            describe(transfer),
            ctx.date
        );
        let mut finding = transfer_finding(ctx, transfer, Rule::ExpiredSafeguard, message);
        if span.is_some() && *span != transfer.span {
            finding = finding.related(*span, "the safeguard is declared here");
        }
        finding = finding.help(format!("sign SCC {} (the module that fits the parties' roles), record a TIA, and update `safeguard` with the new `signed` date", ctx.rules.current_scc_version()));
        findings.push(finding);
    }
    // Expired waivers are reported where waivers are applied (evaluate::waivers), since they
    // depend on the findings of every other check.
}
