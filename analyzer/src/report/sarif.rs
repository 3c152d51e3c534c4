//! SARIF 2.1.0 for code scanning, as a handful of hand-written serde structs (the subset we emit).
//!
//! Rule help comes from each check's documentation; results carry physical locations relative to
//! `%SRCROOT%`, related locations, a code flow along the data's path, and a `partialFingerprints`
//! entry built from rule, nodes and data, so that moving lines does not make a finding "new".

use super::neutral::percent_encode;
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::facts::Severity;
use crate::model::Model;
use crate::rule::Rule;
use crate::source::{Files, Span};
use serde::Serialize;
use std::collections::BTreeMap;

/// The key under which fingerprints appear in `partialFingerprints`; bump the suffix if the
/// fingerprint recipe ever changes, so that code scanning does not match old and new.
pub const FINGERPRINT_KEY: &str = "borderline/v1";

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where each rule's documentation is published: the project's repository (`repository` in the
/// workspace's package metadata, set once), its generated `docs/rules.md`.
const RULES_DOC: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules.md");
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    column_kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<RunProperties>,
}

/// A hypothetical run (`--assume-invalid`, `--assume-valid`) says so in the run's property bag,
/// with what it assumes.
#[derive(Serialize)]
struct RunProperties {
    hypothetical: bool,
    assumptions: Vec<crate::rules::Hypothesis>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    /// The rule's section of `docs/rules.md` in the project's repository.
    help_uri: String,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: &'static [&'static str],
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    /// A waived finding: `inSource` for an inline waiver, `external` for a manifest one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    properties: SuppressionProperties,
}

#[derive(Serialize)]
struct SuppressionProperties {
    /// The last day the waiver applies.
    expires: String,
}

#[derive(Serialize)]
struct ResultProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to_country: Option<String>,
    data: Vec<String>,
    inferred: bool,
    /// `production`, `test` or `dev` (docs/environments.md).
    environment: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    /// The deployment variants the finding is found in, sorted; left out when it is found in
    /// every variant (or there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    variants: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow {
    message: Text,
    thread_flows: Vec<ThreadFlow>,
}

#[derive(Serialize)]
struct ThreadFlow {
    locations: Vec<ThreadFlowLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThreadFlowLocation {
    location: Location,
    nesting_level: u32,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// Plain text for a SARIF `message.text` (SARIF 2.1.0 §3.11.6): `[text](id)` is a link to a
/// related location, so repository text (node ids, file names, purposes) could forge one, such as a
/// node id `x](1)`. Literal `[` and `]` are written `\[` and `\]`, and a literal backslash `\\`, as
/// the spec's grammar for link text has it, so that no escape can be undone by a backslash before it.
/// Every message passes through here: the ones borderline words itself hold no brackets.
fn message_text(text: &str) -> Text {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            c => out.push(c),
        }
    }
    Text { text: out }
}

/// A URI reference relative to `%SRCROOT%`: `/`-separated, percent-encoding every byte outside the
/// unreserved set (so a `\`, space, `%`, `#` or `?` in a file name stays part of the name).
///
/// A path that would leave the root once decoded (a `.` or `..` segment, even one separated by `\`
/// as Windows reads it, a leading separator or a drive such as `C:`) cannot be a file of the
/// repository; it is encoded twice, every `/` included, so that the URI is one segment whose
/// decoded form (`..%5C..%5Cx`) is a name inside the root rather than a way out of it.
fn uri(path: &str) -> String {
    if leaves_root_once_decoded(path) {
        percent_encode(&percent_encode(path, true), true)
    } else {
        percent_encode(path, false)
    }
}

/// True when `path`, read with `/` or `\` as separators, climbs out of its root or starts at
/// another one. Windows also drops trailing dots and spaces from a segment, so `.. ` counts as `..`.
fn leaves_root_once_decoded(path: &str) -> bool {
    let mut segments = path.split(['/', '\\']);
    let first = segments.next().unwrap_or_default();
    let is_drive = matches!(first.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic());
    let is_dots =
        |segment: &str| segment.contains('.') && segment.chars().all(|c| c == '.' || c == ' ');
    first.is_empty() || is_drive || is_dots(first) || segments.any(is_dots)
}

fn physical(files: &Files, span: Option<Span>, path: Option<&str>) -> Option<PhysicalLocation> {
    if let Some((file, start, end)) = span.and_then(|s| files.resolve_range(s)) {
        // SARIF regions are end-exclusive in columns; an empty span still marks one character.
        let end_column = if end.line == start.line {
            end.column.max(start.column + 1)
        } else {
            end.column.max(1)
        };
        return Some(PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri(file.as_str()),
                uri_base_id: SRCROOT,
            },
            region: Some(Region {
                start_line: start.line,
                start_column: start.column,
                end_line: end.line.max(start.line),
                end_column,
            }),
        });
    }
    path.map(|p| PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: uri(p),
            uri_base_id: SRCROOT,
        },
        region: None,
    })
}

/// The first flow between each pair of nodes, by index into `model.flows`: built once per report,
/// since a search of every flow for each hop of each finding made large reports quadratic.
type FlowIndex<'a> = BTreeMap<(&'a str, &'a str), usize>;

