//! The HTML report (`scan --format html`): one self-contained page under a hash-only
//! Content-Security-Policy, parsed as XML for its structure (no external `src`/`href`, the inline
//! script's and style's hashes match the policy, hostile names stay text), rendered without
//! Graphviz, linear in size at 1,000 findings, and loaded in headless Chromium, where filters in
//! the URL fragment hide rows and the console stays silent.

use crate::support::{FIXTURE_DATE, borderline, fixtures_dir, require_dot, stdout};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `borderline scan DIR --format html -o OUT` (with `env` set), returning the run and the page.
fn render_page(dir: &Path, out: &Path, env: &[(&str, &str)]) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_borderline"))
        .arg("scan")
        .arg(dir)
        .args(["--format", "html", "--date", FIXTURE_DATE, "-o"])
        .arg(out)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run borderline: {e}"));
    let page = std::fs::read_to_string(out).unwrap_or_else(|e| {
        panic!(
            "no page written ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, page)
}

fn demo_page(out_dir: &Path) -> (PathBuf, String) {
    require_dot();
    let path = out_dir.join("report.html");
    let (output, page) = render_page(&fixtures_dir().join("demo"), &path, &[]);
    assert_eq!(output.status.code(), Some(1), "the demo has findings");
    (path, page)
}

fn parse(page: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(page, options)
        .unwrap_or_else(|e| panic!("the page is not well-formed: {e}"))
}

/// Standard base64 with padding, written here again so that the check does not trust the code
/// it checks.
fn base64(bytes: &[u8]) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = String::new();
    for byte in bytes {
        bits.push_str(&format!("{byte:08b}"));
    }
    while !bits.len().is_multiple_of(6) {
        bits.push('0');
    }
    let mut out: String = bits
        .as_bytes()
        .chunks(6)
        .map(|six| {
            let index = usize::from_str_radix(std::str::from_utf8(six).unwrap(), 2).unwrap();
            char::from(alphabet[index])
        })
        .collect();
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// The raw text of the one `<tag>` element of the page, as the browser hashes it.
fn inline_text<'a>(page: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    assert_eq!(
        page.matches(&format!("<{tag}")).count(),
        1,
        "one <{tag}> element"
    );
    let start = page.find(&open).unwrap_or_else(|| panic!("no {open}")) + open.len();
    let end = page[start..].find(&close).unwrap() + start;
    &page[start..end]
}

/// The directives of the page's Content-Security-Policy meta element.
fn policy(xml: &roxmltree::Document) -> Vec<(String, Vec<String>)> {
    let meta = xml
        .descendants()
        .find(|n| n.attribute("http-equiv") == Some("Content-Security-Policy"))
        .expect("a Content-Security-Policy meta element");
    meta.attribute("content")
        .unwrap()
        .split(';')
        .map(|directive| {
            let mut words = directive.split_whitespace().map(str::to_string);
            (words.next().unwrap_or_default(), words.collect())
        })
        .collect()
}

/// Everything a browser could fetch or run from the page: asserts there is none of it beyond
/// the one inline script and style, and the `data:` favicon.
fn assert_inert(xml: &roxmltree::Document) {
    let mut scripts = 0;
    for node in xml.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !matches!(
                name,
                "iframe" | "object" | "embed" | "img" | "image" | "foreignObject" | "base"
            ),
            "an element that loads or embeds: <{name}>"
        );
        if name == "script" {
            scripts += 1;
            assert!(node.attribute("src").is_none(), "a script with a src");
        }
        for attribute in node.attributes() {
            let (key, value) = (attribute.name(), attribute.value());
            assert!(!key.starts_with("on"), "an event handler: {key}={value}");
            assert!(key != "style", "a style attribute needs 'unsafe-inline'");
            if matches!(
                key,
                "src" | "href" | "action" | "formaction" | "poster" | "data"
            ) {
                assert!(
                    value == "data:," && name == "link",
                    "<{name} {key}={value:?}>: nothing is fetched"
                );
            }
        }
    }
    assert_eq!(scripts, 1, "the page's own script only");
}

