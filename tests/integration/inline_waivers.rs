//! Inline waivers (`# borderline: waive RULE reason="..." expires=YYYY-MM-DD`), walked as a user
//! walks them: a first scan fails on a transfer, a comment above the call waives it, the gate
//! passes, and the waiver is shown (where, why, until when) in every format and the register. A
//! malformed, expired or stray waiver fails the gate or is reported; hostile waivers are bounded
//! and neutralised.

use crate::support::{borderline, findings, git, stderr, stdout, write_file as write};
use serde_json::Value;
use std::path::Path;

const PACKAGE: &str = "{ \"name\": \"payments\", \"version\": \"1.0.0\", \"private\": true }\n";

/// A payments service whose production settings name an Indian payment provider (no adequacy),
/// with `waiver` written on the line above the setting (none when empty).
fn repository(dir: &Path, waiver: &str) {
    write(dir, "payments/package.json", PACKAGE);
    write(
        dir,
        "payments/.env",
        &format!(
            "# Production settings, read by the service at start.\nNODE_ENV=production\n{waiver}PAYTM_API_URL=https://securegw.paytm.in/theia/api/v1\n"
        ),
    );
}

fn json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", ".", "--format", "json", "--date", "2026-12-01"];
    args.extend_from_slice(extra);
    let output = borderline(dir, &args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)));
    (output.status.code().unwrap_or(-1), report)
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let output = borderline(dir, args);
    (output.status.code().unwrap_or(-1), stdout(&output))
}

#[test]
fn a_waiver_above_the_call_turns_the_gate_green_and_is_shown_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The first scan: the transfer fails the gate.
    repository(root, "");
    let (code, report) = json(root, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(findings(&report, "transfer-without-safeguard").len(), 1);

    // The user writes the waiver above the call, as the help of the finding says.
    repository(
        root,
        "# borderline: waive transfer-without-safeguard reason=\"PRIV-311: SCCs with Paytm in signature\" expires=2027-03-31\n",
    );
    let (code, report) = json(root, &[]);
    assert_eq!(code, 0, "{report}");
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let waived = &report["waived"][0];
    assert_eq!(waived["rule"], "transfer-without-safeguard");
    assert_eq!(waived["reason"], "PRIV-311: SCCs with Paytm in signature");
    assert_eq!(waived["expires"], "2027-03-31");
    assert_eq!(waived["waiver_kind"], "inline");
    assert_eq!(waived["waiver_location"]["file"], "payments/.env");
    assert_eq!(waived["waiver_location"]["line"], 3);
    assert_eq!(waived["location"]["line"], 4);
    assert_eq!(report["summary"]["waived"], 1);

    // Text: counted and listed with where, until when and why.
    let (code, text) = run(root, &["scan", ".", "--date", "2026-12-01"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("waived: transfer-without-safeguard at payments/.env:4 by inline waiver at payments/.env:3 until 2027-03-31: PRIV-311: SCCs with Paytm in signature"),
        "{text}"
    );

    // SARIF: a suppressed result, `inSource`, with the justification and the waiver's place.
    let (code, sarif) = run(
        root,
        &["scan", ".", "--format", "sarif", "--date", "2026-12-01"],
    );
    assert_eq!(code, 0);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "transfer-without-safeguard");
    let suppression = &result["suppressions"][0];
    assert_eq!(suppression["kind"], "inSource");
    assert_eq!(suppression["status"], "accepted");
    assert_eq!(
        suppression["justification"],
        "PRIV-311: SCCs with Paytm in signature"
    );
    assert_eq!(
        suppression["location"]["physicalLocation"]["region"]["startLine"],
        3
    );
    assert_eq!(suppression["properties"]["expires"], "2027-03-31");
    let errors = crate::sarif::schema_errors(&sarif);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));

    // Markdown: the waived table links the finding and the waiver.
    let (_, markdown) = run(
        root,
        &["scan", ".", "--format", "markdown", "--date", "2026-12-01"],
    );
    assert!(markdown.contains("<summary>Waived</summary>"), "{markdown}");
    assert!(
        markdown.contains("| `transfer-without-safeguard` | [payments/.env:4](payments/.env#L4) | inline [payments/.env:3](payments/.env#L3) | PRIV-311: SCCs with Paytm in signature | 2027-03-31 |"),
        "{markdown}"
    );

    // The register: the transfer is waived, never lawful, and says by which waiver.
    let (_, csv) = run(
        root,
        &["ropa", ".", "--format", "csv", "--date", "2026-12-01"],
    );
    assert!(
        csv.contains("waived (transfer-without-safeguard: PRIV-311: SCCs with Paytm in signature (until 2027-03-31, inline waiver at payments/.env:3))"),
        "{csv}"
    );
}

