//! Shared bodies of the fuzz targets: each feeds fuzzer bytes to one input format the way a scan
//! would, and checks the invariants that must hold for any input (no panic, spans inside the file).
//!
//! Panics here are the point: a failed invariant must crash so that libFuzzer records the input.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use borderline::checks::policy_changed::manifest_changes;
use borderline::config::parse_manifest;
use borderline::extract::{ExtractContext, Owners, extract_all};
use borderline::facts::Facts;
use borderline::rules::RuleSet;
use borderline::source::{FileId, SourceFile, Span};
use std::sync::{Arc, OnceLock};

/// The built-in rule data, loaded once per process: loading it is far slower than one input.
pub fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().unwrap_or_else(|e| panic!("built-in rules: {e:?}")))
}

/// Fuzzer bytes as the text discovery would hand over: discovery refuses non-UTF-8 files, so a
/// lossy conversion keeps every input useful instead of discarding most of them.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn assert_inside(file: &SourceFile, span: Option<Span>, what: &str) {
    assert_within(file.path.as_str(), file.text.len(), span, what);
}

fn assert_within(path: &str, len: usize, span: Option<Span>, what: &str) {
    if let Some(span) = span {
        assert!(
            span.start <= span.end && span.end as usize <= len,
            "{what} span {}..{} outside {path} ({len} bytes)",
            span.start,
            span.end,
        );
    }
}

/// Runs every extractor that claims `path` over `data`, as one file, and checks every span. A
/// `Dockerfile` beside it makes its directory a service, so that extractors which read only code
/// that belongs to a node (outbound calls, SDKs) run on the fuzzer's bytes too.
pub fn extract(path: &str, data: &[u8]) {
    let file = SourceFile::new(FileId(0), path.into(), Arc::from(text(data)));
    let directory = path.rsplit_once('/').map_or("", |(directory, _)| directory);
    let dockerfile = SourceFile::new(
        FileId(1),
        if directory.is_empty() {
            "svc/Dockerfile".into()
        } else {
            format!("{directory}/Dockerfile").into()
        },
        Arc::from("FROM scratch\n"),
    );
    let owners = Owners::default();
    let ctx = ExtractContext {
        rules: rules(),
        owners: &owners,
        terraform: &[],
    };
    let facts: Facts = extract_all(&[file.clone(), dockerfile], &ctx);
    for node in &facts.nodes {
        assert_inside(&file, node.span, "node");
    }
    for flow in &facts.flows {
        assert_inside(&file, flow.span, "flow");
    }
    for diagnostic in &facts.diagnostics {
        assert_inside(&file, diagnostic.span, "diagnostic");
    }
}

/// Parses `data` as `borderline.toml`; every error must point at a line of the file. A valid
/// manifest is also compared as `--policy-from` does: with no manifest at REF (every change at a
/// span inside the file) and with itself (no change at all).
pub fn manifest(data: &[u8]) {
    let file = SourceFile::new(FileId(0), "borderline.toml".into(), Arc::from(text(data)));
    match parse_manifest(&file, rules()) {
        Err(errors) => {
            for error in errors {
                assert!(
                    error.line >= 1 && error.line as usize <= file.line_count(),
                    "{error}"
                );
            }
        }
        Ok(manifest) => {
            let path = "borderline.toml";
            for change in manifest_changes("main", None, Some(&manifest), path) {
                assert_inside(&file, change.span, "policy-changed");
            }
            let unchanged = manifest_changes("main", Some(&manifest), Some(&manifest), path);
            assert!(unchanged.is_empty(), "{unchanged:?}");
        }
    }
}

/// Parses `data` as a baseline: never a panic, and a baseline that parses writes back to JSON
/// that parses to the same baseline (what `--write-baseline` writes, `--baseline` reads).
pub fn baseline(data: &[u8]) {
    if let Ok(baseline) = borderline::baseline::Baseline::parse(&text(data)) {
        let again = borderline::baseline::Baseline::parse(&baseline.to_json())
            .unwrap_or_else(|e| panic!("a written baseline does not parse: {e}"));
        assert_eq!(again, baseline);
    }
}

/// Compiles `data` as an ignore file of a directory and matches paths of every shape against it:
/// never a panic, never more patterns than the cap.
pub fn ignore_file(data: &[u8]) {
    let dir = std::path::Path::new("/repo/app");
    let compiled = borderline::discover::compile_ignore_file(dir, &text(data));
    if let Ok(gitignore) = compiled.gitignore {
        assert!(
            gitignore.num_ignores() + gitignore.num_whitelists()
                <= borderline::discover::MAX_PATTERNS_PER_FILE as u64
        );
        for (path, is_dir) in [
            ("/repo/app/node_modules", true),
            ("/repo/app/src/main.tf", false),
            ("/repo/app/a\\b/.env", false),
            ("/repo/app/deep/er/still/x.yaml", false),
        ] {
            let _ = gitignore.matched_path_or_any_parents(path, is_dir);
        }
    }
}

