//! The vendor catalogue as a user meets it (hosts in configuration placed in the right country,
//! unverified placements said so) and the one meaning of an end date: on the day an adequacy
//! decision, an SCC version, a safeguard or a waiver expires it still applies; the next day it is
//! reported as expired; never neither.

use crate::support::{FIXTURE_DATE, borderline, findings, fixtures_dir, stdout};
use std::path::Path;

fn scan_json(dir: &Path, date: &str) -> serde_json::Value {
    let output = borderline(dir, &["scan", ".", "--date", date, "--format", "json"]);
    serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&output)))
}

fn node<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == id))
        .unwrap_or_else(|| panic!("no node `{id}` in {}", report["nodes"]))
}

fn flow<'a>(report: &'a serde_json::Value, from: &str, to: &str) -> &'a serde_json::Value {
    report["flows"]
        .as_array()
        .and_then(|flows| flows.iter().find(|f| f["from"] == from && f["to"] == to))
        .unwrap_or_else(|| panic!("no flow {from} -> {to} in {}", report["flows"]))
}

#[test]
fn vendor_hosts_in_configuration_are_placed_where_their_region_is() {
    let report = scan_json(&fixtures_dir().join("vendors-support-desk"), FIXTURE_DATE);
    for (id, countries) in [
        ("intercom-ie", "IE"),
        ("intercom-au", "AU"),
        ("twilio-au", "AU"),
        ("mixpanel-in", "IN"),
        ("segment-ie", "IE"),
        ("datadog-de", "DE"),
        ("datadog", "US"),
        ("sendgrid", "US"),
    ] {
        assert_eq!(node(&report, id)["countries"], countries, "{id}");
    }
    // SendGrid shares Twilio's legal entity and so its DPF certification: adequate.
    assert_eq!(flow(&report, "helpdesk", "sendgrid")["transfer"], "lawful");
    // The audit's false negative: Twilio AU1 was judged as US + DPF.
    let twilio = findings(&report, "transfer-without-safeguard");
    assert!(twilio.iter().any(|f| f["to"] == "twilio-au"), "{twilio:?}");
}

#[test]
fn a_verdict_on_a_vendor_placed_by_background_knowledge_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[[node]]\nid = \"web\"\nlocation = \"DE\"\npaths = [\"web\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("web")).unwrap();
    std::fs::write(
        dir.path().join("web/.env"),
        "HIBP_API=https://haveibeenpwned.com/api/v3\nTWILIO_API=https://api.dublin.ie1.twilio.com\n",
    )
    .unwrap();
    let report = scan_json(dir.path(), FIXTURE_DATE);
    let hibp = flow(&report, "web", "haveibeenpwned");
    let assumptions = hibp["assumptions"].to_string();
    assert!(
        assumptions.contains("unverified rule data") && assumptions.contains("confidence K"),
        "{hibp}"
    );
    // A confirmed placement (Twilio IE1, [C]) carries no such assumption.
    let twilio = flow(&report, "web", "twilio-ie");
    assert_eq!(twilio["assumptions"], serde_json::json!([]), "{twilio}");
}

/// The `expired-safeguard` findings of a manifest scanned on `date`.
fn expired_on(manifest: &str, date: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("borderline.toml"), manifest).unwrap();
    let report = scan_json(dir.path(), date);
    findings(&report, "expired-safeguard").len()
}

/// The findings other than `expired-safeguard` that say the transfer has no basis.
fn unlawful_on(manifest: &str, date: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("borderline.toml"), manifest).unwrap();
    let report = scan_json(dir.path(), date);
    findings(&report, "transfer-without-safeguard").len()
        + findings(&report, "expired-safeguard").len()
}

const HOME: &str = "[[node]]\nid = \"shop\"\nlocation = \"FR\"\n\n";

#[test]
fn an_adequacy_decision_applies_on_its_expiry_day_and_expires_the_day_after() {
    let manifest = format!(
        "{HOME}[[node]]\nid = \"fulfilment-uk\"\nkind = \"vendor\"\nlocation = \"GB\"\n\n[[flow]]\nfrom = \"shop\"\nto = \"fulfilment-uk\"\ndata = [\"user.contact.address\"]\n"
    );
    assert_eq!(expired_on(&manifest, "2031-12-26"), 0);
    // The day the decision "shall expire on": still adequate, and not "neither".
    assert_eq!(unlawful_on(&manifest, "2031-12-27"), 0);
    assert_eq!(expired_on(&manifest, "2031-12-28"), 1);
}

#[test]
fn a_safeguard_applies_on_its_expiry_day_and_expires_the_day_after() {
    let manifest = format!(
        "{HOME}[[node]]\nid = \"printer\"\nkind = \"vendor\"\nlocation = \"RS\"\n\n[[flow]]\nfrom = \"shop\"\nto = \"printer\"\ndata = [\"user.contact.address\"]\nsafeguard = {{ mechanism = \"scc\", version = \"2021/914\", module = 2, signed = 2022-01-10, expires = 2027-01-09, tia = \"tia/printer.md\" }}\n"
    );
    assert_eq!(unlawful_on(&manifest, "2027-01-08"), 0);
    assert_eq!(unlawful_on(&manifest, "2027-01-09"), 0);
    assert_eq!(expired_on(&manifest, "2027-01-10"), 1);
}

#[test]
fn an_scc_version_applies_on_its_last_day_and_expires_the_day_after() {
    // The 2010 clauses counted for contracts signed before 27 Sep 2021 up to 27 Dec 2022.
    let manifest = format!(
        "{HOME}[[node]]\nid = \"collector\"\nkind = \"vendor\"\nlocation = \"ZA\"\n\n[[flow]]\nfrom = \"shop\"\nto = \"collector\"\ndata = [\"user.financial\"]\nsafeguard = {{ mechanism = \"scc\", version = \"2010/87\", signed = 2019-05-01, tia = \"tia/collector.md\" }}\n"
    );
    assert_eq!(unlawful_on(&manifest, "2022-12-26"), 0);
    assert_eq!(unlawful_on(&manifest, "2022-12-27"), 0);
    assert_eq!(expired_on(&manifest, "2022-12-28"), 1);
}

#[test]
fn a_waiver_applies_on_its_expiry_day_and_expires_the_day_after() {
    let manifest = format!(
        "{HOME}[[node]]\nid = \"ledger\"\nkind = \"vendor\"\nlocation = \"AU\"\n\n[[flow]]\nfrom = \"shop\"\nto = \"ledger\"\ndata = [\"user.financial\"]\n\n[[waiver]]\nrule = \"transfer-without-safeguard\"\nfrom = \"shop\"\nto = \"ledger\"\nreason = \"PRIV-9 contract renewal\"\nexpires = 2027-06-30\n"
    );
    assert_eq!(unlawful_on(&manifest, "2027-06-29"), 0);
    assert_eq!(unlawful_on(&manifest, "2027-06-30"), 0);
    // The waiver is reported as expired and the finding it waived comes back.
    assert_eq!(expired_on(&manifest, "2027-07-01"), 1);
    assert_eq!(unlawful_on(&manifest, "2027-07-01"), 2);
}
