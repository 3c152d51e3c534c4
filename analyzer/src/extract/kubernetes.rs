//! Kubernetes manifests and Helm values: workloads as services, their region, and where their configuration sends data.
//!
//! Workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) become service
//! nodes. A workload's location comes from a `borderline.dev/location` annotation, else from a
//! `topology.kubernetes.io/region` node selector or required node affinity. Its environment
//! (`env[].value`, ConfigMaps through `configMapKeyRef`/`envFrom`; Secret values are never read)
//! and container arguments are searched for endpoints: in-cluster names become flows between
//! services, public names become host flows. Helm `values.yaml` files are walked whole: their
//! URL-valued keys are host flows from the chart (named in the sibling `Chart.yaml`).
//!
//! A values file layered over a chart's `values.yaml` (`values-prod.yaml`, `values.prod.yaml`
//! beside it, `values/prod.yaml` in a chart's directory) is a deployment variant
//! (see [`crate::facts::Variant`]): the values are merged as Helm merges `-f` files (maps
//! deeply, the overlay winning, lists and scalars replaced, `null` removing a key) and read once
//! per variant, `values.yaml` alone being the variant `default`; what every variant reads alike
//! stays free of variants. Templates are never rendered.
//!
//! Rendered manifests (what `helm template` or `kustomize build` writes) are read like any
//! manifest: multi-document files anywhere, and files under a `templates/` directory that
//! `helm template --output-dir` wrote (a `# Source:` comment, no template directive). A file
//! given with `--rendered FILE` is read as a manifest wherever it is: the way to cover a chart
//! whose templates compute the values.
//!
//! Vendor site settings (`rules/settings.toml`) are read too: a Helm value such as
//! `datadog.site`, and a vendor's own resource (a `DatadogAgent`, whose `spec.global.site` is
//! absent means the documented default site) as a service node sending to that site. An
//! OpenTelemetry Collector config held in a ConfigMap that a workload mounts as a volume is read
//! for its exporters' endpoints and sites, reported at the ConfigMap value.

use super::classify::{is_directory_app_config, is_kubernetes_yaml};
use super::regions::{LOCATION_ANNOTATION, region_location};
use super::urls::{HostCandidate, HostClass, classify_host};
use super::values::placeholder_defaults;
use super::yaml::{YamlNode, YamlValue, endpoint_strings, parse_documents};
use super::{ExtractContext, Extractor};
use crate::facts::Facts;
use crate::facts::{
    ExtractionDiagnostic, FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind, NodeRef,
    Origin,
};
use crate::rules::RuleSet;
use crate::source::{SourceFile, Span};
use camino::Utf8Path;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Node labels that name a cloud region (the second is deprecated but still common).
const REGION_LABELS: [&str; 2] = [
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/region",
];

/// Workload kinds and the path from the document to their pod spec.
const WORKLOAD_KINDS: [(&str, &[&str]); 7] = [
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("Pod", &["spec"]),
];

/// Reads Kubernetes manifests (any YAML that is not compose, an app config or a Helm template) and Helm values.
#[derive(Debug, Default)]
pub struct KubernetesExtractor;

fn is_values_file(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("");
    let stem = name.trim_end_matches(".yaml").trim_end_matches(".yml");
    stem == "values" || stem.starts_with("values-") || stem.starts_with("values.")
}

fn is_chart_file(path: &Utf8Path) -> bool {
    path.file_name() == Some("Chart.yaml") || path.file_name() == Some("Chart.yml")
}

impl Extractor for KubernetesExtractor {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn claims(&self, path: &Utf8Path) -> bool {
        is_kubernetes_yaml(path) || is_rendered_candidate(path) || is_given_rendered(path)
    }

    /// Files are parsed one at a time (in parallel) and reduced at once to what resolves names
    /// across files (workload and Service names, namespaces, ConfigMap entries, chart names) and
    /// to plans of what each workload and Helm values document emits, so no YAML tree outlives
    /// its file. The plans are then emitted against the whole cluster.
    fn extract(&self, files: &[&SourceFile], ctx: &ExtractContext<'_>) -> Facts {
        // What a Kustomize root builds is read there, over each overlay (`extract::kustomize`).
        let files: &[&SourceFile] = &super::kustomize::outside_builds(files);
        let files = &read_files(files)[..];
        let chart_dirs: BTreeSet<&Utf8Path> = files
            .iter()
            .filter(|file| is_chart_file(&file.path))
            .filter_map(|file| file.path.parent())
            .collect();
        let mut notes = Facts::default();
        let layers = values_layers(files, &chart_dirs, &mut notes);
        let mut indexed: Vec<FileIndex> = files
            .par_iter()
            .map(|file| {
                let layer = layers.contains_key(file.path.as_path());
                index_file(file, &manifest_set(&file.path, &chart_dirs), layer, ctx)
            })
            .collect();
        let mut facts = notes;
        let mut cluster = Cluster::collect(files, &mut indexed, &mut facts);
        // Each ConfigMap's Collector configs are parsed once, however many workloads mount it.
        cluster.collectors = cluster
            .config_maps
            .iter()
            .map(|(name, entries)| {
                let hosts = entries
                    .iter()
                    .flat_map(|(map_file, _, value)| {
                        collector_config_hosts(map_file, value, ctx.rules)
                    })
                    .collect();
                (name.clone(), hosts)
            })
            .collect();
        let mut charts: BTreeMap<&Utf8Path, (String, Span)> = BTreeMap::new();
        for (file, index) in files.iter().zip(&indexed) {
            if let Some(chart) = &index.chart {
                charts
                    .entry(file.path.parent().unwrap_or(Utf8Path::new("")))
                    .or_insert_with(|| chart.clone());
            }
        }
        // Workloads in (id, path) order, then Helm values in path order.
        let mut workloads: Vec<(String, &Utf8Path, Facts)> = Vec::new();
        let mut values = Facts::default();
        for (file, index) in files.iter().zip(&mut indexed) {
            for plan in std::mem::take(&mut index.plans) {
                let id = plan.node.id.clone();
                let mut own = Facts::default();
                emit_workload(plan, &cluster, ctx.rules, &mut own);
                workloads.push((id, file.path.as_path(), own));
            }
            let chart = charts
                .get(file.path.parent().unwrap_or(Utf8Path::new("")))
                .cloned();
            let set = manifest_set(&file.path, &chart_dirs);
            for plan in std::mem::take(&mut index.values) {
                emit_values(file, plan, chart.clone(), &set, &cluster, ctx, &mut values);
            }
        }
        workloads.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        for (_, _, own) in workloads {
            facts.extend(own);
        }
        facts.extend(values);
        // Charts whose values have overlays: read once per variant, in the order of their
        // directories.
        let mut groups: BTreeMap<&Utf8Path, Vec<LayerFile<'_>>> = BTreeMap::new();
        for (file, index) in files.iter().zip(&mut indexed) {
            if let Some(layer) = layers.get(file.path.as_path()) {
                groups.entry(layer.group.as_path()).or_default().push((
                    *file,
                    index.layer.take(),
                    layer,
                ));
            }
        }
        for (group, members) in groups {
            let chart = charts.get(group).cloned();
            facts.extend(emit_layered_values(
                members,
                chart,
                &chart_dirs,
                &cluster,
                ctx,
            ));
        }
        facts
    }
}

/// The files the extractor reads: every claimed file but a file under `templates/` that is not a
/// rendered manifest (a Helm template), and one the walk found that is also given with
/// `--rendered` (read once, as given).
fn read_files<'a>(files: &[&'a SourceFile]) -> Vec<&'a SourceFile> {
    let given: BTreeSet<&str> = files
        .iter()
        .filter(|file| is_given_rendered(&file.path))
        .filter_map(|file| file.path.as_str().strip_prefix("./"))
        .collect();
    files
        .iter()
        .filter(|file| {
            is_given_rendered(&file.path)
                || (!given.contains(file.path.as_str())
                    && (is_kubernetes_yaml(&file.path) || is_rendered(&file.text)))
        })
        .copied()
        .collect()
}

/// A YAML file under a `templates/` directory (outside CI configs): a Helm template, or a
/// manifest `helm template --output-dir` rendered (see [`is_rendered`]).
fn is_rendered_candidate(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        && path.components().any(|c| c.as_str() == "templates")
        && !path
            .components()
            .any(|c| [".github", ".circleci"].contains(&c.as_str()))
}

/// How many lines from the top a rendered manifest's `# Source:` comment is looked for.
const SOURCE_COMMENT_LINES: usize = 8;

/// Text that `helm template` wrote: a `# Source: CHART/templates/FILE` comment near the top and
/// no template directive left.
fn is_rendered(text: &str) -> bool {
    text.lines()
        .take(SOURCE_COMMENT_LINES)
        .any(|line| line.starts_with("# Source: "))
        && !text.contains("{{")
}

