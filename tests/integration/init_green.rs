//! `init` leads to green, the way a new user walks it: a repository without a manifest, `scan`,
//! `init`, each stanza of the starter manifest filled in mechanically (uncommented, every `"TODO"`
//! replaced by a valid value, the TIA it names written), and `scan` exits 0. The tutorial in
//! `docs/getting-started.md` is replayed from its own code blocks, so the page cannot rot.

use crate::support::{
    FIXTURE_DATE, borderline, copy_dir, fixtures_dir, stderr, stdout, write_file,
};
use std::path::Path;

/// A copy of `fixtures/<name>` in a temporary directory (`init` writes into the repository).
fn repository(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir().join(name), dir.path());
    dir
}

fn scan_exit(dir: &Path) -> (Option<i32>, String) {
    let output = borderline(dir, &["scan", ".", "--date", FIXTURE_DATE]);
    (
        output.status.code(),
        format!("{}{}", stdout(&output), stderr(&output)),
    )
}

/// The id of the stanza that starts at `lines[start]` (its `id = "..."` or `to = "..."` line).
fn stanza_id(lines: &[&str], start: usize) -> String {
    lines[start..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .find_map(|l| {
            let l = l.trim_start_matches("# ");
            l.strip_prefix("id = ").or_else(|| l.strip_prefix("to = "))
        })
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_default()
}

/// Fills the starter manifest as its header says: every stanza is uncommented (from `# [[` to
/// the blank line after it) and every `"TODO"` value replaced by a valid one; the TIA a stanza
/// names is written into the repository. With `leave_todos`, the stanzas are uncommented but the
/// TODO values stay: what a user who stops half way has.
fn fill(manifest: &str, root: &Path, leave_todos: bool) -> String {
    let lines: Vec<&str> = manifest.lines().collect();
    let mut out = String::new();
    let mut id = String::new();
    let mut in_stanza = false;
    for (index, line) in lines.iter().enumerate() {
        if line.starts_with("# [[node]]") || line.starts_with("# [[flow]]") {
            in_stanza = true;
            id = stanza_id(&lines, index);
        } else if line.trim().is_empty() {
            in_stanza = false;
        }
        if !in_stanza {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut line = line
            .strip_prefix("# ")
            .unwrap_or_else(|| panic!("a stanza line that is not commented with `# `: {line}"))
            .to_string();
        if !leave_todos {
            let tia = format!("docs/tia/{}.md", id.replace(['.', '@', '/'], "-"));
            for (placeholder, value) in [
                ("location = \"TODO\"", "location = \"DE\"".to_string()),
                (
                    "data = [\"TODO\"]",
                    "data = [\"user.contact.email\"]".to_string(),
                ),
                ("signed = \"TODO\"", "signed = \"2025-06-02\"".to_string()),
                ("tia = \"TODO\"", format!("tia = \"{tia}\"")),
            ] {
                if line.contains(placeholder) {
                    line = line.replace(placeholder, &value);
                    if placeholder.starts_with("tia") {
                        write_file(root, &tia, "# Transfer impact assessment\n");
                    }
                }
            }
            // What is left of TODO is only in the comment at the end of the line.
            let value = line.split("   #").next().unwrap_or_default();
            assert!(
                !value.contains("TODO"),
                "a placeholder this filler does not know: {line}"
            );
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The whole walk on one fixture: the first scan fails, `init` writes a valid manifest that
/// changes nothing, uncommented with its TODOs left it does not pass, filled it is green.
fn walk(name: &str) -> String {
    let dir = repository(name);
    let (first, report) = scan_exit(dir.path());
    assert_eq!(
        first,
        Some(1),
        "{name}: the first scan should fail:\n{report}"
    );
    let output = borderline(dir.path(), &["init", ".", "--date", FIXTURE_DATE]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let manifest = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap();
    // A fixed location is never offered for something whose location was not found.
    assert!(!manifest.contains("eu-central-1\"   #"), "{manifest}");
    let (as_written, report) = scan_exit(dir.path());
    assert_eq!(
        as_written,
        Some(1),
        "{name}: as written, the starter changes nothing:\n{report}\n{manifest}"
    );

    std::fs::write(
        dir.path().join("borderline.toml"),
        fill(&manifest, dir.path(), true),
    )
    .unwrap();
    let (half, report) = scan_exit(dir.path());
    assert_ne!(
        half,
        Some(0),
        "{name}: TODO values passed the gate:\n{report}"
    );

    let filled = fill(&manifest, dir.path(), false);
    std::fs::write(dir.path().join("borderline.toml"), &filled).unwrap();
    let (last, report) = scan_exit(dir.path());
    assert_eq!(
        last,
        Some(0),
        "{name}: filled, the starter is green:\n{report}\n{filled}"
    );
    manifest
}

/// The stanza of `id` in a starter manifest, from its TODO comment to the blank line.
fn stanza<'a>(manifest: &'a str, id: &str) -> &'a str {
    let key = format!("# id = \"{id}\"\n");
    let at = manifest
        .find(&key)
        .unwrap_or_else(|| panic!("no stanza for `{id}`:\n{manifest}"));
    let start = manifest[..at].rfind("\n\n").map_or(0, |i| i + 2);
    let end = manifest[at..]
        .find("\n\n")
        .map_or(manifest.len(), |i| at + i);
    &manifest[start..end]
}

#[test]
fn python_service_with_vendors_in_env_and_a_bucket_in_us_east_1() {
    let manifest = walk("init15-python-shop");
    // The vendor's stanza carries the location found, with where it was found, and the choice
    // between the DPF and SCCs; one stanza covers every flow to it.
    let sentry = stanza(&manifest, "sentry");
    assert!(sentry.contains("# kind = \"vendor\""), "{sentry}");
    assert!(
        sentry.contains("# # discovered location: \"US\" (api/.env:2)"),
        "{sentry}"
    );
    assert!(sentry.contains("certifications = [\"dpf\"]"), "{sentry}");
    // A store abroad: what to decide, the location found, and what it holds.
    let orders = stanza(&manifest, "aws_db_instance.orders");
    assert!(orders.contains("outside the EEA"), "{orders}");
    assert!(
        orders.contains("Decide: move it to an EEA region"),
        "{orders}"
    );
    assert!(
        orders.contains("# # discovered location: \"aws:ap-southeast-1\" (infra/main.tf:"),
        "{orders}"
    );
    assert!(orders.contains("# safeguard = {"), "{orders}");
}

#[test]
fn typescript_web_on_kubernetes_with_a_bucket_whose_region_is_a_variable() {
    let manifest = walk("init15-ts-web");
    let bucket = stanza(&manifest, "google_storage_bucket.product_images");
    assert!(bucket.contains("# location = \"TODO\""), "{bucket}");
    assert!(bucket.contains("var.region"), "{bucket}");
    let mixpanel = stanza(&manifest, "mixpanel");
    assert!(mixpanel.contains("web/src/analytics.ts:3"), "{mixpanel}");
}

#[test]
fn go_mailer_with_compose_and_stores_in_azure_east_us_and_mumbai() {
    let manifest = walk("init15-go-mailer");
    let log = stanza(&manifest, "aws_db_instance.mail_log");
    assert!(
        log.contains("# # discovered location: \"aws:ap-south-1\" (infra/aws.tf:"),
        "{log}"
    );
    let redis = stanza(&manifest, "redis");
    assert!(redis.contains("# location = \"TODO\""), "{redis}");
}

/// A fenced block of the tutorial: its info string (```` ```toml title="borderline.toml" ````)
/// and its lines.
struct Block {
    info: String,
    lines: Vec<String>,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for line in markdown.lines() {
        match (line.strip_prefix("```"), current.take()) {
            (Some(_), Some(block)) => out.push(block),
            (Some(info), None) => {
                current = Some(Block {
                    info: info.to_string(),
                    lines: Vec::new(),
                })
            }
            (None, Some(mut block)) => {
                block.lines.push(line.to_string());
                current = Some(block);
            }
            (None, None) => {}
        }
    }
    out
}

fn title(info: &str) -> Option<&str> {
    info.split_once("title=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(title, _)| title)
}

/// Replaces the commented stanza of the same `id` in the starter manifest by `stanza`: the edit
/// the tutorial names is the stanza `init` wrote, uncommented and filled in.
fn apply_stanza(manifest: &str, stanza: &[String]) -> String {
    let id = stanza
        .iter()
        .find_map(|l| l.strip_prefix("id = "))
        .unwrap_or_else(|| panic!("a tutorial stanza without `id`: {stanza:?}"));
    let key = format!("# id = {id}\n");
    let at = manifest
        .find(&key)
        .unwrap_or_else(|| panic!("`init` wrote no stanza for {id}:\n{manifest}"));
    let start = manifest[..at]
        .rfind("# [[node]]\n")
        .unwrap_or_else(|| panic!("no `# [[node]]` above {id}"));
    let end = manifest[at..]
        .find("\n\n")
        .map_or(manifest.len(), |i| at + i);
    format!(
        "{}{}{}",
        &manifest[..start],
        stanza.join("\n"),
        &manifest[end..]
    )
}

/// Runs a console block: each `$ borderline ...` line (with the fixed evaluation date added, so
/// the verdicts do not drift), each quoted output line found in the output (`...` lines skipped,
/// a line ending in ` ...` matched as a prefix), `$ echo $?` then the exit code.
fn replay(dir: &Path, block: &Block) {
    let mut last: Option<(Option<i32>, String)> = None;
    let mut lines = block.lines.iter().peekable();
    while let Some(line) = lines.next() {
        if line == "$ echo $?" {
            let code = lines.next().map(|l| l.trim().parse::<i32>().ok());
            let (status, output) = last.clone().unwrap_or_default();
            assert_eq!(
                status,
                code.flatten(),
                "exit code of the command before:\n{output}"
            );
        } else if let Some(command) = line.strip_prefix("$ ") {
            let mut args: Vec<&str> = command.split_whitespace().collect();
            assert_eq!(args.first(), Some(&"borderline"), "{command}");
            args.remove(0);
            args.extend(["--date", FIXTURE_DATE]);
            let output = borderline(dir, &args);
            last = Some((
                output.status.code(),
                format!("{}{}", stdout(&output), stderr(&output)),
            ));
        } else if line.trim() != "..." {
            let (_, output) = last.clone().unwrap_or_default();
            let quoted = line.trim();
            let found = match quoted.strip_suffix(" ...") {
                Some(prefix) => output.lines().any(|l| l.trim().starts_with(prefix)),
                None => output.lines().any(|l| l.trim() == quoted),
            };
            assert!(
                found,
                "the tutorial quotes `{quoted}`, the output is:\n{output}"
            );
        }
    }
}

#[test]
fn the_getting_started_tutorial_replays() {
    let doc =
        std::fs::read_to_string(crate::support::workspace_root().join("docs/getting-started.md"))
            .unwrap();
    let dir = repository("init15-tutorial");
    let mut replayed = 0;
    for block in blocks(&doc) {
        if block.info == "console" {
            replay(dir.path(), &block);
            replayed += 1;
        } else if let Some(path) = title(&block.info) {
            if path == "borderline.toml" {
                let file = dir.path().join(path);
                let manifest = std::fs::read_to_string(&file).unwrap();
                std::fs::write(&file, apply_stanza(&manifest, &block.lines)).unwrap();
            } else {
                write_file(dir.path(), path, &(block.lines.join("\n") + "\n"));
            }
            replayed += 1;
        }
    }
    assert_eq!(
        replayed, 9,
        "the tutorial's blocks changed: update this count"
    );
    // The tutorial names an edit for every stanza `init` wrote: none is left commented.
    let manifest = std::fs::read_to_string(dir.path().join("borderline.toml")).unwrap();
    assert!(!manifest.lines().any(|l| l == "# [[node]]"), "{manifest}");
}

/// The `help:` of the first finding of `rule` in a JSON report.
fn help_of(report: &serde_json::Value, rule: &str) -> String {
    crate::support::findings(report, rule)
        .first()
        .and_then(|f| f["help"].as_str())
        .unwrap_or_else(|| panic!("no `{rule}` finding with a help in {report:#}"))
        .to_string()
}

/// The backticked pieces of a help line that start with `prefix`.
fn quoted<'a>(help: &'a str, prefix: &str) -> Vec<&'a str> {
    help.split('`')
        .skip(1)
        .step_by(2)
        .filter(|piece| piece.starts_with(prefix))
        .collect()
}

#[test]
fn help_lines_name_the_stanza_that_fixes_the_finding_and_it_can_be_pasted() {
    let dir = repository("init15-python-shop");
    let json = |args: &[&str]| -> serde_json::Value {
        let output = borderline(dir.path(), args);
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&output)))
    };
    let report = json(&["scan", ".", "--format", "json", "--date", FIXTURE_DATE]);
    // A vendor reached by a flow: the node-level stanza (every flow to it) and the flow-level one
    // (this flow only), with the real ids, and the DPF route for a US recipient.
    let vendor = help_of(&report, "adequacy-scope-not-met");
    for piece in [
        "`[[node]] id = \"sentry\"` with `certifications = [\"dpf\"]`",
        "`[[node]] id = \"sentry\"` with `safeguard = { mechanism = \"scc\", version = \"2021/914\", module = 2, signed = \"YYYY-MM-DD\", tia = \"PATH\" }` (covers every flow to `sentry`)",
        "`[[flow]] from = \"api\" to = \"sentry\"` with that `safeguard` (this flow only)",
    ] {
        assert!(vendor.contains(piece), "`{piece}` not in: {vendor}");
    }
    // Data at rest has no flow: only the store's own stanza.
    let store = help_of(&report, "transfer-without-safeguard");
    assert!(
        store.contains("`[[node]] id = \"aws_db_instance.orders\"` with `safeguard = {"),
        "{store}"
    );
    assert!(!store.contains("[[flow]]"), "{store}");

    // The same help in the text report (one line) and in SARIF (the result's properties).
    let text = stdout(&borderline(
        dir.path(),
        &["scan", ".", "--date", FIXTURE_DATE],
    ));
    assert!(
        text.lines().any(|l| l == format!("help: {vendor}")),
        "{text}"
    );
    let sarif = json(&["scan", ".", "--format", "sarif", "--date", FIXTURE_DATE]);
    let helps: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["properties"]["help"].as_str())
        .collect();
    assert!(helps.contains(&vendor.as_str()), "{helps:?}");
    assert!(helps.contains(&store.as_str()), "{helps:?}");

    // Pasted as the help says it (the date and the TIA path filled in), the stanzas clear both.
    let mut manifest = String::new();
    for help in [&vendor, &store] {
        let node = quoted(help, "[[node]] id = ")[0];
        let safeguard = quoted(help, "safeguard = {")[0]
            .replace("YYYY-MM-DD", "2025-06-02")
            .replace("PATH", "docs/tia/vendor.md");
        manifest.push_str(&format!("{}\n{safeguard}\n\n", node.replace("]] ", "]]\n")));
    }
    write_file(
        dir.path(),
        "docs/tia/vendor.md",
        "# Transfer impact assessment\n",
    );
    write_file(dir.path(), "borderline.toml", &manifest);
    let report = json(&["scan", ".", "--format", "json", "--date", FIXTURE_DATE]);
    for rule in ["adequacy-scope-not-met", "transfer-without-safeguard"] {
        assert!(
            crate::support::findings(&report, rule).is_empty(),
            "{rule} after pasting:\n{manifest}\n{report:#}"
        );
    }

    // A receiver of unknown location: its `[[node]]` with `location`.
    let dir = repository("init15-go-mailer");
    let output = borderline(
        dir.path(),
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let unplaced = help_of(&report, "unknown-location");
    assert!(
        unplaced.contains("`[[node]] id = \"redis\"` with `location = \"aws:eu-central-1\"`"),
        "{unplaced}"
    );
}
