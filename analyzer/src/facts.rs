//! Facts: what extractors read from one input (manifest, code, infrastructure), before merging.
//!
//! Extraction never fails: an extractor returns the facts it could read plus diagnostics for
//! what it could not. Every fact carries the span it came from.

use crate::date::Date;
use crate::rule::Rule;
pub use crate::rule::Severity;
use crate::source::{SourceFile, Span};

/// Where a file's facts run, as `extract::environment::classify` decides it. Ordered so that the
/// smallest class of a set of evidence wins: production if any evidence is production, else test
/// if any is test, else dev.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Production,
    Test,
    Dev,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Test => "test",
            Environment::Dev => "dev",
        }
    }

    /// The value of `[scan] include` that judges this class like production (`tests`, `dev`).
    pub fn include_key(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Test => "tests",
            Environment::Dev => "dev",
        }
    }

    /// Reads an `[scan] include` value.
    pub fn from_include_key(text: &str) -> Option<Environment> {
        match text {
            "tests" => Some(Environment::Test),
            "dev" => Some(Environment::Dev),
            _ => None,
        }
    }
}

/// What kind of thing a node is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// Code the organisation runs.
    Service,
    /// A database, bucket, queue or cache the organisation owns.
    Store,
    /// Another organisation that receives data (SaaS, partner).
    Vendor,
    /// A client application (browser, mobile app).
    Client,
}

impl NodeKind {
    pub const ALL: [(&'static str, NodeKind); 4] = [
        ("service", NodeKind::Service),
        ("store", NodeKind::Store),
        ("vendor", NodeKind::Vendor),
        ("client", NodeKind::Client),
    ];

    pub fn parse(text: &str) -> Option<NodeKind> {
        NodeKind::ALL
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, kind)| *kind)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Service => "service",
            NodeKind::Store => "store",
            NodeKind::Vendor => "vendor",
            NodeKind::Client => "client",
        }
    }
}

/// A location as written (SPEC §2): a country, a bloc, a provider region, or unknown.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Location {
    /// ISO 3166-1 alpha-2 code (or an international organisation id such as `EPORG`), upper case.
    Country(String),
    /// `EU` or `EEA`: somewhere inside the bloc.
    Bloc(String),
    /// A cloud region keyed by provider, e.g. `aws:eu-west-1`.
    Region { provider: String, region: String },
    /// Stated as unknown, or could not be resolved from its source.
    Unknown,
}

impl Location {
    /// Parses the written form. Whether a country or region exists is checked against rule data later.
    pub fn parse(text: &str) -> Location {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("unknown") || trimmed.is_empty() {
            return Location::Unknown;
        }
        if let Some((provider, region)) = trimmed.split_once(':') {
            return Location::Region {
                provider: provider.trim().to_ascii_lowercase(),
                region: region.trim().to_string(),
            };
        }
        let upper = trimmed.to_ascii_uppercase();
        if upper == "EU" || upper == "EEA" {
            Location::Bloc(upper)
        } else {
            Location::Country(upper)
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Country(code) | Location::Bloc(code) => f.write_str(code),
            Location::Region { provider, region } => write!(f, "{provider}:{region}"),
            Location::Unknown => f.write_str("unknown"),
        }
    }
}

/// A location together with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LocatedAt {
    pub location: Location,
    pub span: Option<Span>,
    /// Why the location is unknown, when an extractor could not resolve it (e.g. `var.region` has no value).
    pub unresolved_reason: Option<String>,
}

/// The transfer tools of GDPR Chapter V that a safeguard may name (SPEC §3).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum MechanismKind {
    Adequacy,
    Scc,
    Bcr,
    CodeOfConduct,
    Certification,
    AdHocClauses,
    Derogation,
}

