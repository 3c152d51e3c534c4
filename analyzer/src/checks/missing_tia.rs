//! # missing-tia
//!
//! ## What it flags
//! A transfer that relies on an Art. 46 tool (standard contractual clauses, binding corporate
//! rules, ad hoc clauses, an approved code of conduct or certification: every mechanism with
//! `requires_tia` in `rules/mechanisms.toml`) and names no transfer impact assessment
//! (`tia = "..."` on the safeguard), while the policy requires one (`require_tia = true`, the
//! default).
//!
//! A `tia` counts when it names an assessment: a URL, a document reference that is not a path
//! (`DPA-2024-017`), or a path to a file or directory of the repository, relative to the
//! repository root or to the manifest's directory (no symlink followed, nothing outside the root).
//! A placeholder (`...`, `TODO`, `TBD`, `<...>`, empty) or a path that is not there does not, and
//! the message says why ("`docs/tia/vendor.md` does not exist in the repository", "`TODO` is a
//! placeholder"). This holds for the manifest's safeguards and for those of annotations and tags.
//! A value with a `/` and no spaces, or with a document extension (`.md`, `.pdf`, ...), is a path;
//! one that ends in a number after its last `/` (`TIA-2024/017`) is a reference. In `merge`, paths
//! are not looked up: the fragment's own scan did.
//!
//! ## Why it matters
//! After Schrems II (C-311/18) an Art. 46 tool is only as good as the exporter's assessment of the
//! destination's laws and practices (SCC 2021/914, Clause 14). Without a documented TIA the
//! contract alone does not show the transfer is lawful.
//!
//! ## Example
//! ```toml
//! safeguard = { mechanism = "scc", version = "2021/914", module = 2, signed = "2025-02-01" }
//! ```
//!
//! ## How to fix
//! Do the assessment (EDPB Recommendations 01/2020, steps 3 and 4), store it, and name it:
//! `tia = "docs/tia/vendor.md"`.
//!
//! ## References
//! CJEU C-311/18 (Schrems II); SCC 2021/914 Clause 14; EDPB Recommendations 01/2020; EDPB
//! Guidelines 04/2021 (codes of conduct as transfer tools) and 07/2022 (certification as a
//! transfer tool).

use super::{describe, transfer_finding};
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::{Context, SafeguardSource, Verdict};
use crate::report::neutral::toml_string;
use crate::rule::Rule;

pub(super) fn run(ctx: &Context<'_>, findings: &mut Vec<Finding>) {
    for transfer in &ctx.transfers {
        if !transfer.missing_tia || !matches!(transfer.verdict, Verdict::Safeguarded { .. }) {
            continue;
        }
        let mechanism = transfer
            .safeguard
            .as_ref()
            .map(|(s, _)| s.mechanism.as_str())
            .unwrap_or("scc");
        // A `tia` that names no assessment says why it does not count.
        let problem = transfer
            .safeguard
            .as_ref()
            .and_then(|(s, _)| s.span)
            .and_then(|span| ctx.model.tia_problems.get(&span));
        let message = match problem {
            Some(reason) => format!(
                "{} relies on `{mechanism}` without a transfer impact assessment: {reason}",
                describe(transfer)
            ),
            None => format!(
                "{} relies on `{mechanism}` without a transfer impact assessment",
                describe(transfer)
            ),
        };
        let mut finding = transfer_finding(ctx, transfer, Rule::MissingTia, message);
        if let Some((safeguard, _)) = &transfer.safeguard
            && safeguard.span != transfer.span
        {
            finding = finding.related(safeguard.span, "the safeguard is declared here");
        }
        if let Some(policy_span) = ctx.policy().spans.get("require_tia") {
            finding = finding.related(Some(*policy_span), "the policy requires a TIA");
        }
        // The help names the stanza that holds the safeguard, so the `tia` goes where it counts.
        let holder = match (&transfer.safeguard, &transfer.from) {
            (Some((_, SafeguardSource::Flow)), Some(from)) => {
                format!(
                    "`[[flow]] from = {} to = {}`",
                    toml_string(from),
                    toml_string(&transfer.to)
                )
            }
            _ => format!("`[[node]] id = {}`", toml_string(&transfer.to)),
        };
        finding = finding.help(if problem.is_some() {
            format!("write the assessment and name it in `tia` in the `safeguard` of {holder} in borderline.toml: a path to it in the repository (`docs/tia/vendor.md`), a URL, or a document reference (`DPA-2024-017`)")
        } else {
            format!("assess the destination's laws and practices, write it down in the repository, and add `tia = \"PATH\"` (its path or reference) to the `safeguard` of {holder} in borderline.toml")
        });
        findings.push(finding);
    }
}

/// At most this many distinct `tia` paths are looked up in one scan; the rest are taken as given.
const MAX_TIA_LOOKUPS: usize = 1024;

/// What a `tia` value names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TiaReference {
    /// Names no assessment; the reason says why.
    Nothing(String),
    /// A URL or a document reference (`DPA-2024-017`): taken as given.
    Reference,
    /// A file in the repository, relative and normalised (`docs/tia/x.md`), to look for.
    Path(String),
}

/// Words that stand for a value still to be written.
const PLACEHOLDERS: [&str; 12] = [
    "todo", "tbd", "tba", "fixme", "xxx", "n/a", "na", "none", "null", "-", "?", "path",
];

/// Document extensions that make a bare name (`tia.md`) a path rather than a reference.
const DOCUMENT_EXTENSIONS: [&str; 12] = [
    "md", "markdown", "pdf", "doc", "docx", "odt", "txt", "html", "htm", "rst", "adoc", "xlsx",
];

