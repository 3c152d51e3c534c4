//! The JSON report (SPEC §7): findings, nodes and flows, with positions relative to the scanned root.

use super::{Position, Summary, position};
use crate::discover::{SkipReason, Skipped};
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Verdict;
use crate::model::{JurisdictionStatus, Model};
use crate::rules::RuleSet;
use serde::Serialize;

/// The version of the JSON shape; bumped when a field changes meaning or disappears.
pub const JSON_FORMAT_VERSION: &str = "1";

#[derive(Serialize)]
struct Report<'a> {
    version: &'static str,
    borderline: &'static str,
    evaluation_date: String,
    /// What a hypothetical run assumes (`--assume-invalid`, `--assume-valid`): each decision, its
    /// instrument and `invalid` or `valid`. Absent for a real run.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    hypothetical: &'a [crate::rules::Hypothesis],
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    waived: Vec<JsonWaived<'a>>,
    nodes: Vec<JsonNode<'a>>,
    flows: Vec<JsonFlow<'a>>,
    /// Directories the walk did not enter; absent when it entered every one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<JsonSkipped<'a>>,
    /// Skipped directories beyond those listed; absent when all are listed.
    #[serde(skip_serializing_if = "is_zero")]
    skipped_unlisted: usize,
    /// The deployment variants the scan found, by name, each with the files that make it
    /// differ; absent when there are none, so that a report of a repository without variants
    /// reads as before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    variants: Vec<JsonVariant>,
    /// The transfers changed since a base branch's map (`scan --baseline-graph`); absent
    /// without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer_diff: Option<&'a super::transfer_diff::TransferDiff>,
}

/// A deployment variant (`prod`): every input that makes it differ, of every source.
#[derive(Serialize)]
struct JsonVariant {
    name: String,
    sources: Vec<JsonVariantSource>,
}

/// One input of a variant: `tfvars`, `terragrunt`, `helm values` or `kustomize overlay`, and the
/// file (or line) that makes the variant differ.
#[derive(Serialize)]
struct JsonVariantSource {
    source: String,
    #[serde(flatten)]
    location: Option<Position>,
}

/// The variants by name, sorted, each input once, in the order of their files.
fn json_variants(model: &Model, variants: &[crate::facts::Variant]) -> Vec<JsonVariant> {
    let mut by_name: std::collections::BTreeMap<&str, Vec<&crate::facts::Variant>> =
        std::collections::BTreeMap::new();
    for variant in variants {
        by_name
            .entry(variant.name.as_str())
            .or_default()
            .push(variant);
    }
    by_name
        .into_iter()
        .map(|(name, inputs)| {
            let mut sources: Vec<JsonVariantSource> = Vec::new();
            for input in inputs {
                let source = JsonVariantSource {
                    source: input.source.clone(),
                    location: position(&model.files, Some(input.span), None),
                };
                if !sources
                    .iter()
                    .any(|s| s.source == source.source && s.location == source.location)
                {
                    sources.push(source);
                }
            }
            sources.sort_by(|a, b| {
                let key = |s: &JsonVariantSource| {
                    s.location
                        .as_ref()
                        .map(|p| (p.file.clone(), p.line, p.column))
                };
                key(a).cmp(&key(b)).then_with(|| a.source.cmp(&b.source))
            });
            JsonVariant {
                name: name.to_string(),
                sources,
            }
        })
        .collect()
}

/// A directory the walk did not enter: `reason` is `dependencies`, `build-output`,
/// `git-metadata`, `scan-exclude` or `ignore-file` (then `file` names the ignore file).
#[derive(Serialize)]
struct JsonSkipped<'a> {
    path: &'a str,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Serialize)]
pub struct JsonRelated {
    #[serde(flatten)]
    position: Option<Position>,
    message: String,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    from_country: Option<&'a str>,
    to_country: Option<&'a str>,
    data: &'a [String],
    location: Option<Position>,
    related: Vec<JsonRelated>,
    help: Option<&'a str>,
    data_path: &'a [String],
    inferred: bool,
    known: bool,
    /// `production`, `test` or `dev`: the class of the finding's evidence (docs/environments.md).
    environment: &'a str,
    fingerprint: &'a str,
    /// The deployment variants the finding is found in, sorted; left out when it is found in
    /// every variant (or there are none), so that a report of a repository without variants
    /// reads as before.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    variants: &'a [String],
}

