//! Hostile repositories against the machine-read and drawn outputs: SARIF messages and URIs, DOT
//! rendered to SVG (well-formed XML), Mermaid, JSON string values, `dot` found only in absolute
//! PATH entries, random maps that Graphviz 2.43 must lay out, graph outputs linear in flows, and
//! `merge` reading its fragment files safely.

use crate::support::{
    FIXTURE_DATE, assert_finished_within_bounds, borderline, borderline_bounded, stderr, stdout,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Node ids that break a naive renderer of some format: a forged SARIF link, XML entities (one
/// bogus, one numeric for a character XML forbids), markup, a CDATA end, DOT escapes, quotes,
/// a Mermaid directive and click callback, Mermaid's own entity placeholders, bidi overrides, a C1
/// control (CSI), DEL, a line separator and a character XML cannot hold.
const HOSTILE_IDS: [&str; 12] = [
    "x](1)",
    "&bogus;",
    "&#1;&amp;<b>bold</b>",
    "]]>\\N\\G\\l\"q\"'",
    "%%{init: {\"securityLevel\": \"loose\"}}%%",
    "a\"];click n0 call alert(1);%%",
    "ﬂ°°60¶ß img src=x",
    "rtl\u{202E}gnp.exe\u{2066}",
    "c1\u{9B}31m del\u{7F}",
    "line\u{2028}sep\u{2029}para",
    "nonchar\u{FFFF}\u{FFFE}",
    "new\nline\r\ttab\u{1b}[31m",
];

/// A TOML basic string holding `text` exactly.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A manifest in which every hostile id is a vendor in a third country that `web` (in Germany)
/// sends names to without a safeguard, and the first forwards them onward to the second (a finding
/// with a code flow of two hops).
fn hostile_manifest() -> String {
    let mut manifest = String::from(
        "[project]\nname = \"hostile\"\nhome = \"EEA\"\n\n[[node]]\nid = \"web\"\nlocation = \"DE\"\n\n",
    );
    for id in HOSTILE_IDS {
        manifest.push_str(&format!(
            "[[node]]\nid = {}\nkind = \"vendor\"\nlocation = \"CN\"\n\n[[flow]]\nfrom = \"web\"\nto = {}\ndata = [\"user.name\"]\npurpose = {}\n\n",
            toml_string(id),
            toml_string(id),
            toml_string(id)
        ));
    }
    manifest.push_str(&format!(
        "[[flow]]\nfrom = {}\nto = {}\ndata = [\"user.name\"]\n",
        toml_string(HOSTILE_IDS[0]),
        toml_string(HOSTILE_IDS[1])
    ));
    manifest
}

fn hostile_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("borderline.toml"), hostile_manifest()).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--date", FIXTURE_DATE]);
    borderline(dir, &all)
}

/// The message texts of a SARIF log: results, related locations, code flows and their steps.
fn sarif_messages(log: &Value) -> Vec<String> {
    let mut texts = Vec::new();
    let mut stack = vec![log];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(text) = map
                    .get("message")
                    .and_then(|m| m.get("text"))
                    .and_then(Value::as_str)
                {
                    texts.push(text.to_string());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    texts
}

/// True when every `[` and `]` of `text` is escaped by a backslash that is not itself escaped.
fn brackets_are_escaped(text: &str) -> bool {
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' | ']' => return false,
            _ => {}
        }
    }
    true
}

