//! Terraform modules: the files of one directory indexed by what they declare (variables, locals,
//! providers, resources, module calls, tfvars), and instances of a module with their inputs and
//! provider configurations.

use super::eval::{Bindings, Budget, Eval, Memo, eval, eval_literal, eval_with, key_of};
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

/// Variable values a root module is read with besides its own tfvars files (see `Instance::root`).
#[derive(Debug, Default)]
pub(crate) struct Given<'g> {
    /// Values set like `TF_VAR_name` environment variables: below every tfvars file.
    pub env: BTreeMap<String, Eval>,
    /// Files passed with `-var-file`, in command-line order: above the automatic files, the
    /// last one winning.
    pub var_files: Vec<&'g Body>,
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
    /// The `value` of each `output` block, by output name.
    pub outputs: BTreeMap<String, Item<'a, Attribute>>,
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
            if super::files::is_tfvars(name) {
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
                    ("output", [name]) => {
                        if let Some(value) = block.body.get_attribute("value") {
                            module.own(parsed.file, value, format!("output.{name}"));
                            module.outputs.entry((*name).to_string()).or_insert(Item {
                                file: parsed.file,
                                node: value,
                            });
                        }
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
        module.tfvars.sort_by_key(|item| {
            super::files::tfvars_order(item.file.path.file_name().unwrap_or_default())
        });
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
    /// Inputs that name a resource of the calling module (`aws_rds_global_cluster.this.id`), by
    /// input name: the resource's address in the module tree. A resource's id is only known after
    /// apply, but which resource it is, is known.
    pub input_refs: BTreeMap<String, String>,
    /// Provider configurations by key: `aws`, `aws.replica`, `google`.
    pub providers: BTreeMap<String, ProviderConfig>,
    pub depth: usize,
    /// The header of every module call from the root to this instance, outermost first: where a
    /// store inside it is shown to be reached from.
    pub via: Vec<crate::source::Span>,
    /// What this instance remembers of its evaluations (shared with identical instances).
    pub memo: Rc<Memo>,
    /// Why the instances of this module call (or of a call above it) cannot be counted: its
    /// stores stand for every instance, and their labels say so.
    pub unknown_repeat: Option<String>,
    /// The local modules of the tree, where `module.x.output` finds the module `x` calls.
    pub modules: Option<&'a BTreeMap<Utf8PathBuf, Module<'a>>>,
    /// The memos of the module calls whose outputs this instance has read, by call name and
    /// instance suffix: reading `module.x.out` again reuses what the call's instance evaluated.
    pub children: std::cell::RefCell<BTreeMap<String, Rc<Memo>>>,
    /// The evaluation budget of the whole module tree.
    pub budget: Rc<Budget>,
}

impl<'a> Instance<'a> {
    /// The root module: variables come from `given` values, tfvars files and defaults; `modules`
    /// are the local modules of its tree.
    pub(crate) fn root(
        module: &'a Module<'a>,
        modules: &'a BTreeMap<Utf8PathBuf, Module<'a>>,
        budget: Rc<Budget>,
        given: &Given<'_>,
    ) -> Instance<'a> {
        // Terraform's precedence, lowest first: environment (`TF_VAR_`), the automatic files, then
        // `-var-file`s in command-line order.
        let mut auto: BTreeMap<String, Eval> = given
            .env
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let mut explicit: BTreeMap<String, Vec<(String, Eval)>> = BTreeMap::new();
        for item in &module.tfvars {
            let name = item.file.path.file_name().unwrap_or_default().to_string();
            let is_auto = super::files::is_auto_tfvars(&name);
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
        for body in &given.var_files {
            for attribute in body.attributes() {
                auto.insert(
                    attribute.key.value().as_str().to_string(),
                    eval_literal(&attribute.value),
                );
            }
        }
        let mut instance = Instance {
            module,
            address: String::new(),
            call: None,
            inputs: auto,
            input_refs: BTreeMap::new(),
            providers: BTreeMap::new(),
            depth: 0,
            via: Vec::new(),
            memo: Rc::default(),
            unknown_repeat: None,
            modules: Some(modules),
            children: Default::default(),
            budget,
        };
        instance.providers = own_providers(&instance);
        instance
    }

    /// A module call from `parent` to `module`: the instance `suffix` (`[0]`, `["eu"]`, empty
    /// for a call without `count` or `for_each`), whose inputs are evaluated with what it binds.
    pub(crate) fn child(
        parent: &Instance<'a>,
        call_name: &str,
        instance: (&str, &Bindings),
        call: &Block,
        module: &'a Module<'a>,
    ) -> Instance<'a> {
        Instance::child_reading(parent, call_name, instance, call, module, false)
    }

    /// `child`, for reading one of its outputs from `parent` (`module.x.out`). Inputs that read
    /// other modules' outputs are left unknown: Terraform orders values one by one, so two calls
    /// may read each other's outputs without a cycle, but evaluating every input of an instance to
    /// read one output would see one.
    pub(crate) fn child_for_output(
        parent: &Instance<'a>,
        call_name: &str,
        instance: (&str, &Bindings),
        call: &Block,
        module: &'a Module<'a>,
    ) -> Instance<'a> {
        Instance::child_reading(parent, call_name, instance, call, module, true)
    }

    fn child_reading(
        parent: &Instance<'a>,
        call_name: &str,
        instance: (&str, &Bindings),
        call: &Block,
        module: &'a Module<'a>,
        for_output: bool,
    ) -> Instance<'a> {
        let (suffix, bindings) = instance;
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
            .map(|a| {
                let name = a.key.value().as_str().to_string();
                if for_output && reads_module_output(&a.value) {
                    let reason = format!("`var.{name}` of `module.{call_name}` reads another module's output, which is not followed while reading this module's outputs");
                    return (name, Err(reason));
                }
                (name, eval_with(&a.value, parent, bindings))
            })
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
                let (Some(key), Some(target)) = (key, provider_key(value.expr(), parent, bindings))
                else {
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
        let input_refs = call
            .body
            .attributes()
            .filter(|a| !META.contains(&a.key.value().as_str()))
            .filter_map(|a| {
                resource_address(&a.value, parent)
                    .map(|address| (a.key.value().as_str().to_string(), address))
            })
            .collect();
        let mut instance = Instance {
            module,
            address: format!("{}module.{call_name}{suffix}.", parent.address),
            call: Some(call_name.to_string()),
            inputs,
            input_refs,
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
            unknown_repeat: bindings
                .unknown
                .get("each")
                .or_else(|| bindings.unknown.get("count"))
                .map(|reason| format!("`module.{call_name}`'s {reason}"))
                .or_else(|| parent.unknown_repeat.clone()),
            modules: parent.modules,
            children: Default::default(),
            budget: Rc::clone(&parent.budget),
        };
        // A provider block inside the module (legacy style) configures its own resources.
        let own = own_providers(&instance);
        instance.providers.extend(own);
        instance
    }
}

