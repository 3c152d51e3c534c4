//! # unknown-data-category
//!
//! ## What it flags
//! A data category that is not a key of the Fides taxonomy (shipped in
//! `rules/data-categories.csv`) nor of borderline's extensions (`rules/categories.toml`). A
//! category a person wrote, in the manifest, a Rust attribute or a comment tag, is an `error` at
//! the value: the gate fails until it is fixed. A category that nobody wrote in the repository
//! (one borderline inferred, or one of a `merge` fragment, judged in its own repository's scan)
//! is a `warning`. The message names the key the writer most likely meant: a typo of a key
//! (`user.contact.emial`), else the last segment as a leaf, a word of a leaf or of a category's
//! name under the known part of the key (`user.religion` -> `user.demographic.religious_belief`,
//! `user.email` -> `user.contact.email`, `user.health` -> `user.health_and_medical`).
//!
//! ## Why it matters
//! Categories decide what is personal and what is special (Art. 9/10). A misspelt
//! `user.health_and_medical` would let health data pass the special-category check unnoticed,
//! and a safeguard on the flow would then make the transfer look lawful.
//!
//! ## Example
//! ```python
//! # borderline: flow to=sendgrid data=user.contact.emial
//! ```
//!
//! ## How to fix
//! Use the taxonomy key the message suggests, or add an extension with `--rules DIR`.
//!
//! ## References
//! fideslang data categories (Ethyca, CC-BY-4.0); GDPR Art. 9 and 10.

use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Context;
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    let first = findings.len();
    super::diagnostic_findings(ctx, Rule::UnknownDataCategory, findings);
    for finding in &mut findings[first..] {
        finding.help = Some("write a key of the Fides taxonomy (rules/data-categories.csv), e.g. the one suggested, or add an extension with `--rules DIR`".into());
    }
}
