//! `--policy-from REF`: a pull request cannot approve its own transfers by editing the manifest's
//! policy and waivers or the baseline; those are read at REF through the object database, and the
//! pull request's changes to them are `policy-changed` findings. The repositories are built in a
//! tempdir with the `git` binary (tests only: borderline itself never runs git).

use crate::support::{
    FIXTURE_DATE, assert_finished_within_bounds, borderline, borderline_bounded, git, stderr,
    stdout,
};
use std::path::Path;
use std::process::Output;

/// The target branch's manifest: a Dublin service and a vendor in the Philippines, no flow yet.
const BASE_MANIFEST: &str = r#"[policy]
fail_on = "error"
distrust_adequacy = ["JP"]

[[node]]
id = "helpdesk"
location = "aws:eu-west-1"
data = ["user.contact.email"]

[[node]]
id = "phone-support"
kind = "vendor"
location = "PH"
"#;

/// The pull request's new transfer, with no safeguard.
const NEW_FLOW: &str = r#"
[[flow]]
from = "helpdesk"
to = "phone-support"
data = ["user.contact.email"]
"#;

/// The pull request approving its own transfer.
const SELF_WAIVER: &str = r#"
[[waiver]]
rule = "transfer-without-safeguard"
from = "helpdesk"
to = "phone-support"
reason = "approved by the author"
expires = "2099-01-01"
"#;

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

/// A repository whose `main` holds `files`, checked out on a new branch `pr`.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    git(dir.path(), &["init", "-q"]);
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    write(dir.path(), "README.md", "a service\n");
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    git(dir.path(), &["checkout", "-q", "-b", "pr"]);
    dir
}

/// Commits the pull request's working tree (CI scans a checkout of the pull request's head).
fn commit_pr(dir: &Path) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "pr"]);
}

fn scan(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["scan", ".", "--format", "json", "--date", FIXTURE_DATE];
    args.extend_from_slice(extra);
    borderline(dir, &args)
}

