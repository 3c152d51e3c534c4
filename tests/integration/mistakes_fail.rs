//! Issue 15, point 4: a new user's mistakes fail the gate, they do not warn. A data category or a
//! location a person wrote (a comment tag, a Rust attribute, the manifest) that rule data does not
//! know is an error at the value, with the key or region they most likely meant; a misspelt
//! special category never turns an Art. 9 error into exit 0; a `tia` that is a placeholder or a
//! path that is not in the repository is `missing-tia` with the reason. Every case is a small
//! repository scanned through the binary, as a user types it.

use crate::support::{borderline, findings, stderr, stdout, write_file as write};
use serde_json::Value;
use std::path::Path;

/// `borderline scan . --format json` in `dir`: the exit code and the parsed report.
fn scan(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", ".", "--format", "json"];
    args.extend_from_slice(extra);
    let output = borderline(dir, &args);
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)));
    (output.status.code().unwrap_or(-1), report)
}

/// A Python service in the EEA whose comment tags say what it sends to an EEA vendor: only the
/// tags can make the scan fail.
fn shop(dir: &Path, tag: &str) {
    write(
        dir,
        "borderline.toml",
        "[project]\nname = \"shop\"\nhome = \"EEA\"\n\n[[node]]\nid = \"api\"\nkind = \"service\"\nlocation = \"aws:eu-central-1\"\npaths = [\"api\"]\n\n[[node]]\nid = \"mailer\"\nkind = \"vendor\"\nlocation = \"DE\"\n",
    );
    write(
        dir,
        "api/requirements.txt",
        "fastapi==0.115.0\nhttpx==0.27.2\n",
    );
    write(
        dir,
        "api/app.py",
        &format!(
            "import httpx\n\n{tag}\ndef confirm(order):\n    httpx.post(\"https://mailer.internal/send\", json={{\"to\": order.email}})\n"
        ),
    );
}

/// The one finding of `rule` in `report`, or a panic listing the findings.
fn only<'a>(report: &'a Value, rule: &str) -> &'a Value {
    let found = findings(report, rule);
    assert_eq!(found.len(), 1, "{rule}: {}", report["findings"]);
    found[0]
}

fn at(finding: &Value) -> (String, u64, u64) {
    let location = &finding["location"];
    (
        location["file"].as_str().unwrap_or_default().to_string(),
        location["line"].as_u64().unwrap_or_default(),
        location["column"].as_u64().unwrap_or_default(),
    )
}

#[test]
fn an_unknown_category_in_a_comment_tag_is_an_error_at_the_value_with_the_taxonomy_key() {
    for (written, meant) in [
        ("user.religion", "user.demographic.religious_belief"),
        ("user.email", "user.contact.email"),
        ("user.health", "user.health_and_medical"),
        ("user.contact.emial", "user.contact.email"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        shop(
            dir.path(),
            &format!("# borderline: flow to=mailer data={written}"),
        );
        let (code, report) = scan(dir.path(), &[]);
        assert_eq!(code, 1, "{written}: {}", report["findings"]);
        let finding = only(&report, "unknown-data-category");
        assert_eq!(finding["severity"], "error", "{written}");
        let message = finding["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!("did you mean `{meant}`?")),
            "{written}: {message}"
        );
        // Line 3, where `data=` starts its value: column 35.
        assert_eq!(at(finding), ("api/app.py".into(), 3, 35), "{written}");
    }
    // The same tag written right passes the gate.
    let dir = tempfile::tempdir().unwrap();
    shop(
        dir.path(),
        "# borderline: flow to=mailer data=user.demographic.religious_belief",
    );
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 0, "{}", report["findings"]);
    assert!(findings(&report, "unknown-data-category").is_empty());
}

