//! A small lexer for many languages that finds comments and string literals, nothing else.
//!
//! Comment tags must be read only inside comments and URL literals only inside strings, so the
//! lexer has to know where each string ends (escapes, triple quotes, Rust raw strings) even though
//! it knows nothing else about the language. It never fails: unterminated input simply runs to
//! the end of the line or file.

use std::ops::Range;

/// What a piece of text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PieceKind {
    Comment,
    String,
}

/// A comment or a string literal: the byte range of its content, without delimiters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub kind: PieceKind,
    pub range: Range<usize>,
}

/// How one language writes comments and strings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Syntax {
    line_comments: &'static [&'static str],
    block_comments: &'static [(&'static str, &'static str)],
    /// Quote characters that open a string closed by the same character.
    quotes: &'static [u8],
    /// `"""` and `'''` strings (Python, Kotlin, Java text blocks, Swift).
    triple_quotes: bool,
    /// Rust: nested block comments, raw strings `r#"..."#`, lifetimes that look like char quotes.
    rust: bool,
    /// A line comment only starts at the start of a line or after whitespace (YAML, shell: `a#b`).
    comment_needs_space: bool,
    /// A quote only opens a string after a delimiter (YAML: `it's` is a plain scalar).
    quote_needs_delimiter: bool,
    /// Strings opened by these quotes may span lines; others end at a line break (recovery).
    multiline_quotes: &'static [u8],
    /// Backtick strings have no escapes (Go raw strings); JS template literals do.
    raw_backtick: bool,
    /// HCL heredocs (`<<EOT` or `<<-EOT` to a line holding only `EOT`): strings, so a `#` line
    /// inside a policy document or a script is not a comment.
    heredoc: bool,
    /// YAML block scalars (`key: |` or `- >-`, then the lines indented deeper): strings, so a `#`
    /// line in a ConfigMap's script is not a comment.
    block_scalars: bool,
}

const fn syntax(
    line_comments: &'static [&'static str],
    block_comments: &'static [(&'static str, &'static str)],
    quotes: &'static [u8],
) -> Syntax {
    Syntax {
        line_comments,
        block_comments,
        quotes,
        triple_quotes: false,
        rust: false,
        comment_needs_space: false,
        quote_needs_delimiter: false,
        multiline_quotes: &[],
        raw_backtick: false,
        heredoc: false,
        block_scalars: false,
    }
}

const C_BLOCK: &[(&str, &str)] = &[("/*", "*/")];

/// The syntax of a file, by its name; `None` for files whose comments borderline does not read.
pub(crate) fn syntax_for(path: &str) -> Option<Syntax> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if lower == "dockerfile"
        || lower.starts_with("dockerfile.")
        || lower.ends_with(".dockerfile")
        || lower == "makefile"
    {
        return Some(Syntax {
            comment_needs_space: true,
            ..syntax(&["#"], &[], b"\"'")
        });
    }
    let extension = lower.rsplit_once('.').map(|(_, e)| e)?;
    let found = match extension {
        "rs" => Syntax {
            rust: true,
            multiline_quotes: b"\"",
            ..syntax(&["//"], C_BLOCK, b"\"'")
        },
        "go" => Syntax {
            multiline_quotes: b"`",
            raw_backtick: true,
            ..syntax(&["//"], C_BLOCK, b"\"'`")
        },
        "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" => Syntax {
            multiline_quotes: b"`",
            ..syntax(&["//"], C_BLOCK, b"\"'`")
        },
        "java" | "kt" | "kts" | "scala" | "swift" | "dart" | "groovy" | "gradle" => Syntax {
            triple_quotes: true,
            ..syntax(&["//"], C_BLOCK, b"\"'")
        },
        "c" | "h" | "cc" | "cpp" | "hpp" | "cs" | "proto" => syntax(&["//"], C_BLOCK, b"\"'"),
        "py" | "pyi" => Syntax {
            triple_quotes: true,
            ..syntax(&["#"], &[], b"\"'")
        },
        "rb" | "rake" => Syntax {
            multiline_quotes: b"\"'`",
            ..syntax(&["#"], &[("=begin", "=end")], b"\"'`")
        },
        "php" => syntax(&["//", "#"], C_BLOCK, b"\"'"),
        "sh" | "bash" | "zsh" | "ps1" | "mk" => Syntax {
            comment_needs_space: true,
            multiline_quotes: b"\"'",
            ..syntax(&["#"], &[], b"\"'")
        },
        "sql" => syntax(&["--"], C_BLOCK, b"'\""),
        "yaml" | "yml" => Syntax {
            comment_needs_space: true,
            quote_needs_delimiter: true,
            block_scalars: true,
            ..syntax(&["#"], &[], b"\"'")
        },
        "toml" | "ini" | "cfg" | "conf" | "properties" | "env" => Syntax {
            triple_quotes: true,
            comment_needs_space: extension == "env",
            ..syntax(&["#"], &[], b"\"'")
        },
        "tf" | "tofu" | "tfvars" | "hcl" => Syntax {
            heredoc: true,
            ..syntax(&["#", "//"], C_BLOCK, b"\"")
        },
        "html" | "htm" | "xml" | "vue" | "svelte" => syntax(&[], &[("<!--", "-->")], b""),
        _ => return None,
    };
    Some(found)
}

