//! Names do not collide: a node the repository names like a catalogued vendor is not that vendor,
//! a compose service's name means a container of its own project only, and the unplaced services
//! of one compose project are one `unknown-location` finding.

use crate::support::{
    findings, fixtures_dir, report_node as node, scan_report as scan_json, write_file as write,
};
use serde_json::Value;

fn flows(report: &Value) -> Vec<(String, String)> {
    report["flows"]
        .as_array()
        .map(|flows| {
            flows
                .iter()
                .map(|f| {
                    (
                        f["from"].as_str().unwrap_or_default().to_string(),
                        f["to"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_chart_named_like_a_vendor_does_not_swallow_the_vendor() {
    let report = scan_json(&fixtures_dir().join("name14-vendor-chart"));
    let chart = node(&report, "datadog");
    assert_eq!(chart["kind"], "service");
    assert_eq!(chart["defined_at"]["file"], "charts/datadog/Chart.yaml");
    let vendor = node(&report, "datadog-vendor");
    assert_eq!(vendor["kind"], "vendor");
    assert_eq!(vendor["countries"], "US");
    assert!(
        flows(&report).contains(&("datadog".into(), "datadog-vendor".into())),
        "{}",
        report["flows"]
    );
    // The chart is placed in Frankfurt: no finding asks for its location.
    assert!(findings(&report, "unknown-location").is_empty());
}

#[test]
fn a_manifest_node_with_a_vendor_id_is_still_the_vendor() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "borderline.toml",
        "[[node]]\nid = \"shop\"\nkind = \"service\"\nlocation = \"DE\"\n\n[[node]]\nid = \"stripe\"\ndata = [\"user.financial\"]\n",
    );
    write(
        dir.path(),
        "shop/.env",
        "STRIPE_API_BASE=https://api.stripe.com\n",
    );
    write(dir.path(), "shop/Dockerfile", "FROM node:22\n");
    let report = scan_json(dir.path());
    assert!(
        report["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["id"] != "stripe-vendor"),
        "{}",
        report["nodes"]
    );
    assert!(flows(&report).contains(&("shop".into(), "stripe".into())));
}

#[test]
fn compose_names_resolve_within_their_own_project() {
    let report = scan_json(&fixtures_dir().join("name14-scopes"));
    // The Deployment keeps its name; the test rig's stub of the same name is a node of its own.
    assert_eq!(
        node(&report, "api")["defined_at"]["file"],
        "deploy/k8s/shop.yaml"
    );
    assert_eq!(
        node(&report, "api@tests/e2e")["defined_at"]["file"],
        "tests/e2e/docker-compose.yml"
    );
    let flows = flows(&report);
    assert!(
        flows.contains(&("oracle".into(), "api@tests/e2e".into())),
        "{flows:?}"
    );
    assert!(
        !flows.contains(&("oracle".into(), "api".into())),
        "{flows:?}"
    );
    // A workload still reaches the Service of its own namespace.
    assert!(flows.contains(&("web".into(), "api".into())), "{flows:?}");
    // The stub's location is not the Deployment's: the Deployment is still asked for one.
    let unknown = findings(&report, "unknown-location");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0]["to"], "api");
}

#[test]
fn services_of_two_compose_projects_with_one_name_are_two_nodes() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "dev/docker-compose.yml",
        "services:\n  app:\n    image: acme/app\n    labels:\n      borderline.dev/location: DE\n    environment:\n      DATABASE_URL: postgres://u:p@db:5432/app\n  db:\n    image: postgres:16\n    labels:\n      borderline.dev/location: DE\n",
    );
    write(
        dir.path(),
        ".devcontainer/docker-compose.yml",
        "services:\n  workspace:\n    image: acme/dev\n    labels:\n      borderline.dev/location: DE\n    environment:\n      DATABASE_URL: postgres://u:p@db:5432/app\n  db:\n    image: postgres:16\n",
    );
    let report = scan_json(dir.path());
    // Both at depth one: `.devcontainer` sorts first and keeps the bare id.
    assert_eq!(
        node(&report, "db")["defined_at"]["file"],
        ".devcontainer/docker-compose.yml"
    );
    assert_eq!(
        node(&report, "db@dev")["defined_at"]["file"],
        "dev/docker-compose.yml"
    );
    let flows = flows(&report);
    assert!(
        flows.contains(&("app".into(), "db@dev".into())),
        "{flows:?}"
    );
    assert!(
        flows.contains(&("workspace".into(), "db".into())),
        "{flows:?}"
    );
    // The dev project's database is placed by its label; the devcontainer's is not.
    let unknown = findings(&report, "unknown-location");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0]["to"], "db");
}

#[test]
fn unplaced_services_of_one_compose_project_are_one_finding() {
    let report = scan_json(&fixtures_dir().join("name14-compose-group"));
    let unknown = findings(&report, "unknown-location");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    let finding = unknown[0];
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "4 services of the compose project `deploy` (deploy/docker-compose.yml) receive personal data, but their location is unknown"
        ),
        "{message}"
    );
    assert!(
        message.ends_with(": backend, db, mailer, search"),
        "{message}"
    );
    let related: Vec<&str> = finding["related"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["message"].as_str())
        .collect();
    for id in ["backend", "db", "mailer", "search"] {
        assert!(
            related.contains(&format!("`{id}` is declared here").as_str()),
            "{related:?}"
        );
    }
    assert!(
        finding["help"]
            .as_str()
            .unwrap()
            .contains("above `services:`")
    );
}

#[test]
fn the_tag_the_grouped_finding_suggests_places_the_project() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_dir(&fixtures_dir().join("name14-compose-group"), dir.path());
    let path = dir.path().join("deploy/docker-compose.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let tagged = text.replace("services:\n", "# borderline: location=EEA\nservices:\n");
    std::fs::write(&path, tagged).unwrap();
    let report = scan_json(dir.path());
    assert!(findings(&report, "unknown-location").is_empty());
}

#[test]
fn a_waived_service_keeps_its_own_finding_out_of_the_group() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::copy_dir(&fixtures_dir().join("name14-compose-group"), dir.path());
    write(
        dir.path(),
        "borderline.toml",
        "[[waiver]]\nrule = \"unknown-location\"\nto = \"mailer\"\nreason = \"mailpit keeps mail in memory on the staging VM\"\nexpires = 2099-01-01\n",
    );
    let report = scan_json(dir.path());
    let unknown = findings(&report, "unknown-location");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(
        unknown[0]["message"]
            .as_str()
            .unwrap()
            .ends_with(": backend, db, search")
    );
}

#[test]
fn an_app_config_names_the_services_of_its_own_compose_project() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  app:\n    image: acme/app\n    labels:\n      borderline.dev/location: DE\n    environment:\n      DATABASE_URL: postgres://u:p@db:5432/app\n  db:\n    image: postgres:16\n    labels:\n      borderline.dev/location: DE\n",
    );
    write(
        dir.path(),
        "dev/docker-compose.yml",
        "services:\n  db:\n    image: postgres:16\n",
    );
    write(
        dir.path(),
        "dev/config.toml",
        "[db]\nurl = \"postgres://listmonk:listmonk@db:5432/listmonk\"\n",
    );
    let report = scan_json(dir.path());
    let flows = flows(&report);
    assert!(flows.contains(&("app".into(), "db".into())), "{flows:?}");
    assert!(
        flows.contains(&("dev".into(), "db@dev".into())),
        "{flows:?}"
    );
    assert!(!flows.contains(&("dev".into(), "db".into())), "{flows:?}");
}
