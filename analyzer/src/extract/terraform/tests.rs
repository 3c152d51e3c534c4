//! Unit tests of the Terraform extractor: node ids, kinds, locations, providers, flows and the
//! lines their spans land on, for realistic inputs and for malformed ones.

use super::extract_files;
use crate::facts::{Facts, FlowTarget, Location, NodeFact, NodeKind};
use crate::rule::Rule;
use crate::source::{FileId, SourceFile, Span};
use std::sync::Arc;

pub(super) fn scan(files: &[(&str, &str)]) -> (Vec<SourceFile>, Facts) {
    let sources: Vec<SourceFile> = files
        .iter()
        .enumerate()
        .map(|(index, (path, text))| {
            SourceFile::new(FileId(index as u32), (*path).into(), Arc::from(*text))
        })
        .collect();
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let rules = crate::rules::RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    let facts = extract_files(&refs, &rules);
    (sources, facts)
}

fn line(sources: &[SourceFile], span: Option<Span>) -> (String, u32) {
    let Some(span) = span else {
        return ("<none>".into(), 0);
    };
    let file = &sources[span.file.0 as usize];
    (file.path.to_string(), file.line_column(span.start).line)
}

pub(super) fn node<'f>(facts: &'f Facts, id: &str) -> &'f NodeFact {
    facts.nodes.iter().find(|n| n.id == id).unwrap_or_else(|| {
        panic!(
            "no node `{id}`; nodes: {:?}",
            facts.nodes.iter().map(|n| &n.id).collect::<Vec<_>>()
        )
    })
}

pub(super) fn region(facts: &Facts, id: &str) -> String {
    match node(facts, id).location.as_ref().map(|l| &l.location) {
        Some(location) => location.to_string(),
        None => "none".into(),
    }
}

pub(super) fn flows(facts: &Facts) -> Vec<(String, String)> {
    facts
        .flows
        .iter()
        .map(|f| {
            let to = match &f.to {
                FlowTarget::Node(n) => n.id.clone(),
                FlowTarget::Host { host, .. } => host.clone(),
            };
            (
                f.from.as_ref().map(|n| n.id.clone()).unwrap_or_default(),
                to,
            )
        })
        .collect()
}

const S3_REPLICATION: &str = r#"terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}

provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "replica"
  region = "us-east-1"
}

resource "aws_s3_bucket" "customer_exports" {
  bucket = "${var.project}-customer-exports"
}

resource "aws_s3_bucket" "customer_exports_replica" {
  provider = aws.replica
  bucket   = "${var.project}-customer-exports-dr"
}

resource "aws_s3_bucket_replication_configuration" "exports" {
  role   = aws_iam_role.replication.arn
  bucket = aws_s3_bucket.customer_exports.id

  rule {
    id     = "everything"
    status = "Enabled"

    destination {
      bucket        = aws_s3_bucket.customer_exports_replica.arn
      storage_class = "STANDARD_IA"
    }
  }
}
"#;

const VARIABLES: &str = r#"variable "region" {
  type    = string
  default = "eu-central-1"
}

variable "project" {
  type = string
}
"#;

#[test]
fn s3_replication_with_provider_alias_and_tfvars() {
    let (sources, facts) = scan(&[
        ("infra/main.tf", S3_REPLICATION),
        ("infra/variables.tf", VARIABLES),
        (
            "infra/terraform.tfvars",
            "region  = \"eu-west-1\"\nproject = \"acme\"\n",
        ),
    ]);
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    let source = node(&facts, "aws_s3_bucket.customer_exports");
    assert_eq!(source.kind, Some(NodeKind::Store));
    assert_eq!(source.provider.as_deref(), Some("aws"));
    assert_eq!(
        source.label.as_deref(),
        Some("S3 bucket `acme-customer-exports`")
    );
    // tfvars wins over the default.
    assert_eq!(
        region(&facts, "aws_s3_bucket.customer_exports"),
        "aws:eu-west-1"
    );
    assert_eq!(line(&sources, source.span), ("infra/main.tf".into(), 16));
    assert_eq!(
        region(&facts, "aws_s3_bucket.customer_exports_replica"),
        "aws:us-east-1"
    );
    let replica = node(&facts, "aws_s3_bucket.customer_exports_replica");
    // The location is decided by the `provider = aws.replica` line.
    assert_eq!(
        line(&sources, replica.location.as_ref().and_then(|l| l.span)),
        ("infra/main.tf".into(), 21)
    );
    assert_eq!(
        flows(&facts),
        vec![(
            "aws_s3_bucket.customer_exports".into(),
            "aws_s3_bucket.customer_exports_replica".into()
        )]
    );
    assert_eq!(
        line(&sources, facts.flows[0].span),
        ("infra/main.tf".into(), 34)
    );
    // The replication configuration itself is not a store.
    assert_eq!(facts.nodes.len(), 2);
}

