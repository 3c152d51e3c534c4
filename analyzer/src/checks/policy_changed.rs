//! # policy-changed
//!
//! ## What it flags
//! With `--policy-from REF`, every change the scanned tree makes to what it is judged by, compared
//! with the commit REF names (the pull request's target branch): a `[policy]` key whose value
//! differs (`fail_on` lowered, `distrust_adequacy` shortened, a mechanism approved, ...), a
//! `[[waiver]]` added or given a later `expires`, and fingerprints added to the `--baseline` file.
//! The finding points at the changed key, waiver or baseline entry in the working tree.
//!
//! ## Why it matters
//! A pull request could otherwise approve its own transfers: add a waiver for the flow it
//! introduces, lower `fail_on`, or add its new finding to the baseline, and the gate passes. With
//! `--policy-from`, the policy, the waivers and the baseline are read from REF instead, so the
//! change has no effect on this run; it is reported so that a reviewer (the owner of
//! `borderline.toml` in CODEOWNERS) sees it and decides on it before it is merged.
//!
//! ## Example
//! `borderline scan . --policy-from origin/main` on a pull request whose manifest adds:
//! ```toml
//! [[waiver]]                       # policy-changed: a waiver not in origin/main
//! rule = "transfer-without-safeguard"
//! from = "checkout"
//! to = "acme-analytics"
//! reason = "trust me"
//! expires = "2099-01-01"
//! ```
//!
//! ## How to fix
//! Nothing to fix in the code: have the change reviewed by the owners of the policy. Once it is
//! merged into REF it is the policy, and the finding goes away. If REF has no manifest, every
//! `[policy]` key and waiver of the working tree is reported, since the default policy applies.
//!
//! ## References
//! None: this is about borderline's configuration. See `docs/ci.md` for the CI recipe.

use crate::baseline::Baseline;
use crate::config::Manifest;
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Context;
use crate::facts::{ExtractionDiagnostic, Severity};
use crate::policy::{Policy, SpecialCategoryPolicy, Waiver};
use crate::rule::Rule;
use crate::source::{SourceFile, Span};
use std::collections::BTreeSet;

// The changes are found while the policy is read (`policy_from`), before extraction, and carried
// to the model as diagnostics, like `input-error`.
pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    super::diagnostic_findings(ctx, Rule::PolicyChanged, findings);
}

