//! Hostile repository text against each sink it reaches: terminals and CI logs (text report,
//! `explain`, `rules`), spreadsheets (`ropa --format csv`), pull-request comments (`--format
//! markdown`), the starter manifest of `init`; and reports that stay proportional to their
//! findings (long source lines, many flows).

use crate::support::{
    FIXTURE_DATE, assert_finished_within_bounds, assert_markdown_tables, borderline,
    borderline_bounded, stdout,
};
use std::path::Path;

/// Ids, purposes and a vendor's name carrying CI workflow commands after line breaks, terminal
/// escapes, bidi overrides and zero-width characters, spreadsheet formulas (also after a `;` or a
/// space), and Markdown mentions, references, URLs and HTML.
pub(crate) const MANIFEST: &str = r#"[[node]]
id = "web"
location = "DE"

[[node]]
id = "cmd\n::add-mask::secret\n::error file=x::pwned"
kind = "vendor"
location = "US"

[[node]]
id = "bidi\u202Egnp.exe\u2066x\u2069\u200Bzw\u200E\u061C\u001b[2J"
kind = "vendor"
location = "US"

[[node]]
id = "=HYPERLINK(\"http://evil.example\",\"x\")"
kind = "vendor"
location = "US"
label = "  -2+3"

[[node]]
id = "safe; =cmd|' /C calc'!A0"
kind = "vendor"
location = "US"

[[node]]
id = "@octocat please see #123 and GH-7 at https://evil.example/x and www.evil.example"
kind = "vendor"
location = "US"

[[node]]
id = "<img src=x onerror=alert(1)>&amp;@org/team"
kind = "vendor"
location = "US"

[[node]]
id = "two\nlines\r\n##[error]old"
kind = "vendor"
location = "US"

[[flow]]
from = "web"
to = "cmd\n::add-mask::secret\n::error file=x::pwned"
data = ["user.contact"]
purpose = "analytics\n::stop-commands::token\n  ::warning::indented"

[[flow]]
from = "web"
to = "bidi\u202Egnp.exe\u2066x\u2069\u200Bzw\u200E\u061C\u001b[2J"
data = ["user.contact"]
purpose = "\u202Ereversed"

[[flow]]
from = "web"
to = "=HYPERLINK(\"http://evil.example\",\"x\")"
data = ["user.contact"]
purpose = "@SUM(1+1)"

[[flow]]
from = "web"
to = "safe; =cmd|' /C calc'!A0"
data = ["user.contact"]
purpose = "\t=1+2"

[[flow]]
from = "web"
to = "@octocat please see #123 and GH-7 at https://evil.example/x and www.evil.example"
data = ["user.contact"]

[[flow]]
from = "web"
to = "<img src=x onerror=alert(1)>&amp;@org/team"
data = ["user.contact"]

[[flow]]
from = "web"
to = "two\nlines\r\n##[error]old"
data = ["user.contact"]
purpose = "\r=cmd"
"#;

/// A Deployment sending data to `url`: its file names carry a line break, a workflow command and
/// a TOML table; a Windows path leaving the repository; spaces and parentheses.
fn deployment(name: &str, url: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      affinity:\n        nodeAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            nodeSelectorTerms:\n              - matchExpressions:\n                  - key: topology.kubernetes.io/region\n                    operator: In\n                    values: [europe-west3]\n      containers:\n        - name: c-{name}\n          env:\n            - name: API_URL\n              value: {url}\n"
    )
}
const HOSTILE_FILE: &str = "deploy\n::add-mask::x\n[policy]\nfail_on = \"never\"\n#\u{202e}.yaml";
const LEAVING_FILE: &str = "..\\..\\attacker (1)\\deploy.yaml";

fn hostile_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("borderline.toml"), MANIFEST).unwrap();
    std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
    let sentry = "https://77ac@o4503.ingest.sentry.io/4508";
    let mixpanel = "https://api.mixpanel.com/track";
    let k8s = dir.path().join("k8s");
    std::fs::write(k8s.join(HOSTILE_FILE), deployment("app", sentry)).unwrap();
    std::fs::write(k8s.join(LEAVING_FILE), deployment("other", mixpanel)).unwrap();
    std::fs::create_dir_all(k8s.join("attacker (1)")).unwrap();
    std::fs::write(
        k8s.join("attacker (1)/deploy.yaml"),
        deployment("third", "https://in.mixpanel.com/track"),
    )
    .unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--date", FIXTURE_DATE]);
    let output = borderline(dir, &all);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

