//! The terminal report: one rustc-style diagnostic per finding, with the source line that created
//! the flow, the related lines that explain the verdict, the data's path and a hint.

use super::{Summary, sanitize_for_terminal};
use crate::finding::Finding;
use crate::model::facts::Severity;
use crate::source::{Files, Span};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::collections::BTreeMap;

/// Renders findings as diagnostics followed by a summary line.
pub fn render(files: &Files, findings: &[Finding], waived: usize, color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    // Sources are sanitised once per file: control characters from the repository never reach the terminal.
    let mut sanitized: BTreeMap<u32, String> = BTreeMap::new();
    for finding in findings {
        for span in std::iter::once(finding.span).chain(finding.related.iter().map(|r| r.span)).flatten() {
            if let Some(file) = files.get(span.file) {
                sanitized.entry(span.file.0).or_insert_with(|| sanitize_for_terminal(&file.text));
            }
        }
    }
    let mut out = String::new();
    for finding in findings {
        out.push_str(&render_one(files, &sanitized, finding, &renderer));
        out.push_str("\n\n");
    }
    let summary = Summary::of(findings, waived);
    out.push_str(&summary_line(&summary));
    out.push('\n');
    out
}

/// `2 errors, 1 warning, 0 notes (1 known, 1 waived)`.
pub fn summary_line(summary: &Summary) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{}, {}, {}",
        plural(summary.errors, "error"),
        plural(summary.warnings, "warning"),
        plural(summary.notes, "note")
    );
    if summary.known > 0 || summary.waived > 0 {
        line.push_str(&format!(" ({} known, {} waived)", summary.known, summary.waived));
    }
    line
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

fn render_one(files: &Files, sources: &BTreeMap<u32, String>, finding: &Finding, renderer: &Renderer) -> String {
    let message = sanitize_for_terminal(&finding.message);
    let title = if finding.known {
        format!("{message} [known]")
    } else {
        message
    };
    // Annotations are grouped per file: one snippet per file, primary first.
    let mut by_file: Vec<(u32, Vec<(Span, Option<String>, bool)>)> = Vec::new();
    let mut add = |span: Span, label: Option<String>, primary: bool| {
        match by_file.iter_mut().find(|(file, _)| *file == span.file.0) {
            Some((_, list)) => list.push((span, label, primary)),
            None => by_file.push((span.file.0, vec![(span, label, primary)])),
        }
    };
    if let Some(span) = finding.span {
        add(span, None, true);
    }
    for related in &finding.related {
        if let Some(span) = related.span {
            add(span, Some(sanitize_for_terminal(&related.message)), false);
        }
    }
    let labels: Vec<(u32, String, Vec<(std::ops::Range<usize>, Option<String>, bool)>)> = by_file
        .into_iter()
        .filter_map(|(file_id, list)| {
            let file = files.get(crate::source::FileId(file_id))?;
            let text_len = file.text.len();
            let ranges = list
                .into_iter()
                .map(|(span, label, primary)| {
                    let start = (span.start as usize).min(text_len);
                    let end = (span.end as usize).clamp(start, text_len);
                    (start..end, label, primary)
                })
                .collect();
            Some((file_id, file.path.to_string(), ranges))
        })
        .collect();
    let primary_title = level(finding.severity).primary_title(title.as_str()).id(finding.rule);
    let mut snippets = Vec::new();
    for (file_id, path, ranges) in &labels {
        let Some(source) = sources.get(file_id) else { continue };
        let mut snippet = Snippet::source(source.as_str()).path(path.as_str()).fold(true);
        for (range, label, primary) in ranges {
            let kind = if *primary { AnnotationKind::Primary } else { AnnotationKind::Context };
            let annotation = kind.span(range.clone());
            snippet = snippet.annotation(match label {
                Some(label) => annotation.label(label.as_str()),
                None => annotation,
            });
        }
        snippets.push(snippet);
    }
    let mut footers: Vec<String> = Vec::new();
    if finding.span.is_none()
        && let Some(path) = &finding.path
    {
        footers.push(format!("in {}", sanitize_for_terminal(path)));
    }
    if finding.data_path.len() > 1 {
        footers.push(format!("data path: {}", sanitize_for_terminal(&finding.data_path.join(" -> "))));
    }
    for related in finding.related.iter().filter(|r| r.span.is_none()) {
        footers.push(sanitize_for_terminal(&related.message));
    }
    if finding.inferred {
        footers.push("inferred from code that is not annotated; annotate it to confirm".into());
    }
    let help = finding.help.as_deref().map(sanitize_for_terminal);
    let mut report: Vec<Group<'_>> = vec![Group::with_title(primary_title).elements(snippets)];
    for footer in &footers {
        report.push(Group::with_title(Level::NOTE.secondary_title(footer.as_str())));
    }
    if let Some(help) = &help {
        report.push(Group::with_title(Level::HELP.secondary_title(help.as_str())));
    }
    renderer.render(&report)
}