#[test]
fn an_unknown_region_or_country_in_a_tag_is_an_error_whatever_the_location_policy() {
    for (written, meant) in [
        ("aws:us-easst-1", Some("aws:us-east-1")),
        ("gcp:europe-wst3", Some("gcp:europe-west3")),
        ("awz:eu-west-1", Some("aws:eu-west-1")),
        ("XX", None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        shop(
            dir.path(),
            &format!("# borderline: store id=archive location={written} data=user.contact.email"),
        );
        let (code, report) = scan(dir.path(), &[]);
        assert_eq!(code, 1, "{written}: {}", report["findings"]);
        // One finding, the mistake: not also "its location is unknown" for the same value.
        let finding = only(&report, "unknown-location");
        assert_eq!(finding["severity"], "error", "{written}");
        assert_eq!(at(finding), ("api/app.py".into(), 3, 41), "{written}");
        let message = finding["message"].as_str().unwrap_or_default();
        if let Some(meant) = meant {
            assert!(
                message.contains(&format!("did you mean `{meant}`?")),
                "{written}: {message}"
            );
        }
        // A policy that accepts unknown locations does not accept misspelt ones.
        let manifest = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap();
        write(
            dir.path(),
            "borderline.toml",
            &format!("{manifest}\n[policy]\nunknown_location = \"off\"\n"),
        );
        let (code, report) = scan(dir.path(), &[]);
        assert_eq!(
            code, 1,
            "{written} with the check off: {}",
            report["findings"]
        );
    }
    // Written right, or said to be unknown on purpose, it is no mistake.
    for written in ["aws:us-east-1", "EEA", "DE"] {
        let dir = tempfile::tempdir().unwrap();
        shop(
            dir.path(),
            &format!("# borderline: store id=archive location={written} data=system.operations"),
        );
        let (code, report) = scan(dir.path(), &[]);
        assert_eq!(code, 0, "{written}: {}", report["findings"]);
    }
}

#[test]
fn rust_attributes_and_tags_on_declarations_fail_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "borderline.toml",
        "[project]\nname = \"billing\"\nhome = \"EEA\"\n\n[[node]]\nid = \"billing\"\nkind = \"service\"\nlocation = \"DE\"\npaths = [\"src\"]\n",
    );
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"billing\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    write(
        dir.path(),
        "src/lib.rs",
        "//! Billing.\n\n#[borderline::store(id = \"invoices\", location = \"aws:eu-wset-1\", data = [\"user.financial.bank_acount\"])]\npub struct Invoices;\n",
    );
    write(
        dir.path(),
        "infra/main.tf",
        "provider \"aws\" {\n  region = \"eu-central-1\"\n}\n\n# borderline: location=aws:eu-centrl-1 data=user.contact.emial\nresource \"aws_s3_bucket\" \"exports\" {\n  bucket = \"billing-exports\"\n}\n",
    );
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{}", report["findings"]);
    let mut seen: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            let (file, line, _) = at(f);
            (
                file,
                line,
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    seen.sort();
    let suggestions: Vec<(String, u64, bool)> = seen
        .iter()
        .map(|(file, line, message)| {
            let meant = [
                "`aws:eu-central-1`",
                "`user.contact.email`",
                "`aws:eu-west-1`",
                "`user.financial.bank_account`",
            ]
            .iter()
            .any(|m| message.contains(&format!("did you mean {m}?")));
            (file.clone(), *line, meant)
        })
        .collect();
    assert_eq!(
        suggestions,
        vec![
            ("infra/main.tf".into(), 5, true),
            ("infra/main.tf".into(), 5, true),
            ("src/lib.rs".into(), 3, true),
            ("src/lib.rs".into(), 3, true),
        ],
        "{seen:?}"
    );
}

/// A repository whose API sends `data` to a US processor under SCCs with an assessment on file.
fn health_app(dir: &Path, data: &str, safeguard: bool) {
    let safeguard = if safeguard {
        "\nsafeguard = { mechanism = \"scc\", version = \"2021/914\", module = 2, signed = 2025-01-15, tia = \"docs/tia/labs.md\" }"
    } else {
        ""
    };
    write(
        dir,
        "borderline.toml",
        &format!(
            "[project]\nname = \"clinic\"\nhome = \"EEA\"\n\n[[node]]\nid = \"api\"\nkind = \"service\"\nlocation = \"aws:eu-central-1\"\n\n[[node]]\nid = \"labs\"\nkind = \"vendor\"\nlocation = \"US\"\n\n[[flow]]\nfrom = \"api\"\nto = \"labs\"\ndata = [\"{data}\"]{safeguard}\n"
        ),
    );
    write(
        dir,
        "docs/tia/labs.md",
        "# TIA: labs (US)\n\nFISA 702 assessed; end-to-end encryption.\n",
    );
}

#[test]
fn a_misspelt_special_category_never_turns_an_art_9_error_into_exit_0() {
    // Written right, health data to the US is an Art. 9 error even under SCCs.
    let dir = tempfile::tempdir().unwrap();
    health_app(dir.path(), "user.health_and_medical.genetic", true);
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{}", report["findings"]);
    assert_eq!(findings(&report, "special-category-transfer").len(), 1);
    // Misspelt, the special-category check cannot see it, but the misspelling fails the gate,
    // with or without a safeguard on the flow.
    for safeguard in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        health_app(dir.path(), "user.helth_and_medical.genetic", safeguard);
        let (code, report) = scan(dir.path(), &[]);
        assert_eq!(code, 1, "safeguard {safeguard}: {}", report["findings"]);
        let finding = only(&report, "unknown-data-category");
        assert_eq!(finding["severity"], "error");
        assert!(
            finding["message"]
                .as_str()
                .unwrap_or_default()
                .contains("did you mean `user.health_and_medical.genetic`?"),
            "{finding}"
        );
        assert_eq!(at(&finding.clone()).0, "borderline.toml");
    }
    // The same flow with ordinary data under the same safeguard is lawful: exit 0.
    let dir = tempfile::tempdir().unwrap();
    health_app(dir.path(), "user.contact.email", true);
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 0, "{}", report["findings"]);
}

