//! Org-wide map: joins graph fragments (`graph --format json`) of many repositories by node id,
//! rebuilds a model from their facts and evaluates it again, so that flows crossing repositories
//! (service A's repo sends to a store declared in repo B) get a verdict.
//!
//! Conflicting facts about one node (two locations, two kinds) are warnings naming both sources;
//! the first fragment given wins, as declared facts win over later ones in a single scan.
//!
//! Each repository keeps its judgement. A fragment carries its repository's policy, waivers and
//! the findings its scan reported. A flow belongs to the first fragment that declares it, a node
//! to the first that declares it, and each is judged under its repository's policy and waivers:
//! the scan's own findings stand where merging changes nothing (no other fragment names either
//! node); where another fragment adds facts to a node, the verdicts about it are judged again on
//! the joined map, under the policy of the repository that declared the flow. An org manifest
//! (`merge --config org.toml`) replaces every repository's policy and waivers instead, and every
//! verdict is judged again. Findings about files (`input-error`, references) are the scans' own.
//! A fragment without a policy (written before fragments carried one) is judged under the
//! default policy, with a warning that says so.
//!
//! Fragments hold positions (`file`, `line`, `column`) and the lines their findings point at,
//! not whole files: each path a fragment names becomes a file of blank lines but for the quoted
//! ones, long enough to hold those positions, so findings keep their file:line in every format
//! and the text report quotes their lines (context lines around them are blank). With more than
//! one fragment, paths are prefixed with the repository's name.

use crate::date::Date;
use crate::evaluate::finding::{Finding, Related};
use crate::evaluate::transfer::Transfer;
use crate::evaluate::{Evaluation, evaluate};
use crate::facts::{
    DataRef, Facts, FlowFact, FlowTarget, LocatedAt, Location, MechanismKind, NodeFact, NodeKind,
    NodeRef, Origin, Safeguard, Severity,
};
use crate::model::fragment::{
    GRAPH_FORMAT_VERSION, GraphNode, GraphReportFinding, GraphSafeguard, GraphView, GraphWaiver,
    Position,
};
use crate::model::{Model, ModelInput, build};
use crate::policy::{Policy, Waiver};
use crate::rule::Rule;
use crate::rules::RuleSet;
use crate::source::{FileId, Files, SourceFile, Span, StoredFile};
use camino::Utf8PathBuf;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One fragment and the file it came from.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub source: String,
    pub view: GraphView,
}

/// Cap on one fragment file: far above the map of a large monorepo (40,000 flows make about
/// 20 MB), and low enough that a device or a runaway file is refused rather than read into memory.
pub const MAX_FRAGMENT_BYTES: u64 = 256 * 1024 * 1024;

/// Why a fragment cannot be used at all. Text quoted from the fragment is made inert for a
/// terminal and shortened: a fragment comes from another repository and is as hostile as one.
#[derive(Debug, thiserror::Error)]
pub enum FragmentError {
    #[error("cannot read {0}")]
    Read(#[from] crate::safe_io::SafeIoError),
    #[error("{source_name}: not a borderline graph fragment (`graph --format json`): {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error(
        "{source_name}: graph format version {version} is not supported (this borderline reads version {GRAPH_FORMAT_VERSION})"
    )]
    Version {
        source_name: String,
        version: String,
    },
}

/// Text from a fragment, fit to quote in a message: no terminal controls or line breaks, and at
/// most about 240 characters (the start and the end, where serde_json puts the line and column).
fn quoted(text: &str) -> String {
    let count = text.chars().count();
    let shown = if count > 240 {
        let head: String = text.chars().take(160).collect();
        let tail: String = text.chars().skip(count - 60).collect();
        format!("{head}…{tail}")
    } else {
        text.to_string()
    };
    crate::report::neutral::terminal(&shown).replace(['\n', '\t'], " ")
}

impl Fragment {
    /// Reads and parses the fragment file at `path`: a regular file (no symlink followed, no FIFO or
    /// device), at most [`MAX_FRAGMENT_BYTES`], UTF-8.
    pub fn read(path: &std::path::Path) -> Result<Fragment, FragmentError> {
        let working_directory = std::env::current_dir().unwrap_or_default();
        let text = crate::safe_io::read_text(path, &[&working_directory], MAX_FRAGMENT_BYTES)?;
        Fragment::parse(&path.display().to_string(), &text)
    }

    pub fn parse(source: &str, text: &str) -> Result<Fragment, FragmentError> {
        let view: GraphView = serde_json::from_str(text).map_err(|e| FragmentError::Parse {
            source_name: source.to_string(),
            message: quoted(&e.to_string()),
        })?;
        if view.version != GRAPH_FORMAT_VERSION {
            return Err(FragmentError::Version {
                source_name: source.to_string(),
                version: quoted(&view.version),
            });
        }
        Ok(Fragment {
            source: source.to_string(),
            view,
        })
    }
}

/// The policy and waivers of an org manifest (`merge --config FILE`), which judge every flow.
#[derive(Debug, Clone)]
pub struct OrgPolicy {
    /// The manifest's path as given, for messages.
    pub source: String,
    /// The manifest's text: its file is one of the merged map's files, so its waivers have
    /// positions.
    pub text: String,
}