#[test]
fn a_trailing_waiver_and_a_comment_block_cover_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "payments/package.json", PACKAGE);
    write(
        root,
        "payments/src/orders.js",
        "const axios = require(\"axios\");\n\
         async function refund(id, email) {\n\
         \x20 return axios.post(\"https://api.paytm.com/v3/refund\", { id, email }); /* borderline: waive transfer-without-safeguard reason=\"PRIV-1\" expires=2027-01-31 */\n\
         }\n\
         async function order(id, email) {\n\
         \x20 // borderline: waive transfer-without-safeguard,missing-tia reason=\"PRIV-2\" expires=2027-01-31\n\
         \x20 // The order carries the buyer's e-mail for the receipt.\n\
         \x20 return axios.post(\"https://api.razorpay.com/v1/orders\", { id, email });\n\
         }\n",
    );
    let (code, report) = json(root, &[]);
    // Both transfers are waived; `missing-tia` of the comma list matches nothing there.
    assert_eq!(report["waived"].as_array().unwrap().len(), 2, "{report}");
    let unused = findings(&report, "unused-waiver");
    assert_eq!(unused.len(), 1, "{report}");
    assert_eq!(unused[0]["location"]["line"], 6);
    assert!(
        unused[0]["message"]
            .as_str()
            .unwrap()
            .contains("inline waiver of `missing-tia`"),
        "{unused:?}"
    );
    assert_eq!(code, 0, "unused-waiver is a warning: {report}");
}

#[test]
fn a_malformed_waiver_is_an_error_at_its_place_and_waives_nothing() {
    for (waiver, needle, column) in [
        (
            "# borderline: waive transfer-without-safeguard expires=2027-03-31\n",
            "needs `reason=",
            3,
        ),
        (
            "# borderline: waive transfer-without-safeguard reason=\"PRIV-1\" expires=2027-02-30\n",
            "`expires` = `2027-02-30`",
            64,
        ),
        (
            "# borderline: waive transfer-without-safeguard reason=\"PRIV-1\"\n",
            "needs `expires=YYYY-MM-DD`",
            3,
        ),
        (
            "# borderline: waive transfer-without-safegaurd reason=\"PRIV-1\" expires=2027-03-31\n",
            "did you mean `transfer-without-safeguard`?",
            21,
        ),
        (
            "# borderline: waive * reason=\"PRIV-1\" expires=2027-03-31\n",
            "`*`, `all`",
            21,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        repository(dir.path(), waiver);
        let (code, report) = json(dir.path(), &[]);
        assert_eq!(code, 1, "{waiver}: {report}");
        // The transfer is still reported: a broken waiver waives nothing.
        assert_eq!(
            findings(&report, "transfer-without-safeguard").len(),
            1,
            "{waiver}"
        );
        let errors = findings(&report, "input-error");
        assert_eq!(errors.len(), 1, "{waiver}: {report}");
        let error = errors[0];
        assert_eq!(error["severity"], "error", "{waiver}");
        assert!(
            error["message"].as_str().unwrap().contains(needle),
            "{waiver}: {}",
            error["message"]
        );
        assert_eq!(error["location"]["file"], "payments/.env");
        assert_eq!(error["location"]["line"], 3, "{waiver}");
        assert_eq!(error["location"]["column"], column, "{waiver}");
        // Even `--fail-on error` with a manifest waiver of every input-error cannot hide the
        // transfer the broken waiver meant to waive.
        write(
            dir.path(),
            "borderline.toml",
            "[[waiver]]\nrule = \"input-error\"\nreason = \"noisy parsers\"\nexpires = \"2027-12-31\"\n",
        );
        let (code, _) = json(dir.path(), &[]);
        assert_eq!(code, 1, "{waiver}");
    }
}

#[test]
fn an_expired_waiver_reports_the_finding_again_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    repository(
        dir.path(),
        "# borderline: waive transfer-without-safeguard reason=\"PRIV-311\" expires=2026-11-30\n",
    );
    // On its last day it still waives.
    let output = borderline(dir.path(), &["scan", ".", "--date", "2026-11-30"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    // The day after, the transfer is back and the waiver is reported where it is written.
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report, "transfer-without-safeguard").len(), 1);
    let expired = findings(&report, "expired-safeguard");
    assert_eq!(expired.len(), 1, "{report}");
    assert_eq!(expired[0]["location"]["line"], 3);
    assert!(
        expired[0]["message"]
            .as_str()
            .unwrap()
            .contains("inline waiver of `transfer-without-safeguard` expired on 2026-11-30"),
        "{}",
        expired[0]["message"]
    );
    assert!(report["waived"].as_array().unwrap().is_empty());
}

