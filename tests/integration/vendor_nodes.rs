//! Issue 15, points 1 and 2, walked as a user walks them through the binary: a vendor of the rule
//! data is a node a flow can name by its id (`to = "sentry"`) and a `[[node]]` can add to; the flow
//! a person declares and the flow a configuration line makes between the same two nodes are one
//! flow, judged once, and `explain` says what `scan` says, waivers included.

use crate::support::{
    FIXTURE_DATE, borderline, findings, report_node, scan_report, stderr, stdout, write_file,
};
use std::path::Path;

/// A small Python service in the EEA, as a new user's repository has it.
fn service(dir: &Path, manifest_tail: &str) {
    write_file(
        dir,
        "api/pyproject.toml",
        "[project]\nname = \"api\"\nversion = \"0.1.0\"\n",
    );
    write_file(
        dir,
        "borderline.toml",
        &format!(
            "[[node]]\nid = \"api\"\nlocation = \"aws:eu-central-1\"\npaths = [\"api\"]\n{manifest_tail}"
        ),
    );
}

fn exit(output: &std::process::Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn flows<'a>(report: &'a serde_json::Value, from: &str, to: &str) -> Vec<&'a serde_json::Value> {
    report["flows"]
        .as_array()
        .map(|flows| {
            flows
                .iter()
                .filter(|f| f["from"] == from && f["to"] == to)
                .collect()
        })
        .unwrap_or_default()
}

/// `flow to=sentry` in a comment tag, a `[[flow]]` and a Rust attribute all reach Sentry of the
/// rule data: the transfer is judged and fails the gate, where it used to be a warning.
#[test]
fn a_flow_names_a_vendor_by_its_id() {
    let tag = tempfile::tempdir().unwrap();
    service(tag.path(), "");
    write_file(
        tag.path(),
        "api/app.py",
        "# borderline: flow to=sentry data=user.contact.email\nimport os\n",
    );
    let manifest = tempfile::tempdir().unwrap();
    service(
        manifest.path(),
        "\n[[flow]]\nfrom = \"api\"\nto = \"sentry\"\ndata = [\"user.contact.email\"]\n",
    );
    let attribute = tempfile::tempdir().unwrap();
    write_file(
        attribute.path(),
        "billing/Cargo.toml",
        "[package]\nname = \"billing\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write_file(
        attribute.path(),
        "billing/src/lib.rs",
        "#[borderline::flow(to = \"sentry\", data = [\"user.contact.email\"])]\npub fn report() {}\n",
    );
    write_file(
        attribute.path(),
        "borderline.toml",
        "[[node]]\nid = \"billing\"\nlocation = \"aws:eu-west-1\"\npaths = [\"billing\"]\n",
    );
    for (dir, from) in [
        (tag.path(), "api"),
        (manifest.path(), "api"),
        (attribute.path(), "billing"),
    ] {
        let output = borderline(dir, &["scan", "."]);
        assert_eq!(exit(&output), 1, "{}{}", stdout(&output), stderr(&output));
        let report = scan_report(dir);
        assert!(
            findings(&report, "unresolved-reference").is_empty(),
            "{}",
            report["findings"]
        );
        let scope = findings(&report, "adequacy-scope-not-met");
        assert!(
            scope
                .iter()
                .any(|f| f["from"] == from && f["to"] == "sentry"),
            "{}",
            report["findings"]
        );
        let sentry = report_node(&report, "sentry");
        assert_eq!(sentry["kind"], "vendor", "{sentry}");
        assert!(sentry.to_string().contains("\"US\""), "{sentry}");
    }
}

