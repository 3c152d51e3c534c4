//! Rust annotations read with syn: `#[derive(PersonalData)]` with `#[pii(...)]` fields,
//! `#[personal_data(...)]`, `#[borderline::flow(...)]` and `#[borderline::store(...)]`, recognised by
//! the last path segment; plus inference from unannotated structs and URL literals.
//!
//! The scanned code is never compiled or run. A literal prefilter keeps files without a marker
//! away from syn; spans are read on the thread that parsed (proc-macro2 keeps them per thread)
//! and then dropped. Doc-comment tags (`/// borderline: ...`) belong to the comment-tag extractor.

use super::annotation::{self, Annotation, AnnotationKind, Entry, Text, Value};
use super::owners::{self, Packages};
use super::rust_infer::DATA_DERIVES;
use super::{ExtractContext, Extractor, PerFile};
use crate::facts::{ClassRange, DataRef, ExtractionDiagnostic, Facts, Origin, Severity};
use crate::rule::Rule;
use crate::source::{SourceFile, Span};
use camino::Utf8Path;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;

/// Literals that any annotation must contain; files without one of these or of [`DATA_DERIVES`]
/// are not parsed. (`derive` alone would let nearly every Rust file through.)
const MARKERS: [&str; 4] = ["borderline", "pii", "personal_data", "PersonalData"];

/// Nesting up to this depth parses on the extraction thread's own stack.
const SHALLOW_NESTING: usize = 64;
/// Deeper nesting parses on a thread with a stack sized for it; beyond this the file is refused.
const MAX_NESTING: usize = 4096;
/// The stack of a parser thread before what each level of nesting adds: a pre-check that
/// underestimates still finds room here rather than overflowing.
const PARSER_STACK: usize = 64 << 20;
/// Stack for one level of nesting, generous for syn's frames in unoptimised builds.
const STACK_PER_LEVEL: usize = 64 << 10;

#[derive(Debug)]
pub struct RustAnnotations;

impl Extractor for RustAnnotations {
    fn name(&self) -> &'static str {
        "rust"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        path.extension() == Some("rs") || owners::is_package_manifest(path)
    }

    fn per_file(&self) -> Option<&dyn PerFile> {
        Some(self)
    }
}

impl PerFile for RustAnnotations {
    fn extract_file(
        &self,
        file: &SourceFile,
        packages: &Packages,
        ctx: &ExtractContext<'_>,
    ) -> Facts {
        if file.path.extension() == Some("rs") {
            extract_file(file, packages, ctx)
        } else {
            manifest_facts(file)
        }
    }

    fn finish(&self, facts: &mut Facts, classes: &super::Classes) {
        super::code::dedup_hosts(facts, classes);
        super::comment_tags::dedup_nodes(facts);
    }
}

/// A package manifest that does not parse is an input error (once: this extractor reports them
/// for every language, since it claims every package manifest).
fn manifest_facts(file: &SourceFile) -> Facts {
    let mut facts = Facts::default();
    let Some(name) = file.path.file_name() else {
        return facts;
    };
    if let Some((offset, reason)) = owners::manifest_error(name, &file.text) {
        let at = file.line_column(u32::try_from(offset).unwrap_or(u32::MAX));
        let end = file
            .text
            .get(offset..)
            .and_then(|rest| rest.chars().next())
            .map_or(offset, |c| offset + c.len_utf8());
        // A project template (cookiecutter, copier: `{{ cookiecutter.name }}`, `{% if %}`) is not
        // a malformed manifest: it is rendered before it is one. Said in a note, not a warning.
        if owners::looks_like_template(&file.text) {
            facts.diagnostics.push(crate::facts::ExtractionDiagnostic {
                rule: Rule::InputError,
                severity: crate::facts::Severity::Note,
                message: format!(
                    "{name} is a template (it holds `{{{{` or `{{%` directives), not read as a package manifest; the files below it do not belong to its package"
                ),
                span: Some(file.span(offset..end)),
                path: None,
            });
            return facts;
        }
        facts.input_error(
            Some(file.span(offset..end)),
            None,
            format!(
                "{name} is malformed at line {}, column {}: {reason}; the files below it do not belong to its package",
                at.line, at.column
            ),
        );
    }
    facts
}

fn extract_file(file: &SourceFile, packages: &Packages, ctx: &ExtractContext<'_>) -> Facts {
    let mut facts = Facts::default();
    let owner = packages.owner_of(&file.path, ctx);
    let text = file.text.as_bytes();
    let mut declared = false;
    let mut inferred = false;
    let marked = MARKERS
        .iter()
        .chain(DATA_DERIVES.iter())
        .any(|marker| memchr::memmem::find(text, marker.as_bytes()).is_some());
    if marked {
        match parse(file) {
            Ok(found) => {
                declared = !found.annotations.is_empty();
                for annotation in &found.annotations {
                    annotation::lower(
                        annotation,
                        owner.as_ref(),
                        Origin::RustAttribute,
                        &mut facts,
                        ctx.rules,
                    );
                }
                for (span, message) in found.errors {
                    facts.input_error(Some(span), None, message);
                }
                // The parse keeps every field of a stored or sent struct; the rule data's
                // `[[field]]` names say which of them mean personal data.
                let fields: Vec<(InferredField, &str)> = found
                    .inferred
                    .into_iter()
                    .filter_map(|f| ctx.rules.category_for_field(&f.name).map(|c| (f, c)))
                    .collect();
                if let Some(owner) = &owner
                    && !fields.is_empty()
                {
                    inferred = true;
                    let mut data = Vec::new();
                    for (field, category) in fields {
                        facts.diagnostics.push(ExtractionDiagnostic {
                            rule: Rule::InferredPersonalData,
                            severity: Severity::Note,
                            message: format!(
                                "`{}` looks like {}; annotate it with #[pii(\"{}\")] to confirm",
                                field.name, category, category
                            ),
                            span: Some(field.span),
                            path: None,
                        });
                        data.push(DataRef {
                            key: category.to_string(),
                            span: Some(field.span),
                        });
                    }
                    facts
                        .nodes
                        .push(annotation::owner_data(owner, data, Origin::Inference, true));
                }
            }
            Err((span, message)) => facts.input_error(Some(span), None, message),
        }
    }
    // URLs passed to HTTP clients are flows, by the same call rule as every other language
    // (`extract::code`); they are guessed only inside code that belongs to a node.
    if let Some(owner) = &owner {
        let (flows, notes) = super::code::flows(file, super::code::Lang::Rust, owner, ctx.rules);
        facts.diagnostics.extend(notes);
        // A call inside a `#[cfg(test)]` module is a test's: its part of the file is classed so.
        if !flows.is_empty() {
            for range in super::environment::rust_test_modules(&file.text, file.pieces()) {
                facts.classes.push(ClassRange {
                    at: file.span(range.start..range.start),
                    end: u32::try_from(range.end).unwrap_or(u32::MAX),
                    environment: crate::facts::Environment::Test,
                });
            }
        }
        inferred |= !flows.is_empty();
        facts.flows.extend(flows);
    }
    if let Some(owner) = owner.as_ref().filter(|o| o.from_package)
        && (declared || inferred)
    {
        let origin = if declared {
            Origin::RustAttribute
        } else {
            Origin::Inference
        };
        facts
            .nodes
            .push(annotation::package_node(owner, origin, !declared));
    }
    if declared {
        annotation::check_written_locations(&mut facts, ctx.rules);
    }
    facts
}

