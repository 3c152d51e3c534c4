//! Snapshots of what a user sees for a broken `borderline.toml`: standard error, standard output
//! and the exit code, one snapshot per case. The manifest reader may be rewritten, but its
//! messages are part of the interface (editors and CI logs point at them): every message must stay
//! byte-identical, and these cases are how that is checked. Each case is written in a temporary
//! directory and scanned from there, so the paths in the messages are relative.

use crate::support::{FIXTURE_DATE, borderline, check_each, transcript, write_file};

/// Two nodes and a flow between them that is lawful (Germany to France), for cases that need a
/// valid manifest around their one mistake.
const NODES: &str = r#"[[node]]
id = "web"
kind = "service"
location = "DE"

[[node]]
id = "db"
kind = "store"
location = "FR"
"#;

/// One case: its name, the files of the repository, and the command line (after `borderline`).
struct Case {
    name: &'static str,
    files: Vec<(&'static str, &'static str)>,
    args: &'static [&'static str],
}

const SCAN: &[&str] = &["scan", ".", "--date", FIXTURE_DATE];

/// A case with only a `borderline.toml` of `text` and `scan .`.
fn manifest(name: &'static str, text: &'static str) -> Case {
    Case {
        name,
        files: vec![("borderline.toml", text)],
        args: SCAN,
    }
}

