//! The scanned repository is hostile: symlinks out of the root, FIFOs, huge and non-UTF-8 files
//! must neither leak, hang nor stop the scan.

use crate::support::{FIXTURE_DATE, borderline, stderr, stdout};
use std::path::Path;

const BUCKET_TF: &str = "provider \"aws\" {\n  region = \"us-east-1\"\n}\n\nresource \"aws_s3_bucket\" \"inside\" {\n  bucket = \"inside\"\n}\n";

fn scan_json(dir: &Path) -> serde_json::Value {
    let output = borderline(
        dir,
        &["scan", ".", "--date", FIXTURE_DATE, "--format", "json"],
    );
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn node_ids(report: &serde_json::Value) -> Vec<String> {
    report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn symlinks_out_of_the_root_and_loops_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.tf"),
        "resource \"aws_s3_bucket\" \"outside_secret\" {\n  bucket = \"x\"\n}\n",
    )
    .unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("main.tf"), BUCKET_TF).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.tf"),
        repo.path().join("linked.tf"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("linked-dir")).unwrap();
    std::os::unix::fs::symlink(repo.path(), repo.path().join("loop")).unwrap();
    let report = scan_json(repo.path());
    let ids = node_ids(&report);
    assert!(ids.contains(&"aws_s3_bucket.inside".to_string()), "{ids:?}");
    assert!(
        !ids.iter().any(|id| id.contains("outside_secret")),
        "{ids:?}"
    );
    // Paths in the output are relative to the root: nothing of the machine's layout leaks.
    let text = report.to_string();
    assert!(!text.contains(&outside.path().display().to_string()));
    assert!(!text.contains(&repo.path().display().to_string()));
}

#[test]
fn fifos_are_never_opened() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("main.tf"), BUCKET_TF).unwrap();
    let fifo = repo.path().join("pipe.tf");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    // Opening a FIFO with no writer blocks forever: finishing at all shows it was skipped.
    let report = scan_json(repo.path());
    assert!(node_ids(&report).contains(&"aws_s3_bucket.inside".to_string()));
}

#[test]
fn huge_and_non_utf8_files_are_skipped_with_a_finding_and_the_rest_is_scanned() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("main.tf"), BUCKET_TF).unwrap();
    let mut huge = String::from("# generated\n");
    while huge.len() <= 5 * 1024 * 1024 {
        huge.push_str(
            "locals {\n  padding = \"0123456789abcdef0123456789abcdef0123456789abcdef\"\n}\n",
        );
    }
    std::fs::write(repo.path().join("huge.tf"), huge).unwrap();
    std::fs::write(
        repo.path().join("latin1.tf"),
        b"# Gr\xfc\xdfe\nresource \"aws_s3_bucket\" \"x\" {}\n",
    )
    .unwrap();
    let report = scan_json(repo.path());
    let findings = report["findings"].as_array().unwrap();
    let input_errors: Vec<String> = findings
        .iter()
        .filter(|f| f["rule"] == "input-error")
        .map(|f| format!("{} {}", f["location"]["file"], f["message"]))
        .collect();
    assert!(
        input_errors
            .iter()
            .any(|m| m.contains("huge.tf") && m.contains("larger than")),
        "{input_errors:?}"
    );
    assert!(
        input_errors
            .iter()
            .any(|m| m.contains("latin1.tf") && m.contains("not UTF-8")),
        "{input_errors:?}"
    );
    assert!(node_ids(&report).contains(&"aws_s3_bucket.inside".to_string()));
}

