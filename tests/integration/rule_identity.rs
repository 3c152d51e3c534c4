//! Rules named by users: `explain RULE`, `[[waiver]] rule`, inline waivers and SARIF's rule table
//! all go through `borderline::rule::Rule`. These pin what a user sees when the name is wrong, and
//! that a result's rule index points at its own rule.

use crate::support::{borderline, fixtures_dir, stderr, stdout, workspace_root, write_file};

const ALL_RULES: &str = "transfer-without-safeguard, adequacy-scope-not-met, expired-safeguard, \
     unapproved-mechanism, special-category-transfer, missing-tia, \
     derogation-for-systematic-transfer, unknown-location, unresolved-reference, input-error, \
     unknown-data-category, unused-waiver, policy-changed, inferred-personal-data";

#[test]
fn explain_names_a_rule_exactly_and_lists_the_rules_otherwise() {
    let root = workspace_root();
    let unknown = borderline(&root, &["explain", "missing_tia"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(
        stderr(&unknown),
        format!("error: `missing_tia` is not a rule; the rules are: {ALL_RULES}\n")
    );
    // Names are not folded: the stable name is the only spelling.
    let capitals = borderline(&root, &["explain", "Missing-Tia"]);
    assert_eq!(capitals.status.code(), Some(2));
    // A flow typed unquoted (`checkout->x`) reaches borderline as `checkout-`.
    let flow = borderline(&root, &["explain", "checkout-"]);
    assert_eq!(
        stderr(&flow),
        format!(
            "error: `checkout-` is not a rule; the rules are: {ALL_RULES}; for a flow, write \
             `borderline explain checkout TO` (unquoted, the shell reads `->TO` as `-` and a \
             redirection to a file named TO)\n"
        )
    );
    // Space around a name is ignored; the page is the rule's own.
    let padded = borderline(&root, &["explain", " missing-tia "]);
    assert_eq!(padded.status.code(), Some(0));
    assert!(stdout(&padded).starts_with("# missing-tia\n"));
    assert!(stdout(&padded).ends_with("\n\nDefault severity: warning\n"));
}

#[test]
fn a_manifest_waiver_names_only_a_waivable_rule() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_file(
        dir.path(),
        "borderline.toml",
        "[[node]]\nid = \"api\"\nkind = \"service\"\nlocation = \"DE\"\n\n[[waiver]]\nrule = \"unused-waiver\"\nreason = \"test\"\nexpires = \"2027-01-01\"\n",
    );
    let output = borderline(dir.path(), &["scan", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: borderline.toml:7:8: `rule` = `unused-waiver` is not a rule borderline checks; \
         expected one of `transfer-without-safeguard`, `adequacy-scope-not-met`, \
         `expired-safeguard`, `unapproved-mechanism`, `special-category-transfer`, \
         `missing-tia`, `derogation-for-systematic-transfer`, `unknown-location`, \
         `unresolved-reference`, `input-error`, `unknown-data-category`\n\
         error: 1 problem in the manifest; nothing was scanned\n"
    );
}

#[test]
fn an_inline_waiver_names_only_a_waivable_rule() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_file(
        dir.path(),
        "borderline.toml",
        "[[node]]\nid = \"api\"\nkind = \"service\"\nlocation = \"DE\"\n",
    );
    write_file(
        dir.path(),
        "app.py",
        "x = 1\n# borderline: waive missing-tai reason=\"x\" expires=2027-01-01\ny = 2\n# borderline: waive unused-waiver reason=\"x\" expires=2027-01-01\nz = 3\n",
    );
    let output = borderline(
        dir.path(),
        &["scan", ".", "--format", "json", "--date", "2026-11-29"],
    );
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    let messages: Vec<_> = report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("findings"))
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} {}",
                f["rule"].as_str().unwrap_or_default(),
                f["location"]["line"],
                f["location"]["column"],
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            "input-error 2:21 malformed inline waiver: `missing-tai` is not a rule a waiver can \
             name; did you mean `missing-tia`?; it waives nothing",
            "input-error 4:21 malformed inline waiver: `unused-waiver` is not a rule a waiver can \
             name; it waives nothing",
        ]
    );
}

#[test]
fn every_sarif_result_indexes_its_own_rule() {
    let output = borderline(
        &fixtures_dir().join("demo"),
        &["scan", ".", "--format", "sarif", "--date", "2026-11-29"],
    );
    let log: serde_json::Value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("rules"));
    let ids: Vec<_> = rules.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(
        ids.iter().flatten().copied().collect::<Vec<_>>().join(", "),
        ALL_RULES
    );
    let results = run["results"]
        .as_array()
        .unwrap_or_else(|| panic!("results"));
    assert!(!results.is_empty());
    for result in results {
        let index = result["ruleIndex"]
            .as_u64()
            .unwrap_or_else(|| panic!("ruleIndex in {result}"));
        let index = usize::try_from(index).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules[index]["id"], result["ruleId"], "{result}");
    }
}
