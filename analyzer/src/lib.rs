//! borderline: maps where personal data is stored and flows, and flags GDPR Chapter V transfers without a safeguard.
//!
//! The pipeline runs one way: [`discover`] → [`extract`] → [`model`] → [`evaluate`] → [`report`].
//! See ARCHITECTURE.md for the invariants of each stage.

pub mod baseline;
pub mod checks;
pub mod config;
pub mod date;
pub mod discover;
pub mod evaluate;
pub mod extract;
pub mod facts;
pub mod git_tree;
pub mod hash;
pub mod manifest_schema;
pub mod merge;
pub mod model;
pub mod policy;
pub mod policy_from;
pub mod report;
pub mod rule;
pub mod rules;
pub mod safe_io;
pub mod safeguard;
pub mod scan;
pub mod source;
pub mod suggest;
