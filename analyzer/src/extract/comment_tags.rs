//! Comment tags in any language: `borderline: flow|store|service|pii ...` (SPEC §4).
//!
//! A tag is read only inside a comment, never inside a string literal (nor an HCL heredoc): each
//! file is lexed with its language's comment and string syntax ([`super::lexer`]).
//!
//! A tag whose first word is `key=value` (`borderline: personal_data=false`) has no kind of its
//! own: it states facts about what the declaration directly below it creates (a Terraform
//! `resource`/`module`/`data` block, a Kubernetes object, a compose service; see [`declarations`]).
//! This extractor finds the declaration's extent; the model attaches the facts to the nodes other
//! extractors declared inside it ([`crate::facts::AttachedTag`]). This extractor also owns Rust doc
//! comments (`/// borderline: ...`), which are `//` comments to the lexer, so the Rust extractor
//! does not read `#[doc]` attributes and nothing is counted twice.

mod declarations;

use super::annotation::{self, Annotation, AnnotationKind, Entry, Owner, Text, Value};
use super::owners::{self, Packages};
use super::{ExtractContext, Extractor, PerFile};
use crate::facts::{Facts, Origin};
use crate::source::lexer::{self, PieceKind};
use crate::source::{SourceFile, Span};
use camino::Utf8Path;

/// The marker every tag starts with.
const MARKER: &str = "borderline:";

#[derive(Debug)]
pub struct CommentTags;

impl Extractor for CommentTags {
    fn name(&self) -> &'static str {
        "comment-tags"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        lexer::syntax_for(path.as_str()).is_some() || owners::is_package_manifest(path)
    }

    fn per_file(&self) -> Option<&dyn PerFile> {
        Some(self)
    }
}

impl PerFile for CommentTags {
    fn extract_file(
        &self,
        file: &SourceFile,
        packages: &Packages,
        ctx: &ExtractContext<'_>,
    ) -> Facts {
        extract_file(file, packages, ctx)
    }

    fn finish(&self, facts: &mut Facts, _classes: &super::Classes) {
        dedup_nodes(facts);
    }
}

/// Package nodes are emitted once per annotated file; keep one of each.
/// Nodes are compared only with earlier nodes of the same id, so a large repository does not
/// compare every node with every other.
pub(crate) fn dedup_nodes(facts: &mut Facts) {
    let mut seen: std::collections::HashMap<String, Vec<crate::facts::NodeFact>> =
        std::collections::HashMap::new();
    facts.nodes.retain(|node| {
        let same_id = seen.entry(node.id.clone()).or_default();
        if same_id.contains(node) {
            false
        } else {
            same_id.push(node.clone());
            true
        }
    });
}

fn extract_file(file: &SourceFile, packages: &Packages, ctx: &ExtractContext<'_>) -> Facts {
    let mut facts = Facts::default();
    // The prefilter: most files never mention borderline and are not lexed at all.
    if memchr::memmem::find(file.text.as_bytes(), MARKER.as_bytes()).is_none() {
        return facts;
    }
    let mut annotations = Vec::new();
    for piece in file.pieces() {
        if piece.kind == PieceKind::Comment {
            find_tags(file, piece.range.clone(), &mut annotations, &mut facts);
        }
    }
    let (in_place, annotations): (Vec<Annotation>, Vec<Annotation>) = annotations
        .into_iter()
        .partition(|a| a.kind == AnnotationKind::InPlace);
    if !in_place.is_empty() {
        declarations::attach(file, &in_place, &mut facts, ctx.rules);
    }
    if annotations.is_empty() {
        annotation::check_written_locations(&mut facts, ctx.rules);
        return facts;
    }
    // A `service` tag in the file names the file's node, unless the manifest's `paths` do.
    let manifest_owner = ctx.owners.owner_of(&file.path).map(|id| Owner {
        id: id.to_string(),
        span: None,
        from_package: false,
    });
    let service_owner = annotations
        .iter()
        .find(|a| a.kind == AnnotationKind::Service)
        .and_then(|a| {
            a.entries
                .iter()
                .find(|e| e.key.value == "id")
                .and_then(|e| match &e.value {
                    Value::One(text) => Some(Owner {
                        id: text.value.clone(),
                        span: Some(text.span),
                        from_package: false,
                    }),
                    _ => None,
                })
        });
    let owner = manifest_owner
        .or(service_owner)
        .or_else(|| packages.nearest(&file.path).cloned());
    for annotation in &annotations {
        annotation::lower(
            annotation,
            owner.as_ref(),
            Origin::CommentTag,
            &mut facts,
            ctx.rules,
        );
    }
    if let Some(owner) = owner.as_ref().filter(|o| o.from_package) {
        facts
            .nodes
            .push(annotation::package_node(owner, Origin::CommentTag, false));
    }
    annotation::check_written_locations(&mut facts, ctx.rules);
    facts
}

