//! Vendor SDK initialisation and cloud SDK clients in code of any language, read lexically.
//!
//! `rules/sdks.toml` says how each SDK is imported, which calls initialise it
//! (`sentry_sdk.init`, `new DynamoDBClient`, `S3Client.builder`), which option carries its
//! destination, and where it sends data when that option is not given. This extractor finds those
//! calls with the lexer's comments and strings ([`super::lexer`]), never a parser: a call counts
//! only in code (not in a comment or a string), only in a file that names one of the SDK's imports,
//! and only when the name is followed by its arguments (`(`, `{`, a Ruby `do` block, or `=` for an
//! attribute such as `stripe.api_key =`), so an SDK imported but never initialised stays quiet.
//!
//! A vendor SDK becomes an inferred flow from the file's node to the host its option names (a URL,
//! a site, a zone), or to the SDK's documented default when the option is not written at all. An
//! option whose value is not a literal is looked up once in the same file (`DSN = "https://..."`);
//! otherwise the destination is said to be unknown, with the reason, never guessed.
//!
//! A cloud client with a literal region becomes a node for the service in that region,
//! `<provider>-<service>-<region>` (`aws-dynamodb-ap-south-1`; `<provider>-<region>` when the call
//! configures every service at once, as Go's `config.WithRegion` does), a store for the services
//! `stores` lists, and an inferred flow to it. Without a literal region the client takes the
//! runtime environment's: no node, no guess. Test, example and vendored files are not read.

use super::annotation;
use super::owners::{self, Packages};
use super::{ExtractContext, Extractor, PerFile};
use crate::facts::{
    ExtractionDiagnostic, Facts, FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind,
    NodeRef, Origin, Severity,
};
use crate::rule::Rule;
use crate::rules::sdks::{OptionValue, Sdk, SdkKind, SdkOption, ServiceFrom, WhenUnset};
use crate::source::lexer::{Piece, PieceKind};
use crate::source::{SourceFile, Span};
use camino::Utf8Path;
use std::collections::BTreeSet;
use std::ops::Range;

/// Extensions of the languages whose SDK calls are read.
const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "go", "java", "kt", "kts", "scala",
    "rb", "cs", "php", "rs",
];

/// Directories of third-party code copied into a repository: their SDK calls are not the
/// repository's own.
const VENDORED: &[&str] = &[
    "node_modules",
    "vendor",
    "third_party",
    "third-party",
    "site-packages",
    "bower_components",
];

/// At most this many occurrences of one call name are read per file.
const MAX_CALLS: usize = 256;
/// A call's arguments (with its chained builder calls) are read up to this many bytes.
const MAX_REGION: usize = 16 << 10;
/// A chain `S3Client.builder().region(..).build()` is followed for this many links.
const MAX_LINKS: usize = 32;
/// An option value that is an expression is read up to this many bytes.
const MAX_EXPRESSION: usize = 256;
/// Bytes of call arguments (and whole-file option searches) read per file: a file of thousands of
/// unclosed calls costs at most this much, and what is left unread is said.
const MAX_FILE_WORK: usize = 32 << 20;
/// A Ruby `do` block is read up to this many lines.
const MAX_BLOCK_LINES: usize = 200;

#[derive(Debug)]
pub struct SdkCalls;

impl Extractor for SdkCalls {
    fn name(&self) -> &'static str {
        "sdks"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        is_source(path) || owners::is_package_manifest(path)
    }

    fn per_file(&self) -> Option<&dyn PerFile> {
        Some(self)
    }
}

impl PerFile for SdkCalls {
    fn extract_file(
        &self,
        file: &SourceFile,
        packages: &Packages,
        ctx: &ExtractContext<'_>,
    ) -> Facts {
        if !is_source(&file.path) {
            return Facts::default();
        }
        extract_file(file, packages, ctx)
    }

    fn finish(&self, facts: &mut Facts, classes: &super::Classes) {
        // One flow per (source, destination, environment class) and one node fact per cloud
        // node: the first in path order, so that a client made in ten files is one flow at its
        // first call, and a test's client never stands for a production one.
        let mut seen = BTreeSet::new();
        facts.flows.retain(|flow| {
            let target = match &flow.to {
                FlowTarget::Host { host, .. } => format!("host:{host}"),
                FlowTarget::Node(node) => format!("node:{}", node.id),
            };
            seen.insert((
                flow.from.as_ref().map(|f| f.id.clone()),
                target,
                classes.of_span(flow.span),
            ))
        });
        let mut nodes = BTreeSet::new();
        facts
            .nodes
            .retain(|node| nodes.insert((node.id.clone(), classes.of_span(node.span))));
    }
}

