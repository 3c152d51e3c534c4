//! `borderline merge` keeps each repository's judgement (issue 15, point 8): a fragment carries
//! its repository's policy, waivers and findings; `merge` judges each flow under the policy of
//! the repository that declared it (or of an org manifest given with `--config`), applies that
//! repository's waivers, and reports like `scan`, in its formats and with its exit codes. A user's
//! path: `graph --format json` in each repository, then `merge` of the fragments.

use crate::support::{FIXTURE_DATE, borderline, findings, fixtures_dir, stderr, stdout};
use serde_json::Value;
use std::path::Path;

/// Writes the fragment of fixture `name` to `work/<name>.json`, as a user would in that
/// repository's CI (`graph . --format json -o FILE`).
fn fragment(work: &Path, name: &str) -> String {
    let file = format!("{name}.json");
    let out = work.join(&file);
    let output = borderline(
        &fixtures_dir().join(name),
        &[
            "graph",
            ".",
            "--format",
            "json",
            "-o",
            &out.to_string_lossy(),
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    file
}

fn json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(output), stderr(output)))
}

/// What a user compares between two reports: every finding's rule, severity, message, location
/// and fingerprint, and every waived finding.
fn judgement(report: &Value) -> (Vec<Value>, Vec<Value>) {
    let findings = report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {report:#}"))
        .iter()
        .map(|f| {
            serde_json::json!({
                "rule": f["rule"], "severity": f["severity"], "message": f["message"],
                "location": f["location"], "fingerprint": f["fingerprint"],
                "from": f["from"], "to": f["to"], "help": f["help"],
            })
        })
        .collect();
    let waived = report["waived"]
        .as_array()
        .unwrap_or_else(|| panic!("no waived in {report:#}"))
        .clone();
    (findings, waived)
}

fn merge(work: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["merge"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--date", FIXTURE_DATE]);
    borderline(work, &all)
}

#[test]
fn merge_of_one_fragment_gives_the_findings_of_scan() {
    let work = tempfile::tempdir().unwrap();
    for name in [
        "demo",
        "mg15-checkout",
        "mg15-reporting",
        "mg15-support",
        "wv15-shop",
        "id15-harbor",
        "v15-one-flow",
    ] {
        let scanned = borderline(
            &fixtures_dir().join(name),
            &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
        );
        let file = fragment(work.path(), name);
        let merged = merge(work.path(), &[&file, "--format", "json"]);
        assert_eq!(
            judgement(&json(&merged)),
            judgement(&json(&scanned)),
            "{name}: merge of its one fragment differs from its scan\n{}",
            stderr(&merged)
        );
        assert_eq!(merged.status.code(), scanned.status.code(), "{name}");
        // One repository: no finding says whose policy judged it, as in the scan.
        assert!(!stdout(&merged).contains("judged under"), "{name}");
    }
}

#[test]
fn each_flow_is_judged_under_the_policy_of_the_repository_that_declared_it() {
    let work = tempfile::tempdir().unwrap();
    let files: Vec<String> = ["mg15-checkout", "mg15-reporting", "mg15-support"]
        .iter()
        .map(|name| fragment(work.path(), name))
        .collect();
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend_from_slice(&["--format", "json"]);
    let merged = merge(work.path(), &args);
    let report = json(&merged);
    // Checkout denies Art. 9 data abroad: its flow of health data to the warehouse in Mumbai,
    // which only the reporting repository locates, is an error under checkout's policy ...
    let special = findings(&report, "special-category-transfer");
    assert_eq!(special.len(), 1, "{report:#}");
    assert_eq!(special[0]["from"], "checkout", "{report:#}");
    assert_eq!(special[0]["to"], "analytics-db");
    assert_eq!(special[0]["location"]["file"], "checkout/borderline.toml");
    let said = special[0]["related"].to_string();
    assert!(
        said.contains("judged under the policy of repository `checkout`"),
        "{said}"
    );
    // ... while reporting's own flow of the same data to the same store, with the same SCCs, is
    // lawful under reporting's policy (`special_categories = "safeguard"`).
    let flow = report["flows"]
        .as_array()
        .and_then(|flows| flows.iter().find(|f| f["from"] == "reporting"))
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(flow["transfer"], "lawful", "{flow:#}");
    // Checkout approves only SCCs: the CRM's BCRs are an unapproved mechanism there.
    let unapproved = findings(&report, "unapproved-mechanism");
    assert_eq!(unapproved.len(), 1, "{report:#}");
    assert_eq!(unapproved[0]["to"], "crm");
    // Support's waiver still waives support's helpdesk transfer.
    assert!(
        findings(&report, "adequacy-scope-not-met").is_empty(),
        "{report:#}"
    );
    let waived = report["waived"].as_array().unwrap();
    assert_eq!(waived.len(), 1, "{report:#}");
    assert_eq!(waived[0]["to"], "zendesk");
    assert_eq!(
        waived[0]["reason"],
        "Zendesk DPF certification being confirmed, LEGAL-482"
    );
    // The checkout store's location is no longer unknown once reporting's fragment gives it.
    assert!(
        findings(&report, "unknown-location").is_empty(),
        "{report:#}"
    );
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));

    // The text report says whose policy judged each finding, at the finding's file:line.
    let mut text_args: Vec<&str> = files.iter().map(String::as_str).collect();
    text_args.extend_from_slice(&["--format", "text"]);
    let text = merge(work.path(), &text_args);
    assert_eq!(text.status.code(), Some(1));
    let shown = stdout(&text);
    assert!(shown.contains("checkout/borderline.toml:"), "{shown}");
    assert!(
        shown.contains("judged under the policy of repository `checkout`"),
        "{shown}"
    );
    // `--fail-on never` passes the gate, as with `scan`.
    let mut never: Vec<&str> = files.iter().map(String::as_str).collect();
    never.extend_from_slice(&["--fail-on", "never"]);
    assert_eq!(merge(work.path(), &never).status.code(), Some(0));
    // Every scan format is offered.
    for format in ["sarif", "markdown"] {
        let mut with: Vec<&str> = files.iter().map(String::as_str).collect();
        with.extend_from_slice(&["--format", format]);
        let output = merge(work.path(), &with);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&output)
        );
        assert!(
            stdout(&output).contains("special-category-transfer"),
            "{format}"
        );
    }
    let sarif: Value = {
        let mut with: Vec<&str> = files.iter().map(String::as_str).collect();
        with.extend_from_slice(&["--format", "sarif"]);
        json(&merge(work.path(), &with))
    };
    assert!(
        sarif.to_string().contains("checkout/borderline.toml"),
        "{sarif:#}"
    );
}

