//! One safeguard validator: a bad safeguard written in `borderline.toml` and the same safeguard
//! written as a comment tag give the same messages, so neither form is more lenient than the
//! other (annotations once skipped the version and derogation checks the manifest made).

use crate::support::{scan_report, write_file};
use borderline::config::parse_manifest;
use borderline::rules::RuleSet;
use borderline::source::{FileId, SourceFile};
use std::sync::Arc;

/// Each bad safeguard twice: the manifest's inline table and the tag's keys, and what is wrong.
const CASES: &[(&str, &str, &str)] = &[
    (
        r#"{ mechanism = "sccc" }"#,
        "mechanism=sccc",
        "an unknown mechanism",
    ),
    (r#"{ module = 2 }"#, "module=2", "keys without a mechanism"),
    (
        r#"{ mechanism = "scc", version = "1999/1" }"#,
        "mechanism=scc version=1999/1",
        "a version the rule data does not know",
    ),
    (
        r#"{ mechanism = "scc", module = 7 }"#,
        "mechanism=scc module=7",
        "a module that is not one",
    ),
    (
        r#"{ mechanism = "bcr", module = 2 }"#,
        "mechanism=bcr module=2",
        "a module on a mechanism other than SCC",
    ),
    (
        r#"{ mechanism = "scc", derogation = "explicit-consent" }"#,
        "mechanism=scc derogation=explicit-consent",
        "a derogation on a mechanism that is not one",
    ),
    (
        r#"{ mechanism = "derogation", derogation = "whim" }"#,
        "mechanism=derogation derogation=whim",
        "a derogation Art. 49 does not have",
    ),
    (
        r#"{ mechanism = "derogation" }"#,
        "mechanism=derogation",
        "a derogation mechanism without its derogation",
    ),
    (
        r#"{ mechanism = "scc", signed = "2021-02-30" }"#,
        "mechanism=scc signed=2021-02-30",
        "a date that does not exist",
    ),
    (
        r#"{ mechanism = "scc", expires = "soon" }"#,
        "mechanism=scc expires=soon",
        "a date that is not one",
    ),
];

const NODES: &str = r#"[[node]]
id = "api"
kind = "service"
location = "DE"
paths = ["api"]

[[node]]
id = "vendor"
kind = "vendor"
location = "US"
"#;

/// The messages of the manifest with one flow carrying `safeguard`.
fn manifest_messages(safeguard: &str) -> Vec<String> {
    let text = format!(
        "{NODES}\n[[flow]]\nfrom = \"api\"\nto = \"vendor\"\ndata = [\"user.contact.email\"]\nsafeguard = {safeguard}\n"
    );
    let file = SourceFile::new(
        FileId(0),
        "borderline.toml".into(),
        Arc::from(text.as_str()),
    );
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    match parse_manifest(&file, &rules) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.message).collect(),
    }
}

/// The input-error messages of a scan whose flow is a comment tag with `keys`.
fn tag_messages(keys: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "borderline.toml", NODES);
    write_file(
        dir.path(),
        "api/app.py",
        &format!("# borderline: flow to=vendor data=user.contact.email {keys}\nprint(1)\n"),
    );
    let report = scan_report(dir.path());
    let mut messages: Vec<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == "input-error")
        .filter_map(|f| f["message"].as_str().map(str::to_string))
        .collect();
    messages.sort();
    messages
}

#[test]
fn a_bad_safeguard_gives_the_same_messages_in_the_manifest_and_in_a_tag() {
    for (table, keys, what) in CASES {
        let mut from_manifest = manifest_messages(table);
        from_manifest.sort();
        assert!(
            !from_manifest.is_empty(),
            "{what}: the manifest accepts {table}"
        );
        assert_eq!(
            from_manifest,
            tag_messages(keys),
            "{what}: `{table}` in the manifest and `{keys}` in a tag"
        );
    }
}

#[test]
fn a_good_safeguard_is_accepted_in_both() {
    let table = r#"{ mechanism = "scc", version = "2021/914", module = 2, signed = "2025-03-01", tia = "docs/tia.md" }"#;
    assert_eq!(manifest_messages(table), Vec::<String>::new());
    assert_eq!(
        tag_messages("mechanism=scc version=2021/914 module=2 signed=2025-03-01 tia=docs/tia.md"),
        Vec::<String>::new()
    );
}
