//! Template files that are YAML once rendered: Helm and other Go templates (`{{ }}`), Jinja
//! (`{% %}`, `{{ }}`, `{# #}`), ERB (`<% %>`) and Terraform templates (`%{ }`, `${ }`, read by
//! `templatefile`).
//!
//! A template is not a malformed file. The YAML readers ask [`by_name`] before parsing whether a
//! file is a template (and [`by_content`], [`markers`] when it does not parse as written), and
//! [`blank`] replaces every directive by spaces of the same byte length
//! (newlines kept), so that the literal text between directives is parsed and scanned for hosts
//! as today and every span still points at the right line and column of the file as written.
//! What a directive would have produced is unknown and read as nothing: never guessed.

use camino::Utf8Path;

/// The template syntaxes a file uses, as recognised from its name, place and text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Syntax {
    /// Go templates (Helm charts, `*.gotmpl`) and Jinja expressions: `{{ ... }}`.
    pub braces: bool,
    /// Jinja statements and comments: `{% ... %}`, `{# ... #}`.
    pub jinja: bool,
    /// ERB tags: `<% ... %>`.
    pub erb: bool,
    /// Terraform template directives and interpolations: `%{ ... }`, `${ ... }`.
    pub terraform: bool,
}

impl Syntax {
    pub fn any(self) -> bool {
        self.braces || self.jinja || self.erb || self.terraform
    }
}

/// Extensions of files that are templates whatever they hold.
const TERRAFORM_EXTENSIONS: [&str; 2] = ["tftpl", "tpl"];
const JINJA_EXTENSIONS: [&str; 3] = ["j2", "jinja", "jinja2"];
const GO_EXTENSIONS: [&str; 3] = ["gotmpl", "tmpl", "gotpl"];

/// The template syntaxes a file is recognised by before any parsing, from its name and place: a
/// template extension (`*.tftpl`, `*.tpl`, `*.j2`, `*.erb`, `*.gotmpl`) or a Helm chart's
/// `templates/` directory holding `{{ }}`. `None` for any other file: it is parsed as written,
/// since a valid values file may hold Go templates inside its strings (jiralert's issue
/// templates) that must stay as they are.
pub fn by_name(path: &Utf8Path, text: &str) -> Option<Syntax> {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    let extensions: Vec<&str> = name.split('.').skip(1).collect();
    let has = |list: &[&str]| extensions.iter().any(|e| list.contains(e));
    let mut found = Syntax {
        terraform: has(&TERRAFORM_EXTENSIONS),
        jinja: has(&JINJA_EXTENSIONS),
        braces: has(&JINJA_EXTENSIONS) || has(&GO_EXTENSIONS),
        erb: has(&["erb"]),
    };
    // A Helm chart's templates are Go templates wherever a directive sits.
    if path.components().any(|c| c.as_str() == "templates") && text.contains("{{") {
        found.braces = true;
    }
    found.any().then_some(found)
}

/// The template syntaxes a file that did not parse as written shows itself to be written in: a
/// line that starts with a directive (`{{- if ... }}`, `{% for %}`, `%{ for ... ~}`,
/// `<% if %>`), which no YAML document can start a line with. Terraform's cloud-init files
/// (`#cloud-config`, then `%{ if }` at the first column) are recognised so.
pub fn by_content(text: &str) -> Option<Syntax> {
    let mut found = Syntax::default();
    for line in text.lines().take(MAX_LINES) {
        let line = line.trim_start();
        let line = line.strip_prefix("- ").unwrap_or(line).trim_start();
        if line.starts_with("{{") {
            found.braces = true;
        } else if line.starts_with("{%") || line.starts_with("{#") {
            found.jinja = true;
            found.braces |= text.contains("{{");
        } else if line.starts_with("%{") {
            found.terraform = true;
        } else if line.starts_with("<%") {
            found.erb = true;
        }
    }
    found.any().then_some(found)
}

/// The syntaxes whose markers appear anywhere in `text`: for a file that did not parse as
/// written, the second chance before it is called malformed.
pub fn markers(text: &str) -> Option<Syntax> {
    let found = Syntax {
        braces: text.contains("{{"),
        jinja: text.contains("{%"),
        erb: text.contains("<%"),
        terraform: text.contains("%{") || text.contains("${"),
    };
    found.any().then_some(found)
}

/// How many lines [`by_content`] looks at: a directive that opens a template is near its top, and a
/// hostile file must not make recognition slow.
const MAX_LINES: usize = 20_000;

