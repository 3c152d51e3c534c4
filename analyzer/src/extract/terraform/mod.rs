//! Terraform: data stores (buckets, databases, queues) with their cloud regions, and the
//! cross-region copies between them (replication, replicas, backup copies).
//!
//! Files are grouped by directory, one Terraform module each: native and JSON syntax (see
//! `json`), `.tofu` files in place of `.tf` files of the same name, override files merged into
//! the blocks they override (see `files`). A directory that no other directory
//! calls as a local module is a root: its variables come from tfvars files and defaults. Local
//! module calls are followed with their inputs and providers. A registry module that
//! `rules/modules.toml` catalogues is the store it creates (see `registry`); other registry modules
//! are opaque nodes. Which resource types are stores is rule data too (`rules/stores.toml`).
//! A value that cannot be known without running Terraform makes the location `unknown`, with the
//! reason, and is never guessed. Traps such as region-keyed AMI maps, registry hostnames in
//! strings and comments produce nothing, because only store resources are read.

mod duplicate_keys;
mod eval;
mod files;
#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod instance_tests;
mod instances;
mod json;
mod module;
mod multiline;
pub(crate) mod plan;
mod registry;
mod resources;
mod terragrunt;
#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests;
#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests_files;
#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests_variants;
mod variants;

use super::{ExtractContext, Extractor};
use crate::facts::{Facts, FlowTarget, LocatedAt, Location, NodeFact, Origin};
use crate::rule::Rule;
use crate::source::SourceFile;
use crate::source::Span;
use camino::{Utf8Path, Utf8PathBuf};
use module::{Instance, Module, Parsed, local_source};
use rayon::prelude::*;
use resources::{Found, Reader, header_span};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Local modules calling local modules deeper than this are not followed (real trees are 2-3 deep).
const MAX_MODULE_DEPTH: usize = 8;

/// Module instances one root module may have, itself included. A module calling another several
/// times, which calls another several times, multiplies: a few kilobytes of hostile calls would
/// otherwise be millions of instances.
const MAX_MODULE_INSTANCES: usize = 1000;

/// Resources, data sources and module calls read over all the instances of one root module: a
/// large module called many times is bounded as well as many small ones.
const MAX_TREE_SIZE: usize = 20_000;

/// The same bound over the trees of all roots that call local modules: a thousand small roots
/// calling one large module would otherwise read it a thousand times.
const MAX_REPOSITORY_TREE_SIZE: usize = 50_000;

/// Bytes of Terraform parsed again for roots that call local modules (each root parses every
/// directory it reaches, so that syntax trees are dropped with the root).
const MAX_REPARSED_BYTES: usize = 64 << 20;

/// Reads Terraform and OpenTofu configuration (`*.tf`, `*.tofu`, `*.tf.json`, `*.tofu.json`)
/// and variable files (`*.tfvars`, `*.tfvars.json`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Terraform;

impl Extractor for Terraform {
    fn name(&self) -> &'static str {
        "terraform"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        let name = path.file_name().unwrap_or_default();
        files::is_config(name)
            || files::is_tfvars(name)
            || plan::claims(path)
            || terragrunt::is_terragrunt(name)
    }

    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        extract_variants(files, ctx.rules, ctx.terraform)
    }
}

/// What the Terraform extractor reads from rule data, prepared once per scan.
pub(crate) struct Catalogue<'r> {
    /// Registry modules that create stores (`rules/modules.toml`).
    pub rules: &'r crate::rules::RuleSet,
    /// Azure region -> the region its geo-redundant storage copies to.
    pub azure_pairs: BTreeMap<String, String>,
    /// Store resource types (`rules/stores.toml`).
    pub store_types: resources::StoreTypes<'r>,
}