/// Why an org manifest cannot be used; each problem at file:line:col.
#[derive(Debug)]
pub struct OrgPolicyErrors(pub Vec<String>);

/// The joined map, evaluated, with the conflicts found on the way.
#[derive(Debug)]
pub struct Merged {
    pub model: Model,
    pub evaluation: Evaluation,
    pub warnings: Vec<String>,
    /// Where each node is defined and the module calls that create it, as the first fragment
    /// naming the node gives them: a fragment holds positions, not the files spans point into.
    pub positions: BTreeMap<String, (Option<Position>, Vec<Position>)>,
    /// The `fail_on` of the policy that judged each finding, in the order of
    /// `evaluation.findings`: a finding fails the gate as it would in its repository's scan.
    pub fail_on: Vec<Option<Severity>>,
}

impl Merged {
    /// Whether a finding at or above its threshold is left: `threshold` overrides (`--fail-on`);
    /// `None` uses the `fail_on` of the policy that judged each finding.
    pub fn failing(&self, threshold: Option<Option<Severity>>) -> bool {
        self.evaluation
            .findings
            .iter()
            .zip(&self.fail_on)
            .any(|(finding, own)| {
                let threshold = threshold.unwrap_or(*own);
                !finding.known && threshold.is_some_and(|t| finding.severity >= t)
            })
    }
}

fn safeguard(graph: &GraphSafeguard, span: Option<Span>) -> Option<Safeguard> {
    Some(Safeguard {
        mechanism: MechanismKind::parse(&graph.mechanism)?,
        version: graph.version.clone(),
        module: graph.module,
        reference: graph.reference.clone(),
        signed: graph.signed.as_deref().and_then(|d| Date::parse(d).ok()),
        expires: graph.expires.as_deref().and_then(|d| Date::parse(d).ok()),
        tia: graph.tia.clone(),
        derogation: graph.derogation.clone(),
        span,
    })
}

fn data(keys: &[String]) -> Vec<DataRef> {
    keys.iter()
        .map(|key| DataRef {
            key: key.clone(),
            span: None,
        })
        .collect()
}

fn node_fact(node: &GraphNode, span: Option<Span>) -> NodeFact {
    let mut fact = NodeFact::new(node.id.clone(), Origin::Manifest);
    fact.kind = NodeKind::parse(&node.kind);
    fact.label = node.label.clone();
    fact.location = node.location.as_ref().map(|l| LocatedAt {
        location: Location::parse(l),
        span,
        unresolved_reason: None,
    });
    fact.data = data(&node.data);
    fact.domains = node.domains.clone();
    fact.certifications = node.certifications.clone();
    fact.personal_data = node.personal_data;
    fact.safeguard = node.safeguard.as_ref().and_then(|s| safeguard(s, span));
    fact.provider = node.provider.clone();
    fact.span = span;
    fact.variants = node.variants.clone();
    fact
}

/// Facts of one node that must agree across fragments.
fn conflicts(first: &GraphNode, other: &GraphNode) -> Vec<String> {
    let mut out = Vec::new();
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    // A fragment that does not know a node's location is not in conflict with one that does.
    if first.location.is_some() && other.location.is_some() && first.location != other.location {
        out.push(format!(
            "location `{}` vs `{}`",
            show(&first.location),
            show(&other.location)
        ));
    }
    if first.kind != other.kind {
        out.push(format!("kind `{}` vs `{}`", first.kind, other.kind));
    }
    if first.safeguard.is_some() && other.safeguard.is_some() && first.safeguard != other.safeguard
    {
        out.push("different safeguards".into());
    }
    out
}

/// The most lines and columns a position may ask of a blank file, and the most bytes all blank
/// files may hold: a fragment is hostile, and a position past these has no span (the finding
/// keeps its file).
const MAX_LINE: u32 = 2_000_000;
const MAX_COLUMN: u32 = 4_096;
const MAX_BLANK_BYTES: usize = 64 * 1024 * 1024;

/// Files standing for the files fragments name: blank, but for the lines the fragments quote,
/// and long enough for every position in them.
#[derive(Default)]
struct Places {
    /// Path → line → the widest column asked for on it.
    wanted: BTreeMap<String, BTreeMap<u32, u32>>,
    /// Path → line → its text, as the fragment quotes it.
    quoted: BTreeMap<String, BTreeMap<u32, String>>,
    files: BTreeMap<String, SourceFile>,
}

impl Places {
    fn want(&mut self, path: &str, line: u32, column: u32) {
        if line == 0 || line > MAX_LINE || column > MAX_COLUMN {
            return;
        }
        let widest = self
            .wanted
            .entry(path.to_string())
            .or_default()
            .entry(line)
            .or_insert(1);
        *widest = (*widest).max(column.max(1));
    }

    /// A line's text as a fragment quotes it: one line, at most [`MAX_COLUMN`] characters.
    fn quote(&mut self, path: &str, line: u32, text: &str) {
        if line == 0 || line > MAX_LINE {
            return;
        }
        let text: String = text
            .chars()
            .take(MAX_COLUMN as usize)
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        self.quoted
            .entry(path.to_string())
            .or_default()
            .insert(line, text);
    }