/// A named field of a struct that is serialized or stored and carries no annotation: personal
/// data if the rule data's `[[field]]` names say so.
#[derive(Debug)]
struct InferredField {
    name: String,
    span: Span,
}

/// What one parse found.
#[derive(Debug, Default)]
struct Found {
    annotations: Vec<Annotation>,
    errors: Vec<(Span, String)>,
    inferred: Vec<InferredField>,
}

/// Parses a file with syn and collects its annotations, with spans already resolved to byte
/// offsets. Deep nesting is parsed on a thread with a stack large enough for it.
fn parse(file: &SourceFile) -> Result<Found, (Span, String)> {
    let text: &str = &file.text;
    // Comments and string literals are blanked (same length), so that `#[`, brackets and `;` found
    // in what is left are code: an annotation quoted in a string or a comment is never read.
    let mut code = text.as_bytes().to_vec();
    for piece in file.pieces() {
        if let Some(bytes) = code.get_mut(piece.range.clone()) {
            bytes.fill(b' ');
        }
    }
    // Function bodies are not parsed (that is where syn spends its time), but a file whose
    // delimiters do not balance is broken or truncated: say so rather than read half of it.
    let depth = match delimiters(&code) {
        Ok(depth) => depth,
        Err((at, message)) => {
            let line = file.line_column(u32::try_from(at).unwrap_or(u32::MAX)).line;
            return Err((
                file.span(at..at + 1),
                format!(
                    "Rust syntax error at line {line}: {message}; annotations in this file were not read"
                ),
            ));
        }
    };
    if depth > MAX_NESTING {
        return Err((
            file.span(0..0),
            format!(
                "not read: brackets nest {depth} deep, more than the {MAX_NESTING} borderline parses"
            ),
        ));
    }
    // syn recurses not only into brackets but into every prefix and generic (`&&&u8`, `----1`,
    // `Vec<Vec<..>>`, `*const *const u8`): the regions it will see are measured token by token.
    let attributes = find_attributes(&code);
    let structs = struct_regions(text, &code, &attributes);
    let macros = Macros::find(&code);
    let regions = attributes
        .iter()
        .filter_map(|a| Some((a.start, a.end?)))
        .filter(|(start, end)| AnnotationKind::parse(attribute_name(&text[*start..*end])).is_some())
        .chain(structs.iter().copied());
    let mut deepest = (0, 0);
    for (start, end) in regions {
        let bound = nesting_bound(&code[start..end]);
        if bound > deepest.0 {
            deepest = (bound, start);
        }
    }
    let (bound, at) = deepest;
    if bound > MAX_NESTING {
        let line = file.line_column(u32::try_from(at).unwrap_or(u32::MAX)).line;
        return Err((
            file.span(at..at + 1),
            format!(
                "not read: the item at line {line} nests about {bound} levels deep (types, operators or brackets), more than the {MAX_NESTING} borderline parses"
            ),
        ));
    }
    if bound <= SHALLOW_NESTING {
        return parse_here(file, &attributes, &structs, &macros);
    }
    // Deeper items parse on a thread whose stack is sized for them: extraction runs on rayon
    // threads, whose stacks are small, and a stack overflow would end the whole scan.
    let stack = PARSER_STACK + bound * STACK_PER_LEVEL;
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("borderline-syn".into())
            .stack_size(stack)
            .spawn_scoped(scope, || parse_here(file, &attributes, &structs, &macros))
            .map_err(|error| {
                (
                    file.span(0..0),
                    format!("not read: cannot start a parser thread: {error}"),
                )
            })?
            .join()
            .unwrap_or_else(|_| Err((file.span(0..0), "not read: the Rust parser failed".into())))
    })
}