/// Tags in one comment: every line of it whose text, after comment decoration, starts with the marker.
fn find_tags(
    file: &SourceFile,
    range: std::ops::Range<usize>,
    annotations: &mut Vec<Annotation>,
    facts: &mut Facts,
) {
    let comment = &file.text[range.clone()];
    let mut offset = range.start;
    for line in comment.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        // `///`, `//!`, ` * `, `## `, `--- ` leave decoration characters before the text.
        let body = line.trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, '/' | '!' | '*' | '#' | '-')
        });
        let Some(rest) = body
            .strip_prefix(MARKER)
            .filter(|r| !super::inline_waivers::is_waiver(r))
        else {
            continue;
        };
        let tag_start = line_start + (line.len() - body.len());
        let rest_start = tag_start + MARKER.len();
        // A tag ends where a further comment on its line starts (`... # expect: rule`), so notes
        // and fixture expectations can follow it.
        let rest = match [" #", " //", " --", " /*"]
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
        {
            Some(end) => &rest[..end],
            None => rest,
        };
        let rest = rest.trim_end();
        let tag_end = rest_start + rest.len();
        match parse_tag(rest, rest_start, file) {
            Ok(mut annotation) => {
                annotation.span = file.span(tag_start..tag_end);
                annotations.push(annotation);
            }
            Err((span, message)) => facts.input_error(Some(span), None, message),
        }
    }
}

/// A tokenizer over one tag's text, tracking byte offsets into the file.
struct Cursor<'a> {
    text: &'a str,
    position: usize,
    base: usize,
    file: &'a SourceFile,
}

impl<'a> Cursor<'a> {
    fn span(&self, range: std::ops::Range<usize>) -> Span {
        self.file
            .span(self.base + range.start..self.base + range.end)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
            self.position += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn at_end(&self) -> bool {
        self.position >= self.text.len()
    }

    /// A bare word: up to whitespace, `=`, or (inside a list) `,` and `]`.
    fn word(&mut self, stops: &[char]) -> &'a str {
        let start = self.position;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || stops.contains(&c) {
                break;
            }
            self.position += c.len_utf8();
        }
        &self.text[start..self.position]
    }

    /// A `"quoted"` string with backslash escapes; the cursor is on the opening quote.
    fn quoted(&mut self) -> Result<Text, (Span, String)> {
        let start = self.position;
        self.position += 1;
        let mut value = String::new();
        while let Some(c) = self.peek() {
            self.position += c.len_utf8();
            match c {
                '"' => {
                    return Ok(Text {
                        value,
                        span: self.span(start..self.position),
                    });
                }
                '\\' => {
                    if let Some(next) = self.peek() {
                        value.push(next);
                        self.position += next.len_utf8();
                    }
                }
                _ => value.push(c),
            }
        }
        Err((
            self.span(start..self.position),
            "unterminated string in a borderline tag".into(),
        ))
    }

    /// `["a", "b"]` or `[a, b]`; the cursor is on `[`.
    fn list(&mut self) -> Result<(Vec<Text>, Span), (Span, String)> {
        let start = self.position;
        self.position += 1;
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                None => {
                    return Err((
                        self.span(start..self.position),
                        "unterminated list in a borderline tag: missing `]`".into(),
                    ));
                }
                Some(']') => {
                    self.position += 1;
                    return Ok((items, self.span(start..self.position)));
                }
                Some(',') => self.position += 1,
                Some('"') => items.push(self.quoted()?),
                Some(_) => {
                    let item_start = self.position;
                    let word = self.word(&[',', ']']);
                    if word.is_empty() {
                        // A whitespace character `skip_spaces` leaves (a no-break space, say):
                        // step over all of it, never into the middle of its UTF-8 bytes.
                        self.position += self.peek().map_or(1, char::len_utf8);
                        continue;
                    }
                    items.push(Text {
                        value: word.to_string(),
                        span: self.span(item_start..self.position),
                    });
                }
            }
        }
    }

    /// A value after `=`: quoted, a bracketed list, or a bare word (a bare `a,b` is a list).
    fn value(&mut self) -> Result<(Value, Span), (Span, String)> {
        match self.peek() {
            Some('"') => {
                let text = self.quoted()?;
                let span = text.span;
                Ok((Value::One(text), span))
            }
            Some('[') => {
                let (items, span) = self.list()?;
                Ok((Value::List(items), span))
            }
            _ => {
                let start = self.position;
                let word = self.word(&[]);
                let span = self.span(start..self.position);
                Ok((split_bare(word, start, self), span))
            }
        }
    }
}

