//! The manifest's policy data the rest of the analyzer reads: the `[policy]` table with its
//! defaults, waivers, and the names of the policy keys. It sits below `model` and `config`:
//! `config` fills these types from `borderline.toml`, `model`, `evaluate` and `report` read them,
//! so neither of those needs the manifest reader.

use crate::date::Date;
use crate::facts::Environment;
use crate::facts::{MechanismKind, NodeRef, Severity};
use crate::source::Span;
use std::collections::BTreeMap;

/// What Art. 9/10 data may do outside the EEA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpecialCategoryPolicy {
    /// Never leaves the EEA (default).
    Deny,
    /// Leaves only with a safeguard, like other personal data.
    Safeguard,
}

/// The `[policy]` table with defaults applied.
#[derive(Clone, Debug)]
pub struct Policy {
    pub approved_mechanisms: Vec<MechanismKind>,
    pub require_tia: bool,
    pub special_categories: SpecialCategoryPolicy,
    /// `None` turns the `unknown-location` check off.
    pub unknown_location: Option<Severity>,
    pub distrust_adequacy: Vec<String>,
    pub fail_on: Option<Severity>,
    /// The highest severity a finding may have when it rests on an inferred fact (a URL literal,
    /// a field name): guesses never fail the gate on their own unless the policy says so.
    pub inferred_findings: Severity,
    /// The environment classes `[scan] include` judges like production (`tests`, `dev`); findings
    /// whose evidence is only in another non-production class are notes. Not a `[policy]` key:
    /// it says what the scan covers, so `policy-changed` does not compare it.
    pub include: Vec<Environment>,
    /// Where each policy key was written, for related locations in findings.
    pub spans: BTreeMap<&'static str, Span>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            approved_mechanisms: MechanismKind::ALL.iter().map(|(_, kind)| *kind).collect(),
            require_tia: true,
            special_categories: SpecialCategoryPolicy::Deny,
            unknown_location: Some(Severity::Warning),
            distrust_adequacy: Vec::new(),
            fail_on: Some(Severity::Error),
            inferred_findings: Severity::Warning,
            include: Vec::new(),
            spans: BTreeMap::new(),
        }
    }
}

/// A waiver: a known finding suppressed, with a reason, until it expires.
#[derive(Clone, Debug)]
pub struct Waiver {
    pub rule: String,
    pub from: Option<NodeRef>,
    pub to: Option<NodeRef>,
    pub reason: String,
    pub expires: Date,
    /// Where the waiver is written: its `[[waiver]]` table, or its comment in a repository file.
    pub span: Option<Span>,
    /// `Some` for an inline waiver (`# borderline: waive RULE ...` in a repository file): the
    /// lines it covers, its own line and the line below its comment block. It waives only findings
    /// that point into them; `None` for a manifest waiver, matched by `from` and `to`.
    pub covers: Option<Span>,
}

impl Waiver {
    /// True for a waiver written in a comment of a repository file (SARIF `inSource`).
    pub fn in_source(&self) -> bool {
        self.covers.is_some()
    }

    /// "waiver of `RULE` from `A` to `B`", for messages about the waiver itself.
    pub fn describe(&self) -> String {
        format!(
            "{}waiver of `{}`{}{}",
            if self.in_source() { "inline " } else { "" },
            self.rule,
            self.from
                .as_ref()
                .map(|f| format!(" from `{}`", f.id))
                .unwrap_or_default(),
            self.to
                .as_ref()
                .map(|t| format!(" to `{}`", t.id))
                .unwrap_or_default()
        )
    }
}

/// The keys of `[policy]`, in the order they are reported when compared (`policy-changed`).
pub const POLICY_KEYS: &[&str] = &[
    "approved_mechanisms",
    "require_tia",
    "special_categories",
    "unknown_location",
    "distrust_adequacy",
    "fail_on",
    "inferred_findings",
];