/// A policy key's value as the manifest would spell it; lists are sorted, so the order they are
/// written in is not a change.
pub fn policy_value(policy: &Policy, key: &str) -> String {
    let list = |mut items: Vec<&str>| {
        items.sort_unstable();
        items.dedup();
        format!(
            "[{}]",
            items
                .iter()
                .map(|item| format!("\"{item}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let severity = |severity: Option<Severity>, off: &str| {
        format!("\"{}\"", severity.map(Severity::as_str).unwrap_or(off))
    };
    match key {
        "approved_mechanisms" => list(
            policy
                .approved_mechanisms
                .iter()
                .map(|kind| kind.as_str())
                .collect(),
        ),
        "require_tia" => policy.require_tia.to_string(),
        "special_categories" => match policy.special_categories {
            SpecialCategoryPolicy::Deny => "\"deny\"".into(),
            SpecialCategoryPolicy::Safeguard => "\"safeguard\"".into(),
        },
        "unknown_location" => severity(policy.unknown_location, "off"),
        "distrust_adequacy" => list(
            policy
                .distrust_adequacy
                .iter()
                .map(String::as_str)
                .collect(),
        ),
        "fail_on" => severity(policy.fail_on, "never"),
        "inferred_findings" => severity(Some(policy.inferred_findings), ""),
        _ => String::new(),
    }
}

fn diagnostic(span: Option<Span>, path: Option<String>, message: String) -> ExtractionDiagnostic {
    ExtractionDiagnostic {
        rule: Rule::PolicyChanged,
        severity: Rule::PolicyChanged.default_severity(),
        message,
        span,
        path,
    }
}

/// The waiver's identity: what it matches.
fn waiver_key(waiver: &Waiver) -> (String, Option<String>, Option<String>) {
    (
        waiver.rule.clone(),
        waiver.from.as_ref().map(|f| f.id.clone()),
        waiver.to.as_ref().map(|t| t.id.clone()),
    )
}

/// The changes the working tree's manifest makes to the policy and waivers of `base` (the manifest
/// at `reference`; `None` when REF has none, so the default policy and no waiver apply).
/// `working_path` names the working tree's manifest when it has no file to point into.
pub fn manifest_changes(
    reference: &str,
    base: Option<&Manifest>,
    working: Option<&Manifest>,
    working_path: &str,
) -> Vec<ExtractionDiagnostic> {
    let default_manifest = Manifest::default();
    let base_manifest = base.unwrap_or(&default_manifest);
    let working_manifest = working.unwrap_or(&default_manifest);
    let at = if base.is_some() {
        format!("at `{reference}`")
    } else {
        format!("by default (`{reference}` has no manifest)")
    };
    // A change with no key to point at (a key removed) points at the start of the manifest.
    let file_start = working_manifest
        .file_span
        .map(|span| Span::new(span.file, 0..0));
    let path = || file_start.is_none().then(|| working_path.to_string());
    let mut changes = Vec::new();
    for key in crate::policy::POLICY_KEYS {
        let before = policy_value(&base_manifest.policy, key);
        let after = policy_value(&working_manifest.policy, key);
        if before != after {
            let span = working_manifest
                .policy
                .spans
                .get(key)
                .copied()
                .or(file_start);
            changes.push(diagnostic(
                span,
                path(),
                format!(
                    "this change sets `policy.{key}` to {after}; it is {before} {at}, which applies to this run until the change is reviewed and merged"
                ),
            ));
        }
    }
    for waiver in &working_manifest.waivers {
        let key = waiver_key(waiver);
        let latest_before = base_manifest
            .waivers
            .iter()
            .filter(|old| waiver_key(old) == key)
            .map(|old| old.expires)
            .max();
        let message = match latest_before {
            None => format!(
                "this change adds a {} (until {}, reason: {}); waivers are read from `{reference}`, so it does not apply until it is reviewed and merged",
                waiver.describe(),
                waiver.expires,
                waiver.reason
            ),
            Some(expires) if waiver.expires > expires => format!(
                "this change extends a {} from {expires} to {}; the expiry {at} applies until the change is reviewed and merged",
                waiver.describe(),
                waiver.expires
            ),
            Some(_) => continue,
        };
        changes.push(diagnostic(waiver.span.or(file_start), path(), message));
    }
    changes
}

/// The fingerprints the working tree's baseline (`file`, already parsed as `working`) adds to the
/// baseline at `reference`, each at its place in the file.
pub fn baseline_changes(
    reference: &str,
    base: &Baseline,
    working: &Baseline,
    file: &SourceFile,
) -> Vec<ExtractionDiagnostic> {
    let known: BTreeSet<&str> = base
        .findings
        .iter()
        .map(|entry| entry.fingerprint.as_str())
        .collect();
    let mut reported = BTreeSet::new();
    let mut changes = Vec::new();
    for entry in &working.findings {
        if known.contains(entry.fingerprint.as_str())
            || !reported.insert(entry.fingerprint.as_str())
        {
            continue;
        }
        let quoted = format!("\"{}\"", entry.fingerprint);
        let span = file
            .text
            .find(&quoted)
            .map(|start| file.span(start..start + quoted.len()));
        let nodes = match (&entry.from, &entry.to) {
            (Some(from), Some(to)) => format!(" ({from} -> {to})"),
            (None, Some(to)) => format!(" (to {to})"),
            (Some(from), None) => format!(" (from {from})"),
            (None, None) => String::new(),
        };
        changes.push(diagnostic(
            span,
            span.is_none().then(|| file.path.to_string()),
            format!(
                "this change adds a `{}` finding{nodes} to the baseline; the baseline is read from `{reference}`, so the finding is not accepted until the change is reviewed and merged",
                entry.rule
            ),
        ));
    }
    changes
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use crate::config::parse_manifest;
    use crate::rules::RuleSet;
    use crate::source::FileId;
    use std::sync::Arc;

    fn manifest(text: &str) -> Manifest {
        let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        let file = SourceFile::new(FileId(0), "borderline.toml".into(), Arc::from(text));
        parse_manifest(&file, &rules).unwrap_or_else(|e| panic!("{e:?}"))
    }

    const WAIVER: &str =
        "[[waiver]]\nrule = \"missing-tia\"\nreason = \"PRIV-1\"\nexpires = \"2027-01-01\"\n";

    #[test]
    fn reordering_lists_and_shortening_a_waiver_are_not_changes() {
        let base = manifest(&format!(
            "[policy]\ndistrust_adequacy = [\"JP\", \"KR\"]\napproved_mechanisms = [\"scc\", \"bcr\"]\n{WAIVER}"
        ));
        let working = manifest(&format!(
            "[policy]\napproved_mechanisms = [\"bcr\", \"scc\"]\ndistrust_adequacy = [\"KR\", \"JP\"]\n{}",
            WAIVER.replace("2027-01-01", "2026-12-01")
        ));
        let changes = manifest_changes("main", Some(&base), Some(&working), "borderline.toml");
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn an_approved_mechanism_and_a_later_expiry_are_changes() {
        let base = manifest(&format!(
            "[policy]\napproved_mechanisms = [\"scc\"]\n{WAIVER}"
        ));
        let working = manifest(&format!(
            "[policy]\napproved_mechanisms = [\"scc\", \"derogation\"]\n{}",
            WAIVER.replace("2027-01-01", "2030-01-01")
        ));
        let changes = manifest_changes("main", Some(&base), Some(&working), "borderline.toml");
        let messages: Vec<&str> = changes.iter().map(|c| c.message.as_str()).collect();
        assert_eq!(changes.len(), 2, "{messages:?}");
        assert!(
            messages[0].contains("`policy.approved_mechanisms`"),
            "{messages:?}"
        );
        assert!(
            messages[1].contains("extends a waiver of `missing-tia` from 2027-01-01 to 2030-01-01"),
            "{messages:?}"
        );
        assert!(
            changes
                .iter()
                .all(|c| c.span.is_some() && c.rule == Rule::PolicyChanged)
        );
    }
}
