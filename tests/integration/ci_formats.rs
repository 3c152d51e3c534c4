//! The formats of other CI systems: GitLab Code Quality JSON (against a schema written from
//! GitLab's documentation), GitHub workflow commands and JUnit XML (golden files of the demo, and
//! parsed back), each with the same findings and fingerprints as SARIF; and `--report
//! FORMAT=FILE`, which writes several of them from one scan.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout, transcript};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn scan(dir: &Path, format: &str) -> String {
    let output = borderline(
        dir,
        &["scan", ".", "--format", format, "--date", FIXTURE_DATE],
    );
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
    stdout(&output)
}

fn demo() -> std::path::PathBuf {
    fixtures_dir().join("demo")
}

/// The fingerprints of SARIF's results that are not suppressed (waived findings are SARIF's only).
fn sarif_fingerprints(dir: &Path) -> BTreeSet<String> {
    let log: Value = serde_json::from_str(&scan(dir, "sarif")).unwrap_or_else(|e| panic!("{e}"));
    log["runs"][0]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results"))
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .map(|r| {
            r["partialFingerprints"]["borderline/v1"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn gitlab_schema_errors(report: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(include_str!("data/gitlab-codequality.schema.json"))
        .unwrap_or_else(|e| panic!("schema: {e}"));
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}"));
    validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn gitlab_code_quality_of_the_demo_is_valid_and_has_sarifs_findings() {
    let text = scan(&demo(), "gitlab");
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(gitlab_schema_errors(&report), Vec::<String>::new());
    let issues = report.as_array().unwrap_or_else(|| panic!("not an array"));
    let fingerprints: BTreeSet<String> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap_or_default().to_string())
        .collect();
    // GitLab shows one issue a fingerprint: they must be unique, and SARIF's.
    assert_eq!(fingerprints.len(), issues.len(), "repeated fingerprints");
    assert_eq!(fingerprints, sarif_fingerprints(&demo()));
    // The backup transfer to Singapore points where the text report points, as an error GitLab
    // ranks high.
    let backup = issues
        .iter()
        .find(|i| i["location"]["path"] == "infra/terraform/backup.tf")
        .unwrap_or_else(|| panic!("no issue in backup.tf: {text}"));
    assert_eq!(backup["check_name"], "transfer-without-safeguard");
    assert_eq!(backup["location"]["lines"]["begin"], 19);
    assert_eq!(backup["severity"], "critical");
    insta::assert_snapshot!("gitlab_of_the_demo", text);
}

#[test]
fn the_gitlab_schema_check_catches_a_broken_report() {
    let broken: Value = serde_json::json!([
        { "description": "x", "check_name": "y", "fingerprint": "z", "severity": "fatal",
          "location": { "path": "a.tf" } }
    ]);
    let errors = gitlab_schema_errors(&broken);
    assert!(errors.len() >= 2, "{errors:?}");
}

#[test]
fn a_clean_repository_gives_an_empty_gitlab_report() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crate::support::write_file(
        dir.path(),
        "borderline.toml",
        "[[node]]\nid = \"api\"\nlocation = \"DE\"\n",
    );
    assert_eq!(scan(dir.path(), "gitlab"), "[]\n");
}

/// `(command, properties, message)` of a workflow command line.
fn command(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.strip_prefix("::")?;
    let (head, message) = rest.split_once("::")?;
    let (name, properties) = head.split_once(' ').unwrap_or((head, ""));
    Some((name, properties, message))
}

#[test]
fn github_annotations_of_the_demo_one_command_a_finding() {
    let args = ["scan", ".", "--format", "github", "--date", FIXTURE_DATE];
    let output = borderline(&demo(), &args);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stdout(&output);
    let json: Value =
        serde_json::from_str(&scan(&demo(), "json")).unwrap_or_else(|e| panic!("{e}"));
    let findings = json["findings"].as_array().map_or(0, Vec::len);
    let commands: Vec<_> = text.lines().filter_map(command).collect();
    assert_eq!(commands.len(), findings, "{text}");
    for (name, properties, message) in &commands {
        assert!(["error", "warning", "notice"].contains(name), "{name}");
        assert!(properties.starts_with("file="), "{properties}");
        assert!(properties.contains(",line=") && properties.contains(",title=borderline "));
        assert!(!message.is_empty());
    }
    assert!(
        commands.iter().any(|(name, p, _)| *name == "error"
            && p.starts_with("file=infra/terraform/backup.tf,line=19,col=7,")),
        "{text}"
    );
    // The last line is a summary the runner prints as it is.
    assert!(
        text.lines()
            .last()
            .is_some_and(|l| l.starts_with("borderline: ")),
        "{text}"
    );
    insta::assert_snapshot!("github_of_the_demo", transcript(&args, &output));
}

#[test]
fn github_commands_cannot_be_forged_by_repository_text() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crate::support::write_file(
        dir.path(),
        "borderline.toml",
        crate::hostile_sinks::MANIFEST,
    );
    let text = scan(dir.path(), "github");
    let json: Value =
        serde_json::from_str(&scan(dir.path(), "json")).unwrap_or_else(|e| panic!("{e}"));
    let findings = json["findings"].as_array().map_or(0, Vec::len);
    assert!(findings >= 5, "the hostile manifest has findings: {json}");
    // Every line is one of ours: a command a finding, and the summary. No id, purpose or line
    // break from the manifest starts a line, or a command of another name.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), findings + 1, "{text}");
    for line in &lines[..findings] {
        let (name, properties, _) =
            command(line).unwrap_or_else(|| panic!("not a command: {line}"));
        assert!(["error", "warning", "notice"].contains(&name), "{line}");
        // A property value holds no `,` or `:` of the repository's: the properties stay three.
        assert_eq!(properties.matches(',').count(), 3, "{line}");
    }
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202E}') && !text.contains('\r'));
}

