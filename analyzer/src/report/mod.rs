//! Reporting: the only stage that knows output formats. Every renderer reads spans through the same
//! files table, so file:line:column agree across formats.

pub mod flow_explain;
pub mod graph;
pub mod json;
pub mod markdown;
pub mod ropa;
pub mod sarif;
pub mod starter;
pub mod text;

use crate::finding::Finding;
use crate::model::facts::Severity;
use crate::source::{Files, LineColumn, Span};

/// Where a span is, for machine-readable output: a path relative to the root, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

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

/// Replaces terminal control characters (ANSI escapes, carriage returns, ...) from the scanned
/// repository, byte for byte, so that spans still point at the same offsets.
pub fn sanitize_for_terminal(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() && c.is_ascii() => '?',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// The register status of a transfer: `lawful`, the rule names of its findings, or
/// `waived (rule: reason)` when a valid waiver suppressed them. A waived transfer is never lawful.
pub fn transfer_status(
    evaluation: &crate::evaluate::Evaluation,
    transfer: &crate::evaluate::transfer::Transfer,
) -> String {
    let on_transfer = |f: &&Finding| {
        f.to.as_deref() == Some(transfer.to.as_str())
            && f.from == transfer.from
            && f.span == transfer.span
    };
    let rules: std::collections::BTreeSet<&str> = evaluation
        .findings
        .iter()
        .filter(on_transfer)
        .map(|f| f.rule)
        .collect();
    if !rules.is_empty() {
        return rules.into_iter().collect::<Vec<_>>().join(", ");
    }
    let waived: Vec<String> = evaluation
        .waived
        .iter()
        .filter(|(f, _)| on_transfer(&f))
        .map(|(f, reason)| format!("{}: {reason}", f.rule))
        .collect();
    if waived.is_empty() {
        "lawful".to_string()
    } else {
        format!("waived ({})", waived.join("; "))
    }
}