impl MechanismKind {
    pub const ALL: [(&'static str, MechanismKind); 7] = [
        ("adequacy", MechanismKind::Adequacy),
        ("scc", MechanismKind::Scc),
        ("bcr", MechanismKind::Bcr),
        ("code-of-conduct", MechanismKind::CodeOfConduct),
        ("certification", MechanismKind::Certification),
        ("ad-hoc-clauses", MechanismKind::AdHocClauses),
        ("derogation", MechanismKind::Derogation),
    ];

    pub fn parse(text: &str) -> Option<MechanismKind> {
        MechanismKind::ALL
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, kind)| *kind)
    }

    pub fn as_str(self) -> &'static str {
        MechanismKind::ALL
            .iter()
            .find(|(_, kind)| *kind == self)
            .map(|(name, _)| *name)
            .unwrap_or("scc")
    }

    pub fn allowed_values() -> String {
        MechanismKind::ALL
            .iter()
            .map(|(name, _)| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A declared transfer tool, on a flow or on a recipient node.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Safeguard {
    pub mechanism: MechanismKind,
    pub version: Option<String>,
    pub module: Option<u8>,
    pub reference: Option<String>,
    pub signed: Option<Date>,
    pub expires: Option<Date>,
    pub tia: Option<String>,
    pub derogation: Option<String>,
    pub span: Option<Span>,
}

/// A data category named in a fact, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct DataRef {
    pub key: String,
    pub span: Option<Span>,
}

/// Where a fact came from, for provenance in outputs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Manifest,
    RustAttribute,
    CommentTag,
    Terraform,
    Kubernetes,
    Compose,
    Env,
    AppConfig,
    Inference,
    RuleData,
}

/// A node as one source describes it. Several facts with the same id merge into one node.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeFact {
    pub id: String,
    pub kind: Option<NodeKind>,
    pub label: Option<String>,
    pub location: Option<LocatedAt>,
    /// Paths (prefixes or globs, relative to the root) of code and configs that belong to this node.
    pub paths: Vec<String>,
    pub data: Vec<DataRef>,
    pub domains: Vec<String>,
    pub certifications: Vec<String>,
    pub personal_data: Option<bool>,
    pub safeguard: Option<Safeguard>,
    /// The hosting provider (`aws`, `gcp`, ...), when the node is hosted by one.
    pub provider: Option<String>,
    pub span: Option<Span>,
    /// The module calls through which the node is created, outermost first (a Terraform store
    /// inside `module.a` called from the root has the `module "a"` block here), so that findings
    /// can show the way from the root to the resource.
    #[serde(default)]
    pub via: Vec<Span>,
    pub origin: Origin,
    /// Guessed rather than declared (e.g. from field names); never an error on its own.
    pub inferred: bool,
    /// The deployment the node is declared in, when its name only means something there: a
    /// compose project (`compose:DIR`, the directory of its compose files) or a Kubernetes
    /// manifest set (`kubernetes:SET`, with `#NS` for a namespace it names; see
    /// `extract::kubernetes::manifest_set`). Two scopes that name a node alike are two nodes (see
    /// `model::scoped_ids`); `None` for nodes named once for the whole repository.
    #[serde(default)]
    pub scope: Option<String>,
    /// The directories (relative to the root, `""` for the root) a compose service is built
    /// from: its local `build` context (`build: ./api`, `build.context`), and the directory of
    /// the Dockerfile it names. The code it runs is there (see `model::identity`).
    #[serde(default)]
    pub build: Vec<String>,
    /// The container images the node runs, as written (a compose `image`, a Kubernetes
    /// workload's `containers[].image`): a repository built here names the same code wherever it
    /// runs (see `model::identity`).
    #[serde(default)]
    pub images: Vec<String>,
    /// The deployment variants the fact exists in (see [`Variant`]), sorted; empty when it does
    /// not depend on any: it is then in every variant.
    #[serde(default)]
    pub variants: Vec<String>,
}

impl NodeFact {
    pub fn new(id: impl Into<String>, origin: Origin) -> NodeFact {
        NodeFact {
            id: id.into(),
            kind: None,
            label: None,
            location: None,
            paths: Vec::new(),
            data: Vec::new(),
            domains: Vec::new(),
            certifications: Vec::new(),
            personal_data: None,
            safeguard: None,
            provider: None,
            span: None,
            via: Vec::new(),
            origin,
            inferred: false,
            scope: None,
            build: Vec::new(),
            images: Vec::new(),
            variants: Vec::new(),
        }
    }
}

/// A reference to a node by id, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct NodeRef {
    pub id: String,
    pub span: Option<Span>,
}