#[test]
fn unresolved_region_is_unknown_with_a_reason() {
    let (sources, facts) = scan(&[(
        "main.tf",
        "variable \"region\" {}\n\nprovider \"aws\" {\n  region = var.region\n}\n\nresource \"aws_db_instance\" \"orders\" {\n  identifier = \"orders\"\n  engine     = \"postgres\"\n}\n",
    )]);
    let orders = node(&facts, "aws_db_instance.orders");
    let location = orders
        .location
        .as_ref()
        .unwrap_or_else(|| panic!("no location"));
    assert_eq!(location.location, Location::Unknown);
    assert_eq!(
        location.unresolved_reason.as_deref(),
        Some("`var.region` has no default and no tfvars value")
    );
    // Where the region was to come from: the provider block's `region`.
    assert_eq!(line(&sources, location.span).1, 4);
}

#[test]
fn dynamodb_global_table_replicas_are_stores_in_their_regions() {
    let (sources, facts) = scan(&[(
        "dynamodb.tf",
        r#"provider "aws" {
  region = "eu-west-1"
}

locals {
  replica_regions = {
    uk     = "eu-west-2"
    nordic = "eu-north-1"
  }
}

resource "aws_dynamodb_table" "sessions" {
  name         = "sessions"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "session_id"

  attribute {
    name = "session_id"
    type = "S"
  }

  replica {
    region_name = local.replica_regions["uk"]
  }

  replica {
    region_name = lookup(local.replica_regions, "nordic")
  }
}
"#,
    )]);
    assert_eq!(
        region(&facts, "aws_dynamodb_table.sessions"),
        "aws:eu-west-1"
    );
    assert_eq!(
        region(&facts, "aws_dynamodb_table.sessions@eu-west-2"),
        "aws:eu-west-2"
    );
    assert_eq!(
        region(&facts, "aws_dynamodb_table.sessions@eu-north-1"),
        "aws:eu-north-1"
    );
    assert_eq!(
        flows(&facts),
        vec![
            (
                "aws_dynamodb_table.sessions".into(),
                "aws_dynamodb_table.sessions@eu-west-2".into()
            ),
            (
                "aws_dynamodb_table.sessions".into(),
                "aws_dynamodb_table.sessions@eu-north-1".into()
            ),
        ]
    );
    assert_eq!(line(&sources, facts.flows[0].span).1, 23);
    assert_eq!(line(&sources, facts.flows[1].span).1, 27);
}

#[test]
fn local_modules_take_inputs_and_providers_registry_modules_are_opaque() {
    let (sources, facts) = scan(&[
        (
            "envs/prod/main.tf",
            r#"provider "aws" {
  region = "eu-central-1"
}

provider "aws" {
  alias  = "us"
  region = "us-west-2"
}

module "exports" {
  source      = "../../modules/bucket"
  bucket_name = "acme-prod-exports"
}

module "exports_us" {
  source      = "../../modules/bucket"
  bucket_name = "acme-prod-exports-us"
  providers = {
    aws = aws.us
  }
}

module "audit_log" {
  source  = "acme-platform/audit-bucket/aws"
  version = "4.1.2"
  region  = "ap-southeast-2"
}
"#,
        ),
        (
            "modules/bucket/main.tf",
            "variable \"bucket_name\" {\n  type = string\n}\n\nresource \"aws_s3_bucket\" \"this\" {\n  bucket = var.bucket_name\n}\n",
        ),
    ]);
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    assert_eq!(
        region(&facts, "module.exports.aws_s3_bucket.this"),
        "aws:eu-central-1"
    );
    assert_eq!(
        region(&facts, "module.exports_us.aws_s3_bucket.this"),
        "aws:us-west-2"
    );
    assert_eq!(
        node(&facts, "module.exports_us.aws_s3_bucket.this")
            .label
            .as_deref(),
        Some("S3 bucket `acme-prod-exports-us`")
    );
    let opaque = node(&facts, "module.audit_log");
    assert_eq!(opaque.kind, None);
    assert_eq!(opaque.provider.as_deref(), Some("aws"));
    assert_eq!(region(&facts, "module.audit_log"), "aws:ap-southeast-2");
    assert_eq!(
        line(&sources, opaque.location.as_ref().and_then(|l| l.span)),
        ("envs/prod/main.tf".into(), 26)
    );
    // The module directory is not scanned as a root of its own.
    assert!(!facts.nodes.iter().any(|n| n.id == "aws_s3_bucket.this"));
}

