//! Data stores and cross-region copies: which resource types hold data, where each one is, and
//! which resources copy data from one store to another (replication, replicas, backup copies).

use super::eval::{Value, describe, eval};
use super::module::{Instance, Resource, dotted};
use crate::model::facts::{
    FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind, NodeRef, Origin,
};
use crate::source::{SourceFile, Span};
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Attribute, Block};
use std::collections::BTreeMap;

/// How a store type's location is found.
#[derive(Debug, Clone, Copy)]
enum Placement {
    /// AWS: the resource's own `region` (provider 6+), else its provider's `region`.
    Aws,
    /// Google: the resource's own argument, else the `google` provider's `region`.
    GoogleRegional(&'static str),
    /// The resource's own argument, required by the provider.
    Own(&'static str),
    /// The resource's own argument, else the provider's documented default.
    OwnOrDefault(&'static str, &'static str),
    /// The location of the resource another argument references (an Azure database's server).
    Via(&'static str),
    /// `google_spanner_instance.config`: `regional-<region>` or a multi-region such as `eur3`.
    SpannerConfig,
    /// `google_pubsub_topic`: the regions of `message_storage_policy`, if any.
    PubSub,
    /// `azurerm_cosmosdb_account`: the `geo_location` with failover priority 0.
    Cosmos,
}

/// A resource type that stores data.
#[derive(Debug)]
struct StoreType {
    resource_type: &'static str,
    provider: &'static str,
    description: &'static str,
    /// The argument that names the store, for its label.
    name_argument: &'static str,
    placement: Placement,
}

const fn store(
    resource_type: &'static str,
    provider: &'static str,
    description: &'static str,
    name_argument: &'static str,
    placement: Placement,
) -> StoreType {
    StoreType {
        resource_type,
        provider,
        description,
        name_argument,
        placement,
    }
}

/// Every resource type read as a store. Compute, networking and IAM resources are not stores.
const STORE_TYPES: &[StoreType] = &[
    store(
        "aws_s3_bucket",
        "aws",
        "S3 bucket",
        "bucket",
        Placement::Aws,
    ),
    store(
        "aws_db_instance",
        "aws",
        "RDS instance",
        "identifier",
        Placement::Aws,
    ),
    store(
        "aws_rds_cluster",
        "aws",
        "Aurora cluster",
        "cluster_identifier",
        Placement::Aws,
    ),
    store(
        "aws_docdb_cluster",
        "aws",
        "DocumentDB cluster",
        "cluster_identifier",
        Placement::Aws,
    ),
    store(
        "aws_neptune_cluster",
        "aws",
        "Neptune cluster",
        "cluster_identifier",
        Placement::Aws,
    ),
    store(
        "aws_dynamodb_table",
        "aws",
        "DynamoDB table",
        "name",
        Placement::Aws,
    ),
    store(
        "aws_dynamodb_global_table",
        "aws",
        "DynamoDB global table",
        "name",
        Placement::Aws,
    ),
    store(
        "aws_dynamodb_table_replica",
        "aws",
        "DynamoDB table replica",
        "global_table_arn",
        Placement::Aws,
    ),
    store(
        "aws_elasticache_cluster",
        "aws",
        "ElastiCache cluster",
        "cluster_id",
        Placement::Aws,
    ),
    store(
        "aws_elasticache_replication_group",
        "aws",
        "ElastiCache replication group",
        "replication_group_id",
        Placement::Aws,
    ),
    store(
        "aws_elasticache_serverless_cache",
        "aws",
        "ElastiCache serverless cache",
        "name",
        Placement::Aws,
    ),
    store(
        "aws_memorydb_cluster",
        "aws",
        "MemoryDB cluster",
        "name",
        Placement::Aws,
    ),
    store(
        "aws_opensearch_domain",
        "aws",
        "OpenSearch domain",
        "domain_name",
        Placement::Aws,
    ),
    store(
        "aws_elasticsearch_domain",
        "aws",
        "Elasticsearch domain",
        "domain_name",
        Placement::Aws,
    ),
    store(
        "aws_redshift_cluster",
        "aws",
        "Redshift cluster",
        "cluster_identifier",
        Placement::Aws,
    ),
    store(
        "aws_redshiftserverless_namespace",
        "aws",
        "Redshift Serverless namespace",
        "namespace_name",
        Placement::Aws,
    ),
    store(
        "aws_kinesis_stream",
        "aws",
        "Kinesis stream",
        "name",
        Placement::Aws,
    ),
    store("aws_sqs_queue", "aws", "SQS queue", "name", Placement::Aws),
    store("aws_sns_topic", "aws", "SNS topic", "name", Placement::Aws),
    store(
        "aws_efs_file_system",
        "aws",
        "EFS file system",
        "creation_token",
        Placement::Aws,
    ),
    store(
        "aws_backup_vault",
        "aws",
        "Backup vault",
        "name",
        Placement::Aws,
    ),
    store(
        "google_storage_bucket",
        "gcp",
        "Cloud Storage bucket",
        "name",
        Placement::Own("location"),
    ),
    store(
        "google_sql_database_instance",
        "gcp",
        "Cloud SQL instance",
        "name",
        Placement::GoogleRegional("region"),
    ),
    store(
        "google_spanner_instance",
        "gcp",
        "Spanner instance",
        "name",
        Placement::SpannerConfig,
    ),
    // BigQuery places a dataset without `location` in the `US` multi-region (provider documentation).
    store(
        "google_bigquery_dataset",
        "gcp",
        "BigQuery dataset",
        "dataset_id",
        Placement::OwnOrDefault("location", "us"),
    ),
    store(
        "google_firestore_database",
        "gcp",
        "Firestore database",
        "name",
        Placement::Own("location_id"),
    ),
    store(
        "google_pubsub_topic",
        "gcp",
        "Pub/Sub topic",
        "name",
        Placement::PubSub,
    ),
    store(
        "google_redis_instance",
        "gcp",
        "Memorystore for Redis instance",
        "name",
        Placement::GoogleRegional("region"),
    ),
    store(
        "google_memcache_instance",
        "gcp",
        "Memorystore for Memcached instance",
        "name",
        Placement::GoogleRegional("region"),
    ),
    store(
        "google_alloydb_cluster",
        "gcp",
        "AlloyDB cluster",
        "cluster_id",
        Placement::Own("location"),
    ),
    store(
        "azurerm_storage_account",
        "azure",
        "storage account",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_mssql_server",
        "azure",
        "Azure SQL server",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_mssql_database",
        "azure",
        "Azure SQL database",
        "name",
        Placement::Via("server_id"),
    ),
    store(
        "azurerm_mssql_managed_instance",
        "azure",
        "Azure SQL managed instance",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_sql_server",
        "azure",
        "Azure SQL server",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_sql_database",
        "azure",
        "Azure SQL database",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_cosmosdb_account",
        "azure",
        "Cosmos DB account",
        "name",
        Placement::Cosmos,
    ),
    store(
        "azurerm_postgresql_flexible_server",
        "azure",
        "PostgreSQL flexible server",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_postgresql_server",
        "azure",
        "PostgreSQL server",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_mysql_flexible_server",
        "azure",
        "MySQL flexible server",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_redis_cache",
        "azure",
        "Azure Cache for Redis",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_servicebus_namespace",
        "azure",
        "Service Bus namespace",
        "name",
        Placement::Own("location"),
    ),
    store(
        "azurerm_eventhub_namespace",
        "azure",
        "Event Hubs namespace",
        "name",
        Placement::Own("location"),
    ),
];

fn store_type(resource_type: &str) -> Option<&'static StoreType> {
    STORE_TYPES
        .iter()
        .find(|s| s.resource_type == resource_type)
}

/// A region as written (or why it is unknown), with where it is written.
type RegionAt = (Result<String, String>, Option<Span>);

/// A member cluster of an Aurora global database: id, header span, the span of its
/// `global_cluster_identifier`, and whether it is the primary.
type Member = (String, Option<Span>, Option<Span>, bool);

/// How deep references between stores (database -> server) are followed.
const MAX_VIA_DEPTH: usize = 4;

/// The span of an hcl-edit element in a file.
pub(crate) fn span_of(file: &SourceFile, element: &dyn hcl_edit::Span) -> Option<Span> {
    element.span().map(|range| file.span(range))
}

/// The span of a block's header: from its type keyword to its opening brace.
pub(crate) fn header_span(file: &SourceFile, block: &Block) -> Option<Span> {
    let range = block.span()?;
    let end = file
        .text
        .get(range.clone())
        .and_then(|text| text.find('{'))
        .map(|offset| range.start + offset + 1)
        .unwrap_or(range.end);
    Some(file.span(range.start..end))
}

/// Normalises a region as written: AWS and Google ids are lower case, Azure also accepts display
/// names (`West Europe` is `westeurope`).
fn normalise_region(provider: &str, text: &str) -> String {
    let lower = text.trim().to_lowercase();
    if provider == "azure" {
        lower.replace(' ', "")
    } else {
        lower
    }
}

fn region_location(provider: &str, region: &str) -> Location {
    Location::Region {
        provider: provider.to_string(),
        region: region.to_string(),
    }
}

/// What was found in one root module and everything it calls.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub nodes: BTreeMap<String, NodeFact>,
    pub flows: Vec<FlowFact>,
    /// Module calls that could not be followed: (span, message).
    pub problems: Vec<(Option<Span>, String)>,
    /// Azure region -> the region its geo-redundant storage copies to, from rule data.
    pub azure_pairs: BTreeMap<String, String>,
}

impl Found {
    fn add_node(&mut self, node: NodeFact) {
        self.nodes.entry(node.id.clone()).or_insert(node);
    }

