//! The transfer register (`borderline ropa`): one row per transfer, for the Art. 30(1)(e) record of
//! processing activities. CSV (RFC 4180, safe to open in a spreadsheet), Markdown or JSON; the
//! workbook (`xlsx`) is written by [`super::xlsx`] from the same rows.

use super::{markdown::cell, position};
use crate::evaluate::Evaluation;
use crate::evaluate::transfer::{SafeguardSource, Transfer, Verdict};
use crate::facts::{MechanismKind, Safeguard};
use crate::model::Model;
use crate::model::location::ResolvedLocation;
use crate::rules::RuleSet;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One transfer, as a privacy engineer records it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RegisterRow {
    pub exporter: String,
    pub recipient: String,
    pub recipient_name: String,
    pub recipient_country: String,
    pub onward: bool,
    pub data_categories: Vec<String>,
    pub purpose: String,
    pub mechanism: String,
    pub mechanism_reference: String,
    pub tia: String,
    pub signed: String,
    pub expires: String,
    /// `lawful`, or the rule names of the findings on this transfer.
    pub status: String,
    pub evidence: String,
    /// The deployment variants the transfer exists in, sorted; left out (and the column with it)
    /// when it exists in every variant, so that a register of a repository without variants
    /// reads as before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

/// The variants both of two things exist in, where empty means every variant: the one when the
/// other is in every variant, else the names both list.
fn both(a: &[String], b: &[String]) -> Vec<String> {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_vec(),
        (_, true) => a.to_vec(),
        _ => a.iter().filter(|name| b.contains(name)).cloned().collect(),
    }
}

/// The variants a transfer exists in: those of its flow and of its recipient (a store's data at
/// rest: the store's).
fn transfer_variants(model: &Model, transfer: &Transfer) -> Vec<String> {
    let flow = transfer
        .flow
        .and_then(|i| model.flows.get(i))
        .map(|f| f.variants.as_slice())
        .unwrap_or_default();
    let recipient = model
        .node(&transfer.to)
        .map(|n| n.variants.as_slice())
        .unwrap_or_default();
    both(flow, recipient)
}

fn mechanism_reference(safeguard: &Safeguard, rules: &RuleSet) -> String {
    let mut parts = Vec::new();
    if let Some(version) = &safeguard.version {
        let instrument = rules
            .mechanism(safeguard.mechanism.as_str())
            .and_then(|m| m.versions.iter().find(|v| &v.id == version))
            .map(|v| v.instrument.clone());
        parts.push(match instrument {
            Some(instrument) => format!("{version} ({instrument})"),
            None => version.clone(),
        });
    }
    if let Some(module) = safeguard.module {
        parts.push(format!("module {module}"));
    }
    if let Some(derogation) = &safeguard.derogation {
        parts.push(format!("Art. 49 derogation: {derogation}"));
    }
    if let Some(reference) = &safeguard.reference {
        parts.push(reference.clone());
    }
    parts.join("; ")
}

fn row(
    model: &Model,
    statuses: &crate::report::TransferStatuses<'_>,
    rules: &RuleSet,
    transfer: &Transfer,
) -> RegisterRow {
    let recipient = model.node(&transfer.to);
    let flow = transfer.flow.map(|i| &model.flows[i]);
    let safeguard = transfer.safeguard.as_ref().map(|(s, _)| s);
    let (mechanism, reference) = match (&transfer.verdict, safeguard) {
        (Verdict::Adequate { decisions }, _) => ("adequacy".to_string(), decisions.join("; ")),
        (_, Some(safeguard)) if safeguard.mechanism != MechanismKind::Adequacy => (
            safeguard.mechanism.as_str().to_string(),
            mechanism_reference(safeguard, rules),
        ),
        _ => ("none".to_string(), String::new()),
    };
    let status = statuses.status(transfer);
    let evidence = position(&model.files, transfer.span, None)
        .map(|p| format!("{}:{}", p.file, p.line))
        .unwrap_or_default();
    let from_recipient = transfer
        .safeguard
        .as_ref()
        .is_some_and(|(_, source)| *source == SafeguardSource::Recipient);
    // Data at rest (a store with no flow into it): the recipient is the store's hosting provider,
    // the organisation that holds the data in that country; the store is named in the purpose.
    let host = match (transfer.flow, recipient) {
        (None, Some(node)) => node
            .provider
            .as_deref()
            .and_then(|p| rules.provider(p))
            .map(|provider| (provider, node)),
        _ => None,
    };
    let (recipient_id, recipient_name, purpose) = match host {
        Some((provider, node)) => (
            provider.id.clone(),
            provider.legal_entity.clone(),
            format!(
                "hosting: data at rest in {}",
                match &node.label {
                    Some(label) if label != &node.id => format!("{label} (`{}`)", node.id),
                    _ => format!("`{}`", node.id),
                }
            ),
        ),
        None => (
            transfer.to.clone(),
            recipient
                .and_then(|n| n.label.clone())
                .unwrap_or_else(|| transfer.to.clone()),
            match flow {
                Some(flow) => flow.purpose.clone().unwrap_or_default(),
                None => "hosting: data at rest".to_string(),
            },
        ),
    };
    RegisterRow {
        exporter: transfer
            .from
            .clone()
            .unwrap_or_else(|| "(the organisation)".into()),
        recipient: recipient_id,
        recipient_name,
        recipient_country: transfer.third_countries.join(", "),
        onward: transfer.onward,
        data_categories: transfer.data.iter().map(|d| d.key.clone()).collect(),
        purpose,
        mechanism: if from_recipient && mechanism != "adequacy" && mechanism != "none" {
            format!("{mechanism} (recipient-wide)")
        } else {
            mechanism
        },
        mechanism_reference: reference,
        tia: safeguard.and_then(|s| s.tia.clone()).unwrap_or_default(),
        signed: safeguard
            .and_then(|s| s.signed)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        expires: safeguard
            .and_then(|s| s.expires)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        status,
        evidence,
        variants: transfer_variants(model, transfer),
    }
}

