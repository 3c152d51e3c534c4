//! The terminal report: one rustc-style diagnostic per finding, with the source line that created
//! the flow, the related lines that explain the verdict, the data's path and a hint.

use super::{Summary, neutral};
use crate::discover::{SkipReason, Skipped};
use crate::evaluate::finding::Finding;
use crate::facts::Severity;
use crate::source::{Files, Span, StoredFile, StoredLine};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::collections::BTreeMap;

/// Marks of one finding in one file whose lines are further apart than this are shown as separate
/// snippets of that file rather than one snippet with the lines between them folded away: the
/// snippet renderer walks every line of the text it is given, so a snippet spanning a manifest of
/// 40,000 flows for each of its findings made the report quadratic.
const MAX_FOLDED_GAP: u32 = 300;

/// Columns (characters) of a long source line shown around its marks: a report quotes a window of
/// a one-line 200 KB JSON for each finding in it, not the whole line.
const LINE_WINDOW: usize = 160;

/// Characters shown before the first mark of a windowed line.
const LINE_WINDOW_BEFORE: usize = 40;

/// Marks a line cut short at either end.
const ELLIPSIS: &str = "…";

/// Renders findings as diagnostics followed by a summary line. Every string from the repository
/// is neutralised for a terminal and a CI log (see [`super::neutral`]).
pub fn render(files: &Files, findings: &[Finding], waived: usize, color: bool) -> String {
    render_with(files, findings, waived, color, true)
}

/// [`render`], with the findings a baseline lists (known) in full when `show_known` is set, else
/// one line each after the new ones: with a baseline, what a reader must act on is what is new,
/// and a long list of known findings in full would bury it (`scan --show-known` for the full
/// form).
pub fn render_with(
    files: &Files,
    findings: &[Finding],
    waived: usize,
    color: bool,
    show_known: bool,
) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    // Each file's kept lines are listed once, then found by binary search for each finding.
    let mut sources: BTreeMap<u32, Source<'_>> = BTreeMap::new();
    for finding in findings {
        for span in std::iter::once(finding.span)
            .chain(finding.related.iter().map(|r| r.span))
            .flatten()
        {
            if let Some(file) = files.get(span.file) {
                sources
                    .entry(span.file.0)
                    .or_insert_with(|| Source::new(file));
            }
        }
    }
    let mut out = String::new();
    for finding in findings.iter().filter(|f| show_known || !f.known) {
        out.push_str(&render_one(files, &sources, finding, &renderer));
        out.push_str("\n\n");
    }
    let known: Vec<&Finding> = findings.iter().filter(|f| f.known).collect();
    if !show_known && !known.is_empty() {
        out.push_str(&format!(
            "{} known finding{} (in the baseline; they do not fail the run; --show-known prints them in full):\n",
            known.len(),
            if known.len() == 1 { "" } else { "s" }
        ));
        for finding in known {
            out.push_str(&known_line(files, finding));
            out.push('\n');
        }
        out.push('\n');
    }
    let summary = Summary::of(findings, waived);
    out.push_str(&summary_line(&summary));
    out.push('\n');
    neutral::defuse_workflow_commands(&out)
}

