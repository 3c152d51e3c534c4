//! The output commands end to end: Markdown comment, transfer register, explain FROM->TO, and
//! byte-identical output across runs and `--jobs`.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};

fn run(args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--date", FIXTURE_DATE]);
    borderline(&fixtures_dir().join("outputs-sample"), &all)
}

#[test]
fn markdown_comment_of_the_sample() {
    let output = run(&["scan", ".", "--format", "markdown"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("markdown_sample", stdout(&output));
}

#[test]
fn register_lists_every_transfer_and_defuses_formulas() {
    let output = run(&["ropa", ".", "--format", "csv"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let csv = stdout(&output);
    insta::assert_snapshot!("ropa_sample_csv", csv);
    assert_eq!(csv.lines().count(), 5, "header and four transfers");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"support\"\")\""),
        "{csv}"
    );
    let json = stdout(&run(&["ropa", ".", "--format", "json"]));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed["transfers"].as_array().map(Vec::len), Some(4));
    let markdown = stdout(&run(&["ropa", ".", "--format", "markdown"]));
    assert!(
        markdown.contains("| checkout | deskforce | deskforce | IN |"),
        "{markdown}"
    );
}

#[test]
fn explain_a_flow_names_the_rule_and_the_remedy() {
    let output = run(&["explain", "checkout->acme-analytics"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("acme-analytics [vendor] in US"), "{text}");
    assert!(text.contains("2023/1795"), "{text}");
    assert!(text.contains("adequacy-scope-not-met [error]"), "{text}");
    assert!(text.contains("add SCC 2021/914"), "{text}");
    let unknown = run(&["explain", "checkout->acme-analytcs"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean `acme-analytics`?"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn outputs_are_byte_identical_across_runs_and_jobs() {
    for args in [
        &["scan", ".", "--format", "sarif"][..],
        &["scan", ".", "--format", "markdown"],
        &["graph", ".", "--format", "dot"],
        &["graph", ".", "--format", "json"],
        &["ropa", ".", "--format", "csv"],
    ] {
        let mut one = args.to_vec();
        one.extend_from_slice(&["--jobs", "1"]);
        let mut four = args.to_vec();
        four.extend_from_slice(&["--jobs", "4"]);
        let first = run(&one);
        let second = run(&four);
        assert_eq!(first.stdout, second.stdout, "{args:?} differs between runs");
    }
}

fn write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[test]
fn merge_joins_fragments_and_evaluates_flows_across_repositories() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for repo in [&a, &b] {
        std::fs::create_dir(repo).unwrap_or_else(|e| panic!("{e}"));
    }
    // Repository A sends to a store it cannot locate; repository B says the store is in Mumbai.
    write(
        &a.join("borderline.toml"),
        "[project]\nname = \"shop\"\n[[node]]\nid = \"checkout\"\nlocation = \"aws:eu-west-1\"\n[[node]]\nid = \"reports-db\"\nkind = \"store\"\n[[flow]]\nfrom = \"checkout\"\nto = \"reports-db\"\ndata = [\"user.contact.email\"]\n",
    );
    write(
        &b.join("borderline.toml"),
        "[project]\nname = \"reporting\"\n[[node]]\nid = \"reports-db\"\nkind = \"store\"\nlocation = \"aws:ap-south-1\"\n[[node]]\nid = \"checkout\"\nlocation = \"US\"\n",
    );
    for (repo, name) in [(&a, "a.json"), (&b, "b.json")] {
        let out = dir.path().join(name);
        let output = borderline(
            repo,
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
    }
    let merged = borderline(
        dir.path(),
        &[
            "merge",
            "a.json",
            "b.json",
            "--format",
            "graph",
            "--date",
            FIXTURE_DATE,
        ],
    );
    // The map is drawn whatever its findings: only the findings formats gate.
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    assert!(
        stderr(&merged)
            .contains("node `checkout`: location `aws:eu-west-1` vs `US` (a.json vs b.json)"),
        "{}",
        stderr(&merged)
    );
    let view: serde_json::Value =
        serde_json::from_str(&stdout(&merged)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(view["flows"][0]["id"], "checkout->reports-db");
    assert_eq!(
        view["flows"][0]["findings"][0]["rule"],
        "transfer-without-safeguard"
    );
    write(&dir.path().join("bad.json"), "{}");
    let bad = borderline(dir.path(), &["merge", "a.json", "bad.json"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("bad.json: not a borderline graph fragment"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn init_writes_a_starter_manifest_and_never_overwrites() {
    let refused = run(&["init", "."]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("already exists; not overwriting it"),
        "{}",
        stderr(&refused)
    );

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let partial = dir.path().join("partial.toml");
    let sample = std::fs::read_to_string(fixtures_dir().join("outputs-sample/borderline.toml"))
        .unwrap_or_default();
    write(&partial, &sample);
    let output = borderline(
        dir.path(),
        &[
            "init",
            ".",
            "--config",
            &partial.to_string_lossy(),
            "--date",
            FIXTURE_DATE,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let starter = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap_or_default();
    assert!(
        starter.contains("# TODO: where is `legacy-crm`?"),
        "{starter}"
    );
    assert!(
        starter.contains("# TODO: `acme-analytics` receives personal data in US"),
        "{starter}"
    );
    // The starter is a valid manifest as written.
    let scanned = borderline(dir.path(), &["scan", ".", "--date", FIXTURE_DATE]);
    assert_eq!(scanned.status.code(), Some(0), "{}", stderr(&scanned));
}
