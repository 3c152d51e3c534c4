//! The steps of `merge` (issue 16: the one long function split into named steps) keep what each
//! step decides: which repository's judgement a finding carries, which note says so, which
//! waiver travels with a finding that stands, and which transfers each repository owns. The
//! three `mg15-*` fixtures are one organisation: checkout sends to reporting's warehouse.

use crate::support::{FIXTURE_DATE, borderline, findings, fixtures_dir, stderr, stdout};
use serde_json::Value;
use std::path::Path;

/// Writes the fragment of fixture `name` into `work`, as `graph --format json` in its CI would.
fn fragment(work: &Path, name: &str) -> String {
    let file = format!("{name}.json");
    let out = work.join(&file);
    let output = borderline(
        &fixtures_dir().join(name),
        &[
            "graph",
            ".",
            "--format",
            "json",
            "-o",
            &out.to_string_lossy(),
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    file
}

/// `merge FRAGMENTS --format FORMAT` in `work`.
fn merge(work: &Path, names: &[&str], format: &str) -> std::process::Output {
    let files: Vec<String> = names.iter().map(|name| fragment(work, name)).collect();
    let mut args = vec!["merge"];
    args.extend(files.iter().map(String::as_str));
    args.extend_from_slice(&["--format", format, "--date", FIXTURE_DATE]);
    borderline(work, &args)
}

/// `merge FRAGMENTS --format json` in `work`, as JSON.
fn merged(work: &Path, names: &[&str]) -> Value {
    let output = merge(work, names, "json");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&output), stderr(&output)))
}

/// The notes of a finding that name the policy that judged it.
fn judged_under(finding: &Value) -> Vec<String> {
    finding["related"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["message"].as_str())
        .filter(|m| m.starts_with("judged under the policy of"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_finding_that_stands_and_one_judged_again_each_name_their_repository_once() {
    let work = tempfile::tempdir().unwrap();
    let report = merged(
        work.path(),
        &["mg15-checkout", "mg15-reporting", "mg15-support"],
    );
    // `crm` is checkout's alone: its scan's verdict stands, and says whose policy judged it.
    let standing = findings(&report, "unapproved-mechanism");
    assert_eq!(standing.len(), 1, "{report:#}");
    assert_eq!(standing[0]["to"], "crm");
    assert_eq!(
        judged_under(standing[0]),
        ["judged under the policy of repository `checkout`"],
        "{report:#}"
    );
    // `analytics-db` is declared by checkout and reporting: judged again, under checkout's policy.
    let again = findings(&report, "special-category-transfer");
    assert_eq!(again.len(), 1, "{report:#}");
    assert_eq!(again[0]["to"], "analytics-db");
    assert_eq!(
        judged_under(again[0]),
        ["judged under the policy of repository `checkout`"],
        "{report:#}"
    );
    // Support's waiver travels with the finding it waived, with its place in support's manifest.
    let waived = report["waived"].as_array().unwrap();
    assert_eq!(waived.len(), 1, "{report:#}");
    assert_eq!(waived[0]["rule"], "adequacy-scope-not-met");
    assert_eq!(
        waived[0]["waiver_location"]["file"], "support/borderline.toml",
        "{report:#}"
    );
    // Every flow keeps the transfer its repository owns: none is reported as no transfer.
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 4, "{report:#}");
    for flow in flows {
        assert_ne!(flow["transfer"], "none", "{flow:#}");
    }
    // Each transfer is counted once, by the repository that owns its flow.
    let text = merge(
        work.path(),
        &["mg15-checkout", "mg15-reporting", "mg15-support"],
        "text",
    );
    assert!(
        stdout(&text).contains(
            "transfers out of the EEA: 4: 2 safeguarded (IN), 2 without a valid basis (US)"
        ),
        "{}",
        stdout(&text)
    );
}

#[test]
fn one_fragment_names_no_policy_as_only_one_could_have_judged() {
    let work = tempfile::tempdir().unwrap();
    let report = merged(work.path(), &["mg15-checkout"]);
    let all = report["findings"].as_array().unwrap();
    assert!(!all.is_empty(), "{report:#}");
    for finding in all {
        assert!(judged_under(finding).is_empty(), "{finding:#}");
    }
}