/// Every transfer of the evaluation, sorted by (exporter, recipient, evidence).
pub fn rows(model: &Model, evaluation: &Evaluation, rules: &RuleSet) -> Vec<RegisterRow> {
    let mut rows: Vec<RegisterRow> = unsorted_rows(model, evaluation, rules)
        .map(|(_, row)| row)
        .collect();
    rows.sort_by(|a, b| {
        (&a.exporter, &a.recipient, &a.evidence).cmp(&(&b.exporter, &b.recipient, &b.evidence))
    });
    rows
}

/// Each transfer with its row, in the evaluation's order.
fn unsorted_rows<'a>(
    model: &'a Model,
    evaluation: &'a Evaluation,
    rules: &'a RuleSet,
) -> impl Iterator<Item = (&'a Transfer, RegisterRow)> + 'a {
    let statuses = crate::report::TransferStatuses::located(evaluation, Some(&model.files));
    evaluation
        .transfers
        .iter()
        .map(move |t| (t, row(model, &statuses, rules, t)))
}

/// A recipient of transfers, as the workbook's sheet of recipients lists it: keyed by the
/// register's `recipient` column, so that the two sheets join on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRow {
    /// The node id, or for data at rest the hosting provider's id.
    pub id: String,
    /// The register's `recipient name`: the node's label (else its id), or the provider's legal
    /// entity.
    pub name: String,
    /// The node's kind, or `hosting provider`.
    pub kind: String,
    /// Where the data is: countries, a bloc (`EU`) or `unknown`, of every node its transfers reach.
    pub countries: BTreeSet<String>,
    pub provider: String,
    /// Certification names of those nodes, `(unverified)` after those rule data does not confirm.
    pub certifications: BTreeSet<String>,
    /// The mechanisms its transfers rest on, as the register's `mechanism` column says them.
    pub basis: BTreeSet<String>,
    pub transfers: usize,
}

/// Kind of a recipient that holds data at rest for the organisation.
const HOSTING_PROVIDER: &str = "hosting provider";

/// One row per recipient the register names, sorted by id: a node a flow reaches, or the
/// provider hosting a store that holds data outside the EEA (with every such store's countries
/// and certifications).
pub fn recipients(model: &Model, evaluation: &Evaluation, rules: &RuleSet) -> Vec<RecipientRow> {
    let mut by_id: BTreeMap<String, RecipientRow> = BTreeMap::new();
    for (transfer, row) in unsorted_rows(model, evaluation, rules) {
        let node = model.node(&transfer.to);
        let hosting = row.recipient != transfer.to;
        let entry = by_id
            .entry(row.recipient.clone())
            .or_insert_with(|| RecipientRow {
                id: row.recipient.clone(),
                name: row.recipient_name.clone(),
                kind: match (hosting, node) {
                    (true, _) => HOSTING_PROVIDER.to_string(),
                    (false, Some(node)) => node.kind.as_str().to_string(),
                    (false, None) => String::new(),
                },
                countries: BTreeSet::new(),
                provider: match hosting {
                    true => row.recipient.clone(),
                    false => node.and_then(|n| n.provider.clone()).unwrap_or_default(),
                },
                certifications: BTreeSet::new(),
                basis: BTreeSet::new(),
                transfers: 0,
            });
        if let Some(node) = node {
            entry.countries.extend(whereabouts(&node.resolved));
            entry
                .certifications
                .extend(node.certifications.iter().map(|c| match c.verified {
                    true => c.name.clone(),
                    false => format!("{} (unverified)", c.name),
                }));
        }
        entry.basis.insert(row.mechanism);
        entry.transfers += 1;
    }
    by_id.into_values().collect()
}

