//! `adequacy.toml`: the Art. 45 decisions, their dates and their scope conditions.

use super::jurisdictions::{Codes, check_country};
use super::provenance::{Defaults, Provenance, optional_date};
use super::{Context, Item};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::BTreeMap;

/// Validates the decisions: a known jurisdiction, `expires` after `adopted`, and conditions
/// whose `value` fits their kind. A decision without a valid adoption date is left out.
pub(in crate::rules) fn build(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    codes: &Codes,
    records: Vec<Item<RawDecision>>,
) -> Vec<AdequacyDecision> {
    let mut adequacy = Vec::new();
    for Item { file, value: r } in records {
        let jurisdiction = check_country(context, codes, file, &r.jurisdiction);
        let adopted = context.date(file, &r.adopted);
        let expires = optional_date(context, file, r.expires.as_ref());
        if let (Some(adopted), Some(expires), Some(span)) =
            (adopted, expires, r.expires.as_ref().map(|e| e.span()))
            && expires <= adopted
        {
            context.error(
                file,
                span,
                format!("expires {expires} is not after adopted {adopted}"),
            );
        }
        let mut conditions = Vec::new();
        for condition in r.condition {
            let kind = match (condition.kind.get_ref(), condition.value) {
                (RawConditionKind::Certification, Some(value)) => {
                    ConditionKind::Certification(value.get_ref().trim().to_ascii_lowercase())
                }
                (RawConditionKind::Certification, None) => {
                    context.error(
                        file,
                        condition.kind.span(),
                        "a `certification` condition needs a `value`",
                    );
                    continue;
                }
                (RawConditionKind::Assumed, Some(value)) => {
                    context.error(
                        file,
                        value.span(),
                        "an `assumed` condition takes no `value`",
                    );
                    continue;
                }
                (RawConditionKind::Assumed, None) => ConditionKind::Assumed,
            };
            conditions.push(ScopeCondition {
                kind,
                register: condition.register,
                description: condition.description,
            });
        }
        let next_review = optional_date(context, file, r.next_review.as_ref());
        let eea_effective = optional_date(context, file, r.eea_effective.as_ref());
        let Provenance {
            source,
            as_of,
            confidence,
        } = Provenance::of(
            context,
            defaults,
            file,
            r.source,
            r.as_of.as_ref(),
            r.confidence,
        );
        let Some(adopted) = adopted else { continue };
        adequacy.push(AdequacyDecision {
            id: r.id.get_ref().trim().to_string(),
            jurisdiction,
            instrument: r.instrument,
            legal_basis: r.legal_basis,
            adopted,
            adopted_confidence: r.adopted_confidence.unwrap_or(confidence),
            expires,
            next_review,
            scope: r.scope,
            conditions,
            litigation: r.litigation,
            eea_effective,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    adequacy
}