/// Every comment and string literal of `text`, in order.
pub(crate) fn lex(text: &str, syntax: &Syntax) -> Vec<Piece> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let opens = opening_bytes(syntax);
    let mut i = 0;
    while i < bytes.len() {
        // Everything else (code, identifiers, numbers) is skipped byte by byte; the patterns of
        // `piece_at` are ASCII, so they can never match inside a multi-byte character.
        i = if opens[usize::from(bytes[i])] {
            piece_at(text, i, syntax, &mut pieces).unwrap_or(i + 1)
        } else {
            i + 1
        };
    }
    pieces
}

/// Bytes that can open a comment or a string (or a Rust prefix); every other byte is skipped
/// without trying each pattern, which is most of the cost on ordinary code.
fn opening_bytes(syntax: &Syntax) -> [bool; 256] {
    let mut opens = [false; 256];
    let block_opens = syntax.block_comments.iter().map(|(open, _)| open);
    for open in syntax.line_comments.iter().chain(block_opens) {
        if let Some(first) = open.as_bytes().first() {
            opens[usize::from(*first)] = true;
        }
    }
    for quote in syntax.quotes {
        opens[usize::from(*quote)] = true;
    }
    if syntax.rust {
        for prefix in [b'\'', b'r', b'b', b'c'] {
            opens[usize::from(prefix)] = true;
        }
    }
    if syntax.heredoc {
        opens[usize::from(b'<')] = true;
    }
    if syntax.block_scalars {
        opens[usize::from(b'|')] = true;
        opens[usize::from(b'>')] = true;
    }
    opens
}

/// The comment or string that opens at byte `i`, pushed to `pieces` (a Rust prefix that opens
/// nothing pushes none), and where lexing resumes; `None` when nothing opens at `i`.
fn piece_at(text: &str, i: usize, syntax: &Syntax, pieces: &mut Vec<Piece>) -> Option<usize> {
    let bytes = text.as_bytes();
    let byte = bytes[i];
    let after_space = i == 0 || bytes[i - 1].is_ascii_whitespace();
    if let Some(open) = syntax.line_comments.iter().find(|open| {
        open.as_bytes().first() == Some(&byte) && bytes[i..].starts_with(open.as_bytes())
    }) && (!syntax.comment_needs_space || after_space)
    {
        let start = i + open.len();
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |n| start + n);
        pieces.push(Piece {
            kind: PieceKind::Comment,
            range: start..end,
        });
        return Some(end);
    }
    if let Some((open, close)) = syntax.block_comments.iter().find(|(open, _)| {
        open.as_bytes().first() == Some(&byte) && bytes[i..].starts_with(open.as_bytes())
    }) {
        let start = i + open.len();
        let (end, next) = block_end(bytes, start, open, close, syntax.rust);
        pieces.push(Piece {
            kind: PieceKind::Comment,
            range: start..end,
        });
        return Some(next);
    }
    if syntax.rust
        && let Some((content, next)) = rust_special(text, i)
    {
        if let Some(content) = content {
            pieces.push(Piece {
                kind: PieceKind::String,
                range: content,
            });
        }
        return Some(next);
    }
    if syntax.block_scalars
        && matches!(byte, b'|' | b'>')
        && let Some((header_end, content)) = block_scalar(bytes, i)
    {
        // A comment after the indicator (`key: | # note`) is still a comment.
        if let Some(hash) = memchr::memchr(b'#', &bytes[i..header_end]) {
            pieces.push(Piece {
                kind: PieceKind::Comment,
                range: i + hash + 1..header_end,
            });
        }
        let next = content.end;
        pieces.push(Piece {
            kind: PieceKind::String,
            range: content,
        });
        return Some(next);
    }
    if syntax.heredoc
        && byte == b'<'
        && let Some((content, next)) = heredoc(bytes, i)
    {
        pieces.push(Piece {
            kind: PieceKind::String,
            range: content,
        });
        return Some(next);
    }
    if syntax.quotes.contains(&byte) {
        let delimited = !syntax.quote_needs_delimiter
            || i == 0
            || matches!(
                bytes[i - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b':' | b'[' | b'{' | b',' | b'-' | b'='
            );
        if delimited {
            let (content, next) = string(bytes, i, syntax);
            pieces.push(Piece {
                kind: PieceKind::String,
                range: content,
            });
            return Some(next);
        }
    }
    None
}

