//! What a run assumes about adequacy decisions against the rule data: `--assume-invalid DECISION`
//! (treated as annulled) and `--assume-valid DECISION` (treated as in force), and where each
//! decision stands on a date under them.
//!
//! A rule set carries its assumptions, so every lookup that asks whether a decision is in force
//! (the verdicts in `evaluate::transfer`, the jurisdiction groups of the map, `explain`) asks
//! [`RuleSet::standing`], the one place they apply. A run with any assumption is hypothetical,
//! and every report says so ([`RuleSet::hypotheses`]).

use super::{AdequacyDecision, RuleSet};
use crate::date::Date;
use std::collections::BTreeMap;

/// What a run assumes about one decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Assumed {
    /// Annulled on the evaluation date (`--assume-invalid`).
    Invalid,
    /// In force on the evaluation date, whatever its dates say (`--assume-valid`); its scope
    /// conditions still apply.
    Valid,
}

impl Assumed {
    /// The command-line flag that makes the assumption.
    pub fn flag(self) -> &'static str {
        match self {
            Assumed::Invalid => "--assume-invalid",
            Assumed::Valid => "--assume-valid",
        }
    }

    /// `invalid` or `valid`, as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Assumed::Invalid => "invalid",
            Assumed::Valid => "valid",
        }
    }
}

/// One assumption of a hypothetical run, with the decision's instrument for reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hypothesis {
    /// The decision id (`eu-us-dpf`).
    pub decision: String,
    pub instrument: String,
    pub jurisdiction: String,
    pub assumed: Assumed,
}

impl Hypothesis {
    /// `eu-us-dpf assumed invalid`.
    pub fn short(&self) -> String {
        format!("{} assumed {}", self.decision, self.assumed.as_str())
    }
}

/// The line every report of a hypothetical run carries; `None` for a real run.
pub fn hypothetical_line(hypotheses: &[Hypothesis]) -> Option<String> {
    if hypotheses.is_empty() {
        return None;
    }
    let list: Vec<String> = hypotheses
        .iter()
        .map(|h| {
            format!(
                "{} ({}, {}) assumed {}",
                h.decision,
                h.instrument,
                h.jurisdiction,
                h.assumed.as_str()
            )
        })
        .collect();
    Some(format!(
        "HYPOTHETICAL: {}; these are not the verdicts of the rule data in force",
        list.join("; ")
    ))
}

/// Where a decision stands on a date, under the run's assumptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    InForce,
    /// In force only because the run assumes it (`--assume-valid`).
    AssumedValid,
    /// Annulled because the run assumes it (`--assume-invalid`).
    AssumedInvalid,
    NotYetAdopted,
    Expired,
}

impl Standing {
    /// A basis for transfers on the date (assumed or not).
    pub fn is_in_force(self) -> bool {
        matches!(self, Standing::InForce | Standing::AssumedValid)
    }

    /// `in force`, `assumed in force (--assume-valid)`, ...: how listings and `explain` say it.
    pub fn describe(self) -> &'static str {
        match self {
            Standing::InForce => "in force",
            Standing::AssumedValid => "assumed in force (--assume-valid)",
            Standing::AssumedInvalid => "assumed annulled (--assume-invalid)",
            Standing::NotYetAdopted => "not yet adopted",
            Standing::Expired => "expired",
        }
    }
}

/// Why assumptions cannot be made (exit 2 at the command line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssumptionError {
    #[error(
        "{flag} {id}: no adequacy decision has this id{}; the ids are: {}",
        .closest.as_ref().map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default(),
        .known.join(", ")
    )]
    Unknown {
        flag: &'static str,
        id: String,
        closest: Option<String>,
        known: Vec<String>,
    },
    #[error(
        "{id} is given to both --assume-invalid and --assume-valid; a decision is assumed one way"
    )]
    Both { id: String },
}

impl RuleSet {
    /// This rule data with `invalid` decisions assumed annulled and `valid` ones assumed in force,
    /// added to what it already assumes. Ids are compared without case; an id no decision has, or
    /// one assumed both ways, is an error.
    pub fn assuming(
        mut self,
        invalid: &[String],
        valid: &[String],
    ) -> Result<RuleSet, AssumptionError> {
        let mut added: BTreeMap<String, Assumed> = BTreeMap::new();
        for (ids, assumed) in [(invalid, Assumed::Invalid), (valid, Assumed::Valid)] {
            for id in ids {
                let wanted = id.trim().to_ascii_lowercase();
                let Some(decision) = self
                    .adequacy
                    .iter()
                    .find(|d| d.id.eq_ignore_ascii_case(&wanted))
                else {
                    let known: Vec<String> = self.adequacy.iter().map(|d| d.id.clone()).collect();
                    return Err(AssumptionError::Unknown {
                        flag: assumed.flag(),
                        id: id.clone(),
                        closest: crate::suggest::closest_id(
                            &wanted,
                            known.iter().map(String::as_str),
                        )
                        .map(str::to_string),
                        known,
                    });
                };
                let earlier = self
                    .assumptions
                    .get(&decision.id)
                    .or(added.get(&decision.id));
                if earlier.is_some_and(|earlier| *earlier != assumed) {
                    return Err(AssumptionError::Both {
                        id: decision.id.clone(),
                    });
                }
                added.insert(decision.id.clone(), assumed);
            }
        }
        self.assumptions.extend(added);
        Ok(self)
    }

