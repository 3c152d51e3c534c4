//! `ropa --format xlsx`: the workbook read back with calamine. Its sheet of transfers is the CSV
//! cell for cell, its sheets of recipients and findings agree with the scan, every sheet has a
//! bold frozen header and an autofilter, the same input gives the same bytes, and hostile
//! repository text stays text (no formula, no broken XML, no cell over Excel's limit).

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};
use calamine::{Data, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

const SHEETS: [&str; 3] = ["Transfers", "Recipients", "Findings"];

/// Excel's limit on one cell, in UTF-16 code units.
const CELL_LIMIT: usize = 32_767;

/// `ropa --format xlsx -o FILE` of `repo` on `date`: the workbook's bytes.
fn workbook_bytes(repo: &Path, date: &str) -> Vec<u8> {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("register.xlsx");
    let output = borderline(
        repo,
        &[
            "ropa",
            "--format",
            "xlsx",
            "--date",
            date,
            "-q",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "nothing on stdout with -o");
    std::fs::read(&file).unwrap()
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes.to_vec())).unwrap()
}

/// A sheet as rows of text: strings as they are, numbers as integers, empty cells as "".
fn sheet(workbook: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<String>> {
    let range = workbook.worksheet_range(name).unwrap();
    assert_eq!(range.start(), Some((0, 0)), "{name} starts at A1");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(text) => text.clone(),
                    Data::Float(n) => format!("{n}"),
                    Data::Int(n) => n.to_string(),
                    Data::Empty => String::new(),
                    other => panic!("{name}: unexpected cell {other:?}"),
                })
                .collect()
        })
        .collect()
}

/// RFC 4180: quoted fields with doubled quotes, CRLF record ends.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "CSV ends with CRLF"
    );
    records
}

fn csv(repo: &Path) -> Vec<Vec<String>> {
    let output = borderline(repo, &["ropa", "--date", FIXTURE_DATE, "-q"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    parse_csv(&stdout(&output))
}

/// The entries of the zip, by name.
fn entries(bytes: &[u8]) -> BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut all = BTreeMap::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        all.insert(entry.name().unwrap().to_string(), text);
    }
    all
}

/// What a `ropa` of `repo` must show in the workbook, besides the CSV's rows.
fn assert_transfers_are_the_csv(repo: &Path, workbook: &mut Xlsx<Cursor<Vec<u8>>>) {
    let csv = csv(repo);
    let mut transfers = sheet(workbook, "Transfers");
    // calamine's range ends at the last cell with content: give each row the header's width.
    let width = csv[0].len();
    for row in &mut transfers {
        assert!(row.len() <= width);
        row.resize(width, String::new());
    }
    assert_eq!(
        transfers, csv,
        "the sheet of transfers is the CSV, cell for cell"
    );
}

