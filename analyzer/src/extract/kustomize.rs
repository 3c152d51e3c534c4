//! Kustomize overlays as deployment variants: each overlay is built over its bases, without the
//! `kustomize` binary, and its workloads are read the way plain manifests are.
//!
//! A `kustomization.yaml` (or `.yml`) names `resources` (manifest files and directories with a
//! kustomization of their own), `bases` (the old name) and `components`; `patches`,
//! `patchesStrategicMerge` and `patchesJson6902` (files or inline) change what those define;
//! `configMapGenerator` makes ConfigMaps from `literals`, `envs` files and `files`, and
//! `commonAnnotations` annotates every object. A kustomization that no other one uses is a
//! root; a root over at least one other kustomization is an overlay, one deployment variant
//! named after its directory (`overlays/prod` is `prod`; two overlays of one configuration with
//! the same directory name are qualified by the path that tells them apart, `prod/eu`). The roots
//! that share a kustomization are one configuration: each overlay is built, its documents go
//! through the Kubernetes reader ([`super::kubernetes::read_built`]) and the per-overlay facts
//! through [`Facts::from_variants`], so what every overlay shares is as without variants. A lone
//! kustomization over no other one is no variant and is not built: its files stay plain
//! manifests of the Kubernetes extractor, as without Kustomize.
//!
//! Every manifest an overlay reaches is read here and not by the Kubernetes extractor
//! ([`outside_builds`] tells it which to leave), so a base file is never reported twice. Names
//! and namespaces are the base's: `namePrefix`, `nameSuffix` and `namespace` rename every object
//! and every reference alike, so reading them would only split one workload into one node per
//! overlay. `images`, `replicas` and labels are not flows and are ignored. A `secretGenerator`
//! is never read.
//!
//! Hostile input: nothing is fetched or run. A remote resource, a path out of the repository
//! and a file borderline does not read are `input-error`s at the line that names them; a cycle
//! between kustomizations is cut and reported; builds, patches and documents have budgets.
//!
//! Spans: a built document mixes nodes of several files (the base, the overlay's patch, the
//! kustomization's literals). Each file gets a range of one address space (its `base`), the
//! documents are shifted into it, read as one stand-in file, and the facts' spans are mapped
//! back to the file and line each node came from.

use super::classify::{is_compose_file, is_kubernetes_yaml};
use super::yaml::{YamlNode, YamlValue, parse_documents};
use super::{ExtractContext, Extractor};
use crate::facts::{Facts, Variant};
use crate::source::{FileId, SourceFile, Span};
use camino::{Utf8Component, Utf8Path, Utf8PathBuf};
use std::collections::{BTreeMap, BTreeSet};

/// The file id of the stand-in file a build is read as; no scanned file has it.
const BUILT: FileId = FileId(u32::MAX);

/// How deep kustomizations may nest (overlay, base, base of base, ...).
const MAX_DEPTH: usize = 16;

/// Documents one build may hold; past it the rest is unknown.
const MAX_DOCUMENTS: usize = 5_000;

/// Kustomizations (with their components) one root's build may visit.
const MAX_VISITS: usize = 256;

/// What a variant's source is called.
const SOURCE: &str = "kustomize overlay";

/// Builds Kustomize overlays (see the module documentation).
#[derive(Debug, Default)]
pub struct KustomizeExtractor;

/// True for a kustomization file.
pub fn is_kustomization(path: &Utf8Path) -> bool {
    matches!(
        path.file_name(),
        Some("kustomization.yaml" | "kustomization.yml")
    )
}

/// Files a `configMapGenerator` reads besides YAML: env files and Java properties.
fn is_generator_input(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    name.ends_with(".env") || name.starts_with(".env") || name.ends_with(".properties")
}

impl Extractor for KustomizeExtractor {
    fn name(&self) -> &'static str {
        "kustomize"
    }

    /// Manifests, and the YAML a kustomization may list that the Kubernetes extractor leaves
    /// to another (an `otel-collector.yaml` Deployment), and generator inputs.
    fn claims(&self, path: &Utf8Path) -> bool {
        let name = path.file_name().unwrap_or("");
        is_kubernetes_yaml(path)
            || is_generator_input(path)
            || ((name.ends_with(".yaml") || name.ends_with(".yml")) && !is_compose_file(path))
    }

    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        let tree = Tree::new(files);
        if tree.kustomizations.is_empty() {
            return Facts::default();
        }
        let mut out = Facts::default();
        let mut parsed = Parsed::new(files);
        for family in tree.families() {
            let names = variant_names(&family);
            let mut per_variant = Vec::new();
            for (root, name) in family.iter().zip(names) {
                let mut build = Build::new(&tree, &mut parsed);
                let documents = build.root(root);
                let first = build.first.map(|(_, path)| path);
                let mut facts = build.diagnostics;
                let Some(kustomization) = tree.kustomizations.get(root) else {
                    continue;
                };
                facts.extend(read(
                    kustomization.file,
                    first.as_deref(),
                    &documents,
                    &parsed.layout,
                    ctx,
                ));
                per_variant.push((
                    Variant {
                        name,
                        span: kustomization.file.line_span(1),
                        source: SOURCE.to_string(),
                    },
                    facts,
                ));
            }
            out.extend(Facts::from_variants(per_variant));
        }
        out.extend(std::mem::take(&mut parsed.errors));
        out
    }
}

/// The Kubernetes manifests among `files` that no Kustomize root builds: the ones the Kubernetes
/// extractor reads as plain manifests. (Kustomization files themselves stay: they define no
/// workload, and their syntax errors are reported there.)
pub(crate) fn outside_builds<'a>(files: &[&'a SourceFile]) -> Vec<&'a SourceFile> {
    let tree = Tree::new(files);
    if tree.kustomizations.is_empty() {
        return files.to_vec();
    }
    let mut built: BTreeSet<Utf8PathBuf> = BTreeSet::new();
    for root in tree.families().iter().flatten() {
        built.extend(tree.reach(root).1);
    }
    files
        .iter()
        .filter(|file| !built.contains(&file.path))
        .copied()
        .collect()
}