#[derive(Serialize)]
struct JsonWaived<'a> {
    rule: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
    reason: &'a str,
    /// The last day the waiver applies.
    expires: String,
    /// `inline` (a comment in a repository file) or `manifest` (a `[[waiver]]` table).
    waiver_kind: &'static str,
    /// Where the waiver is written.
    waiver_location: Option<Position>,
    /// Where the waived finding points.
    location: Option<Position>,
    fingerprint: &'a str,
    /// The deployment variants the waived finding is found in; left out when in every variant.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    variants: &'a [String],
}

#[derive(Serialize)]
struct JsonNode<'a> {
    id: &'a str,
    kind: &'a str,
    label: Option<&'a str>,
    location: Option<String>,
    countries: Option<String>,
    jurisdiction: JurisdictionStatus,
    provider: Option<&'a str>,
    certifications: Vec<&'a str>,
    data: Vec<&'a str>,
    personal_data: Option<bool>,
    inferred: bool,
    origins: Vec<crate::facts::Origin>,
    environment: &'a str,
    defined_at: Option<Position>,
    /// The other names of the service (see `model::identity`); left out when it has none, so
    /// that a report of a repository without merged services reads as before.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    aliases: &'a [String],
    /// The deployment variants the node exists in; left out when it exists in every variant.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    variants: &'a [String],
}

#[derive(Serialize)]
struct JsonSafeguard<'a> {
    mechanism: &'a str,
    version: Option<&'a str>,
    module: Option<u8>,
    reference: Option<&'a str>,
    signed: Option<String>,
    expires: Option<String>,
    tia: Option<&'a str>,
    derogation: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFlow<'a> {
    from: &'a str,
    to: &'a str,
    data: Vec<&'a str>,
    purpose: Option<&'a str>,
    safeguard: Option<JsonSafeguard<'a>>,
    origin: crate::facts::Origin,
    inferred: bool,
    environment: &'a str,
    /// `none` (not a transfer), `lawful`, the rules of its findings, or `waived (...)`.
    transfer: String,
    basis: Option<String>,
    /// What the verdict assumes but cannot check (scope conditions, unverified rule data).
    assumptions: Vec<&'a str>,
    location: Option<Position>,
    /// The deployment variants the flow exists in; left out when it exists in every variant.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    variants: &'a [String],
}

/// Converts a finding's related locations for JSON.
pub fn related(model: &Model, finding: &Finding) -> Vec<JsonRelated> {
    finding
        .related
        .iter()
        .map(|r| JsonRelated {
            position: position(&model.files, r.span, None),
            message: r.message.clone(),
        })
        .collect()
}

/// The basis of a lawful transfer in words, or `None` for a transfer with a finding.
pub fn basis(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::Adequate { decisions } => Some(format!("adequacy ({})", decisions.join("; "))),
        Verdict::Safeguarded { mechanism } => Some(mechanism.as_str().to_string()),
        _ => None,
    }
}

/// Renders the JSON report, pretty-printed, ending in a newline.
pub fn render(model: &Model, evaluation: &Evaluation, rules: &RuleSet) -> String {
    let mut out = Vec::new();
    match write(&mut out, model, evaluation, rules) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}

/// Writes the JSON report to `out` as it is serialised, without building it as one string first
/// (for a large repository the report is tens of megabytes).
pub fn write(
    out: &mut dyn std::io::Write,
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
) -> std::io::Result<()> {
    write_with_skipped(out, model, evaluation, rules, &Skipped::default())
}

/// [`write`], with the directories the walk did not enter (`"skipped"`, left out when none were).
pub fn write_with_skipped(
    out: &mut dyn std::io::Write,
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    skipped: &Skipped,
) -> std::io::Result<()> {
    write_with_variants(out, model, evaluation, rules, skipped, &[])
}