/// A file given with `--rendered FILE` (a YAML file named as the scan names given inputs:
/// `./PATH` inside the root, `../PATH` or absolute outside it, which no walked file is named).
fn is_given_rendered(path: &Utf8Path) -> bool {
    let text = path.as_str();
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    (text.starts_with("./") || text.starts_with("../") || text.starts_with('/'))
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

/// A values file layered over a chart's values: the directory of the chart's values (`group`)
/// and the variant it makes, `None` for the `values.yaml` every variant starts from.
#[derive(Debug)]
struct Layer {
    group: camino::Utf8PathBuf,
    variant: Option<String>,
}

/// The most overlays of one chart read as variants.
const MAX_OVERLAYS: usize = 64;

/// The most bytes of values files (the chart's `values.yaml` once per overlay, and the
/// overlays) one chart's variants are merged from.
const MAX_LAYERED_BYTES: usize = 32 << 20;

/// A layer's file, its first document (`None` when it does not parse), and its place.
type LayerFile<'a> = (&'a SourceFile, Option<YamlNode>, &'a Layer);

/// The name of the variant `values.yaml` alone makes, unless an overlay takes it.
const BASE_VARIANT: &str = "default";

/// The values files that are layers of a chart's values, by path: in each directory with a
/// `values-NAME.yaml`, `values.NAME.yaml`, or (in a chart's directory, beside its `Chart.yaml`)
/// a `values/NAME.yaml`, those overlays and the `values.yaml` beside them (a chart's test
/// values, `values/*.yaml` beside a `values.yaml` with no chart, are not overlays). Overlays
/// need a `Chart.yaml` or a `values.yaml` in their directory. A `values.yaml` with no
/// overlay is not a layer: it is read alone, as always. Two overlays of one directory that would
/// make one name are named by their paths in it instead.
///
/// Each variant holds a merged copy of the chart's values: a chart has at most
/// [`MAX_OVERLAYS`] overlays and [`MAX_LAYERED_BYTES`] of values read so; the overlays past
/// either are read alone, in every variant, with an `input-error` note.
fn values_layers<'a>(
    files: &[&'a SourceFile],
    chart_dirs: &BTreeSet<&Utf8Path>,
    notes: &mut Facts,
) -> BTreeMap<&'a Utf8Path, Layer> {
    let stem = |path: &Utf8Path| {
        let name = path.file_name().unwrap_or("");
        name.strip_suffix(".yaml")
            .or_else(|| name.strip_suffix(".yml"))
            .map(str::to_string)
    };
    let bases: BTreeMap<&Utf8Path, &'a Utf8Path> = files
        .iter()
        .filter(|file| stem(&file.path).as_deref() == Some("values"))
        .filter_map(|file| Some((file.path.parent()?, file.path.as_path())))
        .collect();
    let sizes: BTreeMap<&Utf8Path, usize> = files
        .iter()
        .map(|file| (file.path.as_path(), file.text.len()))
        .collect();
    let size = |path: &Utf8Path| sizes.get(path).copied().unwrap_or(0);
    // (group, path, name, path in the group without its extension)
    let mut overlays: Vec<(&Utf8Path, &'a Utf8Path, String, String)> = Vec::new();
    // Per group: how many overlays and bytes of merged values so far.
    let mut budget: BTreeMap<&Utf8Path, (usize, usize)> = BTreeMap::new();
    let mut noted: BTreeSet<&Utf8Path> = BTreeSet::new();
    for file in files {
        let path = file.path.as_path();
        let (Some(parent), Some(stem)) = (path.parent(), stem(path)) else {
            continue;
        };
        if stem == "values" {
            continue;
        }
        let named = stem
            .strip_prefix("values-")
            .or_else(|| stem.strip_prefix("values."));
        let found = match named {
            Some(name) => Some((parent, name.to_string(), stem.clone())),
            None => parent
                .parent()
                .filter(|chart| parent.file_name() == Some("values") && chart_dirs.contains(chart))
                .map(|chart| (chart, stem.clone(), format!("values/{stem}"))),
        };
        // Overlays with neither a chart nor a `values.yaml` beside them may as well be values
        // of several releases deployed side by side (`values-daemonset.yaml` and
        // `values-deployment.yaml` of one collector chart): read alone, in every variant.
        if let Some((group, name, qualified)) = found
            && !name.is_empty()
            && (chart_dirs.contains(group) || bases.contains_key(group))
        {
            let base = bases.get(group).map(|b| size(b)).unwrap_or(0);
            let (count, bytes) = budget.entry(group).or_default();
            *count += 1;
            *bytes = bytes.saturating_add(base).saturating_add(size(path));
            if *count > MAX_OVERLAYS || *bytes > MAX_LAYERED_BYTES {
                // Once per chart: the counts only grow.
                if noted.insert(group) {
                    notes.input_error(
                        Some(file.line_span(1)),
                        None,
                        format!(
                            "helm values: `{group}` has more overlays than are read as deployment variants (at most {MAX_OVERLAYS}, {} MiB of values in all); `{path}` and those after it are read alone, in every variant",
                            MAX_LAYERED_BYTES >> 20
                        ),
                    );
                }
                continue;
            }
            overlays.push((group, path, name.to_ascii_lowercase(), qualified));
        }
    }
    let mut names: BTreeMap<(&Utf8Path, &str), usize> = BTreeMap::new();
    for (group, _, name, _) in &overlays {
        *names.entry((group, name.as_str())).or_default() += 1;
    }
    let mut layers = BTreeMap::new();
    for (group, path, name, qualified) in &overlays {
        let same = names.get(&(*group, name.as_str())).copied().unwrap_or(0);
        let variant = if same > 1 {
            qualified.to_ascii_lowercase()
        } else {
            name.clone()
        };
        layers.insert(
            *path,
            Layer {
                group: group.to_path_buf(),
                variant: Some(variant),
            },
        );
    }
    for (group, path) in bases {
        if overlays.iter().any(|(g, _, _, _)| *g == group) {
            layers.insert(
                path,
                Layer {
                    group: group.to_path_buf(),
                    variant: None,
                },
            );
        }
    }
    layers
}

/// The values of one chart read once per variant (see [`values_layers`]): `values.yaml` alone
/// (the variant `default`) and each overlay merged over it, collapsed by
/// [`Facts::from_variants`].
fn emit_layered_values(
    members: Vec<LayerFile<'_>>,
    chart: Option<(String, Span)>,
    chart_dirs: &BTreeSet<&Utf8Path>,
    cluster: &Cluster<'_>,
    ctx: &ExtractContext<'_>,
) -> Facts {
    let base = members.iter().find(|(_, _, layer)| layer.variant.is_none());
    let overlays: Vec<_> = members
        .iter()
        .filter_map(|(file, tree, layer)| Some((layer.variant.as_deref()?, *file, tree)))
        .collect();
    // The file the chart's node is named and reported from in every variant, so that it is one
    // node: `values.yaml`, else the first overlay.
    let Some(anchor) = base
        .map(|(file, _, _)| *file)
        .or_else(|| overlays.first().map(|(_, file, _)| *file))
    else {
        return Facts::default();
    };
    let set = manifest_set(&anchor.path, chart_dirs);
    let base_name = if overlays.iter().any(|(name, _, _)| *name == BASE_VARIANT) {
        "values"
    } else {
        BASE_VARIANT
    };
    // (variant, the file that makes it, the values files it reads in order, with their trees)
    type Stack<'s> = Vec<(&'s SourceFile, &'s Option<YamlNode>)>;
    let mut reads: Vec<(&str, &SourceFile, Stack<'_>)> = Vec::new();
    if let Some((file, tree, _)) = base {
        reads.push((base_name, *file, vec![(*file, tree)]));
    }
    for (name, file, tree) in &overlays {
        let mut stack: Stack<'_> = Vec::new();
        if let Some((base_file, base_tree, _)) = base {
            stack.push((*base_file, base_tree));
        }
        stack.push((*file, *tree));
        reads.push((name, *file, stack));
    }
    let per_variant = reads
        .into_iter()
        .map(|(name, file, stack)| {
            let layers = Layers::new(anchor, stack.iter().map(|(file, _)| *file).collect());
            let mut merged: Option<YamlNode> = None;
            for (index, (_, tree)) in stack.iter().enumerate() {
                let Some(tree) = tree else { continue };
                let shifted = shifted(tree, layers.offset(index));
                match &mut merged {
                    Some(merged) => merge_values(merged, shifted),
                    None => merged = Some(shifted),
                }
            }
            let mut facts = Facts::default();
            if let Some(merged) = merged {
                let plan = plan_values(&merged, &|node| layers.span(node), ctx);
                emit_values(anchor, plan, chart.clone(), &set, cluster, ctx, &mut facts);
            }
            let variant = crate::facts::Variant {
                name: name.to_string(),
                span: file.line_span(1),
                source: "helm values".to_string(),
            };
            (variant, facts)
        })
        .collect();
    Facts::from_variants(per_variant)
}

/// Values files merged into one tree: each file's byte ranges are shifted past the files before
/// it, so that a node of the merged tree says which file set it.
struct Layers<'a> {
    /// Each file and the offset its ranges are shifted by.
    files: Vec<(&'a SourceFile, usize)>,
    /// Where a node is reported when there are no files (never, as used).
    anchor: &'a SourceFile,
}

impl<'a> Layers<'a> {
    fn new(anchor: &'a SourceFile, files: Vec<&'a SourceFile>) -> Layers<'a> {
        let mut offset = 0usize;
        let files = files
            .into_iter()
            .map(|file| {
                let at = offset;
                offset = offset.saturating_add(file.text.len()).saturating_add(1);
                (file, at)
            })
            .collect();
        Layers { files, anchor }
    }

    fn offset(&self, index: usize) -> usize {
        self.files.get(index).map(|(_, at)| *at).unwrap_or(0)
    }

    /// The span of a merged node in the file that set it.
    fn span(&self, node: &YamlNode) -> Span {
        let start = node.range.start;
        let found = self
            .files
            .iter()
            .rev()
            .find(|(_, at)| *at <= start)
            .or(self.files.first());
        let Some((file, at)) = found else {
            return node.span(self.anchor);
        };
        let local = YamlNode {
            value: YamlValue::Null,
            range: start.saturating_sub(*at)..node.range.end.saturating_sub(*at),
        };
        local.span(file)
    }
}

/// A copy of `node` with every byte range moved by `by`.
fn shifted(node: &YamlNode, by: usize) -> YamlNode {
    let value = match &node.value {
        YamlValue::Null => YamlValue::Null,
        YamlValue::Scalar(text) => YamlValue::Scalar(text.clone()),
        YamlValue::Seq(items) => YamlValue::Seq(items.iter().map(|i| shifted(i, by)).collect()),
        YamlValue::Map(entries) => YamlValue::Map(
            entries
                .iter()
                .map(|(k, v)| (shifted(k, by), shifted(v, by)))
                .collect(),
        ),
    };
    YamlNode {
        value,
        range: node.range.start.saturating_add(by)..node.range.end.saturating_add(by),
    }
}

/// Merges an overlay into values as Helm merges `-f` files: mappings key by key, recursively;
/// anything else (a list, a scalar) replaced; a `null` in the overlay removes the key. An empty
/// overlay changes nothing.
fn merge_values(base: &mut YamlNode, overlay: YamlNode) {
    let YamlNode { value, range } = overlay;
    match value {
        YamlValue::Null => {}
        YamlValue::Map(over) if matches!(base.value, YamlValue::Map(_)) => {
            let YamlValue::Map(entries) = &mut base.value else {
                return;
            };
            for (key, value) in over {
                let name = key.as_str().map(str::to_string);
                let at = name
                    .as_deref()
                    .and_then(|n| entries.iter().rposition(|(k, _)| k.as_str() == Some(n)));
                match (at, &value.value) {
                    (Some(_), YamlValue::Null) => {
                        entries.retain(|(k, _)| k.as_str() != name.as_deref());
                    }
                    (None, YamlValue::Null) => {}
                    (Some(at), YamlValue::Map(_))
                        if matches!(entries[at].1.value, YamlValue::Map(_)) =>
                    {
                        merge_values(&mut entries[at].1, value);
                    }
                    (Some(at), _) => entries[at] = (key, value),
                    (None, _) => entries.push((key, value)),
                }
            }
        }
        value => *base = YamlNode { value, range },
    }
}

/// A workload found in a manifest.
struct Workload<'a> {
    id: String,
    name: String,
    file: &'a SourceFile,
    document: &'a YamlNode,
    pod_spec: &'a YamlNode,
    labels: BTreeMap<String, String>,
    /// Its manifest set and namespace (see [`manifest_set`]).
    place: Place,
}

