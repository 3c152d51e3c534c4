//! Terraform from a hostile pull request: module trees that multiply, locals that double or refer
//! to each other, and resource arguments built from each other must be evaluated within bounded
//! memory and time. What exceeds a budget is an `input-error` at its file and line, and findings
//! elsewhere in the same repository are still reported.

use crate::support::{FIXTURE_DATE, assert_finished_within_bounds, borderline_bounded, findings};
use std::fmt::Write as _;
use std::path::Path;

/// A database whose region nobody sets, declared to hold personal data: an `unknown-location`
/// finding that must survive whatever the hostile files next to it do.
const REAL_TF: &str = "variable \"region\" {\n  type = string\n}\n\nprovider \"aws\" {\n  region = var.region\n}\n\nresource \"aws_db_instance\" \"orders\" {\n  identifier = \"orders\"\n}\n";
const REAL_MANIFEST: &str = "[[node]]\nid = \"aws_db_instance.orders\"\nkind = \"store\"\ndata = [\"user.contact.address\"]\n";

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    assert!(text.len() < 1_000_000, "hostile inputs stay under 1 MB");
    std::fs::write(path, text).unwrap();
}

/// A repository holding the real database next to the hostile files.
fn repository(hostile: &[(&str, String)]) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "real/main.tf", REAL_TF);
    write(repo.path(), "borderline.toml", REAL_MANIFEST);
    for (path, text) in hostile {
        write(repo.path(), path, text);
    }
    repo
}

