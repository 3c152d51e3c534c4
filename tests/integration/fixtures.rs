//! Every fixture is scanned and its findings compared with the inline `expect: rule` comments, both
//! ways: nothing missing, nothing extra. Each rule has a fixture where it fires and one where it
//! must stay quiet (`fixtures/rules/<rule>/{fires,quiet}`).
//!
//! Files that cannot carry a comment on the offending line (binary, wrong encoding, truncated) put
//! their expectations in the case's `expect.txt` instead: one `path:line: rule` per line, the path
//! relative to the case; blank lines and lines starting with `#` are ignored.
//!
//! A case with a `git-tracked.txt` is scanned as a git repository of its files (see
//! [`scanned_root`]): what its ignore files leave out but git tracks is part of it.

use crate::support::{FIXTURE_DATE, fixtures_dir, git_repository_of};
use borderline::checks::CHECKS;
use borderline::date::Date;
use borderline::rules::RuleSet;
use borderline::scan::{ScanOptions, scan};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// (file relative to the case, line, rule) -> count.
type Expectations = BTreeMap<(String, u32, String), usize>;

/// Directories that are one case each: `fixtures/<name>/` and `fixtures/rules/<rule>/<fires|quiet>/`.
fn cases() -> Vec<PathBuf> {
    let mut cases = Vec::new();
    let Ok(entries) = std::fs::read_dir(fixtures_dir()) else {
        return cases;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "rules") {
            for rule in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                for case in std::fs::read_dir(rule.path())
                    .into_iter()
                    .flatten()
                    .flatten()
                {
                    if case.path().is_dir() {
                        cases.push(case.path());
                    }
                }
            }
        } else {
            cases.push(path);
        }
    }
    cases.sort();
    cases
}

fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && path.file_name().is_some_and(|n| n != "target") {
            text_files(&path, out);
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

/// Reads `expect: a, b` from comments (`#`, `//`, `--`, `/*`, `<!--`), on the line they sit on.
fn expectations(case: &Path) -> Expectations {
    let mut expected = Expectations::new();
    let mut files = Vec::new();
    text_files(case, &mut files);
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let relative = file
            .strip_prefix(case)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        if relative == "expect.txt" {
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let parsed = line.split_once(": ").and_then(|(place, rule)| {
                    let (path, number) = place.rsplit_once(':')?;
                    Some((
                        path.to_string(),
                        number.parse::<u32>().ok()?,
                        rule.trim().to_string(),
                    ))
                });
                let Some(key) = parsed else {
                    panic!("{}: not `path:line: rule`: {line}", file.display());
                };
                *expected.entry(key).or_default() += 1;
            }
            continue;
        }
        for (index, line) in text.lines().enumerate() {
            for marker in [
                "# expect:",
                "// expect:",
                "-- expect:",
                "/* expect:",
                "<!-- expect:",
            ] {
                let Some(position) = line.find(marker) else {
                    continue;
                };
                let rest = &line[position + marker.len()..];
                for rule in rest
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                {
                    let rule: String = rule
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                        .collect();
                    if !rule.is_empty() {
                        *expected
                            .entry((relative.clone(), index as u32 + 1, rule))
                            .or_default() += 1;
                    }
                }
            }
        }
    }
    expected
}

/// The evaluation date of a case: `# fixture-date: YYYY-MM-DD` in its borderline.toml, else the fixed date.
fn case_date(case: &Path) -> Date {
    let text = std::fs::read_to_string(case.join("borderline.toml")).unwrap_or_default();
    text.lines()
        .find_map(|line| line.trim().strip_prefix("# fixture-date:"))
        .and_then(|d| Date::parse(d.trim()).ok())
        .unwrap_or_else(|| {
            Date::parse(FIXTURE_DATE).unwrap_or(Date {
                year: 2026,
                month: 11,
                day: 29,
            })
        })
}

/// A case with a `git-tracked.txt` is a git repository in real life: it is scanned from a git
/// repository of a copy of it ([`git_repository_of`]). Anything else is scanned where it is.
fn scanned_root(case: &Path) -> (PathBuf, Option<tempfile::TempDir>) {
    let copy = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    if git_repository_of(case, copy.path()) {
        (copy.path().to_path_buf(), Some(copy))
    } else {
        (case.to_path_buf(), None)
    }
}

fn actual(case: &Path, rules: &RuleSet) -> Expectations {
    let (root, _copy) = scanned_root(case);
    let options = ScanOptions {
        root,
        config: None,
        date: case_date(case),
        cache: None,
        terraform_plans: Vec::new(),
        variants: Vec::new(),
        rendered: Vec::new(),
    };
    let scanned =
        scan(&options, rules).unwrap_or_else(|e| panic!("{}: scan failed: {e}", case.display()));
    let mut found = Expectations::new();
    for finding in &scanned.evaluation.findings {
        let (file, line) = match finding.span.and_then(|s| scanned.model.files.resolve(s)) {
            Some((path, position)) => (path.to_string(), position.line),
            None => (finding.path.clone().unwrap_or_default(), 1),
        };
        *found
            .entry((file, line, finding.rule.to_string()))
            .or_default() += 1;
    }
    found
}

