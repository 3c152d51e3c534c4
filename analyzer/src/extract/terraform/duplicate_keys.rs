//! Object constructors that repeat a key. Terraform accepts `{ a = 1, a = 2 }` (the last value
//! wins) and public modules ship it (terraform-google-sql-db's cross-region failover example sets
//! `encryption_key_name` twice), but hcl-edit's parser rejects the file ("redefined object key"),
//! which would lose every store in it.
//!
//! The file is parsed again with the repeated key renamed to a placeholder *of the same length*
//! that appears nowhere in the file, so every byte offset, and therefore every span and line of a
//! finding, is unchanged. The parsed objects are then put back as Terraform reads them: the
//! placeholder's value replaces the earlier value of the key. A key that cannot be renamed so (a
//! key of one or two characters, a quoted key with escapes or interpolation) and more repeats
//! than [`MAX_RENAMES`] leave the file an `input-error`, as before.

use hcl_edit::Decorated;
use hcl_edit::expr::{Expression, Object, ObjectKey};
use hcl_edit::parser::Error;
use hcl_edit::structure::Body;
use hcl_edit::visit_mut::{VisitMut, visit_object_mut};
use std::collections::BTreeMap;

/// How many repeated keys one file may rename: each costs a parse of the file.
const MAX_RENAMES: usize = 16;

/// The message hcl-edit gives for a repeated key.
const REDEFINED: &str = "redefined object key";

/// Parses a Terraform file, accepting repeated keys in object constructors and object `for`
/// expressions written over several lines, as Terraform does (see `multiline`).
pub(super) fn parse_body(text: &str) -> Result<Body, Error> {
    let first = match parse_with_repeated_keys(text) {
        Ok(body) => return Ok(body),
        Err(error) => error,
    };
    match super::multiline::join_for_expressions(text) {
        Some(joined) => parse_with_repeated_keys(&joined).map_err(|_| first),
        None => Err(first),
    }
}

/// Parses a Terraform file, accepting repeated keys in object constructors as Terraform does.
fn parse_with_repeated_keys(text: &str) -> Result<Body, Error> {
    let first = match hcl_edit::parser::parse_body(text) {
        Ok(body) => return Ok(body),
        Err(error) => error,
    };
    let mut error = first.clone();
    let mut patched = text.to_string();
    // Placeholder -> the key it stands for, as written (an identifier or a quoted string).
    let mut renamed: BTreeMap<String, Original> = BTreeMap::new();
    for _ in 0..MAX_RENAMES {
        if !error.message().contains(REDEFINED) {
            break;
        }
        let Some((start, original)) = key_at(&patched, error.location().offset()) else {
            break;
        };
        let length = original.written_len();
        let Some(placeholder) = placeholder(&patched, length) else {
            break;
        };
        patched.replace_range(start..start + length, &placeholder);
        renamed.insert(placeholder, original);
        match hcl_edit::parser::parse_body(&patched) {
            Ok(mut body) => {
                Restore { renamed: &renamed }.visit_body_mut(&mut body);
                return Ok(body);
            }
            Err(next) => error = next,
        }
    }
    // What could not be mended is reported as the first error, on the file as written.
    Err(first)
}

/// A repeated key as written.
#[derive(Debug, Clone)]
enum Original {
    Ident(String),
    /// The text between the quotes of a quoted key without escapes or interpolation.
    Quoted(String),
}

impl Original {
    fn written_len(&self) -> usize {
        match self {
            Original::Ident(name) => name.len(),
            Original::Quoted(text) => text.len() + 2,
        }
    }

    fn key(&self) -> Option<ObjectKey> {
        match self {
            Original::Ident(name) => hcl_edit::Ident::try_new(name.as_str())
                .ok()
                .map(|ident| ObjectKey::Ident(Decorated::new(ident))),
            Original::Quoted(text) => Some(ObjectKey::Expression(Expression::String(
                Decorated::new(text.clone()),
            ))),
        }
    }
}

/// The key that starts at `offset` (where hcl-edit reports the repeat), with its start.
fn key_at(text: &str, offset: usize) -> Option<(usize, Original)> {
    let rest = text.get(offset..)?;
    if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find('"')?;
        let inner = quoted.get(..end)?;
        if inner.contains('\\') || inner.contains("${") || inner.contains("%{") {
            return None;
        }
        return Some((offset, Original::Quoted(inner.to_string())));
    }
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if name.is_empty() {
        return None;
    }
    Some((offset, Original::Ident(name)))
}

