//! Neutralisers: each turns a string that came from the scanned repository (a file name, a node id,
//! a label, a purpose, a message quoting a value) into text that is inert in one sink. The
//! repository is hostile (a pull request from a fork), and each sink obeys different things: a
//! terminal obeys escape sequences and reorders text around bidi controls, a CI log runs lines that
//! start with `::`, a spreadsheet runs cells that start with `=`, a pull-request comment pings
//! `@people` and links `#123`, a TOML file ends a comment at a line break.

/// What replaces a hidden or controlling character that is not ASCII: visible, one character.
const REPLACEMENT: char = '\u{FFFD}';

/// True for the invisible characters that change the direction of the text around them (the
/// "Trojan Source" characters): shown in a terminal, an editor or a web page, they can make a
/// reviewer read something other than what is there.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that change how a terminal lays out text without being seen: bidi embeddings,
/// overrides, isolates and marks (a `U+202E` shows `exe.txt` for `txt.exe`), zero-width spaces,
/// joiners and other format characters that can hide text between two visible ones, line and
/// paragraph separators, variation selectors and tag characters (which can carry invisible text).
fn is_hidden(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x034F
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x08E2
            | 0x115F
            | 0x1160
            | 0x17B4
            | 0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFFB
            | 0x110BD
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// Terminal text that may span lines (source snippets, whole reports): ESC and every other C0 or
/// C1 control but the line break and the tab, and every hidden character ([`is_hidden`]), become
/// a visible replacement. Each character becomes exactly one character, and an ASCII one one
/// byte, so that columns and the spans of snippets stay right.
pub fn terminal(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_ascii_control() => '?',
            c if c.is_control() || is_hidden(c) => REPLACEMENT,
            c => c,
        })
        .collect()
}

/// Terminal text that must stay on one line (a message, a label, a file name, an id): as
/// [`terminal`], and a line break becomes `?` too, so that repository text never starts a line of
/// its own (where a CI log would run it as a workflow command).
pub fn terminal_inline(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_ascii_control() => '?',
            c if c.is_control() || is_hidden(c) => REPLACEMENT,
            c => c,
        })
        .collect()
}

/// A CI log (GitHub Actions) runs a line that starts with `::` (after blanks) as a workflow
/// command (`::add-mask::`, `::stop-commands::`, `::error file=...::`), and its runner still reads
/// the older `##[command]` form. Every line of a text output whose first non-blank characters are
/// `::` or `##[` gets its first character replaced with a look-alike (`∶`, U+2236 RATIO, or `＃`):
/// it still reads the same and keeps its column count, but is no longer a command. A line
/// starting `:::` is left alone: the snippet renderer heads a second file's lines with `::: path`,
/// and the runner reads the word after `::` as the command's name, which would be `:`, a name no
/// command has. This is the last guard of every terminal output; repository text is already kept
/// on its own line by [`terminal_inline`].
pub fn defuse_workflow_commands(text: &str) -> String {
    if !text.contains("::") && !text.contains("##[") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let blanks = line.len() - line.trim_start().len();
        let (indent, rest) = line.split_at(blanks);
        out.push_str(indent);
        if rest.starts_with("::") && !rest.starts_with(":::") {
            out.push('\u{2236}');
            out.push_str(&rest[1..]);
        } else if rest.starts_with("##[") {
            out.push('\u{FF03}');
            out.push_str(&rest[1..]);
        } else {
            out.push_str(rest);
        }
    }
    out
}

/// The whole of a terminal output assembled from repository text: [`terminal`], then
/// [`defuse_workflow_commands`].
pub fn terminal_output(text: &str) -> String {
    defuse_workflow_commands(&terminal(text))
}

/// Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection"): `=`, `+`,
/// `-`, `@`, and the tab and carriage return some spreadsheets skip before them.
fn starts_formula(text: &str) -> bool {
    text.trim_start_matches(' ')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// One CSV field (RFC 4180), safe to open in a spreadsheet and to print in a terminal or a CI log:
/// - a line break and a carriage return become the two characters `\n` and `\r`, so that a record
///   is one line and no repository text starts a line of its own;
/// - every other control or hidden character becomes a space or a visible replacement;
/// - a field that starts with a formula character (after leading spaces) gets a leading `'`, and so
///   does each part of it after a `,` or `;`, which a spreadsheet set to another separator would
///   split into cells of their own;
/// - the field is quoted when it holds a comma, a quote or a semicolon, quotes doubled.
pub fn csv_field(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push('\t'),
            c if c.is_ascii_control() => escaped.push(' '),
            c if c.is_control() || is_hidden(c) => escaped.push(REPLACEMENT),
            c => escaped.push(c),
        }
    }
    let mut guarded = String::with_capacity(escaped.len() + 2);
    if starts_formula(&escaped) {
        guarded.push('\'');
    }
    let mut rest = escaped.as_str();
    while let Some(at) = rest.find([',', ';']) {
        let (part, after) = rest.split_at(at + 1);
        guarded.push_str(part);
        let spaces = after.len() - after.trim_start_matches(' ').len();
        guarded.push_str(&after[..spaces]);
        rest = &after[spaces..];
        if starts_formula(rest) {
            guarded.push('\'');
        }
    }
    guarded.push_str(rest);
    // Tabs were kept only so that a leading one is seen above; a tab in a cell is a space.
    let guarded = guarded.replace('\t', " ");
    if guarded.contains([',', '"', ';']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Markdown text escaped for a table cell: pipes, HTML, backticks, emphasis and link brackets from
/// the repository must not end the cell, inject markup or open code spans; line breaks and other
/// controls become spaces.
fn markdown_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("\\`"),
            '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c if is_hidden(c) => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

/// Whether GitHub would make something live of this text even when escaped: an `@mention` (which
/// notifies people or teams), a `#123` or `GH-123` reference, a bare URL or `www.` autolink, an
/// email autolink. A backslash does not stop these; a code span does.
fn has_live_reference(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let gh_reference = lower.match_indices("gh-").any(|(at, _)| {
        lower[at + 3..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    });
    text.contains(['@', '#'])
        || gh_reference
        || lower.contains("://")
        || lower.contains("www.")
        || lower.contains("mailto:")
}

/// Repository text for a Markdown table cell (a pull-request comment, a register). Plain text is
/// escaped ([`markdown_escaped`]); text GitHub would turn into a mention, a reference or a link is
/// shown as a code span instead ([`markdown_code`]), where GitHub links nothing.
pub fn markdown_cell(text: &str) -> String {
    if has_live_reference(text) {
        markdown_code(text)
    } else {
        markdown_escaped(text)
    }
}

/// Repository text as a Markdown code span, for a table cell: its backticks are fenced by a longer
/// run, its pipes escaped (a table splits cells before it parses code spans), its line breaks and
/// controls made spaces. Inside a code span GitHub makes no mention, reference, link or HTML.
pub fn markdown_code(text: &str) -> String {
    let mut content = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match c {
            '|' => content.push_str("\\|"),
            c if c.is_control() => content.push(' '),
            c if is_hidden(c) => content.push(REPLACEMENT),
            c => content.push(c),
        }
    }
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A code span that starts or ends with a backtick (or a blank) needs a space inside its fence.
    let pad = if content.starts_with(['`', ' ']) || content.ends_with(['`', ' ']) {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{content}{pad}{fence}")
}

/// `file:line` as a link to the file of the repository, or as code when a link could leave it or
/// break: an absolute path, an empty, `.` or `..` segment (percent-encoding does not help: URL
/// parsers decode `%2E%2E`), a backslash (a separator to some browsers), characters a link would
/// need to encode (spaces, parentheses, ...), or text GitHub would make live.
pub fn markdown_file_link(path: &str, line: u32) -> String {
    let plain = path.bytes().all(|b| is_unreserved(b) || b == b'/');
    let leaves = path.starts_with('/')
        || path
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..");
    if plain && !leaves && !has_live_reference(path) {
        format!("[{}:{line}]({path}#L{line})", markdown_escaped(path))
    } else {
        markdown_code(&format!("{path}:{line}"))
    }
}

/// The bytes RFC 3986 leaves unreserved in a URI: letters, digits, `-`, `.`, `_` and `~`.
/// Every other byte of repository text in a URI is percent-encoded ([`percent_encode`]) or, in a
/// Markdown link, keeps the link from being written ([`markdown_file_link`]).
pub fn is_unreserved(byte: u8) -> bool {
    matches!(byte, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~')
}

/// Repository text as a URI reference (SARIF `artifactLocation.uri`): every byte outside the
/// unreserved set as `%XX` (upper-case hex, per byte of the UTF-8), `/` kept as the separator
/// unless `encode_slash`, so that a `\`, space, `%`, `#` or `?` stays part of a name.
pub fn percent_encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if is_unreserved(byte) || (byte == b'/' && !encode_slash) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
        }
    }
    out
}

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Repository text inside a TOML comment: a comment ends at a line break, so one from the
/// repository would start a live line (`[policy]`, `fail_on = "never"`). Line breaks and every
/// other control (which TOML forbids in comments) become spaces, hidden characters a visible
/// replacement.
pub fn toml_comment(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            c if is_hidden(c) => REPLACEMENT,
            c => c,
        })
        .collect()
}