#[test]
fn the_manifest_suggests_the_taxonomy_key_too() {
    let dir = tempfile::tempdir().unwrap();
    health_app(dir.path(), "user.religion", true);
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{}", report["findings"]);
    let finding = only(&report, "unknown-data-category");
    assert!(
        finding["message"]
            .as_str()
            .unwrap_or_default()
            .contains("did you mean `user.demographic.religious_belief`?"),
        "{finding}"
    );
    // The text output a user reads says it too, at the value.
    let output = borderline(dir.path(), &["scan", "."]);
    let text = stdout(&output);
    assert!(
        text.contains("error[unknown-data-category]: `user.religion` is not a data category"),
        "{text}"
    );
    assert!(text.contains("--> borderline.toml:18:9"), "{text}");
}

/// The message of the one `missing-tia` finding, if any.
fn missing_tia(report: &Value) -> Option<String> {
    let found = findings(report, "missing-tia");
    assert!(found.len() <= 1, "{}", report["findings"]);
    found
        .first()
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
}

fn tia_app(dir: &Path, tia: &str) {
    write(
        dir,
        "borderline.toml",
        &format!(
            "[project]\nname = \"support\"\nhome = \"EEA\"\n\n[[node]]\nid = \"api\"\nkind = \"service\"\nlocation = \"aws:eu-central-1\"\n\n[[node]]\nid = \"helpdesk\"\nkind = \"vendor\"\nlocation = \"US\"\n\n[[flow]]\nfrom = \"api\"\nto = \"helpdesk\"\ndata = [\"user.contact.email\"]\nsafeguard = {{ mechanism = \"scc\", version = \"2021/914\", module = 2, signed = 2025-01-15, tia = \"{tia}\" }}\n"
        ),
    );
    write(
        dir,
        "docs/tia/helpdesk.md",
        "# TIA: helpdesk (US)\n\nAssessed 2025-01.\n",
    );
}

