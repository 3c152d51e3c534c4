//! Terraform's JSON syntax (`.tf.json`, `.tofu.json`, `.tfvars.json`), read into the same
//! hcl-edit structures as native files, with spans that point into the JSON file.
//!
//! hcl-edit spans can only be made by its parser, so the JSON is rewritten in place into HCL text
//! of exactly the same length: each block or argument is written where its key is in the JSON
//! (the newline before it on the key's opening quote, its name on the key), values as HCL
//! expressions (JSON values are HCL expressions once their strings are re-escaped). Parsing that
//! text gives blocks and arguments whose byte ranges are ranges of the JSON file, so findings
//! point to the line of the resource's key. Block types and labels the layout has no room for
//! are written as a one-letter placeholder and set after parsing.
//!
//! JSON leaves it to the provider schema whether an object is an argument or a nested block;
//! borderline has no schemas, so in `resource`, `data` and `provider` bodies an object is a
//! nested block and an array of objects is a list of nested blocks (the form CDKTF writes),
//! and in `variable`, `output`, `module` and `locals` bodies everything is an argument.

use crate::source::{SourceFile, Span};
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use hcl_edit::{Decorated, Ident};

/// JSON nested deeper than this is refused: real configurations nest a few levels, and both
/// this parser and hcl-edit's recurse.
const MAX_DEPTH: usize = 64;

/// What a JSON file declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonKind {
    /// `.tf.json`, `.tofu.json`: blocks by type.
    Config,
    /// `.tfvars.json`: variable values.
    Tfvars,
}

/// Whether a file name is Terraform or OpenTofu JSON, and which kind.
pub(crate) fn json_kind(name: &str) -> Option<JsonKind> {
    if name.ends_with(".tfvars.json") {
        Some(JsonKind::Tfvars)
    } else if name.ends_with(".tf.json") || name.ends_with(".tofu.json") {
        Some(JsonKind::Config)
    } else {
        None
    }
}

/// Reads a JSON file as a body; an error is the span and message of an input error.
pub(crate) fn parse_json(file: &SourceFile, kind: JsonKind) -> Result<Body, (Span, String)> {
    let text: &str = &file.text;
    let error_at = |offset: usize, message: String| {
        let position = file.line_column(u32::try_from(offset).unwrap_or(u32::MAX));
        (
            file.span_at(position.line, position.column),
            format!(
                "terraform: {message} (line {}, column {})",
                position.line, position.column
            ),
        )
    };
    let value = Parser {
        text: text.as_bytes(),
        at: 0,
    }
    .document()
    .map_err(|(offset, message)| {
        error_at(
            offset,
            format!("invalid JSON, which Terraform refuses too: {message}"),
        )
    })?;
    let Value::Object(members) = &value.kind else {
        return Err(error_at(
            value.start,
            "a Terraform JSON file must hold one object".to_string(),
        ));
    };
    let mut modes = [Mode::Exact, Mode::SameLine, Mode::Packed].into_iter();
    let (layout, plan) = loop {
        let Some(mode) = modes.next() else {
            return Err(error_at(
                value.start,
                "this JSON cannot be read as Terraform".to_string(),
            ));
        };
        let mut layout = Layout::new(text, mode);
        let mut plan = Vec::new();
        let written = match kind {
            JsonKind::Config => layout.config(members, &mut plan),
            JsonKind::Tfvars => layout.members(members, BodyShape::Flat),
        };
        if written.is_some() {
            break (layout, plan);
        }
    };
    let hcl = String::from_utf8(layout.out).map_err(|_| error_at(0, "not UTF-8".to_string()))?;
    let mut body = hcl_edit::parser::parse_body(&hcl).map_err(|error| {
        error_at(
            error.location().offset(),
            format!("cannot read as Terraform: {}", error.message()),
        )
    })?;
    if kind == JsonKind::Config {
        body = apply_plan(body, plan);
    }
    Ok(body)
}

/// A parsed JSON value with its byte range.
#[derive(Debug)]
struct Node {
    start: usize,
    end: usize,
    kind: Value,
}