/// Where a Kubernetes object is declared: its manifest set (see [`manifest_set`]) and its
/// `metadata.namespace`, `None` when the manifest leaves it to `kubectl -n` (or writes `default`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    set: String,
    namespace: Option<String>,
}

impl Place {
    /// The scope of the nodes and flows declared here (see [`NodeFact::scope`]):
    /// `kubernetes:SET`, with `#NAMESPACE` for a namespace the manifest names.
    fn scope(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!("{SCOPE}:{}#{namespace}", self.set),
            None => format!("{SCOPE}:{}", self.set),
        }
    }

    /// Whether an object here can be reached under `namespace` (a host names the namespace, or
    /// the caller's own): an unnamed namespace on either side is whichever one `kubectl -n`
    /// chooses, so it matches.
    fn answers(&self, namespace: Option<&str>) -> bool {
        match (&self.namespace, namespace) {
            (Some(own), Some(wanted)) => own == wanted,
            _ => true,
        }
    }
}

/// The manifest set of a file: the directory of the nearest enclosing Helm chart (a `Chart.yaml`),
/// else the top-level directory of the repository it sits in (`k8s`, `deploy`), `.` for a file
/// at the root. Names resolve within one set: two charts of a chart collection that both define
/// `redis` deploy two Redis instances. A Kustomize base and its overlays sit under one top-level
/// directory, so they stay one set and an overlay's patch names the base's workload.
///
/// A manifest given with `--rendered` from outside the root is a set of its own, named by its
/// path; one given inside it (`./PATH`) is placed as if walked.
fn manifest_set(path: &Utf8Path, chart_dirs: &BTreeSet<&Utf8Path>) -> String {
    if is_given_rendered(path) {
        match path.as_str().strip_prefix("./") {
            Some(inside) => return manifest_set(Utf8Path::new(inside), chart_dirs),
            None => return path.to_string(),
        }
    }
    let parent = path.parent().unwrap_or(Utf8Path::new(""));
    if let Some(chart) = parent.ancestors().find(|dir| chart_dirs.contains(dir)) {
        return if chart.as_str().is_empty() {
            ".".to_string()
        } else {
            chart.to_string()
        };
    }
    match parent.components().next() {
        Some(first) => first.as_str().to_string(),
        None => ".".to_string(),
    }
}

/// The namespace a document names, `None` for none or `default`.
fn document_namespace(document: &YamlNode) -> Option<String> {
    document
        .path(&["metadata", "namespace"])
        .and_then(YamlNode::as_str)
        .filter(|namespace| !namespace.is_empty() && *namespace != "default")
        .map(str::to_string)
}

/// What one manifest defines.
#[derive(Default)]
struct Scanned<'a> {
    workloads: Vec<Workload<'a>>,
    /// Service name, selector and where it is declared.
    services: Vec<(String, BTreeMap<String, String>, Place)>,
    namespaces: Vec<String>,
    /// ConfigMap name, and a key and value of its `data`.
    config_maps: Vec<(String, &'a YamlNode, &'a YamlNode)>,
}

/// The workloads, Services, namespaces and ConfigMaps of one manifest, in document order.
fn scan_documents<'a>(
    file: &'a SourceFile,
    documents: &'a [YamlNode],
    set: &str,
    ctx: &ExtractContext<'_>,
) -> Scanned<'a> {
    let mut scanned = Scanned::default();
    if is_values_file(&file.path) || is_chart_file(&file.path) {
        return scanned;
    }
    // A node that claims the file through `paths` names its workload, when there is only one.
    let file_workloads = documents
        .iter()
        .filter(|d| workload_spec_path(d).is_some())
        .count();
    let owner = ctx
        .owners
        .owner_of(&file.path)
        .filter(|_| file_workloads == 1);
    for document in documents.iter().flat_map(expand_list) {
        let kind = document
            .get("kind")
            .and_then(YamlNode::as_str)
            .unwrap_or("");
        let Some(name) = document
            .path(&["metadata", "name"])
            .and_then(YamlNode::as_str)
        else {
            continue;
        };
        if let Some(namespace) = document
            .path(&["metadata", "namespace"])
            .and_then(YamlNode::as_str)
        {
            scanned.namespaces.push(namespace.to_string());
        }
        let place = Place {
            set: set.to_string(),
            namespace: document_namespace(document),
        };
        match kind {
            "Service" => {
                let selector: BTreeMap<String, String> = document
                    .path(&["spec", "selector"])
                    .map(string_map)
                    .unwrap_or_default();
                scanned.services.push((name.to_string(), selector, place));
            }
            "ConfigMap" => {
                if let Some(data) = document.get("data") {
                    for (key, value) in data.entries() {
                        scanned.config_maps.push((name.to_string(), key, value));
                    }
                }
            }
            _ => {
                let Some(path) = workload_spec_path(document) else {
                    continue;
                };
                let Some(pod_spec) = document.path(path) else {
                    continue;
                };
                let template_labels = match kind {
                    "Pod" => document.path(&["metadata", "labels"]),
                    "CronJob" => document.path(&[
                        "spec",
                        "jobTemplate",
                        "spec",
                        "template",
                        "metadata",
                        "labels",
                    ]),
                    _ => document.path(&["spec", "template", "metadata", "labels"]),
                };
                scanned.workloads.push(Workload {
                    id: owner.unwrap_or(name).to_string(),
                    name: name.to_string(),
                    file,
                    document,
                    pod_spec,
                    labels: template_labels.map(string_map).unwrap_or_default(),
                    place,
                });
            }
        }
    }
    scanned
}

/// What the first pass keeps of one file: owned, small, and no syntax tree.
#[derive(Default)]
struct FileIndex {
    parsed: bool,
    /// Parse errors.
    errors: Facts,
    /// (id, name, pod labels, where) of each workload.
    workloads: Vec<(String, String, BTreeMap<String, String>, Place)>,
    services: Vec<(String, BTreeMap<String, String>, Place)>,
    namespaces: Vec<String>,
    config_maps: Vec<(String, YamlNode, YamlNode)>,
    /// The chart's name and where it is, for a `Chart.yaml`.
    chart: Option<(String, Span)>,
    /// Workloads to emit, in document order.
    plans: Vec<WorkloadPlan>,
    /// Helm values documents to emit, in order.
    values: Vec<ValuesPlan>,
    /// For a layer of a chart's values (see [`values_layers`]): its first document, merged with
    /// the other layers once every file is indexed.
    layer: Option<YamlNode>,
}

