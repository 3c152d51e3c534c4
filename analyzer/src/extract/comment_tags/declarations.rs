//! Where a tag on a declaration applies: the declaration directly below its comment block.
//!
//! "Directly below" is lexical, so it is the same whatever the extractors make of the file: the
//! contiguous comment lines holding the tag end on the line before the declaration (a blank line
//! ends the block, and the tag then applies to nothing). A tag may also trail the declaration's
//! own first line (`resource "aws_s3_bucket" "logs" { # borderline: personal_data=false`).
//!
//! - Terraform (`.tf`, `.tofu`, `.hcl`): a `resource`, `module` or `data` block, from its first
//!   line to its closing brace (braces in strings, heredocs and comments do not count).
//! - YAML: the first line of a document (after `---`) declares the whole document (a Kubernetes
//!   object); any other key or list item declares its entry, up to the next line indented as
//!   little (a compose service under `services:`).
//!
//! Every pass here is linear in the file's lines: a file is read at most once per direction,
//! however many tags it holds.

use crate::extract::annotation::{self, Annotation};
use crate::facts::{AttachedTag, ExtractionDiagnostic, Facts, Severity};
use crate::rule::Rule;
use crate::rules::RuleSet;
use crate::source::SourceFile;
use crate::source::lexer::PieceKind;
use std::collections::BTreeMap;
use std::ops::Range;

/// The longest part of a declaration's first line quoted in a message, in characters.
const QUOTED_CHARS: usize = 80;

/// How a file's declarations are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Hcl,
    Yaml,
    Other,
}

fn format_of(path: &str) -> Format {
    let lower = path.to_ascii_lowercase();
    if [".tf", ".tofu", ".hcl", ".tfvars"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        Format::Hcl
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Format::Yaml
    } else {
        Format::Other
    }
}

/// One line of the file: its byte range (without the line break) and what is on it.
#[derive(Clone, Debug)]
struct Line {
    range: Range<usize>,
    /// Offset of the first character that is not a space or tab; `None` for a blank line.
    first: Option<usize>,
    /// Nothing but comments (and their delimiters) on it.
    comment_only: bool,
}

/// The file's lines, with the lookups attaching needs, built once per file.
struct Lines<'a> {
    text: &'a str,
    lines: Vec<Line>,
    /// For each line, the first line at or after it that is not comment-only (`lines.len()` if none).
    next_code: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(file: &'a SourceFile) -> Lines<'a> {
        let text: &str = &file.text;
        // Comments with their delimiters: the lexer's ranges leave out `#`, `//`, `/*` and `*/`.
        let covers: Vec<Range<usize>> = file
            .pieces()
            .iter()
            .filter(|p| p.kind == PieceKind::Comment)
            .map(|p| {
                let before = text[..p.range.start]
                    .bytes()
                    .rev()
                    .take(3)
                    .take_while(|b| matches!(b, b'#' | b'/' | b'*' | b'-' | b'!'))
                    .count();
                let after = text[p.range.end..]
                    .bytes()
                    .take(2)
                    .take_while(|b| matches!(b, b'*' | b'/'))
                    .count();
                p.range.start - before..p.range.end + after
            })
            .collect();
        let mut lines = Vec::new();
        let mut start = 0;
        let mut cover = 0;
        while start <= text.len() {
            let end =
                memchr::memchr(b'\n', &text.as_bytes()[start..]).map_or(text.len(), |n| start + n);
            let content = &text[start..end];
            let trimmed_start = content.len() - content.trim_start().len();
            let trimmed_end = content.trim_end().len();
            let first =
                (trimmed_start < content.len() && trimmed_end > 0).then_some(start + trimmed_start);
            let comment_only = match first {
                None => false,
                Some(first) => {
                    let last = start + trimmed_end;
                    while covers.get(cover).is_some_and(|c| c.end <= first) {
                        cover += 1;
                    }
                    covers
                        .get(cover)
                        .is_some_and(|c| c.start <= first && c.end >= last)
                }
            };
            lines.push(Line {
                range: start..end,
                first,
                comment_only,
            });
            if end == text.len() {
                break;
            }
            start = end + 1;
        }
        let mut next_code = vec![lines.len(); lines.len() + 1];
        for index in (0..lines.len()).rev() {
            next_code[index] = if lines[index].comment_only {
                next_code[index + 1]
            } else {
                index
            };
        }
        Lines {
            text,
            lines,
            next_code,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|line| line.range.end < offset)
            .min(self.lines.len().saturating_sub(1))
    }

    fn content(&self, index: usize) -> &'a str {
        self.lines
            .get(index)
            .map_or("", |line| self.text[line.range.clone()].trim())
    }

    fn indent(&self, index: usize) -> usize {
        self.lines
            .get(index)
            .and_then(|line| line.first.map(|first| first - line.range.start))
            .unwrap_or(0)
    }
}

