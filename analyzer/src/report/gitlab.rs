//! GitLab Code Quality JSON (`artifacts:reports:codequality`): the Code Climate issue subset that
//! GitLab reads, one issue per finding, for the merge-request widget and the diff annotations.
//!
//! Fingerprints are the findings' own (as in SARIF and the baseline): GitLab compares a merge
//! request's report with its target branch's by fingerprint, so a moved line is no new issue.
//! Waived findings are accepted and left out; known (baselined) ones stay in, as GitLab works out
//! what is new itself.

use super::{message_with_variants, position};
use crate::evaluate::Evaluation;
use crate::evaluate::finding::Finding;
use crate::facts::Severity;
use crate::model::Model;
use serde::Serialize;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'static str,
    description: String,
    /// The check's documentation would be the same for every issue: the help of this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Content>,
    categories: [&'static str; 1],
    location: Location,
    severity: &'static str,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct Content {
    body: String,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// GitLab's scale is info, minor, major, critical, blocker; `blocker` is left to the tools that
/// stop a build for reasons other than policy.
const fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "info",
    }
}

fn issue<'a>(model: &Model, finding: &'a Finding, prefix: &str) -> Issue<'a> {
    // A finding about the scan as a whole has no file: GitLab needs a path, and the root's is
    // the honest one.
    let (path, begin) = match position(&model.files, finding.span, finding.path.as_deref()) {
        Some(p) => (p.file, p.line),
        None => (".".to_string(), 1),
    };
    Issue {
        kind: "issue",
        check_name: finding.rule.name(),
        description: format!("{prefix}{}", message_with_variants(finding)),
        content: finding.help.clone().map(|body| Content { body }),
        categories: ["Security"],
        location: Location {
            path,
            lines: Lines { begin },
        },
        severity: severity(finding.severity),
        fingerprint: &finding.fingerprint,
    }
}

/// The report: a JSON array, `[]` when there are no findings (GitLab then shows none).
pub fn render(model: &Model, evaluation: &Evaluation) -> String {
    // A hypothetical run (`--assume-invalid`) says so in each issue GitLab shows.
    let prefix = super::hypothetical_prefix(evaluation);
    let issues: Vec<Issue<'_>> = evaluation
        .findings
        .iter()
        .map(|finding| issue(model, finding, &prefix))
        .collect();
    super::json::to_pretty_string(&issues)
}