/// Where a block comment's content ends and where lexing resumes.
fn block_end(bytes: &[u8], start: usize, open: &str, close: &str, nested: bool) -> (usize, usize) {
    let mut depth = 1usize;
    let mut j = start;
    while j < bytes.len() {
        if bytes[j..].starts_with(close.as_bytes()) {
            depth -= 1;
            if depth == 0 {
                return (j, j + close.len());
            }
            j += close.len();
        } else if nested && bytes[j..].starts_with(open.as_bytes()) {
            depth += 1;
            j += open.len();
        } else {
            j += 1;
        }
    }
    (bytes.len(), bytes.len())
}

/// An HCL heredoc opened at `i` (`<<EOT` or `<<-EOT`, the marker ending its line): its content
/// range and where lexing resumes, after the line that closes it (or the end of the file).
/// `None` when the bytes at `i` do not open one (`a << b` is not HCL, but is not a heredoc either).
fn heredoc(bytes: &[u8], i: usize) -> Option<(Range<usize>, usize)> {
    let mut j = i + 2;
    if bytes.get(i + 1) != Some(&b'<') {
        return None;
    }
    if bytes.get(j) == Some(&b'-') {
        j += 1;
    }
    let marker_start = j;
    while bytes
        .get(j)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        j += 1;
    }
    let marker = &bytes[marker_start..j];
    if marker.is_empty() || !marker[0].is_ascii_alphabetic() {
        return None;
    }
    // The marker must end its line (a trailing `\r` aside).
    let line_end = memchr::memchr(b'\n', &bytes[j..]).map_or(bytes.len(), |n| j + n);
    if bytes[j..line_end].iter().any(|b| !b.is_ascii_whitespace()) {
        return None;
    }
    let start = (line_end + 1).min(bytes.len());
    let mut line_start = start;
    // Each line is looked at once: the search is linear in the heredoc's length.
    while line_start < bytes.len() {
        let end =
            memchr::memchr(b'\n', &bytes[line_start..]).map_or(bytes.len(), |n| line_start + n);
        if bytes[line_start..end].trim_ascii() == marker {
            return Some((start..line_start, end));
        }
        line_start = end + 1;
    }
    Some((start..bytes.len(), bytes.len()))
}

/// A YAML block scalar whose indicator (`|` or `>`, with chomping and indentation indicators) is
/// at `i`: where its header line ends, and the range of its content: the following lines that
/// are blank or indented deeper than the line of the indicator. `None` when the indicator is not
/// one (`a: x > y`, `a: |b`).
fn block_scalar(bytes: &[u8], i: usize) -> Option<(usize, Range<usize>)> {
    // The indicator follows `key:` or a list's `-`, after a space.
    let before = bytes[..i]
        .iter()
        .rev()
        .find(|b| **b != b' ' && **b != b'\t');
    if !matches!(before, Some(b':' | b'-'))
        || !matches!(bytes.get(i.wrapping_sub(1)), Some(b' ' | b'\t'))
    {
        return None;
    }
    let header_end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
    let rest = &bytes[i + 1..header_end];
    let indicators = rest
        .iter()
        .take_while(|b| matches!(b, b'+' | b'-' | b'0'..=b'9'))
        .count();
    let tail = rest[indicators..].trim_ascii_start();
    if !(tail.is_empty() || tail.starts_with(b"#")) {
        return None;
    }
    let line_start = bytes[..i]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |n| n + 1);
    let indent = bytes[line_start..i]
        .iter()
        .take_while(|b| **b == b' ')
        .count();
    let start = (header_end + 1).min(bytes.len());
    let mut end = start;
    // Each line is looked at once.
    while end < bytes.len() {
        let line_end = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |n| end + n);
        let line = &bytes[end..line_end];
        let blank = line.iter().all(u8::is_ascii_whitespace);
        let deeper = line.iter().take_while(|b| **b == b' ').count() > indent;
        if !blank && !deeper {
            break;
        }
        end = (line_end + 1).min(bytes.len());
    }
    Some((header_end, start..end))
}

