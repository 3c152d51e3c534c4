//! # unresolved-reference
//!
//! ## What it flags
//! A flow, waiver or code annotation that names a node that exists nowhere: not in
//! `borderline.toml`, not in code annotations, not in infrastructure. Also a flow whose source
//! cannot be told because its file belongs to no node. The flow is left out of the map; the rest
//! of the scan goes on. As a note: a Terragrunt unit whose module is remote (git, registry) or
//! not in the scanned tree, a `generate` block whose Terraform is not read, a var file beside
//! several Terraform roots: what they deploy is not read, and its locations are unknown.
//!
//! An id a person wrote as a flow's `from` or `to` (a `[[flow]]`, a Rust attribute, a comment
//! tag) that names neither a node nor a vendor of the rule data is an `error`: the transfer it
//! describes would otherwise pass the gate unjudged. A reference read from configuration stays a
//! `warning`, and one written in a test or development file is a note, as every finding there is.
//!
//! Also a comment tag on a declaration (`# borderline: personal_data=false` directly above a
//! Terraform block, a Kubernetes object or a compose service) that applies to nothing: no
//! declaration directly below it (a blank line ends the comment block), or a declaration that
//! makes no node (an IAM role, a network).
//!
//! ## Why it matters
//! A misspelt node id silently drops a flow from every check: the transfer it describes would
//! never be judged. borderline says so instead, and suggests the closest existing id.
//!
//! ## Example
//! ```toml
//! [[flow]]
//! from = "checkout"
//! to = "acme-analytic"     # the node is `acme-analytics`
//! ```
//!
//! ## How to fix
//! Correct the id, or declare the node (`[[node]]` in borderline.toml, or a `store`/`service`
//! annotation). Move a tag on a declaration to the comment block directly above the block that
//! creates the store or service, or remove it.
//!
//! ## References
//! GDPR Art. 30 (records must be complete).

use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Context;
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    super::diagnostic_findings(ctx, Rule::UnresolvedReference, findings);
}