/// A known finding on one line: `  known error[rule] path:line: message`.
fn known_line(files: &Files, finding: &Finding) -> String {
    let place = super::position(files, finding.span, finding.path.as_deref())
        .map(|p| format!(" {}:{}", neutral::terminal_inline(&p.file), p.line))
        .unwrap_or_default();
    let variants = super::variants_line(&finding.variants)
        .map(|line| format!(" ({})", neutral::terminal_inline(&line)))
        .unwrap_or_default();
    format!(
        "  known {}[{}]{place}: {}{variants}",
        finding.severity.as_str(),
        finding.rule,
        neutral::terminal_inline(&finding.message)
    )
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

/// The line a hypothetical run (`--assume-invalid`, `--assume-valid`) prints at the top and at the
/// bottom of its text report, or `None` for a real run. Instruments come from rule data, which
/// `--rules DIR` may take from the scanned checkout: neutralised like repository text.
pub fn hypothetical_line(hypotheses: &[crate::rules::Hypothesis]) -> Option<String> {
    crate::rules::hypothetical_line(hypotheses).map(|line| neutral::terminal_inline(&line))
}

/// The line counting the transfers out of the EEA by verdict, with their countries, for the
/// summary area, or `None` when there are none: `transfers out of the EEA: 3 (1 of data at rest):
/// 2 adequate (US), 1 without a valid basis (SG); the register: borderline ropa`. An adequate
/// transfer is no finding, so without this line a scan of infrastructure in the US would say only
/// "0 errors": the line says what was judged, not only what failed.
pub fn transfers_line(transfers: &[crate::evaluate::transfer::Transfer]) -> Option<String> {
    use crate::evaluate::transfer::Verdict;
    if transfers.is_empty() {
        return None;
    }
    let mut groups: BTreeMap<&str, (usize, std::collections::BTreeSet<&str>)> = BTreeMap::new();
    for transfer in transfers {
        let group = match transfer.verdict {
            Verdict::Adequate { .. } => "1 adequate",
            Verdict::Safeguarded { .. } => "2 safeguarded",
            _ => "3 without a valid basis",
        };
        let entry = groups.entry(group).or_default();
        entry.0 += 1;
        entry
            .1
            .extend(transfer.third_countries.iter().map(String::as_str));
    }
    let at_rest = transfers.iter().filter(|t| t.flow.is_none()).count();
    let parts: Vec<String> = groups
        .iter()
        .map(|(group, (count, countries))| {
            let countries: Vec<&str> = countries.iter().copied().collect();
            format!(
                "{count} {} ({})",
                group.split_once(' ').map_or(*group, |(_, name)| name),
                neutral::terminal_inline(&countries.join(", "))
            )
        })
        .collect();
    let rest = if at_rest > 0 {
        format!(" ({at_rest} of data at rest)")
    } else {
        String::new()
    };
    Some(format!(
        "transfers out of the EEA: {}{rest}: {}; the register: borderline ropa",
        transfers.len(),
        parts.join(", ")
    ))
}

/// The line naming the deployment variants the scan found, for the summary area, or `None` when
/// there are none: `variants: dev (helm values), prod (helm values, tfvars)`; every finding found
/// only in some of them says in which (`in: prod`). Names and sources come from the repository
/// and are sanitised; past a dozen names the rest are counted.
pub fn found_variants_line(variants: &[crate::facts::Variant]) -> Option<String> {
    const NAMED: usize = 12;
    let mut by_name: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for variant in variants {
        by_name
            .entry(variant.name.as_str())
            .or_default()
            .insert(variant.source.as_str());
    }
    if by_name.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = by_name
        .iter()
        .take(NAMED)
        .map(|(name, sources)| {
            let sources: Vec<&str> = sources.iter().copied().collect();
            format!("{name} ({})", sources.join(", "))
        })
        .collect();
    if by_name.len() > NAMED {
        parts.push(format!("{} more", by_name.len() - NAMED));
    }
    Some(neutral::terminal_inline(&format!(
        "variants: {}",
        parts.join(", ")
    )))
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
                neutral::terminal_inline(&path.path),
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
            neutral::terminal_inline(&cause)
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

/// A file's kept lines (see [`StoredFile::keeping`]), in ascending order.
struct Source<'a> {
    lines: Vec<StoredLine<'a>>,
}

impl<'a> Source<'a> {
    fn new(file: &'a StoredFile) -> Source<'a> {
        Source {
            lines: file.lines().collect(),
        }
    }

    /// The position in `lines` of the kept line that holds byte `offset` (or the nearest before).
    fn position(&self, offset: u32) -> usize {
        self.lines
            .partition_point(|line| line.start <= offset)
            .saturating_sub(1)
    }
}

/// One annotated place in a source file.
struct Mark {
    span: Span,
    label: Option<String>,
    primary: bool,
}

/// A run of marks of one file close enough to be shown as one snippet, and the first and last
/// (0-based) lines they cover.
struct Cluster<'m> {
    marks: Vec<&'m Mark>,
    first_line: u32,
    last_line: u32,
}

/// One source line as a snippet shows it: sanitised, cut to a window when long.
struct ShownLine {
    /// Where the shown line starts in the snippet's text.
    at: usize,
    /// The original line's start in the file, and the window of its text (without its line break)
    /// that is shown.
    line_start: u32,
    window: std::ops::Range<usize>,
    /// The original text of the line, with its line break.
    original_len: usize,
    body_len: usize,
    /// Length of the `…` before the window (0 when the window starts the line).
    prefix: usize,
    /// Length of the shown window's sanitised text (without ellipses and line break).
    shown_len: usize,
}

/// The text of one snippet: the lines of the file from one before its cluster's first to a few
/// after its last, kept lines sanitised and long ones windowed, lines that were not kept empty
/// (they are never shown), so line numbers stay right. Only these lines are given to the snippet
/// renderer, which walks all it is given.
struct SnippetText<'a> {
    text: String,
    first_line: u32,
    shown: Vec<ShownLine>,
    /// The original line texts, for mapping offsets inside windows.
    originals: Vec<&'a str>,
}