/// Scans under generous memory and CPU ceilings and returns the JSON report.
fn scan_bounded(repo: &Path, what: &str) -> serde_json::Value {
    let output = borderline_bounded(
        repo,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
        1024,
        20,
    );
    assert_finished_within_bounds(&output, what);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: no JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The real finding elsewhere in the repository is still there.
fn assert_real_finding(report: &serde_json::Value) {
    let unknown = findings(report, "unknown-location");
    assert!(
        unknown
            .iter()
            .any(|f| f["location"]["file"] == "real/main.tf" && f["location"]["line"] == 9),
        "the real database's finding is lost: {report:#}"
    );
}

/// An input-error at `file:line` whose message contains every one of `words`.
fn assert_input_error(report: &serde_json::Value, file: &str, line: u64, words: &[&str]) {
    let errors = findings(report, "input-error");
    assert!(
        errors.iter().any(|f| {
            let message = f["message"].as_str().unwrap_or_default();
            f["location"]["file"] == file
                && f["location"]["line"] == line
                && words.iter().all(|w| message.contains(w))
        }),
        "no input-error at {file}:{line} mentioning {words:?}: {errors:#?}"
    );
}

#[test]
fn a_module_tree_that_multiplies_is_cut_off_with_an_input_error() {
    // Nine levels of modules, each calling the next ten times: 10^8 instances from a few KB.
    let mut hostile = Vec::new();
    let mut root = String::new();
    for call in 0..10 {
        writeln!(
            root,
            "module \"c{call}\" {{\n  source = \"../m1\"\n  name   = \"n{call}\"\n}}\n"
        )
        .unwrap();
    }
    hostile.push(("tree/m0/main.tf", root));
    for level in 1..=9 {
        let mut text = String::from(
            "variable \"name\" {\n  type = string\n}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n}\n\n",
        );
        if level < 9 {
            for call in 0..10 {
                writeln!(
                    text,
                    "module \"c{call}\" {{\n  source = \"../m{}\"\n  name   = \"${{var.name}}-{call}\"\n}}\n",
                    level + 1
                )
                .unwrap();
            }
        }
        hostile.push((
            match level {
                1 => "tree/m1/main.tf",
                2 => "tree/m2/main.tf",
                3 => "tree/m3/main.tf",
                4 => "tree/m4/main.tf",
                5 => "tree/m5/main.tf",
                6 => "tree/m6/main.tf",
                7 => "tree/m7/main.tf",
                8 => "tree/m8/main.tf",
                _ => "tree/m9/main.tf",
            },
            text,
        ));
    }
    let hostile: Vec<(&str, String)> = hostile;
    let repo = repository(&hostile);
    let report = scan_bounded(repo.path(), "multiplying module tree");
    assert_real_finding(&report);
    let errors = findings(&report, "input-error");
    assert!(
        errors.iter().any(|f| {
            let message = f["message"].as_str().unwrap_or_default();
            f["location"]["file"]
                .as_str()
                .is_some_and(|file| file.starts_with("tree/m"))
                && f["location"]["line"].as_u64().is_some()
                && message.contains("instances")
                && message.contains("not evaluated")
        }),
        "no input-error for the module tree: {errors:#?}"
    );
    // What was read before the budget ran out is still reported.
    let nodes = report["nodes"].as_array().unwrap();
    assert!(
        nodes
            .iter()
            .any(|n| n["id"] == "module.c0.aws_s3_bucket.b" && n["label"] == "S3 bucket `n0`"),
        "the first instances are no longer read"
    );
}

/// `count` locals, each the next one `fan` times over: the last is `fan^count` characters.
fn doubling_locals(count: usize, fan: usize) -> String {
    let mut text = String::from("locals {\n  l0 = \"x\"\n");
    for level in 1..count {
        let part = format!("${{local.l{}}}", level - 1);
        writeln!(text, "  l{level} = \"{}\"", part.repeat(fan)).unwrap();
    }
    text.push_str("}\n\nresource \"aws_s3_bucket\" \"b\" {\n");
    writeln!(text, "  bucket = local.l{}\n}}", count - 1).unwrap();
    text
}

#[test]
fn locals_that_multiply_are_memoised_and_bounded() {
    // l1 is 10 characters, l6 a million, l7 ten million: l7 (line 9) exceeds the size bound.
    // Fifteen levels stay within the depth bound on references, so without memoisation every
    // level is evaluated: 10^14 times for l0.
    let text = doubling_locals(15, 10);
    let repo = repository(&[("locals/main.tf", text)]);
    let report = scan_bounded(repo.path(), "multiplying locals");
    assert_real_finding(&report);
    assert_input_error(&report, "locals/main.tf", 9, &["local.l7", "unknown"]);
    // The bucket whose name is the hostile local is still a store, with no name.
    let nodes = report["nodes"].as_array().unwrap();
    assert!(
        nodes
            .iter()
            .any(|n| n["id"] == "aws_s3_bucket.b" && n["label"] == "S3 bucket"),
        "the bucket is lost"
    );
}

#[test]
fn locals_that_refer_to_each_other_are_a_cycle_not_a_hang() {
    // `try` turns the error at the end of the cycle into "", so without cycle detection every
    // reference is followed twelve ways until the depth bound: 12^10 evaluations.
    let mut text = String::from("locals {\n");
    for (name, other) in [("a", "b"), ("b", "c"), ("c", "a")] {
        let part = format!("${{try(local.{other}, \"\")}}");
        writeln!(text, "  {name} = \"{}\"", part.repeat(12)).unwrap();
    }
    text.push_str("}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.a\n}\n");
    let repo = repository(&[("cycle/main.tf", text)]);
    let report = scan_bounded(repo.path(), "locals in a cycle");
    assert_real_finding(&report);
    assert_input_error(&report, "cycle/main.tf", 2, &["local.a", "cycle"]);
}

#[test]
fn resource_arguments_built_from_each_other_are_evaluated_once() {
    // Each bucket's name is the previous bucket's name twelve times: 12^30 without memoisation.
    let mut text = String::from("resource \"aws_s3_bucket\" \"r0\" {\n  bucket = \"x\"\n}\n");
    for level in 1..30 {
        let part = format!("${{aws_s3_bucket.r{}.bucket}}", level - 1);
        writeln!(
            text,
            "\nresource \"aws_s3_bucket\" \"r{level}\" {{\n  bucket = \"{}\"\n}}",
            part.repeat(12)
        )
        .unwrap();
    }
    let repo = repository(&[("chain/main.tf", text)]);
    let report = scan_bounded(repo.path(), "resource arguments built from each other");
    assert_real_finding(&report);
    // r6 would be 12^6 = 3 MB long: its `bucket` argument (line 26) is an input-error.
    assert_input_error(
        &report,
        "chain/main.tf",
        26,
        &["aws_s3_bucket.r6.bucket", "unknown"],
    );
    let nodes = report["nodes"].as_array().unwrap();
    assert!(
        nodes.iter().any(|n| n["id"] == "aws_s3_bucket.r2"
            && n["label"] == format!("S3 bucket `{}`", "x".repeat(144))),
        "short names are still evaluated"
    );
}

#[test]
fn many_roots_calling_one_large_module_are_bounded_over_the_repository() {
    // 1,000 roots each read the same 10,000-bucket module: ten million stores from 400 KB.
    let mut shared = String::new();
    for bucket in 0..10_000 {
        writeln!(
            shared,
            "resource \"aws_s3_bucket\" \"b{bucket}\" {{\n  bucket = \"b{bucket}\"\n}}"
        )
        .unwrap();
    }
    let mut hostile = vec![("roots/shared/main.tf".to_string(), shared)];
    for root in 0..1_000 {
        hostile.push((
            format!("roots/r{root:04}/main.tf"),
            "\nmodule \"m\" {\n  source = \"../shared\"\n}\n".to_string(),
        ));
    }
    let hostile: Vec<(&str, String)> = hostile
        .iter()
        .map(|(path, text)| (path.as_str(), text.clone()))
        .collect();
    assert!(hostile.iter().map(|(_, text)| text.len()).sum::<usize>() < 1_000_000);
    let repo = repository(&hostile);
    let report = scan_bounded(repo.path(), "many roots calling one large module");
    assert_real_finding(&report);
    // The roots are read in path order until the bound (each costs 10,002 of 50,000): r0004 is
    // the first one past it, and the error is reported once.
    assert_input_error(
        &report,
        "roots/r0004/main.tf",
        2,
        &["roots/r0004", "not evaluated", "995 roots after it"],
    );
    assert_eq!(findings(&report, "input-error").len(), 1);
    let nodes = report["nodes"].as_array().unwrap();
    assert!(
        nodes
            .iter()
            .any(|n| n["id"] == "roots/r0003/module.m.aws_s3_bucket.b9999"),
        "the roots within the bound are read"
    );
}

#[test]
fn a_module_called_many_times_with_the_same_inputs_is_evaluated_once() {
    // 900 calls of one module whose locals multiply to 100 KB (111,111 evaluations each without
    // memoisation): evaluated once, then remembered.
    let mut root = String::new();
    for call in 0..900 {
        writeln!(
            root,
            "module \"c{call}\" {{\n  source = \"../shared\"\n  seed   = \"x\"\n}}"
        )
        .unwrap();
    }
    let mut shared =
        String::from("variable \"seed\" {\n  type = string\n}\n\nlocals {\n  l0 = var.seed\n");
    for level in 1..6 {
        let part = format!("${{local.l{}}}", level - 1);
        writeln!(shared, "  l{level} = \"{}\"", part.repeat(10)).unwrap();
    }
    shared.push_str(
        "}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.l5 == \"\" ? \"empty\" : \"full\"\n}\n",
    );
    let repo = repository(&[("same/root/main.tf", root), ("same/shared/main.tf", shared)]);
    let report = scan_bounded(
        repo.path(),
        "a module called many times with the same inputs",
    );
    assert_real_finding(&report);
    assert!(
        findings(&report, "input-error").is_empty(),
        "{:#?}",
        findings(&report, "input-error")
    );
    let nodes = report["nodes"].as_array().unwrap();
    for call in [0, 450, 899] {
        let id = format!("module.c{call}.aws_s3_bucket.b");
        assert!(
            nodes
                .iter()
                .any(|n| n["id"] == id.as_str() && n["label"] == "S3 bucket `full`"),
            "{id} is not read with its name"
        );
    }
}
