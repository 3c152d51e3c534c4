//! Terraform and OpenTofu plans in JSON: the output of `terraform show -json plan.out` (or
//! `tofu show -json`), the form every infrastructure scanner reads, because Terraform has resolved
//! in it what the `.tf` reader can only evaluate: variables from the environment, registry
//! modules, `count` and `for_each`, Terragrunt and CDKTF.
//!
//! A plan is found in the tree as a `*.json` file whose name contains `plan` (`plan.json`,
//! `tfplan.json`), or given with `--terraform-plan FILE` under any name. It is recognised by its
//! opening `format_version` key and a `planned_values` key; any other JSON is silently not a plan
//! (a given file that is not one is an input error). Stores in `planned_values` become nodes with
//! the same store types and node kinds as the `.tf` reader, named by their plan addresses
//! (`module.db.aws_db_instance.this[0]`), and the copies between them become flows.
//!
//! A plan belongs to the directory it sits in when that directory has `.tf` files; otherwise (a
//! plan given from outside the root, or kept in a `plans/` folder) to the one directory of the
//! scan whose `.tf` files declare exactly the resources and module calls the plan's root module
//! declares, else to the one directory that declares all of them; two candidates are no match.
//! That root's `.tf` files are then not read as a root of their own: the plan's resolved values
//! win, and no store is counted twice. Each node points at its `resource` block in that root or
//! in the local module the plan's `configuration` leads to, at the `module` block that calls a
//! registry module, or, when the plan belongs to no directory, at the resource's address in the
//! plan file.

use super::Catalogue;
use super::module::local_source;
use super::resources::{Placement, StoreType, normalise_region};
use crate::facts::{
    Facts, FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind, NodeRef, Origin,
};
use crate::source::{SourceFile, Span};
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// The largest plan given with `--terraform-plan` that is read (plans found in the tree are
/// bounded by the walk's own cap). A parsed plan takes several times its size in memory.
pub const MAX_PLAN_BYTES: u64 = 64 << 20;

/// How far into a file its `format_version` key is looked for: Terraform writes it first.
const SNIFF_BYTES: usize = 4096;

/// Resources read from one plan; the rest are reported once and not read.
const MAX_RESOURCES: usize = 100_000;

/// Nesting of child modules followed in `planned_values` and `configuration` (serde_json's own
/// recursion limit of 128 already bounds the parse).
const MAX_MODULE_DEPTH: usize = 32;

/// How many `"address"` keys of a plan file are indexed for spans.
const MAX_ADDRESSES: usize = 200_000;

/// How deep references between stores (database -> server) are followed.
const MAX_VIA_DEPTH: usize = 4;

/// Whether the Terraform extractor reads the file at `path` as a possible plan: a `*.json` file
/// whose name contains `plan`, or a file given with `--terraform-plan` (see [`is_given`]).
/// Other JSON (package.json, dashboards, data) is never read: holding every JSON file of a
/// repository while Terraform is resolved would cost memory and warnings for nothing.
pub(crate) fn claims(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_ascii_lowercase();
    // A given YAML file is a manifest given with `--rendered` (`extract::kubernetes`).
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    (name.ends_with(".json") && name.contains("plan")) || (is_given(path) && !yaml)
}

/// Whether `path` names a plan given with `--terraform-plan`: the scan names those `./PATH`
/// inside the root, and `../PATH` or an absolute path outside it, which no walked file is named.
pub(crate) fn is_given(path: &Utf8Path) -> bool {
    let text = path.as_str();
    text.starts_with("./") || text.starts_with("../") || path.is_absolute() || text.starts_with('/')
}

/// Whether a file is a plan: a JSON object whose first key is `format_version` and which has
/// `planned_values`. Cheap: a look at the head, then one substring search.
fn sniff(text: &str) -> bool {
    let head = text.as_bytes();
    let head = head.get(..SNIFF_BYTES).unwrap_or(head);
    let trimmed = head.trim_ascii_start();
    trimmed.first() == Some(&b'{')
        && memchr::memmem::find(head, b"\"format_version\"").is_some()
        && memchr::memmem::find(text.as_bytes(), b"\"planned_values\"").is_some()
}

/// Splits the Terraform extractor's files into possible plans and `.tf`/`.tfvars` files.
pub(super) fn split<'a>(files: &[&'a SourceFile]) -> (Vec<&'a SourceFile>, Vec<&'a SourceFile>) {
    files.iter().partition(|file| {
        let name = file.path.file_name().unwrap_or_default();
        !(super::files::is_config(name) || super::files::is_tfvars(name)) || is_given(&file.path)
    })
}

/// What the plans of a scan give.
#[derive(Debug, Default)]
pub(super) struct Planned {
    /// Root directories a plan stands for: their `.tf` files are not read as roots.
    pub roots: BTreeSet<Utf8PathBuf>,
    facts: Facts,
    /// Node id -> what qualifies it if a `.tf` node has the same id.
    qualifiers: BTreeMap<String, String>,
}

impl Planned {
    /// Adds the plans' facts to the `.tf` reader's. A plan node whose id a `.tf` node already has
    /// (a root with the same addresses that no plan covers) is qualified by the plan's root
    /// directory, or by the plan file when the plan belongs to the scan's root or to none.
    pub(super) fn merge_into(self, facts: &mut Facts) {
        let taken: BTreeSet<&str> = facts.nodes.iter().map(|n| n.id.as_str()).collect();
        let renamed: BTreeMap<String, String> = self
            .facts
            .nodes
            .iter()
            .filter(|node| taken.contains(node.id.as_str()))
            .filter_map(|node| {
                let qualifier = self.qualifiers.get(&node.id)?;
                Some((node.id.clone(), format!("{qualifier}/{}", node.id)))
            })
            .collect();
        let mut planned = self.facts;
        let rename = |id: &mut String| {
            if let Some(new) = renamed.get(id.as_str()) {
                *id = new.clone();
            }
        };
        for node in &mut planned.nodes {
            rename(&mut node.id);
        }
        for flow in &mut planned.flows {
            if let Some(from) = flow.from.as_mut() {
                rename(&mut from.id);
            }
            if let FlowTarget::Node(to) = &mut flow.to {
                rename(&mut to.id);
            }
        }
        facts.extend(planned);
    }
}