/// A conservative bound on how deep syn recurses to parse `code` (one attribute or struct, with
/// comments and strings blanked). Brackets and `<` open a level; inside a level every token since
/// the last `,` or `;` may be a prefix that syn recurses on (`&`, `*const`, `-`, `!`, `return`,
/// `=`), so each one counts as a level too. The bound is the deepest sum over the open levels.
fn nesting_bound(code: &[u8]) -> usize {
    // Each open level: its opening byte and the tokens of its current segment.
    let mut levels: Vec<(u8, usize)> = vec![(0, 0)];
    let mut sum = 1usize;
    let mut deepest = 1usize;
    let mut previous = 0u8;
    let mut index = 0;
    while index < code.len() {
        let byte = code[index];
        index += 1;
        match byte {
            b'(' | b'[' | b'{' | b'<' => {
                levels.push((byte, 0));
                sum += 1;
            }
            b')' | b']' | b'}' => {
                // Unclosed `<` (comparisons) end with the bracket around them.
                while let Some((kind, segment)) = levels.pop() {
                    sum = sum.saturating_sub(1 + segment);
                    if kind != b'<' {
                        break;
                    }
                }
                if levels.is_empty() {
                    levels.push((0, 0));
                    sum = 1;
                }
            }
            b'>' if previous != b'-'
                && previous != b'='
                && levels.last().is_some_and(|(kind, _)| *kind == b'<') =>
            {
                if let Some((_, segment)) = levels.pop() {
                    sum = sum.saturating_sub(1 + segment);
                }
            }
            b',' | b';' => {
                if let Some((_, segment)) = levels.last_mut() {
                    sum = sum.saturating_sub(*segment);
                    *segment = 0;
                }
            }
            _ if byte.is_ascii_whitespace() => {}
            _ => {
                // A word (identifier, keyword, number) is one token; any other byte is one.
                if byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80 {
                    while code
                        .get(index)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80)
                    {
                        index += 1;
                    }
                }
                if let Some((_, segment)) = levels.last_mut() {
                    *segment += 1;
                    sum += 1;
                }
            }
        }
        if !byte.is_ascii_whitespace() {
            previous = byte;
        }
        deepest = deepest.max(sum);
    }
    deepest
}

