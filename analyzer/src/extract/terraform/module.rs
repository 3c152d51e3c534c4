//! Terraform modules: the files of one directory indexed by what they declare (variables, locals,
//! providers, resources, module calls, tfvars), and instances of a module with their inputs and
//! provider configurations.

use super::eval::{Budget, Eval, Memo, eval, eval_literal, key_of};
use crate::source::SourceFile;
use camino::{Utf8Path, Utf8PathBuf};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Attribute, Block, Body};
use std::collections::BTreeMap;
use std::rc::Rc;

/// One parsed file.
#[derive(Debug)]
pub(crate) struct Parsed<'a> {
    pub file: &'a SourceFile,
    pub body: Body,
}

/// Something declared in a file, with the file it is in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item<'a, T> {
    pub file: &'a SourceFile,
    pub node: &'a T,
}

/// A `resource` or `data` block.
#[derive(Debug, Clone)]
pub(crate) struct Resource<'a> {
    pub resource_type: String,
    pub name: String,
    pub block: &'a Block,
    pub file: &'a SourceFile,
}

/// The local or argument an expression is the value of: where an evaluation that exceeds a bound
/// is reported.
#[derive(Debug, Clone)]
pub(crate) struct Owner<'a> {
    pub file: &'a SourceFile,
    pub attribute: &'a Attribute,
    /// How a reader names it: `local.name`, `aws_s3_bucket.logs.bucket`, `module.storage.region`.
    pub name: String,
}

/// The files of one directory: a Terraform module.
#[derive(Debug, Default)]
pub(crate) struct Module<'a> {
    pub dir: Utf8PathBuf,
    pub variables: BTreeMap<String, Item<'a, Block>>,
    pub locals: BTreeMap<String, Item<'a, Attribute>>,
    pub providers: Vec<Item<'a, Block>>,
    pub resources: Vec<Resource<'a>>,
    pub data_sources: Vec<Resource<'a>>,
    pub calls: Vec<Item<'a, Block>>,
    /// `.tfvars` files with their file names, in Terraform's load order.
    pub tfvars: Vec<Item<'a, Body>>,
    /// `resources` and `data_sources` by (type, name): the first of each, as Terraform would
    /// refuse duplicates. References are looked up here, not by scanning every resource.
    pub resource_index: BTreeMap<(String, String), usize>,
    pub data_index: BTreeMap<(String, String), usize>,
    /// Owners of attribute values (locals, resource and provider arguments, module inputs), by
    /// the address of the value expression (see `eval::key_of`).
    pub owners: BTreeMap<usize, Owner<'a>>,
}

impl<'a> Module<'a> {
    /// Indexes the parsed files of one directory (`.tf` and `.tfvars`).
    pub(crate) fn new(dir: Utf8PathBuf, files: &[&'a Parsed<'a>]) -> Module<'a> {
        let mut module = Module {
            dir,
            ..Module::default()
        };
        for parsed in files {
            let name = parsed.file.path.file_name().unwrap_or_default();
            if name.ends_with(".tfvars") {
                module.tfvars.push(Item {
                    file: parsed.file,
                    node: &parsed.body,
                });
                continue;
            }
            for block in parsed.body.blocks() {
                let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                let item = Item {
                    file: parsed.file,
                    node: block,
                };
                match (block.ident.value().as_str(), labels.as_slice()) {
                    ("variable", [name]) => {
                        module.variables.entry((*name).to_string()).or_insert(item);
                    }
                    ("locals", []) => {
                        for attribute in block.body.attributes() {
                            module.own(
                                parsed.file,
                                attribute,
                                format!("local.{}", attribute.key.value().as_str()),
                            );
                            module
                                .locals
                                .entry(attribute.key.value().as_str().to_string())
                                .or_insert(Item {
                                    file: parsed.file,
                                    node: attribute,
                                });
                        }
                    }
                    ("provider", [name]) => {
                        module.own_body(parsed.file, &block.body, &format!("provider.{name}"));
                        module.providers.push(item);
                    }
                    ("resource", [resource_type, name]) => {
                        module.own_body(
                            parsed.file,
                            &block.body,
                            &format!("{resource_type}.{name}"),
                        );
                        module.resources.push(Resource {
                            resource_type: (*resource_type).to_string(),
                            name: (*name).to_string(),
                            block,
                            file: parsed.file,
                        });
                    }
                    ("data", [resource_type, name]) => {
                        module.own_body(
                            parsed.file,
                            &block.body,
                            &format!("data.{resource_type}.{name}"),
                        );
                        module.data_sources.push(Resource {
                            resource_type: (*resource_type).to_string(),
                            name: (*name).to_string(),
                            block,
                            file: parsed.file,
                        });
                    }
                    ("module", [name]) => {
                        module.own_body(parsed.file, &block.body, &format!("module.{name}"));
                        module.calls.push(item);
                    }
                    _ => {}
                }
            }
        }
        for (index, resource) in module.resources.iter().enumerate() {
            module
                .resource_index
                .entry((resource.resource_type.clone(), resource.name.clone()))
                .or_insert(index);
        }
        for (index, resource) in module.data_sources.iter().enumerate() {
            module
                .data_index
                .entry((resource.resource_type.clone(), resource.name.clone()))
                .or_insert(index);
        }
        module
            .tfvars
            .sort_by_key(|item| tfvars_order(item.file.path.file_name().unwrap_or_default()));
        module
    }

    fn own(&mut self, file: &'a SourceFile, attribute: &'a Attribute, name: String) {
        self.owners.insert(
            key_of(&attribute.value),
            Owner {
                file,
                attribute,
                name,
            },
        );
    }

    /// Records the owners of the arguments of a block and of its nested blocks
    /// (`aws_s3_bucket.logs.bucket`, `aws_s3_bucket.logs.rule.destination.bucket`).
    fn own_body(&mut self, file: &'a SourceFile, body: &'a Body, prefix: &str) {
        for attribute in body.attributes() {
            self.own(
                file,
                attribute,
                format!("{prefix}.{}", attribute.key.value().as_str()),
            );
        }
        for block in body.blocks() {
            let prefix = format!("{prefix}.{}", block.ident.value().as_str());
            self.own_body(file, &block.body, &prefix);
        }
    }

    /// How much reading one instance of the module costs, for the bound on module trees: its
    /// resources, data sources and module calls, at least one.
    pub(crate) fn size(&self) -> usize {
        (self.resources.len() + self.data_sources.len() + self.calls.len()).max(1)
    }

    pub(crate) fn resource(&self, resource_type: &str, name: &str) -> Option<&Resource<'a>> {
        self.resource_index
            .get(&(resource_type.to_string(), name.to_string()))
            .and_then(|index| self.resources.get(*index))
    }

    pub(crate) fn data_source(&self, resource_type: &str, name: &str) -> Option<&Resource<'a>> {
        self.data_index
            .get(&(resource_type.to_string(), name.to_string()))
            .and_then(|index| self.data_sources.get(*index))
    }

    /// Whether the directory declares anything Terraform would load (not only tfvars).
    pub(crate) fn has_configuration(&self) -> bool {
        !(self.variables.is_empty()
            && self.locals.is_empty()
            && self.providers.is_empty()
            && self.resources.is_empty()
            && self.data_sources.is_empty()
            && self.calls.is_empty())
    }
}