/// The `resource` and `module` block headers of one directory's `.tf` files.
#[derive(Debug, Default)]
struct Headers {
    resources: BTreeMap<(String, String), Span>,
    modules: BTreeMap<String, Span>,
}

/// Reads every plan among `plans` against the `.tf` files in `tf_files`.
pub(super) fn read_plans(
    plans: &[&SourceFile],
    tf_files: &[&SourceFile],
    catalogue: &Catalogue<'_>,
) -> Planned {
    let mut planned = Planned::default();
    if plans.is_empty() {
        return planned;
    }
    let dirs = headers_by_dir(tf_files);
    let mut taken: BTreeMap<Utf8PathBuf, String> = BTreeMap::new();
    let mut read: Vec<ReadPlan> = Vec::new();
    let mut plans = plans.to_vec();
    plans.sort_by_key(|file| !is_given(&file.path));
    for file in plans {
        let given = is_given(&file.path);
        if !sniff(&file.text) {
            if given {
                planned.facts.input_error(
                    None,
                    Some(file.path.to_string()),
                    format!("{}: given with --terraform-plan but not the JSON of `terraform show -json` (no `format_version` and `planned_values`)", file.path),
                );
            }
            continue;
        }
        let value: Value = match serde_json::from_str(&file.text) {
            Ok(value) => value,
            Err(error) => {
                let offset = byte_offset(&file.text, error.line(), error.column());
                planned.facts.input_error(
                    Some(file.span(offset..next_char(&file.text, offset))),
                    None,
                    format!("terraform plan: {error}"),
                );
                continue;
            }
        };
        let mut reader = PlanReader::new(file, &value, &dirs, catalogue);
        reader.read();
        for (span, message) in std::mem::take(&mut reader.problems) {
            planned
                .facts
                .input_error(span, Some(file.path.to_string()), message);
        }
        // One plan per root: a second one (an older `tfplan.json` beside `plan.json`) would count
        // every store twice. Given plans come first, then the tree's in path order.
        if let Some(root) = &reader.root {
            if let Some(first) = taken.get(root) {
                planned.facts.input_error(
                    None,
                    Some(file.path.to_string()),
                    format!(
                        "{}: a second plan of the Terraform root `{}`; only `{first}` is read",
                        file.path,
                        if root.as_str().is_empty() {
                            "."
                        } else {
                            root.as_str()
                        }
                    ),
                );
                continue;
            }
            taken.insert(root.clone(), file.path.to_string());
            planned.roots.insert(root.clone());
        }
        let qualifier = match &reader.root {
            Some(root) if !root.as_str().is_empty() => root.to_string(),
            _ => file.path.to_string(),
        };
        read.push((qualifier, reader.nodes, reader.flows));
    }
    join_plans(read, &mut planned);
    planned
}

/// Block headers of every directory with `.tf` files, found line by line: a plan only needs
/// where each block starts, and this costs one pass over text already in memory.
fn headers_by_dir(tf_files: &[&SourceFile]) -> BTreeMap<Utf8PathBuf, Headers> {
    let mut dirs: BTreeMap<Utf8PathBuf, Headers> = BTreeMap::new();
    for file in tf_files {
        if !file.path.as_str().ends_with(".tf") {
            continue;
        }
        let dir = file
            .path
            .parent()
            .map(Utf8Path::to_path_buf)
            .unwrap_or_default();
        scan_headers(file, dirs.entry(dir).or_default());
    }
    dirs
}

/// What one plan gave: the qualifier of its addresses, its nodes by id, and its flows.
type ReadPlan = (String, BTreeMap<String, NodeFact>, Vec<FlowFact>);

/// The nodes and flows of every plan read, joined into `planned`.
/// The same address in two plans (production and staging) is two stores: both are qualified,
/// as the `.tf` reader qualifies the same address in two roots.
fn join_plans(read: Vec<ReadPlan>, planned: &mut Planned) {
    let mut nodes: BTreeMap<String, NodeFact> = BTreeMap::new();
    let mut flows: Vec<FlowFact> = Vec::new();
    let mut plans_of: BTreeMap<String, usize> = BTreeMap::new();
    for (_, found, _) in &read {
        for id in found.keys() {
            *plans_of.entry(id.clone()).or_default() += 1;
        }
    }
    for (qualifier, found, found_flows) in read {
        let rename = |id: &str| -> String {
            if plans_of.get(id).copied().unwrap_or(0) > 1 {
                format!("{qualifier}/{id}")
            } else {
                id.to_string()
            }
        };
        for (id, mut node) in found {
            node.id = rename(&id);
            planned
                .qualifiers
                .entry(node.id.clone())
                .or_insert_with(|| qualifier.clone());
            nodes.entry(node.id.clone()).or_insert(node);
        }
        for mut flow in found_flows {
            if let Some(from) = flow.from.as_mut() {
                from.id = rename(&from.id);
            }
            if let FlowTarget::Node(to) = &mut flow.to {
                to.id = rename(&to.id);
            }
            flows.push(flow);
        }
    }
    flows.sort_by_key(flow_key);
    flows.dedup();
    planned.facts.nodes.extend(nodes.into_values());
    planned.facts.flows.extend(flows);
}

fn flow_key(flow: &FlowFact) -> (Option<Span>, Option<String>, String) {
    let to = match &flow.to {
        FlowTarget::Node(node) => node.id.clone(),
        FlowTarget::Host { host, .. } => host.clone(),
    };
    (flow.span, flow.from.as_ref().map(|n| n.id.clone()), to)
}

/// The byte offset of serde_json's 1-based line and byte column, on a character boundary.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = line_start
        .saturating_add(column.saturating_sub(1))
        .min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The end of the character at `offset` (or `offset` at the end of the text).
fn next_char(text: &str, offset: usize) -> usize {
    text.get(offset..)
        .and_then(|rest| rest.chars().next())
        .map_or(offset, |c| offset + c.len_utf8())
}