/// Where a flow goes: a node by id, or an endpoint (URL or host) that resolution maps to a node.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FlowTarget {
    Node(NodeRef),
    /// A hostname (lower case, no port) found in a URL, env value or config; resolved through
    /// manifest `domains`, rule-data vendors and cloud endpoint patterns.
    Host {
        host: String,
        span: Option<Span>,
    },
}

/// A flow as one source describes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlowFact {
    /// `None`: the node the file belongs to (resolved when the model is built).
    pub from: Option<NodeRef>,
    pub to: FlowTarget,
    pub data: Vec<DataRef>,
    pub purpose: Option<String>,
    pub safeguard: Option<Safeguard>,
    /// The span of the line or entry that creates the flow.
    pub span: Option<Span>,
    pub origin: Origin,
    pub inferred: bool,
    /// The scope (see [`NodeFact::scope`]) in which the flow's node ids are written: a compose
    /// service's flow names services of its own project.
    #[serde(default)]
    pub scope: Option<String>,
    /// The deployment variants the flow exists in, sorted; empty when it does not depend on any.
    #[serde(default)]
    pub variants: Vec<String>,
}

impl FlowFact {
    /// A flow observed in configuration or code: it carries no categories, purpose or safeguard of
    /// its own (the model takes the data its source holds), and is not a guess.
    pub fn observed(from: NodeRef, to: FlowTarget, span: Option<Span>, origin: Origin) -> FlowFact {
        FlowFact {
            from: Some(from),
            to,
            data: Vec::new(),
            purpose: None,
            safeguard: None,
            span,
            origin,
            inferred: false,
            scope: None,
            variants: Vec::new(),
        }
    }
}

impl NodeRef {
    /// A reference to a node by id, not written anywhere (the source of a flow read from a file).
    pub fn to(id: impl Into<String>) -> NodeRef {
        NodeRef {
            id: id.into(),
            span: None,
        }
    }
}

/// What an extractor could not read, or a reference it could not resolve. Becomes a finding.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExtractionDiagnostic {
    /// The rule: `input-error`, `unresolved-reference`, or `inferred-personal-data` for notes.
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// The file concerned when there is no span (a file too large to read, say).
    pub path: Option<String>,
}

/// Facts a comment tag states about whatever the declaration directly below it creates (a
/// Terraform `resource`/`module`/`data` block, a Kubernetes object, a compose service).
///
/// The extractor that reads the tag does not know which nodes the declaration makes (Terraform
/// names them after evaluating `count` and module calls), so the model attaches the facts to every
/// extracted node declared inside `declaration`. The tag wins over what the configuration says and
/// loses to the manifest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttachedTag {
    /// The tag as a whole: where it is reported when the declaration makes no node.
    pub span: Option<Span>,
    /// The declaration below the tag, from its first line to its end.
    pub declaration: Span,
    /// The declaration's first line. Only nodes declared on it take the tag's `location`: a DynamoDB
    /// table's replicas, declared further down in its block, keep their own regions.
    pub header: Span,
    /// The declaration's first line as written (shortened), for messages.
    pub declared: String,
    pub location: Option<LocatedAt>,
    pub data: Vec<DataRef>,
    pub personal_data: Option<bool>,
    pub safeguard: Option<Safeguard>,
    pub label: Option<String>,
}

/// Everything extractors found. Merged by the model in a deterministic order.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Facts {
    pub nodes: Vec<NodeFact>,
    pub flows: Vec<FlowFact>,
    pub diagnostics: Vec<ExtractionDiagnostic>,
    /// Comment tags attached to the declaration below them.
    #[serde(default)]
    pub attached: Vec<AttachedTag>,
    /// Parts of files an extractor classed from their content rather than their path: a compose
    /// file that runs several copies of the project's own build side by side is a local set-up,
    /// a Rust `#[cfg(test)]` module is a test (`extract::environment`).
    #[serde(default)]
    pub classes: Vec<ClassRange>,
    /// Inline waivers (`# borderline: waive RULE reason="..." expires=...`) read from comments
    /// (`extract::inline_waivers`); applied with the manifest's waivers.
    #[serde(default)]
    pub waivers: Vec<InlineWaiver>,
    /// What each compose file says about its services, for the env extractor to join env files
    /// to the services that read them (`extract::engine`). Consumed during extraction: never in
    /// its result.
    #[serde(default)]
    pub compose_services: Vec<ComposeServices>,
    /// The deployment variants the facts were read under, with the file that makes each differ.
    #[serde(default)]
    pub variants: Vec<Variant>,
}