/// `text` with every directive of `syntax` replaced by spaces of the same byte length, newlines
/// kept. An unclosed directive runs to the end of the text (the template engine would refuse it).
/// Terraform's escapes `$${` and `%%{` are literal text and kept.
pub fn blank(text: &str, syntax: Syntax) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    // Whether only indentation (or a sequence dash, or blanked directives) precedes `i` on its line.
    let mut indented = true;
    // Each step either moves past one byte or past a whole directive: the loop is linear.
    while i < bytes.len() {
        let end = match (bytes[i], bytes.get(i + 1).copied()) {
            (b'{', Some(b'{')) if syntax.braces => Some(close(bytes, i + 2, b"}}")),
            (b'{', Some(b'%')) if syntax.jinja => Some(close(bytes, i + 2, b"%}")),
            (b'{', Some(b'#')) if syntax.jinja => Some(close(bytes, i + 2, b"#}")),
            (b'<', Some(b'%')) if syntax.erb => Some(close(bytes, i + 2, b"%>")),
            (b'$' | b'%', Some(b'{')) if syntax.terraform => {
                if i > 0 && bytes[i - 1] == bytes[i] {
                    // `$${` / `%%{`: an escaped, literal `${` / `%{`.
                    None
                } else {
                    Some(close_braced(bytes, i + 2))
                }
            }
            _ => None,
        };
        match end {
            Some(mut end) => {
                if writes_a_key(bytes, indented, end) {
                    end = line_end(bytes, end);
                }
                for byte in &mut out[i..end] {
                    if *byte != b'\n' && *byte != b'\r' {
                        *byte = b' ';
                    }
                }
                // A blanked directive is spaces (and the newlines it spans): indentation.
                if out[i..end].contains(&b'\n') {
                    indented = true;
                }
                i = end;
            }
            None => {
                indented = match bytes[i] {
                    b'\n' => true,
                    b' ' | b'\t' | b'-' => indented,
                    _ => false,
                };
                i += 1;
            }
        }
    }
    empty_directive_lines(bytes, &mut out);
    // Only whole directives, which start and end at ASCII delimiters, were replaced by ASCII
    // spaces and newlines, so the bytes are still UTF-8; the fallback keeps the text as written.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Turns each line that held only directives (now only spaces) into as many empty lines as it
/// had bytes. YAML refuses a block scalar (`config.yaml: |`) whose leading blank lines are
/// indented deeper than its text, which a Helm `{{- if }}` at the first column followed by
/// indented text would make; empty lines are blank everywhere. Byte offsets, and so every span
/// into the file as written, stay the same; only the parser's own line count moves, and it is
/// used for nothing but errors.
fn empty_directive_lines(original: &[u8], out: &mut [u8]) {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r');
    let mut start = 0;
    while start < original.len() {
        let end = original[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(original.len(), |p| start + p);
        if !original[start..end].iter().all(blank) && out[start..end].iter().all(blank) {
            for byte in &mut out[start..end] {
                *byte = b'\n';
            }
        }
        start = end + 1;
    }
}

/// True when the directive ending at `end`, with only indentation before it on its line
/// (`indented`), is a mapping key (`{{ $key }}: {{ $value }}` in a `range`): a `:` follows it.
/// The whole entry is then blanked, since a key of spaces is no YAML and the entry's key is
/// unknown anyway.
fn writes_a_key(bytes: &[u8], indented: bool, end: usize) -> bool {
    // Only spaces are skipped, and the main loop walks them next: linear overall.
    let after = bytes[end..]
        .iter()
        .find(|b| **b != b' ' && **b != b'\t')
        .copied();
    indented && after == Some(b':')
}

/// The offset of the end of the line `from` is on (its newline, or the end of the text).
fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|b| *b == b'\n' || *b == b'\r')
        .map_or(bytes.len(), |p| from + p)
}

/// The offset just past the first `closing` at or after `from`, or the end of the text.
fn close(bytes: &[u8], from: usize, closing: &[u8; 2]) -> usize {
    let mut i = from;
    while i + 1 < bytes.len() {
        if bytes[i] == closing[0] && bytes[i + 1] == closing[1] {
            return i + 2;
        }
        i += 1;
    }
    bytes.len()
}

