//! "What if the DPF falls": `--assume-invalid` and `--assume-valid` change verdicts and mark every
//! report hypothetical; `borderline rules --impact DECISION` lists the transfers that rest on a
//! decision and what each keeps; the DPF record names its pending appeal.

use crate::support::{
    FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout, transcript, write_file,
};
use serde_json::Value;

fn fixture() -> std::path::PathBuf {
    fixtures_dir().join("whatif-dpf")
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn impact_of_the_dpf_text() {
    let args = ["rules", "--impact", "eu-us-dpf", "--date", FIXTURE_DATE];
    let output = borderline(&fixture(), &args);
    // Segment has only the DPF: one transfer would be left without a basis.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!("impact_of_the_dpf_text", transcript(&args, &output));
}

#[test]
fn impact_of_the_dpf_json() {
    let args = [
        "rules",
        "--impact",
        "eu-us-dpf",
        ".",
        "--format",
        "json",
        "--date",
        FIXTURE_DATE,
    ];
    let output = borderline(&fixture(), &args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&stdout(&output));
    let transfers = report["transfers"].as_array().unwrap();
    // Only the two US vendors rest on the DPF: the EU vendor is no transfer, the Swiss one is
    // adequate under another decision.
    let to: Vec<&str> = transfers
        .iter()
        .map(|t| t["to"].as_str().unwrap())
        .collect();
    assert_eq!(to, ["segment", "stripe"], "{report:#}");
    assert_eq!(transfers[0]["if_annulled"][0]["basis"], Value::Null);
    assert_eq!(
        transfers[0]["if_annulled"][0]["findings"][0]["rule"],
        "transfer-without-safeguard"
    );
    let stripe = &transfers[1]["if_annulled"][0];
    assert_eq!(stripe["basis"], "scc");
    assert_eq!(stripe["safeguard"]["version"], "2021/914");
    assert_eq!(stripe["safeguard"]["module"], 2);
    assert_eq!(stripe["safeguard"]["signed"], "2025-03-14");
    assert_eq!(stripe["safeguard"]["tia"], "docs/tia/stripe.md");
    assert_eq!(report["decision"]["pending"][0]["case"], "C-703/25 P");
    assert_eq!(report["decision"]["pending"][0]["checked"], "2026-11-30");
    insta::assert_snapshot!("impact_of_the_dpf_json", stdout(&output));
    // Deterministic: the same bytes again.
    assert_eq!(borderline(&fixture(), &args).stdout, output.stdout);
}

#[test]
fn impact_exits_0_when_every_transfer_keeps_a_basis() {
    // The Swiss decision: the SMS gateway has nothing else, so it fails; the Japanese one has no
    // transfer here at all, so nothing would lose its basis.
    let output = borderline(
        &fixture(),
        &["rules", "--impact", "jp-2019-419", "--date", FIXTURE_DATE],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("0 transfers rest on jp-2019-419 today"),
        "{}",
        stdout(&output)
    );
    let swiss = borderline(
        &fixture(),
        &["rules", "--impact", "ch-2000-518", "--date", FIXTURE_DATE],
    );
    assert_eq!(swiss.status.code(), Some(1), "{}", stderr(&swiss));
    assert!(
        stdout(&swiss).contains("orders -> smsup (CH)"),
        "{}",
        stdout(&swiss)
    );
}

#[test]
fn scan_assuming_the_dpf_invalid() {
    let args = [
        "scan",
        "--assume-invalid",
        "eu-us-dpf",
        "--date",
        FIXTURE_DATE,
    ];
    let output = borderline(&fixture(), &args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    // Hypothetical at both ends of the report.
    assert!(text.starts_with("HYPOTHETICAL: eu-us-dpf"), "{text}");
    assert!(
        text.trim_end()
            .ends_with("not the verdicts of the rule data in force"),
        "{text}"
    );
    insta::assert_snapshot!("scan_assuming_the_dpf_invalid", transcript(&args, &output));
    // The same scan without the assumption is clean: the finding is the assumption's.
    let real = borderline(&fixture(), &["scan", "--date", FIXTURE_DATE]);
    assert_eq!(real.status.code(), Some(0), "{}", stdout(&real));
    assert!(!stdout(&real).contains("HYPOTHETICAL"));
}

#[test]
fn every_report_of_a_hypothetical_run_says_so() {
    let scan = |format: &str| {
        let output = borderline(
            &fixture(),
            &[
                "scan",
                "--assume-invalid",
                "EU-US-DPF",
                "--format",
                format,
                "--date",
                FIXTURE_DATE,
                "-q",
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&output)
        );
        stdout(&output)
    };
    let report = json(&scan("json"));
    assert_eq!(report["hypothetical"][0]["decision"], "eu-us-dpf");
    assert_eq!(report["hypothetical"][0]["assumed"], "invalid");
    let markdown = scan("markdown");
    assert!(
        markdown.contains("> [!WARNING]\n> HYPOTHETICAL: eu-us-dpf"),
        "{markdown}"
    );
    let sarif = json(&scan("sarif"));
    let run = &sarif["runs"][0];
    assert_eq!(run["properties"]["hypothetical"], true);
    assert_eq!(run["properties"]["assumptions"][0]["decision"], "eu-us-dpf");
    assert_eq!(
        run["automationDetails"]["id"],
        "borderline/whatif-shop/hypothetical/"
    );
    assert!(
        run["results"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("HYPOTHETICAL (eu-us-dpf assumed invalid): "),
        "{run:#}"
    );
    let errors = crate::sarif::schema_errors(&sarif);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let github = scan("github");
    assert!(
        github.contains("::HYPOTHETICAL (eu-us-dpf assumed invalid): transfer orders -> segment"),
        "{github}"
    );
    let gitlab = json(&scan("gitlab"));
    assert!(
        gitlab[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("HYPOTHETICAL (eu-us-dpf assumed invalid): "),
        "{gitlab:#}"
    );
    // A real run's JSON has no such field.
    let real = borderline(
        &fixture(),
        &["scan", "--format", "json", "--date", FIXTURE_DATE],
    );
    assert!(json(&stdout(&real)).get("hypothetical").is_none());
    // Outputs with no place for it (the register's CSV) get the warning on standard error.
    let ropa = borderline(
        &fixture(),
        &[
            "ropa",
            "--assume-invalid",
            "eu-us-dpf",
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(ropa.status.code(), Some(0), "{}", stderr(&ropa));
    assert!(
        stderr(&ropa).contains("warning: HYPOTHETICAL: eu-us-dpf"),
        "{}",
        stderr(&ropa)
    );
}

/// A vendor in the UK and one in the US without the DPF, from a service in Frankfurt.
fn two_vendors() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "borderline.toml",
        r#"[[node]]
id = "api"
kind = "service"
location = "aws:eu-central-1"
data = ["user.contact.email"]

[[node]]
id = "uk-crm"
kind = "vendor"
location = "GB"

[[node]]
id = "us-mailer"
kind = "vendor"
location = "US"

[[flow]]
from = "api"
to = "uk-crm"

[[flow]]
from = "api"
to = "us-mailer"
"#,
    );
    dir
}

fn rules_of(report: &Value) -> Vec<(String, String)> {
    let mut rules: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["to"].as_str().unwrap_or_default().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    rules.sort();
    rules
}

#[test]
fn assume_valid_keeps_an_expired_decision_in_force() {
    let dir = two_vendors();
    // The UK decision applies up to and including 2031-12-27.
    let after = ["scan", "--format", "json", "--date", "2032-01-10"];
    let expired = borderline(dir.path(), &after);
    assert_eq!(expired.status.code(), Some(1));
    let report = json(&stdout(&expired));
    assert!(
        rules_of(&report).contains(&("uk-crm".into(), "expired-safeguard".into())),
        "{report:#}"
    );
    let mut assumed_args = after.to_vec();
    assumed_args.extend(["--assume-valid", "gb-2021-1772"]);
    let assumed = json(&stdout(&borderline(dir.path(), &assumed_args)));
    assert!(
        !rules_of(&assumed).iter().any(|(to, _)| to == "uk-crm"),
        "{assumed:#}"
    );
    assert_eq!(assumed["hypothetical"][0]["assumed"], "valid");
}

#[test]
fn assume_valid_still_applies_the_scope_conditions() {
    let dir = two_vendors();
    // Before the DPF was adopted, no US recipient had adequacy.
    let before = ["scan", "--format", "json", "--date", "2023-01-01"];
    let report = json(&stdout(&borderline(dir.path(), &before)));
    assert!(
        rules_of(&report).contains(&("us-mailer".into(), "transfer-without-safeguard".into())),
        "{report:#}"
    );
    // Assumed in force, it still covers only certified recipients.
    let mut args = before.to_vec();
    args.extend(["--assume-valid", "eu-us-dpf"]);
    let assumed = json(&stdout(&borderline(dir.path(), &args)));
    assert!(
        rules_of(&assumed).contains(&("us-mailer".into(), "adequacy-scope-not-met".into())),
        "{assumed:#}"
    );
}

#[test]
fn unknown_or_contradictory_assumptions_are_usage_errors() {
    let fixture = fixture();
    let misspelt = borderline(&fixture, &["scan", "--assume-invalid", "eu-us-dfp"]);
    assert_eq!(misspelt.status.code(), Some(2));
    let message = stderr(&misspelt);
    assert!(
        message.contains("--assume-invalid eu-us-dfp: no adequacy decision has this id")
            && message.contains("did you mean `eu-us-dpf`?")
            && message.contains("ch-2000-518"),
        "{message}"
    );
    let both = borderline(
        &fixture,
        &[
            "graph",
            "--assume-invalid",
            "eu-us-dpf",
            "--assume-valid",
            "eu-us-dpf",
        ],
    );
    assert_eq!(both.status.code(), Some(2));
    assert!(
        stderr(&both).contains("given to both --assume-invalid and --assume-valid"),
        "{}",
        stderr(&both)
    );
    let impact = borderline(&fixture, &["rules", "--impact", "eu-us-dfp"]);
    assert_eq!(impact.status.code(), Some(2));
    assert!(
        stderr(&impact).contains("did you mean `eu-us-dpf`?"),
        "{}",
        stderr(&impact)
    );
    let twice = borderline(
        &fixture,
        &[
            "rules",
            "--impact",
            "eu-us-dpf",
            "--assume-invalid",
            "eu-us-dpf",
        ],
    );
    assert_eq!(twice.status.code(), Some(2), "{}", stdout(&twice));
    // A graph fragment has no place to say it is hypothetical: `merge` would take it as real.
    let fragment = borderline(
        &fixture,
        &["graph", "--format", "json", "--assume-invalid", "eu-us-dpf"],
    );
    assert_eq!(fragment.status.code(), Some(2));
    assert!(
        stderr(&fragment).contains("borderline merge"),
        "{}",
        stderr(&fragment)
    );
    // Nor has a baseline: a hypothetical finding written as known would hide the real one later.
    let out = tempfile::tempdir().unwrap();
    let baseline = out.path().join("baseline.json");
    let written = borderline(
        &fixture,
        &[
            "scan",
            "--assume-invalid",
            "eu-us-dpf",
            "--write-baseline",
            baseline.to_str().unwrap(),
        ],
    );
    assert_eq!(written.status.code(), Some(2), "{}", stdout(&written));
    assert!(
        stderr(&written).contains("--write-baseline") && !baseline.exists(),
        "{}",
        stderr(&written)
    );
    // Repository options belong to --impact.
    let alone = borderline(&fixture, &["rules", "--assume-invalid", "eu-us-dpf"]);
    assert_eq!(alone.status.code(), Some(2));
    assert!(stderr(&alone).contains("--impact"), "{}", stderr(&alone));
}

#[test]
fn rules_lists_decision_ids_and_the_pending_appeal() {
    let output = borderline(&fixture(), &["rules", "--date", FIXTURE_DATE]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let dpf = text
        .lines()
        .position(|l| l.trim_start().starts_with("eu-us-dpf "))
        .unwrap_or_else(|| panic!("{text}"));
    let next = text.lines().nth(dpf + 1).unwrap();
    assert!(
        next.contains("appeal C-703/25 P before the Court of Justice of the European Union, lodged 2025-10-31: pending, checked 2026-11-30"),
        "{next}"
    );
    let listing = json(&stdout(&borderline(
        &fixture(),
        &["rules", "--format", "json", "--date", FIXTURE_DATE],
    )));
    let decision = listing["adequacy"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "eu-us-dpf")
        .unwrap();
    assert_eq!(decision["pending"][0]["lodged"], "2025-10-31");
    // `explain` of a transfer relying on it names the appeal.
    let explain = borderline(
        &fixture(),
        &["explain", "orders", "segment", "--date", FIXTURE_DATE],
    );
    assert!(
        stdout(&explain).contains("relies on eu-us-dpf (Implementing Decision (EU) 2023/1795")
            && stdout(&explain).contains("appeal C-703/25 P pending, checked 2026-11-30"),
        "{}",
        stdout(&explain)
    );
}

#[test]
fn a_malformed_pending_case_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "rules/adequacy.toml",
        r#"[meta]
title = "test"
version = "1"
as_of = 2026-11-30
source = "test"

[[decision]]
id = "eu-us-dpf"
jurisdiction = "US"
instrument = "Implementing Decision (EU) 2023/1795"
legal_basis = "gdpr_art45"
adopted = 2023-07-10
scope = "DPF-certified recipients."

[[decision.pending]]
case = "C-703/25 P"
kind = "appeal"
court = "Court of Justice"
lodged = 2022-10-31
checked = 2026-11-30
"#,
    );
    let output = borderline(dir.path(), &["rules", "--rules", "rules"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "adequacy.toml:19:10: lodged 2022-10-31 is before the decision was adopted (2023-07-10)"
        ),
        "{}",
        stderr(&output)
    );
}
