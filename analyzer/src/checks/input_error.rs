//! # input-error
//!
//! ## What it flags
//! A file in the scanned repository that borderline could not read or parse: malformed TOML, YAML,
//! HCL or JSON, a Rust file that does not parse, a malformed annotation, a file over the size limit,
//! a file that is not UTF-8. The message gives the line and column the parser reports and why.
//! Also a deployment input borderline does not follow: a Kustomize entry that is remote, leaves
//! the repository, is a cycle or a patch whose target matches nothing; a Terragrunt `source`,
//! `include` or `read_terragrunt_config` path out of the repository, or an include cycle. What it
//! would define is unknown.
//!
//! ## Why it matters
//! A file that cannot be read may hide a transfer. The scan goes on with every other file, so one
//! broken file never hides the findings of the rest, but the gap is reported rather than silent.
//!
//! ## Example
//! ```yaml
//! env:
//!   - name: SENTRY_DSN
//!     value: "https://key@o1.ingest.sentry.io/1
//! ```
//!
//! ## How to fix
//! Fix the syntax, or exclude the file in `[scan] exclude` if it is not real configuration (a
//! template, a test fixture).
//!
//! ## References
//! None: this is about borderline's input, not the law.

use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Context;
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    super::diagnostic_findings(ctx, Rule::InputError, findings);
}