/// An identifier of `length` bytes that occurs nowhere in `text`, so that it can only be the
/// placeholder. Keys shorter than three bytes have too few such names to be safe, and stay errors.
fn placeholder(text: &str, length: usize) -> Option<String> {
    if length < 3 {
        return None;
    }
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    for counter in 0..1000usize {
        let mut suffix = Vec::new();
        let mut n = counter;
        loop {
            suffix.push(DIGITS[n % DIGITS.len()]);
            n /= DIGITS.len();
            if n == 0 {
                break;
            }
        }
        suffix.reverse();
        let suffix = String::from_utf8(suffix).ok()?;
        if suffix.len() + 1 > length {
            return None;
        }
        let candidate = format!("_{}{suffix}", "_".repeat(length - 1 - suffix.len()));
        if !text.contains(&candidate) {
            return Some(candidate);
        }
    }
    None
}

/// Puts each renamed key back: its value replaces the earlier value of the same key.
struct Restore<'a> {
    renamed: &'a BTreeMap<String, Original>,
}

impl VisitMut for Restore<'_> {
    fn visit_object_mut(&mut self, object: &mut Object) {
        let placeholders: Vec<(ObjectKey, &Original)> = object
            .iter()
            .filter_map(|(key, _)| match key {
                ObjectKey::Ident(ident) => self
                    .renamed
                    .get(ident.value().as_str())
                    .map(|original| (key.clone(), original)),
                ObjectKey::Expression(_) => None,
            })
            .collect();
        for (placeholder, original) in placeholders {
            let Some(key) = original.key() else {
                continue;
            };
            if let Some(value) = object.remove(&placeholder) {
                // An equal key keeps its place and takes this value; otherwise (an identifier
                // repeating a quoted key) it goes last, where evaluation also lets it win.
                object.insert(key, value);
            }
        }
        visit_object_mut(self, object);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl_edit::Span as _;

    fn object_of(body: &Body, name: &str) -> Vec<(String, String)> {
        let Some(Expression::Object(object)) = body.get_attribute(name).map(|a| &a.value) else {
            panic!("`{name}` is not an object");
        };
        object
            .iter()
            .map(|(key, value)| {
                let key = match key {
                    ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
                    ObjectKey::Expression(expr) => expr.to_string().trim().to_string(),
                };
                (key, value.expr().to_string().trim().to_string())
            })
            .collect()
    }

    #[test]
    fn the_last_value_of_a_repeated_key_wins_and_spans_are_unchanged() {
        let text = "x = {\n  region = \"eu-west-1\"\n  tier   = 1\n  region = \"ap-south-1\"\n}\ny = \"after\"\n";
        assert!(
            hcl_edit::parser::parse_body(text).is_err(),
            "hcl-edit rejects it"
        );
        let body = parse_body(text).unwrap();
        assert_eq!(
            object_of(&body, "x"),
            [
                ("region".to_string(), "\"ap-south-1\"".to_string()),
                ("tier".to_string(), "1".to_string())
            ]
        );
        let after = body.get_attribute("y").unwrap();
        assert_eq!(after.span().map(|s| &text[s]), Some("y = \"after\""));
    }

    #[test]
    fn keys_that_cannot_be_mended_stay_errors() {
        assert!(parse_body("x = {\n  id = 1\n  id = 2\n}\n").is_err());
        assert!(parse_body("x = {\n  \"a\\\"b\" = 1\n  \"a\\\"b\" = 2\n}\n").is_err());
        // Many repeats cost a parse each: past the limit the file stays an error.
        let mut many = String::from("x = {\n");
        for _ in 0..=MAX_RENAMES + 1 {
            many.push_str("  region = 1\n");
        }
        many.push_str("}\n");
        assert!(parse_body(&many).is_err());
    }

    #[test]
    fn a_placeholder_never_occurs_in_the_file() {
        let text = "___ __0 __1";
        let name = placeholder(text, 3).unwrap();
        assert_eq!(name.len(), 3);
        assert!(!text.contains(&name));
        assert_eq!(placeholder(text, 2), None);
    }
}