/// Whether an expression reads a module's output (`module.x.y` anywhere in it).
fn reads_module_output(expr: &Expression) -> bool {
    let text = expr.to_string();
    text.match_indices("module").any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
        !before.is_some_and(ident) && text[at + "module".len()..].trim_start().starts_with('.')
    })
}

/// The address in the module tree of the resource an input expression names: `type.name.attr` of
/// a resource of `parent`'s module, or `var.x` that `parent` itself received as such.
fn resource_address(expr: &Expression, parent: &Instance<'_>) -> Option<String> {
    let Expression::Traversal(traversal) = expr else {
        return None;
    };
    let Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    let first = match traversal.operators.first().map(|op| op.value()) {
        Some(TraversalOperator::GetAttr(ident)) => ident.value().as_str(),
        _ => return None,
    };
    match root.value().as_str() {
        "var" => parent.input_refs.get(first).cloned(),
        "local" | "data" | "module" | "each" | "count" | "self" | "path" | "terraform" => None,
        resource_type => parent
            .module
            .resource(resource_type, first)
            .map(|_| format!("{}{resource_type}.{first}", parent.address)),
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
        // OpenTofu 1.9 repeats a provider configuration with `for_each`: one configuration per
        // key, `aws.by_region["eu"]`; when the keys are unknown, one whose region is unknown.
        let repeated = match item.node.body.get_attribute("for_each") {
            None => vec![(String::new(), Bindings::default(), None)],
            Some(_) => match super::instances::repetition(
                item.node,
                instance,
                super::instances::MAX_REPEAT,
            ) {
                super::instances::Repeat::Each(list) => list
                    .into_iter()
                    .map(|(suffix, bindings)| (suffix, bindings, None))
                    .collect(),
                super::instances::Repeat::Unknown(bindings, reason) => {
                    vec![(String::new(), bindings, Some(reason))]
                }
                super::instances::Repeat::Once => Vec::new(),
            },
        };
        for (suffix, bindings, unknown) in repeated {
            let key = format!("{key}{suffix}");
            let span = match item.node.body.get_attribute("region") {
                Some(attribute) => super::resources::span_of(item.file, attribute),
                None => super::resources::header_span(item.file, item.node),
            };
            let region = match (unknown, item.node.body.get_attribute("region")) {
                (Some(reason), _) => Err(format!("provider `{key}`: {reason}")),
                (None, Some(attribute)) => eval_with(&attribute.value, instance, &bindings),
                (None, None) => Err(format!(
                    "provider `{key}` sets no `region`; it comes from the environment when Terraform runs"
                )),
            };
            providers
                .entry(key)
                .or_insert(ProviderConfig { region, span });
        }
    }
    providers
}

/// The provider configuration an expression names: `aws.replica`, or one instance of a repeated
/// configuration, `aws.by_region[each.key]` (its key evaluated with `bindings`) as
/// `aws.by_region["eu"]`.
pub(crate) fn provider_key(
    expr: &Expression,
    instance: &Instance<'_>,
    bindings: &Bindings,
) -> Option<String> {
    if let Expression::Traversal(traversal) = expr
        && let Some((last, rest)) = traversal.operators.split_last()
        && let TraversalOperator::Index(index) = last.value()
    {
        let mut parts = vec![dotted(&traversal.expr)?];
        for operator in rest {
            match operator.value() {
                TraversalOperator::GetAttr(ident) => parts.push(ident.value().as_str().to_string()),
                _ => return None,
            }
        }
        let base = parts.join(".");
        // Keys that cannot be evaluated, or a repetition that could not be (one configuration
        // without an index, of unknown region): the configuration as a whole.
        let Some(key) = eval_with(index, instance, bindings)
            .ok()
            .and_then(|v| v.as_text())
        else {
            return Some(base);
        };
        let indexed = format!("{base}[\"{key}\"]");
        if !instance.providers.contains_key(&indexed) && instance.providers.contains_key(&base) {
            return Some(base);
        }
        return Some(indexed);
    }
    dotted(expr)
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
