//! Calls of catalogued registry modules (`rules/modules.toml`): a module such as
//! `terraform-aws-modules/s3-bucket/aws` creates a store, so its call is that store, located from
//! the call's location input or, where the module documents it, from the caller's provider region
//! or the module's own default. Inputs that create copies in other regions (DynamoDB
//! `replica_regions`, Cloud SQL `read_replicas`) become replica stores with replication flows.

use super::eval::{Bindings, Eval, Value, describe, eval_with};
use super::module::{Instance, dotted};
use super::resources::{Found, header_span, span_of};
use crate::facts::{
    FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind, NodeRef, Origin,
};
use crate::rules::{ModuleReplica, RegistryModule, ReplicaValue, WhenUnset};
use crate::source::{SourceFile, Span};
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Block;

/// Replicas read from one input of one call: real calls list a handful of regions, and each
/// replica is a node, so a hostile list is cut here (and said so).
const MAX_REPLICAS_PER_INPUT: usize = 32;

/// A region as a module input writes it: AWS and Google ids are lower case, Azure also accepts
/// display names (`West Europe` is `westeurope`).
fn normalise(provider: &str, text: &str) -> String {
    let lower = text.trim().to_lowercase();
    if provider == "azure" {
        lower.replace(' ', "")
    } else {
        lower
    }
}

fn at_region(provider: &str, region: &str, span: Option<Span>) -> LocatedAt {
    LocatedAt {
        location: Location::Region {
            provider: provider.to_string(),
            region: region.to_string(),
        },
        span,
        unresolved_reason: None,
    }
}

fn unknown(span: Option<Span>, reason: String) -> LocatedAt {
    LocatedAt {
        location: Location::Unknown,
        span,
        unresolved_reason: Some(reason),
    }
}

/// The provider configuration name a module of this provider uses by default.
fn provider_key(provider: &str) -> Option<&'static str> {
    match provider {
        "aws" => Some("aws"),
        "gcp" => Some("google"),
        _ => None,
    }
}

/// The module instance a call is read in, with what the call's `count`/`for_each` binds
/// (`each.value`, `count.index`), so that `region = each.value` places each instance.
#[derive(Clone, Copy)]
pub(super) struct Scope<'s, 'a> {
    pub instance: &'s Instance<'a>,
    pub bindings: &'s Bindings,
}

impl<'a> std::ops::Deref for Scope<'_, 'a> {
    type Target = Instance<'a>;

    fn deref(&self) -> &Instance<'a> {
        self.instance
    }
}

/// Evaluates an expression of the call in its scope.
fn eval(expr: &Expression, scope: Scope<'_, '_>) -> Eval {
    eval_with(expr, scope.instance, scope.bindings)
}

/// Adds the store (and its replicas) that a call of a catalogued module creates.
pub(super) fn add_module_store(
    found: &mut Found,
    instance: Scope<'_, '_>,
    (name, suffix): (&str, &str),
    call: &Block,
    file: &SourceFile,
    module: &RegistryModule,
    source: &str,
) {
    let id = format!("{}module.{name}{suffix}", instance.address);
    let header = header_span(file, call);
    let mut node = NodeFact::new(id.clone(), Origin::Terraform);
    node.kind = Some(NodeKind::Store);
    node.provider = Some(module.provider.clone());
    node.span = header;
    // The source as the call writes it, without the version pin: what a reader searches for.
    let address = source.split('?').next().unwrap_or(source).trim();
    let store_name = module
        .name_input
        .as_deref()
        .and_then(|input| call.body.get_attribute(input))
        .and_then(|a| eval(&a.value, instance).ok())
        .and_then(|v| v.as_text())
        .filter(|text| !text.trim().is_empty());
    node.label = Some(match store_name {
        Some(store_name) => format!("{} `{store_name}` (module `{address}`)", module.description),
        None => format!("{} (module `{address}`)", module.description),
    });
    let located = locate(instance, name, call, file, module, header);
    let primary_region = match &located.location {
        Location::Region { region, .. } => Some(region.clone()),
        _ => None,
    };
    node.location = Some(located);
    found.nodes.entry(id.clone()).or_insert(node);

    let source = NodeRef {
        id: id.clone(),
        span: header,
    };
    for replica in &module.replicas {
        for (index, (region, span)) in replicas(instance, call, file, module, replica, found)
            .into_iter()
            .enumerate()
        {
            // A copy in the primary's own region crosses no border; it is not a separate store.
            let region = match region {
                Ok(None) => continue,
                Ok(Some(region)) if primary_region.as_ref() == Some(&region) => continue,
                Ok(Some(region)) => Ok(region),
                Err(reason) => Err(reason),
            };
            let replica_id = match &region {
                Ok(region) => format!("{id}@{region}"),
                Err(_) => format!("{id}@{}-{}", replica.input, index + 1),
            };
            let mut copy = NodeFact::new(replica_id.clone(), Origin::Terraform);
            copy.kind = Some(NodeKind::Store);
            copy.provider = Some(module.provider.clone());
            copy.span = span;
            copy.label = Some(format!("replica of `{id}` (`{}`)", replica.input));
            copy.location = Some(match region {
                Ok(region) => at_region(&module.provider, &region, span),
                Err(reason) => unknown(span, reason),
            });
            found.nodes.entry(replica_id.clone()).or_insert(copy);
            let mut flow = FlowFact::observed(
                source.clone(),
                FlowTarget::Node(NodeRef {
                    id: replica_id,
                    span,
                }),
                span,
                Origin::Terraform,
            );
            flow.purpose = Some("replication".into());
            found.flows.push(flow);
        }
    }
}