impl<'a> SnippetText<'a> {
    fn new(source: &Source<'a>, cluster: &Cluster<'_>) -> SnippetText<'a> {
        let first = cluster.first_line.saturating_sub(1);
        let last_kept = source.lines.last().map_or(0, |l| l.index);
        let last = cluster
            .last_line
            .saturating_add(5)
            .min(last_kept)
            .max(first);
        let mut text = String::new();
        let mut shown = Vec::new();
        let mut originals = Vec::new();
        let mut position = source.lines.partition_point(|l| l.index < first);
        let mut next = first;
        while let Some(line) = source.lines.get(position).filter(|l| l.index <= last) {
            while next < line.index {
                text.push('\n');
                next += 1;
            }
            let body = line.text.strip_suffix('\n').unwrap_or(line.text);
            let anchor = anchor_in_line(line, body.len(), &cluster.marks);
            let window = line_window(body, anchor);
            let prefix = if window.start > 0 { ELLIPSIS.len() } else { 0 };
            let sanitized = neutral::terminal(body.get(window.clone()).unwrap_or(""));
            let at = text.len();
            if prefix > 0 {
                text.push_str(ELLIPSIS);
            }
            text.push_str(&sanitized);
            if window.end < body.len() {
                text.push_str(ELLIPSIS);
            }
            text.push_str(&line.text[body.len()..]);
            shown.push(ShownLine {
                at,
                line_start: line.start,
                window,
                original_len: line.text.len(),
                body_len: body.len(),
                prefix,
                shown_len: sanitized.len(),
            });
            originals.push(line.text);
            next = line.index.saturating_add(1);
            position += 1;
        }
        SnippetText {
            text,
            first_line: first,
            shown,
            originals,
        }
    }

    /// When the line holding byte `offset` is shown from a window that does not start the line,
    /// the column the snippet renderer gives that offset (it counts from the window).
    fn shown_column(&self, offset: u32) -> Option<usize> {
        let before = self.shown.partition_point(|line| line.line_start <= offset);
        let line = self
            .shown
            .get(before.checked_sub(1)?)
            .filter(|line| line.window.start > 0)?;
        let at = self.offset(offset);
        Some(self.text.get(line.at..at)?.chars().count() + 1)
    }

    /// Where byte `offset` of the original file is in `text`.
    fn offset(&self, offset: u32) -> usize {
        let before = self.shown.partition_point(|line| line.line_start <= offset);
        let Some(index) = before.checked_sub(1) else {
            return 0;
        };
        let (Some(line), Some(original)) = (self.shown.get(index), self.originals.get(index))
        else {
            return 0;
        };
        let mut within = ((offset - line.line_start) as usize).min(line.original_len);
        while !original.is_char_boundary(within) {
            within -= 1;
        }
        if within > line.body_len {
            // In the line break, after the window and its closing ellipsis.
            let suffix = if line.window.end < line.body_len {
                ELLIPSIS.len()
            } else {
                0
            };
            return line.at + line.prefix + line.shown_len + suffix + (within - line.body_len);
        }
        if within <= line.window.start {
            return line.at + line.prefix;
        }
        if within >= line.window.end {
            return line.at + line.prefix + line.shown_len;
        }
        line.at
            + line.prefix
            + original
                .get(line.window.start..within)
                .map_or(0, |part| neutral::terminal(part).len())
    }
}