/// A deployment variant: a named set of inputs over the same configuration (a `-var-file`, a
/// Terragrunt unit, a Helm values file over `values.yaml`, a Kustomize overlay). Variants of the
/// same name from different sources are one variant (`prod` is the Helm values and the tfvars of
/// production).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Variant {
    pub name: String,
    /// The file (or the line in it) that makes the variant differ from its base.
    pub span: Span,
    /// What kind of input it is, for the reader: `tfvars`, `terragrunt`, `helm values`,
    /// `kustomize overlay`.
    pub source: String,
}

/// A `[[scan.terraform]]` entry resolved against the scanned directory: paths relative to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct TerraformVariants {
    pub root: camino::Utf8PathBuf,
    pub var_files: Vec<camino::Utf8PathBuf>,
}

/// A well-formed inline waiver found in a comment. A malformed one is an `input-error` instead.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InlineWaiver {
    /// The name of a rule a waiver may name ([`Rule::waivable`]).
    pub rule: String,
    /// Never empty.
    pub reason: String,
    /// `YYYY-MM-DD`, checked when read.
    pub expires: String,
    /// The waiver's text in its comment.
    pub span: Span,
    /// The lines it waives findings on: its own, and the line below its comment block.
    pub covers: Span,
}

/// A part of a file with its own environment class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClassRange {
    /// Where the part starts, as an empty span (it keeps one line of the file, not the part).
    pub at: Span,
    /// The byte offset where the part ends; `u32::MAX` for the rest of the file.
    pub end: u32,
    pub environment: Environment,
}

impl ClassRange {
    /// The whole of `file`.
    pub fn whole(file: &SourceFile, environment: Environment) -> ClassRange {
        ClassRange {
            at: file.span(0..0),
            end: u32::MAX,
            environment,
        }
    }

    /// True when `span` lies in the part.
    pub fn contains(&self, span: Span) -> bool {
        span.file == self.at.file && self.at.start <= span.start && span.end <= self.end
    }
}

impl Facts {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
            && self.flows.is_empty()
            && self.diagnostics.is_empty()
            && self.attached.is_empty()
            && self.classes.is_empty()
            && self.waivers.is_empty()
            && self.compose_services.is_empty()
            && self.variants.is_empty()
    }

    pub fn extend(&mut self, other: Facts) {
        self.nodes.extend(other.nodes);
        self.flows.extend(other.flows);
        self.diagnostics.extend(other.diagnostics);
        self.attached.extend(other.attached);
        self.classes.extend(other.classes);
        self.waivers.extend(other.waivers);
        self.compose_services.extend(other.compose_services);
        self.variants.extend(other.variants);
    }

    pub fn input_error(
        &mut self,
        span: Option<Span>,
        path: Option<String>,
        message: impl Into<String>,
    ) {
        self.diagnostics.push(ExtractionDiagnostic {
            rule: Rule::InputError,
            severity: Severity::Warning,
            message: message.into(),
            span,
            path,
        });
    }
}

/// [`ExtractionDiagnostic`] as read back: the rule as an owned string, checked to be one an
/// extractor may put in a diagnostic ([`Rule::extraction`]); a cached diagnostic naming anything
/// else is refused (the cache entry is then ignored).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnosticRepr {
    rule: String,
    severity: Severity,
    message: String,
    span: Option<Span>,
    path: Option<String>,
}

impl<'de> serde::Deserialize<'de> for ExtractionDiagnostic {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = DiagnosticRepr::deserialize(deserializer)?;
        let rule = Rule::from_name(&repr.rule)
            .ok()
            .filter(|rule| rule.extraction())
            .ok_or_else(|| {
                serde::de::Error::custom(format!("unknown extraction rule `{}`", repr.rule))
            })?;
        Ok(ExtractionDiagnostic {
            rule,
            severity: repr.severity,
            message: repr.message,
            span: repr.span,
            path: repr.path,
        })
    }
}