/// One kustomization file, parsed.
struct Kustomization<'a> {
    file: &'a SourceFile,
    document: YamlNode,
    /// `kind: Component`: never a root; applied to the build that names it.
    component: bool,
}

impl Kustomization<'_> {
    fn directory(&self) -> &Utf8Path {
        self.file.path.parent().unwrap_or(Utf8Path::new(""))
    }

    /// The string entries of a list key, with their nodes.
    fn list(&self, key: &str) -> Vec<(&str, &YamlNode)> {
        self.document
            .get(key)
            .map(YamlNode::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|node| Some((node.as_str()?, node)))
            .collect()
    }

    /// Files its patches and generators name (paths as written, with their nodes).
    fn named_files(&self) -> Vec<(&str, &YamlNode)> {
        let mut named = self.list("patchesStrategicMerge");
        for key in ["patches", "patchesJson6902"] {
            for entry in self
                .document
                .get(key)
                .map(YamlNode::as_seq)
                .unwrap_or_default()
            {
                if let Some(path) = entry.get("path")
                    && let Some(text) = path.as_str()
                {
                    named.push((text, path));
                }
                if let Some(text) = entry.as_str() {
                    named.push((text, entry));
                }
            }
        }
        for generator in self
            .document
            .get("configMapGenerator")
            .map(YamlNode::as_seq)
            .unwrap_or_default()
        {
            for key in ["envs", "files"] {
                for entry in generator.get(key).map(YamlNode::as_seq).unwrap_or_default() {
                    if let Some(text) = entry.as_str() {
                        let path = text.split_once('=').map_or(text, |(_, path)| path);
                        named.push((path, entry));
                    }
                }
            }
            if let Some(entry) = generator.get("env")
                && let Some(text) = entry.as_str()
            {
                named.push((text, entry));
            }
        }
        named
    }
}

/// Where an entry of a kustomization leads.
enum Target {
    Kustomization(Utf8PathBuf),
    File(Utf8PathBuf),
    /// Why it is not read.
    Unread(String),
}

/// Every kustomization among the files, and the files by path.
struct Tree<'a> {
    /// By directory.
    kustomizations: BTreeMap<Utf8PathBuf, Kustomization<'a>>,
    files: BTreeMap<&'a Utf8Path, &'a SourceFile>,
}