fn flow_index(model: &Model) -> FlowIndex<'_> {
    let mut index = FlowIndex::new();
    for (position, flow) in model.flows.iter().enumerate() {
        index
            .entry((flow.from.as_str(), flow.to.as_str()))
            .or_insert(position);
    }
    index
}

/// The data's path as a code flow: each hop's flow line, then where the destination is located.
fn code_flow(model: &Model, flows: &FlowIndex, finding: &Finding) -> Option<CodeFlow> {
    if finding.data_path.len() < 2 {
        return None;
    }
    let mut locations = Vec::new();
    for pair in finding.data_path.windows(2) {
        let (from, to) = (&pair[0], &pair[1]);
        let flow = flows
            .get(&(from.as_str(), to.as_str()))
            .and_then(|index| model.flows.get(*index));
        let country = |id: &str| {
            model
                .node(id)
                .map(|n| n.resolved.display())
                .unwrap_or_else(|| "unknown".into())
        };
        locations.push(ThreadFlowLocation {
            location: Location {
                id: None,
                physical_location: physical(&model.files, flow.and_then(|f| f.span), None),
                message: Some(message_text(&format!(
                    "{from} ({}) sends data to {to} ({})",
                    country(from),
                    country(to)
                ))),
            },
            nesting_level: 0,
        });
    }
    if let Some(destination) = finding.data_path.last().and_then(|id| model.node(id)) {
        let span = destination
            .location
            .as_ref()
            .and_then(|l| l.span)
            .or(destination.span);
        locations.push(ThreadFlowLocation {
            location: Location {
                id: None,
                physical_location: physical(&model.files, span, None),
                message: Some(message_text(&format!(
                    "{} is located in {}",
                    destination.id,
                    destination.resolved.display()
                ))),
            },
            nesting_level: 0,
        });
    }
    Some(CodeFlow {
        message: message_text(&format!(
            "path of the data: {}",
            finding.data_path.join(" -> ")
        )),
        thread_flows: vec![ThreadFlow { locations }],
    })
}

/// Code scanning's filters: every rule is about privacy under the GDPR; the rest says which part.
const fn tags(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::TransferWithoutSafeguard
        | Rule::AdequacyScopeNotMet
        | Rule::ExpiredSafeguard
        | Rule::UnapprovedMechanism
        | Rule::MissingTia
        | Rule::DerogationForSystematicTransfer => &["privacy", "gdpr", "data-transfer"],
        Rule::SpecialCategoryTransfer => &["privacy", "gdpr", "data-transfer", "special-category"],
        Rule::UnknownLocation => &["privacy", "gdpr", "data-transfer", "data-map"],
        Rule::InferredPersonalData | Rule::UnknownDataCategory => &["privacy", "gdpr", "data-map"],
        Rule::UnresolvedReference | Rule::InputError | Rule::UnusedWaiver | Rule::PolicyChanged => {
            &["privacy", "gdpr", "configuration"]
        }
    }
}

/// How often a result of the rule is right (SARIF `precision`, which code scanning uses to rank):
/// the transfer rules judge configured facts against rule data (`high`: a fact can be stale);
/// a node's location can be unknown for a reason a reader resolves at once (`medium`); a field
/// name that looks like personal data is a guess to confirm (`low`); the rest report what the
/// input itself says (`very-high`).
const fn precision(rule: Rule) -> &'static str {
    match rule {
        Rule::InferredPersonalData => "low",
        Rule::UnknownLocation => "medium",
        Rule::InputError
        | Rule::UnknownDataCategory
        | Rule::UnusedWaiver
        | Rule::PolicyChanged
        | Rule::UnresolvedReference => "very-high",
        Rule::TransferWithoutSafeguard
        | Rule::AdequacyScopeNotMet
        | Rule::ExpiredSafeguard
        | Rule::UnapprovedMechanism
        | Rule::SpecialCategoryTransfer
        | Rule::MissingTia
        | Rule::DerogationForSystematicTransfer => "high",
    }
}

/// The check's Markdown documentation as plain text, for viewers that show `help.text`: headings
/// become upper-case lines, code fences and inline backticks go, the text itself stays.
fn plain_text(markdown: &str) -> String {
    let mut lines = Vec::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            continue;
        }
        match line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            Some(heading) => lines.push(heading.to_uppercase()),
            None => lines.push(line.replace('`', "")),
        }
    }
    lines.join("\n")
}

fn rules() -> Vec<ReportingDescriptor> {
    Rule::ALL
        .into_iter()
        .map(|rule| {
            let check = rule.check();
            let documentation = check.documentation();
            let full = check
                .section("What it flags")
                .unwrap_or_else(|| rule.summary().to_string());
            ReportingDescriptor {
                id: rule.name(),
                name: rule
                    .name()
                    .split('-')
                    .map(|word| {
                        let mut chars = word.chars();
                        chars
                            .next()
                            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                            .unwrap_or_default()
                    })
                    .collect(),
                short_description: Text {
                    text: rule.summary().to_string(),
                },
                full_description: Text {
                    text: full.replace('\n', " "),
                },
                help_uri: format!("{RULES_DOC}#{}", rule.name()),
                help: Help {
                    text: plain_text(&documentation),
                    markdown: documentation,
                },
                default_configuration: Configuration {
                    level: level(rule.default_severity()),
                },
                properties: RuleProperties {
                    tags: tags(rule),
                    precision: precision(rule),
                    problem_severity: level(rule.default_severity()),
                },
            }
        })
        .collect()
}

