//! Environment classes (docs/environments.md): findings whose evidence is only in test or dev
//! files are notes with their class, unless `[scan] include` judges that class like production;
//! production findings of the same repository still fail the gate, and fingerprints never
//! depend on the class.

use crate::support::{FIXTURE_DATE, borderline, copy_dir, fixtures_dir, stderr, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn scan_json(dir: &Path) -> Value {
    let output = borderline(
        dir,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&output)))
}

/// (file, line, rule, severity, environment) of every finding, sorted.
fn classed(report: &Value) -> Vec<(String, u64, String, String, String)> {
    let mut found: Vec<(String, u64, String, String, String)> = report["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|f| {
                    (
                        f["location"]["file"].as_str().unwrap_or("").to_string(),
                        f["location"]["line"].as_u64().unwrap_or(0),
                        f["rule"].as_str().unwrap_or("").to_string(),
                        f["severity"].as_str().unwrap_or("").to_string(),
                        f["environment"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn row(
    file: &str,
    line: u64,
    rule: &str,
    severity: &str,
    environment: &str,
) -> (String, u64, String, String, String) {
    (
        file.into(),
        line,
        rule.into(),
        severity.into(),
        environment.into(),
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "borderline-environments-{name}-{}",
        std::process::id()
    ));
    std::fs::remove_dir_all(&dir).ok();
    dir
}

#[test]
fn test_and_dev_findings_are_notes_and_production_still_fails() {
    let dir = fixtures_dir().join("env14-shop");
    let report = scan_json(&dir);
    let tws = "transfer-without-safeguard";
    assert_eq!(
        classed(&report),
        vec![
            row(".devcontainer/docker-compose.yml", 10, tws, "note", "dev"),
            row(
                ".devcontainer/docker-compose.yml",
                11,
                "unknown-location",
                "note",
                "dev"
            ),
            row("docker-compose.dev.yml", 6, tws, "note", "dev"),
            row("docker-compose.yml", 8, tws, "error", "production"),
            // A web and a worker built from one source are not copies of one program; the dev
            // compose file declares the storefront first, the finding is where production does.
            row(
                "docker-compose.yml",
                11,
                "unknown-location",
                "warning",
                "production"
            ),
            // Two copies of the project's own build side by side: a local topology.
            row(
                "docker/peering/docker-compose.yml",
                10,
                "unknown-location",
                "note",
                "dev"
            ),
            // Kept idle for an editor (`sleep infinity`): a development workspace.
            row("sandbox/compose.yaml", 8, "unknown-location", "note", "dev"),
            row(
                "src/checkout/.env",
                2,
                "adequacy-scope-not-met",
                "error",
                "production"
            ),
            // `.env.development` and the dev compose file point `checkout` at Paytm: one flow,
            // its finding at the compose line and the env line listed beside it.
            row(
                "src/checkout/scripts/translate.py",
                9,
                "adequacy-scope-not-met",
                "note",
                "dev"
            ),
            // The dev compose file and `.env.development` name the same provider: a declared
            // flow of a less productive class never replaces this production call.
            row(
                "src/checkout/src/payments.js",
                6,
                tws,
                "warning",
                "production"
            ),
            // The test calls Paytm as the production code does: one flow, at the production call.
            // The crate's own code fires; its `#[cfg(test)]` module is a test.
            row("src/shipping/src/lib.rs", 4, tws, "warning", "production"),
            row("src/shipping/src/lib.rs", 16, tws, "note", "test"),
        ]
    );
    // Flows and nodes carry their class too: the checkout service is declared by production
    // files, the dev container's catalogue only by a dev one.
    let node_class = |id: &str| {
        report["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|n| n["id"] == id))
            .map(|n| n["environment"].clone())
    };
    assert_eq!(node_class("checkout"), Some(Value::from("production")));
    assert_eq!(node_class("catalogue-dev"), Some(Value::from("dev")));
    // (The test file's call to Paytm is the production call's flow; the crate's test module
    // sends to another recipient.)
    let test_flow = report["flows"].as_array().and_then(|flows| {
        flows.iter().find(|f| {
            f["location"]["file"] == "src/shipping/src/lib.rs" && f["location"]["line"] == 16
        })
    });
    assert_eq!(
        test_flow.map(|f| f["environment"].clone()),
        Some(Value::from("test"))
    );
    // The production transfer still fails the gate.
    let output = borderline(&dir, &["scan", ".", "--date", FIXTURE_DATE]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn a_compose_file_that_says_it_is_for_development_is_dev_and_production_keeps_the_name() {
    // The root compose file opens with "for the development setup"; the production stack lives in
    // deploy/. Its transfer still fails the gate, and its `server` keeps the bare id.
    let report = scan_json(&fixtures_dir().join("env14-devheader"));
    let asnm = "adequacy-scope-not-met";
    assert_eq!(
        classed(&report),
        vec![
            row("compose.yaml", 12, asnm, "note", "dev"),
            row("compose.yaml", 17, asnm, "note", "dev"),
            row("compose.yaml", 19, "unknown-location", "note", "dev"),
            row("deploy/compose.yaml", 8, asnm, "error", "production"),
        ]
    );
    let production = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["severity"] == "error")
        .map(|f| f["from"].clone());
    assert_eq!(production, Some(Value::from("server")));
}

#[test]
fn include_judges_tests_and_dev_like_production() {
    let report = scan_json(&fixtures_dir().join("env14-include"));
    let tws = "transfer-without-safeguard";
    assert_eq!(
        classed(&report),
        vec![
            row("dev/docker-compose.yml", 8, tws, "error", "dev"),
            row(
                "src/billing/tests/test_refunds.py",
                6,
                tws,
                "warning",
                "test"
            ),
        ]
    );
}

#[test]
fn include_changes_severities_never_fingerprints() {
    let dir = temp_dir("fingerprints");
    copy_dir(&fixtures_dir().join("env14-include"), &dir);
    let fingerprints = |report: &Value| -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = report["findings"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|f| {
                        (
                            f["fingerprint"].as_str().unwrap_or("").to_string(),
                            f["severity"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        all.sort();
        all
    };
    let included = fingerprints(&scan_json(&dir));
    let manifest = dir.join("borderline.toml");
    let text = std::fs::read_to_string(&manifest).unwrap_or_default();
    std::fs::write(
        &manifest,
        text.replace("include = [\"tests\", \"dev\"]", "include = []"),
    )
    .unwrap();
    let excluded = fingerprints(&scan_json(&dir));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(included.len(), 2);
    assert_eq!(
        included.iter().map(|(f, _)| f).collect::<Vec<_>>(),
        excluded.iter().map(|(f, _)| f).collect::<Vec<_>>()
    );
    assert!(excluded.iter().all(|(_, severity)| severity == "note"));
    assert!(included.iter().all(|(_, severity)| severity != "note"));
}

#[test]
fn text_and_sarif_show_the_class() {
    let dir = fixtures_dir().join("env14-shop");
    let text = stdout(&borderline(&dir, &["scan", ".", "--date", FIXTURE_DATE]));
    assert!(
        text.contains("[test]") && text.contains("[dev]"),
        "the text report marks findings outside production:\n{text}"
    );
    assert!(
        text.contains("found only in test files")
            && text.contains("`[scan] include = [\"tests\"]`"),
        "{text}"
    );
    let sarif: Value = serde_json::from_str(&stdout(&borderline(
        &dir,
        &["scan", ".", "--format", "sarif", "--date", FIXTURE_DATE],
    )))
    .unwrap_or_else(|e| panic!("not SARIF JSON: {e}"));
    let mut classes: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .map(|r| {
                    r["properties"]["environment"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    classes.sort();
    classes.dedup();
    assert_eq!(classes, vec!["dev", "production", "test"]);
}

#[test]
fn explain_says_a_flow_is_in_test_code() {
    let dir = fixtures_dir().join("env14-shop");
    let output = borderline(
        &dir,
        &[
            "explain",
            "checkout->paytm",
            "--path",
            ".",
            "--date",
            FIXTURE_DATE,
        ],
    );
    let text = stdout(&output);
    // Every flow of the pair is shown: the dev compose file's, and the production code call's
    // (a guess, never merged with an observed flow), which lists the test file that makes the
    // same call; each finding says why it is a note or not.
    assert!(
        text.contains("environment: dev"),
        "{text}{}",
        stderr(&output)
    );
    assert!(text.contains("found only in development files"), "{text}");
    assert!(
        text.contains("also written at: src/checkout/tests/payments.test.js:5"),
        "{text}"
    );
}

#[test]
fn an_unknown_include_value_is_a_manifest_error_at_its_place() {
    let dir = temp_dir("unknown");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("borderline.toml"),
        "[project]\nname = \"x\"\n\n[scan]\ninclude = [\"tests\", \"staging\"]\n",
    )
    .unwrap();
    let output = borderline(&dir, &["scan", "."]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("borderline.toml:5:21")
            && stderr(&output).contains("unknown environment class `staging`"),
        "{}",
        stderr(&output)
    );
}