impl<'a> Tree<'a> {
    fn new(files: &[&'a SourceFile]) -> Tree<'a> {
        let mut kustomizations = BTreeMap::new();
        for file in files.iter().filter(|f| is_kustomization(&f.path)) {
            // Its syntax errors are the Kubernetes extractor's to report.
            let Some(documents) = parse_documents(file, &mut Facts::default()) else {
                continue;
            };
            let Some(document) = documents.into_iter().next() else {
                continue;
            };
            let component = document.get("kind").and_then(YamlNode::as_str) == Some("Component");
            let directory = file.path.parent().unwrap_or(Utf8Path::new("")).to_owned();
            kustomizations.entry(directory).or_insert(Kustomization {
                file,
                document,
                component,
            });
        }
        Tree {
            kustomizations,
            files: files.iter().map(|f| (f.path.as_path(), *f)).collect(),
        }
    }

    /// Where `entry`, written in the kustomization of `directory`, leads.
    fn target(&self, directory: &Utf8Path, entry: &str) -> Target {
        let entry = entry.trim();
        if entry.contains("://")
            || entry.starts_with("git@")
            || entry.starts_with("github.com/")
            || entry.contains("?ref=")
        {
            return Target::Unread(format!(
                "`{entry}` is remote: borderline never fetches it, so what it defines is unknown"
            ));
        }
        let Some(path) = join(directory, entry) else {
            return Target::Unread(format!(
                "`{entry}` leads out of the repository: not read, so what it defines is unknown"
            ));
        };
        if self.kustomizations.contains_key(&path) {
            return Target::Kustomization(path);
        }
        if self.files.contains_key(path.as_path()) {
            return Target::File(path);
        }
        Target::Unread(format!(
            "`{entry}` is not a kustomization or a manifest borderline reads here: what it \
             defines is unknown"
        ))
    }

    /// The kustomizations `directory`'s kustomization builds on, in order: resources, bases,
    /// components (each with whether it is a component).
    fn uses(&self, directory: &Utf8Path) -> Vec<(Utf8PathBuf, bool)> {
        let Some(kustomization) = self.kustomizations.get(directory) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for key in ["resources", "bases", "components"] {
            for (entry, _) in kustomization.list(key) {
                if let Target::Kustomization(path) = self.target(directory, entry) {
                    found.push((path, key == "components"));
                }
            }
        }
        found
    }

    /// Kustomizations no other uses, components aside, in path order.
    fn roots(&self) -> Vec<Utf8PathBuf> {
        let used: BTreeSet<Utf8PathBuf> = self
            .kustomizations
            .keys()
            .flat_map(|directory| self.uses(directory))
            .map(|(path, _)| path)
            .collect();
        self.kustomizations
            .iter()
            .filter(|(directory, k)| !k.component && !used.contains(*directory))
            .map(|(directory, _)| directory.clone())
            .collect()
    }

    /// Whether a root builds on another kustomization: then it is a variant.
    fn is_overlay(&self, root: &Utf8Path) -> bool {
        !self.uses(root).is_empty()
    }

    /// The kustomizations and the files (manifests, patches, generator inputs) a root reaches.
    fn reach(&self, root: &Utf8Path) -> (BTreeSet<Utf8PathBuf>, BTreeSet<Utf8PathBuf>) {
        let mut seen = BTreeSet::new();
        let mut files = BTreeSet::new();
        let mut stack = vec![root.to_owned()];
        while let Some(directory) = stack.pop() {
            if seen.len() >= MAX_VISITS || !seen.insert(directory.clone()) {
                continue;
            }
            let Some(kustomization) = self.kustomizations.get(&directory) else {
                continue;
            };
            for key in ["resources", "bases", "components"] {
                for (entry, _) in kustomization.list(key) {
                    match self.target(&directory, entry) {
                        Target::Kustomization(path) => stack.push(path),
                        Target::File(path) => {
                            files.insert(path);
                        }
                        Target::Unread(_) => {}
                    }
                }
            }
            for (entry, _) in kustomization.named_files() {
                if let Target::File(path) = self.target(&directory, entry) {
                    files.insert(path);
                }
            }
        }
        (seen, files)
    }

    /// The roots grouped by the kustomizations they share, one configuration each, in order:
    /// those with an overlay among them. A lone kustomization over no other one is left to the
    /// Kubernetes extractor, which reads its files as plain manifests, as without Kustomize.
    fn families(&self) -> Vec<Vec<Utf8PathBuf>> {
        let mut families: Vec<(BTreeSet<Utf8PathBuf>, Vec<Utf8PathBuf>)> = Vec::new();
        for root in self.roots() {
            let (mut reached, _) = self.reach(&root);
            // A component is an add-on many unrelated builds include (every service of a
            // repository with the same `components/cloud-sql`): sharing one does not make two
            // builds one configuration, so their `production` overlays are one variant.
            reached.retain(|dir| {
                self.kustomizations
                    .get(dir)
                    .is_none_or(|kustomization| !kustomization.component)
            });
            let mut merged = (reached, vec![root]);
            let mut kept = Vec::new();
            for family in families {
                if family.0.is_disjoint(&merged.0) {
                    kept.push(family);
                } else {
                    merged.0.extend(family.0);
                    merged.1.extend(family.1);
                }
            }
            kept.push(merged);
            families = kept;
        }
        let mut out: Vec<Vec<Utf8PathBuf>> = families
            .into_iter()
            .filter(|(_, roots)| roots.iter().any(|root| self.is_overlay(root)))
            .map(|(_, mut roots)| {
                roots.sort();
                roots
            })
            .collect();
        out.sort();
        out
    }
}

/// `entry` relative to `directory`, normalised; `None` when it leaves the repository.
fn join(directory: &Utf8Path, entry: &str) -> Option<Utf8PathBuf> {
    let mut parts: Vec<&str> = Vec::new();
    let entry = Utf8Path::new(entry);
    if entry.is_absolute() {
        return None;
    }
    for component in directory.components().chain(entry.components()) {
        match component {
            Utf8Component::Normal(part) => parts.push(part),
            Utf8Component::CurDir => {}
            Utf8Component::ParentDir => {
                parts.pop()?;
            }
            Utf8Component::RootDir | Utf8Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

/// The variant names of one configuration's roots: the directory name, qualified with the
/// directories above it until the names differ (`prod/eu` and `prod/us`).
fn variant_names(roots: &[Utf8PathBuf]) -> Vec<String> {
    let parts: Vec<Vec<&str>> = roots
        .iter()
        .map(|root| root.components().map(|c| c.as_str()).collect())
        .collect();
    let name = |index: usize, depth: usize| -> String {
        let all = &parts[index];
        let from = all.len().saturating_sub(depth);
        let joined = all[from..].join("/");
        if joined.is_empty() {
            ".".to_string()
        } else {
            joined.to_lowercase()
        }
    };
    (0..roots.len())
        .map(|index| {
            let mut depth = 1;
            while depth < parts[index].len()
                && (0..roots.len())
                    .any(|other| other != index && name(other, depth) == name(index, depth))
            {
                depth += 1;
            }
            name(index, depth)
        })
        .collect()
}

/// Every file's place in the one address space of built documents, and each file's documents
/// parsed once and shifted into it.
struct Parsed<'a> {
    layout: Layout,
    documents: BTreeMap<Utf8PathBuf, Option<Vec<YamlNode>>>,
    files: BTreeMap<&'a Utf8Path, &'a SourceFile>,
    /// Syntax errors of the manifests builds read (the Kubernetes extractor leaves them).
    errors: Facts,
}

impl<'a> Parsed<'a> {
    fn new(files: &[&'a SourceFile]) -> Parsed<'a> {
        Parsed {
            layout: Layout::new(files),
            documents: BTreeMap::new(),
            files: files.iter().map(|f| (f.path.as_path(), *f)).collect(),
            errors: Facts::default(),
        }
    }

    /// The documents of a manifest, shifted; `None` when it does not parse.
    fn documents(&mut self, path: &Utf8Path) -> Option<Vec<YamlNode>> {
        if let Some(documents) = self.documents.get(path) {
            return documents.clone();
        }
        let file = self.files.get(path)?;
        let base = self.layout.base(file.id)?;
        let documents = parse_documents(file, &mut self.errors).map(|mut documents| {
            documents.iter_mut().for_each(|d| shift(d, base));
            documents
        });
        self.documents.insert(path.to_owned(), documents.clone());
        documents
    }
}

/// The address space of built documents: each file's range starts at its base.
struct Layout {
    /// (base, length, file), by base.
    files: Vec<(usize, usize, FileId)>,
}

impl Layout {
    fn new(files: &[&SourceFile]) -> Layout {
        let mut next = 1usize;
        let mut placed = Vec::new();
        for file in files {
            let length = file.text.len();
            // The space is that of a span (u32): files past it are not placed.
            if next.saturating_add(length) >= u32::MAX as usize {
                break;
            }
            placed.push((next, length, file.id));
            next += length + 1;
        }
        Layout { files: placed }
    }

    fn base(&self, id: FileId) -> Option<usize> {
        self.files
            .iter()
            .find(|(_, _, file)| *file == id)
            .map(|(base, _, _)| *base)
    }

    /// The file and range a span of the stand-in file came from.
    fn resolve(&self, span: Span) -> Option<Span> {
        let start = span.start as usize;
        let index = self.files.partition_point(|(base, _, _)| *base <= start);
        let (base, length, file) = *self.files.get(index.checked_sub(1)?)?;
        let end = (span.end as usize).min(base + length);
        (start <= base + length).then(|| Span::new(file, start - base..end.max(start) - base))
    }
}

/// Moves every range of a node into the address space, at `base`.
fn shift(node: &mut YamlNode, base: usize) {
    if !(node.range.is_empty() && node.range.start == 0) {
        node.range = node.range.start + base..node.range.end + base;
    }
    match &mut node.value {
        YamlValue::Seq(items) => items.iter_mut().for_each(|item| shift(item, base)),
        YamlValue::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, base);
            shift(v, base);
        }),
        YamlValue::Null | YamlValue::Scalar(_) => {}
    }
}

/// Gives every node the same range (an inline patch whose lines cannot be told apart).
fn place_all(node: &mut YamlNode, range: &std::ops::Range<usize>) {
    node.range = range.clone();
    match &mut node.value {
        YamlValue::Seq(items) => items.iter_mut().for_each(|item| place_all(item, range)),
        YamlValue::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            place_all(k, range);
            place_all(v, range);
        }),
        YamlValue::Null | YamlValue::Scalar(_) => {}
    }
}

/// Reads built documents with the Kubernetes reader, as a stand-in file, and maps the spans
/// back. The stand-in sits at the first manifest the build read (the base's), so that every
/// overlay of a base names its workloads in the base's manifest set, as a plain read of the base
/// would; at the root's kustomization when the build read none.
fn read(
    root: &SourceFile,
    first: Option<&Utf8Path>,
    documents: &[YamlNode],
    layout: &Layout,
    ctx: &ExtractContext<'_>,
) -> Facts {
    let path = first.unwrap_or(&root.path).to_owned();
    let stand_in = SourceFile::new(BUILT, path, std::sync::Arc::from(""));
    let mut facts = super::kubernetes::read_built(&stand_in, documents, ctx);
    let fallback = root.line_span(1);
    facts.for_each_span(&mut |span| {
        if span.file == BUILT {
            *span = layout.resolve(*span).unwrap_or(fallback);
        }
    });
    facts
}

/// One root's build.
struct Build<'t, 'a, 'p> {
    tree: &'t Tree<'a>,
    parsed: &'p mut Parsed<'a>,
    visits: usize,
    diagnostics: Facts,
    /// The first manifest the build read at its deepest kustomization (the base's), and that
    /// depth.
    first: Option<(usize, Utf8PathBuf)>,
}

