//! # inferred-personal-data
//!
//! ## What it flags
//! A field of an unannotated Rust struct whose name means personal data (`email`, `phone`,
//! `date_of_birth`, `iban`, `ip_address`, ...) on a type that is serialized or stored (it derives
//! serde `Serialize`/`Deserialize`, sqlx `FromRow` or diesel `Queryable`/`Insertable`). The
//! category it looks like is added, marked inferred, to the node the file belongs to. This is a
//! note: a guess to confirm, never an error on its own.
//!
//! ## Why it matters
//! A data map is only as complete as its annotations. Flows out of a service are judged by the
//! data the service holds; a service that stores e-mail addresses without saying so would have
//! its transfers judged as carrying unspecified data. GDPR Art. 30 asks for the categories of
//! personal data in the record of processing.
//!
//! ## Example
//! ```text
//! #[derive(serde::Serialize, sqlx::FromRow)]
//! struct Subscriber {
//!     id: i64,
//!     email: String,      // looks like user.contact.email
//! }
//! ```
//!
//! ## How to fix
//! Confirm the category with `#[derive(borderline::PersonalData)]` and `#[pii("user.contact.email")]`
//! on the field (annotated structs are not guessed at), or give the field a category that says
//! what it really holds.
//!
//! ## References
//! GDPR Art. 30(1)(c) (categories of personal data); the Fides data-category taxonomy.

use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Context;
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    super::diagnostic_findings(ctx, Rule::InferredPersonalData, findings);
}
