//! Terraform variable files as deployment variants (issue 17): the fixtures `tf-var-*` read
//! through the library, where the model shows which variants each node is in, and the
//! `[[scan.terraform]]` table of `borderline.toml`, good and broken, through the binary.

use crate::support::{
    FIXTURE_DATE, borderline, copy_dir, fixtures_dir, scan_report, stderr, write_file,
};
use borderline::date::Date;
use borderline::rules::RuleSet;
use borderline::scan::{Scan, ScanOptions, scan};
use std::path::Path;

fn scanned(root: &Path) -> Scan {
    let rules = RuleSet::builtin().unwrap();
    let options = ScanOptions {
        root: root.to_path_buf(),
        config: None,
        date: Date::parse(FIXTURE_DATE).unwrap(),
        cache: None,
        terraform_plans: Vec::new(),
        rendered: Vec::new(),
        variants: Vec::new(),
    };
    scan(&options, &rules).unwrap_or_else(|e| panic!("{}: {e}", root.display()))
}

/// The variants of node `id` in the model.
fn variants_of(scan: &Scan, id: &str) -> Vec<String> {
    scan.model
        .nodes
        .iter()
        .find(|n| n.id == id)
        .unwrap_or_else(|| {
            panic!(
                "no node `{id}`: {:?}",
                scan.model.nodes.iter().map(|n| &n.id).collect::<Vec<_>>()
            )
        })
        .variants
        .clone()
}

fn rules_found(scan: &Scan) -> Vec<String> {
    scan.evaluation
        .findings
        .iter()
        .map(|f| f.rule.to_string())
        .collect()
}

#[test]
fn the_prod_var_file_adds_a_replica_that_only_prod_has() {
    let scan = scanned(&fixtures_dir().join("tf-var-prod-replica"));
    assert_eq!(
        variants_of(&scan, "aws_s3_bucket.orders"),
        Vec::<String>::new()
    );
    assert_eq!(
        variants_of(&scan, "aws_s3_bucket.orders_replica[0]"),
        vec!["prod"]
    );
    let flow = scan
        .model
        .flows
        .iter()
        .find(|f| f.to == "aws_s3_bucket.orders_replica[0]")
        .unwrap();
    assert_eq!(flow.variants, vec!["prod"]);
    assert_eq!(rules_found(&scan), vec!["transfer-without-safeguard"]);
}

#[test]
fn var_files_that_stay_in_the_eea_are_quiet() {
    let scan = scanned(&fixtures_dir().join("tf-var-eea-envs"));
    assert!(
        scan.evaluation.findings.is_empty(),
        "{:?}",
        rules_found(&scan)
    );
    // The replica is somewhere else in each variant: both are read, and the map of both
    // variants names each one's place rather than one of them.
    let replica = scan
        .model
        .nodes
        .iter()
        .find(|n| n.id == "aws_s3_bucket.ledger_replica")
        .unwrap();
    let label = replica.label.clone().unwrap_or_default();
    assert!(
        label.contains("by variant: production: aws:") && label.contains(", staging: aws:"),
        "{label}"
    );
    assert!(variants_of(&scan, "aws_s3_bucket.ledger_replica").is_empty());
}

#[test]
fn a_var_file_that_sets_an_unrelated_variable_changes_no_output() {
    let with = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join("tf-var-unrelated"), with.path());
    let without = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join("tf-var-unrelated"), without.path());
    std::fs::remove_dir_all(without.path().join("envs")).unwrap();
    let scan = scanned(with.path());
    assert!(scan.model.nodes.iter().all(|n| n.variants.is_empty()));
    // The report is the one without the var files, but for the list of variants it found.
    let mut report = scan_report(with.path());
    let found = report.as_object_mut().unwrap().remove("variants").unwrap();
    assert_eq!(found.as_array().map(Vec::len), Some(2), "{found}");
    assert_eq!(report, scan_report(without.path()));
}

/// `tf-var-prod-replica` with a `[[scan.terraform]]` table added to its manifest.
fn with_manifest_entry(entry: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join("tf-var-prod-replica"), dir.path());
    let manifest = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap();
    write_file(
        dir.path(),
        "borderline.toml",
        &format!("{manifest}\n{entry}"),
    );
    dir
}

#[test]
fn the_manifest_names_a_roots_var_files_instead_of_discovery() {
    // Only the dev file: the replica is in no variant read, and nothing is reported.
    let dev = with_manifest_entry(
        "[[scan.terraform]]\nroot = \"infra\"\nvar_files = [\"infra/envs/dev.tfvars\"]\n",
    );
    let scan = scanned(dev.path());
    assert!(scan.model.nodes.iter().all(|n| !n.id.contains("replica")));
    assert!(
        scan.evaluation.findings.is_empty(),
        "{:?}",
        rules_found(&scan)
    );
    // Only the prod file, given from another directory.
    let prod = with_manifest_entry(
        "[[scan.terraform]]\nroot = \"./infra/\"\nvar_files = [\"infra/envs/../envs/prod.tfvars\"]\n",
    );
    let scan = scanned(prod.path());
    assert_eq!(rules_found(&scan), vec!["transfer-without-safeguard"]);
}

#[test]
fn a_broken_scan_terraform_entry_is_a_manifest_error_at_its_place() {
    for (entry, expected) in [
        (
            "[[scan.terraform]]\nroot = \"infra\"\nvar_file = [\"x\"]\n",
            "borderline.toml:19:1: unknown key `var_file` in [[scan.terraform]]; expected one of `root`, `var_files`",
        ),
        (
            "[[scan.terraform]]\nroot = \"infra\"\nvar_files = [\"infra/envs/qa.tfvars\"]\n",
            "borderline.toml:19:14: `var_files`: `infra/envs/qa.tfvars` is not a file",
        ),
        (
            "[[scan.terraform]]\nroot = \"infra/main.tf\"\n",
            "borderline.toml:18:8: `root` = `infra/main.tf` is not a directory",
        ),
        (
            "[[scan.terraform]]\nroot = \"../outside\"\n",
            "borderline.toml:18:8: `root`: `../outside` leaves the scanned directory",
        ),
        (
            "[[scan.terraform]]\nvar_files = [\"infra/envs/dev.tfvars\"]\n",
            "borderline.toml:17:1: `[[scan.terraform]]` needs `root`",
        ),
    ] {
        let dir = with_manifest_entry(entry);
        let output = borderline(dir.path(), &["scan", ".", "--date", FIXTURE_DATE]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{entry}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(expected),
            "{entry}: expected `{expected}` in:\n{}",
            stderr(&output)
        );
    }
}