#[test]
fn a_waiver_that_is_not_next_to_its_finding_is_unused_and_waives_nothing() {
    for waiver in [
        // A blank line between the comment and the call: not directly above.
        "# borderline: waive transfer-without-safeguard reason=\"PRIV-311\" expires=2027-03-31\n\n",
        // Another rule.
        "# borderline: waive missing-tia reason=\"PRIV-311\" expires=2027-03-31\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        repository(dir.path(), waiver);
        let (code, report) = json(dir.path(), &[]);
        assert_eq!(code, 1, "{waiver}");
        assert_eq!(findings(&report, "transfer-without-safeguard").len(), 1);
        let unused = findings(&report, "unused-waiver");
        assert_eq!(unused.len(), 1, "{waiver}: {report}");
        assert_eq!(unused[0]["location"]["line"], 3);
        assert!(
            unused[0]["help"]
                .as_str()
                .unwrap()
                .contains("directly above it"),
            "{unused:?}"
        );
    }
}

#[test]
fn waivers_in_strings_vendored_and_excluded_files_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    repository(root, "");
    write(
        root,
        "payments/src/notes.js",
        "const note = \"# borderline: waive transfer-without-safeguard reason='x' expires=2027-03-31\";\nmodule.exports = { note };\n",
    );
    let waiver = "// borderline: waive transfer-without-safeguard reason=\"not ours\" expires=2027-03-31\nmodule.exports = {};\n";
    write(root, "payments/node_modules/tracker/index.js", waiver);
    write(root, "legacy/old.js", waiver);
    write(
        root,
        "borderline.toml",
        "[scan]\nexclude = [\"legacy/**\"]\n",
    );
    let (code, report) = json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report, "transfer-without-safeguard").len(), 1);
    assert!(findings(&report, "unused-waiver").is_empty(), "{report}");
    assert!(report["waived"].as_array().unwrap().is_empty());
}

#[test]
fn a_manifest_waiver_is_external_in_sarif_and_located_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    repository(root, "");
    write(
        root,
        "borderline.toml",
        "[[waiver]]\nrule = \"transfer-without-safeguard\"\nto = \"paytm\"\nreason = \"PRIV-9\"\nexpires = \"2027-01-31\"\n",
    );
    let (code, report) = json(root, &[]);
    let waived = report["waived"].as_array().unwrap();
    assert_eq!(waived.len(), 1, "{report}");
    assert_eq!(code, 0);
    assert_eq!(waived[0]["waiver_kind"], "manifest");
    assert_eq!(waived[0]["waiver_location"]["file"], "borderline.toml");
    assert_eq!(waived[0]["waiver_location"]["line"], 1);
    let (_, sarif) = run(
        root,
        &["scan", ".", "--format", "sarif", "--date", "2026-12-01"],
    );
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["suppressions"][0]["kind"],
        "external"
    );
    assert!(crate::sarif::schema_errors(&sarif).is_empty());
}

#[test]
fn hostile_waivers_are_bounded_and_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Control characters in the reason: an escape sequence, a carriage return, a bidi override.
    repository(
        root,
        "# borderline: waive transfer-without-safeguard reason=\"PRIV-1 \x1b[2J\r::error::x \u{202e}evil\" expires=2027-03-31\n",
    );
    // A file of 70,000 waivers (as many as fit under the 4 MiB read limit) costs one error, not
    // a quadratic match.
    write(
        root,
        "payments/src/waivers.js",
        &"//borderline:waive missing-tia reason=x expires=2027-03-31\n".repeat(70_000),
    );
    let output =
        crate::support::borderline_bounded(root, &["scan", ".", "--date", "2026-12-01"], 2048, 60);
    crate::support::assert_finished_within_bounds(&output, "70,000 inline waivers");
    let text = stdout(&output);
    assert!(!text.contains('\x1b') && !text.contains('\r') && !text.contains('\u{202e}'));
    assert!(
        text.contains("more than 1000 inline waivers in this file"),
        "{text}"
    );
    assert!(
        text.contains("waived: transfer-without-safeguard"),
        "{text}"
    );
    // The 1,000 waivers read match nothing: each is reported where it is.
    let (_, report) = json(root, &[]);
    assert_eq!(findings(&report, "unused-waiver").len(), 1000);
    for format in ["markdown", "sarif"] {
        let (_, out) = run(
            root,
            &["scan", ".", "--format", format, "--date", "2026-12-01"],
        );
        assert!(
            !out.contains('\x1b') && !out.contains('\r') && !out.contains('\u{202e}'),
            "{format}"
        );
    }
    let (_, csv) = run(
        root,
        &["ropa", ".", "--format", "csv", "--date", "2026-12-01"],
    );
    assert!(!csv.contains('\x1b') && !csv.contains('\u{202e}'), "{csv}");
}