/// (rule, file, line) of every finding that is not known from a baseline.
fn findings(output: &Output) -> Vec<(String, String, u64)> {
    let report: serde_json::Value = serde_json::from_str(&stdout(output)).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    });
    report["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|f| f["known"].as_bool() != Some(true))
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["location"]["file"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn rules_of(found: &[(String, String, u64)]) -> Vec<&str> {
    found.iter().map(|(rule, _, _)| rule.as_str()).collect()
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|index| index as u64 + 1)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"))
}

#[test]
fn a_waiver_the_pull_request_adds_for_its_own_transfer_does_not_pass_the_gate() {
    let repo = repository(&[("borderline.toml", BASE_MANIFEST)]);
    let manifest = format!("{BASE_MANIFEST}{NEW_FLOW}{SELF_WAIVER}");
    write(repo.path(), "borderline.toml", &manifest);
    commit_pr(repo.path());

    // The attack: judged by its own manifest, the pull request passes.
    let own = scan(repo.path(), &[]);
    assert_eq!(own.status.code(), Some(0), "{}", stderr(&own));
    assert!(!rules_of(&findings(&own)).contains(&"transfer-without-safeguard"));

    // Judged by main's policy and waivers, its transfer fails, and the waiver is shown for review.
    let governed = scan(repo.path(), &["--policy-from", "main"]);
    assert_eq!(governed.status.code(), Some(1), "{}", stderr(&governed));
    let found = findings(&governed);
    assert!(
        rules_of(&found).contains(&"transfer-without-safeguard"),
        "{found:?}"
    );
    let waiver_line = line_of(&manifest, "[[waiver]]");
    assert!(
        found.contains(&(
            "policy-changed".to_string(),
            "borderline.toml".to_string(),
            waiver_line
        )),
        "{found:?}"
    );

    // The text report tells the reviewer what changed.
    let text = borderline(
        repo.path(),
        &["scan", ".", "--date", FIXTURE_DATE, "--policy-from", "main"],
    );
    assert_eq!(text.status.code(), Some(1));
    let shown = stdout(&text);
    assert!(shown.contains("policy-changed"), "{shown}");
    assert!(shown.contains("adds a waiver"), "{shown}");
}

#[test]
fn a_lowered_fail_on_and_an_extended_waiver_are_reported_and_ignored() {
    let base = format!("{BASE_MANIFEST}{NEW_FLOW}")
        + r#"
[[waiver]]
rule = "transfer-without-safeguard"
from = "helpdesk"
to = "phone-support"
reason = "PRIV-1: SCCs being signed"
expires = "2026-10-01"
"#;
    let repo = repository(&[("borderline.toml", &base)]);
    let manifest = base
        .replace("fail_on = \"error\"", "fail_on = \"never\"")
        .replace("distrust_adequacy = [\"JP\"]", "distrust_adequacy = []")
        .replace("2026-10-01", "2099-10-01");
    write(repo.path(), "borderline.toml", &manifest);
    commit_pr(repo.path());

    let own = scan(repo.path(), &[]);
    assert_eq!(own.status.code(), Some(0), "{}", stderr(&own));

    // main's waiver has expired on the evaluation date and main's `fail_on` is `error`.
    let governed = scan(repo.path(), &["--policy-from", "main"]);
    assert_eq!(governed.status.code(), Some(1), "{}", stderr(&governed));
    let found = findings(&governed);
    for needle in ["fail_on", "distrust_adequacy", "expires"] {
        let line = line_of(&manifest, needle);
        let at = if needle == "expires" {
            line_of(&manifest, "[[waiver]]")
        } else {
            line
        };
        assert!(
            found.contains(&("policy-changed".into(), "borderline.toml".into(), at)),
            "no policy-changed for {needle} at line {at}: {found:?}"
        );
    }
    assert!(
        rules_of(&found).contains(&"transfer-without-safeguard"),
        "{found:?}"
    );
}

#[test]
fn a_baseline_the_pull_request_edits_to_accept_its_new_finding_does_not_pass_the_gate() {
    let empty_baseline = "{\n  \"version\": 1,\n  \"findings\": []\n}\n";
    let repo = repository(&[
        ("borderline.toml", BASE_MANIFEST),
        (".borderline/baseline.json", empty_baseline),
    ]);
    write(
        repo.path(),
        "borderline.toml",
        &format!("{BASE_MANIFEST}{NEW_FLOW}"),
    );
    // The pull request regenerates the baseline with its own new finding in it.
    let rewrite = scan(
        repo.path(),
        &["--write-baseline", ".borderline/baseline.json"],
    );
    assert_eq!(rewrite.status.code(), Some(1), "{}", stderr(&rewrite));
    commit_pr(repo.path());

    let own = scan(repo.path(), &["--baseline", ".borderline/baseline.json"]);
    assert_eq!(own.status.code(), Some(0), "{}", stderr(&own));

    let governed = scan(
        repo.path(),
        &[
            "--baseline",
            ".borderline/baseline.json",
            "--policy-from",
            "main",
        ],
    );
    assert_eq!(governed.status.code(), Some(1), "{}", stderr(&governed));
    let found = findings(&governed);
    assert!(
        rules_of(&found).contains(&"transfer-without-safeguard"),
        "{found:?}"
    );
    let baseline_text = std::fs::read_to_string(repo.path().join(".borderline/baseline.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let entry_line = line_of(&baseline_text, "\"fingerprint\"");
    assert!(
        found.contains(&(
            "policy-changed".into(),
            ".borderline/baseline.json".into(),
            entry_line
        )),
        "{found:?}"
    );
}

#[test]
fn an_unchanged_policy_gives_no_policy_changed_whatever_names_ref() {
    let base = format!("{BASE_MANIFEST}{NEW_FLOW}")
        + r#"
[[waiver]]
rule = "transfer-without-safeguard"
from = "helpdesk"
to = "phone-support"
reason = "PRIV-1: SCCs being signed"
expires = "2099-10-01"
"#;
    let repo = repository(&[("services/helpdesk/borderline.toml", &base)]);
    // The pull request changes code and data, not the policy: a new EEA store.
    let manifest = base.clone()
        + r#"
[[node]]
id = "tickets"
kind = "store"
location = "aws:eu-central-1"
"#;
    write(repo.path(), "services/helpdesk/borderline.toml", &manifest);
    commit_pr(repo.path());
    // Branch names, tags, abbreviated ids and packed refs and objects resolve alike.
    git(repo.path(), &["tag", "v1", "main"]);
    git(repo.path(), &["gc", "-q"]);
    let main_id = String::from_utf8_lossy(
        &std::process::Command::new("git")
            .args(["rev-parse", "main"])
            .current_dir(repo.path())
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
            .stdout,
    )
    .trim()
    .to_string();
    let service = repo.path().join("services/helpdesk");
    for reference in ["main", "v1", &main_id, &main_id[..10]] {
        let output = scan(&service, &["--policy-from", reference]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{reference}: {}",
            stderr(&output)
        );
        let found = findings(&output);
        assert!(
            !rules_of(&found).contains(&"policy-changed"),
            "{reference}: {found:?}"
        );
    }
}

#[test]
fn without_a_manifest_at_ref_the_default_policy_applies_and_every_waiver_is_reported() {
    let repo = repository(&[]);
    let manifest = format!("{BASE_MANIFEST}{NEW_FLOW}{SELF_WAIVER}");
    write(repo.path(), "borderline.toml", &manifest);
    commit_pr(repo.path());
    let governed = scan(repo.path(), &["--policy-from", "main"]);
    assert_eq!(governed.status.code(), Some(1), "{}", stderr(&governed));
    let found = findings(&governed);
    assert!(
        found.contains(&(
            "policy-changed".into(),
            "borderline.toml".into(),
            line_of(&manifest, "[[waiver]]")
        )),
        "{found:?}"
    );
    // `distrust_adequacy = ["JP"]` differs from the default policy too.
    assert!(
        found.contains(&(
            "policy-changed".into(),
            "borderline.toml".into(),
            line_of(&manifest, "distrust_adequacy")
        )),
        "{found:?}"
    );
}

#[test]
fn a_reference_that_does_not_exist_or_no_repository_is_exit_2_with_a_message() {
    let repo = repository(&[("borderline.toml", BASE_MANIFEST)]);
    let missing = scan(repo.path(), &["--policy-from", "origin/no-such-branch"]);
    assert_eq!(missing.status.code(), Some(2));
    let message = stderr(&missing);
    assert!(
        message.contains("`origin/no-such-branch` names no branch, tag or commit"),
        "{message}"
    );

    let plain = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(plain.path(), "borderline.toml", BASE_MANIFEST);
    let not_git = scan(plain.path(), &["--policy-from", "main"]);
    assert_eq!(not_git.status.code(), Some(2));
    assert!(
        stderr(&not_git).contains("is not inside a git repository"),
        "{}",
        stderr(&not_git)
    );
}

#[test]
fn a_manifest_that_is_a_symlink_at_ref_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    git(dir.path(), &["init", "-q"]);
    write(
        dir.path(),
        "lax/borderline.toml",
        "[policy]\nfail_on = \"never\"\n",
    );
    std::os::unix::fs::symlink("lax/borderline.toml", dir.path().join("borderline.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    // The working tree has a real manifest; the one at REF is a symlink.
    std::fs::remove_file(dir.path().join("borderline.toml")).unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "borderline.toml", BASE_MANIFEST);
    let output = scan(dir.path(), &["--policy-from", "main"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("is a symlink"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn graph_and_ropa_take_the_option_too() {
    let repo = repository(&[("borderline.toml", BASE_MANIFEST)]);
    for command in ["graph", "ropa"] {
        let output = borderline(
            repo.path(),
            &[
                command,
                ".",
                "--date",
                FIXTURE_DATE,
                "--policy-from",
                "main",
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{command}: {}",
            stderr(&output)
        );
        let bad = borderline(repo.path(), &[command, ".", "--policy-from", "nope"]);
        assert_eq!(bad.status.code(), Some(2), "{command}");
    }
}

#[test]
fn a_directory_that_is_a_symlink_at_ref_is_refused() {
    // At REF, `policy` is a symlink to a lax policy; `--config policy/borderline.toml` must not
    // follow it into `lax/`.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    git(dir.path(), &["init", "-q"]);
    write(
        dir.path(),
        "lax/borderline.toml",
        "[policy]\nfail_on = \"never\"\n",
    );
    std::os::unix::fs::symlink("lax", dir.path().join("policy")).unwrap_or_else(|e| panic!("{e}"));
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    std::fs::remove_file(dir.path().join("policy")).unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "policy/borderline.toml", BASE_MANIFEST);
    let output = scan(
        dir.path(),
        &[
            "--config",
            "policy/borderline.toml",
            "--policy-from",
            "main",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("policy at `main` is a symlink"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_manifest_over_the_size_cap_at_ref_is_refused_without_reading_it() {
    // 17 MiB of comments: over the 16 MiB cap, refused from the object's header.
    let mut huge = String::from(BASE_MANIFEST);
    let line = format!("# {}\n", "x".repeat(1021));
    while huge.len() <= 17 * 1024 * 1024 {
        huge.push_str(&line);
    }
    let repo = repository(&[("borderline.toml", &huge)]);
    write(repo.path(), "borderline.toml", BASE_MANIFEST);
    let output = borderline_bounded(
        repo.path(),
        &["scan", ".", "--format", "json", "--policy-from", "main"],
        1024,
        20,
    );
    assert_finished_within_bounds(&output, "a manifest over the cap at REF");
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("more than the 16777216 bytes borderline reads"),
        "{}",
        stderr(&output)
    );
}