/// Classifies a `tia` value as written: a placeholder (`...`, `TODO`, `TBD`, `<...>`, empty)
/// names nothing; a URL or a value that does not look like a path (`DPA-2024-017`) is a
/// reference, accepted as it is; anything with a `/` or a document extension is a path in the
/// repository, which must not leave it.
pub(crate) fn classify_tia(tia: &str) -> TiaReference {
    let value = tia.trim();
    let placeholder = |why: &str| TiaReference::Nothing(format!("`{value}` is {why}"));
    if value.is_empty() {
        return TiaReference::Nothing("the `tia` is empty".into());
    }
    let first_word = value
        .split(|c: char| !(c.is_alphanumeric() || c == '/' || c == '?' || c == '-'))
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if value
        .chars()
        .all(|c| matches!(c, '.' | '\u{2026}' | '_' | '*' | ' '))
        || (value.starts_with('<') && value.ends_with('>'))
        || (value.starts_with('{') && value.ends_with('}'))
        || (value.starts_with('[') && value.ends_with(']'))
        || PLACEHOLDERS.contains(&value.to_ascii_lowercase().as_str())
        || ["todo", "tbd", "tba", "fixme", "xxx"].contains(&first_word.as_str())
    {
        return placeholder("a placeholder");
    }
    if value.contains("://") || value.to_ascii_lowercase().starts_with("mailto:") {
        return TiaReference::Reference;
    }
    // An anchor or a query names a part of the document: the document is what must exist.
    let document = value
        .split(['#', '?'])
        .next()
        .unwrap_or(value)
        .trim_end_matches('/');
    let has_extension = document
        .rsplit_once('.')
        .is_some_and(|(_, ext)| DOCUMENT_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()));
    // A path has separators and no spaces, and does not end in a number (`TIA-2024/017` is a
    // document number); a document extension makes anything a path.
    let path_like = (document.contains('/') || document.contains('\\'))
        && !document.contains(char::is_whitespace)
        && !document
            .rsplit(['/', '\\'])
            .next()
            .is_some_and(|last| !last.is_empty() && last.chars().all(|c| c.is_ascii_digit()));
    if !path_like && !has_extension {
        return TiaReference::Reference;
    }
    if document.starts_with('/') || document.starts_with('\\') || document.get(1..2) == Some(":") {
        return placeholder("not a path inside the repository");
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in document.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return placeholder("not a path inside the repository");
                }
            }
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return placeholder("not a path to a document");
    }
    TiaReference::Path(parts.join("/"))
}

/// Clears every safeguard `tia` that names no assessment and records why (in
/// [`Model::tia_problems`](crate::model::Model::tia_problems)), so that the transfer is judged as
/// having none. `exists` says whether a normalised relative path is a file or directory of the
/// repository: the scan looks through the safe file layer, this check does no I/O.
pub(crate) fn vet_tia(model: &mut crate::model::Model, exists: impl Fn(&str) -> bool) {
    let mut looked_up: std::collections::BTreeMap<String, bool> = std::collections::BTreeMap::new();
    let mut problems = std::collections::BTreeMap::new();
    let safeguards = model
        .nodes
        .iter_mut()
        .filter_map(|n| n.safeguard.as_mut())
        .chain(model.flows.iter_mut().filter_map(|f| f.safeguard.as_mut()));
    for safeguard in safeguards {
        let (Some(tia), Some(span)) = (safeguard.tia.as_deref(), safeguard.span) else {
            continue;
        };
        let reason = match classify_tia(tia) {
            TiaReference::Nothing(reason) => Some(reason),
            TiaReference::Reference => None,
            TiaReference::Path(path) => {
                let known = looked_up.len();
                let found = match looked_up.get(&path) {
                    Some(found) => *found,
                    // Past the cap a path is taken as given rather than looked up.
                    None if known >= MAX_TIA_LOOKUPS => true,
                    None => {
                        let found = exists(&path);
                        looked_up.insert(path.clone(), found);
                        found
                    }
                };
                (!found).then(|| format!("`{path}` does not exist in the repository"))
            }
        };
        if let Some(reason) = reason {
            safeguard.tia = None;
            problems.insert(span, reason);
        }
    }
    model.tia_problems = problems;
}

#[cfg(test)]
mod tests {
    use super::{TiaReference, classify_tia};

    #[test]
    fn placeholders_name_nothing_references_pass_and_paths_are_looked_up() {
        for placeholder in [
            "",
            "  ",
            "...",
            "\u{2026}",
            "TODO",
            "todo: write it",
            "TBD",
            "<path or reference>",
            "n/a",
            "FIXME later",
        ] {
            assert!(
                matches!(classify_tia(placeholder), TiaReference::Nothing(_)),
                "{placeholder:?}"
            );
        }
        for reference in [
            "DPA-2024-017",
            "https://wiki.example.com/tia/sendgrid",
            "TIA 2024/5 v2 at legal",
            "TIA-2024/017",
        ] {
            assert_eq!(
                classify_tia(reference),
                TiaReference::Reference,
                "{reference}"
            );
        }
        assert_eq!(classify_tia("DPA-2024-017"), TiaReference::Reference);
        assert_eq!(
            classify_tia("https://x.example/tia.md"),
            TiaReference::Reference
        );
        assert_eq!(
            classify_tia("./docs/tia/../tia/sendgrid.md#risks"),
            TiaReference::Path("docs/tia/sendgrid.md".into())
        );
        assert_eq!(
            classify_tia("tia.pdf"),
            TiaReference::Path("tia.pdf".into())
        );
        for outside in [
            "/etc/passwd",
            "../other/tia.md",
            "docs/../../x.md",
            "C:\\tia.md",
        ] {
            assert!(
                matches!(classify_tia(outside), TiaReference::Nothing(_)),
                "{outside}"
            );
        }
    }
}