#[test]
fn a_tia_must_name_an_assessment_in_the_manifest() {
    for (tia, reason) in [
        (
            "docs/tia/sendgrid.md",
            Some("`docs/tia/sendgrid.md` does not exist in the repository"),
        ),
        ("TODO", Some("`TODO` is a placeholder")),
        ("...", Some("`...` is a placeholder")),
        ("<path or reference>", Some("is a placeholder")),
        ("", Some("the `tia` is empty")),
        (
            "../outside/tia.md",
            Some("not a path inside the repository"),
        ),
        ("docs/tia/helpdesk.md", None),
        ("./docs/tia/helpdesk.md#risks", None),
        ("DPA-2024-017", None),
        ("https://legal.example.com/tia/helpdesk", None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        tia_app(dir.path(), tia);
        let (_, report) = scan(dir.path(), &[]);
        match (missing_tia(&report), reason) {
            (Some(message), Some(reason)) => assert!(
                message.contains(reason) && message.contains("helpdesk"),
                "{tia}: {message}"
            ),
            (None, None) => {}
            (found, _) => panic!("{tia:?}: missing-tia {found:?}, expected {reason:?}"),
        }
    }
}

#[test]
fn a_tia_in_a_comment_tag_must_exist_too() {
    for (tia, missing) in [
        ("docs/tia/helpdesk.md", false),
        ("docs/tia/help-desk.md", true),
        ("TBD", true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        tia_app(dir.path(), "docs/tia/helpdesk.md");
        // The manifest's flow is replaced by the tag's.
        let manifest = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap();
        let manifest = manifest
            .split("[[flow]]")
            .next()
            .unwrap_or_default()
            .replace(
                "location = \"aws:eu-central-1\"\n",
                "location = \"aws:eu-central-1\"\npaths = [\"api\"]\n",
            );
        write(dir.path(), "borderline.toml", &manifest);
        write(
            dir.path(),
            "api/tickets.py",
            &format!(
                "# borderline: flow to=helpdesk data=user.contact.email mechanism=scc version=2021/914 module=2 signed=2025-01-15 tia={tia}\ndef open_ticket(t):\n    return t\n"
            ),
        );
        let (_, report) = scan(dir.path(), &[]);
        let found = missing_tia(&report);
        assert_eq!(found.is_some(), missing, "{tia}: {found:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_tia_that_is_a_symlink_out_of_the_repository_does_not_count() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "tia.md", "# someone else's TIA\n");
    let dir = tempfile::tempdir().unwrap();
    tia_app(dir.path(), "docs/tia/linked.md");
    std::os::unix::fs::symlink(
        outside.path().join("tia.md"),
        dir.path().join("docs/tia/linked.md"),
    )
    .unwrap();
    // A directory on the way that is a symlink out of the root does not count either.
    std::os::unix::fs::symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
    let (_, report) = scan(dir.path(), &[]);
    let message = missing_tia(&report).unwrap_or_default();
    assert!(
        message.contains("`docs/tia/linked.md` does not exist in the repository"),
        "{message}"
    );
    tia_app(dir.path(), "elsewhere/tia.md");
    let (_, report) = scan(dir.path(), &[]);
    assert!(missing_tia(&report).is_some(), "{}", report["findings"]);
}

#[test]
fn a_tia_is_found_next_to_a_manifest_given_with_config() {
    let dir = tempfile::tempdir().unwrap();
    tia_app(dir.path(), "tia/helpdesk.md");
    std::fs::create_dir_all(dir.path().join("compliance/tia")).unwrap();
    std::fs::rename(
        dir.path().join("borderline.toml"),
        dir.path().join("compliance/borderline.toml"),
    )
    .unwrap();
    let output = borderline(
        dir.path(),
        &[
            "scan",
            ".",
            "--config",
            "compliance/borderline.toml",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(missing_tia(&report).is_some(), "{}", report["findings"]);
    write(dir.path(), "compliance/tia/helpdesk.md", "# TIA\n");
    let output = borderline(
        dir.path(),
        &[
            "scan",
            ".",
            "--config",
            "compliance/borderline.toml",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(missing_tia(&report), None, "{}", report["findings"]);
}

#[test]
fn a_misspelt_region_in_the_manifest_is_an_error_with_the_closest_region() {
    // The manifest rejects an unknown country or provider with exit 2; an unknown region of a
    // known provider passes its parser (rule data may lag a new region) and fails the gate here.
    let dir = tempfile::tempdir().unwrap();
    tia_app(dir.path(), "docs/tia/helpdesk.md");
    let manifest = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap();
    write(
        dir.path(),
        "borderline.toml",
        &manifest.replace("aws:eu-central-1", "aws:eu-centrl-1"),
    );
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{}", report["findings"]);
    let finding = only(&report, "unknown-location");
    assert_eq!(finding["severity"], "error");
    assert_eq!(at(finding), ("borderline.toml".into(), 8, 12));
    assert!(
        finding["message"]
            .as_str()
            .unwrap_or_default()
            .contains("did you mean `aws:eu-central-1`?"),
        "{finding}"
    );
}

/// A `borderline.dev/location` label on a compose service and annotation on a Deployment are
/// written by a person like a tag: a region rule data does not know fails the gate at the value
/// with the closest one, and correct ones (or a region a node selector pins) are no mistake.
#[test]
fn a_misspelt_location_label_or_annotation_fails_the_gate() {
    let compose = |location: &str| {
        format!(
            "services:\n  worker:\n    image: ghcr.io/acme/worker:2.1\n    labels:\n      borderline.dev/location: {location}\n"
        )
    };
    let deployment = |location: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  annotations:\n    borderline.dev/location: {location}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: ghcr.io/acme/api:1.0\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "compose.yaml", &compose("aws:eu-centrl-1"));
    write(
        dir.path(),
        "deploy/api.yaml",
        &deployment("gcp:europe-wst3"),
    );
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 1, "{}", report["findings"]);
    let errors: Vec<&Value> = findings(&report, "unknown-location")
        .into_iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 2, "{}", report["findings"]);
    let by_file = |file: &str| {
        errors
            .iter()
            .find(|f| f["location"]["file"] == file)
            .unwrap_or_else(|| panic!("no error in {file}: {}", report["findings"]))
    };
    let label = by_file("compose.yaml");
    assert_eq!(at(label), ("compose.yaml".to_string(), 5, 32));
    assert!(
        label["message"]
            .as_str()
            .unwrap()
            .contains("`aws:eu-central-1`"),
        "{label}"
    );
    let annotation = by_file("deploy/api.yaml");
    assert_eq!(at(annotation).1, 6);
    assert!(
        annotation["message"]
            .as_str()
            .unwrap()
            .contains("`gcp:europe-west3`"),
        "{annotation}"
    );

    // Written correctly, the same files place both services in the EEA: nothing to report.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "compose.yaml", &compose("aws:eu-central-1"));
    write(
        dir.path(),
        "deploy/api.yaml",
        &deployment("gcp:europe-west3"),
    );
    let (code, report) = scan(dir.path(), &[]);
    assert_eq!(code, 0, "{}", report["findings"]);
    assert!(
        findings(&report, "unknown-location").is_empty(),
        "{}",
        report["findings"]
    );
}