/// A TOML basic string: quotes and backslashes escaped, every control and hidden character as a
/// `\uXXXX` escape, so the value is exact and stays on its line.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || is_hidden(c) => {
                let code = c as u32;
                if code > 0xFFFF {
                    out.push_str(&format!("\\U{code:08X}"));
                } else {
                    out.push_str(&format!("\\u{code:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Repository text for HTML, as text content or as a quoted attribute value (either quote): `&`,
/// `<`, `>`, `"` and `'` as character references, so that no text starts a tag, ends an attribute
/// or forms an entity of its own; every control character but the line break and the tab, every
/// hidden character ([`is_hidden`], bidi controls among them) and the noncharacters HTML calls
/// parse errors become a visible replacement.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_hidden(c) || is_noncharacter(c) => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

/// The code points Unicode sets aside as never being characters: `U+FDD0..=U+FDEF` and the last
/// two of every plane.
fn is_noncharacter(c: char) -> bool {
    let code = c as u32;
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_only_unreserved_bytes() {
        assert_eq!(percent_encode("src/a-b_c.~d", false), "src/a-b_c.~d");
        assert_eq!(percent_encode("src/a-b_c.~d", true), "src%2Fa-b_c.~d");
        assert_eq!(
            percent_encode("a b%#?\\[]:@", false),
            "a%20b%25%23%3F%5C%5B%5D%3A%40"
        );
        // Every byte of a multi-byte character, upper-case.
        assert_eq!(percent_encode("ü\u{202e}", false), "%C3%BC%E2%80%AE");
        assert_eq!(percent_encode("%41", false), "%2541");
        for byte in 0..128u8 {
            let text = char::from(byte).to_string();
            let kept = percent_encode(&text, true) == text;
            assert_eq!(kept, is_unreserved(byte), "byte {byte}");
        }
    }

    #[test]
    fn terminal_text_keeps_one_character_for_each() {
        let hostile = "a\u{1b}[31mb\u{9b}c\u{202e}d\u{200b}e\r\nf\tg";
        let clean = terminal(hostile);
        assert_eq!(clean, "a?[31mb\u{FFFD}c\u{FFFD}d\u{FFFD}e?\nf\tg");
        assert_eq!(clean.chars().count(), hostile.chars().count());
        assert_eq!(terminal_inline("a\nb\tc"), "a?b c");
    }

    #[test]
    fn workflow_commands_are_defused_on_every_line() {
        assert_eq!(
            defuse_workflow_commands(
                "ok\n::error::x\n  ::add-mask::y\na::b\n ::: f.rs\n##[error]x"
            ),
            "ok\n\u{2236}:error::x\n  \u{2236}:add-mask::y\na::b\n ::: f.rs\n\u{FF03}#[error]x"
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("  =1"), "'  =1");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("a; =1"), "\"a; '=1\"");
        assert_eq!(csv_field("two\nlines"), "two\\nlines");
        assert_eq!(csv_field("a\u{1b}[31mred\u{7}\r"), "a [31mred \\r");
        assert_eq!(csv_field("\tx"), "' x");
        assert_eq!(csv_field("\rx"), "\\rx");
        assert_eq!(csv_field("2026-01-01"), "2026-01-01");
    }

    #[test]
    fn markdown_references_become_code() {
        assert_eq!(markdown_cell("plain|x"), "plain\\|x");
        assert_eq!(markdown_cell("high-risk GH-7"), "`high-risk GH-7`");
        assert_eq!(markdown_cell("high-risk"), "high-risk");
        assert_eq!(markdown_cell("@org/team"), "`@org/team`");
        assert_eq!(markdown_cell("fixes #12 `x`"), "`` fixes #12 `x` ``");
        assert_eq!(markdown_cell("a|@b"), "`a\\|@b`");
        assert_eq!(
            markdown_cell("see https://evil.example"),
            "`see https://evil.example`"
        );
        assert_eq!(
            markdown_file_link("src/my_file.rs", 3),
            "[src/my\\_file.rs:3](src/my_file.rs#L3)"
        );
        assert_eq!(markdown_file_link("../x.rs", 3), "`../x.rs:3`");
        assert_eq!(markdown_file_link("a b(1).rs", 3), "`a b(1).rs:3`");
        assert_eq!(markdown_file_link("a\\..\\b.rs", 3), "`a\\..\\b.rs:3`");
    }

    #[test]
    fn html_text_is_inert_in_content_and_attributes() {
        assert_eq!(
            html_escape("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(html_escape("\" onload=\"x"), "&quot; onload=&quot;x");
        assert_eq!(html_escape("a'b&amp;"), "a&#39;b&amp;amp;");
        assert_eq!(
            html_escape("rtl\u{202E}gnp\u{2066}\u{1b}[31m\u{9b}\r\u{FFFF}\u{FDD0}"),
            "rtl\u{FFFD}gnp\u{FFFD}\u{FFFD}[31m\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"
        );
        assert_eq!(html_escape("two\nlines\tü"), "two\nlines\tü");
    }

    #[test]
    fn toml_text_stays_on_its_line() {
        assert_eq!(toml_comment("a\n[policy]\r"), "a [policy] ");
        assert_eq!(toml_string("a\n\"b\\"), "\"a\\u000A\\\"b\\\\\"");
    }
}
