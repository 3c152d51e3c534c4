//! The path a user types (issue 15, points 6 and 9): a scan of a part of a repository is judged
//! by the manifest above it, `-o -` is standard output, a flow is explained from two words, a
//! command refuses the options it does not use, every `--help` example works, and known findings
//! take one line each.

use crate::support::{
    FIXTURE_DATE, borderline, copy_dir, fixtures_dir, stderr, stdout, write_file,
};
use serde_json::Value;
use std::path::Path;

/// A small shop: a checkout service that posts customer e-mails to a US analytics vendor, and a
/// mailer (another part of the repository) that calls a second US vendor. The manifest at the
/// root declares the nodes, the vendors and the policy.
fn shop(dir: &Path) {
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    write_file(
        dir,
        "borderline.toml",
        r#"[project]
name = "shop"
home = "EEA"

[policy]
fail_on = "warning"

[scan]
exclude = ["services/checkout/vendored/**"]

[[node]]
id = "checkout"
kind = "service"
location = "aws:eu-central-1"
paths = ["services/checkout"]
data = ["user.contact.email"]

[[node]]
id = "mailer"
kind = "service"
location = "aws:eu-central-1"
paths = ["services/mailer"]
data = ["user.contact.email"]

[[node]]
id = "clicklens"
kind = "vendor"
location = "US"
domains = ["*.clicklens.io"]

[[node]]
id = "postbird"
kind = "vendor"
location = "US"
domains = ["*.postbird.com"]
"#,
    );
    write_file(
        dir,
        "services/checkout/requirements.txt",
        "requests==2.32.3\n",
    );
    write_file(
        dir,
        "services/checkout/app.py",
        "import requests\n\n\ndef track(user):\n    requests.post(\"https://api.clicklens.io/v1/events\", json={\"email\": user.email})\n",
    );
    // Excluded by the manifest's glob, relative to the manifest's directory.
    write_file(
        dir,
        "services/checkout/vendored/sdk.py",
        "import requests\n\n\ndef send(user):\n    requests.post(\"https://api.postbird.com/send\", json={\"email\": user.email})\n",
    );
    write_file(
        dir,
        "services/mailer/requirements.txt",
        "requests==2.32.3\n",
    );
    write_file(
        dir,
        "services/mailer/app.py",
        "import requests\n\n\ndef send(user):\n    requests.post(\"https://api.postbird.com/send\", json={\"email\": user.email})\n",
    );
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(output)))
}

/// (rule, from, to, file, fingerprint) of every finding of a JSON report.
fn finding_rows(report: &Value) -> Vec<(String, String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |v: &Value| v.as_str().unwrap_or("").to_string();
            (
                text(&f["rule"]),
                text(&f["from"]),
                text(&f["to"]),
                text(&f["location"]["file"]),
                text(&f["fingerprint"]),
            )
        })
        .collect()
}