/// A declaration found below a tag.
#[derive(Clone, Debug)]
struct Declaration {
    line: usize,
    extent: Range<usize>,
}

/// YAML lookups, built on the first tag in a YAML file.
struct YamlIndex {
    /// The line is the first code line of its document.
    document_start: Vec<bool>,
    /// For each line, where its document ends (the start of the next `---`/`...` line or the end).
    document_end: Vec<usize>,
    /// For each code line, the start of the next code line indented as little or less.
    entry_end: Vec<usize>,
}

impl YamlIndex {
    fn new(lines: &Lines<'_>) -> YamlIndex {
        let count = lines.lines.len();
        let separator = |index: usize| {
            let line = &lines.lines[index];
            let text = &lines.text[line.range.clone()];
            text.starts_with("---") || text.starts_with("...")
        };
        let code =
            |index: usize| lines.lines[index].first.is_some() && !lines.lines[index].comment_only;
        let mut document_start = vec![false; count];
        let mut seen_code = false;
        for (index, start) in document_start.iter_mut().enumerate() {
            if separator(index) {
                seen_code = false;
            } else if code(index) {
                *start = !seen_code;
                seen_code = true;
            }
        }
        let mut document_end = vec![lines.text.len(); count];
        let mut end = lines.text.len();
        for index in (0..count).rev() {
            if separator(index) {
                end = lines.lines[index].range.start;
            }
            document_end[index] = end;
        }
        // The next line indented as little or less, for every code line at once: a stack of lines
        // still waiting for theirs, each popped by the first line that is not indented deeper.
        let mut entry_end = vec![lines.text.len(); count];
        let mut waiting: Vec<usize> = Vec::new();
        for index in 0..count {
            if separator(index) {
                for open in waiting.drain(..) {
                    entry_end[open] = lines.lines[index].range.start;
                }
                continue;
            }
            if !code(index) {
                continue;
            }
            let indent = lines.indent(index);
            while let Some(&open) = waiting.last() {
                if lines.indent(open) >= indent {
                    entry_end[open] = lines.lines[index].range.start;
                    waiting.pop();
                } else {
                    break;
                }
            }
            waiting.push(index);
        }
        YamlIndex {
            document_start,
            document_end,
            entry_end,
        }
    }
}