/// Where the module's primary store is: its location input, else what the module documents.
fn locate(
    instance: Scope<'_, '_>,
    name: &str,
    call: &Block,
    file: &SourceFile,
    module: &RegistryModule,
    header: Option<Span>,
) -> LocatedAt {
    let input = module.location_input.as_deref().unwrap_or("region");
    if let Some(attribute) = module
        .location_input
        .as_deref()
        .and_then(|input| call.body.get_attribute(input))
    {
        let span = span_of(file, attribute);
        match eval(&attribute.value, instance) {
            // `region = null` leaves the input unset, as Terraform does.
            Ok(Value::Null) => {}
            Ok(value) => {
                return match value.as_text() {
                    Some(text) if !text.trim().is_empty() => {
                        at_region(&module.provider, &normalise(&module.provider, &text), span)
                    }
                    _ => unknown(
                        span,
                        format!(
                            "the `{input}` input of `module.{name}` (`{}`) is not a region name",
                            describe(&attribute.value)
                        ),
                    ),
                };
            }
            Err(reason) => return unknown(span, reason),
        }
    }
    match module.when_unset {
        WhenUnset::Default => match &module.default {
            Some(default) => at_region(
                &module.provider,
                &normalise(&module.provider, default),
                header,
            ),
            None => unknown(
                header,
                format!("`module.{name}` sets no `{input}` and the module's default is not known"),
            ),
        },
        WhenUnset::Required => unknown(
            header,
            format!("`module.{name}` sets no `{input}`, which the module requires"),
        ),
        WhenUnset::ProviderRegion => provider_region(instance, name, call, file, module, header),
    }
}

/// The region of the provider configuration the module inherits (or is passed with `providers`).
fn provider_region(
    instance: Scope<'_, '_>,
    name: &str,
    call: &Block,
    file: &SourceFile,
    module: &RegistryModule,
    header: Option<Span>,
) -> LocatedAt {
    let unset = match &module.location_input {
        Some(input) => format!("`module.{name}` sets no `{input}`"),
        None => format!("`module.{name}` has no location input"),
    };
    let Some(default_key) = provider_key(&module.provider) else {
        return unknown(
            header,
            format!(
                "{unset}, and `{}` providers configure no default region",
                module.provider
            ),
        );
    };
    // `providers = { aws = aws.replica }` hands the module another configuration.
    let mut key = default_key.to_string();
    let mut span = header;
    if let Some(attribute) = call.body.get_attribute("providers")
        && let Expression::Object(map) = &attribute.value
    {
        for (object_key, value) in map.iter() {
            let inner = match object_key {
                ObjectKey::Ident(ident) => Some(ident.value().as_str().to_string()),
                ObjectKey::Expression(expr) => dotted(expr),
            };
            if inner.as_deref() == Some(default_key)
                && let Some(target) = dotted(value.expr())
            {
                key = target;
                span = span_of(file, attribute);
            }
        }
    }
    match instance.providers.get(&key) {
        Some(config) => match &config.region {
            Ok(value) => match value.as_text() {
                Some(text) if !text.trim().is_empty() => {
                    at_region(&module.provider, &normalise(&module.provider, &text), span)
                }
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
                "{unset}, so the module uses the region of provider `{key}`, and no `provider \"{default_key}\"` block configures it"
            ),
        ),
    }
}

/// A replica's region (`None`: in the primary's region) or why it is unknown, with the span of the
/// input that lists it.
type ReplicaAt = (Result<Option<String>, String>, Option<Span>);

/// What one element of a replica input holds where the region is: `Ok(None)` when the element has
/// no such field.
type Element = Result<Option<Value>, String>;