/// The byte offset in a line's body that its window is placed around: the primary mark if it
/// starts on the line, else the first mark that starts on it, else the first that ends on it, else
/// the line's start.
fn anchor_in_line(line: &StoredLine<'_>, body_len: usize, marks: &[&Mark]) -> usize {
    let start = line.start;
    let end = line
        .start
        .saturating_add(u32::try_from(body_len).unwrap_or(u32::MAX));
    let inside = |offset: u32| (start..=end).contains(&offset);
    marks
        .iter()
        .filter(|m| m.primary)
        .map(|m| m.span.start)
        .find(|o| inside(*o))
        .or_else(|| {
            marks
                .iter()
                .map(|m| m.span.start)
                .filter(|o| inside(*o))
                .min()
        })
        .or_else(|| {
            marks
                .iter()
                .map(|m| m.span.end)
                .filter(|o| inside(*o))
                .min()
        })
        .map_or(0, |o| (o - start) as usize)
}

/// The byte range of `body` shown: all of it when it has at most [`LINE_WINDOW`] characters, else
/// [`LINE_WINDOW`] characters starting a little before `anchor`. Only the window is walked, so a
/// long line costs each finding the window, not the line.
fn line_window(body: &str, anchor: usize) -> std::ops::Range<usize> {
    if body.len() <= LINE_WINDOW {
        return 0..body.len();
    }
    let mut anchor = anchor.min(body.len());
    while !body.is_char_boundary(anchor) {
        anchor -= 1;
    }
    let start = body[..anchor]
        .char_indices()
        .rev()
        .take(LINE_WINDOW_BEFORE)
        .last()
        .map_or(anchor, |(i, _)| i);
    let end = body[start..]
        .char_indices()
        .nth(LINE_WINDOW)
        .map_or(body.len(), |(i, _)| start + i);
    if end < body.len() {
        return start..end;
    }
    // The window reaches the end of the line: it starts early enough to show a full window.
    let start = body
        .char_indices()
        .rev()
        .take(LINE_WINDOW)
        .last()
        .map_or(0, |(i, _)| i);
    start..body.len()
}