    /// Where `decision` stands on `date` under this run's assumptions: the one place
    /// `--assume-invalid` and `--assume-valid` apply.
    pub fn standing(&self, decision: &AdequacyDecision, date: Date) -> Standing {
        match self.assumptions.get(&decision.id) {
            Some(Assumed::Invalid) => Standing::AssumedInvalid,
            Some(Assumed::Valid) if decision.in_force_on(date) => Standing::InForce,
            Some(Assumed::Valid) => Standing::AssumedValid,
            None if decision.in_force_on(date) => Standing::InForce,
            None if decision.adopted > date => Standing::NotYetAdopted,
            None => Standing::Expired,
        }
    }

    /// What this run assumes, by decision id; empty for a real run.
    pub fn hypotheses(&self) -> Vec<Hypothesis> {
        self.assumptions
            .iter()
            .filter_map(|(id, assumed)| {
                let decision = self.adequacy.iter().find(|d| &d.id == id)?;
                Some(Hypothesis {
                    decision: id.clone(),
                    instrument: decision.instrument.clone(),
                    jurisdiction: decision.jurisdiction.clone(),
                    assumed: *assumed,
                })
            })
            .collect()
    }

    /// An adequacy decision by id (case-insensitive).
    pub fn adequacy_decision(&self, id: &str) -> Option<&AdequacyDecision> {
        let wanted = id.trim();
        self.adequacy
            .iter()
            .find(|d| d.id.eq_ignore_ascii_case(wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn builtin() -> RuleSet {
        RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn an_assumption_decides_the_standing_and_nothing_else_does() {
        let rules = builtin();
        let dpf = rules.adequacy_decision("EU-US-DPF").unwrap().clone();
        let uk = rules.adequacy_decision("gb-2021-1772").unwrap().clone();
        let today = date("2026-11-29");
        assert_eq!(rules.standing(&dpf, today), Standing::InForce);
        assert_eq!(rules.standing(&uk, date("2032-01-01")), Standing::Expired);
        assert_eq!(
            rules.standing(&dpf, date("2023-01-01")),
            Standing::NotYetAdopted
        );
        let assumed = rules
            .assuming(&["eu-us-dpf".into()], &["GB-2021-1772".into()])
            .unwrap();
        assert_eq!(assumed.standing(&dpf, today), Standing::AssumedInvalid);
        assert_eq!(
            assumed.standing(&uk, date("2032-01-01")),
            Standing::AssumedValid
        );
        // Assumed valid while in force anyway: simply in force.
        assert_eq!(assumed.standing(&uk, today), Standing::InForce);
        assert!(assumed.adequacy_in_force("US", today).is_empty());
        let hypotheses = assumed.hypotheses();
        assert_eq!(
            hypotheses.iter().map(Hypothesis::short).collect::<Vec<_>>(),
            ["eu-us-dpf assumed invalid", "gb-2021-1772 assumed valid"]
        );
    }

    #[test]
    fn unknown_and_contradictory_ids_are_refused() {
        match builtin().assuming(&["eu-us-dfp".into()], &[]) {
            Err(AssumptionError::Unknown { closest, known, .. }) => {
                assert_eq!(closest.as_deref(), Some("eu-us-dpf"));
                assert!(known.iter().any(|k| k == "ch-2000-518"));
            }
            other => panic!("{other:?}"),
        }
        let both = builtin().assuming(&["eu-us-dpf".into()], &["eu-us-dpf".into()]);
        assert!(
            matches!(both, Err(AssumptionError::Both { .. })),
            "{both:?}"
        );
        // Added later, the other way round, it is the same contradiction.
        let later = builtin()
            .assuming(&["eu-us-dpf".into()], &[])
            .and_then(|r| r.assuming(&[], &["eu-us-dpf".into()]));
        assert!(matches!(later, Err(AssumptionError::Both { .. })));
        assert_eq!(hypothetical_line(&[]), None);
    }
}