impl<'t, 'a, 'p> Build<'t, 'a, 'p> {
    fn new(tree: &'t Tree<'a>, parsed: &'p mut Parsed<'a>) -> Self {
        Build {
            tree,
            parsed,
            visits: 0,
            diagnostics: Facts::default(),
            first: None,
        }
    }

    fn root(&mut self, root: &Utf8Path) -> Vec<YamlNode> {
        let mut stack = Vec::new();
        let mut documents = Vec::new();
        self.kustomization(root, &mut stack, &mut documents);
        documents
    }

    fn unread(&mut self, node: &YamlNode, message: String) {
        let span = self.span(node);
        self.diagnostics.input_error(span, None, message);
    }

    /// The span in its file of a node of a kustomization (shifted or not).
    fn span(&self, node: &YamlNode) -> Option<Span> {
        self.parsed
            .layout
            .resolve(Span::new(BUILT, node.range.clone()))
    }

    /// Adds what the kustomization of `directory` defines to `documents` (a component's patches
    /// apply to what is there already).
    fn kustomization(
        &mut self,
        directory: &Utf8Path,
        stack: &mut Vec<Utf8PathBuf>,
        documents: &mut Vec<YamlNode>,
    ) {
        let tree = self.tree;
        let Some(kustomization) = tree.kustomizations.get(directory) else {
            return;
        };
        self.visits += 1;
        if self.visits > MAX_VISITS || stack.len() >= MAX_DEPTH {
            let at = Some(kustomization.file.line_span(1));
            self.diagnostics.input_error(
                at,
                None,
                "kustomizations nest too deep or too often: the rest of this build is unknown",
            );
            return;
        }
        stack.push(directory.to_owned());
        let base = self.parsed.layout.base(kustomization.file.id).unwrap_or(0);
        let mut document = kustomization.document.clone();
        shift(&mut document, base);
        let own = Kustomization {
            file: kustomization.file,
            document,
            component: kustomization.component,
        };
        for key in ["resources", "bases", "components"] {
            for (entry, node) in own.list(key) {
                match tree.target(directory, entry) {
                    Target::Kustomization(path) if stack.contains(&path) => {
                        self.unread(
                            node,
                            format!("`{entry}` is a cycle of kustomizations: not followed"),
                        );
                    }
                    Target::Kustomization(path) => self.kustomization(&path, stack, documents),
                    Target::File(path) => {
                        if let Some(found) = self.parsed.documents(&path) {
                            push_documents(documents, found);
                        }
                        if self
                            .first
                            .as_ref()
                            .is_none_or(|(depth, _)| *depth < stack.len())
                        {
                            self.first = Some((stack.len(), path));
                        }
                    }
                    Target::Unread(why) => self.unread(node, why),
                }
            }
        }
        self.generators(&own, documents);
        self.patches(&own, documents);
        annotate(&own, documents);
        stack.pop();
    }

