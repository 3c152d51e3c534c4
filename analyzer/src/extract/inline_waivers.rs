//! Inline waivers: `borderline: waive RULE reason="..." expires=YYYY-MM-DD` in a comment of any
//! language the lexer knows (`#`, `//`, `--`, `/* */`, `<!-- -->`), like `# noqa` or
//! `checkov:skip`, but with a reason and an expiry, as a manifest `[[waiver]]` has.
//!
//! A waiver covers its own line and, when its comment stands on lines of its own, the first line
//! below the comment block (a blank line ends the block: the waiver is then about nothing). It
//! waives the findings of its rule (or of each rule of a comma list: `waive a,b`) that point into
//! those lines, and nothing else: `*` or `all` is refused, since a waiver names what it accepts.
//! A malformed waiver (no rule, an unknown rule, no reason, no or a bad `expires`, an unknown key)
//! is an `input-error` of severity error at its file:line:col: it waives nothing, and the gate
//! fails until it is fixed. Comments are read only in files the walk reads (not excluded, not
//! vendored), never in `borderline.toml` (its `[[waiver]]` tables are the manifest's waivers).

use super::owners::Packages;
use super::{ExtractContext, Extractor, PerFile};
use crate::date::Date;
use crate::facts::{ExtractionDiagnostic, Facts, InlineWaiver, Severity};
use crate::policy::Waiver;
use crate::rule::Rule;
use crate::source::lexer::PieceKind;
use crate::source::{SourceFile, Span};
use camino::Utf8Path;

/// What every waiver comment starts with, after the comment's own decoration.
const MARKER: &str = "borderline:";

/// The word after the marker that makes a tag a waiver.
const WAIVE: &str = "waive";

/// At most this many waivers are read in one file: a file of 100,000 waiver comments costs one
/// `input-error`, and the waivers past the limit waive nothing (their findings stay reported).
pub const MAX_WAIVERS_PER_FILE: usize = 1000;

/// How many lines of comment below a waiver are passed over to find the line it covers.
const MAX_BLOCK_LINES: usize = 64;

#[derive(Debug)]
pub struct InlineWaivers;

impl Extractor for InlineWaivers {
    fn name(&self) -> &'static str {
        "inline-waivers"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        // Vendored code is somebody else's: its comments never waive this repository's findings.
        crate::source::lexer::syntax_for(path.as_str()).is_some()
            && path.file_name() != Some("borderline.toml")
            && !super::code::paths::is_vendored_path(path.as_str())
    }

    fn per_file(&self) -> Option<&dyn PerFile> {
        Some(self)
    }
}

impl PerFile for InlineWaivers {
    fn extract_file(
        &self,
        file: &SourceFile,
        _packages: &Packages,
        _ctx: &ExtractContext<'_>,
    ) -> Facts {
        extract_file(file)
    }
}

/// True when the text after `borderline:` is a waiver (`waive` as its first word), which the
/// comment-tag extractor leaves to this module.
pub fn is_waiver(after_marker: &str) -> bool {
    let rest = after_marker.trim_start();
    rest.strip_prefix(WAIVE)
        .is_some_and(|tail| tail.is_empty() || tail.starts_with([' ', '\t', '\r']))
}

/// The waiver a well-formed inline waiver fact makes, for the model.
pub fn to_waiver(fact: InlineWaiver) -> Option<Waiver> {
    let expires = Date::parse(&fact.expires).ok()?;
    Some(Waiver {
        rule: fact.rule,
        from: None,
        to: None,
        reason: fact.reason,
        expires,
        span: Some(fact.span),
        covers: Some(fact.covers),
    })
}

/// The well-formed inline waivers of a file (the policy a `--policy-from` commit had).
pub fn waivers_in(file: &SourceFile) -> Vec<InlineWaiver> {
    extract_file(file).waivers
}

