//! The HTML report (`scan --format html`): one self-contained page with the summary, the map as
//! inline SVG, the findings with filters, the transfer register and the `explain` text of each
//! transfer.
//!
//! The page makes no network request of any kind: no external `src` or `href`, system fonts, and
//! a Content-Security-Policy that allows nothing but the page's one `<style>` and one `<script>`,
//! by their SHA-256 hashes (computed here, from the very bytes written), and `data:` images (the
//! empty favicon that stops the browser from asking for `/favicon.ico`). Every string from the
//! scanned repository goes through [`html_escape`]; the SVG is Graphviz's, which escapes its
//! labels itself (the DOT is escaped by [`super::graph::dot_escape`]), with its XML prolog,
//! DOCTYPE and comments removed. The filters' state lives in the URL fragment
//! (`report.html#rule=missing-tia&country=US`), so a filtered view can be linked.

use super::graph::{RenderError, render_svg, to_dot};
use super::neutral::html_escape;
use super::{Summary, flow_explain, position, ropa};
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::evaluate::transfer::Verdict;
use crate::facts::Severity;
use crate::model::Model;
use crate::model::fragment::GraphView;
use crate::rules::RuleSet;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What the page shows besides the scan itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageContext<'a> {
    /// The name to show when the manifest names no project (the scanned directory's).
    pub fallback_name: Option<&'a str>,
    /// Lines about the scan itself (directories the walk did not enter), shown in the summary.
    pub notes: &'a [String],
}

/// The page, with the map drawn by Graphviz's `dot`. When `dot` is missing or fails, the page
/// says so where the map would be and everything else is rendered: the report never fails for it.
pub fn render(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    context: PageContext<'_>,
) -> String {
    let view = GraphView::build(model, evaluation, rules);
    // Graphviz would draw an empty map as its title alone, blown up to the page's width.
    let map = if view.nodes.is_empty() {
        Ok(String::new())
    } else {
        render_svg(&to_dot(&view))
    };
    render_with_map(model, evaluation, rules, context, map)
}

/// The page, with the map already rendered (empty when there is nothing to draw), or the reason
/// it is not.
pub fn render_with_map(
    model: &Model,
    evaluation: &Evaluation,
    rules: &RuleSet,
    context: PageContext<'_>,
    map: Result<String, RenderError>,
) -> String {
    let name = model
        .project_name
        .as_deref()
        .or(context.fallback_name)
        .unwrap_or("unnamed project");
    let mut body = String::with_capacity(64 * 1024);
    body.push_str(&header(name, evaluation, rules));
    body.push_str("<main>\n");
    body.push_str(&summary_section(evaluation, rules, context.notes));
    let (map, map_style) = map_section(map);
    body.push_str(&map);
    body.push_str(&findings_section(model, evaluation));
    body.push_str(&waived_section(model, evaluation));
    body.push_str(&register_section(model, evaluation, rules));
    body.push_str(&explanations_section(model, evaluation, rules));
    body.push_str("</main>\n");
    page(name, &body, &format!("{STYLE}{map_style}"))
}

/// The document around `body`: the policy, the style and the script, each hashed as written.
fn page(name: &str, body: &str, style: &str) -> String {
    let policy = format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(SCRIPT),
        csp_hash(style)
    );
    let mut out = String::with_capacity(body.len() + style.len() + SCRIPT.len() + 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\"/>"
    );
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\"/>\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    out.push_str("<link rel=\"icon\" href=\"data:,\"/>\n");
    let _ = writeln!(
        out,
        "<title>borderline report: {}</title>",
        html_escape(name)
    );
    let _ = writeln!(out, "<style>{style}</style>\n</head>\n<body>");
    out.push_str(body);
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