#[test]
fn module_input_without_value_is_unknown() {
    let (_, facts) = scan(&[
        (
            "main.tf",
            "variable \"region\" {}\n\nprovider \"aws\" {\n  region = var.region\n}\n\nmodule \"db\" {\n  source = \"./db\"\n  region = var.region\n}\n",
        ),
        (
            "db/main.tf",
            "variable \"region\" {}\n\nresource \"aws_rds_cluster\" \"orders\" {\n  region = var.region\n}\n",
        ),
    ]);
    let location = node(&facts, "module.db.aws_rds_cluster.orders")
        .location
        .clone();
    assert_eq!(
        location.as_ref().map(|l| &l.location),
        Some(&Location::Unknown)
    );
    assert_eq!(
        location.and_then(|l| l.unresolved_reason).as_deref(),
        Some("`var.region` has no default and no tfvars value")
    );
}

#[test]
fn optional_attribute_left_out_is_null_not_missing() {
    // The shape of a function module that creates its code bucket: the caller leaves the
    // optional `location` out, so the module falls back to its own region.
    let (_, facts) = scan(&[
        (
            "main.tf",
            "provider \"google\" {}\n\nmodule \"function\" {\n  source = \"./function\"\n  region = \"europe-west3\"\n  bucket_config = {\n    lifecycle_delete_age_days = 1\n  }\n}\n",
        ),
        (
            "function/main.tf",
            "variable \"region\" {\n  type = string\n}\n\nvariable \"bucket_config\" {\n  type = object({\n    lifecycle_delete_age_days = optional(number)\n    location                  = optional(string)\n  })\n  default = null\n}\n\nresource \"google_storage_bucket\" \"bucket\" {\n  count    = var.bucket_config == null ? 0 : 1\n  name     = \"fn-code\"\n  location = var.bucket_config.location == null ? var.region : var.bucket_config.location\n}\n",
        ),
    ]);
    assert_eq!(
        region(&facts, "module.function.google_storage_bucket.bucket[0]"),
        "gcp:europe-west3"
    );
}

#[test]
fn google_locations_multi_regions_and_spanner_configs() {
    let (sources, facts) = scan(&[(
        "gcp.tf",
        r#"provider "google" {
  project = "acme-prod"
  region  = "europe-west3"
}

resource "google_storage_bucket" "raw_events" {
  name     = "acme-raw-events"
  location = "US"
}

resource "google_storage_bucket" "invoices" {
  name     = "acme-invoices"
  location = "EUR4"
}

resource "google_sql_database_instance" "main" {
  name             = "main"
  database_version = "POSTGRES_15"
}

resource "google_sql_database_instance" "reporting" {
  name                 = "reporting"
  region               = "us-central1"
  master_instance_name = google_sql_database_instance.main.name
}

resource "google_spanner_instance" "ledger" {
  name   = "ledger"
  config = "nam3"
}

resource "google_spanner_instance" "catalog" {
  name   = "catalog"
  config = "regional-europe-west1"
}

resource "google_bigquery_dataset" "analytics" {
  dataset_id = "analytics"
}
"#,
    )]);
    assert_eq!(region(&facts, "google_storage_bucket.raw_events"), "gcp:us");
    assert_eq!(
        line(
            &sources,
            node(&facts, "google_storage_bucket.raw_events")
                .location
                .as_ref()
                .and_then(|l| l.span)
        )
        .1,
        8
    );
    assert_eq!(region(&facts, "google_storage_bucket.invoices"), "gcp:eur4");
    assert_eq!(
        region(&facts, "google_sql_database_instance.main"),
        "gcp:europe-west3"
    );
    assert_eq!(
        region(&facts, "google_sql_database_instance.reporting"),
        "gcp:us-central1"
    );
    assert_eq!(region(&facts, "google_spanner_instance.ledger"), "gcp:nam3");
    assert_eq!(
        region(&facts, "google_spanner_instance.catalog"),
        "gcp:europe-west1"
    );
    assert_eq!(
        region(&facts, "google_bigquery_dataset.analytics"),
        "gcp:us"
    );
    assert!(
        facts
            .nodes
            .iter()
            .all(|n| n.provider.as_deref() == Some("gcp"))
    );
    assert_eq!(
        flows(&facts),
        vec![(
            "google_sql_database_instance.main".into(),
            "google_sql_database_instance.reporting".into()
        )]
    );
    assert_eq!(line(&sources, facts.flows[0].span).1, 24);
}

