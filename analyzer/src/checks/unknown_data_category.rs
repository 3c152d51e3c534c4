//! # unknown-data-category
//!
//! ## What it flags
//! A data category in the manifest or an annotation that is not a key of the Fides taxonomy
//! (shipped in `rules/data-categories.csv`) nor of borderline's extensions
//! (`rules/categories.toml`). The message names the closest key.
//!
//! ## Why it matters
//! Categories decide what is personal and what is special (Art. 9/10). A misspelt
//! `user.health_and_medical` would let health data pass the special-category check unnoticed.
//!
//! ## Example
//! ```toml
//! data = ["user.contact.emial"]
//! ```
//!
//! ## How to fix
//! Use the taxonomy key the message suggests, or add an extension with `--rules DIR`.
//!
//! ## References
//! fideslang data categories (Ethyca, CC-BY-4.0).

use crate::evaluate::transfer::Context;
use crate::finding::Finding;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    super::diagnostic_findings(ctx, "unknown-data-category", findings);
}