impl<'r> Catalogue<'r> {
    pub(crate) fn new(rules: &'r crate::rules::RuleSet) -> Catalogue<'r> {
        Catalogue {
            rules,
            azure_pairs: azure_pairs(rules),
            store_types: resources::store_types(rules),
        }
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

/// Everything the Terraform in `files` says. Regions are resolved by the model; the store
/// resource types, the registry modules that create stores and the Azure region pairs (which region
/// a geo-redundant copy goes to) come from rule data here.
#[cfg(test)]
pub(crate) fn extract_files(files: &[&SourceFile], rules: &crate::rules::RuleSet) -> Facts {
    extract_variants(files, rules, &[])
}

/// [`extract_files`], with the roots and variable files a manifest names (`[[scan.terraform]]`)
/// in place of those found for those roots (see `variants`).
// long-fn: the passes over the directories share their maps; split, each step would take them all.
pub(crate) fn extract_variants(
    files: &[&SourceFile],
    rules: &crate::rules::RuleSet,
    explicit: &[crate::facts::TerraformVariants],
) -> Facts {
    let catalogue = Catalogue::new(rules);
    let catalogue = &catalogue;
    let mut facts = Facts::default();
    // Terragrunt's files are read by `terragrunt`, not as Terraform or plans.
    let (terragrunt_files, files) = terragrunt::split(files);
    let (plans, files) = plan::split(&files);
    let planned = plan::read_plans(&plans, &files, catalogue);
    let mut by_dir: BTreeMap<Utf8PathBuf, Vec<&SourceFile>> = BTreeMap::new();
    for file in &files {
        let dir = file
            .path
            .parent()
            .map(Utf8Path::to_path_buf)
            .unwrap_or_default();
        by_dir.entry(dir).or_default().push(*file);
    }
    for files in by_dir.values_mut() {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        *files = files::loaded(files);
    }

    // Directory by directory, in parallel: parse, note which local modules it calls, and read it
    // as a root right away when it calls none. Syntax trees are dropped with their directory, so
    // memory follows the largest module tree, not the whole repository.
    let first: Vec<(&Utf8PathBuf, FirstPass)> = by_dir
        .par_iter()
        .map(|(dir, files)| (dir, first_pass(dir, files, catalogue)))
        .collect();
    let mut calls: BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>> = BTreeMap::new();
    let mut shapes: BTreeMap<&Utf8PathBuf, Shape> = BTreeMap::new();
    let mut configured: BTreeSet<&Utf8PathBuf> = BTreeSet::new();
    let mut open_inputs: BTreeSet<&Utf8PathBuf> = BTreeSet::new();
    let mut providers: BTreeSet<&Utf8PathBuf> = BTreeSet::new();
    let mut read: BTreeMap<&Utf8PathBuf, Found> = BTreeMap::new();
    for (dir, pass) in first {
        if pass.open_inputs {
            open_inputs.insert(dir);
        }
        if pass.providers {
            providers.insert(dir);
        }
        for (span, message) in pass.errors {
            facts.input_error(Some(span), None, message);
        }
        if pass.configured {
            configured.insert(dir);
        }
        if let Some(found) = pass.found {
            read.insert(dir, found);
        }
        calls.insert(dir, pass.calls);
        shapes.insert(dir, pass.shape);
    }

    // A directory another directory calls is a module, not a root of its own.
    let called: BTreeSet<&Utf8PathBuf> = calls
        .values()
        .flatten()
        .filter_map(|target| by_dir.get_key_value(target).map(|(dir, _)| dir))
        .collect();
    let mut root_dirs: Vec<&Utf8PathBuf> = by_dir
        .keys()
        .filter(|dir| !called.contains(dir) && configured.contains(dir))
        // A root a plan stands for is read from the plan, whose values are resolved.
        .filter(|dir| !planned.roots.contains(*dir))
        .collect();
    // A directory the manifest names as a root is one, even when another directory calls it.
    for entry in explicit {
        if let Some((dir, _)) = by_dir.get_key_value(&entry.root)
            && configured.contains(dir)
            && !root_dirs.contains(&dir)
        {
            root_dirs.push(dir);
        }
    }
    root_dirs.sort();

    // Variable files that are not loaded automatically: each is a variant of its root.
    let (explicit_roots, not_roots): (Vec<_>, Vec<_>) = explicit
        .iter()
        .map(|entry| (entry.root.clone(), entry.var_files.clone()))
        .partition(|(root, _)| root_dirs.contains(&root));
    for (root, _) in not_roots {
        let shown = if root.as_str().is_empty() {
            "."
        } else {
            root.as_str()
        };
        facts.input_error(
            None,
            Some(shown.to_string()),
            format!("terraform: `[[scan.terraform]]` names `{shown}` as a root, but it holds no Terraform configuration that was scanned; its variable files are not read"),
        );
    }
    let assignment = variants::assign(
        &files,
        &root_dirs.iter().copied().collect(),
        &configured,
        &explicit_roots,
    );
    for message in &assignment.missing {
        facts.input_error(None, None, message.clone());
    }
    for (file, message) in &assignment.notes {
        facts.diagnostics.push(crate::facts::ExtractionDiagnostic {
            rule: Rule::UnresolvedReference,
            severity: crate::facts::Severity::Note,
            message: message.clone(),
            span: Some(file.line_span(1)),
            path: None,
        });
    }
    // A root with variants is read without its variable files that are not automatic, then once
    // with each: the files beside it are taken out of its directory for those readings.
    let mut variant_dirs = by_dir.clone();
    for root in assignment.roots.keys() {
        if let Some(files) = variant_dirs.get_mut(root) {
            files.retain(|file| {
                let name = file.path.file_name().unwrap_or_default();
                !files::is_tfvars(name) || files::is_auto_tfvars(name)
            });
        }
    }
    let count_of = |dir: &Utf8PathBuf| assignment.roots.get(dir).map_or(1, Vec::len);
    let unread: Vec<&Utf8PathBuf> = root_dirs
        .iter()
        .copied()
        .filter(|dir| !read.contains_key(*dir) || assignment.roots.contains_key(*dir))
        .collect();
    let within = within_budget(&unread, &shapes, &by_dir, &calls, &count_of, &mut facts);
    // Each root, or each (root, variant), read in parallel.
    let jobs: Vec<(&Utf8PathBuf, Option<usize>)> = within
        .iter()
        .flat_map(|dir| match assignment.roots.get(*dir) {
            Some(list) => (0..list.len()).map(|i| (*dir, Some(i))).collect::<Vec<_>>(),
            None => vec![(*dir, None)],
        })
        .collect();
    let mut done: Vec<((&Utf8PathBuf, Option<usize>), Found)> = jobs
        .par_iter()
        .map(|(dir, variant)| {
            let found = match variant.and_then(|i| assignment.roots.get(*dir)?.get(i)) {
                Some((_, var_file)) => {
                    let parsed = parse_all(&[*var_file], None);
                    let given = module::Given {
                        env: BTreeMap::new(),
                        var_files: parsed.iter().map(|p| &p.body).collect(),
                    };
                    read_root(dir, &variant_dirs, &calls, &given, catalogue)
                }
                None => {
                    let given = module::Given::default();
                    read_root(dir, &by_dir, &calls, &given, catalogue)
                }
            };
            ((*dir, *variant), found)
        })
        .collect();
    let mut per_root: Vec<Read> = Vec::new();
    for dir in &root_dirs {
        let Some(list) = assignment.roots.get(*dir) else {
            let position = done.iter().position(|((d, _), _)| d == dir);
            let found = read
                .remove(dir)
                .or_else(|| position.map(|at| done.swap_remove(at).1))
                .unwrap_or_default();
            per_root.push(Read::Once(found));
            continue;
        };
        let mut readings = Vec::new();
        let differing = differing_spans(list);
        for (i, (name, var_file)) in list.iter().enumerate() {
            let Some(at) = done
                .iter()
                .position(|((d, v), _)| d == dir && *v == Some(i))
            else {
                continue;
            };
            let variant = crate::facts::Variant {
                name: name.clone(),
                span: differing
                    .get(i)
                    .copied()
                    .flatten()
                    .unwrap_or_else(|| var_file.line_span(1)),
                source: "tfvars".to_string(),
            };
            readings.push((variant, done.swap_remove(at).1));
        }
        per_root.push(Read::Variants(readings));
    }

    // Terragrunt units: one variant each over the module directories they deploy, which are
    // then not read again as roots of their own (see `terragrunt`).
    let units = terragrunt::read_units(&terragrunt_files, &by_dir, &calls, catalogue);
    let (mut per_root, root_dirs) = units.without_used(per_root, root_dirs);

    // A reusable module no directory here calls (a repository that is a module, `modules/x/`
    // with no example): what its inputs place is placed by its callers, elsewhere. Its nodes
    // whose location is unknown are left out and counted in one note per module, rather than a
    // warning per store; what it places itself (a literal region) is read as usual. A root with
    // variable files is applied with them, not called.
    for (read, dir) in per_root.iter_mut().zip(&root_dirs) {
        if let Read::Once(found) = read
            && open_inputs.contains(dir)
            && !configures_provider(dir, &providers, &calls)
        {
            placed_by_callers(found, dir, &mut facts);
        }
    }
    join_roots(per_root, &root_dirs, &mut facts);
    units.merge_into(&mut facts);
    planned.merge_into(&mut facts);
    facts
}

/// For each variable file of one root, the first value it sets that another of them sets
/// differently or not at all: the line that makes its variant differ (none when there is no
/// such line, or its span is not known).
fn differing_spans(list: &[(String, &SourceFile)]) -> Vec<Option<Span>> {
    let parsed: Vec<Vec<Parsed<'_>>> = list
        .iter()
        .map(|(_, file)| parse_all(&[*file], None))
        .collect();
    let values: Vec<BTreeMap<&str, String>> = parsed
        .iter()
        .map(|files| {
            files
                .iter()
                .flat_map(|p| p.body.attributes())
                .map(|a| {
                    (
                        a.key.value().as_str(),
                        a.value.to_string().trim().to_string(),
                    )
                })
                .collect()
        })
        .collect();
    parsed
        .iter()
        .enumerate()
        .map(|(i, files)| {
            let parsed = files.first()?;
            parsed
                .body
                .attributes()
                .find(|attribute| {
                    let key = attribute.key.value().as_str();
                    let value = attribute.value.to_string();
                    values.iter().enumerate().any(|(j, other)| {
                        j != i && other.get(key).is_none_or(|v| *v != value.trim())
                    })
                })
                .and_then(|attribute| resources::span_of(parsed.file, attribute))
        })
        .collect()
}

/// What was read of one root: once, or once per variant.
enum Read {
    Once(Found),
    Variants(Vec<(crate::facts::Variant, Found)>),
}

/// The roots that call local modules (and those with variants) and are read again with every directory they reach,
/// within a bound for the whole repository: roots past it, in path order, are reported (once,
/// at the first root not read: one error per root would itself be unbounded) and not read.
fn within_budget<'d>(
    unread: &[&'d Utf8PathBuf],
    shapes: &BTreeMap<&Utf8PathBuf, Shape>,
    by_dir: &BTreeMap<Utf8PathBuf, Vec<&SourceFile>>,
    calls: &BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>>,
    readings: &dyn Fn(&Utf8PathBuf) -> usize,
    facts: &mut Facts,
) -> Vec<&'d Utf8PathBuf> {
    let mut spent_size = 0usize;
    let mut spent_bytes = 0usize;
    let mut within: Vec<&Utf8PathBuf> = Vec::new();
    let mut beyond: Vec<&Utf8PathBuf> = Vec::new();
    for dir in unread {
        let (size, bytes) = tree_cost(dir, shapes, by_dir, calls);
        // A root with variants is read once per variant.
        let times = readings(dir);
        let (size, bytes) = (size.saturating_mul(times), bytes.saturating_mul(times));
        if !beyond.is_empty()
            || spent_size.saturating_add(size) > MAX_REPOSITORY_TREE_SIZE
            || spent_bytes.saturating_add(bytes) > MAX_REPARSED_BYTES
        {
            beyond.push(dir);
            continue;
        }
        spent_size = spent_size.saturating_add(size);
        spent_bytes = spent_bytes.saturating_add(bytes);
        within.push(dir);
    }
    if let Some(first) = beyond.first() {
        let others = match beyond.len() - 1 {
            0 => String::new(),
            1 => ", nor was 1 root after it".to_string(),
            n => format!(", nor were {n} roots after it"),
        };
        facts.input_error(
            shapes.get(first).and_then(|shape| shape.first_call),
            Some(first.to_string()),
            format!("terraform: the module trees of the roots that call local modules exceed {MAX_REPOSITORY_TREE_SIZE} resources and module calls or {MAX_REPARSED_BYTES} bytes in total; the root `{first}` and the modules it calls were not evaluated{others}"),
        );
    }
    within
}

/// The facts of every root, joined. The same address in two roots (`envs/prod`,
/// `envs/staging`) is two stores: both are qualified by directory. A root read once per variant
/// gives the facts of its readings joined by `Facts::from_variants`.
fn join_roots(per_root: Vec<Read>, root_dirs: &[&Utf8PathBuf], facts: &mut Facts) {
    let mut roots_of: BTreeMap<String, usize> = BTreeMap::new();
    for read in &per_root {
        let ids: BTreeSet<&String> = match read {
            Read::Once(found) => found.nodes.keys().collect(),
            Read::Variants(list) => list.iter().flat_map(|(_, f)| f.nodes.keys()).collect(),
        };
        for id in ids {
            *roots_of.entry(id.clone()).or_default() += 1;
        }
    }
    let mut nodes: BTreeMap<(String, Vec<String>), NodeFact> = BTreeMap::new();
    let mut flows = Vec::new();
    for (read, dir) in per_root.into_iter().zip(root_dirs) {
        let dir = dir.as_path();
        let rename = |id: &str| -> String {
            if roots_of.get(id).copied().unwrap_or(0) > 1 && !dir.as_str().is_empty() {
                format!("{dir}/{id}")
            } else {
                id.to_string()
            }
        };
        let root_facts = match read {
            Read::Once(found) => root_facts(found, &rename),
            Read::Variants(list) => Facts::from_variants(
                list.into_iter()
                    .map(|(variant, found)| (variant, root_facts(found, &rename)))
                    .collect(),
            ),
        };
        for node in root_facts.nodes {
            nodes
                .entry((node.id.clone(), node.variants.clone()))
                .or_insert(node);
        }
        flows.extend(root_facts.flows);
        facts.diagnostics.extend(root_facts.diagnostics);
        facts.variants.extend(root_facts.variants);
    }
    flows.sort_by(|a, b| {
        let key = |f: &crate::facts::FlowFact| {
            let to = match &f.to {
                FlowTarget::Node(node) => node.id.clone(),
                FlowTarget::Host { host, .. } => host.clone(),
            };
            (
                f.span,
                f.from.as_ref().map(|n| n.id.clone()),
                to,
                f.variants.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    flows.dedup();
    facts.nodes.extend(nodes.into_values());
    facts.flows.extend(flows);
}

/// The facts one reading of a root gives, its ids renamed by `rename`.
fn root_facts(found: Found, rename: &dyn Fn(&str) -> String) -> Facts {
    let mut facts = Facts::default();
    for (id, mut node) in found.nodes {
        node.id = rename(&id);
        facts.nodes.push(node);
    }
    for mut flow in found.flows {
        if let Some(from) = flow.from.as_mut() {
            from.id = rename(&from.id);
        }
        if let FlowTarget::Node(to) = &mut flow.to {
            to.id = rename(&to.id);
        }
        facts.flows.push(flow);
    }
    for (span, message) in found.problems {
        facts.input_error(span, None, message);
    }
    for (span, message) in found.absent {
        facts.diagnostics.push(crate::facts::ExtractionDiagnostic {
            rule: Rule::UnresolvedReference,
            severity: crate::facts::Severity::Note,
            message,
            span,
            path: None,
        });
    }
    facts
}

/// Leaves out of `found` (a module that no root calls, read as a root) the nodes whose location
/// its caller would decide, and the flows between them, and notes them once for the module.
fn placed_by_callers(found: &mut Found, dir: &Utf8Path, facts: &mut Facts) {
    let unplaced: BTreeSet<String> = found
        .nodes
        .iter()
        // Only what the caller decides: a variable nothing sets here, or the provider configuration
        // the caller passes. A location unknown for another reason (a module input the module
        // requires, a function not evaluated) stays a finding of its own.
        .filter(|(_, node)| {
            node.location.as_ref().is_none_or(|l| {
                l.location == Location::Unknown
                    && l.unresolved_reason.as_deref().is_some_and(|reason| {
                        reason.contains("has no default and no tfvars value")
                            || reason.starts_with("no `provider ")
                    })
            })
        })
        .map(|(id, _)| id.clone())
        .collect();
    let stores: Vec<Option<Span>> = unplaced
        .iter()
        .filter_map(|id| found.nodes.get(id))
        .filter(|node| node.kind == Some(crate::facts::NodeKind::Store))
        .map(|node| node.span)
        .collect();
    if stores.is_empty() {
        return;
    }
    found.nodes.retain(|id, _| !unplaced.contains(id));
    found.flows.retain(|flow| {
        let from = flow.from.as_ref().is_some_and(|n| unplaced.contains(&n.id));
        let to = matches!(&flow.to, FlowTarget::Node(n) if unplaced.contains(&n.id));
        !from && !to
    });
    let shown = if dir.as_str().is_empty() {
        "."
    } else {
        dir.as_str()
    };
    let count = stores.len();
    let noun = if count == 1 { "store" } else { "stores" };
    facts.diagnostics.push(crate::facts::ExtractionDiagnostic {
        rule: Rule::UnknownLocation,
        severity: crate::facts::Severity::Note,
        message: format!(
            "`{shown}`: {count} {noun} located by the caller of this module: it configures no provider, its inputs have no value here, and no module in the scanned tree calls it"
        ),
        // The first store in file order, so the note has a line to point at.
        span: stores.iter().flatten().min().copied(),
        path: Some(shown.to_string()),
    });
}

/// What the first pass learns of one directory's module, for the cost of reading it in a tree.
#[derive(Debug, Default)]
struct Shape {
    /// `Module::size`.
    size: usize,
    /// The local directories its module calls point to, one per call, in order.
    calls: Vec<Utf8PathBuf>,
    /// The first call of a local module, where a root that is not read is reported.
    first_call: Option<Span>,
}

/// What reading root `dir` with its tree of local modules costs: the size `walk` reads, within the
/// same bounds, and the bytes of the directories parsed again.
fn tree_cost(
    dir: &Utf8PathBuf,
    shapes: &BTreeMap<&Utf8PathBuf, Shape>,
    by_dir: &BTreeMap<Utf8PathBuf, Vec<&SourceFile>>,
    calls: &BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>>,
) -> (usize, usize) {
    struct Walk<'s> {
        shapes: &'s BTreeMap<&'s Utf8PathBuf, Shape>,
        stack: Vec<&'s Utf8PathBuf>,
        instances: usize,
        size: usize,
    }
    fn visit<'s>(walk: &mut Walk<'s>, dir: &'s Utf8PathBuf, depth: usize) {
        let Some(shape) = walk.shapes.get(dir) else {
            return;
        };
        for target in &shape.calls {
            if walk.instances >= MAX_MODULE_INSTANCES {
                return;
            }
            let Some(child) = walk.shapes.get(target) else {
                continue;
            };
            if walk.stack.contains(&target) || depth >= MAX_MODULE_DEPTH {
                continue;
            }
            if walk.size.saturating_add(child.size) > MAX_TREE_SIZE {
                continue;
            }
            walk.instances += 1;
            walk.size = walk.size.saturating_add(child.size);
            walk.stack.push(target);
            visit(walk, target, depth + 1);
            walk.stack.pop();
        }
    }
    let mut walk = Walk {
        shapes,
        stack: vec![dir],
        instances: 1,
        size: shapes.get(dir).map_or(1, |shape| shape.size),
    };
    visit(&mut walk, dir, 0);

    let mut reached: BTreeSet<&Utf8PathBuf> = BTreeSet::new();
    let mut queue = vec![dir];
    while let Some(next) = queue.pop() {
        let Some((key, _)) = by_dir.get_key_value(next) else {
            continue;
        };
        if reached.insert(key) {
            queue.extend(calls.get(key).into_iter().flatten());
        }
    }
    let bytes = reached
        .iter()
        .filter_map(|dir| by_dir.get(*dir))
        .flatten()
        .map(|file| file.text.len())
        .fold(0usize, usize::saturating_add);
    (walk.size, bytes)
}

/// What the first pass learns of one directory.
struct FirstPass {
    /// Syntax errors, in file order.
    errors: Vec<(Span, String)>,
    /// The local directories its module calls point to (itself excluded).
    calls: BTreeSet<Utf8PathBuf>,
    /// Whether it declares anything Terraform would load (not only tfvars).
    configured: bool,
    /// Whether one of its variables has neither a default nor a tfvars value (see `open_inputs`).
    open_inputs: bool,
    /// Whether it has a `provider` block.
    providers: bool,
    /// The directory read as a root, when it calls no local module.
    found: Option<Found>,
    shape: Shape,
}

/// Parses the files of one directory (native or JSON syntax) and merges its override files
/// into the others. Syntax errors go to `errors` when given (the first pass reports them; later
/// passes over the same files do not).
fn parse_all<'a>(
    files: &[&'a SourceFile],
    errors: Option<&mut Vec<(Span, String)>>,
) -> Vec<Parsed<'a>> {
    let mut parsed = Vec::new();
    let mut errors = errors;
    for file in files {
        let name = file.path.file_name().unwrap_or_default();
        let body = match json::json_kind(name) {
            Some(kind) => json::parse_json(file, kind),
            None => duplicate_keys::parse_body(&file.text).map_err(|error| {
                let location = error.location();
                let line = u32::try_from(location.line()).unwrap_or(u32::MAX);
                let column = u32::try_from(location.column()).unwrap_or(u32::MAX);
                (
                    file.span_at(line, column),
                    format!(
                        "terraform: {} (line {line}, column {column})",
                        error.message()
                    ),
                )
            }),
        };
        match body {
            Ok(body) => parsed.push(Parsed { file, body }),
            Err(error) => {
                if let Some(errors) = errors.as_deref_mut() {
                    errors.push(error);
                }
            }
        }
    }
    files::merge_overrides(parsed, errors)
}

fn first_pass(dir: &Utf8PathBuf, files: &[&SourceFile], catalogue: &Catalogue<'_>) -> FirstPass {
    let mut errors = Vec::new();
    let parsed = parse_all(files, Some(&mut errors));
    let refs: Vec<&Parsed<'_>> = parsed.iter().collect();
    let module = Module::new(dir.clone(), &refs);
    let calls: BTreeSet<Utf8PathBuf> = module
        .calls
        .iter()
        .filter_map(|call| call_source(call.node))
        .filter_map(|source| local_source(dir, &source))
        .filter(|target| target != dir)
        .collect();
    let mut shape = Shape {
        size: module.size(),
        ..Shape::default()
    };
    for call in &module.calls {
        let Some(target) = call_source(call.node).and_then(|source| local_source(dir, &source))
        else {
            continue;
        };
        if shape.first_call.is_none() {
            shape.first_call = header_span(call.file, call.node);
        }
        shape.calls.push(target);
    }
    let configured = module.has_configuration();
    let open = open_inputs(&module);
    let has_providers = !module.providers.is_empty();
    let found = (calls.is_empty() && configured).then(|| {
        let modules = BTreeMap::from([(dir.clone(), module)]);
        read_modules(dir, &modules, &module::Given::default(), catalogue)
    });
    FirstPass {
        errors,
        calls,
        configured,
        open_inputs: open,
        providers: has_providers,
        found,
        shape,
    }
}

/// Whether applying the module alone would ask for a value: one of its variables has neither a
/// default (`null` is none) nor a value in its tfvars files. With no provider configuration in
/// its tree (see `configures_provider`), such a module is written to be called, not applied.
fn open_inputs(module: &Module<'_>) -> bool {
    module.variables.iter().any(|(name, declared)| {
        let no_default = declared
            .node
            .body
            .get_attribute("default")
            .is_none_or(|default| default.value.is_null());
        let set = module
            .tfvars
            .iter()
            .any(|item| item.node.get_attribute(name).is_some());
        no_default && !set
    })
}

/// Whether `dir` or a local module it reaches has a `provider` block: then it is a root whose
/// values come from the command line, not a module placed by callers.
fn configures_provider(
    dir: &Utf8PathBuf,
    providers: &BTreeSet<&Utf8PathBuf>,
    calls: &BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>>,
) -> bool {
    // Each directory is visited once: the walk is bounded by the number of directories.
    let mut seen: BTreeSet<&Utf8PathBuf> = BTreeSet::new();
    let mut queue = vec![dir];
    while let Some(next) = queue.pop() {
        let Some((key, targets)) = calls.get_key_value(next) else {
            continue;
        };
        if !seen.insert(key) {
            continue;
        }
        if providers.contains(key) {
            return true;
        }
        queue.extend(targets);
    }
    false
}

/// Variable values a root module is read with by [`read_root_with`], besides its own automatic
/// tfvars files (`terraform.tfvars`, `*.auto.tfvars`) and its variables' defaults.
#[derive(Debug, Default)]
// Called by the Terragrunt reader (`terragrunt.rs`), which is written beside this one.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct RootValues<'f> {
    /// Values set the way `TF_VAR_name` environment variables set them (how Terragrunt passes a
    /// unit's `inputs`): below every tfvars file in Terraform's precedence. Each is a literal
    /// expression, read as a tfvars value is; `Err(reason)` is a value that cannot be known
    /// statically (the reason is what a location that depends on it says).
    pub env: BTreeMap<String, Result<hcl_edit::expr::Expression, String>>,
    /// Files passed with `-var-file`, in command-line order: above the automatic files, the last
    /// one winning for a variable several set.
    pub var_files: Vec<&'f SourceFile>,
}

/// Reads the Terraform module in directory `root` as a root module under `values`, with every
/// local module it calls, from `files` (the Terraform extractor's files: those of `root` and of
/// the modules it reaches are read, other files are ignored; `.tfvars` files in `root` other than
/// the automatic ones are not read unless they are among `values.var_files`). The facts are those
/// of one root read alone: node ids are not qualified by directory (a caller that reads one module
/// under several sets of values makes them variants with `Facts::from_variants`, or qualifies
/// them). Syntax errors are not reported (the extractor reports each file's once); errors of
/// evaluation and bounds are, as input errors.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn read_root_with(
    files: &[&SourceFile],
    root: &Utf8Path,
    values: &RootValues<'_>,
    rules: &crate::rules::RuleSet,
) -> Facts {
    let catalogue = Catalogue::new(rules);
    let mut by_dir: BTreeMap<Utf8PathBuf, Vec<&SourceFile>> = BTreeMap::new();
    for file in files {
        let name = file.path.file_name().unwrap_or_default();
        if !(files::is_config(name) || files::is_tfvars(name)) {
            continue;
        }
        let dir = file
            .path
            .parent()
            .map(Utf8Path::to_path_buf)
            .unwrap_or_default();
        by_dir.entry(dir).or_default().push(*file);
    }
    for files in by_dir.values_mut() {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        *files = files::loaded(files);
    }
    let root = root.to_path_buf();
    if let Some(files) = by_dir.get_mut(&root) {
        files.retain(|file| {
            let name = file.path.file_name().unwrap_or_default();
            !files::is_tfvars(name) || files::is_auto_tfvars(name)
        });
    }
    // The local calls of every directory the root reaches, each directory parsed once here.
    let mut calls: BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>> = BTreeMap::new();
    let mut queue = vec![root.clone()];
    while let Some(next) = queue.pop() {
        let Some((key, files)) = by_dir.get_key_value(&next) else {
            continue;
        };
        if calls.contains_key(key) {
            continue;
        }
        let parsed = parse_all(files, None);
        let refs: Vec<&Parsed<'_>> = parsed.iter().collect();
        let module = Module::new(key.clone(), &refs);
        let targets: BTreeSet<Utf8PathBuf> = module
            .calls
            .iter()
            .filter_map(|call| call_source(call.node))
            .filter_map(|source| local_source(key, &source))
            .filter(|target| target != key)
            .collect();
        queue.extend(targets.iter().cloned());
        calls.insert(key, targets);
    }
    let env: BTreeMap<String, eval::Eval> = values
        .env
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Ok(expr) => eval::eval_literal(expr),
                Err(reason) => Err(reason.clone()),
            };
            (name.clone(), value)
        })
        .collect();
    let var_files = parse_all(&values.var_files, None);
    let given = module::Given {
        env,
        var_files: var_files.iter().map(|parsed| &parsed.body).collect(),
    };
    let found = read_root(&root, &by_dir, &calls, &given, &catalogue);
    let mut facts = Facts::default();
    join_roots(vec![Read::Once(found)], &[&root], &mut facts);
    facts
}