#[test]
fn azure_geo_redundant_storage_cosmos_and_sql() {
    let (sources, facts) = scan(&[(
        "azure.tf",
        r#"resource "azurerm_resource_group" "main" {
  name     = "rg-shop"
  location = "West Europe"
}

resource "azurerm_storage_account" "documents" {
  name                     = "shopdocuments"
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_tier             = "Standard"
  account_replication_type = "RAGRS"
}

resource "azurerm_storage_account" "scratch" {
  name                     = "shopscratch"
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_tier             = "Standard"
  account_replication_type = "LRS"
}

resource "azurerm_cosmosdb_account" "profiles" {
  name                = "shop-profiles"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  offer_type          = "Standard"

  geo_location {
    location          = "eastus"
    failover_priority = 1
  }

  geo_location {
    location          = "westeurope"
    failover_priority = 0
  }
}

resource "azurerm_mssql_server" "orders" {
  name                = "shop-orders"
  resource_group_name = azurerm_resource_group.main.name
  location            = "northeurope"
  version             = "12.0"
}

resource "azurerm_mssql_database" "orders" {
  name      = "orders"
  server_id = azurerm_mssql_server.orders.id
}
"#,
    )]);
    assert_eq!(
        region(&facts, "azurerm_storage_account.documents"),
        "azure:westeurope"
    );
    assert_eq!(
        region(&facts, "azurerm_storage_account.documents@northeurope"),
        "azure:northeurope"
    );
    assert!(
        !facts
            .nodes
            .iter()
            .any(|n| n.id.starts_with("azurerm_storage_account.scratch@"))
    );
    assert_eq!(
        region(&facts, "azurerm_cosmosdb_account.profiles"),
        "azure:westeurope"
    );
    assert_eq!(
        region(&facts, "azurerm_cosmosdb_account.profiles@eastus"),
        "azure:eastus"
    );
    assert_eq!(
        region(&facts, "azurerm_mssql_database.orders"),
        "azure:northeurope"
    );
    // The resource group is not a store.
    assert!(
        !facts
            .nodes
            .iter()
            .any(|n| n.id == "azurerm_resource_group.main")
    );
    let flow_lines: Vec<(String, String, u32)> = facts
        .flows
        .iter()
        .zip(flows(&facts))
        .map(|(f, (from, to))| (from, to, line(&sources, f.span).1))
        .collect();
    assert_eq!(
        flow_lines,
        vec![
            (
                "azurerm_storage_account.documents".into(),
                "azurerm_storage_account.documents@northeurope".into(),
                11
            ),
            (
                "azurerm_cosmosdb_account.profiles".into(),
                "azurerm_cosmosdb_account.profiles@eastus".into(),
                29
            ),
        ]
    );
}

