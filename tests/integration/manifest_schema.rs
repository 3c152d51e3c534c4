//! The JSON Schema of `borderline.toml` (docs/borderline.schema.json, which editors read through
//! a `#:schema` line): every manifest of the fixtures that borderline accepts is valid against
//! it, what borderline refuses for an unknown key or value it refuses too, and `init` writes the
//! line that names it.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stdout, workspace_root};
use borderline::config::parse_manifest;
use borderline::rules::RuleSet;
use borderline::source::{FileId, SourceFile};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn schema() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("docs/borderline.schema.json"))
        .unwrap_or_else(|e| panic!("docs/borderline.schema.json: {e} (`cargo xtask codegen`)"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

/// TOML as the JSON an editor validates: a date is its text.
fn json_of(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(json_of).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.iter().map(|(k, v)| (k.clone(), json_of(v))).collect())
        }
    }
}

fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let value: toml::Value = toml::from_str(text).unwrap_or_else(|e| panic!("not TOML: {e}"));
    validator
        .iter_errors(&json_of(&value))
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn accepted(rules: &RuleSet, text: &str) -> bool {
    let file = SourceFile::new(FileId(0), "borderline.toml".into(), Arc::from(text));
    parse_manifest(&file, rules).is_ok()
}

fn manifests(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() && !path.is_symlink() {
            manifests(&path, found);
        } else if path.file_name().is_some_and(|n| n == "borderline.toml") {
            found.push(path);
        }
    }
}

#[test]
fn every_manifest_borderline_accepts_is_valid_against_the_schema() {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    let validator = jsonschema::validator_for(&schema()).unwrap_or_else(|e| panic!("schema: {e}"));
    let mut found = Vec::new();
    manifests(&fixtures_dir(), &mut found);
    let mut checked = 0;
    let mut invalid = Vec::new();
    for path in &found {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        // A fixture of a broken manifest is there for its errors; TOML that does not parse is
        // no manifest to validate.
        if !accepted(&rules, &text) || toml::from_str::<toml::Value>(&text).is_err() {
            continue;
        }
        checked += 1;
        let errors = schema_errors(&validator, &text);
        if !errors.is_empty() {
            invalid.push(format!("{}: {errors:?}", path.display()));
        }
    }
    assert!(
        checked >= 50,
        "only {checked} of {} manifests checked",
        found.len()
    );
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

#[test]
fn what_borderline_refuses_for_a_key_or_a_value_the_schema_refuses() {
    let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"));
    let validator = jsonschema::validator_for(&schema()).unwrap_or_else(|e| panic!("schema: {e}"));
    for text in [
        "[project]\nnmae = \"shop\"\n",
        "[policy]\nfail_on = \"critical\"\n",
        "[policy]\napproved_mechanisms = [\"handshake\"]\n",
        "[[node]]\nid = \"a\"\nkind = \"database\"\n",
        "[[node]]\nid = \"a\"\nlocation = \"DE\"\nsafeguard = { mechanism = \"scc\", module = 5 }\n",
        "[[flow]]\nfrom = \"a\"\n",
        "[[waiver]]\nrule = \"no-such-rule\"\nreason = \"x\"\nexpires = 2027-01-01\n",
        "[[waiver]]\nrule = \"transfer-without-safeguard\"\nreason = \"x\"\n",
        "[scan]\ninclude = [\"staging\"]\n",
    ] {
        assert!(!accepted(&rules, text), "borderline accepts {text:?}");
        assert!(
            !schema_errors(&validator, text).is_empty(),
            "the schema accepts {text:?}"
        );
    }
}

#[test]
fn init_names_the_schema_on_its_first_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    crate::support::copy_dir(&fixtures_dir().join("demo"), dir.path());
    let output = borderline(
        dir.path(),
        &["init", ".", "-o", "-", "--date", FIXTURE_DATE],
    );
    let text = stdout(&output);
    let first = text.lines().next().unwrap_or_default();
    let id = schema()["$id"].as_str().unwrap_or_default().to_string();
    assert_eq!(first, format!("#:schema {id}"));
    assert!(id.starts_with("https://github.com/") && id.ends_with("/docs/borderline.schema.json"));
}