#[test]
fn the_shop_fixture_waives_in_every_comment_syntax() {
    // The fixture's expectations say what stays reported; this says what is waived, and where.
    let report: Value = {
        let dir = crate::support::fixtures_dir().join("wv15-shop");
        let output = borderline(
            &dir,
            &["scan", ".", "--format", "json", "--date", "2026-11-29"],
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let mut waived: Vec<String> = report["waived"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{} {}:{} <- {}:{}",
                w["rule"].as_str().unwrap(),
                w["location"]["file"].as_str().unwrap(),
                w["location"]["line"],
                w["waiver_location"]["file"].as_str().unwrap(),
                w["waiver_location"]["line"]
            )
        })
        .collect();
    waived.sort();
    assert_eq!(
        waived,
        [
            "adequacy-scope-not-met .env:3 <- .env:2",
            "adequacy-scope-not-met deploy/payments.yaml:20 <- deploy/payments.yaml:19",
            "transfer-without-safeguard infra/main.tf:16 <- infra/main.tf:15",
            "transfer-without-safeguard payments/src/orders.js:12 <- payments/src/orders.js:12",
            "transfer-without-safeguard payments/src/orders.js:8 <- payments/src/orders.js:6",
        ]
    );
}

#[test]
fn with_policy_from_a_waiver_the_pull_request_adds_does_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let paytm =
        "# borderline: waive transfer-without-safeguard reason=\"PRIV-311\" expires=2027-03-31\n";
    repository(root, paytm);
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "pr"]);
    // The pull request adds a provider and waives its own transfer in the same change.
    write(
        root,
        "payments/.env",
        &format!(
            "# Production settings, read by the service at start.\nNODE_ENV=production\n{paytm}PAYTM_API_URL=https://securegw.paytm.in/theia/api/v1\n# borderline: waive transfer-without-safeguard reason=\"approved by the author\" expires=2099-01-01\nRAZORPAY_API_URL=https://api.razorpay.com/v1\n"
        ),
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "pr"]);
    // Judged by its own comments, it passes.
    let (code, _) = json(root, &[]);
    assert_eq!(code, 0);
    // Judged by main: the waiver main had still applies; the new one is shown and ignored.
    let (code, report) = json(root, &["--policy-from", "main"]);
    assert_eq!(code, 1, "{report}");
    let transfers = findings(&report, "transfer-without-safeguard");
    assert_eq!(transfers.len(), 1, "{report}");
    assert_eq!(transfers[0]["to"], "razorpay");
    let changed = findings(&report, "policy-changed");
    assert_eq!(changed.len(), 1, "{report}");
    assert_eq!(changed[0]["location"]["line"], 5);
    assert!(
        changed[0]["message"]
            .as_str()
            .unwrap()
            .contains("adds an inline waiver of `transfer-without-safeguard`"),
        "{}",
        changed[0]["message"]
    );
    assert_eq!(report["waived"].as_array().unwrap().len(), 1);
    assert_eq!(report["waived"][0]["to"], "paytm");
}

#[test]
fn a_comment_in_the_manifest_is_not_an_inline_waiver() {
    // The manifest's waivers are its `[[waiver]]` tables, which need a reviewer to see `from`
    // and `to`; a comment there waives nothing and is not read as a waiver at all.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    repository(root, "");
    write(
        root,
        "borderline.toml",
        "[[flow]]\nfrom = \"payments\"\n# borderline: waive unresolved-reference reason=\"PRIV-1\" expires=2027-01-31\nto = \"ledger\"\n",
    );
    let (code, report) = json(root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report, "unresolved-reference").len(),
        1,
        "{report}"
    );
    assert!(findings(&report, "unused-waiver").is_empty(), "{report}");
    assert!(report["waived"].as_array().unwrap().is_empty());
}
