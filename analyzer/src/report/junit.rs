//! JUnit XML, for CI systems that show test reports (GitLab's `artifacts:reports:junit`, Jenkins,
//! Azure Pipelines, CircleCI): one test suite a rule, one test case a finding.
//!
//! The report mirrors the gate: a finding that fails the run (`--fail-on`, not known) is a
//! `<failure>`; a known (baselined) or waived one is `<skipped>` with the reason; one below the
//! threshold passes, its message kept as output. A rule without findings is one passing case, so
//! the report lists every rule the scan judged. Case names are built from the nodes and the
//! fingerprint, never from line numbers, so a test's history survives moved lines.

use super::neutral::terminal;
use super::{message_with_variants, position};
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::facts::Severity;
use crate::model::Model;
use crate::rule::Rule;
use std::fmt::Write as _;

/// Text for an XML element: the terminal neutraliser (no controls but the line break and the tab,
/// none of the characters XML 1.0 forbids), then the five markup characters escaped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in terminal(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text for an XML attribute: as [`xml`], and a line break or a tab kept as a character reference
/// (a parser normalises literal ones to spaces).
fn attribute(text: &str) -> String {
    xml(text).replace('\n', "&#10;").replace('\t', "&#9;")
}

enum Outcome {
    Failed,
    Skipped(String),
    Passed,
}

/// The case's name: what it is about (the flow, else the file), and its fingerprint.
fn case_name(finding: &Finding) -> String {
    let subject = match (&finding.from, &finding.to, &finding.path) {
        (Some(from), Some(to), _) => format!("{from} -> {to}"),
        (None, Some(to), _) => to.clone(),
        (_, None, Some(path)) => path.clone(),
        _ => finding.rule.name().to_string(),
    };
    format!("{subject} [{}]", finding.fingerprint)
}

fn case(out: &mut String, model: &Model, finding: &Finding, outcome: &Outcome) -> std::fmt::Result {
    let rule = finding.rule.name();
    write!(
        out,
        "    <testcase classname=\"borderline.{rule}\" name=\"{}\"",
        attribute(&case_name(finding))
    )?;
    let place = position(&model.files, finding.span, finding.path.as_deref());
    if let Some(p) = &place {
        write!(out, " file=\"{}\" line=\"{}\"", attribute(&p.file), p.line)?;
    }
    out.push_str(">\n");
    // The body: the message, where, the data's path and what would make it right.
    let mut body = message_with_variants(finding);
    if let Some(p) = &place {
        let _ = write!(body, "\n  --> {}:{}:{}", p.file, p.line, p.column);
    }
    if finding.data_path.len() > 1 {
        let _ = write!(body, "\ndata path: {}", finding.data_path.join(" -> "));
    }
    if let Some(help) = &finding.help {
        let _ = write!(body, "\nhelp: {help}");
    }
    let _ = write!(body, "\nfingerprint: {}", finding.fingerprint);
    match outcome {
        Outcome::Failed => writeln!(
            out,
            "      <failure type=\"{rule}\" message=\"{}\">{}</failure>",
            attribute(&message_with_variants(finding)),
            xml(&body)
        )?,
        Outcome::Skipped(reason) => {
            writeln!(out, "      <skipped message=\"{}\"/>", attribute(reason))?;
            writeln!(out, "      <system-out>{}</system-out>", xml(&body))?;
        }
        Outcome::Passed => writeln!(out, "      <system-out>{}</system-out>", xml(&body))?,
    }
    out.push_str("    </testcase>\n");
    Ok(())
}

/// Renders the report. `threshold` is the lowest severity that fails the run (`None`: nothing
/// fails, as with `--fail-on never`).
pub fn render(model: &Model, evaluation: &Evaluation, threshold: Option<Severity>) -> String {
    let outcome = |finding: &Finding| {
        if finding.known {
            Outcome::Skipped("known: listed in the baseline".to_string())
        } else if threshold.is_some_and(|t| finding.severity >= t) {
            Outcome::Failed
        } else {
            Outcome::Passed
        }
    };
    let mut cases: Vec<(Rule, &Finding, Outcome)> = evaluation
        .findings
        .iter()
        .map(|f| (f.rule, f, outcome(f)))
        .collect();
    for (finding, waiver) in &evaluation.waived {
        let reason = format!("waived until {}: {}", waiver.expires, waiver.reason);
        cases.push((finding.rule, finding, Outcome::Skipped(reason)));
    }
    let count = |cases: &[&(Rule, &Finding, Outcome)]| {
        let failures = cases
            .iter()
            .filter(|c| matches!(c.2, Outcome::Failed))
            .count();
        let skipped = cases
            .iter()
            .filter(|c| matches!(c.2, Outcome::Skipped(_)))
            .count();
        (cases.len().max(1), failures, skipped)
    };
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for rule in Rule::ALL {
        let of_rule: Vec<&(Rule, &Finding, Outcome)> =
            cases.iter().filter(|c| c.0 == rule).collect();
        let (t, f, s) = count(&of_rule);
        (tests, failures, skipped) = (tests + t, failures + f, skipped + s);
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">",
            rule.name()
        );
        if of_rule.is_empty() {
            let _ = writeln!(
                suites,
                "    <testcase classname=\"borderline.{}\" name=\"no findings\"/>",
                rule.name()
            );
        }
        for (_, finding, outcome) in of_rule {
            let _ = case(&mut suites, model, finding, outcome);
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"borderline\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{suites}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_text_cannot_open_markup_or_carry_controls() {
        assert_eq!(
            xml("a\"><x y='1'>&\u{1b}[31m"),
            "a&quot;&gt;&lt;x y=&apos;1&apos;&gt;&amp;?[31m"
        );
        assert_eq!(xml("line\nnext\u{FFFF}"), "line\nnext\u{FFFD}");
        assert_eq!(attribute("line\nnext\t"), "line&#10;next&#9;");
    }
}
