//! The Terraform catalogue as rule data: store resource types (`rules/stores.toml`) and the
//! registry modules that create stores (`rules/modules.toml`). A call of a catalogued module is a
//! store located from its inputs or its caller's provider; `--rules DIR` adds types and modules;
//! bad catalogue files are exit 2 at file:line:col.

use crate::support::{
    FIXTURE_DATE, borderline, findings, fixtures_dir, stderr, stdout, write_file as write,
};
use std::path::Path;

fn scan_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["scan", ".", "--date", FIXTURE_DATE, "--format", "json"];
    args.extend_from_slice(extra);
    let output = borderline(dir, &args);
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)))
}

fn node<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == id))
        .unwrap_or_else(|| panic!("no node {id} in {report:#}"))
}

const META: &str =
    "[meta]\ntitle = \"extra\"\nversion = \"1\"\nas_of = 2026-11-30\nsource = \"test\"\n\n";

#[test]
fn an_avm_storage_account_in_east_us_is_an_adequate_transfer_to_the_us() {
    let report = scan_json(&fixtures_dir().join("tf-registry-azure-eastus"), &[]);
    let account = node(&report, "module.storage_account");
    assert_eq!(account["kind"], "store");
    assert_eq!(account["location"], "azure:eastus");
    assert_eq!(account["countries"], "US");
    assert_eq!(account["jurisdiction"], "adequate");
    assert_eq!(account["defined_at"]["line"], 10);
    // The Cosmos DB module's second geo location is a replica with a replication flow.
    assert_eq!(
        node(&report, "module.cosmos@northeurope")["countries"],
        "IE"
    );
    let flows = report["flows"].as_array().unwrap();
    assert!(
        flows
            .iter()
            .any(|f| f["from"] == "module.cosmos" && f["to"] == "module.cosmos@northeurope"),
        "{flows:#?}"
    );
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
}

#[test]
fn module_stores_fall_back_to_the_module_default_or_the_callers_provider() {
    let report = scan_json(&fixtures_dir().join("tf-registry-gcp-hongkong"), &[]);
    // sql-db's postgresql submodule defaults `region` to us-central1.
    assert_eq!(
        node(&report, "module.reporting")["location"],
        "gcp:us-central1"
    );
    assert_eq!(node(&report, "module.pg")["countries"], "HK");
    assert_eq!(
        node(&report, "module.pg@asia-southeast1")["countries"],
        "SG"
    );
    // A replica in the primary's own region is not a separate store.
    assert!(
        !report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "module.pg@asia-east2")
    );
    let unknown = findings(&report, "unknown-location");
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert!(
        unknown[0]["message"]
            .as_str()
            .unwrap()
            .contains("sets no `region`, which the module requires"),
        "{unknown:#?}"
    );

    let report = scan_json(&fixtures_dir().join("tf-registry-aws-frankfurt"), &[]);
    assert_eq!(
        node(&report, "module.s3_bucket")["location"],
        "aws:eu-central-1"
    );
    // `providers = { aws = aws.stockholm }` hands the module the aliased configuration.
    assert_eq!(
        node(&report, "module.archive")["location"],
        "aws:eu-north-1"
    );
    // A module the catalogue does not know stays an opaque node, not a store.
    assert_ne!(node(&report, "module.log_shipper")["kind"], "store");
}

#[test]
fn the_registry_github_and_git_forms_of_a_source_name_the_same_module() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        "terraform-aws-modules/s3-bucket/aws",
        "registry.terraform.io/terraform-aws-modules/s3-bucket/aws",
        "github.com/terraform-aws-modules/terraform-aws-s3-bucket?ref=v5.2.0",
        "git::https://github.com/terraform-aws-modules/terraform-aws-s3-bucket.git?ref=v5.2.0",
        "git@github.com:terraform-aws-modules/terraform-aws-s3-bucket.git",
    ];
    let mut main = String::from("provider \"aws\" {\n  region = \"ap-southeast-1\"\n}\n");
    for (index, source) in sources.iter().enumerate() {
        main.push_str(&format!(
            "\nmodule \"b{index}\" {{\n  source = \"{source}\"\n  bucket = \"b{index}\"\n}}\n"
        ));
    }
    write(dir.path(), "main.tf", &main);
    let report = scan_json(dir.path(), &[]);
    for (index, source) in sources.iter().enumerate() {
        let bucket = node(&report, &format!("module.b{index}"));
        assert_eq!(bucket["kind"], "store", "{source}");
        assert_eq!(bucket["countries"], "SG", "{source}");
    }
    assert_eq!(
        findings(&report, "transfer-without-safeguard").len(),
        sources.len()
    );
}

#[test]
fn rules_overrides_add_store_types_and_registry_modules() {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "main.tf",
        "provider \"aws\" {\n  region = \"ap-southeast-1\"\n}\n\nresource \"aws_timestream_database\" \"metrics\" {\n  database_name = \"metrics\"\n}\n\nmodule \"ledger\" {\n  source = \"example-org/ledger/aws\"\n  table  = \"ledger\"\n}\n",
    );
    let before = scan_json(repo.path(), &[]);
    assert!(findings(&before, "transfer-without-safeguard").is_empty());

    let rules = tempfile::tempdir().unwrap();
    write(
        rules.path(),
        "stores.toml",
        &format!(
            "{META}[[store]]\nresource_type = \"aws_timestream_database\"\nprovider = \"aws\"\ndescription = \"Timestream database\"\nname_argument = \"database_name\"\nplacement = \"aws-region\"\n"
        ),
    );
    write(
        rules.path(),
        "modules.toml",
        &format!(
            "{META}[[module]]\nsource = \"example-org/ledger/aws\"\nprovider = \"aws\"\ndescription = \"ledger table\"\nname_input = \"table\"\nlocation_input = \"region\"\nwhen_unset = \"provider-region\"\n"
        ),
    );
    let path = rules.path().to_string_lossy().into_owned();
    let after = scan_json(repo.path(), &["--rules", &path]);
    let timestream = node(&after, "aws_timestream_database.metrics");
    assert_eq!(timestream["kind"], "store");
    assert_eq!(timestream["label"], "Timestream database `metrics`");
    assert_eq!(node(&after, "module.ledger")["countries"], "SG");
    assert_eq!(findings(&after, "transfer-without-safeguard").len(), 2);
}

#[test]
fn an_invalid_catalogue_is_exit_2_at_file_line_column() {
    let repo = fixtures_dir().join("tf-registry-aws-frankfurt");
    let rules = tempfile::tempdir().unwrap();
    // `argument` placement without the argument it reads.
    write(
        rules.path(),
        "stores.toml",
        &format!(
            "{META}[[store]]\nresource_type = \"aws_timestream_database\"\nprovider = \"aws\"\ndescription = \"Timestream database\"\nname_argument = \"database_name\"\nplacement = \"argument\"\n"
        ),
    );
    // A submodule written into the key, and a provider that is not in providers.toml.
    write(
        rules.path(),
        "modules.toml",
        &format!(
            "{META}[[module]]\nsource = \"example-org/ledger/aws//modules/table\"\nprovider = \"moon\"\ndescription = \"ledger table\"\nwhen_unset = \"provider-region\"\n"
        ),
    );
    let path = rules.path().to_string_lossy().into_owned();
    let output = borderline(&repo, &["scan", ".", "--rules", &path]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let errors = stderr(&output);
    assert!(errors.contains("stores.toml:12:13:"), "{errors}");
    assert!(errors.contains("modules.toml:8:10:"), "{errors}");
    assert!(errors.contains("modules.toml:9:12:"), "{errors}");
}