fn extract_file(file: &SourceFile) -> Facts {
    let mut facts = Facts::default();
    let text: &str = &file.text;
    // Most files never mention borderline and are not lexed here at all.
    if memchr::memmem::find(text.as_bytes(), MARKER.as_bytes()).is_none() {
        return facts;
    }
    let pieces = file.pieces();
    let comments: Vec<std::ops::Range<usize>> = pieces
        .iter()
        .filter(|p| p.kind == PieceKind::Comment)
        .map(|p| p.range.clone())
        .collect();
    let mut read = 0usize;
    for range in &comments {
        let comment = text.get(range.clone()).unwrap_or_default();
        if memchr::memmem::find(comment.as_bytes(), MARKER.as_bytes()).is_none() {
            continue;
        }
        let mut offset = range.start;
        for line in comment.split_inclusive('\n') {
            let line_start = offset;
            offset += line.len();
            let body = line.trim_start_matches(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '!' | '*' | '#' | '-')
            });
            let Some(rest) = body.strip_prefix(MARKER) else {
                continue;
            };
            if !is_waiver(rest) {
                continue;
            }
            read += 1;
            if read > MAX_WAIVERS_PER_FILE {
                facts.diagnostics.push(error(
                    Some(file.span(line_start..line_start + line.trim_end().len())),
                    format!(
                        "more than {MAX_WAIVERS_PER_FILE} inline waivers in this file; the rest are not read and waive nothing"
                    ),
                ));
                return facts;
            }
            let marker_start = line_start + (line.len() - body.len());
            let rest_start = marker_start + MARKER.len();
            let waive_start = rest_start + (rest.len() - rest.trim_start().len());
            let text_start = waive_start + WAIVE.len();
            let tail = text.get(text_start..line_start + line.len()).unwrap_or("");
            let tail = tail.trim_end_matches(['\n', '\r']);
            let whole = file.span(marker_start..text_start + tail.trim_end().len());
            match parse(file, tail, text_start) {
                Ok(parsed) => {
                    let covers = file.span(covered(text, &comments, marker_start));
                    for rule in parsed.rules {
                        facts.waivers.push(InlineWaiver {
                            rule,
                            reason: parsed.reason.clone(),
                            expires: parsed.expires.clone(),
                            span: whole,
                            covers,
                        });
                    }
                }
                Err((span, message)) => facts.diagnostics.push(error(
                    Some(span.unwrap_or(whole)),
                    format!("malformed inline waiver: {message}; it waives nothing"),
                )),
            }
        }
    }
    facts
}

fn error(span: Option<Span>, message: String) -> ExtractionDiagnostic {
    // An error, not the warning other input-errors are: a waiver that was meant to apply and
    // does not must stop the gate, so the mistake is seen rather than the finding waived.
    ExtractionDiagnostic {
        rule: Rule::InputError,
        severity: Severity::Error,
        message,
        span,
        path: None,
    }
}

struct Parsed {
    rules: Vec<String>,
    reason: String,
    expires: String,
}

/// Reads `RULE[,RULE] reason="..." expires=YYYY-MM-DD`; `base` is the text's offset in the file.
/// A further comment on the line (`# expect: ...`) ends the waiver.
fn parse(file: &SourceFile, text: &str, base: usize) -> Result<Parsed, (Option<Span>, String)> {
    let span =
        |range: std::ops::Range<usize>| Some(file.span(base + range.start..base + range.end));
    let Words {
        rules,
        reason,
        expires,
    } = words(text, &span)?;
    // Errors about the waiver as a whole point at its marker (the caller's span).
    let whole = None;
    let Some((names, names_range)) = rules else {
        return Err((
            whole,
            "`borderline: waive` needs the rule it waives, e.g. `borderline: waive transfer-without-safeguard reason=\"PRIV-123\" expires=2027-01-31`".to_string(),
        ));
    };
    check_rule_names(&names, span(names_range))?;
    let reason = match reason {
        Some((text, _)) if !text.trim().is_empty() => text,
        Some((_, range)) => {
            return Err((
                span(range),
                "the `reason` is empty; say why the finding is accepted, e.g. a ticket".to_string(),
            ));
        }
        None => {
            return Err((
                whole,
                "it needs `reason=\"...\"`: why the finding is accepted, e.g. a ticket".to_string(),
            ));
        }
    };
    let expires = match expires {
        Some((value, range)) => match Date::parse(&value) {
            Ok(_) => value,
            Err(error) => {
                return Err((span(range), format!("`expires` = `{value}`: {error}")));
            }
        },
        None => {
            return Err((
                whole,
                "it needs `expires=YYYY-MM-DD`: waivers do not last forever".to_string(),
            ));
        }
    };
    let mut rules = names;
    rules.sort();
    rules.dedup();
    Ok(Parsed {
        rules,
        reason,
        expires,
    })
}

/// The words of a waiver, each with its range in the text, before they are checked.
#[derive(Default)]
struct Words {
    rules: Option<(Vec<String>, std::ops::Range<usize>)>,
    reason: Option<(String, std::ops::Range<usize>)>,
    expires: Option<(String, std::ops::Range<usize>)>,
}

