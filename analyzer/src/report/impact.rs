//! `borderline rules --impact DECISION`: the transfers that rest on an adequacy decision today, and
//! what each would still have if the decision were annulled (a signed SCC with or without a TIA,
//! BCRs, a derogation, or nothing and the finding it would then get).
//!
//! Nothing here judges: the repository is evaluated twice, as it is and with the decision assumed
//! invalid (`RuleSet::assuming`), and the two sets of transfers are compared by (from, to). A
//! transfer rests on the decision when it is adequate today and not in the second evaluation.

use super::{Position, position};
use crate::evaluate::Evaluation;
use crate::evaluate::transfer::{Transfer, Verdict};
use crate::facts::MechanismKind;
use crate::model::Model;
use crate::rules::{AdequacyDecision, Hypothesis, RuleSet};
use serde::Serialize;
use std::fmt::Write as _;

/// The comparison of the two evaluations, ready to render.
#[derive(Debug, Serialize)]
pub struct Impact {
    pub decision: DecisionSummary,
    pub evaluation_date: String,
    /// What the run already assumed besides this decision (`--assume-*` given with `--impact`);
    /// absent when nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hypothetical: Vec<Hypothesis>,
    pub summary: ImpactSummary,
    pub transfers: Vec<Affected>,
}

/// The decision assumed annulled, with the proceedings pending against it.
#[derive(Debug, Serialize)]
pub struct DecisionSummary {
    pub id: String,
    pub instrument: String,
    pub jurisdiction: String,
    /// `in force`, `expired`, ... on the evaluation date, as the run stands.
    pub standing: &'static str,
    pub pending: Vec<PendingSummary>,
}

#[derive(Debug, Serialize)]
pub struct PendingSummary {
    pub case: String,
    pub kind: String,
    pub court: String,
    pub lodged: String,
    pub checked: String,
    pub source: String,
}

#[derive(Debug, Default, Serialize)]
pub struct ImpactSummary {
    /// Transfers adequate today under the decision and not without it.
    pub rest_on_decision: usize,
    /// Of those, the ones that keep another basis.
    pub keep_a_basis: usize,
    /// Of those, the ones left without any basis.
    pub left_without_basis: usize,
}

/// One transfer that rests on the decision today.
#[derive(Debug, Serialize)]
pub struct Affected {
    pub from: Option<String>,
    pub to: String,
    pub countries: Vec<String>,
    pub data: Vec<String>,
    pub location: Option<Position>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// Today's verdict: `adequacy (Implementing Decision ...)`.
    pub today: String,
    /// What the transfer would have with the decision annulled (one entry per transfer of the same
    /// (from, to) in the second evaluation; almost always one).
    pub if_annulled: Vec<Remaining>,
}

impl Affected {
    /// Left without any basis in at least one of its counterparts.
    pub fn loses_basis(&self) -> bool {
        self.if_annulled.iter().any(|r| r.basis.is_none())
    }
}

/// What a transfer still has with the decision annulled.
#[derive(Debug, Serialize)]
pub struct Remaining {
    /// The mechanism it would rest on (`scc`, `bcr`, `derogation`, ...); `None`: nothing.
    pub basis: Option<&'static str>,
    /// The safeguard declared on the flow or recipient, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safeguard: Option<SafeguardSummary>,
    /// A safeguard that needs a transfer impact assessment and records none (`missing-tia`).
    pub missing_tia: bool,
    /// The verdict in words.
    pub verdict: String,
    /// The findings it would get that it does not get today.
    pub findings: Vec<ImpactFinding>,
}

