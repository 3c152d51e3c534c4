//! Data stores and cross-region copies: which resource types hold data, where each one is, and
//! which resources copy data from one store to another (replication, replicas, backup copies).

use super::eval::{Bindings, Eval, Value, describe, eval_with};
use super::instances::{MAX_EXPANDED, Nested, Repeat, nested, repetition};
use super::module::{Instance, Resource, provider_key};
use crate::facts::{
    FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind, NodeRef, Origin,
};
use crate::rules::{RuleSet, StorePlacement};
use crate::source::{SourceFile, Span};
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, Body};
use std::collections::BTreeMap;

/// How a store type's location is found (`rules/stores.toml`, `placement`).
#[derive(Debug, Clone, Copy)]
pub(super) enum Placement<'r> {
    /// AWS: the resource's own `region` (provider 6+), else its provider's `region`.
    Aws,
    /// Google: the resource's own argument, else the `google` provider's `region`.
    GoogleRegional(&'r str),
    /// The resource's own argument, required by the provider.
    Own(&'r str),
    /// The resource's own argument, else the provider's documented default.
    OwnOrDefault(&'r str, &'r str),
    /// The location of the resource another argument references (an Azure database's server).
    Via(&'r str),
    /// `google_spanner_instance.config`: `regional-<region>` or a multi-region such as `eur3`.
    SpannerConfig,
    /// `google_pubsub_topic`: the regions of `message_storage_policy`, if any.
    PubSub,
    /// `azurerm_cosmosdb_account`: the `geo_location` with failover priority 0.
    Cosmos,
}

/// A resource type that stores data, as rule data describes it.
#[derive(Debug)]
pub(crate) struct StoreType<'r> {
    pub(super) provider: &'r str,
    pub(super) description: &'r str,
    /// The argument that names the store, for its label.
    pub(super) name_argument: &'r str,
    pub(super) placement: Placement<'r>,
}

/// Every resource type read as a store, by type, from `rules/stores.toml`. Compute, networking and
/// IAM resources are not stores.
pub(crate) type StoreTypes<'r> = BTreeMap<&'r str, StoreType<'r>>;

/// The store types of the rule data, borrowed from it. The loader has checked that every placement
/// has the argument and default it reads; a record without them (which it would have refused) is
/// left out rather than guessed.
pub(crate) fn store_types(rules: &RuleSet) -> StoreTypes<'_> {
    rules
        .store_types()
        .filter_map(|s| {
            let argument = s.argument.as_deref();
            let placement = match s.placement {
                StorePlacement::AwsRegion => Placement::Aws,
                StorePlacement::GoogleRegion => Placement::GoogleRegional(argument?),
                StorePlacement::Argument => Placement::Own(argument?),
                StorePlacement::ArgumentOrDefault => {
                    Placement::OwnOrDefault(argument?, s.default.as_deref()?)
                }
                StorePlacement::Via => Placement::Via(argument?),
                StorePlacement::SpannerConfig => Placement::SpannerConfig,
                StorePlacement::PubsubStoragePolicy => Placement::PubSub,
                StorePlacement::CosmosGeoLocation => Placement::Cosmos,
            };
            Some((
                s.resource_type.as_str(),
                StoreType {
                    provider: &s.provider,
                    description: &s.description,
                    name_argument: &s.name_argument,
                    placement,
                },
            ))
        })
        .collect()
}

