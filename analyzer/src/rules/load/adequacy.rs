//! `adequacy.toml`: the Art. 45 decisions, their dates and their scope conditions.

use super::jurisdictions::{Codes, check_country};
use super::provenance::{Defaults, Provenance, optional_date};
use super::{Context, Item};
use crate::rules::model::*;
use crate::rules::raw::*;
use std::collections::BTreeMap;

/// Validates the decisions: a known jurisdiction, `expires` after `adopted`, conditions whose
/// `value` fits their kind, and pending cases (see [`pending_cases`]). A decision without a valid
/// adoption date is left out.
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
        let pending = pending_cases(context, defaults, file, adopted, r.pending);
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
            pending,
            eea_effective,
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    adequacy
}

/// `[[decision.pending]]`: a case number, kind and court that say something, `lodged` not before
/// the decision was adopted (nothing can be brought against a decision not yet adopted) and
/// `checked` not before `lodged`. Source and confidence fall back to the file's `[meta]`.
fn pending_cases(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    file: usize,
    adopted: Option<crate::date::Date>,
    records: Vec<RawPending>,
) -> Vec<PendingCase> {
    let mut cases = Vec::new();
    for raw in records {
        let mut valid = true;
        for (name, value) in [
            ("case", &raw.case),
            ("kind", &raw.kind),
            ("court", &raw.court),
        ] {
            if value.get_ref().trim().is_empty() {
                context.error(file, value.span(), format!("`{name}` is empty"));
                valid = false;
            }
        }
        let lodged = context.date(file, &raw.lodged);
        let checked = context.date(file, &raw.checked);
        if let (Some(adopted), Some(lodged)) = (adopted, lodged)
            && lodged < adopted
        {
            context.error(
                file,
                raw.lodged.span(),
                format!("lodged {lodged} is before the decision was adopted ({adopted})"),
            );
            valid = false;
        }
        if let (Some(lodged), Some(checked)) = (lodged, checked)
            && checked < lodged
        {
            context.error(
                file,
                raw.checked.span(),
                format!("checked {checked} is before the case was lodged ({lodged})"),
            );
            valid = false;
        }
        let provenance = Provenance::of(context, defaults, file, raw.source, None, raw.confidence);
        let (Some(lodged), Some(checked), true) = (lodged, checked, valid) else {
            continue;
        };
        cases.push(PendingCase {
            case: raw.case.get_ref().trim().to_string(),
            kind: raw.kind.get_ref().trim().to_string(),
            court: raw.court.get_ref().trim().to_string(),
            against: raw.against,
            lodged,
            checked,
            source: provenance.source,
            confidence: provenance.confidence,
            note: raw.note,
        });
    }
    cases
}