/// `terraform.tfvars` first, then `*.auto.tfvars` by name, then files passed with `-var-file`.
fn tfvars_order(name: &str) -> (u8, String) {
    let rank = if name == "terraform.tfvars" {
        0
    } else if name.ends_with(".auto.tfvars") {
        1
    } else {
        2
    };
    (rank, name.to_string())
}

/// A provider configuration as a resource sees it.
#[derive(Debug, Clone)]
pub(crate) struct ProviderConfig {
    /// The region it configures, or why it is not known.
    pub region: Eval,
    /// Where the region is set: the provider block's `region` (or its header when it sets none).
    pub span: Option<crate::source::Span>,
}

/// A module with its inputs: the root module, or a module call.
#[derive(Debug)]
pub(crate) struct Instance<'a> {
    pub module: &'a Module<'a>,
    /// The address prefix of everything in it: empty for the root, `module.storage.` for a call.
    pub address: String,
    /// The module call's name, `None` for the root.
    pub call: Option<String>,
    pub inputs: BTreeMap<String, Eval>,
    /// Provider configurations by key: `aws`, `aws.replica`, `google`.
    pub providers: BTreeMap<String, ProviderConfig>,
    pub depth: usize,
    /// The header of every module call from the root to this instance, outermost first: where a
    /// store inside it is shown to be reached from.
    pub via: Vec<crate::source::Span>,
    /// What this instance remembers of its evaluations (shared with identical instances).
    pub memo: Rc<Memo>,
    /// The evaluation budget of the whole module tree.
    pub budget: Rc<Budget>,
}