/// Bidi controls and marks, zero-width and other invisible format characters.
fn is_hidden(c: char) -> bool {
    matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0x061C | 0xFEFF)
}

/// Whether GitHub's runner would read a log line as a workflow command: after blanks, `::` and a
/// command name (`:::`, the snippet renderer's heading of a second file, names none), or the
/// older `##[`.
fn is_workflow_command(line: &str) -> bool {
    let line = line.trim_start();
    (line.starts_with("::") && !line.starts_with(":::")) || line.starts_with("##[")
}

/// Every line of a terminal output: no workflow command, no control but the tab, nothing hidden.
fn assert_terminal_safe(what: &str, text: &str) {
    for line in text.lines() {
        assert!(
            !is_workflow_command(line),
            "{what}: a CI log would run this line: {line:?}"
        );
        let bad: Vec<char> = line
            .chars()
            .filter(|c| (c.is_control() && *c != '\t') || is_hidden(*c))
            .collect();
        assert!(bad.is_empty(), "{what}: {bad:?} in {line:?}");
    }
}

#[test]
fn terminal_outputs_have_no_workflow_command_control_or_hidden_character() {
    let dir = hostile_repository();
    let text = run(dir.path(), &["scan", "."]);
    assert!(text.contains("add-mask"), "{text}");
    assert!(text.contains("deploy"), "{text}");
    assert_terminal_safe("scan", &text);

    let explain = run(
        dir.path(),
        &[
            "explain",
            "web->cmd\n::add-mask::secret\n::error file=x::pwned",
            "--path",
            ".",
        ],
    );
    assert!(explain.contains("stop-commands"), "{explain}");
    assert_terminal_safe("explain", &explain);
    let explain = run(
        dir.path(),
        &[
            "explain",
            "web->bidi\u{202E}gnp.exe\u{2066}x\u{2069}\u{200B}zw\u{200E}\u{061C}\u{1b}[2J",
            "--path",
            ".",
        ],
    );
    assert!(explain.contains("reversed"), "{explain}");
    assert_terminal_safe("explain", &explain);

    // A misspelt id is echoed in the error, with the closest id of the repository.
    let unknown = borderline(
        dir.path(),
        &[
            "explain",
            "web->cmd\n::add-mask::secre",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert_terminal_safe("explain error", &String::from_utf8_lossy(&unknown.stderr));
}

/// A rule-data directory (which a workflow may take from the checkout) whose titles carry line
/// breaks and escapes.
#[test]
fn rules_listing_neutralises_rule_data() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    crate::support::copy_dir(&crate::support::workspace_root().join("rules"), &rules);
    let file = rules.join("adequacy.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let hostile = text.replacen(
        "title = \"",
        "title = \"\\n::add-mask::x\\u001b[2J\\u202E ",
        1,
    );
    assert_ne!(hostile, text, "the rule data has no title to poison");
    std::fs::write(&file, hostile).unwrap();
    let output = borderline(
        dir.path(),
        &["rules", "--rules", "rules", "--date", FIXTURE_DATE],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = stdout(&output);
    assert!(listing.contains("add-mask"), "{listing}");
    assert_terminal_safe("rules", &listing);
}

/// RFC 4180 records: quoted fields may hold commas, quotes and line breaks.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted CSV field");
    records
}

/// Whether a spreadsheet would run this (part of a) cell as a formula.
fn starts_formula(text: &str) -> bool {
    text.trim_start_matches(' ')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[test]
fn register_csv_has_one_line_per_record_and_no_formula() {
    let dir = hostile_repository();
    let csv = run(dir.path(), &["ropa", ".", "--format", "csv"]);
    let records = csv_records(&csv);
    assert!(records.len() >= 8, "{csv}");
    // One record per line: a line break from the repository would start a line of its own.
    assert_eq!(csv.lines().count(), records.len(), "{csv}");
    assert_terminal_safe("csv", &csv.replace("\r\n", "\n"));
    for record in &records {
        assert_eq!(record.len(), records[0].len(), "{record:?}");
        for cell in record {
            assert!(!starts_formula(cell), "formula cell {cell:?}");
            // A spreadsheet set to `;` (or `,`) as its separator splits the cell there.
            for part in cell.split([';', ',']).skip(1) {
                assert!(
                    !starts_formula(part),
                    "formula after a separator in {cell:?}"
                );
            }
            assert!(!cell.contains(['\n', '\r']), "{cell:?}");
        }
    }
    assert!(
        csv.contains("two\\nlines"),
        "line breaks are escaped, not dropped: {csv}"
    );
}

/// Removes code spans (any fence length) from a line: inside them GitHub makes nothing live.
fn outside_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let fence = after.len() - after.trim_start_matches('`').len();
        let body = &after[fence..];
        let closing = "`".repeat(fence);
        match body.find(&closing) {
            Some(end) => rest = &body[end + fence..],
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Outside code spans and fenced blocks: no mention, no `#123` or `GH-1` reference, no bare URL
/// or `www.` autolink, no raw HTML; links only to paths inside the repository.
fn assert_markdown_inert(what: &str, text: &str) {
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let live = outside_code_spans(line);
        let lower = live.to_ascii_lowercase();
        let chars: Vec<char> = live.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            assert!(
                !(*c == '@' && (next.is_alphanumeric() || next == '_')),
                "{what}: a mention in {line:?}"
            );
            assert!(
                !(*c == '#' && next.is_ascii_digit()),
                "{what}: an issue reference in {line:?}"
            );
        }
        for word in ["://", "www.", "gh-7", "<img", "&amp;amp;"] {
            assert!(!lower.contains(word), "{what}: `{word}` live in {line:?}");
        }
        // Links: `](target)`; a target must be a plain relative path without `..`.
        let mut rest = live.as_str();
        while let Some(at) = rest.find("](") {
            let target = &rest[at + 2..];
            let end = target.find(')').unwrap_or(target.len());
            let target = &target[..end];
            let path = target.split('#').next().unwrap_or("");
            assert!(
                !path.starts_with('/')
                    && !path.contains('\\')
                    && !path.contains("%")
                    && !path
                        .split('/')
                        .any(|s| s == ".." || s == "." || s.is_empty()),
                "{what}: a link that may leave the repository: {target:?} in {line:?}"
            );
            rest = &rest[at + 2 + end..];
        }
    }
}

#[test]
fn markdown_outputs_make_nothing_live_and_link_only_inside_the_repository() {
    let dir = hostile_repository();
    let comment = run(dir.path(), &["scan", ".", "--format", "markdown"]);
    assert!(comment.contains("octocat"), "{comment}");
    assert!(comment.contains("attacker"), "{comment}");
    assert_markdown_inert("scan markdown", &comment);
    assert_markdown_tables("scan markdown", &comment);

    let register = run(dir.path(), &["ropa", ".", "--format", "markdown"]);
    assert!(register.contains("octocat"), "{register}");
    assert_markdown_inert("ropa markdown", &register);
    assert_markdown_tables("ropa markdown", &register);
}

#[test]
fn init_writes_repository_text_only_as_comments_and_escaped_strings() {
    let dir = hostile_repository();
    // `init` refuses to overwrite a manifest: this repository has only the hostile files.
    std::fs::remove_file(dir.path().join("borderline.toml")).unwrap();
    let output = borderline(dir.path(), &["init", ".", "--date", FIXTURE_DATE]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap();
    assert!(written.contains("fail_on"), "{written}");
    let parsed: toml::Table = toml::from_str(&written)
        .unwrap_or_else(|e| panic!("the starter manifest is not TOML: {e}\n{written}"));
    let keys: Vec<&String> = parsed.keys().collect();
    assert_eq!(keys, ["project"], "{written}");
    assert_terminal_safe("init", &written);
}

/// A one-line JSON of about 100 KB with a vendor endpoint every ten entries: each finding shows a
/// window of the line, so the report grows with the findings, not with findings × line length.
#[test]
fn a_long_source_line_is_shown_as_a_window() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("svc")).unwrap();
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[[node]]\nid = \"svc\"\nkind = \"service\"\nlocation = \"DE\"\npaths = [\"svc\"]\n",
    )
    .unwrap();
    let entries: Vec<String> = (0..3000)
        .map(|i| {
            if i % 10 == 0 {
                // One recipient each (a project's own Supabase host): the flows to one
                // recipient would be one flow with one finding.
                format!("\"Db{i}\": \"https://db{i}.supabase.co\"")
            } else {
                format!("\"Key{i}\": \"xxxxxxxxxxxxxxxxxxxx\"")
            }
        })
        .collect();
    let line = format!("{{\"Sentry\": {{{}}}}}", entries.join(", "));
    assert!(line.len() > 90_000);
    std::fs::write(dir.path().join("svc/appsettings.json"), &line).unwrap();
    let args = ["scan", ".", "--date", FIXTURE_DATE];
    let output = borderline_bounded(dir.path(), &args, 1024, 20);
    assert_finished_within_bounds(&output, "a long source line");
    let text = stdout(&output);
    let findings = text.matches("-->").count();
    assert!(
        findings >= 300,
        "{findings} findings\n{}",
        &text[..text.len().min(2000)]
    );
    assert!(
        text.len() < findings * 3000,
        "{} bytes of text for {findings} findings",
        text.len()
    );
    // Messages are long sentences; a source line is at most its window and the ellipses.
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest < 1000, "a line of {longest} characters");
    // The places stay exact: each heading names the finding's line and column in the file.
    let json = stdout(&borderline(
        dir.path(),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    ));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let places: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = &f["location"];
            format!(
                "{}:{}:{}",
                at["file"].as_str().unwrap(),
                at["line"],
                at["column"]
            )
        })
        .collect();
    let headings: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--> "))
        .map(str::to_string)
        .collect();
    assert_eq!(headings, places);
}

