//! Hostile input that once crashed a scan or made it run without bound: Rust nested deeper than
//! syn's recursion can take, malformed package manifests, a dense graph of onward transfers and
//! thousands of misspelt node ids. Each scan runs under memory and CPU ceilings far above what the
//! bounded code needs.

use crate::support::{assert_finished_within_bounds, borderline_bounded, findings};
use std::fmt::Write as _;
use std::path::Path;

const FIXTURE_DATE: &str = "2025-06-01";
/// Ceilings for every run here: generous, so that only unbounded work reaches them.
const MEMORY_MIB: u64 = 1024;
const CPU_SECONDS: u64 = 20;

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// Scans `root` as JSON under the ceilings; the scan must finish by itself.
fn scan_bounded(root: &Path, what: &str) -> serde_json::Value {
    let output = borderline_bounded(
        root,
        &["scan", ".", "--date", FIXTURE_DATE, "--format", "json"],
        MEMORY_MIB,
        CPU_SECONDS,
    );
    assert_finished_within_bounds(&output, what);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// (file, line, column, message) of every input error.
fn input_errors(report: &serde_json::Value) -> Vec<(String, u64, u64, String)> {
    findings(report, "input-error")
        .into_iter()
        .map(|f| {
            (
                f["location"]["file"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
                f["location"]["column"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A service in Frankfurt and a vendor in India with no safeguard: the flow written in
/// `src/pay.rs` is a finding that must survive every hostile file beside it.
const SHOP: &str = r#"[[node]]
id = "shop"
location = "DE"
paths = ["src"]
data = ["user.contact.email"]

[[node]]
id = "payco"
kind = "vendor"
location = "IN"
"#;

const PAY_RS: &str =
    "#[borderline::flow(to = \"payco\", data = [\"user.contact.email\"])]\npub fn pay() {}\n";

fn has_transfer_to_payco(report: &serde_json::Value) -> bool {
    findings(report, "transfer-without-safeguard")
        .iter()
        .any(|f| f["to"] == "payco" && f["location"]["file"] == "src/pay.rs")
}

#[test]
fn rust_nested_beyond_the_parser_is_an_input_error_not_a_stack_overflow() {
    const DEEP: usize = 20_000;
    let types = [
        ("ref", format!("{}u8", "&".repeat(DEEP))),
        ("ptr", format!("{}u8", "*const ".repeat(DEEP))),
        (
            "vec",
            format!("{}u8{}", "Vec<".repeat(DEEP), ">".repeat(DEEP)),
        ),
        (
            "array",
            format!("{}u8{}", "[".repeat(DEEP), "]".repeat(DEEP)),
        ),
        (
            "tuple",
            format!("{}u8{}", "(".repeat(DEEP), ")".repeat(DEEP)),
        ),
    ];
    let expressions = [
        ("neg", format!("{}1", "-".repeat(DEEP))),
        ("not", format!("{}true", "!".repeat(DEEP))),
        ("ref", format!("{}1", "&".repeat(DEEP))),
        (
            "array",
            format!("{}1{}", "[".repeat(DEEP), "]".repeat(DEEP)),
        ),
        (
            "paren",
            format!("{}1{}", "(".repeat(DEEP), ")".repeat(DEEP)),
        ),
    ];
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "borderline.toml", SHOP);
    write(repo.path(), "src/pay.rs", PAY_RS);
    let mut deep_files = Vec::new();
    for (name, ty) in &types {
        let path = format!("src/field_{name}.rs");
        write(
            repo.path(),
            &path,
            &format!(
                "#[derive(serde::Serialize)]\npub struct Customer {{\n    pub email: {ty},\n}}\n"
            ),
        );
        deep_files.push(path);
    }
    for (name, expression) in &expressions {
        let path = format!("src/flow_{name}.rs");
        write(
            repo.path(),
            &path,
            &format!(
                "#[borderline::flow(to = \"payco\", purpose = {expression})]\npub fn send() {{}}\n"
            ),
        );
        deep_files.push(path);
        let path = format!("src/pii_{name}.rs");
        write(
            repo.path(),
            &path,
            &format!(
                "#[derive(borderline::PersonalData)]\npub struct Customer {{\n    #[pii(\"user.contact.email\", note = {expression})]\n    pub email: String,\n}}\n"
            ),
        );
        deep_files.push(path);
    }
    let report = scan_bounded(repo.path(), "deeply nested Rust");
    let errors = input_errors(&report);
    for path in &deep_files {
        assert!(
            errors
                .iter()
                .any(|(file, line, _, _)| file == path && *line >= 1),
            "{path}: no input-error in {errors:#?}"
        );
    }
    assert!(has_transfer_to_payco(&report), "{report:#}");
}

#[test]
fn rust_nested_deep_but_within_bounds_is_read_on_a_larger_stack() {
    // Thousands of levels are more than an extraction thread's stack holds for syn, but within
    // what borderline reads: the struct is parsed (on a thread with a stack sized for it) and its
    // `email` field inferred, with no error.
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "borderline.toml", SHOP);
    write(repo.path(), "src/pay.rs", PAY_RS);
    write(
        repo.path(),
        "src/customer.rs",
        &format!(
            "#[derive(serde::Serialize)]\npub struct Customer {{\n    pub email: String,\n    pub raw: {}u8,\n}}\n",
            "&".repeat(2_000)
        ),
    );
    let report = scan_bounded(repo.path(), "Rust nested 2,000 deep");
    assert_eq!(input_errors(&report), []);
    let inferred = findings(&report, "inferred-personal-data");
    assert!(
        inferred
            .iter()
            .any(|f| f["location"]["file"] == "src/customer.rs" && f["location"]["line"] == 3),
        "{inferred:#?}"
    );
    assert!(has_transfer_to_payco(&report));
}

#[test]
fn malformed_package_manifests_are_input_errors_and_their_files_fall_back_to_the_next_package() {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "borderline.toml",
        "[[node]]\nid = \"payco\"\nkind = \"vendor\"\nlocation = \"IN\"\n",
    );
    write(
        repo.path(),
        "Cargo.toml",
        "[package]\nname = \"platform\"\nversion = \"0.1.0\"\n",
    );
    // Broken: an unterminated string, a trailing comma, a duplicate table.
    write(
        repo.path(),
        "services/billing/Cargo.toml",
        "[package]\nname = \"billing\nversion = \"0.1.0\"\n",
    );
    write(
        repo.path(),
        "services/billing/src/lib.rs",
        "#[borderline::flow(to = \"payco\", data = [\"user.contact.email\"])]\npub fn charge() {}\n",
    );
    write(
        repo.path(),
        "web/package.json",
        "{\n  \"name\": \"storefront\",\n  \"version\": \"1.0.0\",\n}\n",
    );
    write(
        repo.path(),
        "jobs/pyproject.toml",
        "[project]\nname = \"export\"\n[project]\nversion = \"1\"\n",
    );
    // Valid, though they name no package: quiet.
    write(
        repo.path(),
        "crates/Cargo.toml",
        "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
    );
    write(
        repo.path(),
        "ui/package.json",
        "{\n  \"private\": true,\n  \"workspaces\": [\"packages/*\"]\n}\n",
    );
    write(
        repo.path(),
        "tools/pyproject.toml",
        "[build-system]\nrequires = [\"hatchling\"]\n",
    );
    let report = scan_bounded(repo.path(), "malformed package manifests");
    let mut errors = input_errors(&report);
    errors.sort();
    let places: Vec<(&str, u64, u64)> = errors
        .iter()
        .map(|(file, line, column, _)| (file.as_str(), *line, *column))
        .collect();
    assert_eq!(
        places,
        [
            ("jobs/pyproject.toml", 3, 2),
            ("services/billing/Cargo.toml", 2, 16),
            ("web/package.json", 4, 1),
        ],
        "{errors:#?}"
    );
    for (file, _, _, message) in &errors {
        let name = file.rsplit('/').next().unwrap();
        assert!(
            message.starts_with(&format!("{name} is malformed at line")),
            "{message}"
        );
    }
    // The annotated function under the broken Cargo.toml belongs to the package above it.
    let transfers = findings(&report, "transfer-without-safeguard");
    assert!(
        transfers
            .iter()
            .any(|f| f["from"] == "platform" && f["to"] == "payco"),
        "{transfers:#?}"
    );
}

/// A manifest of `count` vendors alternating between the US and India, each holding personal
/// data, every one sending to every other, plus a service in Germany sending to each.
fn dense_manifest(count: usize) -> String {
    let mut text = String::from(
        "[[node]]\nid = \"zz-home\"\nlocation = \"DE\"\ndata = [\"user.contact.email\"]\n",
    );
    for i in 0..count {
        let location = if i % 2 == 0 { "US" } else { "IN" };
        write!(
            text,
            "\n[[node]]\nid = \"n{i:04}\"\nkind = \"vendor\"\nlocation = \"{location}\"\ndata = [\"user.contact.email\"]\n"
        )
        .unwrap();
    }
    for i in 0..count {
        write!(
            text,
            "\n[[flow]]\nfrom = \"zz-home\"\nto = \"n{i:04}\"\ndata = [\"user.contact.email\"]\n"
        )
        .unwrap();
        for j in (0..count).filter(|j| *j != i) {
            write!(
                text,
                "\n[[flow]]\nfrom = \"n{i:04}\"\nto = \"n{j:04}\"\ndata = [\"user.contact.email\"]\n"
            )
            .unwrap();
        }
    }
    text
}

#[test]
fn onward_transfers_in_a_dense_graph_are_bounded_and_all_reported() {
    let count = 130;
    let repo = tempfile::tempdir().unwrap();
    let manifest = dense_manifest(count);
    assert!(manifest.len() > 900_000, "{}", manifest.len());
    write(repo.path(), "borderline.toml", &manifest);
    let report = scan_bounded(repo.path(), "a dense graph of onward transfers");
    // Every flow is a transfer to the US (outside the DPF's scope) or to India (no safeguard).
    let transfers = findings(&report, "transfer-without-safeguard").len()
        + findings(&report, "adequacy-scope-not-met").len();
    assert_eq!(transfers, count * count);
    // Each path is a shortest one: an onward transfer is one hop from home.
    let onward = findings(&report, "transfer-without-safeguard")
        .into_iter()
        .find(|f| f["from"] == "n0000" && f["to"] == "n0001")
        .unwrap();
    assert_eq!(
        onward["data_path"],
        serde_json::json!(["zz-home", "n0000", "n0001"])
    );
}

#[test]
fn a_long_chain_of_onward_transfers_shows_a_capped_data_path() {
    let repo = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "[[node]]\nid = \"home\"\nlocation = \"DE\"\ndata = [\"user.contact.email\"]\n",
    );
    let count = 40;
    for i in 0..count {
        let location = if i % 2 == 0 { "IN" } else { "BR" };
        write!(
            text,
            "\n[[node]]\nid = \"hop{i:02}\"\nkind = \"vendor\"\nlocation = \"{location}\"\n"
        )
        .unwrap();
        let from = if i == 0 {
            "home".to_string()
        } else {
            format!("hop{:02}", i - 1)
        };
        write!(
            text,
            "\n[[flow]]\nfrom = \"{from}\"\nto = \"hop{i:02}\"\ndata = [\"user.contact.email\"]\n"
        )
        .unwrap();
    }
    write(repo.path(), "borderline.toml", &text);
    let report = scan_bounded(repo.path(), "a long chain of onward transfers");
    let last = findings(&report, "transfer-without-safeguard")
        .into_iter()
        .find(|f| f["to"] == "hop39")
        .unwrap_or_else(|| panic!("{report:#}"));
    let path: Vec<&str> = last["data_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(path.len(), 16, "{path:?}");
    assert_eq!(path[..2], ["home", "..."]);
    assert_eq!(path[path.len() - 2..], ["hop38", "hop39"]);
}

#[test]
fn did_you_mean_over_thousands_of_misspelt_ids_is_bounded() {
    // Ids of one repeated letter defeat the character-pair filter: every id is within reach of
    // every misspelt one.
    let (nodes, flows) = (2_000, 2_000);
    let mut text = String::new();
    for i in 0..nodes {
        let id = format!("{}{i}", "a".repeat(60 + i % 40));
        write!(text, "[[node]]\nid = \"{id}\"\nlocation = \"DE\"\n\n").unwrap();
    }
    for j in 0..flows {
        let from = format!("{}b{j}", "a".repeat(60 + j % 40));
        let to = format!("{}c{j}", "a".repeat(61 + j % 40));
        write!(text, "[[flow]]\nfrom = \"{from}\"\nto = \"{to}\"\n\n").unwrap();
    }
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "borderline.toml", &text);
    let report = scan_bounded(repo.path(), "thousands of misspelt ids");
    let unresolved = findings(&report, "unresolved-reference");
    assert_eq!(unresolved.len(), 2 * flows);
    assert!(
        unresolved.iter().all(|f| f["message"]
            .as_str()
            .unwrap()
            .starts_with("no node named `a")),
        "{:#?}",
        unresolved.first()
    );
}

/// Thousands of misspelt data categories: each got an edit-distance search over the whole
/// taxonomy (7 s in a release build for 20,000 of them); suggestions now share a budget and keys
/// out of reach are not compared. Every unknown category is still warned.
#[test]
fn did_you_mean_over_thousands_of_unknown_categories_is_bounded() {
    let mut text = String::from(
        "[[node]]\nid = \"api\"\nlocation = \"DE\"\n\n[[node]]\nid = \"crm\"\nkind = \"vendor\"\nlocation = \"US\"\n\n",
    );
    // One near miss that must still get its suggestion (first: suggestions are made in order
    // until their budget is spent).
    text.push_str("[[flow]]\nfrom = \"api\"\nto = \"crm\"\ndata = [\"user.contact.emial\"]\n\n");
    let count = 20_000;
    for i in 0..count {
        write!(
            text,
            "[[flow]]\nfrom = \"api\"\nto = \"crm\"\ndata = [\"user.contact.emial-{i:06}-{}\"]\n\n",
            "x".repeat(40)
        )
        .unwrap();
    }
    let repo = tempfile::tempdir().unwrap();
    write(repo.path(), "borderline.toml", &text);
    let report = scan_bounded(repo.path(), "thousands of unknown data categories");
    let unknown = findings(&report, "unknown-data-category");
    assert_eq!(unknown.len(), count + 1);
    assert!(
        unknown.iter().any(|f| f["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `user.contact.email`")),
        "the near miss lost its suggestion"
    );
}
