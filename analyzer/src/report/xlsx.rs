//! The transfer register as a workbook (`borderline ropa --format xlsx`), where privacy teams work
//! on it: a sheet of transfers (the CSV's rows and columns, cell for cell), a sheet of recipients
//! (one per value of the register's `recipient` column) and a sheet of the scan's findings, waived ones with their waiver. Each sheet has a bold frozen
//! header row, an autofilter over its table and column widths from its content.
//!
//! Repository text reaches the cells as the CSV neutralises it (no formula, no control character)
//! and only as string cells (Excel's `_xHHHH_` escapes in it stay literal), and a cell longer
//! than Excel allows is cut with a marker. The same input gives the same bytes: the document's
//! creation date is the evaluation date and the zip entries carry a fixed time.

use super::ropa::{self, RecipientRow};
use super::{message_with_variants, position};
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::model::Model;
use crate::policy::Waiver;
use crate::rules::RuleSet;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// The names of the three sheets, in order.
pub const SHEETS: [&str; 3] = ["Transfers", "Recipients", "Findings"];

/// The most UTF-16 code units Excel holds in one cell.
pub const CELL_LIMIT: usize = 32_767;

/// What ends a cell cut at [`CELL_LIMIT`].
pub const CUT_MARKER: &str = " [… cut by borderline: longer than an Excel cell holds]";

/// Columns are never narrower or wider than this (in characters of the default font).
const WIDTH_RANGE: (usize, usize) = (8, 60);

const RECIPIENT_HEADERS: [&str; 8] = [
    "recipient",
    "name",
    "kind",
    "countries",
    "provider",
    "certifications",
    "basis",
    "transfers",
];

const FINDING_HEADERS: [&str; 13] = [
    "rule",
    "severity",
    "message",
    "from",
    "to",
    "countries",
    "data",
    "file",
    "line",
    "fingerprint",
    "status",
    "waiver reason",
    "waiver expires",
];

/// One cell of a sheet: text from the scan (or the repository), or a count.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cell {
    Text(String),
    Number(u32),
    Empty,
}

impl Cell {
    /// How many characters wide the cell shows.
    fn width(&self) -> usize {
        match self {
            Cell::Text(text) => text.chars().count(),
            Cell::Number(n) => n.to_string().len(),
            Cell::Empty => 0,
        }
    }
}

/// The workbook of the register: the transfers of `evaluation` (as `ropa --format csv`), their
/// recipients and its findings. An error only when the table does not fit a sheet (more than a
/// million rows) or the writer fails.
pub fn to_xlsx(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
) -> Result<Vec<u8>, XlsxError> {
    let register = ropa::rows(model, evaluation, rules);
    let (headers, rows) = ropa::table(&register);
    let transfers: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|row| row.into_iter().map(Cell::Text).collect())
        .collect();
    let recipients: Vec<Vec<Cell>> = ropa::recipients(model, evaluation, rules)
        .iter()
        .map(recipient_cells)
        .collect();
    let findings: Vec<Vec<Cell>> = evaluation
        .findings
        .iter()
        .map(|f| finding_cells(model, f, None))
        .chain(
            evaluation
                .waived
                .iter()
                .map(|(f, waiver)| finding_cells(model, f, Some(waiver))),
        )
        .collect();

    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title("Transfer register")
            .set_subject("GDPR Art. 30(1)(e): transfers to third countries")
            .set_comment(format!(
                "Written by borderline {}, evaluated on {}",
                env!("CARGO_PKG_VERSION"),
                evaluation.date
            ))
            .set_creation_datetime(&creation_date(
                evaluation.date.year,
                evaluation.date.month,
                evaluation.date.day,
            )),
    );
    let tables: [(&[&str], Vec<Vec<Cell>>); 3] = [
        (&headers, transfers),
        (&RECIPIENT_HEADERS, recipients),
        (&FINDING_HEADERS, findings),
    ];
    for (name, (headers, rows)) in SHEETS.into_iter().zip(tables) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        write_table(sheet, headers, &rows)?;
    }
    workbook.save_to_buffer()
}

/// The document's creation date: the evaluation date at midnight UTC, never the clock (a date
/// Excel cannot hold, before 1900 or after 9999, becomes 1980-01-01, the zip entries' date).
fn creation_date(year: i32, month: u8, day: u8) -> ExcelDateTime {
    u16::try_from(year)
        .ok()
        .and_then(|year| ExcelDateTime::from_ymd(year, month, day).ok())
        .or_else(|| ExcelDateTime::from_ymd(1980, 1, 1).ok())
        .unwrap_or_default()
}

