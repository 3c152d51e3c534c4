//! Object `for` expressions written over several lines. Terraform reads
//! `{ for k, v in var.users : k =>\n  local.is_mysql\n  ? {...}\n  : {...} }` (newlines inside a
//! `for` expression are not separators; cloud-foundation-fabric's cloudsql-instance module writes
//! its users so), but hcl-edit 0.10 parses the key and value of an object `for` expression as
//! single-line expressions and rejects the file ("expected `}`"), which would lose every store in
//! it.
//!
//! The file is parsed again with the newlines that sit directly in such an expression (not inside
//! a nested object, list, call or string, where they keep their meaning) replaced by spaces, and
//! the comments there blanked, so every byte offset, and therefore every span and line of a
//! finding, is unchanged. The result is used only when that parse succeeds; otherwise the file
//! stays an `input-error` with the error as written.

/// How many `for` expressions of one file are looked at, and how many bytes may be scanned in
/// all: a hostile file of nested `{for` must not make this quadratic without bound.
const MAX_FOR_EXPRESSIONS: usize = 1_024;
const MAX_SCANNED: usize = 16 * 1024 * 1024;

/// `text` with the top-level newlines and comments of every object `for` expression blanked, or
/// `None` when there is nothing to change.
pub(super) fn join_for_expressions(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut changed = false;
    let mut found = 0;
    let mut scanned = 0usize;
    let mut i = 0;
    while i < bytes.len() && found < MAX_FOR_EXPRESSIONS && scanned < MAX_SCANNED {
        if bytes[i] == b'{'
            && let Some(body) = for_body(bytes, i + 1)
        {
            found += 1;
            let (end, joined) = join_top_level(bytes, body, &mut out);
            changed |= joined;
            scanned = scanned.saturating_add(end.saturating_sub(i));
        }
        i += 1;
    }
    if !changed {
        return None;
    }
    // Only ASCII bytes (newlines, comment text that was ASCII or whole UTF-8 sequences inside a
    // comment) were replaced by ASCII spaces; the check keeps the text valid either way.
    String::from_utf8(out).ok()
}

/// The offset just past `for` when `{` at `from - 1` opens a `for` expression.
fn for_body(bytes: &[u8], from: usize) -> Option<usize> {
    let mut j = from;
    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    let rest = bytes.get(j..)?;
    (rest.starts_with(b"for") && rest.get(3).is_some_and(|b| b.is_ascii_whitespace()))
        .then_some(j + 3)
}

/// Blanks, in `out`, the newlines and comments at the top level of the expression body starting
/// at `from`, up to the `}` that closes it. Returns where the scan stopped and whether anything
/// changed.
fn join_top_level(bytes: &[u8], from: usize, out: &mut [u8]) -> (usize, bool) {
    let mut depth = 0usize;
    let mut changed = false;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i + 1),
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' if depth == 0 => return (i, changed),
            b'}' | b']' | b')' => depth -= 1,
            b'\n' | b'\r' if depth == 0 => {
                out[i] = b' ';
                changed = true;
            }
            b'#' if depth == 0 => {
                i = blank_until_line_end(bytes, i, out);
                changed = true;
                continue;
            }
            b'/' if depth == 0 && bytes.get(i + 1) == Some(&b'/') => {
                i = blank_until_line_end(bytes, i, out);
                changed = true;
                continue;
            }
            b'/' if depth == 0 && bytes.get(i + 1) == Some(&b'*') => {
                let end = find(bytes, i + 2, b"*/").map_or(bytes.len(), |at| at + 2);
                for byte in &mut out[i..end] {
                    *byte = b' ';
                }
                changed = true;
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (i, changed)
}

/// Blanks a line comment starting at `from`, up to (not including) its newline, which the caller
/// then joins. Returns the offset of that newline.
fn blank_until_line_end(bytes: &[u8], from: usize, out: &mut [u8]) -> usize {
    let mut i = from;
    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
        out[i] = b' ';
        i += 1;
    }
    i
}

/// The offset of the closing `"` of a string whose text starts at `from` (escapes skipped, and a
/// quote inside a `${ }` interpolation not taken for the end), or the end of the text.
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut interpolation = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => {
                interpolation += 1;
                i += 1;
            }
            b'}' if interpolation > 0 => interpolation -= 1,
            b'"' if interpolation == 0 => return i,
            // A newline ends a quoted string in HCL: never scan past it.
            b'\n' => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const USERS: &str = "locals {\n  users = {\n    for k, v in var.users : k =>\n    local.is_mysql # MySQL keeps hosts\n    ? {\n      name = k\n      host = v.host\n    }\n    : {\n      name = \"${k}\"\n      host = null\n    }\n  }\n}\n";

    #[test]
    fn hcl_edit_rejects_and_the_joined_text_parses_at_the_same_offsets() {
        // If this starts to pass, hcl-edit reads multi-line object `for` values itself.
        assert!(hcl_edit::parser::parse_body(USERS).is_err());
        let joined = join_for_expressions(USERS).unwrap();
        assert_eq!(joined.len(), USERS.len());
        // The nested objects keep their newlines (their items' separators).
        assert!(joined.contains("? {\n      name = k\n      host = v.host\n    } "));
        assert!(hcl_edit::parser::parse_body(&joined).is_ok());
        assert_eq!(join_for_expressions("a = { b = 1 }\n"), None);
    }

    #[test]
    fn nested_for_expressions_stay_bounded() {
        let deep = format!(
            "a = {}{}\n",
            "{for x in y : x => ".repeat(5_000),
            "}".repeat(5_000)
        );
        let _ = join_for_expressions(&deep);
        let _ = join_for_expressions("x = {for a in b : a => \"unterminated");
    }
}