/// Reads root `dir` with every local module directory it reaches, under `given` values.
fn read_root(
    dir: &Utf8PathBuf,
    by_dir: &BTreeMap<Utf8PathBuf, Vec<&SourceFile>>,
    calls: &BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>>,
    given: &module::Given<'_>,
    catalogue: &Catalogue<'_>,
) -> Found {
    let parsed = parsed_from(dir, by_dir, calls);
    let refs: Vec<(&Utf8PathBuf, Vec<&Parsed<'_>>)> = parsed
        .iter()
        .map(|(dir, parsed)| (*dir, parsed.iter().collect()))
        .collect();
    let modules: BTreeMap<Utf8PathBuf, Module<'_>> = refs
        .iter()
        .map(|(dir, files)| ((*dir).clone(), Module::new((*dir).clone(), files)))
        .collect();
    read_modules(dir, &modules, given, catalogue)
}

/// The directories `dir` reaches through local module calls (itself included), each with its
/// parsed files.
pub(super) fn parsed_from<'d, 'f>(
    dir: &'d Utf8PathBuf,
    by_dir: &'d BTreeMap<Utf8PathBuf, Vec<&'f SourceFile>>,
    calls: &'d BTreeMap<&Utf8PathBuf, BTreeSet<Utf8PathBuf>>,
) -> Vec<(&'d Utf8PathBuf, Vec<Parsed<'f>>)> {
    let mut reached: BTreeSet<&Utf8PathBuf> = BTreeSet::new();
    let mut queue = vec![dir];
    while let Some(next) = queue.pop() {
        let Some((key, _)) = by_dir.get_key_value(next) else {
            continue;
        };
        if !reached.insert(key) {
            continue;
        }
        queue.extend(calls.get(key).into_iter().flatten());
    }
    reached
        .iter()
        .map(|dir| {
            (
                *dir,
                parse_all(by_dir.get(*dir).map_or(&[], Vec::as_slice), None),
            )
        })
        // A directory none of whose files parse is not a module (its errors are reported once).
        .filter(|(_, parsed)| !parsed.is_empty())
        .collect()
}

/// Reads the root module at `dir`, following its calls into `modules`.
fn read_modules(
    dir: &Utf8PathBuf,
    modules: &BTreeMap<Utf8PathBuf, Module<'_>>,
    given: &module::Given<'_>,
    catalogue: &Catalogue<'_>,
) -> Found {
    let mut found = Found {
        azure_pairs: catalogue.azure_pairs.clone(),
        ..Found::default()
    };
    if let Some(module) = modules.get(dir) {
        let instance = Instance::root(module, modules, Rc::new(eval::Budget::default()), given);
        let mut tree = Tree {
            stack: vec![dir.clone()],
            instances: 1,
            size: module.size(),
            reported: BTreeSet::new(),
            memos: BTreeMap::new(),
        };
        walk(&instance, modules, &mut found, &mut tree, catalogue);
    }
    found.link_global_clusters();
    found
}

/// The walk of one root module's tree of module instances.
struct Tree {
    /// The module directories from the root to the instance being read.
    stack: Vec<Utf8PathBuf>,
    /// Instances read so far, and the sum of their modules' sizes (see `Module::size`).
    instances: usize,
    size: usize,
    /// Input errors reported so far: an instance of a module that is called many times meets the
    /// same bounds at the same lines, and each is reported once.
    reported: BTreeSet<(Option<Span>, String)>,
    /// The memo of each distinct (module, call name when it matters, inputs) met so far (see
    /// `eval::Memo`).
    memos: BTreeMap<MemoKey, Rc<eval::Memo>>,
}

/// What evaluation in a module instance depends on.
type MemoKey = (Utf8PathBuf, Option<String>, BTreeMap<String, eval::Eval>);

impl Tree {
    fn report(&mut self, found: &mut Found, span: Option<Span>, message: String) {
        if self.reported.insert((span, message.clone())) {
            found.problems.push((span, message));
        }
    }
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
    tree: &mut Tree,
    catalogue: &Catalogue<'_>,
) {
    Reader::new(instance, found, &catalogue.store_types).read();
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
                    // The repository's root directory is the empty path: name it in words.
                    let place = if target.as_str().is_empty() {
                        "the root of the scanned directory".to_string()
                    } else {
                        format!("`{target}`")
                    };
                    found.absent.push((
                        span,
                        format!("terraform: `module.{name}`: `{source}` points to {place}, which holds no Terraform files that were scanned (a test harness or a deploy-time layout may put the module there); the module's stores are not read"),
                    ));
                    continue;
                };
                if tree.stack.contains(&target) || instance.depth >= MAX_MODULE_DEPTH {
                    found.problems.push((
                        span,
                        format!("terraform: `module.{name}` is not followed: modules call each other in a cycle or nest too deeply"),
                    ));
                    continue;
                }
                if tree.instances >= MAX_MODULE_INSTANCES
                    || tree.size.saturating_add(child_module.size()) > MAX_TREE_SIZE
                {
                    tree.report(
                        found,
                        span,
                        format!("terraform: the module tree exceeds {MAX_MODULE_INSTANCES} module instances or {MAX_TREE_SIZE} resources and module calls; `module.{name}` and the calls below it were not evaluated"),
                    );
                    continue;
                }
                for (suffix, bindings) in call_instances(instance, call.node, found) {
                    if tree.instances >= MAX_MODULE_INSTANCES
                        || tree.size.saturating_add(child_module.size()) > MAX_TREE_SIZE
                    {
                        tree.report(
                            found,
                            span,
                            format!("terraform: the module tree exceeds {MAX_MODULE_INSTANCES} module instances or {MAX_TREE_SIZE} resources and module calls; `module.{name}` and the calls below it were not evaluated"),
                        );
                        break;
                    }
                    tree.instances += 1;
                    tree.size = tree.size.saturating_add(child_module.size());
                    let mut child = Instance::child(
                        instance,
                        &name,
                        (&suffix, &bindings),
                        call.node,
                        child_module,
                    );
                    // The call's name appears only in the reason for a variable the call leaves unset.
                    let unset = child_module.variables.iter().any(|(variable, declared)| {
                        !child.inputs.contains_key(variable)
                            && declared
                                .node
                                .body
                                .get_attribute("default")
                                .is_none_or(|default| default.value.is_null())
                    });
                    let key = (
                        target.clone(),
                        unset.then(|| name.clone()),
                        child.inputs.clone(),
                    );
                    child.memo = Rc::clone(tree.memos.entry(key).or_default());
                    tree.stack.push(target.clone());
                    walk(&child, modules, found, tree, catalogue);
                    tree.stack.pop();
                }
            }
            None => {
                for (suffix, bindings) in call_instances(instance, call.node, found) {
                    found.add_opaque_module(
                        instance,
                        (&name, &suffix, &bindings),
                        call.node,
                        call.file,
                        &source,
                        catalogue,
                    );
                }
            }
        }
    }
    // Evaluations in this instance (its own, and its calls' inputs) that exceeded a bound.
    for (span, message) in instance.memo.take_problems() {
        tree.report(found, span, message);
    }
}