#[test]
fn the_demo_and_a_shop_with_waivers_read_back_as_their_csv() {
    // A register with deployment variants has one more column.
    let repo = fixtures_dir().join("helm-env-saas");
    let mut workbook = open(&workbook_bytes(&repo, FIXTURE_DATE));
    assert_transfers_are_the_csv(&repo, &mut workbook);
    assert_eq!(
        sheet(&mut workbook, "Transfers")[0].last().unwrap(),
        "variants"
    );

    for name in ["demo", "wv15-shop"] {
        let repo = fixtures_dir().join(name);
        let bytes = workbook_bytes(&repo, FIXTURE_DATE);
        let mut workbook = open(&bytes);
        assert_eq!(workbook.sheet_names(), SHEETS, "{name}");
        assert_transfers_are_the_csv(&repo, &mut workbook);
        let register = csv(&repo);
        let transfers = register.len() - 1;
        assert!(transfers >= 9, "{name}: several transfers ({transfers})");

        // Recipients: one row per recipient the register names (the sheets join on it); the
        // counts add up to the transfers.
        let recipients = sheet(&mut workbook, "Recipients");
        assert_eq!(
            recipients[0],
            [
                "recipient",
                "name",
                "kind",
                "countries",
                "provider",
                "certifications",
                "basis",
                "transfers"
            ]
        );
        let counted: usize = recipients[1..]
            .iter()
            .map(|r| r[7].parse::<usize>().unwrap())
            .sum();
        assert_eq!(counted, transfers, "{name}: every transfer counted once");
        let ids: Vec<&String> = recipients[1..].iter().map(|r| &r[0]).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted, "{name}: one row per recipient, sorted");
        let named: std::collections::BTreeSet<&String> =
            register[1..].iter().map(|r| &r[1]).collect();
        assert_eq!(
            ids.into_iter().collect::<std::collections::BTreeSet<_>>(),
            named
        );

        // Findings: every finding of the scan and every waived one, with its waiver.
        let scan = borderline(
            &repo,
            &["scan", "--format", "json", "--date", FIXTURE_DATE, "-q"],
        );
        let json: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
        let findings = sheet(&mut workbook, "Findings");
        assert_eq!(
            findings[0],
            [
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
                "waiver expires"
            ]
        );
        let open_ones = json["findings"].as_array().unwrap();
        let waived = json["waived"].as_array().unwrap();
        assert_eq!(findings.len() - 1, open_ones.len() + waived.len(), "{name}");
        let by_fingerprint: BTreeMap<&str, &Vec<String>> =
            findings[1..].iter().map(|r| (r[9].as_str(), r)).collect();
        for finding in open_ones {
            let row = by_fingerprint[finding["fingerprint"].as_str().unwrap()];
            assert_eq!(row[0], finding["rule"].as_str().unwrap());
            assert_eq!(row[1], finding["severity"].as_str().unwrap());
            assert_eq!(row[7], finding["location"]["file"].as_str().unwrap());
            assert_eq!(row[8], finding["location"]["line"].to_string());
            assert_eq!(row[10], "open");
        }
        for finding in waived {
            let row = by_fingerprint[finding["fingerprint"].as_str().unwrap()];
            assert_eq!(row[0], finding["rule"].as_str().unwrap());
            assert_eq!(row[10], "waived");
            assert_eq!(row[11], finding["reason"].as_str().unwrap());
            assert_eq!(row[12], finding["expires"].as_str().unwrap());
        }
        if name == "wv15-shop" {
            assert_eq!(waived.len(), 5);
            let telegram = recipients.iter().find(|r| r[0] == "telegram").unwrap();
            assert_eq!(
                telegram[1..],
                ["Telegram Bot API", "vendor", "AE", "", "", "none", "1"]
            );
            // Two buckets in India: one row for their hosting provider, as the register names it.
            let aws = recipients.iter().find(|r| r[0] == "aws").unwrap();
            assert_eq!(
                aws[1..],
                [
                    "Amazon Web Services, Inc.",
                    "hosting provider",
                    "IN",
                    "aws",
                    "dpf (unverified)",
                    "none",
                    "2"
                ]
            );
            let paytm = by_fingerprint[waived[0]["fingerprint"].as_str().unwrap()];
            assert_eq!(
                paytm[..5],
                [
                    "transfer-without-safeguard",
                    "warning",
                    paytm[2].as_str(),
                    "payments",
                    "paytm"
                ]
            );
            assert_eq!(
                paytm[11..],
                ["PRIV-311: SCCs with Paytm in signature", "2027-03-31"]
            );
        }
    }
}