/// Turns the file's tags on declarations into [`AttachedTag`]s, or diagnostics at their span.
///
/// The tags above one declaration are read as one: a long tag may go on over several comment
/// lines (`borderline: data=... safeguard=scc` then `borderline: tia=...`), and a key given twice
/// among them is an error, as within one tag.
pub(super) fn attach(file: &SourceFile, tags: &[Annotation], facts: &mut Facts, rules: &RuleSet) {
    let lines = Lines::new(file);
    let format = format_of(file.path.as_str());
    let mut yaml: Option<YamlIndex> = None;
    // Declaration line -> the declaration and its tags, in file order.
    let mut found: BTreeMap<usize, (Declaration, Vec<&Annotation>)> = BTreeMap::new();
    for tag in tags {
        let tag_line = lines.line_of(tag.span.start as usize);
        let declaration = match format {
            Format::Hcl => below(&lines, tag_line).and_then(|line| hcl(file, &lines, line)),
            Format::Yaml => below(&lines, tag_line).and_then(|line| {
                let index = yaml.get_or_insert_with(|| YamlIndex::new(&lines));
                yaml_declaration(&lines, index, line)
            }),
            Format::Other => Err(
                "tags on declarations are read in Terraform and YAML files only; here, name the node with `borderline: store id=...` or `service id=...`"
                    .to_string(),
            ),
        };
        match declaration {
            Ok(declaration) => {
                found
                    .entry(declaration.line)
                    .or_insert_with(|| (declaration, Vec::new()))
                    .1
                    .push(tag);
            }
            Err(reason) => {
                // The tag's keys are still checked, so a typo is reported with the misplacement.
                annotation::lower_in_place(tag, facts, rules);
                facts.diagnostics.push(ExtractionDiagnostic {
                    rule: Rule::UnresolvedReference,
                    severity: Severity::Warning,
                    message: format!("this tag applies to nothing: {reason}"),
                    span: Some(tag.span),
                    path: None,
                });
            }
        }
    }
    for (declaration, tags) in found.into_values() {
        let Some(first) = tags.first() else {
            continue;
        };
        let merged = Annotation {
            kind: first.kind,
            span: first.span,
            entries: tags
                .iter()
                .flat_map(|t| t.entries.iter().cloned())
                .collect(),
            positional: tags
                .iter()
                .flat_map(|t| t.positional.iter().cloned())
                .collect(),
        };
        let stated = annotation::lower_in_place(&merged, facts, rules);
        let header = lines.lines[declaration.line].range.clone();
        let first_line = lines
            .content(declaration.line)
            .trim_end_matches('{')
            .trim_end();
        let mut declared: String = first_line.chars().take(QUOTED_CHARS).collect();
        if declared.len() < first_line.len() {
            declared.push_str("...");
        }
        facts.attached.push(AttachedTag {
            span: Some(first.span),
            declaration: file.span(declaration.extent),
            header: file.span(header),
            declared,
            location: stated.location,
            data: stated.data,
            personal_data: stated.personal_data,
            safeguard: stated.safeguard,
            label: stated.label,
        });
    }
}

/// The line a tag on `tag_line` declares about: the first line after its comment block, or the
/// tag's own line when the tag trails code.
fn below(lines: &Lines<'_>, tag_line: usize) -> Result<usize, String> {
    if !lines.lines.get(tag_line).is_some_and(|l| l.comment_only) {
        return Ok(tag_line);
    }
    let next = lines
        .next_code
        .get(tag_line + 1)
        .copied()
        .unwrap_or(lines.lines.len());
    match lines.lines.get(next) {
        None => Err("nothing is declared below it (the file ends)".to_string()),
        Some(line) if line.first.is_none() => Err(
            "nothing is declared directly below it (a blank line ends the comment block above a declaration)"
                .to_string(),
        ),
        Some(_) => Ok(next),
    }
}

fn not_a_declaration(lines: &Lines<'_>, line: usize, what: &str) -> String {
    let quoted: String = lines.content(line).chars().take(QUOTED_CHARS).collect();
    format!("`{quoted}` is not {what}")
}

/// A Terraform block on `line`: `resource`, `module` or `data`, to its closing brace.
fn hcl(file: &SourceFile, lines: &Lines<'_>, line: usize) -> Result<Declaration, String> {
    let content = lines.content(line);
    let keyword = content
        .split(|c: char| c.is_whitespace() || c == '"')
        .next()
        .unwrap_or("");
    if !matches!(keyword, "resource" | "module" | "data") {
        return Err(not_a_declaration(
            lines,
            line,
            "a Terraform `resource`, `module` or `data` block",
        ));
    }
    let start = lines.lines[line].range.start;
    let text = file.text.as_bytes();
    let pieces = file.pieces();
    // Pieces are sorted and disjoint: one pointer skips strings, heredocs and comments as the
    // braces are counted.
    let mut piece = pieces.partition_point(|p| p.range.end <= start);
    let mut depth = 0usize;
    let mut position = start;
    while position < text.len() {
        if let Some(p) = pieces.get(piece)
            && p.range.start <= position
        {
            position = position.max(p.range.end + 1);
            piece += 1;
            continue;
        }
        match text[position] {
            b'{' => depth += 1,
            b'}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return Ok(Declaration {
                        line,
                        extent: start..position + 1,
                    });
                }
            }
            b'\n' if depth == 0 => {
                // No brace on the first line: the block is only its first line.
                return Ok(Declaration {
                    line,
                    extent: start..position,
                });
            }
            _ => {}
        }
        position += 1;
    }
    Ok(Declaration {
        line,
        extent: start..text.len(),
    })
}

