//! The extraction engine's join of env files to the compose services that read them: the env
//! extractor learns who reads an env file from the compose extractor's facts, with and without
//! the cache, and a cached run sees a change to the compose file.

use crate::support::{FIXTURE_DATE, borderline, report_node, stdout, write_file};
use std::path::Path;

const COMPOSE: &str = "services:\n  api:\n    image: example/api\n    env_file: ./config/api.env\n";
const ENV: &str = "SENTRY_DSN=https://abc@o1.ingest.sentry.io/1\n";

/// `scan . --format json`, through `cache` when given, parsed.
fn scan(repo: &Path, cache: Option<&Path>) -> (String, serde_json::Value) {
    let mut args = vec!["scan", ".", "--date", FIXTURE_DATE, "--format", "json"];
    let cache = cache.map(|c| c.to_str().unwrap().to_string());
    if let Some(cache) = &cache {
        args.extend(["--cache", cache.as_str()]);
    }
    let out = stdout(&borderline(repo, &args));
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    (out, report)
}

/// The ids of the nodes that send to `host`.
fn senders_to(report: &serde_json::Value, host: &str) -> Vec<String> {
    let mut found: Vec<String> = report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|flow| flow["to"].as_str().is_some_and(|to| to.contains(host)))
        .filter_map(|flow| flow["from"].as_str().map(str::to_string))
        .collect();
    found.sort();
    found
}

#[test]
fn an_env_file_belongs_to_the_compose_service_that_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write_file(&repo, "compose.yaml", COMPOSE);
    write_file(&repo, "config/api.env", ENV);
    let (_, report) = scan(&repo, None);
    report_node(&report, "api");
    assert_eq!(
        senders_to(&report, "sentry"),
        ["api"],
        "{}",
        report["flows"]
    );
}

#[test]
fn a_cached_run_joins_env_files_to_the_compose_services_of_this_run() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let cache = dir.path().join("cache");
    write_file(&repo, "compose.yaml", COMPOSE);
    write_file(&repo, "config/api.env", ENV);
    let (first, _) = scan(&repo, Some(&cache));
    assert_eq!(first, scan(&repo, None).0);

    // Only the compose file changes: the env file is now the worker's. The env extractor's
    // cache entry must not give the old owner.
    write_file(&repo, "compose.yaml", &COMPOSE.replace("api:", "worker:"));
    let (uncached, report) = scan(&repo, None);
    assert_eq!(
        senders_to(&report, "sentry"),
        ["worker"],
        "{}",
        report["flows"]
    );
    let (cached, _) = scan(&repo, Some(&cache));
    assert_eq!(cached, uncached);
}