    /// Builds the blank files (sorted by path, so ids are deterministic) into `files`.
    fn build(&mut self, files: &mut Files) {
        let mut total = 0usize;
        let quoted = std::mem::take(&mut self.quoted);
        let none = BTreeMap::new();
        for (path, lines) in std::mem::take(&mut self.wanted) {
            let quotes = quoted.get(&path).unwrap_or(&none);
            let last = lines.keys().next_back().copied().unwrap_or(1);
            let width: usize = lines.values().map(|w| *w as usize).sum();
            let quoted_bytes: usize = quotes.range(..=last).map(|(_, text)| text.len()).sum();
            let size = last as usize + width + quoted_bytes;
            if total.saturating_add(size) > MAX_BLANK_BYTES {
                continue;
            }
            total += size;
            let mut text = String::with_capacity(size);
            for line in 1..=last {
                let width = lines.get(&line).copied().unwrap_or(0) as usize;
                let quote = quotes.get(&line).map(String::as_str).unwrap_or("");
                text.push_str(quote);
                // A column past the quoted text still needs a character to point at.
                let chars = quote.chars().count();
                text.extend(std::iter::repeat_n(' ', width.saturating_sub(chars)));
                text.push('\n');
            }
            let id = FileId(u32::try_from(files.len()).unwrap_or(u32::MAX));
            let file = SourceFile::new(id, Utf8PathBuf::from(path.as_str()), Arc::from(text));
            files.push(StoredFile::whole(&file));
            self.files.insert(path, file);
        }
    }

    fn span(&self, path: &str, position: &Position) -> Option<Span> {
        if position.line == 0 || position.line > MAX_LINE || position.column > MAX_COLUMN {
            return None;
        }
        self.files
            .get(path)
            .map(|file| file.span_at(position.line, position.column))
    }

    /// The offset of the end of a 1-based line of a rebuilt file.
    fn line_end(&self, path: &str, line: u32) -> Option<u32> {
        if line == 0 || line > MAX_LINE {
            return None;
        }
        self.files.get(path).map(|file| file.line_span(line).end)
    }
}

/// One fragment's part in the merge: its name in messages and paths, the policy and waivers
/// that judge its flows, and whether its scan's findings can stand.
struct Part<'a> {
    fragment: &'a Fragment,
    name: String,
    prefix: String,
    policy: Policy,
    waivers: Vec<Waiver>,
}

impl Part<'_> {
    fn path(&self, file: &str) -> String {
        format!("{}{file}", self.prefix)
    }

    fn span(&self, places: &Places, position: Option<&Position>) -> Option<Span> {
        position.and_then(|p| places.span(&self.path(&p.file), p))
    }
}

/// A carried finding as a finding again, its positions turned into spans of the blank files.
fn carried_finding(
    part: &Part<'_>,
    places: &Places,
    carried: &GraphReportFinding,
) -> Option<Finding> {
    let rule = Rule::from_name(&carried.rule).ok()?;
    let severity = Severity::parse(&carried.severity)?;
    let mut finding = Finding::new(rule, severity, carried.message.clone());
    finding.from = carried.from.clone();
    finding.to = carried.to.clone();
    finding.from_country = carried.from_country.clone();
    finding.to_country = carried.to_country.clone();
    finding.data = carried.data.clone();
    finding.span = part.span(places, carried.location.as_ref());
    if finding.span.is_none() {
        finding.path = carried.location.as_ref().map(|p| part.path(&p.file));
    }
    finding.related = carried
        .related
        .iter()
        .map(|r| Related {
            span: part.span(places, r.location.as_ref()),
            message: r.message.clone(),
        })
        .collect();
    finding.help = carried.help.clone();
    finding.data_path = carried.data_path.clone();
    finding.inferred = carried.inferred;
    finding.environment = carried.environment;
    finding.fingerprint = carried.fingerprint.clone();
    finding.variants = carried.variants.clone();
    Some(finding)
}

fn waivers_of(
    part_prefix: &str,
    fragment: &Fragment,
    places: &Places,
    warnings: &mut Vec<String>,
) -> Vec<Waiver> {
    fragment
        .view
        .waivers
        .iter()
        .filter_map(|waiver| waiver_of(part_prefix, fragment, waiver, places, warnings))
        .collect()
}

