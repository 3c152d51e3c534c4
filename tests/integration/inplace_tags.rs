//! Comment tags on declarations (`# borderline: personal_data=false` directly above a Terraform
//! block, a Kubernetes object or a compose service): the facts reach the nodes the declaration
//! makes, win over the configuration, lose to the manifest, and are reported where they cannot
//! apply.

use crate::support::{
    findings, fixtures_dir, report_node as node, scan_report as scan_json, write_file as write,
};
use serde_json::Value;

#[test]
fn tagged_facts_reach_the_nodes_of_the_declaration_below() {
    let report = scan_json(&fixtures_dir().join("inplace-tags-terraform"));
    // The data a tag names is the data the finding reports.
    let transfers = findings(&report, "transfer-without-safeguard");
    let customers = transfers
        .iter()
        .find(|f| f["to"] == "examples/complete/aws_s3_bucket.customers")
        .unwrap_or_else(|| panic!("no transfer to the customers bucket: {transfers:?}"));
    assert_eq!(
        customers["data"],
        serde_json::json!(["user.contact", "user.financial.bank_account"])
    );
    // `personal_data=false` reaches a bucket, every instance of a counted bucket, and a table whose
    // tag also has a bad key (the key is reported, the rest of the tag applies).
    for id in [
        "examples/complete/aws_s3_bucket.logs",
        // Every `count` instance takes the tag on the block that repeats them.
        "aws_s3_bucket.build_cache[0]",
        "aws_s3_bucket.build_cache[1]",
        "aws_s3_bucket.build_cache[2]",
        "aws_dynamodb_table.locks",
        "examples/us-east/aws_s3_bucket.logs",
    ] {
        assert_eq!(node(&report, id)["personal_data"], false, "{id}");
    }
    // A safeguard written over two tag lines is one safeguard, TIA included.
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["to"] == "aws_s3_bucket.orders_archive"),
        "{}",
        report["findings"]
    );
    // A tag separated from its block by a blank line does not apply.
    assert_eq!(
        node(&report, "aws_s3_bucket.assets")["personal_data"],
        Value::Null
    );
    let unresolved = findings(&report, "unresolved-reference");
    let messages: Vec<&str> = unresolved
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("a blank line ends the comment block")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`resource \"aws_iam_role\" \"replication\"` makes no node")),
        "{messages:?}"
    );
    assert_eq!(
        unresolved.len(),
        2,
        "the tag in the heredoc is not a tag: {messages:?}"
    );
}

#[test]
fn a_tagged_location_overrides_the_evaluated_region_and_the_finding_points_at_the_tag() {
    let report = scan_json(&fixtures_dir().join("inplace-tags-terraform"));
    assert_eq!(
        node(&report, "aws_s3_bucket.reports")["location"],
        "aws:eu-west-1"
    );
    let transfers = findings(&report, "transfer-without-safeguard");
    let table = transfers
        .iter()
        .find(|f| f["to"] == "aws_dynamodb_table.customers")
        .unwrap_or_else(|| panic!("{transfers:?}"));
    assert_eq!(table["data"], serde_json::json!(["user.contact"]));
    // The region comes from the tag: the finding, or one of its related locations, points at the
    // tag's `location` value.
    let text = std::fs::read_to_string(
        fixtures_dir().join("inplace-tags-terraform/examples/regional/main.tf"),
    )
    .unwrap();
    let line = text.lines().nth(11).unwrap_or("");
    let column = line.find("aws:ap-southeast-1").map(|c| c as u64 + 1);
    let tag =
        serde_json::json!({"file": "examples/regional/main.tf", "line": 12, "column": column});
    let at = |place: &Value| {
        place["file"] == tag["file"]
            && place["line"] == tag["line"]
            && place["column"] == tag["column"]
    };
    assert!(
        at(&table["location"])
            || table["related"]
                .as_array()
                .is_some_and(|related| related.iter().any(|r| at(r) || at(&r["location"]))),
        "{table}"
    );
}

#[test]
fn the_manifest_wins_over_a_tag_and_a_tag_wins_over_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "provider \"aws\" {\n  region = \"ap-southeast-1\"\n}\n\n\
         # borderline: personal_data=false location=aws:eu-west-1\n\
         resource \"aws_s3_bucket\" \"reviewed\" {\n  bucket = \"reviewed\"\n}\n\n\
         # borderline: location=aws:eu-west-1\n\
         resource \"aws_s3_bucket\" \"moved\" {\n  bucket = \"moved\"\n}\n",
    );
    let report = scan_json(dir.path());
    assert_eq!(
        node(&report, "aws_s3_bucket.moved")["location"],
        "aws:eu-west-1"
    );
    assert_eq!(
        node(&report, "aws_s3_bucket.reviewed")["personal_data"],
        false
    );
    assert!(findings(&report, "transfer-without-safeguard").is_empty());

    write(
        dir.path(),
        "borderline.toml",
        "[[node]]\nid = \"aws_s3_bucket.reviewed\"\nlocation = \"aws:ap-southeast-1\"\npersonal_data = true\ndata = [\"user.contact\"]\n",
    );
    let report = scan_json(dir.path());
    let reviewed = node(&report, "aws_s3_bucket.reviewed");
    assert_eq!(reviewed["location"], "aws:ap-southeast-1");
    assert_eq!(reviewed["personal_data"], true);
    let transfers = findings(&report, "transfer-without-safeguard");
    assert_eq!(transfers.len(), 1, "{transfers:?}");
    assert_eq!(transfers[0]["to"], "aws_s3_bucket.reviewed");
}