fn is_source(path: &Utf8Path) -> bool {
    path.extension()
        .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn is_vendored(path: &str) -> bool {
    path.split('/').any(|part| VENDORED.contains(&part))
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The file's text with its comments and strings, for position questions.
struct Code<'a> {
    text: &'a str,
    /// The text in lower case (ASCII only, so byte offsets are the same), made once per file.
    lower: String,
    pieces: &'a [Piece],
    /// Bytes of call arguments and whole-file option searches still allowed in this file.
    budget: std::cell::Cell<usize>,
    /// Options searched in the whole file, by (SDK id, option index): the answer does not depend
    /// on the call, so each is searched once.
    fallbacks: std::cell::RefCell<std::collections::BTreeMap<(String, usize), Option<Value>>>,
}

impl<'a> Code<'a> {
    /// The comment or string whose content holds `pos`.
    fn piece_at(&self, pos: usize) -> Option<&'a Piece> {
        let index = self.pieces.partition_point(|p| p.range.start <= pos);
        let piece = self.pieces.get(index.checked_sub(1)?)?;
        (piece.range.contains(&pos)).then_some(piece)
    }

    fn in_comment(&self, pos: usize) -> bool {
        self.piece_at(pos)
            .is_some_and(|p| p.kind == PieceKind::Comment)
    }

    fn is_code(&self, pos: usize) -> bool {
        self.piece_at(pos).is_none()
    }

    fn byte(&self, pos: usize) -> Option<u8> {
        self.text.as_bytes().get(pos).copied()
    }

    /// The first position at or after `pos` that is not a space or tab (or line break, if `lines`).
    fn skip_space(&self, mut pos: usize, lines: bool) -> usize {
        while let Some(b) = self.byte(pos) {
            if b == b' ' || b == b'\t' || (lines && (b == b'\n' || b == b'\r')) {
                pos += 1;
            } else {
                break;
            }
        }
        pos
    }

    /// Like [`Code::skip_space`] over line breaks, and over comments too (a builder chain may
    /// hold a comment between two links).
    fn skip_gap(&self, mut pos: usize) -> usize {
        for _ in 0..MAX_LINKS {
            pos = self.skip_space(pos, true);
            // A comment's content starts one to four bytes after its delimiter.
            let comment = (pos + 1..=pos + 4).find_map(|at| {
                self.piece_at(at)
                    .filter(|p| p.kind == PieceKind::Comment && p.range.start == at)
            });
            match comment {
                Some(comment) => {
                    pos = comment.range.end;
                    if self
                        .text
                        .get(pos..)
                        .is_some_and(|rest| rest.starts_with("*/"))
                    {
                        pos += 2;
                    }
                }
                None => break,
            }
        }
        pos
    }

    /// The string literal that opens at `pos` (its quote, or a one- or two-letter prefix such as
    /// Python's `f"`, C#'s `@"` or `$"`), as the range of its content.
    fn string_at(&self, pos: usize) -> Option<Range<usize>> {
        for offset in 1..=3 {
            if let Some(piece) = self
                .piece_at(pos + offset)
                .filter(|p| p.kind == PieceKind::String && p.range.start == pos + offset)
            {
                let opener = self.text.get(pos..pos + offset)?;
                let valid = opener.ends_with(['"', '\'', '`'])
                    && opener[..opener.len() - 1].bytes().all(|b| {
                        matches!(b, b'f' | b'F' | b'r' | b'R' | b'b' | b'u' | b'@' | b'$')
                    });
                return valid.then(|| piece.range.clone());
            }
            // An empty string `""` has no piece of its own.
            if offset == 1
                && matches!(self.byte(pos), Some(b'"' | b'\''))
                && self.byte(pos + 1) == self.byte(pos)
                && self.is_code(pos)
            {
                return Some(pos + 1..pos + 1);
            }
        }
        None
    }

    /// From an opening bracket at `open`, the position after its matching closing bracket (or the
    /// bound), skipping comments and strings.
    fn balanced(&self, open: usize, limit: usize) -> usize {
        let mut depth = 0usize;
        let mut pos = open;
        while pos < limit {
            if let Some(piece) = self.piece_at(pos) {
                pos = piece.range.end.max(pos + 1);
                continue;
            }
            match self.byte(pos) {
                Some(b'(' | b'[' | b'{') => depth += 1,
                Some(b')' | b']' | b'}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return pos + 1;
                    }
                }
                None => return pos,
                _ => {}
            }
            pos += 1;
        }
        limit
    }

    /// A Ruby `do` block at `at`: up to the first `end` line indented no deeper than the call.
    fn do_block(&self, call_start: usize, at: usize, limit: usize) -> usize {
        let line_start = self.text[..call_start].rfind('\n').map_or(0, |n| n + 1);
        let indent = self.text[line_start..call_start]
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count();
        let mut pos = at;
        for _ in 0..MAX_BLOCK_LINES {
            let Some(newline) = self.text[pos..limit].find('\n') else {
                return limit;
            };
            pos += newline + 1;
            let line_end = self.text[pos..]
                .find('\n')
                .map_or(self.text.len(), |n| pos + n);
            let line = &self.text[pos..line_end];
            let trimmed = line.trim();
            let depth = line.len() - line.trim_start().len();
            if (trimmed == "end" || trimmed.starts_with("end ") || trimmed.starts_with("end."))
                && depth <= indent
            {
                return line_end;
            }
        }
        pos.min(limit)
    }
}

/// A call found in code: where its name is, what the wildcard matched, and its arguments.
struct Call {
    name: Range<usize>,
    wildcard: Option<String>,
    /// The arguments and chained calls after the name.
    region: Range<usize>,
    /// Where the first argument starts, when the call has parentheses.
    first_argument: Option<usize>,
}

