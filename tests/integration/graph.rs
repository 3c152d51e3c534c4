//! The data map: DOT and Mermaid snapshots of the sample, hostile labels, focus, SVG via `dot`.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, stderr, stdout};

fn graph(format: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["graph", ".", "--format", format, "--date", FIXTURE_DATE];
    args.extend_from_slice(extra);
    borderline(&fixtures_dir().join("outputs-sample"), &args)
}

#[test]
fn dot_of_the_sample() {
    let output = graph("dot", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("graph_sample_dot", stdout(&output));
}

#[test]
fn mermaid_of_the_sample() {
    let output = graph("mermaid", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("graph_sample_mermaid", stdout(&output));
}

#[test]
fn json_has_stable_ids_and_findings_per_flow() {
    let output = graph("json", &[]);
    let view: serde_json::Value =
        serde_json::from_str(&stdout(&output)).unwrap_or_else(|e| panic!("{e}"));
    let flows = view["flows"].as_array().cloned().unwrap_or_default();
    let flagged: Vec<_> = flows
        .iter()
        .filter(|f| f["transfer"] == "finding")
        .collect();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["id"], "checkout->acme-analytics");
    assert_eq!(flagged[0]["findings"][0]["rule"], "adequacy-scope-not-met");
    let node = view["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["id"] == "deskforce").cloned());
    assert_eq!(
        node.map(|n| n["jurisdiction"].clone()),
        Some(serde_json::Value::from("third-country"))
    );
}

#[test]
fn focus_keeps_one_node_and_its_neighbours() {
    let output = graph("mermaid", &["--focus", "deskforce"]);
    let text = stdout(&output);
    assert!(text.contains("deskforce") && text.contains("checkout"));
    assert!(!text.contains("sakura-translate"), "{text}");
    let unknown = graph("dot", &["--focus", "deskforse"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean `deskforce`?"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn hostile_labels_stay_inert() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[[node]]\nid = \"a\\\"] -> x [color=red\"\nlabel = \"line\\nbreak <script>|`]\"\nlocation = \"DE\"\n\n[[node]]\nid = \"b\"\nlocation = \"US\"\n\n[[flow]]\nfrom = \"a\\\"] -> x [color=red\"\nto = \"b\"\ndata = [\"user.name\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dot = stdout(&borderline(
        dir.path(),
        &["graph", ".", "--format", "dot", "--date", FIXTURE_DATE],
    ));
    assert!(dot.contains(r#""a\"] -&gt; x [color=red""#), "{dot}");
    assert!(dot.contains("line break &lt;script&gt;|`]"), "{dot}");
    let parsed = graphviz_rust_parse_check(&dot);
    assert!(parsed, "DOT must parse: {dot}");
    let mermaid = stdout(&borderline(
        dir.path(),
        &["graph", ".", "--format", "mermaid", "--date", FIXTURE_DATE],
    ));
    assert!(
        !mermaid.contains("<script>") && mermaid.contains("#lt;script#gt;"),
        "{mermaid}"
    );
    assert!(mermaid.lines().all(|l| !l.contains("\"a\"")), "{mermaid}");
}

/// The DOT must survive Graphviz itself: `dot` is required (`.ci/run` installs graphviz), so a
/// machine without it fails here instead of falling back to a weaker check.
fn graphviz_rust_parse_check(dot: &str) -> bool {
    crate::support::require_dot();
    let output = std::process::Command::new("dot")
        .arg("-Tcanon")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(dot.as_bytes())?;
            }
            child.wait_with_output()
        });
    output.is_ok_and(|o| o.status.success())
}

#[test]
fn svg_renders_with_dot() {
    crate::support::require_dot();
    let output = graph("svg", &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Graphviz writes `-` as `&#45;` in SVG text.
    let svg = stdout(&output).replace("&#45;", "-");
    assert!(svg.contains("<svg") && svg.contains("acme-analytics"));
    assert!(
        svg.contains("adequacy-scope-not-met"),
        "the violating flow is labelled"
    );
}

#[test]
fn svg_without_dot_on_path_is_a_clear_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_borderline"))
        .args(["graph", ".", "--format", "svg", "--date", FIXTURE_DATE])
        .current_dir(fixtures_dir().join("outputs-sample"))
        .env("PATH", "/nonexistent")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`dot` was not found") && stderr(&output).contains("graphviz"),
        "{}",
        stderr(&output)
    );
}