#[test]
fn an_org_manifest_given_with_config_judges_every_flow() {
    let work = tempfile::tempdir().unwrap();
    let files: Vec<String> = ["mg15-checkout", "mg15-reporting", "mg15-support"]
        .iter()
        .map(|name| fragment(work.path(), name))
        .collect();
    std::fs::write(
        work.path().join("org.toml"),
        "# The organisation's policy: Art. 9 data never leaves the EEA, BCRs are fine.\n[policy]\nspecial_categories = \"deny\"\n",
    )
    .unwrap();
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.extend_from_slice(&["--config", "org.toml", "--format", "json"]);
    let merged = merge(work.path(), &args);
    let report = json(&merged);
    // Reporting's health data to Mumbai is now denied, as is checkout's.
    let special = findings(&report, "special-category-transfer");
    let from: Vec<&str> = special.iter().filter_map(|f| f["from"].as_str()).collect();
    assert_eq!(from, ["checkout", "reporting"], "{report:#}");
    assert!(
        special[1]["related"]
            .to_string()
            .contains("judged under the policy of --config org.toml"),
        "{report:#}"
    );
    // The org approves BCRs; support's own waiver no longer applies.
    assert!(
        findings(&report, "unapproved-mechanism").is_empty(),
        "{report:#}"
    );
    let unsafeguarded = findings(&report, "adequacy-scope-not-met");
    assert_eq!(unsafeguarded.len(), 1, "{report:#}");
    assert_eq!(unsafeguarded[0]["to"], "zendesk");
    assert_eq!(unsafeguarded[0]["location"]["file"], "support/support/.env");
    assert_eq!(merged.status.code(), Some(1));

    // The org's waivers apply to every repository's flows.
    std::fs::write(
        work.path().join("org.toml"),
        "[policy]\nspecial_categories = \"safeguard\"\n\n[[waiver]]\nrule = \"adequacy-scope-not-met\"\nto = \"zendesk\"\nreason = \"ORG-7: SCCs signed centrally\"\nexpires = 2027-06-30\n",
    )
    .unwrap();
    let merged = merge(work.path(), &args);
    let report = json(&merged);
    assert!(
        findings(&report, "special-category-transfer").is_empty(),
        "{report:#}"
    );
    assert!(
        findings(&report, "adequacy-scope-not-met").is_empty(),
        "{report:#}"
    );
    assert_eq!(
        report["waived"][0]["reason"],
        "ORG-7: SCCs signed centrally"
    );

    // A mistake in the org manifest is exit 2 at file:line:col, as with `scan`.
    std::fs::write(
        work.path().join("org.toml"),
        "[policy]\nspecial_categories = \"sometimes\"\n",
    )
    .unwrap();
    let bad = merge(work.path(), &args);
    assert_eq!(bad.status.code(), Some(2), "{}", stdout(&bad));
    assert!(stderr(&bad).contains("org.toml:2:"), "{}", stderr(&bad));
}

#[test]
fn a_fragment_without_a_policy_is_judged_under_the_default_policy_with_a_warning() {
    let work = tempfile::tempdir().unwrap();
    let file = fragment(work.path(), "mg15-support");
    let path = work.path().join(&file);
    let mut view: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let object = view.as_object_mut().unwrap();
    for key in ["policy", "waivers", "judgement"] {
        assert!(object.remove(key).is_some(), "the fragment carries `{key}`");
    }
    for flow in object["flows"].as_array_mut().unwrap() {
        flow.as_object_mut().unwrap().remove("inferred");
    }
    std::fs::write(work.path().join("old.json"), view.to_string()).unwrap();
    let merged = merge(work.path(), &["old.json", "--format", "json"]);
    assert!(
        stderr(&merged).contains("old.json: the fragment carries no policy"),
        "{}",
        stderr(&merged)
    );
    // Without its waiver, the helpdesk transfer is reported.
    let report = json(&merged);
    assert_eq!(
        findings(&report, "adequacy-scope-not-met").len(),
        1,
        "{report:#}"
    );
}

#[test]
fn the_joined_map_is_still_drawn() {
    let work = tempfile::tempdir().unwrap();
    let a = fragment(work.path(), "mg15-checkout");
    let b = fragment(work.path(), "mg15-reporting");
    let graph = merge(work.path(), &[&a, &b, "--format", "graph"]);
    assert_eq!(graph.status.code(), Some(0), "{}", stderr(&graph));
    let view = json(&graph);
    assert!(
        view["nodes"].as_array().is_some_and(|n| n.len() == 4),
        "{view:#}"
    );
    let dot = merge(work.path(), &[&a, &b, "--format", "dot"]);
    assert!(stdout(&dot).starts_with("digraph"), "{}", stdout(&dot));
}