/// The object key `key` of an object literal, if it is written there.
fn literal_field<'e>(object: &'e hcl_edit::expr::Object, key: &str) -> Option<&'e Expression> {
    object.iter().find_map(|(object_key, value)| {
        let name = match object_key {
            ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
            ObjectKey::Expression(Expression::String(text)) => text.value().to_string(),
            ObjectKey::Expression(_) => return None,
        };
        (name == key).then(|| value.expr())
    })
}

/// How many elements a replica input has, and the first [`MAX_REPLICAS_PER_INPUT`] of them. A list
/// or map written literally is read element by element, and only the region field of each: a
/// replica whose other fields reference values a static scan cannot know (a project id, a key) is
/// still placed.
fn elements(
    instance: Scope<'_, '_>,
    expr: &Expression,
    field: Option<&str>,
) -> Result<(usize, Vec<Element>), String> {
    let one = |item: &Expression| -> Element {
        match (field, item) {
            (Some(field), Expression::Object(object)) => match literal_field(object, field) {
                Some(value) => eval(value, instance).map(Some),
                None => Ok(None),
            },
            _ => eval(item, instance).and_then(|value| pick(value, field)),
        }
    };
    let first = MAX_REPLICAS_PER_INPUT;
    match expr {
        Expression::Array(items) => Ok((items.len(), items.iter().take(first).map(one).collect())),
        Expression::Object(items) => Ok((
            items.len(),
            items
                .iter()
                .take(first)
                .map(|(_, value)| one(value.expr()))
                .collect(),
        )),
        _ => match eval(expr, instance)? {
            Value::Null => Ok((0, Vec::new())),
            Value::List(items) => Ok((
                items.len(),
                items
                    .into_iter()
                    .take(first)
                    .map(|v| pick(v, field))
                    .collect(),
            )),
            Value::Map(items) => Ok((
                items.len(),
                items
                    .into_values()
                    .take(first)
                    .map(|v| pick(v, field))
                    .collect(),
            )),
            _ => Err(format!("`{}` is not a list of replicas", describe(expr))),
        },
    }
}

/// The region field of an evaluated element, or the element itself when there is no field.
fn pick(value: Value, field: Option<&str>) -> Element {
    match (field, value) {
        (None, value) => Ok(Some(value)),
        (Some(field), Value::Map(mut fields)) => Ok(fields.remove(field)),
        (Some(field), _) => Err(format!("a replica is not an object with `{field}`")),
    }
}