/// Parses on the current thread and forgets proc-macro2's span table afterwards, so memory does
/// not grow with the repository.
fn parse_here(
    file: &SourceFile,
    attributes: &[FoundAttribute],
    structs: &[(usize, usize)],
    macros: &Macros,
) -> Result<Found, (Span, String)> {
    let result = parse_inner(file, attributes, structs, macros);
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// syn over the annotation attributes and data structs of a file whose delimiters balance:
/// `attributes` are every attribute found in its code, `structs` the data structs' ranges from
/// [`struct_regions`], `macros` where macro definitions and invocations are.
///
/// Code inside a macro is not necessarily Rust items: a `macro_rules!` body is a template
/// (`$name: $ty`, `$($(...)+)+`) that rustc reads only when the macro is used, and an invocation's
/// input is whatever syntax that macro defines (`bitflags! { struct F: u32 { .. } }`). So a
/// template holding a `$` is not read at all, and a struct inside an invocation that syn does not
/// parse is passed over in silence: neither is a syntax error.
fn parse_inner(
    file: &SourceFile,
    attributes: &[FoundAttribute],
    structs: &[(usize, usize)],
    macros: &Macros,
) -> Result<Found, (Span, String)> {
    let text: &str = &file.text;
    let mut collector = Collector {
        file,
        base: 0,
        found: Found::default(),
    };
    for attribute in attributes {
        let Some(end) = attribute.end else {
            return Err((
                file.span(attribute.start..attribute.start + 1),
                format!(
                    "Rust syntax error at line {}: an attribute is never closed; annotations in this file were not read",
                    file.line_column(u32::try_from(attribute.start).unwrap_or(u32::MAX))
                        .line
                ),
            ));
        };
        let name = attribute_name(&text[attribute.start..end]);
        if AnnotationKind::parse(name).is_none() {
            continue;
        }
        let source = &text[attribute.start..end];
        if macros.in_definition(attribute.start) && source.contains('$') {
            continue;
        }
        collector.base = attribute.start;
        let parser = if attribute.inner {
            syn::Attribute::parse_inner
        } else {
            syn::Attribute::parse_outer
        };
        match syn::parse::Parser::parse_str(parser, source) {
            Ok(parsed) => {
                for parsed in &parsed {
                    collector.attribute(parsed);
                }
            }
            Err(error) => {
                let span = collector.span(error.span());
                collector
                    .found
                    .errors
                    .push((span, format!("malformed `{name}` attribute: {error}")));
            }
        }
    }
    // Structs with a data derive are parsed whole (attributes, header and fields, never function
    // bodies) for inference from field names.
    // A struct syn rejects is one item not read: the file's other annotations still are.
    for &(run_start, item_end) in structs {
        let source = &text[run_start..item_end];
        if macros.in_definition(run_start) && source.contains('$') {
            continue;
        }
        collector.base = run_start;
        match syn::parse_str::<syn::ItemStruct>(source) {
            Ok(item) => collector.infer_struct(&item),
            Err(_) if macros.in_invocation(run_start) => {}
            Err(error) => {
                let span = collector.span(error.span());
                let line = file.line_column(span.start).line;
                collector.found.errors.push((
                    span,
                    format!("Rust syntax error at line {line}: {error}; this struct was not read"),
                ));
            }
        }
    }
    Ok(collector.found)
}

/// Where a file's macros are, in code with comments and strings blanked: the outermost
/// `macro_rules!` bodies, and the outermost invocations (`name!(..)`, `name![..]`, `name! {..}`,
/// which include the `macro_rules!` items). Each list is sorted and its ranges are disjoint.
#[derive(Debug, Default)]
struct Macros {
    definitions: Vec<(usize, usize)>,
    invocations: Vec<(usize, usize)>,
}

/// Words that may stand before a unary `!` (`if !(a)`, `return !(b)`): not macro names.
const BEFORE_NOT: [&[u8]; 8] = [
    b"if", b"while", b"match", b"return", b"break", b"in", b"yield", b"else",
];

impl Macros {
    fn find(code: &[u8]) -> Macros {
        let mut macros = Macros::default();
        let mut at = 0;
        // Each search resumes after the region it found: both passes are linear in the file.
        while let Some(offset) = memchr::memchr(b'!', &code[at..]) {
            let bang = at + offset;
            at = bang + 1;
            let Some((start, open, definition)) = macro_at(code, bang) else {
                continue;
            };
            let Some(close) = matching_close(code, open) else {
                break;
            };
            macros.invocations.push((start, close + 1));
            if definition {
                macros.definitions.push((start, close + 1));
            }
            at = close + 1;
        }
        // `macro_rules!` inside an invocation (`cfg_if! { .. macro_rules! m { .. } }`).
        let finder = memchr::memmem::Finder::new(b"macro_rules");
        let mut nested = Vec::new();
        let mut at = 0;
        while let Some(offset) = finder.find(&code[at..]) {
            let word = at + offset;
            at = word + 1;
            if macros.in_definition(word) {
                continue;
            }
            let bang = skip_space(code, word + b"macro_rules".len());
            if code.get(bang) != Some(&b'!') {
                continue;
            }
            let Some((start, open, true)) = macro_at(code, bang) else {
                continue;
            };
            let Some(close) = matching_close(code, open) else {
                break;
            };
            nested.push((start, close + 1));
            at = close + 1;
        }
        macros.definitions.extend(nested);
        macros.definitions.sort_unstable();
        macros
    }

    fn in_definition(&self, offset: usize) -> bool {
        within(&self.definitions, offset)
    }

    fn in_invocation(&self, offset: usize) -> bool {
        within(&self.invocations, offset)
    }
}

/// True when `offset` lies in one of `ranges` (sorted, disjoint).
fn within(ranges: &[(usize, usize)], offset: usize) -> bool {
    let after = ranges.partition_point(|(start, _)| *start <= offset);
    after > 0 && ranges[after - 1].1 > offset
}

/// The macro whose `!` is at `bang`: where its name starts, where its delimited input opens, and
/// whether it is `macro_rules! name { .. }`. `None` for `!=`, a unary `!` or `impl !Send`.
fn macro_at(code: &[u8], bang: usize) -> Option<(usize, usize, bool)> {
    let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80;
    let mut end = bang;
    while end > 0 && code[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_word(&code[start - 1]) {
        start -= 1;
    }
    let word = &code[start..end];
    if word.is_empty() || word[0].is_ascii_digit() || BEFORE_NOT.contains(&word) {
        return None;
    }
    let mut open = skip_space(code, bang + 1);
    let definition = word == b"macro_rules";
    if definition {
        let name_end = open + code[open..].iter().take_while(|b| is_word(b)).count();
        if name_end == open {
            return None;
        }
        open = skip_space(code, name_end);
    }
    matches!(code.get(open), Some(b'(' | b'[' | b'{')).then_some((start, open, definition))
}

fn skip_space(code: &[u8], mut at: usize) -> usize {
    while code.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The structs with a data derive that inference parses whole: from the first of their
/// attributes to the end of the item.
fn struct_regions(text: &str, code: &[u8], attributes: &[FoundAttribute]) -> Vec<(usize, usize)> {
    derive_runs(text, code, attributes)
        .into_iter()
        .filter_map(|(run_start, run_end)| Some((run_start, struct_end(code, run_end)?)))
        .collect()
}

/// An attribute found in code: `#[...]` or `#![...]`, from `#` to after `]` (`None` when unclosed).
struct FoundAttribute {
    start: usize,
    end: Option<usize>,
    inner: bool,
}

/// Every attribute in `code` (text with comments and strings blanked), in order.
fn find_attributes(code: &[u8]) -> Vec<FoundAttribute> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'#', &code[at..]) {
        let start = at + offset;
        let mut next = start + 1;
        let inner = code.get(next) == Some(&b'!');
        if inner {
            next += 1;
        }
        while code.get(next).is_some_and(u8::is_ascii_whitespace) {
            next += 1;
        }
        if code.get(next) != Some(&b'[') {
            at = start + 1;
            continue;
        }
        let end = matching_close(code, next).map(|close| close + 1);
        found.push(FoundAttribute { start, end, inner });
        match end {
            Some(end) => at = end,
            None => break,
        }
    }
    found
}

/// How deep the delimiters of `code` (comments and strings blanked) nest, or the first one that
/// does not balance: a closing one of the wrong kind or with nothing open, or the innermost one
/// never closed.
fn delimiters(code: &[u8]) -> Result<usize, (usize, String)> {
    let mut open: Vec<(usize, u8)> = Vec::new();
    let mut deepest = 0;
    for (index, &byte) in code.iter().enumerate() {
        let expected_open = match byte {
            b'(' | b'[' | b'{' => {
                open.push((index, byte));
                deepest = deepest.max(open.len());
                continue;
            }
            b')' => b'(',
            b']' => b'[',
            b'}' => b'{',
            _ => continue,
        };
        match open.pop() {
            Some((_, kind)) if kind == expected_open => {}
            Some((_, kind)) => {
                return Err((
                    index,
                    format!(
                        "`{}` does not match the `{}` opened before it",
                        byte as char, kind as char
                    ),
                ));
            }
            None => return Err((index, format!("`{}` closes nothing", byte as char))),
        }
    }
    match open.pop() {
        Some((at, kind)) => Err((at, format!("`{}` is never closed", kind as char))),
        None => Ok(deepest),
    }
}

/// The index of the bracket that closes the one at `open`, counting `()`, `[]` and `{}` alike.
fn matching_close(code: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, byte) in code.iter().enumerate().skip(open) {
        match byte {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => {}
        }
    }
    None
}

/// The last path segment of an attribute's text: `#[borderline::flow(...)]` -> `flow`.
fn attribute_name(attribute: &str) -> &str {
    let body = attribute
        .trim_start_matches('#')
        .trim_start_matches('!')
        .trim_start()
        .trim_start_matches('[');
    let path_end = body
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c.is_whitespace()))
        .unwrap_or(body.len());
    let path = &body[..path_end];
    let last = path.rsplit("::").next().unwrap_or(path).trim();
    last.strip_prefix("r#").unwrap_or(last)
}