/// [`write_with_skipped`], with the deployment variants the scan found (`"variants"`, left out
/// when there are none): `Facts::variants` of the extraction, spans into `model.files`.
pub fn write_with_variants(
    out: &mut dyn std::io::Write,
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    skipped: &Skipped,
    variants: &[crate::facts::Variant],
) -> std::io::Result<()> {
    write_with_diff(out, model, evaluation, rules, skipped, variants, None)
}

/// [`write_with_variants`], with the transfer diff against a base branch's map
/// (`"transfer_diff"`, left out without one).
pub fn write_with_diff(
    out: &mut dyn std::io::Write,
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    skipped: &Skipped,
    variants: &[crate::facts::Variant],
    transfer_diff: Option<&super::transfer_diff::TransferDiff>,
) -> std::io::Result<()> {
    let report = Report {
        version: JSON_FORMAT_VERSION,
        borderline: env!("CARGO_PKG_VERSION"),
        evaluation_date: evaluation.date.to_string(),
        hypothetical: &evaluation.hypotheses,
        summary: Summary::of(&evaluation.findings, evaluation.waived.len()),
        findings: json_findings(model, evaluation),
        waived: json_waived(model, evaluation),
        nodes: json_nodes(model, evaluation, rules),
        flows: json_flows(model, evaluation),
        skipped: skipped
            .listed()
            .map(|s| JsonSkipped {
                path: &s.path,
                reason: s.reason.kind(),
                file: match &s.reason {
                    SkipReason::IgnoreFile { file } => Some(file),
                    _ => None,
                },
            })
            .collect(),
        skipped_unlisted: skipped.unlisted(),
        variants: json_variants(model, variants),
        transfer_diff,
    };
    write_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
}

/// The report's findings.
fn json_findings<'a>(model: &'a Model, evaluation: &'a Evaluation) -> Vec<JsonFinding<'a>> {
    evaluation
        .findings
        .iter()
        .map(|f| JsonFinding {
            rule: f.rule.name(),
            severity: f.severity.as_str(),
            message: &f.message,
            from: f.from.as_deref(),
            to: f.to.as_deref(),
            from_country: f.from_country.as_deref(),
            to_country: f.to_country.as_deref(),
            data: &f.data,
            location: position(&model.files, f.span, f.path.as_deref()),
            related: related(model, f),
            help: f.help.as_deref(),
            data_path: &f.data_path,
            inferred: f.inferred,
            known: f.known,
            environment: f.environment.as_str(),
            fingerprint: &f.fingerprint,
            variants: &f.variants,
        })
        .collect()
}

/// The findings a waiver suppressed, each with its waiver.
fn json_waived<'a>(model: &'a Model, evaluation: &'a Evaluation) -> Vec<JsonWaived<'a>> {
    evaluation
        .waived
        .iter()
        .map(|(f, waiver)| JsonWaived {
            rule: f.rule.name(),
            from: f.from.as_deref(),
            to: f.to.as_deref(),
            reason: &waiver.reason,
            expires: waiver.expires.to_string(),
            waiver_kind: if waiver.in_source() {
                "inline"
            } else {
                "manifest"
            },
            waiver_location: position(&model.files, waiver.span, None),
            location: position(&model.files, f.span, f.path.as_deref()),
            fingerprint: &f.fingerprint,
            variants: &f.variants,
        })
        .collect()
}

/// The model's nodes.
fn json_nodes<'a>(model: &'a Model, evaluation: &Evaluation, rules: &RuleSet) -> Vec<JsonNode<'a>> {
    model
        .nodes
        .iter()
        .map(|n| JsonNode {
            id: &n.id,
            kind: n.kind.as_str(),
            label: n.label.as_deref(),
            location: n.location.as_ref().map(|l| l.location.to_string()),
            countries: n.resolved.country_field(),
            jurisdiction: crate::evaluate::transfer::drawn_jurisdiction(
                n,
                &model.policy,
                rules,
                evaluation.date,
            ),
            provider: n.provider.as_deref(),
            certifications: n.certifications.iter().map(|c| c.name.as_str()).collect(),
            data: n.data.iter().map(|d| d.key.as_str()).collect(),
            personal_data: n.personal_data,
            inferred: n.inferred,
            origins: n.origins.iter().copied().collect(),
            environment: n.environment.as_str(),
            defined_at: position(&model.files, n.span, None),
            aliases: &n.aliases,
            variants: &n.variants,
        })
        .collect()
}