/// A vendor with the Data Privacy Framework named by id passes; a misspelt id is still an
/// unresolved reference, and its suggestion is the vendor.
#[test]
fn a_misspelt_vendor_id_suggests_the_vendor() {
    let dir = tempfile::tempdir().unwrap();
    service(dir.path(), "");
    write_file(
        dir.path(),
        "api/mail.py",
        "# borderline: flow to=sendgrid data=user.contact.email\n# borderline: flow to=sendgird data=user.contact.email\n",
    );
    let report = scan_report(dir.path());
    let unresolved = findings(&report, "unresolved-reference");
    assert_eq!(unresolved.len(), 1, "{}", report["findings"]);
    assert!(
        unresolved[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("did you mean `sendgrid`?"),
        "{}",
        unresolved[0]
    );
    assert_eq!(
        flows(&report, "api", "sendgrid").len(),
        1,
        "{}",
        report["flows"]
    );
    assert_eq!(report_node(&report, "sendgrid")["kind"], "vendor");
    // The misspelt id drops a transfer from every check: written by a person, it fails the gate.
    assert_eq!(unresolved[0]["severity"], "error", "{}", unresolved[0]);
    let output = borderline(dir.path(), &["scan", ".", "--date", FIXTURE_DATE]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("error[unresolved-reference]: no node named `sendgird`"),
        "{}",
        stdout(&output)
    );

    // In a test file the same mistake is a note: test code never fails the gate on its own.
    let dir = tempfile::tempdir().unwrap();
    service(dir.path(), "");
    write_file(
        dir.path(),
        "api/tests/test_mail.py",
        "# borderline: flow to=sendgird data=user.contact.email
",
    );
    let output = borderline(dir.path(), &["scan", ".", "--date", FIXTURE_DATE]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("note[unresolved-reference]"),
        "{}",
        stdout(&output)
    );
}

/// `[[node]] id = "sentry"` with only `certifications` adds to Sentry of the rule data: it stays
/// in the US (so the DPF makes it adequate), instead of becoming a node of unknown location.
#[test]
fn a_declared_node_extends_the_vendor() {
    let dir = tempfile::tempdir().unwrap();
    service(
        dir.path(),
        "\n[[node]]\nid = \"sentry\"\ncertifications = [\"dpf\"]\n\n[[node]]\nid = \"datadog\"\ndata = [\"user.device.ip_address\"]\n",
    );
    write_file(
        dir.path(),
        "api/.env",
        "SENTRY_DSN=https://abc123@o123.ingest.sentry.io/456\nDD_URL=https://http-intake.logs.datadoghq.com\n",
    );
    let report = scan_report(dir.path());
    let sentry = report_node(&report, "sentry");
    assert_eq!(sentry["kind"], "vendor", "{sentry}");
    assert!(sentry.to_string().contains("\"US\""), "{sentry}");
    assert!(
        findings(&report, "unknown-location").is_empty(),
        "{}",
        report["findings"]
    );
    assert_eq!(
        flows(&report, "api", "sentry").len(),
        1,
        "{}",
        report["flows"]
    );
    // Datadog declared with data only is still in the US, without the DPF: the gate fails.
    let datadog = report_node(&report, "datadog");
    assert!(datadog.to_string().contains("\"US\""), "{datadog}");
    let scope = findings(&report, "adequacy-scope-not-met");
    assert_eq!(scope.len(), 1, "{}", report["findings"]);
    assert_eq!(scope[0]["to"], "datadog");
    assert_eq!(exit(&borderline(dir.path(), &["scan", "."])), 1);

    // A declared location wins, and explain says where rule data puts the vendor.
    let moved = tempfile::tempdir().unwrap();
    service(
        moved.path(),
        "\n[[node]]\nid = \"sentry\"\nlocation = \"DE\"\n\n[[flow]]\nfrom = \"api\"\nto = \"sentry\"\n",
    );
    let report = scan_report(moved.path());
    assert!(
        report_node(&report, "sentry")
            .to_string()
            .contains("\"DE\""),
        "{}",
        report["nodes"]
    );
    let explained = borderline(moved.path(), &["explain", "api->sentry"]);
    assert_eq!(exit(&explained), 0, "{}", stderr(&explained));
    let text = stdout(&explained);
    assert!(text.contains("rule data places Sentry in US"), "{text}");
}

/// `borderline rules --vendors` lists the ids a user may name, in text and JSON.
#[test]
fn rules_lists_the_vendors() {
    let dir = tempfile::tempdir().unwrap();
    let output = borderline(dir.path(), &["rules", "--vendors"]);
    assert_eq!(exit(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    let row = text
        .lines()
        .find(|line| line.trim_start().starts_with("sendgrid "))
        .unwrap_or_else(|| panic!("no sendgrid row: {text}"));
    assert!(
        row.contains("US") && row.contains("dpf") && row.contains("sendgrid.com"),
        "{row}"
    );
    let ids: Vec<&str> = text
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    let json = borderline(dir.path(), &["rules", "--vendors", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let sentry = value["vendors"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["id"] == "sentry"))
        .unwrap_or_else(|| panic!("{value}"));
    assert_eq!(sentry["country"], "US");
    assert!(sentry["domains"].to_string().contains("sentry.io"));
}

/// The `[[flow]]` a user writes with an SCC and the `.env` line that sends the data are one
/// flow: the SCC covers it, the gate passes, and explain shows both places.
#[test]
fn a_declared_flow_and_the_env_line_are_one_flow() {
    let dir = tempfile::tempdir().unwrap();
    service(
        dir.path(),
        "\n[[flow]]\nfrom = \"api\"\nto = \"sentry\"\ndata = [\"user.device.ip_address\"]\npurpose = \"error monitoring\"\nsafeguard = { mechanism = \"scc\", version = \"2021/914\", module = 2, signed = \"2024-03-01\", tia = \"docs/tia/sentry.md\" }\n",
    );
    write_file(dir.path(), "docs/tia/sentry.md", "# Sentry TIA\n");
    write_file(
        dir.path(),
        "api/.env",
        "SENTRY_DSN=https://abc123@o123.ingest.sentry.io/456\n",
    );
    let output = borderline(dir.path(), &["scan", "."]);
    assert_eq!(exit(&output), 0, "{}", stdout(&output));
    let report = scan_report(dir.path());
    let pair = flows(&report, "api", "sentry");
    assert_eq!(pair.len(), 1, "{}", report["flows"]);
    assert_eq!(pair[0]["purpose"], "error monitoring");
    assert_eq!(pair[0]["safeguard"]["mechanism"], "scc");
    let explained = borderline(dir.path(), &["explain", "api->sentry"]);
    let text = stdout(&explained);
    assert!(
        text.contains("lawful under a valid scc safeguard"),
        "{text}"
    );
    assert!(text.contains("also written at: api/.env:1"), "{text}");
    assert!(text.contains("findings: none"), "{text}");
}

/// Several files of one service that send data to one vendor, production and test, are one flow
/// with one finding, at the production line, listing the others.
#[test]
fn several_lines_to_one_vendor_are_one_flow() {
    let dir = tempfile::tempdir().unwrap();
    service(dir.path(), "");
    write_file(
        dir.path(),
        "api/.env",
        "SENTRY_DSN=https://abc123@o123.ingest.sentry.io/456\n",
    );
    write_file(
        dir.path(),
        "api/.env.production",
        "SENTRY_DSN=https://abc123@o123.ingest.sentry.io/456\n",
    );
    write_file(
        dir.path(),
        "api/tests/.env",
        "SENTRY_DSN=https://abc123@o123.ingest.sentry.io/789\n",
    );
    let report = scan_report(dir.path());
    let pair = flows(&report, "api", "sentry");
    assert_eq!(pair.len(), 1, "{}", report["flows"]);
    assert_eq!(pair[0]["environment"], "production");
    let scope = findings(&report, "adequacy-scope-not-met");
    assert_eq!(scope.len(), 1, "{}", report["findings"]);
    let related = scope[0]["related"].to_string();
    assert!(related.contains("api/tests/.env"), "{related}");
    assert!(
        related.contains("the same flow is also written here"),
        "{related}"
    );
}

/// A safeguard a test file declares never covers the production flow to the same vendor.
#[test]
fn a_test_safeguard_does_not_cover_production() {
    let dir = tempfile::tempdir().unwrap();
    service(dir.path(), "");
    write_file(
        dir.path(),
        "api/.env",
        "SENTRY_DSN=https://abc123@o123.ingest.sentry.io/456\n",
    );
    write_file(
        dir.path(),
        "api/tests/test_errors.py",
        "# borderline: flow to=sentry safeguard=scc version=2021/914 module=2 signed=2024-03-01 tia=docs/tia/sentry.md\ndef test_errors():\n    pass\n",
    );
    write_file(dir.path(), "docs/tia/sentry.md", "# Sentry TIA\n");
    let output = borderline(dir.path(), &["scan", "."]);
    assert_eq!(exit(&output), 1, "{}", stdout(&output));
}

/// A waived finding is waived in `explain` too: which waiver, until when.
#[test]
fn explain_says_a_finding_is_waived() {
    let dir = tempfile::tempdir().unwrap();
    service(
        dir.path(),
        "\n[[waiver]]\nrule = \"adequacy-scope-not-met\"\nfrom = \"api\"\nto = \"sentry\"\nreason = \"DPF listing checked, PRIV-7\"\nexpires = \"2099-01-31\"\n",
    );
    write_file(
        dir.path(),
        "api/.env",
        "SENTRY_DSN=https://abc123@o123.ingest.sentry.io/456\n",
    );
    let output = borderline(dir.path(), &["scan", "."]);
    assert_eq!(exit(&output), 0, "{}", stdout(&output));
    let explained = borderline(dir.path(), &["explain", "api->sentry"]);
    let text = stdout(&explained);
    assert!(text.contains("adequacy-scope-not-met [waived]"), "{text}");
    assert!(text.contains("borderline.toml:6"), "{text}");
    assert!(text.contains("until 2099-01-31"), "{text}");
    assert!(text.contains("DPF listing checked, PRIV-7"), "{text}");
}