impl<'i> Reader<'i, '_> {
    /// The store type of a resource type, if it is one.
    fn store_type(&self, resource_type: &str) -> Option<&'i StoreType<'i>> {
        self.store_types.get(resource_type)
    }

    /// The store type of a resource: its type's, or for the generic `azapi_resource` the entry of
    /// the Azure resource type its literal `type` names (`Microsoft.Storage/storageAccounts@...`,
    /// keyed `azapi_resource:microsoft.storage/storageaccounts` in rule data).
    fn store_type_of(&self, resource: &Resource<'_>) -> Option<&'i StoreType<'i>> {
        if resource.resource_type != "azapi_resource" {
            return self.store_type(&resource.resource_type);
        }
        let written = resource.block.body.get_attribute("type")?;
        let azure_type = self.eval(&written.value).ok()?.as_text()?;
        let azure_type = azure_type.split('@').next().unwrap_or_default().trim();
        self.store_type(&format!(
            "azapi_resource:{}",
            azure_type.to_ascii_lowercase()
        ))
    }
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
pub(super) fn normalise_region(provider: &str, text: &str) -> String {
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
    /// Local module calls whose source directory holds no scanned Terraform files: (span,
    /// message). Notes (`unresolved-reference`), not input errors: a test harness or a deploy-time
    /// layout supplies the module, and nothing in the tree is malformed.
    pub absent: Vec<(Option<Span>, String)>,
    /// Azure region -> the region its geo-redundant storage copies to, from rule data.
    pub azure_pairs: BTreeMap<String, String>,
    /// Instances and generated blocks expanded so far in the module tree (see `MAX_EXPANDED`).
    pub expanded: std::cell::Cell<usize>,
    /// Members of Aurora global databases by global cluster, over the module tree: linked once
    /// the whole tree is read (see `link_global_clusters`).
    pub global_clusters: BTreeMap<String, Vec<Member>>,
}

impl Found {
    fn add_node(&mut self, node: NodeFact) {
        self.nodes.entry(node.id.clone()).or_insert(node);
    }

    fn add_flow(&mut self, from: NodeRef, to: NodeRef, span: Option<Span>) {
        if from.id == to.id {
            return;
        }
        // A copy whose argument has no range in the file (it comes from an override file, or
        // from an array of blocks in JSON) is reported at the resource that makes it.
        let span = span.or(from.span);
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
    /// The store types of the rule data.
    pub store_types: &'i StoreTypes<'i>,
    /// What the resource instance (and the `dynamic` blocks) being read bind.
    bindings: Bindings,
    /// The instances of each resource by (type, name): id and what it binds. A resource whose
    /// `count` or `for_each` is unknown has one instance, named without an index.
    instances: BTreeMap<(String, String), Vec<(String, Bindings)>>,
    /// Resources whose repetition is unknown, with the reason, for their labels.
    unknown_repeat: BTreeMap<(String, String), String>,
}

impl std::fmt::Debug for Reader<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("address", &self.instance.address)
            .finish()
    }
}

impl<'i, 'a> Reader<'i, 'a> {
    pub(crate) fn new(
        instance: &'i Instance<'a>,
        found: &'i mut Found,
        store_types: &'i StoreTypes<'i>,
    ) -> Self {
        Reader {
            instance,
            found,
            names: BTreeMap::new(),
            store_types,
            bindings: Bindings::default(),
            instances: BTreeMap::new(),
            unknown_repeat: BTreeMap::new(),
        }
    }

    /// Evaluates an expression of the resource instance being read.
    fn eval(&self, expr: &Expression) -> Eval {
        eval_with(expr, self.instance, &self.bindings)
    }

    /// What the module tree may still expand.
    fn expand_limit(&self) -> usize {
        MAX_EXPANDED.saturating_sub(self.found.expanded.get())
    }