/// Records the `resource "TYPE" "NAME"` and `module "NAME"` headers of a `.tf` file, each with
/// the span from its keyword to its opening brace (or the end of its line).
fn scan_headers(file: &SourceFile, headers: &mut Headers) {
    let mut offset = 0usize;
    for line in file.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let (keyword, rest) = if let Some(rest) = trimmed.strip_prefix("resource") {
            ("resource", rest)
        } else if let Some(rest) = trimmed.strip_prefix("module") {
            ("module", rest)
        } else {
            continue;
        };
        if !rest.starts_with([' ', '\t', '"']) {
            continue;
        }
        let labels = block_labels(rest);
        let end = line
            .find('{')
            .map_or(line.trim_end().len(), |brace| brace + 1);
        let span = file.span(start + indent..start + end.max(indent));
        match (keyword, labels.as_slice()) {
            ("resource", [resource_type, name, ..]) => {
                headers
                    .resources
                    .entry((resource_type.clone(), name.clone()))
                    .or_insert(span);
            }
            ("module", [name, ..]) => {
                headers.modules.entry(name.clone()).or_insert(span);
            }
            _ => {}
        }
    }
}

/// The labels of a block header after its keyword: quoted strings or bare identifiers, up to `{`.
fn block_labels(rest: &str) -> Vec<String> {
    let mut labels = Vec::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        match c {
            '{' | '#' => break,
            '"' => {
                let body = &rest[index + 1..];
                let Some(close) = body.find('"') else { break };
                labels.push(body[..close].to_string());
                for _ in 0..=body[..close].chars().count() {
                    chars.next();
                }
            }
            c if c.is_alphanumeric() || c == '_' => {
                let body = &rest[index..];
                let len = body
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(body.len());
                labels.push(body[..len].to_string());
                for _ in 1..body[..len].chars().count() {
                    chars.next();
                }
            }
            _ => {}
        }
        if labels.len() >= 2 {
            break;
        }
    }
    labels
}

/// The string value of every `"address"` key in a plan file, with the range of its quoted value:
/// serde_json keeps no positions, and an address is what a node without a `.tf` block points at.
/// One pass; the first occurrence wins (Terraform writes `planned_values` first).
fn address_ranges(text: &str) -> BTreeMap<String, Range<usize>> {
    const KEY: &str = "\"address\"";
    let mut ranges = BTreeMap::new();
    let mut from = 0usize;
    let mut seen = 0usize;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find(KEY)) {
        seen += 1;
        if seen > MAX_ADDRESSES {
            break;
        }
        let after_key = from + found + KEY.len();
        from = after_key;
        let rest = &text[after_key..];
        let Some(after_colon) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let value = after_colon.trim_start();
        if !value.starts_with('"') {
            continue;
        }
        let value_start = text.len() - value.len();
        let mut escaped = false;
        let mut close = None;
        for (index, byte) in value.bytes().enumerate().skip(1) {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                close = Some(index);
                break;
            }
        }
        let Some(close) = close else { break };
        let end = value_start + close + 1;
        if let Ok(address) = serde_json::from_str::<String>(&text[value_start..end]) {
            ranges.entry(address).or_insert(value_start..end);
        }
        from = end;
    }
    ranges
}

/// The names of the module calls in a module address (`module.a["x"].module.b[0]` is `a`, `b`).
fn module_names(address: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let end = after.find(['.', '[']).unwrap_or(after.len());
        names.push(after[..end].to_string());
        rest = &after[end..];
        if rest.starts_with('[') {
            // Skip the index: a number or a quoted key, which may itself hold `]` or `.`.
            let mut in_string = false;
            let mut escaped = false;
            let mut close = rest.len();
            for (index, c) in rest.char_indices().skip(1) {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        in_string = false;
                    }
                } else if c == '"' {
                    in_string = true;
                } else if c == ']' {
                    close = index + 1;
                    break;
                }
            }
            rest = &rest[close.min(rest.len())..];
        }
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if names.len() > MAX_MODULE_DEPTH {
            break;
        }
    }
    names
}

/// One managed resource of `planned_values` that is a store.
#[derive(Clone)]
struct PlanResource<'v> {
    /// The full address, the node id.
    address: String,
    /// The module part of the address (`module.db`), empty in the root module.
    module: String,
    resource_type: String,
    name: String,
    values: &'v Value,
    kind: &'v StoreType<'v>,
}

/// Reads one plan.
struct PlanReader<'p> {
    file: &'p SourceFile,
    plan: &'p Value,
    dirs: &'p BTreeMap<Utf8PathBuf, Headers>,
    azure_pairs: &'p BTreeMap<String, String>,
    /// Store resource types (`rules/stores.toml`).
    store_types: &'p super::resources::StoreTypes<'p>,
    /// The directory the plan belongs to, if any.
    root: Option<Utf8PathBuf>,
    addresses: BTreeMap<String, Range<usize>>,
    /// Every managed resource in `planned_values` (stores or not): (module, type, name) -> addresses.
    index: BTreeMap<(String, String, String), Vec<String>>,
    stores: Vec<PlanResource<'p>>,
    /// Address -> index in `stores`, and (type, module, name argument) -> address: copies and
    /// references look stores up once each, not by a search over every store.
    by_address: BTreeMap<String, usize>,
    by_name: BTreeMap<(String, String, String), String>,
    /// (module call names, `TYPE.NAME`) -> the resource's entry in `configuration`.
    configs: BTreeMap<(Vec<String>, String), &'p Value>,
    nodes: BTreeMap<String, NodeFact>,
    flows: Vec<FlowFact>,
    problems: Vec<(Option<Span>, String)>,
}