/// A fragment's waiver as a waiver of the merged model, its places turned into spans of the
/// rebuilt files; `None` (with a warning) when it cannot be applied as written.
fn waiver_of(
    part_prefix: &str,
    fragment: &Fragment,
    waiver: &GraphWaiver,
    places: &Places,
    warnings: &mut Vec<String>,
) -> Option<Waiver> {
    let Ok(expires) = Date::parse(&waiver.expires) else {
        warnings.push(format!(
            "{}: a waiver of `{}` has no valid `expires` date; it is not applied",
            fragment.source, waiver.rule
        ));
        return None;
    };
    let span = waiver
        .location
        .as_ref()
        .and_then(|p| places.span(&format!("{part_prefix}{}", p.file), p));
    // An inline waiver covers its lines only: without them it would waive every finding of
    // its rule, so one whose lines cannot be placed again is not applied.
    let covers = match &waiver.covers {
        None => None,
        Some(lines) => {
            let path = format!("{part_prefix}{}", lines.file);
            let first = places.span(
                &path,
                &Position {
                    file: lines.file.clone(),
                    line: lines.first_line,
                    column: 1,
                },
            );
            let last = places.line_end(&path, lines.last_line);
            match (first, last) {
                (Some(first), Some(last)) if first.start <= last => {
                    Some(Span::new(first.file, first.start as usize..last as usize))
                }
                _ => {
                    warnings.push(format!(
                        "{}: an inline waiver of `{}` names lines that are not in the fragment; it is not applied",
                        fragment.source, waiver.rule
                    ));
                    return None;
                }
            }
        }
    };
    Some(Waiver {
        rule: waiver.rule.clone(),
        from: waiver.from.as_ref().map(|id| NodeRef {
            id: id.clone(),
            span,
        }),
        to: waiver.to.as_ref().map(|id| NodeRef {
            id: id.clone(),
            span,
        }),
        reason: waiver.reason.clone(),
        expires,
        span,
        covers,
    })
}

/// Joins fragments, in the order given, and judges the result on `date`: each flow under the
/// policy and waivers of the repository that declared it, or all under `org` when one is given.
pub fn merge(
    fragments: &[Fragment],
    rules: &RuleSet,
    date: Date,
    org: Option<&OrgPolicy>,
) -> Result<Merged, OrgPolicyErrors> {
    let mut warnings = Vec::new();
    let several = fragments.len() > 1;
    let names = part_names(fragments);
    let mut places = wanted_places(fragments, &names, several);
    let mut files = Files::new();
    places.build(&mut files);
    // The org manifest is the last file, so its waivers and policy keys have positions.
    let org_file = org.map(|_| FileId(u32::try_from(files.len()).unwrap_or(u32::MAX)));
    let org_judge = org_judge(org, rules, &mut files, &mut warnings)?;
    let parts = parts(
        fragments,
        &names,
        several,
        org_judge.as_ref(),
        &places,
        &mut warnings,
    );
    let mut facts = Facts::default();
    let (positions, declared_in) = join_nodes(&parts, &places, &mut facts, &mut warnings);
    let flow_owner = join_flows(&parts, &places, &mut facts);
    let joined = Joined {
        parts: &parts,
        places: &places,
        files: &files,
        several,
        org,
        org_file,
        org_name: org_judge
            .as_ref()
            .map(|(source, _, _)| format!("--config {source}")),
        declared_in: &declared_in,
        flow_owner: &flow_owner,
        date,
    };
    let mut model = build(
        ModelInput {
            files: files.clone(),
            manifest_facts: facts,
            extracted: Facts::default(),
            policy: Policy::default(),
            waivers: Vec::new(),
            project_name: project_name(fragments),
        },
        rules,
    );
    let (out, transfers) = judge(&joined, &mut model, rules, &mut warnings);
    let (model, mut evaluation, fail_on) = gather(model, &parts, out, transfers, date);
    evaluation.hypotheses = rules.hypotheses();
    Ok(Merged {
        model,
        evaluation,
        warnings,
        positions,
        fail_on,
    })
}

/// The org manifest's path, policy and waivers, which judge every fragment's flows in place of
/// the repositories' own.
type OrgJudge = (String, Policy, Vec<Waiver>);

/// Where each node is defined and the module calls that create it, as a fragment gives them.
type NodePositions = BTreeMap<String, (Option<Position>, Vec<Position>)>;

/// A finding of the merge, the waiver that waived it (if one did) and the `fail_on` of the
/// policy that judged it.
type Judged = (Finding, Option<Waiver>, Option<Severity>);

/// What the joined map is made of, and which fragment owns which of its nodes, flows and files:
/// everything that decides which repository a finding of the joined map belongs to.
struct Joined<'a> {
    parts: &'a [Part<'a>],
    places: &'a Places,
    files: &'a Files,
    several: bool,
    org: Option<&'a OrgPolicy>,
    org_file: Option<FileId>,
    /// How findings judged under the org manifest name the policy that judged them.
    org_name: Option<String>,
    /// The fragments that declare each node; the first one is the node's owner.
    declared_in: &'a BTreeMap<String, BTreeSet<usize>>,
    /// The fragment that owns each pair of nodes with a flow between them.
    flow_owner: &'a BTreeMap<(String, String), usize>,
    date: Date,
}

/// Each fragment's name: the project's, else the fragment file's stem; a repeated name takes the
/// file's path.
fn part_names(fragments: &[Fragment]) -> Vec<String> {
    // Names: the project's, else the fragment file's stem; a repeated name takes the file's path.
    let mut names: Vec<String> = fragments
        .iter()
        .map(|f| {
            f.view.project.clone().unwrap_or_else(|| {
                std::path::Path::new(&f.source)
                    .file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
                    .unwrap_or_else(|| f.source.clone())
            })
        })
        .collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for name in &names {
        *counts.entry(name.clone()).or_insert(0) += 1;
    }
    for (name, fragment) in names.iter_mut().zip(fragments) {
        if counts.get(name.as_str()).copied().unwrap_or(0) > 1 {
            *name = fragment.source.clone();
        }
    }
    names
}