/// The offset just past the `}` that closes a Terraform `${`/`%{` whose body starts at `from`:
/// braces nest (`${ { a = 1 }["a"] }`) and quoted strings may hold braces of their own.
fn close_braced(bytes: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut quoted = false;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'{' if !quoted => depth += 1,
            b'}' if !quoted && depth == 0 => return i + 1,
            b'}' if !quoted => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn recognised_by_name_place_and_leading_directive() {
        let helm = by_name(
            Utf8Path::new("charts/web/templates/configmap.yaml"),
            "data:\n  a: {{ .Values.a }}\n",
        );
        assert!(helm.is_some_and(|s| s.braces));
        assert!(
            by_name(Utf8Path::new("cloud-init.yaml.tftpl"), "a: 1\n").is_some_and(|s| s.terraform)
        );
        assert!(by_name(Utf8Path::new("nginx.conf.j2"), "a: 1\n").is_some_and(|s| s.jinja));
        assert!(by_name(Utf8Path::new("database.yml.erb"), "a: 1\n").is_some_and(|s| s.erb));
        // A values file is not recognised by name, whatever its strings hold.
        assert_eq!(
            by_name(
                Utf8Path::new("charts/jiralert/values.yaml"),
                "t: |\n  {{ define \"x\" }}{{ end }}\n"
            ),
            None
        );
        assert!(
            by_content("#cloud-config\n%{ for u in users ~}\n- ${u}\n%{ endfor ~}\n")
                .is_some_and(|s| s.terraform)
        );
        // A valid YAML file whose strings hold `{{ }}` (an alert's message) is not a template.
        assert_eq!(
            by_content("summary: \"{{ $labels.instance }} is down\"\n"),
            None
        );
    }

    #[test]
    fn hostile_templates_keep_their_length_newlines_and_characters() {
        let all = Syntax {
            braces: true,
            jinja: true,
            erb: true,
            terraform: true,
        };
        // Unclosed and nested openers of every syntax, multi-byte characters inside and around
        // directives, escapes at the very end, a key directive on the last line without a newline.
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(match i % 7 {
                0 => "{{ é",
                1 => "${${${ 日本",
                2 => "%{ if ~}\r\n",
                3 => "<%= ü %",
                4 => "{% {# \n",
                5 => "$$",
                _ => "  {{ $k }}:",
            });
        }
        text.push_str("%%{");
        let blanked = blank(&text, all);
        assert_eq!(blanked.len(), text.len());
        for (a, b) in text.bytes().zip(blanked.bytes()) {
            // Newlines stay where they were; other bytes are kept or become spaces or newlines.
            if a == b'\n' {
                assert_eq!(b, b'\n');
            } else {
                assert!(a == b || b == b' ' || b == b'\n');
            }
        }
        // The directives really were blanked: `blank` falls back to the text as written only if
        // blanking split a character, which whole directives never do.
        assert!(!blanked.contains("{{") && !blanked.contains("<%") && !blanked.contains("${"));
        // The first unclosed `{{` runs to the end of the text, as the engine would refuse it.
        assert!(
            blanked
                .trim_matches(|c| c == ' ' || c == '\n' || c == '\r')
                .is_empty()
        );
        // Closed directives around multi-byte text keep the text and the escape.
        assert_eq!(blank("{{ é }}é%%{ x", all), "        é%%{ x");
        assert_eq!(blank("", all), "");
        assert_eq!(blank("{{", all), "\n\n");
    }

    #[test]
    fn directives_are_blanked_to_the_same_length() {
        let all = Syntax {
            braces: true,
            jinja: true,
            erb: true,
            terraform: true,
        };
        let text = "{{- if .Values.x }}\nurl: https://api.example.com/{{ .p }}\n%{ for a in b ~}\n- ${a}\n%{ endfor }\nk: $${literal}\n<% end %>é{# c #}\n{% x";
        let blanked = blank(text, all);
        assert_eq!(blanked.len(), text.len());
        // A line that held only directives is empty lines; the others keep their length.
        assert!(blanked.starts_with(&"\n".repeat(20)));
        assert!(blanked.contains("url: https://api.example.com/        \n"));
        assert!(blanked.contains("k: $${literal}"));
        assert!(!blanked.contains("{{") && !blanked.contains("%{") && !blanked.contains("{%"));
        assert!(blank("${ {a = \"}\"}[\"a\"] } b", all).ends_with(" b"));
        // A directive that writes a key takes its whole entry with it.
        assert_eq!(
            blank("a: 1\n  {{ $k }}: {{ $v }}\nb: 2\n", all),
            format!("a: 1\n{}\nb: 2\n", "\n".repeat(20))
        );
        // A block scalar after a directive at the first column stays a block scalar.
        assert_eq!(
            blank("c: |\n{{- if .x }}\n    rules: []\n", all),
            format!("c: |\n{}\n    rules: []\n", "\n".repeat(12))
        );
        // Only the syntaxes asked for are blanked: a compose file's `${VAR}` stays.
        assert_eq!(blank("a: ${VAR}\n", Syntax::default()), "a: ${VAR}\n");
    }
}