    /// The nested blocks `name` of `body` in the block being read, written or generated by
    /// `dynamic` blocks (see `instances::nested`).
    fn nested<'b>(&self, body: &'b Body, name: &str) -> Vec<Nested<'b>> {
        let blocks = nested(
            body,
            name,
            self.instance,
            &self.bindings,
            self.expand_limit(),
        );
        self.found
            .expanded
            .set(self.found.expanded.get().saturating_add(blocks.len()));
        blocks
    }

    /// Reads `read` with what `bindings` binds, then restores the enclosing bindings.
    fn with_bindings<T>(&mut self, bindings: Bindings, read: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.bindings, bindings);
        let result = read(self);
        self.bindings = outer;
        result
    }

    /// Expands the instances of every resource of the module (see `instances::repetition`).
    fn expand(&mut self) {
        let module = self.instance.module;
        for resource in &module.resources {
            let key = (resource.resource_type.clone(), resource.name.clone());
            if self.instances.contains_key(&key) {
                continue;
            }
            let base = self.id(resource, false);
            let list = match repetition(resource.block, self.instance, self.expand_limit()) {
                Repeat::Once => vec![(base, Bindings::default())],
                Repeat::Each(instances) => instances
                    .into_iter()
                    .map(|(suffix, bindings)| (format!("{base}{suffix}"), bindings))
                    .collect(),
                Repeat::Unknown(bindings, reason) => {
                    self.unknown_repeat.insert(key.clone(), reason);
                    vec![(base, bindings)]
                }
            };
            self.found
                .expanded
                .set(self.found.expanded.get().saturating_add(list.len()));
            self.instances.insert(key, list);
        }
    }

    /// The instances of a resource of this module: id and bindings.
    fn instances_of(&self, resource: &Resource<'_>) -> Vec<(String, Bindings)> {
        self.instances
            .get(&(resource.resource_type.clone(), resource.name.clone()))
            .cloned()
            .unwrap_or_else(|| vec![(self.id(resource, false), Bindings::default())])
    }

    /// The instance a reference names: `aws_s3_bucket.logs[each.key]` the one of that key,
    /// `aws_s3_bucket.logs` the only one. A reference that names no instance (the resource is
    /// switched off, or its index is not among its keys) names nothing.
    fn instance_id(&self, resource: &Resource<'_>, index: Option<&Expression>) -> Option<String> {
        let list = self.instances_of(resource);
        let base = self.id(resource, false);
        if let [(only, _)] = list.as_slice()
            && (index.is_none() || *only == base)
        {
            return Some(only.clone());
        }
        let key = self.eval(index?).ok()?.as_text()?;
        list.into_iter().map(|(id, _)| id).find(|id| {
            id.strip_prefix(&base).is_some_and(|suffix| {
                suffix == format!("[{key}]") || suffix == format!("[\"{key}\"]")
            })
        })
    }

    fn id(&self, resource: &Resource<'_>, data: bool) -> String {
        let mode = if data { "data." } else { "" };
        format!(
            "{}{mode}{}.{}",
            self.instance.address, resource.resource_type, resource.name
        )
    }

    /// Stores first, then the copies between them, instance by instance.
    pub(crate) fn read(&mut self) {
        let module = self.instance.module;
        self.expand();
        for resource in &module.resources {
            if let Some(kind) = self.store_type_of(resource) {
                for (id, bindings) in self.instances_of(resource) {
                    self.with_bindings(bindings, |this| this.store(resource, kind, id));
                }
            }
        }
        for resource in &module.resources {
            for (id, bindings) in self.instances_of(resource) {
                self.with_bindings(bindings, |this| this.copies(resource, id));
            }
        }
        self.global_clusters();
    }

    fn store(&mut self, resource: &Resource<'_>, kind: &StoreType, id: String) -> String {
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
            .and_then(|a| self.eval(&a.value).ok())
            .and_then(|v| v.as_text());
        node.location = Some(self.locate(resource, kind, 0));
        // The hostnames a bucket answers on, so that a URL to it in code or configuration is a
        // flow to this node rather than to an anonymous store.
        if let (Some(name), "aws_s3_bucket") = (&name, resource.resource_type.as_ref()) {
            node.domains.push(format!("{name}.s3.amazonaws.com"));
            if let Some(crate::facts::Location::Region { region, .. }) =
                node.location.as_ref().map(|l| &l.location)
            {
                node.domains
                    .push(format!("{name}.s3.{region}.amazonaws.com"));
                node.domains
                    .push(format!("{name}.s3-{region}.amazonaws.com"));
            }
        }
        let mut label = match name {
            Some(name) => format!("{} `{name}`", kind.description),
            None => kind.description.to_string(),
        };
        // One node stands for instances that cannot be counted: the label says so.
        if let Some(reason) = self
            .unknown_repeat
            .get(&(resource.resource_type.clone(), resource.name.clone()))
        {
            label.push_str(&format!(", every instance (its {reason})"));
        } else if let Some(reason) = &self.instance.unknown_repeat {
            label.push_str(&format!(", every instance ({reason})"));
        }
        node.label = Some(label);
        self.found.add_node(node);
        self.replicas(resource, kind, &id);
        id
    }

    /// The location of a store, with the span of what decides it and, when unknown, why.
    fn locate(&self, resource: &Resource<'_>, kind: &StoreType, depth: usize) -> LocatedAt {
        let body = &resource.block.body;
        let file = resource.file;
        // An argument that evaluates to `null` is not set, as in Terraform: the resource falls
        // back to its provider's region or the type's default.
        let own = |argument: &str| {
            body.get_attribute(argument)
                .filter(|a| !matches!(self.eval(&a.value), Ok(Value::Null)))
        };
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
            Placement::Via(argument) => match own(argument) {
                Some(attribute) => self.locate_via(file, attribute, depth),
                None => unknown(
                    header_span(file, resource.block),
                    format!("`{argument}` is not set"),
                ),
            },
            Placement::SpannerConfig => match own("config") {
                Some(attribute) => self.spanner_location(file, attribute),
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

    /// A store placed where the resource its argument (`attribute`) references is.
    fn locate_via(&self, file: &SourceFile, attribute: &Attribute, depth: usize) -> LocatedAt {
        let span = span_of(file, attribute);
        match self.referenced_resource(&attribute.value) {
            Some((parent, false)) if depth < MAX_VIA_DEPTH => match self.store_type_of(&parent) {
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
            },
            _ => unknown(
                span,
                format!(
                    "`{}` does not name a resource in this module",
                    describe(&attribute.value)
                ),
            ),
        }
    }

    /// A Spanner instance's region, from its `config` (`regional-europe-west1`, or a path
    /// ending in it).
    fn spanner_location(&self, file: &SourceFile, attribute: &Attribute) -> LocatedAt {
        let span = span_of(file, attribute);
        match self.eval(&attribute.value) {
            Ok(value) => match value.as_text() {
                Some(config) => {
                    let config = config.rsplit('/').next().unwrap_or_default().to_lowercase();
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
        let value = self.eval(expr)?;
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
            .and_then(|a| provider_key(&a.value, self.instance, &self.bindings))
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
                Ok(Value::Null) => unknown(
                    span,
                    format!(
                        "the `region` of provider `{key}` is null; it comes from the environment when Terraform runs"
                    ),
                ),
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
            match self.eval(&attribute.value) {
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
        for (index, geo) in self
            .nested(&resource.block.body, "geo_location")
            .into_iter()
            .enumerate()
        {
            let eval = |expr: &Expression| eval_with(expr, self.instance, &geo.bindings);
            let priority = geo
                .body
                .get_attribute("failover_priority")
                .and_then(|a| eval(&a.value).ok())
                .and_then(|v| v.as_text())
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or(i64::MAX);
            match geo.body.get_attribute("location") {
                Some(attribute) => locations.push((
                    priority,
                    index,
                    (
                        eval(&attribute.value)
                            .and_then(|value| {
                                value.as_text().ok_or_else(|| {
                                    format!("`{}` is not a string", describe(&attribute.value))
                                })
                            })
                            .map(|text| normalise_region("azure", &text)),
                        span_of(resource.file, attribute),
                    ),
                )),
                None => locations.push((
                    priority,
                    index,
                    (
                        Err("`geo_location` has no `location`".into()),
                        span_of(resource.file, geo.block),
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
                for replica in self.nested(body, "replica") {
                    let region = self.with_bindings(replica.bindings, |this| {
                        match replica.body.get_attribute("region_name") {
                            Some(attribute) => (
                                this.region_text(&attribute.value, "aws"),
                                span_of(resource.file, attribute),
                            ),
                            None => (
                                Err("`replica` has no `region_name`".into()),
                                span_of(resource.file, replica.block),
                            ),
                        }
                    });
                    replicas.push(region);
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
                    let geo = self
                        .eval(&attribute.value)
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
            // A legacy global table lists its own region among its replicas. A replica whose
            // region is unknown is kept even when the table's own region is unknown too.
            if region.is_ok() && region.as_ref().ok() == own_region.as_ref() {
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

    /// Copies that a resource instance configures between stores.
    fn copies(&mut self, resource: &Resource<'_>, id: String) {
        let body = &resource.block.body;
        let file = resource.file;
        let this = NodeRef {
            id,
            span: header_span(file, resource.block),
        };
        match resource.resource_type.as_str() {
            "aws_s3_bucket_replication_configuration" => self.s3_replication(file, body),
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
                    .and_then(|a| self.eval(&a.value).ok())
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
            "aws_backup_plan" => self.backup_copies(file, body),
            _ => {}
        }
    }

    /// An `aws_s3_bucket_replication_configuration`: a copy from its bucket to each rule's
    /// destination bucket.
    fn s3_replication(&mut self, file: &SourceFile, body: &Body) {
        let Some(source) = body
            .get_attribute("bucket")
            .and_then(|a| self.endpoint(file, a, "aws_s3_bucket"))
        else {
            return;
        };
        for rule in self.nested(body, "rule") {
            self.with_bindings(rule.bindings, |this| {
                for destination in this.nested(rule.body, "destination") {
                    this.with_bindings(destination.bindings, |this| {
                        this.copy_to(
                            file,
                            &source,
                            destination.body.get_attribute("bucket"),
                            "aws_s3_bucket",
                        );
                    });
                }
            });
        }
    }

    /// An `aws_backup_plan`: each rule's `copy_action` copies from its target vault to another.
    fn backup_copies(&mut self, file: &SourceFile, body: &Body) {
        for rule in self.nested(body, "rule") {
            self.with_bindings(rule.bindings, |this| {
                let Some(source) = rule
                    .body
                    .get_attribute("target_vault_name")
                    .and_then(|a| this.endpoint(file, a, "aws_backup_vault"))
                else {
                    return;
                };
                for copy in this.nested(rule.body, "copy_action") {
                    this.with_bindings(copy.bindings, |this| {
                        this.copy_to(
                            file,
                            &source,
                            copy.body.get_attribute("destination_vault_arn"),
                            "aws_backup_vault",
                        );
                    });
                }
            });
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
        let span = span_of(file, attribute);
        let target = match self.endpoint(file, attribute, expected) {
            Some(target) => target,
            None => match self.unknown_destination(source, attribute, expected, span) {
                Some(target) => target,
                None => return,
            },
        };
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

    /// A copy to a destination that cannot be evaluated (an input known only when Terraform runs,
    /// a `dynamic` block over an unknown collection) is a copy to a store of unknown location,
    /// with the reason, rather than no copy at all. A destination that names a resource of this
    /// module that is no store, or is switched off, is no copy.
    fn unknown_destination(
        &mut self,
        source: &Endpoint,
        attribute: &Attribute,
        expected: &str,
        span: Option<Span>,
    ) -> Option<Endpoint> {
        if self.reference(&attribute.value).is_some() {
            return None;
        }
        let reason = self.eval(&attribute.value).err()?;
        let kind = self.store_type(expected)?;
        let id = format!("{}@copy:{}", source.id, describe(&attribute.value));
        let mut node = NodeFact::new(id.clone(), Origin::Terraform);
        node.kind = Some(NodeKind::Store);
        node.provider = Some(kind.provider.to_string());
        node.span = span;
        node.label = Some(format!("{}, copy of `{}`", kind.description, source.id));
        node.location = Some(unknown(span, reason));
        self.found.add_node(node);
        Some(Endpoint { id, span })
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
        if let Some((resource, data, index)) = self.reference(&attribute.value) {
            let kind = self.store_type_of(&resource)?;
            let id = if data {
                let id = self.id(&resource, true);
                self.with_bindings(Bindings::default(), |this| this.store(&resource, kind, id))
            } else {
                self.instance_id(&resource, index)?
            };
            return Some(Endpoint { id, span });
        }
        let text = self.eval(&attribute.value).ok()?.as_text()?;
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
        let kind = self.store_type(expected)?;
        if !self.names.contains_key(expected) {
            let mut names = BTreeMap::new();
            for resource in self
                .instance
                .module
                .resources
                .iter()
                .filter(|r| r.resource_type == expected)
            {
                for (id, bindings) in self.instances_of(resource) {
                    let value = resource
                        .block
                        .body
                        .get_attribute(kind.name_argument)
                        .and_then(|a| eval_with(&a.value, self.instance, &bindings).ok())
                        .and_then(|v| v.as_text());
                    if let Some(value) = value {
                        names.entry(value).or_insert(id);
                    }
                }
            }
            self.names.insert(expected.to_string(), names);
        }
        self.names.get(expected)?.get(name).cloned()
    }

    /// The resource a reference expression names (`type.name.attr`, `data.type.name.attr`), and
    /// whether it is a data source. Also looks inside `"${...}"` and function arguments.
    fn referenced_resource(&self, expr: &Expression) -> Option<(Resource<'a>, bool)> {
        self.reference(expr)
            .map(|(resource, data, _)| (resource, data))
    }

    /// `referenced_resource`, with the index that picks one of a resource's instances
    /// (`aws_s3_bucket.logs[each.key].arn`), if any.
    fn reference<'e>(
        &self,
        expr: &'e Expression,
    ) -> Option<(Resource<'a>, bool, Option<&'e Expression>)> {
        let (root, attrs, index) = first_traversal(expr)?;
        let module = self.instance.module;
        if root == "data" {
            let (resource_type, name) = (attrs.first()?, attrs.get(1)?);
            return module
                .data_source(resource_type, name)
                .map(|r| (r.clone(), true, None));
        }
        let name = attrs.first()?;
        let index = index.filter(|_| attrs.len() == 1);
        module
            .resource(root, name)
            .map(|r| (r.clone(), false, index))
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
            for (id, bindings) in self.instances_of(resource) {
                // A global cluster resource is named by its address in the module tree, so that
                // members in different module instances (a module called once per region, the
                // cluster's id passed in as an input) are one group.
                let key = match self.referenced_resource(&attribute.value) {
                    Some((global, _)) => format!(
                        "{}{}.{}",
                        self.instance.address, global.resource_type, global.name
                    ),
                    None => match input_variable(&attribute.value)
                        .and_then(|name| self.instance.input_refs.get(name))
                    {
                        Some(address) => address.clone(),
                        None => match eval_with(&attribute.value, self.instance, &bindings)
                            .ok()
                            .and_then(|v| v.as_text())
                        {
                            Some(text) => text,
                            None => continue,
                        },
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
                if let Some(source) = key
                    .strip_prefix(&self.instance.address)
                    .and_then(|local| local.strip_prefix("aws_rds_global_cluster."))
                    .and_then(|name| module.resource("aws_rds_global_cluster", name))
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
                    id,
                    header_span(resource.file, resource.block),
                    span_of(resource.file, attribute),
                    primary,
                ));
            }
        }
        for (key, members) in groups {
            self.found
                .global_clusters
                .entry(key)
                .or_default()
                .extend(members);
        }
    }
}

impl Found {
    /// Aurora global databases over the whole module tree: member clusters copy from the primary
    /// cluster, or from each other when no single primary is known.
    pub(crate) fn link_global_clusters(&mut self) {
        let groups = std::mem::take(&mut self.global_clusters);
        for members in groups.values() {
            let primaries: Vec<_> = members.iter().filter(|m| m.3).collect();
            let sources: Vec<_> = if primaries.len() == 1 {
                primaries
            } else {
                members.iter().collect()
            };
            for source in &sources {
                for member in members.iter().filter(|m| m.0 != source.0) {
                    self.add_flow(
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

/// The variable an expression is, when it is exactly `var.name`.
fn input_variable(expr: &Expression) -> Option<&str> {
    match first_traversal(expr)? {
        ("var", attrs, None) if attrs.len() == 1 && matches!(expr, Expression::Traversal(_)) => {
            attrs.first().copied()
        }
        _ => None,
    }
}

fn unknown(span: Option<Span>, reason: String) -> LocatedAt {
    LocatedAt {
        location: Location::Unknown,
        span,
        unresolved_reason: Some(reason),
    }
}

/// The first traversal inside an expression: itself, inside `"${...}"`, or a function's argument;
/// its root, the attributes before any index, and the index that follows them.
fn first_traversal(expr: &Expression) -> Option<(&str, Vec<&str>, Option<&Expression>)> {
    match expr {
        Expression::Traversal(traversal) => {
            let Expression::Variable(root) = &traversal.expr else {
                return None;
            };
            let mut attrs = Vec::new();
            let mut index = None;
            for operator in &traversal.operators {
                match operator.value() {
                    TraversalOperator::GetAttr(ident) => attrs.push(ident.value().as_str()),
                    TraversalOperator::Index(key) => {
                        index = Some(key);
                        break;
                    }
                    _ => break,
                }
            }
            Some((root.value().as_str(), attrs, index))
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