/// Splits a waiver's text into its rule list and `key=value` pairs (quoted or bare), up to a
/// further comment; `span` places a range of the text in the file.
fn words(
    text: &str,
    span: &dyn Fn(std::ops::Range<usize>) -> Option<Span>,
) -> Result<Words, (Option<Span>, String)> {
    let bytes = text.as_bytes();
    let mut position = 0usize;
    let mut found = Words::default();
    let Words {
        rules,
        reason,
        expires,
    } = &mut found;
    loop {
        while position < bytes.len() && matches!(bytes[position], b' ' | b'\t') {
            position += 1;
        }
        if position >= bytes.len() {
            break;
        }
        let rest = &text[position..];
        if ["#", "//", "--", "/*"].iter().any(|m| rest.starts_with(m)) {
            break;
        }
        let start = position;
        // A key, up to `=` or a space.
        while position < bytes.len() && !matches!(bytes[position], b' ' | b'\t' | b'=') {
            position += 1;
        }
        let word = &text[start..position];
        if bytes.get(position) != Some(&b'=') {
            if rules.is_some() || reason.is_some() || expires.is_some() {
                return Err((
                    span(start..position),
                    format!(
                        "unexpected `{word}`; expected `reason=\"...\"` or `expires=YYYY-MM-DD`"
                    ),
                ));
            }
            let names = word
                .split(',')
                .map(str::trim)
                .map(str::to_string)
                .collect::<Vec<_>>();
            *rules = Some((names, start..position));
            continue;
        }
        position += 1;
        let value_start = position;
        let value = match bytes.get(position) {
            Some(&quote) if quote == b'"' || quote == b'\'' => {
                let Some(length) = text[position + 1..].find(char::from(quote)) else {
                    return Err((
                        span(start..bytes.len()),
                        format!("`{word}` opens a quote that is not closed on this line"),
                    ));
                };
                let value = text[position + 1..position + 1 + length].to_string();
                position += length + 2;
                value
            }
            _ => {
                while position < bytes.len() && !matches!(bytes[position], b' ' | b'\t') {
                    position += 1;
                }
                text[value_start..position].to_string()
            }
        };
        let slot = match word {
            "reason" => &mut *reason,
            "expires" => &mut *expires,
            _ => {
                return Err((
                    span(start..value_start - 1),
                    format!("unknown key `{word}`; an inline waiver takes `reason` and `expires`"),
                ));
            }
        };
        if slot.is_some() {
            return Err((span(start..position), format!("`{word}` is given twice")));
        }
        *slot = Some((value, start..position));
    }
    Ok(found)
}

/// Every rule a waiver names must be one a waiver can name, given one by one.
fn check_rule_names(names: &[String], span: Option<Span>) -> Result<(), (Option<Span>, String)> {
    for name in names {
        if name == "*" || name.eq_ignore_ascii_case("all") || name.is_empty() {
            return Err((
                span,
                "a waiver names each rule it waives; `*`, `all` and empty names are not allowed"
                    .to_string(),
            ));
        }
        if !Rule::from_name(name).is_ok_and(Rule::waivable) {
            let mut budget = crate::suggest::SEARCH_BUDGET;
            let suggestion =
                crate::suggest::closest_id_within(name, Rule::waivable_names(), &mut budget)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
            return Err((
                span,
                format!("`{name}` is not a rule a waiver can name{suggestion}"),
            ));
        }
    }
    Ok(())
}

/// The byte range a waiver at `at` covers: its own line, and when its comment stands alone on
/// its lines, the comment block below it and the first line after that block.
fn covered(text: &str, comments: &[std::ops::Range<usize>], at: usize) -> std::ops::Range<usize> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
    let own_end = line_end(at);
    if !comment_only(text, comments, line_start, own_end) {
        return line_start..own_end;
    }
    let mut end = own_end;
    for _ in 0..MAX_BLOCK_LINES {
        if end >= text.len() {
            break;
        }
        let next_start = end + 1;
        let next_end = line_end(next_start);
        if text[next_start..next_end].trim().is_empty() {
            break;
        }
        end = next_end;
        if !comment_only(text, comments, next_start, next_end) {
            break;
        }
    }
    line_start..end
}