/// The regions one replica input lists: `Ok(None)` for an element in the primary's region.
fn replicas(
    instance: Scope<'_, '_>,
    call: &Block,
    file: &SourceFile,
    module: &RegistryModule,
    replica: &ModuleReplica,
    found: &mut Found,
) -> Vec<ReplicaAt> {
    let Some(attribute) = call.body.get_attribute(&replica.input) else {
        return Vec::new();
    };
    let span = span_of(file, attribute);
    let (count, elements) = match elements(instance, &attribute.value, replica.field.as_deref()) {
        Ok(read) => read,
        // An input that cannot be evaluated may still create replicas: one of unknown location.
        Err(reason) => return vec![(Err(reason), span)],
    };
    if count > MAX_REPLICAS_PER_INPUT {
        found.problems.push((
            span,
            format!(
                "terraform: `{}` lists {} replicas; only the first {MAX_REPLICAS_PER_INPUT} are read",
                replica.input, count
            ),
        ));
    }
    let field = replica.field.as_deref().unwrap_or("region");
    elements
        .into_iter()
        .map(|element| {
            let text = match element {
                Ok(None | Some(Value::Null)) if replica.same_region_when_unset => {
                    return (Ok(None), span);
                }
                Ok(None) => {
                    return (
                        Err(format!("a replica in `{}` has no `{field}`", replica.input)),
                        span,
                    );
                }
                Ok(Some(value)) => value.as_text(),
                Err(reason) => return (Err(reason), span),
            };
            let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
                return (
                    Err(format!("a replica in `{}` names no region", replica.input)),
                    span,
                );
            };
            let text = normalise(&module.provider, &text);
            let region = match replica.value {
                ReplicaValue::Region => text,
                // `us-central1-a` is in `us-central1`.
                ReplicaValue::Zone => match text.rsplit_once('-') {
                    Some((region, _)) if !region.is_empty() => region.to_string(),
                    _ => {
                        return (
                            Err(format!(
                                "`{text}` in `{}` is not a zone name",
                                replica.input
                            )),
                            span,
                        );
                    }
                },
            };
            (Ok(Some(region)), span)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::extract_files;
    use crate::facts::{Facts, Location, NodeFact, NodeKind};
    use crate::source::{FileId, SourceFile};
    use std::sync::Arc;

    fn scan(text: &str) -> Facts {
        let file = SourceFile::new(FileId(0), "main.tf".into(), Arc::from(text));
        let rules = crate::rules::RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        extract_files(&[&file], &rules)
    }

    fn node<'f>(facts: &'f Facts, id: &str) -> &'f NodeFact {
        facts
            .nodes
            .iter()
            .find(|n| n.id == id)
            .unwrap_or_else(|| panic!("no node {id}: {:#?}", facts.nodes))
    }

    fn location(facts: &Facts, id: &str) -> String {
        match node(facts, id).location.as_ref().map(|l| &l.location) {
            Some(Location::Region { provider, region }) => format!("{provider}:{region}"),
            Some(Location::Unknown) => format!(
                "unknown: {}",
                node(facts, id)
                    .location
                    .as_ref()
                    .and_then(|l| l.unresolved_reason.clone())
                    .unwrap_or_default()
            ),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn a_null_location_input_falls_back_like_an_unset_one() {
        let facts = scan(
            "provider \"aws\" {\n  region = \"eu-west-3\"\n}\n\nmodule \"b\" {\n  source = \"terraform-aws-modules/s3-bucket/aws\"\n  region = null\n}\n",
        );
        assert_eq!(node(&facts, "module.b").kind, Some(NodeKind::Store));
        assert_eq!(location(&facts, "module.b"), "aws:eu-west-3");
    }

    #[test]
    fn without_a_provider_block_the_module_region_is_unknown_with_the_reason() {
        let facts = scan("module \"b\" {\n  source = \"terraform-aws-modules/s3-bucket/aws\"\n}\n");
        let text = location(&facts, "module.b");
        assert!(
            text.starts_with("unknown:") && text.contains("no `provider \"aws\"` block"),
            "{text}"
        );
    }

    #[test]
    fn replica_inputs_are_bounded_and_unknown_elements_are_said_so() {
        let regions: Vec<String> = (0..40)
            .map(|i| format!("{{ region_name = \"xx-test-{i}\" }}"))
            .collect();
        let facts = scan(&format!(
            "module \"t\" {{\n  source = \"terraform-aws-modules/dynamodb-table/aws\"\n  region = \"eu-west-1\"\n  replica_regions = [{}]\n}}\n\nmodule \"u\" {{\n  source = \"terraform-aws-modules/dynamodb-table/aws\"\n  region = \"eu-west-1\"\n  replica_regions = var.replicas\n}}\n\nmodule \"v\" {{\n  source = \"terraform-aws-modules/dynamodb-table/aws\"\n  region = \"eu-west-1\"\n  replica_regions = [{{ name = \"no region\" }}, \"eu-west-1\"]\n}}\n",
            regions.join(", ")
        ));
        let replicas = facts
            .nodes
            .iter()
            .filter(|n| n.id.starts_with("module.t@"))
            .count();
        assert_eq!(replicas, 32);
        assert!(
            facts
                .diagnostics
                .iter()
                .any(|d| d.message.contains("only the first 32 are read")),
            "{:#?}",
            facts.diagnostics
        );
        // An input that cannot be evaluated may still create replicas: one of unknown location.
        assert!(location(&facts, "module.u@replica_regions-1").starts_with("unknown:"));
        assert!(location(&facts, "module.v@replica_regions-1").contains("has no `region_name`"));
        assert!(
            location(&facts, "module.v@replica_regions-2").contains("is not an object"),
            "{}",
            location(&facts, "module.v@replica_regions-2")
        );
    }

    #[test]
    /// Only the zone of each replica is evaluated: `var.key`, which has no value, does not hide it.
    fn zones_name_their_region_and_a_same_region_replica_is_no_store() {
        let facts = scan(
            "module \"pg\" {\n  source = \"terraform-google-modules/sql-db/google//modules/postgresql\"\n  name   = \"pg\"\n  region = \"europe-west1\"\n  read_replicas = [\n    { name = \"a\" },\n    { name = \"b\", zone = \"europe-west1-c\" },\n    { name = \"c\", zone = \"us-east4-a\", encryption_key_name = var.key },\n    { name = \"d\", zone = \"nozone\" },\n  ]\n}\n",
        );
        let ids: Vec<&str> = facts
            .nodes
            .iter()
            .map(|n| n.id.as_str())
            .filter(|id| id.starts_with("module.pg@"))
            .collect();
        assert_eq!(ids, ["module.pg@read_replicas-4", "module.pg@us-east4"]);
        assert!(location(&facts, "module.pg@read_replicas-4").contains("not a zone name"));
        assert_eq!(
            node(&facts, "module.pg").label.as_deref(),
            Some(
                "Cloud SQL for PostgreSQL instance `pg` (module `terraform-google-modules/sql-db/google//modules/postgresql`)"
            )
        );
        assert_eq!(
            facts
                .flows
                .iter()
                .filter(|f| f.purpose.as_deref() == Some("replication"))
                .count(),
            2
        );
    }
}