#[test]
fn sarif_messages_cannot_forge_related_location_links() {
    let dir = hostile_repository();
    let output = run(dir.path(), &["scan", ".", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let log: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let errors = crate::sarif::schema_errors(&log);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    let messages = sarif_messages(&log);
    assert!(
        messages.iter().any(|m| m.contains("x\\](1)")),
        "the id is still shown, escaped: {messages:#?}"
    );
    for message in &messages {
        assert!(
            brackets_are_escaped(message),
            "unescaped bracket in {message:?}"
        );
    }
}

/// Decodes `%XX` escapes once, as a consumer that turns a URI into a file path does.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn sarif_uris_are_encoded_and_never_leave_the_root_once_decoded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[project]\nname = \"x\"\nhome = \"EEA\"\n\n[[node]]\nid = \"web\"\nlocation = \"DE\"\n\n[[node]]\nid = \"crm\"\nkind = \"vendor\"\nlocation = \"CN\"\n",
    )
    .unwrap();
    let tag = "# borderline: flow from=web to=crm data=user.name purpose=support\n";
    let climbing = "..\\..\\attacker\\evil\\app.py";
    let awkward = "a b%#?.py";
    std::fs::write(dir.path().join(climbing), tag).unwrap();
    std::fs::write(dir.path().join(awkward), tag).unwrap();
    let output = run(dir.path(), &["scan", ".", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    let log: Value = serde_json::from_str(&text).unwrap();
    assert!(crate::sarif::schema_errors(&log).is_empty());
    let mut uris = Vec::new();
    let mut stack = vec![&log];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                if let Some(uri) = map.get("uri").and_then(Value::as_str) {
                    uris.push(uri.to_string());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    assert!(
        uris.contains(&"a%20b%25%23%3F.py".to_string()),
        "a space, %, # and ? are percent-encoded: {uris:?}"
    );
    assert!(uris.len() >= 4, "{uris:?}");
    for uri in &uris {
        assert!(
            !uri.contains([' ', '#', '?', '\\']),
            "not a URI reference: {uri}"
        );
        let decoded = percent_decode(uri);
        let leaves = decoded.starts_with(['/', '\\'])
            || decoded
                .split(['/', '\\'])
                .any(|segment| segment == ".." || segment == ".");
        assert!(!leaves, "{uri} decodes to {decoded}, outside the root");
    }
}

/// The `dot` program in PATH's absolute directories, as borderline looks for it.
fn graphviz_dot() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join("dot"))
        .find(|p| p.is_file())
}

/// Graphviz's SVG names its DTD (`<!DOCTYPE svg PUBLIC ...>`), which roxmltree accepts on request.
fn parse_svg(svg: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(svg, options)
}

fn assert_well_formed_xml(svg: &str, what: &str) {
    if let Err(error) = parse_svg(svg) {
        panic!("{what}: the SVG is not well-formed XML: {error}\n{svg}");
    }
}

#[test]
fn svg_of_hostile_ids_is_well_formed_xml() {
    let dir = hostile_repository();
    // `dot` is required: a machine without it fails here rather than skipping the rendering.
    crate::support::require_dot();
    if graphviz_dot().is_some() {
        let output = run(dir.path(), &["graph", ".", "--format", "svg"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let svg = stdout(&output);
        assert_well_formed_xml(&svg, "hostile ids");
        let document = parse_svg(&svg).unwrap();
        let texts: String = document
            .descendants()
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            texts.contains("&bogus;"),
            "the id is drawn as written: {texts}"
        );
        assert!(
            texts.contains("<b>bold</b>"),
            "markup is drawn as text: {texts}"
        );
    } else {
        eprintln!("note: Graphviz `dot` is not installed; the SVG of hostile ids was not rendered");
    }
    let dot = run(dir.path(), &["graph", ".", "--format", "dot"]);
    assert_eq!(dot.status.code(), Some(0), "{}", stderr(&dot));
    let dot = stdout(&dot);
    assert!(dot.contains("&amp;bogus;"), "{dot}");
    assert!(
        !dot.contains(['\u{202E}', '\u{2066}', '\u{2028}', '\u{FFFF}', '\u{9B}']),
        "bidi controls, separators and non-characters are neutralised: {dot}"
    );
    assert!(
        graphviz_rust::parse(&dot).is_ok(),
        "DOT does not parse: {dot}"
    );
}

#[test]
fn mermaid_labels_cannot_inject_directives_callbacks_or_markup() {
    let dir = hostile_repository();
    let output = run(dir.path(), &["graph", ".", "--format", "mermaid"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mermaid = stdout(&output);
    // Repository text is only ever inside labels (`"..."`); `<br/>` is borderline's own line break.
    let repository_text: String = mermaid
        .lines()
        .flat_map(|line| line.split('"').skip(1).step_by(2))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("<br/>", "\n");
    for forbidden in [
        "%%", "<", ">", "ﬂ°", "¶ß", "\u{202E}", "\u{2066}", "\u{2028}", "\u{9B}",
    ] {
        assert!(
            !repository_text.contains(forbidden),
            "{forbidden:?} reached the Mermaid text:\n{mermaid}"
        );
    }
    for line in mermaid.lines() {
        let statement = line.trim_start();
        assert!(
            !statement.starts_with("click") && !statement.starts_with("%%"),
            "a statement from the repository: {line}"
        );
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        // Labels are the only quoted text and hold no brackets or braces that would end them.
        for (index, part) in line.split('"').enumerate() {
            if index % 2 == 1 {
                assert!(!part.contains(['[', ']', '{', '}', '|', '`']), "{line}");
            }
        }
    }
    assert!(
        mermaid.contains("click n0 call alert(1);"),
        "kept as text: {mermaid}"
    );
}

#[test]
fn json_string_values_are_exact_and_printable() {
    let dir = hostile_repository();
    for args in [
        &["graph", ".", "--format", "json"][..],
        &["scan", ".", "--format", "json"][..],
        &["scan", ".", "--format", "sarif"][..],
    ] {
        let output = run(dir.path(), args);
        let text = stdout(&output);
        for c in [
            '\u{202E}', '\u{2066}', '\u{9B}', '\u{7F}', '\u{2028}', '\u{2029}', '\u{1b}',
        ] {
            assert!(
                !text.contains(c),
                "{args:?}: {c:?} is written raw instead of as a \\u escape"
            );
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        let all = value.to_string();
        for id in ["rtl\u{202E}gnp.exe\u{2066}", "c1\u{9B}31m del\u{7F}"] {
            let encoded = serde_json::to_string(id).unwrap();
            assert!(
                all.contains(&encoded[1..encoded.len() - 1]),
                "{args:?}: the exact value {id:?} is kept"
            );
        }
    }
}

#[test]
fn dot_is_never_run_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("borderline.toml"),
        "[[node]]\nid = \"web\"\nlocation = \"DE\"\n",
    )
    .unwrap();
    let marker = dir.path().join("PWNED");
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    for fake in [dir.path().join("dot"), dir.path().join("bin/dot")] {
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\ntouch '{}'\necho '<svg>fake</svg>'\n",
                marker.display()
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let real = std::env::var("PATH").unwrap_or_default();
    for path in [
        format!(".:{real}"),
        format!(":{real}"),
        format!("bin:{real}"),
        ".".to_string(),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_borderline"))
            .args(["graph", ".", "--format", "svg", "--date", FIXTURE_DATE])
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(
            !marker.exists(),
            "PATH={path}: the repository's own `dot` was run"
        );
        let found = std::env::split_paths(&path)
            .filter(|d| d.is_absolute())
            .any(|d| d.join("dot").is_file());
        if found {
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            assert!(stdout(&output).contains("<svg"), "{}", stdout(&output));
        } else {
            assert_eq!(output.status.code(), Some(2), "PATH={path}");
            assert!(
                stderr(&output).contains("apt-get install graphviz"),
                "{}",
                stderr(&output)
            );
        }
    }
}

/// A small deterministic generator (xorshift), so that the random maps are the same every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A random map: nodes of every kind in the EEA, adequate and third countries and unknown places,
/// flows between random pairs (some repeated, some both ways).
fn random_manifest(random: &mut Random) -> String {
    const LOCATIONS: [&str; 15] = [
        "DE",
        "FR",
        "IE",
        "EEA",
        "aws:eu-west-1",
        "CH",
        "JP",
        "GB",
        "US",
        "aws:us-east-1",
        "IN",
        "CN",
        "BR",
        "aws:mars-north-1",
        "none",
    ];
    const KINDS: [&str; 4] = ["service", "store", "vendor", "client"];
    const DATA: [&str; 4] = [
        "user.name",
        "user.contact.email",
        "user.device.cookie_id",
        "user.behavior",
    ];
    let nodes = 3 + random.below(14);
    let mut manifest = String::from("[project]\nname = \"random\"\nhome = \"EEA\"\n\n");
    for index in 0..nodes {
        manifest.push_str(&format!(
            "[[node]]\nid = \"node-{index}\"\nkind = \"{}\"\n",
            random.pick(&KINDS)
        ));
        match random.pick(&LOCATIONS) {
            "none" => manifest.push('\n'),
            location => manifest.push_str(&format!("location = \"{location}\"\n\n")),
        }
    }
    for _ in 0..(2 + random.below(nodes * 3)) {
        let from = random.below(nodes);
        let mut to = random.below(nodes);
        if to == from {
            to = (to + 1) % nodes;
        }
        manifest.push_str(&format!(
            "[[flow]]\nfrom = \"node-{from}\"\nto = \"node-{to}\"\ndata = [\"{}\", \"{}\"]\n\n",
            random.pick(&DATA),
            random.pick(&DATA)
        ));
    }
    manifest
}

#[test]
fn random_maps_render_with_the_graphviz_debian_ships() {
    // `dot` is required: a machine without it fails here rather than passing unrendered.
    crate::support::require_dot();
    let mut random = Random(0x5eed_b0d3_71e5_u64);
    let mut failures = Vec::new();
    for map in 0..150 {
        let dir = tempfile::tempdir().unwrap();
        let manifest = random_manifest(&mut random);
        std::fs::write(dir.path().join("borderline.toml"), &manifest).unwrap();
        let output = run(dir.path(), &["graph", ".", "--format", "svg"]);
        if output.status.code() != Some(0) {
            failures.push(format!("map {map}: {}\n{manifest}", stderr(&output)));
            continue;
        }
        assert_well_formed_xml(&stdout(&output), &format!("map {map}"));
    }
    assert!(
        failures.is_empty(),
        "{} of 150 random maps failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// 40,000 flows, each with a finding, between nodes whose ids share a long prefix (so that every
/// comparison of a search through all flows costs what it would in a real monorepo).
fn many_flows_manifest() -> String {
    let prefix = "a-service-with-a-rather-long-common-prefix-for-its-identifier-".repeat(2);
    let mut manifest = String::from("[project]\nname = \"big\"\nhome = \"EEA\"\n\n");
    for index in 0..100 {
        manifest.push_str(&format!(
            "[[node]]\nid = \"{prefix}src{index:04}\"\nlocation = \"DE\"\n\n"
        ));
    }
    let third = ["US", "BR", "IN", "CN"];
    for index in 0..100 {
        manifest.push_str(&format!(
            "[[node]]\nid = \"{prefix}dst{index:04}\"\nlocation = \"{}\"\n\n",
            third[index % 4]
        ));
    }
    for index in 0..40_000 {
        manifest.push_str(&format!(
            "[[flow]]\nfrom = \"{prefix}src{:04}\"\nto = \"{prefix}dst{:04}\"\ndata = [\"user.name\"]\npurpose = \"p{index}\"\n\n",
            index % 100,
            (index * 7 + index / 100) % 100
        ));
    }
    manifest
}

#[test]
fn graph_outputs_stay_linear_in_flows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("borderline.toml"), many_flows_manifest()).unwrap();
    for format in ["dot", "mermaid"] {
        let output = borderline_bounded(
            dir.path(),
            &["graph", ".", "--format", format, "--date", FIXTURE_DATE],
            1024,
            20,
        );
        assert_finished_within_bounds(&output, &format!("graph --format {format}, 40,000 flows"));
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(output.stdout.len() > 40_000, "every flow is drawn");
    }
}

/// A fragment (`graph --format json`) of the hostile repository, written to `path`.
fn write_fragment(path: &Path) {
    let dir = hostile_repository();
    let output = run(dir.path(), &["graph", ".", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::write(path, &output.stdout).unwrap();
}

#[test]
fn merge_reads_fragments_safely_and_treats_their_strings_as_hostile() {
    let work = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let fragment = work.path().join("hostile.json");
    write_fragment(&fragment);

    // The strings of a fragment are escaped by every renderer, as a scan's are.
    let dot = borderline(work.path(), &["merge", "hostile.json", "--format", "dot"]);
    assert_eq!(dot.status.code(), Some(0), "{}", stderr(&dot));
    assert!(stdout(&dot).contains("&amp;bogus;"), "{}", stdout(&dot));
    let mermaid = borderline(
        work.path(),
        &["merge", "hostile.json", "--format", "mermaid"],
    );
    let drawn = stdout(&mermaid).replace("<br/>", "\n");
    assert!(!drawn.contains(['<', '\u{202E}']), "{drawn}");

    // A symlink is not followed, even to a valid fragment elsewhere.
    let secret = outside.path().join("other.json");
    write_fragment(&secret);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, work.path().join("link.json")).unwrap();
    let linked = borderline(work.path(), &["merge", "link.json", "--format", "json"]);
    assert_eq!(linked.status.code(), Some(2), "{}", stdout(&linked));
    assert!(
        stderr(&linked).contains("symbolic link"),
        "{}",
        stderr(&linked)
    );
    assert!(stdout(&linked).is_empty());

    // A device is refused at once, not read until memory runs out.
    let device = borderline_bounded(
        work.path(),
        &["merge", "/dev/zero", "--format", "json"],
        1024,
        20,
    );
    assert_finished_within_bounds(&device, "merge /dev/zero");
    assert_eq!(device.status.code(), Some(2));
    assert!(
        stderr(&device).contains("not a regular file"),
        "{}",
        stderr(&device)
    );

    // Text quoted from a bad fragment in an error cannot drive the terminal.
    std::fs::write(
        work.path().join("version.json"),
        "{\"version\": \"9\\u001b]0;owned\\u0007\\u001b[2J\", \"nodes\": [], \"flows\": []}",
    )
    .unwrap();
    let version = borderline(work.path(), &["merge", "version.json"]);
    assert_eq!(version.status.code(), Some(2));
    assert!(
        !stderr(&version).contains(['\u{1b}', '\u{7}']),
        "{:?}",
        stderr(&version)
    );
    assert!(
        stderr(&version).contains("not supported"),
        "{}",
        stderr(&version)
    );
}

#[test]
fn focus_suggestions_cannot_drive_the_terminal() {
    let dir = hostile_repository();
    let output = run(
        dir.path(),
        &[
            "graph",
            ".",
            "--format",
            "dot",
            "--focus",
            "new line tab [31m",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("did you mean"), "{message}");
    assert!(!message.contains(['\u{1b}', '\r']), "{message:?}");
}