/// Decodes `data` as the scanned root's `.git/index` and looks paths up in it: never a panic and
/// never an unbounded allocation, whatever the index declares.
pub fn git_index(data: &[u8]) {
    if let Ok(tracked) = borderline::discover::Tracked::from_index(data) {
        for path in ["terraform/terraform.tfvars", "", "a\\b/.env", "deep/er/x.yaml"] {
            let _ = tracked.tracks_file(path);
            let _ = tracked.tracks_below(path);
        }
    }
}

/// Parses `data` as a graph fragment and merges it with itself, as `merge a.json a.json` would:
/// never a panic, whatever the fragment declares.
pub fn fragment(data: &[u8]) {
    if let Ok(fragment) = borderline::merge::Fragment::parse("fragment.json", &text(data)) {
        let date = borderline::date::Date::parse("2026-11-29").unwrap();
        // Twice, so every node is shared and every verdict is judged again on the joined map.
        let fragments = [fragment.clone(), fragment];
        let _ = borderline::merge::merge(&fragments, rules(), date, None);
    }
}

/// The override file the first input byte picks: one of the loader's known files, or a region file.
pub fn rule_file(selector: u8) -> &'static str {
    let known = borderline::rules::KNOWN_FILES;
    known
        .get(usize::from(selector) % (known.len() + 1))
        .copied()
        .unwrap_or("regions/aws.toml")
}

/// Writes `data` as one rule-data override file and loads the rule data over it: the loader must
/// return errors, never panic.
pub fn rule_data(data: &[u8]) {
    let Some((&selector, content)) = data.split_first() else {
        return;
    };
    let name = rule_file(selector);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, content).unwrap();
    let _ = RuleSet::load(Some(dir.path()));
}

/// Paths of the generated repository, in the order the input's NUL-separated parts fill them.
const REPOSITORY: &[&str] = &[
    "borderline.toml",
    "infra/main.tf",
    "k8s/deploy.yaml",
    "docker-compose.yml",
    ".env",
    "src/lib.rs",
    "jobs/export.py",
    "appsettings.json",
];

/// Splits `data` at NUL bytes into the files of a small repository, scans it and renders every
/// output format. Every finding's span must lie inside its file.
pub fn scan(data: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    for (part, path) in data.split(|b| *b == 0).zip(REPOSITORY) {
        let full = dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&full, part).unwrap();
    }
    let options = borderline::scan::ScanOptions {
        root: dir.path().to_path_buf(),
        config: None,
        date: borderline::date::Date {
            year: 2026,
            month: 11,
            day: 29,
        },
        cache: None,
        terraform_plans: Vec::new(),
        variants: Vec::new(),
        rendered: Vec::new(),
    };
    // A broken manifest is exit 2 for the CLI, not a crash.
    let Ok(scanned) = borderline::scan::scan(&options, rules()) else {
        return;
    };
    let files = &scanned.model.files;
    for finding in &scanned.evaluation.findings {
        if let Some(span) = finding.span {
            let file = files
                .get(span.file)
                .unwrap_or_else(|| panic!("finding in an unknown file: {finding:?}"));
            assert_within(file.path.as_str(), file.len(), Some(span), finding.rule.name());
            // What reports show of the file was kept when its text was dropped.
            assert!(
                file.line_holding(span.start).is_some() && file.line_holding(span.end).is_some(),
                "{} span {}..{} points at a line that was not kept in {}",
                finding.rule,
                span.start,
                span.end,
                file.path
            );
        }
    }
    let model = &scanned.model;
    let evaluation = &scanned.evaluation;
    let json = borderline::report::json::render(model, evaluation, rules());
    assert!(
        !json.contains(dir.path().to_string_lossy().as_ref()),
        "absolute path in JSON"
    );
    let _ = borderline::report::sarif::render(model, evaluation, false);
    let _ = borderline::report::markdown::render(model, evaluation, rules());
    let _ = borderline::report::text::render(files, &evaluation.findings, 0, false);
    let view = borderline::model::fragment::GraphView::build(model, evaluation, rules());
    let _ = borderline::report::graph::to_dot(&view);
    let _ = borderline::report::graph::to_mermaid(&view);
    let rows = borderline::report::ropa::rows(model, evaluation, rules());
    let _ = borderline::report::ropa::to_csv(&rows);
    let _ = borderline::report::ropa::to_markdown(&rows);
}