/// Splits the marks of one file into clusters: marks within [`MAX_FOLDED_GAP`] lines of each
/// other share one. The cluster with the primary mark comes first (its place heads the snippet).
fn clusters<'m>(source: &Source<'_>, marks: &[&'m Mark]) -> Vec<Cluster<'m>> {
    let line_of = |offset: u32| {
        source
            .lines
            .get(source.position(offset))
            .map_or(0, |l| l.index)
    };
    let mut placed: Vec<(u32, u32, &'m Mark)> = marks
        .iter()
        .map(|m| {
            let first = line_of(m.span.start);
            (first, line_of(m.span.end).max(first), *m)
        })
        .collect();
    placed.sort_by_key(|(first, last, _)| (*first, *last));
    let mut out: Vec<Cluster<'m>> = Vec::new();
    for (first, last, mark) in placed {
        match out.last_mut() {
            Some(cluster) if first <= cluster.last_line.saturating_add(MAX_FOLDED_GAP) => {
                cluster.marks.push(mark);
                cluster.last_line = cluster.last_line.max(last);
            }
            _ => out.push(Cluster {
                marks: vec![mark],
                first_line: first,
                last_line: last,
            }),
        }
    }
    if let Some(primary) = out.iter().position(|c| c.marks.iter().any(|m| m.primary)) {
        let cluster = out.remove(primary);
        out.insert(0, cluster);
    }
    out
}

/// Why a finding in test or dev files is a note, and how to judge it like production.
pub(crate) fn environment_footer(environment: crate::facts::Environment) -> Option<String> {
    use crate::facts::Environment;
    let (what, key) = match environment {
        Environment::Production => return None,
        Environment::Test => (
            "test files (a test suite, its fixtures or harness)",
            "tests",
        ),
        Environment::Dev => (
            "development files (a local set-up or a maintainers' script)",
            "dev",
        ),
    };
    Some(format!(
        "found only in {what}: a note unless borderline.toml sets `[scan] include = [\"{key}\"]` (docs/environments.md)"
    ))
}

/// One finding as the text report shows it: its title, a snippet per file it marks (or per
/// cluster of close marks), its notes and its help.
fn render_one(
    files: &Files,
    sources: &BTreeMap<u32, Source<'_>>,
    finding: &Finding,
    renderer: &Renderer,
) -> String {
    let title = title_of(finding);
    let marks = marks_of(finding);
    let primary_title = level(finding.severity)
        .primary_title(title.as_str())
        .id(finding.rule.name());
    // The texts are built first: snippets borrow them.
    let texts = snippet_texts(files, sources, &marks);
    let (snippets, corrections) = snippets_of(files, &texts);
    let footers = footers_of(finding);
    let help = finding.help.as_deref().map(neutral::terminal_inline);
    // `in: prod, prod-us` under a finding found only in some deployment variants; a finding
    // found in every variant (or in a repository without variants) has no such line.
    let variants = (!finding.variants.is_empty())
        .then(|| neutral::terminal_inline(&finding.variants.join(", ")));
    let mut report: Vec<Group<'_>> = vec![Group::with_title(primary_title).elements(snippets)];
    if let Some(variants) = &variants {
        report.push(Group::with_title(
            Level::NOTE
                .with_name("in")
                .secondary_title(variants.as_str()),
        ));
    }
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
    let mut rendered = renderer.render(&report);
    // Each place heads its own snippet, in order: each correction applies once, after the last.
    let mut from = 0;
    for (shown, right) in corrections {
        if let Some(at) = rendered.get(from..).and_then(|rest| rest.find(&shown)) {
            let at = from + at;
            rendered.replace_range(at..at + shown.len(), &right);
            from = at + right.len();
        }
    }
    rendered
}

/// A finding's title: its message, marked `[known]` when the baseline knows it and with its
/// environment when that is not production.
fn title_of(finding: &Finding) -> String {
    let message = neutral::terminal_inline(&finding.message);
    let mut title = if finding.known {
        format!("{message} [known]")
    } else {
        message
    };
    // Only the exception is shown: a finding in test or dev files says so in its title.
    if finding.environment != crate::facts::Environment::Production {
        title = format!("{title} [{}]", finding.environment.as_str());
    }
    title
}

/// The places a finding marks: its own span (primary), then each related location's.
fn marks_of(finding: &Finding) -> Vec<Mark> {
    // Annotations are grouped per file: one snippet per file (or per cluster of close marks in
    // it), primary first.
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
                label: Some(neutral::terminal_inline(&related.message)),
                primary: false,
            });
        }
    }
    marks
}

