//! Unit tests of the Terraform extractor: node ids, kinds, locations, providers, flows and the
//! lines their spans land on, for realistic inputs and for malformed ones.

use super::extract_files;
use crate::model::facts::{Facts, FlowTarget, Location, NodeFact, NodeKind};
use crate::source::{FileId, SourceFile, Span};
use std::sync::Arc;

fn scan(files: &[(&str, &str)]) -> (Vec<SourceFile>, Facts) {
    let sources: Vec<SourceFile> = files
        .iter()
        .enumerate()
        .map(|(index, (path, text))| {
            SourceFile::new(FileId(index as u32), (*path).into(), Arc::from(*text))
        })
        .collect();
    let refs: Vec<&SourceFile> = sources.iter().collect();
    let facts = extract_files(&refs);
    (sources, facts)
}

fn line(sources: &[SourceFile], span: Option<Span>) -> (String, u32) {
    let Some(span) = span else {
        return ("<none>".into(), 0);
    };
    let file = &sources[span.file.0 as usize];
    (file.path.to_string(), file.line_column(span.start).line)
}

fn node<'f>(facts: &'f Facts, id: &str) -> &'f NodeFact {
    facts.nodes.iter().find(|n| n.id == id).unwrap_or_else(|| {
        panic!(
            "no node `{id}`; nodes: {:?}",
            facts.nodes.iter().map(|n| &n.id).collect::<Vec<_>>()
        )
    })
}

fn region(facts: &Facts, id: &str) -> String {
    match node(facts, id).location.as_ref().map(|l| &l.location) {
        Some(location) => location.to_string(),
        None => "none".into(),
    }
}

fn flows(facts: &Facts) -> Vec<(String, String)> {
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
    assert_eq!(line(&sources, location.span).1, 7);
}
