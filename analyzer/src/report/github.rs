//! GitHub Actions workflow commands (`::error file=F,line=L,col=C,title=T::message`): annotations
//! on the pull request's diff and the run's summary without SARIF or code scanning, for private
//! repositories without GitHub Advanced Security and for forks.
//!
//! The runner reads each line of the log that starts with `::` as a command, so the only lines
//! that do are the ones written here, one a finding. Repository text inside them is escaped as
//! the runner's own toolkit escapes it (`%`, CR and LF in the message; also `:` and `,` in a
//! property), after the terminal neutraliser: it can neither end a command nor start another.

use super::neutral::terminal_inline;
use super::{Summary, message_with_variants, position};
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::facts::Severity;
use crate::model::Model;

/// A command's message: each line neutralised, `%` escaped, and the lines joined by `%0A`, which
/// the runner turns back into a line break inside the annotation (a CR is a control: `?`).
fn data(text: &str) -> String {
    text.split('\n')
        .map(|line| terminal_inline(line).replace('%', "%25"))
        .collect::<Vec<_>>()
        .join("%0A")
}

/// A command's property value (`file=`, `title=`): as [`data`], and `:` and `,`, which would end
/// the value or the properties.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

const fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

fn annotation(model: &Model, finding: &Finding, prefix: &str) -> String {
    // A known (baselined) finding does not fail the gate: it is a notice, marked as known.
    let (name, title) = if finding.known {
        ("notice", format!("borderline {} (known)", finding.rule))
    } else {
        (
            command(finding.severity),
            format!("borderline {}", finding.rule),
        )
    };
    let mut properties = Vec::new();
    if let Some(p) = position(&model.files, finding.span, finding.path.as_deref()) {
        properties.push(format!("file={}", property(&p.file)));
        properties.push(format!("line={}", p.line));
        properties.push(format!("col={}", p.column));
    }
    properties.push(format!("title={}", property(&title)));
    // The message, then what would make it right, as the annotation's second paragraph.
    let mut message = data(&format!("{prefix}{}", message_with_variants(finding)));
    if let Some(help) = &finding.help {
        message.push_str("%0A%0Ahelp: ");
        message.push_str(&data(help));
    }
    format!("::{name} {}::{message}\n", properties.join(","))
}

/// One command a finding, then a plain summary line (which the runner prints as it is).
pub fn render(model: &Model, evaluation: &Evaluation) -> String {
    // A hypothetical run (`--assume-invalid`) says so in each annotation a reviewer sees.
    let prefix = super::hypothetical_prefix(evaluation);
    let mut out: String = evaluation
        .findings
        .iter()
        .map(|finding| annotation(model, finding, &prefix))
        .collect();
    let summary = Summary::of(&evaluation.findings, evaluation.waived.len());
    out.push_str(&format!(
        "borderline: {prefix}errors {}, warnings {}, notes {}, known {}, waived {}\n",
        summary.errors, summary.warnings, summary.notes, summary.known, summary.waived
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_text_can_neither_end_a_command_nor_start_one() {
        assert_eq!(
            data("50% done\n::add-mask::x"),
            "50%25 done%0A::add-mask::x"
        );
        assert_eq!(property("a,b:c%"), "a%2Cb%3Ac%25");
        assert_eq!(property("x\r\ny\u{1b}"), "x?%0Ay?");
    }
}
