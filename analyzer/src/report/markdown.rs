//! The Markdown report: a pull-request comment (or `$GITHUB_STEP_SUMMARY`) with counts by
//! severity, a table of findings linking to file:line, and a Mermaid diagram of the flows involved.

use super::graph::{GraphView, to_mermaid};
use super::{Summary, position};
use crate::evaluate::Evaluation;
use crate::model::Model;
use crate::rules::RuleSet;
use std::collections::BTreeSet;

/// Escapes text for a Markdown table cell: pipes, HTML, backticks and line breaks from the repository
/// must not end the cell, inject markup or open code spans.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("\\`"),
            '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Renders the comment; file links are relative to the scanned root.
pub fn render(model: &Model, evaluation: &Evaluation, rules: &RuleSet) -> String {
    let summary = Summary::of(&evaluation.findings, evaluation.waived.len());
    let mut out = String::from("## borderline: personal data transfers\n\n");
    out.push_str(&format!(
        "| errors | warnings | notes | known | waived |\n|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} |\n\n",
        summary.errors, summary.warnings, summary.notes, summary.known, summary.waived
    ));
    if evaluation.findings.is_empty() {
        out.push_str("No findings: every transfer has a Chapter V basis.\n");
        return out;
    }
    out.push_str("| | rule | where | flow | finding |\n|---|---|---|---|---|\n");
    for finding in &evaluation.findings {
        let icon = match (finding.known, finding.severity) {
            (true, _) => "⚪ known",
            (false, crate::model::facts::Severity::Error) => "🔴 error",
            (false, crate::model::facts::Severity::Warning) => "🟠 warning",
            (false, crate::model::facts::Severity::Note) => "🔵 note",
        };
        let place = match position(&model.files, finding.span, finding.path.as_deref()) {
            Some(p) => format!(
                "[{}:{}]({}#L{})",
                cell(&p.file),
                p.line,
                link_target(&p.file),
                p.line
            ),
            None => String::new(),
        };
        let flow = match (&finding.from, &finding.to) {
            (Some(from), Some(to)) => format!(
                "{} ({}) → {} ({})",
                cell(from),
                cell(finding.from_country.as_deref().unwrap_or("?")),
                cell(to),
                cell(finding.to_country.as_deref().unwrap_or("?"))
            ),
            (None, Some(to)) => cell(to),
            _ => String::new(),
        };
        out.push_str(&format!(
            "| {icon} | `{}` | {place} | {flow} | {} |\n",
            finding.rule,
            cell(&finding.message)
        ));
    }
    let involved: BTreeSet<String> = evaluation
        .findings
        .iter()
        .flat_map(|f| {
            f.data_path
                .iter()
                .cloned()
                .chain(f.from.clone())
                .chain(f.to.clone())
        })
        .collect();
    let view = GraphView::build(model, evaluation, rules).involved(&involved);
    if !view.nodes.is_empty() {
        out.push_str("\n<details open><summary>Flows involved</summary>\n\n```mermaid\n");
        out.push_str(&to_mermaid(&view));
        out.push_str("```\n\n</details>\n");
    }
    out
}

/// A relative link target: path segments percent-encoded so spaces and parentheses do not break it.
fn link_target(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}