#[derive(Debug)]
enum Value {
    Object(Vec<Member>),
    Array(Vec<Node>),
    /// Decoded text; the raw text is `start..end` of the file.
    String(String),
    /// A number, `true`, `false` or `null`: the same text in HCL.
    Literal,
}

#[derive(Debug)]
struct Member {
    key: String,
    /// Byte range of the key, quotes included.
    key_start: usize,
    key_end: usize,
    value: Node,
}

impl Member {
    /// The key as an HCL identifier the layout can write over the key: a valid identifier
    /// written without escapes (so that it is two bytes shorter than the quoted key).
    fn ident(&self) -> Option<&str> {
        let plain = self.key_end - self.key_start == self.key.len() + 2;
        (plain && Ident::try_new(self.key.as_str()).is_ok()).then_some(self.key.as_str())
    }
}

/// A bounded recursive-descent JSON parser that keeps byte offsets.
struct Parser<'t> {
    text: &'t [u8],
    at: usize,
}

type Parse<T> = Result<T, (usize, String)>;

impl Parser<'_> {
    fn document(mut self) -> Parse<Node> {
        // A byte order mark is whitespace to Terraform's JSON reader as to most.
        if self.text.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.at = 3;
        }
        let value = self.value(0)?;
        self.space();
        if self.at < self.text.len() {
            return Err((self.at, "unexpected text after the value".to_string()));
        }
        Ok(value)
    }

    /// After a member or element: a `,` (not followed by `close`, which JSON forbids) or the
    /// `close` that ends the object or array. True when it ended.
    fn separator(&mut self, close: u8) -> Parse<bool> {
        self.space();
        match self.text.get(self.at) {
            Some(b',') => {
                let comma = self.at;
                self.at += 1;
                self.space();
                if self.text.get(self.at) == Some(&close) {
                    return Err((comma, format!("a `,` before `{}`", close as char)));
                }
                Ok(false)
            }
            Some(&found) if found == close => {
                self.at += 1;
                Ok(true)
            }
            _ => Err((self.at, format!("expected `,` or `{}`", close as char))),
        }
    }

    fn space(&mut self) {
        while matches!(self.text.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Parse<Node> {
        if depth > MAX_DEPTH {
            return Err((self.at, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.space();
        let start = self.at;
        let kind = match self.text.get(self.at) {
            None => return Err((self.at, "unexpected end of file".to_string())),
            Some(b'{') => {
                self.at += 1;
                let mut members = Vec::new();
                self.space();
                if self.text.get(self.at) == Some(&b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.space();
                        let key_start = self.at;
                        if self.text.get(self.at) != Some(&b'"') {
                            return Err((self.at, "expected a key".to_string()));
                        }
                        let key = self.string()?;
                        let key_end = self.at;
                        self.space();
                        if self.text.get(self.at) != Some(&b':') {
                            return Err((self.at, "expected `:`".to_string()));
                        }
                        self.at += 1;
                        let value = self.value(depth + 1)?;
                        members.push(Member {
                            key,
                            key_start,
                            key_end,
                            value,
                        });
                        if self.separator(b'}')? {
                            break;
                        }
                    }
                }
                Value::Object(members)
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.text.get(self.at) == Some(&b']') {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.separator(b']')? {
                            break;
                        }
                    }
                }
                Value::Array(items)
            }
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.word("true")?,
            Some(b'f') => self.word("false")?,
            Some(b'n') => self.word("null")?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err((self.at, "expected a value".to_string())),
        };
        Ok(Node {
            start,
            end: self.at,
            kind,
        })
    }

    fn word(&mut self, word: &str) -> Parse<Value> {
        if self.text[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(Value::Literal)
        } else {
            Err((self.at, "expected a value".to_string()))
        }
    }

    fn number(&mut self) -> Parse<Value> {
        let start = self.at;
        if self.text.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let digits = |parser: &mut Self| {
            let from = parser.at;
            while parser.text.get(parser.at).is_some_and(u8::is_ascii_digit) {
                parser.at += 1;
            }
            parser.at > from
        };
        if !digits(self) {
            return Err((start, "invalid number".to_string()));
        }
        if self.text.get(self.at) == Some(&b'.') {
            self.at += 1;
            if !digits(self) {
                return Err((start, "invalid number".to_string()));
            }
        }
        if matches!(self.text.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.text.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !digits(self) {
                return Err((start, "invalid number".to_string()));
            }
        }
        Ok(Value::Literal)
    }

    /// A string at `self.at` (on its opening quote), decoded.
    fn string(&mut self) -> Parse<String> {
        let start = self.at;
        self.at += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&byte) = self.text.get(self.at) else {
                return Err((start, "unterminated string".to_string()));
            };
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let Some(&escape) = self.text.get(self.at) else {
                        return Err((start, "unterminated string".to_string()));
                    };
                    self.at += 1;
                    let decoded = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err((self.at - 2, "invalid escape".to_string())),
                    };
                    let mut buffer = [0u8; 4];
                    out.extend_from_slice(decoded.encode_utf8(&mut buffer).as_bytes());
                }
                0..=0x1F => return Err((self.at - 1, "control character in a string".to_string())),
                _ => out.push(byte),
            }
        }
        String::from_utf8(out).map_err(|_| (start, "a string is not UTF-8".to_string()))
    }

    /// The character of `\uXXXX` (the `u` read), with a following low surrogate if any; a lone
    /// surrogate is the replacement character.
    fn unicode_escape(&mut self) -> Parse<char> {
        let high = self.hex4()?;
        if (0xD800..0xDC00).contains(&high)
            && self.text.get(self.at..self.at + 2) == Some(b"\\u".as_slice())
        {
            let save = self.at;
            self.at += 2;
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            self.at = save;
        }
        Ok(char::from_u32(high).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Parse<u32> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or((self.at, "invalid `\\u` escape".to_string()))?;
        self.at += 4;
        Ok(digits)
    }
}