#[test]
fn control_characters_from_the_repository_never_reach_the_terminal() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("borderline.toml"),
        "[[node]]\nid = \"web\"\nlocation = \"DE\"\n\n[[flow]]\nfrom = \"web\"\nto = \"evil\\u001b[31mred\\u001b]8;;http://x\\u0007\"\n",
    )
    .unwrap();
    let output = borderline(repo.path(), &["scan", "."]);
    let text = stdout(&output);
    assert!(text.contains("unresolved-reference"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
}

/// Fixture cases whose scan touches every extractor and endpoint resolution (hosts of vendors).
const NETWORK_CASES: &[&str] = &[
    "demo",
    "env-vendors",
    "endpoints-cloud",
    "terraform-s3-replication",
    "k8s-eu-cluster",
    "annotations-python-go",
];

/// The `unshare` arguments that give a process a network namespace of its own here: `-n` as root,
/// else `-r -n` (a user namespace first, which an unprivileged user may make where the kernel
/// allows it). The error says why neither works.
fn unshare_arguments() -> Result<&'static [&'static str], String> {
    let mut refusals = Vec::new();
    for arguments in [&["-n"][..], &["-r", "-n"][..]] {
        match std::process::Command::new("unshare")
            .args(arguments)
            .arg("true")
            .output()
        {
            Ok(output) if output.status.success() => return Ok(arguments),
            Ok(output) => refusals.push(format!(
                "`unshare {}` is not permitted: {}",
                arguments.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Err(error) => return Err(format!("`unshare` cannot run: {error}")),
        }
    }
    Err(refusals.join("; "))
}

/// The opt-out for machines that cannot make a network namespace (a container without the
/// right to), set on purpose: without it a missing `unshare` fails the test instead of letting it
/// pass having checked nothing.
const SKIP_UNSHARE: &str = "BORDERLINE_SKIP_UNSHARE";

#[test]
fn a_scan_without_any_network_gives_byte_identical_output() {
    let unshare = match unshare_arguments() {
        Ok(arguments) => arguments,
        Err(reason) => {
            if std::env::var_os(SKIP_UNSHARE).is_some_and(|v| v == "1") {
                eprintln!(
                    "SKIPPED because {SKIP_UNSHARE}=1: {reason}; the scan's independence from the \
                 network is NOT checked on this machine"
                );
                return;
            }
            panic!(
                "{reason}. This test proves a scan needs no network by running it in a network \
             namespace of its own: install util-linux (`unshare`; `.ci/run` does) and allow \
             namespaces (a container needs e.g. `--cap-add SYS_ADMIN`), or set \
             {SKIP_UNSHARE}=1 to skip it knowingly"
            );
        }
    };
    for case in NETWORK_CASES {
        let dir = crate::support::fixtures_dir().join(case);
        let args = ["scan", ".", "--date", FIXTURE_DATE, "--format", "json"];
        let normal = borderline(&dir, &args);
        // A network namespace of its own has only a downed loopback: any connection would fail.
        let isolated = std::process::Command::new("unshare")
            .args(unshare)
            .arg(env!("CARGO_BIN_EXE_borderline"))
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(
            normal.status.code(),
            isolated.status.code(),
            "{case}: {}",
            String::from_utf8_lossy(&isolated.stderr)
        );
        assert!(!normal.stdout.is_empty(), "{case}");
        assert!(
            normal.stdout == isolated.stdout,
            "{case}: the output differs without network"
        );
    }
}

#[test]
fn no_output_format_leaks_an_absolute_path() {
    let repo = tempfile::tempdir().unwrap();
    for case in [
        "demo",
        "env-vendors",
        "k8s-eu-cluster",
        "terraform-s3-replication",
    ] {
        let target = if case == "demo" {
            repo.path().to_path_buf()
        } else {
            repo.path().join(case)
        };
        crate::support::copy_dir(&crate::support::fixtures_dir().join(case), &target);
    }
    // A broken file too: its input-error names the file.
    std::fs::write(repo.path().join("broken.tf"), "resource \"x\" {\n").unwrap();
    let root = repo.path().to_str().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let runs: &[&[&str]] = &[
        &["scan", "--format", "text"],
        &["scan", "--format", "json"],
        &["scan", "--format", "sarif"],
        &["scan", "--format", "markdown"],
        &["graph", "--format", "dot"],
        &["graph", "--format", "mermaid"],
        &["graph", "--format", "json"],
        &["ropa", "--format", "csv"],
        &["ropa", "--format", "markdown"],
        &["ropa", "--format", "json"],
    ];
    for args in runs {
        let mut all = args.to_vec();
        all.extend([root, "--date", FIXTURE_DATE]);
        // Run from elsewhere with an absolute PATH: the worst case for leaking the machine's layout.
        let output = borderline(elsewhere.path(), &all);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = stdout(&output);
        assert!(
            text.contains("broken.tf") || args[0] != "scan",
            "{args:?}: {text}"
        );
        assert!(!text.contains(root), "{args:?} leaks {root}:\n{text}");
        assert!(
            !text.contains(elsewhere.path().to_str().unwrap()),
            "{args:?} leaks the working directory"
        );
    }
}

/// Every finding of a JSON report: (file, line, message).
fn input_errors(report: &serde_json::Value) -> Vec<(String, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "input-error")
        .map(|f| {
            (
                f["location"]["file"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn deep_nesting_in_every_format_is_an_input_error_not_a_stack_overflow() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("main.tf"), BUCKET_TF).unwrap();
    let deep = "[".repeat(100_000);
    let files = [
        (
            "src/lib.rs",
            format!("// borderline\nfn f() {{ let x = {deep}; }}\n"),
        ),
        ("infra/deep.tf", format!("locals {{\n  x = {deep}\n}}\n")),
        (
            "infra/parens.tf",
            format!("locals {{\n  x = {}1\n}}\n", "(".repeat(100_000)),
        ),
        ("k8s/deep.yaml", format!("kind: ConfigMap\ndata: {deep}\n")),
        ("appsettings.json", format!("{{\"a\": {deep}\n")),
        ("config.toml", format!("a = {deep}\n")),
        (
            "jobs/deep.py",
            format!("# borderline: flow from=a to=b data={deep}\n"),
        ),
    ];
    for (path, text) in &files {
        let full = repo.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let report = scan_json(repo.path());
    let errors = input_errors(&report);
    for (path, _) in &files {
        assert!(
            errors
                .iter()
                .any(|(file, line, _)| file == path && *line >= 1),
            "{path}: no input-error in {errors:#?}"
        );
    }
    assert!(node_ids(&report).contains(&"aws_s3_bucket.inside".to_string()));
}

#[test]
fn a_yaml_alias_bomb_is_an_input_error_and_the_rest_is_scanned() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("main.tf"), BUCKET_TF).unwrap();
    // Nine levels of nine aliases each: 9^9 nodes if expanded.
    let mut bomb = String::from("kind: ConfigMap\ndata:\n  a: &a [x,x,x,x,x,x,x,x,x]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (previous, name) = (pair[0], pair[1]);
        let refs = vec![format!("*{previous}"); 9].join(",");
        bomb.push_str(&format!("  {name}: &{name} [{refs}]\n"));
    }
    std::fs::write(repo.path().join("bomb.yaml"), &bomb).unwrap();
    let report = scan_json(repo.path());
    let errors = input_errors(&report);
    assert!(
        errors
            .iter()
            .any(|(file, line, _)| file == "bomb.yaml" && *line >= 1),
        "{errors:#?}"
    );
    assert!(node_ids(&report).contains(&"aws_s3_bucket.inside".to_string()));
}

/// A file just under the size cap with an endpoint on every line is scanned to the end (a per-flow
/// search in the JSON report once made this take minutes; speed itself is measured by
/// `cargo xtask bench`, not asserted here). Distinct vendors in the middle and on the last line
/// must both become flows, at their own lines: a scan that stops early, or loses count of lines,
/// fails. The run is bounded, so a scan that no longer finishes fails rather than hangs.
#[test]
fn a_file_full_of_endpoints_is_scanned_to_the_end() {
    let repo = tempfile::tempdir().unwrap();
    let line = "A_URL=https://api.segment.io/v1\n";
    let half = 1_950_000 / line.len();
    let middle = "B_URL=https://api.mixpanel.com/track\n";
    let last = "C_URL=https://o1.ingest.sentry.io/api/1\n";
    let text = format!("{}{middle}{}{last}", line.repeat(half), line.repeat(half));
    std::fs::write(repo.path().join(".env"), &text).unwrap();
    let middle_line = half + 1;
    let last_line = 2 * half + 2;
    assert_eq!(text.lines().count(), last_line);

    let output = crate::support::borderline_bounded(
        repo.path(),
        &["scan", ".", "--date", FIXTURE_DATE, "--format", "json"],
        4096,
        300,
    );
    crate::support::assert_finished_within_bounds(&output, "a file full of endpoints");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)));
    let flows = report["flows"].as_array().cloned().unwrap_or_default();
    let line_of = |vendor: &str| {
        flows
            .iter()
            .find(|f| f["to"] == vendor)
            .and_then(|f| f["location"]["line"].as_u64())
    };
    let described: Vec<String> = flows
        .iter()
        .map(|f| format!("{} -> {} at {}", f["from"], f["to"], f["location"]))
        .collect();
    assert!(
        line_of("segment").is_some(),
        "no flow to segment: {described:?}"
    );
    assert_eq!(
        line_of("mixpanel"),
        Some(middle_line as u64),
        "the endpoint in the middle: {described:?}"
    );
    assert_eq!(
        line_of("sentry"),
        Some(last_line as u64),
        "the endpoint on the last line: {described:?}"
    );
}
