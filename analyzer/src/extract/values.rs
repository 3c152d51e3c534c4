//! Configuration values the compose, env and Kubernetes extractors read alike: dotenv lines,
//! placeholders an example file leaves to fill in, and Spring-style `${NAME:default}` defaults.

use std::ops::Range;

/// Words that mark an example value as a placeholder to fill in, not an address to send data to.
const PLACEHOLDER_MARKS: [&str; 14] = [
    "changeme",
    "change-me",
    "change_me",
    "your-",
    "your_",
    "yourdomain",
    "xxx",
    "<",
    ">",
    "placeholder",
    "replace",
    "todo",
    "fixme",
    "...",
];

/// True when an example value is to be filled in (`changeme`, `your-api-key`, `xxx`, `<dsn>`).
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    PLACEHOLDER_MARKS.iter().any(|mark| lower.contains(mark))
}

/// One `KEY=VALUE` line: the key and the byte range of the value (without quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    pub key: String,
    pub value: String,
    pub range: Range<usize>,
}

/// Parses dotenv text (also `.properties` when `colon` is set, which allows `key: value`).
pub fn parse_entries(text: &str, colon: bool) -> Vec<EnvEntry> {
    let mut entries = Vec::new();
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') || content.starts_with('!') {
            continue;
        }
        let mut start = line_start + (line.len() - content.len());
        let content = match content.strip_prefix("export ") {
            Some(rest) => {
                let rest_trimmed = rest.trim_start();
                start += content.len() - rest_trimmed.len();
                rest_trimmed
            }
            None => content,
        };
        let separator = content.find(|c: char| c == '=' || (colon && c == ':'));
        let Some(separator) = separator else { continue };
        let key = content[..separator].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let after = &content[separator + 1..];
        let value_text = after.trim_start();
        let mut value_start = start + separator + 1 + (after.len() - value_text.len());
        let value = if let Some(quoted) = value_text.strip_prefix(['"', '\'']) {
            let quote = value_text.chars().next().unwrap_or('"');
            value_start += 1;
            match quoted.find(quote) {
                Some(end) => &quoted[..end],
                None => quoted,
            }
        } else {
            // An unquoted value ends at ` #`, the start of an inline comment.
            let end = value_text.find(" #").unwrap_or(value_text.len());
            value_text[..end].trim_end()
        };
        entries.push(EnvEntry {
            key: key.to_string(),
            value: value.to_string(),
            range: value_start..value_start + value.len(),
        });
    }
    entries
}

/// How deep `${A:${B:default}}` placeholders may nest before the value is unknown.
const MAX_PLACEHOLDER_DEPTH: usize = 8;

/// A Spring-style value with each `${NAME:default}` replaced by its default (nested defaults
/// too; a shell-style `${NAME:-default}` also reads as its default). `None` when a placeholder has
/// no default: its value comes from the environment at run time and is unknown here.
pub fn placeholder_defaults(value: &str) -> Option<String> {
    placeholder_defaults_at(value, 0)
}

fn placeholder_defaults_at(value: &str, depth: usize) -> Option<String> {
    if !value.contains("${") {
        return Some(value.to_string());
    }
    if depth > MAX_PLACEHOLDER_DEPTH {
        return None;
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(open) = rest.find("${") {
        out.push_str(&rest[..open]);
        let body_start = &rest[open + 2..];
        let close = matching_close(body_start)?;
        let body = &body_start[..close];
        // The OpenTelemetry Collector's `${env:NAME}` / `${env:NAME:-default}` name a variable too.
        let body = body.strip_prefix("env:").unwrap_or(body);
        let (_, default) = body.split_once(':')?;
        let default = default.strip_prefix('-').unwrap_or(default);
        out.push_str(&placeholder_defaults_at(default, depth + 1)?);
        rest = &body_start[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The index of the `}` that closes a `${`, counting nested `${...}`.
fn matching_close(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}