/// Where a structure is written relative to its key. `Exact` keeps columns; when a dense file
/// (minified JSON closing many objects at once) leaves no room for HCL's newlines, `SameLine`
/// moves structures left on their key's line, and `Packed` as far left as needed, which in a
/// one-line file is still the key's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Exact,
    SameLine,
    Packed,
}

/// Whether the bodies of a block read objects as nested blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyShape {
    /// `resource`, `data`, `provider`: objects are nested blocks.
    Blocks,
    /// `variable`, `output`, `module`, `locals`, tfvars: every member is an argument.
    Flat,
}

/// What a top-level structure of the HCL text becomes after parsing.
#[derive(Debug)]
enum Planned {
    /// A block written with a placeholder type: its type and labels.
    Block(String, Vec<String>, BodyShape),
    /// An argument holding an array of objects: one block per object.
    Blocks(String, Vec<String>, BodyShape),
    /// Nothing was written for it.
    Skipped,
}

/// The HCL text being written over a JSON file.
struct Layout<'t> {
    text: &'t str,
    out: Vec<u8>,
    /// First byte not written yet: structures are written in order.
    cursor: usize,
    mode: Mode,
    /// Byte offsets where lines start, for `Mode::SameLine`.
    line_starts: Vec<usize>,
}

impl<'t> Layout<'t> {
    fn new(text: &'t str, mode: Mode) -> Layout<'t> {
        Layout {
            text,
            out: vec![b' '; text.len()],
            cursor: 0,
            mode,
            line_starts: std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
                .collect(),
        }
    }

    /// Where a structure whose key starts at `key` is written, if anywhere.
    fn place(&self, key: usize) -> Option<usize> {
        let at = match self.mode {
            Mode::Exact => key,
            Mode::SameLine => {
                let line = self.line_starts.partition_point(|start| *start <= key);
                let line_start = line
                    .checked_sub(1)
                    .and_then(|i| self.line_starts.get(i))
                    .copied()
                    .unwrap_or(0);
                self.cursor.max(line_start)
            }
            Mode::Packed => self.cursor,
        };
        (at >= self.cursor && at <= key).then_some(at)
    }

    /// Writes `bytes` at `at` (not before the cursor, within the file).
    fn put(&mut self, at: usize, bytes: &[u8]) -> Option<()> {
        let end = at.checked_add(bytes.len())?;
        if at < self.cursor || end > self.out.len() {
            return None;
        }
        self.out.get_mut(at..end)?.copy_from_slice(bytes);
        self.cursor = end;
        Some(())
    }

    /// The top-level members of a `.tf.json` file.
    fn config(&mut self, members: &[Member], plan: &mut Vec<Planned>) -> Option<()> {
        for member in members {
            let kind = member.key.as_str();
            // Each level may also be an array of objects (the form some generators write).
            let inner = objects(&member.value);
            match kind {
                "resource" | "data" => {
                    for by_type in inner.iter().flat_map(|m| m.iter()) {
                        for name in objects(&by_type.value).iter().flat_map(|m| m.iter()) {
                            let labels = vec![by_type.key.clone(), name.key.clone()];
                            self.labelled(kind, labels, name, BodyShape::Blocks, plan)?;
                        }
                    }
                }
                "provider" | "module" | "variable" | "output" => {
                    let body = if kind == "provider" {
                        BodyShape::Blocks
                    } else {
                        BodyShape::Flat
                    };
                    for name in inner.iter().flat_map(|m| m.iter()) {
                        let labels = vec![name.key.clone()];
                        self.labelled(kind, labels, name, body, plan)?;
                    }
                }
                "locals" => self.labelled(kind, Vec::new(), member, BodyShape::Flat, plan)?,
                // `//` comments, `terraform` settings and blocks borderline does not read.
                _ => {}
            }
        }
        Some(())
    }

    /// A block whose body is `member`'s value, written at `member`'s key with a placeholder
    /// type. An array of one object is that object; an array of several is one block each.
    fn labelled(
        &mut self,
        kind: &str,
        labels: Vec<String>,
        member: &Member,
        body: BodyShape,
        plan: &mut Vec<Planned>,
    ) -> Option<()> {
        let bodies = objects(&member.value);
        match bodies.as_slice() {
            [members] => {
                self.block("b", member, members, body)?;
                plan.push(Planned::Block(kind.to_string(), labels, body));
            }
            [] => plan.push(Planned::Skipped),
            _ => {
                self.attribute("b", member)?;
                plan.push(Planned::Blocks(kind.to_string(), labels, body));
            }
        }
        Some(())
    }

    /// `ident {` over the key of `member`, its members, and `}`.
    fn block(
        &mut self,
        ident: &str,
        member: &Member,
        members: &[Member],
        body: BodyShape,
    ) -> Option<()> {
        let at = self.place(member.key_start)?;
        let mut header = Vec::with_capacity(ident.len() + 2);
        header.push(b'\n');
        header.extend_from_slice(ident.as_bytes());
        header.push(b'{');
        self.put(at, &header)?;
        self.members(members, body)?;
        let close = self.cursor;
        self.put(close, b"\n}")
    }

    /// The members of a body, each at its key.
    fn members(&mut self, members: &[Member], body: BodyShape) -> Option<()> {
        for member in members {
            let Some(ident) = member.ident() else {
                // `//` comments, and keys no Terraform argument or block has.
                continue;
            };
            // An object, or an array of one object, is a nested block written in place; an
            // array of several is an argument made into blocks after parsing.
            match (objects(&member.value).as_slice(), body) {
                ([inner], BodyShape::Blocks) => self.block(ident, member, inner, body)?,
                _ => self.attribute(ident, member)?,
            }
        }
        Some(())
    }

    /// `ident=value` over `member`.
    fn attribute(&mut self, ident: &str, member: &Member) -> Option<()> {
        let at = self.place(member.key_start)?;
        let mut bytes = Vec::with_capacity(ident.len() + 2);
        bytes.push(b'\n');
        bytes.extend_from_slice(ident.as_bytes());
        bytes.push(b'=');
        bytes.extend(self.expression(&member.value));
        self.put(at, &bytes)
    }

    /// A JSON value as HCL expression text, no longer than the JSON text.
    fn expression(&self, node: &Node) -> Vec<u8> {
        let raw = self
            .text
            .as_bytes()
            .get(node.start..node.end)
            .unwrap_or_default();
        match &node.kind {
            Value::Literal => raw.to_vec(),
            Value::String(text) => hcl_string(text),
            Value::Array(items) => self.container(node, raw, items.iter()),
            Value::Object(members) => self.container(
                node,
                raw,
                members.iter().flat_map(|m| {
                    // The key is a string expression here, like the value.
                    [KeyOrValue::Key(m), KeyOrValue::Value(&m.value)]
                }),
            ),
        }
    }

    /// An array or object: the JSON text with every string inside rewritten in place, padded.
    fn container<'n>(
        &self,
        node: &Node,
        raw: &[u8],
        parts: impl Iterator<Item = impl Into<KeyOrValue<'n>>>,
    ) -> Vec<u8> {
        let mut out = raw.to_vec();
        for part in parts {
            let (start, end, text) = match part.into() {
                KeyOrValue::Key(member) => {
                    (member.key_start, member.key_end, hcl_string(&member.key))
                }
                KeyOrValue::Value(value) => (value.start, value.end, self.expression(value)),
            };
            let (Some(from), Some(to)) =
                (start.checked_sub(node.start), end.checked_sub(node.start))
            else {
                continue;
            };
            if let Some(slot) = out.get_mut(from..to) {
                slot.fill(b' ');
                let n = text.len().min(slot.len());
                slot[..n].copy_from_slice(&text[..n]);
            }
        }
        out
    }
}