    /// `configMapGenerator`: a ConfigMap per entry, or merged into the one of that name
    /// (`behavior: merge`/`replace`). `secretGenerator` is never read.
    fn generators(&mut self, own: &Kustomization<'_>, documents: &mut Vec<YamlNode>) {
        let directory = own.directory().to_owned();
        for generator in own
            .document
            .get("configMapGenerator")
            .map(YamlNode::as_seq)
            .unwrap_or_default()
        {
            let Some(name) = generator.get("name").filter(|n| n.as_str().is_some()) else {
                continue;
            };
            let mut data: Vec<(YamlNode, YamlNode)> = Vec::new();
            for literal in generator
                .get("literals")
                .map(YamlNode::as_seq)
                .unwrap_or_default()
            {
                if let Some((key, value)) = literal.as_str().and_then(|t| t.split_once('=')) {
                    data.push((scalar(key.trim(), literal), scalar(value.trim(), literal)));
                }
            }
            let mut envs: Vec<&YamlNode> = generator
                .get("envs")
                .map(YamlNode::as_seq)
                .unwrap_or_default()
                .iter()
                .collect();
            envs.extend(generator.get("env"));
            for entry in envs {
                let Some(text) = entry.as_str() else { continue };
                match self.generator_file(&directory, text, entry) {
                    Some(file) => data.extend(env_entries(file, &self.parsed.layout)),
                    None => continue,
                }
            }
            for entry in generator
                .get("files")
                .map(YamlNode::as_seq)
                .unwrap_or_default()
            {
                let Some(text) = entry.as_str() else { continue };
                let (key, path) = match text.split_once('=') {
                    Some((key, path)) => (key.trim().to_string(), path.trim()),
                    None => (
                        Utf8Path::new(text.trim())
                            .file_name()
                            .unwrap_or("")
                            .to_string(),
                        text.trim(),
                    ),
                };
                if let Some(file) = self.generator_file(&directory, path, entry) {
                    let base = self.parsed.layout.base(file.id).unwrap_or(0);
                    let whole = YamlNode {
                        value: YamlValue::Scalar(file.text.to_string()),
                        range: base..base + file.text.len(),
                    };
                    data.push((scalar(&key, entry), whole));
                }
            }
            let behavior = generator.get("behavior").and_then(YamlNode::as_str);
            let existing = documents.iter_mut().find(|d| {
                d.get("kind").and_then(YamlNode::as_str) == Some("ConfigMap")
                    && d.path(&["metadata", "name"]).and_then(YamlNode::as_str) == name.as_str()
            });
            match (behavior, existing) {
                (Some("merge" | "replace"), Some(existing)) => {
                    let replace = behavior == Some("replace");
                    set_data(existing, data, replace);
                }
                _ => push_documents(documents, vec![config_map(name, data)]),
            }
        }
    }

    /// A generator's input file, or an input-error at its entry.
    fn generator_file(
        &mut self,
        directory: &Utf8Path,
        entry: &str,
        node: &YamlNode,
    ) -> Option<&'a SourceFile> {
        match self.tree.target(directory, entry) {
            Target::File(path) => self.tree.files.get(path.as_path()).copied(),
            Target::Kustomization(_) => None,
            Target::Unread(why) => {
                self.unread(node, why);
                None
            }
        }
    }

    /// `patches`, `patchesStrategicMerge` and `patchesJson6902`, in that order.
    fn patches(&mut self, own: &Kustomization<'_>, documents: &mut [YamlNode]) {
        let directory = own.directory().to_owned();
        for (entry, node) in own.list("patchesStrategicMerge") {
            for patch in self.patch_documents(&directory, entry, node, own.file) {
                self.strategic(&patch, None, documents, node);
            }
        }
        for key in ["patches", "patchesJson6902"] {
            for entry in own
                .document
                .get(key)
                .map(YamlNode::as_seq)
                .unwrap_or_default()
            {
                let target = entry.get("target");
                let mut patches = Vec::new();
                if let Some(text) = entry.as_str() {
                    patches.extend(self.patch_documents(&directory, text, entry, own.file));
                }
                if let Some(path) = entry.get("path")
                    && let Some(text) = path.as_str()
                {
                    patches.extend(self.file_documents(&directory, text, path));
                }
                if let Some(inline) = entry.get("patch")
                    && let Some(text) = inline.as_str()
                {
                    patches.extend(self.inline_documents(text, inline, own.file));
                }
                for patch in patches {
                    if patch.as_seq().is_empty() {
                        self.strategic(&patch, target, documents, entry);
                    } else {
                        self.json6902(&patch, target, documents, entry);
                    }
                }
            }
        }
    }

    /// A `patchesStrategicMerge` entry: a file, or an inline patch.
    fn patch_documents(
        &mut self,
        directory: &Utf8Path,
        entry: &str,
        node: &YamlNode,
        file: &SourceFile,
    ) -> Vec<YamlNode> {
        if entry.contains('\n') || entry.trim_start().starts_with("apiVersion") {
            return self.inline_documents(entry, node, file);
        }
        self.file_documents(directory, entry, node)
    }

    /// [`inline_documents`] for a node of the shifted kustomization `file`.
    fn inline_documents(&self, text: &str, node: &YamlNode, file: &SourceFile) -> Vec<YamlNode> {
        let base = self.parsed.layout.base(file.id).unwrap_or(0);
        inline_documents(text, node, file, base)
    }

    fn file_documents(
        &mut self,
        directory: &Utf8Path,
        entry: &str,
        node: &YamlNode,
    ) -> Vec<YamlNode> {
        match self.tree.target(directory, entry) {
            Target::File(path) => self.parsed.documents(&path).unwrap_or_default(),
            Target::Kustomization(_) => Vec::new(),
            Target::Unread(why) => {
                self.unread(node, why);
                Vec::new()
            }
        }
    }

    /// A strategic merge patch onto the documents it targets: its own kind and name, or the
    /// entry's `target`.
    fn strategic(
        &mut self,
        patch: &YamlNode,
        target: Option<&YamlNode>,
        documents: &mut [YamlNode],
        at: &YamlNode,
    ) {
        let own = Selector::of_document(patch);
        let selector = target.map(Selector::of_target).unwrap_or(own);
        let mut matched = false;
        for document in documents.iter_mut().filter(|d| selector.matches(d)) {
            matched = true;
            merge(document, patch, 0);
        }
        // A `target` selector that selects nothing changes nothing, as in Kustomize (a component's
        // patches meet builds without their target); a patch that names its own resource and
        // finds none fails the build.
        if !matched && target.is_none() && !patch.entries().is_empty() {
            self.unread(
                at,
                "a patch whose target no resource of this build matches: what it sets is not \
                 read"
                    .to_string(),
            );
        }
    }

    /// A JSON 6902 patch (a list of operations) onto the documents `target` selects.
    fn json6902(
        &mut self,
        patch: &YamlNode,
        target: Option<&YamlNode>,
        documents: &mut [YamlNode],
        at: &YamlNode,
    ) {
        let Some(target) = target else {
            self.unread(
                at,
                "a JSON patch without a `target`: not applied".to_string(),
            );
            return;
        };
        // As for a strategic patch's selector: selecting nothing changes nothing.
        let selector = Selector::of_target(target);
        for document in documents.iter_mut().filter(|d| selector.matches(d)) {
            for operation in patch.as_seq() {
                apply_operation(document, operation);
            }
        }
    }
}

