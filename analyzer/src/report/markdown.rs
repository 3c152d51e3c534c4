//! The Markdown report: a pull-request comment (or `$GITHUB_STEP_SUMMARY`) with counts by
//! severity, a table of findings linking to file:line, and a Mermaid diagram of the flows involved.

use super::graph::{MapOptions, to_mermaid_with};
use super::{Summary, position};
use crate::evaluate::Evaluation;
use crate::model::Model;
use crate::model::fragment::GraphView;
use crate::rules::RuleSet;
use std::collections::BTreeSet;

/// Repository text for a Markdown table cell: see [`super::neutral::markdown_cell`].
pub fn cell(text: &str) -> String {
    super::neutral::markdown_cell(text)
}

/// Renders the comment; file links are relative to the scanned root.
pub fn render(model: &Model, evaluation: &Evaluation, rules: &RuleSet) -> String {
    render_with_diff(model, evaluation, rules, None)
}

/// [`render`], with the transfer diff against a base branch's map (`scan --baseline-graph`)
/// between the counts and the findings: what the pull request changes comes first.
pub fn render_with_diff(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    transfer_diff: Option<&super::transfer_diff::TransferDiff>,
) -> String {
    let summary = Summary::of(&evaluation.findings, evaluation.waived.len());
    let mut out = String::from("## borderline: personal data transfers\n\n");
    // A hypothetical run (`--assume-invalid`, `--assume-valid`) says so before anything else.
    if let Some(line) = crate::rules::hypothetical_line(&evaluation.hypotheses) {
        out.push_str(&format!(
            "> [!WARNING]\n> {}\n\n",
            super::neutral::markdown_cell(&line)
        ));
    }
    out.push_str(&format!(
        "| errors | warnings | notes | known | waived |\n|---:|---:|---:|---:|---:|\n| {} | {} | {} | {} | {} |\n\n",
        summary.errors, summary.warnings, summary.notes, summary.known, summary.waived
    ));
    if let Some(diff) = transfer_diff {
        out.push_str(&diff.to_markdown("### Transfer changes"));
        out.push('\n');
    }
    if evaluation.findings.is_empty() {
        out.push_str("No findings: every transfer has a Chapter V basis.\n");
        out.push_str(&waived_table(model, evaluation));
        return out;
    }
    out.push_str("| | rule | where | flow | finding |\n|---|---|---|---|---|\n");
    for finding in &evaluation.findings {
        let icon = match (finding.known, finding.severity) {
            (true, _) => "⚪ known",
            (false, crate::facts::Severity::Error) => "🔴 error",
            (false, crate::facts::Severity::Warning) => "🟠 warning",
            (false, crate::facts::Severity::Note) => "🔵 note",
        };
        let place = match position(&model.files, finding.span, finding.path.as_deref()) {
            Some(p) => super::neutral::markdown_file_link(&p.file, p.line),
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
        // A finding found only in some deployment variants names them after its message (no
        // column: a table of a repository without variants reads as before).
        let message = super::message_with_variants(finding);
        out.push_str(&format!(
            "| {icon} | `{}` | {place} | {flow} | {} |\n",
            finding.rule,
            cell(&message)
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
        // No legend in a comment: the edges' labels say basis, rule and waiver themselves.
        let options = MapOptions {
            legend: false,
            ..MapOptions::default()
        };
        out.push_str(&to_mermaid_with(&view, &options));
        out.push_str("```\n\n</details>\n");
    }
    out.push_str(&waived_table(model, evaluation));
    out
}

/// The waived findings, each with the waiver that accepts it: where it is written, its reason and
/// its expiry, so that a reviewer sees what is accepted and by whom.
fn waived_table(model: &Model, evaluation: &Evaluation) -> String {
    if evaluation.waived.is_empty() {
        return String::new();
    }
    let link = |span, path: Option<&str>| match position(&model.files, span, path) {
        Some(p) => super::neutral::markdown_file_link(&p.file, p.line),
        None => String::new(),
    };
    let mut out = String::from(
        "\n<details><summary>Waived</summary>\n\n| rule | where | waiver | reason | until |\n|---|---|---|---|---|\n",
    );
    for (finding, waiver) in &evaluation.waived {
        let kind = if waiver.in_source() {
            "inline"
        } else {
            "manifest"
        };
        let variants = super::variants_line(&finding.variants)
            .map(|line| format!(" ({})", cell(&line)))
            .unwrap_or_default();
        out.push_str(&format!(
            "| `{}` | {}{variants} | {kind} {} | {} | {} |\n",
            finding.rule,
            link(finding.span, finding.path.as_deref()),
            link(waiver.span, None),
            cell(&waiver.reason),
            waiver.expires
        ));
    }
    out.push_str("\n</details>\n");
    out
}
