//! The terminal report: one rustc-style diagnostic per finding, with the source line that created
//! the flow, the related lines that explain the verdict, the data's path and a hint.

use super::{Summary, sanitize_for_terminal};
use crate::discover::{SkipReason, Skipped};
use crate::finding::Finding;
use crate::model::facts::Severity;
use crate::source::{Files, Span, StoredFile, StoredLine};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::collections::BTreeMap;

/// Renders findings as diagnostics followed by a summary line.
pub fn render(files: &Files, findings: &[Finding], waived: usize, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    // Sources are sanitised once per file: control characters from the repository never reach the terminal.
    let mut sanitized: BTreeMap<u32, Source<'_>> = BTreeMap::new();
    for finding in findings {
        for span in std::iter::once(finding.span)
            .chain(finding.related.iter().map(|r| r.span))
            .flatten()
        {
            if let Some(file) = files.get(span.file) {
                sanitized
                    .entry(span.file.0)
                    .or_insert_with(|| Source::new(file));
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
        line.push_str(&format!(
            " ({} known, {} waived)",
            summary.known, summary.waived
        ));
    }
    line
}

/// The line naming the directories the walk did not enter, for the summary area, or `None` when
/// it entered every one: `skipped: node_modules/ (dependencies), target/ (build output), 2
/// directories ignored by .gitignore`. Directories skipped by default are named (up to a few);
/// those left out by ignore files or `scan.exclude` are counted by cause. Paths come from the
/// repository and are sanitised.
pub fn skipped_line(skipped: &Skipped) -> Option<String> {
    const NAMED: usize = 10;
    if skipped.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    let mut unnamed = skipped.unlisted();
    // Ignore-file counts are by file name (`.gitignore`, `.ignore`, `.git/info/exclude`).
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for path in skipped.listed() {
        match &path.reason {
            SkipReason::IgnoreFile { file } => {
                let name = if file.ends_with(".git/info/exclude") {
                    ".git/info/exclude"
                } else {
                    file.rsplit('/').next().unwrap_or(file)
                };
                *counted.entry(format!("ignored by {name}")).or_default() += 1;
            }
            SkipReason::Exclude => {
                *counted
                    .entry("excluded by scan.exclude".into())
                    .or_default() += 1
            }
            reason if parts.len() < NAMED => parts.push(format!(
                "{} ({})",
                sanitize_for_terminal(&path.path),
                reason.describe()
            )),
            _ => unnamed += 1,
        }
    }
    let directories = |n: usize| format!("{n} director{}", if n == 1 { "y" } else { "ies" });
    for (cause, n) in counted {
        parts.push(format!(
            "{} {}",
            directories(n),
            sanitize_for_terminal(&cause)
        ));
    }
    if unnamed > 0 {
        parts.push(format!(
            "{unnamed} more director{}",
            if unnamed == 1 { "y" } else { "ies" }
        ));
    }
    Some(format!("skipped: {}", parts.join(", ")))
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// A file's kept lines as one text for the snippet renderer, sanitised. Lines that were not kept
/// are empty (they are never shown: see [`StoredFile::keeping`]), so line numbers stay right.
struct Source<'a> {
    text: String,
    /// Each kept line and where its sanitised text starts in `text`.
    lines: Vec<(StoredLine<'a>, usize)>,
}

impl<'a> Source<'a> {
    fn new(file: &'a StoredFile) -> Source<'a> {
        let mut text = String::new();
        let mut lines = Vec::new();
        let mut next = 0u32;
        for line in file.lines() {
            while next < line.index {
                text.push('\n');
                next += 1;
            }
            lines.push((line, text.len()));
            text.push_str(&sanitize_for_terminal(line.text));
            next = line.index.saturating_add(1);
        }
        Source { text, lines }
    }

    /// Where byte `offset` of the original file is in `text`.
    fn offset(&self, offset: u32) -> usize {
        let before = self.lines.partition_point(|(line, _)| line.start <= offset);
        match before.checked_sub(1).and_then(|p| self.lines.get(p)) {
            Some((line, at)) => {
                let mut within = ((offset - line.start) as usize).min(line.text.len());
                while !line.text.is_char_boundary(within) {
                    within -= 1;
                }
                at + sanitize_for_terminal(&line.text[..within]).len()
            }
            None => 0,
        }
    }
}

/// One annotated place in a source file.
struct Mark {
    span: Span,
    label: Option<String>,
    primary: bool,
}

fn render_one(
    files: &Files,
    sources: &BTreeMap<u32, Source<'_>>,
    finding: &Finding,
    renderer: &Renderer,
) -> String {
    let message = sanitize_for_terminal(&finding.message);
    let title = if finding.known {
        format!("{message} [known]")
    } else {
        message
    };
    // Annotations are grouped per file: one snippet per file, primary first.
    let mut marks: Vec<Mark> = Vec::new();
    if let Some(span) = finding.span {
        marks.push(Mark {
            span,
            label: None,
            primary: true,
        });
    }
    for related in &finding.related {
        if let Some(span) = related.span {
            marks.push(Mark {
                span,
                label: Some(sanitize_for_terminal(&related.message)),
                primary: false,
            });
        }
    }
    let mut file_order: Vec<u32> = Vec::new();
    for mark in &marks {
        if !file_order.contains(&mark.span.file.0) {
            file_order.push(mark.span.file.0);
        }
    }
    let primary_title = level(finding.severity)
        .primary_title(title.as_str())
        .id(finding.rule);
    let mut snippets = Vec::new();
    for file_id in file_order {
        let (Some(file), Some(source)) = (
            files.get(crate::source::FileId(file_id)),
            sources.get(&file_id),
        ) else {
            continue;
        };
        let text_len = source.text.len();
        let mut snippet = Snippet::source(source.text.as_str())
            .path(file.path.as_str())
            .fold(true);
        for mark in marks.iter().filter(|m| m.span.file.0 == file_id) {
            let start = source.offset(mark.span.start).min(text_len);
            let end = source.offset(mark.span.end).clamp(start, text_len);
            let kind = if mark.primary {
                AnnotationKind::Primary
            } else {
                AnnotationKind::Context
            };
            let annotation = kind.span(start..end);
            snippet = snippet.annotation(match &mark.label {
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
        footers.push(format!(
            "data path: {}",
            sanitize_for_terminal(&finding.data_path.join(" -> "))
        ));
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
        report.push(Group::with_title(
            Level::NOTE.secondary_title(footer.as_str()),
        ));
    }
    if let Some(help) = &help {
        report.push(Group::with_title(
            Level::HELP.secondary_title(help.as_str()),
        ));
    }
    renderer.render(&report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::finding::Related;
    use crate::source::{FileId, SourceFile};
    use proptest::prelude::*;
    use std::sync::Arc;

    /// Files where lines are code, blank, comment-only or a lone brace, as in real sources.
    fn source_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just(String::new()),
                Just("}".to_string()),
                Just("    // a comment".to_string()),
                "[a-zé =\"{}]{1,30}",
            ],
            1..80,
        )
        .prop_map(|lines| lines.join("\n"))
    }

    proptest! {
        /// A file reduced to the lines its spans need renders and locates exactly like the whole file.
        #[test]
        fn kept_lines_render_like_the_whole_file(
            text in source_text(),
            picks in prop::collection::vec((any::<prop::sample::Index>(), 0usize..400), 1..5),
        ) {
            let file = SourceFile::new(FileId(0), "src/lib.rs".into(), Arc::from(text.as_str()));
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let spans: Vec<Span> = picks
                .iter()
                .map(|(start, length)| {
                    let start = boundaries[start.index(boundaries.len())];
                    let end = boundaries
                        .iter()
                        .copied()
                        .find(|&b| b >= start + length)
                        .unwrap_or(text.len());
                    file.span(start..end)
                })
                .collect();
            let mut finding = Finding::new("third-country-transfer", Severity::Error, "a transfer");
            finding.span = Some(spans[0]);
            finding.related = spans[1..]
                .iter()
                .map(|span| Related { span: Some(*span), message: "here".into() })
                .collect();
            let mut whole = Files::new();
            whole.push(StoredFile::whole(&file));
            let mut kept = Files::new();
            kept.push(StoredFile::keeping(&file, spans.iter().map(|s| (s.start, s.end))));
            prop_assert_eq!(
                render(&kept, std::slice::from_ref(&finding), 0, false),
                render(&whole, std::slice::from_ref(&finding), 0, false)
            );
            for span in &spans {
                prop_assert_eq!(kept.resolve_range(*span), whole.resolve_range(*span));
                prop_assert_eq!(
                    whole.resolve_range(*span).map(|(_, start, _)| start),
                    Some(file.line_column(span.start))
                );
            }
        }
    }

    #[test]
    fn a_file_no_fact_points_into_keeps_nothing() {
        let text = "fn main() {}\n".repeat(1000);
        let file = SourceFile::new(FileId(3), "src/main.rs".into(), Arc::from(text.as_str()));
        let stored = StoredFile::keeping(&file, []);
        assert_eq!(stored.lines().count(), 0);
        assert_eq!(stored.len(), text.len());
        let one = StoredFile::keeping(&file, [(13 * 500, 13 * 500 + 2)]);
        assert_eq!(
            one.lines().map(|l| l.index).collect::<Vec<_>>(),
            vec![499, 500, 501]
        );
    }
}