/// 10,000 flows out of one manifest: the text report, the Markdown comment and `explain` stay
/// linear (the text report was quadratic: each finding's snippet walked the whole manifest).
#[test]
fn many_flows_are_reported_in_bounded_work() {
    let dir = tempfile::tempdir().unwrap();
    let count = 10_000;
    let mut manifest = String::from("[[node]]\nid = \"web\"\nlocation = \"DE\"\n\n");
    for i in 0..count {
        manifest.push_str(&format!(
            "[[node]]\nid = \"v{i}\"\nkind = \"vendor\"\nlocation = \"US\"\n\n"
        ));
    }
    for i in 0..count {
        manifest.push_str(&format!(
            "[[flow]]\nfrom = \"web\"\nto = \"v{i}\"\ndata = [\"user.contact\"]\n\n"
        ));
    }
    std::fs::write(dir.path().join("borderline.toml"), manifest).unwrap();
    let last = format!("web->v{}", count - 1);
    for args in [
        vec!["scan", ".", "--date", FIXTURE_DATE],
        vec!["scan", ".", "--format", "markdown", "--date", FIXTURE_DATE],
        vec!["explain", last.as_str(), "--date", FIXTURE_DATE],
    ] {
        let output = borderline_bounded(dir.path(), &args, 1024, 20);
        assert_finished_within_bounds(&output, &format!("{args:?} over {count} flows"));
        assert!(!output.stdout.is_empty(), "{args:?}");
    }
}

/// `explain` over 40,000 flows out of one node: the path search looked at every flow for each
/// node it reached, quadratic in flows.
#[test]
fn explain_over_many_flows_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let count = 40_000;
    let mut manifest = String::from("[[node]]\nid = \"web\"\nlocation = \"DE\"\n\n");
    for i in 0..count {
        manifest.push_str(&format!(
            "[[node]]\nid = \"v{i}\"\nkind = \"vendor\"\nlocation = \"US\"\n\n"
        ));
    }
    for i in 0..count {
        manifest.push_str(&format!(
            "[[flow]]\nfrom = \"web\"\nto = \"v{i}\"\ndata = [\"user.contact\"]\n\n"
        ));
    }
    std::fs::write(dir.path().join("borderline.toml"), manifest).unwrap();
    let last = format!("web->v{}", count - 1);
    let args = ["explain", last.as_str(), "--date", FIXTURE_DATE];
    let output = borderline_bounded(dir.path(), &args, 1024, 20);
    assert_finished_within_bounds(&output, &format!("explain over {count} flows"));
    assert!(stdout(&output).contains("path of the data"));
}