fn index_file(file: &SourceFile, set: &str, layer: bool, ctx: &ExtractContext<'_>) -> FileIndex {
    let mut index = FileIndex::default();
    // A Rails config (`config/database.yml`) is ERB before it is YAML: never a manifest, and its
    // template tags are no syntax error. The env extractor reads it.
    if is_directory_app_config(&file.path) && file.text.contains("<%") {
        return index;
    }
    let Some(documents) = parse_documents(file, &mut index.errors) else {
        return index;
    };
    index.parsed = true;
    if is_chart_file(&file.path) {
        index.chart = documents.first().and_then(|document| {
            let name = document.get("name")?;
            Some((name.as_str()?.to_string(), name.span(file)))
        });
    }
    if layer {
        index.layer = documents.into_iter().next();
        return index;
    }
    if is_values_file(&file.path) {
        index.values = documents
            .iter()
            .map(|document| plan_values(document, &|node| node.span(file), ctx))
            .collect();
    }
    let scanned = scan_documents(file, &documents, set, ctx);
    index.plans = scanned
        .workloads
        .iter()
        .map(|workload| plan_workload(workload, ctx))
        .collect();
    if !is_values_file(&file.path) && !is_chart_file(&file.path) {
        for document in documents.iter().flat_map(expand_list) {
            index
                .plans
                .extend(plan_vendor_resource(file, document, set, ctx));
        }
    }
    index.workloads = scanned
        .workloads
        .into_iter()
        .map(|w| (w.id, w.name, w.labels, w.place))
        .collect();
    index.services = scanned.services;
    index.namespaces = scanned.namespaces;
    index.config_maps = scanned
        .config_maps
        .into_iter()
        .map(|(name, key, value)| (name, key.clone(), value.clone()))
        .collect();
    index
}

/// (manifest set, Service or workload name) -> the namespaces it is declared in (see [`Place`])
/// and the workload id it reaches there, in declaration order.
type Names = BTreeMap<(String, String), Vec<(Option<String>, String)>>;

/// A workload as the cluster index sees it: id, file, name, pod labels, where it is declared.
type IndexedWorkload<'a> = (
    &'a String,
    &'a Utf8Path,
    &'a String,
    &'a BTreeMap<String, String>,
    &'a Place,
);

/// What the scanned manifests define, for resolving in-cluster names and ConfigMap references.
struct Cluster<'a> {
    /// (manifest set, Service or workload name) -> the namespaces it is declared in (see
    /// [`Place`]) and the workload id it reaches there, in declaration order.
    names: Names,
    namespaces: BTreeSet<String>,
    /// ConfigMap name -> its `data` entries with the file they are in.
    config_maps: BTreeMap<String, Vec<(&'a SourceFile, YamlNode, YamlNode)>>,
    /// ConfigMap name -> the hosts the OpenTelemetry Collector configs in it name, and where.
    collectors: BTreeMap<String, Vec<(HostCandidate, Span)>>,
}

impl<'a> Cluster<'a> {
    /// Builds the index from every file's first pass, moving parse errors into `facts`.
    fn collect(
        files: &[&'a SourceFile],
        indexed: &mut [FileIndex],
        facts: &mut Facts,
    ) -> Cluster<'a> {
        let mut services = Vec::new();
        let mut namespaces = BTreeSet::new();
        let mut config_maps: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for (file, index) in files.iter().zip(indexed.iter_mut()) {
            facts.extend(std::mem::take(&mut index.errors));
            services.append(&mut index.services);
            namespaces.extend(std::mem::take(&mut index.namespaces));
            for (name, key, value) in std::mem::take(&mut index.config_maps) {
                config_maps
                    .entry(name)
                    .or_default()
                    .push((*file, key, value));
            }
        }
        let mut workloads: Vec<IndexedWorkload<'_>> = Vec::new();
        for (file, index) in files.iter().zip(indexed.iter()) {
            for (id, name, labels, place) in &index.workloads {
                workloads.push((id, file.path.as_path(), name, labels, place));
            }
        }
        workloads.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut names: Names = BTreeMap::new();
        for (id, _, name, _, place) in &workloads {
            let entries = names
                .entry((place.set.clone(), (*name).clone()))
                .or_default();
            if !entries.iter().any(|(ns, _)| *ns == place.namespace) {
                entries.push((place.namespace.clone(), (*id).clone()));
            }
        }
        // A Service reaches the workloads of its own manifest set and namespace whose pod labels
        // its selector matches.
        for (service, selector, place) in services {
            let target = workloads
                .iter()
                .find(|(_, _, _, labels, at)| {
                    at.set == place.set
                        && at.answers(place.namespace.as_deref())
                        && !selector.is_empty()
                        && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
                })
                .map(|(id, _, _, _, _)| (*id).clone())
                .or_else(|| {
                    lookup(&names, &place.set, &service, place.namespace.as_deref()).cloned()
                });
            if let Some(target) = target {
                let entries = names.entry((place.set.clone(), service)).or_default();
                match entries.iter_mut().find(|(ns, _)| *ns == place.namespace) {
                    Some(entry) => entry.1 = target,
                    None => entries.push((place.namespace.clone(), target)),
                }
            }
        }
        Cluster {
            names,
            namespaces,
            config_maps,
            collectors: BTreeMap::new(),
        }
    }

    /// What an in-cluster name means to a caller declared at `from`: a workload of the caller's
    /// manifest set (in the namespace the host names, else the caller's own), an internal name of
    /// no interest, or an outside host. Another set's workload of that name is another deployment.
    fn classify(&self, host: &str, from: &Place) -> HostKind {
        let labels: Vec<&str> = host.split('.').collect();
        let first = labels.first().copied().unwrap_or("");
        let qualified = (labels.len() == 2 && self.namespaces.contains(labels[1]))
            || host.ends_with(".svc")
            || host.contains(".svc.");
        let in_cluster = labels.len() == 1
            || host.ends_with(".svc")
            || host.contains(".svc.")
            || host.ends_with(".cluster.local")
            || (labels.len() == 2 && self.namespaces.contains(labels[1]));
        let namespace = if qualified {
            labels.get(1).copied().filter(|ns| *ns != "svc")
        } else {
            from.namespace.as_deref()
        };
        if in_cluster && let Some(id) = lookup(&self.names, &from.set, first, namespace) {
            return HostKind::Workload(id.clone());
        }
        if in_cluster || classify_host(host) != HostClass::Public {
            return HostKind::Internal;
        }
        HostKind::External
    }
}

/// The workload a name reaches in a manifest set, seen from `namespace` (see [`Place::answers`]).
fn lookup<'n>(
    names: &'n Names,
    set: &str,
    name: &str,
    namespace: Option<&str>,
) -> Option<&'n String> {
    names
        .get(&(set.to_string(), name.to_string()))?
        .iter()
        .find(|(own, _)| match (own, namespace) {
            (Some(own), Some(wanted)) => own == wanted,
            _ => true,
        })
        .map(|(_, id)| id)
}

enum HostKind {
    Workload(String),
    Internal,
    External,
}

fn workload_spec_path(document: &YamlNode) -> Option<&'static [&'static str]> {
    let kind = document.get("kind").and_then(YamlNode::as_str)?;
    WORKLOAD_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, path)| *path)
}

/// A `kind: List` holds its objects in `items`.
fn expand_list(document: &YamlNode) -> Vec<&YamlNode> {
    if document.get("kind").and_then(YamlNode::as_str) == Some("List") {
        document
            .get("items")
            .map(|items| items.as_seq().iter().collect())
            .unwrap_or_default()
    } else {
        vec![document]
    }
}

fn string_map(node: &YamlNode) -> BTreeMap<String, String> {
    node.entries()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
        .collect()
}

/// What the first pass keeps of a workload, to emit it once every file is indexed.
struct WorkloadPlan {
    node: NodeFact,
    /// A `borderline.dev/location` annotation rule data does not know: a person's mistake.
    written_location: Option<ExtractionDiagnostic>,
    /// Where its configuration values come from, in the order they are read.
    sources: Vec<ValueSource>,
    /// Where it is declared, for the names its values use.
    place: Place,
}

enum ValueSource {
    /// A string in the workload's own manifest (an `env` value, an argument): key, text, where.
    Text {
        key: String,
        text: String,
        span: Span,
    },
    /// One key of a ConfigMap (`configMapKeyRef`), read under the variable `key`.
    MapKey {
        key: String,
        map: String,
        wanted: String,
    },
    /// Every key of a ConfigMap (`envFrom`).
    MapAll { map: String },
    /// A vendor host a resource's site setting names (`rules/settings.toml`), and where.
    Host { host: String, span: Span },
    /// A ConfigMap mounted as a volume: an OpenTelemetry Collector config in it is read.
    MapFiles { map: String },
}