/// Renders a SARIF log. `baseline` is true when a baseline was applied: each result then says
/// whether it is `new` or `unchanged`.
pub fn render(model: &Model, evaluation: &Evaluation, baseline: bool) -> String {
    let flows = flow_index(model);
    // Code scanning shows messages, not run properties: in a hypothetical run each message says
    // what it assumes, so that an alert uploaded by mistake is never read as a real one.
    let hypothetical = !evaluation.hypotheses.is_empty();
    let prefix = super::hypothetical_prefix(evaluation);
    let result = |finding: &Finding| {
        let related_locations = finding
            .related
            .iter()
            .enumerate()
            .map(|(index, related)| Location {
                id: Some(index + 1),
                physical_location: physical(&model.files, related.span, None),
                message: Some(message_text(&related.message)),
            })
            .collect();
        let locations = physical(&model.files, finding.span, finding.path.as_deref())
            .map(|physical_location| Location {
                id: None,
                physical_location: Some(physical_location),
                message: None,
            })
            .into_iter()
            .collect();
        SarifResult {
            rule_id: finding.rule.name(),
            rule_index: Some(finding.rule.index()),
            level: level(finding.severity),
            // Code scanning shows the message, not the properties: a finding found only in some
            // deployment variants names them there too.
            message: message_text(&format!(
                "{prefix}{}",
                super::message_with_variants(finding)
            )),
            locations,
            related_locations,
            code_flows: code_flow(model, &flows, finding).into_iter().collect(),
            partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.fingerprint.clone())]),
            baseline_state: baseline.then_some(if finding.known { "unchanged" } else { "new" }),
            suppressions: Vec::new(),
            properties: ResultProperties {
                from: finding.from.clone(),
                to: finding.to.clone(),
                from_country: finding.from_country.clone(),
                to_country: finding.to_country.clone(),
                data: finding.data.clone(),
                inferred: finding.inferred,
                environment: finding.environment.as_str(),
                help: finding.help.clone(),
                variants: finding.variants.clone(),
            },
        }
    };
    let mut results: Vec<SarifResult> = evaluation.findings.iter().map(result).collect();
    // Waived findings are results too, suppressed, as SARIF viewers expect: code scanning shows
    // them as dismissed with the justification, so the acceptance stays auditable.
    for (finding, waiver) in &evaluation.waived {
        let mut waived = result(finding);
        waived.suppressions.push(Suppression {
            kind: if waiver.in_source() {
                "inSource"
            } else {
                "external"
            },
            status: "accepted",
            justification: super::neutral::terminal_inline(&waiver.reason),
            location: physical(&model.files, waiver.span, None).map(|physical_location| Location {
                id: None,
                physical_location: Some(physical_location),
                message: None,
            }),
            properties: SuppressionProperties {
                expires: waiver.expires.to_string(),
            },
        });
        results.push(waived);
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "borderline",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: rules(),
                },
            },
            results,
            column_kind: "unicodeCodePoints",
            // A hypothetical analysis is a category of its own, so that uploading it never
            // closes or replaces the alerts of the real one.
            automation_details: match (&model.project_name, hypothetical) {
                (Some(p), false) => Some(AutomationDetails {
                    id: format!("borderline/{p}/"),
                }),
                (Some(p), true) => Some(AutomationDetails {
                    id: format!("borderline/{p}/hypothetical/"),
                }),
                (None, true) => Some(AutomationDetails {
                    id: "borderline/hypothetical/".to_string(),
                }),
                (None, false) => None,
            },
            properties: hypothetical.then(|| RunProperties {
                hypothetical: true,
                assumptions: evaluation.hypotheses.clone(),
            }),
        }],
    };
    super::json::to_pretty_string(&log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_escape_link_syntax() {
        assert_eq!(message_text("x](1) a\\[b]").text, "x\\](1) a\\\\\\[b\\]");
        assert_eq!(message_text("plain text").text, "plain text");
    }

    #[test]
    fn uris_never_climb_out_once_decoded() {
        assert_eq!(uri("src/a b%#?.py"), "src/a%20b%25%23%3F.py");
        assert_eq!(uri("dir\\name.env"), "dir%5Cname.env");
        assert_eq!(uri("..\\..\\x"), "..%255C..%255Cx");
        assert_eq!(uri("../../x"), "..%252F..%252Fx");
        assert_eq!(uri("/etc/passwd"), "%252Fetc%252Fpasswd");
        assert_eq!(uri("C:\\x"), "C%253A%255Cx");
        assert_eq!(uri("a/.. /b"), "a%252F..%2520%252Fb");
        assert_eq!(uri("a/...b/c.d"), "a/...b/c.d");
    }
}