#[derive(Debug, Serialize)]
pub struct SafeguardSummary {
    pub mechanism: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tia: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derogation: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ImpactFinding {
    pub rule: &'static str,
    pub severity: &'static str,
    pub message: String,
}

impl Impact {
    /// Compares `today` and `annulled`, two evaluations of `model` that differ only by `decision`
    /// being assumed invalid in the second. `rules` is the rule data of the first (with any
    /// assumptions the user made besides).
    pub fn compare(
        model: &Model,
        today: &Evaluation,
        annulled: &Evaluation,
        rules: &RuleSet,
        decision: &AdequacyDecision,
    ) -> Impact {
        let mut transfers: Vec<Affected> = today
            .transfers
            .iter()
            .filter(|t| matches!(t.verdict, Verdict::Adequate { .. }))
            .filter_map(|t| {
                let counterparts: Vec<&Transfer> = annulled
                    .transfers
                    .iter()
                    .filter(|other| same_transfer(t, other))
                    .filter(|other| !matches!(other.verdict, Verdict::Adequate { .. }))
                    .collect();
                (!counterparts.is_empty())
                    .then(|| affected(model, today, annulled, t, &counterparts))
            })
            .collect();
        transfers.sort_by(|a, b| (&a.from, &a.to, &a.variants).cmp(&(&b.from, &b.to, &b.variants)));
        let left_without_basis = transfers.iter().filter(|t| t.loses_basis()).count();
        Impact {
            decision: DecisionSummary {
                id: decision.id.clone(),
                instrument: decision.instrument.clone(),
                jurisdiction: decision.jurisdiction.clone(),
                standing: rules.standing(decision, today.date).describe(),
                pending: decision
                    .pending
                    .iter()
                    .map(|p| PendingSummary {
                        case: p.case.clone(),
                        kind: p.kind.clone(),
                        court: p.court.clone(),
                        lodged: p.lodged.to_string(),
                        checked: p.checked.to_string(),
                        source: p.source.clone(),
                    })
                    .collect(),
            },
            evaluation_date: today.date.to_string(),
            hypothetical: today.hypotheses.clone(),
            summary: ImpactSummary {
                rest_on_decision: transfers.len(),
                keep_a_basis: transfers.len() - left_without_basis,
                left_without_basis,
            },
            transfers,
        }
    }

    /// Some transfer would be left without any basis (exit code 1).
    pub fn leaves_a_transfer_without_basis(&self) -> bool {
        self.summary.left_without_basis > 0
    }

    /// The JSON form, pretty-printed, ending in a newline.
    pub fn to_json(&self) -> String {
        super::json::to_pretty_string(self)
    }

    /// The text form. Repository and rule-data text is neutralised for a terminal and a CI log.
    pub fn to_text(&self) -> String {
        let one = |text: &str| super::neutral::terminal_inline(text);
        let d = &self.decision;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "What if {} were annulled: {} ({}), {} on {}",
            one(&d.id),
            one(&d.instrument),
            one(&d.jurisdiction),
            d.standing,
            self.evaluation_date
        );
        for pending in &d.pending {
            let _ = writeln!(
                out,
                "  pending: {} {} before the {}, lodged {}, checked {}",
                one(&pending.kind),
                one(&pending.case),
                one(&pending.court),
                pending.lodged,
                pending.checked
            );
        }
        if let Some(line) = crate::rules::hypothetical_line(&self.hypothetical) {
            let _ = writeln!(out, "  {}", one(&line));
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "\n{} transfer{} rest{} on {} today: {} would keep another basis, {} would be left without one.",
            s.rest_on_decision,
            if s.rest_on_decision == 1 { "" } else { "s" },
            if s.rest_on_decision == 1 { "s" } else { "" },
            one(&d.id),
            s.keep_a_basis,
            s.left_without_basis
        );
        for transfer in &self.transfers {
            out.push('\n');
            let _ = writeln!(
                out,
                "{} -> {} ({})",
                one(transfer.from.as_deref().unwrap_or("(stored there)")),
                one(&transfer.to),
                one(&transfer.countries.join(", "))
            );
            if let Some(p) = &transfer.location {
                let _ = writeln!(out, "  at {}:{}:{}", one(&p.file), p.line, p.column);
            }
            let data = if transfer.data.is_empty() {
                "unspecified (treated as personal)".to_string()
            } else {
                transfer.data.join(", ")
            };
            let _ = writeln!(out, "  data: {}", one(&data));
            if let Some(line) = super::variants_line(&transfer.variants) {
                let _ = writeln!(out, "  {}", one(&line));
            }
            let _ = writeln!(out, "  today: {}", one(&transfer.today));
            for remaining in &transfer.if_annulled {
                // The verdict in full is in the JSON form and in `scan --assume-invalid`: here,
                // what is left and the findings it would get.
                let what = if remaining.basis.is_some() {
                    remaining.verdict.clone()
                } else {
                    "no basis left".to_string()
                };
                let findings: Vec<String> = remaining
                    .findings
                    .iter()
                    .map(|f| format!("{} ({})", f.rule, f.severity))
                    .collect();
                let _ = if findings.is_empty() {
                    writeln!(out, "  if annulled: {}", one(&what))
                } else {
                    writeln!(
                        out,
                        "  if annulled: {}; it would get {}",
                        one(&what),
                        findings.join(", ")
                    )
                };
            }
        }
        // Rule data may come from `--rules DIR`, and ids from the repository.
        super::neutral::defuse_workflow_commands(&out)
    }
}