fn plan_workload(workload: &Workload<'_>, ctx: &ExtractContext<'_>) -> WorkloadPlan {
    let file = workload.file;
    let mut node = NodeFact::new(workload.id.clone(), Origin::Kubernetes);
    node.kind = Some(NodeKind::Service);
    node.scope = Some(workload.place.scope());
    node.span = workload
        .document
        .path(&["metadata", "name"])
        .map(|n| n.span(file));
    node.location = workload_location(workload, ctx.rules);
    let written_location = annotation_location(workload)
        .and_then(|located| super::annotation::written_location_error(&located, ctx.rules));
    // The images its containers run (not init containers, which often run a tool before it):
    // an image built by this repository names the same code as a compose service running it.
    node.images = workload
        .pod_spec
        .get("containers")
        .map(YamlNode::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|container| container.get("image").and_then(YamlNode::as_str))
        .map(str::to_string)
        .collect();

    let text = |key: &str, value: &YamlNode| {
        value.as_str().map(|text| ValueSource::Text {
            key: key.to_string(),
            text: text.to_string(),
            span: value.span(file),
        })
    };
    let mut sources = Vec::new();
    for list in ["initContainers", "containers"] {
        for container in workload
            .pod_spec
            .get(list)
            .map(YamlNode::as_seq)
            .unwrap_or_default()
        {
            for env in container
                .get("env")
                .map(YamlNode::as_seq)
                .unwrap_or_default()
            {
                let key = env.get("name").and_then(YamlNode::as_str).unwrap_or("");
                if let Some(value) = env.get("value") {
                    sources.extend(text(key, value));
                }
                // Only ConfigMaps are read: a Secret's values are never opened.
                if let Some(reference) = env.path(&["valueFrom", "configMapKeyRef"]) {
                    let field = |name: &str| {
                        reference
                            .get(name)
                            .and_then(YamlNode::as_str)
                            .unwrap_or("")
                            .to_string()
                    };
                    sources.push(ValueSource::MapKey {
                        key: key.to_string(),
                        map: field("name"),
                        wanted: field("key"),
                    });
                }
            }
            for source in container
                .get("envFrom")
                .map(YamlNode::as_seq)
                .unwrap_or_default()
            {
                if let Some(map) = source
                    .path(&["configMapRef", "name"])
                    .and_then(YamlNode::as_str)
                {
                    sources.push(ValueSource::MapAll {
                        map: map.to_string(),
                    });
                }
            }
            // Arguments such as `--collector=https://...` only count as full URLs.
            for list in ["args", "command"] {
                for arg in container
                    .get(list)
                    .map(YamlNode::as_seq)
                    .unwrap_or_default()
                {
                    sources.extend(text("", arg));
                }
            }
        }
    }
    for volume in workload
        .pod_spec
        .get("volumes")
        .map(YamlNode::as_seq)
        .unwrap_or_default()
    {
        if let Some(map) = volume
            .path(&["configMap", "name"])
            .and_then(YamlNode::as_str)
        {
            sources.push(ValueSource::MapFiles {
                map: map.to_string(),
            });
        }
    }
    WorkloadPlan {
        node,
        written_location,
        sources,
        place: workload.place.clone(),
    }
}

/// The hosts an OpenTelemetry Collector config held in a ConfigMap value names (a document with
/// top-level `exporters`), all reported at the value: its exporters' endpoints and vendor sites.
fn collector_config_hosts(
    map_file: &SourceFile,
    value: &YamlNode,
    rules: &RuleSet,
) -> Vec<(HostCandidate, Span)> {
    let Some(text) = value.as_str().filter(|t| t.contains("exporters")) else {
        return Vec::new();
    };
    let embedded = SourceFile::new(
        map_file.id,
        map_file.path.clone(),
        std::sync::Arc::from(text),
    );
    // The embedded text is not the file's: its syntax errors are the Collector's to report.
    let Some(document) = super::yaml::parse_document(&embedded, &mut Facts::default()) else {
        return Vec::new();
    };
    if document.get("exporters").is_none() {
        return Vec::new();
    }
    let span = value.span(map_file);
    let mut found = Vec::new();
    let settled = super::yaml::setting_hosts(&document, rules.settings(), &mut |host, _| {
        found.push((
            HostCandidate {
                host,
                from_url: true,
                range: 0..0,
            },
            span,
        ));
    });
    endpoint_strings(&document, rules, &mut |key, node| {
        if settled.contains(&node.range.start) {
            return;
        }
        let Some(text) = node.as_str().and_then(placeholder_defaults) else {
            return;
        };
        for candidate in super::urls::candidates(rules.settings(), key, &text) {
            found.push((candidate, span));
        }
    });
    found
}

fn emit_workload(plan: WorkloadPlan, cluster: &Cluster<'_>, rules: &RuleSet, facts: &mut Facts) {
    let id = plan.node.id.clone();
    facts.nodes.push(plan.node);
    facts.diagnostics.extend(plan.written_location);
    let mut values: Vec<(&str, &str, Span)> = Vec::new();
    let mut hosts: Vec<(HostCandidate, Span)> = Vec::new();
    for source in &plan.sources {
        let maps = |map: &str| cluster.config_maps.get(map).into_iter().flatten();
        match source {
            ValueSource::Text { key, text, span } => values.push((key, text, *span)),
            ValueSource::MapKey { key, map, wanted } => {
                for (map_file, map_key, map_value) in maps(map) {
                    if map_key.as_str() == Some(wanted.as_str())
                        && let Some(text) = map_value.as_str()
                    {
                        values.push((key, text, map_value.span(map_file)));
                    }
                }
            }
            ValueSource::Host { host, span } => hosts.push((
                HostCandidate {
                    host: host.clone(),
                    from_url: true,
                    range: 0..0,
                },
                *span,
            )),
            ValueSource::MapFiles { map } => {
                hosts.extend(cluster.collectors.get(map).into_iter().flatten().cloned());
            }
            ValueSource::MapAll { map } => {
                for (map_file, map_key, map_value) in maps(map) {
                    if let Some(text) = map_value.as_str() {
                        let key = map_key.as_str().unwrap_or("");
                        values.push((key, text, map_value.span(map_file)));
                    }
                }
            }
        }
    }
    let mut seen = BTreeSet::new();
    let named = values.into_iter().flat_map(|(key, text, span)| {
        super::urls::candidates(rules.settings(), key, text)
            .into_iter()
            .filter(move |candidate| !key.is_empty() || candidate.from_url)
            .map(move |candidate| (candidate, span))
    });
    for (candidate, span) in hosts.into_iter().chain(named) {
        if let Some(flow) = flow_for(&id, &candidate, span, cluster, &plan.place)
            && seen.insert((span, candidate.host.clone()))
        {
            facts.flows.push(flow);
        }
    }
}

/// A vendor's own resource (a `DatadogAgent`) whose settings name the site it sends to
/// (`rules/settings.toml`): a service node named after the resource, sending to the site's host;
/// a setting absent from the resource takes the vendor's documented default, reported at `kind`.
fn plan_vendor_resource(
    file: &SourceFile,
    document: &YamlNode,
    set: &str,
    ctx: &ExtractContext<'_>,
) -> Option<WorkloadPlan> {
    let api_version = document.get("apiVersion").and_then(YamlNode::as_str)?;
    let kind_node = document.get("kind")?;
    let kind = kind_node.as_str()?;
    let settings = ctx.rules.settings().for_resource(api_version, kind);
    if settings.is_empty() {
        return None;
    }
    let name = document.path(&["metadata", "name"])?;
    let mut id = ctx
        .owners
        .owner_of(&file.path)
        .unwrap_or(name.as_str()?)
        .to_string();
    // A `DatadogAgent` is often named `datadog`, the vendor's own node id: the workload it
    // deploys must stay a node of its own, so it takes its kind as a suffix.
    if ctx.rules.vendors().any(|v| v.id == id) {
        id = format!("{id}-{}", kind.to_ascii_lowercase());
    }
    let mut node = NodeFact::new(id, Origin::Kubernetes);
    node.kind = Some(NodeKind::Service);
    let place = Place {
        set: set.to_string(),
        namespace: document_namespace(document),
    };
    node.scope = Some(place.scope());
    node.span = Some(name.span(file));
    let mut sources = Vec::new();
    for setting in settings {
        let mut found = false;
        for path in &setting.paths {
            let keys: Vec<&str> = path.iter().map(String::as_str).collect();
            let Some(value) = path_ignoring_case(document, &keys) else {
                continue;
            };
            found = true;
            // A value the setting does not know (a template, a placeholder) is unknown: no host.
            if let Some(host) = value.as_str().and_then(|text| setting.host_for(text)) {
                sources.push(ValueSource::Host {
                    host,
                    span: value.span(file),
                });
            }
        }
        if !found && let Some(host) = setting.default_host() {
            sources.push(ValueSource::Host {
                host,
                span: kind_node.span(file),
            });
        }
    }
    Some(WorkloadPlan {
        node,
        written_location: None,
        sources,
        place,
    })
}

/// The node at a lower-case key path, matching keys case-insensitively.
fn path_ignoring_case<'a>(document: &'a YamlNode, keys: &[&str]) -> Option<&'a YamlNode> {
    let mut node = document;
    for key in keys {
        node = node
            .entries()
            .iter()
            .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(key)))
            .map(|(_, v)| v)?;
    }
    Some(node)
}

/// A flow from `from` for a host candidate, or `None` when the host is internal or a trap.
fn flow_for(
    from: &str,
    candidate: &HostCandidate,
    span: Span,
    cluster: &Cluster<'_>,
    place: &Place,
) -> Option<FlowFact> {
    let to = match cluster.classify(&candidate.host, place) {
        HostKind::Workload(id) if id != from => FlowTarget::Node(NodeRef {
            id,
            span: Some(span),
        }),
        HostKind::Workload(_) | HostKind::Internal => return None,
        HostKind::External => FlowTarget::Host {
            host: candidate.host.clone(),
            span: Some(span),
        },
    };
    let mut flow = FlowFact::observed(NodeRef::to(from), to, Some(span), Origin::Kubernetes);
    flow.scope = Some(place.scope());
    Some(flow)
}

