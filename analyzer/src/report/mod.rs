//! Reporting: the only stage that knows output formats. Every renderer reads spans through the same
//! files table, so file:line:column agree across formats.

pub mod flow_explain;
pub mod github;
pub mod gitlab;
pub mod graph;
pub mod html;
pub mod impact;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod neutral;
pub mod ropa;
pub mod sarif;
pub mod starter;
pub mod text;
pub mod transfer_diff;
pub mod xlsx;

use crate::evaluate::finding::Finding;
use crate::facts::Severity;
use crate::source::{Files, LineColumn, Span};
use std::collections::{BTreeSet, HashMap};

use crate::model::fragment::Position;

/// The position of a span, or of a file without one.
pub fn position(files: &Files, span: Option<Span>, path: Option<&str>) -> Option<Position> {
    match span.and_then(|s| files.resolve(s)) {
        Some((file, LineColumn { line, column })) => Some(Position {
            file: file.to_string(),
            line,
            column,
        }),
        None => path.map(|p| Position {
            file: p.to_string(),
            line: 1,
            column: 1,
        }),
    }
}

/// `in: prod, prod-us`: the deployment variants a finding, node or flow is found in, or `None`
/// when it is in every variant (or there are none). Names come from the repository (file stems,
/// directory names): each format escapes the line as it does other repository text.
pub fn variants_line(variants: &[String]) -> Option<String> {
    (!variants.is_empty()).then(|| format!("in: {}", variants.join(", ")))
}

/// A finding's message, with the deployment variants it is found in when it is not in all of them
/// (`... (in: prod, prod-us)`): what every format that has only a message to show prints.
pub fn message_with_variants(finding: &Finding) -> String {
    match variants_line(&finding.variants) {
        Some(line) => format!("{} ({line})", finding.message),
        None => finding.message.clone(),
    }
}

/// What a finding's message starts with in a hypothetical run (`--assume-invalid`,
/// `--assume-valid`), in the formats a reader sees one finding at a time (SARIF, GitHub
/// annotations, GitLab Code Quality): `HYPOTHETICAL (eu-us-dpf assumed invalid): `. Empty for a real
/// run. Decision ids come from rule data and are validated: no repository text.
pub fn hypothetical_prefix(evaluation: &crate::evaluate::Evaluation) -> String {
    if evaluation.hypotheses.is_empty() {
        return String::new();
    }
    let assumed: Vec<String> = evaluation.hypotheses.iter().map(|h| h.short()).collect();
    format!("HYPOTHETICAL ({}): ", assumed.join(", "))
}

/// Counts of findings by severity, leaving out known (baselined) ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub known: usize,
    pub waived: usize,
}

impl Summary {
    pub fn of(findings: &[Finding], waived: usize) -> Summary {
        let mut summary = Summary {
            waived,
            ..Summary::default()
        };
        for finding in findings {
            if finding.known {
                summary.known += 1;
                continue;
            }
            match finding.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Note => summary.notes += 1,
            }
        }
        summary
    }
}

/// Replaces terminal control and hidden characters from the scanned repository, one character
/// for one (see [`neutral::terminal`]), so that spans still point at the same characters.
pub fn sanitize_for_terminal(text: &str) -> String {
    neutral::terminal(text)
}

/// The register status of each transfer of an evaluation: `lawful`, the rule names of its
/// findings, or `waived (rule: reason)` when a valid waiver suppressed them. A waived transfer is
/// never lawful. Findings are indexed once by transfer: a search of every finding for each
/// transfer made large reports quadratic.
#[derive(Debug)]
pub struct TransferStatuses<'a> {
    /// (from, to, span) -> (rules of its findings, `rule: reason` of its waived findings).
    by_transfer: HashMap<TransferKey<'a>, (BTreeSet<&'static str>, Vec<String>)>,
}

type TransferKey<'a> = (Option<&'a str>, &'a str, Option<crate::source::Span>);

/// `rule: reason (until DATE, inline waiver at FILE:LINE)`: a waived finding as the register and
/// the transfer statuses show it.
pub fn waiver_summary(files: Option<&Files>, rule: &str, waiver: &crate::policy::Waiver) -> String {
    let kind = if waiver.in_source() {
        "inline waiver"
    } else {
        "manifest waiver"
    };
    let at = files
        .and_then(|files| position(files, waiver.span, None))
        .map(|p| format!(" at {}:{}", p.file, p.line))
        .unwrap_or_default();
    format!(
        "{rule}: {} (until {}, {kind}{at})",
        waiver.reason, waiver.expires
    )
}

impl<'a> TransferStatuses<'a> {
    pub fn new(evaluation: &'a crate::evaluate::Evaluation) -> TransferStatuses<'a> {
        TransferStatuses::located(evaluation, None)
    }

    /// [`TransferStatuses::new`], saying in each waived status where its waiver is written.
    pub fn located(
        evaluation: &'a crate::evaluate::Evaluation,
        files: Option<&Files>,
    ) -> TransferStatuses<'a> {
        let mut by_transfer: HashMap<TransferKey<'a>, (BTreeSet<&'static str>, Vec<String>)> =
            HashMap::new();
        for finding in &evaluation.findings {
            if let Some(to) = finding.to.as_deref() {
                by_transfer
                    .entry((finding.from.as_deref(), to, finding.span))
                    .or_default()
                    .0
                    .insert(finding.rule.name());
            }
        }
        for (finding, waiver) in &evaluation.waived {
            if let Some(to) = finding.to.as_deref() {
                by_transfer
                    .entry((finding.from.as_deref(), to, finding.span))
                    .or_default()
                    .1
                    .push(waiver_summary(files, finding.rule.name(), waiver));
            }
        }
        TransferStatuses { by_transfer }
    }

    pub fn status(&self, transfer: &crate::evaluate::transfer::Transfer) -> String {
        let key = (
            transfer.from.as_deref(),
            transfer.to.as_str(),
            transfer.span,
        );
        match self.by_transfer.get(&key) {
            Some((rules, _)) if !rules.is_empty() => {
                rules.iter().copied().collect::<Vec<_>>().join(", ")
            }
            Some((_, waived)) if !waived.is_empty() => format!("waived ({})", waived.join("; ")),
            _ => "lawful".to_string(),
        }
    }
}
