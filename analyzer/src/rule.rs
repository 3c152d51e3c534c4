//! The rules borderline checks, as a type: one [`Rule`] variant per rule of SPEC §6 (with
//! borderline's additions last), in that order.
//!
//! A rule's stable kebab-case name ([`Rule::name`]) is what every output, baseline, waiver and
//! graph fragment writes; inside the crate a rule is always a [`Rule`], so a misspelt rule is a
//! compile error rather than a finding nobody can waive or a severity that silently falls back.
//! Text from outside (a waiver, `explain RULE`, a fragment's finding, a cached diagnostic) becomes
//! a [`Rule`] through [`Rule::from_name`], whose error lists the rules.
//!
//! This module sits at the bottom of the crate (it uses nothing from it; [`Severity`], the scale a
//! rule's default is on, lives here too) so that facts, extract, model, checks and report can all
//! name rules. What a rule needs from higher up (its
//! documentation and its implementation) is in `checks`, reached through `Rule::check`.

use std::fmt;
use std::str::FromStr;

/// A rule borderline checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
// No `Ord`: sorting by rule means sorting by its name (outputs are ordered by name), which a
// derived order (declaration order) would silently change. Sort by `name()` instead.
pub enum Rule {
    TransferWithoutSafeguard,
    AdequacyScopeNotMet,
    ExpiredSafeguard,
    UnapprovedMechanism,
    SpecialCategoryTransfer,
    MissingTia,
    DerogationForSystematicTransfer,
    UnknownLocation,
    UnresolvedReference,
    InputError,
    UnknownDataCategory,
    UnusedWaiver,
    PolicyChanged,
    InferredPersonalData,
}

/// What borderline knows about a rule besides its implementation: one entry of the table in
/// [`Rule::about`].
struct About {
    name: &'static str,
    default_severity: Severity,
    summary: &'static str,
    /// A `[[waiver]]` or inline waiver may name it.
    waivable: bool,
    /// Its findings are verdicts on the map (and on waivers), which `merge` judges again on the
    /// joined map; findings of other rules are about files and references and stay as each scan
    /// reported them.
    judged_by_merge: bool,
    /// An extractor or the model may report it as an extraction diagnostic (and the cache may
    /// hold one).
    extraction: bool,
}

impl Rule {
    /// Every rule, in the order of SPEC §6 (with borderline's additions last): the order of
    /// `borderline rules`, `docs/rules.md` and SARIF's rule table.
    pub const ALL: [Rule; 14] = [
        Rule::TransferWithoutSafeguard,
        Rule::AdequacyScopeNotMet,
        Rule::ExpiredSafeguard,
        Rule::UnapprovedMechanism,
        Rule::SpecialCategoryTransfer,
        Rule::MissingTia,
        Rule::DerogationForSystematicTransfer,
        Rule::UnknownLocation,
        Rule::UnresolvedReference,
        Rule::InputError,
        Rule::UnknownDataCategory,
        Rule::UnusedWaiver,
        Rule::PolicyChanged,
        Rule::InferredPersonalData,
    ];