/// `sha256-BASE64` of an inline element's text, as a CSP source expression names it.
pub fn csp_hash(text: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

/// Standard base64 with padding (RFC 4648 §4), the encoding CSP hashes use.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The newest version of the rule data in force (the files are versioned by date), with the
/// number of files and whether `--rules` overrode any.
fn rule_data_version(rules: &RuleSet) -> String {
    let files = rules.files();
    let newest = files
        .iter()
        .max_by(|a, b| (a.as_of, &a.version).cmp(&(b.as_of, &b.version)));
    let overridden = files
        .iter()
        .any(|f| matches!(f.origin, crate::rules::RuleFileOrigin::Override));
    match newest {
        Some(file) => format!(
            "v{} (newest of {} files{})",
            file.version,
            files.len(),
            if overridden {
                ", with --rules overrides"
            } else {
                ""
            }
        ),
        None => "none".to_string(),
    }
}

/// The page's title and the evaluation date, borderline's version and the rule data's.
/// A hypothetical run (`--assume-invalid`, `--assume-valid`) says so first, in a banner.
fn header(name: &str, evaluation: &Evaluation, rules: &RuleSet) -> String {
    let banner = crate::rules::hypothetical_line(&evaluation.hypotheses)
        .map(|line| format!("<p class=\"hypothetical\">{}</p>\n", html_escape(&line)))
        .unwrap_or_default();
    format!(
        "<header>\n{banner}<h1>borderline report: {}</h1>\n<p class=\"meta\">evaluated on <b>{}</b> · borderline {} · rule data {}</p>\n</header>\n",
        html_escape(name),
        evaluation.date,
        env!("CARGO_PKG_VERSION"),
        html_escape(&rule_data_version(rules))
    )
}

/// The name of a verdict in the summary, with a sort key.
fn verdict_name(verdict: &Verdict) -> (u8, String) {
    match verdict {
        Verdict::Adequate { .. } => (0, "adequacy".to_string()),
        Verdict::Safeguarded { mechanism } => (1, format!("safeguard: {}", mechanism.as_str())),
        Verdict::NoBasis { .. } => (2, "no basis".to_string()),
        Verdict::ScopeNotMet { .. } => (3, "adequacy scope not met".to_string()),
        Verdict::Expired { .. } => (4, "expired basis".to_string()),
        Verdict::Unapproved { .. } => (5, "unapproved mechanism".to_string()),
    }
}

/// Counts by severity, transfers by verdict (with their countries) and the rule data in force.
fn summary_section(evaluation: &Evaluation, rules: &RuleSet, notes: &[String]) -> String {
    let summary = Summary::of(&evaluation.findings, evaluation.waived.len());
    let mut out = String::from(
        "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"overview\">\n<div class=\"cards\">\n",
    );
    let cards = [
        ("errors", summary.errors, "sev-error"),
        ("warnings", summary.warnings, "sev-warning"),
        ("notes", summary.notes, "sev-note"),
        ("known (baseline)", summary.known, ""),
        ("waived", summary.waived, ""),
        ("transfers", evaluation.transfers.len(), ""),
    ];
    for (label, count, class) in cards {
        let _ = writeln!(
            out,
            "<div class=\"card {class}\"><b>{count}</b>{label}</div>"
        );
    }
    out.push_str("</div>\n");
    let mut verdicts: BTreeMap<(u8, String), (usize, BTreeSet<&str>)> = BTreeMap::new();
    for transfer in &evaluation.transfers {
        let entry = verdicts.entry(verdict_name(&transfer.verdict)).or_default();
        entry.0 += 1;
        entry
            .1
            .extend(transfer.third_countries.iter().map(String::as_str));
    }
    if verdicts.is_empty() {
        out.push_str("<p>No transfers out of the EEA were found.</p>\n");
    } else {
        out.push_str("<table class=\"verdicts\">\n<thead><tr><th>transfers by verdict</th><th>transfers</th><th>countries</th></tr></thead>\n<tbody>\n");
        for ((rank, name), (count, countries)) in &verdicts {
            let class = if *rank <= 1 { "ok" } else { "bad" };
            let countries: Vec<&str> = countries.iter().copied().collect();
            let _ = writeln!(
                out,
                "<tr><td class=\"{class}\">{}</td><td>{count}</td><td>{}</td></tr>",
                html_escape(name),
                html_escape(&countries.join(", "))
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</div>\n");
    for note in notes {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", html_escape(note));
    }
    out.push_str(&rule_files(rules));
    out.push_str("</section>\n");
    out
}

/// The rule files in force, folded: version, date and source of each.
fn rule_files(rules: &RuleSet) -> String {
    let mut out = String::from(
        "<details class=\"rules\"><summary>Rule data in force</summary>\n<table>\n<thead><tr><th>file</th><th>version</th><th>as of</th><th>records</th><th>title</th><th>source</th></tr></thead>\n<tbody>\n",
    );
    for file in rules.files() {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            html_escape(&file.file),
            html_escape(&file.version),
            file.as_of,
            file.records,
            html_escape(&file.title),
            html_escape(&file.source)
        );
    }
    out.push_str("</tbody>\n</table>\n</details>\n");
    out
}

/// The map as inline SVG, or why it is not drawn; and the style rule that sizes it.
fn map_section(map: Result<String, RenderError>) -> (String, String) {
    let mut out = String::from("<section id=\"map\">\n<h2>Map</h2>\n");
    let mut style = String::new();
    match map {
        Ok(svg) if svg.is_empty() => {
            out.push_str("<p>No nodes or flows were found: there is no map to draw.</p>\n");
        }
        Ok(svg) => {
            out.push_str("<p class=\"meta\">Every node and flow found; red edges carry a finding. <button type=\"button\" id=\"map-size\">Actual size</button></p>\n<div class=\"frame\">\n");
            out.push_str(&inline_svg(&svg));
            out.push_str("\n</div>\n");
            style = map_size_style(&svg);
        }
        Err(error) => {
            let _ = writeln!(
                out,
                "<p class=\"missing\">The map is not drawn: {}. The rest of the report is complete; <code>borderline graph --format dot</code> writes the map without Graphviz.</p>",
                html_escape(&error.to_string())
            );
        }
    }
    out.push_str("</section>\n");
    (out, style)
}

/// The map's size, from the `viewBox` Graphviz writes (in points): fitted to the page, it keeps
/// its proportions and is never drawn larger than it is; at actual size, it is that size. A
/// style rule, since the policy allows no `style` attribute.
fn map_size_style(svg: &str) -> String {
    let tag = svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| &svg[start..start + end]));
    let view_box = tag.and_then(|tag| {
        let value = tag.split("viewBox=\"").nth(1)?.split('"').next()?;
        let numbers: Vec<f64> = value
            .split_whitespace()
            .map(str::parse::<f64>)
            .collect::<Result<_, _>>()
            .ok()?;
        match numbers.as_slice() {
            [_, _, width, height]
                if width.is_finite() && height.is_finite() && *width > 0.0 && *height > 0.0 =>
            {
                Some((*width, *height))
            }
            _ => None,
        }
    });
    match view_box {
        Some((width, height)) => format!(
            "#map svg{{max-width:{width}pt;aspect-ratio:{width}/{height}}}\n#map.actual svg{{max-width:none;width:{width}pt;height:{height}pt}}\n"
        ),
        None => String::new(),
    }
}

/// Graphviz's SVG without what an HTML document cannot hold or does not need: the XML prolog and
/// DOCTYPE before `<svg`, and the comments (which repeat node ids).
pub fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(svg.len());
    let mut rest = &svg[start..];
    let mut out = String::with_capacity(rest.len());
    while let Some(open) = rest.find("<!--") {
        out.push_str(&rest[..open]);
        match rest[open..].find("-->") {
            Some(close) => rest = &rest[open + close + 3..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    // A comment on a line of its own leaves that line empty.
    out.lines()
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The filters, in the order the fragment lists them.
const FILTERS: [&str; 4] = ["rule", "severity", "country", "node"];

/// The values of one filter present in the findings, each with its index (the option's position)
/// and how many findings have it.
#[derive(Default)]
struct FilterValues {
    counts: BTreeMap<String, usize>,
    index: BTreeMap<String, usize>,
}

impl FilterValues {
    /// Numbers the values in their display order.
    fn number(&mut self, order: impl Fn(&str) -> usize) {
        let mut names: Vec<&String> = self.counts.keys().collect();
        names.sort_by_key(|name| (order(name), name.as_str()));
        self.index = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), i))
            .collect();
    }

    /// A row's `data-` value: the indices of its values, space-separated.
    fn indices(&self, values: &BTreeSet<&str>) -> String {
        let mut indices: Vec<usize> = values
            .iter()
            .filter_map(|v| self.index.get(*v).copied())
            .collect();
        indices.sort_unstable();
        indices
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn select(&self, key: &str) -> String {
        let mut ordered: Vec<(&String, &usize)> = self.index.iter().collect();
        ordered.sort_by_key(|(_, index)| **index);
        let mut out =
            format!("<label>{key}<select id=\"filter-{key}\"><option value=\"\">all</option>");
        for (value, _) in ordered {
            let _ = write!(
                out,
                "<option value=\"{0}\">{0} ({1})</option>",
                html_escape(value),
                self.counts.get(value).copied().unwrap_or(0)
            );
        }
        out.push_str("</select></label>\n");
        out
    }
}

/// The values a finding has for each filter: its rule, its severity, the countries at either end
/// of its flow, and the nodes it names (both ends and every node on the data's path).
fn filter_values(finding: &Finding) -> [BTreeSet<&str>; 4] {
    let rule = BTreeSet::from([finding.rule.name()]);
    let severity = BTreeSet::from([finding.severity.as_str()]);
    let countries: BTreeSet<&str> = finding
        .from_country
        .iter()
        .chain(&finding.to_country)
        .map(String::as_str)
        .collect();
    let nodes: BTreeSet<&str> = finding
        .from
        .iter()
        .chain(&finding.to)
        .chain(&finding.data_path)
        .map(String::as_str)
        .collect();
    [rule, severity, countries, nodes]
}

fn severity_order(name: &str) -> usize {
    match Severity::parse(name) {
        Some(Severity::Error) => 0,
        Some(Severity::Warning) => 1,
        Some(Severity::Note) => 2,
        None => 3,
    }
}

/// The findings table: one row a finding, each carrying the option indices of its values, and a
/// `<select>` a filter built from the values present.
fn findings_section(model: &Model, evaluation: &Evaluation) -> String {
    let findings = &evaluation.findings;
    let mut out = String::from("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if findings.is_empty() {
        out.push_str("<p>No findings: every transfer has a Chapter V basis.</p>\n</section>\n");
        return out;
    }
    let values: Vec<[BTreeSet<&str>; 4]> = findings.iter().map(filter_values).collect();
    let mut filters: [FilterValues; 4] = Default::default();
    for row in &values {
        for (filter, set) in filters.iter_mut().zip(row) {
            for value in set {
                *filter.counts.entry((*value).to_string()).or_default() += 1;
            }
        }
    }
    for (i, filter) in filters.iter_mut().enumerate() {
        if FILTERS[i] == "severity" {
            filter.number(severity_order);
        } else {
            filter.number(|_| 0);
        }
    }
    out.push_str("<form class=\"filters\" id=\"filters\">\n");
    for (key, filter) in FILTERS.iter().zip(&filters) {
        out.push_str(&filter.select(key));
    }
    let _ = writeln!(
        out,
        "<button type=\"button\" id=\"filter-clear\">Show all</button>\n<span class=\"count\" id=\"shown\">{0} of {0} shown</span>\n</form>",
        findings.len()
    );
    out.push_str("<table class=\"findings\">\n<thead><tr><th>severity</th><th>rule</th><th>where</th><th>flow</th><th>data</th><th>finding</th></tr></thead>\n<tbody>\n");
    for (finding, row_values) in findings.iter().zip(&values) {
        out.push_str("<tr");
        for ((key, filter), set) in FILTERS.iter().zip(&filters).zip(row_values) {
            let _ = write!(out, " data-{key}=\"{}\"", filter.indices(set));
        }
        out.push('>');
        out.push_str(&finding_cells(model, finding));
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

/// `from (DE) → to (US)`, or the one end a finding names.
fn flow_text(finding: &Finding) -> String {
    let end = |node: &str, country: &Option<String>| {
        format!(
            "{} ({})",
            html_escape(node),
            html_escape(country.as_deref().unwrap_or("?"))
        )
    };
    match (&finding.from, &finding.to) {
        (Some(from), Some(to)) => format!(
            "{} → {}",
            end(from, &finding.from_country),
            end(to, &finding.to_country)
        ),
        (None, Some(to)) => end(to, &finding.to_country),
        (Some(from), None) => end(from, &finding.from_country),
        (None, None) => String::new(),
    }
}

fn finding_cells(model: &Model, finding: &Finding) -> String {
    let severity = finding.severity.as_str();
    let known = if finding.known {
        " <span class=\"known\">known</span>"
    } else {
        ""
    };
    let place = position(&model.files, finding.span, finding.path.as_deref())
        .map(|p| format!("<code>{}:{}</code>", html_escape(&p.file), p.line))
        .unwrap_or_default();
    let help = finding
        .help
        .as_deref()
        .map(|h| format!("<div class=\"help\">{}</div>", html_escape(h)))
        .unwrap_or_default();
    format!(
        "<td class=\"sev sev-{severity}\">{severity}{known}</td><td><code>{}</code></td><td>{place}</td><td>{}</td><td>{}</td><td>{}{help}</td>",
        finding.rule.name(),
        flow_text(finding),
        html_escape(&finding.data.join(", ")),
        html_escape(&super::message_with_variants(finding))
    )
}

/// Findings a valid waiver suppressed, with the waiver: they do not fail the gate.
fn waived_section(model: &Model, evaluation: &Evaluation) -> String {
    if evaluation.waived.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<section id=\"waived\">\n<h2>Waived findings</h2>\n<table>\n<thead><tr><th>rule</th><th>flow</th><th>waiver</th><th>finding</th></tr></thead>\n<tbody>\n",
    );
    for (finding, waiver) in &evaluation.waived {
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            finding.rule.name(),
            flow_text(finding),
            html_escape(&super::waiver_summary(
                Some(&model.files),
                finding.rule.name(),
                waiver
            )),
            html_escape(&super::message_with_variants(finding))
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

/// The transfer register: the rows and columns of `ropa --format csv`.
fn register_section(model: &Model, evaluation: &Evaluation, rules: &RuleSet) -> String {
    let rows = ropa::rows(model, evaluation, rules);
    let mut out = String::from(
        "<section id=\"register\">\n<h2>Transfer register</h2>\n<p class=\"meta\">The record of transfers for GDPR Art. 30(1)(e), as <code>borderline ropa</code> exports it.</p>\n",
    );
    if rows.is_empty() {
        out.push_str("<p>No transfers out of the EEA were found.</p>\n</section>\n");
        return out;
    }
    let (headers, cells) = ropa::table(&rows);
    out.push_str("<div class=\"wide\"><table class=\"register\">\n<thead><tr>");
    for header in headers {
        let _ = write!(out, "<th>{header}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (row, cells) in rows.iter().zip(cells) {
        let class = if row.status == "lawful" { "ok" } else { "bad" };
        let _ = write!(out, "<tr class=\"{class}\">");
        for cell in cells {
            let _ = write!(out, "<td>{}</td>", html_escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
    out
}

/// For each pair of nodes a transfer goes between, `borderline explain FROM TO`'s text, folded.
/// A store that holds data outside the EEA with no flow into it has no pair to explain.
fn explanations_section(model: &Model, evaluation: &Evaluation, rules: &RuleSet) -> String {
    let statuses = super::TransferStatuses::new(evaluation);
    let mut pairs: BTreeMap<(&str, &str), BTreeSet<String>> = BTreeMap::new();
    let mut at_rest: BTreeSet<&str> = BTreeSet::new();
    for transfer in &evaluation.transfers {
        match transfer.from.as_deref() {
            Some(from) => {
                pairs
                    .entry((from, transfer.to.as_str()))
                    .or_default()
                    .insert(statuses.status(transfer));
            }
            None => {
                at_rest.insert(transfer.to.as_str());
            }
        }
    }
    let mut out =
        String::from("<section id=\"explain\">\n<h2>Why each transfer is (not) lawful</h2>\n");
    if pairs.is_empty() && at_rest.is_empty() {
        out.push_str("<p>No transfers out of the EEA were found.</p>\n</section>\n");
        return out;
    }
    let _ = writeln!(
        out,
        "<p class=\"meta\">What <code>borderline explain FROM TO</code> prints for each of the {} pairs of nodes a transfer goes between.</p>",
        pairs.len()
    );
    for ((from, to), status) in &pairs {
        let lawful = status.iter().all(|s| s == "lawful");
        let text = match flow_explain::explain_flow(model, evaluation, rules, from, to) {
            Ok(text) => super::neutral::terminal(&text),
            Err(error) => error.to_string(),
        };
        let _ = writeln!(
            out,
            "<details><summary><span class=\"{}\">{}</span> {} → {}</summary><pre>{}</pre></details>",
            if lawful { "ok" } else { "bad" },
            html_escape(&status.iter().cloned().collect::<Vec<_>>().join("; ")),
            html_escape(from),
            html_escape(to),
            html_escape(&text)
        );
    }
    if !at_rest.is_empty() {
        let names: Vec<String> = at_rest.iter().map(|id| html_escape(id)).collect();
        let _ = writeln!(
            out,
            "<p class=\"meta\">Held at rest outside the EEA with no flow into it (the register lists them): {}.</p>",
            names.join(", ")
        );
    }
    out.push_str("</section>\n");
    out
}

/// The page's one style sheet: system fonts, no `url(`.
const STYLE: &str = r#"
:root{color-scheme:light;--fg:#1d2330;--muted:#5b6475;--line:#d9dee7;--panel:#f5f7fa;--error:#b42318;--warning:#b54708;--note:#175cd3;--ok:#067647}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
header{padding:18px 28px;border-bottom:1px solid var(--line);background:var(--panel)}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 10px}
main{padding:0 28px 40px}
.meta{color:var(--muted)}
.hypothetical{margin:0 0 10px;padding:8px 12px;border:2px solid var(--warning);border-radius:6px;color:var(--warning);font-weight:600}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px;white-space:pre-wrap;overflow-wrap:anywhere}
.overview{display:flex;flex-wrap:wrap;gap:14px 32px;align-items:flex-start}
.cards{display:grid;grid-template-columns:repeat(3,minmax(110px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:110px;color:var(--muted)}
.card b{display:block;font-size:24px;color:var(--fg)}
.card.sev-error b{color:var(--error)}.card.sev-warning b{color:var(--warning)}.card.sev-note b{color:var(--note)}
table{border-collapse:collapse;width:100%}
table.verdicts{width:auto;min-width:440px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:var(--panel);font-weight:600;white-space:nowrap}
.findings thead th{position:sticky;top:0}
.findings td:nth-child(2){overflow-wrap:normal;white-space:nowrap}
.sev{font-weight:600;white-space:nowrap}
.sev-error{color:var(--error)}.sev-warning{color:var(--warning)}.sev-note{color:var(--note)}
.known{font-weight:400;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 4px}
.help{color:var(--muted);font-size:12.5px;margin-top:2px}
.ok{color:var(--ok)}.bad{color:var(--error)}
tr.ok td,tr.bad td{color:var(--fg)}
tr.bad td:nth-last-child(2){color:var(--error);font-weight:600}
.filters{display:flex;flex-wrap:wrap;gap:10px 14px;align-items:flex-end;margin:0 0 10px;padding:10px 12px;background:var(--panel);border:1px solid var(--line);border-radius:8px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px}
select,button{font:inherit;font-size:13px;padding:3px 6px;max-width:280px}
.count{margin-left:auto;color:var(--muted);font-weight:600}
#map .frame{border:1px solid var(--line);border-radius:8px;overflow:auto;max-height:85vh}
#map svg{display:block;width:100%;height:auto;max-height:60vh;margin:0 auto}
#map.actual svg{max-height:none}
.missing{padding:14px;border:1px dashed var(--warning);border-radius:8px;color:var(--warning)}
.wide{overflow-x:auto}
.register{font-size:12.5px}
details{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:4px 10px}
details summary{cursor:pointer;font-weight:600}
details[open] summary{margin-bottom:6px}
.rules{margin-top:12px}
"#;

/// The page's one script: the filters (from and to the URL fragment) and the map's size toggle.
/// It only reads attributes and sets `hidden`, `textContent` and classes; no repository text is
/// ever parsed as HTML. Its body sits in a CDATA section behind line comments (a comment to
/// JavaScript), so that the page is well-formed XML too: the tests parse it as such.
const SCRIPT: &str = r#"
//<![CDATA[
(function () {
  'use strict';
  var keys = ['rule', 'severity', 'country', 'node'];
  var selects = {};
  keys.forEach(function (key) { selects[key] = document.getElementById('filter-' + key); });
  var rows = Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
  var count = document.getElementById('shown');
  var unmatched = [];
  function wanted() {
    var found = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (part) {
      var at = part.indexOf('=');
      if (at < 0) { return; }
      try {
        var key = decodeURIComponent(part.slice(0, at));
        var value = decodeURIComponent(part.slice(at + 1));
        if (keys.indexOf(key) >= 0) { found[key] = value; }
      } catch (e) { /* a malformed escape: that part is ignored */ }
    });
    return found;
  }
  function fromFragment() {
    var values = wanted();
    unmatched = [];
    keys.forEach(function (key) {
      var select = selects[key];
      if (!select) { return; }
      var index = 0;
      if (Object.prototype.hasOwnProperty.call(values, key)) {
        for (var i = 1; i < select.options.length; i++) {
          if (select.options[i].value === values[key]) { index = i; break; }
        }
        if (index === 0) { unmatched.push(key + ' = ' + values[key]); }
      }
      select.selectedIndex = index;
    });
  }
  function apply() {
    if (!count) { return; }
    var active = [];
    keys.forEach(function (key) {
      var select = selects[key];
      if (select && select.selectedIndex > 0) { active.push([key, String(select.selectedIndex - 1)]); }
    });
    var shown = 0;
    rows.forEach(function (row) {
      var visible = unmatched.length === 0 && active.every(function (filter) {
        var list = row.getAttribute('data-' + filter[0]) || '';
        return list.split(' ').indexOf(filter[1]) >= 0;
      });
      row.hidden = !visible;
      if (visible) { shown++; }
    });
    var text = shown + ' of ' + rows.length + ' shown';
    if (unmatched.length > 0) { text += ' (no finding has ' + unmatched.join(', ') + ')'; }
    count.textContent = text;
  }
  function toFragment() {
    var parts = [];
    keys.forEach(function (key) {
      var select = selects[key];
      if (select && select.selectedIndex > 0) { parts.push(key + '=' + encodeURIComponent(select.value)); }
    });
    var target = parts.length > 0 ? '#' + parts.join('&') : location.pathname + location.search;
    try { history.replaceState(null, '', target); } catch (e) { location.hash = parts.join('&'); }
    unmatched = [];
  }
  keys.forEach(function (key) {
    if (selects[key]) { selects[key].addEventListener('change', function () { toFragment(); apply(); }); }
  });
  var clear = document.getElementById('filter-clear');
  if (clear) {
    clear.addEventListener('click', function () {
      keys.forEach(function (key) { if (selects[key]) { selects[key].selectedIndex = 0; } });
      toFragment();
      apply();
    });
  }
  window.addEventListener('hashchange', function () { fromFragment(); apply(); });
  var size = document.getElementById('map-size');
  if (size) {
    size.addEventListener('click', function () {
      var map = document.getElementById('map');
      var actual = map.classList.toggle('actual');
      size.textContent = actual ? 'Fit to page' : 'Actual size';
    });
  }
  fromFragment();
  apply();
})();
//]]>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected, "{input}");
        }
        // The SHA-256 of the empty string, as CSP writes it.
        assert_eq!(
            csp_hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn graphviz_prolog_and_comments_are_removed() {
        let svg = "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"x\"\n \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n<!-- Generated by graphviz -->\n<svg width=\"8pt\">\n<!-- a&#45;&gt;b -->\n<g id=\"edge1\"><title>a&#45;&gt;b</title></g>\n</svg>\n";
        assert_eq!(
            inline_svg(svg),
            "<svg width=\"8pt\">\n<g id=\"edge1\"><title>a&#45;&gt;b</title></g>\n</svg>"
        );
        assert_eq!(inline_svg("<svg><!-- open"), "<svg>");
    }

    #[test]
    fn the_map_is_sized_from_its_view_box() {
        let svg = "<svg width=\"1456pt\" height=\"1622pt\"\n viewBox=\"0.00 0.00 1456.00 1622.00\" xmlns=\"http://www.w3.org/2000/svg\">";
        assert_eq!(
            map_size_style(svg),
            "#map svg{max-width:1456pt;aspect-ratio:1456/1622}\n#map.actual svg{max-width:none;width:1456pt;height:1622pt}\n"
        );
        // A view box that is not four numbers is left to the default style.
        assert_eq!(map_size_style("<svg viewBox=\"0 0 1e3;}x 5\">"), "");
        assert_eq!(map_size_style("<svg>"), "");
        assert_eq!(map_size_style("<svg viewBox=\"0 0 inf 5\">"), "");
    }
}