/// The same transfer in two evaluations of one model: the same (from, to), in a common variant.
fn same_transfer(a: &Transfer, b: &Transfer) -> bool {
    a.from == b.from
        && a.to == b.to
        && (a.variants.is_empty()
            || b.variants.is_empty()
            || a.variants.iter().any(|v| b.variants.contains(v)))
}

fn affected(
    model: &Model,
    today: &Evaluation,
    annulled: &Evaluation,
    transfer: &Transfer,
    counterparts: &[&Transfer],
) -> Affected {
    Affected {
        from: transfer.from.clone(),
        to: transfer.to.clone(),
        countries: transfer.third_countries.clone(),
        data: transfer.data.iter().map(|d| d.key.clone()).collect(),
        location: position(&model.files, transfer.span, None),
        variants: transfer.variants.clone(),
        today: super::flow_explain::verdict_text(&transfer.verdict),
        if_annulled: counterparts
            .iter()
            .map(|other| remaining(today, annulled, other))
            .collect(),
    }
}

fn remaining(today: &Evaluation, annulled: &Evaluation, transfer: &Transfer) -> Remaining {
    let safeguard = transfer.safeguard.as_ref().map(|(s, _)| SafeguardSummary {
        mechanism: s.mechanism.as_str(),
        version: s.version.clone(),
        module: s.module,
        signed: s.signed.map(|d| d.to_string()),
        expires: s.expires.map(|d| d.to_string()),
        tia: s.tia.clone(),
        reference: s.reference.clone(),
        derogation: s.derogation.clone(),
    });
    let basis = match &transfer.verdict {
        Verdict::Safeguarded { mechanism } => Some(mechanism.as_str()),
        _ => None,
    };
    let verdict = match (&transfer.verdict, &safeguard) {
        (Verdict::Safeguarded { mechanism }, Some(s)) => {
            let mut text = safeguard_text(*mechanism, s);
            if transfer.missing_tia {
                text.push_str(", no transfer impact assessment");
            }
            text
        }
        (verdict, _) => super::flow_explain::verdict_text(verdict),
    };
    // The findings of the pair in the second evaluation that the first does not have.
    let pair = |f: &&crate::evaluate::finding::Finding| {
        f.from == transfer.from && f.to.as_deref() == Some(transfer.to.as_str())
    };
    let findings = annulled
        .findings
        .iter()
        .filter(pair)
        .filter(|f| {
            !today
                .findings
                .iter()
                .filter(pair)
                .any(|old| old.rule == f.rule)
        })
        .map(|f| ImpactFinding {
            rule: f.rule.name(),
            severity: f.severity.as_str(),
            message: f.message.clone(),
        })
        .collect();
    Remaining {
        basis,
        safeguard,
        missing_tia: transfer.missing_tia,
        verdict,
        findings,
    }
}

/// `SCC 2021/914 module 2, signed 2025-02-10, TIA docs/tia/x.md`.
fn safeguard_text(mechanism: MechanismKind, s: &SafeguardSummary) -> String {
    let mut text = match mechanism {
        MechanismKind::Scc => "SCC".to_string(),
        MechanismKind::Bcr => "BCR".to_string(),
        MechanismKind::Derogation => "derogation".to_string(),
        other => other.as_str().to_string(),
    };
    if let Some(version) = &s.version {
        let _ = write!(text, " {version}");
    }
    if let Some(module) = s.module {
        let _ = write!(text, " module {module}");
    }
    if let Some(derogation) = &s.derogation {
        let _ = write!(text, " {derogation}");
    }
    if let Some(reference) = &s.reference {
        let _ = write!(text, ", reference {reference}");
    }
    if let Some(signed) = &s.signed {
        let _ = write!(text, ", signed {signed}");
    }
    if let Some(expires) = &s.expires {
        let _ = write!(text, ", expires {expires}");
    }
    if let Some(tia) = &s.tia {
        let _ = write!(text, ", TIA {tia}");
    }
    text
}
