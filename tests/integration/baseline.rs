//! Baselines and fingerprints: fingerprints survive moved lines and reordered entries; a baseline
//! run passes until a new transfer is added; a bad baseline file is exit 2.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};
use std::collections::BTreeSet;
use std::path::Path;

fn sample_manifest() -> String {
    // The sample's TIA is a document of its fixture, which these copies of the manifest alone do
    // not have: they name it by reference.
    std::fs::read_to_string(fixtures_dir().join("outputs-sample/borderline.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .replace("tia = \"docs/tia/deskforce.md\"", "tia = \"TIA-2024-017\"")
}

fn fingerprints(dir: &Path) -> BTreeSet<(String, String)> {
    let output = borderline(
        dir,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    report["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["fingerprint"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Splits a manifest into its `[[...]]` entries (the preamble first).
fn entries(manifest: &str) -> Vec<String> {
    let mut parts: Vec<String> = vec![String::new()];
    for line in manifest.lines() {
        if line.starts_with("[[") {
            parts.push(String::new());
        }
        if let Some(last) = parts.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    parts
}

#[test]
fn fingerprints_survive_moved_lines_and_reordered_entries() {
    let original = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(original.path().join("borderline.toml"), sample_manifest())
        .unwrap_or_else(|e| panic!("{e}"));
    let before = fingerprints(original.path());
    assert_eq!(before.len(), 2);

    // Blank lines and comments push every line down.
    let moved = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let padded = sample_manifest().replace("[[flow]]", "\n\n# moved\n[[flow]]");
    std::fs::write(moved.path().join("borderline.toml"), padded).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fingerprints(moved.path()), before);

    // Entries in reverse order, and reformatted with extra spaces.
    let reordered = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut parts = entries(&sample_manifest());
    let preamble = parts.remove(0);
    parts.reverse();
    let text = format!("{preamble}{}", parts.concat()).replace(" = ", "   =   ");
    std::fs::write(reordered.path().join("borderline.toml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fingerprints(reordered.path()), before);
}

#[test]
fn a_baseline_run_passes_until_a_new_transfer_is_added() {
    let repo = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let manifest = repo.path().join("borderline.toml");
    std::fs::write(&manifest, sample_manifest()).unwrap_or_else(|e| panic!("{e}"));
    let written = borderline(
        repo.path(),
        &[
            "scan",
            ".",
            "--date",
            FIXTURE_DATE,
            "--write-baseline",
            "baseline.json",
        ],
    );
    assert_eq!(
        written.status.code(),
        Some(1),
        "without a baseline the error fails"
    );
    let baseline = std::fs::read_to_string(repo.path().join("baseline.json")).unwrap_or_default();
    assert!(
        baseline.contains("\"rule\": \"adequacy-scope-not-met\""),
        "{baseline}"
    );

    let known = borderline(
        repo.path(),
        &[
            "scan",
            ".",
            "--date",
            FIXTURE_DATE,
            "--baseline",
            "baseline.json",
        ],
    );
    assert_eq!(known.status.code(), Some(0), "{}", stdout(&known));
    assert!(
        stdout(&known).contains("(2 known, 0 waived)"),
        "{}",
        stdout(&known)
    );

    let added = format!(
        "{}\n[[node]]\nid = \"phone-support\"\nkind = \"vendor\"\nlocation = \"PH\"\n\n[[flow]]\nfrom = \"checkout\"\nto = \"phone-support\"\ndata = [\"user.contact.phone_number\"]\n",
        sample_manifest()
    );
    std::fs::write(&manifest, added).unwrap_or_else(|e| panic!("{e}"));
    let new = borderline(
        repo.path(),
        &[
            "scan",
            ".",
            "--date",
            FIXTURE_DATE,
            "--baseline",
            "baseline.json",
        ],
    );
    assert_eq!(new.status.code(), Some(1), "a new transfer fails the gate");
    assert!(stdout(&new).contains("transfer-without-safeguard"));
    assert!(
        stdout(&new).contains("1 error, 0 warnings, 0 notes (2 known, 0 waived)"),
        "{}",
        stdout(&new)
    );
}

#[test]
fn a_missing_or_corrupt_baseline_is_exit_2() {
    let repo = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(repo.path().join("borderline.toml"), sample_manifest())
        .unwrap_or_else(|e| panic!("{e}"));
    let missing = borderline(repo.path(), &["scan", ".", "--baseline", "nope.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read the baseline nope.json"),
        "{}",
        stderr(&missing)
    );
    std::fs::write(
        repo.path().join("bad.json"),
        "{\"version\": 1, \"findings\": [{}]}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let corrupt = borderline(repo.path(), &["scan", ".", "--baseline", "bad.json"]);
    assert_eq!(corrupt.status.code(), Some(2));
    assert!(
        stderr(&corrupt).contains("bad.json: not a borderline baseline: missing field"),
        "{}",
        stderr(&corrupt)
    );
}