fn describe(entries: &Expectations) -> String {
    entries
        .iter()
        .map(|((file, line, rule), count)| {
            format!(
                "    {file}:{line}: {rule}{}",
                if *count > 1 {
                    format!(" (x{count})")
                } else {
                    String::new()
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_fixture_matches_its_inline_expectations() {
    let rules =
        RuleSet::builtin().unwrap_or_else(|e| panic!("built-in rule data is invalid: {e:?}"));
    let cases = cases();
    assert!(
        cases.len() >= 20,
        "expected the fixture corpus, found {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let expected = expectations(case);
        let found = actual(case, &rules);
        if expected != found {
            let missing: Expectations = expected
                .iter()
                .filter(|(k, v)| found.get(*k) != Some(v))
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            let extra: Expectations = found
                .iter()
                .filter(|(k, v)| expected.get(*k) != Some(v))
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            failures.push(format!(
                "{}:\n  expected but not found:\n{}\n  found but not expected:\n{}",
                case.strip_prefix(fixtures_dir()).unwrap_or(case).display(),
                describe(&missing),
                describe(&extra)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "fixtures disagree with their expectations:\n{}",
        failures.join("\n")
    );
}

/// Rules that fire only with options the fixture scan does not give, tested in their own module:
/// `policy-changed` needs `--policy-from` and a git history (`policy_from.rs`).
const FIRES_OUTSIDE_FIXTURES: &[&str] = &["policy-changed"];

#[test]
fn every_rule_has_a_fixture_that_fires_and_one_that_stays_quiet() {
    let rules_dir = fixtures_dir().join("rules");
    let mut problems = Vec::new();
    for check in CHECKS {
        let fires = rules_dir.join(check.rule.name()).join("fires");
        let quiet = rules_dir.join(check.rule.name()).join("quiet");
        let fired = expectations(&fires)
            .keys()
            .any(|(_, _, rule)| rule == check.rule.name());
        if !fired && !FIRES_OUTSIDE_FIXTURES.contains(&check.rule.name()) {
            problems.push(format!(
                "{}: no `expect: {}` in {}",
                check.rule.name(),
                check.rule.name(),
                fires.display()
            ));
        }
        if !quiet.is_dir() {
            problems.push(format!(
                "{}: no quiet fixture at {}",
                check.rule.name(),
                quiet.display()
            ));
        } else if expectations(&quiet)
            .keys()
            .any(|(_, _, rule)| rule == check.rule.name())
        {
            problems.push(format!(
                "{}: the quiet fixture expects the rule to fire",
                check.rule.name()
            ));
        }
        let docs = check.documentation();
        for heading in [
            "What it flags",
            "Why it matters",
            "Example",
            "How to fix",
            "References",
        ] {
            if check.section(heading).is_none_or(|s| s.is_empty()) {
                problems.push(format!(
                    "{}: documentation lacks `## {heading}`",
                    check.rule.name()
                ));
            }
        }
        assert!(
            docs.starts_with(&format!("# {}", check.rule.name())),
            "{}: docs must start with its name",
            check.rule.name()
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// (file, line, rule, message, fingerprint) of every finding outside `broken/`.
fn good_findings(root: &Path, rules: &RuleSet) -> Vec<(String, u32, String, String, String)> {
    let options = ScanOptions {
        root: root.to_path_buf(),
        config: None,
        date: Date::parse(FIXTURE_DATE).unwrap_or(Date {
            year: 2026,
            month: 11,
            day: 29,
        }),
        cache: None,
        terraform_plans: Vec::new(),
        variants: Vec::new(),
        rendered: Vec::new(),
    };
    let scanned = scan(&options, rules).unwrap_or_else(|e| panic!("scan failed: {e}"));
    let mut found: Vec<_> = scanned
        .evaluation
        .findings
        .iter()
        .filter_map(|finding| {
            let (file, line) = match finding.span.and_then(|s| scanned.model.files.resolve(s)) {
                Some((path, position)) => (path.to_string(), position.line),
                None => (finding.path.clone().unwrap_or_default(), 1),
            };
            (!file.starts_with("broken/")).then(|| {
                (
                    file,
                    line,
                    finding.rule.to_string(),
                    finding.message.clone(),
                    finding.fingerprint.clone(),
                )
            })
        })
        .collect();
    found.sort();
    found
}

/// One broken file never hides a finding in another: the good files of `fixtures/malformed` give
/// the same findings, byte for byte, with and without the broken ones beside them.
#[test]
fn broken_files_hide_no_finding_of_the_good_files() {
    let rules =
        RuleSet::builtin().unwrap_or_else(|e| panic!("built-in rule data is invalid: {e:?}"));
    let case = fixtures_dir().join("malformed");
    let with_broken = good_findings(&case, &rules);
    let alone = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crate::support::copy_dir(&case.join("good"), &alone.path().join("good"));
    std::fs::copy(
        case.join("borderline.toml"),
        alone.path().join("borderline.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let without_broken = good_findings(alone.path(), &rules);
    assert!(without_broken.len() >= 6, "{without_broken:#?}");
    assert_eq!(with_broken, without_broken);
}
