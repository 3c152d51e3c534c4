//! Legal and provider facts live in `rules/`, never in code: no non-test string literal under
//! `analyzer/src` is a country code standing alone or names a decision number.
//!
//! A country code in code (`country == "US"`) decides something the rule data should decide, and
//! a decision number (`2021/914`, `2023/1795`) is a fact that changes when the Commission adopts a
//! new instrument. The test reads the sources with `syn`, skips `#[cfg(test)]` and `#[test]` items
//! and the files of test modules, and looks at every string literal, also those inside macro
//! calls (`format!`). The allow-list below names each exception with its reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// (file under `analyzer/src`, literal, why it is not a fact in code).
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "cli/rules_cmd.rs",
        "ID",
        "the column header of `rules --vendors`, not Indonesia",
    ),
    (
        "extract/environment.rs",
        "IT",
        "the Java integration-test suffix (`CheckoutIT.java`), not Italy",
    ),
    (
        "report/graph/dot.rs",
        "LR",
        "Graphviz `rankdir` left to right, not Liberia",
    ),
];

fn repository_root() -> PathBuf {
    crate::support::workspace_root()
}

/// Every `code` of `rules/jurisdictions.toml` that is two letters: the ISO 3166-1 alpha-2 codes.
fn country_codes() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repository_root().join("rules/jurisdictions.toml")).unwrap();
    let value: toml::Value = toml::from_str(&text).unwrap();
    let codes: BTreeSet<String> = value["jurisdiction"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j.get("code").and_then(toml::Value::as_str))
        .filter(|code| code.len() == 2)
        .map(str::to_string)
        .collect();
    assert!(codes.len() > 200, "jurisdictions.toml lists the ISO codes");
    codes
}

/// `dddd/dd` to `dddd/dddd` anywhere in the text: the number of an EU decision or regulation.
fn has_decision_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|slash| {
        if bytes[slash] != b'/' || slash < 4 {
            return false;
        }
        let year_digits = bytes[slash - 4..slash].iter().all(u8::is_ascii_digit);
        let before_year_is_digit = slash > 4 && bytes[slash - 5].is_ascii_digit();
        let number_digits = bytes[slash + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        year_digits && !before_year_is_digit && (2..=4).contains(&number_digits)
    })
}

fn is_test_only(attributes: &[syn::Attribute]) -> bool {
    attributes.iter().any(|attribute| {
        let path = attribute.path();
        if path.is_ident("test") {
            return true;
        }
        if !path.is_ident("cfg") {
            return false;
        }
        let Ok(list) = attribute.meta.require_list() else {
            return false;
        };
        // `cfg(test)` alone: `cfg(any(test, ...))` code is built outside tests too.
        list.tokens.to_string().trim() == "test"
    })
}

/// A string literal found in a non-test part of one file.
#[derive(Debug)]
struct Found {
    line: usize,
    value: String,
}

#[derive(Default)]
struct Literals {
    found: Vec<Found>,
    /// `#[cfg(test)] mod name;` declarations: the files of test modules, skipped.
    test_modules: Vec<String>,
}