/// Writes a table at the top left: the bold header row frozen, an autofilter over it all, each
/// column as wide as its content within [`WIDTH_RANGE`].
fn write_table(
    sheet: &mut Worksheet,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count() + 3).collect();
    for (col, header) in (0u16..).zip(headers) {
        sheet.write_string_with_format(0, col, *header, &bold)?;
    }
    for (row, cells) in (1u32..).zip(rows) {
        for ((col, cell), width) in (0u16..).zip(cells).zip(widths.iter_mut()) {
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(row, col, cell_text(text))?;
                }
                Cell::Number(n) => {
                    sheet.write_number(row, col, f64::from(*n))?;
                }
                Cell::Empty => {}
            }
            *width = (*width).max(cell.width() + 1);
        }
    }
    for (col, width) in (0u16..).zip(&widths) {
        let width = (*width).clamp(WIDTH_RANGE.0, WIDTH_RANGE.1);
        sheet.set_column_width(col, u32::try_from(width).unwrap_or(u32::MAX))?;
    }
    let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let last_col = u16::try_from(headers.len().saturating_sub(1)).unwrap_or(u16::MAX);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_col)?;
    Ok(())
}

fn recipient_cells(recipient: &RecipientRow) -> Vec<Cell> {
    let list = |set: &std::collections::BTreeSet<String>| {
        Cell::Text(set.iter().cloned().collect::<Vec<_>>().join(", "))
    };
    vec![
        Cell::Text(recipient.id.clone()),
        Cell::Text(recipient.name.clone()),
        Cell::Text(recipient.kind.clone()),
        list(&recipient.countries),
        Cell::Text(recipient.provider.clone()),
        list(&recipient.certifications),
        list(&recipient.basis),
        Cell::Number(u32::try_from(recipient.transfers).unwrap_or(u32::MAX)),
    ]
}

/// A finding's row: `open`, `known` (in the baseline) or `waived` with its waiver's reason and
/// expiry.
fn finding_cells(model: &Model, finding: &Finding, waiver: Option<&Waiver>) -> Vec<Cell> {
    let at = position(&model.files, finding.span, finding.path.as_deref());
    let countries = match (&finding.from_country, &finding.to_country) {
        (Some(from), Some(to)) => format!("{from} → {to}"),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => String::new(),
    };
    let status = match (waiver, finding.known) {
        (Some(_), _) => "waived",
        (None, true) => "known",
        (None, false) => "open",
    };
    let text = |value: Option<&String>| Cell::Text(value.cloned().unwrap_or_default());
    vec![
        Cell::Text(finding.rule.name().to_string()),
        Cell::Text(finding.severity.as_str().to_string()),
        Cell::Text(message_with_variants(finding)),
        text(finding.from.as_ref()),
        text(finding.to.as_ref()),
        Cell::Text(countries),
        Cell::Text(finding.data.join(", ")),
        Cell::Text(at.as_ref().map(|p| p.file.clone()).unwrap_or_default()),
        at.as_ref().map_or(Cell::Empty, |p| Cell::Number(p.line)),
        Cell::Text(finding.fingerprint.clone()),
        Cell::Text(status.to_string()),
        text(waiver.map(|w| &w.reason)),
        Cell::Text(waiver.map(|w| w.expires.to_string()).unwrap_or_default()),
    ]
}

/// The text a cell holds: the CSV's field (see [`super::neutral::csv_field`]: no formula start, no
/// control or hidden character) without the CSV quoting, cut with [`CUT_MARKER`] where it would
/// pass Excel's limit. (rust_xlsxwriter writes a literal `_xHHHH_` in it as `_x005F_xHHHH_`, so
/// that Excel does not read it as one of its escapes.)
pub fn cell_text(value: &str) -> String {
    let field = ropa::csv_field(value);
    // csv_field quotes a field exactly when it holds `,`, `;` or `"`, so it starts with `"` only
    // when quoted.
    let plain = match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => field,
    };
    if plain.encode_utf16().count() <= CELL_LIMIT {
        return plain;
    }
    let room = CELL_LIMIT - CUT_MARKER.encode_utf16().count();
    let mut out = String::with_capacity(CELL_LIMIT);
    let mut units = 0;
    for c in plain.chars() {
        units += c.len_utf16();
        if units > room {
            break;
        }
        out.push(c);
    }
    out.push_str(CUT_MARKER);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_is_the_csv_field_without_its_quotes() {
        assert_eq!(cell_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell_text("a, -b"), "a, '-b");
        assert_eq!(cell_text("two\nlines\u{7}"), "two\\nlines ");
        assert_eq!(cell_text("plain"), "plain");
    }

    #[test]
    fn a_cell_longer_than_excel_holds_is_cut_with_the_marker() {
        let long = "é".repeat(CELL_LIMIT + 10);
        let cut = cell_text(&long);
        assert!(cut.ends_with(CUT_MARKER));
        assert_eq!(cut.encode_utf16().count(), CELL_LIMIT);
        assert!(cut.starts_with("éé"));
        let exact = "a".repeat(CELL_LIMIT);
        assert_eq!(cell_text(&exact), exact);
        // Characters outside the BMP count twice, as Excel counts them.
        let wide = "😀".repeat(CELL_LIMIT / 2 + 1);
        assert!(cell_text(&wide).encode_utf16().count() <= CELL_LIMIT);
    }
}
