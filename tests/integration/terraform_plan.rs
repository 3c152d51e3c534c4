//! Terraform plans in JSON (`terraform show -json`): read from the tree or given with
//! `--terraform-plan FILE`, matched to the root whose `.tf` files they plan, their resolved regions
//! winning over what the `.tf` files leave unknown, without counting a store twice; hostile plans
//! are bounded and a file that is not a plan is not one.

use crate::support::{
    FIXTURE_DATE, assert_finished_within_bounds, borderline, borderline_bounded, copy_dir,
    findings, fixtures_dir, stderr, stdout,
};
use std::path::Path;

fn scan_json(dir: &Path, extra: &[&str]) -> (serde_json::Value, std::process::Output) {
    let mut args = vec!["scan", ".", "--format", "json", "--date", FIXTURE_DATE];
    args.extend_from_slice(extra);
    let output = borderline(dir, &args);
    let report = serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            stdout(&output),
            stderr(&output)
        )
    });
    (report, output)
}

fn node_ids(report: &serde_json::Value) -> Vec<String> {
    report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

fn place(finding: &serde_json::Value) -> (String, u64) {
    let location = &finding["location"];
    (
        location["file"].as_str().unwrap_or_default().to_string(),
        location["line"].as_u64().unwrap_or_default(),
    )
}

/// The module example without its plan: the same repository as the fixture, the plan moved
/// outside the scanned root.
fn example_without_plan() -> (tempfile::TempDir, tempfile::TempDir) {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join("tf-plan-module-example"), repo.path());
    let outside = tempfile::tempdir().unwrap();
    std::fs::rename(
        repo.path().join("examples/complete/plan.json"),
        outside.path().join("plan.json"),
    )
    .unwrap();
    (repo, outside)
}

