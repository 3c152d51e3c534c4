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