impl<'p> PlanReader<'p> {
    fn new(
        file: &'p SourceFile,
        plan: &'p Value,
        dirs: &'p BTreeMap<Utf8PathBuf, Headers>,
        catalogue: &'p Catalogue<'p>,
    ) -> PlanReader<'p> {
        PlanReader {
            file,
            plan,
            dirs,
            azure_pairs: &catalogue.azure_pairs,
            store_types: &catalogue.store_types,
            root: None,
            addresses: address_ranges(&file.text),
            index: BTreeMap::new(),
            stores: Vec::new(),
            by_address: BTreeMap::new(),
            by_name: BTreeMap::new(),
            configs: BTreeMap::new(),
            nodes: BTreeMap::new(),
            flows: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn read(&mut self) {
        self.root = self.match_root();
        if let Some(root_module) = self.plan.pointer("/configuration/root_module") {
            self.index_configuration(root_module, &mut Vec::new());
        }
        let plan = self.plan;
        if let Some(root_module) = plan.pointer("/planned_values/root_module") {
            let mut count = 0usize;
            self.collect(root_module, 0, &mut count);
            if count > MAX_RESOURCES {
                self.problems.push((
                    None,
                    format!("terraform plan: more than {MAX_RESOURCES} resources; the rest were not read"),
                ));
            }
        }
        // A copy: locating a store may look up another (a database's server), and copies look
        // stores up by name, so `self.stores` stays whole while nodes are added.
        for (index, store) in self.stores.iter().enumerate() {
            self.by_address
                .entry(store.address.clone())
                .or_insert(index);
            if let Some(name) = text(store.values.get(store.kind.name_argument)) {
                self.by_name
                    .entry((store.resource_type.clone(), store.module.clone(), name))
                    .or_insert_with(|| store.address.clone());
            }
        }
        let stores = self.stores.clone();
        for store in &stores {
            self.store(store);
        }
        for store in &stores {
            self.replicas(store);
        }
        self.copies();
    }

    /// The directory this plan belongs to (see the module documentation).
    fn match_root(&self) -> Option<Utf8PathBuf> {
        let path = self.file.path.as_str();
        let inside = if let Some(relative) = path.strip_prefix("./") {
            Some(Utf8Path::new(relative))
        } else if is_given(&self.file.path) {
            None
        } else {
            Some(self.file.path.as_path())
        };
        if let Some(own) = inside.map(|p| p.parent().map(Utf8Path::to_path_buf).unwrap_or_default())
            && self.dirs.contains_key(&own)
        {
            return Some(own);
        }
        let root_module = self.plan.pointer("/configuration/root_module")?;
        let resources: BTreeSet<(String, String)> = root_module
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| r.get("mode").and_then(Value::as_str) == Some("managed"))
            .filter_map(|r| {
                Some((
                    r.get("type")?.as_str()?.to_string(),
                    r.get("name")?.as_str()?.to_string(),
                ))
            })
            .collect();
        let modules: BTreeSet<&String> = root_module
            .get("module_calls")
            .and_then(Value::as_object)
            .map(|calls| calls.keys().collect())
            .unwrap_or_default();
        if resources.is_empty() && modules.is_empty() {
            return None;
        }
        let matching: Vec<(&Utf8PathBuf, &Headers)> = self
            .dirs
            .iter()
            .filter(|(_, headers)| {
                resources
                    .iter()
                    .all(|key| headers.resources.contains_key(key))
                    && modules
                        .iter()
                        .all(|name| headers.modules.contains_key(*name))
            })
            .collect();
        // A directory that declares exactly what the plan does is preferred to one that declares
        // more (`examples/mysql` also has every module call of `examples/postgresql`).
        let exact: Vec<&Utf8PathBuf> = matching
            .iter()
            .filter(|(_, headers)| {
                headers.resources.len() == resources.len() && headers.modules.len() == modules.len()
            })
            .map(|(dir, _)| *dir)
            .collect();
        // Two directories that declare the same things (`envs/prod`, `envs/staging`): the plan
        // belongs to neither, rather than to a guess.
        match (exact.as_slice(), matching.as_slice()) {
            ([dir], _) | ([], [(dir, _)]) => Some((*dir).clone()),
            _ => None,
        }
    }

    /// Collects the resources of a module of `planned_values` and its child modules.
    fn collect(&mut self, module: &'p Value, depth: usize, count: &mut usize) {
        for resource in module
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            *count += 1;
            if *count > MAX_RESOURCES {
                return;
            }
            if resource.get("mode").and_then(Value::as_str) != Some("managed") {
                continue;
            }
            let (Some(address), Some(resource_type), Some(name)) = (
                resource.get("address").and_then(Value::as_str),
                resource.get("type").and_then(Value::as_str),
                resource.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let module_address = module
                .get("address")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            self.index
                .entry((
                    module_address.clone(),
                    resource_type.to_string(),
                    name.to_string(),
                ))
                .or_default()
                .push(address.to_string());
            let Some(kind) = store_kind(self.store_types, resource_type) else {
                continue;
            };
            static NULL: Value = Value::Null;
            self.stores.push(PlanResource {
                address: address.to_string(),
                module: module_address,
                resource_type: resource_type.to_string(),
                name: name.to_string(),
                values: resource.get("values").unwrap_or(&NULL),
                kind,
            });
        }
        if depth >= MAX_MODULE_DEPTH {
            return;
        }
        for child in module
            .get("child_modules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.collect(child, depth + 1, count);
        }
    }

    /// The `configuration` entry of a resource.
    fn config_resource(&self, store: &PlanResource<'_>) -> Option<&'p Value> {
        self.config_of(&store.module, &store.resource_type, &store.name)
    }

    /// The `configuration` entry of the managed resource `TYPE.NAME` in a module instance.
    fn config_of(&self, module: &str, resource_type: &str, name: &str) -> Option<&'p Value> {
        self.configs
            .get(&(module_names(module), format!("{resource_type}.{name}")))
            .copied()
    }

    /// Indexes the managed resources of `configuration` by module call path and address.
    fn index_configuration(&mut self, module: &'p Value, path: &mut Vec<String>) {
        for resource in array(module.get("resources")) {
            if self.configs.len() >= MAX_RESOURCES {
                return;
            }
            if resource.get("mode").and_then(Value::as_str) != Some("managed") {
                continue;
            }
            if let Some(address) = text(resource.get("address")) {
                self.configs
                    .entry((path.clone(), address))
                    .or_insert(resource);
            }
        }
        if path.len() >= MAX_MODULE_DEPTH {
            return;
        }
        let Some(calls) = module.get("module_calls").and_then(Value::as_object) else {
            return;
        };
        for (name, call) in calls {
            let Some(child) = call.get("module") else {
                continue;
            };
            path.push(name.clone());
            self.index_configuration(child, path);
            path.pop();
        }
    }