/// The prefix of a fragment's paths in the joined map: its name, when more than one is merged.
fn part_prefix(name: &str, several: bool) -> String {
    if several {
        format!("{name}/")
    } else {
        String::new()
    }
}

/// Every position the fragments name and every line they quote, so the blank files can be
/// built before any span.
fn wanted_places(fragments: &[Fragment], names: &[String], several: bool) -> Places {
    // Every position the fragments name, so the blank files can be built before any span.
    let mut places = Places::default();
    for (fragment, name) in fragments.iter().zip(names) {
        let prefix = part_prefix(name, several);
        let mut want = |position: &Position| {
            places.want(
                &format!("{prefix}{}", position.file),
                position.line,
                position.column,
            );
        };
        let view = &fragment.view;
        for node in &view.nodes {
            node.defined_at.iter().chain(&node.via).for_each(&mut want);
        }
        for flow in &view.flows {
            flow.location.iter().for_each(&mut want);
        }
        for waiver in &view.waivers {
            waiver.location.iter().for_each(&mut want);
        }
        for finding in view.judgement.iter().flat_map(|j| &j.findings) {
            finding.location.iter().for_each(&mut want);
            for related in &finding.related {
                related.location.iter().for_each(&mut want);
            }
        }
        for (path, lines) in &view.sources {
            for (line, text) in lines {
                places.quote(&format!("{prefix}{path}"), *line, text);
            }
        }
    }
    places
}

/// Reads the org manifest, when one is given, into the policy and waivers that judge every
/// fragment, and adds it to `files` as their last file; its nodes and flows are not read.
fn org_judge(
    org: Option<&OrgPolicy>,
    rules: &RuleSet,
    files: &mut Files,
    warnings: &mut Vec<String>,
) -> Result<Option<OrgJudge>, OrgPolicyErrors> {
    let org_judge = match org {
        None => None,
        Some(org) => {
            let id = FileId(u32::try_from(files.len()).unwrap_or(u32::MAX));
            let file = SourceFile::new(
                id,
                Utf8PathBuf::from(org.source.as_str()),
                Arc::from(org.text.as_str()),
            );
            let manifest = crate::config::parse_manifest(&file, rules).map_err(|errors| {
                OrgPolicyErrors(errors.iter().map(ToString::to_string).collect())
            })?;
            files.push(StoredFile::whole(&file));
            if !manifest.facts.nodes.is_empty() || !manifest.facts.flows.is_empty() {
                warnings.push(format!(
                    "{}: `merge` takes only the policy and waivers of --config; its nodes and flows are not read (declare them in a repository)",
                    org.source
                ));
            }
            Some((org.source.clone(), manifest.policy, manifest.waivers))
        }
    };
    Ok(org_judge)
}

/// Each fragment's part: the org manifest's policy and waivers when one is given, else the
/// fragment's own (the default policy, with a warning, when it carries none or a bad one).
fn parts<'a>(
    fragments: &'a [Fragment],
    names: &[String],
    several: bool,
    org_judge: Option<&OrgJudge>,
    places: &Places,
    warnings: &mut Vec<String>,
) -> Vec<Part<'a>> {
    let mut parts = Vec::new();
    for (fragment, name) in fragments.iter().zip(names) {
        let prefix = part_prefix(name, several);
        let policy = match (&org_judge, &fragment.view.policy) {
            (Some((_, policy, _)), _) => policy.clone(),
            (None, Some(policy)) => match policy.to_policy() {
                Ok(policy) => policy,
                Err(reason) => {
                    warnings.push(format!(
                        "{}: {reason}; its flows are judged under the default policy",
                        fragment.source
                    ));
                    Policy::default()
                }
            },
            (None, None) => {
                warnings.push(format!(
                    "{}: the fragment carries no policy (written by an older borderline); its flows are judged under the default policy and without its waivers",
                    fragment.source
                ));
                Policy::default()
            }
        };
        let waivers = match &org_judge {
            Some((_, _, waivers)) => waivers.clone(),
            None => waivers_of(&prefix, fragment, places, warnings),
        };
        parts.push(Part {
            fragment,
            name: name.clone(),
            prefix,
            policy,
            waivers,
        });
    }
    parts
}