/// Every call of `pattern` in the file's code.
fn find_calls(code: &Code<'_>, pattern: &str) -> Vec<Call> {
    let (prefix, suffix) = match pattern.split_once('*') {
        Some((prefix, suffix)) => (prefix, Some(suffix)),
        None => (pattern, None),
    };
    let text = code.text.as_bytes();
    let mut calls = Vec::new();
    // A pattern that starts with `*` is found by its suffix; the wildcard is the identifier before.
    let needle = if prefix.is_empty() {
        suffix.unwrap_or_default()
    } else {
        prefix
    };
    if needle.is_empty() {
        return calls;
    }
    for found in memchr::memmem::find_iter(text, needle.as_bytes()).take(MAX_CALLS * 4) {
        if calls.len() >= MAX_CALLS {
            break;
        }
        let (start, wildcard, end) = if prefix.is_empty() {
            let before = text[..found]
                .iter()
                .rev()
                .take_while(|b| is_ident(**b))
                .count();
            if before == 0 {
                continue;
            }
            let start = found - before;
            (
                start,
                Some(code.text[start..found].to_string()),
                found + needle.len(),
            )
        } else {
            let after = found + prefix.len();
            match suffix {
                None => (found, None, after),
                Some(suffix) => {
                    let run = text[after..].iter().take_while(|b| is_ident(**b)).count();
                    let ident_len = suffix.bytes().take_while(|b| is_ident(*b)).count();
                    let (head, tail) = suffix.split_at(ident_len);
                    let run_text = &code.text[after..after + run];
                    if run <= head.len() || !run_text.ends_with(head) {
                        continue;
                    }
                    let wildcard = &run_text[..run - head.len()];
                    if !code.text[after + run..].starts_with(tail) {
                        continue;
                    }
                    (found, Some(wildcard.to_string()), after + run + tail.len())
                }
            }
        };
        // The name stands alone: not the end of a longer identifier, not a longer name's start.
        if start > 0 && is_ident(text[start - 1]) {
            continue;
        }
        if pattern.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && text.get(end).is_some_and(|b| is_ident(*b))
        {
            continue;
        }
        if !code.is_code(start) {
            continue;
        }
        if code.budget.get() == 0 {
            break;
        }
        let limit = (end + MAX_REGION).min(text.len());
        let Some((region_end, first_argument)) = arguments(code, pattern, start, end, limit) else {
            continue;
        };
        code.budget
            .set(code.budget.get().saturating_sub(region_end - end + 1));
        calls.push(Call {
            name: start..end,
            wildcard,
            region: end..region_end,
            first_argument,
        });
    }
    calls
}

/// The end of a call's arguments and chained calls, and where its first argument starts; `None`
/// when the name is not followed by arguments (an import, a type, a mention).
fn arguments(
    code: &Code<'_>,
    pattern: &str,
    start: usize,
    end: usize,
    limit: usize,
) -> Option<(usize, Option<usize>)> {
    let text = code.text.as_bytes();
    let at = code.skip_space(end, false);
    let mut first_argument = None;
    let mut pos = match code.byte(at)? {
        b'(' => {
            first_argument = Some(code.skip_space(at + 1, true));
            code.balanced(at, limit)
        }
        b'{' => code.balanced(at, limit),
        b'd' if text.get(at..at + 2) == Some(b"do")
            && !text.get(at + 2).is_some_and(|b| is_ident(*b)) =>
        {
            return Some((code.do_block(start, at, limit), None));
        }
        // `stripe.api_key = ...`: an attribute set once, the statement to the end of the line.
        b'=' if !matches!(text.get(at + 1), Some(b'=' | b'>' | b'~'))
            && (pattern.contains('.') || pattern.contains("::")) =>
        {
            let line_end = code.text[at..limit].find('\n').map_or(limit, |n| at + n);
            return Some((line_end, None));
        }
        _ => return None,
    };
    // Chained calls and trailing blocks: `.builder().region(...).build()`, Kotlin `{ ... }`.
    for _ in 0..MAX_LINKS {
        let next = code.skip_gap(pos);
        match code.byte(next) {
            Some(b'{') if next < limit => pos = code.balanced(next, limit),
            Some(b'.') if next < limit => {
                let ident = text[next + 1..]
                    .iter()
                    .take_while(|b| is_ident(**b))
                    .count();
                if ident == 0 {
                    break;
                }
                let open = code.skip_space(next + 1 + ident, false);
                if code.byte(open) != Some(b'(') {
                    break;
                }
                pos = code.balanced(open, limit);
            }
            Some(b'd')
                if text.get(next..next + 2) == Some(b"do")
                    && !text.get(next + 2).is_some_and(|b| is_ident(*b)) =>
            {
                pos = code.do_block(start, next, limit);
                break;
            }
            _ => break,
        }
    }
    Some((pos.min(limit), first_argument))
}

/// An option's value as written.
#[derive(Clone)]
enum Value {
    /// A string literal (its content and span).
    Literal(String, Range<usize>),
    /// An expression, as written (shortened), and its range.
    Expression(String, Range<usize>),
}