/// Runs of consecutive outer attributes that include a `derive` naming a data derive: `(start of
/// the first, end of the last)`. Only these can precede a struct that inference reads.
fn derive_runs(text: &str, code: &[u8], attributes: &[FoundAttribute]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut current: Option<(usize, usize, bool)> = None;
    for attribute in attributes {
        let Some(end) = attribute.end.filter(|_| !attribute.inner) else {
            continue;
        };
        let source = &text[attribute.start..end];
        let data = attribute_name(source) == "derive"
            && DATA_DERIVES
                .iter()
                .any(|derive| memchr::memmem::find(source.as_bytes(), derive.as_bytes()).is_some());
        current = match current {
            Some((run_start, run_end, run_data)) if only_gap(&code[run_end..attribute.start]) => {
                Some((run_start, end, run_data || data))
            }
            previous => {
                if let Some((run_start, run_end, true)) = previous {
                    runs.push((run_start, run_end));
                }
                Some((attribute.start, end, data))
            }
        };
    }
    if let Some((run_start, run_end, true)) = current {
        runs.push((run_start, run_end));
    }
    runs
}

/// True when only whitespace and what is left of blanked comments lies between two attributes.
fn only_gap(code: &[u8]) -> bool {
    code.iter()
        .all(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'*' | b'!'))
}

/// The end of a struct item that starts after its attributes at `from`; `None` for other items.
fn struct_end(code: &[u8], from: usize) -> Option<usize> {
    let mut at = skip_gap(code, from);
    if code[at..].starts_with(b"pub") {
        at = skip_gap(code, at + 3);
        if code.get(at) == Some(&b'(') {
            at = skip_gap(code, matching_close(code, at)? + 1);
        }
    }
    if !code[at..].starts_with(b"struct") || !code.get(at + 6).is_some_and(u8::is_ascii_whitespace)
    {
        return None;
    }
    // `struct A;`, `struct A(..);` and `struct A<..> where .. { .. }`: the first `;` or `{ .. }`
    // outside brackets ends it.
    let mut depth = 0usize;
    for index in at + 6..code.len() {
        match code[index] {
            b'{' if depth == 0 => return matching_close(code, index).map(|close| close + 1),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b';' if depth == 0 => return Some(index + 1),
            _ => {}
        }
    }
    None
}

fn skip_gap(code: &[u8], mut at: usize) -> usize {
    while code
        .get(at)
        .is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'*' | b'!'))
    {
        at += 1;
    }
    at.min(code.len())
}

struct Collector<'a> {
    file: &'a SourceFile,
    /// Where the text syn parsed starts in the file: spans are relative to it.
    base: usize,
    found: Found,
}

/// One argument of an annotation attribute: `"category"` or `key = value`.
enum Argument {
    Positional(syn::LitStr),
    Pair(syn::Ident, Box<syn::Expr>),
}

impl Parse for Argument {
    fn parse(input: ParseStream<'_>) -> syn::Result<Argument> {
        if input.peek(syn::LitStr) {
            return Ok(Argument::Positional(input.parse()?));
        }
        let key = input.call(syn::Ident::parse_any)?;
        input.parse::<syn::Token![=]>()?;
        Ok(Argument::Pair(key, Box::new(input.parse()?)))
    }
}

impl Collector<'_> {
    fn span(&self, span: proc_macro2::Span) -> Span {
        let range = span.byte_range();
        self.file
            .span(self.base + range.start..self.base + range.end)
    }

    fn text(&self, literal: &syn::LitStr) -> Text {
        Text {
            value: literal.value(),
            span: self.span(literal.span()),
        }
    }

    /// The annotation an attribute is, if its last path segment names one.
    fn attribute(&mut self, attribute: &syn::Attribute) {
        let Some(last) = attribute.path().segments.last() else {
            return;
        };
        let name = last.ident.to_string();
        let Some(kind) = AnnotationKind::parse(&name).filter(|k| *k != AnnotationKind::Service)
        else {
            return;
        };
        let span = self.span(attribute.span());
        let mut annotation = Annotation {
            kind,
            span,
            entries: Vec::new(),
            positional: Vec::new(),
        };
        let arguments = match &attribute.meta {
            syn::Meta::Path(_) => Vec::new(),
            syn::Meta::NameValue(pair) => match &pair.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(literal),
                    ..
                }) => vec![Argument::Positional(literal.clone())],
                other => {
                    self.found.errors.push((
                        self.span(other.span()),
                        format!(
                            "`#[{name} = ...]` takes a string; write `#[{name}(...)]` with {}",
                            allowed(kind)
                        ),
                    ));
                    return;
                }
            },
            syn::Meta::List(list) => match list
                .parse_args_with(Punctuated::<Argument, syn::Token![,]>::parse_terminated)
            {
                Ok(arguments) => arguments.into_iter().collect(),
                Err(error) => {
                    self.found.errors.push((
                        self.span(error.span()),
                        format!("malformed `{name}` attribute: {error}; expected `key = \"value\"` pairs with keys {}", allowed(kind)),
                    ));
                    return;
                }
            },
        };
        for argument in arguments {
            match argument {
                Argument::Positional(literal) => annotation.positional.push(self.text(&literal)),
                Argument::Pair(key, value) => {
                    let key_text = key.unraw().to_string();
                    let value_span = self.span(value.span());
                    annotation.entries.push(Entry {
                        key: Text {
                            value: key_text,
                            span: self.span(key.span()),
                        },
                        value: self.value(&value),
                        value_span,
                    });
                }
            }
        }
        self.found.annotations.push(annotation);
    }

    fn value(&self, expression: &syn::Expr) -> Value {
        match expression {
            syn::Expr::Lit(literal) => match &literal.lit {
                syn::Lit::Str(text) => Value::One(self.text(text)),
                syn::Lit::Int(number) => Value::One(Text {
                    value: number.base10_digits().to_string(),
                    span: self.span(number.span()),
                }),
                syn::Lit::Bool(flag) => Value::One(Text {
                    value: flag.value.to_string(),
                    span: self.span(flag.span),
                }),
                _ => Value::Invalid("a literal of another type".into()),
            },
            // `to = payments_psp`: a bare identifier, as comment tags allow bare words.
            syn::Expr::Path(path) if path.qself.is_none() && path.path.segments.len() == 1 => {
                let ident = &path.path.segments[0].ident;
                Value::One(Text {
                    value: ident.to_string(),
                    span: self.span(ident.span()),
                })
            }
            syn::Expr::Array(array) => {
                let mut items = Vec::new();
                for element in &array.elems {
                    match self.value(element) {
                        Value::One(text) => items.push(text),
                        _ => {
                            return Value::Invalid(
                                "a list with an item that is not a string".into(),
                            );
                        }
                    }
                }
                Value::List(items)
            }
            _ => Value::Invalid("an expression".into()),
        }
    }

    /// The named fields of structs that are serialized or stored and carry no annotation of
    /// their own: the candidates `extract_file` looks up in the rule data.
    fn infer_struct(&mut self, item: &syn::ItemStruct) {
        let mut derives = Vec::new();
        for attribute in item.attrs.iter().filter(|a| a.path().is_ident("derive")) {
            if let Ok(paths) =
                attribute.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            {
                derives.extend(
                    paths
                        .iter()
                        .filter_map(|p| p.segments.last())
                        .map(|s| s.ident.to_string()),
                );
            }
        }
        let annotated = derives.iter().any(|d| d == "PersonalData")
            || item
                .fields
                .iter()
                .flat_map(|f| f.attrs.iter())
                .chain(item.attrs.iter())
                .any(|a| {
                    a.path()
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "pii" || s.ident == "personal_data")
                });
        if annotated || !derives.iter().any(|d| DATA_DERIVES.contains(&d.as_str())) {
            return;
        }
        for field in &item.fields {
            let Some(ident) = &field.ident else { continue };
            let name = ident.unraw().to_string();
            self.found.inferred.push(InferredField {
                name,
                span: self.span(ident.span()),
            });
        }
    }
}