/// A string opened by the quote at `i`: its content range and where lexing resumes.
fn string(bytes: &[u8], i: usize, syntax: &Syntax) -> (Range<usize>, usize) {
    let quote = bytes[i];
    if syntax.triple_quotes && bytes[i..].starts_with(&[quote, quote, quote]) {
        let start = i + 3;
        let mut j = start;
        while j < bytes.len() {
            if bytes[j] == b'\\' {
                j += 2;
                continue;
            }
            if bytes[j..].starts_with(&[quote, quote, quote]) {
                return (start..j, j + 3);
            }
            j += 1;
        }
        return (start..bytes.len(), bytes.len());
    }
    let multiline = syntax.multiline_quotes.contains(&quote);
    let start = i + 1;
    let mut j = start;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' if !(quote == b'`' && syntax.raw_backtick) => j += 2,
            b'\n' if !multiline => return (start..j, j),
            b if b == quote => return (start..j, j + 1),
            _ => j += 1,
        }
    }
    let end = bytes.len().min(j);
    (start..end, end)
}

/// Rust tokens that the generic rules get wrong: raw strings (`r#"..."#`, `br"..."`), byte and
/// C string prefixes, and `'` that opens a lifetime rather than a char literal. Returns the string
/// content (if any) and where lexing resumes, or `None` when the generic rules apply.
fn rust_special(text: &str, i: usize) -> Option<(Option<Range<usize>>, usize)> {
    let bytes = text.as_bytes();
    let byte = bytes[i];
    let previous_is_ident = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
    if byte == b'\'' {
        // A char literal is `'x'` or `'\..'`; anything else is a lifetime or label. The byte after
        // the backslash is part of the escape, so `'\''` and `'\\'` end at their last quote.
        if bytes.get(i + 1) == Some(&b'\\') {
            let mut j = (i + 3).min(bytes.len());
            while j < bytes.len() && bytes[j] != b'\'' && bytes[j] != b'\n' {
                j += 1;
            }
            return Some((Some(i + 1..j), (j + 1).min(bytes.len())));
        }
        // `i + 1` is a character boundary: the byte at `i` is an ASCII quote.
        let char_len = text
            .get(i + 1..)
            .and_then(|rest| rest.chars().next())
            .map_or(1, char::len_utf8);
        if bytes.get(i + 1 + char_len) == Some(&b'\'') {
            return Some((Some(i + 1..i + 1 + char_len), i + 2 + char_len));
        }
        return Some((None, i + 1));
    }
    if previous_is_ident {
        return None;
    }
    // Prefixes: r, br, cr (raw) and b, c (escaped, handled by the generic rules after the prefix).
    let mut j = i;
    if matches!(byte, b'b' | b'c') && bytes.get(i + 1) == Some(&b'r') {
        j += 2;
    } else if byte == b'r' {
        j += 1;
    } else if matches!(byte, b'b' | b'c') && matches!(bytes.get(i + 1), Some(b'"' | b'\'')) {
        // `b"..."` / `b'x'`: skip the prefix; the quote is lexed next.
        return Some((None, i + 1));
    } else {
        return None;
    }
    let hashes_start = j;
    while bytes.get(j) == Some(&b'#') {
        j += 1;
    }
    if bytes.get(j) != Some(&b'"') {
        return None;
    }
    let hashes = j - hashes_start;
    let start = j + 1;
    let mut k = start;
    while k < bytes.len() {
        if bytes[k] == b'"'
            && bytes[k + 1..]
                .iter()
                .take(hashes)
                .filter(|b| **b == b'#')
                .count()
                == hashes
        {
            return Some((Some(start..k), k + 1 + hashes));
        }
        k += 1;
    }
    Some((Some(start..bytes.len()), bytes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, path: &str, kind: PieceKind) -> Vec<String> {
        let syntax = syntax_for(path);
        assert!(syntax.is_some(), "no syntax for {path}");
        let Some(syntax) = syntax else {
            return Vec::new();
        };
        lex(text, &syntax)
            .into_iter()
            .filter(|p| p.kind == kind)
            .map(|p| text[p.range].to_string())
            .collect()
    }

    #[test]
    fn rust_strings_comments_and_lifetimes() {
        let text = "fn a<'a>(x: &'a str) -> char { let s = \"// not\\\" a comment\"; let r = r#\"raw \" // x\"#; /* a /* nested */ b */ 'x' } // real";
        assert_eq!(
            texts(text, "a.rs", PieceKind::Comment),
            vec![" a /* nested */ b ", " real"]
        );
        assert_eq!(
            texts(text, "a.rs", PieceKind::String),
            vec!["// not\\\" a comment", "raw \" // x", "x"]
        );
    }

    #[test]
    fn rust_escaped_quotes_in_char_literals_end_at_their_last_quote() {
        // `'\''` once ended at its second quote, leaving a stray `'` that took `','` for a char
        // literal and left the `)` of `')'` as code: the delimiters no longer balanced.
        let text = "let q = ['\\'',')', '\\\\', '\\u{7b}', 'é']; let l: &'static str = \"{\"; '\\";
        assert_eq!(
            texts(text, "a.rs", PieceKind::String),
            vec!["\\'", ")", "\\\\", "\\u{7b}", "é", "{", "\\"]
        );
    }

    #[test]
    fn rust_raw_byte_and_c_strings_and_raw_identifiers() {
        let text = "let a = r###\"x \"## { \"###; let b = br#\"}\"#; let c = c\"(\"; let d = cr\"[\"; let r#type = b'{'; let e = b\"]\";";
        assert_eq!(
            texts(text, "a.rs", PieceKind::String),
            vec!["x \"## { ", "}", "(", "[", "{", "]"]
        );
    }

    #[test]
    fn python_triple_quotes_hide_hashes() {
        let text = "s = \"\"\"\n# borderline: no\n\"\"\"\nt = 'a#b'  # yes\n";
        assert_eq!(texts(text, "job.py", PieceKind::Comment), vec![" yes"]);
    }

    #[test]
    fn yaml_hash_needs_space_and_apostrophes_are_plain() {
        let text = "a: it's here # c1\nb: x#y\nc: '# not'\n";
        assert_eq!(texts(text, "k.yaml", PieceKind::Comment), vec![" c1"]);
    }

    #[test]
    fn sql_doubled_quotes_and_go_raw_strings() {
        assert_eq!(
            texts("select 'it''s -- no' -- yes", "q.sql", PieceKind::Comment),
            vec![" yes"]
        );
        assert_eq!(
            texts("x := `a \\` // c", "m.go", PieceKind::Comment),
            vec![" c"]
        );
        assert_eq!(
            texts("<p>x</p><!-- c -->", "i.html", PieceKind::Comment),
            vec![" c "]
        );
    }

    #[test]
    fn yaml_block_scalars_are_strings() {
        let text = "data:\n  run.sh: | # c1\n    # borderline: personal_data=false\n\n    echo a > b\n  # c2\nlist:\n  - >-\n    # s\n  - a: x > y # c3\n";
        assert_eq!(
            texts(text, "cm.yaml", PieceKind::Comment),
            vec![" c1", " c2", " c3"]
        );
        assert_eq!(
            texts(text, "cm.yaml", PieceKind::String),
            vec![
                "    # borderline: personal_data=false\n\n    echo a > b\n",
                "    # s\n"
            ]
        );
    }

    #[test]
    fn hcl_heredocs_are_strings() {
        let text = "policy = <<-EOT\n  # borderline: personal_data=false\n  EOT\n# real\nx = 1 << 2 # shift\ny = <<EOF";
        assert_eq!(
            texts(text, "main.tf", PieceKind::Comment),
            vec![" real", " shift"]
        );
        assert_eq!(
            texts(text, "main.tf", PieceKind::String),
            vec!["  # borderline: personal_data=false\n", ""]
        );
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for path in [
            "a.rs", "a.py", "a.go", "a.sql", "a.yaml", "a.rb", "a.html", "a.tf",
        ] {
            for text in [
                "\"", "'", "/*", "r#\"", "\"\"\"", "'\\", "br", "<!--", "=begin", "<<", "<<-",
                "<<E", "<<E\n",
            ] {
                let _ = texts(text, path, PieceKind::String);
            }
        }
    }
}