/// Adds every fragment's nodes to `facts`, warning where a later fragment contradicts the first
/// one naming a node. Returns where the first fragment places each node, and the fragments that
/// declare each node (the first one is its owner).
fn join_nodes(
    parts: &[Part<'_>],
    places: &Places,
    facts: &mut Facts,
    warnings: &mut Vec<String>,
) -> (NodePositions, BTreeMap<String, BTreeSet<usize>>) {
    let mut first_seen: BTreeMap<&str, (&GraphNode, &str)> = BTreeMap::new();
    let mut positions = BTreeMap::new();
    // The fragments that declare each node, and the first one (the node's owner).
    let mut declared_in: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for (index, part) in parts.iter().enumerate() {
        let fragment = part.fragment;
        for node in &fragment.view.nodes {
            match first_seen.get(node.id.as_str()) {
                Some((first, source)) => {
                    for conflict in conflicts(first, node) {
                        warnings.push(format!(
                            "node `{}`: {conflict} ({source} vs {}); keeping the first",
                            node.id, fragment.source
                        ));
                    }
                }
                None => {
                    first_seen.insert(node.id.as_str(), (node, fragment.source.as_str()));
                    positions.insert(node.id.clone(), (node.defined_at.clone(), node.via.clone()));
                }
            }
            declared_in
                .entry(node.id.clone())
                .or_default()
                .insert(index);
            facts
                .nodes
                .push(node_fact(node, part.span(places, node.defined_at.as_ref())));
        }
    }
    (positions, declared_in)
}

/// Adds every fragment's flows to `facts`, once each, and returns the fragment that owns each
/// pair of nodes with a flow between them.
fn join_flows(
    parts: &[Part<'_>],
    places: &Places,
    facts: &mut Facts,
) -> BTreeMap<(String, String), usize> {
    // The same flow seen from both ends (two repositories declaring it) is one flow, the first
    // fragment's; a pair of nodes belongs to the first fragment with a flow between them.
    // Each flow kept, with its place in `facts.flows`: a flow seen again (from the other end, or
    // in another variant) adds its variants to the first one's.
    let mut flows_seen: BTreeMap<(String, String, Vec<String>, Option<String>), usize> =
        BTreeMap::new();
    let mut flow_owner: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (index, part) in parts.iter().enumerate() {
        for flow in &part.fragment.view.flows {
            let mut keys = flow.data.clone();
            keys.sort();
            let key = (
                flow.from.clone(),
                flow.to.clone(),
                keys,
                flow.purpose.clone(),
            );
            if let Some(kept) = flows_seen.get(&key).and_then(|at| facts.flows.get_mut(*at)) {
                crate::model::union_variants(&mut kept.variants, flow.variants.clone());
                continue;
            }
            flows_seen.insert(key, facts.flows.len());
            flow_owner
                .entry((flow.from.clone(), flow.to.clone()))
                .or_insert(index);
            let span = part.span(places, flow.location.as_ref());
            facts.flows.push(FlowFact {
                from: Some(NodeRef {
                    id: flow.from.clone(),
                    span,
                }),
                to: FlowTarget::Node(NodeRef {
                    id: flow.to.clone(),
                    span,
                }),
                data: data(&flow.data),
                purpose: flow.purpose.clone(),
                safeguard: flow.safeguard.as_ref().and_then(|s| safeguard(s, span)),
                span,
                origin: Origin::Manifest,
                inferred: flow.inferred,
                scope: None,
                variants: flow.variants.clone(),
            });
        }
    }
    flow_owner
}

/// The joined map's project name: the fragments' project names, joined with ` + `.
fn project_name(fragments: &[Fragment]) -> Option<String> {
    let names: BTreeSet<&str> = fragments
        .iter()
        .filter_map(|f| f.view.project.as_deref())
        .collect();
    (!names.is_empty()).then(|| names.into_iter().collect::<Vec<_>>().join(" + "))
}

/// Judges the joined map under each part's policy and waivers and decides, for every finding,
/// whether the scan's verdict stands or the joined map's replaces it. Returns the findings, each
/// with its waiver and `fail_on`, and the transfers each part owns.
fn judge(
    joined: &Joined<'_>,
    model: &mut Model,
    rules: &RuleSet,
    warnings: &mut Vec<String>,
) -> (Vec<Judged>, Vec<Transfer>) {
    let (parts, several, org) = (joined.parts, joined.several, joined.org);
    // Nodes more than one fragment names: merging may change the verdicts about them.
    let shared: BTreeSet<&str> = joined
        .declared_in
        .iter()
        .filter(|(_, parts)| parts.len() > 1)
        .map(|(id, _)| id.as_str())
        .collect();
    let node_owner: BTreeMap<&str, usize> = joined
        .declared_in
        .iter()
        .filter_map(|(id, parts)| parts.first().map(|first| (id.as_str(), *first)))
        .collect();
    let file_owner = |span: Option<Span>| -> Option<usize> {
        let path = span.and_then(|s| joined.files.get(s.file))?.path.as_str();
        parts
            .iter()
            .position(|part| !part.prefix.is_empty() && path.starts_with(part.prefix.as_str()))
            .or_else(|| (!several && org.is_none_or(|o| o.source != path)).then_some(0))
    };
    // Which fragment a finding of the joined map belongs to: its flow's, else its node's, else
    // the file's it points into.
    // `unknown-location` is about its node (the sender only says why it matters), as the
    // environment of a finding is (`evaluate::environment_of`).
    let owner = |finding: &Finding| -> Option<usize> {
        if finding.rule == Rule::UnknownLocation
            && let Some(index) = finding.to.as_deref().and_then(|id| node_owner.get(id))
        {
            return Some(*index);
        }
        if let (Some(from), Some(to)) = (&finding.from, &finding.to)
            && let Some(index) = joined.flow_owner.get(&(from.clone(), to.clone()))
        {
            return Some(*index);
        }
        finding
            .to
            .as_deref()
            .or(finding.from.as_deref())
            .and_then(|id| node_owner.get(id).copied())
            .or_else(|| file_owner(finding.span))
    };
    let touches = |finding: &Finding| {
        [&finding.from, &finding.to]
            .into_iter()
            .flatten()
            .any(|id| shared.contains(id.as_str()))
    };
    let judged = |rule: Rule| rule.judged_by_merge();
    // Which policy judged a finding, said when more than one could have.
    let tell = several || org.is_some();
    // (finding, waiver reason if waived, fail_on of the policy that judged it)
    let mut out: Vec<Judged> = Vec::new();
    let mut transfers = Vec::new();
    let mut evaluations: BTreeMap<String, Evaluation> = BTreeMap::new();
    let map_variants = MapVariants::of(model);
    for (index, part) in parts.iter().enumerate() {
        let carried = part.fragment.view.judgement.as_ref();
        // Whether a verdict of this fragment is judged again on the joined map.
        let again = |finding: &Finding| {
            org.is_some() || carried.is_none() || (judged(finding.rule) && touches(finding))
        };
        let own_name = format!("repository `{}`", part.name);
        // Under an org manifest, the scans' verdicts give way; their findings about files stay.
        let gives_way = |finding: &Finding| {
            (judged(finding.rule) && again(finding)) || (org.is_some() && judged(finding.rule))
        };
        let mark = |finding: &mut Finding, name: &str| {
            if tell && judged(finding.rule) {
                finding.related.push(judged_by(name));
            }
        };
        let standing = |finding: &mut Finding| mark(finding, &own_name);
        carry(joined, part, &gives_way, &standing, &mut out, warnings);
        // Repositories judged alike (the default policy and no waivers, or all under `--config`)
        // share one evaluation of the joined map.
        let key = format!("{:?}|{:?}", part.policy, part.waivers);
        if !evaluations.contains_key(&key) {
            model.policy = part.policy.clone();
            model.waivers = part.waivers.clone();
            let evaluation = evaluate(model, rules, joined.date);
            evaluations.insert(key.clone(), evaluation);
        }
        let Some(evaluation) = evaluations.get(&key) else {
            continue;
        };
        let name = joined.org_name.clone().unwrap_or_else(|| own_name.clone());
        let mine = |finding: &Finding| match owner(finding) {
            Some(owner) => owner == index,
            // Findings of the org manifest's own waivers are reported once.
            None => index == 0,
        };
        // Findings about the org manifest's own entries (a waiver naming no node) are its own.
        let in_org_file = |finding: &Finding| {
            finding
                .span
                .is_some_and(|span| Some(span.file) == joined.org_file)
        };
        let take = |finding: &Finding| {
            mine(finding)
                && again(finding)
                && (judged(finding.rule) || carried.is_none() || in_org_file(finding))
        };
        let rejudged = |finding: &mut Finding| {
            mark(finding, &name);
            finding.variants = map_variants.of_finding(finding);
        };
        take_judged(evaluation, part, &take, &rejudged, &mut out);
        owned_transfers(joined, model, evaluation, index, &mut transfers);
    }
    (out, transfers)
}

/// The deployment variants of the joined map's flows (by their nodes, with their span) and
/// nodes, indexed once for the findings judged on it; empty when nothing has variants.
#[derive(Default)]
struct MapVariants {
    flows: BTreeMap<(String, String), Vec<FlowVariants>>,
    nodes: BTreeMap<String, Vec<String>>,
}

/// Where a flow of the joined map is written, and the variants it exists in.
type FlowVariants = (Option<Span>, Vec<String>);

impl MapVariants {
    fn of(model: &Model) -> MapVariants {
        let mut out = MapVariants::default();
        let any = model.flows.iter().any(|f| !f.variants.is_empty())
            || model.nodes.iter().any(|n| !n.variants.is_empty());
        if !any {
            return out;
        }
        for flow in &model.flows {
            out.flows
                .entry((flow.from.clone(), flow.to.clone()))
                .or_default()
                .push((flow.span, flow.variants.clone()));
        }
        for node in model.nodes.iter().filter(|n| !n.variants.is_empty()) {
            out.nodes.insert(node.id.clone(), node.variants.clone());
        }
        out
    }

    /// The variants a finding judged on the joined map is in: those its flow (the one at its
    /// span, else the first between its nodes) and its destination both exist in, or none
    /// (every variant). The joined map is judged once, over the facts of every variant together.
    fn of_finding(&self, finding: &Finding) -> Vec<String> {
        let of_flow = match (&finding.from, &finding.to) {
            (Some(from), Some(to)) => self
                .flows
                .get(&(from.clone(), to.clone()))
                .and_then(|flows| {
                    flows
                        .iter()
                        .find(|(span, _)| finding.span.is_some() && *span == finding.span)
                        .or_else(|| flows.first())
                })
                .map(|(_, variants)| variants.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let of_node = finding
            .to
            .as_deref()
            .and_then(|id| self.nodes.get(id))
            .cloned()
            .unwrap_or_default();
        match (of_flow.is_empty(), of_node.is_empty()) {
            (true, _) => of_node,
            (_, true) => of_flow,
            _ => {
                let both: Vec<String> = of_flow
                    .iter()
                    .filter(|name| of_node.contains(name))
                    .cloned()
                    .collect();
                if both.is_empty() { of_flow } else { both }
            }
        }
    }
}

/// How a finding names the policy that judged it, when more than one could have.
fn judged_by(name: &str) -> Related {
    Related {
        span: None,
        message: format!("judged under the policy of {name}"),
    }
}

/// Adds the findings a part's scan carried that stand on the joined map (those that do not
/// `give_way` to its verdicts), each with the waiver that travels with it.
fn carry(
    joined: &Joined<'_>,
    part: &Part<'_>,
    gives_way: &dyn Fn(&Finding) -> bool,
    mark: &dyn Fn(&mut Finding),
    out: &mut Vec<Judged>,
    warnings: &mut Vec<String>,
) {
    let places = joined.places;
    let date = joined.date;
    for carried in part
        .fragment
        .view
        .judgement
        .iter()
        .flat_map(|j| &j.findings)
    {
        let Some(mut finding) = carried_finding(part, places, carried) else {
            warnings.push(format!(
                "{}: a finding of unknown rule or severity (`{}`, `{}`) is left out",
                part.fragment.source, carried.rule, carried.severity
            ));
            continue;
        };
        if gives_way(&finding) {
            continue;
        }
        mark(&mut finding);
        // The waiver travels with the finding; a finding that names only its reason keeps
        // that reason, with no place and no later expiry than the day of the merge.
        let waiver = match (&carried.waiver, &carried.waived) {
            (Some(waiver), _) => waiver_of(&part.prefix, part.fragment, waiver, places, warnings),
            (None, Some(reason)) => Some(Waiver {
                rule: finding.rule.to_string(),
                from: None,
                to: None,
                reason: reason.clone(),
                expires: date,
                span: None,
                covers: None,
            }),
            (None, None) => None,
        };
        out.push((finding, waiver, part.policy.fail_on));
    }
}

/// Adds the findings (and waived findings) of the joined map's evaluation that a part takes.
fn take_judged(
    evaluation: &Evaluation,
    part: &Part<'_>,
    take: &dyn Fn(&Finding) -> bool,
    mark: &dyn Fn(&mut Finding),
    out: &mut Vec<Judged>,
) {
    for finding in &evaluation.findings {
        if take(finding) {
            let mut finding = finding.clone();
            mark(&mut finding);
            out.push((finding, None, part.policy.fail_on));
        }
    }
    for (finding, waiver) in &evaluation.waived {
        if take(finding) {
            let mut finding = finding.clone();
            mark(&mut finding);
            out.push((finding, Some(waiver.clone()), part.policy.fail_on));
        }
    }
}

/// Adds the transfers of the joined map's evaluation whose flow the part at `index` owns.
fn owned_transfers(
    joined: &Joined<'_>,
    model: &Model,
    evaluation: &Evaluation,
    index: usize,
    transfers: &mut Vec<Transfer>,
) {
    for transfer in &evaluation.transfers {
        let owned = transfer
            .flow
            .and_then(|flow| model.flows.get(flow))
            .and_then(|flow| joined.flow_owner.get(&(flow.from.clone(), flow.to.clone())))
            .is_some_and(|owner| *owner == index);
        if owned {
            transfers.push(transfer.clone());
        }
    }
}

/// The merge's model (with the first part's policy, for the map's colours, and no waivers) and
/// its evaluation, findings sorted as a scan sorts them, with the `fail_on` of each.
fn gather(
    mut model: Model,
    parts: &[Part<'_>],
    out: Vec<Judged>,
    transfers: Vec<Transfer>,
    date: Date,
) -> (Model, Evaluation, Vec<Option<Severity>>) {
    // The model keeps the first policy (for the map's colours) and no waivers.
    if let Some(first) = parts.first() {
        model.policy = first.policy.clone();
    }
    model.waivers = Vec::new();
    let (mut findings, mut waived) = (Vec::new(), Vec::new());
    for (finding, reason, fail_on) in out {
        match reason {
            Some(reason) => waived.push((finding, reason)),
            None => findings.push((finding, fail_on)),
        }
    }
    sort(&model, &mut findings);
    waived.sort_by(|a, b| a.0.fingerprint.cmp(&b.0.fingerprint));
    let fail_on = findings.iter().map(|(_, f)| *f).collect();
    let evaluation = Evaluation {
        findings: findings.into_iter().map(|(f, _)| f).collect(),
        waived,
        transfers,
        date,
        hypotheses: Vec::new(),
    };
    (model, evaluation, fail_on)
}

/// Sorts by file and position, as a scan does (`evaluate::sort`). The sort is stable and the
/// blank files' spans hold only a start: findings at one position keep the order their scan
/// gave them (by the end of their spans, rule and fingerprint), then the order judged again.
fn sort(model: &Model, findings: &mut [(Finding, Option<Severity>)]) {
    findings.sort_by_cached_key(|(f, _)| {
        let path = f
            .span
            .and_then(|s| model.files.get(s.file))
            .map(|file| file.path.to_string())
            .or_else(|| f.path.clone())
            .unwrap_or_default();
        (path, f.span.map(|s| s.start))
    });
}