fn allowed(kind: AnnotationKind) -> String {
    kind.allowed_keys()
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Owners;
    use crate::extract::owners::testing::{files, line};
    use crate::facts::{FlowTarget, Location, NodeKind};

    fn run(sources: &[SourceFile]) -> Facts {
        let rules = crate::extract::owners::testing::rules();
        let owners = Owners::default();
        let ctx = ExtractContext {
            rules: &rules,
            owners: &owners,
            terraform: &[],
        };
        let claimed: Vec<&SourceFile> = sources
            .iter()
            .filter(|f| RustAnnotations.claims(&f.path))
            .collect();
        RustAnnotations.extract(&claimed, &ctx)
    }

    /// A broken manifest warns; a project template (cookiecutter) is only noted, since it is
    /// rendered before it is a manifest.
    #[test]
    fn a_templated_manifest_is_a_note_and_a_broken_one_a_warning() {
        let severities = |name: &str, text: &str| -> Vec<crate::facts::Severity> {
            let sources = files(&[(name, text)]);
            run(&sources)
                .diagnostics
                .iter()
                .map(|d| d.severity)
                .collect()
        };
        use crate::facts::Severity;
        assert_eq!(
            severities(
                "pkg/pyproject.toml",
                "[project]\nname = \"x\"\n{%- if a %}\n"
            ),
            vec![Severity::Note]
        );
        assert_eq!(
            severities(
                "pkg/package.json",
                "{\"name\": \"{{ cookiecutter.slug }}\",,}"
            ),
            vec![Severity::Note]
        );
        assert_eq!(
            severities("pkg/pyproject.toml", "[project]\nname = \"x\n"),
            vec![Severity::Warning]
        );
    }

    const CHECKOUT: &str = r##"use borderline::{flow, PersonalData};

#[derive(PersonalData, Debug)]
pub struct Customer {
    #[pii("user.contact.email")]
    pub email: String,
    #[pii(category = "user.financial.credit_card")]
    pub card: String,
    pub id: u64,
}

#[borderline::flow(to = "payments-psp", data = ["user.financial.credit_card", "user.contact.email"], purpose = "payment")]
pub async fn charge(c: &Customer) {
    let _ = "#[borderline::flow(to = \"nowhere\")]";
}

#[bl::store(id = "orders-db", location = "aws:eu-central-1", data = ["user.contact"])]
pub struct OrdersRepo;

impl OrdersRepo {
    #[flow(to = "analytics", from = "checkout-web", mechanism = "scc", module = 2)]
    fn track(&self) {}
}
"##;

    #[test]
    fn every_attribute_form() {
        let sources = files(&[
            (
                "services/checkout/Cargo.toml",
                "[package]\nname = \"checkout\"\nversion = \"0.1.0\"\n",
            ),
            ("services/checkout/src/lib.rs", CHECKOUT),
        ]);
        let facts = run(&sources);
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let flows: Vec<(Option<&str>, String, u32, usize)> = facts
            .flows
            .iter()
            .map(|f| {
                let to = match &f.to {
                    FlowTarget::Node(n) => n.id.clone(),
                    FlowTarget::Host { host, .. } => host.clone(),
                };
                (
                    f.from.as_ref().map(|n| n.id.as_str()),
                    to,
                    line(&sources, f.span),
                    f.data.len(),
                )
            })
            .collect();
        assert_eq!(
            flows,
            [
                (Some("checkout"), "payments-psp".to_string(), 12, 2),
                (Some("checkout-web"), "analytics".to_string(), 21, 0)
            ]
        );
        assert_eq!(
            facts.flows[1].safeguard.as_ref().and_then(|s| s.module),
            Some(2)
        );
        let to_span = match &facts.flows[0].to {
            FlowTarget::Node(n) => n.span,
            FlowTarget::Host { span, .. } => *span,
        };
        let to_text = to_span.map(|s| &sources[1].text[s.start as usize..s.end as usize]);
        assert_eq!(to_text, Some("\"payments-psp\""));

        let store = facts.nodes.iter().find(|n| n.id == "orders-db");
        let store = store.map(|n| {
            (
                n.kind,
                n.location.as_ref().map(|l| l.location.clone()),
                line(&sources, n.span),
            )
        });
        assert_eq!(
            store,
            Some((
                Some(NodeKind::Store),
                Some(Location::Region {
                    provider: "aws".into(),
                    region: "eu-central-1".into()
                }),
                17
            ))
        );
        let held: Vec<(&str, u32)> = facts
            .nodes
            .iter()
            .filter(|n| n.id == "checkout")
            .flat_map(|n| n.data.iter())
            .map(|d| (d.key.as_str(), line(&sources, d.span)))
            .collect();
        assert_eq!(
            held,
            [("user.contact.email", 5), ("user.financial.credit_card", 7)]
        );
        let service = facts
            .nodes
            .iter()
            .find(|n| n.id == "checkout" && n.data.is_empty());
        assert_eq!(
            service.map(|n| (n.kind, line(&sources, n.span))),
            Some((Some(NodeKind::Service), 2))
        );
    }

    #[test]
    fn unparsable_rust_is_an_input_error_with_syn_line() {
        let sources = files(&[(
            "src/main.rs",
            "#[derive(Serialize)]\nstruct A {\n    email: String,\n    phone String,\n}\n",
        )]);
        let facts = run(&sources);
        assert_eq!(facts.diagnostics.len(), 1);
        let diagnostic = &facts.diagnostics[0];
        assert_eq!(diagnostic.rule, Rule::InputError);
        assert_eq!(line(&sources, diagnostic.span), 4);
        assert!(
            diagnostic.message.contains("line 4"),
            "{}",
            diagnostic.message
        );
    }

    #[test]
    fn function_bodies_are_not_parsed() {
        // Only attributes and data structs reach syn: a syntax error in a body does not hide the
        // file's annotations, and costs nothing to skip.
        let sources = files(&[(
            "src/main.rs",
            "#[borderline::flow(to = \"crm\", from = \"a\")]\nfn main() { let x = ; }\nmacro_rules! m { ($(#[$meta:meta])*) => {} }\n",
        )]);
        let facts = run(&sources);
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        assert_eq!(facts.flows.len(), 1);
    }

    /// A `macro_rules!` body is a template and an invocation's input is the macro's own syntax:
    /// neither is an input-error (vaultwarden's `make_config!` with `$($( $name: .. )+)+` in a
    /// `#[derive(Serialize)]` struct was one), while the file's annotations are still read.
    #[test]
    fn macro_templates_and_macro_inputs_are_not_syntax_errors() {
        let source = r##"use serde::Serialize;

macro_rules! make_config {
    ($($(#[doc = $doc:literal])+ $name:ident : $ty:ty;)+) => {
        #[derive(Clone, Default, Serialize)]
        pub struct ConfigBuilder {
            $($(
                #[serde(skip_serializing_if = "Option::is_none")]
                $name: Option<$ty>,
            )+)+
        }
        #[borderline::flow(to = $to, data = ["user.contact.email"])]
        fn send() {}
    };
}

cfg_if::cfg_if! {
    if #[cfg(unix)] {
        macro_rules! deriving {
            ($field:ty) => {
                #[derive(Deserialize)]
                pub struct MacroRules<'a> { field: $field }
            };
        }
        #[derive(Serialize)]
        pub struct Contact { pub email: String }
    }
}

bitflags::bitflags! {
    #[derive(Serialize)]
    pub struct Flags: u32 {
        const A = 1;
    }
}

#[borderline::flow(to = "crm", from = "a")]
fn main() {
    if !(1 > 2) {}
    let _ = 'a' != '\'' && !matches!(1, 2);
}
"##;
        let sources = files(&[
            ("Cargo.toml", "[package]\nname = \"app\"\n"),
            ("src/config.rs", source),
        ]);
        let facts = run(&sources);
        let diagnostics: Vec<(Rule, u32)> = facts
            .diagnostics
            .iter()
            .map(|d| (d.rule, line(&sources, d.span)))
            .collect();
        // The struct inside `cfg_if!` parses, so inference still reads it.
        assert_eq!(
            diagnostics,
            [(Rule::InferredPersonalData, 26)],
            "{:?}",
            facts.diagnostics
        );
        assert_eq!(facts.flows.len(), 1);
    }

    #[test]
    fn a_struct_syn_rejects_outside_macros_is_an_error_for_that_struct_only() {
        let sources = files(&[(
            "src/main.rs",
            "#[borderline::flow(to = \"crm\", from = \"a\")]\nfn main() {}\n#[derive(Serialize)]\nstruct A {\n    phone String,\n}\nmacro_rules! m { () => { #[derive(Serialize)] struct B { $x } } }\n",
        )]);
        let facts = run(&sources);
        let diagnostics: Vec<(Rule, u32)> = facts
            .diagnostics
            .iter()
            .map(|d| (d.rule, line(&sources, d.span)))
            .collect();
        assert_eq!(diagnostics, [(Rule::InputError, 5)]);
        assert!(
            facts.diagnostics[0]
                .message
                .contains("this struct was not read")
        );
        assert_eq!(
            facts.flows.len(),
            1,
            "the file's annotations are still read"
        );
    }

    #[test]
    fn macros_are_found_by_name_bang_and_delimiter() {
        let found = |text: &str| {
            let macros = Macros::find(text.as_bytes());
            let show = |ranges: &[(usize, usize)]| -> Vec<String> {
                ranges
                    .iter()
                    .map(|(s, e)| text[*s..*e].to_string())
                    .collect()
            };
            (show(&macros.invocations), show(&macros.definitions))
        };
        assert_eq!(
            found("if !(a) {} x != (y); impl !Send for X {} return !(b); while !(c) {}"),
            (vec![], vec![])
        );
        assert_eq!(
            found(
                "vec! [1]; a::b!(c!(d)); macro_rules! m { () => {} } cfg_if! { macro_rules! n [ ] }"
            ),
            (
                vec![
                    "vec! [1]".to_string(),
                    "b!(c!(d))".to_string(),
                    "macro_rules! m { () => {} }".to_string(),
                    "cfg_if! { macro_rules! n [ ] }".to_string()
                ],
                vec![
                    "macro_rules! m { () => {} }".to_string(),
                    "macro_rules! n [ ]".to_string()
                ]
            )
        );
    }

    #[test]
    fn malformed_attributes_list_allowed_keys() {
        let sources = files(&[(
            "src/lib.rs",
            "#[borderline::flow(too = \"x\")]\nfn a() {}\n#[borderline::flow(to = 1 + 2)]\nfn b() {}\n#[borderline::store(id \"x\")]\nstruct S;\n",
        )]);
        let facts = run(&sources);
        let messages: Vec<(u32, &str)> = facts
            .diagnostics
            .iter()
            .map(|d| (line(&sources, d.span), d.message.as_str()))
            .collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages.iter().any(|(l, m)| *l == 1
            && m.starts_with("unknown key `too` in a `flow` annotation; allowed keys: `to`")));
        assert!(
            messages
                .iter()
                .any(|(l, m)| *l == 1 && m.starts_with("a `flow` annotation needs `to`"))
        );
        assert!(
            messages
                .iter()
                .any(|(l, m)| *l == 3 && m.starts_with("`to` must be a string"))
        );
        assert!(
            messages
                .iter()
                .any(|(l, m)| *l == 5 && m.starts_with("malformed `store` attribute"))
        );
        assert!(facts.flows.is_empty());
    }

    #[test]
    fn inference_from_unannotated_structs_and_urls() {
        let sources = files(&[
            ("Cargo.toml", "[package]\nname = \"newsletter\"\n"),
            (
                "src/lib.rs",
                "#[derive(Debug, serde::Serialize, sqlx::FromRow)]\nstruct Subscriber {\n    id: i64,\n    email: String,\n    date_of_birth: String,\n}\n#[derive(Debug)]\nstruct Internal { email: String }\nconst TRACK: &str = \"https://api.mixpanel.com/track\";\nfn t(client: &reqwest::Client) { client.post(TRACK); client.post(\"https://api.mixpanel.com/engage\"); }\nconst LINK: &str = \"https://api.github.com/repos/x\";\n",
            ),
            (
                "tests/mock.rs",
                "const M: &str = \"https://api.stripe.com/v1\";\nfn m() { reqwest::get(M); }\n",
            ),
        ]);
        let facts = run(&sources);
        let notes: Vec<(u32, Rule)> = facts
            .diagnostics
            .iter()
            .map(|d| (line(&sources, d.span), d.rule))
            .collect();
        assert_eq!(
            notes,
            [
                (4, Rule::InferredPersonalData),
                (5, Rule::InferredPersonalData)
            ]
        );
        assert!(facts.diagnostics[0].message.contains("looks like user.contact.email; annotate it with #[pii(\"user.contact.email\")] to confirm"));
        let node = facts.nodes.iter().find(|n| !n.data.is_empty());
        assert_eq!(
            node.map(|n| (n.id.as_str(), n.inferred, n.data.len())),
            Some(("newsletter", true, 2))
        );
        // One flow per host; the test's call is read too (the model classes it `test` by its
        // path, so it is a note unless `[scan] include` asks for tests).
        let hosts: Vec<&str> = facts
            .flows
            .iter()
            .filter_map(|f| match &f.to {
                FlowTarget::Host { host, .. } => Some(host.as_str()),
                FlowTarget::Node(_) => None,
            })
            .collect();
        assert_eq!(
            hosts,
            ["api.mixpanel.com", "api.stripe.com"],
            "{:?}",
            facts.flows
        );
        assert!(facts.flows[0].inferred && facts.flows[0].origin == Origin::Inference);
        // The flow is the call, not the constant; a URL that is never passed to a client is none.
        assert_eq!(line(&sources, facts.flows[0].span), 10);
    }

    #[test]
    fn files_without_markers_are_not_parsed_and_deep_nesting_is_safe() {
        let sources = files(&[(
            "src/a.rs",
            "#[derive(Debug)]\nstruct A;\nfn main() { let x = ; }\n",
        )]);
        assert!(
            run(&sources).diagnostics.is_empty(),
            "no marker: not parsed, so no syntax error"
        );
        let deep = format!(
            "// borderline\nfn f() {{ let x = {}1{}; }}\n",
            "(".repeat(3000),
            ")".repeat(3000)
        );
        let sources = files(&[("src/deep.rs", &deep)]);
        assert!(run(&sources).diagnostics.is_empty());
        let deeper = format!(
            "// borderline\nfn f() {{ let x = {}1{}; }}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let sources = files(&[("src/deeper.rs", &deeper)]);
        let facts = run(&sources);
        assert!(
            facts.diagnostics[0].message.contains("nest"),
            "{:?}",
            facts.diagnostics
        );
    }

    #[test]
    fn nesting_bound_counts_prefixes_and_generics_not_long_items() {
        let bound = |text: &str| nesting_bound(text.as_bytes());
        // Ordinary items stay shallow, however many fields or arguments they have.
        let fields: String = (0..500)
            .map(|i| {
                format!(
                    "    pub f{i}: std::collections::BTreeMap<String, Vec<Option<(u8, String)>>>,\n"
                )
            })
            .collect();
        assert!(bound(&format!("#[derive(Serialize)]\nstruct A {{\n{fields}}}")) < 32);
        assert!(
            bound("#[borderline::flow(to = \"a\", data = [\"x\", \"y\"], purpose = \"p\")]") < 16
        );
        // Every shape syn recurses on counts.
        for deep in [
            "&".repeat(500) + "u8",
            "*const ".repeat(500) + "u8",
            "Vec<".repeat(500) + "u8" + &">".repeat(500),
            "HashMap<u8, ".repeat(500) + "u8" + &">".repeat(500),
            "-".repeat(500) + "1",
            "a = ".repeat(500) + "1",
            "(".repeat(500) + ")".repeat(500).as_str(),
        ] {
            assert!(
                bound(&format!("struct A {{ f: {deep} }}")) >= 500,
                "{}",
                &deep[..20]
            );
        }
    }
}