/// The value written for `option` inside `range`, skipping `skip` (a region already searched).
fn option_value(
    code: &Code<'_>,
    option: &SdkOption,
    range: Range<usize>,
    skip: Option<&Range<usize>>,
    setters_only: bool,
) -> Option<Value> {
    let lower = code.lower.get(range.clone())?;
    let mut best: Option<(usize, Value)> = None;
    for name in &option.names {
        if name.is_empty() {
            continue;
        }
        for found in memchr::memmem::find_iter(lower.as_bytes(), name.as_bytes()).take(MAX_CALLS) {
            let pos = range.start + found;
            let end = pos + name.len();
            if skip.is_some_and(|s| s.contains(&pos)) || code.in_comment(pos) {
                continue;
            }
            if best.as_ref().is_some_and(|(at, _)| *at < pos) {
                break;
            }
            let after = match code.piece_at(pos) {
                // A string key: `'dsn' => ...`, `{"api_host": ...}`.
                Some(piece) => {
                    if setters_only || piece.range != (pos..end) {
                        continue;
                    }
                    end + 1
                }
                None => {
                    let before = &lower[..found];
                    let setter = before.ends_with("set") || before.ends_with("set_");
                    let head = if setter {
                        found - if before.ends_with("set_") { 4 } else { 3 }
                    } else {
                        found
                    };
                    if head > 0 && is_ident(lower.as_bytes()[head - 1]) {
                        continue;
                    }
                    if setters_only && !setter && !before.ends_with('.') {
                        continue;
                    }
                    if code.byte(end).is_some_and(is_ident) {
                        continue;
                    }
                    end
                }
            };
            let op = code.skip_space(after, false);
            let value_start = match (code.byte(op), code.byte(op + 1)) {
                (Some(b'='), Some(b'>')) => op + 2,
                (Some(b'='), Some(b'=')) => continue,
                (Some(b'='), _) => op + 1,
                (Some(b':'), Some(b':')) => continue,
                (Some(b':'), _) => op + 1,
                (Some(b'('), _) => op + 1,
                _ => continue,
            };
            let value = read_value(code, code.skip_space(value_start, true));
            best = Some((pos, value));
        }
    }
    best.map(|(_, value)| value)
}

/// The value starting at `pos`: a string literal, or an expression up to the next separator.
fn read_value(code: &Code<'_>, pos: usize) -> Value {
    if let Some(content) = code.string_at(pos) {
        let literal = &code.text[content.clone()];
        let closing = code.skip_space(content.end + 1, false);
        let joined = matches!(code.byte(closing), Some(b'+' | b'%' | b'.'));
        if !joined && !literal.contains("${") && !literal.contains("#{") && !literal.contains('{') {
            return Value::Literal(literal.to_string(), content);
        }
    }
    let limit = (pos + MAX_EXPRESSION).min(code.text.len());
    let mut end = pos;
    let mut depth = 0usize;
    while end < limit {
        if let Some(piece) = code.piece_at(end) {
            end = piece.range.end.max(end + 1);
            continue;
        }
        match code.byte(end) {
            Some(b'(' | b'[' | b'{') => depth += 1,
            Some(b')' | b']' | b'}') if depth == 0 => break,
            Some(b')' | b']' | b'}') => depth -= 1,
            Some(b',' | b';' | b'\n') if depth == 0 => break,
            None => break,
            _ => {}
        }
        end += 1;
    }
    let end = end.min(limit);
    let mut written = code.text.get(pos..end).unwrap_or("").trim().to_string();
    if written.len() > 80 {
        let mut cut = 80;
        while !written.is_char_boundary(cut) {
            cut -= 1;
        }
        written.truncate(cut);
        written.push('…');
    }
    Value::Expression(written, pos..end)
}

/// The single string literal an expression wraps (`Region.of("x")`, `aws.String("x")`,
/// `Region::new("x")`), unless the wrapper reads the environment or a setting.
fn wrapped_literal(code: &Code<'_>, range: &Range<usize>) -> Option<(String, Range<usize>)> {
    let written = code.text.get(range.clone())?;
    let open = written.find('(')?;
    let function = written[..open].trim().to_ascii_lowercase();
    // A named wrapper (`Region.of`, `aws.String`), never a parenthesised expression such as
    // `(process.env.SITE || 'datadoghq.com')`, whose literal is only a fallback.
    if function.is_empty()
        || !function
            .bytes()
            .all(|b| is_ident(b) || b == b'.' || b == b':')
        || !written.trim_end().ends_with(')')
    {
        return None;
    }
    if ["env", "setting", "config", "get"]
        .iter()
        .any(|word| function.contains(word))
    {
        return None;
    }
    let strings: Vec<&Piece> = code
        .pieces
        .iter()
        .filter(|p| p.kind == PieceKind::String && range.contains(&p.range.start))
        .take(2)
        .collect();
    match strings.as_slice() {
        [one] => Some((code.text[one.range.clone()].to_string(), one.range.clone())),
        _ => None,
    }
}