    /// Where a resource is written: its `resource` block in the root or the local module the
    /// configuration leads to, else the `module` block calling the first module that is not in
    /// the scan, else its address in the plan file.
    fn span_of(
        &self,
        module: &str,
        resource_type: &str,
        name: &str,
        address: &str,
    ) -> Option<Span> {
        let in_plan = self
            .addresses
            .get(address)
            .map(|range| self.file.span(range.clone()));
        let Some(root) = &self.root else {
            return in_plan;
        };
        let mut dir = root.clone();
        let mut config = self.plan.pointer("/configuration/root_module");
        let mut call_span = None;
        for call in module_names(module) {
            if let Some(span) = self.dirs.get(&dir).and_then(|h| h.modules.get(&call)) {
                call_span = Some(*span);
            }
            let entry = config
                .and_then(|c| c.get("module_calls"))
                .and_then(|c| c.get(&call));
            let source = entry.and_then(|e| e.get("source")).and_then(Value::as_str);
            match source.and_then(|source| local_source(&dir, source)) {
                Some(next) if self.dirs.contains_key(&next) => {
                    dir = next;
                    config = entry.and_then(|e| e.get("module"));
                }
                _ => return call_span.or(in_plan),
            }
        }
        self.dirs
            .get(&dir)
            .and_then(|h| {
                h.resources
                    .get(&(resource_type.to_string(), name.to_string()))
            })
            .copied()
            .or(call_span)
            .or(in_plan)
    }

    fn store_span(&self, store: &PlanResource<'_>) -> Option<Span> {
        self.span_of(
            &store.module,
            &store.resource_type,
            &store.name,
            &store.address,
        )
    }

    /// A store node.
    fn store(&mut self, store: &PlanResource<'p>) {
        let span = self.store_span(store);
        let mut node = NodeFact::new(store.address.clone(), Origin::Terraform);
        node.kind = Some(NodeKind::Store);
        node.provider = Some(store.kind.provider.to_string());
        node.span = span;
        let name = text(store.values.get(store.kind.name_argument));
        node.location = Some(match self.locate(store, 0) {
            Ok(region) => LocatedAt {
                location: Location::Region {
                    provider: store.kind.provider.to_string(),
                    region,
                },
                span,
                unresolved_reason: None,
            },
            Err(reason) => LocatedAt {
                location: Location::Unknown,
                span,
                unresolved_reason: Some(reason),
            },
        });
        // The hostnames a bucket answers on, as the `.tf` reader gives them.
        if let (Some(name), "aws_s3_bucket") = (&name, store.resource_type.as_str()) {
            node.domains.push(format!("{name}.s3.amazonaws.com"));
            if let Some(Location::Region { region, .. }) =
                node.location.as_ref().map(|l| &l.location)
            {
                node.domains
                    .push(format!("{name}.s3.{region}.amazonaws.com"));
                node.domains
                    .push(format!("{name}.s3-{region}.amazonaws.com"));
            }
        }
        node.label = Some(match name {
            Some(name) => format!("{} `{name}`", store.kind.description),
            None => store.kind.description.to_string(),
        });
        self.nodes.entry(node.id.clone()).or_insert(node);
    }

    /// The region of a store, or why it is unknown.
    fn locate(&self, store: &PlanResource<'_>, depth: usize) -> Result<String, String> {
        let provider = store.kind.provider;
        let own =
            |argument: &str| text(store.values.get(argument)).filter(|t| !t.trim().is_empty());
        let region = |t: String| normalise_region(provider, &t);
        match store.kind.placement {
            Placement::Aws => match own("region") {
                Some(value) => Ok(region(value)),
                None => self.provider_region(store, "aws").map(region),
            },
            Placement::GoogleRegional(argument) => match own(argument) {
                Some(value) => Ok(region(value)),
                None => self.provider_region(store, "google").map(region),
            },
            Placement::Own(argument) => own(argument).map(region).ok_or_else(|| {
                format!(
                    "the plan gives no `{argument}` for `{}` (set at apply, or not set)",
                    store.address
                )
            }),
            Placement::OwnOrDefault(argument, default) => {
                Ok(own(argument).map_or_else(|| default.to_string(), region))
            }
            Placement::Via(argument) => {
                let parent = self
                    .referenced(store, argument)
                    .filter(|_| depth < MAX_VIA_DEPTH)
                    .and_then(|address| self.by_address.get(&address))
                    .and_then(|index| self.stores.get(*index));
                match parent {
                    Some(parent) => self.locate(parent, depth + 1),
                    None => Err(format!(
                        "`{argument}` of `{}` names no store in the plan",
                        store.address
                    )),
                }
            }
            Placement::SpannerConfig => match own("config") {
                Some(config) => {
                    let config = config.rsplit('/').next().unwrap_or_default().to_lowercase();
                    Ok(config
                        .strip_prefix("regional-")
                        .unwrap_or(&config)
                        .to_string())
                }
                None => Err(format!("the plan gives no `config` for `{}`", store.address)),
            },
            Placement::PubSub => match pubsub_regions(store.values).first() {
                Some(first) => Ok(region(first.clone())),
                None => Err("Pub/Sub keeps messages in any region unless `message_storage_policy` restricts them".into()),
            },
            Placement::Cosmos => match cosmos_locations(store.values).first() {
                Some(first) => Ok(region(first.clone())),
                None => own("location").map(region).ok_or_else(|| {
                    format!(
                        "the plan gives no `geo_location` or `location` for `{}`",
                        store.address
                    )
                }),
            },
        }
    }