/// True when the line `start..end` holds nothing but comment (with its delimiters).
fn comment_only(text: &str, comments: &[std::ops::Range<usize>], start: usize, end: usize) -> bool {
    let line = &text[start..end];
    let trimmed = line.trim_start();
    if trimmed.trim_end().is_empty() {
        return false;
    }
    let first = start + (line.len() - trimmed.len());
    let last = start + line.trim_end().len();
    // The comment holding the line's first character (its opener is at most 4 bytes before it)
    // and reaching to its last (a closing delimiter is at most 3 bytes): the first comment ending
    // near the line, or the next one, since the previous line's comment may end just before it.
    let index = comments.partition_point(|range| range.end + 3 < first);
    comments.iter().skip(index).take(2).any(|range| {
        range.start.saturating_sub(4) <= first && first <= range.end && last <= range.end + 3
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn facts(path: &str, text: &str) -> Facts {
        let file = SourceFile::new(FileId(1), path.into(), text.into());
        extract_file(&file)
    }

    #[test]
    fn a_waiver_above_a_line_covers_that_line() {
        let text = "x = 1\n# borderline: waive missing-tia reason=\"PRIV-1\" expires=2027-01-31\n# more\nurl = \"https://a\"\n\ny = 2\n";
        let facts = facts("app.py", text);
        assert_eq!(facts.waivers.len(), 1, "{facts:?}");
        let covers = facts.waivers[0].covers;
        assert_eq!(
            &text[covers.start as usize..covers.end as usize],
            "# borderline: waive missing-tia reason=\"PRIV-1\" expires=2027-01-31\n# more\nurl = \"https://a\""
        );
        assert_eq!(facts.waivers[0].reason, "PRIV-1");
    }

    #[test]
    fn a_trailing_waiver_covers_its_own_line_only() {
        let text = "url = \"https://a\"  # borderline: waive missing-tia,transfer-without-safeguard reason=\"PRIV-1\" expires=2027-01-31 # expect: x\nnext = 1\n";
        let facts = facts("app.py", text);
        assert_eq!(facts.waivers.len(), 2, "{facts:?}");
        let covers = facts.waivers[0].covers;
        assert_eq!(covers.start, 0);
        assert_eq!(covers.end as usize, text.find('\n').unwrap_or(0));
    }

    #[test]
    fn malformed_waivers_are_errors_that_waive_nothing() {
        for (text, needle) in [
            (
                "// borderline: waive missing-tia expires=2027-01-31\n",
                "reason",
            ),
            (
                "// borderline: waive missing-tia reason=\"\" expires=2027-01-31\n",
                "empty",
            ),
            ("// borderline: waive missing-tia reason=\"x\"\n", "expires"),
            (
                "// borderline: waive missing-tia reason=\"x\" expires=2027-02-30\n",
                "expires",
            ),
            (
                "// borderline: waive missing-tai reason=\"x\" expires=2027-01-31\n",
                "did you mean `missing-tia`",
            ),
            (
                "// borderline: waive * reason=\"x\" expires=2027-01-31\n",
                "not allowed",
            ),
            (
                "// borderline: waive reason=\"x\" expires=2027-01-31\n",
                "needs the rule",
            ),
            (
                "// borderline: waive missing-tia reason=\"x expires=2027-01-31\n",
                "not closed",
            ),
            (
                "// borderline: waive missing-tia because=\"x\" expires=2027-01-31\n",
                "unknown key",
            ),
        ] {
            let facts = facts("app.js", text);
            assert!(facts.waivers.is_empty(), "{text}");
            assert_eq!(facts.diagnostics.len(), 1, "{text}");
            assert_eq!(facts.diagnostics[0].severity, Severity::Error);
            assert!(
                facts.diagnostics[0].message.contains(needle),
                "{text}: {}",
                facts.diagnostics[0].message
            );
        }
    }

    #[test]
    fn waivers_in_strings_are_not_read() {
        let facts = facts(
            "app.py",
            "s = \"# borderline: waive missing-tia reason='x' expires=2027-01-31\"\n",
        );
        assert!(facts.is_empty());
    }

    #[test]
    fn a_file_of_many_waivers_is_bounded() {
        let text =
            "# borderline: waive missing-tia reason=\"x\" expires=2027-01-31\n".repeat(100_000);
        let facts = facts("app.py", &text);
        assert_eq!(facts.waivers.len(), MAX_WAIVERS_PER_FILE);
        assert_eq!(facts.diagnostics.len(), 1);
    }

    #[test]
    fn block_and_html_comments() {
        let facts_c = facts(
            "main.go",
            "/* borderline: waive missing-tia reason=\"x\" expires=2027-01-31 */\ncall()\n",
        );
        assert_eq!(facts_c.waivers.len(), 1);
        let facts_h = facts(
            "index.html",
            "<!-- borderline: waive missing-tia reason=\"x\" expires=2027-01-31 -->\n<script src=\"https://a\"></script>\n",
        );
        assert_eq!(facts_h.waivers.len(), 1, "{facts_h:?}");
        let facts_s = facts(
            "q.sql",
            "-- borderline: waive missing-tia reason=\"x\" expires=2027-01-31\nselect 1;\n",
        );
        assert_eq!(facts_s.waivers.len(), 1);
    }
}