impl Facts {
    /// Calls `f` on every span in these facts. The patterns are exhaustive, so a new span field
    /// cannot be forgotten (the cache remaps spans through this).
    pub fn for_each_span(&mut self, f: &mut dyn FnMut(&mut Span)) {
        let Facts {
            nodes,
            flows,
            diagnostics,
            attached,
            classes,
            waivers,
            // Paths and names only, no spans.
            compose_services: _,
            variants,
        } = self;
        for Variant {
            name: _,
            span,
            source: _,
        } in variants
        {
            f(span);
        }
        for InlineWaiver {
            rule: _,
            reason: _,
            expires: _,
            span,
            covers,
        } in waivers
        {
            f(span);
            f(covers);
        }
        for ClassRange {
            at,
            end: _,
            environment: _,
        } in classes
        {
            f(at);
        }
        for node in nodes {
            node_spans(node, f);
        }
        for flow in flows {
            flow_spans(flow, f);
        }
        for diagnostic in diagnostics {
            let ExtractionDiagnostic {
                rule: _,
                severity: _,
                message: _,
                span,
                path: _,
            } = diagnostic;
            visit(span, f);
        }
        for tag in attached {
            attached_spans(tag, f);
        }
    }
}

/// Every span of a node fact: its location, data, safeguard, declaration and module calls.
fn node_spans(node: &mut NodeFact, f: &mut dyn FnMut(&mut Span)) {
    let NodeFact {
        id: _,
        kind: _,
        label: _,
        location,
        paths: _,
        data,
        domains: _,
        certifications: _,
        personal_data: _,
        safeguard,
        provider: _,
        span,
        via,
        origin: _,
        inferred: _,
        scope: _,
        build: _,
        images: _,
        variants: _,
    } = node;
    if let Some(LocatedAt {
        location: _,
        span,
        unresolved_reason: _,
    }) = location
    {
        visit(span, f);
    }
    data_spans(data, f);
    safeguard_span(safeguard, f);
    visit(span, f);
    for call in via {
        f(call);
    }
}

/// Every span of a flow fact: its ends, data, safeguard and declaration.
fn flow_spans(flow: &mut FlowFact, f: &mut dyn FnMut(&mut Span)) {
    let FlowFact {
        from,
        to,
        data,
        purpose: _,
        safeguard,
        span,
        origin: _,
        inferred: _,
        scope: _,
        variants: _,
    } = flow;
    if let Some(NodeRef { id: _, span }) = from {
        visit(span, f);
    }
    match to {
        FlowTarget::Node(NodeRef { id: _, span }) | FlowTarget::Host { host: _, span } => {
            visit(span, f);
        }
    }
    data_spans(data, f);
    safeguard_span(safeguard, f);
    visit(span, f);
}

/// Every span of a tag attached to a declaration: the tag, the declaration and its header, and
/// the facts the tag gives.
fn attached_spans(tag: &mut AttachedTag, f: &mut dyn FnMut(&mut Span)) {
    let AttachedTag {
        span,
        declaration,
        header,
        declared: _,
        location,
        data,
        personal_data: _,
        safeguard,
        label: _,
    } = tag;
    visit(span, f);
    f(declaration);
    f(header);
    if let Some(LocatedAt {
        location: _,
        span,
        unresolved_reason: _,
    }) = location
    {
        visit(span, f);
    }
    data_spans(data, f);
    safeguard_span(safeguard, f);
}

fn visit(span: &mut Option<Span>, f: &mut dyn FnMut(&mut Span)) {
    if let Some(span) = span {
        f(span);
    }
}

fn data_spans(data: &mut [DataRef], f: &mut dyn FnMut(&mut Span)) {
    for DataRef { key: _, span } in data {
        visit(span, f);
    }
}

fn safeguard_span(safeguard: &mut Option<Safeguard>, f: &mut dyn FnMut(&mut Span)) {
    if let Some(Safeguard {
        mechanism: _,
        version: _,
        module: _,
        reference: _,
        signed: _,
        expires: _,
        tia: _,
        derogation: _,
        span,
    }) = safeguard
    {
        visit(span, f);
    }
}