    /// The region of the provider configuration a resource uses, from `configuration`: a
    /// constant, or a root variable whose value the plan records.
    fn provider_region(&self, store: &PlanResource<'_>, local: &str) -> Result<String, String> {
        let key = self
            .config_resource(store)
            .and_then(|r| r.get("provider_config_key"))
            .and_then(Value::as_str)
            .unwrap_or(local)
            .to_string();
        let configs = self.plan.pointer("/configuration/provider_config");
        // `module.db:aws` names a configuration in a module; an inherited one is the root's.
        let bare = key.rsplit(':').next().unwrap_or(&key).to_string();
        let config = [key.as_str(), bare.as_str(), local]
            .iter()
            .find_map(|candidate| configs.and_then(|c| c.get(*candidate)));
        let Some(config) = config else {
            return Err(format!(
                "the plan gives no region for `{}` and configures no provider `{key}` (the region may come from the environment)",
                store.address
            ));
        };
        let Some(expression) = config.pointer("/expressions/region") else {
            return Err(format!(
                "provider `{key}` sets no `region` in the plan's configuration (it may come from the environment)"
            ));
        };
        if let Some(constant) = text(expression.get("constant_value")) {
            return Ok(constant);
        }
        let references: Vec<&str> = expression
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let in_root = config.get("module_address").is_none();
        if let [reference] = references.as_slice()
            && let (Some(variable), true) = (reference.strip_prefix("var."), in_root)
            && let Some(value) = text(self.plan.pointer(&format!(
                "/variables/{}/value",
                variable.replace('~', "~0").replace('/', "~1")
            )))
        {
            return Ok(value);
        }
        Err(format!(
            "the `region` of provider `{key}` is an expression the plan does not resolve ({})",
            if references.is_empty() {
                "no references".to_string()
            } else {
                references.join(", ")
            }
        ))
    }

    /// The plan address of the resource an argument of `store` references, through the
    /// configuration's `references` (`aws_mssql_server.this.id` -> `aws_mssql_server.this`).
    fn referenced(&self, store: &PlanResource<'_>, argument: &str) -> Option<String> {
        let expression = self
            .config_resource(store)?
            .get("expressions")?
            .get(argument)?;
        self.resolve_references(&store.module, expression)
    }