    /// The stable name, as every output writes it: `transfer-without-safeguard`.
    pub const fn name(self) -> &'static str {
        self.about().name
    }

    /// The severity of the rule's findings unless a check sets another (an unknown data category
    /// nobody wrote is a warning, say).
    pub const fn default_severity(self) -> Severity {
        self.about().default_severity
    }

    /// One line saying what the rule flags.
    pub const fn summary(self) -> &'static str {
        self.about().summary
    }

    /// Whether a waiver may name the rule.
    pub const fn waivable(self) -> bool {
        self.about().waivable
    }

    /// Whether `merge` judges the rule's findings again on the joined map.
    pub const fn judged_by_merge(self) -> bool {
        self.about().judged_by_merge
    }

    /// Whether an extraction diagnostic may carry the rule.
    pub const fn extraction(self) -> bool {
        self.about().extraction
    }

    /// The rule's position in [`Rule::ALL`] (SARIF's `ruleIndex`).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The rule named `name` exactly (no trimming, no case folding).
    pub fn from_name(name: &str) -> Result<Rule, UnknownRule> {
        Rule::ALL
            .into_iter()
            .find(|rule| rule.name() == name)
            .ok_or_else(|| UnknownRule {
                name: name.to_string(),
            })
    }

    /// The names of the rules a waiver may name, in [`Rule::ALL`]'s order.
    pub fn waivable_names() -> impl Iterator<Item = &'static str> {
        Rule::ALL
            .into_iter()
            .filter(|rule| rule.waivable())
            .map(Rule::name)
    }

    // long-fn: the one table of every rule's facts; split, each rule's would scatter over matches
    const fn about(self) -> About {
        use Severity::{Error, Note, Warning};
        let (name, default_severity, summary, waivable, judged_by_merge, extraction) = match self {
            Rule::TransferWithoutSafeguard => (
                "transfer-without-safeguard",
                Error,
                "a transfer or onward transfer with no adequacy decision and no safeguard",
                true,
                true,
                false,
            ),
            Rule::AdequacyScopeNotMet => (
                "adequacy-scope-not-met",
                Error,
                "adequate country, but the recipient is outside the decision's scope",
                true,
                true,
                false,
            ),
            Rule::ExpiredSafeguard => (
                "expired-safeguard",
                Error,
                "a safeguard, adequacy decision or waiver not valid on the evaluation date",
                true,
                true,
                false,
            ),
            Rule::UnapprovedMechanism => (
                "unapproved-mechanism",
                Error,
                "a safeguard whose mechanism the policy does not approve",
                true,
                true,
                false,
            ),
            Rule::SpecialCategoryTransfer => (
                "special-category-transfer",
                Error,
                "Art. 9/10 data leaves the EEA and the policy denies it",
                true,
                true,
                false,
            ),
            Rule::MissingTia => (
                "missing-tia",
                Warning,
                "an SCC or BCR transfer without a transfer impact assessment",
                true,
                true,
                false,
            ),
            Rule::DerogationForSystematicTransfer => (
                "derogation-for-systematic-transfer",
                Warning,
                "a configured, repeating flow relies on an Art. 49 derogation",
                true,
                true,
                false,
            ),
            Rule::UnknownLocation => (
                "unknown-location",
                Warning,
                "a node that receives personal data has no known location",
                true,
                true,
                true,
            ),
            Rule::UnresolvedReference => (
                "unresolved-reference",
                Warning,
                "an annotation or manifest entry names a node that does not exist",
                true,
                false,
                true,
            ),
            Rule::InputError => (
                "input-error",
                Warning,
                "a file could not be read or parsed",
                true,
                false,
                true,
            ),
            Rule::UnknownDataCategory => (
                "unknown-data-category",
                Error,
                "a data category that is not in the taxonomy (a warning when nobody wrote it)",
                true,
                false,
                true,
            ),
            Rule::UnusedWaiver => (
                "unused-waiver",
                Warning,
                "a waiver that matches no finding",
                false,
                true,
                false,
            ),
            Rule::PolicyChanged => (
                "policy-changed",
                Warning,
                "with --policy-from, a change to the policy, waivers or baseline the scan is judged by",
                false,
                false,
                false,
            ),
            Rule::InferredPersonalData => (
                "inferred-personal-data",
                Note,
                "a field name that looks like personal data, to confirm with an annotation",
                false,
                false,
                true,
            ),
        };
        About {
            name,
            default_severity,
            summary,
            waivable,
            judged_by_merge,
            extraction,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Rule {
    type Err = UnknownRule;

    fn from_str(name: &str) -> Result<Rule, UnknownRule> {
        Rule::from_name(name)
    }
}

/// Written as its name, so JSON (the extraction cache, say) holds the same text as before rules
/// had a type.
impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A name that is no rule. Its message lists the rules; `name` is shown as given, so a caller
/// that prints it to a terminal makes it safe first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRule {
    pub name: String,
}

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a rule; the rules are: ", self.name)?;
        for (index, rule) in Rule::ALL.into_iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            f.write_str(rule.name())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownRule {}

/// Severity of a finding.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rule;

    /// The names, in order, as they were strings before rules had a type. A change here changes
    /// every output and every user's waivers and baselines: it must be deliberate.
    #[test]
    fn names_are_pinned_in_spec_order() {
        let names: Vec<_> = Rule::ALL.into_iter().map(Rule::name).collect();
        assert_eq!(
            names,
            [
                "transfer-without-safeguard",
                "adequacy-scope-not-met",
                "expired-safeguard",
                "unapproved-mechanism",
                "special-category-transfer",
                "missing-tia",
                "derogation-for-systematic-transfer",
                "unknown-location",
                "unresolved-reference",
                "input-error",
                "unknown-data-category",
                "unused-waiver",
                "policy-changed",
                "inferred-personal-data",
            ]
        );
        for (index, rule) in Rule::ALL.into_iter().enumerate() {
            assert_eq!(rule.index(), index);
            assert_eq!(Rule::from_name(rule.name()), Ok(rule));
            assert_eq!(rule.to_string(), rule.name());
        }
    }

    /// The rules a waiver may name: `config::WAIVABLE_RULES` before it became this property.
    #[test]
    fn the_waivable_set_is_pinned() {
        assert_eq!(
            Rule::waivable_names().collect::<Vec<_>>(),
            [
                "transfer-without-safeguard",
                "adequacy-scope-not-met",
                "expired-safeguard",
                "unapproved-mechanism",
                "special-category-transfer",
                "missing-tia",
                "derogation-for-systematic-transfer",
                "unknown-location",
                "unresolved-reference",
                "input-error",
                "unknown-data-category",
            ]
        );
    }

    /// The rules `merge` judges again: `merge::JUDGED_RULES` before it became this property.
    #[test]
    fn the_judged_set_is_pinned() {
        let judged: Vec<_> = Rule::ALL
            .into_iter()
            .filter(|rule| rule.judged_by_merge())
            .map(Rule::name)
            .collect();
        assert_eq!(
            judged,
            [
                "transfer-without-safeguard",
                "adequacy-scope-not-met",
                "expired-safeguard",
                "unapproved-mechanism",
                "special-category-transfer",
                "missing-tia",
                "derogation-for-systematic-transfer",
                "unknown-location",
                "unused-waiver",
            ]
        );
    }

    /// The rules an extraction diagnostic may carry: `model::facts::EXTRACTION_RULES` before it
    /// became this property (a cached diagnostic naming another is refused).
    #[test]
    fn the_extraction_set_is_pinned() {
        let mut extraction: Vec<_> = Rule::ALL
            .into_iter()
            .filter(|rule| rule.extraction())
            .map(Rule::name)
            .collect();
        extraction.sort_unstable();
        assert_eq!(
            extraction,
            [
                "inferred-personal-data",
                "input-error",
                "unknown-data-category",
                "unknown-location",
                "unresolved-reference",
            ]
        );
    }

    /// A cached diagnostic is written with its rule's name and read back only when an extractor
    /// could have written that rule (else the cache entry is ignored).
    #[test]
    fn a_cached_diagnostic_names_an_extraction_rule() {
        use crate::facts::ExtractionDiagnostic;
        let json = |rule: &str| {
            format!(
                r#"{{"rule":"{rule}","severity":"warning","message":"m","span":null,"path":null}}"#
            )
        };
        let read = |rule: &str| serde_json::from_str::<ExtractionDiagnostic>(&json(rule));
        let Ok(diagnostic) = read("input-error") else {
            panic!("an input-error reads back");
        };
        assert_eq!(diagnostic.rule, Rule::InputError);
        assert_eq!(
            serde_json::to_string(&diagnostic).ok(),
            Some(json("input-error"))
        );
        for refused in ["missing-tia", "policy-changed", "no-such-rule"] {
            let Err(error) = read(refused) else {
                panic!("`{refused}` is no extraction rule");
            };
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("unknown extraction rule `{refused}`")),
                "{error}"
            );
        }
    }

    #[test]
    fn an_unknown_name_lists_the_rules() {
        let Err(error) = Rule::from_name("missing_tia") else {
            panic!("`missing_tia` is no rule");
        };
        assert_eq!(
            error.to_string(),
            "`missing_tia` is not a rule; the rules are: transfer-without-safeguard, \
             adequacy-scope-not-met, expired-safeguard, unapproved-mechanism, \
             special-category-transfer, missing-tia, derogation-for-systematic-transfer, \
             unknown-location, unresolved-reference, input-error, unknown-data-category, \
             unused-waiver, policy-changed, inferred-personal-data"
        );
        assert!(Rule::from_name(" missing-tia").is_err());
        assert!(Rule::from_name("Missing-Tia").is_err());
    }
}
