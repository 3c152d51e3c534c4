//! Baselines: the fingerprints of findings a team has accepted for now, so that a pull request
//! fails only on new ones. The file is JSON, sorted, and reviewable in a diff.

use crate::evaluate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The version of the baseline file shape.
pub const BASELINE_FORMAT_VERSION: u32 = 1;

/// A baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    /// Sorted by (rule, from, to, fingerprint).
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding. Only `fingerprint` is matched; the rest is there for the human reviewing it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub rule: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    pub fingerprint: String,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not a borderline baseline: {0}")]
    Parse(String),
    #[error(
        "baseline version {0} is not supported (this borderline writes version {BASELINE_FORMAT_VERSION})"
    )]
    Version(u32),
}

impl Baseline {
    /// The baseline of the current findings.
    pub fn of(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<BaselineEntry> = findings
            .iter()
            .map(|f| BaselineEntry {
                rule: f.rule.to_string(),
                from: f.from.clone(),
                to: f.to.clone(),
                fingerprint: f.fingerprint.clone(),
            })
            .collect();
        entries.sort();
        entries.dedup();
        Baseline {
            version: BASELINE_FORMAT_VERSION,
            findings: entries,
        }
    }

    pub fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let baseline: Baseline =
            serde_json::from_str(text).map_err(|e| BaselineError::Parse(e.to_string()))?;
        if baseline.version != BASELINE_FORMAT_VERSION {
            return Err(BaselineError::Version(baseline.version));
        }
        Ok(baseline)
    }

    /// Pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        out.push('\n');
        out
    }

    /// Marks the findings the baseline lists as known. Returns how many were marked.
    pub fn apply(&self, findings: &mut [Finding]) -> usize {
        let known: BTreeSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let mut marked = 0;
        for finding in findings {
            if known.contains(finding.fingerprint.as_str()) {
                finding.known = true;
                marked += 1;
            }
        }
        marked
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use crate::facts::Severity;
    use crate::rule::Rule;

    #[test]
    fn round_trips_and_marks_known_findings() {
        let mut finding = Finding::new(Rule::MissingTia, Severity::Warning, "x");
        finding.fingerprint = "00ff".into();
        let baseline = Baseline::of(std::slice::from_ref(&finding));
        let parsed = Baseline::parse(&baseline.to_json()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed, baseline);
        let mut findings = vec![finding];
        assert_eq!(parsed.apply(&mut findings), 1);
        assert!(findings[0].known);
        assert!(Baseline::parse("{\"version\": 1}").is_err());
        assert!(Baseline::parse("{\"version\": 9, \"findings\": []}").is_err());
    }
}