/// The prefix of the scopes of Kubernetes nodes (see [`NodeFact::scope`] and [`Place::scope`]):
/// the manifests of one set name workloads among themselves, apart from other sets and from
/// compose projects that may use the same names.
pub const SCOPE: &str = "kubernetes";

/// A workload's `borderline.dev/location` annotation, on the workload or its pod template.
fn annotation_location(workload: &Workload<'_>) -> Option<LocatedAt> {
    let file = workload.file;
    let annotation_paths: [&[&str]; 3] = [
        &["metadata", "annotations"],
        &["spec", "template", "metadata", "annotations"],
        &[
            "spec",
            "jobTemplate",
            "spec",
            "template",
            "metadata",
            "annotations",
        ],
    ];
    for path in annotation_paths {
        if let Some(value) = workload
            .document
            .path(path)
            .and_then(|a| a.get(LOCATION_ANNOTATION))
            && let Some(text) = value.as_str()
        {
            return Some(LocatedAt {
                location: Location::parse(text),
                span: Some(value.span(file)),
                unresolved_reason: None,
            });
        }
    }
    None
}

/// The location of a workload: the annotation, else the region its pods are pinned to.
fn workload_location(workload: &Workload<'_>, rules: &RuleSet) -> Option<LocatedAt> {
    if let Some(located) = annotation_location(workload) {
        return Some(located);
    }
    let file = workload.file;
    let spec = workload.pod_spec;
    let mut hint_keys: Vec<&str> = Vec::new();
    let mut regions: Vec<(&str, Span)> = Vec::new();
    if let Some(selector) = spec.get("nodeSelector") {
        for (key, value) in selector.entries() {
            let key = key.as_str().unwrap_or("");
            hint_keys.push(key);
            if REGION_LABELS.contains(&key)
                && let Some(region) = value.as_str()
            {
                regions.push((region, value.span(file)));
            }
        }
    }
    let terms = spec
        .path(&[
            "affinity",
            "nodeAffinity",
            "requiredDuringSchedulingIgnoredDuringExecution",
            "nodeSelectorTerms",
        ])
        .map(YamlNode::as_seq)
        .unwrap_or_default();
    for term in terms {
        for expression in term
            .get("matchExpressions")
            .map(YamlNode::as_seq)
            .unwrap_or_default()
        {
            let key = expression
                .get("key")
                .and_then(YamlNode::as_str)
                .unwrap_or("");
            hint_keys.push(key);
            let operator = expression
                .get("operator")
                .and_then(YamlNode::as_str)
                .unwrap_or("");
            if REGION_LABELS.contains(&key) && operator == "In" {
                for value in expression
                    .get("values")
                    .map(YamlNode::as_seq)
                    .unwrap_or_default()
                {
                    if let Some(region) = value.as_str() {
                        regions.push((region, value.span(file)));
                    }
                }
            }
        }
    }
    let provider_hint = provider_hint(&hint_keys);
    let distinct: BTreeSet<&str> = regions.iter().map(|(r, _)| *r).collect();
    match distinct.len() {
        0 => None,
        1 => {
            let (region, span) = regions[0];
            Some(region_location(region, provider_hint, Some(span), rules))
        }
        _ => Some(LocatedAt {
            location: Location::Unknown,
            span: Some(regions[0].1),
            unresolved_reason: Some(format!(
                "the pods may be scheduled in several regions ({}); declare the location with a `{LOCATION_ANNOTATION}` annotation",
                distinct.into_iter().collect::<Vec<_>>().join(", ")
            )),
        }),
    }
}

/// A provider suggested by provider-specific node labels (`eks.amazonaws.com/nodegroup`, ...).
fn provider_hint(keys: &[&str]) -> Option<&'static str> {
    keys.iter().find_map(|key| {
        if key.contains("eks.amazonaws.com") || key.contains("karpenter.k8s.aws") {
            Some("aws")
        } else if key.contains("cloud.google.com") {
            Some("gcp")
        } else if key.contains("kubernetes.azure.com") {
            Some("azure")
        } else if key.contains("alibabacloud.com") {
            Some("alibaba")
        } else if key.contains("oci.oraclecloud.com") {
            Some("oci")
        } else {
            None
        }
    })
}

/// A Helm values file: a service named after the chart, and every URL-valued key as a host flow.
/// What the first pass keeps of a Helm values document.
struct ValuesPlan {
    location: Option<LocatedAt>,
    /// (key, text, where) of every endpoint-like string value.
    endpoints: Vec<(String, String, Span)>,
    /// Hosts that vendor site settings name (`datadog.site`), and where.
    hosts: Vec<(String, Span)>,
}

/// `span` gives a node's span: in its file, or, for merged values, in the file that set it.
fn plan_values(
    document: &YamlNode,
    span: &dyn Fn(&YamlNode) -> Span,
    ctx: &ExtractContext<'_>,
) -> ValuesPlan {
    let mut endpoints = Vec::new();
    let mut hosts = Vec::new();
    let settled = super::yaml::setting_hosts(document, ctx.rules.settings(), &mut |host, value| {
        hosts.push((host, span(value)));
    });
    endpoint_strings(document, ctx.rules, &mut |key, value| {
        if let Some(text) = value.as_str()
            && !settled.contains(&value.range.start)
        {
            endpoints.push((key.to_string(), text.to_string(), span(value)));
        }
    });
    ValuesPlan {
        location: values_location(document, span, ctx.rules),
        endpoints,
        hosts,
    }
}

fn emit_values(
    file: &SourceFile,
    plan: ValuesPlan,
    chart: Option<(String, Span)>,
    set: &str,
    cluster: &Cluster<'_>,
    ctx: &ExtractContext<'_>,
    facts: &mut Facts,
) {
    let directory = file.path.parent().unwrap_or(Utf8Path::new(""));
    let fallback_name = directory.file_name().unwrap_or("chart").to_string();
    let (chart_name, chart_span) = chart.unwrap_or((fallback_name, file.line_span(1)));
    let id = ctx
        .owners
        .owner_of(&file.path)
        .map(str::to_string)
        .unwrap_or(chart_name);
    let mut node = NodeFact::new(id.clone(), Origin::Kubernetes);
    node.kind = Some(NodeKind::Service);
    let place = Place {
        set: set.to_string(),
        namespace: None,
    };
    node.scope = Some(place.scope());
    node.span = Some(chart_span);
    node.location = plan.location;
    facts.nodes.push(node);

    let mut seen = BTreeSet::new();
    let settled = plan.hosts.iter().map(|(host, span)| {
        let candidate = HostCandidate {
            host: host.clone(),
            from_url: true,
            range: 0..0,
        };
        (candidate, *span)
    });
    let named = plan.endpoints.iter().flat_map(|(key, text, span)| {
        super::urls::candidates(ctx.rules.settings(), key, text)
            .into_iter()
            .map(move |candidate| (candidate, *span))
    });
    for (candidate, span) in settled.chain(named) {
        if let Some(flow) = flow_for(&id, &candidate, span, cluster, &place)
            && seen.insert((span, candidate.host.clone()))
        {
            facts.flows.push(flow);
        }
    }
}

/// A location in values: a `borderline.dev/location` key (in `podAnnotations`, say) or a region node selector.
fn values_location(
    document: &YamlNode,
    span: &dyn Fn(&YamlNode) -> Span,
    rules: &RuleSet,
) -> Option<LocatedAt> {
    let mut found = None;
    super::yaml::walk_strings(document, &mut |keys, value| {
        if found.is_some() {
            return;
        }
        let key = keys.last().copied().unwrap_or("");
        let Some(text) = value.as_str() else { return };
        if key == LOCATION_ANNOTATION {
            found = Some(LocatedAt {
                location: Location::parse(text),
                span: Some(span(value)),
                unresolved_reason: None,
            });
        } else if REGION_LABELS.contains(&key) {
            found = Some(region_location(
                text,
                provider_hint(keys),
                Some(span(value)),
                rules,
            ));
        }
    });
    found
}

// ---------------------------------------------------------------------------------------------
// Kustomize builds (`extract::kustomize`): the one entry point it uses.