// long-fn: one entry per broken manifest; the table is the test, read top to bottom.
fn cases() -> Vec<Case> {
    vec![
        // Unknown keys: each table lists the keys it accepts.
        manifest("unknown_top_level_key", "colour = \"blue\"\n"),
        manifest("unknown_top_level_table", "[polcy]\nrequire_tia = true\n"),
        manifest(
            "unknown_project_key",
            "[project]\nname = \"shop\"\nowner = \"me\"\n",
        ),
        manifest("unknown_policy_key", "[policy]\nrequire_tai = true\n"),
        manifest(
            "unknown_scan_key",
            "[scan]\nexclude = [\"vendor/**\"]\nskip = []\n",
        ),
        manifest(
            "unknown_node_key",
            "[[node]]\nid = \"web\"\nlocaton = \"DE\"\n",
        ),
        manifest(
            "unknown_flow_key",
            concat!(
                "[[node]]\nid = \"web\"\nkind = \"service\"\nlocation = \"DE\"\n\n",
                "[[node]]\nid = \"db\"\nkind = \"store\"\nlocation = \"FR\"\n\n",
                "[[flow]]\nfrom = \"web\"\nto = \"db\"\nvia = \"vpn\"\n"
            ),
        ),
        manifest(
            "unknown_safeguard_key",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", signed_on = 2024-01-01 }\n",
        ),
        manifest(
            "unknown_waiver_key",
            "[[waiver]]\nrule = \"missing-tia\"\nreason = \"JIRA-1\"\nexpires = 2027-01-01\nowner = \"me\"\n",
        ),
        // Wrong types.
        manifest("policy_is_not_a_table", "policy = 3\n"),
        manifest("node_is_not_an_array_of_tables", "node = \"web\"\n"),
        manifest("node_entries_are_not_tables", "node = [1, 2]\n"),
        manifest("project_name_is_not_a_string", "[project]\nname = 7\n"),
        manifest(
            "require_tia_is_not_a_boolean",
            "[policy]\nrequire_tia = \"yes\"\n",
        ),
        manifest(
            "approved_mechanisms_is_not_a_list",
            "[policy]\napproved_mechanisms = \"scc\"\n",
        ),
        manifest(
            "approved_mechanisms_has_a_number",
            "[policy]\napproved_mechanisms = [\"scc\", 3]\n",
        ),
        manifest(
            "personal_data_is_not_a_boolean",
            "[[node]]\nid = \"web\"\nlocation = \"DE\"\npersonal_data = \"yes\"\n",
        ),
        manifest(
            "safeguard_is_not_a_table",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = \"scc\"\n",
        ),
        manifest(
            "module_is_a_string",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", module = \"2\" }\n",
        ),
        manifest("flow_from_is_a_number", "[[flow]]\nfrom = 1\nto = \"db\"\n"),
        // Dates.
        manifest(
            "signed_is_not_a_calendar_day",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", signed = \"2024-13-01\" }\n",
        ),
        manifest(
            "signed_has_a_time",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", signed = 2024-01-01T10:00:00 }\n",
        ),
        manifest(
            "expires_is_a_number",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", expires = 20270101 }\n",
        ),
        manifest(
            "expires_is_a_word",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", expires = \"next year\" }\n",
        ),
        manifest(
            "expires_is_february_30",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", expires = \"2027-02-30\" }\n",
        ),
        // Policy values.
        manifest(
            "special_categories_value",
            "[policy]\nspecial_categories = \"maybe\"\n",
        ),
        manifest(
            "unknown_location_value",
            "[policy]\nunknown_location = \"loud\"\n",
        ),
        manifest(
            "inferred_findings_value",
            "[policy]\ninferred_findings = \"off\"\n",
        ),
        manifest("fail_on_value", "[policy]\nfail_on = \"always\"\n"),
        manifest(
            "distrust_adequacy_unknown_country",
            "[policy]\ndistrust_adequacy = [\"JP\", \"XZ\"]\n",
        ),
        manifest("project_home_outside_the_eea", "[project]\nhome = \"US\"\n"),
        // Scan settings.
        manifest(
            "scan_include_unknown_class",
            "[scan]\ninclude = [\"tests\", \"staging\"]\n",
        ),
        manifest(
            "scan_exclude_bad_glob",
            "[scan]\nexclude = [\"vendor/[a\"]\n",
        ),
        // Mechanisms and safeguards.
        manifest(
            "approved_mechanisms_unknown_mechanism",
            "[policy]\napproved_mechanisms = [\"scc\", \"pinky-promise\"]\n",
        ),
        manifest(
            "safeguard_unknown_mechanism",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"handshake\" }\n",
        ),
        manifest(
            "safeguard_without_mechanism",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { version = \"2021/914\" }\n",
        ),
        manifest(
            "safeguard_unknown_scc_version",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", version = \"2021/999\" }\n",
        ),
        manifest(
            "safeguard_version_of_a_mechanism_without_versions",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"bcr\", version = \"1\" }\n",
        ),
        manifest(
            "safeguard_module_out_of_range",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", module = 7 }\n",
        ),
        manifest(
            "safeguard_module_without_scc",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"bcr\", module = 2 }\n",
        ),
        manifest(
            "safeguard_derogation_without_derogation_mechanism",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"scc\", derogation = \"consent\" }\n",
        ),
        manifest(
            "safeguard_unknown_derogation",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"derogation\", derogation = \"goodwill\" }\n",
        ),
        manifest(
            "safeguard_derogation_missing",
            "[[node]]\nid = \"web\"\nlocation = \"US\"\nsafeguard = { mechanism = \"derogation\" }\n",
        ),
        // Nodes.
        manifest("node_without_id", "[[node]]\nlocation = \"DE\"\n"),
        manifest(
            "node_with_empty_id",
            "[[node]]\nid = \"\"\nlocation = \"DE\"\n",
        ),
        manifest(
            "node_unknown_kind",
            "[[node]]\nid = \"web\"\nkind = \"server\"\nlocation = \"DE\"\n",
        ),
        manifest(
            "node_unknown_country",
            "[[node]]\nid = \"web\"\nlocation = \"XZ\"\n",
        ),
        manifest(
            "node_unknown_cloud_provider",
            "[[node]]\nid = \"web\"\nlocation = \"cloudy:eu-west-1\"\n",
        ),
        manifest(
            "node_unknown_region",
            "[[node]]\nid = \"web\"\nlocation = \"aws:mars-north-1\"\n",
        ),
        manifest(
            "node_unknown_hosting_provider",
            "[[node]]\nid = \"web\"\nlocation = \"DE\"\nprovider = \"hostinator\"\n",
        ),
        manifest(
            "node_unknown_certification",
            "[[node]]\nid = \"web\"\nkind = \"vendor\"\nlocation = \"US\"\ncertifications = [\"dpf\", \"iso27001\"]\n",
        ),
        manifest(
            "duplicate_node",
            "[[node]]\nid = \"web\"\nlocation = \"DE\"\n\n[[node]]\nid = \"web\"\nlocation = \"FR\"\n",
        ),
        // Flows.
        manifest("flow_without_from", "[[flow]]\nto = \"db\"\n"),
        manifest("flow_without_to", "[[flow]]\nfrom = \"web\"\n"),
        manifest(
            "flow_to_a_missing_node",
            concat!(
                "[[node]]\nid = \"web\"\nkind = \"service\"\nlocation = \"DE\"\n\n",
                "[[flow]]\nfrom = \"web\"\nto = \"dbb\"\ndata = [\"user.contact.email\"]\n"
            ),
        ),
        manifest(
            "flow_from_a_missing_node",
            concat!(
                "[[node]]\nid = \"db\"\nkind = \"store\"\nlocation = \"FR\"\n\n",
                "[[flow]]\nfrom = \"wbe\"\nto = \"db\"\ndata = [\"user.contact.email\"]\n"
            ),
        ),
        manifest(
            "flow_unknown_data_category",
            concat!(
                "[[node]]\nid = \"web\"\nkind = \"service\"\nlocation = \"DE\"\n\n",
                "[[node]]\nid = \"db\"\nkind = \"store\"\nlocation = \"FR\"\n\n",
                "[[flow]]\nfrom = \"web\"\nto = \"db\"\ndata = [\"user.contact.emial\"]\n"
            ),
        ),
        // Waivers.
        manifest(
            "waiver_unknown_rule",
            "[[waiver]]\nrule = \"missing-tai\"\nreason = \"JIRA-1\"\nexpires = 2027-01-01\n",
        ),
        manifest(
            "waiver_without_rule",
            "[[waiver]]\nreason = \"JIRA-1\"\nexpires = 2027-01-01\n",
        ),
        manifest(
            "waiver_without_reason",
            "[[waiver]]\nrule = \"missing-tia\"\nexpires = 2027-01-01\n",
        ),
        manifest(
            "waiver_without_expiry",
            "[[waiver]]\nrule = \"missing-tia\"\nreason = \"JIRA-1\"\n",
        ),
        manifest(
            "waiver_bad_expiry",
            "[[waiver]]\nrule = \"missing-tia\"\nreason = \"JIRA-1\"\nexpires = \"2027-13-01\"\n",
        ),
        manifest(
            "waiver_expired",
            "[[waiver]]\nrule = \"missing-tia\"\nreason = \"JIRA-1\"\nexpires = 2020-01-01\n",
        ),
        manifest(
            "waiver_matching_nothing",
            "[[waiver]]\nrule = \"missing-tia\"\nfrom = \"web\"\nto = \"nowhere\"\nreason = \"JIRA-1\"\nexpires = 2027-01-01\n",
        ),
        // TOML syntax.
        manifest(
            "toml_unterminated_string",
            "[[node]]\nid = \"web\nlocation = \"DE\"\n",
        ),
        manifest(
            "toml_duplicate_key",
            "[[node]]\nid = \"web\"\nid = \"db\"\n",
        ),
        manifest("toml_bad_table_header", "[[node]\nid = \"web\"\n"),
        manifest("toml_bare_value", "[policy]\nfail_on = error\n"),
        manifest(
            "toml_invalid_date_literal",
            "[[waiver]]\nrule = \"missing-tia\"\nreason = \"x\"\nexpires = 2027-13-01\n",
        ),
        manifest(
            "toml_duplicate_table",
            "[policy]\nrequire_tia = true\n\n[policy]\nfail_on = \"note\"\n",
        ),
        // Many problems at once: all reported, in file order, with a count.
        manifest(
            "many_problems_in_file_order",
            r#"[policy]
special_categories = "maybe"
colour = "blue"

[[node]]
id = "web"
location = "XZ"

[[flow]]
from = "web"
to = "vendor"
safeguard = { mechanism = "scc", version = "2021/999", signed = "2024-13-01", module = 7 }
"#,
        ),
        // Where the manifest is found, and the path the messages give it.
        Case {
            name: "manifest_in_the_scanned_subdirectory",
            files: vec![(
                "services/shop/borderline.toml",
                "[policy]\nfail_on = \"always\"\n",
            )],
            args: &["scan", "services/shop", "--date", FIXTURE_DATE],
        },
        Case {
            name: "manifest_above_the_scanned_directory",
            files: vec![
                ("borderline.toml", "[policy]\nfail_on = \"always\"\n"),
                (
                    "services/shop/app.env",
                    "SENTRY_DSN=https://k@o1.ingest.sentry.io/1\n",
                ),
            ],
            args: &["scan", "services/shop", "--date", FIXTURE_DATE],
        },
        Case {
            name: "manifest_named_by_config",
            files: vec![("ci/borderline-ci.toml", "[policy]\nfail_on = \"always\"\n")],
            args: &[
                "scan",
                ".",
                "--config",
                "ci/borderline-ci.toml",
                "--date",
                FIXTURE_DATE,
            ],
        },
        Case {
            name: "manifest_named_by_config_is_missing",
            files: vec![("borderline.toml", NODES)],
            args: &[
                "scan",
                ".",
                "--config",
                "ci/missing.toml",
                "--date",
                FIXTURE_DATE,
            ],
        },
        // The other commands that read the manifest report it the same way.
        Case {
            name: "graph_with_a_broken_manifest",
            files: vec![(
                "borderline.toml",
                "[[node]]\nid = \"web\"\nlocation = \"XZ\"\n",
            )],
            args: &["graph", ".", "--format", "json", "--date", FIXTURE_DATE],
        },
        Case {
            name: "ropa_with_a_broken_manifest",
            files: vec![(
                "borderline.toml",
                "[[node]]\nid = \"web\"\nlocation = \"XZ\"\n",
            )],
            args: &["ropa", ".", "--format", "csv", "--date", FIXTURE_DATE],
        },
        Case {
            name: "explain_flow_with_a_broken_manifest",
            files: vec![(
                "borderline.toml",
                "[[node]]\nid = \"web\"\nlocation = \"XZ\"\n",
            )],
            args: &["explain", "web", "db", "--date", FIXTURE_DATE],
        },
        Case {
            name: "init_over_an_existing_manifest",
            files: vec![(
                "borderline.toml",
                "[[node]]\nid = \"web\"\nlocation = \"XZ\"\n",
            )],
            args: &["init", "."],
        },
        // Lists whose entries are not strings, in the node and flow tables.
        manifest(
            "node_paths_has_a_number",
            "[[node]]\nid = \"web\"\nlocation = \"DE\"\npaths = [\"src/**\", 5]\n",
        ),
        manifest(
            "node_domains_is_a_table",
            "[[node]]\nid = \"web\"\nlocation = \"DE\"\ndomains = { a = 1 }\n",
        ),
        manifest(
            "flow_data_is_a_number",
            "[[flow]]\nfrom = \"web\"\nto = \"db\"\ndata = 3\n",
        ),
        manifest(
            "node_unknown_data_category",
            "[[node]]\nid = \"db\"\nkind = \"store\"\nlocation = \"US\"\ndata = [\"user.healthh\"]\n",
        ),
        // A valid manifest, so the table shows the quiet case too.
        manifest("valid_manifest", NODES),
    ]
}

#[test]
fn every_broken_manifest_message_is_a_snapshot() {
    let cases = cases();
    let names: Vec<String> = cases.iter().map(|c| c.name.to_string()).collect();
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), names.len(), "two cases share a name");
    check_each("manifest errors", &names, |name| {
        let Some(case) = cases.iter().find(|c| c.name == name) else {
            panic!("no case {name}");
        };
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in &case.files {
            write_file(dir.path(), path, text);
        }
        let output = borderline(dir.path(), case.args);
        let seen = transcript(case.args, &output);
        let root = dir.path().to_string_lossy();
        assert!(
            !seen.contains(root.as_ref()),
            "{name}: an absolute path:\n{seen}"
        );
        insta::assert_snapshot!(format!("manifest_{name}"), seen);
    });
}

#[test]
fn a_manifest_that_is_not_utf8_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("borderline.toml"),
        b"[project]\nname = \"Gr\xfc\xdfe\"\n",
    )
    .unwrap();
    let output = borderline(dir.path(), SCAN);
    insta::assert_snapshot!("manifest_not_utf8", transcript(SCAN, &output));
}