/// A constant a literal in the same file gives to the name an expression reads: `DSN = "..."`
/// for `dsn=DSN`, `settings.DSN`, `os.environ.get("DSN")` or `process.env.DSN`.
fn same_file_constant(code: &Code<'_>, range: &Range<usize>) -> Option<(String, Range<usize>)> {
    let written = code.text.get(range.clone())?;
    // The name read: a string inside an environment read, else the last identifier.
    let name = code
        .pieces
        .iter()
        .find(|p| p.kind == PieceKind::String && range.contains(&p.range.start))
        .map(|p| code.text[p.range.clone()].to_string())
        .or_else(|| {
            let trimmed =
                written.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            // Past the last character that is not part of a name, whatever its UTF-8 length.
            let start = trimmed
                .char_indices()
                .rev()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                .map_or(0, |(n, c)| n + c.len_utf8());
            Some(trimmed[start..].to_string())
        })?;
    if name.len() < 3 || !name.bytes().all(is_ident) {
        return None;
    }
    let text = code.text.as_bytes();
    // The name must be assigned once in the file: a default overwritten later (saleor's
    // `region = "us-east-1"`, then the queue URL's region) is decided at runtime.
    let mut assigned: Option<(String, Range<usize>)> = None;
    let mut assignments = 0usize;
    for found in memchr::memmem::find_iter(text, name.as_bytes()).take(MAX_CALLS) {
        let end = found + name.len();
        if range.contains(&found)
            || (found > 0 && is_ident(text[found - 1]))
            || text.get(end).is_some_and(|b| is_ident(*b))
            || !code.is_code(found)
        {
            continue;
        }
        let op = code.skip_space(end, false);
        let value = match (code.byte(op), code.byte(op + 1)) {
            (Some(b'='), Some(b'=' | b'>')) | (Some(b':'), Some(b':')) => continue,
            (Some(b'=' | b':'), _) => code.skip_space(op + 1, false),
            _ => continue,
        };
        assignments += 1;
        if let Value::Literal(literal, span) = read_value(code, value) {
            assigned.get_or_insert((literal, span));
        }
    }
    assigned.filter(|_| assignments == 1)
}

/// The host a URL or bare host names, if it is a plausible public name.
fn host_of(value: &str) -> Option<String> {
    let value = value.trim();
    let rest = value.split_once("://").map_or(value, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").trim_end_matches('.');
    let host = host.to_ascii_lowercase();
    let last = host.rsplit('.').next().unwrap_or("");
    let plausible = host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !last.is_empty()
        && !last.bytes().all(|b| b.is_ascii_digit())
        && !matches!(
            last,
            "local" | "internal" | "localdomain" | "test" | "example" | "invalid" | "localhost"
        );
    plausible.then_some(host)
}

/// A region id as written, or from a region constant: `AP_SOUTH_1`, `APSouth1`, `EUWest1`.
fn region_id(written: &str) -> Option<String> {
    let written = written.trim();
    let id = if written.contains('_')
        || written
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        written.to_ascii_lowercase().replace('_', "-")
    } else if written.bytes().any(|b| b.is_ascii_uppercase())
        && written
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase())
        && !written.contains('-')
    {
        // .NET: a two-letter area in capitals, then capitalised words, then the number.
        let bytes = written.as_bytes();
        let mut parts: Vec<String> = Vec::new();
        let area = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
        let area = if area > 2 { area - 1 } else { area };
        parts.push(written[..area].to_ascii_lowercase());
        let mut current = String::new();
        for c in written[area..].chars() {
            if (c.is_ascii_uppercase()
                || (c.is_ascii_digit() && !current.ends_with(|d: char| d.is_ascii_digit())))
                && !current.is_empty()
            {
                parts.push(std::mem::take(&mut current).to_ascii_lowercase());
            }
            current.push(c);
        }
        if !current.is_empty() {
            parts.push(current.to_ascii_lowercase());
        }
        parts.join("-")
    } else {
        written.to_ascii_lowercase()
    };
    let valid = !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then_some(id)
}

/// A region constant in a client call: `Region.AP_SOUTH_1`, `Regions.EU_WEST_1`,
/// `RegionEndpoint.APSouth1`, `Region::EuWest1` (the SDKs' own spellings).
fn region_constant(code: &Code<'_>, range: &Range<usize>) -> Option<(String, Range<usize>)> {
    let text = code.text.get(range.clone())?;
    for class in ["RegionEndpoint.", "Regions.", "Region."] {
        let mut search = 0;
        while let Some(found) = text[search..].find(class) {
            let at = search + found;
            search = at + class.len();
            let start = range.start + at + class.len();
            if at > 0 && is_ident(text.as_bytes()[at - 1]) || !code.is_code(range.start + at) {
                continue;
            }
            let length = code.text[start..]
                .bytes()
                .take_while(|b| is_ident(*b))
                .count();
            let constant = &code.text[start..start + length];
            // `Region.of(...)`, `RegionEndpoint.GetBySystemName(...)` are calls, read elsewhere.
            if constant.is_empty()
                || code.byte(start + length) == Some(b'(')
                || !constant
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_uppercase())
            {
                continue;
            }
            if let Some(id) = region_id(constant) {
                return Some((id, start..start + length));
            }
        }
    }
    None
}