/// Reads the documents one Kustomize build produced as the manifests of `file`, a stand-in whose
/// spans the caller maps back to the files the documents came from: workloads, Services,
/// ConfigMaps and vendor resources, with names resolved among these documents only, as a plain
/// manifest file's are.
pub(crate) fn read_built(
    file: &SourceFile,
    documents: &[YamlNode],
    ctx: &ExtractContext<'_>,
) -> Facts {
    let set = manifest_set(&file.path, &BTreeSet::new());
    let scanned = scan_documents(file, documents, &set, ctx);
    let mut index = FileIndex {
        parsed: true,
        ..FileIndex::default()
    };
    index.plans = scanned
        .workloads
        .iter()
        .map(|workload| plan_workload(workload, ctx))
        .collect();
    for document in documents.iter().flat_map(expand_list) {
        index
            .plans
            .extend(plan_vendor_resource(file, document, &set, ctx));
    }
    index.workloads = scanned
        .workloads
        .into_iter()
        .map(|w| (w.id, w.name, w.labels, w.place))
        .collect();
    index.services = scanned.services;
    index.namespaces = scanned.namespaces;
    index.config_maps = scanned
        .config_maps
        .into_iter()
        .map(|(name, key, value)| (name, key.clone(), value.clone()))
        .collect();
    let files = [file];
    let mut indexed = vec![index];
    let mut facts = Facts::default();
    let mut cluster = Cluster::collect(&files, &mut indexed, &mut facts);
    cluster.collectors = cluster
        .config_maps
        .iter()
        .map(|(name, entries)| {
            let hosts = entries
                .iter()
                .flat_map(|(map_file, _, value)| collector_config_hosts(map_file, value, ctx.rules))
                .collect();
            (name.clone(), hosts)
        })
        .collect();
    let mut workloads: Vec<(String, Facts)> = Vec::new();
    for index in &mut indexed {
        for plan in std::mem::take(&mut index.plans) {
            let id = plan.node.id.clone();
            let mut own = Facts::default();
            emit_workload(plan, &cluster, ctx.rules, &mut own);
            workloads.push((id, own));
        }
    }
    workloads.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, own) in workloads {
        facts.extend(own);
    }
    facts
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::extract::Owners;
    use crate::source::FileId;
    use std::sync::Arc;

    fn run(files: &[(&str, &str)]) -> (Facts, Vec<SourceFile>) {
        let rules = RuleSet::builtin().unwrap();
        let owners = Owners::default();
        let ctx = ExtractContext {
            rules: &rules,
            owners: &owners,
            terraform: &[],
        };
        let sources: Vec<SourceFile> = files
            .iter()
            .enumerate()
            .map(|(i, (path, text))| {
                SourceFile::new(FileId(i as u32), (*path).into(), Arc::from(*text))
            })
            .collect();
        let refs: Vec<&SourceFile> = sources.iter().collect();
        (KubernetesExtractor.extract(&refs, &ctx), sources)
    }

    fn line(sources: &[SourceFile], span: Option<Span>) -> u32 {
        let span = span.unwrap();
        sources[span.file.0 as usize].line_column(span.start).line
    }

    const DEPLOYMENT: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: checkout-config
data:
  SENTRY_DSN: https://k@o1.ingest.sentry.io/2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
spec:
  template:
    metadata:
      labels: {app: checkout}
    spec:
      nodeSelector:
        topology.kubernetes.io/region: europe-west3
      containers:
        - name: app
          image: europe-west3-docker.pkg.dev/acme/shop/checkout:1.4
          env:
            - name: PAYMENT_ADDR
              value: payment:50051
            - name: MIXPANEL_API_HOST
              value: api.mixpanel.com
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
          envFrom:
            - configMapRef: {name: checkout-config}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: payment-v2}
spec:
  template:
    metadata: {labels: {app: payment}}
    spec:
      containers: [{name: app, image: ghcr.io/acme/payment:2}]
---
apiVersion: v1
kind: Service
metadata: {name: payment}
spec:
  selector: {app: payment}