/// A YAML document (from its first line) or an entry (a key or list item and what is indented
/// under it).
fn yaml_declaration(
    lines: &Lines<'_>,
    index: &YamlIndex,
    line: usize,
) -> Result<Declaration, String> {
    let content = lines.content(line);
    if content.starts_with("---") || content.starts_with("...") {
        return Err(
            "it is above a document separator; put it below `---`, directly above the object"
                .to_string(),
        );
    }
    let start = lines.lines[line].range.start;
    if index.document_start.get(line).copied().unwrap_or(false) {
        return Ok(Declaration {
            line,
            extent: start..index.document_end.get(line).copied().unwrap_or(start),
        });
    }
    let is_entry = content.starts_with("- ") || content == "-" || content.contains(':');
    if !is_entry {
        return Err(not_a_declaration(lines, line, "a YAML key or list item"));
    }
    Ok(Declaration {
        line,
        extent: start..index.entry_end.get(line).copied().unwrap_or(start),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::owners::testing::files;

    /// (first line of the declaration, its text) for each tag of the file, or the reason it applies
    /// to nothing.
    fn declarations(path: &str, text: &str) -> Vec<Result<(u32, String), String>> {
        let sources = files(&[(path, text)]);
        let file = &sources[0];
        let mut tags = Vec::new();
        let mut facts = Facts::default();
        for piece in file.pieces() {
            if piece.kind == PieceKind::Comment {
                super::super::find_tags(file, piece.range.clone(), &mut tags, &mut facts);
            }
        }
        let mut results = Vec::new();
        let rules = RuleSet::builtin().unwrap();
        for tag in &tags {
            let mut facts = Facts::default();
            attach(file, std::slice::from_ref(tag), &mut facts, &rules);
            results.extend(facts.attached.iter().map(|a| {
                let line = file.line_index(a.declaration.start) + 1;
                Ok((
                    line,
                    text[a.declaration.start as usize..a.declaration.end as usize].to_string(),
                ))
            }));
            results.extend(
                facts
                    .diagnostics
                    .iter()
                    .filter(|d| d.rule == Rule::UnresolvedReference)
                    .map(|d| Err(d.message.clone())),
            );
        }
        results
    }

    #[test]
    fn a_terraform_block_ends_at_its_closing_brace_whatever_strings_and_heredocs_hold() {
        let text = "# borderline: personal_data=false\n\
                    resource \"aws_s3_bucket\" \"a\" {\n  bucket = \"}{\"\n  policy = <<EOT\n}\nEOT\n  # }\n  tags = { a = \"b\" }\n}\n\
                    resource \"aws_s3_bucket\" \"b\" {}\n";
        let found = declarations("main.tf", text);
        assert_eq!(found.len(), 1);
        let (line, declared) = found[0].clone().unwrap_or_default();
        assert_eq!(line, 2);
        assert!(
            declared.ends_with("tags = { a = \"b\" }\n}"),
            "{declared:?}"
        );
    }

    #[test]
    fn blank_lines_other_blocks_and_the_end_of_the_file_detach_a_tag() {
        let text = "/* borderline: personal_data=false */\n\nresource \"aws_s3_bucket\" \"a\" {}\n\
                    // borderline: personal_data=false\nprovider \"aws\" {}\n# borderline: data=user.contact";
        let found = declarations("main.tf", text);
        let reasons: Vec<String> = found.into_iter().filter_map(Result::err).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].contains("a blank line ends"), "{reasons:?}");
        assert!(
            reasons[1].contains("`provider \"aws\" {}` is not a Terraform"),
            "{reasons:?}"
        );
        assert!(reasons[2].contains("the file ends"), "{reasons:?}");
    }

    #[test]
    fn a_multi_line_block_comment_and_a_trailing_tag_attach() {
        let text = "/*\n * borderline: personal_data=false\n */\nmodule \"x\" {\n  source = \"./x\"\n}\n\
                    data \"aws_s3_bucket\" \"y\" { # borderline: data=user.contact\n}\n";
        let found: Vec<u32> = declarations("main.tf", text)
            .into_iter()
            .map(|r| r.map(|(line, _)| line).unwrap_or(0))
            .collect();
        assert_eq!(found, [4, 7]);
    }

    #[test]
    fn yaml_documents_and_entries() {
        let text = "# borderline: location=EU\napiVersion: v1\nkind: Service\n---\n\
                    # borderline: location=IE\n\
                    services:\n  # borderline: location=DE\n  db:\n    image: postgres\n    # comment\n\n  cache:\n    image: redis\n\
                    ---\n  # borderline: location=FR\nkind: x\n";
        let found = declarations("compose.yaml", text);
        let extents: Vec<(u32, String)> = found.into_iter().filter_map(Result::ok).collect();
        assert_eq!(extents.len(), 4, "{extents:?}");
        assert_eq!(
            extents[0],
            (2, "apiVersion: v1\nkind: Service\n".to_string())
        );
        assert_eq!(extents[1].0, 6);
        assert!(extents[1].1.ends_with("image: redis\n"), "{extents:?}");
        assert_eq!(
            extents[2],
            (
                8,
                "  db:\n    image: postgres\n    # comment\n\n".to_string()
            )
        );
        assert_eq!(extents[3], (16, "kind: x\n".to_string()));
    }

    #[test]
    fn a_tag_above_a_document_separator_applies_to_nothing() {
        let found = declarations("k.yaml", "# borderline: location=EU\n---\nkind: x\n");
        assert!(
            matches!(&found[..], [Err(reason)] if reason.contains("document separator")),
            "{found:?}"
        );
    }

    proptest::proptest! {
        /// Any mix of tags, braces, heredocs, block scalars, separators and indentation: attaching
        /// never panics, and every span it makes lies inside the file, on character boundaries.
        #[test]
        fn attaching_never_panics_and_spans_stay_inside_the_file(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "# borderline: personal_data=false\n", "  # borderline: location=EU\n",
                    "/* borderline: data=user.contact */", "resource \"a\" \"b\" {", "}", "{",
                    "module \"m\" {\n", "\n", "  ", "---\n", "key: |\n", "- >\n", "a:\n",
                    "x = <<EOT\n", "EOT\n", "\"", "\"}\"", "é", "\r\n", "# borderline: =\n",
                ]),
                0..40,
            ),
            yaml in proptest::bool::ANY,
        ) {
            let text: String = parts.concat();
            let path = if yaml { "k.yaml" } else { "main.tf" };
            let sources = files(&[(path, text.as_str())]);
            let file = &sources[0];
            let mut tags = Vec::new();
            let mut facts = Facts::default();
            for piece in file.pieces() {
                if piece.kind == PieceKind::Comment {
                    super::super::find_tags(file, piece.range.clone(), &mut tags, &mut facts);
                }
            }
            tags.retain(|t| t.kind == crate::extract::annotation::AnnotationKind::InPlace);
            let rules = RuleSet::builtin().unwrap();
            attach(file, &tags, &mut facts, &rules);
            facts.for_each_span(&mut |span| {
                assert!(span.start <= span.end && span.end as usize <= text.len());
                assert!(text.is_char_boundary(span.start as usize));
                assert!(text.is_char_boundary(span.end as usize));
            });
        }
    }
}