/// The instances of a module call (see `instances::repetition`): none when it is switched off
/// (`count = 0`), one without an index when its `count` or `for_each` is unknown.
fn call_instances(
    instance: &Instance<'_>,
    call: &hcl_edit::structure::Block,
    found: &Found,
) -> Vec<(String, eval::Bindings)> {
    let limit = instances::MAX_EXPANDED.saturating_sub(found.expanded.get());
    let list = match instances::repetition(call, instance, limit) {
        instances::Repeat::Once => vec![(String::new(), eval::Bindings::default())],
        instances::Repeat::Each(list) => list,
        instances::Repeat::Unknown(bindings, _) => vec![(String::new(), bindings)],
    };
    found
        .expanded
        .set(found.expanded.get().saturating_add(list.len()));
    list
}

impl Found {
    /// A registry or remote module: opaque, located only when its inputs name a region.
    fn add_opaque_module(
        &mut self,
        instance: &Instance<'_>,
        (name, suffix, bindings): (&str, &str, &eval::Bindings),
        call: &hcl_edit::structure::Block,
        file: &SourceFile,
        source: &str,
        catalogue: &Catalogue<'_>,
    ) {
        if let Some(module) = catalogue.rules.registry_module(source) {
            let scope = registry::Scope { instance, bindings };
            registry::add_module_store(self, scope, (name, suffix), call, file, module, source);
            return;
        }
        let id = format!("{}module.{name}{suffix}", instance.address);
        let mut node = NodeFact::new(id.clone(), Origin::Terraform);
        node.span = header_span(file, call);
        node.via = instance.via.clone();
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
                    match eval::eval_with(&attribute.value, instance, bindings)
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