#[test]
fn the_plan_places_a_store_the_tf_files_cannot_and_no_store_is_counted_twice() {
    let (report, _) = scan_json(&fixtures_dir().join("tf-plan-module-example"), &[]);
    let ids = node_ids(&report);
    assert!(
        ids.contains(&"module.s3_bucket.aws_s3_bucket.this[0]".to_string()),
        "{ids:?}"
    );
    assert!(
        !ids.iter()
            .any(|id| id == "module.s3_bucket.aws_s3_bucket.this"),
        "the .tf reader's node for the same bucket must not be there too: {ids:?}"
    );
    let node = report["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "module.s3_bucket.aws_s3_bucket.this[0]")
        .unwrap();
    assert_eq!(node["location"], "aws:ap-southeast-1");
    let errors = findings(&report, "transfer-without-safeguard");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(place(errors[0]), ("main.tf".to_string(), 4));
}

#[test]
fn a_plan_given_from_outside_the_root_is_matched_to_the_root_that_declares_it() {
    let (repo, outside) = example_without_plan();
    // Without the plan, the region is a variable nobody sets.
    let (before, _) = scan_json(repo.path(), &[]);
    assert_eq!(findings(&before, "transfer-without-safeguard").len(), 0);
    assert!(
        findings(&before, "unknown-location")
            .iter()
            .any(|f| place(f) == ("main.tf".to_string(), 4)),
        "{before:#}"
    );

    let plan = outside.path().join("plan.json");
    let (after, output) = scan_json(repo.path(), &["--terraform-plan", plan.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = findings(&after, "transfer-without-safeguard");
    assert_eq!(errors.len(), 1, "{after:#}");
    assert_eq!(place(errors[0]), ("main.tf".to_string(), 4));
    assert!(
        !findings(&after, "unknown-location")
            .iter()
            .any(|f| place(f) == ("main.tf".to_string(), 4)),
        "the plan's region wins over the .tf files' unknown one: {after:#}"
    );
    assert!(
        !node_ids(&after)
            .iter()
            .any(|id| id == "module.s3_bucket.aws_s3_bucket.this"),
        "{after:#}"
    );
}

#[test]
fn a_plan_given_from_inside_the_root_that_the_walk_reads_is_read_once() {
    let dir = fixtures_dir().join("tf-plan-module-example");
    let (plain, _) = scan_json(&dir, &[]);
    let (given, output) = scan_json(&dir, &["--terraform-plan", "examples/complete/plan.json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(node_ids(&plain), node_ids(&given));
    assert_eq!(plain["findings"], given["findings"]);
}

#[test]
fn a_given_file_under_any_name_is_read_and_one_that_is_not_a_plan_is_an_input_error() {
    let (repo, outside) = example_without_plan();
    let renamed = outside.path().join("saved.out");
    std::fs::rename(outside.path().join("plan.json"), &renamed).unwrap();
    let (report, _) = scan_json(
        repo.path(),
        &["--terraform-plan", renamed.to_str().unwrap()],
    );
    assert_eq!(findings(&report, "transfer-without-safeguard").len(), 1);

    let not_plan = outside.path().join("package.json");
    std::fs::write(&not_plan, "{\"name\": \"web\", \"version\": \"1.0.0\"}\n").unwrap();
    let (report, _) = scan_json(
        repo.path(),
        &["--terraform-plan", not_plan.to_str().unwrap()],
    );
    let errors = findings(&report, "input-error");
    assert!(
        errors.iter().any(|f| f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not the JSON of `terraform show -json`")),
        "{report:#}"
    );
}

#[test]
fn a_missing_given_plan_stops_the_scan() {
    let (repo, outside) = example_without_plan();
    let missing = outside.path().join("nowhere.json");
    let output = borderline(
        repo.path(),
        &["scan", ".", "--terraform-plan", missing.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read the Terraform plan"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn json_that_is_not_a_plan_is_silently_not_a_plan() {
    let (report, _) = scan_json(&fixtures_dir().join("tf-plan-registry"), &[]);
    assert!(findings(&report, "input-error").is_empty(), "{report:#}");
    let ids = node_ids(&report);
    assert!(!ids.iter().any(|id| id.contains("pricing")), "{ids:?}");
}

#[test]
fn a_second_plan_of_the_same_root_is_reported_and_not_counted() {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join("tf-plan-module-example"), repo.path());
    std::fs::copy(
        repo.path().join("examples/complete/plan.json"),
        repo.path().join("examples/complete/tfplan.json"),
    )
    .unwrap();
    let (report, _) = scan_json(repo.path(), &[]);
    assert_eq!(
        findings(&report, "transfer-without-safeguard").len(),
        1,
        "{report:#}"
    );
    assert!(
        findings(&report, "input-error").iter().any(|f| f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("a second plan of the Terraform root `examples/complete`")),
        "{report:#}"
    );
}

#[test]
fn deeply_nested_and_huge_plans_are_bounded() {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join("tf-plan-module-example"), repo.path());
    // Nesting past serde_json's recursion limit: an input error, not a stack overflow.
    let depth = 100_000;
    let nested = format!(
        "{{\"format_version\":\"1.2\",\"planned_values\":{}{}}}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    std::fs::write(repo.path().join("deep-plan.json"), nested).unwrap();
    // Child modules nested as deep as the parser allows, each with a store.
    let mut module = String::from("{\"address\":\"module.m\",\"resources\":[]}");
    for level in 0..60 {
        module = format!(
            "{{\"address\":\"module.m{level}\",\"resources\":[{{\"address\":\"module.m{level}.aws_s3_bucket.b\",\"mode\":\"managed\",\"type\":\"aws_s3_bucket\",\"name\":\"b\",\"values\":{{\"region\":\"eu-west-1\"}}}}],\"child_modules\":[{module}]}}"
        );
    }
    let modules = format!(
        "{{\"format_version\":\"1.2\",\"planned_values\":{{\"root_module\":{{\"child_modules\":[{module}]}}}}}}"
    );
    std::fs::write(repo.path().join("modules-plan.json"), modules).unwrap();
    let output = borderline_bounded(
        repo.path(),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
        1024,
        60,
    );
    assert_finished_within_bounds(&output, "nested plans");
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let errors = findings(&report, "input-error");
    assert!(
        errors
            .iter()
            .any(|f| f["location"]["file"] == "deep-plan.json"
                && f["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("recursion limit")),
        "{report:#}"
    );
    // The real plan next to them is still read.
    assert_eq!(findings(&report, "transfer-without-safeguard").len(), 1);
}

#[test]
fn a_plan_belongs_to_the_directory_that_declares_exactly_what_it_plans() {
    let repo = tempfile::tempdir().unwrap();
    let module = "resource \"aws_s3_bucket\" \"this\" {\n  bucket = var.name\n}\n\nvariable \"name\" {\n  type = string\n}\n";
    let example = |extra: &str| {
        format!(
            "provider \"aws\" {{\n  region = var.region\n}}\n\nvariable \"region\" {{\n  type = string\n}}\n\nmodule \"bucket\" {{\n  source = \"../../\"\n  name   = \"media\"\n}}\n{extra}"
        )
    };
    std::fs::create_dir_all(repo.path().join("examples/simple")).unwrap();
    std::fs::create_dir_all(repo.path().join("examples/complete")).unwrap();
    std::fs::write(repo.path().join("main.tf"), module).unwrap();
    std::fs::write(repo.path().join("examples/simple/main.tf"), example("")).unwrap();
    std::fs::write(
        repo.path().join("examples/complete/main.tf"),
        example("\nmodule \"logs\" {\n  source = \"../../\"\n  name   = \"logs\"\n}\n"),
    )
    .unwrap();
    let outside = tempfile::tempdir().unwrap();
    let plan = outside.path().join("plan.json");
    std::fs::write(
        &plan,
        r#"{"format_version":"1.2","terraform_version":"1.9.8","variables":{"region":{"value":"ap-southeast-1"}},
"planned_values":{"root_module":{"child_modules":[{"address":"module.bucket","resources":[{"address":"module.bucket.aws_s3_bucket.this","mode":"managed","type":"aws_s3_bucket","name":"this","provider_name":"registry.terraform.io/hashicorp/aws","values":{"bucket":"media"}}]}]}},
"configuration":{"provider_config":{"aws":{"name":"aws","expressions":{"region":{"references":["var.region"]}}}},
"root_module":{"module_calls":{"bucket":{"source":"../../","module":{"resources":[{"address":"aws_s3_bucket.this","mode":"managed","type":"aws_s3_bucket","name":"this","provider_config_key":"aws"}]}}}}}}"#,
    )
    .unwrap();
    let (report, _) = scan_json(repo.path(), &["--terraform-plan", plan.to_str().unwrap()]);
    let errors = findings(&report, "transfer-without-safeguard");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(place(errors[0]), ("main.tf".to_string(), 1));
    // `examples/simple` is read from the plan, once; `examples/complete` still from its `.tf`
    // files, whose bucket has the same address: the plan's node is qualified by its root.
    assert_eq!(
        node_ids(&report),
        [
            "examples/simple/module.bucket.aws_s3_bucket.this",
            "module.bucket.aws_s3_bucket.this",
            "module.logs.aws_s3_bucket.this",
        ]
    );
}