/// A service name as node ids use it: lower-case letters and digits.
fn service_key(written: &str) -> String {
    written
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// What a call's options say about its destination.
enum Destination {
    /// A host (vendor) or region (cloud), with the span of what named it.
    Found(String, Range<usize>),
    /// Written, but not a literal this file resolves: the expression.
    Runtime(String, Range<usize>),
    /// A literal the rule data cannot turn into a destination.
    Unmapped(String, Range<usize>),
    /// Not written.
    Unset,
}

fn destination(code: &Code<'_>, sdk: &Sdk, call: &Call) -> Destination {
    for (index, option) in sdk.options.iter().enumerate() {
        let mut value = option_value(code, option, call.region.clone(), None, false);
        if value.is_none()
            && option.first_argument
            && let Some(first) = call.first_argument
        {
            // `sentry::init(("https://...", ...))`: a tuple's first element too.
            let first = if code.byte(first) == Some(b'(') {
                code.skip_space(first + 1, true)
            } else {
                first
            };
            if first < call.region.end && !matches!(code.byte(first), Some(b')')) {
                value = Some(read_value(code, first));
            }
        }
        if value.is_none()
            && option.value == OptionValue::Region
            && let Some((id, span)) = region_constant(code, &call.region)
        {
            return Destination::Found(id, span);
        }
        // An option set apart from the call (`Config(server_zone="EU")` passed in,
        // `sgMail.setDataResidency('eu')`): searched in the whole file for distinctive names only.
        if value.is_none() && option.names.iter().any(|n| n.len() >= 8) {
            let key = (sdk.id.clone(), index);
            let cached = code.fallbacks.borrow().get(&key).cloned();
            value = match cached {
                Some(found) => found,
                None => {
                    let long = SdkOption {
                        names: option
                            .names
                            .iter()
                            .filter(|n| n.len() >= 8)
                            .cloned()
                            .collect(),
                        value: option.value.clone(),
                        first_argument: false,
                    };
                    code.budget
                        .set(code.budget.get().saturating_sub(code.text.len()));
                    let found =
                        option_value(code, &long, 0..code.text.len(), Some(&call.region), true);
                    code.fallbacks.borrow_mut().insert(key, found.clone());
                    found
                }
            };
        }
        let Some(value) = value else {
            continue;
        };
        let (literal, span) = match value {
            Value::Literal(literal, span) => (literal, span),
            Value::Expression(written, span) => {
                if option.value == OptionValue::Region
                    && let Some((id, span)) = region_constant(code, &span)
                {
                    return Destination::Found(id, span);
                }
                match wrapped_literal(code, &span).or_else(|| same_file_constant(code, &span)) {
                    Some(found) => found,
                    None => return Destination::Runtime(written, span),
                }
            }
        };
        let mapped = match &option.value {
            OptionValue::Url => host_of(&literal),
            OptionValue::Template(template) => {
                let value = literal.trim().to_ascii_lowercase();
                (!value.is_empty()
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
                .then(|| template.replace("{}", &value))
                .and_then(|host| host_of(&host))
            }
            OptionValue::Map(map) => map.get(&literal.trim().to_ascii_lowercase()).cloned(),
            OptionValue::Region => region_id(&literal),
        };
        return match mapped {
            Some(found) => Destination::Found(found, span),
            None => Destination::Unmapped(literal, span),
        };
    }
    Destination::Unset
}

fn extract_file(file: &SourceFile, packages: &Packages, ctx: &ExtractContext<'_>) -> Facts {
    let mut facts = Facts::default();
    let path = file.path.as_str();
    if super::code::paths::is_example_path(path) || is_vendored(path) {
        return facts;
    }
    let text = file.text.as_bytes();
    // The prefilter: an SDK is looked for only in a file that names one of its imports.
    let imported: Vec<&Sdk> = ctx.rules.sdks_named_in(text);
    if imported.is_empty() {
        return facts;
    }
    // A flow needs a source: code that belongs to no node is not read.
    let Some(owner) = packages.owner_of(&file.path, ctx) else {
        return facts;
    };
    let code = Code {
        text: &file.text,
        lower: file.text.to_ascii_lowercase(),
        pieces: file.pieces(),
        budget: std::cell::Cell::new(MAX_FILE_WORK),
        fallbacks: std::cell::RefCell::new(std::collections::BTreeMap::new()),
    };
    let mut found_any = false;
    for sdk in imported {
        // The import must be written in code or a string, not only in a comment.
        let named = sdk.imports.iter().any(|import| {
            memchr::memmem::find_iter(text, import.as_bytes())
                .take(MAX_CALLS)
                .any(|at| !code.in_comment(at))
        });
        if !named {
            continue;
        }
        for pattern in &sdk.calls {
            for call in find_calls(&code, pattern) {
                found_any |= emit(file, &code, sdk, &call, &owner.id, &mut facts);
            }
        }
    }
    if code.budget.get() == 0 {
        facts.diagnostics.push(ExtractionDiagnostic {
            rule: Rule::InputError,
            severity: Severity::Note,
            message: format!(
                "SDK calls: this file holds more call arguments than borderline reads ({} MiB); the calls after that point are not read",
                MAX_FILE_WORK >> 20
            ),
            span: None,
            path: Some(file.path.to_string()),
        });
    }
    if found_any && owner.from_package {
        facts
            .nodes
            .push(annotation::package_node(&owner, Origin::Inference, true));
    }
    facts
}

/// The facts one call gives; true when it made a flow.
fn emit(
    file: &SourceFile,
    code: &Code<'_>,
    sdk: &Sdk,
    call: &Call,
    owner: &str,
    facts: &mut Facts,
) -> bool {
    let called = code.text.get(call.name.clone()).unwrap_or("");
    let call_span = file.span(call.name.clone());
    match (sdk.kind, destination(code, sdk, call)) {
        (SdkKind::Vendor, Destination::Found(host, span)) => {
            push_host_flow(file, facts, owner, host, span);
            true
        }
        (SdkKind::Vendor, Destination::Unset) => match &sdk.when_unset {
            WhenUnset::Default(host) => {
                push_host_flow(file, facts, owner, host.clone(), call.name.clone());
                true
            }
            WhenUnset::Unknown => {
                note(
                    facts,
                    call_span,
                    format!(
                        "`{called}`: {} destination not written here, set at runtime{}",
                        sdk.name,
                        sdk.note
                            .as_ref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    ),
                );
                false
            }
        },
        (SdkKind::Vendor, Destination::Runtime(written, span)) => {
            note(
                facts,
                file.span(span),
                format!(
                    "`{called}(... {written} ...)`: {} destination set at runtime; borderline does not guess it (declare the flow, or give the value in this file or the service's configuration)",
                    sdk.name
                ),
            );
            false
        }
        (SdkKind::Vendor, Destination::Unmapped(literal, span)) => {
            note(
                facts,
                file.span(span),
                format!(
                    "`{called}`: {} option value `{}` names no host the rule data knows",
                    sdk.name,
                    shorten(&literal)
                ),
            );
            false
        }
        (SdkKind::Cloud, Destination::Found(region, span)) => {
            cloud_client(file, code, sdk, call, owner, (region, span), facts)
        }
        // Without a literal region the client takes the runtime's: no node, no guess.
        (SdkKind::Cloud, _) => false,
    }
}

/// A cloud client with a literal region: a node for the service it reaches (a store when the
/// rule data says so) in that region, and a flow to it; true when it made one.
fn cloud_client(
    file: &SourceFile,
    code: &Code<'_>,
    sdk: &Sdk,
    call: &Call,
    owner: &str,
    (region, region_span): (String, std::ops::Range<usize>),
    facts: &mut Facts,
) -> bool {
    let call_span = file.span(call.name.clone());
    let Some(provider) = sdk.provider.as_deref() else {
        return false;
    };
    let service = match &sdk.service {
        Some(ServiceFrom::FirstArgument) => call
            .first_argument
            .and_then(|first| match read_value(code, first) {
                Value::Literal(literal, _) => Some(service_key(&literal)),
                Value::Expression(..) => None,
            })
            .unwrap_or_else(|| provider.to_string()),
        Some(ServiceFrom::Wildcard) => call
            .wildcard
            .as_deref()
            .map(service_key)
            .unwrap_or_else(|| provider.to_string()),
        Some(ServiceFrom::Fixed(name)) => service_key(name),
        None => provider.to_string(),
    };
    if service.is_empty()
        || (service != provider && !sdk.services.is_empty() && !sdk.services.contains(&service))
    {
        return false;
    }
    let id = if service == provider {
        format!("{provider}-{region}")
    } else {
        format!("{provider}-{service}-{region}")
    };
    let span = file.span(region_span);
    let mut node = NodeFact::new(id.clone(), Origin::Inference);
    node.kind = Some(if sdk.stores.contains(&service) {
        NodeKind::Store
    } else {
        NodeKind::Service
    });
    node.label = Some(if service == provider {
        format!("{} client ({region})", sdk.name)
    } else {
        format!("{service} ({}, {region})", sdk.name)
    });
    node.location = Some(LocatedAt {
        location: Location::Region {
            provider: provider.to_string(),
            region,
        },
        span: Some(span),
        unresolved_reason: None,
    });
    node.provider = Some(provider.to_string());
    node.span = Some(call_span);
    node.inferred = true;
    facts.nodes.push(node);
    let mut flow = FlowFact::observed(
        NodeRef::to(owner),
        FlowTarget::Node(NodeRef {
            id,
            span: Some(call_span),
        }),
        Some(call_span),
        Origin::Inference,
    );
    flow.inferred = true;
    facts.flows.push(flow);
    true
}

fn push_host_flow(
    file: &SourceFile,
    facts: &mut Facts,
    owner: &str,
    host: String,
    span: Range<usize>,
) {
    let span: Span = file.span(span);
    let mut flow = FlowFact::observed(
        NodeRef::to(owner),
        FlowTarget::Host {
            host,
            span: Some(span),
        },
        Some(span),
        Origin::Inference,
    );
    // An SDK call is a strong hint, but still read from code rather than declared.
    flow.inferred = true;
    facts.flows.push(flow);
}

fn note(facts: &mut Facts, span: Span, message: String) {
    facts.diagnostics.push(ExtractionDiagnostic {
        rule: Rule::UnknownLocation,
        severity: Severity::Note,
        message,
        span: Some(span),
        path: None,
    });
}

fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Owners;
    use crate::rules::RuleSet;
    use crate::source::FileId;

    /// The facts of one file owned by the node `svc`.
    fn facts_of(path: &str, text: &str) -> Facts {
        let rules = RuleSet::builtin().unwrap();
        let owners = Owners::new([("svc".to_string(), String::new())]);
        let ctx = ExtractContext {
            rules: &rules,
            owners: &owners,
            terraform: &[],
        };
        let file = SourceFile::new(FileId(0), path.into(), text.into());
        extract_file(&file, &Packages::default(), &ctx)
    }

    fn hosts(facts: &Facts) -> Vec<String> {
        facts
            .flows
            .iter()
            .map(|f| match &f.to {
                FlowTarget::Host { host, .. } => host.clone(),
                FlowTarget::Node(node) => node.id.clone(),
            })
            .collect()
    }

    #[test]
    fn a_value_ending_in_a_multibyte_character_is_no_panic() {
        // Found by the `code` fuzz target: a name read back over U+FFFD (three bytes).
        let facts = facts_of(
            "svc/app/worker.py",
            "import sentry_sdk\nsentry_sdk.init(dsn=\u{fffd}SENTRY_VALUE)\n",
        );
        assert!(hosts(&facts).is_empty());
    }

    #[test]
    fn kotlin_trailing_lambdas_and_ruby_blocks_carry_their_options() {
        let kotlin = facts_of(
            "app/src/main/kotlin/App.kt",
            "import io.sentry.android.core.SentryAndroid\nSentryAndroid.init(this) { options ->\n  options.dsn = \"https://k@o1.ingest.de.sentry.io/2\"\n}\n",
        );
        assert_eq!(hosts(&kotlin), ["o1.ingest.de.sentry.io"]);
        let ruby = facts_of(
            "config/initializers/sentry.rb",
            "Sentry.init do |config|\n  config.dsn = 'https://k@o2.ingest.us.sentry.io/3'\nend\nrequire 'sentry-ruby'\n",
        );
        assert_eq!(hosts(&ruby), ["o2.ingest.us.sentry.io"]);
    }

    #[test]
    fn a_longer_name_a_mention_or_an_import_is_no_call() {
        let facts = facts_of(
            "app.py",
            "import sentry_sdk\nfrom openai import OpenAI\nsentry_sdk.initialize(dsn='https://k@o1.ingest.sentry.io/1')\nclient: OpenAI\nx = MyOpenAI()\n",
        );
        assert!(
            facts.flows.is_empty() && facts.diagnostics.is_empty(),
            "{facts:?}"
        );
    }

    #[test]
    fn a_fallback_or_a_reassigned_default_is_decided_at_runtime() {
        let site = facts_of(
            "pages/_app.tsx",
            "import { datadogRum } from '@datadog/browser-rum';\ndatadogRum.init({\n  site: (process.env.DD_SITE || 'datadoghq.com') as Site,\n});\n",
        );
        assert!(site.flows.is_empty(), "{site:?}");
        assert_eq!(site.diagnostics.len(), 1);
        let region = facts_of(
            "queue.py",
            "import boto3\ndef client(host):\n    region = \"us-east-1\"\n    if host:\n        region = host.split('.')[1]\n    return boto3.client(\"sqs\", region_name=region)\n",
        );
        assert!(
            region.flows.is_empty() && region.nodes.is_empty(),
            "{region:?}"
        );
        let constant = facts_of(
            "queue.py",
            "import boto3\nREGION = \"ap-south-1\"\nq = boto3.client(\"sqs\", region_name=REGION)\n",
        );
        assert_eq!(hosts(&constant), ["aws-sqs-ap-south-1"]);
    }

    #[test]
    fn many_calls_are_bounded() {
        let mut text = String::from("import boto3\n");
        for _ in 0..5000 {
            text.push_str("boto3.client(\"s3\", region_name=\"ap-south-1\")\n");
        }
        text.push_str("boto3.client(\"s3\", region_name=(((((((((((((\n");
        let facts = facts_of("many.py", &text);
        assert!(facts.flows.len() <= MAX_CALLS * 2, "{}", facts.flows.len());
    }

    #[test]
    fn region_constants() {
        assert_eq!(region_id("AP_SOUTH_1").as_deref(), Some("ap-south-1"));
        assert_eq!(region_id("APSouth1").as_deref(), Some("ap-south-1"));
        assert_eq!(region_id("EUWest1").as_deref(), Some("eu-west-1"));
        assert_eq!(region_id("USEast1").as_deref(), Some("us-east-1"));
        assert_eq!(region_id("SAEast1").as_deref(), Some("sa-east-1"));
        assert_eq!(region_id("EUCentral1").as_deref(), Some("eu-central-1"));
        assert_eq!(region_id("sa-east-1").as_deref(), Some("sa-east-1"));
        assert_eq!(region_id("not a region"), None);
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(
            host_of("https://abc@o1.ingest.de.sentry.io/42").as_deref(),
            Some("o1.ingest.de.sentry.io")
        );
        assert_eq!(
            host_of("api-eu.mixpanel.com").as_deref(),
            Some("api-eu.mixpanel.com")
        );
        assert_eq!(host_of("http://localhost:8080"), None);
        assert_eq!(host_of("http://10.0.0.1"), None);
    }
}
