//! Terraform: data stores (buckets, databases, queues) with their cloud regions, and the
//! cross-region copies between them (replication, replicas, backup copies).
//!
//! Files are grouped by directory, one Terraform module each. A directory that no other directory
//! calls as a local module is a root: its variables come from tfvars files and defaults. Local
//! module calls are followed with their inputs and providers; registry modules are opaque nodes.
//! A value that cannot be known without running Terraform makes the location `unknown`, with the
//! reason, and is never guessed. Traps such as region-keyed AMI maps, registry hostnames in
//! strings and comments produce nothing, because only store resources are read.

mod eval;
mod module;
mod resources;
#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests;

use super::{ExtractContext, Extractor};
use crate::model::facts::{Facts, FlowTarget, LocatedAt, Location, NodeFact, Origin};
use crate::source::SourceFile;
use camino::{Utf8Path, Utf8PathBuf};
use module::{Instance, Module, Parsed, local_source};
use resources::{Found, Reader, header_span};
use std::collections::{BTreeMap, BTreeSet};

/// Local modules calling local modules deeper than this are not followed (real trees are 2-3 deep).
const MAX_MODULE_DEPTH: usize = 8;

/// Reads `*.tf`, `*.tfvars` and `*.auto.tfvars`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Terraform;

impl Extractor for Terraform {
    fn name(&self) -> &'static str {
        "terraform"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        let name = path.file_name().unwrap_or_default();
        name.ends_with(".tf") || name.ends_with(".tfvars")
    }

    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        extract_files(files, &azure_pairs(ctx.rules))
    }
}

/// Azure region pairs from rule data: where geo-redundant storage keeps its second copy.
pub(crate) fn azure_pairs(rules: &crate::rules::RuleSet) -> BTreeMap<String, String> {
    rules
        .regions()
        .filter(|r| r.provider == "azure")
        .filter_map(|r| {
            r.paired
                .clone()
                .map(|paired| (r.id.to_ascii_lowercase(), paired))
        })
        .collect()
}

/// Everything the Terraform in `files` says. Regions are resolved by the model; only the Azure
/// region pairs (which region a geo-redundant copy goes to) come from rule data here.
pub(crate) fn extract_files(
    files: &[&SourceFile],
    azure_pairs: &BTreeMap<String, String>,
) -> Facts {
    let mut facts = Facts::default();
    let mut sorted: Vec<&SourceFile> = files.to_vec();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));

    let mut parsed: Vec<Parsed<'_>> = Vec::new();
    for file in sorted {
        match hcl_edit::parser::parse_body(&file.text) {
            Ok(body) => parsed.push(Parsed { file, body }),
            Err(error) => {
                let location = error.location();
                let line = u32::try_from(location.line()).unwrap_or(u32::MAX);
                let column = u32::try_from(location.column()).unwrap_or(u32::MAX);
                facts.input_error(
                    Some(file.span_at(line, column)),
                    None,
                    format!(
                        "terraform: {} (line {line}, column {column})",
                        error.message()
                    ),
                );
            }
        }
    }

    let mut by_dir: BTreeMap<Utf8PathBuf, Vec<&Parsed<'_>>> = BTreeMap::new();
    for file in &parsed {
        let dir = file
            .file
            .path
            .parent()
            .map(Utf8Path::to_path_buf)
            .unwrap_or_default();
        by_dir.entry(dir).or_default().push(file);
    }
    let modules: BTreeMap<Utf8PathBuf, Module<'_>> = by_dir
        .into_iter()
        .map(|(dir, files)| (dir.clone(), Module::new(dir, &files)))
        .collect();

    // A directory another directory calls is a module, not a root of its own.
    let mut called: BTreeSet<Utf8PathBuf> = BTreeSet::new();
    for module in modules.values() {
        for call in &module.calls {
            if let Some(target) = call_source(call.node)
                .and_then(|source| local_source(&module.dir, &source))
                .filter(|target| *target != module.dir)
            {
                called.insert(target);
            }
        }
    }

    let mut per_root: Vec<Found> = Vec::new();
    for (dir, module) in &modules {
        if called.contains(dir) || !module.has_configuration() {
            continue;
        }
        let instance = Instance::root(module);
        let mut found = Found {
            azure_pairs: azure_pairs.clone(),
            ..Found::default()
        };
        let mut stack = vec![dir.clone()];
        walk(&instance, &modules, &mut found, &mut stack);
        per_root.push(found);
    }

    // The same address in two roots (`envs/prod`, `envs/staging`) is two stores: qualify both by directory.
    let mut roots_of: BTreeMap<String, usize> = BTreeMap::new();
    for found in &per_root {
        for id in found.nodes.keys() {
            *roots_of.entry(id.clone()).or_default() += 1;
        }
    }
    let root_dirs: Vec<Utf8PathBuf> = modules
        .iter()
        .filter(|(dir, module)| !called.contains(*dir) && module.has_configuration())
        .map(|(dir, _)| dir.clone())
        .collect();
    let mut nodes: BTreeMap<String, NodeFact> = BTreeMap::new();
    let mut flows = Vec::new();
    for (found, dir) in per_root.into_iter().zip(root_dirs) {
        let rename = |id: &str| -> String {
            if roots_of.get(id).copied().unwrap_or(0) > 1 && !dir.as_str().is_empty() {
                format!("{dir}/{id}")
            } else {
                id.to_string()
            }
        };
        for (id, mut node) in found.nodes {
            node.id = rename(&id);
            nodes.entry(node.id.clone()).or_insert(node);
        }
        for mut flow in found.flows {
            if let Some(from) = flow.from.as_mut() {
                from.id = rename(&from.id);
            }
            if let FlowTarget::Node(to) = &mut flow.to {
                to.id = rename(&to.id);
            }
            flows.push(flow);
        }
        for (span, message) in found.problems {
            facts.input_error(span, None, message);
        }
    }
    flows.sort_by(|a, b| {
        let key = |f: &crate::model::facts::FlowFact| {
            let to = match &f.to {
                FlowTarget::Node(node) => node.id.clone(),
                FlowTarget::Host { host, .. } => host.clone(),
            };
            (f.span, f.from.as_ref().map(|n| n.id.clone()), to)
        };
        key(a).cmp(&key(b))
    });
    flows.dedup();
    facts.nodes.extend(nodes.into_values());
    facts.flows.extend(flows);
    facts
}

