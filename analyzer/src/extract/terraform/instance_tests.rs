//! Unit tests of repeated blocks: the evaluator's bindings (`each`, `count.index`, dynamic-block
//! iterators) never mix the values of two repetitions, references pick the instance they index,
//! and what cannot be evaluated is unknown with its reason.

use super::tests::{flows, node, region};
use crate::facts::Facts;

/// The facts of `files` (the shared helper also returns the sources, which these tests never need).
fn scan(files: &[(&str, &str)]) -> Facts {
    super::tests::scan(files).1
}

fn reason(facts: &Facts, id: &str) -> String {
    node(facts, id)
        .location
        .as_ref()
        .and_then(|l| l.unresolved_reason.clone())
        .unwrap_or_default()
}

/// The same expression, read through a local, in two repetitions: the local is remembered, the
/// expression that reads `each` is not, so each instance gets its own region.
#[test]
fn a_remembered_local_does_not_carry_one_repetitions_value_into_the_next() {
    let facts = scan(&[(
        "main.tf",
        r#"
provider "aws" {
  region = "eu-west-1"
}

locals {
  regions = { eu = "eu-central-1", sg = "ap-southeast-1", us = "us-east-1" }
}

resource "aws_s3_bucket" "b" {
  for_each = local.regions
  bucket   = "b-${each.key}"
  region   = lookup(local.regions, each.key)
}
"#,
    )]);
    assert_eq!(
        region(&facts, "aws_s3_bucket.b[\"eu\"]"),
        "aws:eu-central-1"
    );
    assert_eq!(
        region(&facts, "aws_s3_bucket.b[\"sg\"]"),
        "aws:ap-southeast-1"
    );
    assert_eq!(region(&facts, "aws_s3_bucket.b[\"us\"]"), "aws:us-east-1");
}

/// `each` outside a `for_each`, and `count.index` outside a `count`, are unknown with a reason
/// that says so, not a guess.
#[test]
fn bindings_outside_their_block_are_unknown_with_a_reason() {
    let facts = scan(&[(
        "main.tf",
        r#"
provider "aws" {
  region = "eu-west-1"
}

resource "aws_s3_bucket" "stray" {
  bucket = "stray"
  region = each.value
}

resource "aws_sqs_queue" "stray" {
  name   = "stray"
  region = element(["eu-west-1"], count.index)
}
"#,
    )]);
    assert_eq!(region(&facts, "aws_s3_bucket.stray"), "unknown");
    assert!(reason(&facts, "aws_s3_bucket.stray").contains("for_each"));
    assert_eq!(region(&facts, "aws_sqs_queue.stray"), "unknown");
    assert!(reason(&facts, "aws_sqs_queue.stray").contains("count"));
}

/// Replication from each instance goes to the instance its index names.
#[test]
fn a_reference_with_an_index_picks_that_instance() {
    let facts = scan(&[(
        "main.tf",
        r#"
provider "aws" {
  region = "eu-west-1"
}

variable "pairs" {
  default = { a = "ap-southeast-1", b = "eu-north-1" }
}

resource "aws_s3_bucket" "source" {
  for_each = var.pairs
  bucket   = "source-${each.key}"
}

resource "aws_s3_bucket" "replica" {
  for_each = var.pairs
  bucket   = "replica-${each.key}"
  region   = each.value
}

resource "aws_s3_bucket_replication_configuration" "this" {
  for_each = var.pairs
  bucket   = aws_s3_bucket.source[each.key].id

  rule {
    destination {
      bucket = aws_s3_bucket.replica[each.key].arn
    }
  }
}
"#,
    )]);
    let mut flows = flows(&facts);
    flows.sort();
    assert_eq!(
        flows,
        [
            (
                "aws_s3_bucket.source[\"a\"]".to_string(),
                "aws_s3_bucket.replica[\"a\"]".to_string()
            ),
            (
                "aws_s3_bucket.source[\"b\"]".to_string(),
                "aws_s3_bucket.replica[\"b\"]".to_string()
            ),
        ]
    );
}

