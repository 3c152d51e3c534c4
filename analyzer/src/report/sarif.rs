//! SARIF 2.1.0 for code scanning, as a handful of hand-written serde structs (the subset we emit).
//!
//! Rule help comes from each check's documentation; results carry physical locations relative to
//! `%SRCROOT%`, related locations, a code flow along the data's path, and a `partialFingerprints`
//! entry built from rule, nodes and data, so that moving lines does not make a finding "new".

use crate::checks::CHECKS;
use crate::evaluate::Evaluation;
use crate::finding::Finding;
use crate::model::Model;
use crate::model::facts::Severity;
use crate::source::{Files, Span};
use serde::Serialize;
use std::collections::BTreeMap;

/// The key under which fingerprints appear in `partialFingerprints`; bump the suffix if the
/// fingerprint recipe ever changes, so that code scanning does not match old and new.
pub const FINGERPRINT_KEY: &str = "borderline/v1";

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
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
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
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
    properties: ResultProperties,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
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

/// A URI reference relative to `%SRCROOT%`: `/`-separated, percent-encoding what URIs cannot hold.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
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

/// The data's path as a code flow: each hop's flow line, then where the destination is located.
fn code_flow(model: &Model, finding: &Finding) -> Option<CodeFlow> {
    if finding.data_path.len() < 2 {
        return None;
    }
    let mut locations = Vec::new();
    for pair in finding.data_path.windows(2) {
        let (from, to) = (&pair[0], &pair[1]);
        let flow = model.flows.iter().find(|f| &f.from == from && &f.to == to);
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
                message: Some(Text {
                    text: format!(
                        "{from} ({}) sends data to {to} ({})",
                        country(from),
                        country(to)
                    ),
                }),
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
                message: Some(Text {
                    text: format!(
                        "{} is located in {}",
                        destination.id,
                        destination.resolved.display()
                    ),
                }),
            },
            nesting_level: 0,
        });
    }
    Some(CodeFlow {
        message: Text {
            text: format!("path of the data: {}", finding.data_path.join(" -> ")),
        },
        thread_flows: vec![ThreadFlow { locations }],
    })
}

fn rules() -> Vec<Rule> {
    CHECKS
        .iter()
        .map(|check| {
            let documentation = check.documentation();
            let full = check
                .section("What it flags")
                .unwrap_or_else(|| check.summary.to_string());
            Rule {
                id: check.name,
                name: check
                    .name
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
                    text: check.summary.to_string(),
                },
                full_description: Text {
                    text: full.replace('\n', " "),
                },
                help: Help {
                    text: documentation.clone(),
                    markdown: documentation,
                },
                default_configuration: Configuration {
                    level: level(check.default_severity),
                },
                properties: RuleProperties {
                    tags: vec!["privacy", "gdpr", "data-transfer"],
                    precision: "high",
                    problem_severity: level(check.default_severity),
                },
            }
        })
        .collect()
}

/// Renders a SARIF log. `baseline` is true when a baseline was applied: each result then says
/// whether it is `new` or `unchanged`.
pub fn render(model: &Model, evaluation: &Evaluation, baseline: bool) -> String {
    let results = evaluation
        .findings
        .iter()
        .map(|finding| {
            let related_locations = finding
                .related
                .iter()
                .enumerate()
                .map(|(index, related)| Location {
                    id: Some(index + 1),
                    physical_location: physical(&model.files, related.span, None),
                    message: Some(Text {
                        text: related.message.clone(),
                    }),
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
                rule_id: finding.rule,
                rule_index: CHECKS.iter().position(|c| c.name == finding.rule),
                level: level(finding.severity),
                message: Text {
                    text: finding.message.clone(),
                },
                locations,
                related_locations,
                code_flows: code_flow(model, finding).into_iter().collect(),
                partial_fingerprints: BTreeMap::from([(
                    FINGERPRINT_KEY,
                    finding.fingerprint.clone(),
                )]),
                baseline_state: baseline.then_some(if finding.known { "unchanged" } else { "new" }),
                properties: ResultProperties {
                    from: finding.from.clone(),
                    to: finding.to.clone(),
                    from_country: finding.from_country.clone(),
                    to_country: finding.to_country.clone(),
                    data: finding.data.clone(),
                    inferred: finding.inferred,
                    help: finding.help.clone(),
                },
            }
        })
        .collect();
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
            automation_details: model.project_name.as_ref().map(|p| AutomationDetails {
                id: format!("borderline/{p}/"),
            }),
        }],
    };
    let mut out =
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