    /// The first resource of this plan among an expression's `references`.
    fn resolve_references(&self, module: &str, expression: &Value) -> Option<String> {
        for reference in expression
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let mut parts = reference.split('.');
            let (Some(resource_type), Some(name)) = (parts.next(), parts.next()) else {
                continue;
            };
            let name = name.split('[').next().unwrap_or(name);
            if let Some(address) = self
                .index
                .get(&(
                    module.to_string(),
                    resource_type.to_string(),
                    name.to_string(),
                ))
                .and_then(|addresses| addresses.first())
            {
                return Some(address.clone());
            }
        }
        None
    }

    /// Copies a store keeps in other regions as part of itself.
    fn replicas(&mut self, store: &PlanResource<'p>) {
        let values = store.values;
        let mut regions: Vec<Result<String, String>> = Vec::new();
        match store.resource_type.as_str() {
            "aws_dynamodb_table" | "aws_dynamodb_global_table" => {
                for replica in array(values.get("replica")) {
                    regions.push(
                        text(replica.get("region_name"))
                            .map(|r| normalise_region("aws", &r))
                            .ok_or_else(|| {
                                "the plan gives no `region_name` for a `replica`".to_string()
                            }),
                    );
                }
            }
            "google_pubsub_topic" => regions.extend(
                pubsub_regions(values)
                    .into_iter()
                    .skip(1)
                    .map(|r| Ok(normalise_region("gcp", &r))),
            ),
            "azurerm_cosmosdb_account" => regions.extend(
                cosmos_locations(values)
                    .into_iter()
                    .skip(1)
                    .map(|r| Ok(normalise_region("azure", &r))),
            ),
            "azurerm_storage_account" => {
                let geo = text(values.get("account_replication_type"))
                    .map(|t| t.trim().to_ascii_uppercase())
                    .is_some_and(|t| matches!(t.as_str(), "GRS" | "RAGRS" | "GZRS" | "RAGZRS"));
                if geo {
                    regions.push(match self.locate(store, 0) {
                        Ok(region) => self.azure_pairs.get(&region).cloned().ok_or_else(|| {
                            format!("no paired region of `{region}` is known (`paired` in rules/regions/azure.toml)")
                        }),
                        Err(reason) => Err(format!(
                            "the paired region is unknown because the account's own location is: {reason}"
                        )),
                    });
                }
            }
            _ => {}
        }
        if regions.is_empty() {
            return;
        }
        let span = self.store_span(store);
        let own = self.locate(store, 0).ok();
        for (index, region) in regions.into_iter().enumerate() {
            // A legacy global table lists its own region among its replicas.
            if region.as_ref().ok() == own.as_ref() {
                continue;
            }
            let replica_id = match &region {
                Ok(region) => format!("{}@{region}", store.address),
                Err(_) => format!("{}@replica-{}", store.address, index + 1),
            };
            let mut node = NodeFact::new(replica_id.clone(), Origin::Terraform);
            node.kind = Some(NodeKind::Store);
            node.provider = Some(store.kind.provider.to_string());
            node.span = span;
            node.label = Some(format!("replica of `{}`", store.address));
            node.location = Some(match region {
                Ok(region) => LocatedAt {
                    location: Location::Region {
                        provider: store.kind.provider.to_string(),
                        region,
                    },
                    span,
                    unresolved_reason: None,
                },
                Err(reason) => LocatedAt {
                    location: Location::Unknown,
                    span,
                    unresolved_reason: Some(reason),
                },
            });
            self.nodes.entry(replica_id.clone()).or_insert(node);
            self.flow(&store.address, &replica_id, span);
        }
    }

    fn flow(&mut self, from: &str, to: &str, span: Option<Span>) {
        if from == to {
            return;
        }
        let from_span = self.nodes.get(from).and_then(|n| n.span);
        let mut flow = FlowFact::observed(
            NodeRef {
                id: from.to_string(),
                span: from_span,
            },
            FlowTarget::Node(NodeRef {
                id: to.to_string(),
                span,
            }),
            span,
            Origin::Terraform,
        );
        flow.purpose = Some("replication".into());
        self.flows.push(flow);
    }

    /// Copies between stores: S3 replication, read replicas, DynamoDB table replicas, backup
    /// copies and Aurora global databases, as the `.tf` reader reads them.
    fn copies(&mut self) {
        let Some(resources) = self.managed_resources() else {
            return;
        };
        let mut globals: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
        for (module, resource) in resources {
            let (Some(address), Some(resource_type), Some(name)) = (
                text(resource.get("address")),
                text(resource.get("type")),
                text(resource.get("name")),
            ) else {
                continue;
            };
            static NULL: Value = Value::Null;
            let values = resource.get("values").unwrap_or(&NULL);
            let config = self.config_of(&module, &resource_type, &name);
            let expressions = config.and_then(|c| c.get("expressions"));
            let span = self.span_of(&module, &resource_type, &name, &address);
            let endpoint = |reader: &mut Self,
                            value: Option<&Value>,
                            expression: Option<&Value>,
                            expected: &str| {
                reader.endpoint(&module, value, expression, expected, span)
            };
            match resource_type.as_str() {
                "aws_s3_bucket_replication_configuration" => {
                    self.s3_replication(&module, values, expressions, span);
                }
                "aws_s3_bucket" => {
                    for configuration in array(values.get("replication_configuration")) {
                        for rule in array(configuration.get("rules")) {
                            for destination in array(rule.get("destination")) {
                                if let Some(target) =
                                    endpoint(self, destination.get("bucket"), None, "aws_s3_bucket")
                                {
                                    self.flow(&address, &target, span);
                                }
                            }
                        }
                    }
                }
                "aws_db_instance"
                | "aws_rds_cluster"
                | "aws_dynamodb_table_replica"
                | "google_sql_database_instance" => {
                    let (argument, expected) = match resource_type.as_str() {
                        "aws_db_instance" => ("replicate_source_db", "aws_db_instance"),
                        "aws_rds_cluster" => ("replication_source_identifier", "aws_rds_cluster"),
                        "aws_dynamodb_table_replica" => ("global_table_arn", "aws_dynamodb_table"),
                        _ => ("master_instance_name", "google_sql_database_instance"),
                    };
                    let value = values.get(argument).filter(|v| !v.is_null());
                    let expression = expressions.and_then(|e| e.get(argument));
                    if (value.is_some() || expression.is_some())
                        && let Some(origin) = endpoint(self, value, expression, expected)
                    {
                        self.flow(&origin, &address, span);
                    }
                    if resource_type == "aws_rds_cluster" {
                        let global = text(values.get("global_cluster_identifier"))
                            .filter(|t| !t.is_empty())
                            .or_else(|| {
                                expressions
                                    .and_then(|e| e.get("global_cluster_identifier"))
                                    .and_then(|e| self.resolve_references(&module, e))
                            });
                        if let Some(global) = global {
                            let primary = ["master_username", "snapshot_identifier"]
                                .iter()
                                .any(|a| values.get(*a).is_some_and(|v| !v.is_null()))
                                || values
                                    .get("manage_master_user_password")
                                    .and_then(Value::as_bool)
                                    .unwrap_or(false);
                            globals
                                .entry(global)
                                .or_default()
                                .push((address.clone(), primary));
                        }
                    }
                }
                "aws_backup_plan" => {
                    let rule_expressions: Vec<&Value> =
                        array(expressions.and_then(|e| e.get("rule"))).collect();
                    for (index, rule) in array(values.get("rule")).enumerate() {
                        let rule_expression = rule_expressions.get(index).copied();
                        let Some(source) = endpoint(
                            self,
                            rule.get("target_vault_name"),
                            rule_expression.and_then(|e| e.get("target_vault_name")),
                            "aws_backup_vault",
                        ) else {
                            continue;
                        };
                        let copy_expressions: Vec<&Value> =
                            array(rule_expression.and_then(|e| e.get("copy_action"))).collect();
                        for (c, copy) in array(rule.get("copy_action")).enumerate() {
                            if let Some(target) = endpoint(
                                self,
                                copy.get("destination_vault_arn"),
                                copy_expressions
                                    .get(c)
                                    .and_then(|e| e.get("destination_vault_arn")),
                                "aws_backup_vault",
                            ) {
                                self.flow(&source, &target, span);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        self.global_copies(&globals);
    }

    /// The managed resources of the plan's modules with their module's address, within the
    /// bounds on resources and module depth; `None` when the plan has no planned values.
    fn managed_resources(&self) -> Option<Vec<(String, &'p Value)>> {
        let root_module = self.plan.pointer("/planned_values/root_module")?;
        let mut resources: Vec<(String, &'p Value)> = Vec::new();
        let mut modules = vec![(root_module, 0usize)];
        while let Some((module, depth)) = modules.pop() {
            for resource in array(module.get("resources")) {
                if resources.len() >= MAX_RESOURCES {
                    break;
                }
                if resource.get("mode").and_then(Value::as_str) == Some("managed") {
                    let address = text(module.get("address")).unwrap_or_default();
                    resources.push((address, resource));
                }
            }
            if depth < MAX_MODULE_DEPTH {
                modules.extend(array(module.get("child_modules")).map(|child| (child, depth + 1)));
            }
        }
        Some(resources)
    }

    /// An `aws_s3_bucket_replication_configuration`: a copy from its bucket to each rule's
    /// destination bucket.
    fn s3_replication(
        &mut self,
        module: &str,
        values: &Value,
        expressions: Option<&Value>,
        span: Option<Span>,
    ) {
        let source = self.endpoint(
            module,
            values.get("bucket"),
            expressions.and_then(|e| e.get("bucket")),
            "aws_s3_bucket",
            span,
        );
        let Some(source) = source else { return };
        let rules = array(values.get("rule"));
        let rule_expressions: Vec<&Value> =
            array(expressions.and_then(|e| e.get("rule"))).collect();
        for (index, rule) in rules.enumerate() {
            let destination_expressions: Vec<&Value> = array(
                rule_expressions
                    .get(index)
                    .and_then(|r| r.get("destination")),
            )
            .collect();
            for (d, destination) in array(rule.get("destination")).enumerate() {
                let expression = destination_expressions.get(d).and_then(|e| e.get("bucket"));
                if let Some(target) = self.endpoint(
                    module,
                    destination.get("bucket"),
                    expression,
                    "aws_s3_bucket",
                    span,
                ) {
                    self.flow(&source, &target, span);
                }
            }
        }
    }

    /// Aurora global databases (members by global cluster, with whether each is the primary):
    /// members copy from the primary (or, when the plan does not tell which one it is, from each
    /// other).
    fn global_copies(&mut self, globals: &BTreeMap<String, Vec<(String, bool)>>) {
        for members in globals.values() {
            let primaries: Vec<&(String, bool)> = members.iter().filter(|m| m.1).collect();
            let sources: Vec<&(String, bool)> = if primaries.len() == 1 {
                primaries
            } else {
                members.iter().collect()
            };
            for source in sources {
                for member in members.iter().filter(|m| m.0 != source.0) {
                    let span = self.nodes.get(&member.0).and_then(|n| n.span);
                    self.flow(&source.0, &member.0, span);
                }
            }
        }
    }

    /// The store a copy argument names: a resource of the plan its expression references, the
    /// store of `expected` type whose name the value is, or, for an ARN of a store outside the
    /// plan, a node of its own located by the ARN's region.
    fn endpoint(
        &mut self,
        module: &str,
        value: Option<&Value>,
        expression: Option<&Value>,
        expected: &str,
        span: Option<Span>,
    ) -> Option<String> {
        if let Some(address) = expression.and_then(|e| self.resolve_references(module, e))
            && self.nodes.contains_key(&address)
        {
            return Some(address);
        }
        let text = text(value)?.trim().to_string();
        if text.is_empty() {
            return None;
        }
        let name = match text.strip_prefix("arn:") {
            Some(arn) => {
                let parts: Vec<&str> = arn.splitn(5, ':').collect();
                let resource = parts.get(4).copied().unwrap_or_default();
                resource
                    .rsplit([':', '/'])
                    .next()
                    .unwrap_or(resource)
                    .to_string()
            }
            None => text.clone(),
        };
        if let Some(found) =
            self.by_name
                .get(&(expected.to_string(), module.to_string(), name.clone()))
        {
            return Some(found.clone());
        }
        let arn = text.strip_prefix("arn:")?;
        let region = arn.split(':').nth(2).unwrap_or_default().to_string();
        let mut node = NodeFact::new(text.clone(), Origin::Terraform);
        node.kind = Some(NodeKind::Store);
        node.provider = Some("aws".into());
        node.span = span;
        node.label = Some(format!("`{name}`, outside this plan"));
        node.location = Some(if region.is_empty() {
            LocatedAt {
                location: Location::Unknown,
                span,
                unresolved_reason: Some(format!(
                    "`{name}` is not in this plan and its ARN names no region"
                )),
            }
        } else {
            LocatedAt {
                location: Location::Region {
                    provider: "aws".into(),
                    region: normalise_region("aws", &region),
                },
                span,
                unresolved_reason: None,
            }
        });
        self.nodes.entry(text.clone()).or_insert(node);
        Some(text)
    }
}

/// The store type of a resource type, as the `.tf` reader knows it (`rules/stores.toml`).
fn store_kind<'t>(
    types: &'t super::resources::StoreTypes<'t>,
    resource_type: &str,
) -> Option<&'t StoreType<'t>> {
    types.get(resource_type)
}

/// A JSON string (or number, as Terraform writes some) as text.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The elements of a JSON array (none for anything else).
fn array(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

/// `message_storage_policy[].allowed_persistence_regions[]`, in order.
fn pubsub_regions(values: &Value) -> Vec<String> {
    array(values.get("message_storage_policy"))
        .flat_map(|policy| array(policy.get("allowed_persistence_regions")))
        .filter_map(|region| text(Some(region)))
        .collect()
}

/// `geo_location[].location` by failover priority: the first is where writes go.
fn cosmos_locations(values: &Value) -> Vec<String> {
    let mut locations: Vec<(i64, usize, String)> = array(values.get("geo_location"))
        .enumerate()
        .filter_map(|(index, geo)| {
            let priority = geo
                .get("failover_priority")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX);
            Some((priority, index, text(geo.get("location"))?))
        })
        .collect();
    locations.sort();
    locations.into_iter().map(|(_, _, l)| l).collect()
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn module_names_skip_indexes_with_brackets_in_keys() {
        assert_eq!(module_names("module.a[\"x].y\"].module.b[0]"), ["a", "b"]);
        assert_eq!(module_names(""), Vec::<String>::new());
    }

    #[test]
    fn addresses_are_found_pretty_and_on_one_line() {
        let pretty = "{\n  \"address\": \"aws_s3_bucket.a\",\n  \"x\": {\"address\":\"module.m.aws_s3_bucket.b[\\\"k\\\"]\"}}";
        let ranges = address_ranges(pretty);
        let range = ranges.get("aws_s3_bucket.a").unwrap();
        assert_eq!(&pretty[range.clone()], "\"aws_s3_bucket.a\"");
        assert!(ranges.contains_key("module.m.aws_s3_bucket.b[\"k\"]"));
    }

    #[test]
    fn only_plans_are_sniffed_as_plans() {
        assert!(sniff("{\"format_version\":\"1.2\",\"planned_values\":{}}"));
        assert!(!sniff("{\"name\":\"web\",\"version\":\"1.0.0\"}"));
        assert!(!sniff("{\"format_version\":\"1.0\",\"values\":{}}"));
        assert!(!sniff("[\"format_version\", \"planned_values\"]"));
    }

    #[test]
    fn headers_are_found_with_quoted_and_bare_labels() {
        let file = SourceFile::new(
            crate::source::FileId(1),
            "main.tf".into(),
            std::sync::Arc::from("resource \"aws_s3_bucket\" \"this\" {\n}\n  module bare {\n}\n"),
        );
        let mut headers = Headers::default();
        scan_headers(&file, &mut headers);
        let span = headers.resources[&("aws_s3_bucket".into(), "this".into())];
        assert_eq!(
            &file.text[span.start as usize..span.end as usize],
            "resource \"aws_s3_bucket\" \"this\" {"
        );
        assert!(headers.modules.contains_key("bare"));
    }
}