impl Literals {
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Group(group) => self.tokens(group.stream()),
                proc_macro2::TokenTree::Literal(literal) => {
                    if let syn::Lit::Str(text) = syn::Lit::new(literal.clone()) {
                        self.found.push(Found {
                            line: literal.span().start().line,
                            value: text.value(),
                        });
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for Literals {
    fn visit_lit_str(&mut self, literal: &'ast syn::LitStr) {
        self.found.push(Found {
            line: literal.span().start().line,
            value: literal.value(),
        });
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
    }

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {
        // Attributes hold documentation, lint reasons and serde names, not decisions.
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attributes = match item {
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Macro(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if is_test_only(attributes) {
            if let syn::Item::Mod(module) = item
                && module.content.is_none()
            {
                self.test_modules.push(module.ident.to_string());
            }
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_impl_item_fn(&mut self, function: &'ast syn::ImplItemFn) {
        if !is_test_only(&function.attrs) {
            syn::visit::visit_impl_item_fn(self, function);
        }
    }
}

/// The directory a file's `mod name;` children live in.
fn children_directory(file: &Path) -> PathBuf {
    let parent = file.parent().unwrap().to_path_buf();
    match file.file_name().and_then(|n| n.to_str()) {
        Some("mod.rs" | "lib.rs" | "main.rs") => parent,
        _ => parent.join(file.file_stem().unwrap()),
    }
}

fn rust_files(directory: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(directory)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every literal in the non-test code of `analyzer/src` that is a country code or names a
/// decision number, as `file:line: "literal"`, minus the allow-list.
fn facts_in_code(source_root: &Path, codes: &BTreeSet<String>) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(source_root, &mut files);
    let mut test_files: BTreeSet<PathBuf> = BTreeSet::new();
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut literals = Literals::default();
        literals.visit_file(&syntax);
        let directory = children_directory(file);
        for module in &literals.test_modules {
            test_files.insert(directory.join(format!("{module}.rs")));
            test_files.insert(directory.join(module).join("mod.rs"));
        }
        let relative = file
            .strip_prefix(source_root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for found in literals.found {
            let country = codes.contains(&found.value);
            if !country && !has_decision_number(&found.value) {
                continue;
            }
            if ALLOWED
                .iter()
                .any(|(path, literal, _)| *path == relative && *literal == found.value)
            {
                continue;
            }
            problems.push((
                file.clone(),
                format!("{relative}:{}: {:?}", found.line, found.value),
            ));
        }
    }
    // Files of `#[cfg(test)] mod name;` are tests: drop what was found in them (and under them).
    problems
        .into_iter()
        .filter(|(file, _)| {
            !test_files.iter().any(|test| {
                file == test
                    || test
                        .parent()
                        .is_some_and(|d| file.starts_with(d.join(test.file_stem().unwrap())))
            })
        })
        .map(|(_, problem)| problem)
        .collect()
}

#[test]
fn no_country_code_or_decision_number_in_non_test_code() {
    let codes = country_codes();
    let problems = facts_in_code(&repository_root().join("analyzer/src"), &codes);
    assert!(
        problems.is_empty(),
        "facts belong in rules/ (or the allow-list in tests/integration/facts_in_rules.rs, with a reason):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_scan_finds_a_planted_country_code_and_decision_number() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("lib.rs"),
        "//! A planted fact.\n\
         mod helpers;\n\
         #[cfg(test)]\n\
         mod tests;\n\
         pub fn us(country: &str) -> bool { country == \"US\" }\n\
         pub fn scc() -> String { format!(\"sign SCC {}\", \"2021/914\") }\n\
         #[cfg(test)]\n\
         mod inline { const X: &str = \"DE\"; }\n\
         #[test]\n\
         fn planted() { assert_eq!(\"FR\", \"FR\"); }\n\
         /// Doc comments name \"GB\" and 2016/1250 freely.\n\
         pub const DOCUMENT: &str = \"TIA-2024-017\";\n",
    )
    .unwrap();
    std::fs::write(
        directory.path().join("helpers.rs"),
        "//! Not a test.\npub const C: &str = \"see 2023/1795\";\n",
    )
    .unwrap();
    std::fs::write(
        directory.path().join("tests.rs"),
        "//! A test module.\nconst Y: &str = \"IT\";\n",
    )
    .unwrap();
    let problems = facts_in_code(directory.path(), &country_codes());
    assert_eq!(
        problems,
        [
            "helpers.rs:2: \"see 2023/1795\"",
            "lib.rs:5: \"US\"",
            "lib.rs:6: \"2021/914\"",
        ]
    );
}

#[test]
fn decision_numbers_are_four_digits_a_slash_and_two_to_four() {
    for yes in ["2021/914", "(EU) 2016/1250", "2010/87/EU", "2000/518/EC"] {
        assert!(has_decision_number(yes), "{yes}");
    }
    for no in [
        "12021/914",
        "2021/9",
        "2021-914",
        "a/b",
        "http://x/2021",
        "TIA-2024-017",
    ] {
        assert!(!has_decision_number(no), "{no}");
    }
}

/// The SCC version and the DPF route in help texts come from the rule data: a new SCC set and a
/// renamed register are a rule-data edit (here an override), and no help names the old version.
#[test]
fn a_new_scc_version_in_rule_data_changes_every_help_text() {
    let mechanisms =
        std::fs::read_to_string(repository_root().join("rules/mechanisms.toml")).unwrap();
    // The override replaces the `scc` record by key, so the new version goes into that record.
    let mechanisms = mechanisms
        .replacen(
            "current_version = \"2021/914\"",
            "current_version = \"2031/77\"",
            1,
        )
        .replacen(
            "[[mechanism]]\nid = \"bcr\"",
            "[[mechanism.version]]\nid = \"2031/77\"\ninstrument = \"A future decision\"\ntransfer_tool = true\nvalid_from = 2026-01-01\n\n[[mechanism]]\nid = \"bcr\"",
            1,
        );
    let adequacy = std::fs::read_to_string(repository_root().join("rules/adequacy.toml")).unwrap();
    let adequacy = adequacy.replacen(
        "register = \"Data Privacy Framework List\"",
        "register = \"Renamed List\"",
        1,
    );
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("mechanisms.toml"), mechanisms).unwrap();
    std::fs::write(directory.path().join("adequacy.toml"), adequacy).unwrap();
    let rules = directory.path().to_string_lossy().into_owned();
    let output = crate::support::borderline(
        &repository_root(),
        &[
            "scan",
            "fixtures/demo",
            "--date",
            "2026-11-29",
            "--rules",
            &rules,
        ],
    );
    let text = crate::support::stdout(&output);
    let stderr = crate::support::stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let helps: Vec<&str> = text.lines().filter(|l| l.starts_with("help:")).collect();
    assert!(helps.iter().any(|h| h.contains("SCC 2031/77")), "{text}");
    assert!(
        helps.iter().any(|h| h.contains("version = \"2031/77\"")),
        "{text}"
    );
    assert!(
        helps.iter().any(|h| h.contains("on the Renamed List")),
        "{text}"
    );
    assert!(!helps.iter().any(|h| h.contains("2021/914")), "{text}");
    assert!(
        !helps
            .iter()
            .any(|h| h.contains("Data Privacy Framework List")),
        "{text}"
    );
}