    fn add_flow(&mut self, from: NodeRef, to: NodeRef, span: Option<Span>) {
        if from.id == to.id {
            return;
        }
        let mut flow = FlowFact::observed(from, FlowTarget::Node(to), span, Origin::Terraform);
        flow.purpose = Some("replication".into());
        self.flows.push(flow);
    }
}

/// Something a copy reads from or writes to.
#[derive(Debug, Clone)]
struct Endpoint {
    id: String,
    span: Option<Span>,
}

/// Reads stores and copies from one module instance.
pub(crate) struct Reader<'i, 'a> {
    pub instance: &'i Instance<'a>,
    pub found: &'i mut Found,
    /// Store type -> name argument value -> the first store of that type with that name, built
    /// once per type: a copy naming its destination by name does not evaluate every store again.
    pub names: BTreeMap<String, BTreeMap<String, String>>,
}

impl std::fmt::Debug for Reader<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("address", &self.instance.address)
            .finish()
    }
}

impl<'a> Reader<'_, 'a> {
    fn id(&self, resource: &Resource<'_>, data: bool) -> String {
        let mode = if data { "data." } else { "" };
        format!(
            "{}{mode}{}.{}",
            self.instance.address, resource.resource_type, resource.name
        )
    }

    /// Stores first, then the copies between them.
    pub(crate) fn read(&mut self) {
        let module = self.instance.module;
        for resource in &module.resources {
            if let Some(kind) = store_type(&resource.resource_type) {
                self.store(resource, kind, false);
            }
        }
        for resource in &module.resources {
            self.copies(resource);
        }
        self.global_clusters();
    }

    fn store(&mut self, resource: &Resource<'_>, kind: &StoreType, data: bool) -> String {
        let id = self.id(resource, data);
        if self.found.nodes.contains_key(&id) {
            return id;
        }
        let mut node = NodeFact::new(id.clone(), Origin::Terraform);
        node.kind = Some(NodeKind::Store);
        node.provider = Some(kind.provider.to_string());
        node.span = header_span(resource.file, resource.block);
        node.via = self.instance.via.clone();
        let name = resource
            .block
            .body
            .get_attribute(kind.name_argument)
            .and_then(|a| eval(&a.value, self.instance).ok())
            .and_then(|v| v.as_text());
        node.location = Some(self.locate(resource, kind, 0));
        // The hostnames a bucket answers on, so that a URL to it in code or configuration is a
        // flow to this node rather than to an anonymous store.
        if let (Some(name), "aws_s3_bucket") = (&name, resource.resource_type.as_ref()) {
            node.domains.push(format!("{name}.s3.amazonaws.com"));
            if let Some(crate::model::facts::Location::Region { region, .. }) =
                node.location.as_ref().map(|l| &l.location)
            {
                node.domains
                    .push(format!("{name}.s3.{region}.amazonaws.com"));
                node.domains
                    .push(format!("{name}.s3-{region}.amazonaws.com"));
            }
        }
        node.label = Some(match name {
            Some(name) => format!("{} `{name}`", kind.description),
            None => kind.description.to_string(),
        });
        self.found.add_node(node);
        self.replicas(resource, kind, &id);
        id
    }

    /// The location of a store, with the span of what decides it and, when unknown, why.
    fn locate(&self, resource: &Resource<'_>, kind: &StoreType, depth: usize) -> LocatedAt {
        let body = &resource.block.body;
        let file = resource.file;
        let own = |argument: &str| body.get_attribute(argument);
        match kind.placement {
            Placement::Aws => match own("region") {
                Some(attribute) => self.located_value(file, attribute, kind.provider),
                None => self.provider_region(resource, "aws"),
            },
            Placement::GoogleRegional(argument) => match own(argument) {
                Some(attribute) => self.located_value(file, attribute, kind.provider),
                None => self.provider_region(resource, "google"),
            },
            Placement::Own(argument) => match own(argument) {
                Some(attribute) => self.located_value(file, attribute, kind.provider),
                None => unknown(
                    header_span(file, resource.block),
                    format!(
                        "`{}.{}` sets no `{argument}`",
                        resource.resource_type, resource.name
                    ),
                ),
            },
            Placement::OwnOrDefault(argument, default) => match own(argument) {
                Some(attribute) => self.located_value(file, attribute, kind.provider),
                None => LocatedAt {
                    location: region_location(kind.provider, default),
                    span: header_span(file, resource.block),
                    unresolved_reason: None,
                },
            },
            Placement::Via(argument) => {
                let Some(attribute) = own(argument) else {
                    return unknown(
                        header_span(file, resource.block),
                        format!("`{argument}` is not set"),
                    );
                };
                let span = span_of(file, attribute);
                match self.referenced_resource(&attribute.value) {
                    Some((parent, false)) if depth < MAX_VIA_DEPTH => {
                        match store_type(&parent.resource_type) {
                            Some(parent_kind) => {
                                let mut located = self.locate(&parent, parent_kind, depth + 1);
                                located.span = span;
                                located
                            }
                            None => unknown(
                                span,
                                format!(
                                    "`{}` is not a store borderline reads",
                                    describe(&attribute.value)
                                ),
                            ),
                        }
                    }
                    _ => unknown(
                        span,
                        format!(
                            "`{}` does not name a resource in this module",
                            describe(&attribute.value)
                        ),
                    ),
                }
            }
            Placement::SpannerConfig => match own("config") {
                Some(attribute) => {
                    let span = span_of(file, attribute);
                    match eval(&attribute.value, self.instance) {
                        Ok(value) => match value.as_text() {
                            Some(config) => {
                                let config =
                                    config.rsplit('/').next().unwrap_or_default().to_lowercase();
                                let region = config
                                    .strip_prefix("regional-")
                                    .unwrap_or(&config)
                                    .to_string();
                                LocatedAt {
                                    location: region_location("gcp", &region),
                                    span,
                                    unresolved_reason: None,
                                }
                            }
                            None => unknown(span, "`config` is not a string".into()),
                        },
                        Err(reason) => unknown(span, reason),
                    }
                }
                None => unknown(
                    header_span(file, resource.block),
                    "`config` is not set".into(),
                ),
            },
            Placement::PubSub => {
                let regions = self.pubsub_regions(resource);
                match regions.first() {
                    Some((Ok(region), span)) => LocatedAt {
                        location: region_location("gcp", region),
                        span: *span,
                        unresolved_reason: None,
                    },
                    Some((Err(reason), span)) => unknown(*span, reason.clone()),
                    None => unknown(
                        header_span(file, resource.block),
                        "Pub/Sub keeps messages in any region unless `message_storage_policy` restricts them".into(),
                    ),
                }
            }
            Placement::Cosmos => {
                let locations = self.cosmos_locations(resource);
                match locations.first() {
                    Some((Ok(region), span)) => LocatedAt {
                        location: region_location("azure", region),
                        span: *span,
                        unresolved_reason: None,
                    },
                    Some((Err(reason), span)) => unknown(*span, reason.clone()),
                    None => match own("location") {
                        Some(attribute) => self.located_value(file, attribute, "azure"),
                        None => unknown(
                            header_span(file, resource.block),
                            "no `geo_location` or `location` is set".into(),
                        ),
                    },
                }
            }
        }
    }

    /// A location argument's value.
    fn located_value(&self, file: &SourceFile, attribute: &Attribute, provider: &str) -> LocatedAt {
        let span = span_of(file, attribute);
        match self.region_text(&attribute.value, provider) {
            Ok(region) => LocatedAt {
                location: region_location(provider, &region),
                span,
                unresolved_reason: None,
            },
            Err(reason) => unknown(span, reason),
        }
    }

    fn region_text(&self, expr: &Expression, provider: &str) -> Result<String, String> {
        let value = eval(expr, self.instance)?;
        let text = value
            .as_text()
            .ok_or_else(|| format!("`{}` is not a string", describe(expr)))?;
        let region = normalise_region(provider, &text);
        if region.is_empty() {
            return Err(format!("`{}` is empty", describe(expr)));
        }
        Ok(region)
    }

    /// The region of the provider configuration a resource uses.
    fn provider_region(&self, resource: &Resource<'_>, default_provider: &str) -> LocatedAt {
        let chosen = resource.block.body.get_attribute("provider");
        let key = chosen
            .and_then(|a| dotted(&a.value))
            .unwrap_or_else(|| default_provider.to_string());
        let span = match chosen {
            Some(attribute) => span_of(resource.file, attribute),
            None => header_span(resource.file, resource.block),
        };
        let provider = if key.starts_with("google") {
            "gcp"
        } else {
            "aws"
        };
        // A resource that names its provider (`provider = aws.replica`) shows that line; one that
        // uses the default provider shows where the provider block sets the region, rather than
        // its own header again.
        let span = match chosen {
            Some(_) => span,
            None => self
                .instance
                .providers
                .get(&key)
                .and_then(|config| config.span)
                .or(span),
        };
        match self.instance.providers.get(&key) {
            Some(config) => match &config.region {
                Ok(value) => match value.as_text() {
                    Some(text) if !text.trim().is_empty() => LocatedAt {
                        location: region_location(provider, &normalise_region(provider, &text)),
                        span,
                        unresolved_reason: None,
                    },
                    _ => unknown(
                        span,
                        format!("the `region` of provider `{key}` is not a string"),
                    ),
                },
                Err(reason) => unknown(span, reason.clone()),
            },
            None => unknown(
                span,
                format!(
                    "no `provider \"{}\"` block configures `{key}`",
                    key.split('.').next().unwrap_or(&key)
                ),
            ),
        }
    }

    fn pubsub_regions(&self, resource: &Resource<'_>) -> Vec<RegionAt> {
        let mut regions = Vec::new();
        for policy in resource.block.body.get_blocks("message_storage_policy") {
            let Some(attribute) = policy.body.get_attribute("allowed_persistence_regions") else {
                continue;
            };
            let span = span_of(resource.file, attribute);
            match eval(&attribute.value, self.instance) {
                Ok(Value::List(items)) => {
                    for item in items {
                        match item.as_text() {
                            Some(text) => regions.push((Ok(normalise_region("gcp", &text)), span)),
                            None => regions.push((Err("a region is not a string".into()), span)),
                        }
                    }
                }
                Ok(_) => regions.push((
                    Err("`allowed_persistence_regions` is not a list".into()),
                    span,
                )),
                Err(reason) => regions.push((Err(reason), span)),
            }
        }
        regions
    }

    /// Cosmos DB `geo_location` blocks by failover priority: the first is where writes go.
    fn cosmos_locations(&self, resource: &Resource<'_>) -> Vec<RegionAt> {
        let mut locations: Vec<(i64, usize, RegionAt)> = Vec::new();
        for (index, geo) in resource.block.body.get_blocks("geo_location").enumerate() {
            let priority = geo
                .body
                .get_attribute("failover_priority")
                .and_then(|a| eval(&a.value, self.instance).ok())
                .and_then(|v| v.as_text())
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or(i64::MAX);
            match geo.body.get_attribute("location") {
                Some(attribute) => locations.push((
                    priority,
                    index,
                    (
                        self.region_text(&attribute.value, "azure"),
                        span_of(resource.file, attribute),
                    ),
                )),
                None => locations.push((
                    priority,
                    index,
                    (
                        Err("`geo_location` has no `location`".into()),
                        span_of(resource.file, geo),
                    ),
                )),
            }
        }
        locations.sort_by_key(|(priority, index, _)| (*priority, *index));
        locations.into_iter().map(|(_, _, at)| at).collect()
    }

    /// Stores that keep copies in other regions as part of the resource itself.
    fn replicas(&mut self, resource: &Resource<'_>, kind: &StoreType, id: &str) {
        let source = NodeRef {
            id: id.to_string(),
            span: header_span(resource.file, resource.block),
        };
        let body = &resource.block.body;
        let mut replicas: Vec<RegionAt> = Vec::new();
        match resource.resource_type.as_str() {
            "aws_dynamodb_table" | "aws_dynamodb_global_table" => {
                for block in body.get_blocks("replica") {
                    match block.body.get_attribute("region_name") {
                        Some(attribute) => replicas.push((
                            self.region_text(&attribute.value, "aws"),
                            span_of(resource.file, attribute),
                        )),
                        None => replicas.push((
                            Err("`replica` has no `region_name`".into()),
                            span_of(resource.file, block),
                        )),
                    }
                }
            }
            "google_pubsub_topic" => {
                replicas.extend(self.pubsub_regions(resource).into_iter().skip(1))
            }
            "azurerm_cosmosdb_account" => {
                replicas.extend(self.cosmos_locations(resource).into_iter().skip(1))
            }
            "azurerm_storage_account" => {
                if let Some(attribute) = body.get_attribute("account_replication_type") {
                    let geo = eval(&attribute.value, self.instance)
                        .ok()
                        .and_then(|v| v.as_text())
                        .map(|t| t.trim().to_ascii_uppercase())
                        .is_some_and(|t| matches!(t.as_str(), "GRS" | "RAGRS" | "GZRS" | "RAGZRS"));
                    if geo {
                        let span = span_of(resource.file, attribute);
                        let primary = self.locate(resource, kind, 0);
                        let paired = match &primary.location {
                            Location::Region { region, .. } => self
                                .found
                                .azure_pairs
                                .get(&region.to_ascii_lowercase())
                                .cloned()
                                .ok_or_else(|| format!("no paired region of `{region}` is known (`paired` in rules/regions/azure.toml)")),
                            _ => Err(format!(
                                "the paired region is unknown because the account's own location is: {}",
                                primary.unresolved_reason.clone().unwrap_or_default()
                            )),
                        };
                        replicas.push((paired, span));
                    }
                }
            }
            _ => {}
        }
        let own_region = match self
            .found
            .nodes
            .get(id)
            .and_then(|n| n.location.as_ref())
            .map(|l| &l.location)
        {
            Some(Location::Region { region, .. }) => Some(region.clone()),
            _ => None,
        };
        for (index, (region, span)) in replicas.into_iter().enumerate() {
            // A legacy global table lists its own region among its replicas.
            if region.as_ref().ok() == own_region.as_ref() {
                continue;
            }
            let replica_id = match &region {
                Ok(region) => format!("{id}@{region}"),
                Err(_) => format!("{id}@replica-{}", index + 1),
            };
            let mut node = NodeFact::new(replica_id.clone(), Origin::Terraform);
            node.kind = Some(NodeKind::Store);
            node.provider = Some(kind.provider.to_string());
            node.span = span;
            node.label = Some(format!("replica of `{id}`"));
            node.location = Some(match region {
                Ok(region) => LocatedAt {
                    location: region_location(kind.provider, &region),
                    span,
                    unresolved_reason: None,
                },
                Err(reason) => unknown(span, reason),
            });
            self.found.add_node(node);
            self.found.add_flow(
                source.clone(),
                NodeRef {
                    id: replica_id,
                    span,
                },
                span,
            );
        }
    }

    /// Copies that a resource configures between stores.
    fn copies(&mut self, resource: &Resource<'_>) {
        let body = &resource.block.body;
        let file = resource.file;
        let this = NodeRef {
            id: self.id(resource, false),
            span: header_span(file, resource.block),
        };
        match resource.resource_type.as_str() {
            "aws_s3_bucket_replication_configuration" => {
                let Some(source) = body
                    .get_attribute("bucket")
                    .and_then(|a| self.endpoint(file, a, "aws_s3_bucket"))
                else {
                    return;
                };
                for rule in body.get_blocks("rule") {
                    for destination in rule.body.get_blocks("destination") {
                        self.copy_to(
                            file,
                            &source,
                            destination.body.get_attribute("bucket"),
                            "aws_s3_bucket",
                        );
                    }
                }
            }
            "aws_s3_bucket" => {
                // Provider 3.x and older: replication configured inside the bucket.
                for configuration in body.get_blocks("replication_configuration") {
                    for rule in configuration.body.get_blocks("rules") {
                        for destination in rule.body.get_blocks("destination") {
                            let source = Endpoint {
                                id: this.id.clone(),
                                span: this.span,
                            };
                            self.copy_to(
                                file,
                                &source,
                                destination.body.get_attribute("bucket"),
                                "aws_s3_bucket",
                            );
                        }
                    }
                }
            }
            "aws_db_instance" => self.copy_from(
                file,
                &this,
                body.get_attribute("replicate_source_db"),
                "aws_db_instance",
            ),
            "aws_rds_cluster" => self.copy_from(
                file,
                &this,
                body.get_attribute("replication_source_identifier"),
                "aws_rds_cluster",
            ),
            "aws_dynamodb_table_replica" => self.copy_from(
                file,
                &this,
                body.get_attribute("global_table_arn"),
                "aws_dynamodb_table",
            ),
            "google_sql_database_instance" => {
                self.copy_from(
                    file,
                    &this,
                    body.get_attribute("master_instance_name"),
                    "google_sql_database_instance",
                );
            }
            "azurerm_mssql_database" => {
                let secondary = body
                    .get_attribute("create_mode")
                    .and_then(|a| eval(&a.value, self.instance).ok())
                    .and_then(|v| v.as_text())
                    .is_some_and(|mode| mode.eq_ignore_ascii_case("secondary"));
                if secondary {
                    self.copy_from(
                        file,
                        &this,
                        body.get_attribute("creation_source_database_id"),
                        "azurerm_mssql_database",
                    );
                }
            }
            "azurerm_mssql_failover_group" => {
                let Some(source) = body
                    .get_attribute("server_id")
                    .and_then(|a| self.endpoint(file, a, "azurerm_mssql_server"))
                else {
                    return;
                };
                for partner in body.get_blocks("partner_server") {
                    self.copy_to(
                        file,
                        &source,
                        partner.body.get_attribute("id"),
                        "azurerm_mssql_server",
                    );
                }
            }
            "aws_backup_plan" => {
                for rule in body.get_blocks("rule") {
                    let Some(source) = rule
                        .body
                        .get_attribute("target_vault_name")
                        .and_then(|a| self.endpoint(file, a, "aws_backup_vault"))
                    else {
                        continue;
                    };
                    for copy in rule.body.get_blocks("copy_action") {
                        self.copy_to(
                            file,
                            &source,
                            copy.body.get_attribute("destination_vault_arn"),
                            "aws_backup_vault",
                        );
                    }
                }
            }
            _ => {}
        }
    }

    /// A copy from `source` to the store `destination` names; the flow is written where the destination is.
    fn copy_to(
        &mut self,
        file: &SourceFile,
        source: &Endpoint,
        destination: Option<&Attribute>,
        expected: &str,
    ) {
        let Some(attribute) = destination else { return };
        let Some(target) = self.endpoint(file, attribute, expected) else {
            return;
        };
        let span = span_of(file, attribute);
        self.found.add_flow(
            NodeRef {
                id: source.id.clone(),
                span: source.span,
            },
            NodeRef {
                id: target.id,
                span,
            },
            span,
        );
    }

    /// A copy into `this` from the store `source` names; the flow is written where the source is named.
    fn copy_from(
        &mut self,
        file: &SourceFile,
        this: &NodeRef,
        source: Option<&Attribute>,
        expected: &str,
    ) {
        let Some(attribute) = source else { return };
        let Some(origin) = self.endpoint(file, attribute, expected) else {
            return;
        };
        let span = span_of(file, attribute);
        self.found.add_flow(
            NodeRef {
                id: origin.id,
                span,
            },
            this.clone(),
            span,
        );
    }

    /// The store an argument names: a reference (`aws_s3_bucket.replica.arn`), a data source, an
    /// ARN, or the name of a store defined in this module.
    fn endpoint(
        &mut self,
        file: &SourceFile,
        attribute: &Attribute,
        expected: &str,
    ) -> Option<Endpoint> {
        let span = span_of(file, attribute);
        if let Some((resource, data)) = self.referenced_resource(&attribute.value) {
            let kind = store_type(&resource.resource_type)?;
            let id = if data {
                self.store(&resource, kind, true)
            } else {
                self.id(&resource, false)
            };
            return Some(Endpoint { id, span });
        }
        let text = eval(&attribute.value, self.instance).ok()?.as_text()?;
        let text = text.trim().to_string();
        if let Some(arn) = text.strip_prefix("arn:") {
            // arn:partition:service:region:account:resource
            let parts: Vec<&str> = arn.splitn(5, ':').collect();
            let region = parts.get(2).copied().unwrap_or_default();
            let resource_part = parts.get(4).copied().unwrap_or_default();
            let name = resource_part
                .rsplit([':', '/'])
                .next()
                .unwrap_or(resource_part);
            if let Some(id) = self.store_named(expected, name) {
                return Some(Endpoint { id, span });
            }
            let mut node = NodeFact::new(text.clone(), Origin::Terraform);
            node.kind = Some(NodeKind::Store);
            node.provider = Some("aws".into());
            node.span = span;
            node.label = Some(format!("`{name}`, outside this Terraform"));
            node.location = Some(if region.is_empty() {
                unknown(
                    span,
                    format!(
                        "`{name}` is not defined in this Terraform and its ARN names no region"
                    ),
                )
            } else {
                LocatedAt {
                    location: region_location("aws", region),
                    span,
                    unresolved_reason: None,
                }
            });
            self.found.add_node(node);
            return Some(Endpoint { id: text, span });
        }
        self.store_named(expected, &text)
            .map(|id| Endpoint { id, span })
    }

    /// The store of type `expected` whose name argument evaluates to `name`.
    fn store_named(&mut self, expected: &str, name: &str) -> Option<String> {
        let kind = store_type(expected)?;
        if !self.names.contains_key(expected) {
            let mut names = BTreeMap::new();
            for resource in self
                .instance
                .module
                .resources
                .iter()
                .filter(|r| r.resource_type == expected)
            {
                let value = resource
                    .block
                    .body
                    .get_attribute(kind.name_argument)
                    .and_then(|a| eval(&a.value, self.instance).ok())
                    .and_then(|v| v.as_text());
                if let Some(value) = value {
                    names
                        .entry(value)
                        .or_insert_with(|| self.id(resource, false));
                }
            }
            self.names.insert(expected.to_string(), names);
        }
        self.names.get(expected)?.get(name).cloned()
    }

    /// The resource a reference expression names (`type.name.attr`, `data.type.name.attr`), and
    /// whether it is a data source. Also looks inside `"${...}"` and function arguments.
    fn referenced_resource(&self, expr: &Expression) -> Option<(Resource<'a>, bool)> {
        let (root, attrs) = first_traversal(expr)?;
        let module = self.instance.module;
        if root == "data" {
            let (resource_type, name) = (attrs.first()?, attrs.get(1)?);
            return module
                .data_source(resource_type, name)
                .map(|r| (r.clone(), true));
        }
        let name = attrs.first()?;
        module.resource(root, name).map(|r| (r.clone(), false))
    }

    /// Aurora global databases: member clusters copy from the primary cluster.
    fn global_clusters(&mut self) {
        let module = self.instance.module;
        // Global cluster key -> members (id, header span, the member's `global_cluster_identifier` span, is primary).
        let mut groups: BTreeMap<String, Vec<Member>> = BTreeMap::new();
        for resource in module
            .resources
            .iter()
            .filter(|r| r.resource_type == "aws_rds_cluster")
        {
            let body = &resource.block.body;
            let Some(attribute) = body.get_attribute("global_cluster_identifier") else {
                continue;
            };
            let key = match self.referenced_resource(&attribute.value) {
                Some((global, _)) => format!("{}.{}", global.resource_type, global.name),
                None => match eval(&attribute.value, self.instance)
                    .ok()
                    .and_then(|v| v.as_text())
                {
                    Some(text) => text,
                    None => continue,
                },
            };
            let mut primary = [
                "master_username",
                "master_password",
                "manage_master_user_password",
                "snapshot_identifier",
            ]
            .iter()
            .any(|argument| body.has_attribute(argument));
            // The global cluster may name its source cluster explicitly.
            if let Some(source) = module
                .resource(
                    "aws_rds_global_cluster",
                    key.trim_start_matches("aws_rds_global_cluster."),
                )
                .and_then(|global| {
                    global
                        .block
                        .body
                        .get_attribute("source_db_cluster_identifier")
                })
            {
                primary = self
                    .referenced_resource(&source.value)
                    .is_some_and(|(r, _)| {
                        r.resource_type == resource.resource_type && r.name == resource.name
                    });
            }
            groups.entry(key).or_default().push((
                self.id(resource, false),
                header_span(resource.file, resource.block),
                span_of(resource.file, attribute),
                primary,
            ));
        }
        for members in groups.values() {
            let primaries: Vec<_> = members.iter().filter(|m| m.3).collect();
            let sources: Vec<_> = if primaries.len() == 1 {
                primaries
            } else {
                members.iter().collect()
            };
            for source in &sources {
                for member in members.iter().filter(|m| m.0 != source.0) {
                    self.found.add_flow(
                        NodeRef {
                            id: source.0.clone(),
                            span: source.1,
                        },
                        NodeRef {
                            id: member.0.clone(),
                            span: member.2,
                        },
                        member.2,
                    );
                }
            }
        }
    }
}

fn unknown(span: Option<Span>, reason: String) -> LocatedAt {
    LocatedAt {
        location: Location::Unknown,
        span,
        unresolved_reason: Some(reason),
    }
}

/// The first traversal inside an expression: itself, inside `"${...}"`, or a function's argument.
fn first_traversal(expr: &Expression) -> Option<(&str, Vec<&str>)> {
    match expr {
        Expression::Traversal(traversal) => {
            let Expression::Variable(root) = &traversal.expr else {
                return None;
            };
            let mut attrs = Vec::new();
            for operator in &traversal.operators {
                match operator.value() {
                    TraversalOperator::GetAttr(ident) => attrs.push(ident.value().as_str()),
                    _ => break,
                }
            }
            Some((root.value().as_str(), attrs))
        }
        Expression::StringTemplate(template) => template.iter().find_map(|element| match element {
            hcl_edit::template::Element::Interpolation(interpolation) => {
                first_traversal(&interpolation.expr)
            }
            _ => None,
        }),
        Expression::FuncCall(call) => call.args.iter().find_map(first_traversal),
        Expression::Parenthesis(inner) => first_traversal(inner.inner()),
        _ => None,
    }
}