#[test]
fn the_demo_page_is_self_contained_under_a_hash_only_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (_, page) = demo_page(dir.path());
    let xml = parse(&page);
    let directives = policy(&xml);
    let directive = |name: &str| {
        directives
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {directives:?}"))
    };
    assert_eq!(directive("default-src"), ["'none'"]);
    assert_eq!(directive("img-src"), ["data:"]);
    assert_eq!(directive("base-uri"), ["'none'"]);
    for (element, name) in [("script", "script-src"), ("style", "style-src")] {
        let digest = Sha256::digest(inline_text(&page, element).as_bytes());
        assert_eq!(
            directive(name),
            [format!("'sha256-{}'", base64(&digest))],
            "{name} allows exactly the page's <{element}>"
        );
    }
    assert!(!page.contains("unsafe-"), "no unsafe-inline, unsafe-eval");
    assert_inert(&xml);
    let style = inline_text(&page, "style");
    assert!(!style.contains("url(") && !style.contains("@import"));
    for scheme in ["http://", "https://"] {
        for attribute in ["src=\"", "href=\""] {
            assert!(!page.contains(&format!("{attribute}{scheme}")));
        }
        assert!(!page.contains(&format!("url({scheme}")));
    }
    // The map is Graphviz's SVG, inline, without its XML prolog and DOCTYPE.
    assert!(!page.contains("<?xml") && !page.contains("<!DOCTYPE svg"));
    let map = xml
        .descendants()
        .find(|n| n.attribute("id") == Some("map"))
        .unwrap();
    assert!(map.descendants().any(|n| n.tag_name().name() == "svg"));
}

/// The `<tr>`s of the `<tbody>` of the element with id `section`.
fn body_rows<'a>(xml: &'a roxmltree::Document, section: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    let section = xml
        .descendants()
        .find(|n| n.attribute("id") == Some(section))
        .unwrap_or_else(|| panic!("no section {section}"));
    section
        .descendants()
        .filter(|n| n.tag_name().name() == "tbody")
        .flat_map(|body| body.children().filter(|n| n.tag_name().name() == "tr"))
        .collect()
}

fn cell_texts(row: roxmltree::Node) -> Vec<String> {
    row.children()
        .filter(|n| n.is_element())
        .map(|cell| {
            cell.descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect()
        })
        .collect()
}

#[test]
fn the_page_holds_the_findings_the_register_and_the_explanations_of_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let (_, page) = demo_page(dir.path());
    let xml = parse(&page);
    let demo = fixtures_dir().join("demo");
    let demo_arg = demo.to_str().unwrap();
    let json = stdout(&borderline(
        &demo,
        &["scan", ".", "--format", "json", "--date", FIXTURE_DATE],
    ));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let rows = body_rows(&xml, "findings");
    assert_eq!(rows.len(), findings.len());
    for (row, finding) in rows.iter().zip(findings) {
        assert_eq!(cell_texts(*row)[1], finding["rule"].as_str().unwrap());
    }
    assert!(page.contains(&format!("{0} of {0} shown", findings.len())));
    // The register: the columns and rows of `ropa --format csv`.
    let csv = stdout(&borderline(
        &demo,
        &["ropa", ".", "--format", "csv", "--date", FIXTURE_DATE],
    ));
    let mut lines = csv.lines();
    let headers: Vec<String> = xml
        .descendants()
        .find(|n| n.attribute("id") == Some("register"))
        .unwrap()
        .descendants()
        .filter(|n| n.tag_name().name() == "th")
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect();
    assert_eq!(headers.join(","), lines.next().unwrap());
    let register = body_rows(&xml, "register");
    assert_eq!(register.len(), lines.count());
    // Each explanation is what `borderline explain FROM TO` prints.
    let pairs: BTreeSet<(String, String)> = register
        .iter()
        .map(|row| {
            let cells = cell_texts(*row);
            (cells[0].clone(), cells[1].clone())
        })
        .collect();
    let explained: Vec<String> = xml
        .descendants()
        .filter(|n| n.tag_name().name() == "pre")
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect();
    assert_eq!(explained.len(), pairs.len(), "one explanation a pair");
    let (from, to) = pairs.iter().next().unwrap();
    let explain = stdout(&borderline(
        &demo,
        &[
            "explain",
            from,
            to,
            "--path",
            demo_arg,
            "--date",
            FIXTURE_DATE,
        ],
    ));
    assert!(explained.contains(&explain), "{explain}");
}

