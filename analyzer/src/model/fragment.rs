//! The graph JSON schema: what `graph --format json` writes and `merge` reads back (a fragment of
//! one repository's map, or a merged map).
//!
//! The types live beneath both: `report::graph` builds them from a scan and draws them, `merge`
//! joins fragments into a model again. They hold plain strings and positions, never spans, since a
//! fragment outlives the files of the scan that wrote it; the conversions here are the ones that
//! need nothing but the types themselves and the policy (finding and waiver positions are resolved
//! by the report, which owns the files table of a scan).

use super::JurisdictionStatus;
use crate::facts::Environment;
use crate::facts::{MechanismKind, Safeguard, Severity};
use crate::policy::{Policy, SpecialCategoryPolicy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a span is, for machine-readable output: a path relative to the root, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// The version of the graph JSON shape; `merge` refuses fragments of another major version.
pub const GRAPH_FORMAT_VERSION: &str = "1";

/// The whole map: what `graph --format json` prints and `merge` reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GraphView {
    pub version: String,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub evaluation_date: Option<String>,
    /// Sorted by id; ids are the node ids of the manifest and annotations, stable across scans.
    pub nodes: Vec<GraphNode>,
    /// Sorted by (from, to); `id` is `from->to`, with `#2`, `#3` for repeated pairs.
    pub flows: Vec<GraphFlow>,
    /// The repository's `[policy]`, with defaults applied: `merge` judges the repository's flows
    /// under it. Absent from fragments written before it existed (and from maps `merge` draws);
    /// `merge` then judges their flows under the default policy and says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<GraphPolicy>,
    /// The repository's waivers, which `merge` applies to the repository's flows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<GraphWaiver>,
    /// Every finding of the scan that wrote the fragment, waived ones included, as the scan
    /// reported it: what `merge` reports for the flows and nodes that merging does not change
    /// (findings about files, and judgements no other fragment adds facts to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgement: Option<GraphJudgement>,
    /// The lines the judgement's findings point at, by file and line number, so that `merge`
    /// quotes them as the scan did.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, BTreeMap<u32, String>>,
    /// The deployment variant the map was drawn for (`graph --variant NAME`); absent when it
    /// was drawn for every variant (then nodes and flows that exist only in some carry
    /// `variants`), and in fragments written before variants existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// What a hypothetical run assumed (`eu-us-dpf assumed invalid`): the map's title says it.
    /// `graph --format json` refuses such a run, so a fragment never carries one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hypotheses: Vec<String>,
}

/// A repository's `[policy]` with defaults applied, as plain strings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GraphPolicy {
    pub approved_mechanisms: Vec<String>,
    pub require_tia: bool,
    /// `deny` or `safeguard`.
    pub special_categories: String,
    /// A severity, or absent when the `unknown-location` check is off.
    #[serde(default)]
    pub unknown_location: Option<String>,
    #[serde(default)]
    pub distrust_adequacy: Vec<String>,
    /// A severity, or absent for `never`.
    #[serde(default)]
    pub fail_on: Option<String>,
    pub inferred_findings: String,
    /// The environment classes `[scan] include` judges like production.
    #[serde(default)]
    pub include: Vec<Environment>,
}

impl GraphPolicy {
    pub fn of(policy: &Policy) -> GraphPolicy {
        GraphPolicy {
            approved_mechanisms: policy
                .approved_mechanisms
                .iter()
                .map(|m| m.as_str().to_string())
                .collect(),
            require_tia: policy.require_tia,
            special_categories: match policy.special_categories {
                SpecialCategoryPolicy::Deny => "deny".into(),
                SpecialCategoryPolicy::Safeguard => "safeguard".into(),
            },
            unknown_location: policy.unknown_location.map(|s| s.as_str().to_string()),
            distrust_adequacy: policy.distrust_adequacy.clone(),
            fail_on: policy.fail_on.map(|s| s.as_str().to_string()),
            inferred_findings: policy.inferred_findings.as_str().to_string(),
            include: policy.include.clone(),
        }
    }

