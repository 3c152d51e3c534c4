//! Findings: what the checks report, with the spans that explain them and a stable fingerprint.

use crate::facts::{Environment, Severity};
use crate::rule::Rule;
use crate::source::Span;

/// A place that helps explain a finding: where the destination's location or a policy entry comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Related {
    pub span: Option<Span>,
    pub message: String,
}

/// One reported problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule; its name is stable across releases (SPEC §6).
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub from_country: Option<String>,
    pub to_country: Option<String>,
    pub data: Vec<String>,
    /// Where the finding points: the line that created the flow, the entry, the broken file.
    pub span: Option<Span>,
    /// The file, when there is no span (an unreadable file).
    pub path: Option<String>,
    pub related: Vec<Related>,
    /// What would make it right.
    pub help: Option<String>,
    /// Node ids along the data's path, source first.
    pub data_path: Vec<String>,
    pub inferred: bool,
    /// Built from rule, nodes and data, never from line numbers, so it survives moved lines.
    pub fingerprint: String,
    /// Set when a baseline lists this fingerprint: reported, but it does not fail the gate.
    pub known: bool,
    /// The class of the evidence: production if any of it is production, else test, else dev.
    /// Never part of the fingerprint.
    pub environment: Environment,
    /// The deployment variants the finding is found in, sorted; empty when it is found in every
    /// variant (or there are none). Never part of the fingerprint.
    pub variants: Vec<String>,
}

impl Finding {
    pub fn new(rule: Rule, severity: Severity, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity,
            message: message.into(),
            from: None,
            to: None,
            from_country: None,
            to_country: None,
            data: Vec::new(),
            span: None,
            path: None,
            related: Vec::new(),
            help: None,
            data_path: Vec::new(),
            inferred: false,
            fingerprint: String::new(),
            known: false,
            environment: Environment::Production,
            variants: Vec::new(),
        }
    }

    pub fn at(mut self, span: Option<Span>) -> Finding {
        self.span = span;
        self
    }

    pub fn related(mut self, span: Option<Span>, message: impl Into<String>) -> Finding {
        self.related.push(Related {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// The parts the fingerprint is made of. Line numbers are never part of it.
    pub fn fingerprint_source(&self, file: Option<&str>) -> String {
        let mut data = self.data.clone();
        data.sort();
        match (&self.from, &self.to) {
            (None, None) => format!(
                "{}|{}|{}",
                self.rule,
                file.or(self.path.as_deref()).unwrap_or(""),
                strip_digits(&self.message)
            ),
            _ => format!(
                "{}|{}|{}|{}",
                self.rule,
                self.from.as_deref().unwrap_or(""),
                self.to.as_deref().unwrap_or(""),
                data.join(",")
            ),
        }
    }
}

// Messages about files may quote line numbers from parsers; they must not change the fingerprint.
fn strip_digits(text: &str) -> String {
    text.chars().filter(|c| !c.is_ascii_digit()).collect()
}