#[test]
fn junit_of_the_demo_mirrors_the_gate() {
    let args = ["scan", ".", "--format", "junit", "--date", FIXTURE_DATE];
    let output = borderline(&demo(), &args);
    let text = stdout(&output);
    let xml = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not XML: {e}\n{text}"));
    let root = xml.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    // One suite a rule, every rule; the totals add up.
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let rules = borderline::rule::Rule::ALL;
    assert_eq!(suites.len(), rules.len());
    let cases: Vec<_> = suites
        .iter()
        .flat_map(|s| s.children().filter(|n| n.has_tag_name("testcase")))
        .collect();
    let attr = |n: &roxmltree::Node, a: &str| {
        n.attribute(a)
            .unwrap_or_default()
            .parse::<usize>()
            .unwrap_or(usize::MAX)
    };
    assert_eq!(attr(&root, "tests"), cases.len());
    let failures = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("skipped")))
        .count();
    assert_eq!(attr(&root, "failures"), failures);
    assert_eq!(attr(&root, "skipped"), skipped);
    // The demo fails the gate (exit 1) on its errors: one failure an error finding; the waived
    // finding is skipped with its reason.
    let json: Value =
        serde_json::from_str(&scan(&demo(), "json")).unwrap_or_else(|e| panic!("{e}"));
    let errors = json["findings"]
        .as_array()
        .map_or(0, |f| f.iter().filter(|f| f["severity"] == "error").count());
    assert_eq!(output.status.code(), Some(1));
    assert!(errors > 0);
    assert_eq!(failures, errors, "{text}");
    assert!(
        cases
            .iter()
            .any(|c| c.children().any(|n| n.has_tag_name("skipped")
                && n.attribute("message")
                    .is_some_and(|m| m.starts_with("waived until ")))),
        "{text}"
    );
    // Names are unique and hold no line number: a test's history survives moved lines.
    let names: BTreeSet<(&str, &str)> = cases
        .iter()
        .map(|c| {
            (
                c.attribute("classname").unwrap_or_default(),
                c.attribute("name").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(names.len(), cases.len());
    insta::assert_snapshot!("junit_of_the_demo", transcript(&args, &output));
}

#[test]
fn junit_stays_well_formed_with_hostile_text_and_follows_fail_on() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crate::support::write_file(
        dir.path(),
        "borderline.toml",
        crate::hostile_sinks::MANIFEST,
    );
    let text = scan(dir.path(), "junit");
    let xml = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not XML: {e}\n{text}"));
    assert!(xml.descendants().any(|n| n.has_tag_name("failure")));
    assert!(!text.contains('\u{1b}') && !text.contains("<img"));
    // `--fail-on never`: nothing fails, the findings stay as output of passing cases.
    let output = borderline(
        dir.path(),
        &[
            "scan",
            ".",
            "--format",
            "junit",
            "--fail-on",
            "never",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let xml = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not XML: {e}"));
    assert!(!xml.descendants().any(|n| n.has_tag_name("failure")));
    assert!(xml.descendants().any(|n| n.has_tag_name("system-out")));
}

#[test]
fn one_scan_writes_every_report_as_its_own_run_would() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crate::support::copy_dir(&demo(), dir.path());
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = |name: &str| out.path().join(name).display().to_string();
    let reports = [
        ("sarif", file("b.sarif")),
        ("gitlab", file("gl.json")),
        ("junit", file("junit.xml")),
        ("markdown", file("summary.md")),
        ("json", file("report.json")),
        ("github", file("annotations.txt")),
    ];
    let mut args = vec!["scan", ".", "--date", FIXTURE_DATE];
    let specs: Vec<String> = reports.iter().map(|(f, p)| format!("{f}={p}")).collect();
    for spec in &specs {
        args.extend(["--report", spec.as_str()]);
    }
    let output = borderline(dir.path(), &args);
    // The exit code and the text on standard output are those of a plain scan.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stdout(&output), scan(dir.path(), "text"));
    for (format, path) in &reports {
        let written = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(written, scan(dir.path(), format), "--report {format}");
    }
}

#[test]
fn a_bad_report_spec_is_a_usage_error() {
    for (spec, says) in [
        ("sarif", "expected FORMAT=FILE"),
        (
            "pdf=x.pdf",
            "unknown format `pdf`; one of: text, json, sarif, markdown, gitlab, github, junit",
        ),
        ("sarif=-", "--report writes a file"),
        ("sarif=", "--report writes a file"),
    ] {
        let output = borderline(&demo(), &["scan", ".", "--report", spec]);
        assert_eq!(output.status.code(), Some(2), "{spec}");
        assert!(
            stderr(&output).contains(says),
            "{spec}: {}",
            stderr(&output)
        );
    }
}
