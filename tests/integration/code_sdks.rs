//! Vendor SDK initialisation and cloud SDK clients read from code (`extract/sdks.rs`, rule data
//! `rules/sdks.toml`): the flows and nodes a user sees, the traps that stay quiet, and rule data
//! given with `--rules DIR`.

use crate::support::{FIXTURE_DATE, borderline, copy_dir, fixtures_dir, stderr, stdout};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn scan_dir(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["scan", ".", "--format", "json", "--date", FIXTURE_DATE];
    args.extend_from_slice(extra);
    let output = borderline(dir, &args);
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&output)))
}

fn scan(case: &str) -> Value {
    scan_dir(&fixtures_dir().join(case), &[])
}

/// (from, to) of every flow.
fn flows(report: &Value) -> BTreeSet<(String, String)> {
    report["flows"]
        .as_array()
        .into_iter()
        .flatten()
        // Tests are read as the class `test` (docs/environments.md): not the product's flows.
        .filter(|f| f["environment"] == "production")
        .map(|f| {
            (
                f["from"].as_str().unwrap_or_default().to_string(),
                f["to"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn node<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == id))
}

fn node_ids(report: &Value) -> BTreeSet<String> {
    report["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn python_sdk_calls_become_flows_to_the_hosts_their_options_name() {
    let report = scan("code-sdk-python");
    let flows = flows(&report);
    // A literal DSN in the US organisation; a PostHog host in the EU; a Mixpanel host given by a
    // constant of the same file; OpenAI's documented default.
    for (from, to) in [
        ("checkout", "sentry"),
        ("checkout", "posthog-de"),
        ("checkout", "mixpanel-eu"),
        ("recommendations", "openai"),
    ] {
        assert!(
            flows.contains(&(from.to_string(), to.to_string())),
            "{from} -> {to} missing: {flows:?}"
        );
    }
    // The DSN read from the environment is said to be unknown, not guessed.
    let notes: Vec<&Value> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == "unknown-location")
        .collect();
    assert_eq!(notes.len(), 2, "{notes:#?}");
    for variable in ["SENTRY_DSN", "LLM_BASE_URL"] {
        assert!(
            notes.iter().any(|n| n["message"]
                .as_str()
                .is_some_and(|m| m.contains(variable) && m.contains("runtime"))),
            "{notes:#?}"
        );
    }
    // LangChain's Gemini chat model sends to the Gemini API's one global endpoint.
    assert!(
        flows.contains(&("recommendations".to_string(), "google-gemini".to_string())),
        "{flows:?}"
    );
}

#[test]
fn cloud_clients_with_a_literal_region_are_nodes_in_that_region() {
    let report = scan("code-sdk-python");
    let dynamodb = node(&report, "aws-dynamodb-ap-south-1").expect("the DynamoDB table's node");
    assert_eq!(dynamodb["kind"], "store");
    assert_eq!(dynamodb["location"], "aws:ap-south-1");
    assert_eq!(dynamodb["countries"], "IN");
    let bedrock = node(&report, "aws-bedrockruntime-us-east-1").expect("the Bedrock client");
    assert_eq!(bedrock["kind"], "service");
    let bigquery = node(&report, "gcp-bigquery-eu").expect("the BigQuery client");
    assert_eq!(bigquery["location"], "gcp:eu");
    // Without a region (or with one read from the environment) there is no node: the region
    // dictionary, the client without `region_name` and the one reading EXPORT_REGION stay quiet.
    let s3: Vec<String> = node_ids(&report)
        .into_iter()
        .filter(|id| id.starts_with("aws-s3-"))
        .collect();
    assert_eq!(s3, ["aws-s3-eu-central-1"]);
    assert!(flows(&report).contains(&(
        "checkout".to_string(),
        "aws-dynamodb-ap-south-1".to_string()
    )));
}

#[test]
fn java_builders_dotnet_endpoints_go_configs_and_rust_loaders_take_their_regions() {
    let java = scan("code-sdk-java");
    assert_eq!(
        node(&java, "aws-s3-ap-south-1").map(|n| n["location"].clone()),
        Some(Value::from("aws:ap-south-1"))
    );
    assert_eq!(
        node(&java, "aws-dynamodb-eu-west-1").map(|n| n["kind"].clone()),
        Some(Value::from("store"))
    );
    // `SqsClient.builder().build()` has no region; `List.of(Region.EU_WEST_1, ...)` is no client.
    assert!(
        !node_ids(&java).iter().any(|id| id.starts_with("aws-sqs")),
        "{:?}",
        node_ids(&java)
    );
    let go = scan("code-sdk-go");
    assert!(
        node(&go, "aws-ap-southeast-2").is_some(),
        "{:?}",
        node_ids(&go)
    );
    assert_eq!(
        node_ids(&go)
            .iter()
            .filter(|id| id.starts_with("aws-"))
            .count(),
        1
    );
    let others = scan("code-sdk-others");
    assert!(node(&others, "aws-dynamodb-ap-south-1").is_some());
    assert!(node(&others, "aws-ap-southeast-1").is_some());
    assert!(!node_ids(&others).iter().any(|id| id.starts_with("aws-s3")));
}

#[test]
fn ruby_blocks_php_arrays_and_attribute_assignments_are_read() {
    let report = scan("code-sdk-others");
    let flows = flows(&report);
    for (from, to) in [
        ("storefront", "sentry-de"),
        ("storefront", "stripe"),
        ("billing", "sentry"),
        ("api", "sentry"),
    ] {
        assert!(
            flows.contains(&(from.to_string(), to.to_string())),
            "{from} -> {to} missing: {flows:?}"
        );
    }
}

#[test]
fn js_zones_sites_and_defaults_and_the_sdk_imported_but_never_initialised() {
    let report = scan("code-sdk-js");
    let flows = flows(&report);
    let to: BTreeSet<&str> = flows.iter().map(|(_, to)| to.as_str()).collect();
    // `serverZone: 'EU'`, `site: 'datadoghq.eu'` and the Mailgun EU URL reach the EU endpoints;
    // the Amplitude call without a zone and Segment reach their documented defaults.
    for expected in [
        "amplitude-eu",
        "datadog-de",
        "mailgun-de",
        "amplitude",
        "segment",
        "aws-dynamodb-me-central-1",
    ] {
        assert!(to.contains(expected), "{expected} missing: {flows:?}");
    }
    // Mixpanel is imported as a type only; Sentry is named in a string; the old DynamoDB region
    // is in a comment.
    for quiet in ["mixpanel", "sentry", "aws-dynamodb-ap-south-1"] {
        assert!(!to.contains(quiet), "{quiet} should be quiet: {flows:?}");
    }
}

#[test]
fn rules_dir_adds_an_sdk_and_a_bad_record_is_an_error_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_dir(&fixtures_dir().join("code-sdk-python"), &repo);
    std::fs::write(
        repo.join("src/checkout/app/notify.py"),
        "import acme_push\n\nclient = acme_push.Client(\"key\")\n",
    )
    .unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("sdks.toml"),
        r#"[meta]
title = "local SDKs"
version = "1"
as_of = 2026-11-30
source = "https://example.com/acme-push"
confidence = "U"

[[sdk]]
id = "acme-push"
name = "Acme Push"
imports = ["acme_push"]
calls = ["acme_push.Client"]
when_unset = "default"
default = "api.mixpanel.com"
"#,
    )
    .unwrap();
    let rules_arg = rules.to_string_lossy().to_string();
    let before = scan_dir(&repo, &[]);
    assert!(!flows(&before).contains(&("checkout".to_string(), "mixpanel".to_string())));
    let after = scan_dir(&repo, &["--rules", &rules_arg]);
    assert!(
        flows(&after).contains(&("checkout".to_string(), "mixpanel".to_string())),
        "{:?}",
        flows(&after)
    );
    // The built-in SDKs are still there.
    assert!(flows(&after).contains(&("checkout".to_string(), "sentry".to_string())));

    std::fs::write(
        rules.join("sdks.toml"),
        "[meta]\ntitle = \"t\"\nversion = \"1\"\nas_of = 2026-11-30\nsource = \"s\"\n\n[[sdk]]\nid = \"x\"\nname = \"X\"\nimports = [\"xsdk\"]\ncalls = [\"xsdk.init\"]\noption = [{ names = [\"host\"], value = \"hostname\" }]\n",
    )
    .unwrap();
    let output = borderline(&repo, &["scan", ".", "--rules", &rules_arg]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("sdks.toml:12:"),
        "{}",
        stderr(&output)
    );
}