/// The model's flows, each with its transfer's status and basis.
fn json_flows<'a>(model: &'a Model, evaluation: &'a Evaluation) -> Vec<JsonFlow<'a>> {
    // The first transfer of each flow, indexed once: a search per flow was quadratic, and a hostile
    // file with a hundred thousand endpoints made the report take minutes.
    let mut transfer_of_flow: std::collections::BTreeMap<
        usize,
        &crate::evaluate::transfer::Transfer,
    > = std::collections::BTreeMap::new();
    for transfer in &evaluation.transfers {
        if let Some(flow) = transfer.flow {
            transfer_of_flow.entry(flow).or_insert(transfer);
        }
    }
    let statuses = crate::report::TransferStatuses::located(evaluation, Some(&model.files));
    model
        .flows
        .iter()
        .enumerate()
        .map(|(index, flow)| {
            let transfer = transfer_of_flow.get(&index).copied();
            JsonFlow {
                from: &flow.from,
                to: &flow.to,
                data: flow.data.iter().map(|d| d.key.as_str()).collect(),
                purpose: flow.purpose.as_deref(),
                safeguard: flow.safeguard.as_ref().map(|s| JsonSafeguard {
                    mechanism: s.mechanism.as_str(),
                    version: s.version.as_deref(),
                    module: s.module,
                    reference: s.reference.as_deref(),
                    signed: s.signed.map(|d| d.to_string()),
                    expires: s.expires.map(|d| d.to_string()),
                    tia: s.tia.as_deref(),
                    derogation: s.derogation.as_deref(),
                }),
                origin: flow.origin,
                inferred: flow.inferred,
                environment: flow.environment.as_str(),
                transfer: match transfer {
                    None => "none".to_string(),
                    Some(t) => statuses.status(t),
                },
                basis: transfer.and_then(|t| basis(&t.verdict)),
                assumptions: transfer
                    .map(|t| t.assumptions.iter().map(String::as_str).collect())
                    .unwrap_or_default(),
                location: position(&model.files, flow.span, None),
                variants: &flow.variants,
            }
        })
        .collect()
}

/// Characters that serde_json writes as they are but that are unsafe to print: DEL and the C1
/// controls (U+009B starts a terminal escape sequence like ESC `[`), bidirectional controls, and
/// the line and paragraph separators U+2028/U+2029 (line breaks to JavaScript and some viewers).
fn needs_unicode_escape(c: char) -> bool {
    matches!(c, '\u{7F}'..='\u{9F}' | '\u{2028}' | '\u{2029}') || super::neutral::is_bidi_control(c)
}

/// Writes `value` as pretty JSON (two-space indent, as `serde_json::to_writer_pretty`), with the
/// characters of [`needs_unicode_escape`] written as `\uXXXX` escapes. The values stay exact (a
/// JSON reader gets the same strings back; JSON is read by machines, which need the real names)
/// while the bytes of the file are inert when a person prints it. serde_json itself already
/// escapes `"`, `\\` and the C0 controls (ESC, CR, LF, ...).
pub fn write_pretty<T: serde::Serialize + ?Sized>(
    out: &mut dyn std::io::Write,
    value: &T,
) -> std::io::Result<()> {
    let mut serializer =
        serde_json::Serializer::with_formatter(out, InertFormatter(PrettyFormatter::new()));
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::from)
}

/// [`write_pretty`] into a string ending in a newline; a serialisation error (none is expected:
/// every map key is a string) becomes a JSON object that says so.
pub fn to_pretty_string<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    match write_pretty(&mut out, value) {
        Ok(()) => {
            let mut text = String::from_utf8(out).unwrap_or_default();
            text.push('\n');
            text
        }
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}

use serde_json::ser::{Formatter, PrettyFormatter};

/// serde_json's pretty formatter with [`needs_unicode_escape`] characters escaped in strings.
struct InertFormatter(PrettyFormatter<'static>);

impl Formatter for InertFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (index, c) in fragment.char_indices() {
            if needs_unicode_escape(c) {
                writer.write_all(&fragment.as_bytes()[start..index])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = index + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        self.0.end_object_value(writer)
    }
}