/// The services of one compose file as the env extractor needs them: which env files they read
/// through `env_file`, and every name they are reached by. The compose extractor reports it for
/// each compose file it parses, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ComposeServices {
    /// The compose file's project (`extract::services::project_scope`).
    pub scope: String,
    /// (service id, env file path relative to the root) for each `env_file` entry, in file order.
    pub env_files: Vec<(String, String)>,
    /// Every name a service is reached by (its key, `container_name`, `hostname`, network
    /// aliases), with the service's id.
    pub names: std::collections::BTreeMap<String, String>,
}

impl Facts {
    /// One configuration read under each of its deployment variants (`per_variant`, names
    /// unique), as one set of facts: a node or flow that is the same in every variant is kept
    /// once with no variants, as if there were none; one that is not carries the names of the
    /// variants it is in. Other facts equal across variants are kept once. With no variants the
    /// result is empty.
    pub fn from_variants(per_variant: Vec<(Variant, Facts)>) -> Facts {
        let all: Vec<String> = {
            let mut names: Vec<String> = per_variant.iter().map(|(v, _)| v.name.clone()).collect();
            names.sort();
            names.dedup();
            names
        };
        let mut out = Facts::default();
        let mut node_at: std::collections::HashMap<String, usize> = Default::default();
        let mut flow_at: std::collections::HashMap<String, usize> = Default::default();
        for (variant, facts) in per_variant {
            let Facts {
                nodes,
                flows,
                diagnostics,
                attached,
                classes,
                waivers,
                compose_services,
                variants,
            } = facts;
            for mut node in nodes {
                node.variants.clear();
                let key = serde_json::to_string(&node).unwrap_or_default();
                let index = *node_at.entry(key).or_insert_with(|| {
                    out.nodes.push(node);
                    out.nodes.len() - 1
                });
                out.nodes[index].variants.push(variant.name.clone());
            }
            for mut flow in flows {
                flow.variants.clear();
                let key = serde_json::to_string(&flow).unwrap_or_default();
                let index = *flow_at.entry(key).or_insert_with(|| {
                    out.flows.push(flow);
                    out.flows.len() - 1
                });
                out.flows[index].variants.push(variant.name.clone());
            }
            push_new(&mut out.diagnostics, diagnostics);
            push_new(&mut out.attached, attached);
            push_new(&mut out.classes, classes);
            push_new(&mut out.waivers, waivers);
            push_new(&mut out.compose_services, compose_services);
            push_new(&mut out.variants, variants);
            push_new(&mut out.variants, vec![variant]);
        }
        let settle = |names: &mut Vec<String>| {
            names.sort();
            names.dedup();
            if *names == all {
                names.clear();
            }
        };
        out.nodes.iter_mut().for_each(|n| settle(&mut n.variants));
        out.flows.iter_mut().for_each(|f| settle(&mut f.variants));
        out
    }

    /// The facts one variant sees: those that do not depend on a variant, and those of `name`.
    pub fn in_variant(&self, name: &str) -> Facts {
        let is_in = |variants: &[String]| variants.is_empty() || variants.iter().any(|v| v == name);
        Facts {
            nodes: self
                .nodes
                .iter()
                .filter(|n| is_in(&n.variants))
                .cloned()
                .collect(),
            flows: self
                .flows
                .iter()
                .filter(|f| is_in(&f.variants))
                .cloned()
                .collect(),
            ..self.clone_without_graph()
        }
    }

    fn clone_without_graph(&self) -> Facts {
        Facts {
            nodes: Vec::new(),
            flows: Vec::new(),
            diagnostics: self.diagnostics.clone(),
            attached: self.attached.clone(),
            classes: self.classes.clone(),
            waivers: self.waivers.clone(),
            compose_services: self.compose_services.clone(),
            variants: self.variants.clone(),
        }
    }

    /// The names of the variants the facts were read under, sorted, once each.
    pub fn variant_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.variants.iter().map(|v| v.name.clone()).collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Appends the items of `more` that `into` does not hold yet.
fn push_new<T: PartialEq>(into: &mut Vec<T>, more: Vec<T>) {
    for item in more {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}