#[test]
fn a_registry_module_call_and_a_trailing_tag_take_the_facts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\n\
         # Exports for the data warehouse.\n\
         # borderline: data=user.contact label=\"Warehouse exports\"\n\
         module \"exports\" {\n  source  = \"terraform-aws-modules/s3-bucket/aws\"\n  version = \"~> 5.0\"\n\n  bucket = \"exports\"\n}\n\n\
         resource \"aws_s3_bucket\" \"tmp\" { # borderline: personal_data=false\n  bucket = \"tmp\"\n}\n",
    );
    let report = scan_json(dir.path());
    let exports = node(&report, "module.exports");
    assert_eq!(exports["data"], serde_json::json!(["user.contact"]));
    assert_eq!(exports["label"], "Warehouse exports");
    assert_eq!(node(&report, "aws_s3_bucket.tmp")["personal_data"], false);
    assert!(
        findings(&report, "unresolved-reference").is_empty(),
        "{}",
        report["findings"]
    );
}

#[test]
fn kubernetes_objects_and_compose_services_take_a_tagged_location() {
    let report = scan_json(&fixtures_dir().join("inplace-tags-k8s"));
    assert_eq!(node(&report, "postgres")["location"], "aws:ap-southeast-1");
    assert_eq!(node(&report, "redis")["location"], "gcp:europe-west3");
    let transfers = findings(&report, "transfer-without-safeguard");
    assert_eq!(transfers.len(), 1, "{transfers:?}");
    assert_eq!(transfers[0]["to"], "postgres");

    let report = scan_json(&fixtures_dir().join("inplace-tags-compose"));
    let db = node(&report, "db");
    assert_eq!(db["location"], "aws:ap-southeast-1");
    assert_eq!(
        db["data"],
        serde_json::json!(["user.contact", "user.financial"])
    );
    assert_eq!(node(&report, "cache")["location"], "aws:eu-central-1");
    // The tag a blank line separates from `search:` does not place it.
    assert_eq!(node(&report, "search")["location"], Value::Null);
}

#[test]
fn in_place_tags_are_checked_like_every_other_tag() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deploy/db.yaml",
        "---\n\
         # borderline: location=aws:eu-west-1 to=crm safeguard=sccs\n\
         # borderline: location=aws:eu-west-2\n\
         apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  template:\n    spec:\n      containers:\n        - name: db\n          image: postgres:16\n",
    );
    write(
        dir.path(),
        "jobs/export.py",
        "# borderline: personal_data=false\ndef export():\n    pass\n",
    );
    let report = scan_json(dir.path());
    let errors: Vec<(String, u64)> = findings(&report, "input-error")
        .iter()
        .map(|f| {
            (
                f["message"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|(m, l)| m.starts_with("`to` belongs to a flow") && *l == 2),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(m, l)| m.contains("`sccs` is not a transfer mechanism") && *l == 2),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|(m, l)| m.contains("`location` is given twice") && *l == 3),
        "{errors:?}"
    );
    // The first `location` applies; the rest of the tags still do.
    assert_eq!(node(&report, "db")["location"], "aws:eu-west-1");
    let unresolved = findings(&report, "unresolved-reference");
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert_eq!(unresolved[0]["location"]["file"], "jobs/export.py");
}

#[test]
fn many_tags_on_declarations_stay_bounded() {
    use crate::support::{assert_finished_within_bounds, borderline_bounded};
    let dir = tempfile::tempdir().unwrap();
    // Thousands of compose services, each tagged; one block under thousands of tag lines; tags
    // nested in YAML entries thousands deep; an unterminated heredoc.
    let mut compose = String::from("services:\n");
    for i in 0..5_000 {
        compose.push_str(&format!(
            "  # borderline: location=aws:eu-west-1\n  s{i}:\n    image: nginx\n"
        ));
    }
    write(dir.path(), "compose.yaml", &compose);
    let mut terraform = "# borderline: personal_data=false\n".repeat(20_000);
    terraform.push_str("resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n");
    write(dir.path(), "main.tf", &terraform);
    write(
        dir.path(),
        "broken.tf",
        "# borderline: personal_data=false\nresource \"aws_s3_bucket\" \"c\" {\n  policy = <<EOT\n",
    );
    let mut nested = String::new();
    for depth in 0..1_000 {
        let indent = " ".repeat(depth * 2);
        nested.push_str(&format!(
            "{indent}# borderline: label=x\n{indent}a{depth}:\n"
        ));
    }
    write(dir.path(), "deep.yaml", &nested);
    let output = borderline_bounded(dir.path(), &["scan", ".", "--format", "json"], 2048, 30);
    assert_finished_within_bounds(&output, "many tags on declarations");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(node(&report, "s4999")["location"], "aws:eu-west-1");
    assert_eq!(node(&report, "aws_s3_bucket.b")["personal_data"], false);
}