#[test]
fn rds_read_replica_backup_copy_and_aurora_global_cluster() {
    let (sources, facts) = scan(&[(
        "main.tf",
        r#"provider "aws" {
  region = "eu-central-1"
}

provider "aws" {
  alias  = "dr"
  region = "us-east-2"
}

resource "aws_db_instance" "orders" {
  identifier     = "orders"
  engine         = "postgres"
  instance_class = "db.t4g.medium"
}

resource "aws_db_instance" "orders_replica" {
  provider            = aws.dr
  identifier          = "orders-replica"
  replicate_source_db = aws_db_instance.orders.arn
  instance_class      = "db.t4g.medium"
}

resource "aws_backup_vault" "primary" {
  name = "primary"
}

resource "aws_backup_vault" "dr" {
  provider = aws.dr
  name     = "dr"
}

resource "aws_backup_plan" "nightly" {
  name = "nightly"

  rule {
    rule_name         = "nightly"
    target_vault_name = aws_backup_vault.primary.name
    schedule          = "cron(0 3 * * ? *)"

    copy_action {
      destination_vault_arn = aws_backup_vault.dr.arn
    }
  }
}

resource "aws_rds_global_cluster" "ledger" {
  global_cluster_identifier = "ledger"
  engine                    = "aurora-postgresql"
}

resource "aws_rds_cluster" "ledger_primary" {
  cluster_identifier        = "ledger-eu"
  engine                    = aws_rds_global_cluster.ledger.engine
  global_cluster_identifier = aws_rds_global_cluster.ledger.id
  master_username           = "ledger"
  manage_master_user_password = true
}

resource "aws_rds_cluster" "ledger_secondary" {
  provider                  = aws.dr
  cluster_identifier        = "ledger-us"
  engine                    = aws_rds_global_cluster.ledger.engine
  global_cluster_identifier = aws_rds_global_cluster.ledger.id
}
"#,
    )]);
    let flow_lines: Vec<(String, String, u32)> = facts
        .flows
        .iter()
        .zip(flows(&facts))
        .map(|(f, (from, to))| (from, to, line(&sources, f.span).1))
        .collect();
    assert_eq!(
        flow_lines,
        vec![
            (
                "aws_db_instance.orders".into(),
                "aws_db_instance.orders_replica".into(),
                19
            ),
            (
                "aws_backup_vault.primary".into(),
                "aws_backup_vault.dr".into(),
                41
            ),
            (
                "aws_rds_cluster.ledger_primary".into(),
                "aws_rds_cluster.ledger_secondary".into(),
                63
            ),
        ]
    );
    assert_eq!(
        region(&facts, "aws_db_instance.orders_replica"),
        "aws:us-east-2"
    );
    assert_eq!(region(&facts, "aws_backup_vault.dr"), "aws:us-east-2");
    assert_eq!(
        region(&facts, "aws_rds_cluster.ledger_secondary"),
        "aws:us-east-2"
    );
    assert!(
        !facts
            .nodes
            .iter()
            .any(|n| n.id == "aws_rds_global_cluster.ledger" || n.id == "aws_backup_plan.nightly")
    );
}

#[test]
fn traps_stay_quiet() {
    let (_, facts) = scan(&[(
        "main.tf",
        r#"# Docs: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html (us-east-1 examples)
provider "aws" {
  region = "eu-west-1"
}

variable "amis" {
  default = {
    "us-east-1" = "ami-0c55b159cbfafe1f0"
    "eu-west-1" = "ami-0d71ea30463e0ff8d"
  }
}

resource "aws_instance" "worker" {
  ami           = lookup(var.amis, "us-east-1")
  instance_type = "t3.micro"
}

resource "aws_ecs_task_definition" "api" {
  family = "api"
  container_definitions = jsonencode([{
    name  = "api"
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2"
  }])
}

resource "google_cloud_run_v2_service" "web" {
  name     = "web"
  location = "europe-west1"
  template {
    containers {
      image = "us-central1-docker.pkg.dev/acme/web/web:latest"
    }
  }
}

# resource "aws_s3_bucket" "old_exports" {
#   provider = aws.us
#   bucket   = "acme-old-exports"
# }
"#,
    )]);
    assert!(facts.nodes.is_empty(), "{:?}", facts.nodes);
    assert!(facts.flows.is_empty());
    assert!(facts.diagnostics.is_empty());
}