/// Appends documents up to the budget (a `List` counts as its items).
fn push_documents(documents: &mut Vec<YamlNode>, more: Vec<YamlNode>) {
    for document in more {
        if documents.len() >= MAX_DOCUMENTS {
            return;
        }
        if document.get("kind").and_then(YamlNode::as_str) == Some("List") {
            for item in document
                .get("items")
                .map(YamlNode::as_seq)
                .unwrap_or_default()
            {
                if documents.len() < MAX_DOCUMENTS {
                    documents.push(item.clone());
                }
            }
        } else if !matches!(document.value, YamlValue::Null) {
            documents.push(document);
        }
    }
}

/// A scalar with the range of `at`.
fn scalar(text: &str, at: &YamlNode) -> YamlNode {
    YamlNode {
        value: YamlValue::Scalar(text.to_string()),
        range: at.range.clone(),
    }
}

fn mapping(entries: Vec<(&str, YamlNode)>, at: &YamlNode) -> YamlNode {
    YamlNode {
        value: YamlValue::Map(
            entries
                .into_iter()
                .map(|(key, value)| (scalar(key, at), value))
                .collect(),
        ),
        range: at.range.clone(),
    }
}

/// A generated ConfigMap, at its `name` in the kustomization.
fn config_map(name: &YamlNode, data: Vec<(YamlNode, YamlNode)>) -> YamlNode {
    let data = YamlNode {
        value: YamlValue::Map(data),
        range: name.range.clone(),
    };
    mapping(
        vec![
            ("apiVersion", scalar("v1", name)),
            ("kind", scalar("ConfigMap", name)),
            ("metadata", mapping(vec![("name", name.clone())], name)),
            ("data", data),
        ],
        name,
    )
}

/// Merges (or replaces) a ConfigMap's `data`.
fn set_data(document: &mut YamlNode, data: Vec<(YamlNode, YamlNode)>, replace: bool) {
    let YamlValue::Map(entries) = &mut document.value else {
        return;
    };
    let at = entries.iter().position(|(k, _)| k.as_str() == Some("data"));
    let range = document.range.clone();
    let new = YamlNode {
        value: YamlValue::Map(data),
        range,
    };
    match at {
        Some(index) if !replace => {
            if let Some((_, existing)) = entries.get_mut(index) {
                merge(existing, &new, 0);
            }
        }
        Some(index) => {
            if let Some(entry) = entries.get_mut(index) {
                entry.1 = new;
            }
        }
        None => entries.push((scalar("data", &new), new)),
    }
}

/// The `KEY=VALUE` lines of an env or properties file, each value at its line.
fn env_entries(file: &SourceFile, layout: &Layout) -> Vec<(YamlNode, YamlNode)> {
    let base = layout.base(file.id).unwrap_or(0);
    let mut entries = Vec::new();
    let mut offset = 0usize;
    for line in file.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(['=', ':']) else {
            continue;
        };
        let key = key.trim().trim_start_matches("export ").trim();
        let value = value.trim().trim_matches(['"', '\'']);
        let at = YamlNode {
            value: YamlValue::Null,
            range: base + start..base + start + line.trim_end().len(),
        };
        entries.push((scalar(key, &at), scalar(value, &at)));
    }
    entries
}

