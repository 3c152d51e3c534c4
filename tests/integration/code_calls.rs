//! Outbound calls in code of every language (`fixtures/code-calls-shop`, one service per
//! language in the layout of microservices-demo): which node a file belongs to, one inferred flow
//! per client call with the categories the call shows, and that an inferred flow without visible
//! data carries unknown data rather than everything its service holds.

use crate::support::{FIXTURE_DATE, borderline, copy_dir, findings, fixtures_dir, stderr, stdout};
use serde_json::Value;
use std::path::Path;

fn scan(dir: &Path) -> Value {
    let output = borderline(
        dir,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&output)))
}

/// (from, to, data, file:line) of every production flow (tests give flows of the class `test`,
/// checked on their own).
fn flows(report: &Value) -> Vec<(String, String, Vec<String>, String)> {
    report["flows"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|f| f["environment"] == "production")
                .map(|f| {
                    let data = f["data"]
                        .as_array()
                        .map(|d| {
                            d.iter()
                                .filter_map(|c| c.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    let at = format!(
                        "{}:{}",
                        f["location"]["file"].as_str().unwrap_or_default(),
                        f["location"]["line"].as_u64().unwrap_or_default()
                    );
                    (
                        f["from"].as_str().unwrap_or_default().to_string(),
                        f["to"].as_str().unwrap_or_default().to_string(),
                        data,
                        at,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn one_inferred_flow_per_client_call_in_every_language_and_no_other() {
    let report = scan(&fixtures_dir().join("code-calls-shop"));
    let email_phone = vec![
        "user.contact.email".to_string(),
        "user.contact.phone_number".to_string(),
    ];
    let expected: Vec<(String, String, Vec<String>, String)> = [
        (
            "adservice",
            "onesignal",
            vec![],
            "src/adservice/src/main/java/shop/ads/PushClient.java:18",
        ),
        (
            "cartservice",
            "customerio",
            vec!["user.contact.email".to_string()],
            "src/cartservice/src/SendGridNotifier.cs:23",
        ),
        (
            "cartservice",
            "sendgrid",
            vec![],
            "src/cartservice/src/SendGridNotifier.cs:14",
        ),
        (
            "emailservice",
            "postmark",
            vec![],
            "src/emailservice/postmark.go:16",
        ),
        (
            "frontend",
            "mixpanel",
            email_phone.clone(),
            "src/frontend/src/analytics.ts:10",
        ),
        (
            "frontend",
            "posthog-de",
            vec![],
            "src/frontend/src/analytics.ts:7",
        ),
        (
            "notifications",
            "mailgun",
            vec![],
            "src/notifications/lib/mailgun_mailer.rb:6",
        ),
        (
            "paymentservice",
            "razorpay",
            email_phone,
            "src/paymentservice/app/razorpay_client.py:23",
        ),
        (
            "quote",
            "paytm",
            vec![],
            "src/quote/src/PaytmPayouts.php:12",
        ),
        (
            "shipping",
            "freshworks",
            vec![],
            "src/shipping/src/main.rs:7",
        ),
    ]
    .into_iter()
    .map(|(from, to, data, at)| (from.to_string(), to.to_string(), data, at.to_string()))
    .collect();
    // Nothing from comments, docstrings, logs, exceptions, response bodies, region tables, tests
    // (`tests/`, `conftest.py`, `*_test.go`, `*.spec.ts`, `src/test/`, `spec/`, `*Tests.cs`),
    // `node_modules/`, or the project link a Rust handler returns in its JSON body.
    assert_eq!(flows(&report), expected);
    // Tests are read too, as the class `test`: their calls are flows whose findings are notes.
    let mut in_tests: Vec<(&str, &str)> = report["flows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["environment"] == "test")
        .map(|f| {
            (
                f["location"]["file"].as_str().unwrap_or_default(),
                f["to"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    in_tests.sort();
    assert_eq!(
        in_tests,
        vec![
            (
                "src/adservice/src/test/java/shop/ads/PushClientTest.java",
                "intercom"
            ),
            ("src/emailservice/postmark_test.go", "mailgun"),
            ("src/frontend/src/analytics.spec.ts", "intercom"),
            ("src/notifications/spec/mailgun_mailer_spec.rb", "intercom"),
            ("src/paymentservice/conftest.py", "postmark"),
            ("src/paymentservice/tests/test_client.py", "mailgun"),
        ]
    );
    let inferred = report["flows"]
        .as_array()
        .is_some_and(|all| all.iter().all(|f| f["inferred"] == true));
    assert!(inferred, "every flow found in code is inferred");
}

#[test]
fn a_service_is_named_as_its_deployment_names_it() {
    let report = scan(&fixtures_dir().join("code-calls-shop"));
    let mut services: Vec<&str> = report["nodes"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|n| n["kind"] == "service")
                .filter_map(|n| n["id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    services.sort_unstable();
    // `settings.gradle` says `hipstershop` and package.json `@shop/web-frontend`, but the
    // directory with the Dockerfile is what compose and Kubernetes call the service; the .csproj
    // names `cartservice`, the Gemfile's directory `notifications`, composer.json `shop/quote`.
    assert_eq!(
        services,
        [
            "adservice",
            "cartservice",
            "emailservice",
            "frontend",
            "notifications",
            "paymentservice",
            "quote",
            "shipping"
        ]
    );
}

#[test]
fn an_inferred_flow_without_visible_data_carries_unknown_data_not_all_its_service_holds() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&fixtures_dir().join("code-calls-shop"), dir.path());
    let manifest = dir.path().join("borderline.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap_or_default();
    // The quote service is declared to hold health records; its Paytm call shows no data.
    text.push_str(
        "\n[[node]]\nid = \"quote\"\nkind = \"service\"\nlocation = \"aws:eu-central-1\"\ndata = [\"user.health_and_medical.record_id\"]\n",
    );
    std::fs::write(&manifest, text).unwrap_or_else(|e| panic!("{e}"));
    let report = scan(dir.path());
    assert!(
        findings(&report, "special-category-transfer").is_empty(),
        "a call that shows no data is not said to send the service's health records: {report}"
    );
    let paytm: Vec<&str> = findings(&report, "transfer-without-safeguard")
        .into_iter()
        .filter_map(|f| f["message"].as_str())
        .filter(|m| m.contains("paytm"))
        .collect();
    assert_eq!(paytm.len(), 1, "{paytm:?}");
    assert!(
        paytm[0].contains("unspecified (so treated as personal) data"),
        "{}",
        paytm[0]
    );
}

#[test]
fn inferred_call_findings_are_capped_by_policy() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_dir(&fixtures_dir().join("code-calls-shop"), dir.path());
    let manifest = dir.path().join("borderline.toml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_default()
        .replace("[policy]\n", "[policy]\ninferred_findings = \"note\"\n");
    std::fs::write(&manifest, text).unwrap_or_else(|e| panic!("{e}"));
    let report = scan(dir.path());
    let transfers: Vec<&Value> = ["adequacy-scope-not-met", "transfer-without-safeguard"]
        .iter()
        .flat_map(|rule| findings(&report, rule))
        .collect();
    // Eight calls of the services' own code, and six in their tests.
    assert_eq!(transfers.len(), 14);
    assert!(
        transfers.iter().all(|f| f["severity"] == "note"),
        "{transfers:?}"
    );
}