#[test]
fn the_page_is_the_same_bytes_from_format_and_from_report() {
    let dir = tempfile::tempdir().unwrap();
    let (_, first) = demo_page(dir.path());
    let second_path = dir.path().join("again.html");
    let output = borderline(
        &fixtures_dir().join("demo"),
        &[
            "scan",
            ".",
            "--date",
            FIXTURE_DATE,
            "--report",
            &format!("html={}", second_path.display()),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let second = std::fs::read_to_string(&second_path).unwrap();
    assert!(first == second, "two renderings of one scan differ");
}

/// Names that would run, load or break out of their element if written into a page unescaped,
/// and one of character references that must stay as written.
const HOSTILE: [&str; 6] = [
    "<script>alert(1)</script>",
    "\" onload=\"x",
    "rtl\u{202E}gnp.exe --> <!-- ]]> '",
    "<img src=x onerror=alert(2)>",
    "</pre><svg onload=alert(3)>",
    "&lt;b&gt;&#60;i&#62;&bogus;",
];

fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || c == '\u{202E}' => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A repository whose project, nodes and purposes are the hostile names, each a vendor in a
/// third country that `web` sends names to without a safeguard.
fn hostile_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = format!(
        "[project]\nname = {}\n\n[[node]]\nid = \"web\"\nlocation = \"DE\"\n\n",
        toml_string(HOSTILE[3])
    );
    for id in HOSTILE {
        manifest.push_str(&format!(
            "[[node]]\nid = {0}\nkind = \"vendor\"\nlocation = \"CN\"\n\n[[flow]]\nfrom = \"web\"\nto = {0}\ndata = [\"user.name\"]\npurpose = {1}\n\n",
            toml_string(id),
            toml_string(HOSTILE[4])
        ));
    }
    std::fs::write(dir.path().join("borderline.toml"), manifest).unwrap();
    dir
}

#[test]
fn hostile_names_stay_text_in_the_table_the_map_and_the_explanations() {
    require_dot();
    let repository = hostile_repository();
    let out = tempfile::tempdir().unwrap();
    let (output, page) = render_page(repository.path(), &out.path().join("r.html"), &[]);
    assert_eq!(output.status.code(), Some(1));
    let xml = parse(&page);
    assert_inert(&xml);
    assert!(
        !page.contains('\u{202E}'),
        "a bidi override reaches the page"
    );
    let texts: Vec<&str> = xml
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    for name in [HOSTILE[0], HOSTILE[1], HOSTILE[3], HOSTILE[5]] {
        // Graphviz's own escaping keeps the name whole in the SVG title of its node.
        let titles = xml
            .descendants()
            .filter(|n| n.tag_name().name() == "title" && n.text() == Some(name))
            .count();
        assert!(titles >= 1, "{name:?} is not a node title of the map");
        assert!(
            texts.iter().any(|t| t.contains(name)),
            "{name:?} is not shown as text"
        );
    }
}

#[test]
fn without_graphviz_the_page_says_so_where_the_map_would_be() {
    let out = tempfile::tempdir().unwrap();
    let (output, page) = render_page(
        &fixtures_dir().join("demo"),
        &out.path().join("r.html"),
        &[("PATH", "/nonexistent")],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the scan does not fail for it"
    );
    assert!(page.contains("The map is not drawn"), "{page}");
    assert!(page.contains("`dot` was not found") && page.contains("graphviz"));
    assert!(!page.contains("<svg"));
    let xml = parse(&page);
    assert_eq!(body_rows(&xml, "findings").len(), 11);
    assert!(!body_rows(&xml, "register").is_empty());
}

#[test]
fn a_repository_without_nodes_gets_no_map_but_a_sentence() {
    require_dot();
    let repository = tempfile::tempdir().unwrap();
    std::fs::write(repository.path().join("README.md"), "nothing here\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let (output, page) = render_page(repository.path(), &out.path().join("r.html"), &[]);
    assert_eq!(output.status.code(), Some(0));
    assert!(page.contains("No nodes or flows were found"), "{page}");
    assert!(!page.contains("<svg") && !page.contains("not drawn"));
    assert!(page.contains("No findings"));
}

/// A repository where `web` sends names to `count` vendors in a third country without a
/// safeguard: one finding for each.
fn many_findings(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::from("[[node]]\nid = \"web\"\nlocation = \"DE\"\n\n");
    for i in 0..count {
        manifest.push_str(&format!(
            "[[node]]\nid = \"vendor-{i:04}\"\nkind = \"vendor\"\nlocation = \"CN\"\n\n[[flow]]\nfrom = \"web\"\nto = \"vendor-{i:04}\"\ndata = [\"user.name\"]\n\n"
        ));
    }
    std::fs::write(dir.path().join("borderline.toml"), manifest).unwrap();
    dir
}

#[test]
fn the_page_grows_linearly_to_a_thousand_findings() {
    // Without Graphviz (its layout is not ours to measure): the page's own tables and lists.
    let sizes: Vec<(usize, usize)> = [250, 500, 1000]
        .into_iter()
        .map(|count| {
            let repository = many_findings(count);
            let out = repository.path().join("r.html");
            let (_, page) = render_page(repository.path(), &out, &[("PATH", "/nonexistent")]);
            let rows = page.matches("<tr data-rule=").count();
            assert_eq!(rows, count, "one row a finding");
            (count, page.len())
        })
        .collect();
    let (small, middle, large) = (sizes[0].1, sizes[1].1, sizes[2].1);
    // Doubling the findings twice: the second step adds twice the bytes of the first, as a
    // linear page does (a quadratic one would add four times as much).
    let ratio = (large - middle) as f64 / (middle - small) as f64;
    assert!(
        (1.8..=2.2).contains(&ratio),
        "page sizes {sizes:?}: growth ratio {ratio}"
    );
}

/// Chromium's binary; the suite requires it (`.ci/run` installs Debian's `chromium`).
fn require_chromium() -> PathBuf {
    let path = PathBuf::from("/usr/bin/chromium");
    assert!(
        path.is_file(),
        "Chromium is not installed at /usr/bin/chromium: install it (`apt-get install chromium`; \
         `.ci/run` does) so the HTML report can be checked in a browser"
    );
    path
}

/// Loads `url` in headless Chromium and returns the DOM after the scripts ran, and the lines of
/// its log that report the page's console (errors, CSP violations, uncaught exceptions).
/// Chromium is killed after 60 seconds.
fn chromium_dom(url: &str) -> (String, Vec<String>) {
    let chromium = require_chromium();
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run chromium: {e}"));
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |mut stream: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stream.read_to_string(&mut text);
            text
        })
    };
    let (dom, log) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = log.join().unwrap();
    let console = log
        .lines()
        .filter(|line| {
            line.contains("CONSOLE")
                || line.contains("Refused")
                || line.contains("Uncaught")
                || line.contains("Content Security Policy")
        })
        .map(str::to_string)
        .collect();
    (dom.join().unwrap(), console)
}