    /// The policy again, or the first value this borderline does not know (a fragment of a newer
    /// version, or an edited one).
    pub fn to_policy(&self) -> Result<Policy, String> {
        let severity = |key: &str, text: &str| {
            Severity::parse(text)
                .ok_or_else(|| format!("policy `{key}`: unknown severity `{text}`"))
        };
        let mut approved = Vec::new();
        for name in &self.approved_mechanisms {
            approved.push(
                MechanismKind::parse(name)
                    .ok_or_else(|| format!("policy `approved_mechanisms`: unknown `{name}`"))?,
            );
        }
        Ok(Policy {
            approved_mechanisms: approved,
            require_tia: self.require_tia,
            special_categories: match self.special_categories.as_str() {
                "deny" => SpecialCategoryPolicy::Deny,
                "safeguard" => SpecialCategoryPolicy::Safeguard,
                other => {
                    return Err(format!("policy `special_categories`: unknown `{other}`"));
                }
            },
            unknown_location: self
                .unknown_location
                .as_deref()
                .map(|s| severity("unknown_location", s))
                .transpose()?,
            distrust_adequacy: self.distrust_adequacy.clone(),
            fail_on: self
                .fail_on
                .as_deref()
                .map(|s| severity("fail_on", s))
                .transpose()?,
            inferred_findings: severity("inferred_findings", &self.inferred_findings)?,
            include: self.include.clone(),
            spans: BTreeMap::new(),
        })
    }
}

/// A waiver of the repository's manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GraphWaiver {
    pub rule: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub expires: String,
    #[serde(default)]
    pub location: Option<Position>,
    /// An inline waiver's covered lines (see `Waiver::covers`): the first and the last, so that
    /// `merge` applies it to the findings on them and nowhere else. Absent for a manifest waiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers: Option<GraphCovers>,
}

/// The lines an inline waiver covers, in one file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GraphCovers {
    pub file: String,
    pub first_line: u32,
    pub last_line: u32,
}

/// The findings of the scan that wrote a fragment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct GraphJudgement {
    pub findings: Vec<GraphReportFinding>,
}

/// A related location of a finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GraphRelated {
    #[serde(default)]
    pub location: Option<Position>,
    pub message: String,
}

/// One finding as the scan reported it (the fields of the JSON report), with the reason of the
/// waiver that suppressed it, if one did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GraphReportFinding {
    pub rule: String,
    pub severity: String,
    pub message: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub from_country: Option<String>,
    #[serde(default)]
    pub to_country: Option<String>,
    #[serde(default)]
    pub data: Vec<String>,
    #[serde(default)]
    pub location: Option<Position>,
    #[serde(default)]
    pub related: Vec<GraphRelated>,
    #[serde(default)]
    pub help: Option<String>,
    #[serde(default)]
    pub data_path: Vec<String>,
    #[serde(default)]
    pub inferred: bool,
    #[serde(default)]
    pub environment: Environment,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived: Option<String>,
    /// The waiver that suppressed the finding (its reason is `waived`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<GraphWaiver>,
    /// The deployment variants the finding is found in, sorted; absent when it is found in
    /// every variant (or there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

/// A node of the map.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GraphNode {
    pub id: String,
    pub kind: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The location as written (`aws:eu-west-1`, `US`, `EEA`), if any.
    #[serde(default)]
    pub location: Option<String>,
    /// Countries the data may be in; empty when unknown.
    #[serde(default)]
    pub countries: Vec<String>,
    pub jurisdiction: JurisdictionStatus,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub certifications: Vec<String>,
    #[serde(default)]
    pub data: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub personal_data: Option<bool>,
    #[serde(default)]
    pub safeguard: Option<GraphSafeguard>,
    /// Findings about the node itself (e.g. `unknown-location`).
    #[serde(default)]
    pub findings: Vec<GraphFinding>,
    #[serde(default)]
    pub defined_at: Option<Position>,
    /// The module calls through which the node is created, outermost first (a Terraform store in a
    /// local module): with `defined_at`, the way from a root to the resource.
    #[serde(default)]
    pub via: Vec<Position>,
    /// The other names of the service: a compose service, Kubernetes workload or package that
    /// runs the same code (see `model::identity`). Left out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The deployment variants the node exists in, sorted; absent when it exists in every
    /// variant (or there are none). `merge` reads them back into the node's facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// Findings about the node that a waiver accepts (a store abroad): the map draws them as
    /// waived, with the expiry. Absent when there are none; `merge` judges waivers again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waived: Vec<GraphWaived>,
}