/// The documents of an inline patch: each node at its line in the kustomization when the patch
/// is a block scalar, else at the patch's text.
fn inline_documents(text: &str, node: &YamlNode, file: &SourceFile, base: usize) -> Vec<YamlNode> {
    let inner = SourceFile::new(BUILT, file.path.clone(), std::sync::Arc::from(text));
    let Some(mut documents) = parse_documents(&inner, &mut Facts::default()) else {
        return Vec::new();
    };
    // A block scalar's content starts on the line after its indicator; its lines keep their
    // order, so the n-th line of the text is the n-th line after the indicator.
    let outer = &file.text;
    let start = node.range.start.saturating_sub(base);
    let first_line = outer
        .get(..start.min(outer.len()))
        .map(|before| before.matches('\n').count())
        .unwrap_or(0);
    // The parser's range of a block scalar starts at its indicator or at its content.
    let at_indicator = outer
        .get(start..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c == '|' || c == '>');
    let after_indicator = outer.get(..start).is_some_and(|before| {
        before
            .trim_end()
            .trim_end_matches(['-', '+', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
            .ends_with(['|', '>'])
    });
    let block = at_indicator || after_indicator;
    let first_line = if at_indicator {
        first_line + 1
    } else {
        first_line
    };
    let starts: Vec<usize> = std::iter::once(0)
        .chain(outer.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    let inner_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    for document in &mut documents {
        if block {
            relocate(document, &inner_starts, &starts, first_line, outer);
            shift(document, base);
        } else {
            place_all(document, &node.range);
        }
    }
    documents
}

/// Moves an inline patch's node to its line of the kustomization (file-relative; shifted later
/// with the kustomization's own nodes).
fn relocate(
    node: &mut YamlNode,
    inner_starts: &[usize],
    outer_starts: &[usize],
    first_line: usize,
    outer: &str,
) {
    let line = inner_starts
        .partition_point(|s| *s <= node.range.start)
        .saturating_sub(1);
    if let Some(start) = outer_starts.get(first_line + line).copied() {
        let end = outer_starts
            .get(first_line + line + 1)
            .map_or(outer.len(), |next| next.saturating_sub(1));
        let text = outer.get(start..end).unwrap_or("");
        let indent = text.len() - text.trim_start().len();
        node.range = start + indent..end.max(start + indent);
    }
    match &mut node.value {
        YamlValue::Seq(items) => items
            .iter_mut()
            .for_each(|item| relocate(item, inner_starts, outer_starts, first_line, outer)),
        YamlValue::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            relocate(k, inner_starts, outer_starts, first_line, outer);
            relocate(v, inner_starts, outer_starts, first_line, outer);
        }),
        YamlValue::Null | YamlValue::Scalar(_) => {}
    }
}

/// `commonAnnotations` on every object (a `borderline.dev/location` there places workloads).
fn annotate(own: &Kustomization<'_>, documents: &mut [YamlNode]) {
    let Some(annotations) = own.document.get("commonAnnotations") else {
        return;
    };
    if annotations.entries().is_empty() {
        return;
    }
    let patch = mapping(
        vec![(
            "metadata",
            mapping(vec![("annotations", annotations.clone())], annotations),
        )],
        annotations,
    );
    for document in documents {
        merge(document, &patch, 0);
    }
}

/// Which documents a patch applies to.
#[derive(Default)]
struct Selector {
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    labels: Vec<(String, String)>,
}

impl Selector {
    fn of_document(document: &YamlNode) -> Selector {
        let text = |path: &[&str]| {
            document
                .path(path)
                .and_then(YamlNode::as_str)
                .map(str::to_string)
        };
        Selector {
            kind: text(&["kind"]),
            name: text(&["metadata", "name"]),
            namespace: text(&["metadata", "namespace"]),
            labels: Vec::new(),
        }
    }

    fn of_target(target: &YamlNode) -> Selector {
        let text = |key: &str| {
            target
                .get(key)
                .and_then(YamlNode::as_str)
                .map(str::to_string)
        };
        let labels = text("labelSelector")
            .map(|selector| {
                selector
                    .split(',')
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| {
                        (
                            k.trim().to_string(),
                            v.trim_start_matches('=').trim().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Selector {
            kind: text("kind"),
            name: text("name"),
            namespace: text("namespace"),
            labels,
        }
    }

    fn matches(&self, document: &YamlNode) -> bool {
        let text = |path: &[&str]| document.path(path).and_then(YamlNode::as_str);
        let same = |wanted: &Option<String>, have: Option<&str>| match wanted {
            None => true,
            Some(wanted) => Some(wanted.as_str()) == have,
        };
        let name = match &self.name {
            None => true,
            Some(pattern) => {
                text(&["metadata", "name"]).is_some_and(|name| name_matches(pattern, name))
            }
        };
        same(&self.kind, text(&["kind"]))
            && name
            && (self.namespace.is_none() || same(&self.namespace, text(&["metadata", "namespace"])))
            && self.labels.iter().all(|(key, value)| {
                document
                    .path(&["metadata", "labels"])
                    .and_then(|labels| labels.get(key))
                    .and_then(YamlNode::as_str)
                    == Some(value.as_str())
            })
            && (self.kind.is_some() || self.name.is_some() || !self.labels.is_empty())
    }
}

/// Whether a target's `name` (a regular expression, anchored) matches: alternatives
/// (`(a|b)`) of names in which `.*` stands for anything; a pattern with other syntax matches
/// any name, so that what the patch sets is read rather than lost.
fn name_matches(pattern: &str, name: &str) -> bool {
    let inner = pattern.trim_start_matches('^').trim_end_matches('$');
    let inner = inner
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or(inner);
    inner.split('|').any(|alternative| {
        let glob = alternative.replace(".*", "*");
        if glob.contains(['(', ')', '[', ']', '+', '?', '{', '}', '\\', '^', '$']) {
            return true;
        }
        if !glob.contains(['*', '.']) {
            return glob == name;
        }
        let literal_dots = glob.replace('.', "?");
        globset::Glob::new(&literal_dots)
            .map(|g| g.compile_matcher().is_match(name))
            .unwrap_or(true)
    })
}

/// The keys lists of objects merge by in a strategic merge patch (containers and env by `name`,
/// volume mounts by `mountPath`, ports by `containerPort`).
const MERGE_KEYS: [&str; 3] = ["name", "mountPath", "containerPort"];

/// A strategic merge of `patch` into `base`: mappings key by key (`null` or `$patch: delete`
/// removes), lists of objects by their merge key, anything else replaced.
fn merge(base: &mut YamlNode, patch: &YamlNode, depth: usize) {
    if depth > 64 {
        return;
    }
    match (&mut base.value, &patch.value) {
        (YamlValue::Map(entries), YamlValue::Map(changes)) => {
            for (key, value) in changes {
                let Some(name) = key.as_str() else { continue };
                if name.starts_with("$patch") || name.starts_with("$setElementOrder") {
                    continue;
                }
                let position = entries.iter().position(|(k, _)| k.as_str() == Some(name));
                let delete = matches!(value.value, YamlValue::Null)
                    || value.get("$patch").and_then(YamlNode::as_str) == Some("delete");
                match (position, delete) {
                    (Some(index), true) => {
                        entries.remove(index);
                    }
                    (None, true) => {}
                    (Some(index), false) => {
                        if let Some((_, existing)) = entries.get_mut(index) {
                            merge(existing, value, depth + 1);
                        }
                    }
                    (None, false) => entries.push((key.clone(), value.clone())),
                }
            }
        }
        (YamlValue::Seq(items), YamlValue::Seq(changes)) => {
            let key = MERGE_KEYS.iter().find(|key| {
                !changes.is_empty()
                    && changes
                        .iter()
                        .all(|c| c.get(key).and_then(YamlNode::as_str).is_some())
            });
            let Some(key) = key else {
                *base = patch.clone();
                return;
            };
            for change in changes {
                let wanted = change.get(key).and_then(YamlNode::as_str);
                let position = items
                    .iter()
                    .position(|item| item.get(key).and_then(YamlNode::as_str) == wanted);
                let delete = change.get("$patch").and_then(YamlNode::as_str) == Some("delete");
                match (position, delete) {
                    (Some(index), true) => {
                        items.remove(index);
                    }
                    (None, true) => {}
                    (Some(index), false) => {
                        if let Some(item) = items.get_mut(index) {
                            merge(item, change, depth + 1);
                        }
                    }
                    (None, false) => items.push(change.clone()),
                }
            }
        }
        // A value the patch repeats (the `name` that selects it) keeps the base's place.
        (YamlValue::Scalar(old), YamlValue::Scalar(new)) if old == new => {}
        _ => *base = patch.clone(),
    }
}

/// One JSON 6902 operation (`add`, `replace`, `remove`; others are not read).
fn apply_operation(document: &mut YamlNode, operation: &YamlNode) {
    let op = operation.get("op").and_then(YamlNode::as_str).unwrap_or("");
    let Some(path) = operation.get("path").and_then(YamlNode::as_str) else {
        return;
    };
    let tokens: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, parents)) = tokens.split_last() else {
        return;
    };
    let mut node = document;
    for token in parents {
        let next = match &mut node.value {
            YamlValue::Map(entries) => entries
                .iter_mut()
                .rev()
                .find(|(k, _)| k.as_str() == Some(token.as_str()))
                .map(|(_, v)| v),
            YamlValue::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            YamlValue::Null | YamlValue::Scalar(_) => None,
        };
        let Some(next) = next else { return };
        node = next;
    }
    let value = operation.get("value");
    match (&mut node.value, op) {
        (YamlValue::Map(entries), "add" | "replace") => {
            let Some(value) = value else { return };
            match entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(last.as_str()))
            {
                Some(entry) => entry.1 = value.clone(),
                None => entries.push((scalar(last, value), value.clone())),
            }
        }
        (YamlValue::Map(entries), "remove") => {
            entries.retain(|(k, _)| k.as_str() != Some(last.as_str()));
        }
        (YamlValue::Seq(items), "add") => {
            let Some(value) = value else { return };
            match last.parse::<usize>() {
                Ok(index) if index <= items.len() => items.insert(index, value.clone()),
                _ if last == "-" => items.push(value.clone()),
                _ => {}
            }
        }
        (YamlValue::Seq(items), "replace") => {
            if let (Some(value), Ok(index)) = (value, last.parse::<usize>())
                && let Some(item) = items.get_mut(index)
            {
                *item = value.clone();
            }
        }
        (YamlValue::Seq(items), "remove") => {
            if let Ok(index) = last.parse::<usize>()
                && index < items.len()
            {
                items.remove(index);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_stay_inside_the_repository() {
        assert_eq!(
            join(Utf8Path::new("k8s/overlays/prod"), "../../base").as_deref(),
            Some(Utf8Path::new("k8s/base"))
        );
        assert_eq!(join(Utf8Path::new("k8s"), "../../etc"), None);
        assert_eq!(join(Utf8Path::new("k8s"), "/etc/passwd"), None);
        assert_eq!(
            join(Utf8Path::new(""), "./base/").as_deref(),
            Some(Utf8Path::new("base"))
        );
    }

    #[test]
    fn variant_names_are_qualified_only_when_they_clash() {
        let roots: Vec<Utf8PathBuf> = ["k8s/overlays/prod", "k8s/overlays/Dev"]
            .iter()
            .map(Utf8PathBuf::from)
            .collect();
        assert_eq!(variant_names(&roots), ["prod", "dev"]);
        let roots: Vec<Utf8PathBuf> = ["deploy/eu/prod", "deploy/us/prod", "deploy/eu/dev"]
            .iter()
            .map(Utf8PathBuf::from)
            .collect();
        assert_eq!(variant_names(&roots), ["eu/prod", "us/prod", "dev"]);
    }
}