/// The findings rows of a dumped DOM that are not hidden, each as its markup.
fn visible_rows(dom: &str) -> Vec<&str> {
    dom.split("<tr data-rule=")
        .skip(1)
        .map(|row| &row[..row.find("</tr>").unwrap_or(row.len())])
        .filter(|row| {
            let tag = &row[..row.find('>').unwrap_or(row.len())];
            !tag.contains(" hidden")
        })
        .collect()
}

fn shown_text(dom: &str) -> &str {
    let start = dom.find("id=\"shown\">").expect("the count of rows shown") + 11;
    &dom[start..start + dom[start..].find('<').unwrap()]
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn in_chromium_the_page_loads_silently_and_the_fragment_filters_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (path, page) = demo_page(dir.path());
    let url = file_url(&path);
    let (dom, console) = chromium_dom(&url);
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert_eq!(visible_rows(&dom).len(), 11, "unfiltered, every row shows");
    assert_eq!(shown_text(&dom), "11 of 11 shown");

    let (dom, console) = chromium_dom(&format!("{url}#rule=missing-tia"));
    assert!(console.is_empty(), "console messages: {console:#?}");
    let rows = visible_rows(&dom);
    assert_eq!(rows.len(), 2, "the demo has two missing-tia findings");
    assert!(rows.iter().all(|r| r.contains("<code>missing-tia</code>")));
    assert_eq!(shown_text(&dom), "2 of 11 shown");

    let (dom, _) = chromium_dom(&format!("{url}#severity=error&country=US"));
    let rows = visible_rows(&dom);
    assert_eq!(shown_text(&dom), "2 of 11 shown");
    assert!(
        rows.iter()
            .all(|r| r.contains("sev-error") && r.contains("(US)"))
    );

    // The same page with its script changed by one byte: the policy refuses to run it, and the
    // log shows it (the check above can fail), and no row is filtered.
    let tampered = dir.path().join("tampered.html");
    std::fs::write(
        &tampered,
        page.replacen("'use strict';", "'use strict'; ", 1),
    )
    .unwrap();
    let (dom, console) = chromium_dom(&format!("{}#rule=missing-tia", file_url(&tampered)));
    assert!(
        console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "a refused script is not reported: {console:#?}"
    );
    assert_eq!(visible_rows(&dom).len(), 11);
}

#[test]
fn in_chromium_a_hostile_page_runs_nothing_but_its_own_script() {
    require_dot();
    let repository = hostile_repository();
    let path = repository.path().join("report.html");
    render_page(repository.path(), &path, &[]);
    // A hostile id in the fragment selects that node's findings, as text.
    let (dom, console) = chromium_dom(&format!(
        "{}#node=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        file_url(&path)
    ));
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert_eq!(dom.matches("<script").count(), 1, "{dom}");
    assert_eq!(shown_text(&dom), "1 of 6 shown");
}
