//! # unused-waiver
//!
//! ## What it flags
//! A `[[waiver]]` in `borderline.toml` that matches no finding: the problem it waived is fixed, or
//! its `rule`, `from` or `to` does not match what borderline reports. Also an inline waiver
//! (`# borderline: waive RULE reason="..." expires=...` in a repository file) whose rule no finding
//! on its line, or on the line below its comment block, reports; it is reported at the comment.
//!
//! ## Why it matters
//! A stale waiver is a loaded gun: if the flow comes back, or a new one matches it, it is silently
//! accepted. Removing waivers that no longer apply keeps the register honest.
//!
//! ## Example
//! ```toml
//! [[waiver]]
//! rule = "transfer-without-safeguard"
//! from = "checkout"
//! to = "old-vendor"        # no such transfer any more
//! reason = "PRIV-88"
//! expires = "2027-03-31"
//! ```
//!
//! ## How to fix
//! Delete the waiver, or correct its `rule`, `from` and `to`. Move an inline waiver onto the line
//! the finding points at, or directly above it (no blank line between).
//!
//! ## References
//! None: this is about borderline's configuration.

use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Context;
use crate::policy::Waiver;
use crate::rule::Rule;

// Waivers are matched against the findings of every other check, so this rule is evaluated
// while waivers are applied; `finding` builds its result.
pub(super) fn run(_ctx: &Context<'_>, _findings: &mut Vec<Finding>) {}

/// The finding for a waiver that matched nothing.
pub(crate) fn finding(waiver: &Waiver) -> Finding {
    let mut finding = Finding::new(
        Rule::UnusedWaiver,
        Rule::UnusedWaiver.default_severity(),
        format!("this {} matches no finding", waiver.describe()),
    )
    .at(waiver.span)
    .help(if waiver.in_source() {
        "remove the comment, or put it on the line the finding points at, or directly above it"
    } else {
        "remove the waiver, or correct its `rule`, `from` and `to`"
    });
    finding.from = waiver.from.as_ref().map(|f| f.id.clone());
    finding.to = waiver.to.as_ref().map(|t| t.id.clone());
    finding
}
