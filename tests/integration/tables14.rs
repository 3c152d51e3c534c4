//! A lookup table is not a set of flows, nor nothing (issue 14): a region table chosen at run
//! time is one `unknown-location` note naming its options; an entry selected by a literal key
//! at a client call is that one flow; a table nobody sends through is quiet.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};
use serde_json::Value;

fn scan(case: &str) -> Value {
    let output = borderline(
        &fixtures_dir().join(case),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&output)))
}

/// (to, file:line) of every flow, sorted.
fn flows(report: &Value) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = report["flows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["to"].as_str().unwrap_or_default().to_string(),
                format!(
                    "{}:{}",
                    f["location"]["file"].as_str().unwrap_or_default(),
                    f["location"]["line"].as_u64().unwrap_or_default()
                ),
            )
        })
        .collect();
    all.sort();
    all
}

/// (severity, file:line, message) of every `unknown-location` finding.
fn choices(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["rule"] == "unknown-location")
        .map(|f| {
            (
                f["severity"].as_str().unwrap_or_default().to_string(),
                format!(
                    "{}:{}",
                    f["location"]["file"].as_str().unwrap_or_default(),
                    f["location"]["line"].as_u64().unwrap_or_default()
                ),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_region_table_chosen_at_run_time_is_one_note_naming_the_options() {
    let report = scan("tbl14-ingest");
    // No flow to any of the five hosts: which one is used is not written in the code.
    assert_eq!(flows(&report), Vec::<(String, String)>::new());
    let notes = choices(&report);
    assert_eq!(notes.len(), 1, "{notes:?}");
    let (severity, at, message) = &notes[0];
    assert_eq!(severity, "note");
    // At the table, not at the console-link table the code never calls.
    assert_eq!(at, "src/log-shipper/src/sink.rs:20");
    assert!(
        message.starts_with(
            "`Region::endpoint`: the endpoint is chosen at run time among 5 regional hosts of gcp ("
        ),
        "{message}"
    );
    for country in ["SG", "BR", "DE"] {
        assert!(message.contains(country), "{message}");
    }
    assert!(
        message.contains("southamerica-east1-malachiteingestion-pa.googleapis.com"),
        "{message}"
    );
    assert!(!message.contains("console"), "{message}");
}

#[test]
fn a_region_named_at_the_call_is_the_flow_and_the_run_time_choice_is_noted() {
    let report = scan("link14-regions");
    assert_eq!(
        flows(&report),
        [(
            "gcp:malachiteingestion-pa:asia-southeast1".to_string(),
            "src/chronicle-sink/src/lib.rs:40".to_string()
        )]
    );
    let notes = choices(&report);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0].1, "src/chronicle-sink/src/lib.rs:17");
}

#[test]
fn a_map_entry_selected_by_a_literal_key_is_that_one_flow() {
    let report = scan("tbl14-analytics");
    assert_eq!(
        flows(&report),
        [
            (
                "amplitude".to_string(),
                "src/web/src/amplitude.ts:14".to_string()
            ),
            (
                "amplitude-eu".to_string(),
                "src/web/src/amplitude.ts:10".to_string()
            ),
            (
                "mixpanel".to_string(),
                "src/tracker/tracker/client.py:25".to_string()
            ),
            (
                "mixpanel-eu".to_string(),
                "src/tracker/tracker/client.py:29".to_string()
            ),
        ]
    );
    assert_eq!(choices(&report), Vec::<(String, String, String)>::new());
}