impl<'a> Instance<'a> {
    /// The root module: variables come from tfvars files and defaults.
    pub(crate) fn root(module: &'a Module<'a>, budget: Rc<Budget>) -> Instance<'a> {
        let mut auto: BTreeMap<String, Eval> = BTreeMap::new();
        let mut explicit: BTreeMap<String, Vec<(String, Eval)>> = BTreeMap::new();
        for item in &module.tfvars {
            let name = item.file.path.file_name().unwrap_or_default().to_string();
            let is_auto = name == "terraform.tfvars" || name.ends_with(".auto.tfvars");
            for attribute in item.node.attributes() {
                let key = attribute.key.value().as_str().to_string();
                let value = eval_literal(&attribute.value);
                if is_auto {
                    auto.insert(key, value);
                } else {
                    explicit.entry(key).or_default().push((name.clone(), value));
                }
            }
        }
        // Files passed with `-var-file` override the automatic ones; when several disagree, the
        // value depends on the command line, which a static scan cannot see.
        for (key, values) in explicit {
            let first = values.first().map(|(_, v)| v.clone());
            let agree = values.iter().all(|(_, v)| Some(v) == first.as_ref());
            let value = match first {
                Some(value) if agree => value,
                _ => Err(format!(
                    "`var.{key}` is set differently in {}; which applies depends on the `-var-file` used",
                    values
                        .iter()
                        .map(|(file, _)| format!("`{file}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            auto.insert(key, value);
        }
        let mut instance = Instance {
            module,
            address: String::new(),
            call: None,
            inputs: auto,
            providers: BTreeMap::new(),
            depth: 0,
            via: Vec::new(),
            memo: Rc::default(),
            budget,
        };
        instance.providers = own_providers(&instance);
        instance
    }

    /// A module call from `parent` to `module`.
    pub(crate) fn child(
        parent: &Instance<'a>,
        call_name: &str,
        call: &Block,
        module: &'a Module<'a>,
    ) -> Instance<'a> {
        const META: [&str; 6] = [
            "source",
            "version",
            "providers",
            "count",
            "for_each",
            "depends_on",
        ];
        let inputs = call
            .body
            .attributes()
            .filter(|a| !META.contains(&a.key.value().as_str()))
            .map(|a| (a.key.value().as_str().to_string(), eval(&a.value, parent)))
            .collect();
        // Default (unaliased) provider configurations are inherited; `providers = { ... }` maps others.
        let mut providers: BTreeMap<String, ProviderConfig> = parent
            .providers
            .iter()
            .filter(|(key, _)| !key.contains('.'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(Expression::Object(map)) =
            call.body.get_attribute("providers").map(|a| &a.value)
        {
            for (key, value) in map.iter() {
                let key = match key {
                    ObjectKey::Ident(ident) => Some(ident.value().as_str().to_string()),
                    ObjectKey::Expression(expr) => dotted(expr),
                };
                let (Some(key), Some(target)) = (key, dotted(value.expr())) else {
                    continue;
                };
                let config =
                    parent
                        .providers
                        .get(&target)
                        .cloned()
                        .unwrap_or_else(|| ProviderConfig {
                            region: Err(format!(
                                "`module.{call_name}` passes `{target}`, which is not configured"
                            )),
                            span: None,
                        });
                providers.insert(key, config);
            }
        }
        let mut instance = Instance {
            module,
            address: format!("{}module.{call_name}.", parent.address),
            call: Some(call_name.to_string()),
            inputs,
            providers,
            depth: parent.depth + 1,
            // The call is found among the parent's by identity: it is one of them.
            via: parent
                .via
                .iter()
                .copied()
                .chain(
                    parent
                        .module
                        .calls
                        .iter()
                        .find(|item| std::ptr::eq(item.node, call))
                        .and_then(|item| super::resources::header_span(item.file, item.node)),
                )
                .collect(),
            memo: Rc::default(),
            budget: Rc::clone(&parent.budget),
        };
        // A provider block inside the module (legacy style) configures its own resources.
        let own = own_providers(&instance);
        instance.providers.extend(own);
        instance
    }
}

/// Provider blocks of the instance's module, evaluated in it.
fn own_providers(instance: &Instance<'_>) -> BTreeMap<String, ProviderConfig> {
    let mut providers = BTreeMap::new();
    for item in &instance.module.providers {
        let Some(name) = item.node.labels.first().map(|l| l.as_str().to_string()) else {
            continue;
        };
        let alias = item
            .node
            .body
            .get_attribute("alias")
            .and_then(|a| eval(&a.value, instance).ok())
            .and_then(|v| v.as_text());
        let key = match &alias {
            Some(alias) => format!("{name}.{alias}"),
            None => name.clone(),
        };
        let span = match item.node.body.get_attribute("region") {
            Some(attribute) => super::resources::span_of(item.file, attribute),
            None => super::resources::header_span(item.file, item.node),
        };
        let region = match item.node.body.get_attribute("region") {
            Some(attribute) => eval(&attribute.value, instance),
            None => Err(format!(
                "provider `{key}` sets no `region`; it comes from the environment when Terraform runs"
            )),
        };
        providers
            .entry(key)
            .or_insert(ProviderConfig { region, span });
    }
    providers
}

/// `aws.replica` from a traversal, or from the legacy string form `"aws.replica"`.
pub(crate) fn dotted(expr: &Expression) -> Option<String> {
    match expr {
        Expression::Variable(ident) => Some(ident.value().as_str().to_string()),
        Expression::String(text) => Some(text.value().trim().to_string()),
        Expression::Traversal(traversal) => {
            let mut parts = vec![dotted(&traversal.expr)?];
            for operator in &traversal.operators {
                match operator.value() {
                    TraversalOperator::GetAttr(ident) => {
                        parts.push(ident.value().as_str().to_string())
                    }
                    _ => return None,
                }
            }
            Some(parts.join("."))
        }
        _ => None,
    }
}

/// The directory a local module source points to, relative to the scanned root; `None` for
/// registry, git and other remote sources, and for paths that leave the root.
pub(crate) fn local_source(dir: &Utf8Path, source: &str) -> Option<Utf8PathBuf> {
    if !(source.starts_with("./") || source.starts_with("../")) {
        return None;
    }
    let mut parts: Vec<&str> = dir.as_str().split('/').filter(|p| !p.is_empty()).collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(Utf8PathBuf::from(parts.join("/")))
}