/// Nested `dynamic` blocks: the inner one sees the outer one's iterator, and both see `each`.
#[test]
fn nested_dynamic_blocks_see_the_iterators_around_them() {
    let facts = scan(&[(
        "main.tf",
        r#"
provider "aws" {
  region = "eu-west-1"
}

resource "aws_backup_vault" "main" {
  for_each = { x = "x" }
  name     = "main-${each.key}"
}

resource "aws_backup_plan" "p" {
  for_each = { x = "ap-south-1" }
  name     = "p"

  dynamic "rule" {
    for_each = [{ name = "daily", copies = ["one", "two"] }]
    iterator = r

    content {
      rule_name         = r.value.name
      target_vault_name = aws_backup_vault.main[each.key].name

      dynamic "copy_action" {
        for_each = r.value.copies

        content {
          destination_vault_arn = "arn:aws:backup:${each.value}:1:backup-vault:${copy_action.value}-${r.key}"
        }
      }
    }
  }
}
"#,
    )]);
    let mut flows = flows(&facts);
    flows.sort();
    assert_eq!(
        flows,
        [
            (
                "aws_backup_vault.main[\"x\"]".to_string(),
                "arn:aws:backup:ap-south-1:1:backup-vault:one-0".to_string()
            ),
            (
                "aws_backup_vault.main[\"x\"]".to_string(),
                "arn:aws:backup:ap-south-1:1:backup-vault:two-0".to_string()
            ),
        ]
    );
}

/// Cosmos DB geo locations from a `dynamic` block: the first priority is the account's region,
/// the others are replicas.
#[test]
fn cosmos_geo_locations_from_a_dynamic_block() {
    let facts = scan(&[(
        "main.tf",
        r#"
variable "locations" {
  default = [
    { location = "westeurope", priority = 0 },
    { location = "southeastasia", priority = 1 },
  ]
}

resource "azurerm_cosmosdb_account" "db" {
  name                = "db"
  location            = "westeurope"
  resource_group_name = "rg"
  offer_type          = "Standard"

  dynamic "geo_location" {
    for_each = var.locations

    content {
      location          = geo_location.value.location
      failover_priority = geo_location.value.priority
    }
  }
}
"#,
    )]);
    assert_eq!(
        region(&facts, "azurerm_cosmosdb_account.db"),
        "azure:westeurope"
    );
    assert_eq!(
        region(&facts, "azurerm_cosmosdb_account.db@southeastasia"),
        "azure:southeastasia"
    );
}

/// Two calls of one module read each other's outputs, as terraform-aws-s3-bucket's examples do:
/// no cycle is reported, and an output that needs neither input resolves.
#[test]
fn calls_reading_each_others_outputs_are_not_a_cycle() {
    let facts = scan(&[
        (
            "main.tf",
            r#"
provider "aws" {
  region = "eu-west-1"
}

module "a" {
  source = "./bucket"
  name   = "a"
  peer   = module.b.arn
}

module "b" {
  source = "./bucket"
  name   = "b"
  peer   = module.a.arn
}

resource "aws_sqs_queue" "q" {
  name   = "q"
  region = module.a.region
}
"#,
        ),
        (
            "bucket/main.tf",
            r#"
variable "name" {}
variable "peer" {}

resource "aws_s3_bucket" "this" {
  bucket = var.name
}

output "arn" {
  value = "arn:aws:s3:::${var.name}"
}

output "region" {
  value = "ap-south-1"
}
"#,
        ),
    ]);
    let messages: Vec<&String> = facts.diagnostics.iter().map(|d| &d.message).collect();
    assert!(messages.is_empty(), "no input error expected: {messages:?}");
    assert_eq!(region(&facts, "aws_sqs_queue.q"), "aws:ap-south-1");
}
