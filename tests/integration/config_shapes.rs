//! Configuration shapes SaaS settings really take: compose interpolation, `.env` examples, app
//! configs found by directory, and vendor site settings from `rules/settings.toml` (a
//! `DatadogAgent` resource, Helm `datadog.site`, the Collector's Datadog exporter).

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};
use serde_json::Value;
use std::path::Path;

fn scan(case: &str) -> Value {
    let dir = fixtures_dir().join(case);
    let output = borderline(
        &dir,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{case}: not JSON ({e}); stderr: {}", stderr(&output)))
}

/// (from, to, file, line) of every flow, sorted.
fn flows(report: &Value) -> Vec<(String, String, String, u64)> {
    let mut found: Vec<_> = report["flows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["from"].as_str().unwrap_or_default().to_string(),
                f["to"].as_str().unwrap_or_default().to_string(),
                f["location"]["file"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["location"]["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    found
}

fn node<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no node `{id}`"))
}

fn flow(from: &str, to: &str, file: &str, line: u64) -> (String, String, String, u64) {
    (from.into(), to.into(), file.into(), line)
}

#[test]
fn a_datadog_agent_resource_sends_to_its_site_or_the_documented_default() {
    let report = scan("config-datadog-agent");
    let found = flows(&report);
    for expected in [
        flow("datadog-agent", "datadog", "deploy/datadog-agent.yaml", 10),
        flow(
            "datadog-agent-eu",
            "datadog-de",
            "deploy/datadog-agent.yaml",
            25,
        ),
        // No `site`: the Operator's default (datadoghq.com), reported at `kind`.
        flow(
            "datadog-agent-default",
            "datadog",
            "deploy/datadog-agent-default.yaml",
            3,
        ),
        flow(
            "monitoring",
            "datadog",
            "charts/monitoring/values-us.yaml",
            4,
        ),
        flow(
            "monitoring",
            "datadog-de",
            "charts/monitoring/values.yaml",
            3,
        ),
        flow(
            "otel-collector",
            "datadog",
            "otel-collector/otel-collector-config.yaml",
            9,
        ),
        flow(
            "otel-collector",
            "datadog-de",
            "otel-collector/otel-collector-config.yaml",
            13,
        ),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:#?}");
    }
    // The US5 site is the US, whatever Datadog's certification status in the rule data.
    let datadog = node(&report, "datadog");
    assert_eq!(datadog["countries"], "US");
    assert_eq!(datadog["jurisdiction"], "third-country");
    assert_eq!(node(&report, "datadog-de")["countries"], "DE");
    // The EU site is not also read as a bare host `datadoghq.eu`, and Chart.yaml links and the
    // values schema are not flows.
    assert_eq!(found.len(), 8, "{found:#?}");
    assert!(
        !found
            .iter()
            .any(|f| f.2.ends_with("Chart.yaml") || f.2.ends_with(".json")),
        "{found:#?}"
    );
}

#[test]
fn compose_values_are_interpolated_from_the_env_file_then_their_defaults() {
    let report = scan("config-compose-defaults");
    assert_eq!(
        flows(&report),
        [
            flow("web", "datadog-de", "compose.yaml", 14),
            // The .env beside compose.yaml sets the EU host; the US default is never used.
            flow("web", "posthog-de", "compose.yaml", 9),
            flow("web", "sentry", "compose.yaml", 7),
            flow("web", "worker", "compose.yaml", 16),
            // A nested default; `${VAR:?}`, `$$`, a comment and a set-but-empty `-` are quiet.
            flow("worker", "razorpay", "compose.yaml", 20),
        ]
    );
    // The interpolation `.env` is compose's, not a container's: no `app` node from it.
    assert!(
        report["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|n| n["id"] != "app")
    );
}

#[test]
fn env_examples_and_app_config_directories() {
    let report = scan("config-env-example");
    assert_eq!(
        flows(&report),
        [
            // The real .env's DD_SITE wins over the example's.
            flow("billing", "datadog-de", "services/billing/.env", 1),
            flow("billing", "razorpay", "services/billing/.env.example", 2),
            flow(
                "notifier",
                "mixpanel-eu",
                "services/notifier/env.example",
                3
            ),
            flow("notifier", "paytm", "services/notifier/env.example", 2),
        ]
    );
    let report = scan("config-app-dirs");
    let found = flows(&report);
    assert_eq!(found.len(), 8, "{found:#?}");
    // Locales, package.json, tsconfig.json and ERB without a default are not read.
    assert!(
        !found.iter().any(|f| f.2.contains("locales")
            || f.2.ends_with("package.json")
            || f.2.ends_with("tsconfig.json")),
        "{found:#?}"
    );
    assert!(found.contains(&flow(
        "accounts",
        "razorpay",
        "services/accounts/config/settings.yml",
        3
    )));
    let errors: Vec<&Value> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == "input-error")
        .collect();
    assert!(
        errors.is_empty(),
        "ERB is never an input error: {errors:#?}"
    );
}

#[test]
fn a_bad_settings_file_is_a_rule_data_error_at_its_line() {
    let rules = tempfile_dir("settings");
    std::fs::write(
        rules.join("settings.toml"),
        "[meta]\ntitle = \"t\"\nversion = \"1\"\nas_of = 2026-11-30\nsource = \"s\"\n\n[[setting]]\nid = \"x\"\nvendor = \"datadog\"\nenv = [\"DD_SITE\"]\nhost = \"api.{value}.{value}\"\n",
    )
    .unwrap();
    let case = fixtures_dir().join("config-compose-defaults");
    let output = borderline(
        &case,
        &["scan", ".", "--rules", rules.to_str().unwrap_or_default()],
    );
    std::fs::remove_dir_all(&rules).ok();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("settings.toml:11:"),
        "{}",
        stderr(&output)
    );
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "borderline-config-shapes-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = Path::new(&dir);
    dir
}