";

    #[test]
    fn manifest_sets_are_charts_else_top_level_directories() {
        let charts: BTreeSet<&Utf8Path> = [
            Utf8Path::new("charts/a"),
            Utf8Path::new("charts/a/charts/b"),
        ]
        .into_iter()
        .collect();
        let set = |path: &str| manifest_set(Utf8Path::new(path), &charts);
        assert_eq!(set("charts/a/ci/redis.yaml"), "charts/a");
        assert_eq!(
            set("charts/a/charts/b/examples/redis.yaml"),
            "charts/a/charts/b"
        );
        assert_eq!(set("deploy/kubernetes/overlays/prod/api.yaml"), "deploy");
        assert_eq!(set("api.yaml"), ".");
        // Given with --rendered: inside the root as if walked, outside a set of its own.
        assert_eq!(set("./charts/a/out/all.yaml"), "charts/a");
        assert_eq!(set("/tmp/out/all.yaml"), "/tmp/out/all.yaml");
        assert_eq!(set("../out/all.yaml"), "../out/all.yaml");
    }

    #[test]
    fn names_resolve_within_their_manifest_set_and_namespace() {
        let redis = |ns: &str| {
            format!(
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: redis, namespace: {ns}}}\nspec:\n  template:\n    spec:\n      containers: [{{name: redis, image: redis:7}}]\n"
            )
        };
        let caller = |ns: &str, url: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app, namespace: {ns}}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1\n          env:\n            - {{name: REDIS_URL, value: \"{url}\"}}\n"
            )
        };
        let chart = "apiVersion: v2\nname: x\nversion: 1.0.0\n";
        let (a_redis, b_redis) = (redis("a"), redis("b"));
        let a_app = caller("a", "redis://redis:6379");
        let b_app = caller("b", "redis://redis.a.svc.cluster.local:6379");
        let (facts, _) = run(&[
            ("charts/a/Chart.yaml", chart),
            ("charts/a/ci/redis.yaml", &a_redis),
            ("charts/a/ci/app.yaml", &a_app),
            ("charts/b/Chart.yaml", chart),
            ("charts/b/ci/redis.yaml", &b_redis),
            ("charts/b/ci/app.yaml", &b_app),
        ]);
        let scopes: BTreeSet<(String, String)> = facts
            .nodes
            .iter()
            .map(|n| (n.id.clone(), n.scope.clone().unwrap_or_default()))
            .collect();
        assert!(scopes.contains(&("redis".into(), "kubernetes:charts/a#a".into())));
        assert!(scopes.contains(&("redis".into(), "kubernetes:charts/b#b".into())));
        // Chart a's app reaches chart a's redis; chart b's app names namespace `a`, which chart
        // b does not deploy: no flow to another chart's instance.
        let flows: Vec<(String, String)> = facts
            .flows
            .iter()
            .filter_map(|f| match &f.to {
                FlowTarget::Node(to) => Some((f.scope.clone().unwrap_or_default(), to.id.clone())),
                FlowTarget::Host { .. } => None,
            })
            .collect();
        assert_eq!(
            flows,
            vec![("kubernetes:charts/a#a".to_string(), "redis".to_string())]
        );
    }

    #[test]
    fn workloads_locations_and_flows() {
        let (facts, sources) = run(&[("deploy/shop.yaml", DEPLOYMENT)]);
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let ids: Vec<&str> = facts.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["checkout", "payment-v2"]);
        let checkout = &facts.nodes[0];
        assert_eq!(
            checkout.location.as_ref().map(|l| l.location.clone()),
            Some(Location::Region {
                provider: "gcp".into(),
                region: "europe-west3".into()
            })
        );
        assert_eq!(
            line(&sources, checkout.location.as_ref().and_then(|l| l.span)),
            18
        );
        let flows: Vec<(String, u32)> = facts
            .flows
            .iter()
            .map(|f| {
                let to = match &f.to {
                    FlowTarget::Node(n) => format!("node:{}", n.id),
                    FlowTarget::Host { host, .. } => host.clone(),
                };
                (to, line(&sources, f.span))
            })
            .collect();
        assert_eq!(
            flows,
            [
                ("node:payment-v2".to_string(), 24),
                ("api.mixpanel.com".to_string(), 26),
                ("o1.ingest.sentry.io".to_string(), 6)
            ]
        );
    }

    #[test]
    fn helm_values_and_malformed_manifests() {
        let (facts, sources) = run(&[
            (
                "charts/web/Chart.yaml",
                "apiVersion: v2\nname: storefront\nversion: 1.0.0\n",
            ),
            (
                "charts/web/values.yaml",
                "image:\n  repository: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web\nconfig:\n  # analyticsUrl: https://api2.amplitude.com\n  analyticsUrl: https://api.eu.amplitude.com/2/httpapi\namis:\n  us-east-1: https://s3.us-east-1.amazonaws.com/a\n  eu-west-1: https://s3.eu-west-1.amazonaws.com/b\n",
            ),
            (
                "deploy/broken.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n",
            ),
        ]);
        assert_eq!(facts.nodes.len(), 1);
        assert_eq!(facts.nodes[0].id, "storefront");
        assert_eq!(facts.flows.len(), 1);
        assert_eq!(line(&sources, facts.flows[0].span), 5);
        assert_eq!(facts.diagnostics.len(), 1);
        assert!(line(&sources, facts.diagnostics[0].span) >= 4);
    }

    #[test]
    fn values_overlays_are_variants_merged_as_helm_merges_them() {
        let chart = "apiVersion: v2\nname: ledger\nversion: 1.0.0\n";
        let base = "env:\n  A: https://api.eu.amplitude.com\n  B: https://o1.ingest.de.sentry.io/2\nhooks: [https://hooks.slack.com/x]\n";
        let prod = "env:\n  A: https://api2.amplitude.com\nhooks: null\n";
        let staging = "replicaCount: 3\n";
        let (facts, sources) = run(&[
            ("chart/Chart.yaml", chart),
            ("chart/values.yaml", base),
            ("chart/values-prod.yaml", prod),
            ("chart/values.Staging.yml", staging),
        ]);
        let mut flows: Vec<(String, u32, Vec<String>)> = facts
            .flows
            .iter()
            .map(|f| {
                let file = sources[f.span.unwrap().file.0 as usize].path.to_string();
                (file, line(&sources, f.span), f.variants.clone())
            })
            .collect();
        flows.sort();
        let v = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            flows,
            [
                ("chart/values-prod.yaml".into(), 2, v(&["prod"])),
                ("chart/values.yaml".into(), 2, v(&["default", "staging"])),
                // Kept by every variant: no variant.
                ("chart/values.yaml".into(), 3, v(&[])),
                // Removed by prod's `null`.
                ("chart/values.yaml".into(), 4, v(&["default", "staging"])),
            ]
        );
        // One chart node in every variant, named from Chart.yaml.
        assert_eq!(facts.nodes.len(), 1);
        assert!(facts.nodes[0].variants.is_empty());
        let variants: Vec<(String, String, String)> = facts
            .variants
            .iter()
            .map(|v| {
                let file = sources[v.span.file.0 as usize].path.to_string();
                (v.name.clone(), file, v.source.clone())
            })
            .collect();
        assert_eq!(
            variants,
            [
                (
                    "default".into(),
                    "chart/values.yaml".into(),
                    "helm values".into()
                ),
                (
                    "prod".into(),
                    "chart/values-prod.yaml".into(),
                    "helm values".into()
                ),
                (
                    "staging".into(),
                    "chart/values.Staging.yml".into(),
                    "helm values".into()
                ),
            ]
        );
    }

    #[test]
    fn values_without_overlays_and_overlay_names() {
        // A lone values.yaml is read as before: no variant at all.
        let (facts, _) = run(&[("deploy/values.yaml", "url: https://api2.amplitude.com\n")]);
        assert!(facts.variants.is_empty());
        assert_eq!(facts.flows.len(), 1);
        // Two overlays that would both be `prod` are named by their paths; an overlay named
        // `default` leaves the defaults the name `values`; overlays with neither a chart nor a
        // values.yaml beside them are read alone, in every variant (they may be two releases);
        // overlays of a chart with no values.yaml are variants.
        let (facts, _) = run(&[
            ("c/Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0\n"),
            ("c/values.yaml", "a: 1\n"),
            ("c/values-prod.yaml", "a: 2\n"),
            ("c/values/prod.yaml", "a: 3\n"),
            ("c/values-default.yaml", "a: 4\n"),
            (
                "upstream/values-eu.yaml",
                "x: https://api.eu.amplitude.com\n",
            ),
            ("upstream/values-us.yaml", "x: https://api2.amplitude.com\n"),
            ("other/values/prod.yaml", "not: an overlay\n"),
            ("d/Chart.yaml", "apiVersion: v2\nname: d\nversion: 1.0.0\n"),
            ("d/values-uat.yaml", "x: https://api.eu.amplitude.com\n"),
            ("d/values-prod.yaml", "x: https://api.eu.amplitude.com\n"),
        ]);
        assert_eq!(
            facts.variant_names(),
            [
                "default",
                "prod",
                "uat",
                "values",
                "values-prod",
                "values/prod"
            ]
        );
        let mut flows: Vec<(String, String, Vec<String>)> = facts
            .flows
            .iter()
            .map(|f| {
                let from = f.from.as_ref().map(|r| r.id.clone()).unwrap_or_default();
                match &f.to {
                    FlowTarget::Host { host, .. } => (from, host.clone(), f.variants.clone()),
                    FlowTarget::Node(n) => (from, n.id.clone(), f.variants.clone()),
                }
            })
            .collect();
        flows.sort();
        let v = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            flows,
            [
                // Chart d's overlays name the host on a line each: one flow fact per variant.
                ("d".into(), "api.eu.amplitude.com".into(), v(&["prod"])),
                ("d".into(), "api.eu.amplitude.com".into(), v(&["uat"])),
                ("upstream".into(), "api.eu.amplitude.com".into(), v(&[])),
                ("upstream".into(), "api2.amplitude.com".into(), v(&[])),
            ]
        );
    }

    #[test]
    fn a_chart_with_too_many_overlays_reads_the_rest_alone() {
        let chart = "apiVersion: v2\nname: c\nversion: 1.0.0\n";
        let overlays: Vec<(String, String)> = (0..MAX_OVERLAYS + 3)
            .map(|i| (format!("c/values-e{i:03}.yaml"), format!("n: {i}\n")))
            .collect();
        let mut files: Vec<(&str, &str)> =
            vec![("c/Chart.yaml", chart), ("c/values.yaml", "a: 1\n")];
        files.extend(overlays.iter().map(|(p, t)| (p.as_str(), t.as_str())));
        let (facts, sources) = run(&files);
        // The defaults and the first MAX_OVERLAYS overlays.
        assert_eq!(facts.variant_names().len(), MAX_OVERLAYS + 1);
        assert_eq!(facts.diagnostics.len(), 1, "{:?}", facts.diagnostics);
        let note = &facts.diagnostics[0];
        assert!(note.message.contains("read alone"), "{}", note.message);
        let at = note.span.unwrap().file.0 as usize;
        assert_eq!(
            sources[at].path,
            format!("c/values-e{MAX_OVERLAYS:03}.yaml")
        );
    }

    #[test]
    fn merging_keeps_base_order_and_replaces_lists_and_scalars() {
        let file = |text: &str| SourceFile::new(FileId(0), "v.yaml".into(), Arc::from(text));
        let parse = |text: &str| {
            super::super::yaml::parse_document(&file(text), &mut Facts::default()).unwrap()
        };
        let mut base = parse("a: {p: 1, q: [1, 2]}\nb: 2\n");
        merge_values(&mut base, parse("a: {q: [3], r: 4}\nb: {c: 1}\n"));
        let keys = |node: &YamlNode| -> Vec<String> {
            node.entries()
                .iter()
                .map(|(k, _)| k.as_str().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(keys(&base), ["a", "b"]);
        assert_eq!(keys(base.get("a").unwrap()), ["p", "q", "r"]);
        assert_eq!(base.path(&["a", "q"]).unwrap().as_seq().len(), 1);
        assert_eq!(base.path(&["b", "c"]).unwrap().as_str(), Some("1"));
        // An empty overlay changes nothing.
        let before = base.clone();
        merge_values(&mut base, parse(""));
        assert_eq!(base, before);
    }

    #[test]
    fn rendered_manifests_are_read_and_templates_are_not() {
        let rendered = "---\n# Source: relay/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: relay}\nspec:\n  template:\n    spec:\n      containers:\n        - name: relay\n          image: relay:1\n          env: [{name: HUBSPOT_URL, value: https://api.hubapi.com}]\n";
        let template = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: {{ .Release.Name }}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: relay\n          image: relay:1\n          env: [{name: HUBSPOT_URL, value: https://api.hubapi.com}]\n";
        assert!(KubernetesExtractor.claims(Utf8Path::new("out/relay/templates/d.yaml")));
        assert!(KubernetesExtractor.claims(Utf8Path::new("../rendered.yml")));
        assert!(!KubernetesExtractor.claims(Utf8Path::new("../rendered.json")));
        assert!(!KubernetesExtractor.claims(Utf8Path::new(".github/templates/x.yaml")));
        let (facts, _) = run(&[
            ("charts/relay/templates/deployment.yaml", template),
            ("out/relay/templates/deployment.yaml", rendered),
        ]);
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let ids: Vec<&str> = facts.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["relay"]);
        assert_eq!(facts.flows.len(), 1);
        // Found by the walk and given too: read once.
        let (facts, _) = run(&[
            ("deploy/relay.yaml", rendered),
            ("./deploy/relay.yaml", rendered),
        ]);
        assert_eq!(facts.flows.len(), 1);
    }

    #[test]
    fn ambiguous_regions_stay_unknown() {
        let rules = RuleSet::builtin().unwrap();
        let located = region_location("eu-west-1", None, None, &rules);
        assert_eq!(located.location, Location::Unknown);
        assert!(
            located
                .unresolved_reason
                .unwrap()
                .contains("several providers")
        );
        let aws = region_location("eu-west-1", Some("aws"), None, &rules);
        assert_eq!(
            aws.location,
            Location::Region {
                provider: "aws".into(),
                region: "eu-west-1".into()
            }
        );
    }

    #[test]
    fn vendor_resources_and_collector_configs_in_config_maps() {
        let manifest = "apiVersion: v1
kind: ConfigMap
metadata:
  name: collector
data:
  relay.yaml: |
    exporters:
      datadog/us3:
        api:
          site: us3.datadoghq.com
      otlphttp:
        endpoint: ${env:OTLP_ENDPOINT:-https://otlp.eu01.nr-data.net}
      debug: {}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: otel-collector
spec:
  template:
    spec:
      containers: [{name: otelcol, image: otel/opentelemetry-collector-contrib:0.111.0}]
      volumes:
        - name: config
          configMap: {name: collector}
---
apiVersion: datadoghq.com/v2alpha1
kind: DatadogAgent
metadata:
  name: datadog
spec:
  global:
    clusterName: prod
";
        let (facts, sources) = run(&[("deploy/otel.yaml", manifest)]);
        assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
        let mut flows: Vec<(String, String, u32)> = facts
            .flows
            .iter()
            .map(|f| {
                let to = match &f.to {
                    FlowTarget::Host { host, .. } => host.clone(),
                    FlowTarget::Node(n) => format!("node:{}", n.id),
                };
                let from = f.from.as_ref().map(|r| r.id.clone()).unwrap_or_default();
                (from, to, line(&sources, f.span))
            })
            .collect();
        flows.sort();
        assert_eq!(
            flows,
            [
                // Named like the vendor, the agent keeps a node of its own; no site: the default.
                (
                    "datadog-datadogagent".into(),
                    "api.datadoghq.com".into(),
                    28
                ),
                // Reported where the block scalar holding the config starts.
                ("otel-collector".into(), "api.us3.datadoghq.com".into(), 7),
                ("otel-collector".into(), "otlp.eu01.nr-data.net".into(), 7),
            ]
        );
    }
}