/// `a,b` as a list with a span per item; a word without commas as one value.
fn split_bare(word: &str, start: usize, cursor: &Cursor<'_>) -> Value {
    if !word.contains(',') {
        return Value::One(Text {
            value: word.to_string(),
            span: cursor.span(start..start + word.len()),
        });
    }
    let mut items = Vec::new();
    let mut offset = start;
    for part in word.split(',') {
        if !part.is_empty() {
            items.push(Text {
                value: part.to_string(),
                span: cursor.span(offset..offset + part.len()),
            });
        }
        offset += part.len() + 1;
    }
    Value::List(items)
}

/// Parses the text after `borderline:`; `base` is its offset in the file.
fn parse_tag(text: &str, base: usize, file: &SourceFile) -> Result<Annotation, (Span, String)> {
    let mut cursor = Cursor {
        text,
        position: 0,
        base,
        file,
    };
    cursor.skip_spaces();
    let kind_start = cursor.position;
    let kind_word = cursor.word(&[]);
    let kind_span = cursor.span(kind_start..cursor.position);
    let after_word = cursor.position;
    cursor.skip_spaces();
    // `key=value` first: a tag on the declaration below, read from its first word on.
    let in_place = kind_word.contains('=') || (!kind_word.is_empty() && cursor.peek() == Some('='));
    cursor.position = if in_place { kind_start } else { after_word };
    let kind = if in_place {
        Some(AnnotationKind::InPlace)
    } else {
        AnnotationKind::parse(kind_word).filter(|_| kind_word != "personal_data")
    };
    let Some(kind) = kind else {
        return Err((
            kind_span,
            format!(
                "unknown borderline tag `{kind_word}`; expected `flow`, `store`, `service` or `pii`, or `key=value` facts about the declaration below"
            ),
        ));
    };
    let mut annotation = Annotation {
        kind,
        span: kind_span,
        entries: Vec::new(),
        positional: Vec::new(),
    };
    loop {
        cursor.skip_spaces();
        if cursor.at_end() {
            break;
        }
        let start = cursor.position;
        match cursor.peek() {
            Some('"') => annotation.positional.push(cursor.quoted()?),
            Some('[') => annotation.positional.extend(cursor.list()?.0),
            _ => {
                let word = cursor.word(&['=']);
                let key_end = cursor.position;
                cursor.skip_spaces();
                if cursor.peek() == Some('=') && !word.is_empty() {
                    cursor.position += 1;
                    cursor.skip_spaces();
                    let (value, value_span) = cursor.value()?;
                    annotation.entries.push(Entry {
                        key: Text {
                            value: word.to_string(),
                            span: cursor.span(start..key_end),
                        },
                        value,
                        value_span,
                    });
                } else if word.is_empty() {
                    // A stray `=` with no key before it, or a whitespace character other than a
                    // space or tab: stepped over whole, so the span stays on a character boundary.
                    cursor.position += cursor.peek().map_or(1, char::len_utf8);
                    return Err((
                        cursor.span(start..cursor.position),
                        "`=` without a key in a borderline tag".into(),
                    ));
                } else {
                    match split_bare(word, start, &cursor) {
                        Value::One(text) => annotation.positional.push(text),
                        Value::List(items) => annotation.positional.extend(items),
                        Value::Invalid(_) => {}
                    }
                }
            }
        }
    }
    Ok(annotation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Owners;
    use crate::extract::owners::testing::{files, line};
    use crate::facts::{FlowTarget, NodeKind};

    fn run(sources: &[SourceFile], owners: &Owners) -> Facts {
        let rules = crate::extract::owners::testing::rules();
        let ctx = ExtractContext {
            rules: &rules,
            owners,
            terraform: &[],
        };
        let claimed: Vec<&SourceFile> = sources
            .iter()
            .filter(|f| CommentTags.claims(&f.path))
            .collect();
        CommentTags.extract(&claimed, &ctx)
    }

    #[test]
    fn python_service_with_tags() {
        let sources = files(&[
            (
                "jobs/export/pyproject.toml",
                "[project]\nname = \"nightly-export\"\n",
            ),
            (
                "jobs/export/export.py",
                "import requests\n\
                 # borderline: store id=exports-bucket location=gcp:us-central1 data=user.contact.email,user.name # expect: x\n\
                 URL = \"# borderline: flow to=nowhere\"\n\
                 def run():\n    \
                     # borderline: flow to=crm-vendor data=[\"user.contact.email\", \"user.name\"] purpose=\"crm sync\"\n    \
                     pass\n",
            ),
        ]);
        let facts = run(&sources, &Owners::default());
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        assert_eq!(
            facts.flows.len(),
            1,
            "the tag inside a string literal is ignored"
        );
        let flow = &facts.flows[0];
        assert_eq!(
            flow.from.as_ref().map(|f| f.id.as_str()),
            Some("nightly-export")
        );
        assert!(matches!(&flow.to, FlowTarget::Node(n) if n.id == "crm-vendor"));
        assert_eq!(
            flow.data.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(),
            ["user.contact.email", "user.name"]
        );
        assert_eq!(flow.purpose.as_deref(), Some("crm sync"));
        assert_eq!(line(&sources, flow.span), 5);
        let store = facts
            .nodes
            .iter()
            .find(|n| n.id == "exports-bucket")
            .map(|n| (n.kind, n.data.len()));
        assert_eq!(store, Some((Some(NodeKind::Store), 2)));
        let service = facts.nodes.iter().find(|n| n.id == "nightly-export");
        assert_eq!(
            service.map(|n| line(&sources, n.span)),
            Some(2),
            "the package becomes a service, named at its name"
        );
    }

    #[test]
    fn go_block_comments_doc_comments_and_service_tags() {
        let sources = files(&[
            (
                "billing/main.go",
                "package main\n\
                 /*\n * borderline: service id=billing location=aws:eu-west-1\n */\n\
                 var s = `// borderline: flow to=x`\n\
                 // borderline: flow to=stripe data=user.financial.credit_card mechanism=scc module=2 tia=docs/tia.md\n",
            ),
            (
                "lib/src/lib.rs",
                "/// borderline: pii user.contact.phone_number\n//! borderline: flow to=sms-gateway from=notifier\nfn f() {}\n",
            ),
        ]);
        let facts = run(
            &sources,
            &Owners::new([("notifier".to_string(), "lib".to_string())]),
        );
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let flows: Vec<(Option<&str>, u32)> = facts
            .flows
            .iter()
            .map(|f| {
                (
                    f.from.as_ref().map(|n| n.id.as_str()),
                    line(&sources, f.span),
                )
            })
            .collect();
        assert_eq!(flows, [(Some("billing"), 6), (Some("notifier"), 2)]);
        assert_eq!(
            facts.flows[0]
                .safeguard
                .as_ref()
                .and_then(|s| s.tia.as_deref()),
            Some("docs/tia.md")
        );
        let pii = facts
            .nodes
            .iter()
            .find(|n| n.id == "notifier")
            .map(|n| n.data[0].key.as_str());
        assert_eq!(pii, Some("user.contact.phone_number"));
    }

    #[test]
    fn malformed_tags_are_input_errors_at_their_span() {
        let sources = files(&[(
            "q.sql",
            "select 1; -- borderline: flow to=crm colour=blue\n-- borderline: flwo to=x\n-- borderline: store location=EU\n-- borderline: flow to=[a, b\n",
        )]);
        let facts = run(&sources, &Owners::default());
        let errors: Vec<(u32, &str)> = facts
            .diagnostics
            .iter()
            .map(|d| (line(&sources, d.span), d.message.as_str()))
            .collect();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            errors[0].1.starts_with("unknown borderline tag `flwo`"),
            "{errors:?}"
        );
        assert!(errors[1].1.contains("unterminated list"), "{errors:?}");
        assert!(
            errors[2].1.starts_with("unknown key `colour`"),
            "{errors:?}"
        );
        assert!(
            errors[3].1.starts_with("a `store` annotation needs `id`"),
            "{errors:?}"
        );
        let lines: Vec<u32> = errors.iter().map(|e| e.0).collect();
        assert_eq!(lines, [2, 4, 1, 3]);
        // The flow with an unknown key is still read: only the key is wrong.
        assert_eq!(facts.flows.len(), 1);
        assert_eq!(
            facts.flows[0].from, None,
            "no owner: the model reports the unresolved source"
        );
    }
}