/// A node's location: its countries, its bloc (`EU`), or `unknown`.
fn whereabouts(location: &ResolvedLocation) -> Vec<String> {
    match location {
        ResolvedLocation::Countries { countries, .. } => countries.iter().cloned().collect(),
        ResolvedLocation::Bloc(bloc) => vec![bloc.clone()],
        ResolvedLocation::Unknown { .. } => vec!["unknown".to_string()],
    }
}

/// The heading of the column of deployment variants, there only when a transfer has some.
const VARIANTS_HEADER: &str = "variants";

const HEADERS: [&str; 14] = [
    "exporter",
    "recipient",
    "recipient name",
    "recipient country",
    "onward transfer",
    "data categories",
    "purpose",
    "mechanism",
    "mechanism reference",
    "TIA",
    "signed",
    "expires",
    "status",
    "evidence",
];

fn fields(row: &RegisterRow) -> [String; 14] {
    [
        row.exporter.clone(),
        row.recipient.clone(),
        row.recipient_name.clone(),
        row.recipient_country.clone(),
        if row.onward {
            "yes".into()
        } else {
            "no".into()
        },
        row.data_categories.join(", "),
        row.purpose.clone(),
        row.mechanism.clone(),
        row.mechanism_reference.clone(),
        row.tia.clone(),
        row.signed.clone(),
        row.expires.clone(),
        row.status.clone(),
        row.evidence.clone(),
    ]
}

/// One CSV field: see [`super::neutral::csv_field`] (formula prefixes, escaped line breaks, quoting).
pub fn csv_field(value: &str) -> String {
    super::neutral::csv_field(value)
}

/// The headings, with `variants` last when a transfer exists only in some deployment variants
/// (an empty cell then means every variant).
fn headers(rows: &[RegisterRow]) -> Vec<&'static str> {
    let mut headers = HEADERS.to_vec();
    if has_variants(rows) {
        headers.push(VARIANTS_HEADER);
    }
    headers
}

fn has_variants(rows: &[RegisterRow]) -> bool {
    rows.iter().any(|r| !r.variants.is_empty())
}

/// A row's cells, with its variants when the register has the column.
fn row_cells(row: &RegisterRow, with_variants: bool) -> Vec<String> {
    let mut cells = fields(row).to_vec();
    if with_variants {
        cells.push(row.variants.join(", "));
    }
    cells
}

/// The register as a table: its headings and each row's cells, the columns `--format csv` writes,
/// before escaping (the workbook's sheet of transfers, the HTML report's register).
pub fn table(rows: &[RegisterRow]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let with_variants = has_variants(rows);
    let cells = rows.iter().map(|r| row_cells(r, with_variants)).collect();
    (headers(rows), cells)
}

/// CSV with CRLF line ends, as RFC 4180 says.
pub fn to_csv(rows: &[RegisterRow]) -> String {
    let with_variants = has_variants(rows);
    let mut out = headers(rows)
        .into_iter()
        .map(csv_field)
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row_cells(row, with_variants)
            .iter()
            .map(|f| csv_field(f))
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn to_markdown(rows: &[RegisterRow]) -> String {
    let with_variants = has_variants(rows);
    let headers = headers(rows);
    let mut out = String::from("# Transfer register\n\n");
    out.push_str(&format!("| {} |\n", headers.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(headers.len())));
    for row in rows {
        let cells: Vec<String> = row_cells(row, with_variants)
            .iter()
            .map(|f| cell(f))
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    if rows.is_empty() {
        out.push_str("\nNo transfers out of the EEA were found.\n");
    }
    out
}

pub fn to_json(rows: &[RegisterRow]) -> String {
    let mut out =
        serde_json::to_string_pretty(&serde_json::json!({ "version": "1", "transfers": rows }))
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn a_transfer_is_in_the_variants_both_its_flow_and_recipient_are_in() {
        let (prod, both_envs) = (names(&["prod"]), names(&["dev", "prod"]));
        assert_eq!(both(&[], &[]), Vec::<String>::new());
        assert_eq!(both(&prod, &[]), prod);
        assert_eq!(both(&[], &both_envs), both_envs);
        assert_eq!(both(&both_envs, &prod), prod);
    }
}