/// The literal `source` of a module call.
fn call_source(call: &hcl_edit::structure::Block) -> Option<String> {
    call.body
        .get_attribute("source")
        .and_then(|a| eval::eval_literal(&a.value).ok())
        .and_then(|v| v.as_text())
}

/// Reads one module instance, then follows its local module calls.
fn walk<'a>(
    instance: &Instance<'a>,
    modules: &'a BTreeMap<Utf8PathBuf, Module<'a>>,
    found: &mut Found,
    stack: &mut Vec<Utf8PathBuf>,
) {
    Reader { instance, found }.read();
    let module = instance.module;
    for call in &module.calls {
        let Some(name) = call.node.labels.first().map(|l| l.as_str().to_string()) else {
            continue;
        };
        let span = header_span(call.file, call.node);
        let Some(source) = call_source(call.node) else {
            found.problems.push((
                span,
                format!("terraform: `module.{name}` has no literal `source`"),
            ));
            continue;
        };
        match local_source(&module.dir, &source) {
            Some(target) => {
                let Some(child_module) = modules.get(&target) else {
                    found.problems.push((
                        span,
                        format!("terraform: `module.{name}`: no Terraform files at `{target}`"),
                    ));
                    continue;
                };
                if stack.contains(&target) || instance.depth >= MAX_MODULE_DEPTH {
                    found.problems.push((
                        span,
                        format!("terraform: `module.{name}` is not followed: modules call each other in a cycle or nest too deeply"),
                    ));
                    continue;
                }
                let child = Instance::child(instance, &name, call.node, child_module);
                stack.push(target);
                walk(&child, modules, found, stack);
                stack.pop();
            }
            None => found.add_opaque_module(instance, &name, call.node, call.file, &source),
        }
    }
}

impl Found {
    /// A registry or remote module: opaque, located only when its inputs name a region.
    fn add_opaque_module(
        &mut self,
        instance: &Instance<'_>,
        name: &str,
        call: &hcl_edit::structure::Block,
        file: &SourceFile,
        source: &str,
    ) {
        let id = format!("{}module.{name}", instance.address);
        let mut node = NodeFact::new(id.clone(), Origin::Terraform);
        node.span = header_span(file, call);
        node.label = Some(format!("module `{source}`"));
        let source_path = source
            .split("?ref=")
            .next()
            .unwrap_or(source)
            .trim_end_matches('/');
        let provider = match source_path.rsplit('/').next() {
            Some("aws") => Some("aws"),
            Some("google") => Some("gcp"),
            Some("azurerm") => Some("azure"),
            _ => None,
        };
        node.provider = provider.map(str::to_string);
        if let Some(provider) = provider {
            for argument in ["region", "location"] {
                let Some(attribute) = call.body.get_attribute(argument) else {
                    continue;
                };
                let span = resources::span_of(file, attribute);
                node.location = Some(
                    match eval::eval(&attribute.value, instance)
                        .ok()
                        .and_then(|v| v.as_text())
                    {
                        Some(region) if !region.trim().is_empty() => LocatedAt {
                            location: Location::Region {
                                provider: provider.to_string(),
                                region: region.trim().to_lowercase().replace(' ', ""),
                            },
                            span,
                            unresolved_reason: None,
                        },
                        _ => LocatedAt {
                            location: Location::Unknown,
                            span,
                            unresolved_reason: Some(format!(
                                "the `{argument}` input of `module.{name}` cannot be evaluated"
                            )),
                        },
                    },
                );
                break;
            }
        }
        self.nodes.entry(id).or_insert(node);
    }
}
