//! Deployment variants at the gate: `--variant` and `[scan] variants` name variants the
//! repository has, or the scan stops with exit 2 and says which it has; a gate that silently
//! judged nothing would pass every pull request.

use crate::support::{FIXTURE_DATE, borderline, stderr, write_file};

/// A compose service that sends e-mail addresses to a vendor: no variants anywhere.
fn plain_repository(dir: &std::path::Path) {
    write_file(
        dir,
        "docker-compose.yml",
        "services:\n  api:\n    image: example/api:1.4\n    environment:\n      MAILER_URL: https://api.sendgrid.com/v3\n",
    );
}

#[test]
fn a_variant_flag_on_a_repository_without_variants_stops_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    plain_repository(dir.path());
    let output = borderline(
        dir.path(),
        &["scan", ".", "--variant", "prod", "--date", FIXTURE_DATE],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("--variant prod: not a deployment variant of the repository")
            && message.contains("the repository has no deployment variants"),
        "{message}"
    );
}

#[test]
fn a_manifest_variant_the_repository_lacks_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    plain_repository(dir.path());
    write_file(
        dir.path(),
        "borderline.toml",
        "[project]\nname = \"shop\"\n\n[scan]\nvariants = [\"prod\"]\n",
    );
    let output = borderline(dir.path(), &["scan", ".", "--date", FIXTURE_DATE]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains(
            "borderline.toml:5:13: `variants`: `prod` is not a deployment variant of the repository"
        ),
        "{message}"
    );
    // Without the key the same repository scans.
    write_file(
        dir.path(),
        "borderline.toml",
        "[project]\nname = \"shop\"\n",
    );
    let output = borderline(dir.path(), &["scan", ".", "--date", FIXTURE_DATE]);
    assert_ne!(output.status.code(), Some(2), "{}", stderr(&output));
}

/// `tf-var-prod-replica`: only `envs/prod.tfvars` turns on a replica in the US.
fn prod_replica() -> std::path::PathBuf {
    crate::support::fixtures_dir().join("tf-var-prod-replica")
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&crate::support::stdout(output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(output)))
}

#[test]
fn one_variant_is_judged_alone_and_keeps_its_fingerprints() {
    let dir = prod_replica();
    let args = |extra: &[&'static str]| {
        let mut args = vec!["scan", ".", "--format", "json", "--date", FIXTURE_DATE];
        args.extend_from_slice(extra);
        args
    };
    let all = borderline(&dir, &args(&[]));
    assert_eq!(all.status.code(), Some(1), "{}", stderr(&all));
    let all = json_of(&all);
    let findings = all["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["variants"], serde_json::json!(["prod"]));
    let names: Vec<&str> = all["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dev", "prod"]);

    // Development alone passes the gate; production alone fails it with the same fingerprint.
    let dev = borderline(&dir, &args(&["--variant", "dev"]));
    assert_eq!(dev.status.code(), Some(0), "{}", stderr(&dev));
    assert!(json_of(&dev)["findings"].as_array().unwrap().is_empty());
    let prod = borderline(&dir, &args(&["--variant", "prod"]));
    assert_eq!(prod.status.code(), Some(1), "{}", stderr(&prod));
    let prod = json_of(&prod);
    assert_eq!(
        prod["findings"][0]["fingerprint"],
        findings[0]["fingerprint"]
    );

    // A misspelt name stops the gate and says what the repository has.
    let typo = borderline(&dir, &args(&["--variant", "prdo"]));
    assert_eq!(typo.status.code(), Some(2), "{}", stderr(&typo));
    let message = stderr(&typo);
    assert!(
        message.contains("its variants are `dev`, `prod`; did you mean `prod`?"),
        "{message}"
    );
}

#[test]
fn the_manifest_chooses_variants_and_the_map_draws_one() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_dir(&prod_replica(), dir.path());
    let manifest = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap();
    write_file(
        dir.path(),
        "borderline.toml",
        &format!("{manifest}\n[scan]\nvariants = [\"dev\"]\n"),
    );
    let output = borderline(dir.path(), &["scan", ".", "--date", FIXTURE_DATE]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // `--variant` replaces the manifest's list.
    let output = borderline(
        dir.path(),
        &["scan", ".", "--variant", "prod", "--date", FIXTURE_DATE],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));

    let map = borderline(
        &prod_replica(),
        &[
            "graph",
            ".",
            "--format",
            "dot",
            "--variant",
            "prod",
            "--date",
            FIXTURE_DATE,
        ],
    );
    let text = crate::support::stdout(&map);
    assert!(
        text.contains("personal data flows in variant prod"),
        "{text}"
    );
    assert!(text.contains("orders_replica"), "{text}");
    let map = borderline(
        &prod_replica(),
        &[
            "graph",
            ".",
            "--format",
            "mermaid",
            "--variant",
            "dev",
            "--date",
            FIXTURE_DATE,
        ],
    );
    let text = crate::support::stdout(&map);
    assert!(!text.contains("orders_replica"), "{text}");
    // The map of both variants shows the replica, labelled with the one it exists in.
    let map = borderline(
        &prod_replica(),
        &["graph", ".", "--format", "mermaid", "--date", FIXTURE_DATE],
    );
    let text = crate::support::stdout(&map);
    assert!(text.contains("in: prod"), "{text}");
}