/// The text of each snippet, with its path and marks: one per file the marks are in (or per
/// cluster of close marks in it), in the order the files are first marked.
fn snippet_texts<'s, 'm>(
    files: &Files,
    sources: &BTreeMap<u32, Source<'s>>,
    marks: &'m [Mark],
) -> Vec<(String, SnippetText<'s>, Vec<&'m Mark>)> {
    let mut file_order: Vec<u32> = Vec::new();
    for mark in marks {
        if !file_order.contains(&mark.span.file.0) {
            file_order.push(mark.span.file.0);
        }
    }
    let mut texts: Vec<(String, SnippetText<'_>, Vec<&Mark>)> = Vec::new();
    for file_id in file_order {
        let (Some(file), Some(source)) = (
            files.get(crate::source::FileId(file_id)),
            sources.get(&file_id),
        ) else {
            continue;
        };
        let path = neutral::terminal_inline(file.path.as_str());
        let in_file: Vec<&Mark> = marks.iter().filter(|m| m.span.file.0 == file_id).collect();
        for cluster in clusters(source, &in_file) {
            let text = SnippetText::new(source, &cluster);
            texts.push((path.clone(), text, cluster.marks));
        }
    }
    texts
}

/// The snippets of a finding's texts, each annotated with its marks, and the corrections of the
/// columns their headings show (shown `path:line:column`, right one).
#[allow(clippy::type_complexity)]
fn snippets_of<'t>(
    files: &Files,
    texts: &'t [(String, SnippetText<'_>, Vec<&Mark>)],
) -> (
    Vec<Snippet<'t, annotate_snippets::Annotation<'t>>>,
    Vec<(String, String)>,
) {
    let mut snippets = Vec::new();
    let mut corrections: Vec<(String, String)> = Vec::new();
    for (path, text, cluster_marks) in texts {
        let text_len = text.text.len();
        let mut snippet = Snippet::source(text.text.as_str())
            .line_start(text.first_line as usize + 1)
            .path(path.as_str())
            .fold(true);
        // The place a snippet is headed with is that of its primary mark, else its first one.
        // On a windowed line the renderer counts its column from the window: the right column
        // replaces it in the rendered text below.
        let head = cluster_marks
            .iter()
            .find(|m| m.primary)
            .or_else(|| cluster_marks.iter().min_by_key(|m| m.span.start));
        if let Some(mark) = head
            && let Some(shown_column) = text.shown_column(mark.span.start)
            && let Some((_, at)) = files.resolve(mark.span)
        {
            let line = at.line;
            corrections.push((
                format!("{path}:{line}:{shown_column}"),
                format!("{path}:{line}:{}", at.column),
            ));
        }
        for mark in cluster_marks {
            let start = text.offset(mark.span.start).min(text_len);
            let end = text.offset(mark.span.end).clamp(start, text_len);
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
    (snippets, corrections)
}

/// The notes under a finding: where it is when it has no span, its data path, related
/// locations without a place, whether it was inferred, and its environment.
fn footers_of(finding: &Finding) -> Vec<String> {
    let mut footers: Vec<String> = Vec::new();
    if finding.span.is_none()
        && let Some(path) = &finding.path
    {
        footers.push(format!("in {}", neutral::terminal_inline(path)));
    }
    if finding.data_path.len() > 1 {
        footers.push(format!(
            "data path: {}",
            neutral::terminal_inline(&finding.data_path.join(" -> "))
        ));
    }
    for related in finding.related.iter().filter(|r| r.span.is_none()) {
        footers.push(neutral::terminal_inline(&related.message));
    }
    if finding.inferred {
        footers.push("inferred from code that is not annotated; annotate it to confirm".into());
    }
    if let Some(footer) = environment_footer(finding.environment) {
        footers.push(footer);
    }
    footers
}

/// One line per waived finding, after the summary: the rule, where the finding points, which
/// waiver accepts it (inline or manifest, at file:line), until when and why. A waiver is an
/// acceptance someone is accountable for, so it is shown, not only counted.
pub fn waived_lines(files: &Files, waived: &[(Finding, crate::policy::Waiver)]) -> String {
    let mut out = String::new();
    let place = |span, path: Option<&str>| {
        super::position(files, span, path)
            .map(|p| format!("{}:{}", p.file, p.line))
            .unwrap_or_else(|| "?".to_string())
    };
    for (finding, waiver) in waived {
        let line = format!(
            "waived: {} at {} by {} waiver at {} until {}: {}",
            finding.rule,
            place(finding.span, finding.path.as_deref()),
            if waiver.in_source() {
                "inline"
            } else {
                "manifest"
            },
            place(waiver.span, None),
            waiver.expires,
            waiver.reason
        );
        out.push_str(&super::neutral::terminal_inline(&line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::evaluate::finding::Related;
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
            let mut finding = Finding::new(crate::rule::Rule::TransferWithoutSafeguard, Severity::Error, "a transfer");
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
    fn a_long_line_is_shown_as_a_window_around_its_mark_with_its_own_column() {
        let text = format!("{}TARGET{}\nnext\n", "é\u{1b}".repeat(300), "é".repeat(300));
        let file = SourceFile::new(FileId(0), "data.json".into(), Arc::from(text.as_str()));
        let start = text.find("TARGET").unwrap();
        let mut finding = Finding::new(
            crate::rule::Rule::TransferWithoutSafeguard,
            Severity::Error,
            "a transfer",
        );
        finding.span = Some(file.span(start..start + 6));
        let mut files = Files::new();
        files.push(StoredFile::whole(&file));
        let out = render(&files, std::slice::from_ref(&finding), 0, false);
        assert!(out.contains("--> data.json:1:601"), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let source = lines.iter().position(|l| l.contains("TARGET")).unwrap();
        let at = lines[source].chars().position(|c| c == 'T').unwrap();
        let caret = lines[source + 1].chars().position(|c| c == '^').unwrap();
        assert_eq!(at, caret, "{out}");
        assert!(lines[source].contains(ELLIPSIS), "{out}");
        assert!(lines[source].chars().count() < LINE_WINDOW + 40, "{out}");
        assert!(!out.contains('\u{1b}'), "{out}");
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