/// A finding a waiver accepts, as the map shows it: the rule and until when.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct GraphWaived {
    pub rule: String,
    /// The waiver's expiry, `YYYY-MM-DD`.
    pub expires: String,
    pub reason: String,
}

/// A declared safeguard, as plain strings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct GraphSafeguard {
    pub mechanism: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub module: Option<u8>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub signed: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub tia: Option<String>,
    #[serde(default)]
    pub derogation: Option<String>,
}

impl GraphSafeguard {
    pub fn of(safeguard: &Safeguard) -> GraphSafeguard {
        GraphSafeguard {
            mechanism: safeguard.mechanism.as_str().to_string(),
            version: safeguard.version.clone(),
            module: safeguard.module,
            reference: safeguard.reference.clone(),
            signed: safeguard.signed.map(|d| d.to_string()),
            expires: safeguard.expires.map(|d| d.to_string()),
            tia: safeguard.tia.clone(),
            derogation: safeguard.derogation.clone(),
        }
    }
}

/// A finding attached to a node or a flow.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct GraphFinding {
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub fingerprint: String,
    /// The deployment variants the finding is found in; absent when in every variant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

/// A flow of the map.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GraphFlow {
    pub id: String,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub data: Vec<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub safeguard: Option<GraphSafeguard>,
    /// `none` (not a transfer), `lawful` or `finding`.
    pub transfer: String,
    #[serde(default)]
    pub basis: Option<String>,
    /// What a transfer rests on, as the map labels its edge: `adequacy`, `DPF` (an adequacy
    /// decision that requires a certification, named by it), `SCC 2021/914 M2`, `BCR`,
    /// `Art. 49(1)(a)`, `none`; with `(expired)` or `(not approved)` when the verdict says so.
    /// Absent for a flow that is not a transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
    #[serde(default)]
    pub findings: Vec<GraphFinding>,
    /// Findings about the flow that a waiver accepts: the map draws the edge dashed, "waived
    /// until DATE". Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waived: Vec<GraphWaived>,
    #[serde(default)]
    pub location: Option<Position>,
    /// Whether the flow rests on a guess (a URL literal, a field name): `merge` caps its findings
    /// as the scan does. Absent in older fragments (then `false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inferred: bool,
    /// The deployment variants the flow exists in, sorted; absent when it exists in every
    /// variant (or there are none). `merge` reads them back into the flow's facts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_survives_the_fragment_and_unknown_values_are_refused() {
        let policy = Policy {
            approved_mechanisms: vec![MechanismKind::Scc],
            special_categories: SpecialCategoryPolicy::Safeguard,
            unknown_location: None,
            fail_on: Some(Severity::Warning),
            include: vec![Environment::Test],
            ..Policy::default()
        };
        let graph = GraphPolicy::of(&policy);
        let text = serde_json::to_string(&graph).unwrap_or_default();
        let read: Option<GraphPolicy> = serde_json::from_str(&text).ok();
        assert_eq!(read.as_ref(), Some(&graph));
        let Ok(again) = graph.to_policy() else {
            panic!("the policy reads back");
        };
        assert_eq!(GraphPolicy::of(&again), graph);
        let mut bad = graph;
        bad.special_categories = "sometimes".into();
        assert!(bad.to_policy().is_err());
    }
}