#[test]
fn every_sheet_has_a_bold_frozen_header_an_autofilter_and_widths() {
    let bytes = workbook_bytes(&fixtures_dir().join("demo"), FIXTURE_DATE);
    let rows: Vec<usize> = {
        let mut workbook = open(&bytes);
        SHEETS
            .iter()
            .map(|name| workbook.worksheet_range(name).unwrap().height())
            .collect()
    };
    let workbook = open(&bytes);
    let filters: Vec<&(String, String)> = workbook
        .defined_names()
        .iter()
        .filter(|(name, _)| name == "_xlnm._FilterDatabase")
        .collect();
    assert_eq!(filters.len(), 3, "{:?}", workbook.defined_names());
    let entries = entries(&bytes);
    let columns = ["N", "H", "M"];
    for (i, (name, last)) in SHEETS.iter().zip(columns).enumerate() {
        let xml = &entries[&format!("xl/worksheets/sheet{}.xml", i + 1)];
        assert!(
            xml.contains(
                r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
            ),
            "{name}: header frozen"
        );
        let filter = format!(r#"<autoFilter ref="A1:{last}{}"/>"#, rows[i]);
        assert!(xml.contains(&filter), "{name}: {filter}");
        assert!(
            filters
                .iter()
                .any(|(_, to)| to == &format!("{name}!$A$1:${last}${}", rows[i])),
            "{name}: {filters:?}"
        );
        assert!(xml.contains(r#"customWidth="1""#), "{name}: column widths");
        // Header cells use style 1, every other cell the default.
        let header = xml.split("</row>").next().unwrap();
        assert_eq!(
            header.matches("<c ").count(),
            header.matches(r#" s="1""#).count()
        );
        assert!(!xml.split("</row>").skip(1).any(|r| r.contains(r#" s="1""#)));
    }
    let styles = roxmltree::Document::parse(&entries["xl/styles.xml"]).unwrap();
    let fonts: Vec<_> = styles
        .descendants()
        .filter(|n| n.has_tag_name("font"))
        .collect();
    let xfs = styles
        .descendants()
        .find(|n| n.has_tag_name("cellXfs"))
        .unwrap();
    let header_xf = xfs.children().filter(|n| n.is_element()).nth(1).unwrap();
    let font: usize = header_xf.attribute("fontId").unwrap().parse().unwrap();
    assert!(
        fonts[font].children().any(|n| n.has_tag_name("b")),
        "header bold"
    );
}

#[test]
fn the_same_input_gives_the_same_bytes_without_a_clock_in_them() {
    let demo = fixtures_dir().join("demo");
    let first = workbook_bytes(&demo, FIXTURE_DATE);
    let second = workbook_bytes(&demo, FIXTURE_DATE);
    assert!(first == second, "two runs, two different workbooks");

    // Standard output, when it is not a terminal, gets the same bytes.
    let piped = borderline(
        &demo,
        &["ropa", "--format", "xlsx", "--date", FIXTURE_DATE, "-q"],
    );
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    assert!(piped.stdout == first, "stdout and -o differ");

    let mut archive = zip::ZipArchive::new(Cursor::new(first.as_slice())).unwrap();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        let time = entry.last_modified().unwrap();
        assert_eq!(
            (
                time.year(),
                time.month(),
                time.day(),
                time.hour(),
                time.minute()
            ),
            (1980, 1, 1, 0, 0),
            "{}: a fixed time",
            entry.name().unwrap()
        );
        assert!(
            entry.extra_data().is_none_or(|extra| extra.is_empty()),
            "{}: no extended timestamp",
            entry.name().unwrap()
        );
    }
    // The document's dates are the evaluation date.
    let core = &entries(&first)["docProps/core.xml"];
    let created = format!(">{FIXTURE_DATE}T00:00:00Z</dcterms:created>");
    assert!(core.contains(&created), "{core}");
    assert!(core.contains(&format!(">{FIXTURE_DATE}T00:00:00Z</dcterms:modified>")));
    let later = workbook_bytes(&demo, "2027-01-15");
    assert!(
        entries(&later)["docProps/core.xml"].contains(">2027-01-15T00:00:00Z</dcterms:created>")
    );
}

/// The hostile manifest of `hostile_sinks` (formulas, controls, bidi, line breaks in ids and
/// purposes) and flows whose purposes hold an Excel escape, XML-illegal characters and more text
/// than a cell holds.
fn hostile_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(40_000);
    let manifest = format!(
        "{}\n[[node]]\nid = \"escape\"\nkind = \"vendor\"\nlocation = \"US\"\nlabel = \"_x0041__x003D_1+1\"\n\n[[flow]]\nfrom = \"web\"\nto = \"escape\"\ndata = [\"user.contact\"]\npurpose = \"nul\\u0000bell\\u0007 ff\\uFFFE\\uFFFF end\"\n\n[[node]]\nid = \"long\"\nkind = \"vendor\"\nlocation = \"US\"\n\n[[flow]]\nfrom = \"web\"\nto = \"long\"\ndata = [\"user.contact\"]\npurpose = \"{long}\"\n",
        crate::hostile_sinks::MANIFEST
    );
    std::fs::write(dir.path().join("borderline.toml"), manifest).unwrap();
    dir
}

#[test]
fn hostile_text_stays_text_valid_and_within_a_cell() {
    let repo = hostile_repository();
    let bytes = workbook_bytes(repo.path(), FIXTURE_DATE);
    // Every part is well-formed XML, whatever the repository put in its strings.
    for (name, text) in entries(&bytes) {
        if name.ends_with(".xml") || name.ends_with(".rels") {
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                !text.contains("<f>") && !text.contains("<f "),
                "{name}: a formula"
            );
        }
    }
    let mut workbook = open(&bytes);
    let csv = csv(repo.path());
    let transfers = sheet(&mut workbook, "Transfers");
    let hyperlink = transfers
        .iter()
        .find(|r| r[1].contains("HYPERLINK"))
        .expect("the =HYPERLINK vendor's transfer");
    assert_eq!(hyperlink[1], "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(hyperlink[6], "'@SUM(1+1)");
    for name in SHEETS {
        let formulas = workbook.worksheet_formula(name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{name}"
        );
        for row in sheet(&mut workbook, name) {
            for cell in row {
                assert!(
                    !cell
                        .trim_start()
                        .starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{name}: a formula start in {cell:?}"
                );
                assert!(
                    cell.encode_utf16().count() <= CELL_LIMIT,
                    "{name}: too long"
                );
                assert!(!cell.chars().any(|c| c.is_control()), "{name}: {cell:?}");
            }
        }
    }
    // The label written as Excel escapes reads as written, not as `A=1+1`.
    let recipients = sheet(&mut workbook, "Recipients");
    let escape = recipients.iter().find(|r| r[0] == "escape").unwrap();
    assert_eq!(escape[1], "_x0041__x003D_1+1");
    // XML-illegal and control characters are gone the way the CSV drops them.
    let row = |to: &str| transfers.iter().find(|r| r[1] == to).unwrap().clone();
    let csv_row = |to: &str| csv.iter().find(|r| r[1] == to).unwrap().clone();
    assert_eq!(row("escape"), csv_row("escape"));
    assert!(
        row("escape")[6].starts_with("nul bell  ff"),
        "{:?}",
        row("escape")[6]
    );
    // The purpose longer than a cell is cut, with the marker saying so.
    let long = &row("long")[6];
    assert!(
        long.starts_with("xxxx") && long.contains("cut by borderline"),
        "{}",
        &long[long.len() - 80..]
    );
    assert_eq!(long.encode_utf16().count(), CELL_LIMIT);
    assert_eq!(csv_row("long")[6].len(), 40_000, "the CSV keeps it whole");
}

#[test]
fn a_workbook_is_refused_where_it_cannot_be_written() {
    let demo = fixtures_dir().join("demo");
    let out = tempfile::tempdir().unwrap();
    // A directory as the output file: exit 2 with the path, no panic.
    let output = borderline(
        &demo,
        &[
            "ropa",
            "--format",
            "xlsx",
            "--date",
            FIXTURE_DATE,
            "-o",
            out.path().to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot write"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_workbook_is_never_written_to_a_terminal() {
    // `script` (util-linux, beside the `prlimit` other tests use) runs the command on a pseudo
    // terminal and exits with its code.
    let command = format!(
        "{} ropa {} --format xlsx --date {FIXTURE_DATE}",
        env!("CARGO_BIN_EXE_borderline"),
        fixtures_dir().join("demo").display()
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run script: {e}"));
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("--format xlsx writes a binary workbook: give -o FILE"),
        "{shown}"
    );
    assert!(!shown.contains("PK"), "no zip on the terminal");
}
