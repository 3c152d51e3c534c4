//! The demo end to end, as the README promises it: SARIF that validates, a register with every
//! transfer, a baseline that passes until a new transfer is added.

use crate::support::{FIXTURE_DATE, borderline, copy_dir, fixtures_dir, stdout};
use serde_json::Value;
use std::collections::BTreeSet;

fn demo() -> std::path::PathBuf {
    fixtures_dir().join("demo")
}

fn json(dir: &std::path::Path, args: &[&str]) -> Value {
    let output = borderline(dir, args);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{output:?}");
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn sarif_of_the_demo_validates_and_covers_every_file_kind() {
    let log = json(
        &demo(),
        &["scan", ".", "--format", "sarif", "--date", FIXTURE_DATE],
    );
    let errors = crate::sarif::schema_errors(&log);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let uris: BTreeSet<String> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for expected in [
        "borderline.toml",
        "infra/terraform/backup.tf",
        "services/prescriptions/app/transcribe.py",
        "services/storefront/src/analytics.ts",
        "services/checkout/src/lib.rs",
    ] {
        assert!(uris.contains(expected), "no result in {expected}: {uris:?}");
    }
}

#[test]
fn the_register_lists_every_transfer_of_the_demo() {
    let scan = json(
        &demo(),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    let register = json(
        &demo(),
        &["ropa", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    let transfers: BTreeSet<(String, String)> = scan["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["transfer"] != "none")
        .map(|f| {
            (
                f["from"].as_str().unwrap().to_string(),
                f["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let rows: BTreeSet<(String, String)> = register["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["exporter"].as_str().unwrap().to_string(),
                r["recipient"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(transfers.len() >= 15, "{transfers:?}");
    assert_eq!(transfers, rows);
    for row in register["transfers"].as_array().unwrap() {
        let evidence = row["evidence"].as_str().unwrap();
        assert!(
            evidence.contains(':') && !evidence.starts_with('/'),
            "{row}"
        );
        // A waived transfer is not lawful in the register.
        if row["recipient"] == "smsgate" {
            assert!(
                row["status"].as_str().unwrap().starts_with("waived"),
                "{row}"
            );
        }
    }
}

#[test]
fn a_baseline_passes_the_demo_until_a_new_transfer_is_added() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&demo(), dir.path());
    let baseline = dir
        .path()
        .join("baseline.json")
        .to_string_lossy()
        .into_owned();
    let write = borderline(
        dir.path(),
        &[
            "scan",
            ".",
            "--date",
            FIXTURE_DATE,
            "--write-baseline",
            &baseline,
        ],
    );
    assert_eq!(write.status.code(), Some(1));
    let known = borderline(
        dir.path(),
        &["scan", ".", "--date", FIXTURE_DATE, "--baseline", &baseline],
    );
    assert_eq!(known.status.code(), Some(0), "{}", stdout(&known));
    // A new annotated flow to a country without adequacy fails the gate again.
    let analytics = dir.path().join("services/storefront/src/analytics.ts");
    let mut code = std::fs::read_to_string(&analytics).unwrap();
    code.push_str("\n// borderline: flow to=scanviet data=user.contact.email purpose=\"receipt OCR\"\nexport function ocr(): void {}\n");
    std::fs::write(&analytics, code).unwrap();
    let new = borderline(
        dir.path(),
        &["scan", ".", "--date", FIXTURE_DATE, "--baseline", &baseline],
    );
    assert_eq!(new.status.code(), Some(1), "{}", stdout(&new));
    assert!(stdout(&new).contains("storefront -> scanviet"));
}