/// A key or a value inside an object expression.
enum KeyOrValue<'n> {
    Key(&'n Member),
    Value(&'n Node),
}

impl<'n> From<&'n Node> for KeyOrValue<'n> {
    fn from(node: &'n Node) -> Self {
        KeyOrValue::Value(node)
    }
}

/// The members of an object, or of each object of an array of objects; nothing otherwise.
fn objects(node: &Node) -> Vec<&[Member]> {
    match &node.kind {
        Value::Object(members) => vec![members.as_slice()],
        Value::Array(items) => {
            let members: Vec<&[Member]> = items
                .iter()
                .filter_map(|item| match &item.kind {
                    Value::Object(members) => Some(members.as_slice()),
                    _ => None,
                })
                .collect();
            if members.len() == items.len() {
                members
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

/// A decoded JSON string as an HCL quoted template: the same template syntax (`${...}`,
/// `%{...}`), with literal text escaped for HCL and template sequences copied as they are.
/// Never longer than the JSON string it came from: every character HCL escapes was escaped in
/// JSON too. Control characters other than tab, newline and return (which no configuration
/// value holds) are dropped, because HCL's escape for them is longer than JSON's `\b`.
fn hcl_string(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 2);
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"$${") || rest.starts_with(b"%%{") {
            out.extend_from_slice(&rest[..3]);
            i += 3;
            continue;
        }
        if rest.starts_with(b"${") || rest.starts_with(b"%{") {
            let end = sequence_end(bytes, i + 2);
            out.extend_from_slice(&bytes[i..end]);
            i = end;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if c.is_control() => {}
            c => {
                let mut buffer = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
            }
        }
        i += c.len_utf8();
    }
    out.push(b'"');
    out
}

/// The end of a template sequence whose body starts at `from`: after its matching `}`, braces
/// and quoted strings inside counted; the end of the text when it has none.
fn sequence_end(bytes: &[u8], from: usize) -> usize {
    let mut depth = 1usize;
    let mut i = from;
    let mut quoted = false;
    while let Some(&byte) = bytes.get(i) {
        i += 1;
        match (quoted, byte) {
            (true, b'\\') => i += 1,
            (true, b'"') => quoted = false,
            (true, _) => {}
            (false, b'"') => quoted = true,
            (false, b'{') => depth += 1,
            (false, b'}') => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            (false, _) => {}
        }
    }
    bytes.len()
}

/// Sets the types and labels of the top-level blocks written with placeholders, and turns
/// arrays of objects into blocks where the body reads objects as blocks.
fn apply_plan(body: Body, plan: Vec<Planned>) -> Body {
    let mut out = Body::new();
    let mut plan = plan.into_iter().filter(|p| !matches!(p, Planned::Skipped));
    for structure in body {
        match (structure, plan.next()) {
            (Structure::Block(mut block), Some(Planned::Block(kind, labels, shape))) => {
                block.ident = Decorated::new(Ident::new_unchecked(kind));
                block.labels = labels
                    .into_iter()
                    .map(|l| BlockLabel::String(Decorated::new(l)))
                    .collect();
                if shape == BodyShape::Blocks {
                    nested_arrays(&mut block.body, 0);
                }
                out.push(block);
            }
            (Structure::Attribute(attribute), Some(Planned::Blocks(kind, labels, shape))) => {
                let Expression::Array(items) = &attribute.value else {
                    continue;
                };
                for item in items.iter() {
                    let Expression::Object(object) = item else {
                        continue;
                    };
                    let mut block = Block::new(Decorated::new(Ident::new_unchecked(kind.clone())));
                    block.labels = labels
                        .iter()
                        .map(|l| BlockLabel::String(Decorated::new(l.clone())))
                        .collect();
                    block.body = object_body(object, shape, 0);
                    out.push(block);
                }
            }
            _ => {}
        }
    }
    out
}

/// In a body that reads objects as blocks, arguments holding arrays of objects become blocks.
fn nested_arrays(body: &mut Body, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let structures: Vec<Structure> = std::mem::take(body).into_iter().collect();
    for structure in structures {
        match structure {
            Structure::Attribute(attribute) => match &attribute.value {
                Expression::Array(items)
                    if !items.is_empty()
                        && items.iter().all(|i| matches!(i, Expression::Object(_))) =>
                {
                    for item in items.iter() {
                        if let Expression::Object(object) = item {
                            let mut block = Block::new(attribute.key.clone());
                            block.body = object_body(object, BodyShape::Blocks, depth + 1);
                            body.push(block);
                        }
                    }
                }
                _ => body.push(attribute),
            },
            Structure::Block(mut block) => {
                nested_arrays(&mut block.body, depth + 1);
                body.push(block);
            }
        }
    }
}

/// The body a JSON object (an element of an array of blocks) stands for. These structures have
/// no spans: hcl-edit makes spans only when parsing, and the layout has no room for them.
fn object_body(object: &hcl_edit::expr::Object, shape: BodyShape, depth: usize) -> Body {
    let mut body = Body::new();
    if depth > MAX_DEPTH {
        return body;
    }
    for (key, value) in object.iter() {
        let name = match key {
            ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
            ObjectKey::Expression(Expression::String(text)) => text.value().to_string(),
            ObjectKey::Expression(_) => continue,
        };
        let Ok(ident) = Ident::try_new(name) else {
            continue;
        };
        match (value.expr(), shape) {
            (Expression::Object(inner), BodyShape::Blocks) => {
                let mut block = Block::new(Decorated::new(ident));
                block.body = object_body(inner, shape, depth + 1);
                body.push(block);
            }
            (Expression::Array(items), BodyShape::Blocks)
                if !items.is_empty()
                    && items.iter().all(|i| matches!(i, Expression::Object(_))) =>
            {
                for item in items.iter() {
                    if let Expression::Object(inner) = item {
                        let mut block = Block::new(Decorated::new(ident.clone()));
                        block.body = object_body(inner, shape, depth + 1);
                        body.push(block);
                    }
                }
            }
            (expr, _) => body.push(Attribute::new(Decorated::new(ident), expr.clone())),
        }
    }
    body
}
