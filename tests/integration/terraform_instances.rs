//! Terraform instances as a user sees them in the data map: `count` and `for_each` make one store
//! per instance, named as Terraform names it (`aws_s3_bucket.exports["eu"]`, `x[0]`,
//! `module.queues["nordics"]`), a switched-off resource or module call makes none, `dynamic` blocks
//! make one replica or copy per element, and a call to a module directory holding no Terraform is
//! reported in words a reader can act on.

use crate::support::{
    FIXTURE_DATE, assert_finished_within_bounds, borderline, borderline_bounded, findings,
    fixtures_dir,
};
use std::collections::BTreeMap;
use std::path::Path;

fn scan(dir: &Path) -> serde_json::Value {
    let output = borderline(
        dir,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Store id -> (location, label).
fn stores(report: &serde_json::Value) -> BTreeMap<String, (String, String)> {
    report["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["kind"] == "store")
        .map(|n| {
            (
                n["id"].as_str().unwrap_or_default().to_string(),
                (
                    n["location"].as_str().unwrap_or("none").to_string(),
                    n["label"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

fn location(stores: &BTreeMap<String, (String, String)>, id: &str) -> String {
    stores
        .get(id)
        .map(|(location, _)| location.clone())
        .unwrap_or_else(|| panic!("no store `{id}` in {stores:#?}"))
}

#[test]
fn count_and_for_each_make_one_store_per_instance_and_none_when_switched_off() {
    let report = scan(&fixtures_dir().join("tf-instances-count-foreach"));
    let stores = stores(&report);
    assert_eq!(
        location(&stores, "aws_s3_bucket.exports[\"eu\"]"),
        "aws:eu-central-1"
    );
    assert_eq!(
        location(&stores, "aws_s3_bucket.exports[\"singapore\"]"),
        "aws:ap-southeast-1"
    );
    assert_eq!(
        location(&stores, "aws_s3_bucket.archive[0]"),
        "aws:eu-west-1"
    );
    assert_eq!(
        location(&stores, "aws_s3_bucket.archive[1]"),
        "aws:ap-south-1"
    );
    // A set has each element once: Stockholm is written twice and is one queue.
    let queues: Vec<&String> = stores
        .keys()
        .filter(|id| id.starts_with("aws_sqs_queue.orders"))
        .collect();
    assert_eq!(
        queues,
        [
            "aws_sqs_queue.orders[\"ap-east-1\"]",
            "aws_sqs_queue.orders[\"eu-north-1\"]"
        ]
    );
    for off in [
        "aws_s3_bucket.access_logs",
        "aws_sqs_queue.retired",
        "aws_dynamodb_table.per_tenant",
    ] {
        assert!(
            !stores.keys().any(|id| id.starts_with(off)),
            "`{off}` is switched off and must not be a store: {stores:#?}"
        );
    }
    // Instances that cannot be counted: one store, named without an index, saying so.
    let (where_, label) = stores
        .get("aws_s3_bucket.per_region")
        .unwrap_or_else(|| panic!("no store for the unknown instances: {stores:#?}"));
    assert_eq!(where_, "unknown");
    assert!(
        label.contains("every instance") && label.contains("data.aws_regions.enabled"),
        "the label must say the instances are unknown and why: {label}"
    );
}

#[test]
fn dynamic_blocks_make_one_replica_or_copy_per_element() {
    let report = scan(&fixtures_dir().join("tf-instances-dynamic"));
    let stores = stores(&report);
    assert_eq!(
        location(&stores, "aws_dynamodb_table.orders@ap-southeast-1"),
        "aws:ap-southeast-1"
    );
    assert_eq!(
        location(&stores, "aws_dynamodb_table.orders@eu-west-3"),
        "aws:eu-west-3"
    );
    assert_eq!(
        location(&stores, "aws_dynamodb_table.sessions@eu-west-3"),
        "aws:eu-west-3"
    );
    assert!(
        !stores
            .keys()
            .any(|id| id.starts_with("aws_dynamodb_table.audit@")),
        "an empty collection generates no replica: {stores:#?}"
    );
    // A replica over a collection read at apply time is a copy of unknown place, with the reason.
    let unknown = findings(&report, "unknown-location");
    assert!(
        unknown.iter().any(|f| f["message"]
            .as_str()
            .is_some_and(|m| m.contains("events@") && m.contains("dynamic \"replica\""))),
        "the unknown replica must be reported with its reason: {report:#}"
    );
    // The daily rule's generated copy action copies to Mumbai.
    let copies: Vec<_> = report["flows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["from"] == "aws_backup_vault.primary")
        .map(|f| f["to"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        copies,
        [
            "arn:aws:backup:ap-south-1:123456789012:backup-vault:dr-mumbai",
            "aws_backup_vault.primary@copy:copy_action.value"
        ]
    );
    // The copy over vaults listed when Terraform runs goes to a vault of unknown place.
    assert_eq!(
        location(&stores, "aws_backup_vault.primary@copy:copy_action.value"),
        "unknown"
    );
}

#[test]
fn module_calls_have_instances_and_the_repository_root_module_is_followed() {
    let report = scan(&fixtures_dir().join("tf-instances-modules"));
    let stores = stores(&report);
    let ids: Vec<&String> = stores.keys().collect();
    assert_eq!(
        ids,
        [
            "module.bucket.aws_s3_bucket.this[0]",
            "module.bucket.module.replica[0].aws_s3_bucket.this",
            "module.queues[\"hong_kong\"].aws_sqs_queue.this",
            "module.queues[\"nordics\"].aws_sqs_queue.this",
        ],
        "switched-off calls (`create = false`, `count = 0`) make no store"
    );
    // `aws.dr` reaches the replica through two levels of `providers`.
    assert_eq!(
        location(
            &stores,
            "module.bucket.module.replica[0].aws_s3_bucket.this"
        ),
        "aws:ap-southeast-1"
    );
    assert!(findings(&report, "input-error").is_empty(), "{report:#}");
}

#[test]
fn a_call_to_the_repository_root_without_terraform_names_it_in_words() {
    let repo = tempfile::tempdir().unwrap();
    let example = repo.path().join("examples/complete");
    std::fs::create_dir_all(&example).unwrap();
    std::fs::write(
        example.join("main.tf"),
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\nmodule \"db\" {\n  source = \"../../\"\n}\n",
    )
    .unwrap();
    let report = scan(repo.path());
    // A module source with no Terraform files is a note that the module is not read (a test
    // harness may supply it), not a malformed input.
    assert!(findings(&report, "input-error").is_empty(), "{report:#}");
    let errors = findings(&report, "unresolved-reference");
    assert_eq!(errors.len(), 1, "{report:#}");
    assert_eq!(errors[0]["severity"], "note", "{report:#}");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`../../` points to the root of the scanned directory")
            && !message.contains("``"),
        "{message}"
    );
}

/// Repetitions multiply: a module called with a large `for_each` that itself repeats resources
/// with a large `count` stays within memory and time, and what is past the bound is unknown.
#[test]
fn repetitions_are_bounded() {
    let repo = tempfile::tempdir().unwrap();
    let keys: Vec<String> = (0..300).map(|i| format!("k{i} = \"v{i}\"")).collect();
    std::fs::create_dir_all(repo.path().join("modules/many")).unwrap();
    std::fs::write(
        repo.path().join("main.tf"),
        format!(
            "provider \"aws\" {{\n  region = \"eu-west-1\"\n}}\n\nlocals {{\n  keys = {{\n    {}\n  }}\n}}\n\nmodule \"many\" {{\n  source   = \"./modules/many\"\n  for_each = {{ a = 1, b = 2, c = 3 }}\n}}\n\nresource \"aws_sqs_queue\" \"wide\" {{\n  for_each = local.keys\n  name     = each.key\n}}\n",
            keys.join("\n    ")
        ),
    )
    .unwrap();
    std::fs::write(
        repo.path().join("modules/many/main.tf"),
        "resource \"aws_sqs_queue\" \"q\" {\n  count = 200\n  name  = \"q-${count.index}\"\n}\n\nresource \"aws_sqs_queue\" \"huge\" {\n  count = 100000000\n  name  = \"huge\"\n}\n",
    )
    .unwrap();
    let output = borderline_bounded(
        repo.path(),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
        1024,
        20,
    );
    assert_finished_within_bounds(&output, "repeated resources");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let stores = stores(&report);
    // 3 x 200 queues are expanded; 300 keys are past the bound of one block, and 10^8 instances
    // are never made: each is one store named without an index, saying why.
    assert_eq!(
        stores
            .keys()
            .filter(|id| id.contains("aws_sqs_queue.q["))
            .count(),
        600
    );
    let (_, wide) = &stores["aws_sqs_queue.wide"];
    assert!(wide.contains("every instance"), "{wide}");
    let (_, huge) = &stores["module.many[\"a\"].aws_sqs_queue.huge"];
    assert!(huge.contains("every instance"), "{huge}");
}

#[test]
fn members_of_a_global_database_in_two_module_instances_replicate() {
    let report = scan(&fixtures_dir().join("tf-instances-global-cluster"));
    let flows: Vec<(String, String)> = report["flows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["from"].as_str().unwrap_or_default().to_string(),
                f["to"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        flows.contains(&(
            "module.primary.aws_rds_cluster.this".into(),
            "module.secondary.aws_rds_cluster.this".into()
        )),
        "{flows:#?}"
    );
    assert!(
        !flows
            .iter()
            .any(|(from, to)| from.contains("reporting") || to.contains("reporting")),
        "a cluster in no global database copies nothing: {flows:#?}"
    );
}

/// A module whose outputs read its own outputs through calls of itself: each output is read a
/// bounded number of times, whatever the fan-out, and the scan finishes.
#[test]
fn module_outputs_that_call_themselves_are_bounded() {
    let repo = tempfile::tempdir().unwrap();
    let fan: Vec<&str> = std::iter::repeat_n("module.again.out", 12).collect();
    std::fs::create_dir_all(repo.path().join("env")).unwrap();
    std::fs::create_dir_all(repo.path().join("loop")).unwrap();
    std::fs::write(
        repo.path().join("loop/main.tf"),
        format!(
            "module \"again\" {{\n  source = \"./\"\n}}\n\noutput \"out\" {{\n  value = try({})\n}}\n",
            fan.join(", ")
        ),
    )
    .unwrap();
    std::fs::write(
        repo.path().join("env/main.tf"),
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\nmodule \"loop\" {\n  source = \"../loop\"\n}\n\nresource \"aws_sqs_queue\" \"q\" {\n  name   = \"q\"\n  region = module.loop.out\n}\n",
    )
    .unwrap();
    let output = borderline_bounded(
        repo.path(),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
        1024,
        20,
    );
    assert_finished_within_bounds(&output, "module outputs calling themselves");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(stores(&report)["aws_sqs_queue.q"].0, "unknown");
}

/// A module call whose instances cannot be counted: its stores are one each, named without an
/// index, and their labels say they stand for every instance.
#[test]
fn stores_of_a_module_call_with_unknown_instances_say_so() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("modules/queue")).unwrap();
    std::fs::write(
        repo.path().join("main.tf"),
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\ndata \"aws_regions\" \"all\" {}\n\nmodule \"queues\" {\n  source   = \"./modules/queue\"\n  for_each = toset(data.aws_regions.all.names)\n}\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("modules/queue/main.tf"),
        "resource \"aws_sqs_queue\" \"this\" {\n  name = \"orders\"\n}\n",
    )
    .unwrap();
    let report = scan(repo.path());
    let stores = stores(&report);
    let (_, label) = stores
        .get("module.queues.aws_sqs_queue.this")
        .unwrap_or_else(|| panic!("{stores:#?}"));
    assert!(
        label.contains("every instance") && label.contains("module.queues"),
        "{label}"
    );
}