#[test]
fn malformed_files_are_input_errors_and_the_rest_is_read() {
    let (sources, facts) = scan(&[
        (
            "broken.tf",
            "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\nresource \"aws_s3_bucket\" \"x\" {\n  bucket = \n}\n",
        ),
        (
            "ok/main.tf",
            "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n\nresource \"aws_sqs_queue\" \"jobs\" {\n  name = \"jobs\"\n}\n",
        ),
        (
            "deep.tf",
            &format!(
                "locals {{\n  x = {}1{}\n}}\n",
                "[".repeat(5000),
                "]".repeat(5000)
            ),
        ),
    ]);
    assert_eq!(region(&facts, "aws_sqs_queue.jobs"), "aws:eu-west-1");
    assert_eq!(facts.diagnostics.len(), 2, "{:?}", facts.diagnostics);
    let broken = facts
        .diagnostics
        .iter()
        .find(|d| line(&sources, d.span).0 == "broken.tf")
        .map(|d| (d.rule, line(&sources, d.span).1, d.message.clone()));
    let (rule, at, message) =
        broken.unwrap_or_else(|| panic!("no diagnostic for broken.tf: {:?}", facts.diagnostics));
    assert_eq!(rule, Rule::InputError);
    // The parser stops where the value is missing, at the end of `bucket = `.
    assert_eq!(at, 6);
    assert!(message.starts_with("terraform: "), "{message}");
    assert!(
        facts
            .diagnostics
            .iter()
            .any(|d| line(&sources, d.span).0 == "deep.tf")
    );
}

#[test]
fn var_files_beside_a_root_are_variants_and_cycles_are_unknown_not_guessed() {
    let (_, facts) = scan(&[
        (
            "main.tf",
            "variable \"region\" {}\nlocals {\n  a = local.b\n  b = local.a\n}\nprovider \"aws\" {\n  region = var.region\n}\nresource \"aws_sns_topic\" \"alerts\" {}\nresource \"aws_kinesis_stream\" \"clicks\" {\n  region = local.a\n}\n",
        ),
        ("eu.tfvars", "region = \"eu-west-1\"\n"),
        ("us.tfvars", "region = \"us-east-1\"\n"),
    ]);
    // Each `-var-file` is a variant: the topic is where that file puts it, in that variant only.
    let topics: Vec<(String, Vec<String>)> = facts
        .nodes
        .iter()
        .filter(|n| n.id == "aws_sns_topic.alerts")
        .map(|n| {
            (
                n.location
                    .as_ref()
                    .map(|l| l.location.to_string())
                    .unwrap_or_default(),
                n.variants.clone(),
            )
        })
        .collect();
    assert_eq!(
        topics,
        vec![
            ("aws:eu-west-1".to_string(), vec!["eu".to_string()]),
            ("aws:us-east-1".to_string(), vec!["us".to_string()]),
        ]
    );
    let stream = facts
        .nodes
        .iter()
        .find(|n| n.id == "aws_kinesis_stream.clicks")
        .unwrap();
    assert!(stream.variants.is_empty(), "{:?}", stream.variants);
    let location = stream.location.clone().unwrap();
    assert_eq!(location.location.to_string(), "unknown");
    assert!(
        location
            .unresolved_reason
            .as_deref()
            .unwrap_or_default()
            .contains("cycle"),
        "{location:?}"
    );
}

#[test]
fn same_address_in_two_roots_is_qualified_by_directory() {
    let bucket = "provider \"aws\" {\n  region = \"eu-west-1\"\n}\nresource \"aws_s3_bucket\" \"data\" {}\nresource \"aws_sqs_queue\" \"only_here\" {}\n";
    let (_, facts) = scan(&[
        ("envs/prod/main.tf", bucket),
        (
            "envs/staging/main.tf",
            "provider \"aws\" {\n  region = \"us-east-1\"\n}\nresource \"aws_s3_bucket\" \"data\" {}\n",
        ),
    ]);
    assert_eq!(
        region(&facts, "envs/prod/aws_s3_bucket.data"),
        "aws:eu-west-1"
    );
    assert_eq!(
        region(&facts, "envs/staging/aws_s3_bucket.data"),
        "aws:us-east-1"
    );
    assert_eq!(region(&facts, "aws_sqs_queue.only_here"), "aws:eu-west-1");
}

#[test]
fn claims_terraform_files_only() {
    use crate::extract::Extractor;
    let terraform = super::Terraform;
    for (path, claimed) in [
        ("main.tf", true),
        ("envs/prod/terraform.tfvars", true),
        ("regions.auto.tfvars", true),
        ("main.tf.json", true),
        ("README.md", false),
        ("tf/notes.tft", false),
    ] {
        assert_eq!(
            terraform.claims(camino::Utf8Path::new(path)),
            claimed,
            "{path}"
        );
    }
}