#[test]
fn a_scan_of_a_part_of_the_repository_is_judged_by_the_manifest_above_it() {
    let dir = tempfile::tempdir().unwrap();
    shop(dir.path());
    let part = borderline(
        dir.path(),
        &[
            "scan",
            "services/checkout",
            "--format",
            "json",
            "--date",
            FIXTURE_DATE,
        ],
    );
    // The policy (`fail_on = "warning"`) and the declared nodes apply: the transfer fails the run.
    assert_eq!(part.status.code(), Some(1), "{}", stderr(&part));
    assert!(
        stderr(&part).contains("using the manifest borderline.toml"),
        "{}",
        stderr(&part)
    );
    let rows = finding_rows(&json_of(&part));
    assert!(
        rows.iter().any(|(_, from, to, file, _)| from == "checkout"
            && to == "clicklens"
            && file == "services/checkout/app.py"),
        "{rows:?}"
    );
    // Only the given part is scanned: the mailer and the excluded directory are not.
    assert!(
        rows.iter().all(|(_, from, to, file, _)| from != "mailer"
            && to != "postbird"
            && !file.contains("vendored")),
        "{rows:?}"
    );
    // Paths and fingerprints are those of a scan of the whole repository, so one baseline and
    // one set of waivers serve both.
    let whole = borderline(
        dir.path(),
        &["scan", "--format", "json", "--date", FIXTURE_DATE],
    );
    let whole_rows = finding_rows(&json_of(&whole));
    for row in &rows {
        assert!(whole_rows.contains(row), "{row:?} not in {whole_rows:?}");
    }

    // From inside the part, the same.
    let inside = borderline(
        &dir.path().join("services/checkout"),
        &["scan", "--format", "json", "--date", FIXTURE_DATE],
    );
    assert_eq!(inside.status.code(), Some(1), "{}", stderr(&inside));
    assert!(
        stderr(&inside).contains("using the manifest ../../borderline.toml"),
        "{}",
        stderr(&inside)
    );
    assert_eq!(finding_rows(&json_of(&inside)), rows);

    // `-q` says nothing.
    let quiet = borderline(
        dir.path(),
        &["scan", "services/checkout", "-q", "--date", FIXTURE_DATE],
    );
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn every_command_that_scans_finds_the_manifest_above() {
    let dir = tempfile::tempdir().unwrap();
    shop(dir.path());
    let date = ["--date", FIXTURE_DATE];
    let graph = borderline(
        dir.path(),
        &[
            &["graph", "services/checkout", "--format", "json"][..],
            &date,
        ]
        .concat(),
    );
    assert_eq!(graph.status.code(), Some(0), "{}", stderr(&graph));
    assert!(
        stdout(&graph).contains("\"clicklens\""),
        "{}",
        stdout(&graph)
    );
    let ropa = borderline(
        dir.path(),
        &[&["ropa", "services/checkout"][..], &date].concat(),
    );
    assert_eq!(ropa.status.code(), Some(0), "{}", stderr(&ropa));
    assert!(stdout(&ropa).contains("clicklens"), "{}", stdout(&ropa));
    let explain = borderline(
        dir.path(),
        &[
            &[
                "explain",
                "checkout",
                "clicklens",
                "--path",
                "services/checkout",
            ][..],
            &date,
        ]
        .concat(),
    );
    assert_eq!(explain.status.code(), Some(0), "{}", stderr(&explain));

    // `init` in a part governed by the manifest above writes no second manifest under it.
    let init = borderline(dir.path(), &["init", "services/checkout"]);
    assert_eq!(init.status.code(), Some(2), "{}", stderr(&init));
    assert!(
        stderr(&init).contains("already governs"),
        "{}",
        stderr(&init)
    );
    assert!(
        !dir.path()
            .join("services/checkout/borderline.toml")
            .exists()
    );
}

#[test]
fn the_search_for_a_manifest_stops_at_the_repository_and_yields_to_a_nearer_one_and_to_config() {
    let dir = tempfile::tempdir().unwrap();
    // A manifest outside the repository (above its `.git`) is not the repository's.
    write_file(
        dir.path(),
        "borderline.toml",
        "[policy]\nfail_on = \"note\"\n",
    );
    let repo = dir.path().join("repo");
    shop(&repo);
    std::fs::remove_file(repo.join("borderline.toml")).unwrap();
    let outside = borderline(
        &repo,
        &["scan", "services/checkout", "--date", FIXTURE_DATE],
    );
    assert!(
        !stderr(&outside).contains("using the manifest"),
        "{}",
        stderr(&outside)
    );
    // A worktree's `.git` is a file: the repository root all the same.
    std::fs::remove_dir_all(repo.join(".git")).unwrap();
    write_file(&repo, ".git", "gitdir: /elsewhere\n");
    let worktree = borderline(
        &repo,
        &["scan", "services/checkout", "--date", FIXTURE_DATE],
    );
    assert!(
        !stderr(&worktree).contains("using the manifest"),
        "{}",
        stderr(&worktree)
    );

    // The part's own manifest wins over the one above, silently as today.
    let dir = tempfile::tempdir().unwrap();
    shop(dir.path());
    write_file(
        dir.path(),
        "services/checkout/borderline.toml",
        "[policy]\nfail_on = \"never\"\n",
    );
    let own = borderline(
        dir.path(),
        &["scan", "services/checkout", "--date", FIXTURE_DATE],
    );
    assert_eq!(own.status.code(), Some(0), "{}", stderr(&own));
    assert!(
        !stderr(&own).contains("using the manifest"),
        "{}",
        stderr(&own)
    );

    // `--config` wins over both.
    write_file(
        dir.path(),
        "ci/strict.toml",
        "[policy]\nfail_on = \"never\"\n",
    );
    std::fs::remove_file(dir.path().join("services/checkout/borderline.toml")).unwrap();
    let config = borderline(
        dir.path(),
        &[
            "scan",
            "services/checkout",
            "--config",
            "ci/strict.toml",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(config.status.code(), Some(0), "{}", stderr(&config));
    assert!(
        !stderr(&config).contains("using the manifest"),
        "{}",
        stderr(&config)
    );
}

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join("demo"), dir.path());
    dir
}

#[test]
fn dash_as_the_output_file_is_standard_output() {
    let dir = demo_copy();
    let scan = borderline(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "-o",
            "-",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(scan.status.code(), Some(1), "{}", stderr(&scan));
    json_of(&scan);
    let rules = borderline(dir.path(), &["rules", "--output", "-"]);
    assert_eq!(rules.status.code(), Some(0));
    assert!(stdout(&rules).starts_with("Checks"), "{}", stdout(&rules));
    let graph = borderline(dir.path(), &["graph", "--format", "mermaid", "-o", "-"]);
    assert_eq!(graph.status.code(), Some(0));
    assert!(!stdout(&graph).is_empty());
    assert!(
        !dir.path().join("-").exists(),
        "a file named `-` was written"
    );

    // `init -o -` prints the starter manifest and writes nothing.
    let bare = tempfile::tempdir().unwrap();
    copy_dir(
        &fixtures_dir().join("demo/services"),
        &bare.path().join("services"),
    );
    let init = borderline(bare.path(), &["init", "-o", "-"]);
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    assert!(stdout(&init).contains("[[node]]"), "{}", stdout(&init));
    assert!(!bare.path().join("-").exists());
    assert!(!bare.path().join("borderline.toml").exists());
}

#[test]
fn a_flow_is_explained_from_two_words_as_from_the_quoted_arrow() {
    let dir = demo_copy();
    let date = ["--date", FIXTURE_DATE];
    let words = borderline(
        dir.path(),
        &[&["explain", "storefront", "clicklens"][..], &date].concat(),
    );
    assert_eq!(words.status.code(), Some(0), "{}", stderr(&words));
    let arrow = borderline(
        dir.path(),
        &[
            &["explain", "storefront->clicklens", "--path", "."][..],
            &date,
        ]
        .concat(),
    );
    assert_eq!(arrow.status.code(), Some(0), "{}", stderr(&arrow));
    assert_eq!(stdout(&words), stdout(&arrow));
    assert!(stdout(&words).contains("clicklens"));

    // What the shell leaves of `explain checkout->clicklens` unquoted is explained.
    let cut = borderline(dir.path(), &["explain", "checkout-"]);
    assert_eq!(cut.status.code(), Some(2));
    assert!(
        stderr(&cut).contains("borderline explain checkout TO"),
        "{}",
        stderr(&cut)
    );
    // Both forms at once is a mistake, said as one.
    let both = borderline(dir.path(), &["explain", "checkout->clicklens", "stripe"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr(&both).contains("not both"), "{}", stderr(&both));
    // A rule is still explained from one word.
    let rule = borderline(dir.path(), &["explain", "transfer-without-safeguard"]);
    assert_eq!(rule.status.code(), Some(0), "{}", stderr(&rule));
}

#[test]
fn a_command_refuses_the_options_it_does_not_use() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "x.json", "{}");
    for args in [
        &["rules", "--baseline", "x.json"][..],
        &["rules", "--terraform-plan", "x.json"],
        &["rules", "--policy-from", "main"],
        &["rules", "--config", "x.json"],
        &["rules", "--cache", "cache"],
        &["rules", "--jobs", "2"],
        &["merge", "x.json", "--policy-from", "main"],
        &["graph", "--baseline", "x.json"],
        &["ropa", "--fail-on", "warning"],
        &["init", "--show-known"],
    ] {
        let output = borderline(dir.path(), args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        // `rules` takes the repository options for `--impact` only, and says so.
        assert!(
            stderr(&output).contains("unexpected argument")
                || (args[0] == "rules" && stderr(&output).contains("--impact <DECISION>")),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // The documented combinations still parse and run.
    let demo = demo_copy();
    for args in [
        &[
            "rules",
            "--rules",
            "rules-missing-is-fine-not",
            "--date",
            "2026-01-01",
        ][..],
        &[
            "rules",
            "--date",
            "2026-01-01",
            "--format",
            "json",
            "-o",
            "r.json",
        ],
        &[
            "scan",
            ".",
            "-q",
            "--jobs",
            "1",
            "--fail-on",
            "never",
            "--format",
            "markdown",
        ],
        &["graph", ".", "--format", "json", "-o", "shop.json", "-q"],
        &[
            "merge",
            "shop.json",
            "--format",
            "mermaid",
            "--date",
            "2026-01-01",
        ],
        &[
            "ropa",
            ".",
            "--format",
            "json",
            "--config",
            "borderline.toml",
            "--jobs",
            "1",
        ],
    ] {
        let output = borderline(demo.path(), args);
        let code = output.status.code();
        if args[1] == "--rules" {
            // A missing rules directory is a runtime error, not a usage error.
            assert_eq!(code, Some(2), "{args:?}");
            assert!(!stderr(&output).contains("unexpected argument"), "{args:?}");
        } else {
            assert_eq!(code, Some(0), "{args:?}: {}", stderr(&output));
        }
    }
}

/// The `  borderline ...` lines after `Examples:` in a command's `--help`, comments dropped.
fn examples(command: &str) -> Vec<Vec<String>> {
    let help = borderline(Path::new("."), &[command, "--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = stdout(&help);
    let tail = text
        .split_once("Examples:\n")
        .unwrap_or_else(|| panic!("no examples in `{command} --help`:\n{text}"))
        .1;
    let lines: Vec<Vec<String>> = tail
        .lines()
        .filter_map(|line| line.trim().strip_prefix("borderline "))
        .map(|line| {
            let command = line.split("  #").next().unwrap_or(line);
            command
                .split_whitespace()
                .map(|word| word.trim_matches('\'').to_string())
                .collect()
        })
        .collect();
    assert!(
        (2..=3).contains(&lines.len()),
        "`{command} --help` has {} examples:\n{text}",
        lines.len()
    );
    lines
}

#[test]
fn every_help_example_works_in_the_demo() {
    for command in [
        "scan", "graph", "ropa", "explain", "rules", "init", "merge", "diff",
    ] {
        let dir = demo_copy();
        if command == "init" {
            std::fs::remove_file(dir.path().join("borderline.toml")).unwrap();
        }
        if command == "merge" {
            let fragment = borderline(
                dir.path(),
                &["graph", "--format", "json", "-o", "shop.json"],
            );
            assert_eq!(fragment.status.code(), Some(0));
        }
        for example in examples(command) {
            let mut args: Vec<&str> = example.iter().map(String::as_str).collect();
            // The fixed date keeps verdicts from drifting; an example that gives one keeps it.
            // (`diff` compares two maps already judged: it has no evaluation date.)
            if !args.contains(&"--date") && args.first() != Some(&"diff") {
                args.extend(["--date", FIXTURE_DATE]);
            }
            let output = borderline(dir.path(), &args);
            assert!(
                matches!(output.status.code(), Some(0 | 1)),
                "`borderline {}` failed: {}",
                args.join(" "),
                stderr(&output)
            );
        }
    }
}

#[test]
fn known_findings_take_one_line_each_unless_asked_for_in_full() {
    let dir = demo_copy();
    let write = borderline(
        dir.path(),
        &[
            "scan",
            "--write-baseline",
            "base.json",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(write.status.code(), Some(1), "{}", stderr(&write));
    let full_report = stdout(&write);
    let known = borderline(
        dir.path(),
        &["scan", "--baseline", "base.json", "--date", FIXTURE_DATE],
    );
    assert_eq!(known.status.code(), Some(0), "{}", stderr(&known));
    let text = stdout(&known);
    let (_, list) = text
        .split_once(" known findings (in the baseline")
        .unwrap_or_else(|| panic!("no list of known findings:\n{text}"));
    let lines: Vec<&str> = list
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("  known "))
        .collect();
    let count = lines.len();
    assert!(count > 3, "{text}");
    assert!(
        lines.iter().any(|l| l
            .starts_with("  known error[transfer-without-safeguard] infra/terraform/backup.tf:")),
        "{lines:?}"
    );
    // No snippet, no `[known]` title: far shorter than the full report.
    assert!(!text.contains("[known]"), "{text}");
    assert!(text.lines().count() < count + 10, "{text}");
    assert!(text.len() * 3 < full_report.len());

    let shown = borderline(
        dir.path(),
        &[
            "scan",
            "--baseline",
            "base.json",
            "--show-known",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(shown.status.code(), Some(0));
    assert_eq!(stdout(&shown).matches("[known]").count(), count);
}

#[test]
fn a_part_of_the_demo_is_judged_by_its_manifest_and_reports_only_the_part() {
    let demo = fixtures_dir().join("demo");
    // Before, the part was scanned without the manifest: the special-category transfer of
    // prescriptions passed the gate.
    let prescriptions = borderline(
        &demo,
        &[
            "scan",
            "services/prescriptions",
            "--format",
            "json",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(
        prescriptions.status.code(),
        Some(1),
        "{}",
        stderr(&prescriptions)
    );
    let rows = finding_rows(&json_of(&prescriptions));
    assert!(
        rows.iter().any(
            |(rule, from, to, file, _)| rule == "special-category-transfer"
                && from == "prescriptions"
                && to == "medscribe"
                && file == "services/prescriptions/app/transcribe.py"
        ),
        "{rows:?}"
    );
    // The manifest's declarations about other parts are theirs; an unknown the part cannot
    // resolve says why.
    let checkout = borderline(
        &demo,
        &[
            "scan",
            "services/checkout",
            "--format",
            "json",
            "--date",
            FIXTURE_DATE,
        ],
    );
    let report = json_of(&checkout);
    let rows = finding_rows(&report);
    assert!(
        rows.iter()
            .all(|(_, from, to, _, _)| from != "prescriptions"
                && from != "storefront"
                && to != "medscribe"),
        "{rows:?}"
    );
    let unknown = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "unknown-location" && f["to"] == "aws_db_instance.orders")
        .unwrap_or_else(|| panic!("{rows:?}"));
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("only `services/checkout` was scanned"),
        "{unknown}"
    );
}
